// A directory reader thread that dies answers its request with a clear error
// (ERR_DIRECTORY_READER naming the thread and the read), never a hang; a new thread takes its
// place and the next request is answered. A file the threads cannot read fails every request
// the same way, at once.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryReaders, DirectoryStore, type DirectoryRecord } from '../../src/directory/index.js';
import { scratchStore } from '../helpers/directory-store.js';

const agent = (name: string): DirectoryRecord => ({
  name, org: 'acme.example', description: `Agent ${name}`, capabilities: ['translation'], tools: [],
  transports: ['streamable-http'], endpoints: [], card: { name, endpoints: [], capabilities: ['translation'] },
  dnssec: 'insecure', capCheck: 'absent', source: { zone: 'acme.example', serial: 1 }, confirmedAt: 1,
});

t.test('a reader thread killed during a read', async (t) => {
  const { file, store } = scratchStore(t, 'aop-dir-crash-');
  store.upsert([agent('a.acme.example'), agent('b.acme.example')], 1);
  const readers = new DirectoryReaders(file, { threads: 1 });
  t.teardown(() => readers.close());
  await readers.ready();

  // Posted to the one idle thread at once; the thread is ended before it can answer.
  const pending = readers.search('"translation"*', {}, 0, 10);
  const failed = t.rejects(pending, { code: 'ERR_DIRECTORY_READER', message: /reader thread 1 died \(killed\) during a search/ }, 'the read in flight fails, saying why');
  await readers.kill(0);
  await failed;
  t.equal(readers.alive, 1, 'a new thread took its place');
  const again = await readers.search('"translation"*', {}, 0, 10);
  t.same(again.rows.map((a) => a.name), ['a.acme.example', 'b.acme.example'], 'the next read is answered by the new thread');
});

t.test('a file the reader threads cannot read', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'not-a-db.db');
  writeFileSync(file, 'this is not an SQLite database, only text that is long enough to have a header page'.repeat(20));
  const readers = new DirectoryReaders(file, { threads: 2 });
  t.teardown(() => readers.close());
  const queued = readers.list({}, undefined, 10);
  await t.rejects(readers.ready(), { code: 'ERR_DIRECTORY_READER', message: /cannot read .*not-a-db\.db: .*not a database/ }, 'ready() says the file cannot be read');
  await t.rejects(queued, { code: 'ERR_DIRECTORY_READER' }, 'a read sent before that fails too');
  await t.rejects(readers.count({}), { code: 'ERR_DIRECTORY_READER', message: /cannot read/ }, 'and one sent after, at once');
});

t.test('closed readers', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'dir.db');
  DirectoryStore.open(file).close();
  const readers = new DirectoryReaders(file, { threads: 1 });
  await readers.ready();
  const pending = t.rejects(readers.stats(), { code: 'ERR_DIRECTORY_READER', message: /closed/ }, 'a read in flight at close fails');
  await readers.close();
  await pending;
  await t.rejects(readers.stats(), { code: 'ERR_DIRECTORY_READER', message: /closed/ }, 'a read after close fails');
  t.throws(() => new DirectoryReaders(':memory:'), { code: 'ERR_DIRECTORY_DB' }, 'threads cannot share a database in memory');
});
