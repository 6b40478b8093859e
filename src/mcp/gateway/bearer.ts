// The gateway as an OAuth protected resource (RFC 9728, RFC 6750, the MCP authorization spec):
// JWT access tokens checked against the issuer's JWKS (jose): signature, issuer, audience = the
// gateway's resource URL, expiry, and scope; per-tool scopes (discovery vs call_agent); the
// protected resource metadata document; 401 and 403 with the WWW-Authenticate that says why.

import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AopError } from '../../base/errors.js';

export class GatewayAuthError extends AopError {
  declare readonly code: 'ERR_GATEWAY_AUTH_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GATEWAY_AUTH_CONFIG', message, options);
  }
}

export interface BearerGuardOptions {
  /** The authorization server's issuer identifier (tokens' `iss`). */
  issuer: string;
  /** Its JWKS URL (the `jwks_uri` of its metadata). */
  jwksUrl: string;
  /** The gateway's resource URL (tokens' `aud`, the metadata's `resource`): its public URL of /mcp. Default: the URL it listens on (bindResource). */
  resource?: string;
  /** Scopes every request needs. */
  requiredScopes?: string[];
  /** Scopes a tools/call of each tool needs besides (`call_agent`, the per-agent tools under '*'). */
  toolScopes?: Record<string, string[]>;
  /** Milliseconds for a JWKS fetch. Default 5000. */
  jwksTimeoutMs?: number;
  /** A key set to use instead of fetching jwksUrl (tests, a pinned key). */
  keys?: JWTVerifyGetKey;
}

export interface Verdict {
  ok: boolean;
  status?: 401 | 403;
  /** The WWW-Authenticate value to send with a refusal. */
  challenge?: string;
  /** Why, in words, for the body and the log (never the token). */
  reason?: string;
  scopes?: string[];
  subject?: string;
  clientId?: string;
  expiresAt?: number;
  token?: string;
}

function scopeList(p: JWTPayload): string[] {
  const s = p.scope ?? p.scp;
  if (typeof s === 'string') return s.split(/\s+/).filter((x) => x !== '');
  if (Array.isArray(s)) return s.filter((x): x is string => typeof x === 'string');
  return [];
}

const quote = (s: string): string => s.replace(/["\\]/g, '');

export class BearerGuard {
  private readonly keys: JWTVerifyGetKey;
  private res = '';
  private meta = '';

  constructor(private readonly opts: BearerGuardOptions) {
    for (const [k, v] of [['issuer', opts.issuer], ['jwksUrl', opts.jwksUrl], ['resource', opts.resource ?? 'http://x']] as const) {
      try {
        new URL(v);
      } catch {
        throw new GatewayAuthError(`gateway auth: ${k} '${String(v)}' is not a URL`);
      }
    }
    if (opts.resource !== undefined) this.bindResource(opts.resource);
    this.keys = opts.keys ?? createRemoteJWKSet(new URL(opts.jwksUrl), { timeoutDuration: opts.jwksTimeoutMs ?? 5000, cooldownDuration: 30_000 });
  }

  /** The resource URL, unless one was given: the gateway's own once it listens. */
  bindResource(url: string): void {
    if (this.res !== '' && this.opts.resource !== undefined) return;
    this.res = url;
    const r = new URL(url);
    // RFC 9728 3.1: the well-known path is inserted between the host and the resource's path.
    this.meta = `${r.origin}/.well-known/oauth-protected-resource${r.pathname === '/' ? '' : r.pathname}`;
  }

  get resource(): string {
    return this.res;
  }

  get metadataUrl(): string {
    return this.meta;
  }

  /** The protected resource metadata document (RFC 9728 2). */
  metadata(): Record<string, unknown> {
    const scopes = [...new Set([...(this.opts.requiredScopes ?? []), ...Object.values(this.opts.toolScopes ?? {}).flat()])];
    return {
      resource: this.resource,
      authorization_servers: [this.opts.issuer],
      bearer_methods_supported: ['header'],
      ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
    };
  }

  private challenge(scopes: string[], error?: string, description?: string): string {
    const parts = [`resource_metadata="${this.metadataUrl}"`];
    if (scopes.length > 0) parts.push(`scope="${quote(scopes.join(' '))}"`);
    if (error !== undefined) parts.push(`error="${error}"`);
    if (description !== undefined) parts.push(`error_description="${quote(description)}"`);
    return `Bearer ${parts.join(', ')}`;
  }

  /** Check a request's Authorization header for the request as a whole. */
  async check(authorization: string | undefined): Promise<Verdict> {
    const required = this.opts.requiredScopes ?? [];
    const m = authorization === undefined ? null : /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
    if (m === null) {
      return { ok: false, status: 401, challenge: this.challenge(required), reason: authorization === undefined ? 'no bearer token' : 'the Authorization header is not a bearer token' };
    }
    const token = m[1]!;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.opts.issuer, audience: this.resource, clockTolerance: 30, requiredClaims: ['exp'] }));
    } catch (err) {
      const why = err instanceof joseErrors.JWTExpired ? 'the token has expired' : `the token is not valid: ${(err as Error).message.slice(0, 120)}`;
      return { ok: false, status: 401, challenge: this.challenge(required, 'invalid_token', why), reason: why };
    }
    const scopes = scopeList(payload);
    const missing = required.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      return { ok: false, status: 403, challenge: this.challenge([...new Set([...scopes, ...required])], 'insufficient_scope', `needs ${missing.join(' ')}`), reason: `the token lacks scope ${missing.join(' ')}` };
    }
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
    return {
      ok: true, token, scopes,
      ...(payload.sub !== undefined ? { subject: payload.sub } : {}),
      ...(clientId !== undefined ? { clientId } : {}),
      ...(payload.exp !== undefined ? { expiresAt: payload.exp } : {}),
    };
  }

  /** The scopes a tools/call of `tool` needs besides the required ones, and a 403 when the token lacks them. */
  checkTool(v: Verdict, tool: string, agentTool: boolean): Verdict {
    const ts = this.opts.toolScopes ?? {};
    const need = ts[tool] ?? (agentTool ? ts['*'] : undefined) ?? [];
    const missing = need.filter((s) => !(v.scopes ?? []).includes(s));
    if (missing.length === 0) return v;
    return {
      ok: false, status: 403,
      challenge: this.challenge([...new Set([...(v.scopes ?? []), ...need])], 'insufficient_scope', `${tool} needs ${missing.join(' ')}`),
      reason: `${tool} needs scope ${missing.join(' ')}`,
    };
  }
}
