// The gateway's list tools over reader threads (DirectoryReaders: worker threads, each with its
// own read-only connection to the WAL file) answer exactly as over the store's own connection:
// list pages with cursors, searches with filters and fields, counts, one agent, stats, problems;
// and a write by the crawler's connection is seen by the readers at once (counts not stale).

import t from 'tap';
import { DirectoryReaders, StoreCatalog, type DirectoryRecord } from '../../src/directory/index.js';
import type { AgentPage, SearchRequest, PageRequest } from '../../src/mcp/gateway/index.js';
import { scratchStore } from '../helpers/directory-store.js';

const CAPS = ['translation', 'summarization', 'coding', 'review'];
const WORDS = ['contracts', 'invoices', 'haiku', 'kubernetes', 'genome'];

function records(orgs: number, perOrg: number): DirectoryRecord[] {
  const out: DirectoryRecord[] = [];
  for (let o = 0; o < orgs; o++) {
    const org = `org${o}.example`;
    for (let i = 0; i < perOrg; i++) {
      const n = o * perOrg + i;
      const name = `a${i}.${org}`;
      const caps = [...new Set([CAPS[n % 4]!, CAPS[(n * 3 + 1) % 4]!])];
      const transport = n % 3 === 0 ? 'sse' : 'streamable-http';
      out.push({
        name, org, description: `Agent ${i} of ${org}: ${WORDS[n % 5]} work`, capabilities: caps,
        tools: [{ name: `do_${WORDS[(n * 7) % 5]}`, schema: '{"type":"object"}' }],
        transports: [transport], endpoints: [{ url: `https://${name}/mcp`, transport, priority: 1 }],
        card: { name, endpoints: [], capabilities: caps, description: `Agent ${i}`, ttl: 300, warnings: [] },
        dnssec: n % 4 === 0 ? 'secure' : 'insecure', capCheck: n % 5 === 0 ? 'mismatch' : 'absent',
        source: { zone: org, serial: 1 }, confirmedAt: 1_700_000_000_000 + n,
      });
    }
  }
  return out;
}

async function pages(fetch: (cursor?: string) => Promise<AgentPage>): Promise<AgentPage[]> {
  const out: AgentPage[] = [];
  let cursor: string | undefined;
  do {
    const p = await fetch(cursor);
    out.push(p);
    cursor = p.nextCursor;
  } while (cursor !== undefined);
  return out;
}

t.test('reader threads and the in-process store give the same pages', async (t) => {
  const { file, store } = scratchStore(t, 'aop-dir-readers-');
  store.upsert(records(5, 60), 1);
  store.setProblems('org1.example', [{ code: 'ERR_DIRECTORY_TOO_MANY_AGENTS', message: 'too many', at: 5 }]);
  const readers = new DirectoryReaders(file, { threads: 2 });
  t.teardown(() => readers.close());
  await readers.ready();
  t.equal(readers.alive, 2, 'two reader threads started');
  const local = new StoreCatalog(store);
  const threaded = new StoreCatalog(readers);

  const lists: PageRequest[] = [
    { limit: 7 }, { limit: 50, organization: 'org2.example' }, { limit: 9, capability: 'Coding' },
    { limit: 11, transport: 'sse', verifiedOnly: true }, { limit: 1000 },
  ];
  for (const req of lists) {
    const a = await pages((cursor) => local.list({ ...req, ...(cursor ? { cursor } : {}) }));
    const b = await pages((cursor) => threaded.list({ ...req, ...(cursor ? { cursor } : {}) }));
    t.ok(a.length >= 1 && a[0]!.agents.length > 0, `list ${JSON.stringify(req)} has agents`);
    t.same(b, a, `list ${JSON.stringify(req)}: the same ${a.length} pages`);
    const names = await pages(async (cursor) => {
      const p = await threaded.listNames({ ...req, ...(cursor ? { cursor } : {}) });
      return { agents: p.names.map((name) => ({ name })) as AgentPage['agents'], total: p.total, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
    });
    t.same(names.map((p) => [p.agents.map((e) => e.name), p.total, p.nextCursor]), a.map((p) => [p.agents.map((e) => e.name), p.total, p.nextCursor]), `list_agents' names alone: the same pages and cursors`);
  }
  const searches: SearchRequest[] = [
    { query: 'haiku', fields: ['name', 'description', 'tags', 'capabilities', 'tools'], limit: 8 },
    { query: 'transl contracts', fields: ['capabilities', 'description'], limit: 5, organization: 'org3.example' },
    { query: 'a1', fields: ['name'], limit: 20, verifiedOnly: true },
    { query: 'do_genome', fields: ['tools'], limit: 4, transport: 'streamable-http' },
    { query: 'nothingmatchesthis', fields: ['name'], limit: 4 },
  ];
  for (const req of searches) {
    const a = await pages((cursor) => local.search({ ...req, ...(cursor ? { cursor } : {}) }));
    const b = await pages((cursor) => threaded.search({ ...req, ...(cursor ? { cursor } : {}) }));
    t.same(b, a, `search ${JSON.stringify(req.query)} ${JSON.stringify(req.fields)}: the same ${a.length} pages, ${a[0]!.total} matches`);
  }
  t.same(await threaded.find('a3.org4.example'), await local.find('a3.org4.example'), 'one agent by name');
  t.same(await threaded.find('a3_org4_example'), await local.find('a3_org4_example'), 'one agent by tool name');
  t.equal(await threaded.find('nobody.example'), undefined, 'an unknown agent is undefined, as in process');
  t.same(await threaded.info(), await local.info(), 'stats and problems');

  // A write on the crawler's connection: the readers' cached counts and pages are not kept past it.
  const before = (await threaded.list({ limit: 1 })).total;
  const haiku = { query: 'haiku', fields: ['description'] as SearchRequest['fields'], limit: 500 };
  const haikuBefore = await threaded.search(haiku);
  store.upsert(records(6, 60).slice(300), 2);
  const after = await threaded.list({ limit: 1 });
  t.equal(before, 300, 'the count before');
  t.equal(after.total, 360, 'a reader sees the writer\'s commit in its count');
  t.same(after, await local.list({ limit: 1 }), 'and the same page as in process');
  const haikuAfter = await threaded.search(haiku);
  t.equal(haikuAfter.total, haikuBefore.total + 12, 'a search asked again sees the new matches');
  t.same(haikuAfter, await local.search(haiku), 'the same as in process');
  store.removeOrg('org5.example');
  t.equal((await threaded.search(haiku)).total, haikuBefore.total, 'and a removal, in a search asked a third time');
  t.equal((await threaded.list({ limit: 1 })).total, 300, 'and in the count');
});
