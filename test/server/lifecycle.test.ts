// The real `aop serve` process: start, SIGHUP reload (a broken zone keeps its previous version),
// SIGTERM graceful shutdown.

import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawQuery, udpExchange } from '../helpers/udp.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';
import { waitForLog } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = path.join(root, 'test', 'fixtures', 'serve', 'example.agents.zone');


async function answers(port: number, labels: string[], type: number): Promise<number> {
  const r = await udpExchange(port, rawQuery(1, labels, type), 1000);
  return r ? r.readUInt16BE(6) : -1;
}

t.test('serve, reload on SIGHUP, stop on SIGTERM', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-life-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zoneFile = path.join(dir, 'example.agents.zone');
  copyFileSync(fixture, zoneFile);
  const child = spawn(process.execPath, [path.join(root, 'bin', 'aop.js'), 'serve', '--zones', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'], env: privateRuntimeEnv() });
  let log = '';
  child.stderr.on('data', (d) => { log += String(d); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });

  const m = await waitForLog(() => log, /listening on 127\.0\.0\.1:(\d+)/);
  const port = Number(m[1]);
  t.match(log, /zone example\.agents\.: loaded serial 2026112501/);
  t.equal(await answers(port, ['fresh', 'example', 'agents'], 16), 0, 'record not there yet');

  // A good change: new serial, new record.
  const text = readFileSync(zoneFile, 'utf8').replace('2026112501', '2026112502') + 'fresh IN TXT "added"\n';
  writeFileSync(zoneFile, text);
  child.kill('SIGHUP');
  await waitForLog(() => log, /loaded serial 2026112502/);
  t.equal(await answers(port, ['fresh', 'example', 'agents'], 16), 1, 'reload serves the new record');

  // A broken change: the previous version stays in service and the error names the line.
  appendFileSync(zoneFile, 'broken IN A not-an-address\n');
  child.kill('SIGHUP');
  await waitForLog(() => log, /failed to load; keeping serial 2026112502 in service/);
  t.match(log, /example\.agents\.zone:\d+:\d+: /, 'fault has file:line:col');
  t.equal(await answers(port, ['fresh', 'example', 'agents'], 16), 1, 'previous version still answers');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean exit');
  t.match(log, /SIGTERM: shutting down/);
  t.match(log, /stopped; /);
});

t.test('a folder with no loadable zone is a clear startup error', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-empty-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [path.join(root, 'bin', 'aop.js'), 'serve', '--zones', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'], env: privateRuntimeEnv() });
  let log = '';
  child.stderr.on('data', (d) => { log += String(d); });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  t.not(code, 0);
  t.match(log, /no \*\.zone files in/);
});
