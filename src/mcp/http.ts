// HTTP for the hand-off: one keep-alive undici Agent per origin, connecting to the addresses the
// DNS gave for the endpoint host (never the system resolver), with the URL's host in Host and SNI.

import { AopError } from '../base/errors.js';
import { Agent, buildConnector, fetch as undiciFetch, getGlobalDispatcher, Response as UndiciResponse, type Dispatcher } from 'undici';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { AsyncLocalStorage } from 'node:async_hooks';
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { daneCheck, readTlsa, usableTlsa, type TlsaRecord } from './dane.js';

/** The certificates a TLS peer sent, leaf first (as getPeerCertificate(true) links them). */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let c = socket.getPeerCertificate(true) as (ReturnType<TLSSocket['getPeerCertificate']> & { issuerCertificate?: unknown; raw?: Buffer }) | undefined;
  const seen = new Set<string>();
  while (c && c.raw && out.length < 10) {
    const key = c.raw.toString('base64');
    if (seen.has(key)) break;
    seen.add(key);
    out.push(new X509Certificate(c.raw));
    c = c.issuerCertificate as typeof c;
  }
  return out;
}

/** The header a gateway adds to its outgoing calls: how many gateways the call has come through. */
export const HOPS_HEADER = 'aop-hops';

/** The hop count of the call running in this async context (HandOff.call sets it); sent as HOPS_HEADER. */
export const hopCount = new AsyncLocalStorage<number>();

export interface OriginPoolOptions {
  /** Milliseconds to open a TCP (and TLS) connection to one address. Default 5000. */
  connectTimeoutMs?: number;
  /** Idle keep-alive connections kept this long (ms), unless the server says less. Default 60000. */
  keepAliveMs?: number;
  /** Limits on what one response may bring (ReplyLimits); defaults as DEFAULT_REPLY_LIMITS. */
  limits?: Partial<ReplyLimits>;
  /** The CA certificates (PEM) https peers must chain to; default the system roots (and NODE_EXTRA_CA_CERTS). */
  ca?: string[];
}

/**
 * How much one HTTP response may bring, counted as its bytes arrive (before anything buffers
 * them): a JSON (or any non-SSE) body at most maxReplyBytes; an SSE stream at most maxReplyBytes
 * per event and maxReplyEvents events. Past either, the exchange is aborted with ReplyTooLargeError.
 */
export interface ReplyLimits {
  maxReplyBytes: number;
  maxReplyEvents: number;
}

export const DEFAULT_REPLY_LIMITS: Readonly<ReplyLimits> = { maxReplyBytes: 4 * 1024 * 1024, maxReplyEvents: 10_000 };

/** A response past its ReplyLimits: the exchange was aborted there. */
export class ReplyTooLargeError extends AopError {
  declare readonly code: 'ERR_REPLY_TOO_LARGE';
  constructor(message: string) {
    super('ERR_REPLY_TOO_LARGE', message);
  }
}

/** The limits with the defaults filled in; throws RangeError on a value that is not a whole number >= 1. */
export function replyLimits(l: { [K in keyof ReplyLimits]?: number | undefined } = {}): ReplyLimits {
  const out = { ...DEFAULT_REPLY_LIMITS, ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) } as ReplyLimits;
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} ${String(v)} is not a whole number >= 1`);
  }
  return out;
}

/** Origins with a pool at most. */
const MAX_ORIGINS = 512;

interface OriginEntry {
  agent: Agent;
  /** Current addresses of the host, in the order to try; replaced when the card is re-resolved. */
  addresses: string[];
  /** Secure TLSA records of an https origin (dane.ts): its certificate is checked against them, not WebPKI. */
  tlsa?: TlsaRecord[];
  /** Reference identities besides the host for those checks: its secure CNAME expansion (RFC 7671 7). */
  names?: string[];
}


/** The connect error for an origin with every address tried: the last error, naming them all. */
function connectError(errors: Array<{ address: string; err: Error }>, host: string): Error {
  if (errors.length === 0) return Object.assign(new Error(`no address for ${host}`), { code: 'NO_ADDRESS' });
  const last = errors[errors.length - 1]!.err;
  if (errors.length > 1) last.message = `${errors.map((e) => `${e.address}: ${e.err.message}`).join('; ')}`;
  return last;
}

export class OriginPools {
  private readonly entries = new Map<string, OriginEntry>();
  private readonly connectTimeoutMs: number;
  private readonly keepAliveMs: number;
  private readonly limits: ReplyLimits;
  private readonly ca: string[] | undefined;
  /** TCP connections opened, all origins together (a test reads it to check reuse). */
  connectionsOpened = 0;

  constructor(opts: OriginPoolOptions = {}) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.keepAliveMs = opts.keepAliveMs ?? 60_000;
    this.limits = replyLimits(opts.limits);
    this.ca = opts.ca;
  }

  /** A fetch for `url`'s origin that connects only to `addresses` (updated in place on later calls). */
  fetchFor(url: string, addresses: readonly string[], onTooLarge?: (err: ReplyTooLargeError) => void, tlsaHex?: readonly string[], names?: readonly string[]): FetchLike {
    const u = new URL(url);
    const origin = u.origin;
    const tlsa = tlsaHex === undefined ? undefined : usableTlsa(tlsaHex.map((h) => readTlsa(Buffer.from(h, 'hex'))).filter((r): r is TlsaRecord => r !== undefined));
    let entry = this.entries.get(origin);
    if (entry === undefined) {
      const holder: OriginEntry = { addresses: [...addresses], agent: undefined as unknown as Agent, ...(tlsa && tlsa.length > 0 ? { tlsa } : {}), ...(names !== undefined ? { names: [...names] } : {}) };
      const webpki = buildConnector({ timeout: this.connectTimeoutMs, ...(this.ca !== undefined ? { ca: this.ca } : {}) });
      // With secure TLSA records the certificate is judged by them (dane.ts): alone for DANE-EE/TA (RFC
      // 7671 5.1: a DANE-EE key may be self-signed), with WebPKI's verdict (the same CAs) for PKIX-TA/EE.
      // No session resumption: a resumed TLS 1.3 session shows no certificate to check.
      // WebPKI's name check (for the PKIX usages) takes the host's secure CNAME expansion too (RFC 7671 7).
      const identity = (hostname: string, cert: PeerCertificate): Error | undefined => {
        for (const n of holder.names ?? []) if (checkServerIdentity(n.replace(/\.$/, ''), cert) === undefined) return undefined;
        return checkServerIdentity(hostname, cert);
      };
      const danePeer = buildConnector({ timeout: this.connectTimeoutMs, rejectUnauthorized: false, maxCachedSessions: 0, checkServerIdentity: identity, ...(this.ca !== undefined ? { ca: this.ca } : {}) });
      const base: buildConnector.connector = (opts, cb) => {
        const records = holder.tlsa;
        if (records === undefined || records.length === 0) return webpki(opts, cb);
        return danePeer(opts, (err, socket) => {
          if (err !== null || socket === null) return cb(err, null);
          const tlsSocket = socket as unknown as TLSSocket;
          const chain = peerChain(tlsSocket);
          const authError = tlsSocket.authorizationError as unknown;
          const pkix = tlsSocket.authorized ? { ok: true } : { ok: false, error: authError instanceof Error ? authError.message : String(authError ?? 'not trusted') };
          const c = daneCheck(records, chain, [host, ...(holder.names ?? [])], pkix);
          if (c.ok) return cb(null, socket);
          socket.destroy();
          // The failover loop reads the code (DANE_MISMATCH) and ends with ERR_DANE_MISMATCH when nothing else worked.
          cb(Object.assign(new Error(`DANE: ${c.why}`), { code: 'DANE_MISMATCH' }), null);
        });
      };
      const host = u.hostname;
      const tls = u.protocol === 'https:';
      const connect: buildConnector.connector = (opts, callback) => {
        const list = [...holder.addresses];
        const errors: Array<{ address: string; err: Error }> = [];
        let i = 0;
        const next = (): void => {
          const address = list[i++];
          if (address === undefined) {
            callback(connectError(errors, host), null);
            return;
          }
          base({ ...opts, hostname: address, ...(tls ? { servername: host } : {}) }, (err, socket) => {
            if (err !== null) {
              errors.push({ address, err });
              next();
              return;
            }
            this.connectionsOpened++;
            callback(null, socket);
          });
        };
        next();
      };
      holder.agent = new Agent({ connect, keepAliveTimeout: this.keepAliveMs, keepAliveMaxTimeout: this.keepAliveMs, connections: 8 });
      this.entries.set(origin, holder);
      entry = holder;
      // Bounded: the least recently used origin's pool is closed (its next request opens a new one).
      if (this.entries.size > MAX_ORIGINS) {
        const [oldest, old] = this.entries.entries().next().value as [string, OriginEntry];
        this.entries.delete(oldest);
        void old.agent.close().catch(() => undefined);
      }
    } else {
      // Most recently used last, for the bound above.
      this.entries.delete(origin);
      this.entries.set(origin, entry);
      if (addresses.length > 0) entry.addresses = [...addresses];
      if (tlsa !== undefined) entry.tlsa = tlsa;
      if (tlsa !== undefined) entry.names = [...(names ?? [])];
    }
    const agent = entry.agent;
    const limits = this.limits;
    // undici's fetch has its own Request/Response classes; at run time they are the web ones the SDK expects.
    return ((input: string | URL, init?: RequestInit) => trackedFetch(agent, input, init, limits, onTooLarge)) as unknown as FetchLike;
  }

  async close(): Promise<void> {
    const agents = [...this.entries.values()].map((e) => e.agent);
    this.entries.clear();
    await Promise.all(agents.map((a) => a.destroy().catch(() => undefined)));
  }
}

/** A fetch over undici's global dispatcher whose responses are held to `limits` (import-mcp's tools-list client). */
export function limitedFetch(limits: Partial<ReplyLimits> = {}): FetchLike {
  const l = replyLimits(limits);
  return ((input: string | URL, init?: RequestInit) => trackedFetch(getGlobalDispatcher(), input, init, l)) as unknown as FetchLike;
}

// ---- one fetch ----------------------------------------------------------------------------------
//
// The SDK's transport passes the same AbortSignal (its own, aborted by close()) to every fetch of a
// session. undici's Request adds an abort listener to that signal per request and removes it only
// when the Request is garbage-collected, so a busy session's signal carries thousands of listeners
// and every addEventListener walks them all (Node's EventTarget keeps a linked list). Instead each
// request gets its own controller, linked to the session's signal through one listener and a set,
// and taken out of the set when the HTTP exchange ends (the dispatcher's onResponseEnd/onResponseError).
//
// `redirect: 'manual'` (the hand-off never follows redirects) makes undici clone every request,
// teeing its body stream; `redirect: 'error'` with `window: null` does not clone. A 3xx then fails
// the fetch, so the status and headers are taken from the dispatcher and given back as the 3xx
// response 'manual' would have returned: the SDK sees the same response either way.

type FetchInit = NonNullable<Parameters<typeof undiciFetch>[1]>;
type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/** Requests in flight per caller signal: aborted together when it aborts. */
const inflight = new WeakMap<AbortSignal, Set<AbortController>>();

function linkTo(outer: AbortSignal, ac: AbortController): void {
  let set = inflight.get(outer);
  if (set === undefined) {
    const s = new Set<AbortController>();
    set = s;
    inflight.set(outer, s);
    outer.addEventListener('abort', () => {
      for (const c of s) c.abort(outer.reason);
      s.clear();
    }, { once: true });
  }
  set.add(ac);
}

/** What the dispatcher saw of one request. */
class Exchange {
  status = 0;
  statusText = '';
  headers?: IncomingHttpHeaders;
  ended = false;
  constructor(private readonly outer: AbortSignal | undefined, private readonly ac: AbortController | undefined, readonly onTooLarge?: (err: ReplyTooLargeError) => void) {}
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.outer !== undefined && this.ac !== undefined) inflight.get(this.outer)?.delete(this.ac);
  }
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts what one response brings against its limits: the body's bytes, or for text/event-stream
 * each event's bytes and the events (an event ends at an empty line: LF, CRLF or CR endings, as
 * the SSE spec has them; comment-only blocks count too). Returns an error once a limit is passed.
 */
class Meter {
  private sse = false;
  private bytes = 0;
  private events = 0;
  private lineLen = 0;
  private lastCR = false;
  constructor(private readonly limits: ReplyLimits) {}

  start(headers: IncomingHttpHeaders): void {
    const ct = headers['content-type'];
    const type = (Array.isArray(ct) ? ct[0] : ct)?.split(';', 1)[0]?.trim().toLowerCase();
    this.sse = type === 'text/event-stream';
  }

  add(chunk: Buffer): ReplyTooLargeError | undefined {
    const { maxReplyBytes, maxReplyEvents } = this.limits;
    if (!this.sse) {
      this.bytes += chunk.length;
      return this.bytes > maxReplyBytes ? new ReplyTooLargeError(`the reply is larger than ${maxReplyBytes} bytes (maxReplyBytes)`) : undefined;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF && this.lastCR) {
        this.lastCR = false;
        continue;
      }
      this.lastCR = b === CR;
      if (b === LF || b === CR) {
        if (this.lineLen === 0 && this.bytes > 0) {
          this.bytes = 0;
          if (++this.events > maxReplyEvents) return new ReplyTooLargeError(`the event stream sent more than ${maxReplyEvents} events (maxReplyEvents)`);
        }
        this.lineLen = 0;
        continue;
      }
      this.lineLen++;
      if (++this.bytes > maxReplyBytes) return new ReplyTooLargeError(`an event of the stream is larger than ${maxReplyBytes} bytes (maxReplyBytes)`);
    }
    return undefined;
  }
}

/** fetch's own dispatch handler (undici 8's controller API), watched: the status and headers, the size of the body, and the end of the exchange. */
class Watched implements Handler {
  private readonly meter: Meter;
  private stopped = false;
  constructor(private readonly h: Handler, private readonly x: Exchange, limits: ReplyLimits) {
    this.meter = new Meter(limits);
  }
  onRequestStart(controller: Controller, context: unknown): void {
    this.h.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.h.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onResponseStart(controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode >= 200) {
      this.x.status = statusCode;
      this.x.statusText = statusMessage ?? '';
      if (statusCode >= 300 && statusCode < 400) this.x.headers = headers;
      this.meter.start(headers);
    }
    this.h.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.stopped) return;
    const over = this.meter.add(chunk);
    if (over !== undefined) {
      // Aborted here, before fetch's body stream queues the chunk: memory holds at most one limit.
      this.stopped = true;
      controller.abort(over);
      this.x.onTooLarge?.(over);
      return;
    }
    this.h.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void {
    this.x.end();
    this.h.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Controller, err: Error): void {
    this.x.end();
    this.h.onResponseError?.(controller, err);
  }
}

function headersOf(headers: IncomingHttpHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, one]);
  }
  return out;
}

/**
 * `onTooLarge` hears of a response aborted at its limits: the SDK reports a broken SSE stream
 * only through onerror, in words, so the hand-off learns of it here and ends the call at once.
 */
async function trackedFetch(agent: Dispatcher, input: string | URL, init: RequestInit | undefined, limits: ReplyLimits, onTooLarge?: (err: ReplyTooLargeError) => void): Promise<UndiciResponse> {
  const outer = init?.signal ?? undefined;
  const ac = outer === undefined || outer.aborted ? undefined : new AbortController();
  const x = new Exchange(outer, ac, onTooLarge);
  if (outer !== undefined && ac !== undefined) linkTo(outer, ac);
  const manual = init?.redirect === 'manual';
  const hops = hopCount.getStore();
  if (hops !== undefined) {
    const headers = new Headers(init?.headers);
    headers.set(HOPS_HEADER, String(hops));
    init = { ...init, headers };
  }
  const dispatcher = {
    isMockActive: false,
    dispatch: (opts: Dispatcher.DispatchOptions, handler: Handler) => agent.dispatch(opts, new Watched(handler, x, limits)),
  } as unknown as Dispatcher;
  const opts: FetchInit = {
    ...(init as FetchInit),
    dispatcher,
    ...(ac !== undefined ? { signal: ac.signal } : {}),
    ...(manual ? { redirect: 'error', window: null } : {}),
  };
  try {
    return await undiciFetch(input, opts);
  } catch (err) {
    x.end();
    if (manual && x.status >= 300 && x.status < 400 && !(ac?.signal.aborted ?? false)) {
      // The redirect 'manual' would have returned, body-less: never followed.
      return new UndiciResponse(null, { status: x.status, statusText: x.statusText, headers: headersOf(x.headers ?? {}) });
    }
    throw err;
  }
  // Resolved: the body may still be streaming; the handler's onResponseEnd/onResponseError ends the exchange.
}
