// The hand-off: agent name -> card (DNS, cached by TTL) -> an MCP tools/call at one of its
// endpoints, tried by priority and weight, with failover, retries, a deadline and a circuit breaker.
// This is the facade; its parts live in handoff/: endpoint policy and order (policy.ts), the MCP
// sessions (sessions.ts), the failover loop (failover.ts), the failure classifier (classify.ts),
// the abort plumbing (abort.ts), tool choice (tool.ts) and the CA list (trust.ts).

import { deadlineSignal } from '../base/time.js';
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import { ErrorCode, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AgentCard, AgentEndpoint } from '../agent/index.js';
import { nameKey } from '../wire/name.js';
import { CircuitBreaker, type BreakerOptions } from './breaker.js';
import type { Metrics } from '../base/metrics.js';
import { HandOffError, type Attempt } from './errors.js';
import { hopCount, OriginPools, replyLimits } from './http.js';
import { silentLogger, type Logger } from '../base/log.js';
import type { DnsLookup } from './lookup.js';
import { resolveAgent, type ResolvedAgent } from './resolve.js';
import { locateEndpoint, MAX_DESCRIPTOR_BYTES, mustLocate } from './locate.js';
import { abortError, guard } from './handoff/abort.js';
import { SetupFailure } from './handoff/classify.js';
import { tryEndpoints, type EndpointOp, type FailoverOptions, type Reached } from './handoff/failover.js';
import { EndpointPolicy } from './handoff/policy.js';
import { EndpointStats, type EndpointStatsOptions } from './handoff/endpoint-stats.js';
import { SessionPool, type Session } from './handoff/sessions.js';
import { chooseTool, toolText } from './handoff/tool.js';
import { trustedCas } from './handoff/trust.js';
import type { Authorizer } from './oauth/authorizer.js';
import { probeEndpoint } from './probe.js';
import { agentStates, reachFromProbe, reachFromStats, type AgentStates, type EndpointReach } from './agent-state.js';

export type { Attempt } from './errors.js';
export { isLoopback } from './address.js';
export { chooseTool } from './handoff/tool.js';
export { trustedCas } from './handoff/trust.js';

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
  /**
   * How endpoints of one priority are ordered: by recent failures and measured latency
   * (handoff/endpoint-stats.ts); `false` keeps the weighted shuffle alone. Default on.
   */
  endpointStats?: EndpointStatsOptions | false;
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
  /**
   * Gets tokens for endpoints that demand authorization (oauth/authorizer.ts): the credentials
   * file, the token cache, and whether a person can log in. Without it a 401 is ERR_AUTH_REQUIRED.
   */
  auth?: Authorizer;
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
  /**
   * The arguments, made from the tools/list entry of the tool called, at the endpoint called (aop
   * call --arg types its values by that input schema): one trip, one endpoint loop. Its result is
   * merged over `args`; what it throws ends the call as ERR_HANDOFF_USAGE, its error the cause.
   */
  argsFor?: (tool: Tool | undefined) => Record<string, unknown>;
}

export interface ToolsOutcome {
  tools: Tool[];
  card: AgentCard;
  /** The URL of the endpoint whose tools/list this is. */
  endpoint: string;
  /** Every endpoint try, in order, the successful one last. */
  attempts: Attempt[];
}

export class HandOff {
  private readonly lookup: DnsLookup;
  private readonly policy: EndpointPolicy;
  private readonly hops: number | undefined;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly cards: LRUCache<string, ResolvedAgent>;
  private readonly sessions: SessionPool;
  private readonly failover: FailoverOptions;
  private readonly pools: OriginPools;
  /** For capability documents and agent cards: their own, smaller, size limit. */
  private readonly docs: OriginPools;
  readonly breaker: CircuitBreaker;
  /** What each endpoint did (latency, failures): the order within a priority, and the agents' reachable state. */
  readonly endpointStats: EndpointStats;
  private readonly metrics: Metrics | undefined;
  private readonly clientInfo: { name: string; version: string };
  private closed = false;

  constructor(opts: HandOffOptions) {
    if (typeof opts?.lookup?.query !== 'function') throw new HandOffError('ERR_HANDOFF_USAGE', 'HandOff needs a lookup (a DnsLookup)');
    const ms = (what: string, v: number | undefined, dflt: number, min = 1): number => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || x < min || x > 0x7fffffff) throw new HandOffError('ERR_HANDOFF_USAGE', `${what} ${String(v)} is not a whole number in ${min}..2147483647`);
      return x;
    };
    this.lookup = opts.lookup;
    const allowHttp = opts.allowHttp ?? 'loopback';
    if (!['loopback', 'any', 'none'].includes(allowHttp)) throw new HandOffError('ERR_HANDOFF_USAGE', `allowHttp "${String(opts.allowHttp)}" is not loopback, any or none`);
    const random = opts.random ?? Math.random;
    const stats = this.endpointStats = new EndpointStats(opts.endpointStats === false ? {} : opts.endpointStats);
    this.policy = new EndpointPolicy({
      allowHttp, loopbackZones: opts.loopbackZones ?? [], selfAddresses: opts.selfAddresses ?? (() => []), random,
      ...(opts.endpointStats === false ? {} : { rank: (list) => stats.order(list) }),
    });
    this.hops = opts.hops;
    this.timeoutMs = ms('timeoutMs', opts.timeoutMs, 30_000);
    const retries = ms('retries', opts.retries, 2, 0);
    if (retries > 10) throw new HandOffError('ERR_HANDOFF_USAGE', `retries ${retries} is more than 10`);
    this.connectTimeoutMs = ms('connectTimeoutMs', opts.connectTimeoutMs, 5000);
    const backoffMs = ms('backoffMs', opts.backoffMs, 100, 0);
    const log = opts.logger ?? silentLogger;
    const clientInfo = this.clientInfo = opts.clientInfo ?? { name: 'aop-handoff', version: '0.1.0' };
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
    this.sessions = new SessionPool({
      pools: this.pools, clientInfo, log, connectTimeoutMs: this.connectTimeoutMs, ...(opts.auth !== undefined ? { auth: opts.auth } : {}),
      opened: (url, ms) => stats.latency(url, ms),
    });
    this.failover = { policy: this.policy, breaker: this.breaker, dropSession: (url) => this.sessions.drop(url), log, retries, backoffMs, random, stats };
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
      return await guard(d.signal, opts.signal, () => this.cached(name, d.signal), this.timeoutMs);
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
    if (mustLocate(resolved.card)) {
      // A DNS-AID record carries no path: the cap document, the agent card or /mcp says it; a record
      // of aop's form with an https cap and cap-sha256 gets its document checked (locate.ts).
      const card = await locateEndpoint(resolved.card, {
        lookup: this.lookup, pools: this.docs, loopbackOk: this.policy.loopbackOk(resolved.card), self: [...this.policy.selfAddresses()], timeoutMs: this.connectTimeoutMs, signal,
      });
      resolved = { ...resolved, card };
    }
    if (resolved.ttl > 0 && key !== '') this.cards.set(key, resolved, { ttl: resolved.ttl * 1000 });
    return resolved;
  }

  /**
   * Probe every endpoint of the card the policy allows, at once (MCP initialize + ping, src/mcp/probe.ts):
   * each result is told to the endpoint stats (the order of later calls) and returned; endpoints
   * the policy refuses are not contacted and come back unknown with the reason.
   */
  async probe(card: AgentCard, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<EndpointReach[]> {
    this.checkOpen();
    const refused: Attempt[] = [];
    const allowed = this.policy.candidates(card, refused);
    const timeoutMs = opts.timeoutMs ?? this.connectTimeoutMs;
    const probed = await Promise.all(allowed.map(async (e) => {
      const r = await probeEndpoint({ url: e.url, addresses: e.addresses ?? [], ...(e.tlsa !== undefined ? { tlsa: e.tlsa } : {}), ...(e.expanded !== undefined ? { expanded: e.expanded } : {}) }, { pools: this.pools, timeoutMs, clientInfo: this.clientInfo, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (r.ok) {
        this.endpointStats.latency(e.url, r.ms);
        this.endpointStats.success(e.url);
      } else {
        this.endpointStats.failure(e.url, r.error);
      }
      return reachFromProbe(e.url, r);
    }));
    return [...probed, ...refused.map((a) => ({ url: a.url, reachable: null, note: a.error }))];
  }

  /** The card's three states from what this hand-off has seen of its endpoints (no network). */
  states(card: AgentCard): AgentStates {
    return agentStates(card, reachFromStats(card, this.endpointStats));
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
    const o = await this.withHops(opts.hops, () => this.atEndpoints(name, opts, (e, card, signal, deadlineAt) => this.callOn(e, card, opts.tool, args, signal, deadlineAt, opts.argsFor)));
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
        return (await this.sessions.session(e, _card, signal)).tools;
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
      return await guard(signal, opts.signal, async () => {
        const card = (await this.cached(name, signal)).card;
        try {
          return await tryEndpoints(this.failover, card, signal, deadlineAt, (tried) => abortError(opts.signal, timeoutMs, tried, card.name), op);
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
    await this.sessions.closeAll();
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

  private async callOn(e: AgentEndpoint, card: AgentCard, asked: string | undefined, given: Record<string, unknown>, signal: AbortSignal, deadlineAt: number, argsFor?: CallOptions['argsFor']): Promise<{ result: CallToolResult; tool: string }> {
    let s: Session;
    try {
      s = await this.sessions.session(e, card, signal);
    } catch (err) {
      throw new SetupFailure(err);
    }
    const tool = chooseTool(card, s.tools, asked, e.url);
    if (!s.tools.some((t) => t.name === tool)) {
      const names = s.tools.map((t) => t.name);
      throw new HandOffError('ERR_TOOL_MISSING', `${card.name}: ${e.url} has no tool "${tool}" (tools/list: ${names.length > 0 ? names.join(', ') : 'none'})`, { agent: card.name });
    }
    let args = given;
    if (argsFor !== undefined) {
      try {
        args = { ...given, ...argsFor(s.tools.find((t) => t.name === tool)) };
      } catch (err) {
        throw new HandOffError('ERR_HANDOFF_USAGE', err instanceof Error ? err.message : String(err), { agent: card.name, cause: err });
      }
    }
    for (;;) {
      const timeout = Math.max(1, Math.round(deadlineAt - performance.now()));
      try {
        return { result: await Promise.race([s.client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout }), s.overflow]) as CallToolResult, tool };
      } catch (err) {
        // A 401 (expired token) or 403 insufficient_scope (step-up) mid-session: a token, then the same call again.
        if (await this.sessions.authorizeAfter(err, e, card, s.auth, signal)) continue;
        if (err instanceof McpError && err.code !== ErrorCode.RequestTimeout && err.code !== ErrorCode.ConnectionClosed) {
          throw new HandOffError('ERR_TOOL_ERROR', `${card.name}: tool ${tool} failed at ${e.url}: ${err.message}`, { agent: card.name, cause: err });
        }
        throw err;
      }
    }
  }
}
