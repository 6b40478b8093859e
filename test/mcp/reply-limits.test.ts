// Replies are bounded (src/mcp/http.ts's ReplyLimits): a hostile endpoint on loopback in place of
// writer's (an aop Daemon with the bundled zones on .1, the endpoint on .2:18101) answers initialize
// and tools/list as MCP does, then tools/call with a huge JSON body, an endless JSON body, an
// endless SSE stream of small events or one endless event. Each call ends with ERR_REPLY_TOO_LARGE
// well before its deadline, and the process's memory stays within a loose bound.

import t, { type Test } from 'tap';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { agentWorld } from '../helpers/mcp-agents.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { HandOff, HandOffError, NetworkLookup } from '../../src/mcp/index.js';
import { OriginPools, ReplyTooLargeError } from '../../src/mcp/http.js';
import { runCall } from '../../src/cli/call.js';
import { listMcpTools } from '../../src/mcp/tools-list.js';
import { connect, copyZones, startStack, text } from '../helpers/gateway.js';

const NET = await leaseNet(t);
const DNS = NET.host(1);
const AGENTS = NET.host(2);
const world = await agentWorld(t, { dnsHost: DNS, agentHost: AGENTS, demo: false });

type Mode = 'huge-json' | 'endless-json' | 'endless-sse' | 'endless-event' | 'sse-ok' | 'list-endless';
let mode: Mode = 'huge-json';
/** Bytes the endpoint wrote for tools/call replies (its writes wait for the socket: backpressure). */
let written = 0;

function reply(res: ServerResponse, id: unknown, result: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', id, result }));
}

/** Write `next()` until the client goes away, as fast as the socket takes it. */
function pump(res: ServerResponse, next: () => string | Buffer | undefined): void {
  const go = (): void => {
    for (;;) {
      if (res.destroyed) return;
      const chunk = next();
      if (chunk === undefined) {
        res.end();
        return;
      }
      written += chunk.length;
      if (!res.write(chunk)) return;
    }
  };
  res.on('drain', go);
  go();
}

const CHUNK = 'x'.repeat(64 * 1024);

function hostile(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET') return void res.writeHead(405).end();
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method: string; params?: { protocolVersion?: string } };
    if (msg.id === undefined) return void res.writeHead(202).end();
    if (msg.method === 'initialize') {
      return reply(res, msg.id, { protocolVersion: msg.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'hostile', version: '1' } }, { 'mcp-session-id': 'hostile-1' });
    }
    if (msg.method === 'tools/list' && mode === 'list-endless') {
      res.writeHead(200, { 'content-type': 'application/json' });
      let started = false;
      pump(res, () => (started ? CHUNK : ((started = true), `{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{"tools":[{"name":"`)));
      return;
    }
    if (msg.method === 'tools/list') return reply(res, msg.id, { tools: [{ name: 'draft_copy', inputSchema: { type: 'object' } }] });
    const head = `{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{"content":[{"type":"text","text":"`;
    const tail = '"}]}}';
    if (mode === 'huge-json') {
      // 100 MB of valid JSON-RPC: without a bound it is read, parsed and returned whole.
      const size = 100 * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(head.length + size + tail.length) });
      const parts = (function* () {
        yield head;
        for (let left = size; left > 0; left -= CHUNK.length) yield left >= CHUNK.length ? CHUNK : CHUNK.slice(0, left);
        yield tail;
      })();
      pump(res, () => parts.next().value ?? undefined);
      return;
    }
    if (mode === 'endless-json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      let started = false;
      pump(res, () => (started ? CHUNK : ((started = true), head)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (mode === 'sse-ok') {
      res.write(': comment\n\nevent: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}}\r\n\r\n');
      res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'fine' }] } })}\n\n`);
      return;
    }
    if (mode === 'endless-sse') {
      // Small notifications, forever: each one fine, their number not.
      const note = `event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"${'y'.repeat(200)}"}}\n\n`;
      pump(res, () => note);
      return;
    }
    // One event whose data line never ends.
    let started = false;
    pump(res, () => (started ? CHUNK : ((started = true), `event: message\ndata: ${head}`)));
  });
}

const sockets = new Set<Socket>();
const server = http.createServer(hostile);
server.on('connection', (s: Socket) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
await new Promise<void>((resolve) => server.listen(18101, AGENTS, resolve));
t.teardown(() => new Promise<void>((resolve) => {
  server.close(() => resolve());
  for (const s of sockets) s.destroy();
}));

function handOff(t: Test, extra: { maxReplyBytes?: number; maxReplyEvents?: number } = {}): HandOff {
  const h = new HandOff({ lookup: new NetworkLookup(world.dns), loopbackZones: 'any', timeoutMs: 20_000, retries: 0, ...extra });
  t.teardown(() => h.close());
  return h;
}

const MiB = 1024 * 1024;

async function bounded(t: Test, m: Mode, opts: { maxReplyBytes?: number; maxReplyEvents?: number } = {}): Promise<void> {
  mode = m;
  written = 0;
  const h = handOff(t, opts);
  const before = process.memoryUsage();
  const t0 = performance.now();
  const err = await h.call('writer.acme.agents', {}).then(() => undefined, (e: unknown) => e);
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  t.ok(err instanceof HandOffError, `${m}: the call failed (${String(err)})`);
  t.equal((err as HandOffError).code, 'ERR_REPLY_TOO_LARGE', `${m}: ERR_REPLY_TOO_LARGE (${(err as Error).message})`);
  t.equal((err as HandOffError).exitCode, 15);
  t.equal((err as HandOffError).tried?.at(-1)?.code, 'ERR_REPLY_TOO_LARGE', 'the try says why');
  t.ok(ms < 15_000, `${m}: it ended (${Math.round(ms)} ms), not at the deadline`);
  // Loose sanity bounds: unbounded, these reached gigabytes.
  const grew = (after.rss - before.rss) / MiB;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / MiB;
  t.ok(grew < 200, `${m}: rss grew ${grew.toFixed(1)} MiB`);
  t.ok(buffers < 100, `${m}: arrayBuffers grew ${buffers.toFixed(1)} MiB`);
  t.ok(written < 64 * MiB, `${m}: the endpoint wrote ${(written / MiB).toFixed(1)} MiB before the client hung up`);
}

t.test('a 100 MB JSON reply is cut off at maxReplyBytes (default 4 MiB)', (t) => bounded(t, 'huge-json'));
t.test('an endless JSON body is cut off at maxReplyBytes', (t) => bounded(t, 'endless-json'));
t.test('an endless SSE stream of small events is cut off at maxReplyEvents', (t) => bounded(t, 'endless-sse', { maxReplyEvents: 1000 }));
t.test('one endless SSE event is cut off at maxReplyBytes', (t) => bounded(t, 'endless-event', { maxReplyBytes: MiB }));

t.test('replies within the limits pass: SSE with comments and CRLF lines', async (t) => {
  mode = 'sse-ok';
  const o = await handOff(t, { maxReplyEvents: 3 }).call('writer.acme.agents', {});
  t.same(o.result.content, [{ type: 'text', text: 'fine' }]);
});

t.test('the limits are options, checked', async (t) => {
  t.throws(() => new HandOff({ lookup: new NetworkLookup(world.dns), maxReplyBytes: 0 }), { code: 'ERR_HANDOFF_USAGE' });
  t.throws(() => new HandOff({ lookup: new NetworkLookup(world.dns), maxReplyEvents: 1.5 }), { code: 'ERR_HANDOFF_USAGE' });
  t.throws(() => new OriginPools({ limits: { maxReplyBytes: -1 } }), RangeError);
  t.equal(new ReplyTooLargeError('x').code, 'ERR_REPLY_TOO_LARGE');
});

t.test('after a cut-off, the next call opens a new session and works', async (t) => {
  const h = handOff(t, { maxReplyBytes: MiB });
  mode = 'endless-json';
  await t.rejects(h.call('writer.acme.agents', {}), { code: 'ERR_REPLY_TOO_LARGE' });
  mode = 'sse-ok';
  const o = await h.call('writer.acme.agents', {});
  t.same(o.result.content, [{ type: 'text', text: 'fine' }]);
});

t.test('aop call --max-reply-bytes: exit status 15 and the code in --json', async (t) => {
  mode = 'endless-sse';
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => { out.push(s); }, stderr: (s: string) => { err.push(s); }, env: {} };
  const status = await runCall({ name: 'writer.acme.agents', server: `${DNS}:${world.dns.port}`, json: true, timeout: 20, maxReplyBytes: 65536, maxReplyEvents: 100, allowLoopbackZone: ['acme.agents'] }, io);
  t.equal(status, 15, err.join(''));
  t.equal((JSON.parse(out.join('')) as { error: { code: string } }).error.code, 'ERR_REPLY_TOO_LARGE');
  mode = 'huge-json';
  const status2 = await runCall({ name: 'writer.acme.agents', server: `${DNS}:${world.dns.port}`, timeout: 20, allowLoopbackZone: ['acme.agents'] }, { ...io, stdout: () => undefined });
  t.equal(status2, 15, 'the 4 MiB default');
});

t.test("import-mcp's tools-list client is bounded too", async (t) => {
  mode = 'list-endless';
  written = 0;
  const err = await listMcpTools(`http://${AGENTS}:18101/mcp`, { timeoutMs: 20_000 }).then(() => undefined, (e: unknown) => e);
  t.match(err, { code: 'ERR_IMPORT_MCP_NOT_MCP', message: /past the limits/ });
  t.ok(written < 64 * MiB, `the endpoint wrote ${(written / MiB).toFixed(1)} MiB`);
});

t.test('the gateway: three call_agents to an endless SSE stream end, and the memory comes back', async (t) => {
  const zone = [
    '$ORIGIN hostile.agents.',
    '$TTL 300',
    '@ 3600 IN SOA ns1.hostile.agents. hostmaster.hostile.agents. 1 3600 900 604800 300',
    '@ 3600 IN NS ns1',
    `ns1 IN A ${NET.host(3)}`,
    `host IN A ${AGENTS}`,
    'flood IN SVCB 1 host.hostile.agents. alpn="mcp" port=18101 key65320="/mcp" key65321="streamable-http" key65322="draft_copy" key65326="http"',
    '',
  ].join('\n');
  // The stack's own demo agents on .4, its daemon and gateway on .3; the hostile endpoint on .2.
  const stack = await startStack(t, { zonesDir: copyZones(t, NET.host(4)), dnsAddress: NET.host(3), extraZones: { 'hostile.agents.zone': zone } });
  const client = await connect(t, stack.url);
  mode = 'endless-sse';
  written = 0;
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const results = await Promise.all([1, 2, 3].map(() => client.callTool({ name: 'call_agent', arguments: { name: 'flood.hostile.agents' } })));
  t.ok(performance.now() - t0 < 15_000, 'they ended before the deadline');
  for (const r of results) {
    t.ok(r.isError);
    t.match(text(r), /^ERR_REPLY_TOO_LARGE: /);
  }
  const grew = (process.memoryUsage().rss - before) / MiB;
  t.ok(grew < 300, `rss grew ${grew.toFixed(1)} MiB`);
});
