// Demo agents: real MCP servers (Streamable HTTP, stateful sessions) for every agent in a zones
// folder, derived from the zone files: each SVCB endpoint on a loopback address is served at its
// port and path with its tool. `npm start` runs them for the bundled zones; tests run them on a copy.

import { randomUUID } from 'node:crypto';
import { limitConnections } from '../../transport/connection-limits.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { AgentRecordError, cardFromRecords, classifySvcbSet } from '../../agent/index.js';
import { loadZoneDir } from '../../zone/load.js';
import { nameKey } from '../../wire/name.js';
import type { RR } from '../../wire/rr.js';
import { RRType } from '../../wire/types.js';
import { isLoopback } from '../address.js';
import { silentLogger, type Logger } from '../../base/log.js';
import { DEMO_TOOLS, ECHO_TOOL, type DemoTool } from './tools.js';
import { type AgentCard, capPathFor } from '../../agent/index.js';
import { capabilityOf } from '../cap-generate.js';
import { CapabilityDocs } from '../cap-serve.js';
import { listServerTools } from '../tools-list.js';

export interface DemoAgentsOptions {
  /** Folder of `<origin>.zone` files. Default the bundled zones/. */
  zonesDir?: string;
  /** Bind every endpoint on this address instead of the loopback addresses the zones give. */
  host?: string;
  /**
   * The certificate for the https endpoints (the local CA's leaf: src/mcp/local-ca.ts), asked once
   * for the host names of all of them. Without it, https endpoints are not served.
   */
  tls?: DemoTls;
  logger?: Logger;
}

/** What the demo agents need to serve https: a key and a certificate (chain) for these hosts. */
export interface DemoTls {
  leafFor(hosts: readonly string[]): Promise<{ cert: string; key: string }>;
}

export interface DemoAgents {
  /** One entry per endpoint served: the agent name, the URL the records give, the tool. */
  agents: { name: string; url: string; tool: string }[];
  /** Where the servers listen (`127.0.0.1:18101`, `[::1]:18104`). */
  listening: string[];
  /** The host names of the https endpoints served (the leaf certificate's names), sorted. */
  httpsHosts: string[];
  /** TCP connections accepted so far, all servers together. */
  readonly connections: number;
  close(): Promise<void>;
}

/** The bundled zones folder: ../../../zones from src/mcp/demo and from dist/mcp/demo alike. */
export const BUNDLED_ZONES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'zones');

const MAX_BODY = 1 << 20;
const MAX_SESSIONS = 1000;

interface Route {
  agent: string;
  tool: string;
  description: string | undefined;
  impl: DemoTool;
  sessions: Map<string, StreamableHTTPServerTransport>;
}

function mcpServerFor(route: Route): McpServer {
  const server = new McpServer({ name: `aop-demo ${route.agent}`, version: '0.1.0' });
  server.registerTool(route.tool, { description: route.description ?? route.impl.summary, inputSchema: route.impl.shape }, (args: Record<string, unknown>) => ({
    content: [{ type: 'text' as const, text: route.impl.run(args, route.agent.replace(/\.$/, '')) }],
  }));
  return server;
}

function jsonError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(routes: Map<string, Route>, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const pathname = (req.url ?? '/').split('?')[0]!;
  const route = routes.get(pathname);
  if (route === undefined) {
    jsonError(res, 404, -32601, `no MCP endpoint at ${pathname}`);
    return;
  }
  const sid = req.headers['mcp-session-id'];
  const sessionId = typeof sid === 'string' ? sid : undefined;
  if (req.method === 'GET') {
    // The demo agents never send server-initiated messages, so no standing SSE stream (allowed by the spec).
    jsonError(res, 405, -32000, 'no SSE stream here: use POST', { allow: 'POST, DELETE' });
    return;
  }
  if (req.method === 'DELETE') {
    const t = sessionId === undefined ? undefined : route.sessions.get(sessionId);
    if (t === undefined) jsonError(res, 404, -32001, 'Session not found');
    else await t.handleRequest(req, res);
    return;
  }
  if (req.method !== 'POST') {
    jsonError(res, 405, -32000, `method ${req.method ?? '?'} not allowed`, { allow: 'POST, DELETE' });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8'));
  } catch (err) {
    jsonError(res, 400, -32700, `parse error: ${(err as Error).message}`);
    return;
  }
  if (sessionId !== undefined) {
    const t = route.sessions.get(sessionId);
    if (t === undefined) jsonError(res, 404, -32001, 'Session not found');
    else await t.handleRequest(req, res, body);
    return;
  }
  if (!isInitializeRequest(body)) {
    jsonError(res, 400, -32600, 'no Mcp-Session-Id: send initialize first');
    return;
  }
  if (route.sessions.size >= MAX_SESSIONS) {
    // Bounded memory: the oldest session goes (its client gets 404 and opens a new one).
    const [oldest, t] = route.sessions.entries().next().value as [string, StreamableHTTPServerTransport];
    route.sessions.delete(oldest);
    await t.close().catch(() => undefined);
  }
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: true,
    onsessioninitialized: (id) => {
      route.sessions.set(id, transport);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) route.sessions.delete(transport.sessionId);
  };
  const server = mcpServerFor(route);
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
  log.debug(`demo: ${route.agent}: session ${transport.sessionId ?? '?'}`);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Start an MCP server for every agent endpoint in the zones whose host has a loopback address
 * (or on `host`). Endpoints sharing an address and port share one server, routed by path.
 */
export async function startDemoAgents(opts: DemoAgentsOptions = {}): Promise<DemoAgents> {
  const log = opts.logger ?? silentLogger;
  const dir = opts.zonesDir ?? BUNDLED_ZONES;
  const { zones, errors } = loadZoneDir(dir);
  for (const e of errors) log.warn(`demo agents: ${e.file ?? dir}: ${e.message.split('\n')[0]}`);
  if (zones.length === 0) throw new Error(`demo agents: no zone loaded from ${dir}`);
  if (opts.host !== undefined && !isLoopback(opts.host)) throw new Error(`demo agents: host ${opts.host} is not a loopback address`);

  const addresses = new Map<string, RR[]>();
  const svcbSets: Array<{ name: string; records: RR[]; zone: string }> = [];
  for (const zone of zones) {
    for (const rr of zone.records()) {
      if (rr.type === RRType.A || rr.type === RRType.AAAA) {
        const list = addresses.get(nameKey(rr.name)) ?? [];
        list.push(rr);
        addresses.set(nameKey(rr.name), list);
      }
    }
    for (const node of zone.allNodes()) {
      const set = node.rrsets.get(RRType.SVCB);
      if (set !== undefined) svcbSets.push({ name: set.name, zone: zone.origin, records: set.rdata.map((rdata) => ({ name: set.name, type: set.type, class: set.class, ttl: set.ttl, rdata })) });
    }
  }

  // address|port -> path -> route
  const servers = new Map<string, { host: string; port: number; scheme: 'http' | 'https'; routes: Map<string, Route>; docs: CapabilityDocs }>();
  const httpsHosts = new Set<string>();
  // Each agent's capability document, served at capPathFor(name) on every server of its endpoints.
  const capCards = new Map<string, { card: AgentCard; route: Route; servers: Set<CapabilityDocs> }>();
  const agents: DemoAgents['agents'] = [];
  for (const { name, records, zone } of svcbSets) {
    if (classifySvcbSet(name, records).kind !== 'service') continue;
    let card;
    try {
      card = cardFromRecords(name, [...records, ...[...addresses.values()].flat()], { zone });
    } catch (err) {
      if (!(err instanceof AgentRecordError)) throw err;
      log.warn(`demo agents: ${err.message}`);
      continue;
    }
    // The zone tooling's cards (no dnsAid option) always name their tool.
    const tool = card.tool!;
    for (const e of card.endpoints) {
      const loop = (e.addresses ?? []).filter(isLoopback);
      const scheme = e.scheme === 'http' || (e.scheme === 'https' && opts.tls !== undefined) ? e.scheme : undefined;
      if (loop.length === 0 || scheme === undefined || e.transport !== 'streamable-http') {
        log.info(`demo agents: not serving ${e.url} (${scheme === undefined ? (e.scheme === 'https' ? 'https without a certificate' : `scheme ${e.scheme}`) : e.transport !== 'streamable-http' ? `transport ${e.transport}` : 'no loopback address'})`);
        continue;
      }
      const impl = DEMO_TOOLS[tool] ?? ECHO_TOOL;
      for (const host of opts.host !== undefined ? [opts.host] : loop) {
        const key = `${host}|${e.port}`;
        let s = servers.get(key);
        if (s === undefined) servers.set(key, (s = { host, port: e.port, scheme, routes: new Map(), docs: new CapabilityDocs() }));
        if (s.scheme !== scheme) {
          log.warn(`demo agents: ${host}:${e.port} is both http and https in the records; serving ${s.scheme}, not ${e.url}`);
          continue;
        }
        const existing = s.routes.get(e.path);
        if (existing !== undefined) {
          if (existing.agent !== card.name) log.warn(`demo agents: ${host}:${e.port}${e.path} is both ${existing.agent} and ${card.name}; serving ${existing.agent}`);
          continue;
        }
        const route: Route = { agent: card.name, tool, description: card.description, impl, sessions: new Map() };
        s.routes.set(e.path, route);
        const c = capCards.get(card.name) ?? { card, route, servers: new Set<CapabilityDocs>() };
        c.servers.add(s.docs);
        capCards.set(card.name, c);
      }
      agents.push({ name: card.name, url: e.url, tool });
      if (scheme === 'https') httpsHosts.add(e.host.toLowerCase().replace(/\.$/, ''));
    }
  }
  // One leaf for every https host: the certificate names them all (and 127.0.0.1, ::1).
  const leaf = httpsHosts.size > 0 && opts.tls !== undefined ? await opts.tls.leafFor([...httpsHosts]) : undefined;

  // The document from the records and the tool's own tools/list (in process): the bytes `aop zone cap` hashes.
  for (const { card, route, servers: docs } of capCards.values()) {
    try {
      const cap = capabilityOf(card, await listServerTools(mcpServerFor(route)));
      for (const d of docs) d.set(capPathFor(card.name), cap.bytes);
    } catch (err) {
      log.warn(`demo agents: ${card.name}: no capability document: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const running: Array<{ server: Server; routes: Map<string, Route>; sockets: Set<Socket> }> = [];
  const listening: string[] = [];
  let connections = 0;
  const closeAll = async (): Promise<void> => {
    await Promise.all(running.splice(0).map(async ({ server, routes, sockets }) => {
      for (const r of routes.values()) {
        const ts = [...r.sessions.values()];
        r.sessions.clear();
        await Promise.all(ts.map((t) => t.close().catch(() => undefined)));
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    }));
  };
  try {
    for (const { host, port, scheme, routes, docs } of servers.values()) {
      const sockets = new Set<Socket>();
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        if (docs.handle(req, res)) return;
        handle(routes, req, res, log).catch((err: unknown) => {
          log.warn(`demo agents: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
          if (!res.headersSent) jsonError(res, 500, -32603, 'internal error');
          else res.end();
        });
      };
      const server: Server = scheme === 'https' ? createHttpsServer({ cert: leaf!.cert, key: leaf!.key }, onRequest) : createServer(onRequest);
      // Clients keep their connection (and session) between calls; a client cannot hold every socket.
      server.keepAliveTimeout = 65_000;
      limitConnections(server, { maxConnections: 256, maxPerSource: 64 });
      server.on('connection', (sock: Socket) => {
        connections++;
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      try {
        await listen(server, host, port);
      } catch (err) {
        if (host === '::1' && (err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') {
          log.warn(`demo agents: no IPv6 loopback here; not listening on [::1]:${port}`);
          continue;
        }
        throw err;
      }
      running.push({ server, routes, sockets });
      const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      listening.push(shown);
      log.info(`demo agents: ${scheme}://${shown} serves ${[...routes.entries()].map(([p, r]) => `${r.agent.replace(/\.$/, '')} (${r.tool}) at ${p}`).join(', ')}`);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    agents,
    listening,
    httpsHosts: [...httpsHosts].sort(),
    get connections() {
      return connections;
    },
    close: closeAll,
  };
}
