// A real Prometheus (Debian `prometheus`) scrapes `aop serve --metrics` every second, and its
// query API shows aop_dns_requests_total moving after dig's queries: waited on the API's value,
// not on time. The state file announces the metrics URL.

import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readDaemonState } from '../../src/cli/daemon-state.js';
import { root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { scratchDir } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

const NET = await leaseNet(t);

t.test('prometheus sees the requests dig sends', async (t) => {
  if (!requireTool(t, 'prometheus', 'prometheus') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = scratchDir(t, 'aop-scrape-');
  const stateFile = path.join(dir, 'daemon.json');
  const env = privateRuntimeEnv();
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [path.join(root, 'bin', 'aop.js'), 'serve', '--zones', path.join(root, 'zones'), '--listen', `${NET.host(1)}:5300`,
    '--metrics', `${NET.host(1)}:9153`, '--state-file', stateFile, '--no-mcp', '--log-level', 'info'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await waitFor(() => existsSync(stateFile) || child.exitCode !== null, 'the state file', { timeoutMs: 60_000, detail: () => log });
  t.equal(readDaemonState(stateFile)?.metrics, `http://${NET.host(1)}:9153/metrics`, 'the state file announces the metrics');
  const prom = await startPrometheus(t, NET.host(2), 9090, [`${NET.host(1)}:9153`]);
  await prom.waitFor('up{job="aop"}', (v) => v === 1);
  const dig = (name: string) => run('dig', [`@${NET.host(1)}`, '-p', '5300', '+tries=1', '+time=5', name, 'SVCB']);
  for (let i = 0; i < 5; i++) t.equal((await dig('writer.acme.agents')).code, 0);
  const first = await prom.waitFor('sum(aop_dns_requests_total{job="aop",type="SVCB"})', (v) => v >= 5);
  t.equal(first, 5, 'five SVCB requests');
  for (let i = 0; i < 3; i++) await dig('nope.acme.agents');
  t.equal(await prom.waitFor('sum(aop_dns_requests_total{job="aop",type="SVCB"})', (v) => v >= 8), 8, 'three more');
  t.equal(await prom.waitFor('sum(aop_dns_responses_total{job="aop",rcode="NXDOMAIN"})', (v) => v >= 3), 3, 'NXDOMAIN counted');
  t.ok(await prom.waitFor('sum(aop_dns_request_duration_seconds_count{job="aop"})', (v) => v >= 8) >= 8, 'the histogram as well');
  child.kill('SIGTERM');
});
