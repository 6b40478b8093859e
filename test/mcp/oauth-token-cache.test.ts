// The token cache across hand-offs (one folder, as two `aop call`s share it): a token near its
// expiry is refreshed with the refresh token instead of a new grant; a refused one is dropped; and
// a cached token goes only to the origin it was got for.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { agentZone, httpPeer, protectedAgent } from '../helpers/oauth-world.js';
import { Authorizer, HandOff, NetworkLookup, parseCredentials, TokenStore } from '../../src/mcp/index.js';

const NET = await leaseNet(t);
const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-oauth-cache-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const grants: string[] = [];
const as = await httpPeer(t, NET.host(3), (req, res, body, peer) => {
  const p = new URL(req.url ?? '/', peer.url).pathname;
  if (p === '/.well-known/oauth-authorization-server') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: peer.url, token_endpoint: `${peer.url}/token`, authorization_endpoint: `${peer.url}/authorize`, response_types_supported: ['code'] }));
    return;
  }
  if (p !== '/token') {
    res.writeHead(404).end();
    return;
  }
  const f = new URLSearchParams(body);
  grants.push(f.get('grant_type') ?? '');
  // The first token lives 30 s, under the cache's minute of margin: the next call refreshes it.
  const tok = f.get('grant_type') === 'refresh_token' && f.get('refresh_token') === 'r1' ? { access_token: 'a2', token_type: 'Bearer', expires_in: 3600 }
    : { access_token: 'a1', token_type: 'Bearer', expires_in: 30, refresh_token: 'r1' };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tok));
});
const agent = await protectedAgent(t, NET.host(2), { authorizationServers: () => [as.url], accept: (tok) => (tok === 'a1' || tok === 'a2' ? 'ok' : false) });
const dns = await agentZone(t, NET.host(1), agent);
const credentials = parseCredentials({ credentials: [{ for: 'auth.test', client_id: 'c', client_secret: 'secret' }] });

function handOff(t: { teardown(fn: () => unknown): void }): HandOff {
  const h = new HandOff({ lookup: new NetworkLookup(dns), loopbackZones: ['auth.test'], auth: new Authorizer({ credentials, store: new TokenStore(dir) }) });
  t.teardown(() => h.close());
  return h;
}

t.test('a token near its expiry is refreshed, not granted again', async (t) => {
  await handOff(t).call('w.auth.test', { text: 'one' });
  t.same(grants, ['client_credentials']);
  // A new hand-off on the same folder: a1 is not sent (near expiry), the 401 leads to a refresh.
  await handOff(t).call('w.auth.test', { text: 'two' });
  t.same(grants, ['client_credentials', 'refresh_token']);
  const sent = agent.seen.map((x) => x.headers.authorization).filter((x) => x !== undefined);
  t.equal(sent.at(-1), 'Bearer a2', 'the refreshed token is used');
  // A third hand-off sends a2 before being asked: no token request at all.
  const n = agent.seen.length;
  await handOff(t).call('w.auth.test', { text: 'three' });
  t.same(grants, ['client_credentials', 'refresh_token']);
  t.equal(agent.seen.slice(n).find((x) => x.path === '/mcp')?.headers.authorization, 'Bearer a2', 'sent up front from the cache');
});

t.test('a cached token goes to no other origin', async (t) => {
  const store = new TokenStore(dir);
  const auth = new Authorizer({ credentials, store });
  t.equal(auth.cachedToken(`http://mcp.auth.test:${agent.port}/mcp`), 'a2');
  t.equal(auth.cachedToken(`http://mcp.auth.test:${agent.port + 1}/mcp`), undefined, 'another port');
  t.equal(auth.cachedToken(`https://mcp.auth.test:${agent.port}/mcp`), undefined, 'another scheme');
  t.equal(auth.cachedToken(`http://other.auth.test:${agent.port}/mcp`), undefined, 'another host');
});
