// DNS over HTTPS (RFC 8484): GET with `?dns=` (base64url, no padding) and POST with an
// `application/dns-message` body, on one path (`/dns-query`), over HTTP/2 with HTTP/1.1 allowed,
// answered by the same Responder as UDP/TCP (with TCP's size limit: one HTTP body carries any
// DNS message). The freshness lifetime (Cache-Control max-age) is the smallest TTL in the answer
// (RFC 8484 5.1). Guards: connections per source and in all (at accept, before TLS), an idle
// timeout for both HTTP versions, a TLS handshake deadline, a deadline to finish a request body,
// and a cap on streams per HTTP/2 connection.

import http2 from 'node:http2';
import type net from 'node:net';
import { limitConnections, type ConnectionCounts } from '../transport/connection-limits.js';
import { minTtl } from '../wire/min-ttl.js';
import { formatListen, listenOn, type ListenAddress } from './listen.js';
import type { Responder } from './respond.js';
import type { TlsCertificate } from './tls-certificate.js';
import { DEFAULT_TCP, type TcpOptions } from './transport.js';

export const DOH_PORT = 443;
export const DOH_PATH = '/dns-query';
const DNS_MESSAGE = 'application/dns-message';
/** The largest DNS message (a two-byte length in TCP; RFC 8484 6 keeps that bound). */
const MAX_MESSAGE = 65535;

export interface DohOptions {
  /** The URI path of the endpoint (the `{?dns}` template's path). */
  path: string;
}

type Req = http2.Http2ServerRequest;
type Res = http2.Http2ServerResponse;

/** A base64url value as RFC 8484 6 sends it (no padding); padding is tolerated, other characters are not. */
function decodeBase64Url(text: string): Buffer | undefined {
  const bare = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(bare) || bare.length % 4 === 1) return undefined;
  return Buffer.from(bare, 'base64url');
}

export class DohListener {
  private server?: http2.Http2SecureServer;
  private counts?: ConnectionCounts;
  /** Resolved by release(): requests that arrive before wait for it. */
  private released?: Promise<void>;
  private release_?: () => void;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly sockets = new Set<net.Socket>();
  address: ListenAddress;

  constructor(
    address: ListenAddress,
    private readonly responder: Responder,
    private readonly certificate: TlsCertificate,
    private readonly tcpOpts: TcpOptions = DEFAULT_TCP,
    private readonly opts: DohOptions = { path: DOH_PATH },
  ) {
    this.address = { ...address };
  }

  async start(opts: { hold?: boolean } = {}): Promise<void> {
    if (opts.hold) this.released = new Promise((r) => { this.release_ = r; });
    const m = this.certificate.material;
    const server = http2.createSecureServer({
      cert: m.cert, key: m.key, allowHTTP1: true,
      // Each answer is one small write: with Nagle's algorithm it would wait for the ACK of the last.
      noDelay: true,
      // A client that connects and never finishes the handshake holds a slot this long at most.
      handshakeTimeout: this.tcpOpts.messageTimeoutMs,
      settings: { maxConcurrentStreams: this.tcpOpts.maxInFlight },
    }, (req, res) => { void this.handle(req, res); });
    this.counts = limitConnections(server, { maxConnections: this.tcpOpts.maxConnections, maxPerSource: this.tcpOpts.maxPerSource });
    // Both HTTP/2 sessions and HTTP/1.1 connections: no traffic for this long closes them.
    server.setTimeout(this.tcpOpts.idleTimeoutMs);
    server.on('session', (s) => {
      this.sessions.add(s);
      s.once('close', () => this.sessions.delete(s));
    });
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    // Handshake failures (a client that does not trust us, plain HTTP on the TLS port) are the client's.
    server.on('tlsClientError', () => {});
    this.certificate.onChange((next) => server.setSecureContext({ cert: next.cert, key: next.key }));
    await listenOn(server, this.address);
    this.server = server;
    this.address = { ...this.address, port: (server.address() as net.AddressInfo).port };
  }

  release(): void {
    this.release_?.();
    this.released = undefined;
  }

  /** Connections open and the ones the caps closed. */
  connections(): Readonly<ConnectionCounts> {
    return { ...(this.counts ?? { open: 0, sourceRejected: 0, rejected: 0 }) };
  }

  get shown(): string {
    return formatListen(this.address);
  }

  private async handle(req: Req, res: Res): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://doh.invalid');
      if (url.pathname !== this.opts.path) return this.fail(res, 404, `not found: the DNS endpoint is ${this.opts.path}`);
      let query: Buffer;
      if (req.method === 'GET') {
        const dns = url.searchParams.get('dns');
        if (dns === null) return this.fail(res, 400, "GET needs a 'dns' parameter: the query in base64url (RFC 8484 4.1)");
        // 65535 bytes in base64url is 87380 characters.
        if (dns.length > Math.ceil(MAX_MESSAGE / 3) * 4) return this.fail(res, 414, 'the dns parameter is longer than any DNS message');
        const decoded = decodeBase64Url(dns);
        if (decoded === undefined) return this.fail(res, 400, "the 'dns' parameter is not base64url");
        query = decoded;
      } else if (req.method === 'POST') {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== DNS_MESSAGE) return this.fail(res, 415, `POST needs Content-Type: ${DNS_MESSAGE} (got ${type === '' ? 'none' : type})`);
        const length = Number(req.headers['content-length'] ?? NaN);
        if (length > MAX_MESSAGE) return this.fail(res, 413, `a ${length}-byte body is larger than any DNS message (${MAX_MESSAGE})`);
        const body = await this.body(req);
        if (body === 'too large') return this.fail(res, 413, `the body is larger than any DNS message (${MAX_MESSAGE})`);
        if (body === 'timeout') return this.fail(res, 408, `the body did not arrive within ${this.tcpOpts.messageTimeoutMs} ms`);
        if (body === 'aborted') return;
        query = body;
      } else {
        res.setHeader('allow', 'GET, POST');
        return this.fail(res, 405, `${req.method} is not a DoH method: GET or POST`);
      }
      if (query.length < 12) return this.fail(res, 400, `a ${query.length}-byte message is shorter than a DNS header`);
      if (this.released) await this.released;
      const remote = req.socket?.remoteAddress ?? '';
      const out = await this.responder.respond(query, 'tcp', remote, req.socket?.remotePort ?? 0);
      const reply = Array.isArray(out) ? out[0] : out;
      // The responder drops what is not a query (a response, QR=1): for HTTP that is a bad request.
      if (!reply) return this.fail(res, 400, 'not a DNS query');
      const ttl = minTtl(reply);
      if (res.writableEnded || res.destroyed) return;
      const headers = { 'content-type': DNS_MESSAGE, 'content-length': reply.length, 'cache-control': `max-age=${ttl ?? 0}` };
      if (req.httpVersionMajor === 2) {
        // The core API: the message and END_STREAM in one DATA frame (some clients, dnsperf's
        // DoH among them, read each DATA frame as a message).
        const stream = res.stream;
        stream.respond({ ':status': 200, ...headers }, { endStream: false });
        stream.end(reply);
        return;
      }
      res.writeHead(200, headers);
      res.end(reply);
    } catch {
      // A bug here must cost one request, not the daemon.
      this.fail(res, 500, 'internal error');
    }
  }

  /** Read a request body, at most MAX_MESSAGE bytes and within the message deadline. */
  private body(req: Req): Promise<Buffer | 'too large' | 'timeout' | 'aborted'> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (v: Buffer | 'too large' | 'timeout' | 'aborted'): void => {
        clearTimeout(timer);
        req.off('data', onData);
        resolve(v);
      };
      const timer = setTimeout(() => done('timeout'), this.tcpOpts.messageTimeoutMs);
      const onData = (c: Buffer): void => {
        size += c.length;
        if (size > MAX_MESSAGE) return done('too large');
        chunks.push(c);
      };
      req.on('data', onData);
      req.once('end', () => done(Buffer.concat(chunks, size)));
      req.once('aborted', () => done('aborted'));
      req.once('error', () => done('aborted'));
    });
  }

  private fail(res: Res, status: number, message: string): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(message + '\n');
  }

  async close(): Promise<void> {
    this.release();
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sessions) s.close();
    // HTTP/1.1 keep-alive connections and sessions that do not close on their own.
    setTimeout(() => {
      for (const s of this.sessions) s.destroy();
      for (const s of this.sockets) s.destroy();
    }, 1000).unref();
    await closed;
  }
}
