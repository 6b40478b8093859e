// The crawler over the bundled zones, served by the real daemon on a loopback address of the
// test's own: the root's delegations by AXFR, each organisation by AXFR and by queries alone (the
// same agents either way), search and pagination through the gateway's tools, a change seen at
// the next serial, and the index kept across a restart.

import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Crawler, DirectoryStore, StoreCatalog } from '../../src/directory/index.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { AgentDirectory, Gateway } from '../../src/mcp/gateway/index.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { copyZones } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

const AGENTS = ['coder.globex.agents', 'copyedit.globex.agents', 'editor.acme.agents', 'planner.globex.agents', 'researcher.acme.agents',
  'reviewer.globex.agents', 'summarizer.acme.agents', 'translator.acme.agents', 'writer.acme.agents'];

const json = (r: unknown): Record<string, any> => JSON.parse(((r as { content: Array<{ text: string }> }).content[0]!).text) as Record<string, any>;

t.test('crawl of the bundled zones', async (t) => {
  const net = await leaseNet(t);
  const address = net.host(1);
  const zonesDir = copyZones(t, address);
  const daemon = new Daemon({ zonesDir, listen: [parseListen(`${address}:0`)], transfers: { allow: ['127.0.0.0/8'] } });
  await daemon.start();
  t.teardown(() => daemon.close());
  const port = daemon.listeners[0]!.address.port;
  const server = { address, port };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lookup = new NetworkLookup(server);
  const crawlerFor = (store: DirectoryStore, transfer: boolean): Crawler => new Crawler({
    store, lookup, root: 'agents.', rootServers: [server], transfer, transferServers: () => [server], allowLoopback: true, minRefreshMs: 1,
  });

  const file = path.join(dir, 'directory.db');
  let store = DirectoryStore.open(file);
  let crawler = crawlerFor(store, true);
  const first = await crawler.crawlOnce();
  t.same(first.rootProblems, [], 'the root transferred');
  t.same(first.zones.map((z) => [z.zone, z.outcome, z.method]), [['acme.agents', 'crawled', 'axfr'], ['globex.agents', 'crawled', 'axfr']], 'both delegations, by AXFR');
  t.same(store.list({}, undefined, 100).map((a) => a.name), AGENTS, 'every agent of both indexes');
  const copyedit = store.get('copyedit.globex.agents')!;
  t.equal(copyedit.org, 'globex.agents', 'an alias into another organisation stays its own entry, in its own organisation');
  t.equal(store.get('editor.acme.agents')!.org, 'acme.agents');
  const writer = store.get('writer.acme.agents')!;
  t.same(writer.tools.map((x) => x.name), ['draft_copy']);
  t.equal(writer.source.zone, 'acme.agents');
  t.equal(writer.source.server, `${address}:${port}`);
  t.ok(writer.source.serial! > 0, 'the serial it was read at');
  t.equal(writer.dnssec, 'unverified', 'no validating resolver here');
  await crawler.close();

  // The same agents by queries alone (no transfer), into a second file.
  const byQueries = DirectoryStore.open(path.join(dir, 'queries.db'));
  const qc = crawlerFor(byQueries, false);
  const q = await qc.crawlOnce();
  t.same(q.zones.map((z) => [z.zone, z.outcome, z.method]), [['acme.agents', 'crawled', 'queries'], ['globex.agents', 'crawled', 'queries']]);
  t.same(byQueries.list({}, undefined, 100).map((a) => a.name), AGENTS, 'the same agents as by transfer');
  t.same(byQueries.get('translator.acme.agents')!.capabilities, store.get('translator.acme.agents')!.capabilities);
  await qc.close();
  byQueries.close();

  // Search and pagination through the gateway's tools.
  const gateway = new Gateway({
    client: { resolve: async () => { throw new Error('no'); }, call: async () => { throw new Error('no'); }, listTools: async () => [] },
    directory: new AgentDirectory({ lookup, client: { resolve: async () => { throw new Error('no'); }, call: async () => { throw new Error('no'); }, listTools: async () => [] }, zones: () => [] }),
    catalog: new StoreCatalog(store),
  });
  t.teardown(() => gateway.close());
  const hit = json(await gateway.callTool('search_agents', { query: 'translate' }));
  t.equal(hit.matching_agents[0].agent_name, 'translator.acme.agents', 'the translator first');
  t.ok(hit.matching_agents[0].verification, 'with its verification state');
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = json(await gateway.callTool('list_agents', { limit: 4, ...(cursor ? { cursor } : {}) }));
    t.equal(r.total_count, 9);
    names.push(...r.agent_names);
    cursor = r.nextCursor;
    pages++;
  } while (cursor !== undefined);
  t.equal(pages, 3, 'nine agents, four a page');
  t.same(names, AGENTS, 'every agent once, in name order');
  const globex = json(await gateway.callTool('list_agents', { organization: 'globex.agents' }));
  t.same(globex.agent_names, AGENTS.filter((n) => n.endsWith('globex.agents')));
  const bad = await gateway.callTool('list_agents', { organization: 'acme.agents', cursor: json(await gateway.callTool('list_agents', { limit: 1 })).nextCursor });
  t.equal((bad.structuredContent as { error: { code: string } }).error.code, 'ERR_GATEWAY_BAD_CURSOR', 'a cursor of another filter is refused');
  const none = await gateway.callTool('search_agents', { query: '!!!' });
  t.equal((none.structuredContent as { error: { code: string } }).error.code, 'ERR_DIRECTORY_QUERY');

  // Restart: the index is on disk; the serials have not moved, so nothing is read again.
  store.close();
  store = DirectoryStore.open(file);
  t.same(store.list({}, undefined, 100).map((a) => a.name), AGENTS, 'kept across a restart');
  crawler = crawlerFor(store, true);
  const again = await crawler.crawlOnce({ force: false });
  t.same(again.zones.map((z) => z.outcome), ['unchanged', 'unchanged'], 'same serials: nothing read again');

  // A change: a new agent, one gone, a new serial; seen at the next check.
  const acme = path.join(zonesDir, 'acme.agents.zone');
  const text = readFileSync(acme, 'utf8')
    .replace(/(\d{10})(\s*;\s*serial)/, (_m, s: string, rest: string) => `${Number(s) + 1}${rest}`)
    .replace(/^_index\._agents\s+IN PTR\s+writer\.acme\.agents\.\n/m, '_index._agents   IN PTR   poet.acme.agents.\n')
    + `poet IN SVCB 1 mcp.acme.agents. ( alpn="mcp" port=18199 key65320="/poet" key65321="streamable-http" key65322="write_poem" key65323="poetry" key65324="Writes poems" key65326="http" )\n`;
  writeFileSync(acme, text);
  await daemon.reloadAsync();
  const changed = await crawler.crawlOnce({ force: false });
  t.same(changed.zones.map((z) => [z.zone, z.outcome]), [['acme.agents', 'crawled'], ['globex.agents', 'unchanged']]);
  t.equal(changed.zones[0]!.removed, 1, 'writer left the index');
  t.notOk(store.get('writer.acme.agents'), 'and the directory');
  t.same(store.get('poet.acme.agents')?.capabilities, ['poetry'], 'the new agent is in');
  t.same(store.search('"poem"*', {}, 0, 10).map((a) => a.name), ['poet.acme.agents'], 'and found by its tool');
  await crawler.close();
  store.close();
});
