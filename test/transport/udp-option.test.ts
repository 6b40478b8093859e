// ExchangeOptions.udp picks the socket code per call, not per process: `dgram` queries never
// touch the native module, `auto` ones use it where it was built; anything else is refused.

import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { query } from '../../src/transport/exchange.js';
import { TransportError } from '../../src/transport/errors.js';
import { loadUdpBatch } from '../../src/transport/native-udp.js';
import { newTransportStats } from '../../src/transport/stats.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';

const Q = { name: 'udp-option.test.', type: RRType.A, class: 1 };

async function echoServer(t: Test): Promise<number> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (buf, rinfo) => {
    const m = decodeMessage(buf);
    sock.send(encodeMessage({ ...m, qr: true }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  t.teardown(() => sock.close());
  return sock.address().port;
}

t.test('dgram and auto side by side in one process', async (t) => {
  const port = await echoServer(t);
  const native = loadUdpBatch().native;
  const opened = () => native?.exchanges().opened ?? 0;
  const before = opened();
  const a = await query({ address: '127.0.0.1', port }, Q, { udp: 'dgram', stats: newTransportStats() });
  t.equal(a.transport, 'udp');
  t.equal(opened(), before, 'udp: dgram opened no native exchange');
  const b = await query({ address: '127.0.0.1', port }, Q, { stats: newTransportStats() });
  t.equal(b.transport, 'udp');
  if (native) t.equal(opened(), before + 1, 'the default (auto) went through the native module');
  else t.equal(opened(), before, `no native module here (${loadUdpBatch().why}): auto is node:dgram`);
  const c = await query({ address: '127.0.0.1', port }, Q, { udp: 'dgram', stats: newTransportStats() });
  t.equal(c.transport, 'udp');
  t.equal(opened(), native ? before + 1 : before, 'a later dgram call is still dgram');
});

t.test('an unknown udp mode is a bad option', async (t) => {
  const err = await query({ address: '127.0.0.1', port: 53 }, Q, { udp: 'batched' as never }).catch((e: unknown) => e);
  t.ok(err instanceof TransportError);
  t.equal((err as TransportError).code, 'ERR_TRANSPORT_BAD_OPTION');
  t.match((err as Error).message, /udp "batched"/);
});
