// `aop serve --workers 2 --metrics`: the primary serves the workers' metrics summed. TCP
// connections are dealt to the workers in turn (node:cluster round robin), so both answer;
// /metrics must count every query, as the control socket's summed stats do, and /readyz is 200.

import t from 'tap';
import path from 'node:path';
import { sendCommand } from '../../src/server/control.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { spawnServe } from '../helpers/aop-serve.js';
import { scratchDir } from '../helpers/child.js';
import { sample } from './helpers.js';

const NET = await leaseNet(t);

t.test('the primary sums the workers', async (t) => {
  const dir = scratchDir(t, 'aop-mw-');
  const control = path.join(dir, 'control.sock');
  const { log: getLog } = await spawnServe(t, ['--zones', path.join(root, 'zones'), '--workers', '2',
    '--listen', `${NET.host(1)}:5300`, '--metrics', `${NET.host(1)}:9153`, '--control', control], /2 workers serving/);
  t.match(getLog(), /metrics: http:\/\/[\d.]+:9153\/metrics \(summed over 2 workers\)/);
  const url = `http://${NET.host(1)}:9153`;
  t.equal((await fetch(`${url}/readyz`)).status, 200, 'ready once every worker serves');
  const N = 20;
  for (let i = 0; i < N; i++) {
    const r = await exchange({ address: NET.host(1), port: 5300 }, encodeQuery('writer.acme.agents.', RRType.SVCB), { timeout: 5000, tcp: true });
    t.equal(r.message.rcode, 0);
  }
  const stats = await sendCommand(control, 'stats') as { stats: { server: { queries: number }; perWorker: Record<string, { queries: number }> } };
  const perWorker = Object.values(stats.stats.perWorker).map((w) => w.queries);
  t.equal(perWorker.length, 2);
  t.ok(perWorker.every((q) => q > 0), `both workers answered (${perWorker.join(', ')})`);
  const res = await fetch(`${url}/metrics`);
  t.equal(res.status, 200);
  const text = await res.text();
  t.equal(sample(text, 'aop_dns_requests_total', { proto: 'tcp', type: 'SVCB' }), N, 'every worker\'s requests, summed');
  t.equal(sample(text, 'aop_dns_requests_total', { proto: 'tcp', type: 'SVCB' }), stats.stats.server.queries, 'as the control socket counts them');
  t.equal(sample(text, 'aop_dns_request_duration_seconds_count', { type: 'SVCB' }), N, 'histograms summed');
  t.equal(sample(text, 'aop_build_info', {}), 1, 'build info once, not per worker');
});
