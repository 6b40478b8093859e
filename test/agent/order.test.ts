// orderEndpoints: by priority, then an RFC 2782-style weighted shuffle (uniform without weights),
// driven by an injected random function.

import t from 'tap';
import { orderEndpoints } from '../../src/agent/index.js';

interface E { id: string; priority: number; weight?: number }

/** A random() that returns the given values in turn. */
function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** A small seeded PRNG (mulberry32), for the frequency checks. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const ids = (list: E[]): string[] => list.map((e) => e.id);

t.test('priority first, lowest first', async (t) => {
  const list: E[] = [{ id: 'c', priority: 3 }, { id: 'a', priority: 1 }, { id: 'b', priority: 2 }];
  t.same(ids(orderEndpoints(list, seq(0.5))), ['a', 'b', 'c']);
  t.same(ids(list), ['c', 'a', 'b'], 'the input is not changed');
  t.same(orderEndpoints([], seq(0)), []);
});

t.test('equal priorities, no weights: a uniform shuffle', async (t) => {
  const list: E[] = [{ id: 'a', priority: 1 }, { id: 'b', priority: 1 }, { id: 'c', priority: 1 }, { id: 'z', priority: 2 }];
  t.same(ids(orderEndpoints(list, seq(0))), ['a', 'b', 'c', 'z'], 'random 0 keeps the order');
  t.same(ids(orderEndpoints(list, seq(0.99))), ['c', 'b', 'a', 'z'], 'random ~1 takes the last each time');
  t.same(ids(orderEndpoints(list, seq(0.5, 0.5))), ['b', 'c', 'a', 'z'], 'the middle, then the upper half');
  const firsts = new Map<string, number>();
  const rnd = prng(1);
  for (let i = 0; i < 6000; i++) {
    const first = orderEndpoints(list, rnd)[0]!.id;
    firsts.set(first, (firsts.get(first) ?? 0) + 1);
  }
  for (const id of ['a', 'b', 'c']) t.ok(Math.abs(firsts.get(id)! - 2000) < 200, `${id} first about a third of the time (${firsts.get(id)})`);
  t.notOk(firsts.has('z'), 'a higher priority never comes first');
});

t.test('weights share the first place in proportion', async (t) => {
  const list: E[] = [{ id: 'heavy', priority: 1, weight: 3 }, { id: 'light', priority: 1, weight: 1 }];
  t.same(ids(orderEndpoints(list, seq(0.74))), ['heavy', 'light'], 'r*4 = 2.96 < 3: heavy');
  t.same(ids(orderEndpoints(list, seq(0.75))), ['light', 'heavy'], 'r*4 = 3: light');
  const rnd = prng(7);
  let heavy = 0;
  for (let i = 0; i < 4000; i++) if (orderEndpoints(list, rnd)[0]!.id === 'heavy') heavy++;
  t.ok(Math.abs(heavy - 3000) < 150, `heavy first about 3/4 of the time (${heavy})`);
});

t.test('weight 0 comes after the weighted ones of its priority', async (t) => {
  const list: E[] = [{ id: 'zero', priority: 1, weight: 0 }, { id: 'one', priority: 1, weight: 1 }, { id: 'zero2', priority: 1, weight: 0 }];
  for (const r of [0, 0.3, 0.999]) t.equal(orderEndpoints(list, seq(r))[0]!.id, 'one', `random ${r}`);
  t.same(ids(orderEndpoints(list, seq(0.999, 0.999))), ['one', 'zero2', 'zero'], 'then the zeros, uniformly');
  t.same(ids(orderEndpoints([{ id: 'x', priority: 1, weight: 0 }, { id: 'y', priority: 1, weight: 0 }], seq(0))), ['x', 'y'], 'all zero: uniform');
  t.same(ids(orderEndpoints([{ id: 'p', priority: 1, weight: 2 }, { id: 'q', priority: 1 }], seq(0.7))), ['q', 'p'], 'a missing weight counts as 1 beside weighted ones (0.7*3 = 2.1 > 2)');
});

t.test('a faulty random() or weight', async (t) => {
  const list: E[] = [{ id: 'a', priority: 1 }, { id: 'b', priority: 1 }];
  t.same(ids(orderEndpoints(list, seq(1))), ['b', 'a'], 'random 1 stays in range');
  t.same(ids(orderEndpoints(list, seq(-5))), ['a', 'b'], 'negative counts as 0');
  t.same(ids(orderEndpoints(list, seq(NaN))), ['a', 'b'], 'NaN counts as 0');
  t.same(ids(orderEndpoints([{ id: 'w', priority: 1, weight: 1 }, { id: 'v', priority: 1, weight: 1 }], seq(1))), ['v', 'w'], 'weighted, random 1');
  t.throws(() => orderEndpoints([{ id: 'a', priority: 1, weight: -1 }]), RangeError);
  t.throws(() => orderEndpoints([{ id: 'a', priority: 1, weight: Infinity }]), RangeError);
});
