// The directory readers' queue is bounded and every read has a deadline: past the queue's size a
// read is refused at once (ERR_DIRECTORY_BUSY), and one that is not answered in time fails
// (ERR_DIRECTORY_READER) and its thread is replaced, so a slow query never holds its callers.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryReaders, DirectoryStore } from '../../src/directory/index.js';

t.test('a full queue refuses, a deadline ends a read', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-queue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'dir.db');
  DirectoryStore.open(file).close();

  const one = new DirectoryReaders(file, { threads: 1, maxQueue: 1 });
  t.teardown(() => one.close());
  await one.ready();
  const running = one.stats();
  const waiting = one.stats();
  await t.rejects(one.stats(), { code: 'ERR_DIRECTORY_BUSY', message: /1 requests waiting already/ }, 'a third read with one running and one waiting is refused');
  t.same(await running, { agents: 0, zones: 0, problems: 0 }, 'the running read is answered');
  t.same(await waiting, { agents: 0, zones: 0, problems: 0 }, 'and the waiting one');

  // A deadline shorter than a thread takes to start: the first read cannot be answered in time.
  const slow = new DirectoryReaders(file, { threads: 1, timeoutMs: 1 });
  t.teardown(() => slow.close());
  await t.rejects(slow.stats(), { code: 'ERR_DIRECTORY_READER', message: /took longer than 1 ms; its reader thread 1 was ended/ }, 'the read past its deadline fails');
  await t.rejects(slow.stats(), { code: 'ERR_DIRECTORY_READER', message: /took longer than 1 ms/ }, 'as does the next, on the new thread');
  t.equal(slow.alive, 1, 'the ended thread was replaced');
});
