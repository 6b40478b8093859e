// A small world for the health tests: zone hz.agents. with, by default, one agent (writer) whose two
// endpoints (priority 1 each, plain http) run on two addresses (a, b) of a leased loopback /24; each
// address is served by its own demo-agent instance, so a test can stop one and start it again on
// the same address and port. Other agents can be given (label, host, capabilities).

import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { startDemoAgents, type DemoAgents } from '../../src/mcp/demo/index.js';
import { scratchDir } from '../helpers/child.js';
import type { NetLease } from '../helpers/loopback-net.js';

export const ORIGIN = 'hz.agents.';
export const PORT = 18590;

export interface HealthWorld {
  dir: string;
  /** The daemon's folder: both endpoints. */
  zonesDir: string;
  hosts: { a: string; b: string; dns: string };
  urls: { a: string; b: string };
  /** Start (again) the demo agent behind endpoint a or b. */
  start(which: 'a' | 'b'): Promise<void>;
  /** Stop it: its port refuses connections. */
  stop(which: 'a' | 'b'): Promise<void>;
  /**
   * Start the endpoint as a slow one: its demo agent on a third address, behind a proxy on the
   * record's address that holds every request `delayMs` before passing it on.
   */
  startSlow(which: 'a' | 'b', delayMs: number): Promise<void>;
}

/** A proxy on host:port to upstream:port that waits `delayMs` before each request goes on. */
function delayingProxy(host: string, upstream: string, port: number, delayMs: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      const up = http.request({ host: upstream, port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => { res.destroy(); });
      req.pipe(up);
    }, delayMs);
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({
      close: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
    }));
  });
}

/** An agent record: `label` at `host` (a or b), with its capabilities. */
export interface AgentSpec {
  label: string;
  host: 'a' | 'b';
  priority?: number;
  capabilities?: string;
}

function svcb(s: AgentSpec): string {
  return `${s.label} IN SVCB ${s.priority ?? 1} ${s.host}.${ORIGIN} alpn="mcp" port=${PORT} key65320="/agents/${s.label}/mcp" key65321="streamable-http" key65322="draft_copy" key65323="${s.capabilities ?? 'writing'}" key65326="http"`;
}

function zone(net: NetLease, records: string[], extra = ''): string {
  return `$ORIGIN ${ORIGIN}
$TTL 60
@ IN SOA ns1 hostmaster 1 3600 900 604800 60
@ IN NS ns1
ns1 IN A ${net.host(1)}
a IN A ${net.host(11)}
b IN A ${net.host(12)}
${records.join('\n')}
${extra}`;
}

interface Teardownable {
  teardown(fn: () => unknown): void;
}

/** writer, with an endpoint at a and one at b, both priority 1. */
const WRITER: AgentSpec[] = [{ label: 'writer', host: 'a' }, { label: 'writer', host: 'b' }];

export function healthWorld(t: Teardownable, net: NetLease, opts: { agents?: AgentSpec[] } = {}): HealthWorld {
  const dir = scratchDir(t, 'aop-health-');
  const agents = opts.agents ?? WRITER;
  const index = [...new Set(agents.map((a) => a.label))].map((l) => `_index._agents IN PTR ${l}`);
  const folder = (name: string, records: string[]): string => {
    const d = path.join(dir, name);
    mkdirSync(d);
    writeFileSync(path.join(d, `${ORIGIN}zone`), zone(net, records));
    return d;
  };
  const zonesDir = folder('zones', [...index, ...agents.map(svcb)]);
  const only = { a: folder('only-a', agents.filter((x) => x.host === 'a').map(svcb)), b: folder('only-b', agents.filter((x) => x.host === 'b').map(svcb)) };
  const running: Partial<Record<'a' | 'b', { close(): Promise<void> }>> = {};
  const world: HealthWorld = {
    dir, zonesDir,
    hosts: { a: net.host(11), b: net.host(12), dns: net.host(1) },
    urls: { a: `http://a.hz.agents:${PORT}/agents/writer/mcp`, b: `http://b.hz.agents:${PORT}/agents/writer/mcp` },
    async start(which) {
      if (running[which]) return;
      running[which] = await startDemoAgents({ zonesDir: only[which] });
    },
    async startSlow(which, delayMs) {
      if (running[which]) return;
      const behind = net.host(which === 'a' ? 21 : 22);
      const demo: DemoAgents = await startDemoAgents({ zonesDir: only[which], host: behind });
      const proxy = await delayingProxy(net.host(which === 'a' ? 11 : 12), behind, PORT, delayMs);
      running[which] = { close: async () => { await proxy.close(); await demo.close(); } };
    },
    async stop(which) {
      const d = running[which];
      delete running[which];
      await d?.close();
    },
  };
  t.teardown(async () => {
    await world.stop('a');
    await world.stop('b');
  });
  return world;
}
