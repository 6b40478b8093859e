// The MCP sessions of a hand-off: one per endpoint URL, opened by initialize + tools/list over
// Streamable HTTP, reused by later calls, dropped when they fail and closed politely at the end.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AgentEndpoint } from '../../agent/index.js';
import type { Logger } from '../../base/log.js';
import type { OriginPools } from '../http.js';

export interface Session {
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

/** Open MCP sessions kept at most (one per endpoint URL). */
const MAX_SESSIONS = 256;

export interface SessionPoolOptions {
  pools: OriginPools;
  clientInfo: { name: string; version: string };
  log: Logger;
  connectTimeoutMs: number;
}

export class SessionPool {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(private readonly opts: SessionPoolOptions) {}

  /** The session at the endpoint's URL, opened (initialize + tools/list) when there is none. */
  async session(e: AgentEndpoint, signal: AbortSignal): Promise<Session> {
    const existing = this.sessions.get(e.url);
    if (existing !== undefined) {
      try {
        return await existing;
      } catch {
        // A failed opening is not reused: open afresh below.
      }
    }
    const p = this.open(e, signal);
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

  private async open(e: AgentEndpoint, signal: AbortSignal): Promise<Session> {
    const { pools, clientInfo, log, connectTimeoutMs } = this.opts;
    const overflow = tripwire();
    const fetch = pools.fetchFor(e.url, e.addresses ?? [], overflow.report);
    const transport = new StreamableHTTPClientTransport(new URL(e.url), {
      fetch,
      // Only the endpoints a record names are contacted: no redirects.
      requestInit: { redirect: 'manual' },
      reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
    });
    const client = new Client(clientInfo, { capabilities: {} });
    client.onerror = (err) => log.debug(`hand-off: ${e.url}: ${err.message}`);
    const setup = AbortSignal.any([signal, AbortSignal.timeout(connectTimeoutMs)]);
    try {
      await Promise.race([client.connect(transport, { signal: setup, timeout: connectTimeoutMs }), overflow.promise]);
      const { tools } = await Promise.race([client.listTools(undefined, { signal: setup, timeout: connectTimeoutMs }), overflow.promise]);
      const session: Session = { url: e.url, client, transport, tools, overflow: overflow.promise };
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
