// A flood from one source is cut to the rate, with TC=1 slips, while another source is not
// touched: a real daemon with RRL at 5 answers/s on a leased loopback address, real sockets.

import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { decodeMessage, encodeQuery } from '../../src/wire/message.js';
import { FrameDecoder } from '../../src/transport/framing.js';
import { RRType } from '../../src/wire/types.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitFor } from '../helpers/wait.js';

const RATE = 5;

/** A client socket bound to its own address, counting full answers and slips. */
async function client(host: string): Promise<{ sock: dgram.Socket; full: number; slips: number; send(n: number, port: number, server: string): void }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  const c = {
    sock, full: 0, slips: 0,
    send(n: number, port: number, server: string) {
      for (let i = 0; i < n; i++) sock.send(encodeQuery('www.flood.test.', RRType.A, { id: i }), port, server);
    },
  };
  sock.on('message', (msg) => {
    const m = decodeMessage(msg);
    if (m.tc && m.answers.length === 0) c.slips++;
    else if (m.answers.length > 0) c.full++;
  });
  return c;
}

t.test('one source flooding gets the rate plus slips; another source all its answers', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-rrl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'flood.test.zone'), '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\nwww IN A 192.0.2.1\n');
  const lease = await leaseNet(t);
  // /32: both clients are in the leased /24, and each must be a client of its own.
  const daemon = new Daemon({ zonesDir: dir, listen: [parseListen(`${lease.host(1)}:0`)], rrl: { rate: RATE, slip: 2, ipv4Prefix: 32, ipv6Prefix: 56, exempt: [] } });
  await daemon.start();
  t.teardown(() => daemon.close());
  const { host, port } = daemon.listeners[0]!.address;
  const s = daemon.stats;

  const a = await client(lease.host(2));
  t.teardown(() => a.sock.close());
  const started = performance.now();
  a.send(200, port, host);
  await waitFor(() => s.udpQueries >= 200, 'the daemon to see all 200 queries', { detail: () => JSON.stringify(s.snapshot()) });
  // Every query gets a verdict: sent whole, slipped, or dropped.
  await waitFor(() => a.full + a.slips + s.rrlDropped >= 200, 'every answer or slip to arrive', { detail: () => `full ${a.full} slips ${a.slips} ${JSON.stringify(s.snapshot())}` });
  const elapsed = (performance.now() - started) / 1000;
  const bound = RATE * (elapsed + 1) + RATE;
  t.ok(a.full <= bound, `${a.full} full answers in ${elapsed.toFixed(2)} s, at most ${bound.toFixed(1)}`);
  t.ok(a.full >= 1, 'the first answers got through');
  t.ok(a.slips > 0, `${a.slips} TC=1 slips`);
  t.equal(a.slips, s.rrlSlipped, 'the slips are counted');
  t.equal(a.full + a.slips + s.rrlDropped, 200, 'and the drops');
  t.ok(Math.abs(s.rrlSlipped - s.rrlDropped) <= 1, 'slip 2: every second answer held back slips');

  // The flooded source over TCP: never limited (a spoofer cannot complete a handshake).
  const sock = net.connect({ host, port, localAddress: lease.host(2) });
  t.teardown(() => sock.destroy());
  const q = encodeQuery('www.flood.test.', RRType.A, { id: 999 });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  sock.write(Buffer.concat([len, q]));
  const frames = new FrameDecoder();
  const over = await new Promise<Buffer>((resolve) => sock.on('data', (d: Buffer) => { const m = frames.push(d); if (m.length > 0) resolve(m[0]!); }));
  t.equal(decodeMessage(over).answers.length, 1, 'the same source over TCP gets its answer');

  const b = await client(lease.host(3));
  t.teardown(() => b.sock.close());
  b.send(RATE, port, host);
  await waitFor(() => b.full >= RATE, 'the second source\'s answers', { detail: () => `full ${b.full} slips ${b.slips}` });
  t.equal(b.slips, 0, 'another source is not limited');
});
