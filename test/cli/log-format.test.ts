// `aop serve --log-format`: JSON lines off a terminal by default (the message in `msg`), text lines
// when asked, and a bad value is a usage error.

import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');
const zones = path.join(root, 'test', 'fixtures', 'serve');

/** Start `aop serve` with `extra`, resolve with its stderr once it says where it listens, then stop it. */
function serveLog(t: { teardown(fn: () => void): void }, extra: string[]): Promise<string> {
  const child = spawn(process.execPath, [bin, 'serve', '--zones', zones, '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'ignore', 'pipe'], env: privateRuntimeEnv() });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log += String(d);
      if (/listening on 127\.0\.0\.1:\d+/.test(log) && log.endsWith('\n')) {
        child.kill('SIGTERM');
        resolve(log);
      }
    });
    child.on('exit', () => reject(new Error(`aop serve exited before listening:\n${log}`)));
  });
}

t.test('default off a terminal: one JSON object a line, message in msg', async (t) => {
  const log = await serveLog(t, []);
  const lines = log.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(lines.every((l) => typeof l.msg === 'string' && typeof l.time === 'string' && ['debug', 'info', 'warn', 'error'].includes(l.level as string)), 'every line parses, with level, time and msg');
  t.ok(lines.some((l) => /^zone example\.agents\.: loaded serial \d+/.test(l.msg as string)), 'the zone line');
});

t.test('--log-format text: today\'s lines', async (t) => {
  const log = await serveLog(t, ['--log-format', 'text']);
  t.match(log, /^\d{4}-\d\d-\d\dT[\d:.]+Z info zone example\.agents\.: loaded serial \d+/m);
  t.match(log, /^\S+Z info listening on 127\.0\.0\.1:\d+/m);
});

t.test('--log-format bogus: a usage error, exit 1', async (t) => {
  const r = spawnSync(process.execPath, [bin, 'serve', '--log-format', 'xml'], { encoding: 'utf8', env: privateRuntimeEnv() });
  t.equal(r.status, 1);
  t.match(r.stderr, /^aop: Invalid values:\n\s+Argument: log-format, Given: "xml", Choices: "auto", "json", "text"/);
});
