// oidc-provider (a certified OpenID provider, from the npm registry) on loopback, issuing
// client-credentials access tokens as JWTs for the resource asked (RFC 8707), with the scopes
// the test names. A real authorization server for the hand-off and the gateway to meet.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export interface OidcClient {
  client_id: string;
  client_secret: string;
  /** The scopes this client may be given. */
  scope: string;
}

export interface Oidc {
  issuer: string;
  jwksUri: string;
  /** Token requests seen: their form parameters. */
  tokenRequests: URLSearchParams[];
  /** A client-credentials token straight from the token endpoint (what a test's own client holds). */
  token(client: OidcClient, resource: string, scope: string): Promise<string>;
  /** RFC 7662 introspection (with `revocation`): whether the provider still holds the token active. */
  introspect(client: OidcClient, token: string): Promise<boolean>;
}

export interface OidcOptions {
  /** Revocation (RFC 7009) and introspection (RFC 7662) on, and opaque access tokens (a JWT cannot be revoked). */
  revocation?: boolean;
}

export async function startOidc(t: Teardownable, host: string, clients: OidcClient[], opts: OidcOptions = {}): Promise<Oidc> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  const scopes = [...new Set(clients.flatMap((c) => c.scope.split(' ')))];
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({ client_id: c.client_id, client_secret: c.client_secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: c.scope })),
    scopes,
    ttl: { ClientCredentials: 600 },
    jwks: { keys: [jwk as never] },
    features: {
      clientCredentials: { enabled: true },
      ...(opts.revocation ? { revocation: { enabled: true, allowedPolicy: async () => true }, introspection: { enabled: true, allowedPolicy: async () => true } } : {}),
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({ scope: scopes.join(' '), audience: resource, accessTokenFormat: opts.revocation ? 'opaque' : 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
  } as never);
  const tokenRequests: URLSearchParams[] = [];
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/token')) {
      // Kept for the test to read; the provider reads the body itself, so it is teed.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => tokenRequests.push(new URLSearchParams(Buffer.concat(chunks).toString())));
    }
    callback(req, res);
  });
  t.teardown(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return {
    issuer, jwksUri: `${issuer}/jwks`, tokenRequests,
    async token(client, resource, scope) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      });
      const body = await res.json() as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`oidc-provider: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    async introspect(client, token) {
      const res = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ token }),
      });
      const body = await res.json() as { active?: boolean; error?: string };
      if (body.active === undefined) throw new Error(`oidc-provider introspection: ${body.error}`);
      return body.active;
    },
  };
}
