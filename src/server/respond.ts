// From query bytes to response bytes: decode under guard, the checks every query passes
// (opcode, question count, EDNS version), the handler chain, then encoding within the size limit.

import { decodeMessage, encodeMessage, type Edns, type Message } from '../wire/message.js';
import { Opcode, Rcode, RRClass, RRType, isMetaType } from '../wire/types.js';
import type { Handler, HandlerResult, QueryContext } from './handler.js';
import type { Stats } from './stats.js';
import { AnswerCache, answerKey, type Reuse } from './answer-cache.js';
import { Keyring, TsigError, TsigStreamSigner, signError, signMessage, tsigSize, verifyRequest, type VerifyResult } from '../wire/tsig.js';
import { silentLogger, type Logger } from '../base/log.js';
import { type LogLimiter } from '../base/log-limit.js';
import type { OpcodeHandler, RequestContext, SignedBy } from '../wire/request.js';
import { questionType } from '../base/metrics.js';
import { EdeCode, edeOption } from './ede.js';
import { BADCOOKIE, EDNS_COOKIE, queryCookie, splitCookie, withOption, type CookieJar } from './cookies.js';

export interface RespondOptions {
  /** Largest UDP response we send, whatever the client offers (RFC 9715 / DNS flag day 2020). */
  maxUdpSize: number;
  /** Entries in the encoded-answer cache; 0 turns it off. */
  answerCacheSize?: number;
  /** TSIG keys (RFC 8945): signed requests are verified and their replies signed. */
  keyring?: Keyring;
  /** Most seconds a signed request's time may be off our clock, whatever its fudge says; default 300 (DEFAULT_MAX_FUDGE). */
  tsigMaxFudge?: number;
  /** Where TSIG failures are reported. */
  logger?: Logger;
  /** DNS Cookies (RFC 7873/9018): replies carry a fresh server cookie; a valid one exempts its client from RRL. Absent: off. */
  cookies?: CookieJar;
  /** Rate limit for the TSIG failure lines (anyone can send a bad signature); without it, each is logged. */
  limiter?: LogLimiter;
}

// The request contract lives below the server (src/wire/request.ts); re-exported for the server's own modules.
export type { OpcodeHandler, RequestContext, SignedBy } from '../wire/request.js';

export const DEFAULT_UDP_SIZE = 1232;
const MIN_UDP = 512;
const TCP_MAX = 65535;

const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };
function tsigErrorName(e: number): string {
  return TSIG_ERRORS[e] ?? String(e);
}

export class Responder {
  private readonly cache: AnswerCache | undefined;
  private readonly special: OpcodeHandler[] = [];
  /** The handler that tells recursive clients from the others (the resolver's), if any. */
  private readonly recursion: Handler | undefined;

  constructor(
    private readonly handlers: Handler[],
    private readonly stats: Stats,
    private readonly opts: RespondOptions = { maxUdpSize: DEFAULT_UDP_SIZE },
  ) {
    const size = opts.answerCacheSize ?? 20_000;
    this.cache = size > 0 ? new AnswerCache(size) : undefined;
    this.recursion = handlers.find((h) => h.mayRecurse !== undefined);
  }

  /** Whether this client gets the recursive kind of answer: part of the stored-answer key. */
  private recursive(remoteAddress: string | undefined): boolean {
    return remoteAddress !== undefined && this.recursion !== undefined && this.recursion.mayRecurse!(remoteAddress);
  }

  /** The handlers added with `use`, in order. */
  get specials(): readonly OpcodeHandler[] {
    return this.special;
  }

  /** Add a handler that takes requests before the query checks and chain (first added, first asked). */
  use(handler: OpcodeHandler): void {
    this.special.push(handler);
  }

  /**
   * The stored answer to a query, synchronously, or undefined when there is none (then nothing
   * is counted and `respond` must be called). The listeners try this first: a hit costs no
   * promise, no decode and no encode.
   */
  cached(buf: Buffer, transport: 'udp' | 'tcp', remoteAddress?: string): Buffer | undefined {
    if (!this.cache || buf.length < 12 || (buf[2]! & 0x80) !== 0) return undefined;
    const perQuery = this.stats.perQuery;
    const t0 = perQuery ? performance.now() : 0;
    // A cookie gets the stored answer with its own fresh server cookie patched in; a malformed
    // one takes the full path (FORMERR there).
    let client: Buffer | undefined;
    if (this.opts.cookies && buf[11] !== 0) {
      const raw = queryCookie(buf);
      if (raw !== undefined) {
        client = splitCookie(raw)?.client;
        if (client === undefined) return undefined;
      }
    }
    const key = answerKey(buf, transport, this.opts.maxUdpSize, this.recursive(remoteAddress));
    if (key === undefined) return undefined;
    const out = this.fromCacheKey(key, buf, remoteAddress, transport, client);
    if (out === undefined) return undefined;
    this.stats.queries++;
    if (transport === 'udp') this.stats.udpQueries++;
    else this.stats.tcpQueries++;
    perQuery?.count(transport, remoteAddress ?? '', questionType(buf), performance.now() - t0);
    return out;
  }

  /** The stored answer for `key`, with a server cookie for `client` when given; undefined (nothing counted) when there is none or the cookie does not fit. */
  private fromCacheKey(key: string, buf: Buffer, remoteAddress: string | undefined, transport: 'udp' | 'tcp', client?: Buffer): Buffer | undefined {
    const cached = this.cache!.reply(key, buf, remoteAddress);
    if (!cached) return undefined;
    let out = cached.out;
    if (client !== undefined) {
      if (remoteAddress === undefined) return undefined;
      const patched = withOption(out, EDNS_COOKIE, this.opts.cookies!.option(client, remoteAddress).data);
      // The stored answer was made to fit the size the asker offered, without the cookie's 28 bytes.
      if (patched === undefined || patched.length > (transport === 'tcp' ? TCP_MAX : this.rawUdpLimit(buf))) return undefined;
      out = patched;
    }
    this.stats.answerCacheHits++;
    this.stats.countRcode(cached.hit.rcode);
    if (cached.hit.truncated) this.stats.truncated++;
    return out;
  }

  /** The UDP size limit of a stored-answer candidate (answerKey checked its shape: question, then the OPT). */
  private rawUdpLimit(buf: Buffer): number {
    let pos = 12;
    while (buf[pos]! !== 0) pos += 1 + buf[pos]!;
    const opt = pos + 5;
    if (buf[11] === 0 || opt + 5 > buf.length) return MIN_UDP;
    return Math.max(MIN_UDP, Math.min(buf.readUInt16BE(opt + 3), this.opts.maxUdpSize));
  }

  /**
   * Whether a client is exempt from rate limiting: it may recurse (RRL guards the authoritative
   * side against reflection; who may use the resolver is the recursion ACL's business), or the
   * request proves its source address is not spoofed (a valid DNS server cookie). Asked only
   * for answers the limiter would hold back.
   */
  trusted(buf: Buffer, remoteAddress: string): boolean {
    if (this.recursive(remoteAddress)) return true;
    const jar = this.opts.cookies;
    const c = jar ? queryCookie(buf) : undefined;
    const parts = c ? splitCookie(c) : undefined;
    return parts?.server !== undefined && jar!.valid(parts.client, parts.server, remoteAddress);
  }

  /**
   * In place of a slip (rate limited), a BADCOOKIE reply with a fresh server cookie for a query
   * that has a client cookie but no valid server cookie (RFC 7873 5.2.3, 5.2.4): the client
   * retries with it and is then exempt. Undefined for a query without a cookie (it gets the TC slip).
   */
  badCookie(buf: Buffer, remoteAddress: string): Buffer | undefined {
    const jar = this.opts.cookies;
    const c = jar ? queryCookie(buf) : undefined;
    const parts = c ? splitCookie(c) : undefined;
    if (!parts) return undefined;
    let request: Message;
    try {
      request = decodeMessage(buf);
    } catch {
      return undefined;
    }
    const reply = this.counted(request, BADCOOKIE);
    reply.edns!.options.push(jar!.option(parts.client, remoteAddress));
    this.stats.badCookies++;
    return encodeMessage(reply);
  }

  /** Answers stored in the encoded-answer cache. */
  get cacheEntries(): number {
    return this.cache?.size ?? 0;
  }

  /** Forget stored answers: the zones changed. */
  invalidate(): void {
    this.cache?.clear();
  }

  /** The response to send (several for a TCP stream), or undefined to drop the packet. Never throws. */
  async respond(buf: Buffer, transport: 'udp' | 'tcp', remoteAddress: string, remotePort: number): Promise<Buffer | Buffer[] | undefined> {
    const perQuery = this.stats.perQuery;
    if (!perQuery) return this.respondOnce(buf, transport, remoteAddress, remotePort);
    const t0 = performance.now();
    const out = await this.respondOnce(buf, transport, remoteAddress, remotePort);
    perQuery.count(transport, remoteAddress, questionType(buf), performance.now() - t0);
    return out;
  }

  private async respondOnce(buf: Buffer, transport: 'udp' | 'tcp', remoteAddress: string, remotePort: number): Promise<Buffer | Buffer[] | undefined> {
    this.stats.queries++;
    if (transport === 'udp') this.stats.udpQueries++;
    else this.stats.tcpQueries++;
    // Too short for a header, or a response (QR=1): answering could start a packet loop.
    if (buf.length < 12 || (buf[2]! & 0x80) !== 0) {
      this.stats.dropped++;
      return undefined;
    }
    const key = this.cache ? answerKey(buf, transport, this.opts.maxUdpSize, this.recursive(remoteAddress)) : undefined;
    if (key !== undefined) {
      // Stored answers are kept without a cookie; one is patched in per reply.
      const raw = this.opts.cookies && buf[11] !== 0 ? queryCookie(buf) : undefined;
      const client = raw !== undefined ? splitCookie(raw)?.client : undefined;
      const cached = raw === undefined || client !== undefined ? this.fromCacheKey(key, buf, remoteAddress, transport, client) : undefined;
      if (cached) return cached;
      this.stats.answerCacheMisses++;
    }
    let request: Message;
    try {
      request = decodeMessage(buf);
    } catch {
      this.stats.malformed++;
      return this.formerr(buf);
    }
    let signed: SignedBy | undefined;
    if (request.additional.some((rr) => rr.type === RRType.TSIG) || request.answers.some((rr) => rr.type === RRType.TSIG) || request.authority.some((rr) => rr.type === RRType.TSIG)) {
      const v = this.verify(buf, request, remoteAddress);
      if (Buffer.isBuffer(v)) return v;
      signed = v;
      request.additional = request.additional.filter((rr) => rr.type !== RRType.TSIG);
    }
    // RFC 7873 5.2.2: a COOKIE option of the wrong length, or more than one, is FORMERR.
    let cookie: { client: Buffer; server?: Buffer } | undefined;
    if (this.opts.cookies && request.edns) {
      const all = request.edns.options.filter((o) => o.code === EDNS_COOKIE);
      if (all.length > 0) {
        cookie = all.length === 1 ? splitCookie(all[0]!.data) : undefined;
        if (!cookie) {
          this.stats.malformed++;
          return encodeMessage(this.counted(request, Rcode.FORMERR));
        }
      }
    }
    const special = this.special.find((h) => h.wants(request));
    if (special) return this.dispatch(special, buf, request, transport, remoteAddress, remotePort, signed);
    try {
      const response = await this.answer(request, transport, remoteAddress, remotePort);
      this.stats.countRcode(response.rcode);
      const maxSize = (transport === 'tcp' ? TCP_MAX : this.udpLimit(request.edns)) - (signed ? tsigSize(signed.key) : 0);
      let out = encodeMessage(response.message, { maxSize, requiredAdditional: response.requiredAdditional });
      // Stored without the cookie (every asker gets its own), so the store serves cookie and cookie-less clients alike.
      if (!signed && key !== undefined && response.cacheable) this.cache!.store(key, out, response.rcode);
      else if (!signed && key !== undefined && response.reuse) this.cache!.store(key, out, response.rcode, response.reuse);
      if (cookie && response.message.edns) {
        const option = this.opts.cookies!.option(cookie.client, remoteAddress);
        const patched = withOption(out, option.code, option.data);
        if (patched !== undefined && patched.length <= maxSize) out = patched;
        else {
          // Too big with the cookie: encode again, the cookie inside the limit (records may drop, TC may be set).
          response.message.edns.options.push(option);
          out = encodeMessage(response.message, { maxSize, requiredAdditional: response.requiredAdditional });
        }
      }
      if ((out[2]! & 0x02) !== 0) this.stats.truncated++;
      if (signed) return signMessage(out, signed.key, { requestMac: signed.mac }).message;
      return out;
    } catch {
      // A bug in a handler must cost one answer, not the daemon.
      this.stats.countRcode(Rcode.SERVFAIL);
      const out = encodeMessage(this.reply(request, Rcode.SERVFAIL));
      return signed ? signMessage(out, signed.key, { requestMac: signed.mac }).message : out;
    }
  }

  /**
   * Check a request's TSIG (RFC 8945 5.2). Returns the key when it verifies, else the error
   * reply to send: FORMERR for a malformed TSIG, NOTAUTH with the TSIG error otherwise.
   */
  private verify(buf: Buffer, request: Message, remoteAddress: string): SignedBy | Buffer {
    const log = this.opts.logger ?? silentLogger;
    const warn = (msg: string): void => (this.opts.limiter ? this.opts.limiter.warn('TSIG failure', msg) : log.warn(msg));
    let v: VerifyResult | undefined;
    try {
      v = verifyRequest(buf, this.opts.keyring ?? new Keyring(), this.opts.tsigMaxFudge !== undefined ? { maxFudge: this.opts.tsigMaxFudge } : {});
    } catch (err) {
      warn(`tsig: FORMERR to ${remoteAddress}: ${(err as TsigError).message}`);
      return encodeMessage(this.counted(request, Rcode.FORMERR));
    }
    if (v === undefined) return encodeMessage(this.counted(request, Rcode.FORMERR)); // decodeMessage saw a TSIG, so unreachable
    if (v.ok) return { key: v.key, mac: v.mac };
    warn(`tsig: ${v.formerr ? 'FORMERR' : `NOTAUTH (${tsigErrorName(v.error)})`} to ${remoteAddress} for ${request.questions[0]?.name ?? '?'} with key ${v.record.keyName}: ${v.reason}`);
    if (v.formerr) return encodeMessage(this.counted(request, Rcode.FORMERR));
    const reply = this.counted(request, Rcode.NOTAUTH);
    return signError(encodeMessage(reply), v);
  }

  private counted(request: Message, rcode: number): Message {
    this.stats.countRcode(rcode);
    return this.reply(request, rcode);
  }

  private async dispatch(
    h: OpcodeHandler, raw: Buffer, request: Message, transport: 'udp' | 'tcp', remoteAddress: string, remotePort: number, tsig: SignedBy | undefined,
  ): Promise<Buffer | Buffer[] | undefined> {
    const maxSize = (transport === 'tcp' ? TCP_MAX : this.udpLimit(request.edns)) - (tsig ? tsigSize(tsig.key) : 0);
    let out: Buffer | Buffer[] | undefined;
    try {
      out = await h.handle({ raw, request, transport, remoteAddress, remotePort, maxSize, ...(tsig ? { tsig } : {}) });
    } catch {
      out = encodeMessage(this.reply(request, Rcode.SERVFAIL));
    }
    if (out === undefined) {
      this.stats.dropped++;
      return undefined;
    }
    const first = Array.isArray(out) ? out[0] : out;
    if (first === undefined) {
      this.stats.dropped++;
      return undefined;
    }
    this.stats.countRcode(first.length >= 4 ? first[3]! & 0x0f : Rcode.SERVFAIL);
    if (!tsig) return out;
    if (!Array.isArray(out)) return signMessage(out, tsig.key, { requestMac: tsig.mac }).message;
    const signer = new TsigStreamSigner(tsig.key, tsig.mac);
    return out.map((m) => signer.sign(m));
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
    // RFC 3225 3: the DO bit is copied into the response (with --dnssec, DO=1 answers carry RRSIGs).
    if (request.edns) message.edns = { udpSize: this.opts.maxUdpSize, version: 0, dnssecOk: request.edns.dnssecOk, extendedRcode: 0, flags: 0, options: [] };
    return message;
  }

  private async answer(request: Message, transport: 'udp' | 'tcp', remoteAddress: string, remotePort: number): Promise<{ message: Message; rcode: number; requiredAdditional: number; cacheable: boolean; reuse?: Reuse }> {
    const plain = (rcode: number) => ({ message: this.reply(request, rcode), rcode, requiredAdditional: 0, cacheable: false });
    if (request.edns && request.edns.version !== 0) return plain(Rcode.BADVERS); // RFC 6891 6.1.3
    // UPDATE reaches here only when no zone takes updates (no --allow-update): that is a
    // refusal, as BIND and Knot answer, not an opcode we do not know.
    if (request.opcode === Opcode.UPDATE) return plain(Rcode.REFUSED);
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
    let i = 0;
    for (; i < this.handlers.length; i++) {
      result = await this.handlers[i]!.handle(ctx);
      if (result) break;
    }
    if (!result) result = { rcode: Rcode.REFUSED, aa: false, answers: [], authority: [], additional: [], ede: [{ code: EdeCode.NOT_AUTHORITATIVE }] };
    // The handlers that passed see the answer, nearest first (see Handler.review).
    for (let j = i - 1; j >= 0; j--) {
      const h = this.handlers[j]!;
      if (h.review) result = await h.review(ctx, result);
    }
    const message = this.reply(request, result.rcode);
    message.aa = result.aa;
    message.ra = result.ra ?? false;
    message.ad = result.ad ?? false;
    message.answers = result.answers;
    message.authority = result.authority;
    message.additional = result.additional;
    if (message.edns && result.ede) for (const e of result.ede) message.edns.options.push(edeOption(e));
    return { message, rcode: result.rcode, requiredAdditional: result.requiredAdditional ?? 0, cacheable: result.cacheable ?? false, ...(result.reuse ? { reuse: result.reuse } : {}) };
  }
}
