// DNS over TLS client (RFC 7858): one TLS connection per server, kept open and reused, queries
// pipelined on it (RFC 7766 6.2.1.1) with replies matched by ID and question in any order. Each
// query gets a connection-unique ID on the wire and its own back in the reply, so callers may pick
// IDs freely. The resolver's forwarders and `aop dig +tls` both use it.

import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { TransportError, type Endpoint } from './errors.js';
import type { ExchangeResult, Server } from './exchange.js';
import { FrameDecoder, frameMessage } from './framing.js';
import { checkReply, parseQuery, type Expected } from './match.js';
import { trackSocket, transportStats, type TransportStats } from './stats.js';
import { tlsConnectOptions, tlsFailure, type TlsPeer } from './tls-peer.js';

export const DOT_PORT = 853;

export interface DotOptions {
  signal?: AbortSignal;
  /** Milliseconds for the whole exchange, the connection and handshake included when it needs one. Default 1500. */
  timeout?: number;
  stats?: TransportStats;
}

interface Pending {
  expected: Expected;
  originalId: number;
  started: number;
  resolve(r: ExchangeResult): void;
  reject(e: TransportError): void;
  timer: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** One TLS connection and the queries waiting on it. */
class DotConnection {
  readonly sock: tls.TLSSocket;
  readonly ready: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder();
  private nextId = Math.floor(Math.random() * 0x10000);
  closed = false;
  /** Queries sent on it: a reused connection that closes under a query is worth one retry. */
  used = 0;

  constructor(readonly server: Endpoint, private readonly peer: TlsPeer | undefined, private readonly stats: TransportStats, private readonly onClose: () => void) {
    this.sock = tls.connect({ ...tlsConnectOptions(server, peer), ALPNProtocols: ['dot'] });
    trackSocket(1);
    let secure = false;
    this.ready = new Promise<void>((resolve, reject) => {
      this.sock.once('secureConnect', () => {
        secure = true;
        this.sock.setNoDelay(true);
        resolve();
      });
      this.sock.on('error', (err: NodeJS.ErrnoException) => {
        const e = secure
          ? new TransportError('ERR_TRANSPORT_TCP_CLOSED', `tls ${this.shown} closed the connection: ${err.message}`, { cause: err, transport: 'tls', server })
          : tlsFailure(err, 'tls', server, peer);
        reject(e);
        this.fail(e);
      });
    });
    this.ready.catch(() => {});
    this.sock.on('data', (chunk: Buffer) => this.onData(chunk));
    this.sock.on('close', () => {
      trackSocket(-1);
      this.fail(new TransportError('ERR_TRANSPORT_TCP_CLOSED', `tls ${this.shown} closed the connection ${this.decoder.pending > 0 ? 'in a reply' : 'before replying'}`, { transport: 'tls', server }));
    });
    // An idle pooled connection must not keep the process alive; one with queries waiting does (their timers do).
    this.sock.unref();
  }

  get shown(): string {
    return this.server.address.includes(':') ? `[${this.server.address}]:${this.server.port}` : `${this.server.address}:${this.server.port}`;
  }

  get busy(): number {
    return this.pending.size;
  }

  /** Send one query; resolves with its reply. */
  send(wire: Buffer, timeout: number, signal: AbortSignal | undefined): Promise<ExchangeResult> {
    const originalId = wire.readUInt16BE(0);
    let id = this.nextId;
    for (let i = 0; this.pending.has(id) && i < 0x10000; i++) id = (id + 1) & 0xffff;
    if (this.pending.has(id)) return Promise.reject(new TransportError('ERR_TRANSPORT_BAD_QUERY', `65536 queries in flight on tls ${this.shown}`));
    this.nextId = (id + 1) & 0xffff;
    const out = Buffer.from(wire);
    out.writeUInt16BE(id, 0);
    const expected = parseQuery(out);
    const framed = frameMessage(out);
    this.used++;
    return new Promise<ExchangeResult>((resolve, reject) => {
      const p: Pending = {
        expected, originalId, started: performance.now(), resolve, reject,
        timer: setTimeout(() => {
          this.stats.timeouts++;
          this.settle(id, new TransportError('ERR_TRANSPORT_TIMEOUT', `no reply from tls ${this.shown} within ${timeout} ms`, { transport: 'tls', server: this.server }));
        }, timeout),
      };
      if (signal) {
        if (signal.aborted) {
          clearTimeout(p.timer);
          reject(new TransportError('ERR_TRANSPORT_ABORTED', `query to tls ${this.shown} aborted`, { cause: signal.reason, transport: 'tls', server: this.server }));
          return;
        }
        p.onAbort = () => this.settle(id, new TransportError('ERR_TRANSPORT_ABORTED', `query to tls ${this.shown} aborted`, { cause: signal.reason, transport: 'tls', server: this.server }));
        p.signal = signal;
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(id, p);
      this.sock.ref();
      this.ready.then(() => {
        if (!this.pending.has(id) || this.closed) return;
        this.sock.write(framed);
        this.stats.sent++;
      }, () => {});
    });
  }

  private settle(id: number, result: ExchangeResult | TransportError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    if (this.pending.size === 0 && !this.closed) this.sock.unref();
    if (result instanceof TransportError) p.reject(result);
    else p.resolve(result);
  }

  private onData(chunk: Buffer): void {
    for (const reply of this.decoder.push(chunk)) {
      const id = reply.readUInt16BE(0);
      const p = this.pending.get(id);
      if (!p) {
        this.stats.mismatched++;
        continue;
      }
      const verdict = checkReply(reply, p.expected);
      if (verdict.kind === 'ignore') {
        this.stats.mismatched++;
      } else if (verdict.kind === 'bad' || (verdict.kind === 'truncated' && !verdict.message)) {
        this.stats.badReplies++;
        this.settle(id, new TransportError('ERR_TRANSPORT_BAD_REPLY', `undecodable reply from tls ${this.shown}: ${(verdict.error as Error | undefined)?.message ?? 'truncated'}`,
          { cause: verdict.error, transport: 'tls', server: this.server, reply }));
      } else if (verdict.message) {
        this.stats.received++;
        // The caller's ID back, in the bytes and the decoded message alike.
        reply.writeUInt16BE(p.originalId, 0);
        verdict.message.id = p.originalId;
        this.settle(id, { message: verdict.message, reply, transport: 'tls', rtt: performance.now() - p.started, server: this.server, bytes: reply.length });
      }
    }
  }

  /** Fail every waiting query and forget the connection. */
  fail(err: TransportError): void {
    if (!this.closed) {
      this.closed = true;
      this.onClose();
    }
    for (const id of [...this.pending.keys()]) this.settle(id, err);
    this.sock.destroy();
  }
}

/**
 * DoT to any number of servers, one reused connection each. exchange() connects on first use and
 * again after the server closes (RFC 7858 3.4: servers close idle connections); a query caught by
 * such a close on a reused connection is sent once more on a fresh one.
 */
export class DotClient {
  private readonly conns = new Map<string, DotConnection>();

  constructor(private readonly defaults: { stats?: TransportStats } = {}) {}

  async exchange(server: Server & { tls?: TlsPeer }, wire: Buffer, opts: DotOptions = {}): Promise<ExchangeResult> {
    const endpoint: Endpoint = { address: server.address, port: server.port ?? DOT_PORT };
    const timeout = opts.timeout ?? 1500;
    const deadline = performance.now() + timeout;
    for (let attempt = 0; ; attempt++) {
      const conn = this.connection(endpoint, server.tls);
      const reused = conn.used > 0;
      try {
        const r = await conn.send(wire, Math.max(1, deadline - performance.now()), opts.signal);
        return { ...r, server: endpoint };
      } catch (err) {
        if (attempt === 0 && reused && err instanceof TransportError && err.code === 'ERR_TRANSPORT_TCP_CLOSED' && performance.now() < deadline) continue;
        throw err;
      }
    }
  }

  private connection(server: Endpoint, peer: TlsPeer | undefined): DotConnection {
    const key = `${server.address}#${server.port}#${peer?.name ?? ''}`;
    const have = this.conns.get(key);
    if (have && !have.closed) return have;
    const conn = new DotConnection(server, peer, this.defaults.stats ?? transportStats, () => {
      if (this.conns.get(key) === conn) this.conns.delete(key);
    });
    this.conns.set(key, conn);
    return conn;
  }

  /** Connections open now (tests, stats). */
  get open(): number {
    return this.conns.size;
  }

  close(): void {
    for (const c of [...this.conns.values()]) c.fail(new TransportError('ERR_TRANSPORT_ABORTED', `tls ${c.shown}: client closed`, { transport: 'tls', server: c.server }));
    this.conns.clear();
  }
}

/** One DoT query on a connection of its own, closed after (`aop dig +tls`). */
export async function dotExchange(server: Server & { tls?: TlsPeer }, wire: Buffer, opts: DotOptions = {}): Promise<ExchangeResult> {
  const client = new DotClient(opts.stats ? { stats: opts.stats } : {});
  try {
    return await client.exchange(server, wire, opts);
  } finally {
    client.close();
  }
}
