// The gateway over stdio, for desktop MCP clients that start `aop mcp --stdio` themselves.

import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Gateway } from './server.js';

export interface GatewayStdio {
  /** Settles when the client closes stdin or close() is called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** Serve one MCP session on stdin/stdout. Nothing else may write to stdout meanwhile. */
export async function runGatewayStdio(gateway: Gateway, io: { stdin?: Readable; stdout?: Writable } = {}): Promise<GatewayStdio> {
  const stdin = io.stdin ?? process.stdin;
  const transport = new StdioServerTransport(stdin, io.stdout ?? process.stdout);
  const server = gateway.createServer();
  let done!: () => void;
  const closed = new Promise<void>((resolve) => { done = resolve; });
  const onclose = server.onclose;
  server.onclose = () => { onclose?.(); done(); };
  // StdioServerTransport does not notice the end of stdin; the client closing it ends the session.
  stdin.once('end', () => { void server.close(); });
  await server.connect(transport);
  return { closed, close: async () => { await server.close(); } };
}
