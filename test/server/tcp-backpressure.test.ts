// A TCP client that pipelines queries but does not read the answers: the server stops answering
// (and reading) once a bounded amount is waiting to be sent, instead of buffering without end,
// and carries on when the client reads again. Other clients are served meanwhile.

import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';

// One answer of about 15 KB, so a few hundred fill any kernel socket buffer.
const ZONE = [
  '$ORIGIN b.agents.',
  '$TTL 300',
  '@ SOA ns1 hostmaster 1 3600 600 604800 120',
  '@ NS ns1',
  'ns1 A 192.0.2.1',
  ...Array.from({ length: 150 }, (_, i) => `huge TXT "${String(i).padStart(3, '0')} ${'x'.repeat(90)}"`),
].join('\n') + '\n';

const N = 1500;

t.test('a client that does not read cannot make the server buffer without bound', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-bp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'b.agents.zone'), ZONE);
  const { daemon, port } = await startDaemon(t, { zonesDir: dir, tcp: { maxUnsentBytes: 64 * 1024 } });

  const sock = net.connect(port, '127.0.0.1');
  t.teardown(() => sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  sock.pause(); // read nothing for now
  const frames: Buffer[] = [];
  for (let i = 0; i < N; i++) {
    const q = rawQuery(i, ['huge', 'b', 'agents'], 16);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    frames.push(len, q);
  }
  sock.write(Buffer.concat(frames));

  // Let the server do all it will do while nobody reads.
  let last = -1;
  for (let i = 0; i < 40 && daemon.stats.tcpQueries !== last; i++) {
    last = daemon.stats.tcpQueries;
    await new Promise((r) => setTimeout(r, 100));
  }
  const stalled = daemon.stats.tcpQueries;
  t.ok(stalled < N, `answering stopped at ${stalled} of ${N} queries (~${Math.round(stalled * 15 / 1024)} MB sent into kernel buffers)`);

  // Another client is not held up.
  const other = await udpExchange(port, rawQuery(9, ['ns1', 'b', 'agents'], 1));
  t.ok(other && other.readUInt16BE(6) === 1, 'a UDP client is answered meanwhile');

  // Read everything: every query gets its answer.
  let buf = Buffer.alloc(0);
  let got = 0;
  const ids = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        ids.add(buf.readUInt16BE(2));
        got++;
        buf = buf.subarray(2 + len);
      }
      if (got === N) resolve();
    });
    sock.on('error', reject);
    sock.resume();
  });
  t.equal(got, N, 'all answers arrive once the client reads');
  t.equal(ids.size, N, 'each query answered once');
});
