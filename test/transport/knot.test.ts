// The client against a real authoritative server (Knot DNS's knotd) on loopback: plain answers,
// TC=1 and the TCP retry, NXDOMAIN, REFUSED, BADVERS, and 0x20-style mixed case.

import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exchange, query } from '../../src/transport/exchange.js';
import { newTransportStats, openSockets } from '../../src/transport/stats.js';
import { TransportError } from '../../src/transport/errors.js';
import { encodeQuery } from '../../src/wire/message.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { requireTool } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitUntil } from '../helpers/wait.js';

const ZONE = [
  '$ORIGIN acme.agents.',
  '$TTL 300',
  '@ SOA ns1 hostmaster 1 3600 600 86400 300',
  '@ NS ns1',
  'ns1 A 127.0.0.1',
  'writer A 192.0.2.7',
  // 40 TXT records of ~70 bytes: far over 512 and 1232 bytes, so UDP answers come back with TC=1.
  ...Array.from({ length: 40 }, (_, i) => `big TXT "record number ${i} padded out so that the RRset cannot fit in one datagram"`),
].join('\n') + '\n';

async function startKnot(t: { teardown(fn: () => unknown): void }): Promise<{ address: string; port: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-knot-'));
  // Port 53 of a loopback /24 of the test's own: no port to find free (and lose to another
  // process before knotd binds it).
  const address = (await leaseNet(t)).host(1);
  const port = 53;
  writeFileSync(path.join(dir, 'acme.agents.zone'), ZONE);
  writeFileSync(path.join(dir, 'knot.conf'), [
    'server:', `  listen: ${address}@${port}`, `  rundir: ${dir}`, `  pidfile: ${dir}/knot.pid`,
    'database:', `  storage: ${dir}/db`,
    'control:', `  listen: ${dir}/knot.sock`,
    'log:', '  - target: stderr', '    any: error',
    'zone:', '  - domain: acme.agents', `    file: ${dir}/acme.agents.zone`,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn('knotd', ['-c', path.join(dir, 'knot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const server = { address, port };
  // Ready when it answers; until then the port refuses or the zone is not loaded yet. 30 s at
  // most: a backstop for a loaded machine.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await query(server, { name: 'writer.acme.agents.', type: RRType.A, class: 1 }, { timeout: 100, stats: newTransportStats() });
      if (r.message.rcode === Rcode.NOERROR) return server;
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`knotd did not come up: ${stderr}`);
}

t.test('against knotd', async (t) => {
  if (!requireTool(t, 'knotd', 'knot')) return;
  const server = await startKnot(t);

  t.test('an A record over UDP', async (t) => {
    const r = await query(server, { name: 'writer.acme.agents.', type: RRType.A, class: 1 }, { rd: false, stats: newTransportStats() });
    t.equal(r.transport, 'udp');
    t.equal(r.message.aa, true);
    t.same([...r.message.answers[0]!.rdata], [192, 0, 2, 7]);
  });

  t.test('a large RRset: TC=1 over UDP, then all of it over TCP', async (t) => {
    for (const edns of [{ udpSize: 512 }, { udpSize: 1232 }, false] as const) {
      const stats = newTransportStats();
      const r = await query(server, { name: 'big.acme.agents.', type: RRType.TXT, class: 1 }, { edns, stats });
      t.equal(r.transport, 'tcp', `EDNS ${JSON.stringify(edns)}`);
      t.equal(r.message.answers.length, 40);
      t.equal(r.message.tc, false);
      t.match(stats, { tcpFallbacks: 1, sent: 2, received: 2, mismatched: 0 });
    }
    const ignored = await query(server, { name: 'big.acme.agents.', type: RRType.TXT, class: 1 }, { ignoreTc: true, stats: newTransportStats() });
    t.equal(ignored.message.tc, true, 'ignoreTc keeps the truncated reply');
    t.equal(ignored.transport, 'udp');
  });

  t.test('NXDOMAIN, REFUSED and mixed case', async (t) => {
    const nx = await query(server, { name: 'nobody.acme.agents.', type: RRType.A, class: 1 }, { stats: newTransportStats() });
    t.equal(nx.message.rcode, Rcode.NXDOMAIN);
    t.equal(nx.message.authority[0]?.type, RRType.SOA);
    const refused = await query(server, { name: 'example.com.', type: RRType.A, class: 1 }, { stats: newTransportStats() });
    t.equal(refused.message.rcode, Rcode.REFUSED);
    const mixed = await query(server, { name: 'WrItEr.AcMe.AgEnTs.', type: RRType.A, class: 1 }, { tcp: true, stats: newTransportStats() });
    t.equal(mixed.transport, 'tcp');
    t.equal(mixed.message.questions[0]!.name, 'WrItEr.AcMe.AgEnTs.', 'knotd echoes the case we sent');
    t.equal(mixed.message.answers.length, 1);
  });

  t.test('EDNS version 1 gets BADVERS, which is accepted as the reply', async (t) => {
    const wire = encodeQuery('writer.acme.agents.', RRType.A, { edns: { version: 1 } });
    const r = await exchange(server, wire, { stats: newTransportStats() });
    t.equal(r.message.rcode, Rcode.BADVERS);
  });

  t.test('no sockets left', async (t) => {
    // Closing completes on a later turn of the event loop.
    await waitUntil(() => openSockets() === 0, { intervalMs: 5 });
    t.equal(openSockets(), 0);
  });
});
