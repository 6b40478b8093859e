// Relevance on known documents: where a word is (name, capability, tool, description, schema),
// how often and in how long a field, how rare it is, and verification among equals; a prefix
// that stands for more words than a query expands to says so.

import t from 'tap';
import { DirectoryStore, StoreCatalog, type DirectoryRecord } from '../../src/directory/index.js';
import { MAX_EXPANSIONS } from '../../src/directory/store-reader.js';

const rec = (name: string, over: Partial<DirectoryRecord> = {}): DirectoryRecord => ({
  name: `${name}.rank.test`, org: 'rank.test', description: 'an agent', capabilities: [], tools: [], transports: ['streamable-http'], endpoints: [], card: {},
  dnssec: 'insecure', capCheck: 'absent', source: { zone: 'rank.test' }, confirmedAt: 0, ...over,
});
const names = async (cat: StoreCatalog, query: string, limit = 10): Promise<string[]> =>
  (await cat.search({ query, fields: ['name', 'description', 'tags', 'capabilities', 'tools'], limit })).agents.map((a) => a.name.replace('.rank.test', ''));

t.test('the field a word is in, how often, how long the field, how rare the word', async (t) => {
  const store = DirectoryStore.open(':memory:');
  t.teardown(() => store.close());
  store.upsert([
    rec('schema', { tools: [{ name: 'run', schema: '{"properties":{"ledger":{"type":"string"}}}' }] }),
    rec('described', { description: 'keeps the ledger' }),
    rec('tooled', { tools: [{ name: 'ledger_sync' }] }),
    rec('capable', { capabilities: ['ledger'] }),
    rec('ledger'),
    // Filler, so that `ledger` is a rare word and `agent` a common one.
    ...Array.from({ length: 30 }, (_, i) => rec(`filler${i}`, { description: 'an agent that does other work' })),
  ], 1);
  const cat = new StoreCatalog(store);
  t.same(await names(cat, 'ledger'), ['ledger', 'capable', 'tooled', 'described', 'schema'], 'name, then capability, tool, description, schema');

  store.upsert([
    rec('once', { description: 'audit' }),
    rec('thrice', { description: 'audit audit audit' }),
    rec('long', { description: 'audit of the accounts of a large firm with many subsidiaries in several countries' }),
  ], 1);
  const audit = await names(cat, 'audit');
  t.same(audit, ['thrice', 'once', 'long'], 'more often ranks higher (saturating), a long field lower');

  store.upsert([
    rec('rare-word', { description: 'agent zymurgy' }),
    rec('common-word', { description: 'agent agent' }),
  ], 1);
  t.same((await names(cat, 'zymurgy agent')), ['rare-word'], 'all words required');
  const both = await cat.search({ query: 'agent', fields: ['description'], limit: 100 });
  t.ok(both.agents.findIndex((a) => a.name.startsWith('common-word')) < both.agents.findIndex((a) => a.name.startsWith('filler')), 'the word twice outranks it once');
  t.equal(both.total, 36, 'every match counted (the 30 fillers, 4 with the default description, 2 more)');
  t.notOk(both.totalAtLeast, 'exactly');
});

t.test('equal text: verified, then secure or checked, then neither, then the oldest', async (t) => {
  const store = DirectoryStore.open(':memory:');
  t.teardown(() => store.close());
  store.upsert([
    rec('a1', { description: 'drafts leases' }),
    rec('b1', { description: 'drafts leases', dnssec: 'secure', capCheck: 'checked' }),
    rec('c1', { description: 'drafts leases', dnssec: 'secure', capCheck: 'mismatch' }),
    rec('d1', { description: 'drafts leases' }),
  ], 1);
  t.same(await names(new StoreCatalog(store), 'leases drafts'), ['b1', 'c1', 'a1', 'd1']);
});

t.test('a prefix of more words than a query expands to: the most frequent searched, and said', async (t) => {
  const store = DirectoryStore.open(':memory:');
  t.teardown(() => store.close());
  // 100 words `zq000`..`zq099`; zq000..zq009 in 5 agents each, the others in one.
  const recs: DirectoryRecord[] = [];
  for (let i = 0; i < 100; i++) {
    const n = i < 10 ? 5 : 1;
    for (let k = 0; k < n; k++) recs.push(rec(`x${i}-${k}`, { description: `zq${String(i).padStart(3, '0')}` }));
  }
  store.upsert(recs, 1);
  const cat = new StoreCatalog(store);
  const p = await cat.search({ query: 'zq', fields: ['description'], limit: 100 });
  t.equal(p.notes?.length, 1, 'a note says the prefix was cut');
  t.match(p.notes?.[0], new RegExp(`"zq" is the prefix of more than ${MAX_EXPANSIONS} words`));
  t.equal(p.totalAtLeast, true, 'and the total is a lower bound');
  const words = new Set(p.agents.map((a) => a.name.split('-')[0]));
  for (let i = 0; i < 10; i++) t.ok(words.has(`x${i}`), `the frequent zq00${i} is searched`);
  const narrow = await cat.search({ query: 'zq05', fields: ['description'], limit: 100 });
  t.equal(narrow.total, 10, 'typed further, every word of the prefix is searched');
  t.notOk(narrow.notes, 'and nothing is said');
  t.notOk(narrow.totalAtLeast);
});

t.test('a word with punctuation inside matches that sequence; names are found by their labels', async (t) => {
  const store = DirectoryStore.open(':memory:');
  t.teardown(() => store.close());
  store.upsert([
    rec('alpha', { tools: [{ name: 'summarize_pdf', schema: '{"type":"object","properties":{"pdf_url":{"type":"string"}}}' }] }),
    rec('beta', { description: 'reads a pdf, returns its url' }),
  ], 1);
  const cat = new StoreCatalog(store);
  t.same(await names(cat, 'pdf_url'), ['alpha'], 'the schema property, not two words apart');
  t.same((await names(cat, 'pdf url')).sort(), ['alpha', 'beta'], 'two words: both');
  t.same(await names(cat, 'alpha.rank'), ['alpha'], 'a name prefix with its dot');
  t.same(await names(cat, 'summ'), ['alpha'], 'a tool name by its prefix');
});
