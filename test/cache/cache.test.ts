// DnsCache: lookup as a result union, consistency between positive and negative data, flushes, dump.

import t from 'tap';
import { nameToWire } from '../../src/wire/name.js';
import type { RRset } from '../../src/wire/rr.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import { DnsCache, type DnsCacheOptions } from '../../src/cache/cache.js';
import { MIN_ANSWER_RANK, Rank } from '../../src/cache/rank.js';
import * as api from '../../src/cache/index.js';

function setup(opts: DnsCacheOptions = {}) {
  const clock = { t: 7_000_000 };
  const cache = new DnsCache({ now: () => clock.t, ...opts });
  return { cache, advance: (s: number) => { clock.t += s * 1000; } };
}

const A = (name: string, ttl = 300): RRset => ({ name, type: RRType.A, class: RRClass.IN, ttl, rdata: [Buffer.from([192, 0, 2, 1])] });
const CNAME = (name: string, target: string): RRset => ({ name, type: RRType.CNAME, class: RRClass.IN, ttl: 300, rdata: [nameToWire(target)] });
const SOA: RRset = {
  name: 'example.', type: RRType.SOA, class: RRClass.IN, ttl: 3600,
  rdata: [Buffer.concat([nameToWire('ns.example.'), nameToWire('h.example.'), Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 1, 44])])],
};

t.test('lookup: answer, cname, nxdomain, nodata, miss', async (t) => {
  const { cache } = setup();
  cache.putRRset(A('www.example.'), Rank.AnswerAuth);
  cache.putRRset(CNAME('alias.example.', 'www.example.'), Rank.AnswerAuth);
  cache.putNegative({ kind: 'nxdomain', name: 'gone.example.', soa: SOA });
  cache.putNegative({ kind: 'nodata', name: 'www.example.', type: RRType.AAAA, soa: SOA });
  t.equal(cache.lookup('www.example.', RRType.A).kind, 'answer');
  const alias = cache.lookup('ALIAS.example.', RRType.A);
  t.equal(alias.kind, 'cname');
  t.equal(alias.kind === 'cname' && alias.hit.rrset.type, RRType.CNAME);
  t.equal(cache.lookup('alias.example.', RRType.CNAME).kind, 'answer');
  const nx = cache.lookup('x.gone.example.', RRType.A);
  t.equal(nx.kind, 'nxdomain');
  t.equal(nx.kind === 'nxdomain' && nx.hit.ttl, 300, 'min(SOA TTL 3600, MINIMUM 300)');
  t.equal(cache.lookup('www.example.', RRType.AAAA).kind, 'nodata');
  t.equal(cache.lookup('new.example.', RRType.A).kind, 'miss');
  const s = cache.snapshot();
  t.equal(s.rrset.misses, 4, 'one miss per question without an RRset, not per probe (type + CNAME)');
  t.equal(s.negative.hits, 2);
});

t.test('lookup honours minRank and allowStale', async (t) => {
  const { cache, advance } = setup();
  cache.putRRset(A('glue.example.'), Rank.Additional);
  t.equal(cache.lookup('glue.example.', RRType.A, RRClass.IN, { minRank: MIN_ANSWER_RANK }).kind, 'miss');
  cache.putRRset(A('old.example.', 10), Rank.AnswerAuth);
  advance(10);
  t.equal(cache.lookup('old.example.', RRType.A).kind, 'answer');
  t.equal(cache.lookup('old.example.', RRType.A, RRClass.IN, { allowStale: false }).kind, 'miss');
});

t.test('positive data removes the negatives it disproves', async (t) => {
  const { cache } = setup();
  cache.putNegative({ kind: 'nxdomain', name: 'b.example.', soa: SOA });
  cache.putNegative({ kind: 'nodata', name: 'c.example.', type: RRType.A, soa: SOA });
  t.equal(cache.lookup('a.b.example.', RRType.A).kind, 'nxdomain');
  cache.putRRset(A('a.b.example.'), Rank.AnswerAuth);
  t.equal(cache.lookup('a.b.example.', RRType.A).kind, 'answer');
  t.equal(cache.lookup('b.example.', RRType.TXT).kind, 'miss', 'the ancestor NXDOMAIN went too');
  cache.putRRset(A('c.example.'), Rank.AnswerAuth);
  t.equal(cache.lookup('c.example.', RRType.A).kind, 'answer');
  t.equal(cache.negatives.get('c.example.', RRType.A), undefined);
  cache.putNegative({ kind: 'nxdomain', name: 'zone.example.', soa: SOA });
  cache.putDelegation({ zone: 'zone.example.', nameservers: ['ns.zone.example.'], ttl: 300, rank: Rank.Additional });
  t.equal(cache.lookup('zone.example.', RRType.A).kind, 'miss', 'a cut proves the name exists');
  t.equal(cache.putRRset(A('low.example.'), Rank.Additional), 'stored');
});

t.test('negative data removes the positive data it contradicts', async (t) => {
  const { cache } = setup();
  cache.putRRset(A('www.example.'), Rank.AnswerAuth);
  cache.putRRset({ ...A('www.example.'), type: RRType.TXT, rdata: [Buffer.from('\x01x')] }, Rank.AnswerAuth);
  cache.putRRset({ ...A('www.example.'), class: RRClass.CH }, Rank.AnswerAuth);
  cache.putNegative({ kind: 'nodata', name: 'www.example.', type: RRType.TXT, soa: SOA });
  t.equal(cache.lookup('www.example.', RRType.TXT).kind, 'nodata');
  t.equal(cache.lookup('www.example.', RRType.A).kind, 'answer');
  cache.putNegative({ kind: 'nxdomain', name: 'WWW.example.', soa: SOA });
  t.equal(cache.lookup('www.example.', RRType.A).kind, 'nxdomain');
  t.equal(cache.lookup('www.example.', RRType.A, RRClass.CH).kind, 'answer', 'other classes untouched');
});

t.test('flushName, flushTree, flushAll across all caches', async (t) => {
  const { cache } = setup();
  const fill = () => {
    cache.putRRset(A('example.'), Rank.AnswerAuth);
    cache.putRRset(A('www.example.'), Rank.AnswerAuth);
    cache.putRRset(A('other.'), Rank.AnswerAuth);
    cache.putNegative({ kind: 'nxdomain', name: 'gone.example.', soa: SOA });
    cache.putNegative({ kind: 'nodata', name: 'example.', type: RRType.MX, soa: SOA });
    cache.putDelegation({ zone: 'example.', nameservers: ['ns.example.'], glue: { 'ns.example.': ['192.0.2.53'] }, ttl: 300, rank: Rank.Additional });
    cache.infra.record('192.0.2.53', 12);
  };
  fill();
  t.equal(cache.flushName('Example.'), 3, 'RRset, NODATA and cut at the name');
  t.equal(cache.lookup('www.example.', RRType.A).kind, 'answer');
  t.equal(cache.lookup('gone.example.', RRType.A).kind, 'nxdomain');
  fill();
  t.equal(cache.flushTree('example.'), 5);
  t.same(cache.dump().map((d) => d.name), ['other.']);
  t.equal(cache.delegations.closestCut('www.example.'), undefined);
  fill();
  cache.flushAll();
  t.same(cache.dump(), []);
  t.ok(cache.infra.get('192.0.2.53'), 'server RTTs survive a cache flush');
});

t.test('dump is sorted and snapshot has every counter', async (t) => {
  const { cache, advance } = setup();
  cache.putRRset(A('b.example.', 100), Rank.AnswerAuth);
  cache.putRRset({ ...A('a.example.'), type: RRType.TXT, rdata: [Buffer.from('\x01x')] }, Rank.AnswerNonAuth);
  cache.putRRset(A('A.example.'), Rank.AnswerAuth);
  cache.putNegative({ kind: 'nxdomain', name: 'c.example.', soa: SOA });
  advance(10);
  t.same(cache.dump(), [
    { kind: 'rrset', name: 'A.example.', type: RRType.A, class: 1, ttl: 290, originalTtl: 300, rank: Rank.AnswerAuth, stale: false },
    { kind: 'rrset', name: 'a.example.', type: RRType.TXT, class: 1, ttl: 290, originalTtl: 300, rank: Rank.AnswerNonAuth, stale: false },
    { kind: 'rrset', name: 'b.example.', type: RRType.A, class: 1, ttl: 90, originalTtl: 100, rank: Rank.AnswerAuth, stale: false },
    { kind: 'nxdomain', name: 'c.example.', type: 0, class: 1, ttl: 290, originalTtl: 300, stale: false },
  ]);
  const s = cache.snapshot();
  for (const part of [s.rrset, s.negative, s.delegation]) {
    for (const k of ['hits', 'misses', 'staleHits', 'inserts', 'evictions', 'prefetches', 'rejected', 'entries', 'bytes'] as const) {
      t.type(part[k], 'number', k);
    }
  }
  t.equal(s.rrset.inserts, 3);
  t.equal(s.rrset.entries, 3);
  t.same(s.infra, { hosts: 0, heldBack: 0 });
});

t.test('options reach every cache', async (t) => {
  const { cache } = setup({ maxTtl: 60, maxNegativeTtl: 10, rrset: { maxEntries: 1 }, negative: { nxdomainCut: false } });
  cache.putRRset(A('a.example.', 999), Rank.AnswerAuth);
  t.equal(cache.rrsets.get('a.example.', RRType.A)?.ttl, 60);
  cache.putRRset(A('b.example.'), Rank.AnswerAuth);
  t.equal(cache.snapshot().rrset.entries, 1);
  cache.putNegative({ kind: 'nxdomain', name: 'n.example.', soa: SOA });
  t.equal(cache.negatives.get('n.example.', RRType.A)?.ttl, 10);
  t.equal(cache.negatives.get('x.n.example.', RRType.A), undefined);
  cache.putDelegation({ zone: 'example.', nameservers: ['ns.example.'], ttl: 999, rank: Rank.Additional });
  t.equal(cache.delegations.get('example.')?.ttl, 60);
});

t.test('the index exports the public API', async (t) => {
  for (const name of ['DnsCache', 'RRsetCache', 'NegativeCache', 'DelegationCache', 'InfraCache', 'CacheError', 'Rank', 'MIN_ANSWER_RANK', 'soaMinimum', 'negativeTtl', 'rankFor']) {
    t.ok(name in api, name);
  }
});

t.test('serve-stale timers: a failed refresh holds the name back for staleRecheck seconds', async (t) => {
  const { cache, advance } = setup();
  t.same(cache.staleTimers, { clientTimeout: 1800, recheck: 30 }, 'RFC 8767 defaults: 1.8 s and 30 s');
  t.equal(cache.failedRecently('www.example.', RRType.A), 0);
  cache.markFailed('www.example.', RRType.A);
  t.equal(cache.failedRecently('WWW.Example.', RRType.A), 30_000, 'case folded');
  t.equal(cache.failedRecently('www.example.', RRType.AAAA), 0, 'per type');
  advance(29);
  t.equal(cache.failedRecently('www.example.', RRType.A), 1000);
  advance(1);
  t.equal(cache.failedRecently('www.example.', RRType.A), 0, 'over after 30 s');
  cache.markFailed('www.example.', RRType.A);
  cache.clearFailed('www.example.', RRType.A);
  t.equal(cache.failedRecently('www.example.', RRType.A), 0, 'a successful refresh clears it');
  cache.markFailed('www.example.', RRType.A);
  cache.flushName('other.example.');
  t.equal(cache.failedRecently('www.example.', RRType.A), 0, 'every flush clears the marks');
  const off = setup({ staleRecheck: 0, staleClientTimeout: 0 }).cache;
  off.markFailed('www.example.', RRType.A);
  t.equal(off.failedRecently('www.example.', RRType.A), 0, 'staleRecheck 0: never held back');
  t.throws(() => new DnsCache({ staleClientTimeout: -1 }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => new DnsCache({ staleRecheck: 1.5 }), { code: 'ERR_CACHE_BAD_OPTION' });
});
