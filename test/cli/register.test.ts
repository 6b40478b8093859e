// `aop register` / `aop deregister` (the built CLI) against the daemon with updates on: the records
// appear and go, refusals exit 2 with the RCODE, bad input exits 1, no server exits 9; an endpoint
// given by IP address is taken as add-agent takes it, with the records add-agent writes.

import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { run } from '../helpers/peers.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { Keyring, type TsigKey } from '../../src/wire/tsig.js';
import { formatKeyFile } from '../../src/wire/tsig-key.js';
import { RRType } from '../../src/wire/types.js';
import { parsePolicy } from '../../src/update/policy.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { readSvcb, SvcKey } from '../../src/agent/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const aop = (args: string[]) => run(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args], 60_000);

const robot: TsigKey = { name: 'robot-key', algorithm: 'hmac-sha256.', secret: Buffer.from('cm9ib3Qga2V5IGZvciB0aGUgcmVnaXN0ZXIgdGVzdCEh', 'base64') };

t.test('register and deregister an agent with a signed UPDATE', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-register-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'acme.agents.zone'));
  const keyFile = path.join(dir, 'robot.key');
  writeFileSync(keyFile, formatKeyFile(robot));
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen('127.0.93.1:0')], keyring: new Keyring([robot]),
    update: { policy: parsePolicy(['grant robot-key agent robot.acme.agents.']), flushDelayMs: 50 },
  });
  const server = `${host}:${port}`;
  const svcb = async (name: string) => (await exchange({ address: host, port }, encodeQuery(name, RRType.SVCB, { rd: false }), { timeout: 10_000 })).message.answers.length;
  const serial = () => daemon.catalog.get('acme.agents.')!.serial;
  const start = serial();

  const reg = await aop(['register', 'robot.acme.agents', '--endpoint', 'https://mcp.acme.agents/agents/robot/mcp', '--endpoint', 'http://mcp-backup.acme.agents:18170/mcp',
    '--tool', 'assemble', '--description', 'Builds things', '--capabilities', 'build,test', '--key', keyFile, '--server', server, '--timeout', '15000']);
  t.equal(reg.code, 0, reg.stderr);
  t.match(reg.stdout, /registered robot\.acme\.agents\. in acme\.agents\. at .*: NOERROR \(4 records, key robot-key\)/);
  t.notMatch(reg.stderr, /A\/AAAA/, 'mcp.acme.agents and mcp-backup.acme.agents have addresses at the server: no warning');
  t.equal(await svcb('robot.acme.agents.'), 2, 'two endpoints');
  t.equal(serial(), start + 1);

  // The failures change nothing, so they run side by side (each is a process start).
  const [refused, wrong, usage, none] = await Promise.all([
    aop(['register', 'writer.acme.agents', '--endpoint', 'https://evil.example/mcp', '--tool', 'x', '--key', keyFile, '--server', server, '--timeout', '15000']),
    aop(['deregister', 'robot.acme.agents', '--key-inline', `hmac-sha256:robot-key:${Buffer.from('guess').toString('base64')}`, '--server', server, '--timeout', '15000']),
    aop(['register', 'robot.acme.agents', '--endpoint', 'ftp://x/', '--tool', 't', '--key', keyFile, '--server', server]),
    aop(['deregister', 'robot.acme.agents', '--key', keyFile, '--server', '127.0.93.2:9', '--timeout', '300']),
  ]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /answered REFUSED/);
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, /NOTAUTH \(TSIG BADSIG\)/);
  t.equal(usage.code, 1, `a bad endpoint URL is a usage error: ${usage.stderr}`);
  t.equal(none.code, 9, `no reply: ${none.stderr}`);
  t.equal(await svcb('robot.acme.agents.'), 2, 'refusals changed nothing');

  const gone = await aop(['deregister', 'robot.acme.agents', '--key-inline', `hmac-sha256:robot-key:${robot.secret.toString('base64')}`, '--server', server, '--timeout', '15000']);
  t.equal(gone.code, 0, gone.stderr);
  t.match(gone.stdout, /deregistered robot\.acme\.agents\./);
  t.equal(await svcb('robot.acme.agents.'), 0);
});

t.test('register takes the URL add-agent takes, and writes what add-agent writes', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-register-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'acme.agents.zone'));
  const keyFile = path.join(dir, 'robot.key');
  writeFileSync(keyFile, formatKeyFile(robot));
  const { host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen('127.0.93.3:0')], keyring: new Keyring([robot]),
    update: { policy: parsePolicy(['grant robot-key agent poet.acme.agents.']), flushDelayMs: 50 },
  });
  const ask = async (name: string, type: number) => (await exchange({ address: host, port }, encodeQuery(name, type, { rd: false }), { timeout: 10_000 })).message.answers;
  const args = ['--endpoint', 'http://127.0.0.1:18110/mcp', '--tool', 'write_poem', '--description', 'Writes short poems'];
  const reg = await aop(['register', 'poet.acme.agents', ...args, '--key', keyFile, '--server', `${host}:${port}`, '--timeout', '15000']);
  t.equal(reg.code, 0, reg.stderr);
  t.match(reg.stdout, /registered poet\.acme\.agents\. in acme\.agents\. .*NOERROR \(4 records/);

  // add-agent on a copy of the same file, with the same arguments: the same records.
  const copy = path.join(dir, 'copy', 'acme.agents.zone');
  mkdirSync(path.dirname(copy));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), copy);
  const add = await aop(['zone', 'add-agent', copy, 'poet', ...args]);
  t.equal(add.code, 0, add.stderr);
  const edited = loadZoneFile(copy, { origin: 'acme.agents.' });
  const served = async (name: string, type: number) => (await ask(name, type)).map((r) => r.rdata.toString('hex')).sort();
  const inFile = (name: string, type: number) => (edited.rrset(name, type)?.rdata ?? []).map((b) => b.toString('hex')).sort();
  for (const [name, type] of [['poet.acme.agents.', RRType.SVCB], ['poet.acme.agents.', RRType.A], ['_agent.poet.acme.agents.', RRType.TXT]] as const) {
    const s = await served(name, type);
    t.ok(s.length > 0, `${name} ${type} is served`);
    t.same(s, inFile(name, type), `${name} ${type}: what add-agent wrote`);
  }
  t.match(readSvcb((await ask('poet.acme.agents.', RRType.SVCB))[0]!.rdata).params.get(SvcKey.bap)?.toString(), 'mcp', 'key65402 is written');

  const gone = await aop(['deregister', 'poet.acme.agents', '--key', keyFile, '--server', `${host}:${port}`, '--timeout', '15000']);
  t.equal(gone.code, 0, gone.stderr);
  t.same(await ask('poet.acme.agents.', RRType.SVCB), []);
  t.same(await ask('poet.acme.agents.', RRType.A), [], 'its own address goes with it');
});

t.test('an endpoint host inside the zone is looked up at the server before the UPDATE goes', async (t) => {
  const { hostWithoutAddresses } = await import('../../src/update/client.js');
  const { host, port } = await startDaemon(t, { zonesDir: path.join(root, 'zones'), listen: [parseListen('127.0.0.1:0')] });
  const server = { address: host, port };
  const serverText = `${host}:${port}`;
  t.equal(await hostWithoutAddresses('mcp.acme.agents.', server), undefined, 'A records there: nothing to say');
  t.equal(await hostWithoutAddresses('lab.acme.agents.', server), undefined, 'A and AAAA there');
  t.match(await hostWithoutAddresses('nohost.acme.agents.', server), /has no A\/AAAA records at 127\.0\.0\.1:\d+: add them first/);
  const reg = await aop(['register', 'poet.acme.agents', '--endpoint', 'https://nohost.acme.agents/mcp', '--tool', 't',
    '--key-inline', `hmac-sha256:robot-key:${robot.secret.toString('base64')}`, '--server', serverText, '--timeout', '15000']);
  t.match(reg.stderr, /aop: warning: poet\.acme\.agents\.: endpoint host nohost\.acme\.agents\. has no A\/AAAA records at 127\.0\.0\.1:\d+/);
});
