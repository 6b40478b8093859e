// The batched UDP path (native/udp-batch: recvmmsg/sendmmsg) answers byte for byte what the
// node:dgram path answers: a property test over random zones and random queries (names in and out
// of the zone, mixed case, random types, IDs, flags and EDNS sizes), each query sent to two daemons
// on the same zones, one per path. The queries go in bursts, so the batched side really takes
// many datagrams per system call (its counters say so).

import t from 'tap';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rng } from '../helpers/rng.js';
import { startDaemon } from '../helpers/server.js';
import { requireUdpBatch } from '../helpers/udp-batch.js';

const TYPES = [1, 2, 5, 6, 15, 16, 28, 33, 64, 65, 99, 255, 43, 48, 46, 47, 50, 12];

/** A random zone: hosts, agents (SVCB + TXT), CNAMEs, a wildcard, a delegation with glue, MX. */
function randomZone(r: () => number, origin: string): { text: string; names: string[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const label = (): string => Array.from({ length: 1 + Math.floor(r() * 10) }, () => pick('abcdefghijklmnopqrstuvwxyz0123456789'.split(''))).join('');
  const names = new Set<string>();
  const lines = [`$ORIGIN ${origin}.`, '$TTL 300', '@ IN SOA ns1 hostmaster 1 3600 600 604800 120', '@ IN NS ns1', 'ns1 IN A 127.0.0.53'];
  for (let i = 0, n = 5 + Math.floor(r() * 40); i < n; i++) {
    const name = r() < 0.3 ? `${label()}.${label()}` : label();
    if (names.has(name) || name === 'ns1') continue;
    names.add(name);
    const kind = r();
    if (kind < 0.25) lines.push(`${name} IN A 192.0.2.${Math.floor(r() * 255)}`, `${name} IN AAAA 2001:db8::${Math.floor(r() * 65535).toString(16)}`);
    else if (kind < 0.5) lines.push(`${name} IN SVCB ${1 + Math.floor(r() * 3)} host.${origin}. alpn="mcp" port=${1024 + Math.floor(r() * 60000)}`, `${name} IN TXT "v=aid1;p=mcp;u=https://host.${origin}/${label()}"`);
    else if (kind < 0.65) lines.push(`${name} IN CNAME ${pick([...names])}`);
    else if (kind < 0.75) lines.push(`${name} IN MX 10 ${pick([...names])}`);
    else if (kind < 0.85) lines.push(`${name} IN TXT "${'x'.repeat(Math.floor(r() * 250))}"`, `${name} IN TXT "${label()}"`);
    else if (kind < 0.92) lines.push(`*.${name} IN TXT "wild ${label()}"`);
    else lines.push(`${name} IN NS ns.${name}`, `ns.${name} IN A 192.0.2.1`);
  }
  lines.push(`host IN A 127.0.0.1`);
  return { text: lines.join('\n') + '\n', names: [...names] };
}

/** A random query in wire form for `names` under `origin`, or a name outside. */
function randomQuery(r: () => number, origin: string, names: string[]): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let name = r() < 0.8 && names.length > 0 ? `${pick(names)}.${origin}` : r() < 0.5 ? `nothere${Math.floor(r() * 100)}.${origin}` : `elsewhere.test`;
  if (r() < 0.2) name = `${Math.floor(r() * 9)}.${name}`;
  // 0x20: random case, which the stored-answer path must copy back exactly.
  name = name.split('').map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join('');
  const labels = name.split('.');
  const header = Buffer.alloc(12);
  header.writeUInt16BE(Math.floor(r() * 65536), 0);
  header.writeUInt16BE((r() < 0.5 ? 0x0100 : 0) | (r() < 0.2 ? 0x0010 : 0), 2);
  header.writeUInt16BE(1, 4);
  const edns = r() < 0.7;
  if (edns) header.writeUInt16BE(1, 10);
  const parts = [header];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(pick(TYPES), 1);
  tail.writeUInt16BE(1, 3);
  parts.push(tail);
  if (edns) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(pick([512, 1232, 1400, 4096, 65535, 0]), 3);
    opt.writeUInt16BE(r() < 0.5 ? 0x8000 : 0, 7);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

/** Send every query at once from one socket; the replies in query order, paired by ID (unique within a burst). */
async function burst(port: number, queries: Buffer[]): Promise<Array<Buffer | undefined>> {
  const sock = dgram.createSocket('udp4');
  const replies: Array<Buffer | undefined> = new Array(queries.length).fill(undefined);
  const pending = new Map<string, number[]>();
  queries.forEach((q, i) => {
    const k = q.readUInt16BE(0).toString(16);
    pending.set(k, [...(pending.get(k) ?? []), i]);
  });
  let got = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    sock.on('message', (m) => {
      const k = m.readUInt16BE(0).toString(16);
      const list = pending.get(k);
      const i = list?.shift();
      if (i === undefined) return;
      replies[i] = m;
      if (++got === queries.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    // In chunks of 50, a turn of the loop between: the daemons run in this process, and 300 at once
    // would overflow their receive buffers before they read (both paths alike).
    const send = (from: number): void => {
      for (const q of queries.slice(from, from + 50)) sock.send(q, port, '127.0.0.1');
      if (from + 50 < queries.length) setImmediate(send, from + 50);
    };
    sock.bind(0, '127.0.0.1', () => send(0));
  });
  sock.close();
  return replies;
}

t.test('batched UDP answers byte for byte what node:dgram answers', async (t) => {
  if (!requireUdpBatch(t)) return;
  const seed = Number(process.env.AOP_SEED ?? 20261207);
  const r = rng(seed);
  for (let round = 0; round < 4; round++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-udpb-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const origin = `z${round}.test`;
    const zone = randomZone(r, origin);
    writeFileSync(path.join(dir, `${origin}.zone`), zone.text);
    const common = { zonesDir: dir, cookies: false as const };
    const batched = await startDaemon(t, { ...common, udpIo: 'batched' });
    const plain = await startDaemon(t, { ...common, udpIo: 'dgram' });
    t.equal(batched.daemon.listeners[0]!.udpPath().path, 'batched');
    t.equal(plain.daemon.listeners[0]!.udpPath().path, 'dgram');
    // IDs unique within a burst, so replies pair with queries without doubt; one query per
    // question (name in any case, type), because a stored answer keeps the compression of the
    // first asker's case, and which of two askers comes first is up to timing, not the path.
    const queries: Buffer[] = [];
    const ids = new Set<number>();
    const questions = new Set<string>();
    for (let tries = 0; queries.length < 300 && tries < 10_000; tries++) {
      const q = randomQuery(r, origin, zone.names);
      const question = q.subarray(12, q.indexOf(0, 12) + 3).toString('latin1').toLowerCase();
      if (ids.has(q.readUInt16BE(0)) || questions.has(question)) continue;
      ids.add(q.readUInt16BE(0));
      questions.add(question);
      queries.push(q);
    }
    // Twice: the first pass fills the stored-answer cache, the second is answered from it.
    for (const pass of ['full path', 'stored answers']) {
      const [a, b] = await Promise.all([burst(batched.port, queries), burst(plain.port, queries)]);
      let same = 0;
      const differ: string[] = [];
      for (let i = 0; i < queries.length; i++) {
        if (a[i] !== undefined && b[i] !== undefined && a[i]!.equals(b[i]!)) same++;
        else if (differ.length < 3) differ.push(`query ${queries[i]!.toString('hex')}: batched ${a[i]?.toString('hex') ?? 'none'} dgram ${b[i]?.toString('hex') ?? 'none'}`);
      }
      t.equal(same, queries.length, `seed ${seed} round ${round} (${pass}): ${same} of ${queries.length} replies identical`);
      if (differ.length > 0) t.comment(differ.join('\n'));
    }
    const c = batched.daemon.listeners[0]!.udpPath().counters!;
    t.ok(c.received >= 600, `the batched socket took every datagram (${c.received})`);
    t.ok(c.received > c.recvCalls, `more than one datagram per recvmmsg (${c.received} in ${c.recvCalls} calls)`);
    await batched.daemon.close();
    await plain.daemon.close();
  }
});
