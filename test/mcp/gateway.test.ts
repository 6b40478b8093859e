// The gateway end to end over Streamable HTTP with the SDK's own client: every tool, call_agent
// through the DNS to the demo agents, every hand-off error as a tool error with its code, the
// Swarms AOP result shapes, and the HTTP rules (path, sessions, DNS-rebinding protection).
// A leased loopback /24: DNS and gateway on .1, the zones' hosts moved to .2.

import t, { type Test } from 'tap';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { startGatewayHttp } from '../../src/mcp/gateway/index.js';
import { connect, copyZones, json, startStack, text } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOSTS = NET.host(2);

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

/** An MCP server with a slow tool and a failing tool (stateless: a server per request). */
async function faultyAgent(t: Test): Promise<number> {
  const http = createServer((req, res) => {
    const mcp = new McpServer({ name: 'faulty', version: '0' });
    mcp.registerTool('slow', { inputSchema: { task: z.string().optional() } }, async (_a, extra) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        extra.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); });
      });
      return { content: [{ type: 'text', text: 'late' }] };
    });
    mcp.registerTool('fail', { inputSchema: { task: z.string().optional() } }, async () => ({ isError: true, content: [{ type: 'text', text: 'the agent gave up' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => { void transport.close(); void mcp.close(); });
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  const port = await listen(http, HOSTS);
  t.teardown(() => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }));
  return port;
}

/** Answers every request with 200 and plain text: not MCP. */
async function garbageServer(t: Test): Promise<number> {
  const http = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }).end('hello, I am not an MCP server'); });
  const port = await listen(http, HOSTS);
  t.teardown(() => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }));
  return port;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s, HOSTS);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const svcb = (owner: string, target: string, port: number, tool: string, scheme = 'http'): string =>
  `${owner} IN SVCB 1 ${target} alpn="mcp" port=${port} key65320="/mcp" key65321="streamable-http" key65322="${tool}" key65324="${owner} test agent" key65326="${scheme}"`;

async function faultsZone(t: Test): Promise<string> {
  const mcp = await faultyAgent(t);
  const garbage = await garbageServer(t);
  const closed = await closedPort();
  return [
    '$ORIGIN faults.agents.',
    '$TTL 300',
    '@ 3600 IN SOA ns1.faults.agents. hostmaster.faults.agents. 1 3600 900 604800 300',
    '@ 3600 IN NS ns1',
    `ns1 IN A ${DNS}`,
    `host IN A ${HOSTS}`,
    'remote IN A 192.0.2.1',
    svcb('down', 'host.faults.agents.', closed, 'x'),
    svcb('garbage', 'host.faults.agents.', garbage, 'x'),
    svcb('slow', 'host.faults.agents.', mcp, 'slow'),
    svcb('failing', 'host.faults.agents.', mcp, 'fail'),
    svcb('badtool', 'host.faults.agents.', mcp, 'no_such_tool'),
    svcb('refused', 'remote.faults.agents.', 80, 'x'),
    `norecord IN A ${HOSTS}`,
    // A CNAME into another organisation's zone: the card is editor.acme.agents', from acme.agents.
    'editing IN CNAME editor.acme.agents.',
    '_index._agents IN PTR slow.faults.agents.',
    '               IN PTR writer.acme.agents.',
    '',
  ].join('\n');
}

t.test('the gateway over Streamable HTTP', async (t) => {
  const zonesDir = copyZones(t, HOSTS);
  const stack = await startStack(t, { zonesDir, dnsAddress: DNS, extraZones: { 'faults.agents.zone': await faultsZone(t) } });
  const client = await connect(t, stack.url);

  t.test('tools/list: the fixed tools, each with an object input schema', async (t) => {
    const { tools } = await client.listTools();
    t.same(tools.map((x) => x.name).sort(), ['call_agent', 'discover_agents', 'get_agent_details', 'get_agents_info', 'get_server_info', 'list_agents', 'resolve_agent', 'search_agents']);
    for (const tool of tools) {
      t.equal(tool.inputSchema.type, 'object', `${tool.name}: object schema`);
      t.ok(tool.description, `${tool.name}: described`);
    }
    const call = tools.find((x) => x.name === 'call_agent')!;
    // name or capability, one of them: said in the descriptions (a top-level oneOf is refused by some model APIs).
    t.equal(call.inputSchema.required, undefined);
    t.ok(call.inputSchema.properties?.name && call.inputSchema.properties?.capability, 'call_agent takes a name or a capability');
    t.ok(call.inputSchema.properties?.arguments, 'call_agent takes arguments');
  });

  t.test('resolve_agent: the agent card', async (t) => {
    const r = await client.callTool({ name: 'resolve_agent', arguments: { name: 'writer.acme.agents' } });
    t.notOk(r.isError);
    const card = json(r);
    t.equal(card.name, 'writer.acme.agents');
    t.equal(card.tool, 'draft_copy');
    t.same(card.endpoints.map((e: { url: string }) => e.url), ['http://mcp.acme.agents:18101/agents/writer/mcp', 'http://mcp-backup.acme.agents:18102/agents/writer/mcp']);
    t.same(card.capabilities, ['writing', 'marketing']);
    t.equal(card.ttl, 300);
    t.equal(card.zone, 'acme.agents', 'the source zone');
  });

  t.test('resolve_agent: the card names the zone of its records, after aliases', async (t) => {
    const cases: Array<[string, string, string]> = [
      ['researcher.acme.agents', 'researcher.acme.agents', 'acme.agents'],
      ['planner.globex.agents', 'planner.globex.agents', 'globex.agents'],
      ['slow.faults.agents', 'slow.faults.agents', 'faults.agents'],
      ['copyedit.globex.agents', 'editor.acme.agents', 'acme.agents'],
      ['editing.faults.agents', 'editor.acme.agents', 'acme.agents'],
    ];
    for (const [name, owner, zone] of cases) {
      const r = await client.callTool({ name: 'resolve_agent', arguments: { name } });
      t.notOk(r.isError, `${name}: ${text(r).slice(0, 200)}`);
      t.match(json(r), { name: owner, zone }, `${name}: ${owner}'s card, zone ${zone}`);
    }
  });

  t.test('call_agent: through the DNS to the demo agent, content passed through', async (t) => {
    const r = await client.callTool({ name: 'call_agent', arguments: { name: 'writer.acme.agents', arguments: { task: 'Draft a haiku about DNS' } } });
    t.notOk(r.isError, text(r));
    t.match(text(r), /^Draft by writer\.acme\.agents \(tone: plain\)\nTask: Draft a haiku about DNS\n/);
    t.equal(r._meta?.['aop/agent'], 'writer.acme.agents');
    t.equal(r._meta?.['aop/endpoint'], 'http://mcp.acme.agents:18101/agents/writer/mcp');
    // Across zones, through an AliasMode alias into another organisation.
    const alias = await client.callTool({ name: 'call_agent', arguments: { name: 'copyedit.globex.agents', arguments: { text: 'hello  world' } } });
    t.notOk(alias.isError, text(alias));
    t.match(text(alias), /^Edited by editor\.acme\.agents/);
    const planner = await client.callTool({ name: 'call_agent', arguments: { name: 'planner.globex.agents.', arguments: { goal: 'Launch the site' } } });
    t.notOk(planner.isError, text(planner));
    t.match(text(planner), /planner\.globex\.agents/);
  });

  t.test('every hand-off error is a tool error carrying its code', async (t) => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a name that does not exist', { name: 'nobody.acme.agents' }, 'ERR_AGENT_NOT_FOUND'],
      ['a name without an agent record', { name: 'norecord.faults.agents' }, 'ERR_NO_AGENT_RECORD'],
      ['an endpoint nobody listens on', { name: 'down.faults.agents' }, 'ERR_ENDPOINT_UNREACHABLE'],
      ['a tool the endpoint does not have', { name: 'badtool.faults.agents' }, 'ERR_TOOL_MISSING'],
      ['an agent that answers isError', { name: 'failing.faults.agents' }, 'ERR_TOOL_ERROR'],
      ['a call past its deadline', { name: 'slow.faults.agents', timeout_ms: 300 }, 'ERR_CALL_TIMEOUT'],
      ['plain http to a non-loopback address', { name: 'refused.faults.agents' }, 'ERR_ENDPOINT_REFUSED'],
      ['a name no server answers for (REFUSED)', { name: 'x.example' }, 'ERR_LOOKUP_FAILED'],
      ['an endpoint that does not speak MCP', { name: 'garbage.faults.agents' }, 'ERR_BAD_AGENT_REPLY'],
      ['a malformed name', { name: 'not a name!' }, 'ERR_HANDOFF_USAGE'],
      ['a timeout out of range', { name: 'writer.acme.agents', timeout_ms: 0 }, 'ERR_HANDOFF_USAGE'],
    ];
    for (const [what, args, code] of cases) {
      const r = await client.callTool({ name: 'call_agent', arguments: args });
      t.equal(r.isError, true, `${what}: isError`);
      t.equal(json(r).error?.code, code, `${what}: ${code}`);
      t.match(text(r), new RegExp(`^${code}: `), `${what}: the text starts with the code`);
    }
    const unreachable = json(await client.callTool({ name: 'call_agent', arguments: { name: 'down.faults.agents' } }));
    t.ok(Array.isArray(unreachable.error.tried) && unreachable.error.tried.length >= 1, 'the endpoints tried are listed');
    const nx = await client.callTool({ name: 'resolve_agent', arguments: { name: 'nobody.acme.agents' } });
    t.equal(json(nx).error.code, 'ERR_AGENT_NOT_FOUND', 'resolve_agent reports codes too');
  });

  t.test('an unknown tool is a protocol error', async (t) => {
    await t.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /Tool no_such_tool not found/);
  });

  // Keys of swarms/structs/aop.py's results, which Swarms clients read.
  const DISCOVERY_KEYS = ['tool_name', 'agent_name', 'description', 'short_system_prompt', 'tags', 'capabilities', 'role', 'model_name', 'max_loops', 'temperature', 'max_tokens'];
  const AGENT_INFO_KEYS = ['tool_name', 'agent_name', 'agent_description', 'model_name', 'max_loops', 'tool_description', 'timeout', 'max_retries', 'verbose', 'traceback_enabled'];
  const SERVER_INFO_KEYS = ['server_name', 'description', 'total_tools', 'total_agents', 'tools', 'agent_names', 'created_at', 'created_at_iso', 'uptime_seconds', 'verbose', 'traceback_enabled', 'log_level', 'transport', 'host', 'port', 'queue_enabled', 'persistence_enabled', 'network_monitoring_enabled', 'persistence', 'network', 'tool_details'];
  const hasKeys = (t: Test, obj: Record<string, unknown>, keys: string[], what: string): void => {
    for (const k of keys) t.ok(k in obj, `${what} has ${k}`);
  };
  const AGENTS = ['writer.acme.agents', 'editor.acme.agents', 'translator.acme.agents', 'researcher.acme.agents', 'summarizer.acme.agents', 'slow.faults.agents', 'planner.globex.agents', 'coder.globex.agents', 'reviewer.globex.agents', 'copyedit.globex.agents'];

  t.test('list_agents: every agent in the indexes of the served and delegated zones', async (t) => {
    const r = json(await client.callTool({ name: 'list_agents', arguments: {} }));
    t.same(Object.keys(r).sort(), ['agent_names', 'success', 'total_count']);
    t.equal(r.success, true);
    t.same(r.agent_names, AGENTS, 'zones in order, index entries in record order; writer.acme.agents in faults.agents\' index is outside it and ignored');
    t.equal(r.total_count, AGENTS.length);
  });

  t.test('discover_agents: Swarms discovery info for all, or for one', async (t) => {
    const all = json(await client.callTool({ name: 'discover_agents', arguments: {} }));
    t.equal(all.success, true);
    t.equal(all.agents.length, AGENTS.length);
    for (const a of all.agents) hasKeys(t, a, DISCOVERY_KEYS, a.agent_name);
    const writer = all.agents.find((a: { agent_name: string }) => a.agent_name === 'writer.acme.agents');
    t.match(writer, { tool_name: 'writer_acme_agents', description: 'Drafts marketing copy', tags: ['acme.agents'], capabilities: ['writing', 'marketing'], endpoint_tool: 'draft_copy', model_name: null });
    const copyedit = all.agents.find((a: { agent_name: string }) => a.agent_name === 'copyedit.globex.agents');
    t.match(copyedit, { tags: ['globex.agents'], endpoint_tool: 'edit_text' }, 'an alias into another organisation is listed under its own name');
    const byTool = json(await client.callTool({ name: 'discover_agents', arguments: { agent_name: 'writer_acme_agents' } }));
    t.same(byTool, { success: true, agents: [writer] }, 'by tool name');
    const byDns = json(await client.callTool({ name: 'discover_agents', arguments: { agent_name: 'Writer.Acme.Agents.' } }));
    t.same(byDns.agents[0].agent_name, 'writer.acme.agents', 'by DNS name, any case, trailing dot');
    const unlisted = json(await client.callTool({ name: 'discover_agents', arguments: { agent_name: 'copywriter.acme.agents' } }));
    t.equal(unlisted.success, true, 'a name in no index is resolved by DNS');
    t.equal(unlisted.agents[0].endpoint_tool, 'draft_copy');
    const missing = json(await client.callTool({ name: 'discover_agents', arguments: { agent_name: 'nobody.acme.agents' } }));
    t.match(missing, { success: false, agents: [], code: 'ERR_AGENT_NOT_FOUND', error: /^Agent 'nobody\.acme\.agents' not found/ });
  });

  t.test('search_agents: substring in the chosen fields', async (t) => {
    const code = json(await client.callTool({ name: 'search_agents', arguments: { query: 'COD', search_fields: ['capabilities'] } }));
    t.same(Object.keys(code).sort(), ['matching_agents', 'query', 'search_fields', 'success', 'total_matches']);
    t.same(code.matching_agents.map((a: { agent_name: string }) => a.agent_name), ['coder.globex.agents', 'reviewer.globex.agents']);
    t.equal(code.total_matches, 2);
    t.equal(code.query, 'COD');
    t.same(code.search_fields, ['capabilities']);
    for (const a of code.matching_agents) hasKeys(t, a, DISCOVERY_KEYS, a.agent_name);
    const globex = json(await client.callTool({ name: 'search_agents', arguments: { query: 'globex', search_fields: ['tags'] } }));
    t.equal(globex.total_matches, 4, 'tags are the zone');
    const all = json(await client.callTool({ name: 'search_agents', arguments: { query: 'text' } }));
    t.same(all.search_fields, ['name', 'description', 'tags', 'capabilities', 'tools'], 'all five fields by default (tools: the tool names)');
    t.same(all.matching_agents.map((a: { agent_name: string }) => a.agent_name), ['editor.acme.agents', 'translator.acme.agents', 'copyedit.globex.agents']);
    const bad = await client.callTool({ name: 'search_agents', arguments: { query: 'x', search_fields: ['prompt'] } });
    t.equal(json(bad).error.code, 'ERR_HANDOFF_USAGE', 'an unknown field is refused');
  });

  t.test('get_agent_details and get_agents_info', async (t) => {
    const d = json(await client.callTool({ name: 'get_agent_details', arguments: { agent_name: 'researcher.acme.agents' } }));
    t.same(Object.keys(d).sort(), ['agent_info', 'discovery_info', 'success']);
    hasKeys(t, d.agent_info, AGENT_INFO_KEYS, 'agent_info');
    hasKeys(t, d.discovery_info, DISCOVERY_KEYS, 'discovery_info');
    t.match(d.agent_info, { agent_name: 'researcher.acme.agents', tool_name: 'researcher_acme_agents', timeout: 20, max_retries: 1, endpoint_tool: 'research' });
    t.equal(d.agent_info.endpoints.length, 2);
    const none = json(await client.callTool({ name: 'get_agent_details', arguments: { agent_name: 'ghost_tool' } }));
    t.match(none, { success: false, agent_info: null, code: 'ERR_AGENT_NOT_FOUND' });
    const many = json(await client.callTool({ name: 'get_agents_info', arguments: { agent_names: ['coder.globex.agents', 'ghost.globex.agents', 'planner_globex_agents'] } }));
    t.same(Object.keys(many).sort(), ['agents_info', 'not_found', 'success', 'total_found', 'total_requested']);
    t.same(many.agents_info.map((a: { agent_name: string }) => a.agent_name), ['coder.globex.agents', 'planner_globex_agents']);
    for (const a of many.agents_info) {
      hasKeys(t, a.agent_info, AGENT_INFO_KEYS, `${a.agent_name} agent_info`);
      hasKeys(t, a.discovery_info, DISCOVERY_KEYS, `${a.agent_name} discovery_info`);
    }
    t.same(many.not_found, ['ghost.globex.agents']);
    t.equal(many.total_found, 2);
    t.equal(many.total_requested, 3);
  });

  t.test('get_server_info', async (t) => {
    const r = json(await client.callTool({ name: 'get_server_info', arguments: {} }));
    t.equal(r.success, true);
    hasKeys(t, r.server_info, SERVER_INFO_KEYS, 'server_info');
    t.match(r.server_info, { server_name: 'aop-gateway', total_agents: AGENTS.length, transport: 'streamable-http', agent_tools: false, allow_http: 'loopback' });
    t.same(r.server_info.agent_names, AGENTS);
    t.same(r.server_info.zones, ['acme.agents', 'agents', 'faults.agents', 'globex.agents']);
    t.same(Object.keys(r.server_info.tool_details), AGENTS);
  });

  t.test('HTTP: the path, sessions, and DNS-rebinding protection', async (t) => {
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    // node:http, not fetch: fetch will not send a Host header of our choosing.
    const post = (headers: Record<string, string>, url = stack.url): Promise<{ status: number }> => new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end(init);
    });
    t.equal((await post({ host: 'evil.example' })).status, 403, 'a Host that is not loopback: 403');
    t.equal((await post({ host: `evil.example:${stack.http.port}` })).status, 403, 'with a port too');
    t.equal((await post({ origin: 'http://evil.example' })).status, 403, 'a foreign Origin: 403');
    t.equal((await post({ host: `localhost:${stack.http.port}`, origin: `http://localhost:${stack.http.port}` })).status, 200, 'localhost is fine');
    t.equal((await post({}, stack.url.replace('/mcp', '/other'))).status, 404, 'only /mcp');
    t.equal((await post({ 'mcp-session-id': 'no-such-session' })).status, 404, 'an unknown session: 404');
    t.equal((await fetch(stack.url)).status, 400, 'GET without a session: 400');
    const notInit = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    t.equal(notInit.status, 400, 'a first request that is not initialize: 400');
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const bad = await fetch(stack.url, { method: 'POST', headers, body: '{"jsonrpc": "2.0", ' });
    t.equal(bad.status, 400, 'a body that is not JSON: 400');
    t.match(await bad.json(), { error: { code: -32700, message: /Parse error/ } });
    const huge = await fetch(stack.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping', params: { pad: 'x'.repeat(4 * 1024 * 1024) } }) });
    t.equal(huge.status, 413, 'a body over 4 MiB: 413');
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(stack.url, { method: 'POST', headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // No Content-Length: the limit is found while reading.
      const piece = 'x'.repeat(1 << 20);
      req.write('{"pad": "');
      for (let i = 0; i < 5; i++) req.write(piece);
      req.end('"}');
    }).catch(() => 413);
    t.equal(chunked, 413, 'a chunked body over 4 MiB: 413 (or the connection dropped after it)');
    const text = await fetch(stack.url, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: '{}' });
    t.equal(text.status, 415, 'not JSON by its Content-Type: the SDK answers 415');
    const before = stack.http.sessionCount;
    const second = await connect(t, stack.url);
    t.equal(stack.http.sessionCount, before + 1, 'each client its own session');
    t.equal((await second.listTools()).tools.length, 8);
  });

  t.test('HTTP: bounded sessions', async (t) => {
    const small = await startGatewayHttp(stack.gateway, { host: DNS, port: 0, maxSessions: 2 });
    t.teardown(() => small.close());
    const a = await connect(t, small.url);
    await connect(t, small.url);
    await connect(t, small.url);
    t.equal(small.sessionCount, 2, 'at most maxSessions');
    await t.rejects(a.listTools(), /Session not found|404/, 'the least recently used session was closed');
    const idle = await startGatewayHttp(stack.gateway, { host: DNS, port: 0, sessionIdleMs: 0 });
    t.teardown(() => idle.close());
    await connect(t, idle.url);
    await new Promise((r) => setTimeout(r, 20));
    await connect(t, idle.url);
    t.equal(idle.sessionCount, 1, 'an idle session is closed when the next one opens');
  });
});
