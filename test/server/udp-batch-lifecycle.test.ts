// The native batched UDP socket's life: opened and closed many times (descriptor numbers reused,
// old handles collected) every new socket still answers; an address held refuses a second socket
// with EADDRINUSE, as node:dgram would.

import t from 'tap';
import dgram from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Listener } from '../../src/server/transport.js';
import { Stats } from '../../src/server/stats.js';
import type { Responder } from '../../src/server/respond.js';
import { requireUdpBatch } from '../helpers/udp-batch.js';
import { udpExchange } from '../helpers/udp.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A responder that answers every query from "the cache": its bytes with QR set. */
function reply(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  out[2]! |= 0x80;
  return out;
}
const echo = {
  cached: reply,
  respond: async (buf: Buffer): Promise<Buffer> => reply(buf),
  trusted: () => false,
  badCookie: () => undefined,
} as unknown as Responder;

function listener(port = 0): Listener {
  const l = new Listener({ host: '127.0.0.1', port, family: 4 }, echo, new Stats());
  l.udpIo = 'batched';
  return l;
}

/** A listener started and closed, with no reference left to it. */
async function openAndClose(): Promise<void> {
  const old = listener();
  await old.start();
  await old.close();
}

t.test('sockets opened, closed and collected: the newest still answers', async (t) => {
  if (!requireUdpBatch(t)) return;
  const query = Buffer.from('abcd0000000100000000000000000100010000', 'hex');
  for (let i = 0; i < 20; i++) {
    // The old listener is closed and dropped; its handle may be collected while the new one,
    // likely on the same descriptor number, is polled. The collection must not touch the new one.
    await openAndClose();
    const l = listener();
    await l.start();
    // Answered once first: the new socket is registered with epoll before the old handle goes.
    t.ok(await udpExchange(l.address.port, query), `round ${i}: answered before the collection`);
    gc();
    // Finalizers of native handles may run a turn or two after the collection.
    for (let k = 0; k < 3; k++) await new Promise((r) => setTimeout(r, 5));
    const r = await udpExchange(l.address.port, query);
    t.ok(r && (r[2]! & 0x80) !== 0 && r.subarray(3).equals(query.subarray(3)), `round ${i}: answered after it`);
    await l.close();
  }
});

t.test('an address held refuses a second batched socket with EADDRINUSE', async (t) => {
  if (!requireUdpBatch(t)) return;
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((r) => holder.bind(0, '127.0.0.1', r));
  t.teardown(() => holder.close());
  const l = listener(holder.address().port);
  await t.rejects(l.start(), { code: 'EADDRINUSE', syscall: 'bind' });
});

t.test('upstream queries go through the native module when it is built', async (t) => {
  if (!requireUdpBatch(t)) return;
  const { exchange } = await import('../../src/transport/exchange.js');
  const { encodeQuery } = await import('../../src/wire/message.js');
  const { loadUdpBatch } = await import('../../src/transport/native-udp.js');
  const l = listener();
  await l.start();
  t.teardown(() => l.close());
  const native = loadUdpBatch().native!;
  const before = native.exchanges();
  const r = await exchange({ address: '127.0.0.1', port: l.address.port }, encodeQuery('a.test', 1, { id: 77 }));
  t.equal(r.reply.readUInt16BE(0), 77, 'the echo came back');
  const after = native.exchanges();
  t.equal(after.opened - before.opened, 1, 'one native exchange opened');
  t.equal(after.open, before.open, 'and closed');
});
