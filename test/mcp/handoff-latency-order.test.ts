// Real sockets: an agent with two endpoints of one priority, one behind a proxy that holds every
// request a second. Each is measured once (the unmeasured one is tried first), then every call
// goes to the fast one first; the slow one stays in the list behind it, and takes over when the
// fast one is stopped.

import t from 'tap';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { parseListen } from '../../src/server/listen.js';
import { HandOff, NetworkLookup } from '../../src/mcp/index.js';
import { healthWorld } from '../health/world.js';

t.test('the hand-off prefers the faster endpoint of one priority', async (t) => {
  const net = await leaseNet(t);
  const w = healthWorld(t, net);
  await w.start('a');
  await w.startSlow('b', 1000);
  const { host, port } = await startDaemon(t, { zonesDir: w.zonesDir, listen: [parseListen(`${w.hosts.dns}:0`)] });
  const h = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup({ address: host, port }), timeoutMs: 60_000, connectTimeoutMs: 20_000 });
  t.teardown(() => h.close());
  const call = () => h.call('writer.hz.agents', { task: 'x' });

  const first = await call();
  const second = await call();
  t.not(first.endpoint, second.endpoint, 'the second call measures the endpoint the first did not');
  const fast = h.endpointStats.get(w.urls.a)!;
  const slow = h.endpointStats.get(w.urls.b)!;
  t.ok(fast.samples >= 1 && slow.samples >= 1, 'both measured');
  t.ok(fast.latencyMs! < slow.latencyMs!, `a (${Math.round(fast.latencyMs!)} ms) is faster than b (${Math.round(slow.latencyMs!)} ms)`);
  for (let i = 0; i < 4; i++) {
    const r = await call();
    t.equal(r.endpoint, w.urls.a, `call ${i + 3} answered at the fast endpoint`);
    t.equal(r.attempts.length, 1, 'at the first try');
  }

  await w.stop('a');
  const after = await call();
  t.equal(after.endpoint, w.urls.b, 'the fast one stopped: the slow one answers');
  t.equal(after.attempts[0]!.url, w.urls.a, 'after trying the fast one first (its failure is news)');
  const next = await call();
  t.equal(next.attempts[0]!.url, w.urls.b, 'then its recent failure puts it behind');
});
