// The daemon's in-process directory crawl (aop serve --directory-db) shows its progress in
// /readyz's body and as the aop_progress_* gauges: zones done of planned, agents, errors; and a
// reload of the zones (SIGHUP) its zones and records.

import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { copyZones, root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitFor } from '../helpers/wait.js';

t.test('/readyz and /metrics show the crawl', async (t) => {
  const net = await leaseNet(t);
  const address = net.host(1);
  const zones = copyZones(t, address);
  const dir = t.testdir({});
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
  env.AOP_STATE_FILE = path.join(dir, 'state.json');
  const c = spawn(process.execPath, [path.join(root, 'bin', 'aop.js'), 'serve', '--zones', zones, '--listen', `${address}:5300`,
    '--mcp', `${address}:8056`, '--metrics', `${address}:9153`, '--directory-db', path.join(dir, 'd.db'), '--directory-allow-loopback', '--log-format', 'text'],
  { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  t.teardown(() => { c.kill('SIGTERM'); });
  const get = async (p: string): Promise<string> => {
    try {
      return await (await fetch(`http://${address}:9153${p}`)).text();
    } catch {
      return '';
    }
  };
  let ready = '';
  await waitFor(async () => /directory crawl: \d+\/\d+ zones, \d+ agents, \d+ errors?, [\d.]+ s, done/.test(ready = await get('/readyz')), 'a finished crawl round in /readyz', { timeoutMs: 60_000, detail: () => `${ready}\n${stderr}` });
  t.match(ready, /^ready\n/, 'the verdict first');
  const m = /directory crawl: (\d+)\/(\d+) zones, (\d+) agents/.exec(ready)!;
  t.equal(m[1], m[2], 'every zone planned is done');
  t.ok(Number(m[3]) >= 9, 'the agents of the bundled zones');
  const metrics = await get('/metrics');
  t.match(metrics, /aop_progress_running\{task="directory crawl"\} 0/);
  t.match(metrics, /aop_progress_done\{task="directory crawl"\} [1-9]/);
  t.match(metrics, /aop_progress_items\{task="directory crawl"\} \d+/);
  t.match(metrics, /aop_progress_errors\{task="directory crawl"\} \d+/);
  t.notMatch(ready, /zone reload/, 'no reload yet: not reported');

  c.kill('SIGHUP');
  await waitFor(async () => /zone reload: (\d+)\/\1 zones, [1-9]\d* records, 0 errors, [\d.]+ s, done/.test(ready = await get('/readyz')), 'a finished reload in /readyz', { timeoutMs: 60_000, detail: () => `${ready}\n${stderr}` });
  t.match(await get('/metrics'), /aop_progress_items\{task="zone reload"\} [1-9]/);
});
