// aop logout NAME at an authorization server that advertises revocation_endpoint (RFC 7009): with
// oidc-provider (revocation and introspection on), the token aop got for a protected agent is
// dead at the provider afterwards (introspection says inactive), and gone from the cache; with a
// server whose revocation fails, a warning names its error and the tokens are forgotten anyway,
// the refresh token revoked first, with the client's auth method.

import t from 'tap';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { agentZone, httpPeer, protectedAgent } from '../helpers/oauth-world.js';
import { startOidc } from '../helpers/oidc.js';
import { runCall } from '../../src/cli/call.js';
import { runLogout } from '../../src/cli/auth.js';

const NET = await leaseNet(t);
const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-logout-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string | undefined>) {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => { out.stdout += s; }, stderr: (s: string) => { out.stderr += s; }, env } };
}
function credentials(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  chmodSync(f, 0o600);
  return f;
}
function cachedTokens(cache: string): Array<{ accessToken: string; refreshToken?: string }> {
  const folder = path.join(cache, 'tokens');
  return readdirSync(folder).map((n) => JSON.parse(readFileSync(path.join(folder, n), 'utf8')) as { accessToken: string; refreshToken?: string });
}

t.test('oidc-provider: the token is revoked at the provider (introspection: inactive) and forgotten', async (t) => {
  const client = { client_id: 'aop-logout', client_secret: 'logout-secret', scope: 'mcp:tools' };
  const rs = { client_id: 'agent-rs', client_secret: 'rs-secret', scope: 'mcp:tools' };
  const oidc = await startOidc(t, NET.host(3), [client, rs], { revocation: true });
  // The agent checks each token by introspection, as a resource server with opaque tokens does.
  const agent = await protectedAgent(t, NET.host(2), { authorizationServers: () => [oidc.issuer], scopesSupported: ['mcp:tools'], accept: async (tok) => ((await oidc.introspect(rs, tok)) ? 'ok' : false) });
  const dns = await agentZone(t, NET.host(1), agent);
  const server = `${dns.address}:${dns.port}`;
  const f = credentials('oidc', `credentials:\n  - for: auth.test\n    client_id: aop-logout\n    client_secret: logout-secret\n`);
  const cache = path.join(dir, 'cache-oidc');
  const r = io({ AOP_OAUTH_DIR: cache });
  t.equal(await runCall({ name: 'w.auth.test', server, arg: ['text=hi'], allowLoopbackZone: ['auth.test'], timeout: 20, interactive: false, credentials: f }, r.io), 0, r.out.stderr);
  t.equal(r.out.stdout, 'echo: hi\n');
  const [held] = cachedTokens(cache);
  t.ok(held !== undefined && await oidc.introspect(rs, held.accessToken), 'the cached token is active at the provider');

  const out = io({ AOP_OAUTH_DIR: cache });
  t.equal(await runLogout({ name: 'w.auth.test', server, credentials: f }, out.io), 0, out.out.stderr);
  t.match(out.out.stdout, /1 token forgotten \(1 revoked at the authorization server\)/);
  t.equal(out.out.stderr, '', 'no warning');
  t.equal(await oidc.introspect(rs, held!.accessToken), false, 'the token is dead at the provider');
  t.equal(readdirSync(path.join(cache, 'tokens')).length, 0, 'and gone from the cache');
});

t.test('a revocation that fails: a warning with the server\'s error, the tokens forgotten anyway, refresh token first', async (t) => {
  const revocations: URLSearchParams[] = [];
  const as = await httpPeer(t, NET.host(5), (req, res, body, peer) => {
    const u = new URL(req.url ?? '/', peer.url);
    if (u.pathname === '/.well-known/oauth-authorization-server') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: peer.url, authorization_endpoint: `${peer.url}/authorize`, token_endpoint: `${peer.url}/token`, revocation_endpoint: `${peer.url}/revoke`,
        response_types_supported: ['code'], token_endpoint_auth_methods_supported: ['client_secret_post'],
      }));
    } else if (u.pathname === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"acc-1","token_type":"Bearer","expires_in":3600,"refresh_token":"ref-1"}');
    } else if (u.pathname === '/revoke') {
      const p = new URLSearchParams(body);
      revocations.push(p);
      if (p.get('token_type_hint') === 'refresh_token') res.writeHead(200).end();
      else res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unsupported_token_type","error_description":"access tokens are not revocable here"}');
    } else res.writeHead(404).end();
  });
  const agent = await protectedAgent(t, NET.host(4), { authorizationServers: () => [as.url], accept: (tok) => (tok === 'acc-1' ? 'ok' : false) });
  const dns = await agentZone(t, NET.host(6), agent);
  const server = `${dns.address}:${dns.port}`;
  const f = credentials('post', `credentials:\n  - for: auth.test\n    client_id: aop-post\n    client_secret: post-secret\n    token_endpoint_auth_method: client_secret_post\n`);
  const cache = path.join(dir, 'cache-post');
  const r = io({ AOP_OAUTH_DIR: cache });
  t.equal(await runCall({ name: 'w.auth.test', server, arg: ['text=hi'], allowLoopbackZone: ['auth.test'], timeout: 20, interactive: false, credentials: f }, r.io), 0, r.out.stderr);

  const out = io({ AOP_OAUTH_DIR: cache });
  t.equal(await runLogout({ name: 'w.auth.test', server, credentials: f }, out.io), 0, out.out.stderr);
  t.match(out.out.stderr, /aop: logout: warning: http:\/\/[^:]+:\d+: revoking the access token failed: unsupported_token_type: access tokens are not revocable here \(HTTP 400\); forgotten here all the same/);
  t.match(out.out.stdout, /1 token forgotten\n$/);
  t.same(revocations.map((p) => [p.get('token_type_hint'), p.get('token')]), [['refresh_token', 'ref-1'], ['access_token', 'acc-1']], 'the refresh token first, then the access token');
  t.ok(revocations.every((p) => p.get('client_id') === 'aop-post' && p.get('client_secret') === 'post-secret'), "with the client's auth method (client_secret_post)");
  t.notMatch(out.out.stderr, 'post-secret', 'no secret printed');
  t.equal(readdirSync(path.join(cache, 'tokens')).length, 0, 'the tokens are gone from the cache');
});

t.test('a revocation_endpoint at another origin than the issuer: not contacted, a warning, the tokens forgotten', async (t) => {
  const evil = await httpPeer(t, NET.host(9), (_req, res) => { res.writeHead(200).end(); });
  const as = await httpPeer(t, NET.host(7), (req, res, _body, peer) => {
    const u = new URL(req.url ?? '/', peer.url);
    if (u.pathname === '/.well-known/oauth-authorization-server') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: peer.url, authorization_endpoint: `${peer.url}/authorize`, token_endpoint: `${peer.url}/token`, revocation_endpoint: `${evil.url}/revoke`, response_types_supported: ['code'],
      }));
    } else if (u.pathname === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"acc-2","token_type":"Bearer","expires_in":3600}');
    } else res.writeHead(404).end();
  });
  const agent = await protectedAgent(t, NET.host(8), { authorizationServers: () => [as.url], accept: (tok) => (tok === 'acc-2' ? 'ok' : false) });
  const dns = await agentZone(t, NET.host(10), agent);
  const server = `${dns.address}:${dns.port}`;
  const f = credentials('evil', `credentials:\n  - for: auth.test\n    client_id: aop-evil\n    client_secret: evil-secret\n`);
  const cache = path.join(dir, 'cache-evil');
  const r = io({ AOP_OAUTH_DIR: cache });
  t.equal(await runCall({ name: 'w.auth.test', server, arg: ['text=hi'], allowLoopbackZone: ['auth.test'], timeout: 20, interactive: false, credentials: f }, r.io), 0, r.out.stderr);
  const out = io({ AOP_OAUTH_DIR: cache });
  t.equal(await runLogout({ name: 'w.auth.test', server, credentials: f }, out.io), 0, out.out.stderr);
  t.match(out.out.stderr, /warning: http:\/\/[^ ]+: the revocation_endpoint http:\/\/[^ ]+\/revoke is at another origin than the issuer: the tokens were not sent there/);
  t.equal(evil.seen.length, 0, 'the other origin got nothing');
  t.equal(readdirSync(path.join(cache, 'tokens')).length, 0);
});
