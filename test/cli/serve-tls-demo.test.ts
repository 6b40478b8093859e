// The TLS demo world of `aop serve`, run as a child from dist/ with the bundled zones (https
// endpoints first) on a leased loopback /24: the local CA is made under the state directory on the
// first start, named in the log and the state file, and kept by the next start; `aop call`,
// `aop agent` and the gateway reach the https endpoints with no --ca, because the daemon they ask
// is the one that announced the CA. Asking the same zones through another server, the CA is not
// trusted (the call falls back to plain http) until --ca names it.

import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { readDaemonState } from '../../src/cli/daemon-state.js';
import { connect, copyZones, root, text } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitUntil } from '../helpers/wait.js';
import { runAop, type AopRun } from '../helpers/aop-cli.js';

const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOSTS = NET.host(2);
const bin = path.join(root, 'bin', 'aop.js');

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'NODE_OPTIONS', 'AOP_STATE_FILE', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'].includes(k)) env[k] = v;
  return { ...env, ...extra };
}

const aop = (args: string[], env: Record<string, string>): Promise<AopRun> => runAop(args, { env });

async function serve(t: Test, zonesDir: string, env: Record<string, string>, stateFile: string): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--zones', zonesDir, '--resolver', '--listen', `${DNS}:0`, '--mcp', `${DNS}:0`, '--demo-agents', '--state-file', '--log-format', 'text'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  // A loaded machine takes a while to load the MCP SDK and start 18 agents: 60 s is a backstop.
  await waitUntil(() => existsSync(stateFile) || child.exitCode !== null, { timeoutMs: 60_000, intervalMs: 50 });
  if (!existsSync(stateFile)) throw new Error(`no state file; log:\n${log}`);
  return { child, log: () => log };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  return code as number | null;
}

t.test('aop serve with the TLS demo world: the CA made, announced, trusted for its zones, kept', async (t) => {
  const zonesDir = copyZones(t, HOSTS, {}, { tls: true });
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'aop-serve-tls-'));
  t.teardown(() => rmSync(runtime, { recursive: true, force: true }));
  const env = cleanEnv({ XDG_RUNTIME_DIR: runtime });
  const stateFile = path.join(runtime, 'aop', 'daemon.json');
  const caFile = path.join(runtime, 'aop', 'local-ca', 'ca.pem');

  const first = await serve(t, zonesDir, env, stateFile);
  const state = readDaemonState(stateFile)!;
  t.equal(state.ca, caFile, 'the state file announces the CA, beside it');
  t.match(first.log(), new RegExp(`local CA: ${caFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(made now\\)`), 'the log says where the CA is');
  t.match(first.log(), /curl --cacert .*SSL_CERT_FILE or NODE_EXTRA_CA_CERTS/, 'and how other clients trust it');
  t.match(first.log(), /demo agents: 18 endpoints/);
  t.match(first.log(), /demo agents: https:\/\/[\d.]+:18401 serves writer\.acme\.agents/);
  const caPem = readFileSync(caFile);

  // aop call with no --ca: the https endpoint, first try.
  const call = await aop(['call', 'writer.acme.agents', '--arg', 'task=Draft a haiku', '--json'], env);
  t.equal(call.code, 0, call.stderr);
  const out = JSON.parse(call.stdout) as { endpoint: string; attempts: Array<{ url: string; ok: boolean }> };
  t.equal(out.endpoint, 'https://mcp.acme.agents:18401/agents/writer/mcp', 'aop call reaches the https endpoint');
  t.same(out.attempts.map((a) => a.ok), [true], 'at the first try');
  for (const name of ['summarizer.acme.agents', 'planner.globex.agents']) {
    const r = await aop(['call', name, '--args-json', '{"text":"One. Two.","goal":"ship"}', '--json'], env);
    t.equal(r.code, 0, r.stderr);
    t.match((JSON.parse(r.stdout) as { endpoint: string }).endpoint, /^https:\/\/[a-z.]+:184\d\d\//, `${name}: https`);
  }
  const agent = await aop(['agent', 'writer.acme.agents'], env);
  t.equal(agent.code, 0, agent.stderr);
  t.match(agent.stdout, /1\. https:\/\/mcp\.acme\.agents:18401\/agents\/writer\/mcp\n\s+priority 1, streamable-http, [\d.]+(, answered in \d+ ms)?\n/, 'aop agent: the https endpoint first, nothing refused');

  // The gateway, in-process, trusts it too.
  const client = await connect(t, state.mcp!);
  const r = await client.callTool({ name: 'call_agent', arguments: { name: 'reviewer.globex.agents', arguments: { code: 'eval(input)' } } });
  t.notOk(r.isError, text(r));
  t.equal((r._meta as Record<string, string>)['aop/endpoint'], 'https://hub.globex.agents:18423/agents/reviewer/mcp', 'the gateway calls the https endpoint');
  await client.close();

  // The same zones through a server that is not the announced daemon: the CA is not trusted there.
  const other = cleanEnv({ XDG_RUNTIME_DIR: mkdtempSync(path.join(runtime, 'elsewhere-')) });
  const via = ['--server', `${DNS}:${state.dns.port}`, '--allow-loopback-zone', 'acme.agents', '--json'];
  const untrusted = await aop(['call', 'writer.acme.agents', '--arg', 'task=hi', ...via], other);
  t.equal(untrusted.code, 0, untrusted.stderr);
  const u = JSON.parse(untrusted.stdout) as { endpoint: string; attempts: Array<{ url: string; ok: boolean; code?: string; message?: string }> };
  t.equal(u.attempts[0]!.url, 'https://mcp.acme.agents:18401/agents/writer/mcp');
  t.equal(u.attempts[0]!.ok, false, 'the https endpoint does not verify without the CA');
  t.equal(u.endpoint, 'http://mcp.acme.agents:18101/agents/writer/mcp', 'and the call falls back to plain http');
  const given = await aop(['call', 'writer.acme.agents', '--arg', 'task=hi', ...via, '--ca', caFile], other);
  t.equal(given.code, 0, given.stderr);
  t.equal((JSON.parse(given.stdout) as { endpoint: string }).endpoint, 'https://mcp.acme.agents:18401/agents/writer/mcp', '--ca FILE: https again');

  t.equal(await stop(first.child), 0);
  t.ok(existsSync(caFile), 'the CA stays when the daemon stops');

  const second = await serve(t, zonesDir, env, stateFile);
  t.match(second.log(), /local CA: \S+ca\.pem \(kept from an earlier start\)/, 'a restart keeps the CA');
  t.same(readFileSync(caFile), caPem, 'the same CA file');
  const again = await aop(['call', 'editor.acme.agents', '--arg', 'text=teh cat', '--json'], env);
  t.equal(again.code, 0, again.stderr);
  t.equal((JSON.parse(again.stdout) as { endpoint: string }).endpoint, 'https://mcp.acme.agents:18403/agents/editor/mcp');
  t.equal(await stop(second.child), 0);
});

t.test('a corrupt CA file stops aop serve with exit 1, naming the file, and is left as it was', async (t) => {
  const zonesDir = copyZones(t, HOSTS, {}, { tls: true });
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'aop-serve-tls-bad-'));
  t.teardown(() => rmSync(runtime, { recursive: true, force: true }));
  const dir = path.join(runtime, 'aop', 'local-ca');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, 'ca.pem'), 'not a certificate\n');
  writeFileSync(path.join(dir, 'ca-key.pem'), 'not a key\n', { mode: 0o600 });
  const r = await aop(['serve', '--zones', zonesDir, '--listen', `${DNS}:0`, '--no-mcp', '--demo-agents', '--state-file', '--log-format', 'text'], cleanEnv({ XDG_RUNTIME_DIR: runtime }));
  t.equal(r.code, 1, 'exit 1: a file to fix');
  t.match(r.stderr, new RegExp(`aop: local CA: ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/ca\\.pem: not a PEM certificate`));
  t.equal(readFileSync(path.join(dir, 'ca.pem'), 'utf8'), 'not a certificate\n', 'not replaced');
  t.notOk(existsSync(path.join(runtime, 'aop', 'daemon.json')), 'nothing announced');
});
