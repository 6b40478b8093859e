// Queries in flight together to one server that pauses all time out together. They are one
// timeout, not many: only a query sent since the last thing learnt of the server backs it off (Unbound's
// rtt_lost). Counting each one held the only server of twenty zones back after one burst of
// cold questions, and every question for those zones failed at once (bench scenario 12: 16-31%
// SERVFAIL after the signed upstreams reloaded).

import t from 'tap';
import { InfraCache } from '../../src/cache/infra-cache.js';

function setup() {
  const clock = { t: 5_000_000 };
  return { infra: new InfraCache({ now: () => clock.t, random: () => 0 }), clock };
}

t.test('ten queries sent with the same timeout count as one timeout', async (t) => {
  const { infra } = setup();
  t.equal(infra.timeoutFor('a'), 1000, 'an unmeasured server: 1 s');
  const sent = infra.mark('a');
  for (let i = 0; i < 10; i++) infra.timeout('a', sent);
  t.equal(infra.get('a')?.timeouts, 1, 'one back-off');
  t.equal(infra.isHeldBack('a'), false, 'not held back');
  t.equal(infra.timeoutFor('a'), 2000, 'its timeout doubled once');
  t.same(infra.choose(['a']), ['a'], 'still offered');
});

t.test('successive generations still back off and hold back', async (t) => {
  const { infra } = setup();
  for (let gen = 1; gen <= 3; gen++) {
    const sent = infra.mark('a');
    infra.timeout('a', sent);
    infra.timeout('a', sent);
    t.equal(infra.get('a')?.timeouts, gen, `generation ${gen}: counted once`);
  }
  t.equal(infra.isHeldBack('a'), true, 'three timeouts in a row, each sent after the last back-off: held back');
  t.same(infra.choose(['a']), [], 'until its probe is due');
});

t.test('a reply resets the count; a timeout without sentWith counts as before', async (t) => {
  const { infra } = setup();
  infra.timeout('a', infra.mark('a'));
  infra.record('a', 20);
  t.equal(infra.get('a')?.timeouts, 0, 'a reply clears it');
  infra.timeout('a');
  infra.timeout('a');
  t.equal(infra.get('a')?.timeouts, 2, 'callers that do not say what they sent with count every timeout');
});

t.test('a reply between the timeouts of one burst: the rest of the burst still counts nothing', async (t) => {
  // The first of the burst timed out, was asked again and answered fast (its timeout fell to
  // 50 ms); the others, sent with 1 s before that reply, time out after it. They tell nothing new.
  const { infra } = setup();
  const sent = infra.mark('a');
  infra.timeout('a', sent);
  infra.record('a', 1);
  for (let i = 0; i < 5; i++) infra.timeout('a', sent);
  t.equal(infra.get('a')?.timeouts, 0, 'not counted');
  t.equal(infra.isHeldBack('a'), false, 'not held back');
});
