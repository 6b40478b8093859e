// The metrics listener (`--metrics ADDR:PORT`): GET /metrics (Prometheus text exposition),
// /healthz (the process is up) and /readyz (the daemon answers). Plain HTTP for loopback or a
// scrape network; it holds few connections and drops slow or idle ones, so a scraper gone wrong
// (or anyone else) cannot tie it up.

import { AopError } from '../base/errors.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatListen, type ListenAddress } from './listen.js';

export interface MetricsHttpOptions {
  listen: ListenAddress;
  /** The exposition to serve (one daemon's registry, or the cluster's aggregate). */
  exposition(): Promise<{ text: string; contentType: string }>;
  /** Readiness: 200 when ready, else 503 with the reason. */
  readiness(): { ready: boolean; reason: string };
  /** Long work's lines (Progress.line: a crawl's zones, agents, errors), after the verdict in /readyz's body. */
  progress?(): string[];
  /** Connections open at once; more are closed on accept. Default 32. */
  maxConnections?: number;
  /** Milliseconds for the request headers to arrive. Default 5000. */
  headersTimeoutMs?: number;
  /** Milliseconds a connection may sit idle (keep-alive or mid-request). Default 15000. */
  idleTimeoutMs?: number;
}

export class MetricsListenError extends AopError {
  declare readonly code: 'ERR_METRICS_LISTEN';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_METRICS_LISTEN', message, options);
  }
}

export class MetricsHttp {
  private server?: http.Server;
  /** The bound address (the real port when 0 was asked for). */
  address: ListenAddress;

  constructor(private readonly opts: MetricsHttpOptions) {
    this.address = { ...opts.listen };
  }

  /** The URL of the exposition. */
  get url(): string {
    return `http://${formatListen(this.address)}/metrics`;
  }

  async start(): Promise<void> {
    const idle = this.opts.idleTimeoutMs ?? 15_000;
    const server = http.createServer({ headersTimeout: this.opts.headersTimeoutMs ?? 5000, requestTimeout: idle, keepAliveTimeout: Math.min(5000, idle) }, (req, res) => {
      void this.handle(req, res);
    });
    server.maxConnections = this.opts.maxConnections ?? 32;
    server.timeout = idle;
    server.on('clientError', (_err, sock) => sock.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new MetricsListenError(`metrics listener ${formatListen(this.address)}: ${err.message}`, { cause: err })));
      server.listen({ host: this.address.host, port: this.address.port, ipv6Only: this.address.family === 6 }, () => resolve());
    });
    server.on('error', () => { /* a failed accept must not stop the listener */ });
    this.server = server;
    this.address = { ...this.address, port: (server.address() as AddressInfo).port };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, 'method not allowed: use GET\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/metrics') {
        const { text, contentType } = await this.opts.exposition();
        send(200, text, contentType);
      } else if (path === '/healthz') {
        send(200, 'ok\n');
      } else if (path === '/readyz') {
        const r = this.opts.readiness();
        const lines = this.opts.progress?.() ?? [];
        send(r.ready ? 200 : 503, `${r.ready ? 'ready' : `not ready: ${r.reason}`}\n${lines.map((l) => `${l}\n`).join('')}`);
      } else {
        send(404, 'not found: try /metrics, /healthz or /readyz\n');
      }
    } catch (err) {
      if (!res.headersSent) send(500, `metrics: ${(err as Error).message}\n`);
      else res.destroy();
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
