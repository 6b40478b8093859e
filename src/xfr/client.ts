// Transfers in: AXFR or IXFR from a primary over one TCP connection, the reply read message by
// message until the closing SOA, and sorted into the whole zone, a list of changes, or "current".

import net from 'node:net';
import { randomInt } from 'node:crypto';
import { decodeMessage, encodeMessage, newMessage, type Message } from '../wire/message.js';
import type { RR } from '../wire/rr.js';
import { nameEquals } from '../wire/name.js';
import { RRClass, RRType, rcodeToString } from '../wire/types.js';
import { FrameDecoder, frameMessage, type Server } from '../transport/index.js';
import { signMessage, TsigStreamVerifier, type TsigKey } from '../wire/tsig.js';
import { XfrError } from './errors.js';
import { serialLess, soaSerial, type ZoneDiff } from './diff.js';

export interface TransferOptions {
  /** IXFR from this serial (the SOA we hold); without it, AXFR. */
  from?: RR;
  /** Milliseconds for the whole transfer; default 30000. */
  timeout?: number;
  signal?: AbortSignal;
  /** Local address to connect from (the primary's ACL sees it). */
  localAddress?: string;
  /** Refuse transfers with more records than this; default 5,000,000. */
  maxRecords?: number;
  /** Sign the query with this TSIG key and verify every reply message (RFC 8945 5.3.1). */
  tsig?: TsigKey;
}

export type TransferResult =
  /** The primary's serial is not newer than ours (an IXFR answered with its SOA alone). */
  | { kind: 'current'; soa: RR }
  /** The whole zone; `records` holds the SOA once, first. */
  | { kind: 'axfr'; soa: RR; records: RR[]; messages: number }
  /** The changes from our serial to the primary's, oldest first. */
  | { kind: 'ixfr'; soa: RR; diffs: ZoneDiff[]; messages: number };

/** The query: AXFR, or IXFR with our SOA in the authority section (RFC 1995 3). */
export function transferQuery(origin: string, from: RR | undefined, id = randomInt(0, 0x10000)): Buffer {
  return encodeMessage(newMessage({
    id, questions: [{ name: origin, type: from ? RRType.IXFR : RRType.AXFR, class: RRClass.IN }],
    authority: from ? [from] : [],
  }));
}

/** Sorts the records of a transfer reply as they arrive and says when the reply is complete. */
export class TransferReader {
  private readonly records: RR[] = [];
  private first: RR | undefined;
  private mode: 'unknown' | 'axfr' | 'ixfr' = 'unknown';
  done = false;
  messages = 0;

  /** `from`: our SOA when this is an IXFR. */
  constructor(private readonly origin: string, private readonly from: RR | undefined, private readonly maxRecords = 5_000_000) {}

  private get ixfr(): boolean {
    return this.from !== undefined;
  }

  /** Take one reply message; throws XfrError for an error RCODE or a malformed stream. */
  push(msg: Message): void {
    if (this.done) throw new XfrError('ERR_XFR_BAD_STREAM', 'the primary sent more messages after the closing SOA');
    this.messages++;
    if (msg.rcode !== 0) {
      throw new XfrError('ERR_XFR_REFUSED', `the primary answered the ${this.ixfr ? 'IXFR' : 'AXFR'} with ${rcodeToString(msg.rcode)}`, { rcode: msg.rcode });
    }
    if (this.messages === 1 && msg.answers.length === 0) throw new XfrError('ERR_XFR_BAD_STREAM', 'the first message of the transfer has no records');
    for (const rr of msg.answers) {
      if (this.done) throw new XfrError('ERR_XFR_BAD_STREAM', 'records after the closing SOA');
      this.take(rr);
    }
    // An IXFR answered by the SOA alone, in one message, with a serial not newer than ours: we are
    // current. (A newer SOA alone may be the start of a stream sent one record per message.)
    if (this.from && this.first && !this.done && this.messages === 1 && msg.answers.length === 1 && !serialLess(soaSerial(this.from), soaSerial(this.first))) this.done = true;
  }

  private take(rr: RR): void {
    if (rr.class !== RRClass.IN) throw new XfrError('ERR_XFR_BAD_STREAM', `record ${rr.name} of class ${rr.class} in a transfer of an IN zone`);
    if (!this.first) {
      if (rr.type !== RRType.SOA || !nameEquals(rr.name, this.origin)) throw new XfrError('ERR_XFR_BAD_STREAM', `the transfer starts with ${rr.name} type ${rr.type}, not the SOA of ${this.origin}`);
      this.first = rr;
      return;
    }
    if (this.mode === 'unknown') this.mode = this.ixfr && rr.type === RRType.SOA ? 'ixfr' : 'axfr';
    if (this.mode === 'axfr' && rr.type === RRType.SOA) {
      if (!nameEquals(rr.name, this.origin) || soaSerial(rr) !== soaSerial(this.first)) {
        throw new XfrError('ERR_XFR_BAD_STREAM', `an SOA (${rr.name}, serial ${soaSerial(rr)}) inside the transfer that is not the closing one (serial ${soaSerial(this.first)})`);
      }
      this.done = true;
      return;
    }
    if (this.records.length >= this.maxRecords) throw new XfrError('ERR_XFR_TOO_LARGE', `the transfer has more than ${this.maxRecords} records`);
    this.records.push(rr);
    // IXFR: a deletion list starting with the new serial's SOA closes the reply.
    if (this.mode === 'ixfr' && rr.type === RRType.SOA && nameEquals(rr.name, this.origin) && soaSerial(rr) === soaSerial(this.first) && this.atSequenceStart()) {
      this.records.pop();
      this.done = true;
    }
  }

  /** Whether the last record pushed begins a deletion list (an even count of SOAs before it). */
  private atSequenceStart(): boolean {
    let soas = 0;
    for (let i = 0; i < this.records.length - 1; i++) if (this.records[i]!.type === RRType.SOA) soas++;
    return soas % 2 === 0;
  }

  result(): TransferResult {
    if (!this.done || !this.first) throw new XfrError('ERR_XFR_BAD_STREAM', 'the transfer ended before its closing SOA');
    if (this.mode === 'unknown') return { kind: 'current', soa: this.first };
    if (this.mode === 'axfr') return { kind: 'axfr', soa: this.first, records: [this.first, ...this.records], messages: this.messages };
    const diffs: ZoneDiff[] = [];
    let i = 0;
    const n = this.records.length;
    while (i < n) {
      const from = this.records[i++]!;
      const removed: RR[] = [];
      while (i < n && this.records[i]!.type !== RRType.SOA) removed.push(this.records[i++]!);
      const to = this.records[i++];
      if (!to || to.type !== RRType.SOA) throw new XfrError('ERR_XFR_BAD_STREAM', 'an IXFR change without the SOA that ends its removals');
      const added: RR[] = [];
      while (i < n && this.records[i]!.type !== RRType.SOA) added.push(this.records[i++]!);
      diffs.push({ from, removed, to, added });
    }
    return { kind: 'ixfr', soa: this.first, diffs, messages: this.messages };
  }
}

/**
 * Transfer `origin` from `server`: IXFR when `opts.from` is given, else AXFR. Rejects with
 * XfrError: ERR_XFR_REFUSED (an error RCODE), ERR_XFR_BAD_STREAM, ERR_XFR_TOO_LARGE,
 * ERR_XFR_TIMEOUT, ERR_XFR_NETWORK, ERR_XFR_ABORTED.
 */
export async function transferIn(server: Server, origin: string, opts: TransferOptions = {}): Promise<TransferResult> {
  const timeout = opts.timeout ?? 30_000;
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 0x7fffffff) throw new XfrError('ERR_XFR_BAD_OPTION', `timeout ${timeout} is not 1..2147483647 ms`);
  const port = server.port ?? 53;
  if (net.isIP(server.address) === 0) throw new XfrError('ERR_XFR_BAD_OPTION', `primary ${server.address} is not an IP address`);
  const id = randomInt(0, 0x10000);
  let query = transferQuery(origin, opts.from, id);
  let verifier: TsigStreamVerifier | undefined;
  if (opts.tsig) {
    const signed = signMessage(query, opts.tsig);
    query = signed.message;
    verifier = new TsigStreamVerifier(opts.tsig, signed.mac);
  }
  const reader = new TransferReader(origin, opts.from, opts.maxRecords);
  const where = `${server.address}:${port}`;
  return new Promise<TransferResult>((resolve, reject) => {
    let settled = false;
    const sock = net.connect({ host: server.address, port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const finish = (err: Error | undefined, value?: TransferResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = (): void => finish(new XfrError('ERR_XFR_ABORTED', `transfer of ${origin} from ${where} aborted`));
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish(new XfrError('ERR_XFR_TIMEOUT', `transfer of ${origin} from ${where} not complete within ${timeout} ms (${reader.messages} messages so far)`)), timeout);
    sock.on('error', (err) => finish(new XfrError('ERR_XFR_NETWORK', `transfer of ${origin} from ${where}: ${err.message}`, { cause: err })));
    sock.on('close', () => finish(new XfrError('ERR_XFR_NETWORK', `${where} closed the connection before the transfer of ${origin} was complete`)));
    sock.once('connect', () => {
      sock.setNoDelay(true);
      sock.write(frameMessage(query));
    });
    const decoder = new FrameDecoder();
    let lastSigned = false;
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const buf of decoder.push(chunk)) {
          if (settled) return;
          if (buf.length < 12 || buf.readUInt16BE(0) !== id || (buf[2]! & 0x80) === 0) {
            throw new XfrError('ERR_XFR_BAD_STREAM', `a message in the transfer of ${origin} that is not a reply to our query`);
          }
          if (verifier) {
            const v = verifier.verify(buf);
            if (!v.ok) throw new XfrError('ERR_XFR_TSIG', `transfer of ${origin} from ${where}: message ${reader.messages + 1} fails TSIG (${v.reason})`);
            lastSigned = v.signed;
          }
          const msg = decodeMessage(buf);
          if (reader.messages === 0 && (msg.questions.length > 1 || (msg.questions[0] && !nameEquals(msg.questions[0].name, origin)))) {
            throw new XfrError('ERR_XFR_BAD_STREAM', `the reply's question (${msg.questions[0]?.name}) is not ${origin}`);
          }
          reader.push(msg);
          // RFC 8945 5.3.1: the last message of a signed stream must itself be signed.
          if (reader.done && verifier && !lastSigned) throw new XfrError('ERR_XFR_TSIG', `transfer of ${origin} from ${where}: the last message is not signed`);
          if (reader.done) finish(undefined, reader.result());
        }
      } catch (err) {
        finish(err instanceof XfrError ? err : new XfrError('ERR_XFR_BAD_STREAM', `transfer of ${origin} from ${where}: ${(err as Error).message}`, { cause: err }));
      }
    });
  });
}
