// `aop call NAME --arg k=v` and transient failures: the session whose tools/list types the --arg
// values is the call's own, tried in its one endpoint loop (retry on 503 with backoff, failover, the deadline). An aop Daemon on
// 127.0.74.1 serves the bundled zones plus `flaky` (a real MCP server on 127.0.74.2 that answers the
// first initialize with HTTP 503) and `dead` (two endpoints there that answer 503 to everything).
// In-process (runCall) and through the built bin.

import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { agentWorld, repoRoot, type AgentWorld } from '../helpers/mcp-agents.js';
import { runCall, type CallArgs } from '../../src/cli/call.js';

/** The test daemon serves these zones: its agents' loopback endpoints are allowed as for the announced daemon's. */
const LOCAL_ZONES = ['acme.agents', 'globex.agents', 'agents'];
const DNS = '127.0.74.1';
const HOST = '127.0.74.2';
const bin = path.join(repoRoot, 'bin', 'aop.js');

interface Output { stdout: string; stderr: string; code: number }

/**
 * An MCP server (stateless: a server per request) with one tool, `echo` ({ task: string, n?: number }),
 * behind a gate: `/dead/...` always answers 503; elsewhere each initialize while `failNext` > 0 does.
 */
async function agent(t: Test): Promise<{ port: number; seen: string[]; failNext: { count: number } }> {
  const seen: string[] = [];
  const failNext = { count: 0 };
  const server = http.createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let rpc = '-';
      let body: unknown;
      try {
        body = JSON.parse(raw);
        rpc = (body as { method?: string }).method ?? 'response';
      } catch {
        // GET and DELETE have no body.
      }
      seen.push(`${req.method} ${req.url} ${rpc}`);
      if (req.url?.startsWith('/dead/') || (rpc === 'initialize' && failNext.count-- > 0)) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
        return;
      }
      const mcp = new McpServer({ name: 'flaky', version: '0' });
      mcp.registerTool('echo', { inputSchema: { task: z.string(), n: z.number().optional() } }, async (a) => ({
        content: [{ type: 'text', text: `echo ${a.task}; n=${String(a.n)} (${typeof a.n})` }],
      }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => { void transport.close(); void mcp.close(); });
      void mcp.connect(transport).then(() => transport.handleRequest(req, res, body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { port: (server.address() as AddressInfo).port, seen, failNext };
}

const rec = (name: string, priority: number, port: number, p: string): string =>
  `${name} IN SVCB ${priority} flaky-host.acme.agents. alpn="mcp" port=${port} key65320="${p}" key65321="streamable-http" key65322="echo" key65326="http"`;

let world: AgentWorld;
let server: Awaited<ReturnType<typeof agent>>;

t.before(async () => {
  server = await agent(t);
  const extra = [
    rec('flaky', 1, server.port, '/mcp'),
    rec('dead', 1, server.port, '/dead/1/mcp'),
    rec('dead', 2, server.port, '/dead/2/mcp'),
    `flaky-host IN A ${HOST}`,
    '',
  ].join('\n');
  world = await agentWorld(t, { dnsHost: DNS, agentHost: '127.0.74.3', demo: false, edit: (text, file) => (file === 'acme.agents.zone' ? text + extra : text) });
});

async function call(a: Omit<CallArgs, 'server'>): Promise<Output> {
  let stdout = '';
  let stderr = '';
  const code = await runCall({ allowLoopbackZone: LOCAL_ZONES, ...a, server: `${world.dns.address}:${world.dns.port}` }, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, env: {} });
  return { stdout, stderr, code };
}

function aopBin(args: string[]): Promise<Output> {
  const env: Record<string, string | undefined> = { ...process.env, AOP_STATE_FILE: '/nonexistent/aop-test-state.json', AOP_RESOLVER: `${world.dns.address}:${world.dns.port}` };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args, ...(args[0] === 'call' && !args.includes('--help') ? LOCAL_ZONES.flatMap((z) => ['--allow-loopback-zone', z]) : [])], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

const inits = (): number => server.seen.filter((s) => s.endsWith(' initialize') && s.includes(' /mcp ')).length;
const FLAKY = (): string => `http://flaky-host.acme.agents:${server.port}/mcp`;
const DEADS = (): string[] => [1, 2].map((p) => `http://flaky-host.acme.agents:${server.port}/dead/${p}/mcp`);

t.test('--arg against an endpoint that answers the first initialize with 503: retried, the call succeeds', async (t) => {
  server.failNext.count = 1;
  const before = inits();
  const r = await call({ name: 'flaky.acme.agents', arg: ['task=hi', 'n=3'], json: true });
  t.equal(r.code, 0, `exit 0 (${r.stderr.trim() || 'no stderr'})`);
  const o = JSON.parse(r.stdout) as { endpoint: string; result: { content: Array<{ text: string }> }; attempts: Array<{ url: string; ok: boolean; code?: string }> };
  t.equal(o.result.content[0]!.text, 'echo hi; n=3 (number)', "the --arg values were typed by the tool's schema (n is a number)");
  t.equal(o.endpoint, FLAKY());
  t.match(o.attempts, [{ url: FLAKY(), ok: false, code: 'HTTP_503' }, { url: FLAKY(), ok: true }], "--json's attempts show the retried session opening and the call, in one loop");
  t.equal(o.attempts.length, 2);
  t.equal(inits() - before, 2, 'initialize twice: the 503, then the session the call reused');
});

t.test('the same through the built bin', async (t) => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'call.js'))) {
    t.fail('dist/cli/call.js is missing: run npm run build first');
    return;
  }
  server.failNext.count = 1;
  const ok = await aopBin(['call', 'flaky.acme.agents', '--arg', 'task=hi']);
  t.equal(ok.code, 0, `exit 0 (${ok.stderr.trim() || 'no stderr'})`);
  t.equal(ok.stdout, 'echo hi; n=undefined (undefined)\n');
  const dead = await aopBin(['call', 'dead.acme.agents', '--arg', 'task=hi', '--json']);
  t.equal(dead.code, 4, 'every endpoint 503: exit 4');
  const e = JSON.parse(dead.stdout) as { error: { code: string; tried: Array<{ url: string; code: string }> } };
  t.equal(e.error.code, 'ERR_ENDPOINT_UNREACHABLE');
  t.same(e.error.tried.map((a) => [a.url, a.code]), [0, 0, 0, 1, 1, 1].map((i) => [DEADS()[i], 'HTTP_503']), 'both endpoints, each with its retries (retries: 2)');
});

t.test('--arg and --args-json against endpoints that always answer 503: the same tries, exit 4, each endpoint named', async (t) => {
  const arg = await call({ name: 'dead.acme.agents', arg: ['task=hi'], json: true });
  const json = await call({ name: 'dead.acme.agents', argsJson: '{"task":"hi"}', json: true });
  for (const [what, r] of [['--arg', arg], ['--args-json', json]] as const) {
    t.equal(r.code, 4, `${what}: exit 4`);
    const tried = (JSON.parse(r.stdout) as { error: { tried: Array<{ url: string; code: string }> } }).error.tried;
    t.same(tried.map((a) => [a.url, a.code]), [0, 0, 0, 1, 1, 1].map((i) => [DEADS()[i], 'HTTP_503']), `${what}: three tries at each endpoint, in order`);
    t.match(r.stderr, new RegExp(`^aop: call: dead\\.acme\\.agents\\.: no endpoint could be reached: .*/dead/1/mcp: HTTP 503.*/dead/2/mcp: HTTP 503`), `${what}: the line on stderr names both`);
    t.equal(r.stderr.split('\n').length, 2, `${what}: one line`);
  }
});

