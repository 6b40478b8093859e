// DNS over HTTPS client (RFC 8484): one query as an HTTP/2 GET (`?dns=` base64url, no padding)
// or POST (`application/dns-message`), on a session of its own, closed after (`aop dig +https`).
// A status other than 200 or a body that is not a DNS message is ERR_TRANSPORT_HTTP.

import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { TransportError, type Endpoint } from './errors.js';
import type { ExchangeResult, Server } from './exchange.js';
import { checkReply, parseQuery } from './match.js';
import { trackSocket, transportStats, type TransportStats } from './stats.js';
import { tlsConnectOptions, tlsFailure, type TlsPeer } from './tls-peer.js';

export const DOH_PORT = 443;
export const DOH_PATH = '/dns-query';
const DNS_MESSAGE = 'application/dns-message';

export interface DohOptions {
  signal?: AbortSignal;
  /** Milliseconds for the whole exchange, the connection and handshake included. Default 1500. */
  timeout?: number;
  /** Default POST, as dig's +https. */
  method?: 'GET' | 'POST';
  /** Default /dns-query. */
  path?: string;
  stats?: TransportStats;
}

export function dohExchange(server: Server & { tls?: TlsPeer }, wire: Buffer, opts: DohOptions = {}): Promise<ExchangeResult> {
  const endpoint: Endpoint = { address: server.address, port: server.port ?? DOH_PORT };
  const timeout = opts.timeout ?? 1500;
  const method = opts.method ?? 'POST';
  const path = opts.path ?? DOH_PATH;
  const stats = opts.stats ?? transportStats;
  const expected = parseQuery(wire);
  const a = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
  const at = `https ${a}:${endpoint.port}`;
  const err = (code: TransportError['code'], message: string, cause?: unknown, reply?: Buffer): TransportError =>
    new TransportError(code, message, { cause, transport: 'https', server: endpoint, ...(reply ? { reply } : {}) });
  return new Promise<ExchangeResult>((resolve, reject) => {
    const started = performance.now();
    let done = false;
    const tlsOpts = tlsConnectOptions(endpoint, server.tls);
    const session = http2.connect(`https://${a}:${endpoint.port}`, { ...tlsOpts, host: endpoint.address });
    trackSocket(1);
    session.once('close', () => trackSocket(-1));
    const finish = (e: TransportError | undefined, r?: ExchangeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      session.close();
      session.destroy();
      if (e) reject(e);
      else resolve(r!);
    };
    const timer = setTimeout(() => {
      stats.timeouts++;
      finish(err('ERR_TRANSPORT_TIMEOUT', `no reply from ${at} within ${timeout} ms`));
    }, timeout);
    const onAbort = (): void => finish(err('ERR_TRANSPORT_ABORTED', `query to ${at} aborted`, opts.signal?.reason));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    session.on('error', (e: NodeJS.ErrnoException) => finish(tlsFailure(e, 'https', endpoint, server.tls)));
    const headers: http2.OutgoingHttpHeaders = { ':method': method, accept: DNS_MESSAGE };
    if (method === 'GET') headers[':path'] = `${path}?dns=${wire.toString('base64url')}`;
    else Object.assign(headers, { ':path': path, 'content-type': DNS_MESSAGE, 'content-length': wire.length });
    const req = session.request(headers);
    // A stream cancelled by its session's failure carries that failure (a refused certificate) as its cause.
    req.on('error', (e: Error) => finish(tlsFailure(((e as Error & { cause?: unknown }).cause ?? e) as NodeJS.ErrnoException, 'https', endpoint, server.tls)));
    let status = 0;
    let type = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
      type = String(h['content-type'] ?? '');
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (status !== 200) {
        const text = body.toString('utf8', 0, Math.min(body.length, 200)).trim();
        return finish(err('ERR_TRANSPORT_HTTP', `${at}${path}: HTTP ${status}${text ? `: ${text}` : ''}`));
      }
      if (type.split(';')[0]!.trim().toLowerCase() !== DNS_MESSAGE) {
        return finish(err('ERR_TRANSPORT_HTTP', `${at}${path}: HTTP 200 with Content-Type ${type || 'none'}, not ${DNS_MESSAGE}`));
      }
      const verdict = checkReply(body, expected);
      if (verdict.kind === 'accept' || (verdict.kind === 'truncated' && verdict.message)) {
        stats.received++;
        return finish(undefined, { message: verdict.message!, reply: body, transport: 'https', rtt: performance.now() - started, server: endpoint, bytes: body.length });
      }
      stats.badReplies++;
      finish(err('ERR_TRANSPORT_BAD_REPLY', `${at}: ${verdict.kind === 'ignore' ? 'the reply does not match the query' : `undecodable reply: ${(verdict.error as Error | undefined)?.message ?? ''}`}`,
        verdict.kind === 'bad' ? verdict.error : undefined, body));
    });
    if (method === 'POST') req.end(wire);
    else req.end();
    stats.sent++;
  });
}
