// Without a directory database the list tools still paginate: the configured zones' snapshot
// (the bundled zones, served by the real daemon on a loopback /24 of the test's own) in pages
// with nextCursor, the filters applied, and a cursor of another request refused.

import t from 'tap';
import { copyZones, snapshotGateway } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

const json = (r: unknown): Record<string, any> => (r as { structuredContent: Record<string, any> }).structuredContent;

t.test('list tools paginate the configured zones', async (t) => {
  const net = await leaseNet(t);
  const address = net.host(1);
  const gateway = await snapshotGateway(t, copyZones(t, address), address);

  const all = json(await gateway.callTool('list_agents', {}));
  t.equal(all.total_count, 9);
  t.notOk('nextCursor' in all, 'one page: no cursor');
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const p = json(await gateway.callTool('list_agents', { limit: 2, ...(cursor ? { cursor } : {}) }));
    names.push(...p.agent_names);
    cursor = p.nextCursor;
    pages++;
  } while (cursor !== undefined);
  t.equal(pages, 5);
  t.same(names, all.agent_names, 'the pages, in order, are the whole list');

  const acme = json(await gateway.callTool('list_agents', { organization: 'acme.agents' }));
  t.same(acme.agent_names.sort(), ['editor.acme.agents', 'researcher.acme.agents', 'summarizer.acme.agents', 'translator.acme.agents', 'writer.acme.agents']);
  const coding = json(await gateway.callTool('discover_agents', { capability: 'CODE-REVIEW' }));
  t.same(coding.agents.map((a: { agent_name: string }) => a.agent_name), ['reviewer.globex.agents'], 'capability filter, any case');
  const verified = json(await gateway.callTool('list_agents', { verified_only: true }));
  t.same(verified.agent_names, [], 'nothing is DNSSEC-secure here');
  const first = json(await gateway.callTool('search_agents', { query: 'a', limit: 3 }));
  t.ok(first.total_matches > 3 && first.nextCursor, 'search pages too');
  const second = json(await gateway.callTool('search_agents', { query: 'a', limit: 3, cursor: first.nextCursor }));
  t.notSame(second.matching_agents.map((a: { agent_name: string }) => a.agent_name), first.matching_agents.map((a: { agent_name: string }) => a.agent_name));
  const wrong = await gateway.callTool('search_agents', { query: 'b', cursor: first.nextCursor });
  t.equal(wrong.isError, true);
  t.equal(json(wrong).error.code, 'ERR_GATEWAY_BAD_CURSOR', 'a cursor of another query');
  const junk = await gateway.callTool('list_agents', { cursor: 'not-a-cursor' });
  t.equal(json(junk).error.code, 'ERR_GATEWAY_BAD_CURSOR');
});
