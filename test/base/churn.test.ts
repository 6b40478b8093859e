// SlotList and ChurnMap (src/base/churn.ts): the collections for members that come and go.

import t from 'tap';
import { ChurnMap, SlotList } from '../../src/base/churn.js';

t.test('SlotList: add, delete, reuse of freed slots, members', async (t) => {
  type M = { name: string; slot: number };
  const list = new SlotList<M>({ get: (m) => m.slot, set: (m, i) => { m.slot = i; } });
  const a = { name: 'a', slot: -1 };
  const b = { name: 'b', slot: -1 };
  const c = { name: 'c', slot: -1 };
  list.add(a);
  list.add(b);
  t.equal(list.size, 2);
  t.ok(list.delete(a));
  t.equal(a.slot, -1);
  t.notOk(list.delete(a), 'a second delete is a no-op');
  list.add(c);
  t.equal(c.slot, 0, 'the freed slot is used again');
  t.same(list.members().map((m) => m.name).sort(), ['b', 'c']);
  const outsider = { name: 'x', slot: 1 }; // claims b's slot
  t.notOk(list.delete(outsider), 'a non-member with a stale slot number removes nothing');
  t.equal(list.size, 2);
});

t.test('ChurnMap: get, set, delete, and compaction keeps the live entries', async (t) => {
  const m = new ChurnMap<number>(4);
  for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
  for (let i = 0; i < 9; i++) m.delete(`k${i}`);
  t.equal(m.size, 1);
  t.equal(m.get('k9'), 9);
  t.equal(m.get('k0'), undefined);
  m.delete('k0'); // already gone
  t.equal(m.size, 1);
  m.set('k0', 100); // a key that was deleted, set again
  t.equal(m.size, 2);
  t.equal(m.get('k0'), 100);
  for (let i = 10; i < 100; i++) { m.set(`k${i}`, i); m.delete(`k${i}`); }
  t.equal(m.size, 2, 'churn leaves the two live entries');
  t.equal(m.get('k9'), 9);
  t.equal(m.get('k0'), 100);
});
