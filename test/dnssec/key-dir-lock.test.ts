// Keys made once in a shared key folder: processes that sign a zone with no keys at the same
// moment (the workers of `aop serve --workers N`, a zone added by a reload) end up with one key
// set, made by one of them under the folder's lock (src/dnssec/key-dir-lock.ts) and read by
// the others. A lock left by a process that is gone is taken over.

import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scratchDir } from '../helpers/child.js';
import { KEY_LOCK_FILE, withKeyDirLock } from '../../src/dnssec/key-dir-lock.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const PROCS = 6;

/** A process that waits for `go`, then signs `race.test.` with keys from `keyDir`; prints the tags it uses. */
const script = (keyDir: string, go: string) => `
import { existsSync } from 'node:fs';
import { Signer, DEFAULT_TIMES } from ${JSON.stringify(pathToFileURL(path.join(dist, 'authority', 'signer.js')).href)};
const nap = new Int32Array(new SharedArrayBuffer(4));
process.stdout.write('ready\\n');
while (!existsSync(${JSON.stringify(go)})) Atomics.wait(nap, 0, 0, 1);
const k = new Signer({ keyDir: ${JSON.stringify(keyDir)}, algorithm: 13, keyLayout: 'split', times: DEFAULT_TIMES }).keysFor('race.test.');
console.log(k.published.map((x) => x.tag).sort().join(','));
`;

t.test(`${PROCS} processes signing one new zone at once make one key set`, async (t) => {
  if (!existsSync(path.join(dist, 'authority', 'signer.js'))) {
    t.fail('dist/ is not built (npm run build)');
    return;
  }
  const dir = scratchDir(t, 'aop-keylock-');
  const keyDir = path.join(dir, 'keys');
  const go = path.join(dir, 'go');
  let ready = 0;
  let allReady: () => void = () => undefined;
  const waiting = new Promise<void>((r) => { allReady = r; });
  const runs = Array.from({ length: PROCS }, () => new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script(keyDir, go)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => {
      const had = out.startsWith('ready\n');
      out += d.toString();
      if (!had && out.startsWith('ready\n') && ++ready === PROCS) allReady();
    });
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('exit', (code) => (code === 0 ? resolve(out.replace(/^ready\n/, '').trim()) : reject(new Error(`exit ${code}: ${err}`))));
  }));
  // Released together, once every process is loaded and waiting for the file.
  await Promise.race([waiting, Promise.all(runs)]);
  writeFileSync(go, '');
  const tags = await Promise.all(runs);
  t.equal(new Set(tags).size, 1, `every process signs with the same keys: ${[...new Set(tags)].join(' | ')}`);
  const files = readdirSync(keyDir).filter((n) => n.endsWith('.key'));
  t.equal(files.length, 2, `one KSK and one ZSK in the folder: ${files.join(' ')}`);
  t.notOk(existsSync(path.join(keyDir, KEY_LOCK_FILE)), 'the lock is gone');
});

t.test('a lock left by a process that is gone is taken over', async (t) => {
  const dir = scratchDir(t, 'aop-keylock-');
  // A pid no process has: above the kernel's pid_max.
  writeFileSync(path.join(dir, KEY_LOCK_FILE), '4194305\n');
  t.equal(withKeyDirLock(dir, () => 'ran'), 'ran', 'the work ran under the lock');
  t.notOk(existsSync(path.join(dir, KEY_LOCK_FILE)), 'and the lock is gone after it');
});
