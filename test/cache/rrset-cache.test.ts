// RRset cache: TTL countdown, expiry, serve-stale, RFC 2181 ranks, clamps, prefetch, size limits, flushes.

import t from 'tap';
import type { RRset } from '../../src/wire/rr.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import { RRsetCache, type RRsetCacheOptions } from '../../src/cache/rrset-cache.js';
import { MIN_ANSWER_RANK, Rank, rankFor, rankToString } from '../../src/cache/rank.js';
import { CacheError } from '../../src/cache/errors.js';

const START = 1_000_000;

function setup(opts: RRsetCacheOptions = {}) {
  const clock = { t: START };
  const cache = new RRsetCache({ now: () => clock.t, ...opts });
  const advance = (seconds: number) => { clock.t += seconds * 1000; };
  return { clock, cache, advance };
}

function a(name: string, ttl: number, ...addrs: string[]): RRset {
  const rdata = (addrs.length ? addrs : ['192.0.2.1']).map((x) => Buffer.from(x.split('.').map(Number)));
  return { name, type: RRType.A, class: RRClass.IN, ttl, rdata };
}

t.test('ranks follow RFC 2181 5.4.1', async (t) => {
  const order = [Rank.Additional, Rank.AnswerNonAuth, Rank.ZoneGlue, Rank.AuthorityAuth, Rank.AnswerAuth, Rank.ZoneTransfer, Rank.PrimaryZone];
  for (let i = 1; i < order.length; i++) t.ok(order[i]! > order[i - 1]!, `${rankToString(order[i]!)} > ${rankToString(order[i - 1]!)}`);
  t.equal(rankFor('answer', true), Rank.AnswerAuth);
  t.equal(rankFor('answer', true, false), Rank.AnswerNonAuth, 'records after a CNAME in an AA answer');
  t.equal(rankFor('answer', false), Rank.AnswerNonAuth);
  t.equal(rankFor('authority', true), Rank.AuthorityAuth);
  t.equal(rankFor('authority', false), Rank.Additional, 'referral NS are in the lowest group');
  t.equal(rankFor('additional', true), Rank.Additional, 'glue from a referral is additional data');
  t.equal(MIN_ANSWER_RANK, Rank.AnswerNonAuth);
  t.equal(rankToString(42), 'RANK42');
});

t.test('TTL counts down, floor, and expires', async (t) => {
  const { cache, advance, clock } = setup({ staleWindow: 0 });
  t.equal(cache.put(a('www.example.', 300), Rank.AnswerAuth), 'stored');
  let hit = cache.get('www.example.', RRType.A);
  t.equal(hit?.ttl, 300);
  t.equal(hit?.rrset.ttl, 300, 'the RRset copy carries the remaining TTL');
  t.equal(hit?.originalTtl, 300);
  t.equal(hit?.stale, false);
  clock.t += 1500;
  t.equal(cache.get('www.example.', RRType.A)?.ttl, 298, '298.5 s left -> 298');
  advance(298);
  hit = cache.get('www.example.', RRType.A);
  t.equal(hit?.ttl, 0, '0.5 s left -> 0, never negative');
  t.equal(hit?.stale, false);
  clock.t += 500;
  t.equal(cache.get('www.example.', RRType.A), undefined, 'gone at expiry without a stale window');
  t.equal(cache.snapshot().entries, 0, 'and removed');
});

t.test('returned RRset is a copy', async (t) => {
  const { cache } = setup();
  cache.put(a('www.example.', 300, '192.0.2.1', '192.0.2.2'), Rank.AnswerAuth);
  const hit = cache.get('www.example.', RRType.A)!;
  hit.rrset.rdata.pop();
  hit.rrset.ttl = 5;
  t.equal(cache.get('www.example.', RRType.A)!.rrset.rdata.length, 2);
});

t.test('rdata is copied and deduplicated', async (t) => {
  const { cache } = setup();
  const msg = Buffer.from([0, 0, 192, 0, 2, 1, 0xff]);
  const rr: RRset = { name: 'x.example.', type: RRType.A, class: RRClass.IN, ttl: 60, rdata: [msg.subarray(2, 6), Buffer.from([192, 0, 2, 1])] };
  cache.put(rr, Rank.AnswerAuth);
  msg[2] = 10;
  const hit = cache.get('x.example.', RRType.A)!;
  t.equal(hit.rrset.rdata.length, 1, 'duplicate record dropped');
  t.same([...hit.rrset.rdata[0]!], [192, 0, 2, 1], 'not a view of the message buffer');
});

t.test('serve-stale window and stale TTL 30 (RFC 8767)', async (t) => {
  const { cache, advance } = setup({ staleWindow: 3600 });
  cache.put(a('www.example.', 60), Rank.AnswerAuth);
  advance(60);
  let hit = cache.get('www.example.', RRType.A);
  t.equal(hit?.stale, true, 'past TTL: stale');
  t.equal(hit?.ttl, 30);
  t.equal(hit?.rrset.ttl, 30);
  t.equal(hit?.prefetch, false);
  t.equal(cache.get('www.example.', RRType.A, RRClass.IN, { allowStale: false }), undefined, 'allowStale false refuses it');
  t.ok(cache.peek('www.example.', RRType.A), 'but keeps it');
  advance(3599);
  t.equal(cache.get('www.example.', RRType.A)?.stale, true, 'still inside the window');
  advance(1);
  t.equal(cache.get('www.example.', RRType.A), undefined, 'gone at the end of the window');
  const s = cache.snapshot();
  t.equal(s.staleHits, 2);
  t.equal(s.hits, 2);
  t.equal(s.misses, 2);
});

t.test('default stale window is one day, stale TTL configurable', async (t) => {
  const { cache, advance } = setup({ staleTtl: 10 });
  cache.put(a('www.example.', 60), Rank.AnswerAuth);
  advance(60 + 86399);
  t.equal(cache.get('www.example.', RRType.A)?.ttl, 10);
  advance(1);
  t.equal(cache.get('www.example.', RRType.A), undefined);
});

t.test('rank replacement (RFC 2181 5.4.1)', async (t) => {
  const { cache, advance } = setup({ staleWindow: 600 });
  t.equal(cache.put(a('ns1.example.', 300, '192.0.2.1'), Rank.AnswerAuth), 'stored');
  t.equal(cache.put(a('ns1.example.', 300, '198.51.100.9'), Rank.Additional), 'lower-rank', 'glue does not replace an authoritative answer');
  t.equal(cache.put(a('ns1.example.', 300, '198.51.100.9'), Rank.AuthorityAuth), 'lower-rank');
  t.same([...cache.get('ns1.example.', RRType.A)!.rrset.rdata[0]!], [192, 0, 2, 1]);
  t.equal(cache.put(a('ns1.example.', 100, '192.0.2.2'), Rank.AnswerAuth), 'stored', 'same rank replaces');
  t.equal(cache.get('ns1.example.', RRType.A)!.ttl, 100);
  t.equal(cache.put(a('ns1.example.', 100, '192.0.2.3'), Rank.PrimaryZone), 'stored', 'higher rank replaces');
  t.equal(cache.get('ns1.example.', RRType.A)!.rank, Rank.PrimaryZone);
  advance(100);
  t.equal(cache.get('ns1.example.', RRType.A)!.stale, true);
  t.equal(cache.put(a('ns1.example.', 50, '192.0.2.4'), Rank.Additional), 'stored', 'anything replaces expired (stale) data');
  t.equal(cache.get('ns1.example.', RRType.A)!.rank, Rank.Additional);
  t.equal(cache.snapshot().rejected, 2);

  const c2 = setup().cache;
  c2.put(a('glue.example.', 300), Rank.Additional);
  t.equal(c2.put(a('glue.example.', 300, '192.0.2.9'), Rank.AnswerNonAuth), 'stored', 'an answer replaces additional data');
});

t.test('minRank keeps low-ranked data out of answers', async (t) => {
  const { cache } = setup();
  cache.put(a('ns1.example.', 300), Rank.Additional);
  t.equal(cache.get('ns1.example.', RRType.A, RRClass.IN, { minRank: MIN_ANSWER_RANK }), undefined);
  t.ok(cache.get('ns1.example.', RRType.A), 'still usable to reach servers');
});

t.test('case-insensitive keys, class and type in the key', async (t) => {
  const { cache } = setup();
  cache.put(a('WWW.Example.', 300), Rank.AnswerAuth);
  const hit = cache.get('www.EXAMPLE.', RRType.A);
  t.ok(hit);
  t.equal(hit?.rrset.name, 'WWW.Example.', 'owner keeps the case it was stored with');
  t.equal(cache.get('www.example.', RRType.AAAA), undefined);
  t.equal(cache.get('www.example.', RRType.A, RRClass.CH), undefined);
  t.equal(cache.put(a('www.example.', 300, '192.0.2.7'), Rank.AnswerAuth), 'stored');
  t.equal(cache.snapshot().entries, 1, 'one entry for both spellings');
});

t.test('TTL clamps at insert', async (t) => {
  const { cache } = setup({ minTtl: 60, maxTtl: 3600 });
  cache.put(a('low.example.', 5), Rank.AnswerAuth);
  cache.put(a('high.example.', 999_999), Rank.AnswerAuth);
  cache.put(a('zero.example.', 0), Rank.AnswerAuth);
  t.equal(cache.get('low.example.', RRType.A)?.ttl, 60);
  t.equal(cache.get('high.example.', RRType.A)?.ttl, 3600);
  t.equal(cache.get('zero.example.', RRType.A)?.ttl, 60, 'minTtl lifts a TTL of 0 too');

  const d = setup().cache;
  d.put(a('big.example.', 0x7fffffff), Rank.AnswerAuth);
  t.equal(d.get('big.example.', RRType.A)?.ttl, 86400, 'default maxTtl one day');
  t.equal(d.put(a('msb.example.', 0x80000000), Rank.AnswerAuth), 'zero-ttl', 'RFC 2181 8: top bit set means 0');
});

t.test('TTL 0 is not cached and removes what it would replace', async (t) => {
  const { cache } = setup();
  t.equal(cache.put(a('z.example.', 0), Rank.AnswerAuth), 'zero-ttl');
  t.equal(cache.get('z.example.', RRType.A), undefined);
  cache.put(a('z.example.', 300), Rank.AnswerAuth);
  t.equal(cache.put(a('z.example.', 0, '192.0.2.2'), Rank.Additional), 'lower-rank', 'lower rank TTL 0 changes nothing');
  t.ok(cache.get('z.example.', RRType.A));
  t.equal(cache.put(a('z.example.', 0, '192.0.2.2'), Rank.AnswerAuth), 'zero-ttl');
  t.equal(cache.get('z.example.', RRType.A), undefined, 'new data that may not be cached supersedes the old');
});

t.test('prefetch flag once, in the last 10% of the TTL', async (t) => {
  const { cache, advance } = setup();
  cache.put(a('p.example.', 100), Rank.AnswerAuth);
  advance(89);
  t.equal(cache.get('p.example.', RRType.A)?.prefetch, false, '11 s left of 100');
  advance(1);
  t.equal(cache.get('p.example.', RRType.A)?.prefetch, true, '10 s left: prefetch');
  t.equal(cache.get('p.example.', RRType.A)?.prefetch, false, 'only once');
  t.equal(cache.peek('p.example.', RRType.A)?.prefetch, false);
  t.equal(cache.snapshot().prefetches, 1);
  cache.put(a('p.example.', 100), Rank.AnswerAuth);
  advance(95);
  t.equal(cache.get('p.example.', RRType.A)?.prefetch, true, 'a refreshed entry can ask again');
  advance(5);
  t.equal(cache.get('p.example.', RRType.A)?.prefetch, false, 'stale entries do not ask');

  const off = setup({ prefetchRatio: 0 });
  off.cache.put(a('p.example.', 100), Rank.AnswerAuth);
  off.advance(99);
  t.equal(off.cache.get('p.example.', RRType.A)?.prefetch, false, 'prefetchRatio 0 turns it off');
});

t.test('LRU eviction by entry count', async (t) => {
  const { cache } = setup({ maxEntries: 3 });
  for (const n of ['a', 'b', 'c']) cache.put(a(`${n}.example.`, 300), Rank.AnswerAuth);
  cache.get('a.example.', RRType.A); // a is now most recent; b is least
  cache.put(a('d.example.', 300), Rank.AnswerAuth);
  t.equal(cache.peek('b.example.', RRType.A), undefined, 'least recently used went');
  t.ok(cache.peek('a.example.', RRType.A));
  t.ok(cache.peek('c.example.', RRType.A));
  t.ok(cache.peek('d.example.', RRType.A));
  const s = cache.snapshot();
  t.equal(s.evictions, 1);
  t.equal(s.inserts, 4);
  t.equal(s.entries, 3);
});

t.test('LRU eviction by bytes', async (t) => {
  const big = (name: string) => ({ name, type: RRType.TXT, class: RRClass.IN, ttl: 300, rdata: [Buffer.alloc(1000, 0x61)] });
  const { cache } = setup({ maxEntries: 0, maxBytes: 3000 });
  cache.put(big('a.example.'), Rank.AnswerAuth);
  cache.put(big('b.example.'), Rank.AnswerAuth);
  t.equal(cache.snapshot().entries, 2);
  t.ok(cache.snapshot().bytes > 2000 && cache.snapshot().bytes <= 3000, 'bytes counted from RDATA plus overhead');
  cache.put(big('c.example.'), Rank.AnswerAuth);
  t.equal(cache.peek('a.example.', RRType.TXT), undefined, 'oldest pushed out by size');
  t.equal(cache.snapshot().evictions, 1);
  const huge = { ...big('h.example.'), rdata: [Buffer.alloc(5000)] };
  t.equal(cache.put(huge, Rank.AnswerAuth), 'too-large');
  t.ok(cache.peek('c.example.', RRType.TXT), 'a too-large insert evicts nothing');
});

t.test('flushName and flushTree', async (t) => {
  const { cache } = setup();
  cache.put(a('example.', 300), Rank.AnswerAuth);
  cache.put(a('www.example.', 300), Rank.AnswerAuth);
  cache.put({ ...a('www.example.', 300), type: RRType.TXT, rdata: [Buffer.from('\x02hi')] }, Rank.AnswerAuth);
  cache.put(a('deep.www.example.', 300), Rank.AnswerAuth);
  cache.put(a('wwwexample.', 300), Rank.AnswerAuth);
  cache.put(a('other.', 300), Rank.AnswerAuth);
  t.equal(cache.flushName('WWW.example.'), 2, 'both types at the name');
  t.equal(cache.peek('www.example.', RRType.TXT), undefined);
  t.ok(cache.peek('deep.www.example.', RRType.A), 'names below stay');
  t.equal(cache.flushTree('Example.'), 2);
  t.same(cache.dump().map((d) => d.name).sort(), ['other.', 'wwwexample.'], 'only in-domain names went');
  cache.flushAll();
  t.equal(cache.dump().length, 0);
});

t.test('dump shows name, type, remaining TTL, rank and staleness', async (t) => {
  const { cache, advance } = setup();
  cache.put(a('x.example.', 100), Rank.AnswerAuth);
  cache.put(a('y.example.', 10), Rank.Additional);
  advance(20);
  const rows = cache.dump().sort((p, q) => p.name.localeCompare(q.name));
  t.same(rows, [
    { kind: 'rrset', name: 'x.example.', type: RRType.A, class: 1, ttl: 80, originalTtl: 100, rank: Rank.AnswerAuth, stale: false },
    { kind: 'rrset', name: 'y.example.', type: RRType.A, class: 1, ttl: 30, originalTtl: 10, rank: Rank.Additional, stale: true },
  ]);
  t.equal(cache.snapshot().hits, 0, 'dump does not count');
});

t.test('bad input gives coded errors', async (t) => {
  const { cache } = setup();
  t.throws(() => cache.put(a('relative', 1), Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_NAME' });
  t.throws(() => cache.put(a('a..b.', 1), Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_NAME' });
  t.throws(() => cache.put({ ...a('x.', 1), type: RRType.OPT }, Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_TYPE' });
  t.throws(() => cache.put({ ...a('x.', 1), class: RRClass.ANY }, Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_CLASS' });
  t.throws(() => cache.put({ ...a('x.', 1), ttl: -1 }, Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_TTL' });
  t.throws(() => cache.put({ ...a('x.', 1), ttl: 1.5 }, Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_TTL' });
  t.throws(() => cache.put({ ...a('x.', 1), rdata: [] }, Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_RRSET' });
  t.throws(() => cache.put({ ...a('x.', 1), rdata: ['x' as unknown as Buffer] }, Rank.AnswerAuth), { code: 'ERR_CACHE_BAD_RRSET' });
  t.throws(() => cache.put(a('x.', 1), 99 as Rank), { code: 'ERR_CACHE_BAD_RANK' });
  t.throws(() => new RRsetCache({ maxTtl: -1 }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => new RRsetCache({ minTtl: 10, maxTtl: 5 }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => new RRsetCache({ maxEntries: 0, maxBytes: 0 }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => new RRsetCache({ prefetchRatio: 1 }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => new RRsetCache({ now: 5 as unknown as () => number }), CacheError);
});

t.test('a clock starting at 0 still expires entries', async (t) => {
  // lru-cache treats an entry stored at time 0 as having no TTL; our own expiry check covers it.
  const clock = { t: 0 };
  const cache = new RRsetCache({ now: () => clock.t, staleWindow: 0 });
  cache.put(a('zero.example.', 10), Rank.AnswerAuth);
  clock.t = 10_000;
  t.equal(cache.get('zero.example.', RRType.A), undefined);
});

t.test('the same data again restarts the TTL in place; different data replaces it', async (t) => {
  const { cache, advance } = setup({ staleWindow: 0, prefetchRatio: 0.1 });
  t.equal(cache.put(a('glue.example.', 100), Rank.Additional), 'stored');
  advance(95);
  t.ok(cache.get('glue.example.', RRType.A)!.prefetch, 'in its prefetch window');
  t.equal(cache.put(a('glue.example.', 100), Rank.Additional), 'stored', 'same data, same rank');
  const hit = cache.get('glue.example.', RRType.A)!;
  t.equal(hit.ttl, 100, 'a full TTL again');
  t.notOk(hit.prefetch, 'and out of the prefetch window');
  advance(99);
  t.ok(cache.get('glue.example.', RRType.A), 'alive 99 s after the second put');
  advance(2);
  t.equal(cache.get('glue.example.', RRType.A), undefined, 'gone after its restarted TTL');
  cache.put(a('glue.example.', 100), Rank.Additional);
  cache.put(a('glue.example.', 100, '192.0.2.9'), Rank.Additional);
  t.same([...cache.get('glue.example.', RRType.A)!.rrset.rdata[0]!], [192, 0, 2, 9], 'new data replaces');
  cache.put(a('glue.example.', 50, '192.0.2.9'), Rank.Additional);
  t.equal(cache.get('glue.example.', RRType.A)!.ttl, 50, 'a different TTL replaces');
  t.equal(cache.put(a('glue.example.', 50, '192.0.2.9'), Rank.AnswerAuth), 'stored');
  t.equal(cache.get('glue.example.', RRType.A)!.rank, Rank.AnswerAuth, 'a higher rank replaces');
});

t.test('cached RDATA owns its bytes: one block per RRset, no slice of a message or pool', async (t) => {
  const { cache } = setup();
  const message = Buffer.alloc(4096, 7);
  message.fill(9, 20, 24);
  const set: RRset = { name: 'www.example.', type: RRType.A, class: RRClass.IN, ttl: 300, rdata: [message.subarray(10, 14), message.subarray(20, 24)] };
  cache.put(set, Rank.AnswerAuth);
  const hit = cache.get('www.example.', RRType.A)!;
  t.equal(hit.rrset.rdata.length, 2);
  t.equal(hit.rrset.rdata[0]!.buffer.byteLength, 8, 'both records in one 8-octet block');
  t.equal(hit.rrset.rdata[0]!.buffer, hit.rrset.rdata[1]!.buffer);
  message.fill(0);
  t.same([...hit.rrset.rdata[0]!, ...hit.rrset.rdata[1]!], [7, 7, 7, 7, 9, 9, 9, 9], 'unaffected by changes to the message');
});
