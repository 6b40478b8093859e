// The gateway's per-agent tools (--mcp-agent-tools): one tool per agent in the indexes, named
// from its DNS name, with the input schema its own endpoint lists; re-read when the directory
// expires, with notifications/tools/list_changed when the set changes. On a leased loopback /24.

import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, copyZones, json, startStack, text } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOSTS = NET.host(2);

t.test('one tool per agent, schemas from the endpoints, list_changed on TTL expiry', async (t) => {
  const zonesDir = copyZones(t, HOSTS);
  let clock = Date.parse('2026-11-25T12:00:00Z');
  const stack = await startStack(t, { zonesDir, dnsAddress: DNS, agentTools: true, zones: ['acme.agents', 'globex.agents'], now: () => clock });
  const client = await connect(t, stack.url);

  const { tools } = await client.listTools();
  const agentTools = tools.slice(8).map((x) => x.name);
  t.same(agentTools, ['writer_acme_agents', 'editor_acme_agents', 'translator_acme_agents', 'researcher_acme_agents', 'summarizer_acme_agents', 'planner_globex_agents', 'coder_globex_agents', 'reviewer_globex_agents', 'copyedit_globex_agents']);
  t.same(tools.slice(0, 8).map((x) => x.name), ['resolve_agent', 'call_agent', 'discover_agents', 'list_agents', 'search_agents', 'get_agent_details', 'get_agents_info', 'get_server_info'], 'after the eight fixed tools');
  const writer = tools.find((x) => x.name === 'writer_acme_agents')!;
  t.same(writer.inputSchema.required, ['task'], "the schema is the endpoint's: draft_copy requires task");
  t.ok(writer.inputSchema.properties?.tone, 'and has its optional tone');
  t.match(writer.description, /Drafts marketing copy — agent writer\.acme\.agents, tool draft_copy/);
  const translator = tools.find((x) => x.name === 'translator_acme_agents')!;
  t.same((translator.inputSchema.required ?? []).slice().sort(), ['target_language', 'text']);

  const r = await client.callTool({ name: 'writer_acme_agents', arguments: { task: 'Write a slogan' } });
  t.notOk(r.isError, text(r));
  t.match(text(r), /^Draft by writer\.acme\.agents/);
  const bad = await client.callTool({ name: 'writer_acme_agents', arguments: { tone: 'loud' } });
  t.equal(bad.isError, true, "arguments the agent's schema refuses: the agent's error");
  t.equal(json(bad).error.code, 'ERR_TOOL_ERROR');

  // The index changes; nothing is announced until the directory's TTL (300 s) runs out.
  const file = path.join(zonesDir, 'acme.agents.zone');
  const zone = readFileSync(file, 'utf8').replace('2026112501 ; serial', '2026112502 ; serial').replace(/\n\s+IN PTR\s+summarizer\.acme\.agents\./, '').replace('summarizer:mcp,', '');
  writeFileSync(file, zone);
  stack.daemon.reload();
  let changed = 0;
  const notified = new Promise<void>((resolve) => {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; resolve(); });
  });
  t.equal((await client.listTools()).tools.length, tools.length, 'still cached before the TTL');
  clock += 301_000;
  const after = (await client.listTools()).tools.map((x) => x.name);
  t.notOk(after.includes('summarizer_acme_agents'), 'gone after the TTL');
  t.ok(after.includes('writer_acme_agents'));
  // It comes at once; 30 s is a backstop for a loaded machine.
  await Promise.race([notified, new Promise((_, reject) => setTimeout(() => reject(new Error('no tools/list_changed within 30 s')), 30_000).unref())]);
  t.equal(changed, 1, 'one tools/list_changed notification');
  await t.rejects(client.callTool({ name: 'summarizer_acme_agents', arguments: { text: 'x' } }), /not found/, 'the removed agent is no longer a tool');

  // Without --mcp-agent-tools the agents are not tools.
  t.equal((await client.callTool({ name: 'call_agent', arguments: { name: 'summarizer.acme.agents', arguments: { text: 'One. Two. Three.' } } })).isError, undefined, 'call_agent still reaches an unlisted agent');
});
