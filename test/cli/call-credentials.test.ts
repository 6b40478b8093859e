// aop call against an agent that demands OAuth: the credentials file (its permissions, its
// errors, no secret in any message), the token cache (0600 files in a 0700 folder, reused by the
// next call), aop logout, and the interactive flow's refusal (a real loopback redirect).

import t from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { agentZone, httpPeer, protectedAgent } from '../helpers/oauth-world.js';
import { runCall } from '../../src/cli/call.js';
import { runLogout } from '../../src/cli/auth.js';
import { repoRoot } from '../helpers/mcp-agents.js';

const NET = await leaseNet(t);
const SECRET = 'cli-s3cret-XYZ';

function io(env: Record<string, string | undefined>) {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => { out.stdout += s; }, stderr: (s: string) => { out.stderr += s; }, env } };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-cli-oauth-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// The authorization server: client credentials for aop-cli, and an authorize endpoint that refuses.
const as = await httpPeer(t, NET.host(3), (req, res, body, peer) => {
  const u = new URL(req.url ?? '/', peer.url);
  if (u.pathname === '/.well-known/oauth-authorization-server') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      issuer: peer.url, authorization_endpoint: `${peer.url}/authorize`, token_endpoint: `${peer.url}/token`, registration_endpoint: `${peer.url}/register`,
      response_types_supported: ['code'], code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
    }));
  } else if (u.pathname === '/token') {
    const p = new URLSearchParams(body);
    if (p.get('client_id') === 'aop-cli' && p.get('client_secret') === SECRET) res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"cli-token","token_type":"bearer","expires_in":3600,"refresh_token":"r1"}');
    else res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
  } else if (u.pathname === '/register') {
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: 'dyn-1', redirect_uris: JSON.parse(body).redirect_uris, token_endpoint_auth_method: 'none' }));
  } else if (u.pathname === '/authorize') {
    const back = new URL(u.searchParams.get('redirect_uri')!);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('error_description', 'the user said no');
    back.searchParams.set('state', u.searchParams.get('state') ?? '');
    res.writeHead(302, { location: back.href }).end();
  } else res.writeHead(404).end();
});
const agent = await protectedAgent(t, NET.host(2), { authorizationServers: () => [as.url], accept: (tok) => (tok === 'cli-token' ? 'ok' : false) });
const dns = await agentZone(t, NET.host(1), agent);
const server = `${dns.address}:${dns.port}`;

function credentials(name: string, mode: number, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  chmodSync(f, mode);
  return f;
}
const good = `credentials:\n  - for: auth.test\n    client_id: aop-cli\n    client_secret: ${SECRET}\n    token_endpoint_auth_method: client_secret_post\n`;
const base = { name: 'w.auth.test', server, arg: ['text=hi'], allowLoopbackZone: ['auth.test'], timeout: 20, interactive: false };

t.test('a credentials file others can read: exit 27, and no secret printed', async (t) => {
  const f = credentials('open', 0o644, good);
  const r = io({ AOP_OAUTH_DIR: path.join(dir, 'cache-open') });
  t.equal(await runCall({ ...base, credentials: f }, r.io), 27);
  t.match(r.out.stderr, /others may read or write it \(mode 0644\): chmod 600/);
  t.notMatch(r.out.stderr, SECRET);
});

t.test('the default credentials file is read when the agent demands authorization, and checked the same', async (t) => {
  const xdg = path.join(dir, 'xdg');
  mkdirSync(path.join(xdg, 'aop'), { recursive: true });
  credentials(path.join('xdg', 'aop', 'credentials'), 0o640, good);
  const r = io({ AOP_OAUTH_DIR: path.join(dir, 'cache-xdg'), XDG_CONFIG_HOME: xdg });
  t.equal(await runCall({ ...base }, r.io), 27, r.out.stderr);
  t.match(r.out.stderr, /xdg\/aop\/credentials: holds secrets but others may read or write it \(mode 0640\)/);
  chmodSync(path.join(xdg, 'aop', 'credentials'), 0o600);
  const r2 = io({ AOP_OAUTH_DIR: path.join(dir, 'cache-xdg'), XDG_CONFIG_HOME: xdg });
  t.equal(await runCall({ ...base }, r2.io), 0, r2.out.stderr);
  t.equal(r2.out.stdout, 'echo: hi\n');
});

t.test('a credentials file that is not YAML: exit 27, its lines not quoted', async (t) => {
  const f = credentials('bad', 0o600, `credentials:\n  - for: auth.test\n    client_secret: "${SECRET}\n  : [\n`);
  const r = io({ AOP_OAUTH_DIR: path.join(dir, 'cache-bad') });
  t.equal(await runCall({ ...base, credentials: f }, r.io), 27);
  t.match(r.out.stderr, /is not valid YAML/);
  t.notMatch(r.out.stderr, SECRET);
});

t.test('client credentials: the call runs, the token is cached 0600 and reused, aop logout forgets it', async (t) => {
  const f = credentials('good', 0o600, good);
  const cache = path.join(dir, 'cache-good');
  const env = { AOP_OAUTH_DIR: cache };
  const r = io(env);
  t.equal(await runCall({ ...base, credentials: f }, r.io), 0, r.out.stderr);
  t.equal(r.out.stdout, 'echo: hi\n');
  t.equal(statSync(cache).mode & 0o777, 0o700, 'the cache folder is 0700');
  const files = readdirSync(path.join(cache, 'tokens'));
  t.equal(files.length, 1);
  t.equal(statSync(path.join(cache, 'tokens', files[0]!)).mode & 0o777, 0o600, 'the token file is 0600');
  const before = as.seen.filter((x) => x.path === '/token').length;
  const r2 = io(env);
  t.equal(await runCall({ ...base, credentials: f }, r2.io), 0, r2.out.stderr);
  t.equal(as.seen.filter((x) => x.path === '/token').length, before, 'the second call used the cached token');
  t.ok(agent.seen.filter((x) => x.path === '/mcp').every((x) => x.headers.authorization === undefined || x.headers.authorization === 'Bearer cli-token'), 'only that token went to the agent');
  const r3 = io(env);
  t.equal(await runLogout({ name: 'w.auth.test', server, credentials: f }, r3.io), 0, r3.out.stderr);
  t.match(r3.out.stdout, /1 token forgotten/);
  t.equal(readdirSync(path.join(cache, 'tokens')).length, 0);
});

t.test('the interactive flow refused at the authorization server: exit 23', async (t) => {
  const r = io({ AOP_OAUTH_DIR: path.join(dir, 'cache-refused'), BROWSER: path.join(repoRoot, 'test', 'conformance', 'browser.sh'), AOP_LOGIN_WAIT_SECONDS: '20' });
  const f = credentials('none', 0o600, 'credentials: []\n');
  t.equal(await runCall({ ...base, credentials: f, interactive: true }, r.io), 23, r.out.stderr);
  t.match(r.out.stderr, /Open this URL in a browser:\n\n {2}http:\/\/[^\n]+\/authorize\?response_type=code&client_id=dyn-1&code_challenge=[^&]+&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fcallback/);
  t.match(r.out.stderr, /consent refused at the authorization server: the user said no/);
  t.ok(existsSync(path.join(dir, 'cache-refused', 'clients')), 'the dynamic registration is kept for the next login');
});

t.test('no credentials file entry and no terminal: exit 22', async (t) => {
  const r = io({ AOP_OAUTH_DIR: path.join(dir, 'cache-none') });
  t.equal(await runCall({ ...base, credentials: credentials('none2', 0o600, '') }, r.io), 22);
  t.match(r.out.stderr, /demands authorization by .* and none is configured/);
});
