// reachable_only on list_agents, discover_agents, search_agents and the web page's /api/agents:
// only agents an endpoint of which has answered. Reachability is what the hand-off has seen, so
// the gateway reads catalog pages on past the agents not known to answer: with limit 1, the one
// reachable agent comes back even when it is the last of the catalog in name order; an agent
// whose endpoints all failed, and ones never tried, are left out. Real sockets: a daemon and
// demo agents on a leased loopback /24, the gateway in-process.

import t from 'tap';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { parseListen } from '../../src/server/listen.js';
import { HandOff } from '../../src/mcp/handoff.js';
import { AgentDirectory, Gateway, ResolverLookup } from '../../src/mcp/gateway/index.js';
import { healthWorld } from '../health/world.js';

const body = (r: CallToolResult) => r.structuredContent as Record<string, any>;

t.test('reachable_only reads on to the agents that answered', async (t) => {
  const net = await leaseNet(t);
  // Name order: alpha, beta (host b, down), gamma (never tried), zulu (host a, called).
  const w = healthWorld(t, net, {
    agents: [
      { label: 'alpha', host: 'b', capabilities: 'writing' },
      { label: 'beta', host: 'b', capabilities: 'writing' },
      { label: 'gamma', host: 'a', capabilities: 'writing' },
      { label: 'zulu', host: 'a', capabilities: 'writing' },
    ],
  });
  await w.start('a');
  const { daemon } = await startDaemon(t, { zonesDir: w.zonesDir, listen: [parseListen(`${w.hosts.dns}:0`)] });
  const lookup = new ResolverLookup(daemon);
  const handOff = new HandOff({ lookup, timeoutMs: 20_000, retries: 0, connectTimeoutMs: 10_000, loopbackZones: ['hz.agents'] });
  t.teardown(() => handOff.close());
  const gateway = new Gateway({ client: handOff, directory: new AgentDirectory({ lookup, client: handOff, zones: () => ['hz.agents'] }) });
  t.teardown(() => gateway.close());
  const tool = (name: string, args: Record<string, unknown>) => gateway.callTool(name, args);

  const all = body(await tool('list_agents', {}));
  t.same(all.agent_names, ['alpha.hz.agents', 'beta.hz.agents', 'gamma.hz.agents', 'zulu.hz.agents'], 'four agents listed');
  const none = body(await tool('list_agents', { reachable_only: true }));
  t.same(none.agent_names, [], 'nothing called yet: none known to answer');
  t.equal(none.nextCursor, undefined, 'and the catalog read to its end');

  const called = await tool('call_agent', { name: 'zulu.hz.agents', arguments: { task: 'hi' } });
  t.notOk(called.isError, 'zulu answered');
  const down = await tool('call_agent', { name: 'beta.hz.agents', arguments: { task: 'hi' } });
  t.ok(down.isError, 'beta\'s endpoint refused');

  const one = body(await tool('list_agents', { reachable_only: true, limit: 1 }));
  t.same(one.agent_names, ['zulu.hz.agents'], 'limit 1: the last in name order, read past three that are not reachable');
  t.equal(one.total_count, 4, 'total_count counts every match');
  t.equal(one.nextCursor, undefined, 'no more pages');
  const disc = body(await tool('discover_agents', { reachable_only: true }));
  t.same(disc.agents.map((a: { agent_name: string }) => a.agent_name), ['zulu.hz.agents'], 'discover_agents too');
  const found = body(await tool('search_agents', { query: 'zulu', reachable_only: true }));
  t.same(found.matching_agents.map((a: { agent_name: string }) => a.agent_name), ['zulu.hz.agents'], 'search_agents too');
  const missed = body(await tool('search_agents', { query: 'beta', reachable_only: true }));
  t.same(missed.matching_agents, [], 'an agent whose endpoints failed is left out');
  const page = await gateway.page({ reachable_only: true, limit: 20 });
  t.same(page.agents.map((e) => e.name), ['zulu.hz.agents'], 'the web page reads the same pages');
});
