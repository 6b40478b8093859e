// The probes of https endpoints verify certificates: with the bundled zones' TLS demo agents (leaf
// from a local CA), the https endpoints fail their probes until the monitor trusts that CA (as
// aop serve makes it trust the CA its demo agents chain to), and writer's SVCB answer leaves its
// https record out meanwhile; trusted, they come up and the record is back.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoAgents } from '../../src/mcp/demo/index.js';
import { openLocalCa } from '../../src/mcp/local-ca.js';
import { parseListen } from '../../src/server/listen.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { rewrittenZones } from '../helpers/mcp-agents.js';
import { startDaemon } from '../helpers/server.js';
import { requireTool } from '../helpers/peers.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';

t.test('https endpoints are up only once their CA is trusted', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const net = await leaseNet(t);
  const host = net.host(7);
  const zonesDir = rewrittenZones(t, host, undefined, true);
  const root = mkdtempSync(path.join(os.tmpdir(), 'aop-health-ca-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const ca = await openLocalCa(path.join(root, 'local-ca'));
  const demo = await startDemoAgents({ zonesDir, host, tls: ca });
  t.teardown(() => demo.close());
  const { daemon, port } = await startDaemon(t, {
    zonesDir, listen: [parseListen(`${net.host(1)}:0`)],
    health: { intervalMs: 100, timeoutMs: 3000, fall: 1, rise: 1 },
  });
  const m = daemon.health!;
  const https = 'https://mcp.acme.agents:18401/agents/writer/mcp';
  const detail = () => JSON.stringify(m.status().map((s) => [s.url, s.state, s.last?.error]));
  await waitFor(() => m.stateOf(https) === 'down', 'the https endpoint down: its certificate is not trusted', { timeoutMs: 60_000, detail });
  t.match(m.status().find((s) => s.url === https)?.last?.error ?? '', /certificate|UNABLE_TO_VERIFY|self.signed|issuer/i, `why: ${m.status().find((s) => s.url === https)?.last?.error}`);
  t.ok(m.status().filter((s) => s.url.startsWith('http://')).every((s) => s.state === 'up'), 'the plain-http endpoints are up');
  const prios = async () => (await dig(port, ['writer.acme.agents', 'SVCB'], net.host(1))).answer.filter((l) => l.includes(' SVCB ')).map((l) => Number(l.split(' ')[4])).sort();
  t.same(await prios(), [2, 3], 'writer: the https record (priority 1) left out');

  m.trust(ca.caPem);
  await waitFor(() => m.status().every((s) => s.state === 'up'), 'every endpoint up once the CA is trusted', { timeoutMs: 60_000, detail });
  t.same(await prios(), [1, 2, 3], 'writer: all three records');
});
