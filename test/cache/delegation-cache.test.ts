// Delegation cache: closest cut by walking up labels, expiry, ranks, glue and learned addresses.

import t from 'tap';
import { RRClass, RRType } from '../../src/wire/types.js';
import { DelegationCache, type DelegationCacheOptions } from '../../src/cache/delegation-cache.js';
import { Rank } from '../../src/cache/rank.js';

function setup(opts: DelegationCacheOptions = {}) {
  const clock = { t: 2_000_000 };
  const cache = new DelegationCache({ now: () => clock.t, ...opts });
  return { cache, advance: (s: number) => { clock.t += s * 1000; } };
}

const root = { zone: '.', nameservers: ['a.root-servers.net.'], glue: { 'a.root-servers.net.': ['198.41.0.4', '2001:503:ba3e::2:30'] }, ttl: 518400, rank: Rank.AuthorityAuth };
const agents = { zone: 'agents.', nameservers: ['ns1.nic.agents.', 'ns2.nic.agents.'], glue: new Map([['NS1.nic.agents.', ['192.0.2.53']]]), ttl: 172800, rank: Rank.Additional };
const acme = { zone: 'acme.agents.', nameservers: ['ns.acme.agents.', 'ns.example.'], glue: { 'ns.acme.agents.': ['192.0.2.1'], 'unrelated.example.': ['192.0.2.99'] }, ttl: 3600, rank: Rank.Additional };

t.test('closestCut finds the deepest cut', async (t) => {
  const { cache } = setup();
  t.equal(cache.closestCut('writer.acme.agents.'), undefined, 'empty cache: use root hints');
  cache.put(root);
  cache.put(agents);
  t.equal(cache.closestCut('writer.acme.agents.')?.zone, 'agents.');
  cache.put(acme);
  const cut = cache.closestCut('Writer.ACME.agents.');
  t.equal(cut?.zone, 'acme.agents.');
  t.same(cut?.nameservers, [{ name: 'ns.acme.agents.', addresses: ['192.0.2.1'] }, { name: 'ns.example.', addresses: [] }], 'glue matched to NS names, stray glue ignored');
  t.equal(cut?.ttl, 3600);
  t.equal(cache.closestCut('acme.agents.')?.zone, 'acme.agents.', 'a cut at the name itself');
  t.equal(cache.closestCut('other.example.')?.zone, '.');
  t.same(cache.closestCut('agents.')?.nameservers[0], { name: 'ns1.nic.agents.', addresses: ['192.0.2.53'] }, 'glue keys match case-insensitively');
  t.equal(cache.closestCut('x.agents.', RRClass.CH), undefined, 'class in the key');
  const s = cache.snapshot();
  t.equal(s.hits, 5);
  t.equal(s.misses, 2);
});

t.test('expired cuts are skipped, stale ones only on request', async (t) => {
  const { cache, advance } = setup();
  cache.put(root);
  cache.put(acme);
  advance(3600);
  t.equal(cache.closestCut('writer.acme.agents.')?.zone, '.', 'expired child cut skipped');
  const stale = cache.closestCut('writer.acme.agents.', RRClass.IN, { allowStale: true });
  t.equal(stale?.zone, 'acme.agents.');
  t.equal(stale?.stale, true);
  t.equal(stale?.ttl, 30);
  t.equal(cache.get('acme.agents.'), undefined);
  t.equal(cache.get('acme.agents.', RRClass.IN, { allowStale: true })?.stale, true);
});

t.test('rank rules for cuts', async (t) => {
  const { cache } = setup();
  t.equal(cache.put({ ...acme, nameservers: ['ns.acme.agents.'], rank: Rank.AuthorityAuth }), 'stored', "the child's own NS set");
  t.equal(cache.put(acme), 'lower-rank', 'a parent referral does not replace it');
  t.same(cache.get('acme.agents.')?.nameservers.map((n) => n.name), ['ns.acme.agents.']);
  t.equal(cache.put({ ...acme, rank: Rank.AnswerAuth }), 'stored');
  t.equal(cache.put({ ...acme, ttl: 0, rank: Rank.AnswerAuth }), 'zero-ttl');
  t.equal(cache.get('acme.agents.'), undefined);
});

t.test('addresses learned later', async (t) => {
  const { cache, advance } = setup();
  cache.put(acme);
  advance(100);
  t.equal(cache.addAddresses('acme.agents.', 'NS.example.', ['2001:db8::1', '192.0.2.2', '192.0.2.2']), true);
  t.equal(cache.addAddresses('acme.agents.', 'ns.acme.agents.', ['192.0.2.1', '192.0.2.3']), true);
  t.equal(cache.addAddresses('acme.agents.', 'nobody.example.', ['192.0.2.4']), false, 'not one of its servers');
  t.equal(cache.addAddresses('missing.agents.', 'ns.example.', ['192.0.2.4']), false);
  const cut = cache.get('acme.agents.');
  t.same(cut?.nameservers, [
    { name: 'ns.acme.agents.', addresses: ['192.0.2.1', '192.0.2.3'] },
    { name: 'ns.example.', addresses: ['2001:db8::1', '192.0.2.2'] },
  ]);
  t.equal(cut?.ttl, 3500, 'timing kept');
  t.throws(() => cache.addAddresses('acme.agents.', 'ns.example.', ['not-an-ip']), { code: 'ERR_CACHE_BAD_ADDRESS' });
});

t.test('returned cut is a copy', async (t) => {
  const { cache } = setup();
  cache.put(acme);
  cache.get('acme.agents.')!.nameservers[0]!.addresses.push('10.0.0.1');
  t.same(cache.get('acme.agents.')!.nameservers[0]!.addresses, ['192.0.2.1']);
});

t.test('prefetch once near the end of the NS TTL', async (t) => {
  const { cache, advance } = setup();
  cache.put(acme);
  advance(3240);
  t.equal(cache.closestCut('a.acme.agents.')?.prefetch, true);
  t.equal(cache.closestCut('a.acme.agents.')?.prefetch, false);
});

t.test('flushes and dump', async (t) => {
  const { cache } = setup();
  cache.put(root);
  cache.put(agents);
  cache.put(acme);
  t.same(cache.dump().map((d) => [d.kind, d.name, d.type, d.rank]).sort(), [
    ['delegation', '.', RRType.NS, Rank.AuthorityAuth], ['delegation', 'acme.agents.', RRType.NS, Rank.Additional], ['delegation', 'agents.', RRType.NS, Rank.Additional],
  ]);
  t.equal(cache.flushTree('agents.'), 2);
  t.equal(cache.closestCut('writer.acme.agents.')?.zone, '.');
  t.equal(cache.flushName('.'), 1);
  t.equal(cache.dump().length, 0);
});

t.test('bad input', async (t) => {
  const { cache } = setup();
  t.throws(() => cache.put({ ...acme, nameservers: [] }), { code: 'ERR_CACHE_BAD_RRSET' });
  t.throws(() => cache.put({ ...acme, zone: 'acme' }), { code: 'ERR_CACHE_BAD_NAME' });
  t.throws(() => cache.put({ ...acme, nameservers: ['ns'] }), { code: 'ERR_CACHE_BAD_NAME' });
  t.throws(() => cache.put({ ...acme, glue: { 'ns.acme.agents.': ['300.1.1.1'] } }), { code: 'ERR_CACHE_BAD_ADDRESS' });
  t.throws(() => cache.put({ ...acme, ttl: Number.NaN }), { code: 'ERR_CACHE_BAD_TTL' });
  t.throws(() => cache.put({ ...acme, rank: 0 as Rank }), { code: 'ERR_CACHE_BAD_RANK' });
});
