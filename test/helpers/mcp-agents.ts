// A loopback world for hand-off tests: the bundled zones rewritten onto a test's own loopback
// address (A 127.0.0.1 -> HOST, AAAA ::1 dropped), served by an aop Daemon, with the demo agents on HOST.
// The demo agents listen on the fixed ports of the records (18101...): take HOST from a loopback
// /24 leased for the test (leaseNet in loopback-net.ts), so that no other test file, nor a second
// copy of the suite, binds the same address and port.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from './server.js';
import { parseListen } from '../../src/server/listen.js';
import { startDemoAgents, type DemoAgents } from '../../src/mcp/demo/index.js';
import { plainHttpZone } from './plain-http-zones.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Teardownable {
  teardown(fn: () => unknown): void;
}

/**
 * A copy of the bundled zones with every agent host on `host`, in their plain-http form (the https
 * endpoints taken out: plain-http-zones.ts) unless `tls`, then `edit` applied to each file's text.
 */
export function rewrittenZones(t: Teardownable, host: string, edit: (text: string, file: string) => string = (x) => x, tls = false): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-mcp-zones-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of readdirSync(path.join(repoRoot, 'zones')).filter((n) => n.endsWith('.zone'))) {
    const bundled = readFileSync(path.join(repoRoot, 'zones', f), 'utf8');
    const text = (tls ? bundled : plainHttpZone(bundled))
      .replaceAll('127.0.0.1', host)
      .replace(/^[^\n;]*IN AAAA\s+::1[^\n]*$/gm, '');
    writeFileSync(path.join(dir, f), edit(text, f));
  }
  return dir;
}

export interface AgentWorld {
  zonesDir: string;
  dns: { address: string; port: number };
  demo: DemoAgents | undefined;
}

/** Zones on `agentHost`, a Daemon on `dnsHost`:0 serving them, and (unless `demo: false`) the demo agents. */
export async function agentWorld(t: Teardownable, opts: { dnsHost: string; agentHost: string; demo?: boolean; edit?: (text: string, file: string) => string }): Promise<AgentWorld> {
  const zonesDir = rewrittenZones(t, opts.agentHost, opts.edit);
  const { host, port } = await startDaemon(t, { zonesDir, listen: [parseListen(`${opts.dnsHost}:0`)] });
  let demo: DemoAgents | undefined;
  if (opts.demo !== false) {
    demo = await startDemoAgents({ zonesDir, host: opts.agentHost });
    t.teardown(() => demo!.close());
  }
  return { zonesDir, dns: { address: host, port }, demo };
}
