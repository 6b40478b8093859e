// The gateway beside a daemon that serves only the root `agents.` (issue 13): docs/mcp.md says
// that is enough to list the delegated organisations' agents. With the resolver on, initech's
// index is read through the delegation (in-process, ResolverLookup) and its agent is listed and
// callable; the organisation whose server is down shows in zone_problems. Without the resolver
// every delegated index is a referral, and each shows in zone_problems: never a silent empty list.

import t from 'tap';
import { HandOff } from '../../src/mcp/handoff.js';
import { AgentDirectory, Gateway, ResolverLookup, startGatewayHttp, zonesFromCatalog } from '../../src/mcp/gateway/index.js';
import type { Daemon } from '../../src/server/daemon.js';
import { connect, json, text } from '../helpers/gateway.js';
import { startDelegatedOrg, startRoot } from '../helpers/delegated-org.js';

async function gateway(t: Parameters<typeof connect>[0], daemon: Daemon, host: string) {
  const lookup = new ResolverLookup(daemon);
  const handOff = new HandOff({ loopbackZones: 'any', lookup, timeoutMs: 20_000, retries: 1, backoffMs: 10, connectTimeoutMs: 10_000 });
  t.teardown(() => handOff.close());
  const directory = new AgentDirectory({ lookup, client: handOff, zones: () => zonesFromCatalog(daemon.catalog.list()) });
  const gw = new Gateway({ client: handOff, directory, callTimeoutMs: 20_000, retries: 1 });
  t.teardown(() => gw.close());
  const http = await startGatewayHttp(gw, { host, port: 0 });
  t.teardown(() => http.close());
  return connect(t, http.url);
}

t.test('the gateway of a daemon serving only agents.', async (t) => {
  const world = await startDelegatedOrg(t);
  if (!world) return;

  t.test('with the resolver on: the delegated organisation\'s agents are listed and callable', async (t) => {
    const root = await startRoot(t, world);
    const client = await gateway(t, root.daemon, world.lease.host(1));
    const list = json(await client.callTool({ name: 'list_agents', arguments: {} }));
    t.same(list.agent_names, ['analyst.initech.agents'], 'initech\'s index, read through the delegation');
    const info = json(await client.callTool({ name: 'get_server_info', arguments: {} })).server_info;
    t.same(info.zones, ['agents', 'down.agents', 'initech.agents'], 'the served zone and the zones it delegates');
    t.equal(info.zone_problems.length, 1, JSON.stringify(info.zone_problems));
    t.match(info.zone_problems[0], { zone: 'down.agents', code: 'ERR_LOOKUP_FAILED', message: /^_index\._agents\.down\.agents\. PTR: the daemon \(in-process\) answered SERVFAIL$/ }, 'the organisation whose server is down');
    const r = await client.callTool({ name: 'call_agent', arguments: { name: 'analyst.initech.agents', arguments: { text: 'Up. Down.' } } });
    t.notOk(r.isError, text(r));
    t.match(text(r), /^Summary by analyst\.initech\.agents/);
  });

  t.test('without the resolver: every delegated index is a referral, reported per zone', async (t) => {
    const root = await startRoot(t, world, { resolver: false });
    const client = await gateway(t, root.daemon, world.lease.host(1));
    const list = json(await client.callTool({ name: 'list_agents', arguments: {} }));
    t.same(list.agent_names, []);
    const info = json(await client.callTool({ name: 'get_server_info', arguments: {} })).server_info;
    t.same(info.zone_problems.map((p: { zone: string; code: string }) => [p.zone, p.code]), [['down.agents', 'ERR_LOOKUP_REFERRAL'], ['initech.agents', 'ERR_LOOKUP_REFERRAL']]);
    t.equal(info.zone_problems[1].message, '_index._agents.initech.agents. PTR: the daemon (in-process) answered with a referral to initech.agents (ns1.initech.agents.); ask a recursive resolver or a server for initech.agents');
  });
});
