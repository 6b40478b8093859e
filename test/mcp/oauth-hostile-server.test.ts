// A hostile or broken authorization server gets a clear error, a bounded wait and no secret:
// metadata naming a token endpoint at another origin, a token endpoint that never answers, a
// 5 MB metadata document, a redirect to plain http, another resource's metadata; and a 401 with
// no metadata at all is ERR_AUTH_REQUIRED, never ERR_ENDPOINT_UNREACHABLE.

import t, { type Test } from 'tap';
import type { ServerResponse } from 'node:http';
import { leaseNet } from '../helpers/loopback-net.js';
import { agentZone, httpPeer, protectedAgent, type HttpPeer } from '../helpers/oauth-world.js';
import { Authorizer, HandOff, HandOffError, NetworkLookup, parseCredentials } from '../../src/mcp/index.js';

const NET = await leaseNet(t);
const DNS = NET.host(1);
const AGENT = NET.host(2);
const AS = NET.host(3);
const THIEF = NET.host(4);
const SECRET = 's3cret-never-leaves';

/** A hand-off with client credentials for auth.test (the secret above) and a 500 ms bound per authorization request. */
function handOff(t: Test, dns: { address: string; port: number }, opts: { credentials?: boolean } = {}): HandOff {
  const credentials = parseCredentials(opts.credentials === false ? {} : { credentials: [{ for: 'auth.test', client_id: 'aop-test', client_secret: SECRET }] });
  const h = new HandOff({ lookup: new NetworkLookup(dns), loopbackZones: ['auth.test'], auth: new Authorizer({ credentials, requestTimeoutMs: 500 }), timeoutMs: 20_000 });
  t.teardown(() => h.close());
  return h;
}

async function code(p: Promise<unknown>): Promise<HandOffError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HandOffError) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}

/** An authorization server whose metadata document is `meta(url)`; `/token` as `token`. */
async function authServer(t: Test, meta: (url: string) => unknown, token?: (res: ServerResponse) => void): Promise<HttpPeer> {
  return httpPeer(t, AS, (req, res, _body, peer) => {
    const p = new URL(req.url ?? '/', peer.url).pathname;
    if (p === '/.well-known/oauth-authorization-server') {
      const m = meta(peer.url);
      if (typeof m === 'function') {
        (m as (res: ServerResponse) => void)(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(m));
      return;
    }
    if (p === '/token' && token) {
      token(res);
      return;
    }
    res.writeHead(404).end();
  });
}

const good = (url: string, extra: Record<string, unknown> = {}) => ({ issuer: url, authorization_endpoint: `${url}/authorize`, token_endpoint: `${url}/token`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'], ...extra });

function noSecretIn(t: Test, peers: HttpPeer[], err: HandOffError): void {
  for (const p of peers) t.notOk(p.seen.some((r) => JSON.stringify(r).includes(SECRET) || JSON.stringify(r).includes(Buffer.from(`aop-test:${SECRET}`).toString('base64'))), `${p.url} never saw the secret`);
  t.notMatch(err.message, SECRET, 'the message holds no secret');
}

t.test('a token endpoint at another origin: refused before anything is sent', async (t) => {
  const thief = await httpPeer(t, THIEF, (_q, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"x","token_type":"Bearer"}');
  });
  const as = await authServer(t, (url) => good(url, { token_endpoint: `${thief.url}/token` }));
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => [as.url], accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent)).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_SERVER_INVALID');
  t.match(err.message, /token_endpoint .* is at another origin than the issuer/);
  t.equal(thief.seen.length, 0, 'the other origin was never contacted');
  noSecretIn(t, [thief, as, agent], err);
});

t.test('a token endpoint that never answers: ERR_AUTH_SERVER_INVALID at the request bound', async (t) => {
  const as = await authServer(t, (url) => good(url), () => undefined);
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => [as.url], accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent)).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_SERVER_INVALID');
  t.match(err.message, /\/token: no answer within 500 ms/);
  t.notMatch(err.message, SECRET);
});

t.test('a 5 MB metadata document: refused at 1 MiB', async (t) => {
  const big = 'x'.repeat(5 * 1024 * 1024);
  const as = await authServer(t, () => (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...good('http://x'), padding: big }));
  });
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => [as.url], accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent)).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_SERVER_INVALID');
  t.match(err.message, /larger than 1048576/);
});

t.test('metadata that redirects to plain http elsewhere: not followed', async (t) => {
  const as = await authServer(t, () => (res: ServerResponse) => {
    res.writeHead(302, { location: 'http://192.0.2.1/.well-known/oauth-authorization-server' }).end();
  });
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => [as.url], accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent)).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_SERVER_INVALID');
  t.match(err.message, /HTTP 302 redirect to http:\/\/192\.0\.2\.1\/.* not followed/);
});

t.test('an authorization server on plain http off loopback: refused', async (t) => {
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => ['http://192.0.2.7/'], accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent)).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_SERVER_INVALID');
  t.match(err.message, /plain http is not allowed for authorization/);
});

t.test('a 401 with no metadata anywhere: ERR_AUTH_REQUIRED, never unreachable', async (t) => {
  const agent = await protectedAgent(t, AGENT, { accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent)).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_REQUIRED');
  t.equal(err.exitCode, 22);
  t.match(err.message, /publishes no usable metadata/);
  t.equal(err.tried?.at(-1)?.code, 'ERR_AUTH_REQUIRED', 'the attempt says why');
});

t.test('no credentials and nobody at a terminal: ERR_AUTH_REQUIRED names what to do', async (t) => {
  const as = await authServer(t, (url) => good(url));
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => [as.url], accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent), { credentials: false }).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_REQUIRED');
  t.match(err.message, /none is configured: add client credentials for w\.auth\.test\. .*aop login w\.auth\.test\./);
});

t.test('the token endpoint refuses: ERR_AUTH_TOKEN_FAILED with its error and description', async (t) => {
  const as = await authServer(t, (url) => good(url), (res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client","error_description":"client authentication failed"}'));
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => [as.url], accept: () => false });
  const err = await code(handOff(t, await agentZone(t, DNS, agent)).call('w.auth.test', { text: 'hi' }));
  t.equal(err.code, 'ERR_AUTH_TOKEN_FAILED');
  t.match(err.message, /the token request failed: invalid_client: client authentication failed/);
  t.notMatch(err.message, SECRET);
});

t.test('client credentials accepted: the call runs with the token, sent to the agent only', async (t) => {
  const as = await authServer(t, (url) => good(url), (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"tok-123","token_type":"Bearer","expires_in":600}'));
  const agent = await protectedAgent(t, AGENT, { authorizationServers: () => [as.url], accept: (tok) => (tok === 'tok-123' ? 'ok' : false) });
  const h = handOff(t, await agentZone(t, DNS, agent));
  const o = await h.call('w.auth.test', { text: 'hi' });
  t.match(o.result.content, [{ type: 'text', text: 'echo: hi' }]);
  const tokenReq = as.seen.find((r) => r.path === '/token');
  t.match(tokenReq?.body, /grant_type=client_credentials/);
  t.match(tokenReq?.body, new RegExp(`resource=${encodeURIComponent(`http://mcp.auth.test:${agent.port}/mcp`)}`), 'the resource parameter (RFC 8707)');
  t.equal(tokenReq?.headers.authorization, `Basic ${Buffer.from(`aop-test:${SECRET}`).toString('base64')}`, 'client_secret_basic');
  t.notOk(as.seen.some((r) => /tok-123/.test(r.headers.authorization ?? '')), 'the token never went to the authorization server');
  const second = await h.call('w.auth.test', { text: 'again' });
  t.match(second.result.content, [{ type: 'text', text: 'echo: again' }]);
  t.equal(as.seen.filter((r) => r.path === '/token').length, 1, 'one token request for both calls');
});
