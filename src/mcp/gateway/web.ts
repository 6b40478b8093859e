// The directory web page beside /mcp: `/` (HTML, CSS, script from web-assets.ts) and its JSON
// endpoints `/api/agents` (search or list, filters, cursors) and `/api/agent?name=`. They read
// what the MCP list tools read (Gateway.page: the directory store with --directory-db, else the
// configured zones' discovery), with the same input schemas, so the page and the tools agree.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Gateway } from './server.js';
import type { DirectoryEntry } from './discovery.js';
import { CursorError } from './cursor.js';
import { AopError, isAopError } from '../../base/errors.js';
import { inputs } from './tools.js';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './web-assets.js';

/** Nothing but the gateway's own files; no inline script or style, no framing, no plugins. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const STATIC: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/index.html': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/directory.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/directory.js': { type: 'text/javascript; charset=utf-8', body: PAGE_JS },
};

/** The query string parameters /api/agents accepts; anything else is refused by name. */
const QUERY_KEYS = ['q', 'organization', 'capability', 'transport', 'verified_only', 'reachable_only', 'cursor', 'limit'] as const;
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The paths web.ts answers (the HTTP server checks Host and Origin first). */
export function isWebPath(path: string): boolean {
  return path in STATIC || path === '/api/agents' || path === '/api/agent';
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...SECURITY_HEADERS });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, head = false): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), head);
}

/** A request the page's API refuses: its code and message go to the browser as JSON. */
export class WebQueryError extends AopError {
  declare readonly code: 'ERR_WEB_QUERY' | 'ERR_WEB_METHOD';
  constructor(code: WebQueryError['code'], message: string) {
    super(code, message);
  }
}

function bad(res: ServerResponse, code: string, message: string, status = 400): void {
  sendJson(res, status, { error: { code, message } });
}

function refuse(res: ServerResponse, code: WebQueryError['code'], message: string, status = 400): void {
  const err = new WebQueryError(code, message);
  bad(res, err.code, err.message, status);
}

/** An agent as the page shows it: names, description, endpoints, tools and its three states. */
export function webAgent(g: Gateway, e: DirectoryEntry): Record<string, unknown> {
  const card = e.card;
  const st = card ? g.statesOf(card) : undefined;
  const verified = e.verification?.verified ?? st?.verified ?? false;
  return {
    name: e.name,
    organization: e.zone,
    description: card?.description ?? null,
    capabilities: card?.capabilities ?? [],
    tools: e.tools ?? (card?.tool !== undefined ? [card.tool] : []),
    endpoints: card?.endpoints.map((p) => ({ url: p.url, transport: p.transport, priority: p.priority })) ?? [],
    state: { registered: card !== undefined, reachable: st?.reachable ?? null, verified, dnssec: e.verification?.dnssec ?? st?.dnssec ?? 'not judged' },
    ...(e.error ? { error: e.error } : {}),
  };
}

/** Answer a request for the page or its API (a path isWebPath accepts: the HTTP server checks first). */
export async function handleWeb(g: Gateway, req: IncomingMessage, res: ServerResponse, signal?: AbortSignal): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return refuse(res, 'ERR_WEB_METHOD', `${req.method ?? '?'} is not allowed here: GET or HEAD`, 405);
  }
  const head = req.method === 'HEAD';
  const file = STATIC[url.pathname];
  if (file) return send(res, 200, file.type, file.body, head);
  try {
    if (url.pathname === '/api/agent') {
      const name = inputs.get_agent_details.safeParse({ agent_name: url.searchParams.get('name') ?? undefined });
      if (!name.success) return refuse(res, 'ERR_WEB_QUERY', `name: ${name.error.issues[0]?.message ?? 'invalid'}`);
      const e = await g.lookup(name.data.agent_name, signal);
      if (!e.card) return bad(res, e.error?.code ?? 'ERR_AGENT_NOT_FOUND', e.error?.message ?? `agent '${name.data.agent_name}' not found`, 404);
      return sendJson(res, 200, { agent: webAgent(g, e) }, head);
    }
    const unknown = [...url.searchParams.keys()].filter((k) => !(QUERY_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) return refuse(res, 'ERR_WEB_QUERY', `unknown parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')}: accepted are ${QUERY_KEYS.join(', ')}`);
    const p = url.searchParams;
    const args: Record<string, unknown> = {};
    const text = (k: string, to = k): void => { const v = p.get(k); if (v !== null && v !== '') args[to] = v; };
    text('q', 'query'); text('organization'); text('capability'); text('transport'); text('cursor');
    const flags: Record<string, boolean> = {};
    for (const k of ['verified_only', 'reachable_only']) {
      const v = p.get(k);
      if (v === null) continue;
      const b = bool.safeParse(v);
      if (!b.success) return refuse(res, 'ERR_WEB_QUERY', `${k}: "true" or "false", not ${JSON.stringify(v)}`);
      flags[k] = b.data;
    }
    if (flags.verified_only !== undefined) args.verified_only = flags.verified_only;
    if (flags.reachable_only !== undefined) args.reachable_only = flags.reachable_only;
    const limit = p.get('limit');
    if (limit !== null) {
      if (!/^\d{1,4}$/.test(limit)) return refuse(res, 'ERR_WEB_QUERY', `limit: a whole number 1-1000, not ${JSON.stringify(limit)}`);
      args.limit = Number(limit);
    } else args.limit = 20;
    const schema = args.query !== undefined ? inputs.search_agents : inputs.list_agents;
    const parsed = schema.safeParse(args);
    if (!parsed.success) {
      return refuse(res, 'ERR_WEB_QUERY', parsed.error.issues.map((i) => `${String(i.path[0] ?? 'query') === 'query' ? 'q' : String(i.path[0])}: ${i.message}`).join('; '));
    }
    const page = await g.page(parsed.data as Record<string, unknown>, signal);
    // reachable_only is the gateway's (its pages read on past the unreachable: server.ts reachablePage).
    const agents = page.agents.map((e) => webAgent(g, e));
    sendJson(res, 200, { agents, total: page.total, ...(page.totalAtLeast === true ? { totalAtLeast: true } : {}), ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) }, head);
  } catch (err) {
    if (err instanceof CursorError || (isAopError(err) && err.code === 'ERR_DIRECTORY_QUERY')) return bad(res, (err as CursorError).code, (err as Error).message);
    if (isAopError(err) && (err.code === 'ERR_DIRECTORY_BUSY' || err.code === 'ERR_DIRECTORY_READER')) return bad(res, err.code, err.message, 503);
    throw err;
  }
}
