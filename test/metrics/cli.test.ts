// `--metrics` on the command line: where it goes by default (the embedded default: 127.0.0.1:9153),
// a bad address said at once, and an address in use as one line with the fix, as for --mcp.

import t from 'tap';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { metricsListen } from '../../src/cli/options/metrics.js';
import { writeDaemonState } from '../../src/cli/daemon-state.js';
import { root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

const NET = await leaseNet(t);
const bin = path.join(root, 'bin', 'aop.js');

function aop(args: string[], stateFile: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_STATE_FILE', 'NODE_OPTIONS'].includes(k)) env[k] = v;
  env.AOP_STATE_FILE = stateFile;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

t.test('where the listener goes', async (t) => {
  t.same(metricsListen(undefined, true), { host: '127.0.0.1', port: 9153, family: 4 }, 'the embedded default: loopback, 9153');
  t.equal(metricsListen(undefined, false), undefined, 'otherwise off unless asked');
  t.same(metricsListen('', false), { host: '127.0.0.1', port: 9153, family: 4 }, '--metrics alone');
  t.same(metricsListen('[::1]', false), { host: '::1', port: 9153, family: 6 });
  t.equal(metricsListen(false, true), undefined, '--no-metrics');
});

t.test('help and a bad address', async (t) => {
  const stateFile = path.join(t.testdir({}), 'none.json');
  const help = await aop(['serve', '--help'], stateFile);
  t.match(help.stdout, /--metrics\s+Serve Prometheus metrics[\s\S]*127\.0\.0\.1:9153 with the bundled zones/);
  const bad = await aop(['serve', '--metrics', 'localhost:9153'], stateFile);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--metrics 'localhost:9153': .*not an IPv4 or IPv6 address/);
});

t.test('an address in use: one line, the fix', async (t) => {
  const holder = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => holder.listen(0, NET.host(1), () => r()));
  t.teardown(() => new Promise<void>((r) => holder.close(() => r())));
  const port = (holder.address() as net.AddressInfo).port;
  const dir = t.testdir({});
  const stateFile = path.join(dir, 'daemon.json');
  const args = ['serve', '--zones', 'zones', '--listen', `${NET.host(1)}:0`, '--metrics', `${NET.host(1)}:${port}`, '--no-mcp'];
  const other = await aop(args, stateFile);
  t.equal(other.code, 1);
  t.notMatch(other.stderr, /\n\s+at /, 'no stack trace');
  t.equal(other.stderr.trimEnd().split('\n').pop(), `aop: the metrics address ${NET.host(1)}:${port} is in use by another program (tcp); stop it, pick another --metrics, or run with --no-metrics`);
  // A live aop (this test's pid) announcing that metrics address.
  writeDaemonState(stateFile, { pid: process.pid, dns: { address: NET.host(2), port: 53 }, metrics: `http://${NET.host(1)}:${port}/metrics`, started: 'then' });
  const ours = await aop(args, stateFile);
  t.equal(ours.code, 1);
  t.match(ours.stderr.trimEnd().split('\n').pop(), new RegExp(`^aop: the metrics address ${NET.host(1).replace(/\./g, '\\.')}:${port} is in use by aop \\(pid ${process.pid}, `));
});
