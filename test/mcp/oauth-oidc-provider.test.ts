// A real OpenID provider (oidc-provider, on loopback) issuing client-credentials JWT access tokens:
// the hand-off gets one for a protected agent (resource = the agent's URL) from the credentials it
// holds; the gateway, protected by the same provider, is driven by the MCP SDK's client with a
// token: 401 and its metadata without one, 403 insufficient_scope for call_agent without the call
// scope, a token for another audience refused, and the agent sees the gateway's own token, never the client's.

import t from 'tap';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { agentZone, protectedAgent } from '../helpers/oauth-world.js';
import { startOidc } from '../helpers/oidc.js';
import { Authorizer, HandOff, NetworkLookup, parseCredentials } from '../../src/mcp/index.js';
import { AgentDirectory, Gateway, startGatewayHttp } from '../../src/mcp/gateway/index.js';
import { BearerGuard } from '../../src/mcp/gateway/bearer.js';

const NET = await leaseNet(t);
const agentClient = { client_id: 'aop-agent', client_secret: 'agent-secret', scope: 'mcp:tools' };
const gatewayClient = { client_id: 'aop-gateway', client_secret: 'gateway-secret', scope: 'mcp:tools' };
const userClient = { client_id: 'user-app', client_secret: 'user-secret', scope: 'mcp:tools mcp:call' };
const oidc = await startOidc(t, NET.host(3), [agentClient, gatewayClient, userClient]);

const claims = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

// The protected agent checks tokens as the gateway does (BearerGuard: JWKS, issuer, audience, scope).
let agentGuard: BearerGuard | undefined;
const agent = await protectedAgent(t, NET.host(2), {
  authorizationServers: () => [oidc.issuer],
  scopesSupported: ['mcp:tools'],
  accept: async (token) => ((await agentGuard!.check(`Bearer ${token}`)).ok ? 'ok' : false),
});
agentGuard = new BearerGuard({ issuer: oidc.issuer, jwksUrl: oidc.jwksUri, resource: `http://mcp.auth.test:${agent.port}/mcp`, requiredScopes: ['mcp:tools'] });
const dns = await agentZone(t, NET.host(1), agent);

function handOff(t: Tap, client: typeof agentClient): HandOff {
  const auth = new Authorizer({ credentials: parseCredentials({ credentials: [{ for: 'auth.test', client_id: client.client_id, client_secret: client.client_secret }] }) });
  const h = new HandOff({ lookup: new NetworkLookup(dns), loopbackZones: ['auth.test'], auth, hops: 1 });
  t.teardown(() => h.close());
  return h;
}
type Tap = { teardown(fn: () => unknown): void };

t.test('the hand-off gets a client-credentials token from oidc-provider and calls the protected agent', async (t) => {
  const before = oidc.tokenRequests.length;
  const o = await handOff(t, agentClient).call('w.auth.test', { text: 'hello' });
  t.match(o.result.content, [{ type: 'text', text: 'echo: hello' }]);
  const req = oidc.tokenRequests.slice(before);
  t.equal(req.length, 1, 'one token request');
  t.equal(req[0]?.get('grant_type'), 'client_credentials');
  t.equal(req[0]?.get('resource'), `http://mcp.auth.test:${agent.port}/mcp`, 'resource: the agent (RFC 8707)');
  t.equal(req[0]?.get('scope'), 'mcp:tools', 'scope: scopes_supported of its metadata');
});

t.test('the gateway protected by the same provider, driven by the MCP SDK client', async (t) => {
  const h = handOff(t, gatewayClient);
  const directory = new AgentDirectory({ lookup: new NetworkLookup(dns), client: h, zones: () => ['auth.test'] });
  const gateway = new Gateway({ client: h, directory, version: 'test' });
  t.teardown(() => gateway.close());
  const guard = new BearerGuard({ issuer: oidc.issuer, jwksUrl: oidc.jwksUri, requiredScopes: ['mcp:tools'], toolScopes: { call_agent: ['mcp:call'], '*': ['mcp:call'] } });
  const http = await startGatewayHttp(gateway, { host: NET.host(4), port: 0, auth: guard });
  t.teardown(() => http.close());

  // No token: 401, and where the metadata is.
  const bare = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) });
  t.equal(bare.status, 401);
  const challenge = bare.headers.get('www-authenticate') ?? '';
  const prmUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
  t.equal(prmUrl, `${new URL(http.url).origin}/.well-known/oauth-protected-resource/mcp`);
  t.match(challenge, /scope="mcp:tools"/);
  const prm = await (await fetch(prmUrl!)).json() as Record<string, unknown>;
  t.same(prm, { resource: http.url, authorization_servers: [oidc.issuer], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools', 'mcp:call'] });

  const connect = async (token: string): Promise<Client> => {
    const c = new Client({ name: 'test', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    t.teardown(() => c.close());
    return c;
  };

  // A token for another audience (the agent) is refused.
  const wrongAud = await oidc.token(userClient, `http://mcp.auth.test:${agent.port}/mcp`, 'mcp:tools');
  const e1 = await connect(wrongAud).then(() => undefined, (err: unknown) => err);
  t.ok(e1 instanceof StreamableHTTPError && e1.code === 401, 'another audience: 401');

  // Discovery scope only: tools are listed (annotated), call_agent is 403 insufficient_scope.
  const readOnly = await connect(await oidc.token(userClient, http.url, 'mcp:tools'));
  const { tools } = await readOnly.listTools();
  t.equal(tools.find((x) => x.name === 'list_agents')?.annotations?.readOnlyHint, true, 'discovery tools are read-only');
  t.equal(tools.find((x) => x.name === 'call_agent')?.annotations?.readOnlyHint, false);
  await readOnly.setLoggingLevel('debug');
  t.pass('logging/setLevel answered');
  const e2 = await readOnly.callTool({ name: 'call_agent', arguments: { name: 'w.auth.test', arguments: { text: 'x' } } }).then(() => undefined, (err: unknown) => err);
  t.ok(e2 instanceof StreamableHTTPError && e2.code === 403, 'call_agent without mcp:call: 403');

  // With the call scope: the call goes through, and the agent sees the gateway's token, not the client's.
  const userToken = await oidc.token(userClient, http.url, 'mcp:tools mcp:call');
  const full = await connect(userToken);
  const r = await full.callTool({ name: 'call_agent', arguments: { name: 'w.auth.test', arguments: { text: 'through' } } });
  t.notOk(r.isError, JSON.stringify(r.content));
  t.match(JSON.stringify(r.content), /echo: through/);
  const seen = agent.seen.map((x) => /^Bearer (.+)$/.exec(x.headers.authorization ?? '')?.[1]).filter((x): x is string => x !== undefined);
  t.notOk(seen.includes(userToken), "the client's token never reached the agent (no passthrough)");
  t.ok(seen.some((tok) => claims(tok).client_id === 'aop-gateway'), 'the agent saw the gateway\'s own token');
});
