// aop serve --health-probe: with one of an agent's two endpoints stopped, its SVCB answer leaves
// that endpoint out (after `fall` failed probes); with both stopped, both are served (never an
// empty answer); started again, each comes back after `rise` answered probes. Real sockets: the
// demo agents on a leased loopback /24, dig asking the daemon over UDP; the test waits on the
// monitor's state changes, never on the clock. The same question each time: a stored answer
// that outlived a change would show here.

import t from 'tap';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';
import { parseListen } from '../../src/server/listen.js';
import { Metrics } from '../../src/base/metrics.js';
import { healthWorld } from './world.js';

t.test('SVCB answers follow the endpoints\' health: one down left out, all down all served, revived back', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const net = await leaseNet(t);
  const w = healthWorld(t, net);
  await w.start('a');
  await w.start('b');
  const metrics = new Metrics({ processMetrics: false });
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: w.zonesDir, listen: [parseListen(`${w.hosts.dns}:0`)], metrics,
    health: { intervalMs: 100, timeoutMs: 2000, fall: 2, rise: 2 },
  });
  const m = daemon.health!;
  t.ok(m, 'the daemon probes');
  const targets = async (): Promise<string[]> => {
    const r = await dig(port, ['writer.hz.agents', 'SVCB'], host);
    t.equal(r.status, 'NOERROR', 'NOERROR');
    return r.answer.filter((l) => l.includes(' SVCB ')).map((l) => l.split(' ')[5]!).sort();
  };
  const state = (url: string, want: 'up' | 'down') => waitFor(() => m.stateOf(url) === want, `${url} ${want}`, { timeoutMs: 60_000, detail: () => JSON.stringify(m.status()) });

  // Both probed and answered: both served.
  await waitFor(() => m.status().length === 2 && m.status().every((s) => s.last?.ok === true), 'both endpoints probed', { timeoutMs: 60_000, detail: () => JSON.stringify(m.status()) });
  t.same(await targets(), ['a.hz.agents.', 'b.hz.agents.'], 'both up: both records');

  await w.stop('a');
  await state(w.urls.a, 'down');
  t.same(await targets(), ['b.hz.agents.'], 'a down: only b');
  t.equal(m.stateOf(w.urls.b), 'up', 'b stays up');

  await w.stop('b');
  await state(w.urls.b, 'down');
  t.same(await targets(), ['a.hz.agents.', 'b.hz.agents.'], 'both down: both served, never an empty answer');

  await w.start('a');
  await state(w.urls.a, 'up');
  t.same(await targets(), ['a.hz.agents.'], 'a back, b still down: only a');

  await w.start('b');
  await state(w.urls.b, 'up');
  t.same(await targets(), ['a.hz.agents.', 'b.hz.agents.'], 'both back: both records');

  const text = (await metrics.exposition()).text;
  t.match(text, /aop_health_probes_total\{result="failed"\} [1-9]/, 'failed probes counted');
  t.match(text, /aop_health_endpoints\{state="up"\} 2/, 'two endpoints up');
  t.ok(m.counts.changes >= 4, `state changes counted (${m.counts.changes})`);
});
