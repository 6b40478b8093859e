// The gateway's test stack: a copy of the bundled zones moved to one loopback address (so its demo
// agents clash with no other test file), the daemon, the demo agents, the gateway over HTTP, and
// the SDK's own client connected to it. Everything stops at teardown. The demo agents keep the
// records' fixed ports: take the address from a loopback /24 leased for the test (leaseNet), so
// a second copy of the suite running beside this one does not bind the same address and port.

import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { HandOff } from '../../src/mcp/handoff.js';
import { startDemoAgents, type DemoAgents } from '../../src/mcp/demo/index.js';
import { AgentDirectory, Gateway, ResolverLookup, startGatewayHttp, zonesFromCatalog, type GatewayHttp } from '../../src/mcp/gateway/index.js';
import { Daemon } from '../../src/server/daemon.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { resolveAgent } from '../../src/mcp/resolve.js';
import type { AgentClient } from '../../src/mcp/gateway/index.js';
import { parseListen } from '../../src/server/listen.js';
import type { Teardownable } from './server.js';
import { plainHttpZone } from './plain-http-zones.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bundledZones = path.join(root, 'zones');

/**
 * The bundled zones with every 127.0.0.1 replaced by `address` and the ::1 addresses dropped,
 * plus extra zone files (name -> text). Returns the folder. Their plain-http form (the https
 * endpoints taken out: plain-http-zones.ts) unless `tls`.
 */
export function copyZones(t: Teardownable, address: string, extra: Record<string, string> = {}, opts: { tls?: boolean } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-gw-zones-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of readdirSync(bundledZones)) {
    if (!f.endsWith('.zone') && f !== 'root.hints') continue;
    const bundled = readFileSync(path.join(bundledZones, f), 'utf8');
    const text = (opts.tls || !f.endsWith('.zone') ? bundled : plainHttpZone(bundled))
      .replace(/\b127\.0\.0\.1\b/g, address)
      .split('\n').filter((l) => !/\bAAAA\s+::1\b/.test(l)).join('\n');
    writeFileSync(path.join(dir, f), text);
  }
  for (const [name, text] of Object.entries(extra)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Copy a folder (for a zones change during a test). */
export function copyDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

export interface Stack {
  daemon: Daemon;
  dnsPort: number;
  demo: DemoAgents;
  handOff: HandOff;
  gateway: Gateway;
  http: GatewayHttp;
  url: string;
}

/**
 * Demo agents for the zones, then `extraZones` written beside them (served by the daemon, with
 * no demo agent: the test runs its own endpoints for them), then the daemon and the gateway.
 */
export async function startStack(t: Teardownable, opts: { zonesDir: string; dnsAddress: string; agentTools?: boolean; zones?: string[]; extraZones?: Record<string, string>; now?: () => number; gatewayPort?: number }): Promise<Stack> {
  const demo = await startDemoAgents({ zonesDir: opts.zonesDir });
  t.teardown(() => demo.close());
  for (const [name, text] of Object.entries(opts.extraZones ?? {})) writeFileSync(path.join(opts.zonesDir, name), text);
  const daemon = new Daemon({ zonesDir: opts.zonesDir, listen: [parseListen(`${opts.dnsAddress}:0`)] });
  await daemon.start();
  t.teardown(() => daemon.close());
  const lookup = new ResolverLookup(daemon);
  // Generous timeouts: a loaded 2-core machine can take seconds to open a session.
  // As aop serve wires it (src/cli/embedded.ts): loopback only for the daemon's own zones, never its own listeners, one hop.
  let self: Array<{ address: string; port: number }> = [];
  const handOff = new HandOff({
    lookup, timeoutMs: 20_000, retries: 1, backoffMs: 10, connectTimeoutMs: 10_000, hops: 1,
    loopbackZones: () => daemon.catalog.list().map((z) => z.origin),
    selfAddresses: () => [...self, ...daemon.listeners.map((l) => ({ address: l.address.host, port: l.address.port }))],
  });
  t.teardown(() => handOff.close());
  const directory = new AgentDirectory({ lookup, client: handOff, zones: () => opts.zones ?? zonesFromCatalog(daemon.catalog.list()), ...(opts.now ? { now: opts.now } : {}) });
  const gateway = new Gateway({ client: handOff, directory, agentTools: opts.agentTools ?? false, callTimeoutMs: 20_000, retries: 1, serverInfo: { transport: 'streamable-http', host: opts.dnsAddress }, ...(opts.now ? { now: opts.now } : {}) });
  t.teardown(() => gateway.close());
  const http = await startGatewayHttp(gateway, { host: opts.dnsAddress, port: opts.gatewayPort ?? 0 });
  t.teardown(() => http.close());
  self = [{ address: opts.dnsAddress, port: http.port }];
  return { daemon, dnsPort: daemon.listeners[0]!.address.port, demo, handOff, gateway, http, url: http.url };
}

export async function connect(t: Teardownable, url: string): Promise<Client> {
  const client = new Client({ name: 'aop-test', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  t.teardown(() => client.close());
  return client;
}

/** The JSON a gateway tool returned: structuredContent, checked to equal the text content. */
export function json(r: CallToolResult | Record<string, unknown>): Record<string, any> {
  const res = r as CallToolResult;
  const text = (res.content?.[0] as { text?: string } | undefined)?.text;
  const sc = res.structuredContent as Record<string, any>;
  if (text !== undefined && !res.isError && JSON.stringify(JSON.parse(text)) !== JSON.stringify(sc)) throw new Error('text and structuredContent differ');
  return sc;
}

export function text(r: CallToolResult | Record<string, unknown>): string {
  return ((r as CallToolResult).content ?? []).filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}

/**
 * A gateway without a directory database over the real daemon serving `zonesDir` on `address`:
 * its list tools read the acme and globex zones' snapshot; calls are not made. Stops at teardown.
 */
export async function snapshotGateway(t: Teardownable, zonesDir: string, address: string): Promise<Gateway> {
  const { server } = await zonesDaemon(t, zonesDir, address);
  const lookup = new NetworkLookup(server);
  const client: AgentClient = {
    resolve: async (name) => (await resolveAgent(lookup, name)).card,
    call: async () => { throw new Error('not called'); },
    listTools: async () => [],
  };
  const gateway = new Gateway({ client, directory: new AgentDirectory({ lookup, client, zones: () => ['acme.agents', 'globex.agents'] }) });
  t.teardown(() => gateway.close());
  return gateway;
}

/**
 * The real daemon serving `zonesDir` on `address`, port chosen; `transfers`: AXFR allowed from
 * loopback (for a crawler). Stops at teardown. `server` is where to ask it.
 */
export async function zonesDaemon(t: Teardownable, zonesDir: string, address: string, opts: { transfers?: boolean } = {}): Promise<{ daemon: Daemon; server: { address: string; port: number } }> {
  const daemon = new Daemon({ zonesDir, listen: [parseListen(`${address}:0`)], ...(opts.transfers ? { transfers: { allow: ['127.0.0.0/8'] } } : {}) });
  await daemon.start();
  t.teardown(() => daemon.close());
  return { daemon, server: { address, port: daemon.listeners[0]!.address.port } };
}
