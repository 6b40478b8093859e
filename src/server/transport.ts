// UDP and TCP listeners for one address: datagrams, and RFC 7766 TCP with length framing,
// pipelining, an idle timeout and a connection limit.

import dgram from 'node:dgram';
import net from 'node:net';
import { literalLookup } from '../transport/literal-lookup.js';
import type { ListenAddress } from './listen.js';
import type { Responder } from './respond.js';
import type { Stats } from './stats.js';

export interface TcpOptions {
  /** Close a connection idle this long (RFC 7766 6.2.3 suggests seconds, not minutes). */
  idleTimeoutMs: number;
  maxConnections: number;
  /** Queries answered at once per connection; more wait, so one client cannot queue unbounded work. */
  maxInFlight: number;
  /**
   * Response bytes a connection may have waiting to be sent. Above it we stop answering and stop
   * reading until the client reads, so a client that never reads cannot make us buffer without end.
   */
  maxUnsentBytes: number;
}

export const DEFAULT_TCP: TcpOptions = { idleTimeoutMs: 10_000, maxConnections: 1000, maxInFlight: 64, maxUnsentBytes: 256 * 1024 };

/** Datagrams kept while a listener is held (start({ hold: true })); more are dropped, as a full socket buffer would. */
const MAX_HELD_DATAGRAMS = 4096;

export class Listener {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Set<net.Socket>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** While held: what arrived, answered on release(). */
  private held?: { datagrams: Array<[dgram.Socket, Buffer, dgram.RemoteInfo]>; conns: net.Socket[] };
  /** The bound address; the port is the real one when 0 was asked for. */
  address: ListenAddress;

  constructor(
    address: ListenAddress,
    private readonly responder: Responder,
    private readonly stats: Stats,
    private readonly tcpOpts: TcpOptions = DEFAULT_TCP,
  ) {
    this.address = { ...address };
  }

  /**
   * Bind the UDP and TCP sockets. With `hold`, what arrives waits (datagrams queued, connections
   * unread) until release(): the address is taken at once, the answering starts later.
   */
  async start(opts: { hold?: boolean } = {}): Promise<void> {
    if (opts.hold) this.held = { datagrams: [], conns: [] };
    // With port 0, UDP picks the port and TCP takes the same one; retry if TCP finds it taken.
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindUdp(this.address.port);
      const port = udp.address().port;
      try {
        this.tcp = await this.bindTcp(port);
        this.udp = udp;
        this.address = { ...this.address, port };
        return;
      } catch (err) {
        udp.close();
        if (this.address.port !== 0 || attempt >= 10 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  }

  private bindUdp(port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      // Replies go to the address a datagram came from, an IP literal: no dns.lookup per send.
      const sock = dgram.createSocket({ type: this.address.family === 6 ? 'udp6' : 'udp4', ipv6Only: this.address.family === 6, lookup: literalLookup });
      sock.once('error', reject);
      sock.bind(port, this.address.host, () => {
        sock.off('error', reject);
        sock.on('error', () => { /* ICMP errors for one client must not stop the socket */ });
        sock.on('message', (msg, rinfo) => this.onDatagram(sock, msg, rinfo));
        resolve(sock);
      });
    });
  }

  /** Answer what arrived while held, and everything from now on. */
  release(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    for (const [sock, msg, rinfo] of held.datagrams) this.onDatagram(sock, msg, rinfo);
    for (const c of held.conns) if (!c.destroyed) this.onConnection(c);
  }

  private onDatagram(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.held) {
      if (this.held.datagrams.length < MAX_HELD_DATAGRAMS) this.held.datagrams.push([sock, msg, rinfo]);
      return;
    }
    // The hot path: a stored answer goes straight back, with no promise in between.
    const hit = this.responder.cached(msg, 'udp', rinfo.address);
    if (hit) {
      sock.send(hit, rinfo.port, rinfo.address);
      return;
    }
    this.track(this.responder.respond(msg, 'udp', rinfo.address, rinfo.port).then((out) => {
      // A multi-message reply is a TCP stream; over UDP only its first message can go.
      const first = Array.isArray(out) ? out[0] : out;
      if (first) sock.send(first, rinfo.port, rinfo.address);
    }));
  }

  private bindTcp(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((sock) => this.onConnection(sock));
      server.once('error', reject);
      server.listen({ port, host: this.address.host, ipv6Only: this.address.family === 6 }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private onConnection(sock: net.Socket): void {
    if (this.held) {
      // Unread until release(); a client that gives up meanwhile is dropped then.
      sock.on('error', () => sock.destroy());
      this.held.conns.push(sock);
      return;
    }
    if (this.conns.size >= this.tcpOpts.maxConnections) {
      this.stats.tcpRejected++;
      sock.destroy();
      return;
    }
    this.stats.tcpConnections++;
    this.conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.tcpOpts.idleTimeoutMs, () => {
      this.stats.tcpIdleClosed++;
      sock.destroy();
    });
    let pending: Buffer = Buffer.alloc(0);
    const queue: Buffer[] = [];
    let running = 0;
    const backlogged = (): boolean => sock.writableLength >= this.tcpOpts.maxUnsentBytes;
    const pump = (): void => {
      while (running < this.tcpOpts.maxInFlight && queue.length > 0 && !backlogged()) {
        const msg = queue.shift()!;
        running++;
        this.track(this.responder.respond(msg, 'tcp', sock.remoteAddress ?? '', sock.remotePort ?? 0).then((out) => {
          running--;
          if (out && !sock.destroyed) {
            for (const one of Array.isArray(out) ? out : [out]) {
              const len = Buffer.alloc(2);
              len.writeUInt16BE(one.length);
              sock.write(Buffer.concat([len, one]));
            }
          }
          // A response that was dropped (not answerable) ends the connection, as BIND does.
          if (!out) sock.destroy();
          pump();
        }));
      }
      // Back-pressure: stop reading while the queue is long or the client is not reading ours.
      if (queue.length > this.tcpOpts.maxInFlight || backlogged()) sock.pause();
      else if (sock.isPaused()) sock.resume();
    };
    sock.on('drain', pump);
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        queue.push(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
      }
      pump();
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
  }

  private track(p: Promise<void>): void {
    this.inFlight++;
    p.catch(() => {}).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Stop accepting, let answers in progress finish (bounded by `graceMs`), close everything. */
  async close(graceMs = 2000): Promise<void> {
    const tcp = this.tcp;
    const udp = this.udp;
    const closed = tcp ? new Promise<void>((r) => tcp.close(() => r())) : Promise.resolve();
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, graceMs).unref()),
      ]);
    }
    for (const c of this.conns) c.destroy();
    for (const c of this.held?.conns.splice(0) ?? []) c.destroy();
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    await closed;
  }
}
