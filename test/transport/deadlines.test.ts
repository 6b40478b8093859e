// The shared deadline timer (src/transport/deadlines.ts): what is due expires, in order of its
// deadline, what was removed never does, and a deadline added earlier than the armed one re-arms
// the timer. The abort watchers: one signal tells every attempt on it, and a removed one is not told.

import t from 'tap';
import { performance } from 'node:perf_hooks';
import { DeadlineSet, offAbort, onAbort } from '../../src/transport/deadlines.js';

function due(at: number, log: string[], name: string): { at: number; expire(): void; dueSlot: number; expired: Promise<void> } {
  let done!: () => void;
  const expired = new Promise<void>((resolve) => { done = resolve; });
  return { at, expire: () => { log.push(name); done(); }, dueSlot: -1, expired };
}

t.test('due deadlines expire in order; a removed one never does', async (t) => {
  const set = new DeadlineSet();
  const log: string[] = [];
  const now = performance.now();
  const late = due(now + 60, log, 'late');
  const removed = due(now + 20, log, 'removed');
  const early = due(now + 10, log, 'early');
  set.add(late);
  set.add(removed);
  set.add(early); // earlier than the armed timer: re-armed for it
  set.delete(removed);
  t.equal(set.size, 2);
  await early.expired;
  t.same(log, ['early'], 'the earliest first, alone');
  t.ok(performance.now() >= early.at - 0.5, 'not before its deadline');
  await late.expired;
  t.same(log, ['early', 'late'], 'the removed deadline did not expire');
  t.equal(set.size, 0);
});

t.test('one abort listener tells every watcher on the signal, except those removed', async (t) => {
  const ac = new AbortController();
  const told: unknown[] = [];
  const a = { abort: (r: unknown) => told.push(['a', r]), abortSlot: -1 };
  const b = { abort: (r: unknown) => told.push(['b', r]), abortSlot: -1 };
  const c = { abort: (r: unknown) => told.push(['c', r]), abortSlot: -1 };
  onAbort(ac.signal, a);
  onAbort(ac.signal, b);
  onAbort(ac.signal, c);
  offAbort(ac.signal, b);
  ac.abort('stop');
  t.same(told, [['a', 'stop'], ['c', 'stop']]);
});
