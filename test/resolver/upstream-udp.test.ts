// The resolver's upstreamUdp option (the daemon's --udp-io): `dgram` keeps its upstream UDP
// queries on node:dgram, the default takes the native module where it was built, and two
// resolvers in one process each keep their own (the option is per client, not per process).

import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { Resolver } from '../../src/resolver/resolver.js';
import { loadUdpBatch } from '../../src/transport/native-udp.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { RRType, Rcode } from '../../src/wire/types.js';

/** An authoritative server for agents. that answers every A question with 127.0.0.9. */
async function authority(t: Test): Promise<number> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (buf, rinfo) => {
    const q = decodeMessage(buf);
    const question = q.questions[0]!;
    const answers = question.type === RRType.A ? [{ name: question.name, type: RRType.A, class: 1, ttl: 300, rdata: Buffer.from([127, 0, 0, 9]) }] : [];
    sock.send(encodeMessage({ ...q, qr: true, aa: true, answers, authority: [], additional: [] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  t.teardown(() => sock.close());
  return sock.address().port;
}

const hints = { zone: 'agents.', servers: [{ name: 'a.agents.', addresses: ['127.0.0.1'] }], ttl: 3600 };

t.test('upstreamUdp dgram and auto, side by side', async (t) => {
  const port = await authority(t);
  const native = loadUdpBatch().native;
  const opened = () => native?.exchanges().opened ?? 0;
  const plain = new Resolver({ hints, port, upstreamUdp: 'dgram' });
  const auto = new Resolver({ hints, port });
  t.teardown(() => { plain.close(); auto.close(); });

  const before = opened();
  const a = await plain.resolve('one.agents.', RRType.A);
  t.equal(a.rcode, Rcode.NOERROR);
  t.equal(a.answer.length, 1);
  t.equal(opened(), before, 'the dgram resolver opened no native exchange');

  const b = await auto.resolve('two.agents.', RRType.A);
  t.equal(b.rcode, Rcode.NOERROR);
  if (native) t.ok(opened() > before, 'the default resolver asked through the native module');
  else t.equal(opened(), before, `no native module here (${loadUdpBatch().why})`);

  const mark = opened();
  const c = await plain.resolve('three.agents.', RRType.A);
  t.equal(c.rcode, Rcode.NOERROR);
  t.equal(opened(), mark, 'the dgram resolver stays on node:dgram after the other one asked');
});
