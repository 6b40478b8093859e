// The embedded default of `aop serve` (`npm start`): zones, resolver, MCP gateway and demo agents
// in one process, announced in a state file so `aop dig` and `aop call` need no flags; removed on
// SIGTERM. Run as a child from the built dist/, on free ports of a leased loopback /24.

import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { daemonStatePath, readDaemonState, removeDaemonState, writeDaemonState } from '../../src/cli/daemon-state.js';
import { defaultServer } from '../../src/cli/dig.js';
import { connect, copyZones, json, root, text } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitUntil } from '../helpers/wait.js';
import { runAop, type AopRun } from '../helpers/aop-cli.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOSTS = NET.host(2);
const bin = path.join(root, 'bin', 'aop.js');
// A runtime folder of this file's own: no child reads or writes the user's state file (or another test's).
const RUNTIME = mkdtempSync(path.join(os.tmpdir(), 'aop-serve-default-'));
t.teardown(() => rmSync(RUNTIME, { recursive: true, force: true }));

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'NODE_OPTIONS', 'AOP_STATE_FILE'].includes(k)) env[k] = v;
  return { ...env, XDG_RUNTIME_DIR: RUNTIME, ...extra };
}

const aop = (args: string[], env: Record<string, string>): Promise<AopRun> => runAop(args, { env });

t.test('the state file: where it is, and when it is ignored', async (t) => {
  t.equal(daemonStatePath({ AOP_STATE_FILE: '/x/state.json' }), '/x/state.json');
  t.equal(daemonStatePath({ XDG_RUNTIME_DIR: '/run/user/7' }), '/run/user/7/aop/daemon.json');
  t.match(daemonStatePath({}), /\/aop-[^/]+\/daemon\.json$/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'aop', 'daemon.json');
  writeDaemonState(file, { pid: process.pid, dns: { address: '127.0.0.1', port: 5300 }, started: 'now' });
  t.same(defaultServer({}, '/nonexistent', file), { address: '127.0.0.1', port: 5300 }, 'a live daemon is the default server');
  t.same(defaultServer({ AOP_RESOLVER: '127.0.0.9:53' }, '/nonexistent', file), { address: '127.0.0.9', port: 53 }, '$AOP_RESOLVER still wins');
  // A pid that is not running: a daemon that died without cleaning up.
  const dead = spawn(process.execPath, ['-e', '']);
  await once(dead, 'exit');
  writeDaemonState(file, { pid: dead.pid!, dns: { address: '127.0.0.1', port: 5300 }, started: 'then' });
  t.equal(readDaemonState(file), undefined, 'stale: ignored');
  t.same(defaultServer({}, '/nonexistent', file), { address: '127.0.0.1' }, 'falls through to resolv.conf, then 127.0.0.1');
  writeFileSync(file, '{"pid": "1", "dns": {}}');
  t.equal(readDaemonState(file), undefined, 'malformed: ignored');
  writeDaemonState(file, { pid: 1, dns: { address: '127.0.0.1', port: 53 }, started: '' });
  removeDaemonState(file);
  t.ok(existsSync(file), "another process's file is not removed");
});

t.test('aop serve with the gateway, demo agents and state file', async (t) => {
  const zonesDir = copyZones(t, HOSTS);
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'aop-serve-run-'));
  t.teardown(() => rmSync(runtime, { recursive: true, force: true }));
  const env = cleanEnv({ XDG_RUNTIME_DIR: runtime });
  const stateFile = path.join(runtime, 'aop', 'daemon.json');
  const child = spawn(process.execPath, [bin, 'serve', '--zones', zonesDir, '--resolver', '--listen', `${DNS}:0`, '--mcp', `${DNS}:0`, '--demo-agents', '--state-file'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  // A loaded machine takes a while to load the MCP SDK and start 10 agents: 60 s is a backstop.
  await waitUntil(() => existsSync(stateFile) || child.exitCode !== null, { timeoutMs: 60_000, intervalMs: 50 });
  const state = readDaemonState(stateFile);
  if (!state) throw new Error(`no state file; log:\n${log}`);
  t.equal(state.pid, child.pid);
  t.equal(state.dns.address, DNS);
  t.match(state.mcp, new RegExp(`^http://${DNS.replace(/\./g, '\\.')}:\\d+/mcp$`));
  t.same(state.zones, ['acme.agents', 'agents', 'globex.agents']);
  t.match(log, /demo agents: 10 endpoints/);
  t.match(log, /MCP gateway: http:\/\//);

  const dig = await aop(['dig', 'writer.acme.agents', 'SVCB', '+short'], env);
  t.equal(dig.code, 0, dig.stderr);
  t.match(dig.stdout, /^1 mcp\.acme\.agents\. alpn="mcp" port=18101 key65320="\/agents\/writer\/mcp"/, 'aop dig with no flags asks the daemon');
  const call = await aop(['call', 'writer.acme.agents', '--arg', 'task=Draft a haiku'], env);
  t.equal(call.code, 0, call.stderr);
  t.match(call.stdout, /Draft by writer\.acme\.agents/, 'aop call with no flags too');

  const client = await connect(t, state.mcp!);
  const r = await client.callTool({ name: 'call_agent', arguments: { name: 'reviewer.globex.agents', arguments: { code: 'eval(input)' } } });
  t.notOk(r.isError, text(r));
  t.match(text(r), /reviewer\.globex\.agents/);
  t.equal(json(await client.callTool({ name: 'list_agents', arguments: {} })).total_count, 9);
  await client.close();

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.equal(code, 0, 'graceful exit on SIGTERM');
  t.notOk(existsSync(stateFile), 'the state file is removed');
  t.match(log, /SIGTERM: shutting down/);
});

t.test('npm start is aop serve with no flags, and its defaults are the embedded ones', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.equal(pkg.scripts.start, 'node bin/aop.js serve');
  const help = await aop(['serve', '--help'], cleanEnv({}));
  t.match(help.stdout, /--mcp\s+Serve the MCP gateway[\s\S]*127\.0\.0\.1:8053 with the bundled zones/);
  t.match(help.stdout, /--demo-agents[\s\S]*on with the bundled zones/);
  t.match(help.stdout, /--resolver[\s\S]*on with the bundled zones/);
  const bad = await aop(['serve', '--mcp', 'localhost:8053'], cleanEnv({}));
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--mcp 'localhost:8053'/);
});
