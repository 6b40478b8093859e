// The bundled world verifiable out of the box: `aop serve` with no --zones signs the bundled zones
// with keys it keeps beside its state file, writes the DS of `agents.` there as a trust anchor
// file, announces it in the state file, and its own resolver validates from it: `dig +dnssec`
// through the daemon shows AD=1, and BIND's delv, given the same anchor, says "fully validated".
// A second start keeps the keys (the anchor is unchanged); --no-dnssec serves the zones unsigned.

import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { readDaemonState, type DaemonState } from '../../src/cli/daemon-state.js';
import { connect, json, root } from '../helpers/gateway.js';
import { execFile } from 'node:child_process';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitUntil } from '../helpers/wait.js';
import { dig } from '../helpers/dig.js';
import { hasTool, requireTool, run } from '../helpers/peers.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';

const NET = await leaseNet(t);
const bin = path.join(root, 'bin', 'aop.js');

function env(runtime: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'NODE_OPTIONS', 'AOP_STATE_FILE'].includes(k)) out[k] = v;
  return { ...out, XDG_RUNTIME_DIR: runtime };
}

function aop(args: string[], runtime: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: env(runtime), timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function serve(t: Test, runtime: string, extra: string[] = []): Promise<{ state: DaemonState; child: ChildProcess; log: () => string }> {
  const stateFile = path.join(runtime, 'aop', 'daemon.json');
  rmSync(stateFile, { force: true });
  const mcp = extra.includes('--mcp') ? [] : ['--no-mcp'];
  const child = spawn(process.execPath, [bin, 'serve', '--listen', `${NET.host(1)}:0`, ...mcp, '--no-demo-agents', '--no-metrics', '--warm-up', '0', '--log-format', 'text', ...extra], { env: env(runtime), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await waitUntil(() => existsSync(stateFile) || child.exitCode !== null, { timeoutMs: 60_000, intervalMs: 50 });
  const state = readDaemonState(stateFile);
  if (!state) throw new Error(`no state file; log:\n${log}`);
  return { state, child, log: () => log };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

t.test('aop serve on the bundled zones: signed, its root anchor announced, AD=1 through its resolver', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'aop-bundled-anchor-'));
  t.teardown(() => rmSync(runtime, { recursive: true, force: true }));
  const { state, child, log } = await serve(t, runtime, ['--mcp', `${NET.host(1)}:0`]);
  t.ok(state.anchor, 'the state file names the anchor file');
  t.equal(path.dirname(state.anchor!), path.join(runtime, 'aop', 'dnssec'), 'beside the state file');
  const text = readFileSync(state.anchor!, 'utf8');
  const anchors = parseTrustAnchors(text);
  t.same(anchors.zones(), ['agents.'], 'the anchor is the bundled root\'s');
  t.ok(anchors.at('agents.')!.ds.length >= 1, 'a DS record');
  t.ok(readdirSync(path.join(runtime, 'aop', 'dnssec', 'keys')).some((f) => /^Kagents\.\+013\+\d+\.private$/.test(f)), 'the root key is in the state folder');
  t.match(log(), /resolver: validating DNSSEC from the trust anchors of agents\./);

  const port = state.dns.port;
  const host = state.dns.address;
  for (const [name, type, status] of [
    ['writer.acme.agents', 'SVCB', 'NOERROR'], ['nobody.acme.agents', 'SVCB', 'NXDOMAIN'], ['acme.agents', 'DS', 'NOERROR'],
    ['lab.acme.agents', 'AAAA', 'NOERROR'], ['proofreader.acme.agents', 'SVCB', 'NOERROR'], ['planner.globex.agents', 'SVCB', 'NOERROR'],
  ] as const) {
    const r = await dig(port, ['+rec', '+dnssec', name, type], host);
    t.equal(r.status, status, `${name} ${type}: ${status}`);
    t.ok(r.flags.has('ad'), `${name} ${type}: AD=1`);
  }
  const plain = await dig(port, ['+dnssec', '+norec', 'writer.acme.agents', 'SVCB'], host);
  t.notOk(plain.flags.has('ad'), 'RD=0 (an authoritative question): no AD');
  const cd = await dig(port, ['+rec', '+dnssec', '+cd', 'writer.acme.agents', 'SVCB'], host);
  t.notOk(cd.flags.has('ad'), 'CD=1: not judged, no AD');
  const noad = await dig(port, ['+rec', '+noadflag', 'writer.acme.agents', 'SVCB'], host);
  t.notOk(noad.flags.has('ad'), 'neither AD nor DO asked: no AD (RFC 6840 5.7)');

  if (hasTool('delv')) {
    const ds = /^agents\.\s+IN\s+DS\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)$/m.exec(text)!;
    const conf = path.join(runtime, 'anchors.conf');
    writeFileSync(conf, `trust-anchors { agents. static-ds ${ds[1]} ${ds[2]} ${ds[3]} "${ds[4]!.replace(/\s/g, '')}"; };\n`);
    const v = await run('delv', [`@${host}`, '-p', String(port), '-a', conf, '+root=agents.', 'writer.acme.agents', 'SVCB']);
    t.match(v.stdout + v.stderr, /; fully validated/, 'delv with the announced anchor: fully validated');
  } else t.comment('delv not installed: the peer check is left out');

  // aop agent with no flags validates the daemon's answers itself, from the anchor it announces.
  const card = await aop(['agent', 'writer.acme.agents', '--json'], runtime);
  t.equal(card.code, 0, card.stderr);
  const sec = (JSON.parse(card.stdout) as { security: { state: string; validatedBy: string; chain: Array<{ zone: string }> } }).security;
  t.equal(sec.state, 'secure', 'aop agent: secure');
  t.equal(sec.validatedBy, 'aop', 'aop agent: validated from the announced anchor');
  t.same(sec.chain.map((l) => l.zone), ['agents.', 'acme.agents.'], 'aop agent: the chain');
  // The gateway's resolve_agent: the card with the chain.
  const client = await connect(t, state.mcp!);
  const rc = json(await client.callTool({ name: 'resolve_agent', arguments: { name: 'planner.globex.agents' } })) as { dnssec: { state: string; validatedBy: string; chain: Array<{ zone: string; anchor: boolean }>; records: Array<{ type: string; signedBy?: Array<{ zone: string }> }> } };
  t.equal(rc.dnssec.state, 'secure', 'resolve_agent: secure');
  t.equal(rc.dnssec.validatedBy, 'aop', 'resolve_agent: validated by the gateway itself');
  t.same(rc.dnssec.chain.map((l) => [l.zone, l.anchor]), [['agents.', true], ['globex.agents.', false]], 'resolve_agent: the chain');
  t.equal(rc.dnssec.records.find((x) => x.type === 'SVCB')?.signedBy?.[0]?.zone, 'globex.agents.', 'resolve_agent: the SVCB signed by globex.agents.');
  await client.close();

  await stop(child);
  const again = await serve(t, runtime);
  t.equal(readFileSync(again.state.anchor!, 'utf8'), text, 'a second start keeps the keys: the same anchor');
  await stop(again.child);

  const unsigned = await serve(t, runtime, ['--no-dnssec']);
  t.equal(unsigned.state.anchor, undefined, '--no-dnssec: no anchor announced');
  const r = await dig(unsigned.state.dns.port, ['+rec', '+dnssec', 'writer.acme.agents', 'SVCB'], host);
  t.notOk(r.flags.has('ad'), '--no-dnssec: no AD');
  t.notOk(r.raw.includes('RRSIG'), '--no-dnssec: no signatures');
  await stop(unsigned.child);
});
