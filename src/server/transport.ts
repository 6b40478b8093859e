// UDP and TCP listeners for one address: datagrams, and RFC 7766 TCP with length framing,
// pipelining, an idle timeout and a connection limit. Against slow clients holding the TCP slots
// (slowloris) there are three more guards: a deadline for finishing a message once it has started
// (each byte no longer buys time), a cap on connections per source, and, when the table is full,
// the eviction of the connection idle the longest (RFC 7766 6.2: a server may limit and close idle
// connections under pressure), never one with a message half read or an answer on its way.

import cluster from 'node:cluster';
import dgram from 'node:dgram';
import net from 'node:net';
import { literalLookup } from '../transport/literal-lookup.js';
import { FrameDecoder, frameMessage } from '../transport/framing.js';
import { AddressInUseError, formatListen, listenOn, type ListenAddress } from './listen.js';
import { silentLogger, type Logger } from '../base/log.js';
import type { Responder } from './respond.js';
import type { Stats } from './stats.js';
import { sourceKey } from '../transport/source-key.js';
import { wallClock, type Tap } from './tap.js';
import { parseIPv6 } from '../wire/rdata/addr.js';
import { truncatedReply, type RateLimiter } from './rrl.js';
import { BatchedUdpSocket, UdpBatchUnavailableError, loadUdpBatch, type UdpBatchCounters, type UdpIo } from './udp-batch.js';

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
  /**
   * A message begun (its first byte read) must be whole this long after; the deadline is not moved
   * by more bytes, so a client trickling a byte at a time cannot keep a slot for ever.
   */
  messageTimeoutMs: number;
  /** Connections open at once from one source (an IPv4 address, an IPv6 /64); loopback counts too. */
  maxPerSource: number;
  /** The guards' counts are logged as one line per this period in which they acted, not per connection. */
  reportIntervalMs: number;
}

export const DEFAULT_TCP: TcpOptions = {
  idleTimeoutMs: 10_000, maxConnections: 1000, maxInFlight: 64, maxUnsentBytes: 256 * 1024,
  messageTimeoutMs: 3000, maxPerSource: 50, reportIntervalMs: 60_000,
};

/** One TCP connection's state. */
interface TcpConn {
  sock: net.Socket;
  source: string;
  decoder: FrameDecoder;
  /** Whole queries read, not yet being answered. */
  queue: Buffer[];
  /** Queries being answered. */
  running: number;
  /** Armed while a message is half read. */
  messageTimer?: NodeJS.Timeout;
}

/** What the TCP guards did since the last report line. */
interface GuardCounts {
  messageTimeouts: number;
  sourceRejected: number;
  evicted: number;
  rejected: number;
}

const MAX_REPORTED_SOURCES = 1024;

// The per-source key lives in the transport layer, shared with the HTTP listeners' caps.
export { sourceKey } from '../transport/source-key.js';

/** Datagrams kept while a listener is held (start({ hold: true })); more are dropped, as a full socket buffer would. */
const MAX_HELD_DATAGRAMS = 4096;

export class Listener {
  private udp?: dgram.Socket;
  /** The UDP socket when it is read and written in batches (native/udp-batch); then `udp` is unset. */
  private batched?: BatchedUdpSocket;
  private tcp?: net.Server;
  /** Open connections, least recently active first (a Map keeps insertion order; activity re-inserts). */
  private readonly conns = new Map<net.Socket, TcpConn>();
  private readonly perSource = new Map<string, number>();
  private guards: GuardCounts = { messageTimeouts: 0, sourceRejected: 0, evicted: 0, rejected: 0 };
  /** Sources the guards acted on since the last report, with how often. */
  private offenders = new Map<string, number>();
  private reportTimer?: NodeJS.Timeout;
  /** When the guards first acted in the period being counted. */
  private reportSince = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** While held: what arrived, answered on release(). */
  private held?: { datagrams: Array<() => void>; conns: net.Socket[] };
  /** The responder's cookie check, bound once (not a closure per datagram). */
  private readonly trusted = (query: Buffer, address: string): boolean => this.responder.trusted(query, address);
  /** The bound address; the port is the real one when 0 was asked for. */
  address: ListenAddress;
  /** The protocol the guards' report line names (the DoT listener's connections are 'tls'). */
  label = 'tcp';
  /** Observers of each answered query (dnstap, the query log); undefined costs one check per query. */
  tap?: Tap;
  /** How UDP is read and written; set before start(). `auto` batches when the native module is built. */
  udpIo: UdpIo = 'auto';

  constructor(
    address: ListenAddress,
    private readonly responder: Responder,
    private readonly stats: Stats,
    private readonly tcpOpts: TcpOptions = DEFAULT_TCP,
    private readonly log: Logger = silentLogger,
    /** Response Rate Limiting of UDP answers (rrl.ts); TCP is never limited. */
    private readonly rrl?: RateLimiter,
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
    const batched = this.useBatched();
    for (let attempt = 0; ; attempt++) {
      const udp = batched ? this.bindBatched(this.address.port) : await this.bindUdp(this.address.port);
      const port = udp instanceof BatchedUdpSocket ? udp.port : udp.address().port;
      try {
        this.tcp = await this.bindTcp(port);
        if (udp instanceof BatchedUdpSocket) {
          this.batched = udp;
          udp.start((n) => this.onBatch(udp, n));
        } else this.udp = udp;
        this.address = { ...this.address, port };
        return;
      } catch (err) {
        udp.close();
        if (this.address.port !== 0 || attempt >= 10 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  }

  /** Whether UDP goes through the native batched socket: asked for, or `auto` and built. */
  private useBatched(): boolean {
    if (this.udpIo === 'dgram') return false;
    // Port 0 in a cluster worker keeps the primary's shared handle (see bindUdp).
    if (cluster.isWorker && this.address.port === 0) {
      if (this.udpIo === 'batched') throw new UdpBatchUnavailableError('a cluster worker with port 0 shares the primary\'s socket');
      return false;
    }
    const { native, why } = loadUdpBatch();
    if (native) return true;
    if (this.udpIo === 'batched') throw new UdpBatchUnavailableError(why!);
    return false;
  }

  private bindBatched(port: number): BatchedUdpSocket {
    const { native } = loadUdpBatch();
    try {
      return BatchedUdpSocket.bind(native!, this.address, port, cluster.isWorker);
    } catch (err) {
      // The same error shape as dgram's bind, so callers (and the port-0 retry) see one kind.
      throw Object.assign(new Error((err as Error).message), { code: (err as NodeJS.ErrnoException).code, syscall: 'bind', cause: err });
    }
  }

  /** Which UDP path this listener took, and the native socket's counters when batched. */
  udpPath(): { path: 'batched' | 'dgram'; counters?: UdpBatchCounters } {
    return this.batched ? { path: 'batched', counters: this.batched.counters() } : { path: 'dgram' };
  }

  private bindUdp(port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      // Replies go to the address a datagram came from, an IP literal: no dns.lookup per send.
      // A cluster worker binds a socket of its own with SO_REUSEPORT, so the kernel spreads the
      // datagrams over the workers by flow; through the primary's shared handle every worker
      // polls one socket. Port 0 keeps the shared handle: each worker would get its own port.
      const own = cluster.isWorker && port !== 0;
      const sock = udpSocket(this.address, own);
      sock.once('error', reject);
      sock.bind({ port, address: this.address.host, exclusive: own }, () => {
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
    for (const answer of held.datagrams) answer();
    for (const c of held.conns) if (!c.destroyed) this.onConnection(c);
  }

  private onDatagram(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.held) {
      if (this.held.datagrams.length < MAX_HELD_DATAGRAMS) this.held.datagrams.push(() => this.onDatagram(sock, msg, rinfo));
      return;
    }
    // The hot path: a stored answer goes straight back, with no promise in between.
    const hit = this.responder.cached(msg, 'udp', rinfo.address);
    if (hit) {
      const out = this.limited(msg, hit, rinfo.address);
      if (out) sock.send(out, rinfo.port, rinfo.address);
      if (this.tap !== undefined) this.tapped(msg, hit, 'udp', rinfo.address, rinfo.port, wallClock(), true);
      return;
    }
    this.answerLater(msg, rinfo.address, rinfo.port, (out) => sock.send(out, rinfo.port, rinfo.address));
  }

  /**
   * A batch from the native socket: the same steps as onDatagram per datagram, stored answers
   * written into the batch's send buffer and sent with one sendmmsg (flush) before the rest are
   * started: a stored answer must not wait for another query's full path, whose synchronous part
   * and promise reactions would otherwise run before the batch's send.
   */
  private onBatch(io: BatchedUdpSocket, n: number): void {
    let later: Array<[Buffer, string, number]> | undefined;
    // The tap's records of stored answers, told after the flush: observers must not hold answers back.
    let taps: Array<[Buffer, Buffer, string, number, number]> | undefined;
    for (let i = 0; i < n; i++) {
      const view = io.query(i);
      if (view === undefined) {
        this.stats.dropped++;
        continue;
      }
      const address = io.address(i);
      const port = io.sourcePort(i);
      if (this.held) {
        // The view is the batch's buffer, reused by the next batch: keep a copy.
        const msg = Buffer.from(view);
        if (this.held.datagrams.length < MAX_HELD_DATAGRAMS) this.held.datagrams.push(() => this.answerLater(msg, address, port, (out) => io.sendTo(out, port, address)));
        continue;
      }
      const hit = this.responder.cached(view, 'udp', address);
      if (hit) {
        const out = this.limited(view, hit, address);
        if (out) io.reply(i, out);
        if (this.tap !== undefined) (taps ??= []).push([Buffer.from(view), hit, address, port, wallClock()]);
        continue;
      }
      // The view is the batch's buffer, reused by the next batch: keep a copy.
      (later ??= []).push([Buffer.from(view), address, port]);
    }
    // Nothing else to do in this call: the send after it returns is the same sendmmsg.
    if (later === undefined && taps === undefined) return;
    io.flush();
    if (taps !== undefined) for (const [query, hit, address, port, at] of taps) this.tapped(query, hit, 'udp', address, port, at, true);
    if (later === undefined) return;
    for (const [msg, address, port] of later) this.answerLater(msg, address, port, (out) => io.sendTo(out, port, address));
  }

  /** The full path (decode, handlers, encode): the answer goes to `send` when ready, under the rate limit. */
  private answerLater(msg: Buffer, address: string, port: number, send: (out: Buffer) => void): void {
    const t0 = this.tap !== undefined ? wallClock() : 0;
    this.track(this.responder.respond(msg, 'udp', address, port).then((out) => {
      // A multi-message reply is a TCP stream; over UDP only its first message can go.
      const first = Array.isArray(out) ? out[0] : out;
      if (first) {
        const limited = this.limited(msg, first, address);
        if (limited) send(limited);
      }
      if (this.tap !== undefined) this.tapped(msg, first, 'udp', address, port, t0, false);
    }));
  }

  /** A UDP answer as the rate limit lets it go: itself, its slip (TC=1), or nothing. */
  private limited(query: Buffer, out: Buffer, address: string): Buffer | undefined {
    if (!this.rrl) return out;
    const verdict = this.rrl.check(out, address, this.trusted, query);
    if (verdict === 'drop') {
      this.stats.rrlDropped++;
      return undefined;
    }
    if (verdict === 'slip') {
      this.stats.rrlSlipped++;
      // A client that speaks cookies is told its server cookie (BADCOOKIE) rather than to use TCP.
      return this.responder.badCookie(query, address) ?? truncatedReply(out);
    }
    return out;
  }

  private async bindTcp(port: number): Promise<net.Server> {
    const server = net.createServer((sock) => this.onConnection(sock));
    await listenOn(server, { ...this.address, port });
    return server;
  }

  /**
   * Serve a stream connection accepted elsewhere under this listener's guards and framing: the DoT
   * listener (tls-listener.ts) hands over its TLS sockets, so DoT is RFC 7766 TCP inside TLS.
   */
  adopt(sock: net.Socket): void {
    this.onConnection(sock);
  }

  private onConnection(sock: net.Socket): void {
    if (this.held) {
      // Unread until release(); a client that gives up meanwhile is dropped then.
      sock.on('error', () => sock.destroy());
      this.held.conns.push(sock);
      return;
    }
    const source = sourceKey(sock.remoteAddress ?? '');
    // The per-source cap first: a source over it must not evict anyone else's connection.
    if ((this.perSource.get(source) ?? 0) >= this.tcpOpts.maxPerSource) {
      this.stats.tcpSourceRejected++;
      this.guarded('sourceRejected', source);
      sock.destroy();
      return;
    }
    if (this.conns.size >= this.tcpOpts.maxConnections && !this.evictIdle()) {
      this.stats.tcpRejected++;
      this.guarded('rejected', source);
      sock.destroy();
      return;
    }
    this.stats.tcpConnections++;
    const c: TcpConn = { sock, source, decoder: new FrameDecoder(), queue: [], running: 0 };
    this.conns.set(sock, c);
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    sock.setNoDelay(true);
    sock.setTimeout(this.tcpOpts.idleTimeoutMs, () => {
      this.stats.tcpIdleClosed++;
      sock.destroy();
    });
    const backlogged = (): boolean => sock.writableLength >= this.tcpOpts.maxUnsentBytes;
    // Replies finished in one turn of the loop go out in one write: cork at the first, uncork on
    // the next tick (a pipelining client such as dnsperf gets many per segment, not one each).
    let corked = false;
    const send = (frame: Buffer): void => {
      if (!corked) {
        corked = true;
        sock.cork();
        process.nextTick(() => {
          corked = false;
          sock.uncork();
        });
      }
      sock.write(frame);
    };
    const pump = (): void => {
      const remote = sock.remoteAddress ?? '';
      while (c.running < this.tcpOpts.maxInFlight && c.queue.length > 0 && !backlogged()) {
        const msg = c.queue.shift()!;
        // A stored answer goes back at once, with no promise in between (as over UDP).
        const hit = this.responder.cached(msg, 'tcp', remote);
        if (hit) {
          if (!sock.destroyed) send(frameMessage(hit));
          if (this.tap !== undefined) this.tapped(msg, hit, 'tcp', remote, sock.remotePort ?? 0, wallClock(), true);
          this.touch(c);
          continue;
        }
        c.running++;
        const t0 = this.tap !== undefined ? wallClock() : 0;
        this.track(this.responder.respond(msg, 'tcp', remote, sock.remotePort ?? 0).then((out) => {
          c.running--;
          if (this.tap !== undefined) this.tapped(msg, Array.isArray(out) ? out[0] : out, 'tcp', remote, sock.remotePort ?? 0, t0, false);
          if (out && !sock.destroyed) {
            for (const one of Array.isArray(out) ? out : [out]) send(frameMessage(one));
            this.touch(c);
          }
          // A response that was dropped (not answerable) ends the connection, as BIND does.
          if (!out) sock.destroy();
          pump();
        }));
      }
      // Back-pressure: stop reading while the queue is long or the client is not reading ours.
      if (c.queue.length > this.tcpOpts.maxInFlight || backlogged()) sock.pause();
      else if (sock.isPaused()) sock.resume();
    };
    const onDeadline = (): void => {
      // While we are not reading (back-pressure) the client cannot finish: that is our wait, not its.
      if (sock.isPaused()) {
        c.messageTimer = setTimeout(onDeadline, this.tcpOpts.messageTimeoutMs).unref();
        return;
      }
      c.messageTimer = undefined;
      this.stats.tcpMessageTimeouts++;
      this.guarded('messageTimeouts', source);
      sock.destroy();
    };
    sock.on('drain', pump);
    sock.on('data', (chunk: Buffer) => {
      const msgs = c.decoder.push(chunk);
      if (msgs.length > 0) {
        clearTimeout(c.messageTimer);
        c.messageTimer = undefined;
        c.queue.push(...msgs);
        this.touch(c);
      }
      // The deadline runs from a message's first byte; later bytes of the same message do not move it.
      if (c.decoder.pending > 0 && c.messageTimer === undefined) {
        c.messageTimer = setTimeout(onDeadline, this.tcpOpts.messageTimeoutMs).unref();
      }
      pump();
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.forget(c));
  }

  /** Tell the tap about one answered (or dropped) query; a stream's first message stands for it. */
  private tapped(query: Buffer, response: Buffer | undefined, transport: 'udp' | 'tcp', address: string, port: number, queryTime: number, cached: boolean): void {
    const responseTime = cached ? queryTime : wallClock();
    this.tap!.answered({
      query, response, transport, clientAddress: address, clientPort: port,
      localAddress: this.address.host, localPort: this.address.port, queryTime, responseTime, cached,
    });
  }

  /** Idle: no message half read, no query waiting or being answered, no answer unsent (an AXFR on its way is not idle). */
  private static idle(c: TcpConn): boolean {
    return c.decoder.pending === 0 && c.queue.length === 0 && c.running === 0 && c.sock.writableLength === 0;
  }

  /** Mark a connection as just active: it moves to the back of the eviction order. */
  private touch(c: TcpConn): void {
    if (this.conns.get(c.sock) !== c) return;
    this.conns.delete(c.sock);
    this.conns.set(c.sock, c);
  }

  /** Take a connection out of the table (once; eviction does it before the socket's close event). */
  private forget(c: TcpConn): void {
    clearTimeout(c.messageTimer);
    c.messageTimer = undefined;
    if (this.conns.get(c.sock) !== c) return;
    this.conns.delete(c.sock);
    const n = (this.perSource.get(c.source) ?? 1) - 1;
    if (n > 0) this.perSource.set(c.source, n);
    else this.perSource.delete(c.source);
  }

  /** Close the connection idle the longest to make room; false when every connection has work. */
  private evictIdle(): boolean {
    for (const c of this.conns.values()) {
      if (!Listener.idle(c)) continue;
      this.forget(c);
      c.sock.destroy();
      this.stats.tcpEvicted++;
      this.guarded('evicted', c.source);
      return true;
    }
    return false;
  }

  /** Count what a guard did, for one report line per period rather than a line per connection. */
  private guarded(what: keyof GuardCounts, source: string): void {
    this.guards[what]++;
    if (this.offenders.has(source) || this.offenders.size < MAX_REPORTED_SOURCES) {
      this.offenders.set(source, (this.offenders.get(source) ?? 0) + 1);
    }
    if (this.reportTimer) return;
    this.reportSince = Date.now();
    this.reportTimer = setTimeout(() => this.report(), this.tcpOpts.reportIntervalMs).unref();
  }

  private report(): void {
    this.reportTimer = undefined;
    const g = this.guards;
    if (g.messageTimeouts + g.sourceRejected + g.evicted + g.rejected === 0) return;
    const top = [...this.offenders].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([s, n]) => `${s} (${n})`).join(', ');
    this.log.warn(`${this.label} ${formatListen(this.address)}: in ${Math.max(1, Math.round((Date.now() - this.reportSince) / 1000))} s, `
      + `${g.messageTimeouts} closed with a message unfinished after ${this.tcpOpts.messageTimeoutMs} ms, `
      + `${g.sourceRejected} refused over the per-source cap of ${this.tcpOpts.maxPerSource}, `
      + `${g.evicted} idle evicted to make room, ${g.rejected} refused with all ${this.tcpOpts.maxConnections} busy; `
      + `most from ${top}`);
    this.guards = { messageTimeouts: 0, sourceRejected: 0, evicted: 0, rejected: 0 };
    this.offenders = new Map();
  }

  /** The TCP table now: connections open, and how many are idle (evictable), mid-message, or busy answering. */
  tcpState(): { open: number; idle: number; inMessage: number; busy: number } {
    let idle = 0;
    let inMessage = 0;
    for (const c of this.conns.values()) {
      if (Listener.idle(c)) idle++;
      else if (c.decoder.pending > 0) inMessage++;
    }
    return { open: this.conns.size, idle, inMessage, busy: this.conns.size - idle - inMessage };
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
    for (const c of this.conns.keys()) c.destroy();
    for (const c of this.held?.conns.splice(0) ?? []) c.destroy();
    if (this.reportTimer) {
      clearTimeout(this.reportTimer);
      this.report();
    }
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    this.batched?.close();
    await closed;
  }
}

/** A UDP socket for a listen address: its family only (v6 sockets take no v4), IP-literal lookups. */
function udpSocket(address: ListenAddress, reusePort: boolean): dgram.Socket {
  return dgram.createSocket({ type: address.family === 6 ? 'udp6' : 'udp4', ipv6Only: address.family === 6, lookup: literalLookup, reusePort });
}

/**
 * Before forking workers that bind with SO_REUSEPORT: is the UDP address free? A second daemon
 * of the same user would otherwise join the first one's reuseport group and take half its
 * queries without a word. Binds a plain socket (which any holder refuses) and closes it.
 */
export function probeUdpFree(address: ListenAddress): Promise<void> {
  if (address.port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const sock = udpSocket(address, false);
    sock.once('error', (err: NodeJS.ErrnoException) => {
      sock.close();
      reject(err.code === 'EADDRINUSE' ? new AddressInUseError(address, 'udp', { cause: err }) : err);
    });
    sock.bind({ port: address.port, address: address.host, exclusive: true }, () => sock.close(() => resolve()));
  });
}
