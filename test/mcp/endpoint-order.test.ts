// The hand-off's order within one SvcPriority (handoff/endpoint-stats.ts): fewest recent failures
// first, then the lowest measured latency, one not measured yet first of all; priorities never
// change places; a failure counts only within its window.

import t from 'tap';
import { EndpointStats } from '../../src/mcp/handoff/endpoint-stats.js';

const ep = (url: string, priority: number) => ({ url, priority });

t.test('latency orders one priority; priorities keep their order', async (t) => {
  let now = 1_000_000;
  const s = new EndpointStats({ now: () => now, failureWindowMs: 60_000 });
  const list = [ep('x', 1), ep('y', 1), ep('z', 1), ep('w', 2)];
  t.same(s.order(list).map((e) => e.url), ['x', 'y', 'z', 'w'], 'nothing known: the order given (the weighted shuffle)');
  s.latency('x', 50);
  s.latency('y', 5);
  s.latency('w', 1);
  t.same(s.order(list).map((e) => e.url), ['z', 'y', 'x', 'w'], 'unmeasured z first (to be measured), then fastest; w stays in priority 2 though fastest');
  s.latency('z', 20);
  t.same(s.order(list).map((e) => e.url), ['y', 'z', 'x', 'w'], 'all measured: by latency');
  s.failure('y', 'ECONNREFUSED');
  t.same(s.order(list).map((e) => e.url), ['z', 'x', 'y', 'w'], 'a recent failure goes after the others of its priority');
  t.equal(s.recentFailures('y'), 1);
  now += 60_001;
  t.equal(s.recentFailures('y'), 0, 'past the window the failure no longer counts');
  t.same(s.order(list).map((e) => e.url), ['y', 'z', 'x', 'w'], 'and y has its place back');
  s.failure('y');
  s.success('y');
  t.equal(s.recentFailures('y'), 0, 'an answer clears the failures');
  t.same(s.order(list).map((e) => e.url), ['y', 'z', 'x', 'w']);
  t.same(list.map((e) => e.url), ['x', 'y', 'z', 'w'], 'the input is not changed');
});

t.test('latency is a weighted average of the samples', async (t) => {
  const s = new EndpointStats({ alpha: 0.5 });
  s.latency('x', 100);
  s.latency('x', 0);
  t.equal(s.get('x')!.latencyMs, 50);
  t.equal(s.get('x')!.samples, 2);
  s.latency('x', Number.NaN);
  t.equal(s.get('x')!.samples, 2, 'a sample that is not a number is ignored');
  t.throws(() => new EndpointStats({ alpha: 0 }), RangeError);
});

t.test('bounded: the least recently seen endpoint is forgotten', async (t) => {
  const s = new EndpointStats({ max: 2 });
  s.latency('a', 1);
  s.latency('b', 1);
  s.latency('a', 1);
  s.latency('c', 1);
  t.ok(s.get('a') && s.get('c'), 'a and c kept');
  t.equal(s.get('b'), undefined, 'b forgotten');
});
