// Hostile and malformed packets: FORMERR or a silent drop, never a crash, and the counters say so,
// on both UDP paths (native batched and node:dgram).

import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';
import { waitUntil } from '../helpers/wait.js';
import { requireUdpBatch } from '../helpers/udp-batch.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'serve');
const NAME = ['writer', 'example', 'agents'];

function rcodeOf(msg: Buffer): number {
  return msg[3]! & 0x0f;
}

for (const udpIo of ['batched', 'dgram'] as const) t.test(`malformed queries (udp ${udpIo})`, async (t) => {
  if (udpIo === 'batched' && !requireUdpBatch(t)) return;
  const { daemon, port } = await startDaemon(t, { zonesDir, udpIo });
  t.equal(daemon.listeners[0]!.udpPath().path, udpIo);
  const healthy = async () => {
    const r = await udpExchange(port, rawQuery(7, NAME, 64));
    t.ok(r && rcodeOf(r) === 0 && r.readUInt16BE(6) === 1, 'server still answers a good query');
  };
  await healthy();

  /** Send `pkt` and wait until the server has counted it dropped (or replied): what came back, if anything. */
  const dropped = async (pkt: Buffer): Promise<{ counted: boolean; reply: Buffer | undefined }> => {
    const before = daemon.stats.dropped;
    const sock = dgram.createSocket('udp4');
    let reply: Buffer | undefined;
    sock.on('message', (m) => { reply ??= m; });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    sock.send(pkt, port, '127.0.0.1');
    const counted = await waitUntil(() => daemon.stats.dropped > before || reply !== undefined, { intervalMs: 5 });
    await new Promise<void>((r) => sock.close(() => r()));
    return { counted: counted && daemon.stats.dropped > before, reply };
  };

  t.test('too short for a header: dropped', async (t) => {
    const r = await dropped(Buffer.from([1, 2, 3, 4, 5]));
    t.ok(r.counted, 'counted as dropped');
    t.equal(r.reply, undefined, 'no reply');
  });

  t.test('a response (QR=1) is never answered', async (t) => {
    const r = await dropped(rawQuery(9, NAME, 1, { flags: 0x8000 }));
    t.ok(r.counted, 'counted as dropped');
    t.equal(r.reply, undefined, 'no reply');
  });

  t.test('question count larger than the data: FORMERR with the same id', async (t) => {
    const hdr = Buffer.alloc(12);
    hdr.writeUInt16BE(0xbeef, 0);
    hdr.writeUInt16BE(1, 4);
    const r = await udpExchange(port, hdr);
    t.ok(r);
    t.equal(r!.readUInt16BE(0), 0xbeef);
    t.equal(rcodeOf(r!), 1);
    t.ok((r![2]! & 0x80) !== 0, 'QR set');
  });

  t.test('compression loop in the question: FORMERR', async (t) => {
    const hdr = Buffer.alloc(12);
    hdr.writeUInt16BE(2, 0);
    hdr.writeUInt16BE(1, 4);
    const self = Buffer.concat([hdr, Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    t.equal(rcodeOf((await udpExchange(port, self))!), 1, 'pointer to itself');
    const forward = Buffer.concat([hdr, Buffer.from([0xc0, 14, 0xc0, 12, 0, 1, 0, 1])]);
    t.equal(rcodeOf((await udpExchange(port, forward))!), 1, 'forward pointer');
  });

  t.test('oversized label and name: FORMERR', async (t) => {
    const long = rawQuery(3, ['a'.repeat(64), 'agents']);
    t.equal(rcodeOf((await udpExchange(port, long))!), 1, '64-octet label');
    const many = rawQuery(4, Array.from({ length: 60 }, () => 'abcd'));
    t.equal(rcodeOf((await udpExchange(port, many))!), 1, 'name over 255 octets');
  });

  t.test('two questions: FORMERR', async (t) => {
    const q = rawQuery(5, NAME, 1, { qdcount: 2 });
    const two = Buffer.concat([q, q.subarray(12)]);
    t.equal(rcodeOf((await udpExchange(port, two))!), 1);
  });

  t.test('random bytes never stop the server', async (t) => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const good = rawQuery(11, NAME, 64);
    for (let i = 0; i < 300; i++) {
      let pkt: Buffer;
      if (i % 2 === 0) {
        pkt = Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256)));
      } else {
        pkt = Buffer.from(good);
        for (let k = 0; k < 3; k++) pkt[Math.floor(rand() * pkt.length)] = Math.floor(rand() * 256);
      }
      pkt[2] = pkt.length > 2 ? pkt[2]! & 0x7f : 0; // keep QR clear so most get an answer
      const r = await udpExchange(port, pkt, 50);
      if (r) t.ok(r.length >= 12, `reply ${i} has a header`);
    }
    await healthy();
  });

  t.test('garbage over TCP closes that connection only', async (t) => {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(Buffer.from([0, 3, 1, 2, 3]));
    await new Promise((r) => sock.once('close', r));
    t.pass('connection closed');
    await healthy();
  });

  await t.test('counters', async (t) => {
    const s = daemon.stats.snapshot();
    t.ok((s.malformed as number) >= 5, `malformed counted (${s.malformed})`);
    t.ok((s.dropped as number) >= 2, `dropped counted (${s.dropped})`);
  });
});
