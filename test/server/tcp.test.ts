// TCP serving (RFC 7766): length framing, pipelined queries, idle timeout, connection limit.
// The slowloris guards (message deadline, per-source cap, eviction) are in tcp-slowloris.test.ts.

import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { rawQuery } from '../helpers/udp.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'serve');

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Read `count` length-framed messages from a socket. */
function readFrames(sock: net.Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        out.push(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
      }
      if (out.length >= count) {
        sock.off('data', onData);
        resolve(out);
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
  });
}

async function connect(port: number): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  return sock;
}

t.test('pipelined queries on one connection, framing split across writes', async (t) => {
  const { port } = await startDaemon(t, { zonesDir });
  const sock = await connect(port);
  t.teardown(() => sock.destroy());
  const ids = [101, 102, 103];
  const all = Buffer.concat(ids.map((id) => frame(rawQuery(id, ['writer', 'example', 'agents'], 64))));
  const replies = readFrames(sock, 3);
  // Split mid-length-prefix and mid-message to exercise reassembly.
  sock.write(all.subarray(0, 1));
  sock.write(all.subarray(1, 20));
  sock.write(all.subarray(20));
  const got = await replies;
  t.same(got.map((m) => m.readUInt16BE(0)).sort(), ids);
  for (const m of got) t.equal(m.readUInt16BE(6), 1, 'one answer each');
});

t.test('idle connections are closed', async (t) => {
  const { daemon, port } = await startDaemon(t, { zonesDir, tcp: { idleTimeoutMs: 200 } });
  const sock = await connect(port);
  await new Promise((r) => sock.once('close', r));
  t.equal(daemon.stats.tcpIdleClosed, 1, 'closed by the server, as idle');
});

t.test('connection limit: with every connection busy, a new one is refused', async (t) => {
  const { daemon, port } = await startDaemon(t, { zonesDir, tcp: { maxConnections: 2, messageTimeoutMs: 60_000 } });
  const a = await connect(port);
  const b = await connect(port);
  t.teardown(() => { a.destroy(); b.destroy(); });
  // Each has a message half sent, so neither is idle and neither may be evicted for the third.
  a.write(Buffer.from([0]));
  b.write(Buffer.from([0]));
  const listener = daemon.listeners[0]!;
  for (let i = 0; i < 2000 && listener.tcpState().inMessage < 2; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(listener.tcpState().inMessage, 2, 'both mid-message');
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  await new Promise((res) => c.once('close', res));
  t.equal(daemon.stats.tcpRejected, 1, 'third connection refused');
  t.equal(daemon.stats.tcpEvicted, 0, 'no connection evicted');
  t.notOk(a.destroyed || b.destroyed, 'the busy two stay open');
});
