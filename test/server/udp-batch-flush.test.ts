// On the batched UDP path a stored answer does not wait for another query of its batch that
// takes the full path (decode, lookup, encode): the listener sends the batch's stored answers
// (flush) before it starts the others. Here a batch of two, a question never asked (the full
// path) then one already answered (stored): the stored answer must arrive first. Before the
// flush, the full path's synchronous part and promise reactions ran before the batch's send, so
// its answer went out first.

import t from 'tap';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseListen } from '../../src/server/listen.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireUdpBatch } from '../helpers/udp-batch.js';

const zonesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'zones');

/** The IDs of the replies to `queries`, in the order they arrived. */
function arrivalOrder(sock: dgram.Socket, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    const ids: number[] = [];
    const on = (msg: Buffer): void => {
      ids.push(msg.readUInt16BE(0));
      if (ids.length < count) return;
      sock.off('message', on);
      resolve(ids);
    };
    sock.on('message', on);
  });
}

t.test('a stored answer goes out before a full-path answer of the same batch', async (t) => {
  if (!requireUdpBatch(t)) return;
  const net = await leaseNet(t);
  const { daemon, host, port } = await startDaemon(t, { zonesDir, listen: [parseListen(`${net.host(1)}:0`)], udpIo: 'batched' });
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, net.host(2), r));
  const stored = encodeQuery('writer.acme.agents', RRType.SVCB);
  stored.writeUInt16BE(1, 0);
  // Asked once: its answer is stored from now on.
  const first = arrivalOrder(sock, 1);
  sock.send(stored, port, host);
  await first;
  const counters = (): { recvCalls: number; received: number } => daemon.listeners[0]!.udpPath().counters!;
  for (let round = 0; round < 5; round++) {
    // A question not asked before (a type per round), so it takes the full path.
    const fresh = encodeQuery('writer.acme.agents', [RRType.TXT, RRType.A, RRType.AAAA, RRType.MX, RRType.NS][round]!);
    fresh.writeUInt16BE(100 + round, 0);
    stored.writeUInt16BE(200 + round, 0);
    const before = counters();
    const order = arrivalOrder(sock, 2);
    // Both sent in this turn of the loop; the daemon (same process) reads them after it, in one batch.
    sock.send(fresh, port, host);
    sock.send(stored, port, host);
    const ids = await order;
    const after = counters();
    t.equal(after.received - before.received, 2, `round ${round}: two datagrams received`);
    t.equal(after.recvCalls - before.recvCalls, 1, `round ${round}: in one recvmmsg`);
    t.same(ids, [200 + round, 100 + round], `round ${round}: the stored answer first`);
  }
});
