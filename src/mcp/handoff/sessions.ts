// The MCP sessions of a hand-off: one per endpoint URL, opened by initialize + tools/list over
// Streamable HTTP, reused by later calls, dropped when they fail and closed politely at the end.

import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AgentCard, AgentEndpoint } from '../../agent/index.js';
import type { Logger } from '../../base/log.js';
import { HandOffError } from '../errors.js';
import type { OriginPools } from '../http.js';
import { parseChallenge, type Authorizer } from '../oauth/authorizer.js';
import { checkAuthHint, demandOf, type Demand } from '../auth-hint.js';

/**
 * The authorization of one session: the bearer token its requests carry (to the endpoint's own
 * origin only), the last 401/403 challenge seen, and how many tokens and step-ups it has had.
 */
export interface SessionAuth {
  token?: string;
  scope?: string;
  challenge?: { status: number; header: string | null };
  grants: number;
  stepUps: number;
}

/** Step-ups (403 insufficient_scope) one session may try before ERR_AUTH_INSUFFICIENT_SCOPE. */
export const MAX_STEP_UPS = 2;

/** Keep a new token, and count it as a grant (after a 401) or a step-up (after a 403). */
export function recordGrant(auth: SessionAuth, granted: { token: string; scope?: string | undefined }, status: number): void {
  auth.token = granted.token;
  if (granted.scope !== undefined) auth.scope = granted.scope;
  if (status === 403) auth.stepUps++;
  else auth.grants++;
}

export interface Session {
  url: string;
  client: Client;
  transport: StreamableHTTPClientTransport;
  tools: Tool[];
  /** Rejects when a response of the session passed its limits (the SDK only logs a broken SSE stream). */
  overflow: Promise<never>;
  auth: SessionAuth;
}

/** A promise that rejects with the first error `report` is given; unhandled rejections are not raised. */
function tripwire(): { promise: Promise<never>; report(err: Error): void } {
  let report: (err: Error) => void = () => undefined;
  const promise = new Promise<never>((_, reject) => { report = reject; });
  promise.catch(() => undefined);
  return { promise, report };
}

/** Open MCP sessions kept at most (one per endpoint URL). */
const MAX_SESSIONS = 256;

export interface SessionPoolOptions {
  pools: OriginPools;
  clientInfo: { name: string; version: string };
  log: Logger;
  connectTimeoutMs: number;
  /** Gets tokens after a 401/403; without it such an endpoint is ERR_AUTH_REQUIRED. */
  auth?: Authorizer;
  /** Told how long each session took to open (connect, initialize, tools/list), in ms. */
  opened?: (url: string, ms: number) => void;
}

/** `base` with the session's bearer token on requests to `origin`, and its 401/403 challenges kept. */
export function authorizedFetch(base: FetchLike, origin: string, auth: SessionAuth): FetchLike {
  return (async (input: string | URL, init?: RequestInit) => {
    let i = init;
    if (auth.token !== undefined && new URL(String(input)).origin === origin) {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${auth.token}`);
      i = { ...init, headers };
    }
    const res = await base(input, i);
    if (res.status === 401 || res.status === 403) auth.challenge = { status: res.status, header: res.headers.get('www-authenticate') };
    return res;
  }) as FetchLike;
}

export class SessionPool {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(private readonly opts: SessionPoolOptions) {}

  /** The session at the endpoint's URL, opened (initialize + tools/list) when there is none. */
  async session(e: AgentEndpoint, card: AgentCard, signal: AbortSignal): Promise<Session> {
    const existing = this.sessions.get(e.url);
    if (existing !== undefined) {
      try {
        return await existing;
      } catch {
        // A failed opening is not reused: open afresh below.
      }
    }
    const p = this.open(e, card, signal);
    this.sessions.set(e.url, p);
    // Bounded: a gateway may call many agents; the least recently opened session goes first.
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined && oldest !== e.url) void this.drop(oldest);
    }
    try {
      return await p;
    } catch (err) {
      if (this.sessions.get(e.url) === p) this.sessions.delete(e.url);
      throw err;
    }
  }

  private async open(e: AgentEndpoint, card: AgentCard, signal: AbortSignal): Promise<Session> {
    const auth: SessionAuth = { grants: 0, stepUps: 0 };
    const cached = this.opts.auth?.cachedToken(e.url);
    if (cached !== undefined) auth.token = cached;
    // What the endpoint demands is seen only when the first try carries no token.
    let demand: Demand | undefined = auth.token === undefined ? undefined : { kind: 'bearer' };
    for (;;) {
      try {
        const s = await this.openOnce(e, signal, auth);
        if (demand === undefined) {
          // Opened without credentials: a hint that promised some is refused before any tool call goes there.
          demand = { kind: 'none' };
          const refusal = this.judgeHint(card, e, demand);
          if (refusal !== undefined) {
            await end(s, true);
            throw refusal;
          }
        }
        return s;
      } catch (err) {
        if (err instanceof HandOffError) throw err;
        if (demand === undefined && err instanceof StreamableHTTPError && err.code === 401) {
          demand = demandOf(auth.challenge?.header);
          const refusal = this.judgeHint(card, e, demand);
          if (refusal !== undefined) throw refusal;
        }
        // A 401 (or 403 insufficient_scope) at initialize: get a token and open again.
        if (!(await this.authorizeAfter(err, e, card, auth, signal))) throw err;
      }
    }
  }

  /** The record's auth hint against the endpoint's demand: a warning logged, or the ERR_AUTH_HINT_MISMATCH to throw. */
  private judgeHint(card: AgentCard, e: AgentEndpoint, d: Demand): HandOffError | undefined {
    const v = checkAuthHint(card.auth, d);
    if (v.level === 'warning') this.opts.log.warn(`hand-off: ${card.name}: ${e.url}: ${v.message}`);
    return v.level === 'refused' ? new HandOffError('ERR_AUTH_HINT_MISMATCH', `${card.name}: ${e.url}: ${v.message}`, { agent: card.name }) : undefined;
  }

  /**
   * After a failed exchange: when it was a 401, or a 403 insufficient_scope, get a (new, or
   * stepped-up) token into `auth` and say true (try again); false when it was something else.
   * Throws ERR_AUTH_* when no token can be had, or the endpoint keeps refusing them.
   */
  async authorizeAfter(err: unknown, e: AgentEndpoint, card: AgentCard, auth: SessionAuth, signal: AbortSignal): Promise<boolean> {
    if (!(err instanceof StreamableHTTPError) || (err.code !== 401 && err.code !== 403)) return false;
    const status = err.code as 401 | 403;
    const challenge = parseChallenge(auth.challenge?.header);
    if (status === 403 && challenge.error !== 'insufficient_scope') return false;
    const authorizer = this.opts.auth;
    const hint = card.auth !== undefined && /^none$/i.test(card.auth) ? ` (its record's auth hint says "${card.auth}")` : '';
    if (authorizer === undefined) {
      throw new HandOffError('ERR_AUTH_REQUIRED', `${card.name}: ${e.url} demands authorization (HTTP ${status})${hint} and this hand-off has no credentials configured`, { agent: card.name });
    }
    if (status === 401 && auth.grants >= 2) {
      throw new HandOffError('ERR_AUTH_REQUIRED', `${card.name}: ${e.url} refused the token it was just given (HTTP 401 again)`, { agent: card.name });
    }
    if (status === 403 && auth.stepUps >= MAX_STEP_UPS) {
      throw new HandOffError('ERR_AUTH_INSUFFICIENT_SCOPE', `${card.name}: ${e.url} still answers 403 insufficient_scope${challenge.scope ? ` (scope "${challenge.scope.slice(0, 100)}")` : ''} after ${auth.stepUps} step-ups`, { agent: card.name });
    }
    const granted = await authorizer.authorize({
      endpoint: e.url, agent: card.name, status, challenge, signal, addresses: e.addresses ?? [],
      ...(auth.token !== undefined ? { refused: auth.token } : {}),
      ...(auth.scope !== undefined ? { heldScope: auth.scope } : {}),
    });
    recordGrant(auth, granted, status);
    return true;
  }

  private async openOnce(e: AgentEndpoint, signal: AbortSignal, auth: SessionAuth): Promise<Session> {
    const { pools, clientInfo, log, connectTimeoutMs } = this.opts;
    const overflow = tripwire();
    const fetch = authorizedFetch(pools.fetchFor(e.url, e.addresses ?? [], overflow.report, e.scheme === 'https' ? e.tlsa ?? [] : undefined, e.expanded !== undefined ? [e.expanded] : undefined), new URL(e.url).origin, auth);
    const transport = new StreamableHTTPClientTransport(new URL(e.url), {
      fetch,
      // Only the endpoints a record names are contacted: no redirects.
      requestInit: { redirect: 'manual' },
      reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
    });
    const client = new Client(clientInfo, { capabilities: {} });
    client.onerror = (err) => log.debug(`hand-off: ${e.url}: ${err.message}`);
    const setup = AbortSignal.any([signal, AbortSignal.timeout(connectTimeoutMs)]);
    const t0 = performance.now();
    try {
      await Promise.race([client.connect(transport, { signal: setup, timeout: connectTimeoutMs }), overflow.promise]);
      const { tools } = await Promise.race([client.listTools(undefined, { signal: setup, timeout: connectTimeoutMs }), overflow.promise]);
      const session: Session = { url: e.url, client, transport, tools, overflow: overflow.promise, auth };
      this.opts.opened?.(e.url, performance.now() - t0);
      // client.onclose, not transport.onclose: the Protocol owns the transport's handler.
      client.onclose = () => {
        void this.sessions.get(e.url)?.then((s) => { if (s === session) this.sessions.delete(e.url); }, () => undefined);
      };
      return session;
    } catch (err) {
      await client.close().catch(() => undefined);
      if (!signal.aborted && setup.aborted) {
        throw Object.assign(new Error(`no MCP session within ${connectTimeoutMs} ms`), { code: 'CONNECT_TIMEOUT' });
      }
      throw err;
    }
  }

  /** Forget the session at `url` and close it (and its HTTP stream). */
  async drop(url: string): Promise<void> {
    const p = this.sessions.get(url);
    if (p === undefined) return;
    this.sessions.delete(url);
    const s = await p.catch(() => undefined);
    if (s) await end(s, false);
  }

  /** Close every session, telling each server it is over. */
  async closeAll(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(async (p) => {
      const s = await p.catch(() => undefined);
      if (s) await end(s, true);
    }));
  }
}

async function end(s: Session, polite: boolean): Promise<void> {
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
