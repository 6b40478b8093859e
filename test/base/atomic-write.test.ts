// atomicWrite: the file holds the old contents or the new, the mode asked for, and no temporary
// file is left behind whether the write succeeds or fails.

import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atomicWrite } from '../../src/base/atomic-write.js';

function dir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(path.join(tmpdir(), 'aop-atomic-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('writes a new file and replaces an old one', async (t) => {
  const d = dir(t);
  const f = path.join(d, 'a.txt');
  atomicWrite(f, 'one\n');
  t.equal(readFileSync(f, 'utf8'), 'one\n');
  atomicWrite(f, Buffer.from('two\n'));
  t.equal(readFileSync(f, 'utf8'), 'two\n');
  t.same(readdirSync(d), ['a.txt'], 'no temporary file left');
});

t.test('mode is exact, whatever the umask', async (t) => {
  const d = dir(t);
  const f = path.join(d, 'secret');
  const old = process.umask(0o022);
  try {
    atomicWrite(f, 'x', { mode: 0o600 });
    t.equal(statSync(f).mode & 0o777, 0o600);
    atomicWrite(f, 'y', { mode: 0o640 });
    t.equal(statSync(f).mode & 0o777, 0o640, 'a replacement gets the mode asked for too');
    atomicWrite(f, 'z');
    t.equal(statSync(f).mode & 0o777, 0o644, 'without one: a new file\'s (0666 less the umask)');
  } finally {
    process.umask(old);
  }
});

t.test('a throw before the rename leaves the file as it was', async (t) => {
  const d = dir(t);
  const f = path.join(d, 'zone');
  writeFileSync(f, 'original');
  t.throws(() => atomicWrite(f, 'new', { beforeRename: () => { throw new Error('changed meanwhile'); } }), /changed meanwhile/);
  t.equal(readFileSync(f, 'utf8'), 'original');
  t.same(readdirSync(d), ['zone'], 'the temporary file is removed');
});

t.test('a folder that is not there: the file system error, nothing written', async (t) => {
  const d = dir(t);
  t.throws(() => atomicWrite(path.join(d, 'no', 'such', 'f'), 'x'), { code: 'ENOENT' });
  t.same(readdirSync(d), []);
});
