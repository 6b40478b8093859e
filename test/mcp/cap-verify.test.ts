// aop verifying its own records: an agent published in aop's form with `cap` and `cap-sha256`,
// its document generated from its records and its endpoint's tools/list and served over https
// (test/helpers/https-site.ts, a test CA). The served bytes hash to the record's cap-sha256 and
// the card comes back verified; a document that changed after it was pinned refuses the record
// with ERR_CAP_DIGEST_MISMATCH and no MCP request; a refusal is remembered per hand-off (pools),
// not fetched again on the next call (three gateway-style calls, one fetch); `aop zone cap --ca`
// against the https endpoint makes the very bytes the site serves.

import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { startDaemon } from '../helpers/server.js';
import { makeCertificates } from '../helpers/tls-cert.js';
import { startHttpsSite, type Route } from '../helpers/https-site.js';
import { parseListen } from '../../src/server/listen.js';
import { HandOff, HandOffError, NetworkLookup } from '../../src/mcp/index.js';
import { execFile } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trustedCas } from '../../src/mcp/handoff.js';
import { OriginPools } from '../../src/mcp/http.js';
import { CapRefusals, locateEndpoint, MAX_DESCRIPTOR_BYTES, mustLocate } from '../../src/mcp/locate.js';
import { generateCapability } from '../../src/mcp/cap-generate.js';
import { resolveAgent } from '../../src/mcp/resolve.js';
import { runAgent } from '../../src/cli/agent.js';
import { runCall } from '../../src/cli/call.js';
import { cardFromRecords, capDigest } from '../../src/agent/index.js';
import { loadZoneText } from '../../src/zone/load.js';
import { RRType } from '../../src/wire/types.js';

const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOST = NET.host(2);
const PORT = 18443;
const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-cap-verify-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const certs = makeCertificates(path.join(dir, 'tls'), { names: ['mcp.capverify.test'], ips: [] });
const CA = readFileSync(certs.ca, 'utf8');
const capUrl = (n: string): string => `https://mcp.capverify.test:${PORT}/.well-known/aop/cap/${n}.capverify.test.json`;

const zoneText = (sha: Record<string, string>): string => `$ORIGIN capverify.test.
$TTL 300
@        IN SOA ns.capverify.test. h.capverify.test. 1 3600 600 86400 300
@        IN NS  ns.capverify.test.
ns       IN A   ${HOST}
mcp      IN A   ${HOST}
aidtampered IN SVCB 1 mcp.capverify.test. alpn="mcp" port=${PORT} key65400="${capUrl('tampered')}" key65401="${sha.tampered ?? 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}" key65402="mcp"
${['good', 'tampered'].map((n) => `${n} IN SVCB 1 mcp.capverify.test. alpn="mcp,h2" port=${PORT} key65320="/agents/${n}/mcp" key65321="streamable-http" key65322="draft_copy" key65324="Drafts copy" key65400="${capUrl(n)}" key65401="${sha[n] ?? 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}" key65402="mcp"`).join('\n')}
`;

// The documents from the records and the site's own tools/list, as `aop zone cap` makes them.
const routes: Record<string, Route> = { '/agents/good/mcp': { mcp: ['draft_copy'] }, '/agents/tampered/mcp': { mcp: ['draft_copy'] } };
const site = await startHttpsSite(HOST, PORT, certs, routes);
t.teardown(() => site.close());
const draft = loadZoneText(zoneText({}), { origin: 'capverify.test.' });
const card = (n: string) => {
  const set = draft.rrset(`${n}.capverify.test.`, RRType.SVCB)!;
  const a = draft.rrset('mcp.capverify.test.', RRType.A)!;
  return cardFromRecords(set.name, [...set.rdata.map((rdata) => ({ name: set.name, type: set.type, class: set.class, ttl: set.ttl, rdata })), { name: a.name, type: a.type, class: a.class, ttl: a.ttl, rdata: a.rdata[0]! }], { zone: 'capverify.test.' });
};
const good = await generateCapability(card('good'), { ca: trustedCas(CA) });
const pinned = await generateCapability(card('tampered'), { ca: trustedCas(CA) });
const changed = Buffer.from(pinned.bytes.toString('utf8').replace('Drafts copy', 'Drafts c0py'));
routes['/.well-known/aop/cap/good.capverify.test.json'] = { body: good.bytes, type: 'application/json' };
routes['/.well-known/aop/cap/tampered.capverify.test.json'] = { body: changed, type: 'application/json' };
site.hits.length = 0;

const zones = path.join(dir, 'zones');
mkdirSync(zones);
writeFileSync(path.join(zones, 'capverify.test.zone'), zoneText({ good: good.digest, tampered: pinned.digest }));
const { host: dnsHost, port: dnsPort } = await startDaemon(t, { zonesDir: zones, listen: [parseListen(`${DNS}:0`)] });
const server = `${dnsHost}:${dnsPort}`;

const io = () => {
  const o = { out: '', err: '', env: {} as Record<string, string | undefined>, stdout(s: string) { o.out += s; }, stderr(s: string) { o.err += s; } };
  return o;
};
const common = { server, ca: certs.ca, allowLoopbackZone: ['capverify.test'] };

t.test('the served bytes hash to the record: the card comes back verified', async (t) => {
  const a = io();
  t.equal(await runAgent({ name: 'good.capverify.test', json: true, ...common }, a), 0, a.err);
  const out = JSON.parse(a.out) as { capVerified?: boolean; capSha256: string; endpoints: Array<{ url: string }> };
  t.equal(out.capVerified, true);
  t.equal(out.capSha256, capDigest(good.bytes));
  t.equal(out.endpoints[0]!.url, `https://mcp.capverify.test:${PORT}/agents/good/mcp`, "the record's path: aop's form needs no document to call");
  t.ok(site.hits.includes('/.well-known/aop/cap/good.capverify.test.json'), 'the document was fetched');
  const c = io();
  t.equal(await runCall({ name: 'good.capverify.test', arg: ['text=hi'], json: true, ...common }, c), 0, c.err);
});

t.test('a document that changed after it was pinned: ERR_CAP_DIGEST_MISMATCH, no MCP request', async (t) => {
  site.hits.length = 0;
  const a = io();
  t.equal(await runAgent({ name: 'tampered.capverify.test', ...common }, a), 20, 'exit 20');
  t.match(a.err, /tampered\.capverify\.test\.: capability document \(cap\): https:\/\/mcp\.capverify\.test:18443\/\.well-known\/aop\/cap\/tampered\.capverify\.test\.json: SHA-256 \S+, but the record's cap-sha256 is \S+; the record is refused/);
  t.notOk(site.hits.includes('/agents/tampered/mcp'), 'no MCP request');
});

t.test('aop call refuses it too, with no MCP request', async (t) => {
  site.hits.length = 0;
  const c = io();
  t.equal(await runCall({ name: 'tampered.capverify.test', arg: ['text=hi'], ...common }, c), 20, c.err);
  t.notOk(site.hits.includes('/agents/tampered/mcp'), 'no MCP request');
});

t.test('refusals are remembered per pool set, keyed by URL and digest, and bounded', async (t) => {
  const lookup = new NetworkLookup({ address: dnsHost, port: dnsPort });
  const r = await resolveAgent(lookup, 'tampered.capverify.test');
  t.ok(mustLocate(r.card), "an aop-form card with cap and cap-sha256 must be located");
  const pools = new OriginPools({ limits: { maxReplyBytes: MAX_DESCRIPTOR_BYTES }, ca: trustedCas(CA) });
  t.teardown(() => pools.close());
  const o = { lookup, pools, loopbackOk: true };
  const fetches = (): number => site.hits.filter((h) => h === '/.well-known/aop/cap/tampered.capverify.test.json').length;
  site.hits.length = 0;
  const first = await locateEndpoint(r.card, o).then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(first.code, 'ERR_CAP_DIGEST_MISMATCH');
  t.equal(fetches(), 1);
  const second = await locateEndpoint(r.card, o).then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(second.code, 'ERR_CAP_DIGEST_MISMATCH', 'the same refusal');
  t.match(second.message, /not fetched again/);
  t.equal(fetches(), 1, 'not fetched again');
  const other = await locateEndpoint({ ...r.card, capSha256: good.digest }, o).then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(other.code, 'ERR_CAP_DIGEST_MISMATCH');
  t.equal(fetches(), 2, 'another digest is another key');
  const fresh = new OriginPools({ limits: { maxReplyBytes: MAX_DESCRIPTOR_BYTES }, ca: trustedCas(CA) });
  t.teardown(() => fresh.close());
  await locateEndpoint(r.card, { ...o, pools: fresh }).catch(() => undefined);
  t.equal(fetches(), 3, 'another hand-off (pool set) fetches for itself');
  const verified = await locateEndpoint((await resolveAgent(lookup, 'good.capverify.test')).card, o);
  t.equal(verified.capVerified, true);
  t.notOk(mustLocate(verified), 'a verified card is not fetched again');
  const small = new CapRefusals({ max: 2 });
  for (const n of ['a', 'b', 'c']) small.set(`https://x.example/${n}`, undefined, true, first);
  t.equal(small.size, 2, 'bounded');
  t.equal(small.get('https://x.example/a', undefined, true), undefined, 'the least recently used goes first');
  t.equal(small.get('https://x.example/c', undefined, false), undefined, 'another loopback policy is another key');
  let clock = 1_000;
  const brief = new CapRefusals({ ttlMs: 30_000, now: () => clock });
  brief.set('https://x.example/a', undefined, true, first);
  clock += 29_999;
  t.equal(brief.get('https://x.example/a', undefined, true)?.code, 'ERR_CAP_DIGEST_MISMATCH', 'remembered within 30 s');
  clock += 2;
  t.equal(brief.get('https://x.example/a', undefined, true), undefined, 'fetched again after 30 s');
});

t.test('the gateway\'s hand-off: a refused cap is not fetched again on the next calls', async (t) => {
  const h = new HandOff({ lookup: new NetworkLookup({ address: dnsHost, port: dnsPort }), loopbackZones: ['capverify.test'], ca: CA, retries: 0 });
  t.teardown(() => h.close());
  site.hits.length = 0;
  for (let i = 0; i < 3; i++) {
    const err = await h.call('aidtampered.capverify.test', { text: 'x' }).then(() => undefined, (e: unknown) => e) as HandOffError;
    t.equal(err.code, 'ERR_CAP_DIGEST_MISMATCH', `call ${i + 1}: refused`);
  }
  t.equal(site.hits.filter((p) => p === '/.well-known/aop/cap/tampered.capverify.test.json').length, 1, 'one fetch for three calls');
  t.equal(site.hits.filter((p) => p.startsWith('/agents/')).length, 0, 'no MCP request');
});

t.test('aop zone cap --ca: the document from an https endpoint is the one served', async (t) => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const copy = path.join(dir, 'edit');
  mkdirSync(copy);
  copyFileSync(path.join(zones, 'capverify.test.zone'), path.join(copy, 'capverify.test.zone'));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'aop.js'), 'zone', 'cap', path.join(copy, 'capverify.test.zone'), 'good', '--ca', certs.ca, '--out', path.join(copy, 'caps') + '/'], { env, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, `good.capverify.test. cap ${capUrl('good')} cap-sha256 ${good.digest}`, 'the digest of the document the site serves');
  t.match(r.stdout, /already as generated/, 'the records already pin it');
  t.ok(readFileSync(path.join(copy, 'caps', 'good.capverify.test.json')).equals(good.bytes));
  const untrusted = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'aop.js'), 'zone', 'cap', path.join(copy, 'capverify.test.zone'), 'good', '--out', path.join(copy, 'caps') + '/'], { env, timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) }));
  });
  t.equal(untrusted.code, 9, 'without --ca the certificate is not trusted: no usable reply');
  t.match(untrusted.stderr, /^aop: good\.capverify\.test\.: cannot reach https:\/\/mcp\.capverify\.test:18443\/agents\/good\/mcp: .*; nothing written/);
});
