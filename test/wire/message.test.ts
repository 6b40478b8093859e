// Message codec: header and EDNS fields, strict decoding, compression, truncation, and a fuzz
// pass that every malformed input ends in DecodeError rather than any other exception.

import t from 'tap';
import { randomBytes } from 'node:crypto';
import { decodeMessage, encodeMessage, encodeQuery, newMessage, type Message } from '../../src/wire/message.js';
import { DecodeError } from '../../src/wire/errors.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType, Rcode } from '../../src/wire/types.js';
import type { RR } from '../../src/wire/rr.js';

function soaRdata(mname: string, rname: string, nums: number[]): Buffer {
  const tail = Buffer.alloc(20);
  nums.forEach((n, i) => tail.writeUInt32BE(n, i * 4));
  return Buffer.concat([nameToWire(mname), nameToWire(rname), tail]);
}

function a(name: string, ip: string, ttl = 300): RR {
  return { name, type: RRType.A, class: 1, ttl, rdata: Buffer.from(ip.split('.').map(Number)) };
}

function txt(name: string, text: string): RR {
  const b = Buffer.from(text);
  return { name, type: RRType.TXT, class: 1, ttl: 60, rdata: Buffer.concat([Buffer.from([b.length]), b]) };
}

t.test('query round trip keeps every header field and EDNS', async (t) => {
  const buf = encodeQuery('Writer.ACME.agents.', RRType.SVCB, { id: 4242, rd: true, cd: true, edns: { udpSize: 4096, dnssecOk: true } });
  const m = decodeMessage(buf);
  t.equal(m.id, 4242);
  t.ok(m.rd);
  t.ok(m.cd);
  t.notOk(m.qr);
  t.same(m.questions, [{ name: 'Writer.ACME.agents.', type: RRType.SVCB, class: 1 }], 'case kept');
  t.equal(m.edns?.udpSize, 4096);
  t.equal(m.edns?.dnssecOk, true);
  t.equal(m.edns?.version, 0);
  t.equal(buf.length, 12 + 20 + 4 + 11, 'question plus OPT');
  const plain = decodeMessage(encodeQuery('a.', 1, { edns: false }));
  t.equal(plain.edns, undefined);
  t.ok(plain.id >= 0 && plain.id < 65536);
});

t.test('extended RCODE is split between header and OPT', async (t) => {
  const msg = newMessage({ id: 1, qr: true, rcode: Rcode.BADVERS, questions: [{ name: 'a.', type: 1, class: 1 }] });
  t.throws(() => encodeMessage(msg), { code: 'ERR_ENCODE_RCODE' });
  msg.edns = { udpSize: 1232, version: 0, dnssecOk: false, extendedRcode: 0, flags: 0, options: [] };
  const buf = encodeMessage(msg);
  t.equal(buf[3]! & 0xf, Rcode.BADVERS & 0xf);
  const back = decodeMessage(buf);
  t.equal(back.rcode, Rcode.BADVERS);
  t.equal(back.edns?.extendedRcode, 1);
});

t.test('names are compressed in owners and RFC 1035 RDATA, not in SRV', async (t) => {
  const msg = newMessage({ id: 7, qr: true, aa: true, rcode: Rcode.NXDOMAIN, questions: [{ name: 'nope.example.agents.', type: 1, class: 1 }] });
  msg.authority.push({ name: 'example.agents.', type: RRType.SOA, class: 1, ttl: 120, rdata: soaRdata('ns1.example.agents.', 'hostmaster.example.agents.', [1, 2, 3, 4, 5]) });
  const buf = encodeMessage(msg);
  // header 12 + question 21+4 + owner pointer 2 + 10 + mname (ns1 + ptr = 6) + rname (hostmaster + ptr = 13) + 20
  t.equal(buf.length, 12 + 25 + 2 + 10 + 6 + 13 + 20);
  const back = decodeMessage(buf);
  t.same(back.authority[0]!.rdata, msg.authority[0]!.rdata, 'decoded RDATA is uncompressed again');

  const srv: RR = { name: '_mcp._tcp.example.agents.', type: RRType.SRV, class: 1, ttl: 60, rdata: Buffer.concat([Buffer.from([0, 0, 0, 5, 0x20, 0xfb]), nameToWire('host.example.agents.')]) };
  const m2 = newMessage({ qr: true, questions: [{ name: srv.name, type: RRType.SRV, class: 1 }], answers: [srv] });
  const b2 = encodeMessage(m2);
  t.ok(b2.includes(nameToWire('host.example.agents.')), 'SRV target written in full');
  t.same(decodeMessage(b2).answers[0]!.rdata, srv.rdata);
});

t.test('compression keeps case exactly', async (t) => {
  const msg = newMessage({ qr: true, questions: [{ name: 'WRITER.acme.agents.', type: 5, class: 1 }] });
  msg.answers.push({ name: 'WRITER.acme.agents.', type: RRType.CNAME, class: 1, ttl: 5, rdata: nameToWire('host.Acme.agents.') });
  const back = decodeMessage(encodeMessage(msg));
  t.equal(back.answers[0]!.name, 'WRITER.acme.agents.');
  t.same(back.answers[0]!.rdata, nameToWire('host.Acme.agents.'));
});

t.test('truncation: optional additional data goes first, then TC with whole RRsets', async (t) => {
  const base = (): Message => newMessage({ qr: true, questions: [{ name: 'big.example.agents.', type: 16, class: 1 }],
    edns: { udpSize: 512, version: 0, dnssecOk: false, extendedRcode: 0, flags: 0, options: [] } });
  const m = base();
  for (let i = 0; i < 3; i++) m.answers.push(txt('big.example.agents.', 'x'.repeat(100) + i));
  for (let i = 0; i < 5; i++) m.additional.push(a(`h${i}.example.agents.`, `127.0.0.${i}`));
  m.additional.push(txt('extra.example.agents.', 'y'.repeat(200)));
  const fits = decodeMessage(encodeMessage(m, { maxSize: 512 }));
  t.notOk(fits.tc, 'answer fits, so no TC');
  t.equal(fits.answers.length, 3);
  t.equal(fits.additional.length, 5, 'the big optional TXT was dropped, smaller ones kept');
  t.ok(fits.edns, 'OPT kept');

  const m2 = base();
  for (let i = 0; i < 6; i++) m2.answers.push(txt('big.example.agents.', 'x'.repeat(100) + i));
  const out = encodeMessage(m2, { maxSize: 512 });
  t.ok(out.length <= 512);
  const back = decodeMessage(out);
  t.ok(back.tc, 'TC set');
  t.equal(back.answers.length, 0, 'a partial RRset is never sent');
  t.ok(back.edns, 'OPT present even when truncated');

  const m3 = base();
  m3.authority.push({ name: 'sub.example.agents.', type: RRType.NS, class: 1, ttl: 60, rdata: nameToWire('ns.sub.example.agents.') });
  for (let i = 0; i < 40; i++) m3.additional.push(a('ns.sub.example.agents.', `127.0.1.${i}`));
  t.notOk(decodeMessage(encodeMessage(m3, { maxSize: 512 })).tc, 'optional glue dropped silently');
  const req = decodeMessage(encodeMessage(m3, { maxSize: 512, requiredAdditional: 40 }));
  t.ok(req.tc, 'required glue that does not fit sets TC (RFC 9471)');
  t.equal(req.authority.length, 1);
});

function header(qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xabcd, 0);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(ns, 8);
  h.writeUInt16BE(ar, 10);
  return h;
}
const q = Buffer.concat([nameToWire('a.b.'), Buffer.from([0, 1, 0, 1])]);

function rr(owner: Buffer, type: number, rdata: Buffer, rdlength = rdata.length): Buffer {
  const f = Buffer.alloc(10);
  f.writeUInt16BE(type, 0);
  f.writeUInt16BE(1, 2);
  f.writeUInt32BE(60, 4);
  f.writeUInt16BE(rdlength, 8);
  return Buffer.concat([owner, f, rdata]);
}

t.test('malformed messages throw DecodeError with a specific code', async (t) => {
  const cases: Array<[string, Buffer, string]> = [
    ['short header', Buffer.alloc(5), 'ERR_DECODE_SHORT'],
    ['question count beyond data', header(2), 'ERR_DECODE_NAME_BOUNDS'],
    ['question cut in type', Buffer.concat([header(1), nameToWire('a.'), Buffer.from([0])]), 'ERR_DECODE_SHORT'],
    ['forward pointer', Buffer.concat([header(1), Buffer.from([0xc0, 14, 0, 0, 1, 0, 1])]), 'ERR_DECODE_NAME_POINTER'],
    ['self pointer', Buffer.concat([header(1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]), 'ERR_DECODE_NAME_POINTER'],
    ['trailing bytes', Buffer.concat([header(1), q, Buffer.from([1, 2])]), 'ERR_DECODE_TRAILING'],
    ['RDLENGTH beyond end', Buffer.concat([header(1, 1), q, rr(Buffer.from([0xc0, 12]), 1, Buffer.from([1, 2, 3, 4]), 9)]), 'ERR_DECODE_SHORT'],
    ['MX shorter than its fields', Buffer.concat([header(1, 1), q, rr(Buffer.from([0xc0, 12]), 15, Buffer.from([0]))]), 'ERR_DECODE_RDATA'],
    ['CNAME with bytes after the name', Buffer.concat([header(1, 1), q, rr(Buffer.from([0xc0, 12]), 5, Buffer.concat([nameToWire('x.'), Buffer.from([7])]))]), 'ERR_DECODE_RDATA'],
    ['OPT in the answer section', Buffer.concat([header(1, 1), q, rr(Buffer.from([0]), 41, Buffer.alloc(0))]), 'ERR_DECODE_OPT_PLACE'],
    ['two OPT records', Buffer.concat([header(1, 0, 0, 2), q, rr(Buffer.from([0]), 41, Buffer.alloc(0)), rr(Buffer.from([0]), 41, Buffer.alloc(0))]), 'ERR_DECODE_OPT_TWICE'],
    ['OPT not owned by the root', Buffer.concat([header(1, 0, 0, 1), q, rr(Buffer.from([0xc0, 12]), 41, Buffer.alloc(0))]), 'ERR_DECODE_OPT_OWNER'],
    ['EDNS option beyond OPT', Buffer.concat([header(1, 0, 0, 1), q, rr(Buffer.from([0]), 41, Buffer.from([0, 10, 0, 9, 1]))]), 'ERR_DECODE_OPT'],
    ['bad label type', Buffer.concat([header(1), Buffer.from([0x40, 0, 0, 1, 0, 1])]), 'ERR_DECODE_NAME_LABEL_TYPE'],
  ];
  for (const [what, buf, code] of cases) {
    t.throws(() => decodeMessage(buf), { code }, what);
  }
  const long: number[] = [];
  for (let i = 0; i < 5; i++) long.push(63, ...Buffer.alloc(63, 97));
  t.throws(() => decodeMessage(Buffer.concat([header(1), Buffer.from(long), Buffer.from([0, 0, 1, 0, 1])])), { code: 'ERR_DECODE_NAME_TOO_LONG' });
});

t.test('top-bit TTL is read as zero (RFC 2181 8)', async (t) => {
  const r = rr(Buffer.from([0xc0, 12]), 1, Buffer.from([1, 2, 3, 4]));
  r.writeUInt32BE(0x80000001, 6);
  t.equal(decodeMessage(Buffer.concat([header(1, 1), q, r])).answers[0]!.ttl, 0);
});

t.test('fuzz: mutations of valid messages decode or throw DecodeError, and re-encode stably', async (t) => {
  const m = newMessage({ id: 9, qr: true, aa: true, questions: [{ name: 'writer.example.agents.', type: 64, class: 1 }],
    edns: { udpSize: 1232, version: 0, dnssecOk: false, extendedRcode: 0, flags: 0, options: [{ code: 10, data: Buffer.alloc(8, 1) }] } });
  m.answers.push({ name: 'writer.example.agents.', type: 64, class: 1, ttl: 60, rdata: Buffer.concat([Buffer.from([0, 1]), nameToWire('host.example.agents.'), Buffer.from([0, 3, 0, 2, 0x20, 0xfb])]) });
  m.authority.push({ name: 'example.agents.', type: RRType.NS, class: 1, ttl: 60, rdata: nameToWire('ns1.example.agents.') });
  m.additional.push(a('host.example.agents.', '127.0.0.1'), { name: 'example.agents.', type: RRType.MX, class: 1, ttl: 1, rdata: Buffer.concat([Buffer.from([0, 10]), nameToWire('mail.example.agents.')]) });
  const good = encodeMessage(m);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 20000; i++) {
    const buf = Buffer.from(good);
    const edits = 1 + (i % 4);
    for (let e = 0; e < edits; e++) buf[randomBytes(2).readUInt16BE(0) % buf.length] = randomBytes(1)[0]!;
    const cut = i % 7 === 0 ? buf.subarray(0, randomBytes(2).readUInt16BE(0) % buf.length) : buf;
    try {
      const msg = decodeMessage(cut);
      decoded++;
      const again = encodeMessage(msg);
      const twice = decodeMessage(again);
      if (JSON.stringify(twice) !== JSON.stringify(msg)) t.fail(`unstable round trip for ${cut.toString('hex')}`);
    } catch (err) {
      if (!(err instanceof DecodeError)) {
        t.fail(`non-DecodeError ${(err as Error).name}: ${(err as Error).message} for ${cut.toString('hex')}`);
        return;
      }
      rejected++;
    }
  }
  t.ok(decoded > 0 && rejected > 0, `${decoded} decoded, ${rejected} rejected`);
});
