// Where a record may aim the hand-off on this host: loopback endpoints only for agents of the zones
// served locally (HandOff loopbackZones; the gateway: its daemon's catalog), never the caller's own
// listeners (selfAddresses: the gateway itself), and a hop limit between gateways (aop-hops).
// A leased loopback /24: a daemon with the bundled zones on .1, their agent hosts (demo agents) on .2;
// the gateway's stack on .3 (its daemon and gateway) and .4 (its demo agents).

import t, { type Test } from 'tap';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { agentWorld } from '../helpers/mcp-agents.js';
import { connect, copyZones, startStack, text } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { HandOff, HandOffError, NetworkLookup, type HandOffOptions } from '../../src/mcp/index.js';
import { parseHops } from '../../src/mcp/gateway/server.js';
import { runCall } from '../../src/cli/call.js';
import { runAgent } from '../../src/cli/agent.js';
import { writeDaemonState } from '../../src/cli/daemon-state.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NET = await leaseNet(t);
const DNS = NET.host(1);
const AGENTS = NET.host(2);
const GW = NET.host(3);
const GW_PORT = 18180;

const world = await agentWorld(t, { dnsHost: DNS, agentHost: AGENTS });

function handOff(t: Test, opts: Partial<HandOffOptions>): HandOff {
  const h = new HandOff({ lookup: new NetworkLookup(world.dns), retries: 0, ...opts });
  t.teardown(() => h.close());
  return h;
}

async function refusal(p: Promise<unknown>): Promise<HandOffError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof HandOffError)) throw new Error(`expected a HandOffError, got ${String(err)}`);
  return err;
}

t.test('loopback endpoints only for the zones given as served here', async (t) => {
  // The default: no zone is local, so a record cannot aim the hand-off at a local port.
  const none = await refusal(handOff(t, {}).call('writer.acme.agents', { task: 'x' }));
  t.equal(none.code, 'ERR_ENDPOINT_REFUSED');
  t.equal(none.exitCode, 8);
  t.same(none.tried?.map((a) => a.code), ['REFUSED_LOOPBACK', 'REFUSED_LOOPBACK'], 'both endpoints, never contacted');
  t.match(none.message, /loopback address .* zone acme\.agents\., which this host does not serve/);
  // The zone's apex, matched exactly (a parent zone does not cover a child it delegates).
  const parent = await refusal(handOff(t, { loopbackZones: ['agents'] }).call('writer.acme.agents', { task: 'x' }));
  t.equal(parent.code, 'ERR_ENDPOINT_REFUSED');
  const ok = await handOff(t, { loopbackZones: ['ACME.agents.'] }).call('writer.acme.agents', { task: 'x' });
  t.match(text(ok.result), /writer/i);
  // A function is asked on every call (a reloaded catalog).
  let zones: string[] = [];
  const h = handOff(t, { loopbackZones: () => zones });
  t.equal((await refusal(h.call('writer.acme.agents', { task: 'x' }))).code, 'ERR_ENDPOINT_REFUSED');
  zones = ['acme.agents'];
  t.ok((await h.call('writer.acme.agents', { task: 'x' })).result);
  // 'any': every zone (aop call --allow-http any).
  t.ok((await handOff(t, { loopbackZones: 'any' }).call('writer.acme.agents', { task: 'x' })).result);
});

t.test("the caller's own listeners are never called, whatever the zone", async (t) => {
  const h = handOff(t, { loopbackZones: 'any', selfAddresses: () => [{ address: AGENTS, port: 18101 }] });
  const o = await h.call('writer.acme.agents', { task: 'x' });
  t.equal(o.attempts[0]?.code, 'REFUSED_SELF', 'priority 1 is on a listener of ours: skipped');
  t.match(o.endpoint, /:18102\//, 'the backup answered');
  // A wildcard bind takes every local address.
  const all = await refusal(handOff(t, { loopbackZones: 'any', selfAddresses: () => [{ address: '0.0.0.0', port: 18101 }, { address: '::', port: 18102 }] }).call('writer.acme.agents', { task: 'x' }));
  t.same(all.tried?.map((a) => a.code), ['REFUSED_SELF', 'REFUSED_SELF']);
  t.equal(all.code, 'ERR_ENDPOINT_REFUSED');
});

t.test('aop-hops values', async (t) => {
  t.equal(parseHops(undefined), 0);
  t.equal(parseHops('3'), 3);
  t.equal(parseHops(['1', '2']), 2);
  t.equal(parseHops('x'), undefined);
  t.equal(parseHops('-1'), undefined);
});

/** A record's MCP endpoint that relays every tools/call to `target()`'s call_agent, passing aop-hops on as it came (a naive proxy). */
async function relay(t: Test): Promise<{ port: number; hops: Array<string | undefined>; target: { url: string } }> {
  const hops: Array<string | undefined> = [];
  const target = { url: '' };
  const sockets = new Set<Socket>();
  const reply = (res: http.ServerResponse, id: unknown, result: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', id, result }));
  };
  const server = http.createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(req.method === 'DELETE' ? 200 : 405).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method: string; params?: { protocolVersion?: string } };
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'initialize') return reply(res, msg.id, { protocolVersion: msg.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'relay', version: '1' } }, { 'mcp-session-id': 'r1' });
      if (msg.method === 'tools/list') return reply(res, msg.id, { tools: [{ name: 'relay', inputSchema: { type: 'object' } }] });
      const h = req.headers['aop-hops'];
      hops.push(typeof h === 'string' ? h : undefined);
      void (async () => {
        const client = new Client({ name: 'relay', version: '1' });
        try {
          await client.connect(new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers: typeof h === 'string' ? { 'aop-hops': h } : {} } }));
          const r = await client.callTool({ name: 'call_agent', arguments: { name: 'loop.loop.agents' } });
          reply(res, msg.id, r);
        } catch (err) {
          reply(res, msg.id, { isError: true, content: [{ type: 'text', text: `relay: ${(err as Error).message}` }] });
        } finally {
          await client.close().catch(() => undefined);
        }
      })();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, AGENTS, resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  }));
  return { port: (server.address() as AddressInfo).port, hops, target };
}

t.test('the gateway: its own address never, its catalog zones only, and a hop limit', async (t) => {
  const r = await relay(t);
  const svcb = (owner: string, target: string, port: number, tool: string): string =>
    `${owner} IN SVCB 1 ${target} alpn="mcp" port=${port} key65320="/mcp" key65321="streamable-http" key65322="${tool}" key65326="http"`;
  const zone = [
    '$ORIGIN loop.agents.',
    '$TTL 300',
    '@ 3600 IN SOA ns1.loop.agents. hostmaster.loop.agents. 1 3600 900 604800 300',
    '@ 3600 IN NS ns1',
    `ns1 IN A ${GW}`,
    `gw IN A ${GW}`,
    `relay IN A ${AGENTS}`,
    // The gateway's own listener: its call_agent, driven by a record.
    svcb('self', 'gw.loop.agents.', GW_PORT, 'call_agent'),
    // An endpoint that calls the gateway back: a loop only the hop limit ends.
    svcb('loop', 'relay.loop.agents.', r.port, 'relay'),
    '',
  ].join('\n');
  const stack = await startStack(t, { zonesDir: copyZones(t, NET.host(4)), dnsAddress: GW, gatewayPort: GW_PORT, extraZones: { 'loop.agents.zone': zone } });
  r.target.url = stack.url;
  const client = await connect(t, stack.url);

  const self = await client.callTool({ name: 'call_agent', arguments: { name: 'self.loop.agents', arguments: { name: 'writer.acme.agents' } } });
  t.ok(self.isError);
  t.match(text(self), /^ERR_ENDPOINT_REFUSED: .*own listener/);
  t.match((self.structuredContent as { error: { tried: Array<{ code: string }> } }).error.tried, [{ code: 'REFUSED_SELF' }]);

  // A zone the daemon serves: its loopback agents are called.
  const writer = await client.callTool({ name: 'call_agent', arguments: { name: 'writer.acme.agents', arguments: { task: 'x' } } });
  t.notOk(writer.isError, text(writer));

  const t0 = performance.now();
  const loop = await client.callTool({ name: 'call_agent', arguments: { name: 'loop.loop.agents' } });
  t.ok(performance.now() - t0 < 15_000, 'the loop ended well before any deadline');
  t.ok(loop.isError);
  t.match(text(loop), /ERR_HOP_LIMIT/);
  t.same(r.hops, ['1', '2', '3', '4'], 'each gateway pass added one; the fourth came back refused (HTTP 508)');

  // At the limit, the gateway refuses before anything runs.
  const res = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'aop-hops': '4' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }) });
  t.equal(res.status, 508);
  t.match(await res.text(), /ERR_HOP_LIMIT/);
  const bad = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', 'aop-hops': 'many' }, body: '{}' });
  t.equal(bad.status, 400);
});

t.test('aop call: the announced daemon\'s own zones when it is the server asked, else --allow-loopback-zone', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-policy-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'daemon.json');
  const quiet = { stdout: () => undefined, stderr: () => undefined };
  const server = `${world.dns.address}:${world.dns.port}`;
  writeDaemonState(file, { pid: process.pid, dns: world.dns, served: ['acme.agents', 'agents', 'globex.agents'], started: new Date().toISOString() });
  t.equal(await runCall({ name: 'writer.acme.agents', arg: ['task=x'], server }, { ...quiet, env: { AOP_STATE_FILE: file } }), 0, 'the announced daemon answered: its zones are local');
  writeDaemonState(file, { pid: process.pid, dns: { address: world.dns.address, port: 1 }, served: ['acme.agents'], started: new Date().toISOString() });
  let stderr = '';
  t.equal(await runCall({ name: 'writer.acme.agents', arg: ['task=x'], server }, { ...quiet, stderr: (s) => { stderr += s; }, env: { AOP_STATE_FILE: file } }), 8, 'another server answered: refused');
  t.match(stderr, /REFUSED_LOOPBACK|loopback address/);
  t.equal(await runCall({ name: 'writer.acme.agents', arg: ['task=x'], server, allowLoopbackZone: ['acme.agents'] }, { ...quiet, env: {} }), 0, '--allow-loopback-zone');
  t.equal(await runCall({ name: 'writer.acme.agents', arg: ['task=x'], server, allowHttp: 'any' }, { ...quiet, env: {} }), 0, '--allow-http any');
});

t.test('aop agent marks the endpoints a call would refuse for loopback', async (t) => {
  let out = '';
  const io = { stdout: (s: string) => { out += s; }, stderr: () => undefined, env: {} };
  t.equal(await runAgent({ name: 'writer.acme.agents', server: `${world.dns.address}:${world.dns.port}` }, io), 0);
  t.match(out, /refused: loopback for a zone not served here/);
  out = '';
  t.equal(await runAgent({ name: 'writer.acme.agents', server: `${world.dns.address}:${world.dns.port}`, allowLoopbackZone: ['acme.agents'] }, io), 0);
  t.notMatch(out, /refused/);
});
