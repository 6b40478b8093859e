// The validation cache: verdicts kept for their TTL on the DNS cache's clock, bogus ones only
// bogusTtl (RFC 9520), a different answer a miss, a flush (generation) forgetting everything, and a
// bound on entries.

import t from 'tap';
import { ValidationCache } from '../../src/cache/index.js';

function clock() {
  const c = { ms: 1_000_000, generation: 0 };
  return { c, opts: { now: () => c.ms, generation: () => c.generation } };
}

t.test('kept for its TTL, then gone', async (t) => {
  const { c, opts } = clock();
  const v = new ValidationCache<string>(opts);
  v.put('a/1', 'secure', 300);
  t.equal(v.get('a/1'), 'secure');
  c.ms += 299_999;
  t.equal(v.get('a/1'), 'secure', 'just before the TTL');
  c.ms += 1;
  t.equal(v.get('a/1'), undefined, 'at the TTL');
  v.put('b/1', 'secure', 0);
  t.equal(v.get('b/1'), undefined, 'a TTL of 0 is not kept');
});

t.test('bogus: kept bogusTtl seconds, whatever the data TTL', async (t) => {
  const { c, opts } = clock();
  const v = new ValidationCache<string>({ ...opts, bogusTtl: 5 });
  v.put('x/1', 'bogus', 3600, { bogus: true });
  v.put('y/1', 'bogus', 0, { bogus: true });
  c.ms += 4_999;
  t.equal(v.get('x/1'), 'bogus', 'within bogusTtl');
  t.equal(v.get('y/1'), 'bogus', 'even with a data TTL of 0');
  c.ms += 1;
  t.equal(v.get('x/1'), undefined, 'gone after bogusTtl, though the data TTL was an hour');
  t.equal(new ValidationCache<string>({ ...opts, bogusTtl: 10_000 }).bogusTtl, 300, 'bogusTtl at most 5 minutes');
  t.equal(new ValidationCache<string>({ ...opts, bogusTtl: 0 }).bogusTtl, 1, 'at least 1 s');
});

t.test('about other data, or after a flush: a miss', async (t) => {
  const { c, opts } = clock();
  const v = new ValidationCache<string>(opts);
  v.put('a/1', 'secure', 300, { about: 'answer-1' });
  t.equal(v.get('a/1', 'answer-2'), undefined, 'a different answer');
  v.put('a/1', 'secure', 300, { about: 'answer-1' });
  t.equal(v.get('a/1', 'answer-1'), 'secure', 'the same answer');
  c.generation++;
  t.equal(v.get('a/1', 'answer-1'), undefined, 'the DNS cache was flushed');
});

t.test('bounded: the oldest goes first', async (t) => {
  const { opts } = clock();
  const v = new ValidationCache<number>({ ...opts, maxEntries: 3 });
  for (let i = 0; i < 5; i++) v.put(`k${i}`, i, 60);
  t.equal(v.size, 3);
  t.equal(v.get('k0'), undefined);
  t.equal(v.get('k1'), undefined);
  t.equal(v.get('k4'), 4);
});
