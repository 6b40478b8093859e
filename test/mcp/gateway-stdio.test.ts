// `aop mcp --stdio` as a desktop client runs it: a child process speaking MCP on stdin/stdout,
// looking names up at a DNS server over the network (NetworkLookup). Uses the built dist/.
// A leased loopback /24: the DNS server on .1, the zones' hosts moved to .2.

import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startDemoAgents } from '../../src/mcp/demo/index.js';
import { copyZones, json, root, text } from '../helpers/gateway.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { writeDaemonState } from '../../src/cli/daemon-state.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOSTS = NET.host(2);

/** The daemon this test starts, announced as `aop serve` would (its own zones in `served`), so loopback agents are allowed. */
let announced: { address: string; port: number } | undefined;

async function stdioClient(t: Test, args: string[]): Promise<{ client: Client; stderr: () => string }> {
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'aop-stdio-run-'));
  t.teardown(() => rmSync(runtime, { recursive: true, force: true }));
  if (announced !== undefined) {
    writeDaemonState(path.join(runtime, 'aop', 'daemon.json'), { pid: process.pid, dns: announced, served: ['acme.agents', 'agents', 'globex.agents'], started: new Date().toISOString() });
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'AOP_RESOLVER' && k !== 'NODE_OPTIONS' && k !== 'AOP_STATE_FILE') env[k] = v;
  env.XDG_RUNTIME_DIR = runtime; // no state file of a daemon someone else runs
  const transport = new StdioClientTransport({ command: process.execPath, args: [path.join(root, 'bin', 'aop.js'), 'mcp', '--stdio', ...args], env, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const client = new Client({ name: 'aop-stdio-test', version: '0' });
  await client.connect(transport);
  t.teardown(() => client.close());
  return { client, stderr: () => err };
}

t.test('aop mcp --stdio', async (t) => {
  const zonesDir = copyZones(t, HOSTS);
  const demo = await startDemoAgents({ zonesDir });
  t.teardown(() => demo.close());
  const { port } = await startDaemon(t, { zonesDir, listen: [{ host: DNS, port: 0, family: 4 }] });
  announced = { address: DNS, port };

  t.test('the default zones: the delegations of the bundled root', async (t) => {
    const { client } = await stdioClient(t, ['--server', `${DNS}:${port}`, '--log-level', 'info']);
    const { tools } = await client.listTools();
    t.same(tools.map((x) => x.name), ['resolve_agent', 'call_agent', 'discover_agents', 'list_agents', 'search_agents', 'get_agent_details', 'get_agents_info', 'get_server_info']);
    const list = json(await client.callTool({ name: 'list_agents', arguments: {} }));
    t.equal(list.total_count, 9, 'acme.agents and globex.agents, found through the network');
    const r = await client.callTool({ name: 'call_agent', arguments: { name: 'translator.acme.agents', arguments: { text: 'hello world', target_language: 'es' } } });
    t.notOk(r.isError, text(r));
    t.match(text(r), /^Translation by translator\.acme\.agents to es/);
    t.match(text(r), /hola mundo/);
    const info = json(await client.callTool({ name: 'get_server_info', arguments: {} }));
    t.equal(info.server_info.transport, 'stdio');
    t.same(info.server_info.zones, ['acme.agents', 'agents', 'globex.agents']);
    const nx = await client.callTool({ name: 'call_agent', arguments: { name: 'nobody.globex.agents' } });
    t.equal(json(nx).error.code, 'ERR_AGENT_NOT_FOUND');
  });

  t.test('--mcp-zones and per-agent tools', async (t) => {
    const { client } = await stdioClient(t, ['--server', `${DNS}:${port}`, '--mcp-zones', 'globex.agents', '--mcp-agent-tools']);
    const names = (await client.listTools()).tools.map((x) => x.name);
    t.same(names.slice(8), ['planner_globex_agents', 'coder_globex_agents', 'reviewer_globex_agents', 'copyedit_globex_agents']);
    const r = await client.callTool({ name: 'coder_globex_agents', arguments: { task: 'fizzbuzz' } });
    t.notOk(r.isError, text(r));
    t.match(text(r), /coder\.globex\.agents/);
  });

  t.test('bad arguments: a usage error, exit status 1', async (t) => {
    const { execFile } = await import('node:child_process');
    const run = (args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(root, 'bin', 'aop.js'), 'mcp', ...args], { timeout: 60_000 }, (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr: String(stderr) }));
    });
    const noStdio = await run([]);
    t.equal(noStdio.code, 1);
    t.match(noStdio.stderr, /say --stdio/);
    const badZone = await run(['--stdio', '--mcp-zones', 'bad zone']);
    t.equal(badZone.code, 1);
    t.match(badZone.stderr, /zone 'bad zone' is not a domain name/);
  });
});
