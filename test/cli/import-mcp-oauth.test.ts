// `aop zone import-mcp URL` at an MCP server protected by a real OpenID provider (oidc-provider on
// loopback): the server's 401 goes through the hand-off's OAuth client (the credentials file, a
// client-credentials token for the server's URL as resource), and its failures are the ERR_AUTH_*
// errors and exit statuses of aop call, never ERR_IMPORT_MCP_NOT_MCP or _UNREACHABLE.

import t from 'tap';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { httpPeer, protectedAgent } from '../helpers/oauth-world.js';
import { startOidc } from '../helpers/oidc.js';
import { runAop } from '../helpers/aop-cli.js';
import { repoRoot } from '../helpers/mcp-agents.js';
import { BearerGuard } from '../../src/mcp/gateway/bearer.js';

const NET = await leaseNet(t);
const SECRET = 'import-s3cret-QRS';
const client = { client_id: 'aop-import', client_secret: SECRET, scope: 'mcp:tools' };
const oidc = await startOidc(t, NET.host(3), [client]);

let guard: BearerGuard | undefined;
const server = await protectedAgent(t, NET.host(2), {
  authorizationServers: () => [oidc.issuer],
  scopesSupported: ['mcp:tools'],
  accept: async (token) => ((await guard!.check(`Bearer ${token}`)).ok ? 'ok' : false),
});
const url = `${server.url}/mcp`;
guard = new BearerGuard({ issuer: oidc.issuer, jwksUrl: oidc.jwksUri, resource: url, requiredScopes: ['mcp:tools'] });

const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-import-oauth-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
function credentials(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  chmodSync(f, 0o600);
  return f;
}
const entry = (secret: string): string => `credentials:\n  - for: acme.agents\n    client_id: aop-import\n    client_secret: ${secret}\n`;
const env = (cache: string, more: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, AOP_OAUTH_DIR: path.join(dir, cache), HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg'), ...more };
  delete e.NODE_OPTIONS;
  delete e.AOP_CREDENTIALS;
  return e;
};
const importMcp = (args: string[], e: NodeJS.ProcessEnv) => runAop(['zone', 'import-mcp', url, '--zone', 'acme.agents', ...args], { env: e });

t.test('with client credentials for the zone: a token from oidc-provider for the server, the tools imported', async (t) => {
  const before = oidc.tokenRequests.length;
  const r = await importMcp(['--credentials', credentials('good', entry(SECRET))], env('cache-good'));
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^echo\s+\d+\s+IN\s+SVCB\s+1 /m, 'the echo tool became an agent');
  t.match(r.stdout, /key65322="echo"/);
  const req = oidc.tokenRequests.slice(before);
  t.equal(req.length, 1, 'one token request');
  t.equal(req[0]?.get('grant_type'), 'client_credentials');
  t.equal(req[0]?.get('resource'), url, 'resource: the server (RFC 8707)');
  t.notMatch(r.stderr + r.stdout, SECRET, 'no secret printed');
  // The token is cached: a second import asks the provider for nothing.
  const again = await importMcp(['--credentials', path.join(dir, 'good')], env('cache-good'));
  t.equal(again.code, 0, again.stderr);
  t.equal(oidc.tokenRequests.length, before + 1, 'the cached token was used');
});

t.test('no credentials and no terminal: ERR_AUTH_REQUIRED, exit 22 (not "not MCP")', async (t) => {
  const r = await importMcp(['--no-interactive'], env('cache-none'));
  t.equal(r.code, 22, r.stderr);
  t.match(r.stderr, /demands authorization by http:\/\/[^ ]+ .*and none is configured: add client credentials for acme\.agents or its zone to [^ ]+\/xdg\/aop\/credentials, or run `aop zone import-mcp \.\.\. --interactive` at a terminal/);
  t.notMatch(r.stderr, /not an MCP|ERR_IMPORT_MCP/);
});

t.test('a wrong secret: the provider refuses the token request, exit 24 with its error', async (t) => {
  const r = await importMcp(['--credentials', credentials('wrong', entry('not-the-secret'))], env('cache-wrong'));
  t.equal(r.code, 24, r.stderr);
  t.match(r.stderr, /the token request failed: invalid_client/);
  t.notMatch(r.stderr, 'not-the-secret');
});

t.test('a credentials file others can read: exit 27 before anything is asked', async (t) => {
  const f = credentials('open', entry(SECRET));
  chmodSync(f, 0o644);
  const r = await importMcp(['--credentials', f], env('cache-open'));
  t.equal(r.code, 27, r.stderr);
  t.match(r.stderr, /others may read or write it \(mode 0644\)/);
});

t.test('at a terminal (--interactive): the code flow of aop call, refused at the authorization server: exit 23', async (t) => {
  // An authorization server that registers clients dynamically and whose authorize endpoint refuses.
  const as = await httpPeer(t, NET.host(5), (req, res, body, peer) => {
    const u = new URL(req.url ?? '/', peer.url);
    if (u.pathname === '/.well-known/oauth-authorization-server') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: peer.url, authorization_endpoint: `${peer.url}/authorize`, token_endpoint: `${peer.url}/token`, registration_endpoint: `${peer.url}/register`,
        response_types_supported: ['code'], code_challenge_methods_supported: ['S256'],
      }));
    } else if (u.pathname === '/register') {
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: 'dyn-import', redirect_uris: JSON.parse(body).redirect_uris, token_endpoint_auth_method: 'none' }));
    } else if (u.pathname === '/authorize') {
      const back = new URL(u.searchParams.get('redirect_uri')!);
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'not today');
      back.searchParams.set('state', u.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href }).end();
    } else res.writeHead(404).end();
  });
  const coded = await protectedAgent(t, NET.host(4), { authorizationServers: () => [as.url], accept: () => false });
  const r = await runAop(['zone', 'import-mcp', `${coded.url}/mcp`, '--zone', 'acme.agents', '--interactive'], {
    env: env('cache-code', { BROWSER: path.join(repoRoot, 'test', 'conformance', 'browser.sh'), AOP_LOGIN_WAIT_SECONDS: '20' }),
  });
  t.equal(r.code, 23, r.stderr);
  t.match(r.stderr, /Open this URL in a browser:\n\n {2}http:\/\/[^\n]+\/authorize\?response_type=code&client_id=dyn-import&code_challenge=[^&]+&code_challenge_method=S256/);
  t.match(r.stderr, /consent refused at the authorization server: not today/);
});

t.test('aop zone cap at an agent whose endpoint demands OAuth: a token by the agent\'s name, its document generated', async (t) => {
  let capGuard: BearerGuard | undefined;
  const agent = await protectedAgent(t, NET.host(6), {
    authorizationServers: () => [oidc.issuer], scopesSupported: ['mcp:tools'],
    accept: async (token) => ((await capGuard!.check(`Bearer ${token}`)).ok ? 'ok' : false),
  });
  capGuard = new BearerGuard({ issuer: oidc.issuer, jwksUrl: oidc.jwksUri, resource: `http://w.acme.agents:${agent.port}/mcp`, requiredScopes: ['mcp:tools'] });
  const zone = path.join(dir, 'acme.agents.zone');
  writeFileSync(zone, `$ORIGIN acme.agents.
$TTL 300
@ IN SOA ns hostmaster 1 3600 900 604800 300
@ IN NS ns
ns IN A 127.0.0.1
w IN A ${NET.host(6)}
w IN SVCB 1 w.acme.agents. ( alpn="mcp" port=${agent.port} key65320="/mcp" key65321="streamable-http" key65322="echo" key65326="http" )
`);
  const before = oidc.tokenRequests.length;
  const r = await runAop(['zone', 'cap', zone, 'w', '--dry-run', '--credentials', path.join(dir, 'good')], { env: env('cache-cap') });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^w\.acme\.agents\. cap \S+ cap-sha256 \S+$/m);
  t.equal(oidc.tokenRequests.slice(before)[0]?.get('resource'), `http://w.acme.agents:${agent.port}/mcp`);
  const none = await runAop(['zone', 'cap', zone, 'w', '--dry-run', '--no-interactive'], { env: env('cache-cap-none') });
  t.equal(none.code, 22, none.stderr);
  t.match(none.stderr, /w\.acme\.agents\.: http:\/\/w\.acme\.agents:\d+\/mcp demands authorization/);
});
