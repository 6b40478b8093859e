// A flood from one source is cut to the rate, with TC=1 slips, while another source is not
// touched: a real daemon with RRL at 5 answers/s on a leased loopback address, real sockets.

import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeMessage, encodeQuery } from '../../src/wire/message.js';
import { FrameDecoder } from '../../src/transport/framing.js';
import { RRType } from '../../src/wire/types.js';
import { startFloodDaemon } from '../helpers/flood-daemon.js';
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
  const { daemon, lease, host, port } = await startFloodDaemon(t, RATE);
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
