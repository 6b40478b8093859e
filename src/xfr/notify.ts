// NOTIFY (RFC 1996): telling secondaries a zone changed, retried with backoff until each one
// acknowledges (bounded), and reading a NOTIFY that arrives.

import { sleep } from '../base/time.js';
import { randomInt } from 'node:crypto';
import { encodeMessage, newMessage, type Message } from '../wire/message.js';
import { nameEquals } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { Opcode, Rcode, RRClass, RRType } from '../wire/types.js';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { decodeMessage } from '../wire/message.js';
import type { Server } from '../transport/index.js';
import { soaSerial } from './diff.js';

/** A NOTIFY for `origin`, carrying the new SOA in the answer section (RFC 1996 3.7: a hint). */
export function notifyMessage(origin: string, soa: RR | undefined, id = randomInt(0, 0x10000)): Buffer {
  return encodeMessage(newMessage({
    id, opcode: Opcode.NOTIFY, aa: true, questions: [{ name: origin, type: RRType.SOA, class: RRClass.IN }], answers: soa ? [soa] : [],
  }));
}

/** The zone a NOTIFY request is about, or the RCODE to refuse it with (FORMERR: not a SOA question). */
export function readNotify(request: Message): { origin: string; serial?: number } | { rcode: number } {
  if (request.questions.length !== 1) return { rcode: Rcode.FORMERR };
  const q = request.questions[0]!;
  if (q.type !== RRType.SOA || q.class !== RRClass.IN) return { rcode: Rcode.FORMERR };
  const soa = request.answers.find((rr) => rr.type === RRType.SOA && rr.rdata.length >= 22);
  return soa ? { origin: q.name, serial: soaSerial(soa) } : { origin: q.name };
}

/** The acknowledgement of a NOTIFY: same ID and question, QR and AA set. */
export function notifyReply(request: Message, rcode: number): Message {
  return newMessage({ id: request.id, qr: true, opcode: Opcode.NOTIFY, aa: rcode === Rcode.NOERROR, rcode, questions: request.questions.slice(0, 1) });
}

export interface NotifierOptions {
  /** Attempts per secondary per change (RFC 1996 3.6: retry a small number of times); default 5. */
  attempts?: number;
  /** Wait for a reply this long, doubling per attempt; default 1000 ms. */
  timeout?: number;
  /**
   * Address to send from, per secondary: secondaries take NOTIFY only from their primary's
   * address, so this is the address they know us by (a listen address). Default: the kernel picks.
   */
  source?: (peer: string) => string | undefined;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

/**
 * Sends NOTIFY to a zone's secondaries. A new change to a zone supersedes the retries of the
 * last one to the same secondary; close() stops everything in flight.
 */
export class Notifier {
  private readonly pending = new Map<string, AbortController>();
  private closed = false;
  /** Acknowledged NOTIFYs, by `origin target`: for tests and the stats. */
  readonly acked = new Map<string, number>();
  /** NOTIFYs by how they ended, for the metrics. */
  readonly counts = { acknowledged: 0, refused: 0, unanswered: 0 };

  constructor(private readonly opts: NotifierOptions = {}) {}

  /** Notify every target of `origin`'s new SOA; resolves when each has acknowledged or given up. */
  async notify(origin: string, soa: RR, targets: readonly Server[]): Promise<void> {
    await Promise.all(targets.map((t) => this.notifyOne(origin, soa, t)));
  }

  private async notifyOne(origin: string, soa: RR, target: Server): Promise<void> {
    if (this.closed) return;
    const key = `${origin.toLowerCase()} ${target.address}:${target.port ?? 53}`;
    this.pending.get(key)?.abort();
    const ac = new AbortController();
    this.pending.set(key, ac);
    const attempts = this.opts.attempts ?? 5;
    let timeout = this.opts.timeout ?? 1000;
    const serial = soaSerial(soa);
    try {
      for (let i = 1; i <= attempts && !ac.signal.aborted; i++) {
        const started = Date.now();
        try {
          const reply = await sendNotify(target, origin, notifyMessage(origin, soa), { timeout, signal: ac.signal, source: this.opts.source?.(target.address) });
          if (reply.rcode === Rcode.NOERROR) {
            this.acked.set(key, serial);
            this.counts.acknowledged++;
            this.opts.log?.('info', `notify ${origin} serial ${serial} to ${target.address}:${target.port ?? 53}: acknowledged`);
            return;
          }
          // A secondary that refuses (NOTAUTH, REFUSED, NOTIMP) will not change its mind on retry.
          this.counts.refused++;
          this.opts.log?.('warn', `notify ${origin} serial ${serial} to ${target.address}:${target.port ?? 53}: answered rcode ${reply.rcode}`);
          return;
        } catch (err) {
          if (ac.signal.aborted) return;
          if (i === attempts) this.counts.unanswered++;
          if (i === attempts) this.opts.log?.('warn', `notify ${origin} serial ${serial} to ${target.address}:${target.port ?? 53}: no answer after ${attempts} attempts (${(err as Error).message})`);
          // A refused port fails at once: still wait out the attempt's time before the next one.
          // Aborted meanwhile (a newer notify of the zone, or close): stop without a word.
          else await sleep(timeout - (Date.now() - started), ac.signal).catch(() => {});
        }
        timeout *= 2;
      }
    } finally {
      if (this.pending.get(key) === ac) this.pending.delete(key);
    }
  }

  close(): void {
    this.closed = true;
    for (const ac of this.pending.values()) ac.abort();
    this.pending.clear();
  }
}

/**
 * One NOTIFY over UDP from `source` (RFC 1996 3.6): resolves with the matching reply (same ID,
 * QR, opcode NOTIFY, same zone), rejects on timeout, abort, or a network error.
 */
export function sendNotify(target: Server, origin: string, wire: Buffer, opts: { timeout: number; signal?: AbortSignal; source?: string }): Promise<Message> {
  return new Promise<Message>((resolve, reject) => {
    const family = isIP(target.address);
    if (family === 0) {
      reject(new Error(`${target.address} is not an IP address`));
      return;
    }
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    const id = wire.readUInt16BE(0);
    let done = false;
    const finish = (err: Error | undefined, m?: Message): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      try {
        sock.close();
      } catch { /* already closed */ }
      if (err) reject(err);
      else resolve(m!);
    };
    const onAbort = (): void => finish(new Error('aborted'));
    const timer = setTimeout(() => finish(new Error(`no reply within ${opts.timeout} ms`)), opts.timeout);
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(err));
    sock.on('message', (buf) => {
      if (buf.length < 12 || buf.readUInt16BE(0) !== id || (buf[2]! & 0x80) === 0) return;
      let m: Message;
      try {
        m = decodeMessage(buf);
      } catch {
        return;
      }
      if (m.opcode !== Opcode.NOTIFY || (m.questions[0] && !nameEquals(m.questions[0].name, origin))) return;
      finish(undefined, m);
    });
    // Connected: the kernel drops datagrams from anyone else, and reports a closed port at once.
    sock.bind({ port: 0, ...(opts.source ? { address: opts.source } : {}) }, () => {
      sock.connect(target.port ?? 53, target.address, () => sock.send(wire));
    });
  });
}
