// DNS over TLS (RFC 7858): a TCP listener whose connections are wrapped in TLS at accept and then
// served exactly as DNS over TCP (RFC 7766 framing, pipelining, out-of-order answers), by the TCP
// listener's own code and guards (transport.ts `adopt`): idle timeout, message deadline,
// per-source cap, connection limit and idle eviction all apply from the first byte, before the
// handshake is paid for. The certificate can change under it (SIGHUP): new connections get the new one.

import net from 'node:net';
import tls from 'node:tls';
import { formatListen, listenOn, type ListenAddress } from './listen.js';
import { silentLogger, type Logger } from '../base/log.js';
import type { Responder } from './respond.js';
import type { Stats } from './stats.js';
import type { TlsCertificate } from './tls-certificate.js';
import { DEFAULT_TCP, Listener, type TcpOptions } from './transport.js';

export const DOT_PORT = 853;

export class TlsListener {
  private server?: net.Server;
  /** The TCP listener's connection handling, never bound itself: it only adopts our TLS sockets. */
  private readonly streams: Listener;
  private context: tls.SecureContext;
  /** Raw connections accepted while held, wrapped on release(). */
  private held?: net.Socket[];
  address: ListenAddress;

  constructor(
    address: ListenAddress,
    responder: Responder,
    stats: Stats,
    certificate: TlsCertificate,
    tcpOpts: TcpOptions = DEFAULT_TCP,
    log: Logger = silentLogger,
  ) {
    this.address = { ...address };
    this.streams = new Listener(address, responder, stats, tcpOpts, log);
    this.streams.label = 'tls';
    this.context = certificate.material.context;
    certificate.onChange((m) => {
      this.context = m.context;
    });
  }

  /** Bind. With `hold`, connections wait unread until release(). Rejects with Node's error (EADDRINUSE...). */
  async start(opts: { hold?: boolean } = {}): Promise<void> {
    if (opts.hold) this.held = [];
    const server = net.createServer((sock) => this.onConnection(sock));
    await listenOn(server, this.address);
    this.server = server;
    const a = server.address() as net.AddressInfo;
    this.address = { ...this.address, port: a.port };
    this.streams.address = this.address;
  }

  release(): void {
    const held = this.held;
    this.held = undefined;
    for (const s of held ?? []) if (!s.destroyed) this.onConnection(s);
  }

  private onConnection(raw: net.Socket): void {
    raw.on('error', () => raw.destroy());
    if (this.held) {
      this.held.push(raw);
      return;
    }
    const sock = new tls.TLSSocket(raw, { isServer: true, secureContext: this.context });
    this.streams.adopt(sock);
  }

  /** The connection table now (transport.ts tcpState). */
  state(): ReturnType<Listener['tcpState']> {
    return this.streams.tcpState();
  }

  get shown(): string {
    return formatListen(this.address);
  }

  async close(graceMs = 2000): Promise<void> {
    const server = this.server;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of this.held?.splice(0) ?? []) s.destroy();
    await this.streams.close(graceMs);
    await closed;
  }
}
