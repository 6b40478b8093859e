// A Progress's note: what the unit in hand has come to, shown after the counts while running,
// gone when a new run starts or the run finishes; a change of note is a change (the line redraws).

import t from 'tap';
import { Progress } from '../../src/base/progress.js';

t.test('the note follows the counts while running, and goes at the end', async (t) => {
  let now = 0;
  const p = new Progress('zone load', 'zones', 'records', () => now);
  let changes = 0;
  p.onChange(() => changes++);
  p.start(2);
  p.note('a.zone 40%');
  t.equal(p.line(), 'zone load: 0/2 zones, 0 records, 0 errors, 0.0 s; a.zone 40%');
  const before = changes;
  p.note('a.zone 40%');
  t.equal(changes, before, 'the same note again changes nothing');
  p.step(1000, 0);
  p.note('b.zone 3%');
  now = 1500;
  t.equal(p.line(), 'zone load: 1/2 zones, 1000 records, 0 errors, 1.5 s; b.zone 3%');
  p.step(10, 0);
  p.finish();
  t.equal(p.line(), 'zone load: 2/2 zones, 1010 records, 0 errors, 1.5 s, done', 'no note once done');
  p.note('late');
  t.equal(p.line(), 'zone load: 2/2 zones, 1010 records, 0 errors, 1.5 s, done', 'nor after');
  p.start(1);
  t.notMatch(p.line(), /late/, 'a new run starts without it');
});
