// With a validating resolver the caches keep what DNSSEC needs beside the data: an RRset's RRSIGs
// (`sigs`) and wildcard proof (`proof`), a negative answer's NSEC/NSEC3 denial; as copies, counted
// in the byte limits, and new signatures over the same data replace the old ones.

import t from 'tap';
import { NegativeCache, Rank, RRsetCache } from '../../src/cache/index.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import type { RRset } from '../../src/wire/rr.js';
import { nameToWire } from '../../src/wire/name.js';

const clock = { t: 1_000_000 };
const now = () => clock.t;
const a = (ip: string) => Buffer.from(ip.split('.').map(Number));
const sig = (n: number) => Buffer.alloc(40, n);
const nsec = (owner: string): RRset => ({ name: owner, type: RRType.NSEC, class: RRClass.IN, ttl: 300, rdata: [Buffer.concat([nameToWire('z.example.'), Buffer.from([0, 1, 0x40])])], sigs: [sig(9)] });

t.test('an RRset keeps its RRSIGs and proof, as copies', async (t) => {
  const c = new RRsetCache({ now });
  const s1 = sig(1);
  c.put({ name: 'x.example.', type: RRType.A, class: RRClass.IN, ttl: 300, rdata: [a('192.0.2.1')], sigs: [s1], proof: [nsec('w.example.')] }, Rank.AnswerAuth);
  s1.fill(0xff);
  const hit = c.get('x.example.', RRType.A)!;
  t.same(hit.rrset.sigs, [sig(1)], 'the RRSIG, unchanged by the caller\'s later writes');
  t.equal(hit.rrset.proof?.[0]?.name, 'w.example.', 'the wildcard proof');
  t.same(hit.rrset.proof?.[0]?.sigs, [sig(9)], 'with its own RRSIG');
  const plain = new RRsetCache({ now });
  plain.put({ name: 'x.example.', type: RRType.A, class: RRClass.IN, ttl: 300, rdata: [a('192.0.2.1')] }, Rank.AnswerAuth);
  t.equal(plain.get('x.example.', RRType.A)!.rrset.sigs, undefined, 'none without DNSSEC');
  t.ok(c.snapshot().bytes > plain.snapshot().bytes, 'the signatures count in the bytes');
});

t.test('the same data with new signatures replaces the old ones', async (t) => {
  const c = new RRsetCache({ now });
  const set = (s: Buffer): RRset => ({ name: 'x.example.', type: RRType.A, class: RRClass.IN, ttl: 300, rdata: [a('192.0.2.1')], sigs: [s] });
  c.put(set(sig(1)), Rank.AnswerAuth);
  c.put(set(sig(2)), Rank.AnswerAuth);
  t.same(c.get('x.example.', RRType.A)!.rrset.sigs, [sig(2)]);
});

t.test('a negative answer keeps its denial', async (t) => {
  const n = new NegativeCache({ now });
  const soaRdata = Buffer.concat([nameToWire('ns.example.'), nameToWire('h.example.'), Buffer.alloc(20, 0)]);
  soaRdata.writeUInt32BE(300, soaRdata.length - 4);
  n.put({ kind: 'nxdomain', name: 'nope.example.', soa: { name: 'example.', type: RRType.SOA, class: RRClass.IN, ttl: 300, rdata: [soaRdata], sigs: [sig(3)] }, proof: [nsec('a.example.')] });
  const hit = n.get('nope.example.', RRType.A)!;
  t.same(hit.soa.sigs, [sig(3)], 'the SOA\'s RRSIG');
  t.equal(hit.proof?.[0]?.name, 'a.example.', 'the NSEC');
  t.same(hit.proof?.[0]?.sigs, [sig(9)], 'and its RRSIG');
});
