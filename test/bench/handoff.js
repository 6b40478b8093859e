// Scenario 5, the hand-off: `call_agent` through aop's MCP gateway against calling the same demo
// agent directly with the MCP SDK, both on warm connections and a warm DNS cache; then 1,000
// concurrent calls through the gateway. Uses the bundled zones and their demo agents.

import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { quantile } from './dnsperf.js';
import { ROOT, startAop, waitForAnswer } from './servers.js';

const AGENT = 'writer.acme.agents';
const ARGS = { task: 'Draft a haiku about DNS' };

/** An MCP client; `ca` (PEM) is trusted for an https URL (the local CA of the demo agents). */
/**
 * The gateway's sessions share one connection pool, as a client process would: the gateway takes
 * at most 64 connections from one address (src/mcp/gateway/http.ts), and an unbounded pool would
 * open one per call in flight and have the rest refused ("fetch failed").
 */
const gatewayPool = new Agent({ connections: 48 });

async function connect(url, ca) {
  const client = new Client({ name: 'aop-bench', version: '0.1.0' });
  const dispatcher = ca === undefined ? gatewayPool : new Agent({ connect: { ca } });
  const fetch = (u, init) => undiciFetch(u, { ...init, dispatcher });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch }));
  return client;
}

/** Connect, retrying while the gateway is still starting (bounded by `timeoutMs`). */
async function connectWhenUp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connect(url);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`no MCP gateway at ${url} after ${timeoutMs} ms: ${err.message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const failed = (r) => r?.isError === true;

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  if (failed(r)) throw new Error(`call failed: ${JSON.stringify(r.content ?? r).slice(0, 300)}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Run the scenario with the gateway on `host`; `warmup` unmeasured calls on each path, then
 * `calls` measured ones, interleaved so both see the same machine, then `concurrent` calls at once.
 *
 * The warm-up is long enough for V8 to optimise the code on both paths: a daemon serves calls
 * for hours, so a steady state is what it runs in. With 50 warm-up calls (this scenario's first
 * version) most of the gateway's code (the gateway's MCP server, the hand-off's SDK client and
 * undici) still ran unoptimised while measured, which put a large share of JIT warm-up into the
 * "added by the gateway" figure: the gateway path runs about twice as much JavaScript as the
 * direct one, so it takes longer to warm. Both paths get the same warm-up; every measured call
 * still does all of its work (gateway session, call_agent validation, cached card, hand-off
 * session, the agent's tools/call).
 */
export async function handoffScenario({ host, dnsPort = 5300, mcpPort = 8053, calls = 500, warmup = Number(process.env.BENCH_HANDOFF_WARMUP ?? 500), concurrent = 1000, log = () => {} }) {
  // A state file of the run's own: the demo agents' local CA is made beside it, not in the user's.
  const stateFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'aop-bench-handoff-')), 'daemon.json');
  const aop = startAop('aop gateway', {
    zonesDir: path.join(ROOT, 'zones'),
    listen: [`${host}:${dnsPort}`],
    extra: ['--mcp', `${host}:${mcpPort}`, '--demo-agents', '--state-file', stateFile],
  });
  const clients = [];
  try {
    // The AID TXT: the probe has no EDNS, and writer's three SVCB records pass 512 bytes (TC).
    await waitForAnswer(aop, host, dnsPort, `_agent.${AGENT}.`, 'TXT', { timeoutMs: 60_000 });
    const gw = await connectWhenUp(`http://${host}:${mcpPort}/mcp`, 30_000);
    clients.push(gw);
    // Where the agent is, as its records say (the gateway finds the same): the direct client's target.
    const details = await gw.callTool({ name: 'get_agent_details', arguments: { agent_name: AGENT } });
    const info = details.structuredContent?.agent_info ?? JSON.parse(details.content[0].text).agent_info;
    const endpoint = new URL(info.endpoints.sort((a, b) => a.priority - b.priority)[0].url);
    const dns = new Resolver();
    dns.setServers([`${host}:${dnsPort}`]);
    const [address] = await dns.resolve4(endpoint.hostname);
    endpoint.hostname = address;
    // The priority-1 endpoint is https with the local CA's leaf, which names 127.0.0.1 and ::1 too.
    const ca = endpoint.protocol === 'https:' ? readFileSync(path.join(path.dirname(stateFile), 'local-ca', 'ca.pem'), 'utf8') : undefined;
    const direct = await connect(endpoint.href, ca);
    clients.push(direct);
    const viaGateway = () => gw.callTool({ name: 'call_agent', arguments: { name: AGENT, arguments: ARGS } });
    const viaDirect = () => direct.callTool({ name: info.endpoint_tool, arguments: ARGS });
    for (let i = 0; i < warmup; i++) {
      await timed(viaGateway);
      await timed(viaDirect);
    }
    const g = [];
    const d = [];
    for (let i = 0; i < calls; i++) {
      g.push(await timed(viaGateway));
      d.push(await timed(viaDirect));
    }
    g.sort((a, b) => a - b);
    d.sort((a, b) => a - b);
    const gateway = { calls, p50Ms: quantile(g, 0.5), p99Ms: quantile(g, 0.99), meanMs: g.reduce((a, b) => a + b, 0) / g.length };
    const directStats = { calls, p50Ms: quantile(d, 0.5), p99Ms: quantile(d, 0.99), meanMs: d.reduce((a, b) => a + b, 0) / d.length };
    log(`  after ${warmup} warm-up calls per path: gateway p50 ${gateway.p50Ms.toFixed(2)} ms p99 ${gateway.p99Ms.toFixed(2)} ms; direct p50 ${directStats.p50Ms.toFixed(2)} ms p99 ${directStats.p99Ms.toFixed(2)} ms`);

    // Concurrency: ten sessions, each with a tenth of the calls in flight at once.
    const sessions = 10;
    for (let i = 1; i < sessions; i++) clients.push(await connect(`http://${host}:${mcpPort}/mcp`));
    const pool = [gw, ...clients.slice(2)];
    const t0 = process.hrtime.bigint();
    const outcomes = await Promise.allSettled(Array.from({ length: concurrent }, (_, i) => pool[i % pool.length].callTool(
      { name: 'call_agent', arguments: { name: AGENT, arguments: { task: `task ${i}` } } }, undefined, { timeout: 60_000 },
    )));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const errors = outcomes.filter((o) => o.status === 'rejected' || failed(o.value));
    const firstError = errors[0] && (errors[0].status === 'rejected' ? String(errors[0].reason?.message ?? errors[0].reason) : JSON.stringify(errors[0].value.content).slice(0, 200));
    log(`  ${concurrent} concurrent calls: ${concurrent - errors.length} ok, ${errors.length} errors in ${seconds.toFixed(1)} s${firstError ? ` (first: ${firstError})` : ''}`);
    return {
      agent: AGENT, endpoint: endpoint.href, warmupCalls: warmup, gateway, direct: directStats,
      addedP50Ms: gateway.p50Ms - directStats.p50Ms, addedP99Ms: gateway.p99Ms - directStats.p99Ms,
      concurrent: { calls: concurrent, sessions, errors: errors.length, seconds, firstError },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await aop.stop();
  }
}
