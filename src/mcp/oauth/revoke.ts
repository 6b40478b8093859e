// Token revocation (RFC 7009) for `aop logout`: one request to the authorization server's
// revocation_endpoint, the token and its type hint in the form, the client authenticated as at the
// token endpoint (client_secret_basic / _post, none, or a private_key_jwt assertion). The SDK has
// no revocation call; its method choice and error parsing are used.

import { parseErrorResponse, selectClientAuthMethod, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthorizationServerMetadata, OAuthClientInformationMixed } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface RevokeRequest {
  metadata: AuthorizationServerMetadata & { revocation_endpoint: string };
  token: string;
  hint: 'refresh_token' | 'access_token';
  client: { info: OAuthClientInformationMixed; addAuth?: OAuthClientProvider['addClientAuthentication'] };
  fetch: FetchLike;
}

/** Revoke one token; undefined when the server accepted it, else its error (`invalid_client: ...`). */
export async function revokeToken(r: RevokeRequest): Promise<string | undefined> {
  const url = new URL(r.metadata.revocation_endpoint);
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
  const params = new URLSearchParams({ token: r.token, token_type_hint: r.hint });
  if (r.client.addAuth !== undefined) {
    await r.client.addAuth(headers, params, url, r.metadata);
  } else {
    const m = r.metadata as { revocation_endpoint_auth_methods_supported?: string[] };
    const method = selectClientAuthMethod(r.client.info, m.revocation_endpoint_auth_methods_supported ?? r.metadata.token_endpoint_auth_methods_supported ?? []);
    const { client_id: id, client_secret: secret } = r.client.info;
    if (method === 'client_secret_basic' && secret !== undefined) {
      // RFC 6749 2.3.1: each part form-encoded before the Basic pair.
      headers.set('authorization', `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`);
    } else {
      params.set('client_id', id);
      if (method === 'client_secret_post' && secret !== undefined) params.set('client_secret', secret);
    }
  }
  const res = await r.fetch(url, { method: 'POST', headers, body: params });
  if (res.ok) return undefined;
  const e = await parseErrorResponse(res);
  return `${e.errorCode}${e.message ? `: ${e.message.slice(0, 300)}` : ''} (HTTP ${res.status})`;
}
