// sleep rejects on abort (before or during the wait) with an AbortError carrying the reason;
// deadlineSignal aborts on its deadline or the caller's signal, whichever comes first.

import t from 'tap';
import { deadlineSignal, isAbortError, sleep } from '../../src/base/time.js';

t.test('sleep: resolves after the wait, at once for ms <= 0', async (t) => {
  await sleep(1);
  await sleep(-5);
  await sleep(0, new AbortController().signal);
  t.pass('resolved');
});

t.test('sleep: an abort rejects, before or during the wait', async (t) => {
  const before = new AbortController();
  before.abort(new Error('stop'));
  const e1 = await sleep(10_000, before.signal).catch((e: unknown) => e);
  t.ok(isAbortError(e1), 'already aborted: AbortError');
  t.match((e1 as Error).cause, { message: 'stop' }, 'the reason is the cause');
  const during = new AbortController();
  const p = sleep(60_000, during.signal).catch((e: unknown) => e);
  during.abort('closing');
  const e2 = await p;
  t.ok(isAbortError(e2), 'aborted mid-wait: AbortError');
  t.equal((e2 as Error).cause, 'closing');
  t.notOk(isAbortError(new Error('other')));
});

t.test('deadlineSignal: the deadline aborts with a TimeoutError', async (t) => {
  const d = deadlineSignal(1);
  // The deadline's timer is unref'd (it alone does not keep a process alive): hold the test open.
  const hold = setInterval(() => {}, 1000);
  await new Promise((r) => d.signal.addEventListener('abort', r, { once: true }));
  clearInterval(hold);
  t.equal((d.signal.reason as DOMException).name, 'TimeoutError');
  d.dispose();
});

t.test('deadlineSignal: the caller\'s abort passes through with its reason; dispose lets go', async (t) => {
  const caller = new AbortController();
  const d = deadlineSignal(60_000, caller.signal);
  caller.abort('user');
  t.ok(d.signal.aborted);
  t.equal(d.signal.reason, 'user');
  d.dispose();
  const aborted = new AbortController();
  aborted.abort('gone');
  t.equal(deadlineSignal(60_000, aborted.signal).signal.reason, 'gone', 'a caller already aborted');
  const quiet = new AbortController();
  const q = deadlineSignal(60_000, quiet.signal);
  q.dispose();
  quiet.abort('late');
  t.notOk(q.signal.aborted, 'after dispose the caller no longer reaches it');
});
