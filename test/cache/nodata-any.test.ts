// A NODATA for QTYPE ANY (an empty non-terminal asked ANY) is cached at its own key, so a
// repeated ANY costs no upstream query; other meta types are still refused; data of any type
// arriving at the name removes it.

import t from 'tap';
import { nameToWire } from '../../src/wire/name.js';
import type { RRset } from '../../src/wire/rr.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import { DnsCache } from '../../src/cache/cache.js';
import { Rank } from '../../src/cache/rank.js';

const SOA: RRset = {
  name: 'example.', type: RRType.SOA, class: RRClass.IN, ttl: 3600,
  rdata: [Buffer.concat([nameToWire('ns.example.'), nameToWire('h.example.'), Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 1, 44])])],
};
const A = (name: string): RRset => ({ name, type: RRType.A, class: RRClass.IN, ttl: 300, rdata: [Buffer.from([192, 0, 2, 1])] });

t.test('NODATA for ANY', async (t) => {
  const clock = { t: 1_000_000 };
  const cache = new DnsCache({ now: () => clock.t });
  t.equal(cache.putNegative({ kind: 'nodata', name: 'ent.example.', type: RRType.ANY, soa: SOA }), 'stored', 'stored');
  const hit = cache.negatives.get('ent.example.', RRType.ANY);
  t.equal(hit?.kind, 'nodata', 'found for ANY');
  t.equal(hit?.ttl, 300, 'for min(SOA TTL, MINIMUM)');
  t.equal(cache.negatives.get('ent.example.', RRType.A), undefined, 'not a NODATA for A');
  t.throws(() => cache.putNegative({ kind: 'nodata', name: 'ent.example.', type: RRType.AXFR, soa: SOA }), { code: 'ERR_CACHE_BAD_TYPE' }, 'AXFR is still no type to cache');
  cache.putRRset(A('ent.example.'), Rank.AnswerAuth);
  t.equal(cache.negatives.get('ent.example.', RRType.ANY), undefined, 'an A at the name removes it');
});
