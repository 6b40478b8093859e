// Every panel expression of docs/grafana/aop-dashboard.json, and every ```promql example of
// docs/metrics.md, is valid PromQL that returns data from a real Prometheus scraping a real aop
// run: zones, resolver with a forwarder, MCP gateway with demo agents, and a hand-off call.

import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseListen } from '../../src/server/listen.js';
import { readDaemonState } from '../../src/cli/daemon-state.js';
import { connect, copyZones, root, text } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { spawnServe } from '../helpers/aop-serve.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { scratchDir } from '../helpers/child.js';
import { startDaemon } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const NET = await leaseNet(t);
const DNS = NET.host(1);

interface Panel { title: string; targets: Array<{ expr: string }> }

t.test('every panel and doc example returns data', async (t) => {
  if (!requireTool(t, 'prometheus', 'prometheus') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = scratchDir(t, 'aop-dash-');
  // A forwarder for names outside agents.: the resolver's upstream traffic.
  const fwdZones = path.join(dir, 'fwd');
  (await import('node:fs')).mkdirSync(fwdZones);
  writeFileSync(path.join(fwdZones, 'example.zone'), '$ORIGIN example.\n$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n');
  const fwd = await startDaemon(t, { zonesDir: fwdZones, listen: [parseListen(`${NET.host(3)}:5300`)] });

  const zonesDir = copyZones(t, NET.host(2));
  const stateFile = path.join(dir, 'daemon.json');
  const served = await spawnServe(t, ['--zones', zonesDir, '--resolver', '--demo-agents',
    '--listen', `${DNS}:5300`, '--mcp', `${DNS}:8053`, '--metrics', `${DNS}:9153`, '--state-file', stateFile, '--forward', `${fwd.host}:${fwd.port}`, '--warm-up', '0'],
  () => existsSync(stateFile));
  const { child, log: getLog } = served;
  const log = getLog();
  const state = readDaemonState(stateFile);
  if (!state?.mcp) throw new Error(`no gateway announced; log:\n${log}`);
  const prom = await startPrometheus(t, NET.host(4), 9090, [`${DNS}:9153`]);
  await prom.waitFor('up{job="aop"}', (v) => v === 1);

  // Traffic of every kind the dashboard shows, in two bursts a scrape apart (rate() needs two samples).
  const traffic = async (): Promise<void> => {
    const dig = (...a: string[]) => run('dig', [`@${DNS}`, '-p', '5300', '+tries=1', '+time=5', ...a]);
    for (let i = 0; i < 3; i++) await dig('writer.acme.agents', 'SVCB');
    await dig('nope.acme.agents', 'A');
    // Not ours and no recursion asked: REFUSED, an error rcode for the error-share example.
    await dig('+norec', 'www.example', 'A');
    await dig('+tcp', 'writer.acme.agents', 'SVCB');
    t.match((await dig('www.example', 'A', '+short')).stdout, /192\.0\.2\.80/, 'forwarded');
    const client = await connect(t, state.mcp!);
    const r = await client.callTool({ name: 'call_agent', arguments: { name: 'writer.acme.agents', arguments: { task: 'Draft a haiku' } } });
    t.notOk(r.isError, text(r));
    await client.callTool({ name: 'list_agents', arguments: {} });
    // A call that fails (no such agent): an outcome other than ok.
    t.ok((await client.callTool({ name: 'call_agent', arguments: { name: 'nobody.acme.agents', arguments: {} } })).isError, 'a failed call');
    await client.close();
  };
  await traffic();
  await prom.waitFor('sum(aop_handoff_calls_total)', (v) => v >= 1);
  const scrapes = Number((await prom.query('count_over_time(up{job="aop"}[5m])'))[0]?.value[1] ?? 0);
  await prom.waitFor('count_over_time(up{job="aop"}[5m])', (v) => v >= scrapes + 1);
  await traffic();
  await prom.waitFor('sum(aop_handoff_calls_total)', (v) => v >= 2);

  const dashboard = JSON.parse(readFileSync(path.join(root, 'docs', 'grafana', 'aop-dashboard.json'), 'utf8')) as { panels: Panel[] };
  // Grafana's variables, as a dashboard with every job chosen would send them.
  const expand = (e: string): string => e.replace(/\$job/g, '.*');
  const exprs: Array<[string, string]> = dashboard.panels.flatMap((p) => p.targets.map((x): [string, string] => [p.title, expand(x.expr)]));
  const doc = readFileSync(path.join(root, 'docs', 'metrics.md'), 'utf8');
  for (const m of doc.matchAll(/```promql\n([\s\S]*?)```/g)) exprs.push(['docs/metrics.md', m[1]!.trim()]);
  t.ok(exprs.length >= 25, `${exprs.length} expressions`);
  for (const [where, expr] of exprs) {
    // Valid PromQL (query() throws on an API error), and a sample that is a number once rates have two points.
    await prom.waitFor(expr, (v) => !Number.isNaN(v), 30_000).then(
      () => t.pass(`${where}: ${expr}`),
      (err: Error) => t.fail(`${where}: ${expr}: ${err.message.split('\n')[0]}`),
    );
  }
  child.kill('SIGTERM');
});
