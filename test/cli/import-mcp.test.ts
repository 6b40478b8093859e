// `aop zone import-mcp` against real MCP servers started here (the SDK's McpServer over
// Streamable HTTP on 127.0.0.1, port 0): tools listed, turned into agents, printed or written
// into a copy of a bundled zone through the same editing code; and the failures: no server, a
// server that is not MCP, two tools that make one name, an agent that exists.

import t from 'tap';
import { createServer, type Server } from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { listMcpTools } from '../../src/mcp/tools-list.js';
import { agentsFromTools, MANAGEMENT_TOOLS, oneLineDescription, toolCapabilities, toolLabel } from '../../src/update/import-tools.js';
import { copyZones, startStack } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { planAgentEdit } from '../../src/update/agent-edit.js';
import { readZoneSourceFile } from '../../src/zone/edit.js';
import { loadZoneFile, loadZoneText } from '../../src/zone/load.js';
import { cardFromRecords } from '../../src/agent/index.js';
import { RRType } from '../../src/wire/types.js';
import { requireTool, run } from '../helpers/peers.js';
import { runAop, type AopRun } from '../helpers/aop-cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

type Run = AopRun;

const aop = (args: string[]): Promise<AopRun> => runAop(args);

type ToolDef = { name: string; description?: string; annotations?: Record<string, unknown> };

/** A stateless MCP server (a fresh McpServer per request, as the SDK's stateless example) with these tools. */
async function mcpServer(t: { teardown(fn: () => unknown): void }, tools: ToolDef[]): Promise<string> {
  const http: Server = createServer((req, res) => {
    if (req.url !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    const server = new McpServer({ name: 'import-test', version: '1.0.0' });
    for (const tool of tools) {
      server.registerTool(tool.name, { ...(tool.description !== undefined ? { description: tool.description } : {}), inputSchema: { text: z.string() }, ...(tool.annotations ? { annotations: tool.annotations } : {}) },
        ({ text }) => ({ content: [{ type: 'text', text: `${tool.name}: ${text}` }] }));
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    server.connect(transport).then(() => transport.handleRequest(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()); }));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

/** An HTTP server that is not MCP: a web page for every request. */
async function webServer(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>hello</body></html>');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()); }));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const TOOLS: ToolDef[] = [
  { name: 'draft_poem', description: 'Drafts a short poem on a theme', annotations: { readOnlyHint: true, openWorldHint: false } },
  { name: 'countWords', description: 'Counts the words of a text.\nReturns a number; handles   any language. '.repeat(3) },
];

function tmpZone(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'acme.agents.zone');
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), file);
  return file;
}

t.test('names, capabilities and descriptions from tools', async (t) => {
  t.equal(toolLabel('draft_poem'), 'draft-poem');
  t.equal(toolLabel('countWords'), 'count-words');
  t.equal(toolLabel('Search.Web__v2'), 'search-web-v2');
  t.equal(toolLabel('x', 'billing-'), 'billing-x');
  t.equal(toolLabel('a'.repeat(80)).length, 63);
  t.equal(toolLabel('___'), '');
  t.same(toolCapabilities({ name: 'draft_poem', annotations: { readOnlyHint: true, idempotentHint: true } }), ['read-only', 'idempotent', 'draft', 'poem']);
  t.same(toolCapabilities({ name: 'rm', annotations: { destructiveHint: true } }), ['destructive', 'rm']);
  t.same(oneLineDescription('a\n b\tc'), { text: 'a b c', shortened: false });
  const long = oneLineDescription('word '.repeat(40));
  t.ok(long.shortened && Buffer.byteLength(long.text) <= 100 && long.text.endsWith('word...'));
  const r = agentsFromTools([{ name: 'ok_tool' }, { name: 'bad/tool' }, { name: '---' }], { url: 'http://127.0.0.1:1/mcp' });
  t.same(r.specs.map((s) => s.name), ['ok-tool']);
  t.equal(r.warnings.length, 2, 'the two unusable tools are skipped with a warning each');
  t.throws(() => agentsFromTools([{ name: 'a_b' }, { name: 'a-b' }], { url: 'http://127.0.0.1:1/mcp' }), { code: 'ERR_IMPORT_MCP_NAME_CLASH', message: /"a_b" and "a-b" both give the agent name "a-b"/ });
  t.throws(() => agentsFromTools([], { url: 'http://127.0.0.1:1/mcp' }), { code: 'ERR_IMPORT_MCP_NO_TOOLS' });
});

t.test('listing a real server, and the errors of servers that are not there or not MCP', async (t) => {
  const url = await mcpServer(t, TOOLS);
  const listed = await listMcpTools(url);
  t.equal(listed.server, 'import-test');
  t.same(listed.tools.map((x) => x.name), ['draft_poem', 'countWords']);
  t.equal(listed.tools[0]!.annotations?.readOnlyHint, true);

  const port = await closedPort();
  await t.rejects(listMcpTools(`http://127.0.0.1:${port}/mcp`), { code: 'ERR_IMPORT_MCP_UNREACHABLE', message: /cannot reach .*ECONNREFUSED/ });
  await t.rejects(listMcpTools(await webServer(t)), { code: 'ERR_IMPORT_MCP_NOT_MCP' });
  await t.rejects(listMcpTools(url.replace('/mcp', '/other')), { code: 'ERR_IMPORT_MCP_NOT_MCP', message: /not an MCP Streamable HTTP endpoint/ });
  await t.rejects(listMcpTools('ftp://127.0.0.1/mcp'), { code: 'ERR_IMPORT_MCP_URL' });
});

t.test('aop zone import-mcp prints the records, or writes them into the zone file', async (t) => {
  const url = await mcpServer(t, TOOLS);
  const port = new URL(url).port;

  const printed = await aop(['zone', 'import-mcp', url, '--zone', 'acme.agents']);
  t.equal(printed.code, 0, printed.stderr);
  t.match(printed.stdout, /^\$ORIGIN acme\.agents\.\n\ndraft-poem {7}300 IN SVCB 1 \. \(\n/);
  t.match(printed.stdout, new RegExp(`alpn="mcp" port=${port} key65320="/mcp"`));
  t.match(printed.stdout, /key65322="draft_poem"\n +key65323="read-only,draft,poem"\n +key65324="Drafts a short poem on a theme"\n/);
  t.match(printed.stdout, /\n\n_index\._agents {3}300 IN PTR draft-poem\.acme\.agents\.\n {17}300 IN PTR count-words\.acme\.agents\.\n {17}300 IN TXT "agents=count-words:mcp,draft-poem:mcp"\n$/);
  t.match(printed.stderr, /warning: count-words: description shortened/);
  // The printed text is zone text: it loads after an SOA and NS.
  const zone = loadZoneText('$TTL 300\n@ IN SOA ns1.acme.agents. h.acme.agents. 1 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 127.0.0.3\n' + printed.stdout, { origin: 'acme.agents.' });
  const card = cardFromRecords('draft-poem.acme.agents.', [...zone.records()]);
  t.equal(card.endpoints[0]!.url, `http://draft-poem.acme.agents:${port}/mcp`);
  t.same(card.endpoints[0]!.addresses, ['127.0.0.1'], 'the IP of the URL is the A record at the agent name');
  t.same(card.warnings, []);

  const file = tmpZone(t);
  const before = readFileSync(file, 'utf8');
  const wrote = await aop(['zone', 'import-mcp', url, '--zone', 'acme.agents', '--file', file, '--name-prefix', 'x-']);
  t.equal(wrote.code, 0, wrote.stderr);
  t.match(wrote.stdout, /^zone acme\.agents\.: added 2 agents from .* \(x-draft-poem, x-count-words\), serial 2026112501 -> \d+\n$/);
  const after = readFileSync(file, 'utf8');
  t.ok(after.startsWith(before.slice(0, before.indexOf('2026112501'))), 'the head of the file is unchanged');
  const z = loadZoneFile(file, { origin: 'acme.agents.' });
  const index = z.rrset('_index._agents.acme.agents.', RRType.PTR)!;
  t.equal(index.rdata.length, 7, 'both listed in the index');
  for (const [agent, tool] of [['x-draft-poem', 'draft_poem'], ['x-count-words', 'countWords']]) {
    const c = cardFromRecords(`${agent}.acme.agents.`, [...z.records()]);
    t.equal(c.tool, tool);
    t.same(c.warnings, [], `${agent}: SVCB and _agent TXT agree`);
  }
  if (requireTool(t, 'named-checkzone', 'bind9-utils')) {
    const r = await run('named-checkzone', ['-i', 'local', '-k', 'fail', 'acme.agents.', file]);
    t.equal(r.code, 0, `named-checkzone accepts it: ${r.stdout}${r.stderr}`);
  }

  // Again: the agents exist. Refused without --replace; with it, the same records again.
  const src = readZoneSourceFile(file, { origin: 'acme.agents.' });
  const { specs } = agentsFromTools((await listMcpTools(url)).tools, { url, prefix: 'x-' });
  t.throws(() => planAgentEdit(src, { add: specs }), { code: 'ERR_ZONE_AGENT_EXISTS', message: /x-draft-poem\.acme\.agents\. already exists/ });
  const again = planAgentEdit(src, { add: specs, replace: true });
  t.equal(again.text, src.text.replace(String(again.serial.old), String(again.serial.new)), 'replacing with the same records changes only the serial');
  t.equal(again.diff.split('\n').filter((l) => /^[-+][^-+]/.test(l)).length, 2, 'and the diff shows just that');
});

t.test('import-mcp failures: exit 9 without a reply, 1 for a server that is not MCP', async (t) => {
  const port = await closedPort();
  const none = await aop(['zone', 'import-mcp', `http://127.0.0.1:${port}/mcp`, '--zone', 'acme.agents']);
  t.equal(none.code, 9);
  t.equal(none.stderr, `aop: cannot reach http://127.0.0.1:${port}/mcp: ECONNREFUSED\n`);
  t.equal(none.stdout, '');
  const web = await aop(['zone', 'import-mcp', await webServer(t), '--zone', 'acme.agents']);
  t.equal(web.code, 1);
  t.match(web.stderr, /^aop: http:\/\/127\.0\.0\.1:\d+\/mcp (is not an MCP Streamable HTTP endpoint|did not answer as an MCP server): .*\n$/);
});

t.test('management tools (Swarms AOP discovery and queue, aop gateway) are not agents: skipped unless --all-tools', async (t) => {
  const swarms = ['discover_agents', 'list_agents', 'search_agents', 'get_agent_details', 'get_agents_info', 'get_server_info',
    'get_queue_stats', 'pause_agent_queue', 'resume_agent_queue', 'clear_agent_queue', 'get_task_status', 'cancel_task'];
  t.same([...MANAGEMENT_TOOLS.keys()], [...swarms, 'resolve_agent', 'call_agent']);
  const tools = [{ name: 'research_agent' }, ...swarms.map((name) => ({ name })), { name: 'call_agent' }];
  const r = agentsFromTools(tools, { url: 'http://127.0.0.1:1/mcp' });
  t.same(r.specs.map((s) => s.name), ['research-agent'], 'only the agent tool');
  t.same(r.skipped, [...swarms, 'call_agent']);
  t.same(r.warnings, []);
  const all = agentsFromTools(tools, { url: 'http://127.0.0.1:1/mcp', allTools: true });
  t.equal(all.specs.length, tools.length, 'allTools: every tool');
  t.same(all.skipped, []);
  t.throws(() => agentsFromTools(swarms.map((name) => ({ name })), { url: 'http://127.0.0.1:1/mcp' }), {
    code: 'ERR_IMPORT_MCP_NO_TOOLS',
    message: /lists only management tools, which are not agents \(Swarms AOP discovery: discover_agents, .*, get_server_info; Swarms AOP queue: get_queue_stats, .*, cancel_task\); --all-tools imports them anyway$/,
  });
});

t.test('aop zone import-mcp against aop\'s own gateway (a Swarms AOP stand-in: the same discovery tools beside one tool per agent)', async (t) => {
  // A loopback /24 of the test's own: the demo agents behind the gateway have fixed ports.
  const net = await leaseNet(t);
  const address = net.host(1);
  const stack = await startStack(t, { zonesDir: copyZones(t, address), dnsAddress: address, agentTools: true });
  const listed = (await listMcpTools(stack.url)).tools.map((x) => x.name);
  const management = listed.filter((n) => MANAGEMENT_TOOLS.has(n));
  t.same([...management].sort(), ['call_agent', 'discover_agents', 'get_agent_details', 'get_agents_info', 'get_server_info', 'list_agents', 'resolve_agent', 'search_agents']);
  const agents = listed.filter((n) => !MANAGEMENT_TOOLS.has(n));
  t.ok(agents.length >= 5, `the gateway lists agent tools too: ${agents.join(', ')}`);

  const r = await aop(['zone', 'import-mcp', stack.url, '--zone', 'example.agents']);
  t.equal(r.code, 0, r.stderr);
  const skippedLine = r.stderr.split('\n').find((l) => l.startsWith('aop: skipped '));
  t.equal(skippedLine, `aop: skipped 8 management tools of ${stack.url}, which list or manage agents rather than being one (`
    + 'Swarms AOP discovery: discover_agents, list_agents, search_agents, get_agent_details, get_agents_info, get_server_info; '
    + 'aop gateway: resolve_agent, call_agent); --all-tools imports them too', 'one line says which were skipped and why');
  for (const n of ['list-agents', 'discover-agents', 'search-agents', 'get-agent-details', 'get-agents-info', 'get-server-info', 'call-agent', 'resolve-agent']) {
    t.notMatch(r.stdout, new RegExp(`^${n} `, 'm'), `no agent ${n}`);
  }
  for (const n of agents) t.match(r.stdout, new RegExp(`^${toolLabel(n)} +300 IN SVCB 1 \\. \\(`, 'm'), `agent ${toolLabel(n)} for tool ${n}`);

  const all = await aop(['zone', 'import-mcp', stack.url, '--zone', 'example.agents', '--all-tools']);
  t.equal(all.code, 0, all.stderr);
  t.notMatch(all.stderr, /skipped/, 'nothing skipped with --all-tools');
  t.match(all.stdout, /^list-agents +300 IN SVCB 1 \. \(/m, '--all-tools: list_agents becomes an agent too');
  t.match(all.stdout, /^call-agent +300 IN SVCB 1 \. \(/m);

  // A gateway without agent tools has nothing but management tools.
  const bare = await startStack(t, { zonesDir: copyZones(t, net.host(2)), dnsAddress: net.host(2) });
  const none = await aop(['zone', 'import-mcp', bare.url, '--zone', 'example.agents']);
  t.equal(none.code, 1);
  t.equal(none.stderr, `aop: ${bare.url} lists only management tools, which are not agents (`
    + 'Swarms AOP discovery: discover_agents, list_agents, search_agents, get_agent_details, get_agents_info, get_server_info; '
    + 'aop gateway: resolve_agent, call_agent); --all-tools imports them anyway\n');
  t.equal(none.stdout, '');
});
