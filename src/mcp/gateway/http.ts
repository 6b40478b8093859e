// The gateway over Streamable HTTP at /mcp: stateful sessions (one MCP server each), bound to the
// given address, with DNS-rebinding protection (Host and Origin checked) when bound to loopback.

import { AopError } from '../../base/errors.js';
import { limitConnections, type ConnectionCounts } from '../../transport/connection-limits.js';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { isLoopback } from '../handoff.js';
import { silentLogger, type Logger } from '../../base/log.js';
import { HOPS_HEADER } from '../http.js';
import { FIXED, parseHops, type Gateway } from './server.js';
import type { BearerGuard, Verdict } from './bearer.js';
import { CapabilityDocs } from '../cap-serve.js';
import { GATEWAY_CAP_PATH, gatewayCapabilityBytes } from './capability.js';
import { handleWeb, isWebPath } from './web.js';

export interface GatewayHttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Most concurrent sessions; the least recently used one is closed to make room (default 100). */
  maxSessions?: number;
  /** A session unused this long (ms) is closed when the next one opens (default 30 minutes). */
  sessionIdleMs?: number;
  /** Host names accepted in Host and Origin besides the loopback ones, when bound to loopback. */
  allowedHosts?: string[];
  /** Connections open at once, and from one source (IPv6: a /64); more are closed at accept (defaults 512, 64). */
  maxConnections?: number;
  maxPerSource?: number;
  logger?: Logger;
  /** Require bearer tokens (bearer.ts) and publish the protected resource metadata; absent: no authorization. */
  auth?: BearerGuard;
}

export class GatewayHttpError extends AopError {
  declare readonly code: 'ERR_GATEWAY_LISTEN';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GATEWAY_LISTEN', message, options);
  }
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
  used: number;
}

export const MCP_PATH = '/mcp';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Whether the gateway's bind address is loopback, so DNS-rebinding protection applies. */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}

/** Largest request body read, as the SDK's own default (its transport answers 413 past it). */
const MAX_BODY = 4 * 1024 * 1024;

/** Whether a Content-Type's media type is application/json (the SDK checks it strictly again). */
function isJson(ct: string | undefined): boolean {
  return ct !== undefined && ct.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * The body of a JSON POST read from the Node stream and parsed here, so that the SDK's transport
 * gets it as `parsedBody` instead of reading it through a web ReadableStream made from the Node
 * request (the costliest part of its Node adapter). `undefined`: not a JSON POST, the SDK reads
 * and judges it; 'rejected': an error was answered.
 */
async function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  if (req.method !== 'POST' || !isJson(req.headers['content-type'])) return undefined;
  const tooLarge = `Payload Too Large: Request body must not exceed ${MAX_BODY} bytes`;
  if (Number(req.headers['content-length']) > MAX_BODY) {
    reject(res, 413, tooLarge);
    return REJECTED;
  }
  // 'data' and 'end' rather than an async iterator: cheaper for the one-chunk bodies of MCP requests.
  const chunks = await new Promise<Buffer[] | undefined>((resolve, fail) => {
    const got: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
        return;
      }
      got.push(c);
    });
    req.on('end', () => resolve(got));
    req.on('error', fail);
  });
  if (chunks === undefined) {
    // The rest of the body is not read: answer, then drop the connection.
    res.once('finish', () => req.destroy());
    reject(res, 413, tooLarge);
    return REJECTED;
  }
  try {
    return JSON.parse((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8')) as unknown;
  } catch {
    reject(res, 400, 'Parse error: Invalid JSON', -32700);
    return REJECTED;
  }
}

const REJECTED = Symbol('rejected');

/** One JSON-RPC error body, as the SDK's transports write them. */
function reject(res: ServerResponse, status: number, message: string, code = -32000): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** A 401 or 403 of the bearer guard, with its WWW-Authenticate. */
function refuse(res: ServerResponse, v: Verdict): void {
  if (res.headersSent) return;
  res.writeHead(v.status ?? 401, { 'content-type': 'application/json', 'www-authenticate': v.challenge ?? 'Bearer' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: v.status === 403 ? `Forbidden: ${v.reason ?? 'insufficient scope'}` : `Unauthorized: ${v.reason ?? 'a bearer token is required'}` }, id: null }));
}

export class GatewayHttp {
  private readonly http: HttpServer;
  private readonly sessions = new Map<string, Session>();
  private readonly log: Logger;
  private readonly maxSessions: number;
  /** Host names accepted in Host/Origin; undefined when not bound to loopback (no check, as the SDK). */
  private readonly allowed?: Set<string>;
  private bound?: { address: string; port: number };
  /** The gateway's capability document, at GATEWAY_CAP_PATH once listening. */
  private readonly docs = new CapabilityDocs();

  constructor(private readonly gateway: Gateway, private readonly opts: GatewayHttpOptions) {
    this.log = opts.logger ?? silentLogger;
    this.maxSessions = opts.maxSessions ?? 100;
    if (isIP(opts.host) === 0) throw new GatewayHttpError(`gateway address '${opts.host}' is not an IPv4 or IPv6 address`);
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new GatewayHttpError(`gateway port ${opts.port} is not 0-65535`);
    if (isLoopbackAddress(opts.host)) {
      const self = isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host;
      this.allowed = new Set([...LOOPBACK_NAMES, self, ...(opts.allowedHosts ?? []).map((h) => h.toLowerCase())]);
    }
    this.http = createServer((req, res) => { void this.handle(req, res); });
    // Per-client caps and idle limits (issue 15): a client cannot hold every socket, nor one
    // open with a request it never finishes. Answers may stream for a whole call (SSE), so no
    // limit on the response side; keep-alive idling is Node's keepAliveTimeout (5 s).
    this.connections = limitConnections(this.http, { maxConnections: opts.maxConnections ?? 512, maxPerSource: opts.maxPerSource ?? 64 });
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 60_000;
  }

  /** Connections open and refused by the caps. */
  readonly connections: ConnectionCounts;

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new GatewayHttpError(`gateway cannot listen on ${this.opts.host}:${this.opts.port}: ${err.message}`, { cause: err }));
      this.http.once('error', onError);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    const a = this.http.address();
    if (a && typeof a === 'object') this.bound = { address: a.address, port: a.port };
    this.docs.set(GATEWAY_CAP_PATH, gatewayCapabilityBytes(this.url, this.gateway.version));
    this.opts.auth?.bindResource(this.url);
  }

  /** Where the gateway serves its capability document (a record's `cap`). */
  get capabilityUrl(): string {
    return new URL(GATEWAY_CAP_PATH, this.url).href;
  }

  get port(): number {
    return this.bound?.port ?? this.opts.port;
  }

  /** The URL an MCP client connects to. */
  get url(): string {
    const h = isIP(this.opts.host) === 6 ? `[${this.opts.host}]` : this.opts.host;
    return `http://${h}:${this.port}${MCP_PATH}`;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The hostname of a Host or Origin value, or undefined when it cannot be read. */
  private hostname(value: string, origin: boolean): string | undefined {
    try {
      return new URL(origin ? value : `http://${value}`).hostname.toLowerCase();
    } catch {
      return undefined;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      // Public metadata, the same bytes for every client: served before the session checks.
      if (this.docs.handle(req, res)) return;
      const guard = this.opts.auth;
      if (guard !== undefined && req.method === 'GET' && (path === new URL(guard.metadataUrl).pathname || path === '/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify(guard.metadata()));
        return;
      }
      const web = path !== MCP_PATH && isWebPath(path ?? '/');
      if (path !== MCP_PATH && !web) return reject(res, 404, `not found: the MCP endpoint is ${MCP_PATH}, the directory page /`);
      if (this.allowed) {
        // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
        const host = req.headers.host;
        const hn = host === undefined ? undefined : this.hostname(host, false);
        if (hn === undefined || !this.allowed.has(hn)) return reject(res, 403, `Invalid Host header: ${host ?? '(none)'}`);
        const origin = req.headers.origin;
        if (origin !== undefined) {
          const on = this.hostname(origin, true);
          if (on === undefined || !this.allowed.has(on)) return reject(res, 403, `Invalid Origin header: ${origin}`);
        }
      }
      // The directory page and its API: read-only, the same Host/Origin policy as /mcp.
      if (web) {
        // With authorization on, the data (not the page's own files) takes a bearer token as /mcp does.
        if (guard !== undefined && path!.startsWith('/api/')) {
          const v = await guard.check(req.headers.authorization);
          if (!v.ok) return refuse(res, v);
        }
        await handleWeb(this.gateway, req, res);
        return;
      }
      // Gateways calling gateways: a request that came through too many is refused before anything runs.
      const hops = parseHops(req.headers[HOPS_HEADER]);
      if (hops === undefined) return reject(res, 400, `Bad Request: ${HOPS_HEADER} is not a whole number`);
      if (hops >= this.gateway.maxHops) return reject(res, 508, `ERR_HOP_LIMIT: the request came through ${hops} gateways (${HOPS_HEADER}); at most ${this.gateway.maxHops - 1} are allowed`);
      let verdict: Verdict | undefined;
      if (guard !== undefined) {
        verdict = await guard.check(req.headers.authorization);
        if (!verdict.ok) return refuse(res, verdict);
        // The SDK hands it to the request handlers as extra.authInfo.
        (req as IncomingMessage & { auth?: unknown }).auth = { token: verdict.token, clientId: verdict.clientId ?? verdict.subject ?? '', scopes: verdict.scopes ?? [], ...(verdict.expiresAt !== undefined ? { expiresAt: verdict.expiresAt } : {}) };
      }
      const sid = req.headers['mcp-session-id'];
      if (typeof sid === 'string') {
        const s = this.sessions.get(sid);
        if (!s) return reject(res, 404, 'Session not found');
        s.used = Date.now();
        const body = await readJsonBody(req, res);
        if (body === REJECTED) return;
        if (guard !== undefined && verdict !== undefined && !this.toolAllowed(guard, verdict, body, res)) return;
        await s.transport.handleRequest(req, res, body);
        return;
      }
      if (req.method !== 'POST') return reject(res, 400, 'Bad Request: no Mcp-Session-Id; start a session with initialize');
      const body = await readJsonBody(req, res);
      if (body === REJECTED) return;
      if (guard !== undefined && verdict !== undefined && !this.toolAllowed(guard, verdict, body, res)) return;
      await this.open(req, res, body);
    } catch (err) {
      this.log.warn(`gateway http: ${(err as Error).message}`);
      reject(res, 500, 'Internal error');
    }
  }

  /** Per-tool scopes: a tools/call of a tool whose scopes the token lacks is answered 403 insufficient_scope. */
  private toolAllowed(guard: BearerGuard, v: Verdict, body: unknown, res: ServerResponse): boolean {
    const msg = body as { method?: unknown; params?: { name?: unknown } } | undefined;
    if (msg?.method !== 'tools/call' || typeof msg.params?.name !== 'string') return true;
    const name = msg.params.name;
    const t = guard.checkTool(v, name, !(FIXED as readonly string[]).includes(name));
    if (t.ok) return true;
    refuse(res, t);
    return false;
  }

  /** A POST without a session: a new transport and server; kept only if it was an initialize. */
  private async open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    await this.sweep();
    if (this.sessions.size >= this.maxSessions) await this.evict();
    const server = this.gateway.createServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => { this.sessions.set(id, { transport, server, used: Date.now() }); },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id !== undefined) this.sessions.delete(id);
      void server.close().catch(() => {});
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (transport.sessionId === undefined) {
      // Not an initialize request: the transport has answered with its error; nothing to keep.
      await transport.close().catch(() => {});
    }
  }

  /** Close sessions idle past sessionIdleMs: clients that went away without DELETE. */
  private async sweep(): Promise<void> {
    const before = Date.now() - (this.opts.sessionIdleMs ?? 30 * 60_000);
    for (const [id, s] of [...this.sessions]) {
      if (s.used >= before) continue;
      this.sessions.delete(id);
      await s.transport.close().catch(() => {});
    }
  }

  private async evict(): Promise<void> {
    let oldest: [string, Session] | undefined;
    for (const e of this.sessions) if (!oldest || e[1].used < oldest[1].used) oldest = e;
    if (!oldest) return;
    this.sessions.delete(oldest[0]);
    this.log.info(`gateway http: ${this.maxSessions} sessions open; closing the least recently used`);
    await oldest[1].transport.close().catch(() => {});
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.transport.close().catch(() => {})));
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}

/** Start the gateway on Streamable HTTP; resolves once listening. */
export async function startGatewayHttp(gateway: Gateway, opts: GatewayHttpOptions): Promise<GatewayHttp> {
  const g = new GatewayHttp(gateway, opts);
  await g.start();
  return g;
}
