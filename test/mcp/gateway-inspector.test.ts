// Interop: the MCP Inspector's CLI mode (@modelcontextprotocol/inspector 2.x, a devDependency) lists
// the gateway's tools and calls call_agent through it, over HTTP and against `aop mcp --stdio` (the
// README's forms: `--` keeps `aop mcp`'s --server from the Inspector, which has a --server of its
// own). Skipped when the Inspector cannot run here; under CI=true that fails instead. On a leased loopback /24.

import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { copyZones, root, startStack } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOSTS = NET.host(2);
// What `npx mcp-inspector` runs (Inspector 2.x: a launcher; `--cli` first, then the CLI's own options).
const cli = path.join(root, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');
const aopBin = path.join(root, 'bin', 'aop.js');

function inspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loaders: the Inspector needs none
  delete env.AOP_RESOLVER;
  env.AOP_STATE_FILE = path.join(root, 'no-such-dir', 'aop-test-state.json'); // never a daemon someone else runs
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, '--cli', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

t.test('the MCP Inspector CLI against the gateway', async (t) => {
  const why = !existsSync(cli) ? `${cli} is missing (npm ci installs @modelcontextprotocol/inspector 2.x)` : (await inspector(['--help'])).code !== 0 ? 'the Inspector CLI does not run on this Node' : undefined;
  if (why !== undefined) {
    if (process.env.CI === 'true') t.fail(`${why}; CI must run it`);
    else t.skip(why, () => {});
    return;
  }
  const zonesDir = copyZones(t, HOSTS);
  const stack = await startStack(t, { zonesDir, dnsAddress: DNS });

  const list = await inspector([stack.url, '--transport', 'http', '--method', 'tools/list']);
  t.equal(list.code, 0, list.stderr);
  const tools = (JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map((x) => x.name);
  t.same(tools, ['resolve_agent', 'call_agent', 'discover_agents', 'list_agents', 'search_agents', 'get_agent_details', 'get_agents_info', 'get_server_info']);

  const call = await inspector([stack.url, '--transport', 'http', '--method', 'tools/call', '--tool-name', 'call_agent',
    '--tool-arg', 'name=editor.acme.agents', '--tool-arg', 'arguments={"text":"the  inspector called me"}']);
  t.equal(call.code, 0, call.stderr);
  const result = JSON.parse(call.stdout) as { isError?: boolean; content: { type: string; text: string }[] };
  t.notOk(result.isError);
  t.match(result.content[0]?.text, /^Edited by editor\.acme\.agents .*\nThe inspector called me\.$/);

  const nx = await inspector([stack.url, '--transport', 'http', '--method', 'tools/call', '--tool-name', 'call_agent', '--tool-arg', 'name=nobody.acme.agents']);
  // A tool error is a result, printed as one; Inspector 2.x exits 5 (its TOOL_ERROR) for it.
  t.equal(nx.code, 5, 'the Inspector\'s exit status for a result with isError');
  t.match(JSON.parse(nx.stdout), { isError: true, structuredContent: { error: { code: 'ERR_AGENT_NOT_FOUND' } } });

  // `aop mcp --stdio --server ...` as the Inspector's server command: after `--`, every word is the command's.
  if (!existsSync(path.join(root, 'dist', 'cli', 'mcp.js'))) throw new Error('dist/ lacks aop mcp: run `npm run build` first');
  const stdio = await inspector(['--method', 'tools/call', '--tool-name', 'call_agent', '--tool-arg', 'name=editor.acme.agents',
    '--tool-arg', 'arguments={"text":"the  stdio inspector"}', '--', process.execPath, aopBin, 'mcp', '--stdio', '--server', `${DNS}:${stack.dnsPort}`, '--allow-loopback-zone', 'acme.agents']);
  t.equal(stdio.code, 0, stdio.stderr);
  t.match((JSON.parse(stdio.stdout) as { content: { text: string }[] }).content[0]?.text, /^Edited by editor\.acme\.agents .*\nThe stdio inspector\.$/);
  // Without `--` the Inspector takes --server for itself (a server of its config file) and fails.
  const clash = await inspector([process.execPath, aopBin, 'mcp', '--stdio', '--server', `${DNS}:${stack.dnsPort}`, '--method', 'tools/list']);
  t.not(clash.code, 0, 'without --, --server is the Inspector\'s');
  t.match(clash.stdout + clash.stderr, new RegExp(`Server '${DNS.replace(/\./g, '\\.')}:\\d+' not found`));
});
