// Negative cache: RFC 2308 TTL from the SOA, NXDOMAIN and NODATA, the RFC 8020 walk, clamps, stale.

import t from 'tap';
import dnsPacket from 'dns-packet';
import { nameToWire } from '../../src/wire/name.js';
import type { RRset } from '../../src/wire/rr.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import { NegativeCache, negativeTtl, soaMinimum, type NegativeCacheOptions } from '../../src/cache/negative-cache.js';

const START = 5_000_000;

function setup(opts: NegativeCacheOptions = {}) {
  const clock = { t: START };
  const cache = new NegativeCache({ now: () => clock.t, ...opts });
  return { clock, cache, advance: (s: number) => { clock.t += s * 1000; } };
}

function soaRdata(minimum: number, mname = 'ns1.example.', rname = 'hostmaster.example.'): Buffer {
  const tail = Buffer.alloc(20);
  [2026010101, 7200, 3600, 1209600, minimum].forEach((v, i) => tail.writeUInt32BE(v, i * 4));
  return Buffer.concat([nameToWire(mname), nameToWire(rname), tail]);
}

function soa(ttl: number, minimum: number, zone = 'example.'): RRset {
  return { name: zone, type: RRType.SOA, class: RRClass.IN, ttl, rdata: [soaRdata(minimum)] };
}

t.test('SOA MINIMUM and the negative TTL (RFC 2308 section 5)', async (t) => {
  t.equal(soaMinimum(soaRdata(300)), 300);
  // Cross-check the field layout against dns-packet's SOA encoder (it never compresses names):
  // header 12 octets, owner 'example.' 9, TYPE CLASS TTL 8, then RDLENGTH and the RDATA.
  const msg = dnsPacket.encode({
    type: 'response', id: 1,
    answers: [{ type: 'SOA', name: 'example', ttl: 60, data: { mname: 'a.example', rname: 'b.example', serial: 9, refresh: 8, retry: 7, expire: 6, minimum: 1234 } }],
  });
  const rdlength = msg.readUInt16BE(12 + 9 + 8);
  t.equal(msg.length, 12 + 9 + 10 + rdlength);
  t.equal(soaMinimum(msg.subarray(msg.length - rdlength)), 1234, 'agrees with dns-packet');
  t.equal(negativeTtl(soa(3600, 300)), 300, 'MINIMUM smaller');
  t.equal(negativeTtl(soa(120, 300)), 120, 'SOA TTL smaller');
  t.throws(() => soaMinimum(soaRdata(1).subarray(0, 30)), { code: 'ERR_CACHE_BAD_SOA' });
  t.throws(() => soaMinimum(Buffer.concat([soaRdata(1), Buffer.from([0])])), { code: 'ERR_CACHE_BAD_SOA' });
  t.throws(() => soaMinimum(Buffer.from([0xc0, 0x0c])), { code: 'ERR_CACHE_BAD_SOA' }, 'compression pointer refused');
  t.throws(() => negativeTtl({ ...soa(1, 1), type: RRType.NS }), { code: 'ERR_CACHE_BAD_SOA' });
});

t.test('NXDOMAIN answers every type; SOA carries the remaining TTL', async (t) => {
  const { cache, advance } = setup();
  t.equal(cache.put({ kind: 'nxdomain', name: 'nope.example.', soa: soa(3600, 300) }), 'stored');
  advance(100);
  for (const type of [RRType.A, RRType.AAAA, RRType.TXT]) {
    const hit = cache.get('NOPE.example.', type);
    t.equal(hit?.kind, 'nxdomain');
    t.equal(hit?.ttl, 200);
    t.equal(hit?.soa.ttl, 200, 'SOA TTL counts down with the entry');
    t.equal(hit?.soa.name, 'example.');
    t.equal(hit?.inherited, false);
  }
  t.equal(cache.get('nope.example.', RRType.A)?.originalTtl, 300);
});

t.test('NODATA is per type', async (t) => {
  const { cache } = setup();
  cache.put({ kind: 'nodata', name: 'www.example.', type: RRType.AAAA, soa: soa(3600, 300) });
  const hit = cache.get('www.example.', RRType.AAAA);
  t.equal(hit?.kind, 'nodata');
  t.equal(hit?.type, RRType.AAAA);
  t.equal(cache.get('www.example.', RRType.A), undefined);
  t.equal(cache.get('www.example.', RRType.AAAA, RRClass.CH), undefined, 'class in the key');
  t.throws(() => cache.put({ kind: 'nodata', name: 'www.example.', soa: soa(1, 1) }), { code: 'ERR_CACHE_BAD_TYPE' });
});

t.test('RFC 8020: an NXDOMAIN denies the names below it', async (t) => {
  const { cache } = setup();
  cache.put({ kind: 'nxdomain', name: 'gone.example.', soa: soa(3600, 300) });
  const hit = cache.get('a.b.gone.example.', RRType.A);
  t.equal(hit?.kind, 'nxdomain');
  t.equal(hit?.name, 'gone.example.', 'names where it is stored');
  t.equal(hit?.inherited, true);
  t.equal(cache.get('example.', RRType.A), undefined, 'not above');
  t.equal(cache.get('notgone.example.', RRType.A), undefined, 'not a sibling sharing a suffix');

  const off = setup({ nxdomainCut: false }).cache;
  off.put({ kind: 'nxdomain', name: 'gone.example.', soa: soa(3600, 300) });
  t.equal(off.get('a.gone.example.', RRType.A), undefined, 'option off');
  t.equal(off.get('gone.example.', RRType.A)?.kind, 'nxdomain');
});

t.test('a NODATA proves the name exists: NXDOMAINs at and above it go', async (t) => {
  const { cache } = setup();
  cache.put({ kind: 'nxdomain', name: 'b.example.', soa: soa(3600, 300) });
  cache.put({ kind: 'nodata', name: 'a.b.example.', type: RRType.MX, soa: soa(3600, 300) });
  t.equal(cache.get('a.b.example.', RRType.MX)?.kind, 'nodata');
  t.equal(cache.get('b.example.', RRType.A), undefined);
  t.equal(cache.dropNxdomainAtOrAbove('a.b.example.'), 0);
});

t.test('negative TTL clamps and caller-supplied TTL', async (t) => {
  const { cache } = setup();
  cache.put({ kind: 'nxdomain', name: 'x.example.', soa: soa(86400, 86400) });
  t.equal(cache.get('x.example.', RRType.A)?.ttl, 3600, 'maxNegativeTtl default 3600');
  cache.put({ kind: 'nxdomain', name: 'y.example.', soa: soa(86400, 86400), ttl: 42 });
  t.equal(cache.get('y.example.', RRType.A)?.ttl, 42);
  t.equal(cache.put({ kind: 'nxdomain', name: 'z.example.', soa: soa(0, 300) }), 'zero-ttl', 'SOA TTL 0 -> negative TTL 0: not cached');
  t.equal(cache.get('z.example.', RRType.A), undefined);

  const c = setup({ minNegativeTtl: 30, maxNegativeTtl: 60 }).cache;
  c.put({ kind: 'nxdomain', name: 'x.example.', soa: soa(5, 5) });
  c.put({ kind: 'nxdomain', name: 'y.example.', soa: soa(900, 900) });
  t.equal(c.get('x.example.', RRType.A)?.ttl, 30);
  t.equal(c.get('y.example.', RRType.A)?.ttl, 60);
});

t.test('expiry, stale window and prefetch', async (t) => {
  const { cache, advance } = setup({ staleWindow: 100 });
  cache.put({ kind: 'nxdomain', name: 'n.example.', soa: soa(300, 100) });
  advance(89);
  t.equal(cache.get('n.example.', RRType.A)?.prefetch, false);
  advance(1);
  t.equal(cache.get('n.example.', RRType.A)?.prefetch, true);
  t.equal(cache.get('n.example.', RRType.A)?.prefetch, false);
  advance(10);
  const stale = cache.get('n.example.', RRType.A);
  t.equal(stale?.stale, true);
  t.equal(stale?.ttl, 30);
  t.equal(stale?.soa.ttl, 30);
  t.equal(cache.get('n.example.', RRType.A, RRClass.IN, { allowStale: false }), undefined);
  advance(100);
  t.equal(cache.get('n.example.', RRType.A), undefined);
  const s = cache.snapshot();
  t.equal(s.prefetches, 1);
  t.equal(s.staleHits, 1);
  t.equal(s.misses, 2);
});

t.test('flushName, flushTree and dump', async (t) => {
  const { cache } = setup();
  cache.put({ kind: 'nodata', name: 'a.example.', type: RRType.MX, soa: soa(300, 300) });
  cache.put({ kind: 'nodata', name: 'a.example.', type: RRType.TXT, soa: soa(300, 300) });
  cache.put({ kind: 'nodata', name: 'x.a.example.', type: RRType.TXT, soa: soa(300, 300) });
  cache.put({ kind: 'nxdomain', name: 'y.a.example.', soa: soa(300, 300) });
  cache.put({ kind: 'nodata', name: 'other.', type: RRType.TXT, soa: soa(300, 300, '.') });
  t.same(cache.dump().map((d) => `${d.kind} ${d.name} ${d.type}`).sort(), [
    'nodata a.example. 15', 'nodata a.example. 16', 'nodata other. 16', 'nodata x.a.example. 16', 'nxdomain y.a.example. 0',
  ]);
  t.equal(cache.flushName('A.example.'), 2, 'both types at the name');
  t.ok(cache.get('x.a.example.', RRType.TXT), 'below stays');
  t.equal(cache.flushTree('example.'), 2, 'NODATA and NXDOMAIN below');
  t.same(cache.dump().map((d) => d.name), ['other.']);
  cache.flushAll();
  t.same(cache.dump(), []);
});

t.test('bad input', async (t) => {
  const { cache } = setup();
  t.throws(() => cache.put({ kind: 'nxdomain', name: 'x.example.', soa: { ...soa(1, 1), type: RRType.A } }), { code: 'ERR_CACHE_BAD_SOA' });
  t.throws(() => cache.put({ kind: 'nxdomain', name: 'x.example.', soa: { ...soa(1, 1), class: RRClass.CH } }), { code: 'ERR_CACHE_BAD_SOA' });
  t.throws(() => cache.put({ kind: 'nxdomain', name: 'x.example.', soa: { ...soa(1, 1), rdata: [Buffer.from([1, 2])] } }), { code: 'ERR_CACHE_BAD_SOA' });
  t.throws(() => cache.put({ kind: 'maybe' as 'nxdomain', name: 'x.example.', soa: soa(1, 1) }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => cache.put({ kind: 'nxdomain', name: 'x', soa: soa(1, 1) }), { code: 'ERR_CACHE_BAD_NAME' });
  t.throws(() => cache.put({ kind: 'nxdomain', name: 'x.', soa: soa(1, 1), ttl: -5 }), { code: 'ERR_CACHE_BAD_TTL' });
});
