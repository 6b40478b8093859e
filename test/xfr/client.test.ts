// The transfer client's stream reader and the message packer, on records built in memory: AXFR
// and IXFR replies over several messages, "current", and each way a stream can be malformed.

import t from 'tap';
import { decodeMessage, newMessage, type Message } from '../../src/wire/message.js';
import type { RR } from '../../src/wire/rr.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType, Rcode } from '../../src/wire/types.js';
import { TransferReader } from '../../src/xfr/client.js';
import { XfrError } from '../../src/xfr/errors.js';
import { packRecords } from '../../src/xfr/pack.js';
import { serialLess } from '../../src/xfr/diff.js';
import { TransferAcl } from '../../src/xfr/acl.js';

const ORIGIN = 'example.';

function soa(serial: number): RR {
  const rdata = Buffer.concat([nameToWire('ns.example.'), nameToWire('host.example.'), Buffer.alloc(20)]);
  rdata.writeUInt32BE(serial, rdata.length - 20);
  rdata.writeUInt32BE(3600, rdata.length - 16);
  return { name: ORIGIN, type: RRType.SOA, class: 1, ttl: 300, rdata };
}
const a = (name: string, last: number): RR => ({ name, type: RRType.A, class: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, last]) });
const ns: RR = { name: ORIGIN, type: RRType.NS, class: 1, ttl: 300, rdata: nameToWire('ns.example.') };
const msg = (answers: RR[], rcode = 0): Message => newMessage({ qr: true, rcode, answers });

function read(reader: TransferReader, messages: Message[]): ReturnType<TransferReader['result']> {
  for (const m of messages) reader.push(m);
  return reader.result();
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof XfrError) return e.code;
    throw e;
  }
  return undefined;
}

t.test('AXFR over three messages', async (t) => {
  const r = read(new TransferReader(ORIGIN, undefined), [msg([soa(5), ns]), msg([a('ns.example.', 1)]), msg([a('www.example.', 2), soa(5)])]);
  t.equal(r.kind, 'axfr');
  if (r.kind === 'axfr') {
    t.equal(r.records.length, 4, 'SOA once, then every record');
    t.equal(r.messages, 3);
  }
});

t.test('IXFR: incremental, current, and AXFR-style', async (t) => {
  const from = soa(1);
  const inc = read(new TransferReader(ORIGIN, from), [
    msg([soa(3), soa(1), a('old.example.', 1), soa(2), a('new.example.', 2)]),
    msg([soa(2), soa(3), a('newer.example.', 3), soa(3)]),
  ]);
  t.equal(inc.kind, 'ixfr');
  if (inc.kind === 'ixfr') {
    t.equal(inc.diffs.length, 2);
    t.same(inc.diffs.map((d) => [d.removed.length, d.added.length]), [[1, 1], [0, 1]]);
  }
  t.equal(read(new TransferReader(ORIGIN, soa(3)), [msg([soa(3)])]).kind, 'current', 'the SOA alone at our serial');
  t.equal(read(new TransferReader(ORIGIN, soa(3)), [msg([soa(2)])]).kind, 'current', 'a primary behind us: nothing to take');
  const newerAlone = new TransferReader(ORIGIN, soa(1));
  newerAlone.push(msg([soa(4)]));
  t.notOk(newerAlone.done, 'a newer SOA alone may start a one-record-per-message stream: keep reading');
  newerAlone.push(msg([ns]));
  newerAlone.push(msg([soa(4)]));
  t.equal(newerAlone.result().kind, 'axfr', 'and it was the whole zone');
});

t.test('malformed streams', async (t) => {
  t.equal(code(() => read(new TransferReader(ORIGIN, undefined), [msg([ns, soa(1)])])), 'ERR_XFR_BAD_STREAM', 'not starting with the SOA');
  t.equal(code(() => read(new TransferReader(ORIGIN, undefined), [msg([soa(1), ns, soa(2)])])), 'ERR_XFR_BAD_STREAM', 'closing SOA with another serial');
  t.equal(code(() => read(new TransferReader(ORIGIN, undefined), [msg([soa(1), ns])])), 'ERR_XFR_BAD_STREAM', 'ends before the closing SOA');
  t.equal(code(() => read(new TransferReader(ORIGIN, undefined), [msg([soa(1), ns, soa(1), ns])])), 'ERR_XFR_BAD_STREAM', 'records after the closing SOA');
  t.equal(code(() => read(new TransferReader(ORIGIN, undefined), [msg([])])), 'ERR_XFR_BAD_STREAM', 'an empty first message');
  t.equal(code(() => read(new TransferReader('other.', undefined), [msg([soa(1), ns, soa(1)])])), 'ERR_XFR_BAD_STREAM', 'the SOA of another zone');
  t.equal(code(() => read(new TransferReader(ORIGIN, undefined), [msg([soa(1), { ...ns, class: 3 }, soa(1)])])), 'ERR_XFR_BAD_STREAM', 'a record of another class');
  t.equal(code(() => read(new TransferReader(ORIGIN, undefined, 2), [msg([soa(1), ns, a('a.example.', 1), a('b.example.', 2), soa(1)])])), 'ERR_XFR_TOO_LARGE', 'over the record limit');
  let refused: XfrError | undefined;
  try {
    read(new TransferReader(ORIGIN, undefined), [msg([], Rcode.NOTAUTH)]);
  } catch (e) {
    refused = e as XfrError;
  }
  t.equal(refused?.code, 'ERR_XFR_REFUSED');
  t.equal(refused?.rcode, Rcode.NOTAUTH, 'the RCODE is kept');
});

t.test('packing: every record once, in order, a set too big for one message split by record', async (t) => {
  const template = newMessage({ id: 7, qr: true, aa: true, questions: [{ name: ORIGIN, type: RRType.AXFR, class: 1 }] });
  const big: RR[] = Array.from({ length: 400 }, (_, i) => ({ name: 'txt.example.', type: RRType.TXT, class: 1, ttl: 300, rdata: Buffer.concat([Buffer.from([250]), Buffer.alloc(250, 97 + (i % 26))]) }));
  const records = [soa(1), ...big, soa(1)];
  const out = packRecords(template, records, { maxSize: 16_384 });
  t.ok(out.length > 1, `${out.length} messages`);
  const got = out.flatMap((b) => decodeMessage(b).answers);
  t.equal(got.length, records.length, 'every record once');
  t.ok(out.every((b) => b.length <= 16_384 && (b[2]! & 0x02) === 0), 'each within the limit, none marked truncated');
  t.equal(decodeMessage(out[0]!).questions.length, 1, 'the question in the first message');
  t.equal(decodeMessage(out[1]!).questions.length, 0, 'and not in the others');
  const huge: RR = { name: 'huge.example.', type: RRType.TXT, class: 1, ttl: 300, rdata: Buffer.alloc(20_000, 1) };
  t.throws(() => packRecords(template, [huge], { maxSize: 16_384 }), { code: 'ERR_XFR_RECORD_TOO_BIG' });
});

t.test('serial arithmetic and the ACL', async (t) => {
  t.ok(serialLess(1, 2));
  t.ok(serialLess(0xffffffff, 0), 'wraps (RFC 1982)');
  t.notOk(serialLess(5, 5));
  t.notOk(serialLess(0, 0x80000000), 'undefined pairs are not less');
  const acl = new TransferAcl(['192.0.2.0/24', '2001:db8::1', 'key:xfr-key']);
  t.ok(acl.allows('192.0.2.9'));
  t.ok(acl.allows('::ffff:192.0.2.9'), 'IPv4-mapped');
  t.ok(acl.allows('2001:db8::1'));
  t.notOk(acl.allows('198.51.100.1'));
  t.ok(acl.allows('198.51.100.1', 'XFR-KEY.'), 'by key, case-insensitive');
  t.notOk(acl.allows('198.51.100.1', 'other-key'));
  t.notOk(new TransferAcl().allows('127.0.0.1'), 'empty: no one');
  for (const bad of ['key:', 'not-an-address', '192.0.2.0/33', '10.0.0.0/x']) t.throws(() => new TransferAcl([bad]), { code: 'ERR_XFR_BAD_OPTION' }, bad);
});

t.test('condensing IXFR changes', async (t) => {
  const { condense } = await import('../../src/xfr/ixfr-out.js');
  const x = a('x.example.', 1);
  const y = a('y.example.', 2);
  const z = a('z.example.', 3);
  const ttl = { ...z, ttl: 60 };
  const out = condense([
    { from: soa(1), removed: [y], to: soa(2), added: [x, z] },
    { from: soa(2), removed: [x, z], to: soa(3), added: [ttl, y] },
  ]);
  t.equal(out.length, 1);
  t.equal(out[0]!.from.rdata.readUInt32BE(out[0]!.from.rdata.length - 20), 1);
  t.equal(out[0]!.to.rdata.readUInt32BE(out[0]!.to.rdata.length - 20), 3);
  t.same(out[0]!.removed, [], 'y removed then re-added, x added then removed: nothing');
  t.same(out[0]!.added, [ttl], 'z added then re-added with another TTL: the last one added');
  t.same(condense([]), []);
});
