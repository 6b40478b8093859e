// With --directory-db the page's JSON reads the directory store, as the MCP list tools do: the
// bundled zones crawled (AXFR from the real daemon) into a store, then /api/agents searched
// (FTS ranking, cursors), filtered, and /api/agent of a crawled agent with its store fields.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Crawler, DirectoryStore, StoreCatalog } from '../../src/directory/index.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { AgentDirectory, Gateway, type AgentClient } from '../../src/mcp/gateway/index.js';
import { startGatewayHttp } from '../../src/mcp/gateway/http.js';
import { copyZones, zonesDaemon } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

t.test('/api/agents over the directory store', async (t) => {
  const net = await leaseNet(t);
  const address = net.host(1);
  const { server } = await zonesDaemon(t, copyZones(t, address), address, { transfers: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-web-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lookup = new NetworkLookup(server);
  const store = DirectoryStore.open(path.join(dir, 'd.db'));
  t.teardown(() => store.close());
  const crawler = new Crawler({ store, lookup, root: 'agents.', rootServers: [server], transferServers: () => [server], allowLoopback: true });
  t.teardown(() => crawler.close());
  await crawler.crawlOnce();
  const none: AgentClient = { resolve: async () => { throw new Error('not resolved here'); }, call: async () => { throw new Error('no'); }, listTools: async () => [] };
  const gateway = new Gateway({ client: none, directory: new AgentDirectory({ lookup, client: none, zones: () => [] }), catalog: new StoreCatalog(store) });
  t.teardown(() => gateway.close());
  const http = await startGatewayHttp(gateway, { host: '127.0.0.1', port: 0 });
  t.teardown(() => http.close());
  const api = async (q: string): Promise<[number, any]> => {
    const r = await fetch(`http://127.0.0.1:${http.port}${q}`);
    return [r.status, await r.json()];
  };

  const [, hit] = await api('/api/agents?q=translate');
  t.equal(hit.agents[0].name, 'translator.acme.agents', 'ranked: the translator first');
  const [, all] = await api('/api/agents?limit=4');
  t.equal(all.total, 9);
  t.ok(all.nextCursor, 'more pages');
  const [, next] = await api(`/api/agents?limit=4&cursor=${encodeURIComponent(all.nextCursor)}`);
  t.notSame(next.agents.map((a: { name: string }) => a.name), all.agents.map((a: { name: string }) => a.name), 'the next page');
  const [code, wrong] = await api(`/api/agents?limit=4&q=code&cursor=${encodeURIComponent(all.nextCursor)}`);
  t.same([code, wrong.error.code], [400, 'ERR_GATEWAY_BAD_CURSOR'], 'a cursor of another request');
  const [qc, q] = await api('/api/agents?q=!!!');
  t.same([qc, q.error.code], [400, 'ERR_DIRECTORY_QUERY'], 'a query of no words, as search_agents says it');
  const [, globex] = await api('/api/agents?organization=globex.agents&capability=code-review');
  t.same(globex.agents.map((a: { name: string }) => a.name), ['reviewer.globex.agents']);
  const [oc, one] = await api('/api/agent?name=writer.acme.agents');
  t.equal(oc, 200);
  t.equal(one.agent.organization, 'acme.agents');
  t.ok(one.agent.endpoints.length >= 1, 'its endpoints');
  t.match(one.agent.state, { registered: true, verified: false });
});
