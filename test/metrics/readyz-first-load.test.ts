// The first load of the zones at start shows its progress: /readyz answers 503 while a large
// zone loads, with `zone load: 0/1 zones, ...; big.agents.zone NN%`, then `ready` and the load
// done with its records; the daemon's log has the line every 5 s of a long load.

import t from 'tap';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { root } from '../helpers/gateway.js';
import { largeOrgLines } from '../helpers/large-org.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitFor } from '../helpers/wait.js';

t.test('/readyz shows the first zone load as it goes', { timeout: 240_000 }, async (t) => {
  const net = await leaseNet(t);
  const address = net.host(1);
  const dir = t.testdir({ zones: {} });
  // 150,000 agents: some 55 MB, seconds to load, so /readyz is asked while it runs.
  const out = createWriteStream(path.join(dir, 'zones', 'big.agents.zone'));
  for (const chunk of largeOrgLines({ org: 'big.agents', agents: 150_000, address, layout: 'paged' })) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
  const c = spawn(process.execPath, [path.join(root, 'bin', 'aop.js'), 'serve', '--zones', path.join(dir, 'zones'), '--listen', `${address}:5300`,
    '--no-mcp', '--no-demo-agents', '--no-state-file', '--metrics', `${address}:9153`, '--log-format', 'text'],
  { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  t.teardown(() => { c.kill('SIGTERM'); });
  const get = async (p: string): Promise<{ status: number; body: string }> => {
    try {
      const r = await fetch(`http://${address}:9153${p}`);
      return { status: r.status, body: await r.text() };
    } catch {
      return { status: 0, body: '' };
    }
  };
  // Every /readyz answer until ready, kept: one of them must have been during the load.
  const seen: string[] = [];
  await waitFor(async () => {
    const r = await get('/readyz');
    if (r.status !== 0) seen.push(`${r.status} ${r.body}`);
    return r.status === 200;
  }, 'the daemon ready', { timeoutMs: 200_000, intervalMs: 20, detail: () => `${seen.slice(-3).join('\n')}\n${stderr}` });
  const during = seen.find((s) => /^503 /.test(s) && /zone load: 0\/1 zones, 0 records, 0 errors, [\d.]+ s; big\.agents\.zone \d+%/.test(s));
  t.ok(during, 'a 503 during the load, with the file and how far it is', { seen: seen.slice(0, 5) });
  const ready = seen[seen.length - 1]!;
  t.match(ready, /^200 ready\n/, 'then ready');
  t.match(ready, /zone load: 1\/1 zones, [1-9]\d{5,} records, 0 errors, [\d.]+ s, done/, 'the load done, with its records');
  t.match((await get('/metrics')).body, /aop_progress_running\{task="zone load"\} 0/);
});
