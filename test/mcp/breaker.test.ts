// The circuit breaker alone, on an injected clock: threshold, skip while open, one half-open probe, close on success.

import t from 'tap';
import { CircuitBreaker } from '../../src/mcp/breaker.js';

t.test('opens after N failures in a row; a success in between resets the count', async (t) => {
  let now = 0;
  const b = new CircuitBreaker({ threshold: 3, cooldownMs: 100, now: () => now });
  b.failure('a');
  b.failure('a');
  b.success('a');
  b.failure('a');
  b.failure('a');
  t.equal(b.state('a'), 'closed', 'two in a row after a success');
  t.ok(b.allow('a'));
  b.failure('a');
  t.equal(b.state('a'), 'open', 'the third in a row opens it');
  t.notOk(b.allow('a'), 'skipped while open');
  t.equal(b.retryInMs('a'), 100);
  t.equal(b.state('b'), 'closed', 'per endpoint');
  now = 100;
  t.equal(b.state('a'), 'half-open');
  t.ok(b.allow('a'), 'one probe goes through');
  t.notOk(b.allow('a'), 'a second caller is held back while the probe runs');
  b.failure('a');
  t.equal(b.state('a'), 'open', 'a failed probe opens it again at once');
  now = 150;
  t.notOk(b.allow('a'), 'for another cool-down');
  now = 200;
  t.ok(b.allow('a'));
  b.success('a');
  t.equal(b.state('a'), 'closed', 'a successful probe closes it');
  t.ok(b.allow('a') && b.allow('a'), 'everyone goes through again');
});

t.test('bad options', async (t) => {
  t.throws(() => new CircuitBreaker({ threshold: 0 }), RangeError);
  t.throws(() => new CircuitBreaker({ cooldownMs: -1 }), RangeError);
});
