// The impact index kept in step with the agents, write by write: an agent added, rewritten (its
// text, its organisation, its verification band), removed one by one, a zone's crawl that drops
// agents, an organisation removed; after each, every list row and every document frequency is
// what a rebuild from scratch gives, and searches see the change at once. The file survives a
// restart; a file of the FTS5 schema (1) is converted on open.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DirectoryStore, StoreCatalog, type DirectoryRecord } from '../../src/directory/index.js';

const rec = (name: string, org: string, description: string, over: Partial<DirectoryRecord> = {}): DirectoryRecord => ({
  name: `${name}.${org}`, org, description, capabilities: ['translation'], tools: [{ name: 'translate_text' }], transports: ['streamable-http'], endpoints: [], card: {},
  dnssec: 'insecure', capCheck: 'absent', source: { zone: org }, confirmedAt: 0, ...over,
});

/** The index's rows, and what a rebuild from the agents gives. */
function snapshot(file: string): { postings: string[]; vocab: string[] } {
  const db = new DatabaseSync(file, { readOnly: true });
  const postings = (db.prepare('SELECT coalesce(o.org, \'*\') AS scope, term, nw, agent, bits FROM postings p LEFT JOIN orgs o ON o.id = p.scope ORDER BY 1, 2, 3, 4').all() as Array<Record<string, unknown>>).map((r) => JSON.stringify(r));
  const vocab = (db.prepare('SELECT term, df FROM vocab WHERE df > 0 ORDER BY term').all() as Array<Record<string, unknown>>).map((r) => JSON.stringify(r));
  db.close();
  return { postings, vocab };
}

t.test('incremental writes leave the index a rebuild would make', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-maint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'd.db');
  let store = DirectoryStore.open(file);
  const cat = (): StoreCatalog => new StoreCatalog(store);
  const find = async (q: string, org?: string): Promise<string[]> =>
    (await cat().search({ query: q, fields: ['name', 'description', 'tags', 'capabilities', 'tools'], limit: 100, ...(org ? { organization: org } : {}) })).agents.map((a) => a.name).sort();
  // The same agents written in one go into a fresh file: the reference.
  const rebuilt = (records: DirectoryRecord[]): { postings: string[]; vocab: string[] } => {
    const f = path.join(dir, `ref-${Math.random()}.db`);
    const ref = DirectoryStore.open(f);
    // Ids and scope numbers differ between the two files: compared without them (scopes by organisation name).
    ref.upsert(records, 1);
    ref.close();
    return snapshot(f);
  };
  const idFree = (s: { postings: string[]; vocab: string[] }): { postings: string[]; vocab: string[] } => ({
    postings: s.postings.map((p) => { const r = JSON.parse(p) as Record<string, unknown>; delete r.agent; return JSON.stringify(r); }).sort(),
    vocab: s.vocab,
  });
  const live = (): DirectoryRecord[] => store.list({}, undefined, 1000).map(({ verified: _v, ...r }) => r);
  const same = (what: string): void => {
    const want = idFree(rebuilt(live()));
    const got = idFree(snapshot(file));
    t.same(got.vocab, want.vocab, `${what}: document frequencies as a rebuild's`);
    t.same(got.postings, want.postings, `${what}: list rows as a rebuild's`);
  };

  store.upsert([rec('a', 'one.test', 'drafts leases'), rec('b', 'one.test', 'audits books'), rec('c', 'two.test', 'drafts poems')], 0);
  same('added');
  t.same(await find('drafts'), ['a.one.test', 'c.two.test']);

  store.upsert([rec('a', 'one.test', 'audits leases')], 0);
  same('text rewritten');
  t.same(await find('drafts'), ['c.two.test'], 'the old word is gone');
  t.same(await find('audits'), ['a.one.test', 'b.one.test'], 'the new one found');

  store.upsert([rec('b', 'one.test', 'audits books', { dnssec: 'secure' })], 0);
  same('verification changed (a new id)');
  t.same((await cat().search({ query: 'audits', fields: ['description'], limit: 10 })).agents.map((a) => a.name), ['b.one.test', 'a.one.test'], 'verified first now');

  store.upsert([rec('c', 'two.test', 'drafts poems', { transports: ['sse'] })], 0);
  same('transport changed');
  t.same((await cat().search({ query: 'poems', fields: ['description'], transport: 'sse', limit: 10 })).agents.map((a) => a.name), ['c.two.test']);

  t.ok(store.remove('a.one.test'));
  same('one removed');
  t.same(await find('leases'), [], 'nothing left of it');

  const crawl = store.beginCrawl('two.test');
  store.upsert([rec('d', 'two.test', 'drafts sonnets')], crawl);
  store.finishCrawl('two.test', crawl);
  same('a crawl that dropped one');
  t.same(await find('drafts'), ['d.two.test']);
  t.same(await find('sonnets', 'two.test'), ['d.two.test'], 'and within its organisation');
  t.same(await find('audits', 'two.test'), [], 'another organisation\'s agent is not within it');

  store.close();
  store = DirectoryStore.open(file);
  t.same(await find('drafts'), ['d.two.test'], 'after a restart, the same');
  t.same(await find('audits'), ['b.one.test']);
  store.removeOrg('one.test');
  same('an organisation removed');
  t.same(await find('audits'), []);
  store.close();
});

t.test('a file of schema 1 (FTS5) is converted on open, its agents searchable', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-conv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'old.db');
  const store = DirectoryStore.open(file);
  store.upsert([rec('a', 'one.test', 'drafts leases'), rec('b', 'two.test', 'drafts poems', { dnssec: 'secure' })], 1);
  store.close();
  // What schema 1 had: an FTS5 table and no postings.
  const db = new DatabaseSync(file);
  db.exec(`DROP TABLE postings; DROP TABLE vocab; DROP TABLE agent_terms; DROP TABLE orgs;
    CREATE VIRTUAL TABLE agents_fts USING fts5 (name, org, description, capabilities, tools, schemas);
    UPDATE meta SET value = '1' WHERE key = 'schema';`);
  db.close();
  const again = DirectoryStore.open(file);
  t.teardown(() => again.close());
  const p = await new StoreCatalog(again).search({ query: 'drafts', fields: ['description'], limit: 10 });
  t.same(p.agents.map((a) => a.name), ['b.two.test', 'a.one.test'], 'converted: both found, the verified first');
  const conv = new DatabaseSync(file, { readOnly: true });
  t.equal((conv.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value, '2');
  t.equal(conv.prepare("SELECT name FROM sqlite_master WHERE name = 'agents_fts'").get(), undefined, 'the FTS5 table is gone');
  conv.close();
  again.upsert([rec('c', 'one.test', 'drafts wills')], 2);
  t.equal((await new StoreCatalog(again).search({ query: 'drafts', fields: ['description'], limit: 10 })).total, 3, 'and kept up after');
});
