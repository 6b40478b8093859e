// The hand-off as an OAuth client (the MCP authorization spec, 2025-06-18 and 2025-11-25): after
// an endpoint's 401 (or 403 insufficient_scope), find its authorization server (RFC 9728 protected
// resource metadata, path-based then root; RFC 8414 metadata with the OpenID discovery fallback),
// check what they say, pick the scope (the challenge's, else scopes_supported), and get a token for
// the resource (RFC 8707): from the cache, by refresh, by the client-credentials grant (a secret or
// a private_key_jwt assertion) from the credentials file, or by the authorization code flow with
// PKCE S256 and a loopback redirect (RFC 8252) when a person is there. The SDK's auth.ts does each
// exchange; this file decides which, bounds them (oauth/fetch.ts) and names each failure.

import { randomBytes } from 'node:crypto';
import {
  discoverAuthorizationServerMetadata, discoverOAuthProtectedResourceMetadata, exchangeAuthorization, fetchToken,
  refreshAuthorization, registerClient, startAuthorization, type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { createPrivateKeyJwtAuth } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { checkResourceAllowed, resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import type { AuthorizationServerMetadata, OAuthClientInformationMixed, OAuthProtectedResourceMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { silentLogger, type Logger } from '../../base/log.js';
import { HandOffError } from '../errors.js';
import type { AllowHttp } from '../handoff/policy.js';
import { emptyCredentials, findCredential, sameIssuer, type CredentialEntry, type Credentials } from './credentials.js';
import { authFetch, urlProblem } from './fetch.js';
import { loopbackRedirect } from './loopback.js';
import { resourceKey, TokenStore, type StoredToken } from './store.js';
import { revokeToken } from './revoke.js';

/** What a 401 or 403 said in its WWW-Authenticate header (RFC 6750 3, RFC 9728 5.1). */
export interface Challenge {
  resourceMetadataUrl?: string;
  scope?: string;
  error?: string;
}

/** How a person is shown the authorization URL (stderr, $BROWSER). Absent: no person is there. */
export interface InteractiveLogin {
  open(url: URL, agent: string): void;
  /** Milliseconds to wait for the browser's redirect. Default 300000. */
  waitMs?: number;
}

export interface AuthorizerOptions {
  /** The credentials, or a function that reads them when an endpoint first demands authorization (its errors surface then). */
  credentials?: Credentials | (() => Credentials);
  store?: TokenStore;
  allowHttp?: AllowHttp;
  /** CA certificates (PEM) for https authorization servers, the system roots included. */
  ca?: string[];
  /** Milliseconds for one authorization request. Default 10000. */
  requestTimeoutMs?: number;
  /** Largest metadata or token response, bytes. Default 1 MiB. */
  maxBytes?: number;
  interactive?: InteractiveLogin;
  clientName?: string;
  log?: Logger;
}

export interface AuthRequest {
  /** The endpoint URL that answered 401/403. */
  endpoint: string;
  /** The agent name, for the credentials file and messages. */
  agent: string;
  /** The endpoint host's addresses, as the DNS gave them: its metadata is fetched there. */
  addresses?: readonly string[];
  status: 401 | 403;
  challenge: Challenge;
  /** The token the endpoint just refused, if one was sent: never offered again. */
  refused?: string;
  /** The scope held so far (a step-up asks for it and the challenge's together). */
  heldScope?: string;
  /** The command that logs in interactively, for the ERR_AUTH_REQUIRED message. Default `aop login AGENT`. */
  loginHint?: string;
  signal?: AbortSignal;
}

export interface Granted {
  token: string;
  scope?: string;
}

/** The challenge of a WWW-Authenticate header: its Bearer parameters, quoted or not. */
export function parseChallenge(header: string | null | undefined): Challenge {
  const out: Challenge = {};
  if (!header) return out;
  const m = /(?:^|,\s*)bearer\s+(.*)$/i.exec(header.trim());
  if (!m) return out;
  const re = /([a-z_][a-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi;
  for (const p of m[1]!.matchAll(re)) {
    const key = p[1]!.toLowerCase();
    const value = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
    if (key === 'resource_metadata') out.resourceMetadataUrl = value;
    else if (key === 'scope') out.scope = value;
    else if (key === 'error') out.error = value;
  }
  return out;
}

const invalid = (m: string, cause?: unknown): HandOffError => new HandOffError('ERR_AUTH_SERVER_INVALID', m, { cause });
const clip = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}...` : s);

function isZod(err: unknown): boolean {
  const n = (err as { name?: unknown } | null)?.name;
  return n === 'ZodError' || n === '$ZodError';
}

/** Scopes as a set; `a` covers `b` when it holds all of b's. */
function scopes(s: string | undefined): Set<string> {
  return new Set((s ?? '').split(/\s+/).filter((x) => x !== ''));
}
function covers(held: string | undefined, wanted: string | undefined): boolean {
  const h = scopes(held);
  return [...scopes(wanted)].every((x) => h.has(x));
}
function union(a: string | undefined, b: string | undefined): string | undefined {
  const u = [...new Set([...scopes(a), ...scopes(b)])];
  return u.length === 0 ? undefined : u.join(' ');
}

export class Authorizer {
  private creds: Credentials | (() => Credentials);
  readonly store: TokenStore;
  private readonly allowHttp: AllowHttp;
  private readonly log: Logger;
  private readonly clientName: string;

  constructor(private readonly opts: AuthorizerOptions = {}) {
    this.creds = opts.credentials ?? emptyCredentials;
    this.store = opts.store ?? new TokenStore();
    this.allowHttp = opts.allowHttp ?? 'loopback';
    this.log = opts.log ?? silentLogger;
    this.clientName = opts.clientName ?? 'aop';
  }

  /** The credentials, read on first use when given as a function. */
  get credentials(): Credentials {
    if (typeof this.creds === 'function') this.creds = this.creds();
    return this.creds;
  }

  /** A fresh cached token for an endpoint, sent before it asks (only ever to the endpoint's own origin). */
  cachedToken(endpoint: string): string | undefined {
    const key = resourceKey(endpoint);
    for (const t of this.store.forResource(endpoint).concat(this.tokensNaming(key))) {
      if (this.store.fresh(t)) return t.accessToken;
    }
    return undefined;
  }

  private tokensNaming(endpointKey: string): StoredToken[] {
    return this.store.allTokens().filter((t) => (t.endpoints ?? []).some((e) => resourceKey(e) === endpointKey));
  }

  /** Forget every token for an endpoint, locally only. Returns how many. */
  forget(endpoint: string): number {
    const list = this.tokensFor(endpoint);
    for (const t of list) this.store.drop(t);
    return list.length;
  }

  /** The cached tokens for an endpoint: for it as the resource, or got for it. */
  private tokensFor(endpoint: string): StoredToken[] {
    const key = resourceKey(endpoint);
    return [...new Set([...this.store.forResource(endpoint), ...this.tokensNaming(key)])];
  }

  /**
   * `aop logout`: revoke each token for the endpoint at its authorization server when that
   * advertises a revocation_endpoint (RFC 7009: the refresh token first, then the access token),
   * then forget it. A revocation that fails is a warning; the token is forgotten all the same.
   */
  async logout(endpoint: string, agent: string, signal?: AbortSignal): Promise<{ forgotten: number; revoked: number; warnings: string[] }> {
    const warnings: string[] = [];
    let revoked = 0;
    const list = this.tokensFor(endpoint);
    for (const t of list) {
      try {
        const w = await this.revoke(t, agent, signal);
        if (w === true) revoked++;
        else if (w !== false) warnings.push(w);
      } catch (err) {
        warnings.push(`${t.issuer}: the tokens were not revoked: ${clip((err as Error).message)}`);
      }
      this.store.drop(t);
    }
    return { forgotten: list.length, revoked, warnings };
  }

  /** True: revoked; false: the server advertises no revocation; a string: why it failed. */
  private async revoke(t: StoredToken, agent: string, signal?: AbortSignal): Promise<boolean | string> {
    const { fetch, close } = authFetch({
      allowHttp: this.allowHttp,
      ...(this.opts.requestTimeoutMs !== undefined ? { timeoutMs: this.opts.requestTimeoutMs } : {}),
      ...(this.opts.maxBytes !== undefined ? { maxBytes: this.opts.maxBytes } : {}),
      ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
    }, signal);
    try {
      let meta: AuthorizationServerMetadata | undefined;
      try {
        meta = await discoverAuthorizationServerMetadata(t.issuer, { fetchFn: fetch });
      } catch (err) {
        return `${t.issuer}: its metadata could not be read, so the tokens were not revoked: ${isZod(err) ? 'not valid metadata (RFC 8414)' : clip((err as Error).message)}`;
      }
      // RFC 8414 and OpenID discovery both may carry it (the SDK types only the first).
      const at = (meta as { revocation_endpoint?: unknown } | undefined)?.revocation_endpoint;
      if (meta === undefined || typeof at !== 'string') return false;
      const entry = findCredential(this.credentials, agent, t.issuer);
      // As the other endpoints: at the issuer's origin (or one the entry allows), https or loopback http.
      const why = urlProblem(at, this.allowHttp);
      if (why !== undefined) return `${t.issuer}: revocation_endpoint ${why}: the tokens were not revoked`;
      const allowed = new Set([new URL(t.issuer).origin, ...(entry?.endpointOrigins ?? [])]);
      if (!allowed.has(new URL(at).origin)) return `${t.issuer}: the revocation_endpoint ${clip(at, 200)} is at another origin than the issuer: the tokens were not sent there`;
      const client = this.clientFor(t.clientId, t.issuer, entry);
      if (client === undefined) return `${t.issuer}: no client credentials for ${t.clientId} to revoke the tokens with`;
      const failed: string[] = [];
      const metadata = { ...meta, revocation_endpoint: at };
      for (const [hint, token] of [['refresh_token', t.refreshToken], ['access_token', t.accessToken]] as const) {
        if (token === undefined) continue;
        const e = await revokeToken({ metadata, token, hint, client, fetch });
        if (e !== undefined) failed.push(`revoking the ${hint.replace('_', ' ')} failed: ${e}`);
      }
      if (failed.length > 0) return `${t.issuer}: ${failed.join('; ')}`;
      this.log.info(`oauth: revoked the tokens from ${t.issuer} for ${t.resource}`);
      return true;
    } finally {
      await close();
    }
  }

  /** Get a token for the endpoint after its 401/403 (see the head of this file). Throws HandOffError ERR_AUTH_*. */
  async authorize(req: AuthRequest): Promise<Granted> {
    const { fetch, close } = authFetch({
      allowHttp: this.allowHttp,
      ...(this.opts.requestTimeoutMs !== undefined ? { timeoutMs: this.opts.requestTimeoutMs } : {}),
      ...(this.opts.maxBytes !== undefined ? { maxBytes: this.opts.maxBytes } : {}),
      ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
      endpoint: { origin: new URL(req.endpoint).origin, addresses: req.addresses ?? [] },
    }, req.signal);
    try {
      return await this.flow(req, fetch);
    } finally {
      await close();
    }
  }

  private async flow(req: AuthRequest, fetch: FetchLike): Promise<Granted> {
    const endpoint = new URL(req.endpoint);
    const where = `${req.agent}: ${endpoint.href}`;

    // 1. The protected resource metadata (RFC 9728): at the challenge's URL, else path-based, else root.
    let prm: OAuthProtectedResourceMetadata | undefined;
    if (req.challenge.resourceMetadataUrl !== undefined) {
      let rm: URL;
      try {
        rm = new URL(req.challenge.resourceMetadataUrl);
      } catch {
        throw invalid(`${where}: its resource_metadata ${clip(req.challenge.resourceMetadataUrl, 200)} is not a URL`);
      }
      // At the endpoint's own origin only: the hand-off's policy let that be called, and nothing else is fetched on a header's word.
      if (rm.origin !== endpoint.origin) {
        throw invalid(`${where}: its resource_metadata ${clip(req.challenge.resourceMetadataUrl, 200)} is at another origin than the endpoint: not fetched`);
      }
    }
    try {
      prm = await discoverOAuthProtectedResourceMetadata(endpoint, req.challenge.resourceMetadataUrl !== undefined ? { resourceMetadataUrl: req.challenge.resourceMetadataUrl } : {}, fetch);
    } catch (err) {
      if (err instanceof HandOffError) throw err;
      if (isZod(err)) throw invalid(`${where}: its protected resource metadata is not valid (RFC 9728): ${clip((err as Error).message, 200)}`, err);
      if (!/does not implement/.test((err as Error).message)) throw invalid(`${where}: protected resource metadata: ${clip((err as Error).message)}`, err);
      prm = undefined;
    }

    // 2. The authorization server: the metadata's (one the credentials name first), or (2025-03-26) the endpoint's origin.
    let asUrl: string;
    let resource: string;
    if (prm !== undefined) {
      if (!checkResourceAllowed({ requestedResource: resourceUrlFromServerUrl(endpoint), configuredResource: prm.resource })) {
        throw invalid(`${where}: its protected resource metadata is for ${clip(prm.resource, 200)}, not this endpoint`);
      }
      const list = prm.authorization_servers ?? [];
      if (list.length === 0) throw new HandOffError('ERR_AUTH_REQUIRED', `${where} demands authorization, but its protected resource metadata names no authorization server`);
      asUrl = list.find((a) => findCredential(this.credentials, req.agent, a)?.issuer !== undefined) ?? list[0]!;
      resource = prm.resource;
    } else {
      asUrl = endpoint.origin;
      resource = resourceUrlFromServerUrl(endpoint).href;
    }
    const asWhy = this.problem(asUrl, endpoint.origin);
    if (asWhy !== undefined) throw invalid(`${where}: authorization server ${asWhy}`);
    let meta: AuthorizationServerMetadata | undefined;
    try {
      meta = await discoverAuthorizationServerMetadata(asUrl, { fetchFn: fetch });
    } catch (err) {
      if (err instanceof HandOffError) throw err;
      throw invalid(`${where}: authorization server metadata of ${asUrl}: ${isZod(err) ? 'not valid metadata (RFC 8414)' : clip((err as Error).message)}`, err);
    }
    if (meta === undefined) {
      throw new HandOffError('ERR_AUTH_REQUIRED', prm === undefined
        ? `${where} demands authorization (HTTP ${req.status}) but publishes no usable metadata: no protected resource metadata (RFC 9728) and no authorization server metadata at ${asUrl}`
        : `${where} demands authorization, but its authorization server ${asUrl} publishes no metadata (RFC 8414, OpenID discovery)`);
    }
    const entry = findCredential(this.credentials, req.agent, asUrl);
    this.checkMetadata(meta, asUrl, entry, where, endpoint.origin);

    // 3. The scope: a step-up adds the challenge's to what is held; else the challenge's, scopes_supported, the entry's.
    const scope = req.status === 403 ? union(req.heldScope, req.challenge.scope)
      : req.challenge.scope ?? (prm?.scopes_supported?.length ? prm.scopes_supported.join(' ') : undefined) ?? entry?.scope;

    // 4. A cached token the endpoint has not refused, or a refresh.
    const cached = this.store.get(asUrl, resource);
    if (cached !== undefined && cached.accessToken !== req.refused && this.store.fresh(cached) && covers(cached.scope, scope) && req.status === 401) {
      return this.remember(cached, req.endpoint);
    }
    if (cached?.accessToken === req.refused && cached !== undefined) this.store.drop({ ...cached, refreshToken: cached.refreshToken });
    if (cached?.refreshToken !== undefined && covers(cached.scope, scope)) {
      const client = this.clientFor(cached.clientId, asUrl, entry);
      if (client !== undefined) {
        try {
          const tokens = await refreshAuthorization(asUrl, { metadata: meta, clientInformation: client.info, refreshToken: cached.refreshToken, resource, ...(client.addAuth ? { addClientAuthentication: client.addAuth } : {}), fetchFn: fetch });
          return this.save(tokens, asUrl, resource, cached.clientId, scope, req.endpoint);
        } catch (err) {
          if (err instanceof HandOffError && err.code !== 'ERR_AUTH_TOKEN_FAILED') throw err;
          this.log.info(`oauth: ${asUrl}: the refresh token was not accepted; a new grant follows`);
          this.store.drop(cached);
        }
      }
    }

    // 5. A new grant: client credentials (no person), else the authorization code flow (a person).
    if (entry?.grant === 'client_credentials') return this.clientCredentials(entry, asUrl, meta, resource, scope, req.endpoint, fetch);
    if (this.opts.interactive !== undefined) return this.authorizationCode(entry, asUrl, meta, resource, scope, req, fetch);
    const file = this.credentials.file || 'the credentials file';
    throw new HandOffError('ERR_AUTH_REQUIRED', `${where} demands authorization by ${asUrl}${scope ? ` (scope "${clip(scope, 100)}")` : ''} and none is configured: add client credentials for ${req.agent} or its zone to ${file}, or run ${req.loginHint ?? `\`aop login ${req.agent}\``} at a terminal`);
  }

  /** urlProblem, except at the endpoint's own origin (the hand-off's policy let that be called). */
  private problem(url: string, endpointOrigin: string): string | undefined {
    try {
      if (new URL(url).origin === endpointOrigin) return undefined;
    } catch {
      // urlProblem says it is not a URL.
    }
    return urlProblem(url, this.allowHttp);
  }

  /** RFC 8414 3.3 and the malicious-server cases: the issuer is the URL asked, every endpoint usable and at the issuer's origin. */
  private checkMetadata(meta: AuthorizationServerMetadata, asUrl: string, entry: CredentialEntry | undefined, where: string, endpointOrigin: string): void {
    if (!sameIssuer(meta.issuer, asUrl)) throw invalid(`${where}: the metadata of ${asUrl} names issuer ${clip(meta.issuer, 200)}, not itself (RFC 8414 3.3)`);
    const origin = new URL(asUrl).origin;
    const allowed = new Set([origin, ...(entry?.endpointOrigins ?? [])]);
    for (const k of ['token_endpoint', 'authorization_endpoint', 'registration_endpoint'] as const) {
      const v = meta[k];
      if (v === undefined) continue;
      const why = this.problem(v, endpointOrigin);
      if (why !== undefined) throw invalid(`${where}: ${k} ${why}`);
      if (!allowed.has(new URL(v).origin)) {
        throw invalid(`${where}: the ${k} ${clip(v, 200)} is at another origin than the issuer ${origin}; list it in endpoint_origins of the credentials entry if that is meant`);
      }
    }
  }

  /** The client information (and private_key_jwt signer) to present for `clientId` at `asUrl`. */
  private clientFor(clientId: string, asUrl: string, entry: CredentialEntry | undefined): { info: OAuthClientInformationMixed; addAuth?: OAuthClientProvider['addClientAuthentication'] } | undefined {
    if (entry !== undefined && entry.clientId === clientId) {
      const info: OAuthClientInformationMixed = { client_id: clientId, issuer: asUrl };
      if (entry.clientSecret !== undefined) info.client_secret = entry.clientSecret;
      if (entry.method !== undefined && entry.method !== 'private_key_jwt') (info as { token_endpoint_auth_method?: string }).token_endpoint_auth_method = entry.method;
      if (entry.method === 'private_key_jwt' && entry.privateKey !== undefined) {
        return { info, addAuth: this.jwtAuth(entry) };
      }
      return { info };
    }
    const stored = this.store.client(asUrl);
    if (stored !== undefined && stored.clientId === clientId) {
      const info: OAuthClientInformationMixed = { client_id: clientId, issuer: asUrl };
      if (stored.clientSecret !== undefined) info.client_secret = stored.clientSecret;
      if (stored.method !== undefined) (info as { token_endpoint_auth_method?: string }).token_endpoint_auth_method = stored.method;
      return { info };
    }
    if (this.credentials.clientMetadataUrl === clientId) return { info: { client_id: clientId, issuer: asUrl } };
    return undefined;
  }

  private jwtAuth(entry: CredentialEntry): OAuthClientProvider['addClientAuthentication'] {
    const key = entry.privateKey!;
    const alg = entry.algorithm ?? (/BEGIN EC PRIVATE KEY/.test(key) ? 'ES256' : 'RS256');
    const sign = createPrivateKeyJwtAuth({ issuer: entry.clientId!, subject: entry.clientId!, privateKey: key, alg });
    return async (headers, params, url, metadata) => {
      try {
        await sign(headers, params, url, metadata);
      } catch (err) {
        // jose's messages name the key's form, never its bytes.
        throw new HandOffError('ERR_AUTH_CREDENTIALS', `${this.credentials.file || 'credentials'}: the private key for ${entry.clientId} cannot sign ${alg}: ${clip((err as Error).message, 200)}`, { cause: err });
      }
    };
  }

  private async clientCredentials(entry: CredentialEntry, asUrl: string, meta: AuthorizationServerMetadata, resource: string, scope: string | undefined, endpoint: string, fetch: FetchLike): Promise<Granted> {
    const client = this.clientFor(entry.clientId!, asUrl, entry)!;
    const provider: OAuthClientProvider = {
      redirectUrl: undefined,
      clientMetadata: { redirect_uris: [], grant_types: ['client_credentials'], client_name: this.clientName },
      clientInformation: () => client.info,
      tokens: () => undefined,
      saveTokens: () => undefined,
      redirectToAuthorization: () => undefined,
      saveCodeVerifier: () => undefined,
      codeVerifier: () => '',
      prepareTokenRequest: () => new URLSearchParams({ grant_type: 'client_credentials', ...(scope !== undefined ? { scope } : {}) }),
      ...(client.addAuth ? { addClientAuthentication: client.addAuth } : {}),
    };
    const tokens = await this.tokenRequest(asUrl, () => fetchToken(provider, asUrl, { metadata: meta, resource, fetchFn: fetch }));
    return this.save(tokens, asUrl, resource, entry.clientId!, scope, endpoint);
  }

  private async authorizationCode(entry: CredentialEntry | undefined, asUrl: string, meta: AuthorizationServerMetadata, resource: string, scope: string | undefined, req: AuthRequest, fetch: FetchLike): Promise<Granted> {
    const where = `${req.agent}: ${req.endpoint}`;
    // MCP: PKCE S256 is required, and a server that does not list it is not used.
    if (!(meta.code_challenge_methods_supported ?? []).includes('S256')) {
      throw invalid(`${where}: the authorization server ${asUrl} does not list PKCE S256 in code_challenge_methods_supported`);
    }
    const stored = this.store.client(asUrl);
    const port = stored?.redirectUris.map((u) => Number(new URL(u).port)).find((p) => p > 0) ?? 0;
    const listener = await loopbackRedirect(port);
    try {
      let info: OAuthClientInformationMixed;
      let addAuth: OAuthClientProvider['addClientAuthentication'] | undefined;
      let clientId: string;
      if (entry?.clientId !== undefined) {
        const c = this.clientFor(entry.clientId, asUrl, entry)!;
        info = c.info;
        addAuth = c.addAuth;
        clientId = entry.clientId;
      } else if (meta.client_id_metadata_document_supported === true && this.credentials.clientMetadataUrl !== undefined) {
        clientId = this.credentials.clientMetadataUrl;
        info = { client_id: clientId, issuer: asUrl };
      } else if (stored !== undefined && stored.redirectUris.includes(listener.redirectUri)) {
        clientId = stored.clientId;
        info = this.clientFor(clientId, asUrl, undefined)!.info;
      } else if (meta.registration_endpoint !== undefined) {
        const full = await this.tokenRequest(asUrl, () => registerClient(asUrl, {
          metadata: meta,
          clientMetadata: { redirect_uris: [listener.redirectUri], client_name: this.clientName, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' },
          ...(scope !== undefined ? { scope } : {}),
          fetchFn: fetch,
        }), 'registration');
        clientId = full.client_id;
        this.store.putClient({ issuer: asUrl, clientId, ...(full.client_secret !== undefined ? { clientSecret: full.client_secret } : {}), ...(full.token_endpoint_auth_method !== undefined ? { method: full.token_endpoint_auth_method } : {}), redirectUris: [listener.redirectUri] });
        info = { ...full, issuer: asUrl };
      } else {
        throw new HandOffError('ERR_AUTH_REQUIRED', `${where} demands authorization by ${asUrl}, which supports neither Client ID Metadata Documents nor dynamic registration, and no client_id is configured for ${req.agent} in ${this.credentials.file || 'the credentials file'}`);
      }
      const state = randomBytes(16).toString('base64url');
      const { authorizationUrl, codeVerifier } = await startAuthorization(asUrl, { metadata: meta, clientInformation: info, redirectUrl: listener.redirectUri, ...(scope !== undefined ? { scope } : {}), state, resource }).catch((err: unknown) => {
        throw invalid(`${where}: ${clip((err as Error).message)}`, err);
      });
      this.opts.interactive!.open(authorizationUrl, req.agent);
      const code = await listener.wait(state, this.opts.interactive!.waitMs ?? 300_000, req.signal);
      const tokens = await this.tokenRequest(asUrl, () => exchangeAuthorization(asUrl, { metadata: meta, clientInformation: info, authorizationCode: code, codeVerifier, redirectUri: listener.redirectUri, resource, ...(addAuth ? { addClientAuthentication: addAuth } : {}), fetchFn: fetch }));
      return this.save(tokens, asUrl, resource, clientId, scope, req.endpoint);
    } finally {
      await listener.close();
    }
  }

  /** Run one request to the authorization server, its failures as ERR_AUTH_TOKEN_FAILED / _SERVER_INVALID. */
  private async tokenRequest<T>(asUrl: string, fn: () => Promise<T>, what = 'token request'): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HandOffError) throw err;
      if (isZod(err)) throw invalid(`${asUrl}: the ${what} answer is not valid: ${clip((err as Error).message, 200)}`, err);
      if (err instanceof OAuthError) {
        throw new HandOffError('ERR_AUTH_TOKEN_FAILED', `${asUrl}: the ${what} failed: ${err.errorCode}${err.message ? `: ${clip(err.message)}` : ''}`, { cause: err });
      }
      throw new HandOffError('ERR_AUTH_TOKEN_FAILED', `${asUrl}: the ${what} failed: ${clip((err as Error).message)}`, { cause: err });
    }
  }

  private save(tokens: OAuthTokens, asUrl: string, resource: string, clientId: string, scope: string | undefined, endpoint: string): Granted {
    if (tokens.token_type.toLowerCase() !== 'bearer') throw invalid(`${asUrl}: the token is of type ${clip(tokens.token_type, 40)}, not Bearer`);
    const t: StoredToken = {
      issuer: asUrl, resource, clientId, accessToken: tokens.access_token, tokenType: 'Bearer', endpoints: [endpoint],
      ...(tokens.expires_in !== undefined ? { expiresAt: Date.now() + tokens.expires_in * 1000 } : {}),
      ...(tokens.refresh_token !== undefined ? { refreshToken: tokens.refresh_token } : {}),
      ...((tokens.scope ?? scope) !== undefined ? { scope: tokens.scope ?? scope } : {}),
    };
    this.store.put(t);
    this.log.info(`oauth: a token from ${asUrl} for ${resource}${t.scope ? ` (scope ${t.scope})` : ''}`);
    return { token: t.accessToken, ...(t.scope !== undefined ? { scope: t.scope } : {}) };
  }

  private remember(t: StoredToken, endpoint: string): Granted {
    if (!(t.endpoints ?? []).includes(endpoint)) this.store.put({ ...t, endpoints: [...(t.endpoints ?? []), endpoint] });
    return { token: t.accessToken, ...(t.scope !== undefined ? { scope: t.scope } : {}) };
  }
}
