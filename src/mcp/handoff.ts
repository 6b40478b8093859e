// The hand-off: agent name -> card (DNS, cached by TTL) -> an MCP tools/call at one of its
// endpoints, tried by priority and weight, with failover, retries, a deadline and a circuit breaker.

import { deadlineSignal, sleep } from '../base/time.js';
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { orderEndpoints, type AgentCard, type AgentEndpoint } from '../agent/index.js';
import { nameKey } from '../wire/name.js';
import { CircuitBreaker, type BreakerOptions } from './breaker.js';
import type { Metrics } from '../base/metrics.js';
import { describeAttempts, HandOffError, type Attempt } from './errors.js';
import { isLoopback, isLocal, sameHost } from './address.js';
import { hopCount, OriginPools, ReplyTooLargeError, replyLimits } from './http.js';
import { silentLogger, type Logger } from '../base/log.js';
import type { DnsLookup } from './lookup.js';
import { resolveAgent, type ResolvedAgent } from './resolve.js';
import { locateEndpoint, MAX_DESCRIPTOR_BYTES } from './locate.js';
import { rootCertificates } from 'node:tls';
import { readFileSync } from 'node:fs';

export type { Attempt } from './errors.js';
export { isLoopback } from './address.js';

export interface HandOffOptions {
  lookup: DnsLookup;
  /** 'loopback' (default): http:// only to loopback addresses; 'any': allowed everywhere; 'none': https only. */
  allowHttp?: 'loopback' | 'any' | 'none';
  /**
   * The zones whose agents may have endpoints on loopback addresses (any scheme): the zones this
   * host serves itself, so a record from elsewhere cannot aim the hand-off at a local port. A zone
   * is the one whose SOA holds the agent's records (card.zone), matched exactly. A function is
   * asked on every call (a reloaded catalog); 'any' allows loopback for every zone. Default none.
   */
  loopbackZones?: 'any' | Iterable<string> | (() => Iterable<string>);
  /** The aop-hops header on every request, unless a call says otherwise (a gateway gives 1). Default: no header. */
  hops?: number;
  /** Addresses and ports never contacted whatever the records say: the caller's own listeners (a gateway, its DNS server). */
  selfAddresses?: () => Iterable<{ address: string; port: number }>;
  /** Per-call deadline in milliseconds, resolution included. Default 30000. */
  timeoutMs?: number;
  /** Retries per endpoint for transient failures (HTTP 503, connection reset), with jittered backoff. Default 2. */
  retries?: number;
  logger?: Logger;
  /** Milliseconds to open a session at one endpoint (TCP connect, MCP initialize, tools/list). Default 5000. */
  connectTimeoutMs?: number;
  /** First backoff delay in milliseconds; doubled per retry, jittered. Default 100. */
  backoffMs?: number;
  breaker?: BreakerOptions;
  /** Random source in [0, 1) for endpoint order and jitter; inject in tests. */
  random?: () => number;
  /** Cards cached at most (each for its records' TTL). Default 1000. */
  cacheSize?: number;
  /** The clientInfo sent in MCP initialize. */
  clientInfo?: { name: string; version: string };
  /** Largest response body, and largest SSE event, in bytes: past it the reply is cut off (ERR_REPLY_TOO_LARGE). Default 4 MiB. */
  maxReplyBytes?: number;
  /** Most SSE events one response may carry (ERR_REPLY_TOO_LARGE past it). Default 10000. */
  maxReplyEvents?: number;
  /** Calls by agent and outcome, their latency, and the breakers' states go here (base/metrics.ts). */
  metrics?: Metrics;
  /** CA certificates (PEM text) to trust besides the system roots, for https endpoints and capability documents (`aop call --ca`). */
  ca?: string;
}

/** The system roots, NODE_EXTRA_CA_CERTS and `extra`: giving undici a `ca` list replaces Node's defaults, so they are all listed. */
export function trustedCas(extra: string): string[] {
  const list = [...rootCertificates, extra];
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file) {
    try {
      list.push(readFileSync(file, 'utf8'));
    } catch {
      // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start.
    }
  }
  return list;
}

/**
 * The tool a call uses: the one asked for, else the record's, else (a DNS-AID record names none)
 * the endpoint's only tool. Throws ERR_HANDOFF_USAGE (a usage error: say --tool) when it lists several, ERR_TOOL_MISSING when none.
 */
export function chooseTool(card: AgentCard, tools: readonly Tool[], asked: string | undefined, url: string): string {
  const named = asked ?? card.tool;
  if (named !== undefined) return named;
  if (tools.length === 1) return tools[0]!.name;
  if (tools.length === 0) throw new HandOffError('ERR_TOOL_MISSING', `${card.name}: the record names no tool and ${url} lists none`, { agent: card.name });
  throw new HandOffError('ERR_HANDOFF_USAGE', `${card.name}: the record names no tool and ${url} lists ${tools.length}: ${tools.map((t) => t.name).join(', ')}; pick one with --tool`, { agent: card.name });
}

export interface CallOutcome {
  result: CallToolResult;
  /** The tool called: the one asked for, the record's, or the endpoint's only tool. */
  tool: string;
  card: AgentCard;
  /** The URL of the endpoint that answered. */
  endpoint: string;
  /** Every endpoint try, in order, the successful one last. */
  attempts: Attempt[];
}

export interface CallOptions {
  signal?: AbortSignal;
  /** This call's deadline in milliseconds instead of the HandOff's. */
  timeoutMs?: number;
  /** Call this tool instead of the one the record names (it must be in the endpoint's tools/list). */
  tool?: string;
  /** Gateways this call has come through (a gateway passes its incoming count + 1): sent as the aop-hops header. */
  hops?: number;
}

export interface ToolsOutcome {
  tools: Tool[];
  card: AgentCard;
  /** The URL of the endpoint whose tools/list this is. */
  endpoint: string;
  /** Every endpoint try, in order, the successful one last. */
  attempts: Attempt[];
}

/** What one operation got from the endpoint that answered. */
interface Reached<T> {
  value: T;
  card: AgentCard;
  endpoint: string;
  attempts: Attempt[];
}

/** One try of an operation at one endpoint; a SetupFailure says the session could not be opened. */
type EndpointOp<T> = (e: AgentEndpoint, card: AgentCard, signal: AbortSignal, deadlineAt: number) => Promise<T>;

interface Session {
  url: string;
  client: Client;
  transport: StreamableHTTPClientTransport;
  tools: Tool[];
  /** Rejects when a response of the session passed its limits (the SDK only logs a broken SSE stream). */
  overflow: Promise<never>;
}

/** A promise that rejects with the first error `report` is given; unhandled rejections are not raised. */
function tripwire(): { promise: Promise<never>; report(err: Error): void } {
  let report: (err: Error) => void = () => undefined;
  const promise = new Promise<never>((_, reject) => { report = reject; });
  promise.catch(() => undefined);
  return { promise, report };
}

/** What to do after a failed try of one endpoint. */
type Verdict =
  | { kind: 'session'; code: string; message: string }
  | { kind: 'transient'; code: string; message: string }
  | { kind: 'failover'; code: string; message: string }
  | { kind: 'final'; error: HandOffError };

/** A failure while opening the session (connect, initialize, tools/list): nothing reached the tool yet. */
class SetupFailure {
  constructor(readonly error: unknown) {}
}

/** Open MCP sessions kept at most (one per endpoint URL). */
const MAX_SESSIONS = 256;

const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** The first of `err` and its causes (five deep) that `pick` gives a value for. */
function inCauses<T>(err: unknown, pick: (e: object) => T | undefined): T | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const v = pick(e);
    if (v !== undefined) return v;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The string `code` of an error or of one of its causes (fetch wraps socket errors in TypeError). */
function causeCode(err: unknown): string | undefined {
  return inCauses(err, (e) => {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  });
}

/** The ReplyTooLargeError an error is or was caused by (fetch's body stream fails with TypeError: terminated). */
function tooLarge(err: unknown): ReplyTooLargeError | undefined {
  return inCauses(err, (e) => (e instanceof ReplyTooLargeError ? e : undefined));
}

/** A zone name as compared: lower case, no final dot ('' for the root or a non-name). */
function zoneKey(zone: string): string {
  return zone.toLowerCase().replace(/\.+$/, '');
}

function causeMessage(err: unknown): string {
  let e: unknown = err;
  let msg = err instanceof Error ? err.message : String(err);
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e.cause instanceof Error && e.message === 'fetch failed') msg = e.cause.message;
    e = e.cause;
  }
  return msg;
}

function toolText(result: CallToolResult): string {
  return result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}

export class HandOff {
  private readonly lookup: DnsLookup;
  private readonly allowHttp: 'loopback' | 'any' | 'none';
  private readonly loopbackZones: () => Set<string> | 'any';
  private readonly selfAddresses: () => Iterable<{ address: string; port: number }>;
  private readonly hops: number | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly connectTimeoutMs: number;
  private readonly backoffMs: number;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly clientInfo: { name: string; version: string };
  private readonly cards: LRUCache<string, ResolvedAgent>;
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly pools: OriginPools;
  /** For capability documents and agent cards: their own, smaller, size limit. */
  private readonly docs: OriginPools;
  readonly breaker: CircuitBreaker;
  private readonly metrics: Metrics | undefined;
  private closed = false;

  constructor(opts: HandOffOptions) {
    if (typeof opts?.lookup?.query !== 'function') throw new HandOffError('ERR_HANDOFF_USAGE', 'HandOff needs a lookup (a DnsLookup)');
    const ms = (what: string, v: number | undefined, dflt: number, min = 1): number => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || x < min || x > 0x7fffffff) throw new HandOffError('ERR_HANDOFF_USAGE', `${what} ${String(v)} is not a whole number in ${min}..2147483647`);
      return x;
    };
    this.lookup = opts.lookup;
    this.allowHttp = opts.allowHttp ?? 'loopback';
    if (!['loopback', 'any', 'none'].includes(this.allowHttp)) throw new HandOffError('ERR_HANDOFF_USAGE', `allowHttp "${String(opts.allowHttp)}" is not loopback, any or none`);
    const lz = opts.loopbackZones ?? [];
    const keys = (zones: Iterable<string>): Set<string> => new Set([...zones].map(zoneKey).filter((z) => z !== ''));
    if (lz === 'any') this.loopbackZones = () => 'any';
    else if (typeof lz === 'function') this.loopbackZones = () => keys(lz());
    else {
      const fixed = keys(lz);
      this.loopbackZones = () => fixed;
    }
    this.selfAddresses = opts.selfAddresses ?? (() => []);
    this.hops = opts.hops;
    this.timeoutMs = ms('timeoutMs', opts.timeoutMs, 30_000);
    this.retries = ms('retries', opts.retries, 2, 0);
    if (this.retries > 10) throw new HandOffError('ERR_HANDOFF_USAGE', `retries ${this.retries} is more than 10`);
    this.connectTimeoutMs = ms('connectTimeoutMs', opts.connectTimeoutMs, 5000);
    this.backoffMs = ms('backoffMs', opts.backoffMs, 100, 0);
    this.log = opts.logger ?? silentLogger;
    this.random = opts.random ?? Math.random;
    this.clientInfo = opts.clientInfo ?? { name: 'aop-handoff', version: '0.1.0' };
    this.cards = new LRUCache({ max: ms('cacheSize', opts.cacheSize, 1000) });
    if (opts.ca !== undefined && (typeof opts.ca !== 'string' || !opts.ca.includes('-----BEGIN CERTIFICATE-----'))) throw new HandOffError('ERR_HANDOFF_USAGE', 'ca holds no PEM certificate');
    const ca = opts.ca === undefined ? {} : { ca: trustedCas(opts.ca) };
    try {
      this.pools = new OriginPools({ connectTimeoutMs: this.connectTimeoutMs, limits: replyLimits({ maxReplyBytes: opts.maxReplyBytes, maxReplyEvents: opts.maxReplyEvents }), ...ca });
      this.docs = new OriginPools({ connectTimeoutMs: this.connectTimeoutMs, limits: { maxReplyBytes: MAX_DESCRIPTOR_BYTES }, ...ca });
    } catch (err) {
      throw new HandOffError('ERR_HANDOFF_USAGE', (err as Error).message);
    }
    this.breaker = new CircuitBreaker(opts.breaker);
    this.metrics = opts.metrics;
    opts.metrics?.addBreakers(() => this.breaker.counts());
  }

  /** TCP connections the hand-off has opened so far (all endpoints). */
  get connectionsOpened(): number {
    return this.pools.connectionsOpened;
  }

  /** The agent card for `name`, from the cache while its records' TTL lasts. */
  async resolve(name: string, opts: { signal?: AbortSignal } = {}): Promise<AgentCard> {
    return (await this.resolveAgent(name, opts)).card;
  }

  /** The card plus the alias names followed and the TTL it is cached for. */
  async resolveAgent(name: string, opts: { signal?: AbortSignal } = {}): Promise<ResolvedAgent> {
    this.checkOpen();
    const d = deadlineSignal(this.timeoutMs, opts.signal);
    try {
      return await this.guard(d.signal, opts.signal, () => this.cached(name, d.signal));
    } finally {
      d.dispose();
    }
  }

  /** The cache, else the DNS; aborts with the signal's reason (the caller's guard names it). */
  private async cached(name: string, signal: AbortSignal): Promise<ResolvedAgent> {
    let key = '';
    try {
      key = nameKey(name.endsWith('.') ? name : `${name}.`);
    } catch {
      // Not a name: resolveAgent below says why.
    }
    const hit = key === '' ? undefined : this.cards.get(key);
    if (hit !== undefined) return hit;
    let resolved = await resolveAgent(this.lookup, name, { signal });
    if (resolved.card.form === 'dns-aid') {
      // A DNS-AID record carries no path: the cap document, the agent card or /mcp says it (locate.ts).
      const card = await locateEndpoint(resolved.card, {
        lookup: this.lookup, pools: this.docs, loopbackOk: this.loopbackOk(resolved.card), self: [...this.selfAddresses()], timeoutMs: this.connectTimeoutMs, signal,
      });
      resolved = { ...resolved, card };
    }
    if (resolved.ttl > 0 && key !== '') this.cards.set(key, resolved, { ttl: resolved.ttl * 1000 });
    return resolved;
  }

  /** Forget a cached card, so the next call asks the DNS again. */
  forget(name: string): void {
    try {
      this.cards.delete(nameKey(name.endsWith('.') ? name : `${name}.`));
    } catch {
      // Not a name: nothing cached under it.
    }
  }

  /**
   * Call the agent's tool with `args`. Resolves with the result from the first endpoint that
   * answers; rejects with HandOffError (see errors.ts for the codes). A tool result with isError
   * rejects with ERR_TOOL_ERROR, the result in `error.result`.
   */
  async call(name: string, args: Record<string, unknown>, opts: CallOptions = {}): Promise<CallOutcome> {
    const m = this.metrics;
    if (!m) return this.callOnce(name, args, opts);
    const t0 = performance.now();
    let outcome = 'ok';
    try {
      return await this.callOnce(name, args, opts);
    } catch (err) {
      // The error codes are a fixed set (errors.ts); anything else is one label value.
      const code = (err as { code?: unknown }).code;
      outcome = typeof code === 'string' && /^ERR_[A-Z_]{1,40}$/.test(code) ? code : 'error';
      throw err;
    } finally {
      const labels = { agent: m.agent(name), outcome };
      m.handoffCalls.inc(labels);
      m.handoffDuration.observe(labels, (performance.now() - t0) / 1000);
    }
  }

  private async callOnce(name: string, args: Record<string, unknown>, opts: CallOptions): Promise<CallOutcome> {
    this.checkOpen();
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new HandOffError('ERR_HANDOFF_USAGE', 'tool arguments must be an object of name: value');
    }
    if (opts.tool !== undefined && (typeof opts.tool !== 'string' || opts.tool.length === 0)) throw new HandOffError('ERR_HANDOFF_USAGE', 'tool must be a non-empty string');
    const o = await this.withHops(opts.hops, () => this.atEndpoints(name, opts, (e, card, signal, deadlineAt) => this.callOn(e, card, opts.tool, args, signal, deadlineAt)));
    const { result, tool } = o.value;
    if (result.isError === true) {
      throw new HandOffError('ERR_TOOL_ERROR', `${o.card.name}: tool ${tool} returned an error: ${toolText(result) || '(no text)'}`, { tried: o.attempts, agent: o.card.name, result });
    }
    return { result, tool, card: o.card, endpoint: o.endpoint, attempts: o.attempts };
  }

  /** The tools/list of the agent's first reachable endpoint (input schemas included). */
  async listTools(name: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Tool[]> {
    return (await this.listToolsOutcome(name, opts)).tools;
  }

  /**
   * listTools with the card, the endpoint that answered and every try: endpoints are chosen, failed
   * over, retried (HTTP 503 on initialize, ...) and guarded by the breaker and the deadline as calls are.
   * The session it opens is the one a later call to that endpoint reuses.
   */
  async listToolsOutcome(name: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ToolsOutcome> {
    this.checkOpen();
    const o = await this.withHops(undefined, () => this.atEndpoints(name, opts, async (e, _card, signal) => {
      try {
        return (await this.session(e, signal)).tools;
      } catch (err) {
        throw new SetupFailure(err);
      }
    }));
    return { tools: o.value, card: o.card, endpoint: o.endpoint, attempts: o.attempts };
  }

  /**
   * The frame of every operation at an agent's endpoints: the deadline (resolution included), the
   * card from the cache or the DNS, the endpoint loop (tryEndpoints), and a forgotten card when no
   * endpoint could be reached (they may have moved: ask the DNS afresh next time).
   */
  private async atEndpoints<T>(name: string, opts: { signal?: AbortSignal; timeoutMs?: number }, op: EndpointOp<T>): Promise<Reached<T>> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 0x7fffffff) throw new HandOffError('ERR_HANDOFF_USAGE', `timeoutMs ${String(timeoutMs)} is not a whole number in 1..2147483647`);
    const deadlineAt = performance.now() + timeoutMs;
    const d = deadlineSignal(timeoutMs, opts.signal);
    const signal = d.signal;
    try {
      return await this.guard(signal, opts.signal, async () => {
        const card = (await this.cached(name, signal)).card;
        try {
          return await this.tryEndpoints(card, signal, deadlineAt, (tried) => this.abortError(opts.signal, timeoutMs, tried, card.name), op);
        } catch (err) {
          if (err instanceof HandOffError && err.code === 'ERR_ENDPOINT_UNREACHABLE') this.forget(name);
          throw err;
        }
      }, timeoutMs);
    } finally {
      d.dispose();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(async (p) => {
      const s = await p.catch(() => undefined);
      if (s) await this.endSession(s, true);
    }));
    await Promise.all([this.pools.close(), this.docs.close()]);
  }

  /** Run `fn` with the hop count (the call's, else the HandOff's) on every request it makes: fetch reads it from the async context. */
  private withHops<T>(hops: number | undefined, fn: () => Promise<T>): Promise<T> {
    const n = hops ?? this.hops;
    if (n === undefined) return fn();
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new HandOffError('ERR_HANDOFF_USAGE', `hops ${String(n)} is not a whole number in 0..255`);
    return hopCount.run(n, fn);
  }

  private checkOpen(): void {
    if (this.closed) throw new HandOffError('ERR_HANDOFF_CLOSED', 'the hand-off is closed');
  }

  /** Run `fn`, turning an abort of `signal` into ERR_CALL_TIMEOUT or ERR_CALL_ABORTED. */
  private async guard<T>(signal: AbortSignal, caller: AbortSignal | undefined, fn: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted && !(err instanceof HandOffError && err.code !== 'ERR_LOOKUP_FAILED')) throw this.abortError(caller, timeoutMs, undefined);
      throw err;
    }
  }

  /** Whether the card's zone may have loopback endpoints (loopbackZones). */
  private loopbackOk(card: AgentCard): boolean {
    const zones = this.loopbackZones();
    return zones === 'any' || (card.zone !== undefined && zones.has(zoneKey(card.zone)));
  }

  /** The endpoints in the order to try, those the policy refuses or that have no address recorded in `tried`. */
  private candidates(card: AgentCard, tried: Attempt[]): AgentEndpoint[] {
    const out: AgentEndpoint[] = [];
    // The policy's inputs, once per card: the caller's listeners, and whether this card's zone may use loopback.
    const self = [...this.selfAddresses()];
    const loopbackOk = this.loopbackOk(card);
    for (const e of orderEndpoints(card.endpoints, this.random)) {
      const addrs = e.addresses ?? [];
      if (e.transport !== 'streamable-http') {
        tried.push({ url: e.url, ok: false, code: 'UNSUPPORTED_TRANSPORT', error: `transport ${e.transport} is not supported (streamable-http only)`, ms: 0 });
        continue;
      }
      if (addrs.length === 0) {
        tried.push({ url: e.url, ok: false, code: 'NO_ADDRESS', error: `no A/AAAA record for ${e.host}`, ms: 0 });
        continue;
      }
      const why = this.refusal(card, e, addrs, self, loopbackOk);
      if (why !== undefined) {
        tried.push({ url: e.url, ok: false, code: why.code, error: why.error, ms: 0 });
        continue;
      }
      out.push(e);
    }
    return out;
  }

  /**
   * Why policy refuses an endpoint, or undefined: one of the caller's own addresses (REFUSED_SELF),
   * loopback for an agent of a zone not served here (REFUSED_LOOPBACK), plain http where not allowed (REFUSED_HTTP).
   */
  private refusal(card: AgentCard, e: AgentEndpoint, addrs: readonly string[], self: ReadonlyArray<{ address: string; port: number }>, loopbackOk: boolean): { code: string; error: string } | undefined {
    const port = e.port;
    const own = addrs.filter((a) => self.some((s) => s.port === port && sameHost(s.address, a)));
    if (own.length > 0) return { code: 'REFUSED_SELF', error: `${own.join(', ')} port ${port} is this host's own listener (a gateway or its DNS server): never called` };
    const local = addrs.filter(isLocal);
    if (local.length > 0 && !loopbackOk) {
      return {
        code: 'REFUSED_LOOPBACK',
        error: `loopback address ${local.join(', ')} for an agent of ${card.zone === undefined ? 'an unknown zone' : `zone ${card.zone}`}, which this host does not serve, is not allowed`,
      };
    }
    if (e.scheme === 'http') {
      const why = this.allowHttp === 'none' ? 'plain http is not allowed (allowHttp: none)'
        : this.allowHttp === 'loopback' && !addrs.every(isLoopback) ? `plain http to a non-loopback address (${addrs.filter((a) => !isLoopback(a)).join(', ')}) is not allowed`
        : undefined;
      if (why !== undefined) return { code: 'REFUSED_HTTP', error: why };
    }
    return undefined;
  }

  private noEndpoint(card: AgentCard, tried: Attempt[]): HandOffError {
    const refused = tried.length > 0 && tried.every((a) => a.code === 'REFUSED_HTTP' || a.code === 'REFUSED_LOOPBACK' || a.code === 'REFUSED_SELF');
    if (refused) return new HandOffError('ERR_ENDPOINT_REFUSED', `${card.name}: every endpoint refused by policy: ${describeAttempts(tried)}`, { tried, agent: card.name });
    if (tried.length === 0) return new HandOffError('ERR_ENDPOINT_UNREACHABLE', `${card.name}: no endpoint to try`, { tried, agent: card.name });
    return new HandOffError('ERR_ENDPOINT_UNREACHABLE', `${card.name}: no endpoint could be reached: ${describeAttempts(tried)}`, { tried, agent: card.name });
  }

  /** ERR_CALL_ABORTED when the caller aborted, else ERR_CALL_TIMEOUT. */
  private abortError(caller: AbortSignal | undefined, timeoutMs: number, tried: Attempt[] | undefined, agent?: string): HandOffError {
    const extra = { ...(tried ? { tried } : {}), ...(agent ? { agent } : {}) };
    if (caller?.aborted) {
      const why = caller.reason instanceof Error ? caller.reason.message : String(caller.reason);
      return new HandOffError('ERR_CALL_ABORTED', `the call was aborted: ${why}`, { ...extra, cause: caller.reason });
    }
    return new HandOffError('ERR_CALL_TIMEOUT', `${agent ? `${agent}: ` : ''}no answer within ${timeoutMs} ms`, extra);
  }

  /**
   * Run `op` at the card's endpoints in call order until one succeeds: policy and circuit skips,
   * failover, transient retries with jittered backoff within the deadline, one new session on a 404,
   * and the breaker told how each endpoint did. Throws ERR_ENDPOINT_UNREACHABLE (or _REFUSED) with
   * `tried` when none did, and at once on an answer from the agent or the deadline.
   */
  private async tryEndpoints<T>(card: AgentCard, signal: AbortSignal, deadlineAt: number, aborted: (tried: Attempt[]) => HandOffError, op: EndpointOp<T>): Promise<Reached<T>> {
    const tried: Attempt[] = [];
    const candidates = this.candidates(card, tried);
    for (const e of candidates) {
      if (!this.breaker.allow(e.url)) {
        tried.push({ url: e.url, ok: false, code: 'CIRCUIT_OPEN', error: `circuit open (${this.breaker.retryInMs(e.url)} ms to the next probe)`, ms: 0 });
        continue;
      }
      let reported = false;
      const report = (ok: boolean): void => {
        if (reported) return;
        reported = true;
        if (ok) this.breaker.success(e.url);
        else this.breaker.failure(e.url);
      };
      try {
        let sessionRetried = false;
        for (let attempt = 0; ; attempt++) {
          const t0 = performance.now();
          try {
            const value = await op(e, card, signal, deadlineAt);
            tried.push({ url: e.url, ok: true, ms: Math.round(performance.now() - t0) });
            report(true);
            return { value, card, endpoint: e.url, attempts: tried };
          } catch (caught) {
            const phase = caught instanceof SetupFailure ? 'setup' : 'call';
            const err = caught instanceof SetupFailure ? caught.error : caught;
            if (err instanceof HandOffError) {
              // An answer from the agent (tool missing, tool error): the endpoint works.
              if (err.code === 'ERR_TOOL_MISSING' || err.code === 'ERR_TOOL_ERROR' || err.code === 'ERR_HANDOFF_USAGE') report(true);
              if (err.tried !== undefined) throw err;
              tried.push({ url: e.url, ok: false, code: err.code, error: err.message, ms: Math.round(performance.now() - t0) });
              throw new HandOffError(err.code, err.message, { tried, agent: card.name, cause: err.cause, ...(err.result ? { result: err.result } : {}) });
            }
            if (signal.aborted) {
              const e2 = aborted(tried);
              tried.push({ url: e.url, ok: false, code: e2.code, error: e2.message, ms: Math.round(performance.now() - t0) });
              // The request may still be pending on that session: drop it, which closes its HTTP stream.
              await this.dropSession(e.url);
              throw e2;
            }
            const v = this.classify(err, phase, signal);
            const ms = Math.round(performance.now() - t0);
            if (v.kind === 'final') {
              tried.push({ url: e.url, ok: false, code: v.error.code, error: v.error.message, ms });
              // A reply cut off at its limits leaves the session mid-stream: close it (and its connection).
              if (v.error.code === 'ERR_REPLY_TOO_LARGE') await this.dropSession(e.url);
              throw new HandOffError(v.error.code, v.error.message, { tried, agent: card.name, cause: err });
            }
            tried.push({ url: e.url, ok: false, code: v.code, error: v.message, ms });
            await this.dropSession(e.url);
            if (v.kind === 'session' && !sessionRetried) {
              sessionRetried = true;
              attempt--;
              this.log.info(`hand-off: ${e.url}: ${v.message}; opening a new session`);
              continue;
            }
            if ((v.kind === 'transient' || v.kind === 'session') && attempt < this.retries) {
              const delay = this.backoffMs * 2 ** attempt * (0.5 + this.random());
              if (performance.now() + delay < deadlineAt) {
                this.log.info(`hand-off: ${e.url}: ${v.message}; retry ${attempt + 1} of ${this.retries} in ${Math.round(delay)} ms`);
                try {
                  await sleep(delay, signal);
                } catch {
                  throw aborted(tried);
                }
                continue;
              }
            }
            this.log.warn(`hand-off: ${card.name}: ${e.url}: ${v.message}`);
            report(false);
            break;
          }
        }
      } finally {
        // Aborted mid-try: count it against the endpoint, so a half-open probe never stays pending.
        if (!reported) report(false);
      }
    }
    throw this.noEndpoint(card, tried);
  }

  private async callOn(e: AgentEndpoint, card: AgentCard, asked: string | undefined, args: Record<string, unknown>, signal: AbortSignal, deadlineAt: number): Promise<{ result: CallToolResult; tool: string }> {
    let s: Session;
    try {
      s = await this.session(e, signal);
    } catch (err) {
      throw new SetupFailure(err);
    }
    const tool = chooseTool(card, s.tools, asked, e.url);
    if (!s.tools.some((t) => t.name === tool)) {
      const names = s.tools.map((t) => t.name);
      throw new HandOffError('ERR_TOOL_MISSING', `${card.name}: ${e.url} has no tool "${tool}" (tools/list: ${names.length > 0 ? names.join(', ') : 'none'})`, { agent: card.name });
    }
    const timeout = Math.max(1, Math.round(deadlineAt - performance.now()));
    try {
      return { result: await Promise.race([s.client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout }), s.overflow]) as CallToolResult, tool };
    } catch (err) {
      if (err instanceof McpError && err.code !== ErrorCode.RequestTimeout && err.code !== ErrorCode.ConnectionClosed) {
        throw new HandOffError('ERR_TOOL_ERROR', `${card.name}: tool ${tool} failed at ${e.url}: ${err.message}`, { agent: card.name, cause: err });
      }
      throw err;
    }
  }

  /** The session at the endpoint's URL, opened (initialize + tools/list) when there is none. */
  private async session(e: AgentEndpoint, signal: AbortSignal): Promise<Session> {
    const existing = this.sessions.get(e.url);
    if (existing !== undefined) {
      try {
        return await existing;
      } catch {
        // A failed opening is not reused: open afresh below.
      }
    }
    const p = this.openSession(e, signal);
    this.sessions.set(e.url, p);
    // Bounded: a gateway may call many agents; the least recently opened session goes first.
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined && oldest !== e.url) void this.dropSession(oldest);
    }
    try {
      return await p;
    } catch (err) {
      if (this.sessions.get(e.url) === p) this.sessions.delete(e.url);
      throw err;
    }
  }

  private async openSession(e: AgentEndpoint, signal: AbortSignal): Promise<Session> {
    const overflow = tripwire();
    const fetch = this.pools.fetchFor(e.url, e.addresses ?? [], overflow.report);
    const transport = new StreamableHTTPClientTransport(new URL(e.url), {
      fetch,
      // Only the endpoints a record names are contacted: no redirects.
      requestInit: { redirect: 'manual' },
      reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
    });
    const client = new Client(this.clientInfo, { capabilities: {} });
    client.onerror = (err) => this.log.debug(`hand-off: ${e.url}: ${err.message}`);
    const setup = AbortSignal.any([signal, AbortSignal.timeout(this.connectTimeoutMs)]);
    try {
      await Promise.race([client.connect(transport, { signal: setup, timeout: this.connectTimeoutMs }), overflow.promise]);
      const { tools } = await Promise.race([client.listTools(undefined, { signal: setup, timeout: this.connectTimeoutMs }), overflow.promise]);
      const session: Session = { url: e.url, client, transport, tools, overflow: overflow.promise };
      // client.onclose, not transport.onclose: the Protocol owns the transport's handler.
      client.onclose = () => {
        void this.sessions.get(e.url)?.then((s) => { if (s === session) this.sessions.delete(e.url); }, () => undefined);
      };
      return session;
    } catch (err) {
      await client.close().catch(() => undefined);
      if (!signal.aborted && setup.aborted) {
        throw Object.assign(new Error(`no MCP session within ${this.connectTimeoutMs} ms`), { code: 'CONNECT_TIMEOUT' });
      }
      throw err;
    }
  }

  private async dropSession(url: string): Promise<void> {
    const p = this.sessions.get(url);
    if (p === undefined) return;
    this.sessions.delete(url);
    const s = await p.catch(() => undefined);
    if (s) await this.endSession(s, false);
  }

  private async endSession(s: Session, polite: boolean): Promise<void> {
    if (polite && s.transport.sessionId !== undefined) {
      // Tell the server the session is over (HTTP DELETE), but never wait long for it.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        s.transport.terminateSession().catch(() => undefined),
        new Promise<void>((r) => { timer = setTimeout(r, 1000); }),
      ]);
      clearTimeout(timer);
    }
    await s.client.close().catch(() => undefined);
  }

  /** Sort one failed try: open a new session, retry here, go to the next endpoint, or stop. */
  private classify(err: unknown, phase: 'setup' | 'call', signal: AbortSignal): Verdict {
    if (err instanceof HandOffError) return { kind: 'final', error: err };
    const big = tooLarge(err);
    if (big !== undefined) return { kind: 'final', error: new HandOffError('ERR_REPLY_TOO_LARGE', `the reply was cut off: ${big.message}`, { cause: big }) };
    if (err instanceof StreamableHTTPError) {
      const status = err.code ?? 0;
      if (status === 404 && phase === 'call') return { kind: 'session', code: 'HTTP_404', message: 'HTTP 404: the session has expired' };
      if (status === 508) return { kind: 'final', error: new HandOffError('ERR_HOP_LIMIT', `the endpoint refused the call: it came through too many gateways (HTTP 508)${err.message ? `: ${err.message.slice(0, 200)}` : ''}`, { cause: err }) };
      if (status === 503 || status === 429) return { kind: 'transient', code: `HTTP_${status}`, message: `HTTP ${status}` };
      if (status === -1) return { kind: 'final', error: new HandOffError('ERR_BAD_AGENT_REPLY', `not an MCP reply: ${err.message}`, { cause: err }) };
      return { kind: 'failover', code: `HTTP_${status}`, message: `HTTP ${status}${err.message ? `: ${err.message.slice(0, 200)}` : ''}` };
    }
    if (err instanceof McpError) {
      if (err.code === ErrorCode.RequestTimeout) {
        if (phase === 'setup') return { kind: 'failover', code: 'CONNECT_TIMEOUT', message: err.message };
        return { kind: 'final', error: new HandOffError('ERR_CALL_TIMEOUT', `no answer: ${err.message}`, { cause: err }) };
      }
      if (err.code === ErrorCode.ConnectionClosed) return { kind: 'transient', code: 'CONNECTION_CLOSED', message: err.message };
      return { kind: 'failover', code: `MCP_${err.code}`, message: `MCP error ${err.code}: ${err.message}` };
    }
    const name = (err as { name?: unknown } | null)?.name;
    if (err instanceof SyntaxError || name === 'ZodError' || name === '$ZodError') {
      return { kind: 'final', error: new HandOffError('ERR_BAD_AGENT_REPLY', `not an MCP reply: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`, { cause: err }) };
    }
    const code = causeCode(err) ?? 'ERROR';
    const message = causeMessage(err);
    if (signal.aborted) return { kind: 'failover', code: 'ABORTED', message };
    if (TRANSIENT_CODES.has(code)) return { kind: 'transient', code, message };
    return { kind: 'failover', code, message };
  }
}
