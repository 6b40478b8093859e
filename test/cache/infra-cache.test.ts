// Server infrastructure cache: SRTT smoothing and ordering, timeouts, backoff and probes, lameness.

import t from 'tap';
import { InfraCache, type InfraCacheOptions } from '../../src/cache/infra-cache.js';

function setup(opts: InfraCacheOptions = {}, randoms: number[] = []) {
  const clock = { t: 3_000_000 };
  let i = 0;
  // A scripted random source; 0 when the script runs out (always picks the first in a band).
  const random = () => randoms[i++] ?? 0;
  const infra = new InfraCache({ now: () => clock.t, random, ...opts });
  return { infra, clock, advance: (ms: number) => { clock.t += ms; } };
}

t.test('SRTT and RTTVAR follow RFC 6298', async (t) => {
  const { infra } = setup();
  infra.record('192.0.2.1', 100);
  t.same([infra.get('192.0.2.1')?.srtt, infra.get('192.0.2.1')?.rttvar], [100, 50], 'first sample: R and R/2');
  t.equal(infra.timeoutFor('192.0.2.1'), 300, 'RTO = SRTT + 4 RTTVAR');
  infra.record('192.0.2.1', 20);
  // RTTVAR = 3/4*50 + 1/4*|100-20| = 57.5; SRTT = 7/8*100 + 1/8*20 = 90
  t.same([infra.get('192.0.2.1')?.srtt, infra.get('192.0.2.1')?.rttvar], [90, 57.5]);
  t.equal(infra.timeoutFor('unknown'), 1000, 'unknown server: 1 s (RFC 6298 2.1)');
  t.throws(() => infra.record('192.0.2.1', -1), { code: 'ERR_CACHE_BAD_RTT' });
  t.throws(() => infra.record('192.0.2.1', Number.NaN), { code: 'ERR_CACHE_BAD_RTT' });
  t.throws(() => infra.record('', 1), { code: 'ERR_CACHE_BAD_ADDRESS' });
});

t.test('choose orders by SRTT; unknown servers rank at a small initial RTT', async (t) => {
  const { infra } = setup({ rttBand: 0 });
  infra.record('slow', 400);
  infra.record('fast', 10);
  infra.record('mid', 100);
  t.same(infra.choose(['slow', 'mid', 'new', 'fast', 'fast']), ['fast', 'new', 'mid', 'slow'], 'new (30 ms) before mid, duplicates dropped');
  t.same(infra.choose([]), []);
});

t.test('near-equal servers are shuffled with the injected random source', async (t) => {
  const a = setup({ rttBand: 20 }, [0.99, 0]);
  a.infra.record('x', 50);
  a.infra.record('y', 60);
  a.infra.record('z', 200);
  t.same(a.infra.choose(['x', 'y', 'z']), ['y', 'x', 'z'], 'random 0.99 picks the last of the band');
  const b = setup({ rttBand: 20 }, [0, 0]);
  b.infra.record('x', 50);
  b.infra.record('y', 60);
  b.infra.record('z', 200);
  t.same(b.infra.choose(['x', 'y', 'z']), ['x', 'y', 'z']);
  const c = setup({ rttBand: 20 }, [1]);
  c.infra.record('x', 50);
  t.same(c.infra.choose(['x']), ['x'], 'a random source returning 1 does not break it');
});

t.test('timeouts: back-off, hold-back, probe, recovery', async (t) => {
  const { infra, advance } = setup({ rttBand: 0 });
  infra.record('a', 10);
  infra.record('b', 30);
  infra.timeout('a');
  t.equal(infra.timeoutFor('a'), 60, 'RTO doubled (10 + 4*5 = 30 -> 60)');
  t.same(infra.choose(['a', 'b']), ['a', 'b'], 'one timeout: 10 doubled to 20 still beats 30');
  infra.timeout('a');
  t.same(infra.choose(['a', 'b']), ['b', 'a'], 'two timeouts: 40 is behind 30');
  t.equal(infra.isHeldBack('a'), false);
  infra.timeout('a');
  t.equal(infra.isHeldBack('a'), true, 'third timeout in a row: held back');
  t.same(infra.choose(['a', 'b']), ['b']);
  t.equal(infra.get('a')?.probeAt, 3_000_000 + 1000, 'for backoffBase');
  advance(1000);
  t.same(infra.choose(['a', 'b']), ['b', 'a'], 'due for a probe: offered after the live ones');
  t.same(infra.choose(['a']), ['a'], 'or alone');
  infra.timeout('a');
  t.equal(infra.get('a')?.probeAt, 3_001_000 + 2000, 'probe failed: backoff doubles');
  advance(1999);
  t.same(infra.choose(['a']), [], 'everything held back: nothing to try');
  advance(1);
  infra.timeout('a');
  infra.timeout('a');
  infra.timeout('a');
  infra.timeout('a');
  infra.timeout('a');
  infra.timeout('a');
  infra.timeout('a');
  t.equal(infra.get('a')!.probeAt - 3_003_000, 120_000, 'capped at maxBackoff');
  t.equal(infra.timeoutFor('a'), 12_000, 'RTO capped at maxTimeout');
  infra.record('a', 15);
  t.equal(infra.isHeldBack('a'), false, 'a reply clears it');
  t.equal(infra.get('a')?.timeouts, 0);
  t.same(infra.choose(['a', 'b']), ['a', 'b']);
});

t.test('lameness per zone', async (t) => {
  const { infra, advance } = setup({ rttBand: 0, lameTtl: 60 });
  infra.record('a', 10);
  infra.record('b', 20);
  infra.markLame('a', 'Example.');
  t.equal(infra.isLame('a', 'example.'), true);
  t.equal(infra.isLame('a', 'other.'), false);
  t.same(infra.choose(['a', 'b'], { zone: 'EXAMPLE.' }), ['b'], 'left out for that zone');
  t.same(infra.choose(['a', 'b'], { zone: 'other.' }), ['a', 'b']);
  t.same(infra.get('a')?.lameZones, ['Example.']);
  advance(60_000);
  t.equal(infra.isLame('a', 'example.'), false, 'lameness expires');
  infra.markLame('b', 'example.', 10);
  advance(10_000);
  t.equal(infra.isLame('b', 'example.'), false, 'explicit TTL');
  t.throws(() => infra.markLame('a', 'example'), { code: 'ERR_CACHE_BAD_NAME' });
});

t.test('hosts are forgotten after hostTtl and bounded by maxHosts', async (t) => {
  const { infra, advance } = setup({ hostTtl: 60, maxHosts: 2 });
  infra.record('a', 10);
  advance(59_999);
  t.ok(infra.get('a'));
  advance(1);
  t.equal(infra.get('a'), undefined, 'forgotten: unknown again');
  infra.record('x', 1);
  infra.record('y', 1);
  infra.record('z', 1);
  t.equal(infra.get('x'), undefined, 'least recently updated pushed out');
  t.same(infra.dump().map((s) => s.address).sort(), ['y', 'z']);
  t.same(infra.snapshot(), { hosts: 2, heldBack: 0 });
  t.equal(infra.forget('y'), true);
  infra.clear();
  t.same(infra.dump(), []);
});

t.test('a held-back server outlives hostTtl until its probe time', async (t) => {
  const { infra, advance } = setup({ hostTtl: 1, backoffBase: 5000, deadAfter: 1 });
  infra.timeout('a');
  advance(2000);
  t.equal(infra.isHeldBack('a'), true);
});

t.test('bad options', async (t) => {
  t.throws(() => new InfraCache({ maxHosts: 0 }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => new InfraCache({ minTimeout: 500, maxTimeout: 100 }), { code: 'ERR_CACHE_BAD_OPTION' });
  t.throws(() => new InfraCache({ random: 1 as unknown as () => number }), { code: 'ERR_CACHE_BAD_OPTION' });
});
