// `aop serve --mcp` as an OAuth protected resource: the issuer whose JWT access tokens it accepts,
// the scopes it requires (all requests, and call_agent with the per-agent tools), and the explicit,
// loud opt-out for a gateway bound to a non-loopback address. Also the credentials file the
// gateway's own calls to agents use (its own identity: a client's token is never passed on).

import type { Argv } from 'yargs';
import type { Logger } from '../../base/log.js';
import type { BearerGuard } from '../../mcp/gateway/bearer.js';
import type { Authorizer } from '../../mcp/oauth/authorizer.js';
import type { ListenAddress } from '../../server/listen.js';
import { UsageError } from '../common.js';

export interface McpAuthConfig {
  issuer?: string;
  jwks?: string;
  resource?: string;
  scopes: string[];
  callScopes: string[];
  insecureNoAuth: boolean;
  credentials?: string;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((x) => String(x).split(/[\s,]+/)).filter((x) => x !== '');

export function mcpAuthOptions<T>(y: Argv<T>) {
  return y
    .option('mcp-auth-issuer', { type: 'string', describe: 'Require bearer tokens on the MCP gateway: JWTs issued by this authorization server (its issuer URL)' })
    .option('mcp-auth-jwks', { type: 'string', describe: "The issuer's JWKS URL (default: jwks_uri from its metadata)" })
    .option('mcp-auth-resource', { type: 'string', describe: "The gateway's public URL of /mcp, the tokens' audience (default: the URL it listens on)" })
    .option('mcp-auth-scope', { type: 'string', array: true, describe: 'Scope every request to the gateway needs (comma list or repeat)' })
    .option('mcp-call-scope', { type: 'string', array: true, describe: 'Scope call_agent and the per-agent tools need besides (comma list or repeat)' })
    .option('mcp-insecure-no-auth', { type: 'boolean', default: false, describe: 'Serve the gateway on a non-loopback address without authorization (anyone who reaches it can call your agents)' })
    .option('mcp-credentials', { type: 'string', describe: "Credentials file for the gateway's own calls to agents that demand OAuth (default ~/.config/aop/credentials)" })
    .check((a) => {
      for (const k of ['mcp-auth-issuer', 'mcp-auth-jwks', 'mcp-auth-resource'] as const) {
        const v = a[k] as unknown;
        if (v === undefined) continue;
        if (typeof v !== 'string' || !/^https?:\/\/[^/]/.test(v)) throw new Error(`--${k} '${String(v)}' is not an http(s) URL`);
      }
      if ((a['mcp-auth-jwks'] !== undefined || a['mcp-auth-scope'] !== undefined || a['mcp-call-scope'] !== undefined) && a['mcp-auth-issuer'] === undefined) {
        throw new Error('--mcp-auth-jwks, --mcp-auth-scope and --mcp-call-scope need --mcp-auth-issuer');
      }
      if (a['mcp-insecure-no-auth'] === true && a['mcp-auth-issuer'] !== undefined) throw new Error('--mcp-insecure-no-auth and --mcp-auth-issuer contradict each other');
      return true;
    });
}

export function mcpAuthConfig(a: Record<string, unknown>): McpAuthConfig {
  return {
    ...(typeof a['mcp-auth-issuer'] === 'string' ? { issuer: a['mcp-auth-issuer'] } : {}),
    ...(typeof a['mcp-auth-jwks'] === 'string' ? { jwks: a['mcp-auth-jwks'] } : {}),
    ...(typeof a['mcp-auth-resource'] === 'string' ? { resource: a['mcp-auth-resource'] } : {}),
    scopes: list(a['mcp-auth-scope']),
    callScopes: list(a['mcp-call-scope']),
    insecureNoAuth: a['mcp-insecure-no-auth'] === true,
    ...(typeof a['mcp-credentials'] === 'string' ? { credentials: a['mcp-credentials'] } : {}),
  };
}

/**
 * The gateway's bearer guard, or undefined when it serves without authorization: allowed on
 * loopback, and elsewhere only with --mcp-insecure-no-auth (warned about loudly). Throws when a
 * non-loopback gateway has neither, or the issuer's metadata cannot be read.
 */
export async function gatewayGuard(c: McpAuthConfig | undefined, listen: ListenAddress, loopback: boolean, log: Logger): Promise<BearerGuard | undefined> {
  if (c?.issuer === undefined) {
    if (loopback) return undefined;
    if (c?.insecureNoAuth !== true) {
      throw new UsageError('ERR_MCP_AUTH_REQUIRED', `the MCP gateway on ${listen.host} (not loopback) needs authorization: --mcp-auth-issuer URL, or --mcp-insecure-no-auth to serve it open`);
    }
    log.warn(`MCP gateway on ${listen.host}:${listen.port} WITHOUT AUTHORIZATION (--mcp-insecure-no-auth): anyone who can reach it can call every agent it can`);
    return undefined;
  }
  let jwks = c.jwks;
  if (jwks === undefined) {
    const { discoverAuthorizationServerMetadata } = await import('@modelcontextprotocol/sdk/client/auth.js');
    const { authFetch } = await import('../../mcp/oauth/fetch.js');
    const f = authFetch({ allowHttp: 'loopback' });
    try {
      const meta = await discoverAuthorizationServerMetadata(c.issuer, { fetchFn: f.fetch }) as { jwks_uri?: string } | undefined;
      jwks = meta?.jwks_uri;
    } catch (err) {
      throw new Error(`--mcp-auth-issuer ${c.issuer}: its metadata cannot be read: ${(err as Error).message}`, { cause: err });
    } finally {
      await f.close();
    }
    if (jwks === undefined) throw new Error(`--mcp-auth-issuer ${c.issuer}: its metadata names no jwks_uri; give --mcp-auth-jwks`);
  }
  const { BearerGuard } = await import('../../mcp/gateway/bearer.js');
  const toolScopes: Record<string, string[]> = c.callScopes.length > 0 ? { call_agent: c.callScopes, '*': c.callScopes } : {};
  return new BearerGuard({ issuer: c.issuer, jwksUrl: jwks, requiredScopes: c.scopes, toolScopes, ...(c.resource !== undefined ? { resource: c.resource } : {}) });
}

/** The gateway's own Authorizer for agents that demand OAuth: the credentials file, tokens in memory, no person. */
export async function gatewayAuthorizer(c: McpAuthConfig | undefined, allowHttp: 'loopback' | 'any', log: Logger): Promise<Authorizer> {
  const { defaultCredentialsPath, loadCredentials } = await import('../../mcp/oauth/credentials.js');
  const { Authorizer } = await import('../../mcp/oauth/authorizer.js');
  const file = c?.credentials ?? defaultCredentialsPath();
  // A file named on the command line is checked at start; the default one when an agent first demands authorization.
  const credentials = c?.credentials !== undefined ? loadCredentials(file, { required: true }) : () => loadCredentials(file);
  return new Authorizer({ credentials, allowHttp, log });
}
