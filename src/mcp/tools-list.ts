// A running MCP server's tools/list (the SDK client over Streamable HTTP, with the hand-off's
// bounded fetch), every page, with the server's name and version and the protocol version it
// speaks: what `aop zone import-mcp` turns into agents and `aop zone cap` into capability documents.

import { AopError } from '../base/errors.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { limitedFetch, ReplyTooLargeError } from './http.js';
import { HandOffError } from './errors.js';
import { parseChallenge, type Authorizer } from './oauth/authorizer.js';
import { authorizedFetch, MAX_STEP_UPS, recordGrant, type SessionAuth } from './handoff/sessions.js';

/** Every code an ImportMcpError carries (docs/errors.md has a row for each). */
export const ImportMcpCode = {
  ERR_IMPORT_MCP_URL: 'the server URL is not an http(s) URL',
  ERR_IMPORT_MCP_UNREACHABLE: 'no reply from the server: connection refused or reset, unknown host, or timeout',
  ERR_IMPORT_MCP_NOT_MCP: 'the server replied, but not as an MCP server (an HTTP error, HTML, a failed initialize)',
  ERR_IMPORT_MCP_NO_TOOLS: 'the server lists no tools that can become agents',
  ERR_IMPORT_MCP_NAME_CLASH: 'two tools give the same agent name',
} as const;
export type ImportMcpCodeName = keyof typeof ImportMcpCode;

export class ImportMcpError extends AopError {
  declare readonly code: ImportMcpCodeName;
  constructor(code: ImportMcpCodeName, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, opts);
  }
}

/** What aop uses of a tool from `tools/list`. */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: { title?: string; readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
}

/** A server's tools and what it said of itself in initialize. */
export interface McpToolList {
  /** serverInfo.name. */
  server?: string;
  /** serverInfo.version. */
  version?: string;
  /** The protocol version the server chose in initialize. */
  protocolVersion?: string;
  tools: McpToolInfo[];
}

/** Pages of `tools/list` read at most (a server that keeps handing out cursors is cut off). */
const MAX_PAGES = 100;

/** Why a request failed, as one of our codes: no reply at all, or a reply that is not MCP. */
function classify(url: string, err: unknown): ImportMcpError | HandOffError {
  if (err instanceof HandOffError) return err;
  // A 401 is the server demanding authorization, never "not MCP" (the hand-off's ERR_AUTH_REQUIRED).
  if (err instanceof StreamableHTTPError && err.code === 401) {
    return new HandOffError('ERR_AUTH_REQUIRED', `${url} demands authorization (HTTP 401) and no credentials are configured for it`, { cause: err });
  }
  const why = err instanceof Error ? err.message : String(err);
  if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `no reply from ${url} in time (${why})`, { cause: err });
  }
  if (err instanceof StreamableHTTPError) {
    return new ImportMcpError('ERR_IMPORT_MCP_NOT_MCP', `${url} is not an MCP Streamable HTTP endpoint: ${why}`, { cause: err });
  }
  const big = (err as { cause?: unknown } | undefined)?.cause;
  if (big instanceof ReplyTooLargeError) {
    return new ImportMcpError('ERR_IMPORT_MCP_NOT_MCP', `${url} sent a reply past the limits: ${big.message}`, { cause: err });
  }
  // undici: "fetch failed" with the socket error as cause.
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const netCode = cause?.code;
  if (err instanceof TypeError && /fetch failed/.test(why)) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `cannot reach ${url}: ${netCode ?? cause?.message ?? why}`, { cause: err });
  }
  if (typeof netCode === 'string' && /^(ECONN|ENOTFOUND|EAI_|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT|UND_ERR_SOCKET)/.test(netCode)) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `cannot reach ${url}: ${netCode}`, { cause: err });
  }
  if (err instanceof DOMException && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `no reply from ${url} in time`, { cause: err });
  }
  return new ImportMcpError('ERR_IMPORT_MCP_NOT_MCP', `${url} did not answer as an MCP server: ${why}`, { cause: err });
}

/** Every page of tools/list from a connected client; `fail` turns an SDK failure into ours. */
async function readTools(client: Client, protocolVersion: () => string | undefined, reqOpts: { timeout: number; signal?: AbortSignal }, fail: (e: unknown) => Error): Promise<McpToolList> {
  const tools: McpToolInfo[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let res;
    try {
      res = await client.listTools(cursor !== undefined ? { cursor } : {}, reqOpts);
    } catch (e) {
      throw fail(e);
    }
    for (const tool of res.tools) {
      const info: McpToolInfo = { name: tool.name };
      if (tool.title !== undefined) info.title = tool.title;
      if (tool.description !== undefined) info.description = tool.description;
      if (tool.inputSchema !== undefined) info.inputSchema = tool.inputSchema as Record<string, unknown>;
      if (tool.outputSchema !== undefined) info.outputSchema = tool.outputSchema as Record<string, unknown>;
      if (tool.annotations !== undefined) info.annotations = tool.annotations;
      tools.push(info);
    }
    cursor = res.nextCursor;
    if (cursor === undefined) break;
  }
  const out: McpToolList = { tools };
  const info = client.getServerVersion();
  if (info?.name !== undefined) out.server = info.name;
  if (info?.version !== undefined) out.version = info.version;
  const pv = protocolVersion();
  if (pv !== undefined) out.protocolVersion = pv;
  return out;
}

/** How import-mcp authorizes at a server that demands it: the hand-off's OAuth client, and the name its credentials are looked up by. */
export interface ToolsListAuth {
  authorizer: Authorizer;
  /** The agent name or zone the credentials file's entries are matched against (import-mcp: the --zone). */
  name: string;
  /** The command that logs in interactively, for the ERR_AUTH_REQUIRED message. */
  loginHint?: string;
  /** The server host's addresses as the zone gives them: its metadata is fetched there (else the system resolver). */
  addresses?: readonly string[];
}

export interface ListMcpToolsOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: FetchLike;
  /** Without it, a server's 401 is ERR_AUTH_REQUIRED at once. */
  auth?: ToolsListAuth;
}

/**
 * Connect to an MCP server over Streamable HTTP and list its tools (every page). On a 401 (or a
 * 403 insufficient_scope) with `auth`, a token is got as the hand-off gets one and the listing
 * starts again. Throws ImportMcpError: ERR_IMPORT_MCP_URL, ERR_IMPORT_MCP_UNREACHABLE,
 * ERR_IMPORT_MCP_NOT_MCP; HandOffError ERR_AUTH_* when authorization fails.
 */
export async function listMcpTools(url: string, opts: ListMcpToolsOptions = {}): Promise<McpToolList> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ImportMcpError('ERR_IMPORT_MCP_URL', `${JSON.stringify(url)} is not a URL (want http://host:port/path)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ImportMcpError('ERR_IMPORT_MCP_URL', `${url}: only http and https MCP servers can be imported`);
  const timeout = opts.timeoutMs ?? 10_000;
  const reqOpts = { timeout, ...(opts.signal ? { signal: opts.signal } : {}) };
  // Replies bounded as the hand-off's are (4 MiB a body or SSE event): a hostile server cannot fill memory.
  const base = opts.fetch ?? limitedFetch();
  const auth: SessionAuth = { grants: 0, stepUps: 0 };
  const cached = opts.auth?.authorizer.cachedToken(url);
  if (cached !== undefined) auth.token = cached;
  for (;;) {
    // The token (when one is held) goes to the server's own origin only.
    const transport = new StreamableHTTPClientTransport(u, { fetch: authorizedFetch(base, u.origin, auth), requestInit: { redirect: 'manual' } });
    const client = new Client({ name: 'aop-import-mcp', version: '1' });
    try {
      try {
        await client.connect(transport, reqOpts);
      } catch (e) {
        throw classify(url, e);
      }
      return await readTools(client, () => transport.protocolVersion, reqOpts, (e) => classify(url, e));
    } catch (err) {
      if (!(await authorizeAfter(err, url, auth, opts))) throw err;
    } finally {
      await client.close().catch(() => {});
    }
  }
}

/** After a 401 or 403 insufficient_scope: a (new, or stepped-up) token into `auth`, and true (list again). */
async function authorizeAfter(err: unknown, url: string, auth: SessionAuth, opts: ListMcpToolsOptions): Promise<boolean> {
  const http = (err as { cause?: unknown }).cause;
  if (!(http instanceof StreamableHTTPError) || (http.code !== 401 && http.code !== 403)) return false;
  const status = http.code as 401 | 403;
  const challenge = parseChallenge(auth.challenge?.header);
  if (status === 403 && challenge.error !== 'insufficient_scope') return false;
  if (opts.auth === undefined) return false;
  if (status === 401 && auth.grants >= 2) throw new HandOffError('ERR_AUTH_REQUIRED', `${url} refused the token it was just given (HTTP 401 again)`, { cause: http });
  if (status === 403 && auth.stepUps >= MAX_STEP_UPS) {
    throw new HandOffError('ERR_AUTH_INSUFFICIENT_SCOPE', `${url} still answers 403 insufficient_scope${challenge.scope ? ` (scope "${challenge.scope.slice(0, 100)}")` : ''} after ${auth.stepUps} step-ups`, { cause: http });
  }
  const granted = await opts.auth.authorizer.authorize({
    endpoint: url, agent: opts.auth.name, status, challenge,
    ...(opts.auth.loginHint !== undefined ? { loginHint: opts.auth.loginHint } : {}),
    ...(opts.auth.addresses !== undefined ? { addresses: opts.auth.addresses } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(auth.token !== undefined ? { refused: auth.token } : {}),
    ...(auth.scope !== undefined ? { heldScope: auth.scope } : {}),
  });
  recordGrant(auth, granted, status);
  return true;
}

/**
 * The tools/list of an MCP server object in this process (the SDK's McpServer or Server), over an
 * in-memory transport: what a client would list from it over the network, with no socket. The
 * server is connected to the transport and closed after.
 */
export async function listServerTools(server: { connect(t: Transport): Promise<void>; close(): Promise<void> }, opts: { timeoutMs?: number } = {}): Promise<McpToolList> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // The client tells its transport the negotiated version (as it does the HTTP transport's).
  let version: string | undefined;
  (clientSide as InMemoryTransport & { setProtocolVersion(v: string): void }).setProtocolVersion = (v: string) => { version = v; };
  await server.connect(serverSide);
  const client = new Client({ name: 'aop-capability', version: '1' });
  const reqOpts = { timeout: opts.timeoutMs ?? 10_000 };
  try {
    await client.connect(clientSide, reqOpts);
    return await readTools(client, () => version, reqOpts, (e) => (e instanceof Error ? e : new Error(String(e))));
  } finally {
    await client.close().catch(() => {});
    await server.close().catch(() => {});
  }
}
