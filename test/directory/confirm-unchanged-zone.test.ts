// A zone whose serial did not move confirms all its agents in one write (the zone's row): each
// agent then reads as confirmed at that time, on the writer's connection and on reader threads,
// and the agents of other zones do not; a later rewrite of an agent keeps the later of the two.

import t from 'tap';
import { DirectoryReaders, DirectoryStore, type DirectoryRecord } from '../../src/directory/index.js';
import { scratchStore } from '../helpers/directory-store.js';

const agent = (name: string, org: string, confirmedAt: number): DirectoryRecord => ({
  name, org, description: 'an agent', capabilities: [], tools: [], transports: [], endpoints: [], card: { name },
  dnssec: 'insecure', capCheck: 'absent', source: { zone: org, serial: 1 }, confirmedAt,
});

t.test('confirming an unchanged zone', async (t) => {
  const { file, store } = scratchStore(t, 'aop-dir-confirm-');
  store.upsert([agent('a.acme.example', 'acme.example', 100), agent('b.acme.example', 'acme.example', 100), agent('c.globex.example', 'globex.example', 100)], 1);
  const readers = new DirectoryReaders(file, { threads: 1 });
  t.teardown(() => readers.close());
  await readers.ready();

  store.confirm('acme.example', 5000);
  t.same(['a.acme.example', 'b.acme.example', 'c.globex.example'].map((n) => store.get(n)?.confirmedAt), [5000, 5000, 100], 'the zone\'s agents are confirmed, the other zone\'s not');
  t.same((await readers.list({}, undefined, 10)).rows.map((a) => a.confirmedAt), [5000, 5000, 100], 'as the reader threads read them');
  t.same((await readers.search('"agent"*', { org: 'acme.example' }, 0, 10)).rows.map((a) => a.confirmedAt), [5000, 5000], 'in a search too');

  store.upsert([agent('a.acme.example', 'acme.example', 9000)], 2);
  t.equal(store.get('a.acme.example')?.confirmedAt, 9000, 'a rewrite after it is later');
  store.upsert([agent('b.acme.example', 'acme.example', 10)], 2);
  t.equal(store.get('b.acme.example')?.confirmedAt, 5000, 'a row older than the zone\'s confirmation reads as the zone\'s');
  t.equal(store.zone('acme.example')?.zone, 'acme.example', 'the zone\'s state is still there');

  // A file made before the column existed gets it when opened.
  store.close();
  const { DatabaseSync } = await import('node:sqlite');
  const raw = new DatabaseSync(file);
  raw.exec(`CREATE TABLE zones2 (zone TEXT PRIMARY KEY, server TEXT, serial INTEGER, method TEXT, checked INTEGER, changed INTEGER, next INTEGER, agents INTEGER, churn INTEGER, crawl INTEGER NOT NULL DEFAULT 0);
    INSERT INTO zones2 SELECT zone, server, serial, method, checked, changed, next, agents, churn, crawl FROM zones; DROP TABLE zones; ALTER TABLE zones2 RENAME TO zones`);
  raw.close();
  const again = DirectoryStore.open(file);
  t.teardown(() => again.close());
  again.confirm('globex.example', 7000);
  t.equal(again.get('c.globex.example')?.confirmedAt, 7000, 'an older file is migrated on open');
});
