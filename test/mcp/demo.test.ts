// The demo agents: one real MCP server per bundled agent endpoint, derived from the zone files
// (here copies with the agents on .1-.3 of a leased loopback /24, one address per subtest, so that no keep-alive
// connection of the global fetch outlives its server into the next subtest), each with its record's tool and description, a real
// input schema and deterministic output; shared ports routed by path; sessions as the spec says.

import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { rewrittenZones } from '../helpers/mcp-agents.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startDemoAgents } from '../../src/mcp/demo/index.js';
import { BUNDLED_ZONES } from '../../src/mcp/demo/index.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const HOST = NET.host(1);

const EXPECTED = [
  ['writer.acme.agents.', 'http://mcp.acme.agents:18101/agents/writer/mcp', 'draft_copy', { task: 'Draft a haiku' }],
  ['writer.acme.agents.', 'http://mcp-backup.acme.agents:18102/agents/writer/mcp', 'draft_copy', { task: 'Draft a haiku', tone: 'upbeat' }],
  ['editor.acme.agents.', 'http://mcp.acme.agents:18103/agents/editor/mcp', 'edit_text', { text: 'some text' }],
  ['translator.acme.agents.', 'http://lab.acme.agents:18104/mcp', 'translate', { text: 'good morning', target_language: 'de' }],
  ['researcher.acme.agents.', 'http://mcp.acme.agents:18105/agents/researcher/mcp', 'research', { topic: 'DNS' }],
  ['researcher.acme.agents.', 'http://lab.acme.agents:18106/agents/researcher/mcp', 'research', { topic: 'DNS' }],
  ['summarizer.acme.agents.', 'http://summarizer.acme.agents:18107/mcp', 'summarize', { text: 'A. B. C.' }],
  ['planner.globex.agents.', 'http://hub.globex.agents:18121/mcp', 'plan_project', { goal: 'ship it' }],
  ['coder.globex.agents.', 'http://hub.globex.agents:18122/agents/coder/mcp', 'write_code', { task: 'add two numbers' }],
  ['reviewer.globex.agents.', 'http://hub.globex.agents:18123/agents/reviewer/mcp', 'review_code', { code: 'let x: any = 1; // TODO' }],
] as const;

/** The URL of an endpoint at HOST: same port and path. */
const at = (url: string): URL => {
  const u = new URL(url);
  return new URL(`http://${HOST}:${u.port}${u.pathname}`);
};
const SHARED = NET.host(2);
const RAW = NET.host(3);

async function connect(t: Test, url: URL): Promise<Client> {
  const client = new Client({ name: 'demo-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url));
  t.teardown(() => client.close());
  return client;
}

t.test('every bundled agent endpoint is served, with its tool, schema and deterministic output', async (t) => {
  const zonesDir = rewrittenZones(t, HOST);
  const demo = await startDemoAgents({ zonesDir, host: HOST });
  t.teardown(() => demo.close());
  t.same(demo.agents.map((a) => [a.name, a.url, a.tool]).sort(), EXPECTED.map(([n, u, tool]) => [n, u, tool]).sort(), 'one entry per ServiceMode endpoint of the zones');
  t.equal(demo.listening.length, 10, 'one server per port');
  for (const [name, url, tool, args] of EXPECTED) {
    const client = await connect(t, at(url));
    const { tools } = await client.listTools();
    t.equal(tools.length, 1, `${url}: one tool`);
    t.equal(tools[0]!.name, tool, `${url}: the record's tool`);
    t.ok(tools[0]!.description && tools[0]!.description.length > 0, `${url}: described`);
    t.equal(tools[0]!.inputSchema.type, 'object');
    t.ok(Array.isArray(tools[0]!.inputSchema.required) && tools[0]!.inputSchema.required.length > 0, `${url}: required arguments`);
    const one = await client.callTool({ name: tool, arguments: args });
    const two = await client.callTool({ name: tool, arguments: args });
    t.notOk(one.isError, `${url}: ok`);
    t.same(one, two, `${url}: the same input gives the same output`);
    t.match((one.content as Array<{ text: string }>)[0]!.text, name.replace(/\.$/, ''), `${url}: names the agent`);
    const bad = await client.callTool({ name: tool, arguments: {} });
    t.equal(bad.isError, true, `${url}: missing arguments are an error result`);
  }
});

t.test('endpoints sharing a port share one server, routed by path', async (t) => {
  const zonesDir = rewrittenZones(t, SHARED, (text, file) => (file === 'acme.agents.zone' ? text.replace('port=18103', 'port=18101') : text));
  const demo = await startDemoAgents({ zonesDir, host: SHARED });
  t.teardown(() => demo.close());
  t.equal(demo.listening.filter((l) => l.endsWith(':18101')).length, 1, 'one server on 18101');
  t.notOk(demo.listening.some((l) => l.endsWith(':18103')), 'none on 18103');
  const writer = await connect(t, new URL(`http://${SHARED}:18101/agents/writer/mcp`));
  const editor = await connect(t, new URL(`http://${SHARED}:18101/agents/editor/mcp`));
  t.equal((await writer.listTools()).tools[0]!.name, 'draft_copy');
  t.equal((await editor.listTools()).tools[0]!.name, 'edit_text');
});

t.test('the HTTP side: sessions, methods, paths', async (t) => {
  const zonesDir = rewrittenZones(t, RAW);
  const demo = await startDemoAgents({ zonesDir, host: RAW });
  t.teardown(() => demo.close());
  const base = `http://${RAW}:18103`;
  const post = (p: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> => fetch(base + p, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  });
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
  t.equal((await fetch(`${base}/agents/editor/mcp`)).status, 405, 'GET: no standing SSE stream');
  t.equal((await post('/elsewhere', init)).status, 404, 'a path no record names');
  t.equal((await post('/agents/editor/mcp', { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status, 400, 'no session and not initialize');
  t.equal((await post('/agents/editor/mcp', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'nope' })).status, 404, 'an unknown session');
  const r = await post('/agents/editor/mcp', init);
  t.equal(r.status, 200, 'initialize');
  const sid = r.headers.get('mcp-session-id');
  t.ok(sid, 'a session id');
  await r.text();
  const del = await fetch(`${base}/agents/editor/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sid!, 'mcp-protocol-version': '2025-06-18' } });
  t.equal(del.status, 200, 'DELETE ends the session');
  t.equal((await post('/agents/editor/mcp', { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-session-id': sid!, 'mcp-protocol-version': '2025-06-18' })).status, 404, 'then it is gone');
  const junk = await fetch(`${base}/agents/editor/mcp`, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
  t.equal(junk.status, 400, 'a body that is not JSON');
});

t.test('options', async (t) => {
  t.ok(existsSync(path.join(BUNDLED_ZONES, 'acme.agents.zone')), 'the default zones folder is the bundled one');
  await t.rejects(startDemoAgents({ zonesDir: BUNDLED_ZONES, host: '192.0.2.1' }), /not a loopback address/);
  await t.rejects(startDemoAgents({ zonesDir: path.join(BUNDLED_ZONES, 'nope') }), /no zone loaded/);
});
