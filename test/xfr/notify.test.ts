// NOTIFY out: retried with a doubling wait until the secondary acknowledges, bounded when it
// never does, and superseded by the next change; the message is RFC 1996's.

import t from 'tap';
import dgram from 'node:dgram';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { Opcode, Rcode, RRType } from '../../src/wire/types.js';
import { Notifier, notifyReply, readNotify } from '../../src/xfr/notify.js';
import { waitFor } from '../helpers/wait.js';

const HOST = '127.0.107.1';

function soa(serial: number): RR {
  const rdata = Buffer.concat([nameToWire('ns.example.'), nameToWire('host.example.'), Buffer.alloc(20)]);
  rdata.writeUInt32BE(serial, rdata.length - 20);
  return { name: 'example.', type: RRType.SOA, class: 1, ttl: 300, rdata };
}

/** A secondary that ignores the first `ignore` NOTIFYs, then acknowledges (or answers `rcode`). */
async function secondary(t: { teardown(fn: () => unknown): void }, ignore: number, rcode: number = Rcode.NOERROR): Promise<{ port: number; got: Message[] }> {
  const got: Message[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (buf, rinfo) => {
    const m = decodeMessage(buf);
    got.push(m);
    if (got.length <= ignore) return;
    sock.send(encodeMessage(notifyReply(m, rcode)), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, HOST, r));
  t.teardown(() => new Promise<void>((r) => sock.close(() => r())));
  return { port: sock.address().port, got };
}

t.test('retried until acknowledged', async (t) => {
  const s = await secondary(t, 2);
  // Long enough that a slow reply under load is not taken for a lost one.
  const n = new Notifier({ timeout: 250, attempts: 5 });
  t.teardown(() => n.close());
  await n.notify('example.', soa(7), [{ address: HOST, port: s.port }]);
  // A reply slower than the (doubled) wait on a stalled machine costs one attempt more, no more.
  t.ok(s.got.length >= 3 && s.got.length <= 4, `two lost, the third acknowledged (${s.got.length} sent)`);
  t.equal(n.acked.get(`example. ${HOST}:${s.port}`), 7, 'acknowledged serial 7');
  const m = s.got[0]!;
  t.equal(m.opcode, Opcode.NOTIFY);
  t.ok(m.aa, 'AA set (RFC 1996 3.7)');
  t.same(m.questions, [{ name: 'example.', type: RRType.SOA, class: 1 }]);
  t.equal(m.answers[0]?.type, RRType.SOA, 'the new SOA as a hint');
  t.same(readNotify(m), { origin: 'example.', serial: 7 });
  t.not(s.got[0]!.id, s.got[1]!.id, 'each attempt a fresh ID');
});

t.test('bounded when never acknowledged; a refusal is not retried', async (t) => {
  const silent = await secondary(t, 1000);
  // Only the refusing secondary hears from this one, at once: the wait is a backstop.
  const n = new Notifier({ timeout: 10_000, attempts: 3 });
  t.teardown(() => n.close());
  const logs: string[] = [];
  const n2 = new Notifier({ timeout: 20, attempts: 3, log: (_l, m) => logs.push(m) });
  await n2.notify('example.', soa(1), [{ address: HOST, port: silent.port }]);
  t.equal(silent.got.length, 3, 'three attempts, then it gives up');
  t.match(logs.join('\n'), /no answer after 3 attempts/);
  const refusing = await secondary(t, 0, Rcode.NOTAUTH);
  await n.notify('example.', soa(1), [{ address: HOST, port: refusing.port }]);
  t.equal(refusing.got.length, 1, 'NOTAUTH: no retry');
  t.equal(n.acked.size, 0);
});

t.test('a newer change supersedes the retries of the last', async (t) => {
  const silent = await secondary(t, 1000);
  // The second change comes as soon as the first NOTIFY is seen, long before its 1 s wait ends.
  const n = new Notifier({ timeout: 1000, attempts: 2 });
  t.teardown(() => n.close());
  const first = n.notify('example.', soa(1), [{ address: HOST, port: silent.port }]);
  await waitFor(() => silent.got.length >= 1, 'the first NOTIFY', { intervalMs: 1 });
  const second = n.notify('example.', soa(2), [{ address: HOST, port: silent.port }]);
  await Promise.all([first, second]);
  const serials = silent.got.map((m) => readNotify(m)).map((r) => ('serial' in r ? r.serial : undefined));
  t.equal(serials.filter((s) => s === 1).length, 1, 'serial 1 was sent once, then superseded');
  t.equal(serials.filter((s) => s === 2).length, 2, 'serial 2 retried to the bound');
});
