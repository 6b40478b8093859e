// DoT and DoH answers are the UDP answers: the same query bytes sent over UDP, DNS over TLS and
// DNS over HTTPS (GET and POST) get byte-identical replies from the authoritative daemon on the
// bundled zones (agent SVCB and TXT, NXDOMAIN, NODATA, a referral from the root zone), and the
// same records from the resolver role iterating the bundled hierarchy (TTLs aside: they count down).

import t, { type Test } from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { dotExchange } from '../../src/transport/dot.js';
import { dohExchange } from '../../src/transport/doh.js';
import { encodeQuery, type Message } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { requireTool } from '../helpers/peers.js';
import { makeCertificates } from '../helpers/tls-cert.js';
import { requirePort53, startTopology } from '../helpers/topology.js';

const CORPUS: Array<[string, number, string]> = [
  ['writer.acme.agents', RRType.SVCB, 'an agent record'],
  ['_agent.writer.acme.agents', RRType.TXT, 'the AID-style TXT'],
  ['nobody.acme.agents', RRType.SVCB, 'NXDOMAIN'],
  ['writer.acme.agents', RRType.AAAA, 'NODATA'],
  ['acme.agents', RRType.NS, 'the apex NS with glue'],
  ['globex.agents', RRType.SOA, 'a SOA'],
  ['planner.globex.agents', RRType.SVCB, 'another organisation'],
];

async function encryptedDaemon(t: Test, zonesDir: string | undefined, extra: Partial<ConstructorParameters<typeof Daemon>[0]> = {}): Promise<{ daemon: Daemon; udp: number; dot: number; doh: number; ca: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-enc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const certs = makeCertificates(dir);
  const any = parseListen('127.0.0.1:0');
  const daemon = new Daemon({
    ...(zonesDir !== undefined ? { zonesDir } : {}), listen: [any], ...extra,
    encrypted: { tls: [any], https: [any], files: { cert: certs.cert, key: certs.key } },
  });
  await daemon.start();
  t.teardown(() => daemon.close());
  return { daemon, udp: daemon.listeners[0]!.address.port, dot: daemon.encrypted!.dot[0]!.address.port, doh: daemon.encrypted!.doh[0]!.address.port, ca: certs.ca };
}

function strip(m: Message): unknown {
  const rr = (list: Message['answers']) => list.map((r) => ({ ...r, ttl: 0 }));
  return { ...m, answers: rr(m.answers), authority: rr(m.authority), additional: rr(m.additional) };
}

t.test('authoritative: the same bytes back over UDP, TLS, HTTPS GET and POST', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  // The root zone alone too, for a referral.
  const rootOnly = mkdtempSync(path.join(os.tmpdir(), 'aop-enc-root-'));
  t.teardown(() => rmSync(rootOnly, { recursive: true, force: true }));
  cpSync(path.join(bundledZonesDir, 'agents.zone'), path.join(rootOnly, 'agents.zone'));
  for (const [label, zones, corpus] of [
    ['bundled zones', bundledZonesDir, CORPUS],
    ['the root zone alone', rootOnly, [['writer.acme.agents', RRType.SVCB, 'a referral'], ['agents', RRType.NS, 'the root apex']] as typeof CORPUS],
  ] as const) {
    const s = await encryptedDaemon(t, zones);
    const tls = { name: '127.0.0.1', ca: readFileSync(s.ca) };
    for (const [name, type, what] of corpus) {
      const q = encodeQuery(name, type, { id: 4242, rd: false, edns: { udpSize: 1232 } });
      const udp = await exchange({ address: '127.0.0.1', port: s.udp }, q);
      const dot = await dotExchange({ address: '127.0.0.1', port: s.dot, tls }, q);
      const get = await dohExchange({ address: '127.0.0.1', port: s.doh, tls }, q, { method: 'GET' });
      const post = await dohExchange({ address: '127.0.0.1', port: s.doh, tls }, q, { method: 'POST' });
      t.equal(dot.transport, 'tls');
      t.equal(get.transport, 'https');
      t.ok(udp.reply.equals(dot.reply), `${label}: ${what} (${name}): DoT = UDP`);
      t.ok(udp.reply.equals(get.reply), `${label}: ${what}: DoH GET = UDP`);
      t.ok(udp.reply.equals(post.reply), `${label}: ${what}: DoH POST = UDP`);
    }
    if (label === 'the root zone alone') {
      const q = encodeQuery('writer.acme.agents', RRType.SVCB, { id: 1, rd: false });
      const r = await dotExchange({ address: '127.0.0.1', port: s.dot, tls }, q);
      t.equal(r.message.aa, false, 'the referral is not authoritative');
      t.ok(r.message.authority.some((rr) => rr.type === RRType.NS), 'with the NS of acme.agents');
    }
  }
});

t.test('resolver: the same records over UDP, TLS and HTTPS for recursive questions', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  if (!(await requirePort53(t))) return;
  const topo = await startTopology();
  t.teardown(() => topo.close());
  const s = await encryptedDaemon(t, undefined, { resolver: { hints: topo.hints, warmUp: 0 } });
  const tls = { ca: readFileSync(s.ca) };
  for (const [name, type, what] of CORPUS) {
    const q = encodeQuery(name, type, { id: 7, rd: true, edns: { udpSize: 1232 } });
    const udp = await exchange({ address: '127.0.0.1', port: s.udp }, q);
    const dot = await dotExchange({ address: '127.0.0.1', port: s.dot, tls }, q);
    const doh = await dohExchange({ address: '127.0.0.1', port: s.doh, tls }, q);
    t.ok(udp.message.ra, `${what}: a recursive answer`);
    t.same(strip(dot.message), strip(udp.message), `${what} (${name}): DoT = UDP`);
    t.same(strip(doh.message), strip(udp.message), `${what}: DoH = UDP`);
  }
});
