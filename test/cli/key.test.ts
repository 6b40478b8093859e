// `aop key generate`: a TSIG key in BIND's key-file format, written mode 0600 and never over an
// existing file unless --force; the file it writes is read by `aop serve --tsig-key`,
// `aop register --key` and `nsupdate -k`, and the nsupdate session of docs/operations.md,
// signed with it, is accepted by aop serve. Loopback 127.0.131.x.

import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool, run } from '../helpers/peers.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { generateKey, loadKeyFile, parseKeyFile, writeKeyFile } from '../../src/wire/tsig-key.js';
import { RRType } from '../../src/wire/types.js';
import { readSvcb, SvcKey } from '../../src/agent/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');
const HOST = '127.0.131.1';

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_OPTIONS; // tap's loaders: slow, and not needed by the built CLI
  return e;
}
const aop = (args: string[]) => run(process.execPath, [bin, ...args], 60_000);

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('generateKey and writeKeyFile', async (t) => {
  const dir = tmp(t);
  for (const [alg, bytes] of [['hmac-sha256', 32], ['hmac-sha512', 64], ['hmac-sha1', 20], ['hmac-md5', 16]] as const) {
    const k = generateKey('writer-key', alg);
    t.equal(k.secret.length, bytes, `${alg}: a secret as long as the hash`);
  }
  t.not(generateKey('a').secret.toString('hex'), generateKey('a').secret.toString('hex'), 'random');
  t.throws(() => generateKey('bad name'), { code: 'ERR_TSIG_KEY', message: /key name "bad name": want a domain name/ });
  t.throws(() => generateKey('q"uote'), { code: 'ERR_TSIG_KEY' });
  t.throws(() => generateKey('writer-key', 'hmac-sha256-128'), { code: 'ERR_TSIG_ALGORITHM' });
  t.ok(generateKey('writer.acme.agents.'), 'a name with dots');

  const file = path.join(dir, 'writer.key');
  const key = generateKey('writer-key');
  writeKeyFile(file, key);
  t.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600');
  t.same(loadKeyFile(file), [{ name: 'writer-key', algorithm: 'hmac-sha256.', secret: key.secret }], 'reads back');
  t.match(readFileSync(file, 'utf8'), /^key "writer-key" \{\n\talgorithm hmac-sha256;\n\tsecret "[A-Za-z0-9+/]+=*";\n\};\n$/, "BIND's format");

  const other = generateKey('writer-key');
  t.throws(() => writeKeyFile(file, other), { code: 'ERR_TSIG_KEY_EXISTS', message: /writer\.key exists: .*--force replaces it/ });
  t.same(loadKeyFile(file)[0]!.secret, key.secret, 'the old key is kept');
  chmodSync(file, 0o644);
  writeKeyFile(file, other, { force: true });
  t.same(loadKeyFile(file)[0]!.secret, other.secret, '--force replaces it');
  t.equal(statSync(file).mode & 0o777, 0o600, 'and makes it 0600');
  t.throws(() => writeKeyFile(path.join(dir, 'no', 'such', 'dir.key'), key), { code: 'ERR_TSIG_KEY', message: /cannot write key file .*ENOENT/ });
});

t.test('aop key generate', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'acme.key');
  const [printed, written, sha512, bad] = await Promise.all([
    aop(['key', 'generate', 'writer-key']),
    aop(['key', 'generate', 'acme-key', '--out', file]),
    aop(['key', 'generate', 'xfr-key', '--algorithm', 'hmac-sha512']),
    aop(['key', 'generate', 'no good']),
  ]);
  t.equal(printed.code, 0, printed.stderr);
  t.match(parseKeyFile(printed.stdout), [{ name: 'writer-key', algorithm: 'hmac-sha256.' }], 'printed in BIND\'s format');
  t.equal(written.code, 0, written.stderr);
  t.equal(written.stdout, `wrote key acme-key (hmac-sha256) to ${file}, mode 0600\n`);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(parseKeyFile(sha512.stdout)[0]!.secret.length, 64);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^aop: key name "no good"/);

  const before = readFileSync(file, 'utf8');
  const again = await aop(['key', 'generate', 'acme-key', '--out', file]);
  t.equal(again.code, 1);
  t.match(again.stderr, /^aop: .*acme\.key exists: a key file is not overwritten .*--force replaces it\n$/);
  t.equal(readFileSync(file, 'utf8'), before, 'the file is left as it was');
  const forced = await aop(['key', 'generate', 'acme-key', '--out', file, '--force']);
  t.equal(forced.code, 0, forced.stderr);
  t.not(readFileSync(file, 'utf8'), before);
});

t.test('the generated key signs nsupdate and aop register, and aop serve --tsig-key accepts them', async (t) => {
  if (!requireTool(t, 'nsupdate', 'bind9-dnsutils')) return;
  const dir = tmp(t);
  const zones = path.join(dir, 'zones');
  cpSync(path.join(root, 'zones'), zones, { recursive: true });
  const keyFile = path.join(dir, 'writer.key');
  const gen = await aop(['key', 'generate', 'writer-key', '--out', keyFile]);
  t.equal(gen.code, 0, gen.stderr);

  const child = spawn(process.execPath, [bin, 'serve', '--zones', zones, '--listen', `${HOST}:0`, '--tsig-key', keyFile,
    '--update-policy', 'grant writer-key agent writer.acme.agents.', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'], env: env() });
  let log = '';
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let port = 0;
  for (let i = 0; i < 600 && port === 0 && child.exitCode === null; i++) {
    const m = /listening on 127\.0\.131\.1:(\d+)/.exec(log);
    if (m) port = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (port === 0) throw new Error(`aop serve did not start:\n${log}`);
  const answers = async (name: string, type: number) => (await exchange({ address: HOST, port }, encodeQuery(name, type, { rd: false }), { timeout: 10_000 })).message.answers;

  // The nsupdate session of docs/operations.md, as written, sent to this server.
  const doc = readFileSync(path.join(root, 'docs', 'operations.md'), 'utf8');
  const m = /^nsupdate -k (\S+) <<'EOF'\n([\s\S]*?)\nEOF$/m.exec(doc);
  t.ok(m, 'docs/operations.md has the nsupdate session');
  const session = m![2]!.replace(/^server .*$/m, `server ${HOST} ${port}`);
  t.match(m![2], /^server 127\.0\.0\.1 5303$/m, 'it names the server of the example beside it');
  const input = path.join(dir, 'session.txt');
  writeFileSync(input, `${session}\n`);
  const ns = await run('sh', ['-c', `nsupdate -k "$1" < "$2"`, 'sh', keyFile, input], 30_000);
  t.equal(ns.code, 0, `nsupdate: ${ns.stdout}${ns.stderr}\n${log}`);
  t.match(log, /update acme\.agents\. from .*: serial \d+ -> \d+/, 'accepted: the serial went up');
  t.notMatch(log, /missing key6532/, 'no agent record is refused or warned about');
  const svcb = await answers('writer.acme.agents.', RRType.SVCB);
  t.equal(svcb.length, 1, 'the SVCB set replaced by the one record');
  const params = readSvcb(svcb[0]!.rdata).params;
  t.equal(params.get(SvcKey.tool)?.toString(), 'draft_copy');
  t.equal(params.get(SvcKey.transport)?.toString(), 'streamable-http');
  t.equal(params.get(SvcKey.path)?.toString(), '/agents/writer/mcp');
  t.equal((await answers('_agent.writer.acme.agents.', RRType.TXT)).length, 1);

  // aop register --key reads the same file.
  const reg = await aop(['register', 'writer.acme.agents', '--endpoint', 'http://127.0.0.1:18110/mcp', '--tool', 'draft_copy', '--key', keyFile, '--server', `${HOST}:${port}`, '--timeout', '15000']);
  t.equal(reg.code, 0, reg.stderr);
  t.match(reg.stdout, /registered writer\.acme\.agents\. in acme\.agents\. .*NOERROR .*key writer-key/);
  t.equal(readSvcb((await answers('writer.acme.agents.', RRType.SVCB))[0]!.rdata).target, '.');
  t.ok(existsSync(path.join(zones, 'acme.agents.jnl')), 'journaled beside the zone file');

  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
});
