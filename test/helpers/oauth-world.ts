// Loopback peers for the hand-off's OAuth client: a protected MCP agent (401 with a challenge until
// a bearer token its `accept` likes comes, its protected resource metadata at the RFC 9728 path),
// an authorization server whose answers a test writes (the hostile cases), and a zone naming the agent.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { startDaemon } from './server.js';
import { parseListen } from '../../src/server/listen.js';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export interface HttpPeer {
  url: string;
  port: number;
  /** Every request: method, path and its headers. */
  seen: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string }>;
}

/** An http server on host:0 answering by `handle`; every request is kept in `seen`. */
export async function httpPeer(t: Teardownable, host: string, handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string, peer: HttpPeer) => void | Promise<void>): Promise<HttpPeer> {
  const peer: HttpPeer = { url: '', port: 0, seen: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      peer.seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      void Promise.resolve(handle(req, res, body, peer)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  peer.port = (server.address() as AddressInfo).port;
  peer.url = `http://${host}:${peer.port}`;
  t.teardown(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return peer;
}

export interface ProtectedAgentOptions {
  /** The authorization servers its metadata names; none: no metadata is served at all. */
  authorizationServers?: () => string[];
  /** Whether a bearer token is good: 'ok', 'scope' (403 insufficient_scope), or false (401). */
  accept: (token: string) => 'ok' | 'scope' | false | Promise<'ok' | 'scope' | false>;
  scopesSupported?: string[];
  /** The scope a 403 asks for. */
  stepUpScope?: string;
  /** Not protected at all ('none'), or a 401 with this WWW-Authenticate instead of Bearer (e.g. 'Basic realm="x"'). Default: Bearer. */
  demand?: 'none' | string;
}

/** A protected MCP agent at /mcp with one tool, `echo`. */
export async function protectedAgent(t: Teardownable, host: string, o: ProtectedAgentOptions): Promise<HttpPeer> {
  return httpPeer(t, host, async (req, res, body) => {
    // Its own URL as the client named it (the DNS name of the record), as a real server knows it.
    const self = `http://${req.headers.host ?? host}`;
    const peer = { url: self };
    const u = new URL(req.url ?? '/', self);
    if (u.pathname === '/.well-known/oauth-protected-resource/mcp' && o.authorizationServers !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        resource: `${peer.url}/mcp`, authorization_servers: o.authorizationServers(), ...(o.scopesSupported ? { scopes_supported: o.scopesSupported } : {}),
      }));
      return;
    }
    if (u.pathname !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/i.exec(auth)?.[1];
    if (o.demand !== undefined && o.demand !== 'none' && token === undefined) {
      res.writeHead(401, { 'www-authenticate': o.demand }).end();
      return;
    }
    const verdict = o.demand === 'none' ? 'ok' : token === undefined ? false : await o.accept(token);
    const prm = o.authorizationServers !== undefined ? `, resource_metadata="${peer.url}/.well-known/oauth-protected-resource/mcp"` : '';
    if (verdict === false) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="mcp"${prm}`, 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
    if (verdict === 'scope') {
      res.writeHead(403, { 'www-authenticate': `Bearer error="insufficient_scope", scope="${o.stepUpScope ?? 'mcp:admin'}"${prm}` }).end();
      return;
    }
    const server = new McpServer({ name: 'protected', version: '1.0.0' });
    server.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    res.on('close', () => { void transport.close(); void server.close(); });
    await transport.handleRequest(req, res, body === '' ? undefined : JSON.parse(body));
  });
}

/** A zone `auth.test.` naming agent `w` at `agent` (host auth.test. -> its address), served by a Daemon on `dnsHost`. */
export async function agentZone(t: Teardownable, dnsHost: string, agent: HttpPeer): Promise<{ address: string; port: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-oauth-zone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const host = new URL(agent.url).hostname;
  writeFileSync(path.join(dir, 'auth.test.zone'), `$ORIGIN auth.test.
$TTL 5
@ IN SOA ns.auth.test. hostmaster.auth.test. 1 3600 900 604800 5
@ IN NS ns
ns IN A ${dnsHost}
mcp IN A ${host}
w IN SVCB 1 mcp.auth.test. ( alpn="mcp" port=${agent.port} key65320="/mcp" key65321="streamable-http" key65322="echo" key65326="http" )
`);
  const d = await startDaemon(t, { zonesDir: dir, listen: [parseListen(`${dnsHost}:0`)] });
  return { address: d.host, port: d.port };
}
