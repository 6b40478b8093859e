// The hand-off when things go wrong, each on loopback (a /24 leased for the file): an aop Daemon on
// .1 with the bundled zones (agents on .2, demo agents there), and a scripted HTTP front on .3 in place of
// writer's priority-1 endpoint that fails the way a test asks (503, reset, 502, 404, hang, junk,
// redirect) and otherwise forwards. Retries, failover, deadlines, the circuit breaker, and every error code.

import t, { type Test } from 'tap';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { agentWorld, type AgentWorld } from '../helpers/mcp-agents.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { HandOff, HandOffCode, HandOffError, NetworkLookup, startDemoAgents, type DnsLookup, type HandOffOptions } from '../../src/mcp/index.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const DNS = NET.host(1);
const AGENTS = NET.host(2);
const FRONT = NET.host(3);
const DOWN = NET.host(4);
const P1 = 'http://front.acme.agents';
const BACKUP = 'http://mcp-backup.acme.agents:18102/agents/writer/mcp';

type Action = 'forward' | 'hang' | 'reset' | { status: number; body?: string; type?: string; headers?: Record<string, string> };

interface Front {
  port: number;
  /** Requests seen: method and JSON-RPC method (or '-'). */
  seen: string[];
  close(): Promise<void>;
}

/** An HTTP server on FRONT:0 that asks `decide` what to do with each request; 'forward' goes to AGENTS at the same port. */
async function front(t: Test, decide: (rpc: string, req: IncomingMessage, n: number) => Action): Promise<Front> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let rpc = '-';
      try {
        rpc = (JSON.parse(body.toString('utf8')) as { method?: string }).method ?? 'response';
      } catch {
        // GET and DELETE have no body.
      }
      seen.push(`${req.method} ${rpc}`);
      const action = decide(rpc, req, seen.length);
      if (action === 'hang') return;
      if (action === 'reset') {
        req.socket.destroy();
        return;
      }
      if (action !== 'forward') {
        res.writeHead(action.status, { 'content-type': action.type ?? 'text/plain', ...action.headers }).end(action.body ?? `status ${action.status}`);
        return;
      }
      const headers = { ...req.headers, host: `${AGENTS}:${port}` };
      const up = http.request({ host: AGENTS, port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, FRONT, resolve));
  port = (server.address() as { port: number }).port;
  const close = (): Promise<void> => new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  t.teardown(close);
  return { port, seen, close };
}

/** Writer's priority-1 record moved to front.acme.agents:PORT (A FRONT), and any extra zone text. */
function moveWriter(port: number, extra = ''): (text: string, file: string) => string {
  return (text, file) => {
    if (file !== 'acme.agents.zone') return text;
    return text.replace(/(writer\s+IN SVCB\s+1 )mcp\.acme\.agents\.( \(\s+alpn="mcp" port=)18101/, `$1front.acme.agents.$2${port}`)
      + `front IN A ${FRONT}\ndown IN A ${DOWN}\n${extra}`;
  };
}

async function world(t: Test, frontPort: number, opts: { demo?: boolean; extra?: string } = {}): Promise<AgentWorld> {
  return agentWorld(t, { dnsHost: DNS, agentHost: AGENTS, demo: opts.demo, edit: moveWriter(frontPort, opts.extra) });
}

function handoff(t: Test, w: AgentWorld, opts: Partial<HandOffOptions> = {}): HandOff {
  const h = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup(w.dns), backoffMs: 10, ...opts });
  t.teardown(() => h.close());
  return h;
}

async function rejects(t: Test, p: Promise<unknown>, code: keyof typeof HandOffCode, what: string): Promise<HandOffError | undefined> {
  try {
    await p;
    t.fail(`${what}: expected ${code}, but it succeeded`);
    return undefined;
  } catch (err) {
    t.ok(err instanceof HandOffError, `${what}: a HandOffError`);
    const e = err as HandOffError;
    t.equal(e.code, code, `${what}: ${code} (${e.message})`);
    t.equal(e.exitCode, HandOffCode[code].exit, `${what}: exit status ${HandOffCode[code].exit}`);
    return e;
  }
}

const isCall = (rpc: string): boolean => rpc === 'tools/call';

t.test('a transient 503 is retried at the same endpoint', async (t) => {
  let failed = 0;
  const f = await front(t, (rpc) => (isCall(rpc) && failed++ === 0 ? { status: 503 } : 'forward'));
  const w = await world(t, f.port);
  const h = handoff(t, w);
  const o = await h.call('writer.acme.agents', { task: 'retry' });
  t.equal(o.endpoint, `${P1}:${f.port}/agents/writer/mcp`, 'priority 1 answered in the end');
  t.match(o.attempts, [{ url: o.endpoint, ok: false, code: 'HTTP_503' }, { url: o.endpoint, ok: true }], 'one 503, then the answer');
  t.equal(f.seen.filter((s) => s === 'POST tools/call').length, 2, 'the call was sent twice');
});

t.test('a connection reset is retried at the same endpoint', async (t) => {
  let failed = 0;
  const f = await front(t, (rpc) => (isCall(rpc) && failed++ === 0 ? 'reset' : 'forward'));
  const w = await world(t, f.port);
  const h = handoff(t, w);
  const o = await h.call('writer.acme.agents', { task: 'reset' });
  t.equal(o.endpoint, `${P1}:${f.port}/agents/writer/mcp`);
  t.equal(o.attempts.length, 2, 'two attempts');
  t.match(o.attempts[0]!.code, /^(UND_ERR_SOCKET|ECONNRESET|UND_ERR_CLOSED)$/, `the first ended in a reset (${o.attempts[0]!.code})`);
});

t.test('503 every time: retries run out, then failover to the backup', async (t) => {
  const f = await front(t, (rpc) => (isCall(rpc) ? { status: 503 } : 'forward'));
  const w = await world(t, f.port);
  const h = handoff(t, w, { retries: 2 });
  const o = await h.call('writer.acme.agents', { task: 'x' });
  t.equal(o.endpoint, BACKUP);
  t.same(o.attempts.map((a) => a.code ?? 'ok'), ['HTTP_503', 'HTTP_503', 'HTTP_503', 'ok'], 'three tries at priority 1 (retries: 2), then the backup');
});

const isInit = (rpc: string): boolean => rpc === 'initialize';

/** `dead`: two endpoints (priority 1 and 2) on the front, at paths where it answers 503 to everything. */
const DEAD = (port: number): string => [1, 2].map((p) =>
  `dead IN SVCB ${p} front.acme.agents. alpn="mcp" port=${port} key65320="/dead/${p}/mcp" key65321="streamable-http" key65322="draft_copy" key65326="http"`).join('\n') + '\n';
const isDead = (req: IncomingMessage): boolean => req.url?.startsWith('/dead/') === true;

t.test('a 503 on initialize is retried, by listTools and by call', async (t) => {
  let failed = 0;
  const f = await front(t, (rpc) => (isInit(rpc) && failed++ % 2 === 0 ? { status: 503 } : 'forward'));
  const w = await world(t, f.port);
  const p1 = `${P1}:${f.port}/agents/writer/mcp`;
  const h = handoff(t, w);
  const lt = await h.listToolsOutcome('writer.acme.agents');
  t.equal(lt.endpoint, p1, 'listTools: priority 1 answered in the end');
  t.same(lt.attempts.map((a) => [a.url, a.code ?? 'ok']), [[p1, 'HTTP_503'], [p1, 'ok']], 'listTools: one 503, then the tools');
  t.same(lt.tools.map((x) => x.name), ['draft_copy']);
  t.equal(h.breaker.state(p1), 'closed', 'a retried success counts as a success');
  const o = await h.call('writer.acme.agents', { task: 'after listTools' });
  t.same(o.attempts.map((a) => a.code ?? 'ok'), ['ok'], "the call reuses listTools' session");
  t.equal(f.seen.filter((x) => x === 'POST initialize').length, 2, 'two initialize requests in all');
  // A new hand-off: the call itself meets the 503 on initialize.
  const c = await handoff(t, w).call('writer.acme.agents', { task: 'fresh' });
  t.same(c.attempts.map((a) => [a.url, a.code ?? 'ok']), [[p1, 'HTTP_503'], [p1, 'ok']], 'call: one 503 on initialize, then the answer');
  t.equal(f.seen.filter((x) => x === 'POST initialize').length, 4);
});

t.test('listTools: 503 on initialize every time: retries run out, then failover to the backup', async (t) => {
  const f = await front(t, (rpc) => (isInit(rpc) ? { status: 503 } : 'forward'));
  const w = await world(t, f.port);
  const p1 = `${P1}:${f.port}/agents/writer/mcp`;
  const h = handoff(t, w, { retries: 2, breaker: { threshold: 1, cooldownMs: 60_000 } });
  const lt = await h.listToolsOutcome('writer.acme.agents');
  t.equal(lt.endpoint, BACKUP);
  t.same(lt.attempts.map((a) => a.code ?? 'ok'), ['HTTP_503', 'HTTP_503', 'HTTP_503', 'ok'], 'three tries at priority 1 (retries: 2), then the backup');
  t.equal(f.seen.filter((x) => x === 'POST initialize').length, 3);
  t.equal(h.breaker.state(p1), 'open', 'the run-out retries count against priority 1 (threshold 1)');
  const again = await h.listToolsOutcome('writer.acme.agents');
  t.same(again.attempts.map((a) => a.code ?? 'ok'), ['CIRCUIT_OPEN', 'ok'], 'open: skipped without contacting it');
  t.equal(f.seen.filter((x) => x === 'POST initialize').length, 3, 'no new request to priority 1');
});

t.test('listTools: every endpoint 503: each tried with the retry budget, ERR_ENDPOINT_UNREACHABLE says which', async (t) => {
  const f = await front(t, (_rpc, req) => (isDead(req) ? { status: 503 } : 'forward'));
  const w = await world(t, f.port, { demo: false, extra: DEAD(f.port) });
  const urls = [1, 2].map((p) => `${P1}:${f.port}/dead/${p}/mcp`);
  const h = handoff(t, w, { retries: 2 });
  const e = await rejects(t, h.listTools('dead.acme.agents'), 'ERR_ENDPOINT_UNREACHABLE', 'listTools');
  t.same(e?.tried?.map((a) => [a.url, a.code]), [urls[0], urls[0], urls[0], urls[1], urls[1], urls[1]].map((u) => [u, 'HTTP_503']), 'both endpoints, three tries each, in order');
  t.match(e?.message, new RegExp(`${urls[0]!.replace(/[.]/g, '\\.')}: HTTP 503.*${urls[1]!.replace(/[.]/g, '\\.')}: HTTP 503`));
  const c = await rejects(t, h.call('dead.acme.agents', { task: 'x' }), 'ERR_ENDPOINT_UNREACHABLE', 'call');
  t.same(c?.tried?.map((a) => a.url), e?.tried?.map((a) => a.url), 'call and listTools try the same way');
});

t.test('listTools: the deadline, and a caller abort', async (t) => {
  const f = await front(t, (rpc) => (isInit(rpc) ? 'hang' : 'forward'));
  const w = await world(t, f.port);
  // The deadline, not the 60 s connect timeout, ends it: the code says which.
  const h = handoff(t, w, { connectTimeoutMs: 60_000 });
  const e = await rejects(t, h.listTools('writer.acme.agents', { timeoutMs: 2000 }), 'ERR_CALL_TIMEOUT', 'a hanging initialize');
  t.match(e?.message, /no answer within 2000 ms/, 'the deadline ended it');
  t.same(e?.tried?.map((a) => a.url), [`${P1}:${f.port}/agents/writer/mcp`], 'the endpoint that was being tried is named');
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('stop')), 100);
  await rejects(t, h.listTools('writer.acme.agents', { signal: ac.signal }), 'ERR_CALL_ABORTED', 'caller abort');
});

for (const status of [502, 500]) {
  t.test(`${status} fails over at once, without a retry`, async (t) => {
    const f = await front(t, (rpc) => (isCall(rpc) ? { status } : 'forward'));
    const w = await world(t, f.port);
    const o = await handoff(t, w).call('writer.acme.agents', { task: 'x' });
    t.same(o.attempts.map((a) => a.code ?? 'ok'), [`HTTP_${status}`, 'ok'], 'straight to the backup');
    t.equal(o.endpoint, BACKUP);
  });
}

t.test('404 before any session (no MCP endpoint at that path) fails over at once', async (t) => {
  const f = await front(t, () => ({ status: 404 }));
  const w = await world(t, f.port);
  const o = await handoff(t, w).call('writer.acme.agents', { task: 'x' });
  t.same(o.attempts.map((a) => a.code ?? 'ok'), ['HTTP_404', 'ok']);
  t.equal(f.seen.length, 1, 'one request, no retry');
});

t.test('404 for the session id opens a new session at the same endpoint', async (t) => {
  let expired = 0;
  const f = await front(t, (rpc, req) => (isCall(rpc) && req.headers['mcp-session-id'] && expired++ === 0 ? { status: 404, type: 'application/json', body: '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}' } : 'forward'));
  const w = await world(t, f.port);
  const o = await handoff(t, w).call('writer.acme.agents', { task: 'x' });
  t.equal(o.endpoint, `${P1}:${f.port}/agents/writer/mcp`, 'the same endpoint answered');
  t.same(o.attempts.map((a) => a.code ?? 'ok'), ['HTTP_404', 'ok']);
  t.equal(f.seen.filter((s) => s === 'POST initialize').length, 2, 'a second initialize: a new session');
});

t.test('the deadline: a call that hangs ends with ERR_CALL_TIMEOUT and is not repeated elsewhere', async (t) => {
  const f = await front(t, (rpc) => (isCall(rpc) ? 'hang' : 'forward'));
  const w = await world(t, f.port);
  // 3 s: long enough for the session to open first on a loaded machine; the call then hangs
  // until the deadline ends it (ERR_CALL_TIMEOUT, not a connect timeout or a failover).
  const h = handoff(t, w, { timeoutMs: 3000 });
  const e = await rejects(t, h.call('writer.acme.agents', { task: 'slow' }), 'ERR_CALL_TIMEOUT', 'hanging tools/call');
  t.same(e?.tried?.map((a) => a.url), [`${P1}:${f.port}/agents/writer/mcp`], 'only priority 1 was tried: a sent call may have run');
  // A per-call deadline overrides the default, and a caller's signal aborts with its own code.
  await rejects(t, h.call('writer.acme.agents', { task: 'slow' }, { timeoutMs: 200 }), 'ERR_CALL_TIMEOUT', 'timeoutMs per call');
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('user pressed ^C')), 150);
  const a = await rejects(t, h.call('writer.acme.agents', { task: 'slow' }, { signal: ac.signal }), 'ERR_CALL_ABORTED', 'caller abort');
  t.match(a?.message, /user pressed \^C/);
});

t.test('a session that cannot be opened in time fails over (nothing was sent to the tool yet)', async (t) => {
  const f = await front(t, (rpc) => (rpc === 'initialize' ? 'hang' : 'forward'));
  const w = await world(t, f.port);
  // 3 s to open a session: the front never does; the backup must, on a loaded machine too.
  const h = handoff(t, w, { connectTimeoutMs: 3000 });
  const o = await h.call('writer.acme.agents', { task: 'x' });
  t.equal(o.endpoint, BACKUP);
  t.equal(o.attempts[0]!.code, 'CONNECT_TIMEOUT');
});

t.test('the circuit breaker: skip a dead endpoint, probe after the cool-down, close on success', async (t) => {
  let now = 1_000_000;
  const w = await agentWorld(t, {
    dnsHost: DNS, agentHost: AGENTS,
    edit: (text, file) => file !== 'acme.agents.zone' ? text
      : text.replace(/(writer\s+IN SVCB\s+1 )mcp\.acme\.agents\./, '$1down.acme.agents.') + `down IN A ${DOWN}\n`,
  });
  const h = handoff(t, w, { breaker: { threshold: 2, cooldownMs: 10_000, now: () => now } });
  const p1 = 'http://down.acme.agents:18101/agents/writer/mcp';
  const codes = async (): Promise<string[]> => (await h.call('writer.acme.agents', { task: 'x' })).attempts.map((a) => a.code ?? 'ok');
  t.same(await codes(), ['ECONNREFUSED', 'ok'], 'first failure: still closed');
  t.equal(h.breaker.state(p1), 'closed');
  t.same(await codes(), ['ECONNREFUSED', 'ok'], 'second failure opens it');
  t.equal(h.breaker.state(p1), 'open');
  t.same(await codes(), ['CIRCUIT_OPEN', 'ok'], 'open: skipped without a connection attempt');
  now += 10_000;
  t.equal(h.breaker.state(p1), 'half-open');
  t.same(await codes(), ['ECONNREFUSED', 'ok'], 'after the cool-down one probe goes out, and fails');
  t.same(await codes(), ['CIRCUIT_OPEN', 'ok'], 'open again');
  // The endpoint comes back.
  const revived = await startDemoAgents({ zonesDir: w.zonesDir, host: DOWN });
  t.teardown(() => revived.close());
  now += 10_000;
  const o = await h.call('writer.acme.agents', { task: 'x' });
  t.same(o.attempts.map((a) => a.code ?? 'ok'), ['ok'], 'the probe succeeds');
  t.equal(o.endpoint, p1);
  t.equal(h.breaker.state(p1), 'closed', 'and closes the circuit');
  t.same(await codes(), ['ok'], 'priority 1 is used again');
});

t.test('only endpoints the record names: redirects are not followed', async (t) => {
  let elsewhere = 0;
  const other = http.createServer((_req, res) => {
    elsewhere++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => other.listen(0, FRONT, resolve));
  t.teardown(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const port = (other.address() as { port: number }).port;
  const f = await front(t, () => ({ status: 307, headers: { location: `http://${FRONT}:${port}/mcp` } }));
  const w = await world(t, f.port);
  const o = await handoff(t, w).call('writer.acme.agents', { task: 'x' });
  t.equal(o.endpoint, BACKUP, 'the backup answered');
  t.equal(o.attempts[0]!.code, 'HTTP_307', 'the redirect was a failure of priority 1');
  t.equal(elsewhere, 0, 'the redirect target was never contacted');
});

for (const [what, action] of [
  ['text/plain', { status: 200, type: 'text/plain', body: 'hello' }],
  ['invalid JSON', { status: 200, type: 'application/json', body: '{"jsonrpc":' }],
  ['not JSON-RPC', { status: 200, type: 'application/json', body: '{"hello":"world"}' }],
] as const) {
  t.test(`a malformed MCP reply (${what}): ERR_BAD_AGENT_REPLY`, async (t) => {
    const f = await front(t, () => action);
    const w = await world(t, f.port);
    await rejects(t, handoff(t, w).call('writer.acme.agents', { task: 'x' }), 'ERR_BAD_AGENT_REPLY', what);
  });
}

t.test('names: not found, no agent record, alias loops', async (t) => {
  const extra = [
    'ghost IN SVCB 0 nothere.acme.agents.',
    'gone IN SVCB 0 .',
    'loop1 IN SVCB 0 loop2.acme.agents.',
    'loop2 IN SVCB 0 loop1.acme.agents.',
    'broken IN SVCB 1 mcp.acme.agents. alpn="h2" port=18101 key65320="/x"',
    'textonly IN TXT "not an agent"',
    '',
  ].join('\n');
  const w = await world(t, 1, { demo: false, extra });
  const h = handoff(t, w);
  await rejects(t, h.call('nope.acme.agents', {}), 'ERR_AGENT_NOT_FOUND', 'a name that does not exist');
  await rejects(t, h.resolve('nope.globex.agents'), 'ERR_AGENT_NOT_FOUND', 'resolve too');
  const ghost = await rejects(t, h.call('ghost.acme.agents', {}), 'ERR_AGENT_NOT_FOUND', 'an alias to a name that does not exist');
  t.match(ghost?.message, /nothere\.acme\.agents\..*NXDOMAIN.*via ghost\.acme\.agents\. -> nothere/);
  await rejects(t, h.call('acme.agents', {}), 'ERR_NO_AGENT_RECORD', 'the zone apex');
  await rejects(t, h.call('mcp.acme.agents', {}), 'ERR_NO_AGENT_RECORD', 'a host name (A only)');
  await rejects(t, h.call('textonly.acme.agents', {}), 'ERR_NO_AGENT_RECORD', 'a TXT only');
  await rejects(t, h.call('gone.acme.agents', {}), 'ERR_NO_AGENT_RECORD', 'AliasMode to "."');
  const loop = await rejects(t, h.call('loop1.acme.agents', {}), 'ERR_NO_AGENT_RECORD', 'an alias loop');
  t.match(loop?.message, /alias loop/);
  const broken = await rejects(t, h.call('broken.acme.agents', {}), 'ERR_NO_AGENT_RECORD', 'an unusable SVCB record');
  t.match(broken?.message, /lacks "mcp"/);
  await rejects(t, h.call('a..b', {}), 'ERR_HANDOFF_USAGE', 'not a DNS name');
});

t.test('endpoints: unreachable, refused by policy, tool missing, tool error', async (t) => {
  const extra = [
    'far IN A 192.0.2.1',
    'remote IN SVCB 1 far.acme.agents. alpn="mcp" port=80 key65320="/mcp" key65321="streamable-http" key65322="draft_copy" key65326="http"',
    '',
  ].join('\n');
  // Nothing listens on FRONT:18199. (Not a low port: fetch refuses "bad ports" such as 1 outright.)
  const dead = await world(t, 18199, { demo: false, extra });
  const e = await rejects(t, handoff(t, dead).call('writer.acme.agents', { task: 'x' }), 'ERR_ENDPOINT_UNREACHABLE', 'no agent running');
  t.same(e?.tried?.map((a) => [a.url, a.code]), [[`${P1}:18199/agents/writer/mcp`, 'ECONNREFUSED'], [BACKUP, 'ECONNREFUSED']], 'both endpoints, in order, and why');
  t.match(e?.message, /front\.acme\.agents:18199.*ECONNREFUSED.*mcp-backup/);

  const w = await world(t, 18101, { extra });
  const h = handoff(t, w);
  const r = await rejects(t, h.call('remote.acme.agents', { task: 'x' }), 'ERR_ENDPOINT_REFUSED', 'http to 192.0.2.1');
  // A connection attempt to 192.0.2.1 (TEST-NET) would have ended in a timeout, not in REFUSED_HTTP.
  t.same(r?.tried?.map((a) => a.code), ['REFUSED_HTTP'], 'refused without trying to connect');
  await rejects(t, handoff(t, w, { allowHttp: 'none' }).call('editor.acme.agents', { text: 'x' }), 'ERR_ENDPOINT_REFUSED', 'allowHttp none, even on loopback');

  const m = await rejects(t, h.call('editor.acme.agents', { text: 'x' }, { tool: 'no_such_tool' }), 'ERR_TOOL_MISSING', 'a tool the endpoint lacks');
  t.match(m?.message, /no tool "no_such_tool" \(tools\/list: edit_text\)/);
  const te = await rejects(t, h.call('translator.acme.agents', { text: 'hi', target_language: 'xx' }), 'ERR_TOOL_ERROR', 'arguments the tool rejects');
  t.match(te?.message, /target_language/);
  await rejects(t, h.call('editor.acme.agents', {}), 'ERR_TOOL_ERROR', 'a missing required argument');
  // The endpoint answered: the circuit stays closed.
  t.equal(h.breaker.state('http://mcp.acme.agents:18103/agents/editor/mcp'), 'closed');
});

t.test('DNS failures: ERR_LOOKUP_FAILED', async (t) => {
  const nobody = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup({ address: DNS, port: 1 }, { timeoutMs: 500 }) });
  t.teardown(() => nobody.close());
  await rejects(t, nobody.call('writer.acme.agents', {}), 'ERR_LOOKUP_FAILED', 'no DNS server there');
  const servfail: DnsLookup = { query: async () => ({ rcode: 2, answers: [], authority: [], additional: [] }) };
  const h = new HandOff({ loopbackZones: 'any', lookup: servfail });
  t.teardown(() => h.close());
  const e = await rejects(t, h.resolve('writer.acme.agents'), 'ERR_LOOKUP_FAILED', 'SERVFAIL');
  t.match(e?.message, /SERVFAIL/);
});

t.test('the deadline covers resolution: a DNS that never answers', async (t) => {
  const hanging: DnsLookup = {
    // A real lookup holds a socket open; this one holds a timer, so the process waits as it would.
    query: (_n, _t, signal) => new Promise((_resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the test lookup was never aborted')), 10_000);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      }, { once: true });
    }),
  };
  const h = new HandOff({ loopbackZones: 'any', lookup: hanging, timeoutMs: 200 });
  t.teardown(() => h.close());
  await rejects(t, h.call('writer.acme.agents', {}), 'ERR_CALL_TIMEOUT', 'call');
  await rejects(t, h.resolve('writer.acme.agents'), 'ERR_CALL_TIMEOUT', 'resolve');
  await rejects(t, h.listTools('writer.acme.agents'), 'ERR_CALL_TIMEOUT', 'listTools');
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('stop')), 50);
  await rejects(t, h.call('writer.acme.agents', {}, { signal: ac.signal, timeoutMs: 5000 }), 'ERR_CALL_ABORTED', 'caller abort during resolution');
});

t.test('usage and lifecycle errors', async (t) => {
  const lookup: DnsLookup = { query: async () => ({ rcode: 3, answers: [], authority: [], additional: [] }) };
  t.throws(() => new HandOff({ loopbackZones: 'any', lookup, timeoutMs: 0 }), { code: 'ERR_HANDOFF_USAGE' });
  t.throws(() => new HandOff({ loopbackZones: 'any', lookup, allowHttp: 'maybe' as 'any' }), { code: 'ERR_HANDOFF_USAGE' });
  t.throws(() => new HandOff({ loopbackZones: 'any', lookup: undefined as unknown as DnsLookup }), { code: 'ERR_HANDOFF_USAGE' });
  const h = new HandOff({ loopbackZones: 'any', lookup });
  await rejects(t, h.call('writer.acme.agents', [] as unknown as Record<string, unknown>), 'ERR_HANDOFF_USAGE', 'arguments not an object');
  await rejects(t, h.call('writer.acme.agents', {}, { timeoutMs: -1 }), 'ERR_HANDOFF_USAGE', 'a negative deadline');
  await h.close();
  await rejects(t, h.call('writer.acme.agents', {}), 'ERR_HANDOFF_CLOSED', 'after close');
  const codes = Object.values(HandOffCode).map((c) => c.exit).filter((x) => x !== 10);
  t.equal(new Set(codes).size, codes.length, 'each code but the internal one has its own exit status');
});
