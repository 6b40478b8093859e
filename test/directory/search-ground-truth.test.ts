// 100,000 agents across 100 organisations, generated with known capabilities, transports, words
// and verification states, written into the index directly (the crawl of real zones has its own
// tests): every filter, alone and together, and every search, paged through with cursors, gives
// exactly the generated set (precision and recall 1). Ties in relevance go to verified agents.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryStore, StoreCatalog, type DirectoryRecord } from '../../src/directory/index.js';
import type { AgentFilters, AgentPage } from '../../src/mcp/gateway/index.js';

const ORGS = 100;
const PER_ORG = 1000;
const CAPS = Array.from({ length: 20 }, (_, i) => `cap-${String.fromCharCode(97 + i)}`);
/** Words none of which is a prefix of another (prefix search must not blur them). */
const WORDS = Array.from({ length: 50 }, (_, i) => `k${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}q`);

interface Truth { name: string; org: string; caps: string[]; transport: string; verified: boolean; word: string; tool: string }

function generate(): { records: DirectoryRecord[]; truth: Truth[] } {
  const records: DirectoryRecord[] = [];
  const truth: Truth[] = [];
  for (let o = 0; o < ORGS; o++) {
    const org = `org${String(o).padStart(3, '0')}.example`;
    for (let i = 0; i < PER_ORG; i++) {
      const n = o * PER_ORG + i;
      const name = `agent${String(i).padStart(4, '0')}.${org}`;
      const caps = [...new Set([CAPS[n % 20]!, CAPS[(n * 7 + o) % 20]!])];
      const transport = n % 3 === 0 ? 'sse' : 'streamable-http';
      const dnssec = n % 4 === 0 ? 'secure' as const : 'insecure' as const;
      const capCheck = n % 5 === 0 ? 'mismatch' as const : n % 5 === 1 ? 'absent' as const : 'checked' as const;
      const word = WORDS[(n * 13) % 50]!;
      const tool = `tool_${WORDS[n % 50]!}`;
      records.push({
        name, org, description: `Agent ${i} of ${org}: does ${word} work`, capabilities: caps,
        tools: [{ name: tool, schema: JSON.stringify({ type: 'object', properties: { text: { type: 'string' } } }) }],
        transports: [transport], endpoints: [{ url: `https://${name}/mcp`, transport, priority: 1 }],
        card: { name, endpoints: [], capabilities: caps, description: `Agent ${i}`, ttl: 300, warnings: [] },
        dnssec, capCheck, source: { zone: org, serial: 1 }, confirmedAt: 1_700_000_000_000,
      });
      truth.push({ name, org, caps, transport, verified: dnssec === 'secure' && capCheck !== 'mismatch', word, tool });
    }
  }
  return { records, truth };
}

async function all(fetch: (cursor?: string) => Promise<AgentPage>): Promise<{ names: string[]; total: number; pages: number }> {
  const names: string[] = [];
  let cursor: string | undefined;
  let total = -1;
  let pages = 0;
  do {
    const p = await fetch(cursor);
    total = p.total;
    names.push(...p.agents.map((a) => a.name));
    cursor = p.nextCursor;
    pages++;
  } while (cursor !== undefined);
  return { names, total, pages };
}

t.test('filters and search over 100,000 agents: exact sets', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-gt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = DirectoryStore.open(path.join(dir, 'gt.db'));
  t.teardown(() => store.close());
  const { records, truth } = generate();
  for (let i = 0; i < records.length; i += 5000) {
    store.transaction(() => store.upsert(records.slice(i, i + 5000), 1));
  }
  t.equal(store.stats().agents, ORGS * PER_ORG, 'all 100,000 in the index');
  const cat = new StoreCatalog(store);

  const want = (f: AgentFilters, extra: (x: Truth) => boolean = () => true): string[] => truth.filter((x) =>
    (f.organization === undefined || x.org === f.organization) && (f.capability === undefined || x.caps.includes(f.capability))
    && (f.transport === undefined || x.transport === f.transport) && (f.verifiedOnly !== true || x.verified) && extra(x)).map((x) => x.name).sort();

  const listed = await all((cursor) => cat.list({ limit: 1000, ...(cursor ? { cursor } : {}) }));
  t.equal(listed.names.length, 100_000, 'list_agents pages through every agent');
  t.equal(new Set(listed.names).size, 100_000, 'each once');
  t.equal(listed.pages, 100);

  const cases: AgentFilters[] = [
    { organization: 'org042.example' },
    { capability: 'cap-c' },
    { transport: 'sse' },
    { verifiedOnly: true },
    { organization: 'org007.example', capability: 'cap-q', transport: 'streamable-http' },
    { capability: 'cap-t', verifiedOnly: true, transport: 'sse' },
    { organization: 'org099.example', verifiedOnly: true },
    { capability: 'cap-nothing' },
  ];
  for (const f of cases) {
    const got = await all((cursor) => cat.list({ ...f, limit: 500, ...(cursor ? { cursor } : {}) }));
    const expected = want(f);
    t.same(got.names, expected, `list ${JSON.stringify(f)}: exactly the ${expected.length} generated`);
    t.equal(got.total, expected.length, 'and the total says so');
  }

  const searches: Array<{ query: string; f: AgentFilters; fields?: string[]; extra: (x: Truth) => boolean }> = [
    // Every field: the word in the description, or in the tool name (`tool_kraq` is the words tool, kraq).
    { query: WORDS[17]!, f: {}, extra: (x) => x.word === WORDS[17] || x.tool === `tool_${WORDS[17]!}` },
    { query: WORDS[3]!, f: { organization: 'org010.example' }, extra: (x) => x.word === WORDS[3] || x.tool === `tool_${WORDS[3]!}` },
    { query: `tool_${WORDS[9]!}`, f: { transport: 'sse' }, fields: ['tools'], extra: (x) => x.tool === `tool_${WORDS[9]!}` },
    { query: 'cap-e', f: { verifiedOnly: true }, fields: ['capabilities'], extra: (x) => x.caps.includes('cap-e') },
    { query: `${WORDS[20]} org05`, f: {}, extra: (x) => (x.word === WORDS[20] || x.tool === `tool_${WORDS[20]!}`) && x.org.startsWith('org05') },
    { query: 'org012', f: {}, fields: ['tags'], extra: (x) => x.org === 'org012.example' },
  ];
  for (const s of searches) {
    const got = await all((cursor) => cat.search({ query: s.query, fields: (s.fields ?? ['name', 'description', 'tags', 'capabilities', 'tools']) as never, ...s.f, limit: 250, ...(cursor ? { cursor } : {}) }));
    const expected = want(s.f, s.extra);
    t.same([...got.names].sort(), expected, `search ${JSON.stringify(s.query)} ${JSON.stringify(s.f)}: exactly the ${expected.length} generated`);
    t.equal(new Set(got.names).size, got.names.length, 'no agent on two pages');
    t.equal(got.total, expected.length);
  }
});

t.test('equal relevance: verified agents first', async (t) => {
  const store = DirectoryStore.open(':memory:');
  t.teardown(() => store.close());
  const base = (name: string, dnssec: DirectoryRecord['dnssec'], capCheck: DirectoryRecord['capCheck']): DirectoryRecord => ({
    name, org: 'tie.example', description: 'translates contracts', capabilities: ['translation'], tools: [{ name: 'translate' }], transports: ['streamable-http'],
    endpoints: [], card: { name }, dnssec, capCheck, source: { zone: 'tie.example' }, confirmedAt: 0,
  });
  // Same length names, same text: bm25 cannot tell them apart.
  store.upsert([base('aa.tie.example', 'insecure', 'absent'), base('bb.tie.example', 'secure', 'checked'), base('cc.tie.example', 'secure', 'mismatch')], 1);
  const p = await new StoreCatalog(store).search({ query: 'contracts', fields: ['description'], limit: 10 });
  t.same(p.agents.map((a) => a.name), ['bb.tie.example', 'cc.tie.example', 'aa.tie.example'], 'verified, then secure, then neither');
  t.same(p.agents.map((a) => a.verification?.verified), [true, false, false]);
  // Forty tied agents over pages of seven: the verified ones first across all pages, each once.
  const tied = Array.from({ length: 40 }, (_, i) => base(`t${String(i).padStart(2, '0')}.tie.example`, i % 3 === 0 ? 'secure' : 'insecure', i % 3 === 0 ? 'checked' : 'absent'));
  store.upsert(tied.map((r) => ({ ...r, description: 'drafts leases' })), 1);
  const paged: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await new StoreCatalog(store).search({ query: 'leases', fields: ['description'], limit: 7, ...(cursor ? { cursor } : {}) });
    paged.push(...page.agents.map((a) => a.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  t.equal(new Set(paged).size, 40, 'every tied agent once across the pages');
  const firstUnverified = paged.findIndex((n) => Number(n.slice(1, 3)) % 3 !== 0);
  t.equal(firstUnverified, 14, 'the 14 verified ones fill the first two pages');
  t.ok(paged.slice(firstUnverified).every((n) => Number(n.slice(1, 3)) % 3 !== 0), 'then the rest');
  // A hit in the name outranks one in the description.
  store.upsert([{ ...base('contracts.tie.example', 'insecure', 'absent'), description: 'other work' }], 2);
  const q = await new StoreCatalog(store).search({ query: 'contracts', fields: ['name', 'description'], limit: 10 });
  t.equal(q.agents[0]!.name, 'contracts.tie.example', 'the name weighs more');
});

t.test('a query matching more agents than it counts exactly: a lower bound, said as such; every match still paged to', async (t) => {
  // A count budget of 5: past the page, almost nothing is spent on the total.
  const store = DirectoryStore.open(':memory:', { candidateCap: 5 });
  t.teardown(() => store.close());
  const rec = (i: number): DirectoryRecord => ({
    name: `w${String(i).padStart(3, '0')}.broad.example`, org: 'broad.example', description: 'writes words', capabilities: [], tools: [], transports: [],
    endpoints: [], card: {}, dnssec: i % 5 === 0 ? 'secure' : 'insecure', capCheck: 'absent', source: { zone: 'broad.example' }, confirmedAt: 0,
  });
  store.upsert(Array.from({ length: 500 }, (_, i) => rec(i)), 1);
  const cat = new StoreCatalog(store);
  const p = await cat.search({ query: 'words', fields: ['description'], limit: 10 });
  t.equal(p.agents.length, 10, 'a full page');
  t.equal(p.totalAtLeast, true, 'the total is said to be a lower bound');
  t.ok(p.total >= 10 && p.total < 500, `at least ${p.total}: more than the page, not all 500`);
  t.ok(p.agents.every((a) => a.verification?.verified), 'the verified ones first');
  t.ok(p.nextCursor, 'and a next page');
  const got = await all((cursor) => cat.search({ query: 'words', fields: ['description'], limit: 100, ...(cursor ? { cursor } : {}) }));
  t.equal(got.names.length, 500, 'paging reaches every match');
  t.equal(new Set(got.names).size, 500, 'each once');
  t.equal(got.total, 500, 'and the last page knows the exact total');
  const last = await cat.search({ query: 'words', fields: ['description'], limit: 1000 });
  t.notOk(last.totalAtLeast, 'a page that read every match says its total is exact');
  t.ok(got.names.slice(0, 100).every((n) => Number(n.slice(1, 4)) % 5 === 0), 'the 100 verified fill the first page, across pages as on one');
});
