// The record's auth hint (key65325) against what the endpoint demands, over real sockets: a
// record promising OAuth whose endpoint answers without any authorization, or demands HTTP Basic,
// is refused (ERR_AUTH_HINT_MISMATCH, exit 31) before any tool call is sent there; a record saying
// none (or apikey) whose endpoint demands OAuth is a warning and the OAuth flow goes on
// (oidc-provider issues the token); `aop agent` shows each verdict on its auth line.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { protectedAgent, type HttpPeer } from '../helpers/oauth-world.js';
import { startOidc } from '../helpers/oidc.js';
import { startDaemon } from '../helpers/server.js';
import { parseListen } from '../../src/server/listen.js';
import { Authorizer, HandOff, HandOffError, NetworkLookup, parseCredentials } from '../../src/mcp/index.js';
import { BearerGuard } from '../../src/mcp/gateway/bearer.js';
import { checkAuthHint, demandOf } from '../../src/mcp/auth-hint.js';
import { runAgent } from '../../src/cli/agent.js';

const NET = await leaseNet(t);
const client = { client_id: 'aop-hint', client_secret: 'hint-secret', scope: 'mcp:tools' };
const oidc = await startOidc(t, NET.host(3), [client]);

const open = await protectedAgent(t, NET.host(4), { demand: 'none', accept: () => 'ok' });
const basic = await protectedAgent(t, NET.host(5), { demand: 'Basic realm="legacy"', accept: () => 'ok' });
/** An agent protected by oidc-provider, its tokens' audience its URL under `name`. */
async function oauthAgent(name: string, host: string): Promise<HttpPeer> {
  let guard: BearerGuard | undefined;
  const peer = await protectedAgent(t, host, { authorizationServers: () => [oidc.issuer], scopesSupported: ['mcp:tools'], accept: async (tok) => ((await guard!.check(`Bearer ${tok}`)).ok ? 'ok' : false) });
  guard = new BearerGuard({ issuer: oidc.issuer, jwksUrl: oidc.jwksUri, resource: `http://${name}.hint.test:${peer.port}/mcp`, requiredScopes: ['mcp:tools'] });
  return peer;
}
const noneOauth = await oauthAgent('none-oauth', NET.host(6));
const apikeyOauth = await oauthAgent('apikey-oauth', NET.host(7));
const good = await oauthAgent('good', NET.host(8));

// One zone: each agent's record names its hint and its endpoint (by address: A records at the name).
const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-hint-zone-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const agent = (name: string, peer: HttpPeer, auth: string): string => {
  const u = new URL(peer.url);
  return `${name} IN A ${u.hostname}\n${name} IN SVCB 1 ${name}.hint.test. ( alpn="mcp" port=${peer.port} key65320="/mcp" key65321="streamable-http" key65322="echo" key65325="${auth}" key65326="http" )\n`;
};
writeFileSync(path.join(dir, 'hint.test.zone'), `$ORIGIN hint.test.
$TTL 5
@ IN SOA ns.hint.test. hostmaster.hint.test. 1 3600 900 604800 5
@ IN NS ns
ns IN A ${NET.host(1)}
${agent('promise-open', open, 'oauth2_code')}${agent('promise-basic', basic, 'oauth2_code')}${agent('none-oauth', noneOauth, 'none')}${agent('apikey-oauth', apikeyOauth, 'apikey')}${agent('good', good, 'oauth2_code')}${agent('plain', open, 'none')}`);
const d = await startDaemon(t, { zonesDir: dir, listen: [parseListen(`${NET.host(1)}:0`)] });
const dns = { address: d.host, port: d.port };

function handOff(t: { teardown(fn: () => unknown): void }, warnings: string[] = []): HandOff {
  const auth = new Authorizer({ credentials: parseCredentials({ credentials: [{ for: 'hint.test', client_id: client.client_id, client_secret: client.client_secret }] }) });
  const logger = { debug() {}, info() {}, warn(m: string) { warnings.push(m); }, error() {} };
  const h = new HandOff({ lookup: new NetworkLookup(dns), loopbackZones: ['hint.test'], auth, logger });
  t.teardown(() => h.close());
  return h;
}
const calls = (peer: HttpPeer): number => peer.seen.filter((x) => x.body.includes('"tools/call"')).length;

t.test('the verdicts, one per hint and demand', async (t) => {
  t.equal(checkAuthHint('oauth2_code', { kind: 'none' }).level, 'refused');
  t.equal(checkAuthHint('apikey', { kind: 'none' }).level, 'refused');
  t.equal(checkAuthHint('oauth2_code', demandOf('Basic realm="x"')).level, 'refused');
  t.equal(checkAuthHint('oauth2_device', demandOf('Bearer resource_metadata="x"')).level, 'ok');
  t.equal(checkAuthHint('none', demandOf('Bearer')).level, 'warning');
  t.equal(checkAuthHint('mtls', demandOf('Bearer')).level, 'warning');
  t.equal(checkAuthHint('none', { kind: 'none' }).level, 'ok');
  t.equal(checkAuthHint(undefined, { kind: 'none' }).level, 'ok', 'no hint: nothing to check');
  t.equal(checkAuthHint('something_new', { kind: 'none' }).level, 'ok', 'an unknown hint is not judged');
  t.same(demandOf('Basic realm="a", Bearer'), { kind: 'bearer' }, 'Bearer among several challenges');
  t.same(demandOf(null), { kind: 'other', scheme: '(no WWW-Authenticate)' });
});

t.test('a record promising OAuth whose endpoint demands nothing: refused, no tool call sent', async (t) => {
  const before = calls(open);
  const err = await handOff(t).call('promise-open.hint.test', { text: 'secret stuff' }).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof HandOffError, String(err));
  t.equal((err as HandOffError).code, 'ERR_AUTH_HINT_MISMATCH');
  t.equal((err as HandOffError).exitCode, 31);
  t.match((err as HandOffError).message, /auth hint says "oauth2_code" but the endpoint answered without demanding any authorization: a downgrade/);
  t.equal(calls(open), before, 'the arguments never went there');
});

t.test('a record promising OAuth whose endpoint demands HTTP Basic: refused', async (t) => {
  const err = await handOff(t).call('promise-basic.hint.test', { text: 'x' }).then(() => undefined, (e: unknown) => e) as HandOffError;
  t.equal(err?.code, 'ERR_AUTH_HINT_MISMATCH', String(err));
  t.match(err.message, /demands HTTP 401 with scheme Basic, not OAuth/);
});

t.test('a record saying none (or apikey) whose endpoint demands OAuth: a warning, and the OAuth flow goes on', async (t) => {
  for (const name of ['none-oauth', 'apikey-oauth']) {
    const warnings: string[] = [];
    const o = await handOff(t, warnings).call(`${name}.hint.test`, { text: 'hi' });
    t.match(o.result.content, [{ type: 'text', text: 'echo: hi' }], `${name}: called with a token from oidc-provider`);
    t.match(warnings, [new RegExp(`${name}\\.hint\\.test\\.: http://[^ ]+: its record's auth hint says "${name.split('-')[0]}" but the endpoint demands OAuth \\(HTTP 401, Bearer\\): the record is stale or wrong`)]);
  }
  const quiet: string[] = [];
  await handOff(t, quiet).call('good.hint.test', { text: 'hi' });
  await handOff(t, quiet).call('plain.hint.test', { text: 'hi' });
  t.same(quiet, [], 'a hint that matches says nothing');
});

t.test('aop agent shows the verdict on its auth line', async (t) => {
  const show = async (name: string): Promise<string> => {
    let out = '';
    const io = { stdout: (s: string) => { out += s; }, stderr: () => undefined, env: {} };
    t.equal(await runAgent({ name, server: `${dns.address}:${dns.port}`, allowLoopbackZone: ['hint.test'], timeout: 10 }, io), 0);
    return /^auth +(.*)$/m.exec(out)?.[1] ?? '(no auth line)';
  };
  t.match(await show('promise-open.hint.test'), /^oauth2_code \(REFUSED: a call would not be made: http:\/\/[^ ]+\/mcp: its record's auth hint says "oauth2_code" but the endpoint answered without demanding any authorization/);
  t.match(await show('none-oauth.hint.test'), /^none \(warning: http:\/\/[^ ]+\/mcp: its record's auth hint says "none" but the endpoint demands OAuth \(HTTP 401, Bearer\)/);
  t.equal(await show('good.hint.test'), 'oauth2_code', 'a hint the endpoint bears out: as the record says it');
  t.equal(await show('plain.hint.test'), 'none');
  let json = '';
  const io = { stdout: (s: string) => { json += s; }, stderr: () => undefined, env: {} };
  t.equal(await runAgent({ name: 'promise-basic.hint.test', server: `${dns.address}:${dns.port}`, allowLoopbackZone: ['hint.test'], timeout: 10, json: true }, io), 0);
  t.match((JSON.parse(json) as { authCheck: unknown }).authCheck, [{ url: /\/mcp$/, demand: { kind: 'other', scheme: 'Basic' }, level: 'refused' }], '--json: every check');
});
