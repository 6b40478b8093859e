// SIGHUP re-reads `aop serve --config FILE`: what the daemon can change live (allow-transfer, TSIG keys, update-policy,
// log-level) changes, a changed key that needs a restart is named, a key a flag overrides stays,
// and an invalid file changes nothing and is logged with its file:line. A real daemon (dist/) on
// a leased loopback /24; waits on its log lines and on transfers, never on time.

import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { transferIn } from '../../src/xfr/client.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitFor } from '../helpers/wait.js';
import { run } from '../helpers/peers.js';

/** RA of the answer to an RD=1 question sent from `from`: whether that client may recurse. */
/** `aop serve --config aop.yaml --log-format text` in `dir`, its stderr gathered; killed at the end of the test. */
function startServe(t: Test, dir: string, extra: string[]) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [path.join(root, 'bin', 'aop.js'), 'serve', '--config', 'aop.yaml', '--log-format', 'text', ...extra], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return {
    child,
    get log(): string { return log; },
    detail: (): string => log,
    async stop(): Promise<void> {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function recursionAvailable(from: string, server: { address: string; port: number }): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  try {
    s.bind(0, from);
    await once(s, 'listening');
    s.send(encodeQuery('writer.acme.agents.', RRType.SVCB, { rd: true }), server.port, server.address);
    const [msg] = await once(s, 'message') as [Buffer];
    return (msg[3]! & 0x80) !== 0;
  } finally {
    s.close();
  }
}

t.test('SIGHUP applies a valid new file and keeps running on an invalid one', async (t) => {
  const net = await leaseNet(t);
  const host = net.host(1);
  const client = net.host(2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-config-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), path.join(dir, 'zones'), { recursive: true });
  const file = path.join(dir, 'aop.yaml');
  const base = `zones: zones\nlisten: ${host}:5300\nmcp: false\ndemo-agents: false\nresolver: true\nwarm-up: 0\n`;
  writeFileSync(file, `${base}log-level: info\nallow-transfer: []\ncache-size: 64\nudp-size: 1232\nallow: [127.0.0.1/32]\n`);
  // --udp-size on the command line: the file's changes to it are not ours to apply.
  const daemon = startServe(t, dir, ['--udp-size', '1232']);
  const { child, detail } = daemon;
  await waitFor(() => daemon.log.includes(`listening on ${host}:5300`) || child.exitCode !== null, 'the daemon listens', { detail });
  t.equal(child.exitCode, null, daemon.log);

  const server = { address: host, port: 5300 };
  t.equal(await recursionAvailable(client, server), false, 'the client may not recurse at first');
  await t.rejects(transferIn(server, 'acme.agents.', { localAddress: client, timeout: 10_000 }), { message: /REFUSED/ }, 'no one may transfer at first');

  writeFileSync(file, `${base}log-level: warn\nallow-transfer: [${client}]\ncache-size: 32\nudp-size: 4096\nallow: [${net.net}0/24]\n`);
  child.kill('SIGHUP');
  await waitFor(() => daemon.log.includes('config: "cache-size" changed; it takes effect when aop serve restarts'), 'the restart note', { detail });
  t.match(daemon.log, /config: "allow-transfer" applied: \["127\.\d+\.\d+\.2"\]/);
  t.match(daemon.log, /config: "udp-size" changed in aop\.yaml, but --udp-size on the command line wins/);
  t.match(daemon.log, /config: "log-level" applied: "warn"/, 'said at the old level, before the change');
  const axfr = await transferIn(server, 'acme.agents.', { localAddress: client, timeout: 10_000 });
  t.equal(axfr.kind, 'axfr', 'the new transfer ACL is in force without a restart');
  t.equal(await recursionAvailable(client, server), true, 'the new recursion ACL too');

  writeFileSync(file, `${base}log-level: warn\nallow-transfer: []\ncache-size: big\nallow: [127.0.0.1/32]\n`);
  child.kill('SIGHUP');
  await waitFor(() => daemon.log.includes('config: aop.yaml:9: "cache-size": expected a number, got "big"; keeping the running configuration'), 'the file:line error', { detail });
  t.equal((daemon.log.match(/SIGHUP: reloading zones/g) ?? []).length, 1, 'the second SIGHUP\'s info line is below the live log level, warn');
  const still = await transferIn(server, 'acme.agents.', { localAddress: client, timeout: 10_000 });
  t.equal(still.kind, 'axfr', 'an invalid file changed nothing');
  t.equal(child.exitCode, null, 'still running');

  await daemon.stop();
  t.equal(child.exitCode, 0);
});

t.test('SIGHUP swaps the TSIG keys; a bad key keeps the old ones', async (t) => {
  const net = await leaseNet(t);
  const host = net.host(1);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-config-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), path.join(dir, 'zones'), { recursive: true });
  const file = path.join(dir, 'aop.yaml');
  const oldSecret = Buffer.alloc(32, 1);
  const newSecret = Buffer.alloc(32, 2);
  const base = `zones: zones\nlisten: ${host}:5300\nmcp: false\ndemo-agents: false\nallow-transfer: ["key:xfr"]\n`;
  writeFileSync(file, `${base}tsig-secret: ["hmac-sha256:xfr:${oldSecret.toString('base64')}"]\n`);
  const daemon = startServe(t, dir, []);
  const { child, detail } = daemon;
  await waitFor(() => daemon.log.includes(`listening on ${host}:5300`) || child.exitCode !== null, 'the daemon listens', { detail });
  const server = { address: host, port: 5300 };
  const key = (secret: Buffer) => ({ tsig: { name: 'xfr.', algorithm: 'hmac-sha256.', secret }, timeout: 10_000 });
  t.equal((await transferIn(server, 'acme.agents.', key(oldSecret))).kind, 'axfr', 'the first key transfers');

  writeFileSync(file, `${base}tsig-secret: ["hmac-sha256:xfr:${newSecret.toString('base64')}"]\n`);
  child.kill('SIGHUP');
  await waitFor(() => daemon.log.includes('config: "tsig-secret" applied'), 'the key change', { detail });
  t.equal((await transferIn(server, 'acme.agents.', key(newSecret))).kind, 'axfr', 'the new key transfers without a restart');
  await t.rejects(transferIn(server, 'acme.agents.', key(oldSecret)), 'the old key no longer does');

  writeFileSync(file, `${base}tsig-secret: ["hmac-nope:xfr:${oldSecret.toString('base64')}"]\n`);
  child.kill('SIGHUP');
  await waitFor(() => /config: "tsig-secret" not applied: .*keeping the running value/.test(daemon.log), 'the refusal', { detail });
  t.equal((await transferIn(server, 'acme.agents.', key(newSecret))).kind, 'axfr', 'a bad key changed nothing');

  await daemon.stop();
});

t.test('SIGHUP applies a new update-policy; turning updates on takes a restart', async (t) => {
  const net = await leaseNet(t);
  const host = net.host(1);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-config-policy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'zones'));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'zones', 'acme.agents.zone'));
  const secret = Buffer.alloc(32, 7).toString('base64');
  writeFileSync(path.join(dir, 'robot.key'), `key "robot-key" { algorithm hmac-sha256; secret "${secret}"; };\n`);
  const file = path.join(dir, 'aop.yaml');
  const base = `zones: zones\nlisten: ${host}:5300\nmcp: false\ndemo-agents: false\ntsig-key: [robot.key]\n`;
  writeFileSync(file, `${base}update-policy: ["grant robot-key agent writer.acme.agents."]\n`);
  const daemon = startServe(t, dir, []);
  const { child, detail } = daemon;
  await waitFor(() => daemon.log.includes(`listening on ${host}:5300`) || child.exitCode !== null, 'the daemon listens', { detail });
  const register = () => run(process.execPath, [path.join(root, 'bin', 'aop.js'), 'register', 'robot.acme.agents', '--endpoint', 'https://mcp.acme.agents/agents/robot/mcp',
    '--tool', 'assemble', '--key', path.join(dir, 'robot.key'), '--server', `${host}:5300`, '--timeout', '15000'], 60_000);
  const refused = await register();
  t.equal(refused.code, 2, 'robot.acme.agents is not the key\'s to change at first');
  t.match(refused.stderr, /REFUSED/);

  writeFileSync(file, `${base}update-policy: ["grant robot-key agent robot.acme.agents."]\n`);
  child.kill('SIGHUP');
  await waitFor(() => daemon.log.includes('config: "update-policy" applied'), 'the policy change', { detail });
  const ok = await register();
  t.equal(ok.code, 0, `the new rule lets it in without a restart: ${ok.stderr}`);

  // Dropping every rule would turn updates off, not open them to any key: refused live.
  writeFileSync(file, `${base}update-policy: []\n`);
  child.kill('SIGHUP');
  await waitFor(() => /config: "update-policy" not applied: an empty update-policy turns dynamic updates off/.test(daemon.log), 'the refusal', { detail });
  await daemon.stop();
});

t.test('with --workers 2, every worker re-reads the file on the relayed SIGHUP', async (t) => {
  const net = await leaseNet(t);
  const host = net.host(1);
  const client = net.host(2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-config-workers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), path.join(dir, 'zones'), { recursive: true });
  const file = path.join(dir, 'aop.yaml');
  const base = `zones: zones\nlisten: ${host}:5300\nmcp: false\ndemo-agents: false\nworkers: 2\n`;
  writeFileSync(file, `${base}allow-transfer: []\n`);
  const daemon = startServe(t, dir, []);
  const { child, detail } = daemon;
  await waitFor(() => (daemon.log.match(/listening on /g) ?? []).length >= 2 || child.exitCode !== null, 'both workers listen', { timeoutMs: 60_000, detail });
  writeFileSync(file, `${base}allow-transfer: [${client}]\n`);
  child.kill('SIGHUP');
  await waitFor(() => (daemon.log.match(/config: "allow-transfer" applied/g) ?? []).length >= 2, 'both workers apply it', { detail });
  // TCP connections are spread over the workers: several transfers reach both.
  for (let i = 0; i < 4; i++) {
    t.equal((await transferIn({ address: host, port: 5300 }, 'acme.agents.', { localAddress: client, timeout: 10_000 })).kind, 'axfr', `transfer ${i + 1}`);
  }
  await daemon.stop();
});
