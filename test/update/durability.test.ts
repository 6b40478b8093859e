// Durability of dynamic updates with the real `aop serve` process: kill -9 right after the last
// acknowledgement, restart, every acknowledged change is there; a torn journal tail is ignored.

import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTool, run } from '../helpers/peers.js';
import { exchange } from '../../src/transport/index.js';
import { encodeMessage, encodeQuery, newMessage } from '../../src/wire/message.js';
import { signMessage, type TsigKey } from '../../src/wire/tsig.js';
import { formatKeyFile } from '../../src/wire/tsig-key.js';
import { Opcode, RRClass, RRType, Rcode } from '../../src/wire/types.js';
import { encodeChange } from '../../src/zone/journal.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONE = 'acme.agents.';
const N = 25;
const key: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('ZHVyYWJpbGl0eSB0ZXN0IGtleSBzZWNyZXQgMTIzNDU2', 'base64') };

function waitFor(get: () => string, re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      const m = re.exec(get());
      if (m) return resolve(m);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${re}; log:\n${get()}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

interface Serve { child: ChildProcess; port: number; log: () => string; exited: Promise<number | null> }

async function serve(t: Test, dir: string): Promise<Serve> {
  const child = spawn(process.execPath, [
    path.join(root, 'bin', 'aop.js'), 'serve', '--zones', path.join(dir, 'zones'), '--journal-dir', path.join(dir, 'journal'),
    '--tsig-key', path.join(dir, 'admin.key'), '--allow-update', '--listen', '127.0.92.1:0',
  ], { stdio: ['ignore', 'ignore', 'pipe'], env: privateRuntimeEnv() });
  let log = '';
  child.stderr!.on('data', (d) => { log += String(d); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const m = await waitFor(() => log, /listening on 127\.0\.92\.1:(\d+)/);
  return { child, port: Number(m[1]), log: () => log, exited };
}

async function kill9(s: Serve): Promise<void> {
  s.child.kill('SIGKILL');
  await s.exited;
}

async function update(port: number, n: number): Promise<number> {
  const name = `r${n}.acme.agents.`;
  const msg = encodeMessage(newMessage({
    id: n, opcode: Opcode.UPDATE, questions: [{ name: ZONE, type: RRType.SOA, class: RRClass.IN }],
    authority: [
      { name, type: RRType.A, class: RRClass.IN, ttl: 60, rdata: Buffer.from([127, 0, 1, n]) },
      { name, type: RRType.TXT, class: RRClass.IN, ttl: 60, rdata: Buffer.concat([Buffer.from([`update ${n}`.length]), Buffer.from(`update ${n}`)]) },
    ],
  }));
  const r = await exchange({ address: '127.0.92.1', port }, signMessage(msg, key).message, { timeout: 10_000 });
  return r.message.rcode;
}

async function soaSerial(port: number): Promise<number> {
  const r = await exchange({ address: '127.0.92.1', port }, encodeQuery(ZONE, RRType.SOA, { rd: false }), { timeout: 10_000 });
  const rdata = r.message.answers[0]!.rdata;
  return rdata.readUInt32BE(rdata.length - 20);
}

async function present(port: number, n: number): Promise<boolean> {
  const r = await exchange({ address: '127.0.92.1', port }, encodeQuery(`r${n}.acme.agents.`, RRType.A, { rd: false }), { timeout: 10_000 });
  return r.message.answers.length === 1 && r.message.answers[0]!.rdata.equals(Buffer.from([127, 0, 1, n]));
}

t.test('kill -9 after the last acknowledged update: all of them survive; a torn tail is cut off', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-durable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'zones'));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'zones', 'acme.agents.zone'));
  writeFileSync(path.join(dir, 'admin.key'), formatKeyFile(key));

  const first = await serve(t, dir);
  const start = await soaSerial(first.port);
  for (let n = 1; n <= N; n++) t.equal(await update(first.port, n), Rcode.NOERROR, `update ${n} acknowledged`);
  await kill9(first); // no chance to flush: only the journal has the changes

  const second = await serve(t, dir);
  t.match(second.log(), /replayed \d+ journal change\(s\)|loaded serial/);
  t.equal(await soaSerial(second.port), start + N, 'serial raised once per update');
  let all = 0;
  for (let n = 1; n <= N; n++) if (await present(second.port, n)) all++;
  t.equal(all, N, `all ${N} acknowledged updates are served after kill -9`);
  await kill9(second);

  // A crash in the middle of an append: half an entry, then an entry whose checksum fails.
  const jnl = path.join(dir, 'journal', 'acme.agents.jnl');
  const goodLength = readFileSync(jnl).length;
  const fake = encodeChange({
    from: start + N, to: start + N + 1, time: 0,
    deleted: [], added: [{ name: 'torn.acme.agents.', type: RRType.A, class: RRClass.IN, ttl: 60, rdata: Buffer.from([127, 0, 9, 9]) }],
  });
  appendFileSync(jnl, fake.subarray(0, fake.length - 7));
  const third = await serve(t, dir);
  t.match(third.log(), /cut a torn entry of \d+ bytes/);
  t.equal(readFileSync(jnl).length, goodLength, 'the torn tail is cut off the file');
  t.equal(await soaSerial(third.port), start + N);
  const torn = await exchange({ address: '127.0.92.1', port: third.port }, encodeQuery('torn.acme.agents.', RRType.A, { rd: false }), { timeout: 10_000 });
  t.equal(torn.message.rcode, Rcode.NXDOMAIN, 'the half-written change is not applied');

  // Later updates append after the cut and survive too.
  t.equal(await update(third.port, N + 1), Rcode.NOERROR);
  await kill9(third);
  const corrupt = Buffer.from(fake);
  corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff;
  appendFileSync(jnl, corrupt);
  const fourth = await serve(t, dir);
  t.match(fourth.log(), /cut a torn entry/);
  t.equal(await soaSerial(fourth.port), start + N + 1);
  t.ok(await present(fourth.port, N + 1), 'the update after the cut is there');

  // A clean stop writes the zone file; it loads on its own and in BIND.
  fourth.child.kill('SIGTERM');
  t.equal(await fourth.exited, 0);
  const text = readFileSync(path.join(dir, 'zones', 'acme.agents.zone'), 'utf8');
  t.match(text, new RegExp(`SOA ns1\\.acme\\.agents\\. hostmaster\\.acme\\.agents\\. ${start + N + 1} `));
  t.match(text, /r1\.acme\.agents\. 60 IN A 127\.0\.1\.1/);
  if (hasTool('named-checkzone')) {
    const check = await run('named-checkzone', ['acme.agents', path.join(dir, 'zones', 'acme.agents.zone')]);
    t.equal(check.code, 0, `named-checkzone accepts the rewritten file: ${check.stdout}`);
  }
  const reread = loadZoneFile(path.join(dir, 'zones', 'acme.agents.zone'), { origin: ZONE });
  t.equal(reread.serial, start + N + 1, 'the rewritten file loads with every change');
  t.ok(reread.rrset('r1.acme.agents.', RRType.A));
});
