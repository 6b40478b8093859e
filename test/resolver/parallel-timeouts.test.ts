// A burst of cold questions to an authoritative that pauses (an aop server re-signing after a
// reload): every query in flight times out together. The resolver must count that as one
// timeout, ask again with the longer timeout and get its answers; before, each timed-out query
// added to the server's count, the only server of the zone was held back after three, and the
// rest of the burst failed at once with "held back after repeated timeouts" (SERVFAIL).
// A real UDP server on a leased loopback address: it drops every query until it has received
// BURST of them, then answers all that come after.

import t from 'tap';
import dgram from 'node:dgram';
import { Resolver } from '../../src/resolver/resolver.js';
import { DnsCache } from '../../src/cache/index.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { leaseNet } from '../helpers/loopback-net.js';

const BURST = 12;

t.test('a server that pauses during a burst of cold questions is not held back', async (t) => {
  const lease = await leaseNet(t);
  const addr = lease.host(53);
  const sock = dgram.createSocket('udp4');
  let received = 0;
  let answered = 0;
  sock.on('message', (msg, rinfo) => {
    received++;
    if (received <= BURST) return; // paused: the first BURST queries go unanswered
    const q = decodeMessage(msg);
    const question = q.questions[0]!;
    const reply = encodeMessage({
      id: q.id, qr: true, opcode: 0, aa: true, tc: false, rd: q.rd, ra: false, ad: false, cd: false, rcode: 0,
      questions: [question],
      answers: question.type === RRType.A ? [{ name: question.name, type: RRType.A, class: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 1]) }] : [],
      authority: [], additional: [],
    });
    answered++;
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(53, addr, resolve));
  t.teardown(() => sock.close());

  const cache = new DnsCache();
  const resolver = new Resolver({ hints: { zone: 'pause.test.', servers: [{ name: 'ns.pause.test.', addresses: [addr] }], ttl: 3600 }, cache, timeout: 1500 });
  t.teardown(() => resolver.close());
  const names = Array.from({ length: BURST }, (_, i) => `agent${i}.pause.test.`);
  const results = await Promise.all(names.map((n) => resolver.resolve(n, RRType.A)));
  t.equal(received > BURST, true, 'the server was asked again after its pause');
  for (const [i, r] of results.entries()) {
    t.equal(r.rcode, 0, `${names[i]}: NOERROR${r.reason ? ` (not: ${r.reason})` : ''}`);
    t.same(r.answer.filter((rr) => rr.type === RRType.A).map((rr) => [...rr.rdata]), [[192, 0, 2, 1]], `${names[i]}: the answer`);
  }
  t.equal(answered >= BURST, true, 'every question was answered by the server');
  t.equal(cache.infra.isHeldBack(addr), false, 'the server is not held back');
  t.equal(cache.infra.get(addr)?.timeouts, 0, 'its reply cleared the one timeout');
});
