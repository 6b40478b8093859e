// From query bytes to response bytes: decode under guard, the checks every query passes
// (opcode, question count, EDNS version), the handler chain, then encoding within the size limit.

import { decodeMessage, encodeMessage, type Edns, type Message } from '../wire/message.js';
import { Opcode, Rcode, RRClass, RRType, isMetaType } from '../wire/types.js';
import type { Handler, HandlerResult, QueryContext } from './handler.js';
import type { Stats } from './stats.js';
import { AnswerCache, answerKey } from './answer-cache.js';

export interface RespondOptions {
  /** Largest UDP response we send, whatever the client offers (RFC 9715 / DNS flag day 2020). */
  maxUdpSize: number;
  /** Entries in the encoded-answer cache; 0 turns it off. */
  answerCacheSize?: number;
}

export const DEFAULT_UDP_SIZE = 1232;
const MIN_UDP = 512;
const TCP_MAX = 65535;

export class Responder {
  private readonly cache: AnswerCache | undefined;

  constructor(
    private readonly handlers: Handler[],
    private readonly stats: Stats,
    private readonly opts: RespondOptions = { maxUdpSize: DEFAULT_UDP_SIZE },
  ) {
    const size = opts.answerCacheSize ?? 20_000;
    this.cache = size > 0 ? new AnswerCache(size) : undefined;
  }

  /** Forget stored answers: the zones changed. */
  invalidate(): void {
    this.cache?.clear();
  }

  /** The response to send, or undefined to drop the packet. Never throws. */
  async respond(buf: Buffer, transport: 'udp' | 'tcp', remoteAddress: string, remotePort: number): Promise<Buffer | undefined> {
    this.stats.queries++;
    if (transport === 'udp') this.stats.udpQueries++;
    else this.stats.tcpQueries++;
    // Too short for a header, or a response (QR=1): answering could start a packet loop.
    if (buf.length < 12 || (buf[2]! & 0x80) !== 0) {
      this.stats.dropped++;
      return undefined;
    }
    const key = this.cache ? answerKey(buf, transport, this.opts.maxUdpSize) : undefined;
    if (key !== undefined) {
      const cached = this.cache!.reply(key, buf);
      if (cached) {
        this.stats.answerCacheHits++;
        this.stats.countRcode(cached.hit.rcode);
        if (cached.hit.truncated) this.stats.truncated++;
        return cached.out;
      }
    }
    let request: Message;
    try {
      request = decodeMessage(buf);
    } catch {
      this.stats.malformed++;
      return this.formerr(buf);
    }
    try {
      const response = await this.answer(request, transport, remoteAddress, remotePort);
      this.stats.countRcode(response.rcode);
      const maxSize = transport === 'tcp' ? TCP_MAX : this.udpLimit(request.edns);
      const out = encodeMessage(response.message, { maxSize, requiredAdditional: response.requiredAdditional });
      if ((out[2]! & 0x02) !== 0) this.stats.truncated++;
      if (key !== undefined && response.cacheable) this.cache!.store(key, out, response.rcode);
      return out;
    } catch {
      // A bug in a handler must cost one answer, not the daemon.
      this.stats.countRcode(Rcode.SERVFAIL);
      return encodeMessage(this.reply(request, Rcode.SERVFAIL));
    }
  }

  private udpLimit(edns: Edns | undefined): number {
    if (!edns) return MIN_UDP;
    return Math.max(MIN_UDP, Math.min(edns.udpSize, this.opts.maxUdpSize));
  }

  /** A header-only FORMERR with the query's ID, when the header at least could be read. */
  private formerr(buf: Buffer): Buffer {
    const out = Buffer.alloc(12);
    buf.copy(out, 0, 0, 2);
    const opcode = (buf[2]! >> 3) & 0x0f;
    out[2] = 0x80 | (opcode << 3) | (buf[2]! & 0x01); // QR, opcode, RD copied
    out[3] = Rcode.FORMERR;
    this.stats.countRcode(Rcode.FORMERR);
    return out;
  }

  private reply(request: Message, rcode: number): Message {
    const message: Message = {
      id: request.id, qr: true, opcode: request.opcode, aa: false, tc: false, rd: request.rd, ra: false,
      ad: false, cd: request.cd, rcode, questions: request.questions.slice(0, 1), answers: [], authority: [], additional: [],
    };
    if (request.edns) message.edns = { udpSize: this.opts.maxUdpSize, version: 0, dnssecOk: false, extendedRcode: 0, flags: 0, options: [] };
    return message;
  }

  private async answer(request: Message, transport: 'udp' | 'tcp', remoteAddress: string, remotePort: number): Promise<{ message: Message; rcode: number; requiredAdditional: number; cacheable: boolean }> {
    const plain = (rcode: number) => ({ message: this.reply(request, rcode), rcode, requiredAdditional: 0, cacheable: false });
    if (request.edns && request.edns.version !== 0) return plain(Rcode.BADVERS); // RFC 6891 6.1.3
    if (request.opcode !== Opcode.QUERY) return plain(Rcode.NOTIMP);
    if (request.questions.length !== 1) return plain(Rcode.FORMERR);
    const q = request.questions[0]!;
    if (q.type === RRType.AXFR || q.type === RRType.IXFR) {
      // Transfers are TCP-only (RFC 5936 4.2) and need an ACL; none is configured yet.
      return plain(transport === 'udp' ? Rcode.FORMERR : Rcode.REFUSED);
    }
    if (isMetaType(q.type) && q.type !== RRType.ANY) return plain(Rcode.FORMERR);
    if (q.class !== RRClass.IN && q.class !== RRClass.ANY) return plain(Rcode.REFUSED);
    if (request.answers.length > 0 || request.authority.length > 0) return plain(Rcode.FORMERR);
    const ctx: QueryContext = { request, transport, remoteAddress, remotePort };
    let result: HandlerResult | undefined;
    for (const h of this.handlers) {
      result = await h.handle(ctx);
      if (result) break;
    }
    if (!result) return plain(Rcode.REFUSED);
    const message = this.reply(request, result.rcode);
    message.aa = result.aa;
    message.ra = result.ra ?? false;
    message.answers = result.answers;
    message.authority = result.authority;
    message.additional = result.additional;
    return { message, rcode: result.rcode, requiredAdditional: result.requiredAdditional ?? 0, cacheable: result.cacheable ?? false };
  }
}
