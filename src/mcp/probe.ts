// One health probe of one MCP endpoint (the authoritative server's --health-probe, aop agent): a fresh session (initialize) and a ping, over Streamable
// HTTP with the MCP SDK's client, as the hand-off opens its sessions; the session is ended at
// once (HTTP DELETE), so probing never leaves sessions behind at the agent.

import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OriginPools } from './http.js';
import { causeCode, causeMessage } from './handoff/classify.js';
import { demandOf, type Demand } from './auth-hint.js';

/** Where to probe: the endpoint URL and the addresses to connect to. */
export interface ProbeTarget {
  url: string;
  addresses: readonly string[];
  /** For https: the endpoint's secure TLSA RDATA (hex, the card's `tlsa`), so the probe is DANE-checked as a call is; [] for WebPKI. */
  tlsa?: readonly string[];
  /** With `tlsa`: the host's secure CNAME expansion (the card's `expanded`), a reference identity too. */
  expanded?: string;
}

export interface ProbeResult {
  ok: boolean;
  /** Milliseconds from the first byte sent to the ping's answer (or the failure). */
  ms: number;
  /** Why it failed: the socket error's code or the SDK's message, short. */
  error?: string;
  /** What the endpoint demanded of the probe, which carries no credentials (for the auth hint's check). */
  demand?: Demand;
}

export interface ProbeOptions {
  pools: OriginPools;
  timeoutMs: number;
  clientInfo: { name: string; version: string };
  signal?: AbortSignal;
}

/** initialize + ping at the target; never throws. */
export async function probeEndpoint(target: ProbeTarget, o: ProbeOptions): Promise<ProbeResult> {
  const t0 = performance.now();
  const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]) : AbortSignal.timeout(o.timeoutMs);
  const base = o.pools.fetchFor(target.url, target.addresses, undefined, /^https:/i.test(target.url) ? target.tlsa ?? [] : undefined, target.expanded !== undefined ? [target.expanded] : undefined);
  let challenge: string | null | undefined;
  const transport = new StreamableHTTPClientTransport(new URL(target.url), {
    fetch: (async (input: string | URL, init?: RequestInit) => {
      const res = await base(input, init);
      if (res.status === 401) challenge = res.headers.get('www-authenticate');
      return res;
    }) as typeof base,
    requestInit: { redirect: 'manual' },
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
  });
  const client = new Client(o.clientInfo, { capabilities: {} });
  client.onerror = () => undefined;
  try {
    await client.connect(transport, { signal, timeout: o.timeoutMs });
    await client.ping({ signal, timeout: o.timeoutMs });
    const ms = Math.round(performance.now() - t0);
    await endSession(transport);
    return { ok: true, ms, demand: { kind: 'none' } };
  } catch (err) {
    const ms = Math.round(performance.now() - t0);
    const why = signal.aborted && !o.signal?.aborted ? `no answer within ${o.timeoutMs} ms` : `${causeCode(err) ?? 'ERROR'}: ${causeMessage(err).slice(0, 200)}`;
    return { ok: false, ms, error: why, ...(challenge !== undefined ? { demand: demandOf(challenge) } : {}) };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Tell the agent the session is over, never waiting long for it. */
async function endSession(transport: StreamableHTTPClientTransport): Promise<void> {
  if (transport.sessionId === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    transport.terminateSession().catch(() => undefined),
    new Promise<void>((r) => { timer = setTimeout(r, 1000); }),
  ]);
  clearTimeout(timer);
}
