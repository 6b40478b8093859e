// An https site on one loopback address for DNS-AID client tests: MCP servers (the SDK's, stateful
// Streamable HTTP, as the demo agents run them) at some paths, fixed documents at others.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

export type Route =
  /** An MCP endpoint offering these tools; each answers `<tool>: <text>`. */
  | { mcp: string[] }
  /** A fixed document. */
  | { body: string | Buffer; type: string };

export interface HttpsSite {
  /** Requests by path, in order. */
  hits: string[];
  close(): Promise<void>;
}

function mcpServer(tools: string[]): McpServer {
  const server = new McpServer({ name: 'dns-aid test agent', version: '0.1.0' });
  for (const name of tools) {
    server.registerTool(name, { description: `the ${name} tool`, inputSchema: { text: z.string() } }, ({ text }) => ({
      content: [{ type: 'text' as const, text: `${name}: ${text}` }],
    }));
  }
  return server;
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Serve `routes` over https at host:port with the certificate and key files given. */
export async function startHttpsSite(host: string, port: number, tls: { cert: string; key: string }, routes: Record<string, Route>): Promise<HttpsSite> {
  const hits: string[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push(path);
    const route = routes[path];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      return;
    }
    if ('body' in route) {
      res.writeHead(200, { 'content-type': route.type }).end(route.body);
      return;
    }
    const sid = req.headers['mcp-session-id'];
    const existing = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (req.method !== 'POST') {
      if (existing !== undefined) await existing.handleRequest(req, res);
      else res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const msg = await body(req);
    if (existing !== undefined) {
      await existing.handleRequest(req, res, msg);
      return;
    }
    if (!isInitializeRequest(msg)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32600,"message":"initialize first"},"id":null}');
      return;
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), enableJsonResponse: true, onsessioninitialized: (id) => { sessions.set(id, transport); } });
    transport.onclose = () => { if (transport.sessionId !== undefined) sessions.delete(transport.sessionId); };
    await mcpServer(route.mcp).connect(transport);
    await transport.handleRequest(req, res, msg);
  };
  const server: Server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    handle(req, res).catch((err) => { if (!res.headersSent) res.writeHead(500).end(String(err)); });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    hits,
    close: async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
