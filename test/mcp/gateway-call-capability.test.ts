// call_agent with a capability instead of a name: of the agents the directory lists, the best one
// offering it is called (agents whose reachability is not known are probed first); with its host
// stopped the other is chosen; with every one stopped, ERR_ENDPOINT_UNREACHABLE; a capability no
// agent offers is ERR_AGENT_NOT_FOUND; name and capability together are a usage error. Real
// sockets: a daemon and demo agents on a leased loopback /24, the gateway in-process.

import t from 'tap';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { parseListen } from '../../src/server/listen.js';
import { HandOff } from '../../src/mcp/handoff.js';
import { AgentDirectory, Gateway, ResolverLookup } from '../../src/mcp/gateway/index.js';
import { healthWorld } from '../health/world.js';

const meta = (r: CallToolResult) => (r._meta ?? {}) as Record<string, unknown>;
const code = (r: CallToolResult) => (r.structuredContent as { error?: { code?: string } } | undefined)?.error?.code;

t.test('call_agent by capability picks a reachable agent offering it', async (t) => {
  const net = await leaseNet(t);
  const w = healthWorld(t, net, {
    agents: [
      { label: 'translator', host: 'a', capabilities: 'translation,multilingual' },
      { label: 'linguist', host: 'b', capabilities: 'translation' },
      { label: 'writer', host: 'a', capabilities: 'writing' },
    ],
  });
  await w.start('a');
  await w.start('b');
  const { daemon } = await startDaemon(t, { zonesDir: w.zonesDir, listen: [parseListen(`${w.hosts.dns}:0`)] });
  const lookup = new ResolverLookup(daemon);
  const handOff = new HandOff({ lookup, timeoutMs: 20_000, retries: 0, connectTimeoutMs: 10_000, loopbackZones: ['hz.agents'] });
  t.teardown(() => handOff.close());
  const directory = new AgentDirectory({ lookup, client: handOff, zones: () => ['hz.agents'] });
  const gateway = new Gateway({ client: handOff, directory });
  t.teardown(() => gateway.close());
  const call = (args: Record<string, unknown>) => gateway.callTool('call_agent', args);

  const first = await call({ capability: 'translation', arguments: { task: 'hola' } });
  t.notOk(first.isError, `called: ${JSON.stringify(first.structuredContent ?? first.content).slice(0, 200)}`);
  t.same([...(meta(first)['aop/candidates'] as string[])].sort(), ['linguist.hz.agents', 'translator.hz.agents'], 'both translators are candidates, the writer is not');
  t.ok(['linguist.hz.agents', 'translator.hz.agents'].includes(meta(first)['aop/agent'] as string), `one of them answered: ${String(meta(first)['aop/agent'])}`);
  t.equal(meta(first)['aop/verified'], false, 'neither is verified here (unsigned zone, no cap-sha256): said in _meta');
  const resolved = (await gateway.callTool('resolve_agent', { name: 'translator.hz.agents' })).structuredContent as { state: { registered: boolean; reachable: boolean | null } };
  t.match(resolved.state, { registered: true, reachable: true }, 'resolve_agent shows the states: the probe made choosing counts');

  await w.stop('b');
  // What the hand-off knows of linguist is still "answered": the call fails over to the other agent.
  for (let i = 0; i < 2; i++) {
    const r = await call({ capability: 'translation', arguments: { task: 'hola' } });
    t.notOk(r.isError, 'called');
    t.equal(meta(r)['aop/agent'], 'translator.hz.agents', `b stopped: translator answers (call ${i + 1})`);
  }
  const probed = (await gateway.callTool('resolve_agent', { name: 'linguist.hz.agents', probe: true })).structuredContent as { state: { reachable: boolean | null; endpoints: Array<{ reachable: boolean | null; source?: string }> } };
  t.match(probed.state, { reachable: false }, 'resolve_agent with probe: true: linguist not reachable');
  t.equal(probed.state.endpoints[0]?.source, 'probe', 'judged by the probe just made');

  await w.stop('a');
  const none = await call({ capability: 'translation', arguments: { task: 'hola' } });
  t.equal(none.isError, true, 'every translator stopped: an error');
  t.equal(code(none), 'ERR_ENDPOINT_UNREACHABLE', `ERR_ENDPOINT_UNREACHABLE: ${JSON.stringify(none.content)}`);

  const nobody = await call({ capability: 'astrology' });
  t.equal(code(nobody), 'ERR_AGENT_NOT_FOUND', 'no agent offers it');
  t.match((nobody.structuredContent as { error: { message: string } }).error.message, /offers capability "astrology"/);
  t.equal(code(await call({ capability: 'translation', name: 'translator.hz.agents' })), 'ERR_HANDOFF_USAGE', 'name and capability together: usage');
  t.equal(code(await call({})), 'ERR_HANDOFF_USAGE', 'neither: usage');
});
