// aop as a client of agents published in DNS-AID form (test/fixtures/dns-aid/dnsaid.test.zone,
// records as dns-aid-core's publisher writes them), served by an in-process Daemon on a leased
// loopback /24, the endpoints https MCP servers with a test CA: the path from a verified `cap`,
// from the endpoint's agent card, or /mcp; the tool from tools/list; each bad `cap` refused with
// its own code before any call; the `_{agent}._mcp._agents` name and the `_agents` AliasMode.

import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { startDaemon } from '../helpers/server.js';
import { makeCertificates } from '../helpers/tls-cert.js';
import { startHttpsSite, type HttpsSite } from '../helpers/https-site.js';
import { parseListen } from '../../src/server/listen.js';
import { HandOff, HandOffError, NetworkLookup } from '../../src/mcp/index.js';
import { capDigest } from '../../src/mcp/locate.js';
import { runAgent } from '../../src/cli/agent.js';
import { runCall } from '../../src/cli/call.js';

const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOST = NET.host(2);
const CARD = NET.host(3);
const PLAIN = NET.host(4);
const DOWN = NET.host(5);
// The /24 is this file's alone, so a fixed port is safe.
const PORT = 18443;

const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dns-aid-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const certs = makeCertificates(path.join(dir, 'tls'), { names: ['mcp.dnsaid.test', 'card.dnsaid.test', 'plain.dnsaid.test', 'down.dnsaid.test'], ips: [] });
const CA = readFileSync(certs.ca, 'utf8');

const capped = Buffer.from(JSON.stringify({ capabilities: ['drafting'], version: '1.0.0', endpoints: { mcp: '/agents/capped/mcp' } }));
const tampered = Buffer.from(JSON.stringify({ endpoints: { mcp: '/agents/capped/mcp' }, note: 'changed after pinning' }));
const json = 'application/json';
const sites: HttpsSite[] = [
  await startHttpsSite(HOST, PORT, certs, {
    '/cap/capped.json': { body: capped, type: json },
    '/cap/tampered.json': { body: tampered, type: json },
    '/cap/big.json': { body: JSON.stringify({ endpoints: { mcp: '/agents/capped/mcp' }, pad: 'x'.repeat(300_000) }), type: json },
    '/cap/notjson.txt': { body: 'endpoints: mcp=/agents/capped/mcp', type: 'text/plain' },
    '/cap/badjson.json': { body: '{"endpoints": {"mcp": ', type: json },
    '/cap/noendpoint.json': { body: JSON.stringify({ capabilities: ['drafting'] }), type: json },
    '/agents/capped/mcp': { mcp: ['draft_copy'] },
  }),
  await startHttpsSite(CARD, PORT, certs, {
    '/.well-known/agent-card.json': { body: JSON.stringify({ name: 'carded', url: `https://card.dnsaid.test:${PORT}`, endpoints: { mcp: '/rpc/mcp' } }), type: json },
    '/rpc/mcp': { mcp: ['summarize'] },
  }),
  await startHttpsSite(PLAIN, PORT, certs, { '/mcp': { mcp: ['translate', 'detect_language'] } }),
];
t.teardown(() => Promise.all(sites.map((s) => s.close())));
const [mcpSite, cardSite, plainSite] = sites as [HttpsSite, HttpsSite, HttpsSite];

const zones = path.join(dir, 'zones');
const fixture = readFileSync(new URL('../fixtures/dns-aid/dnsaid.test.zone', import.meta.url), 'utf8');
mkdirSync(zones);
writeFileSync(path.join(zones, 'dnsaid.test.zone'), fixture
  .replaceAll('@HOST@', HOST).replaceAll('@CARD@', CARD).replaceAll('@PLAIN@', PLAIN).replaceAll('@DOWN@', DOWN)
  .replaceAll('@PORT@', String(PORT))
  .replaceAll('@SHA_CAPPED@', capDigest(capped))
  // Pinned to the document as it was before it changed.
  .replaceAll('@SHA_TAMPERED@', capDigest(capped)));
const { host: dnsHost, port: dnsPort } = await startDaemon(t, { zonesDir: zones, listen: [parseListen(`${DNS}:0`)] });
const server = { address: dnsHost, port: dnsPort };

function handOff(t: { teardown(fn: () => unknown): void }): HandOff {
  const h = new HandOff({ lookup: new NetworkLookup(server), loopbackZones: ['dnsaid.test'], ca: CA, retries: 0 });
  t.teardown(() => h.close());
  return h;
}

const text = (r: { content: Array<{ type: string; text?: string }> }): string => r.content.map((c) => c.text ?? '').join('');

t.test('cap: the path from the verified capability document, the tool from tools/list', async (t) => {
  const h = handOff(t);
  const o = await h.call('capped.dnsaid.test', { text: 'hello' });
  t.equal(o.endpoint, `https://mcp.dnsaid.test:${PORT}/agents/capped/mcp`, 'the endpoint is the cap document\'s endpoints.mcp');
  t.equal(o.card.located, 'cap');
  t.equal(o.card.form, 'dns-aid');
  t.equal(o.tool, 'draft_copy', 'the one tool the endpoint lists');
  t.equal(text(o.result), 'draft_copy: hello');
  t.equal(o.card.capabilities.length, 0);
});

t.test('bap with a version (mcp=1.0) and alpn h2: a DNS-AID card too; an unpinned cap is used with a warning', async (t) => {
  const h = handOff(t);
  const o = await h.call('versioned.dnsaid.test', { text: 'v' });
  t.equal(o.endpoint, `https://mcp.dnsaid.test:${PORT}/agents/capped/mcp`);
  t.ok(o.card.warnings.some((w) => /no cap-sha256/.test(w)), 'the card says the document was not verified');
});

t.test('the walkable AliasMode at {name}._agents is followed', async (t) => {
  const h = handOff(t);
  const r = await h.resolveAgent('capped._agents.dnsaid.test');
  t.same(r.aliases, ['capped._agents.dnsaid.test.', 'capped.dnsaid.test.']);
  t.equal(r.card.endpoints[0]!.path, '/agents/capped/mcp');
});

t.test('each unusable cap refuses the record with its own code, and nothing is called', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['tampered', 'ERR_CAP_DIGEST_MISMATCH', /SHA-256 \S+, but the record's cap-sha256 is \S+; the record is refused/],
    ['bigcap', 'ERR_CAP_TOO_LARGE', /more than 256000 bytes/],
    ['notjson', 'ERR_CAP_NOT_JSON', /served as text\/plain, not application\/json/],
    ['badjson', 'ERR_CAP_NOT_JSON', /not JSON/],
    ['noendpoint', 'ERR_CAP_NO_ENDPOINT', /no endpoints\.mcp path/],
    ['unreachable', 'ERR_CAP_UNREACHABLE', /down\.dnsaid\.test.*ECONNREFUSED/],
  ];
  for (const [name, code, message] of cases) {
    const h = handOff(t);
    const before = mcpSite.hits.filter((p) => p === '/agents/capped/mcp').length;
    const err = await h.call(`${name}.dnsaid.test`, { text: 'x' }).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof HandOffError, `${name}: a HandOffError`);
    t.equal((err as HandOffError).code, code, `${name}: ${code}`);
    t.match((err as HandOffError).message, message, `${name}: says why`);
    t.equal(mcpSite.hits.filter((p) => p === '/agents/capped/mcp').length, before, `${name}: the MCP endpoint was not called`);
  }
});

t.test('no cap: the endpoint\'s /.well-known/agent-card.json gives the path', async (t) => {
  const h = handOff(t);
  const o = await h.call('carded.dnsaid.test', { text: 'long text' });
  t.equal(o.endpoint, `https://card.dnsaid.test:${PORT}/rpc/mcp`);
  t.equal(o.card.located, 'agent-card');
  t.equal(text(o.result), 'summarize: long text');
  t.ok(cardSite.hits.includes('/.well-known/agent-card.json'));
});

t.test('no cap and no agent card: /mcp; several tools need --tool', async (t) => {
  const h = handOff(t);
  const err = await h.call('plain.dnsaid.test', { text: 'hola' }).then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(err.code, 'ERR_HANDOFF_USAGE');
  t.equal(err.exitCode, 1, 'a usage error');
  t.match(err.message, /the record names no tool and https:\/\/plain\.dnsaid\.test:18443\/mcp lists 2: translate, detect_language; pick one with --tool/);
  const o = await h.call('plain.dnsaid.test', { text: 'hola' }, { tool: 'detect_language' });
  t.equal(o.endpoint, `https://plain.dnsaid.test:${PORT}/mcp`);
  t.equal(o.card.located, 'default');
  t.ok(o.card.warnings.some((w) => /agent-card\.json: HTTP 404; using \/mcp/.test(w)), 'the card says why /mcp');
  t.equal(text(o.result), 'detect_language: hola');
  t.ok(plainSite.hits.includes('/.well-known/agent-card.json'), 'the agent card was asked for first');
});

t.test('the flat name has no record: _{agent}._mcp._agents.{domain} is tried', async (t) => {
  const h = handOff(t);
  const o = await h.call('legacy.dnsaid.test', { text: 'x' }, { tool: 'translate' });
  t.equal(o.card.name, '_legacy._mcp._agents.dnsaid.test.');
  t.equal(o.endpoint, `https://plain.dnsaid.test:${PORT}/mcp`);
  const r = await h.resolveAgent('legacy.dnsaid.test');
  t.same(r.aliases, ['legacy.dnsaid.test.', '_legacy._mcp._agents.dnsaid.test.']);
  t.ok(r.card.warnings.some((w) => /legacy name/.test(w)));
  const nx = await h.resolveAgent('nope.dnsaid.test').then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(nx.code, 'ERR_AGENT_NOT_FOUND', 'neither name: the flat name\'s error');
  t.equal(nx.message, 'nope.dnsaid.test.: no such name (NXDOMAIN)');
});

t.test('without the test CA the https endpoint is refused', async (t) => {
  const h = new HandOff({ lookup: new NetworkLookup(server), loopbackZones: ['dnsaid.test'], retries: 0 });
  t.teardown(() => h.close());
  const err = await h.call('capped.dnsaid.test', { text: 'x' }).then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(err.code, 'ERR_CAP_UNREACHABLE');
  t.match(err.message, /certificate/);
});

t.test('a cap on loopback for a zone not served here is refused', async (t) => {
  const h = new HandOff({ lookup: new NetworkLookup(server), ca: CA, retries: 0 });
  t.teardown(() => h.close());
  const err = await h.call('capped.dnsaid.test', { text: 'x' }).then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(err.code, 'ERR_CAP_UNREACHABLE');
  t.match(err.message, /refused: loopback address/);
});

t.test('aop call and aop agent with --ca', async (t) => {
  const io = (): { out: string; err: string; stdout(s: string): void; stderr(s: string): void; env: Record<string, string | undefined> } => {
    const o = { out: '', err: '', env: {}, stdout(s: string) { o.out += s; }, stderr(s: string) { o.err += s; } };
    return o;
  };
  const srv = `${dnsHost}:${dnsPort}`;
  const a = io();
  t.equal(await runCall({ name: 'capped.dnsaid.test', arg: ['text=hi'], server: srv, ca: certs.ca, allowLoopbackZone: ['dnsaid.test'], json: true }, a), 0, a.err);
  const out = JSON.parse(a.out) as { tool: string; endpoint: string };
  t.equal(out.tool, 'draft_copy', '--json names the tool used');
  t.equal(out.endpoint, `https://mcp.dnsaid.test:${PORT}/agents/capped/mcp`);
  const b = io();
  t.equal(await runCall({ name: 'tampered.dnsaid.test', arg: ['text=hi'], server: srv, ca: certs.ca, allowLoopbackZone: ['dnsaid.test'] }, b), 20);
  t.match(b.err, /^aop: call: tampered\.dnsaid\.test\.: capability document \(cap\): .*the record is refused/);
  const c = io();
  t.equal(await runCall({ name: 'plain.dnsaid.test', arg: ['text=hi'], server: srv, ca: certs.ca, allowLoopbackZone: ['dnsaid.test'] }, c), 1);
  t.match(c.err, /lists 2: translate, detect_language; pick one with --tool/);
  const d = io();
  t.equal(await runAgent({ name: 'carded.dnsaid.test', server: srv, ca: certs.ca, allowLoopbackZone: ['dnsaid.test'] }, d), 0, d.err);
  t.match(d.out, /path from {4}the endpoint's \/\.well-known\/agent-card\.json/);
  t.match(d.out, /1\. https:\/\/card\.dnsaid\.test:18443\/rpc\/mcp/);
  const e = io();
  t.equal(await runCall({ name: 'capped.dnsaid.test', server: srv, ca: path.join(dir, 'nope.pem') }, e), 1);
  t.match(e.err, /--ca .*nope\.pem: no such file/);
});
