// The daemon: loads the zones, runs the listeners, reloads on demand, shuts down gracefully.

import { Catalog } from '../authority/catalog.js';
import { loadZoneDir } from '../zone/load.js';
import { DnsCache, type DnsCacheOptions } from '../cache/index.js';
import { Acl } from '../resolver/acl.js';
import type { RootHints } from '../resolver/hints.js';
import { Resolver } from '../resolver/resolver.js';
import type { Server } from '../transport/index.js';
import { AuthorityHandler } from './authority-handler.js';
import { ControlServer } from './control.js';
import { ResolverHandler } from './resolver-handler.js';
import type { Handler } from './handler.js';
import { formatListen, type ListenAddress } from './listen.js';
import { silentLogger, type Logger } from './log.js';
import { DEFAULT_UDP_SIZE, Responder } from './respond.js';
import { Stats } from './stats.js';
import { DEFAULT_TCP, Listener, type TcpOptions } from './transport.js';

export interface DaemonOptions {
  /** Folder of `<origin>.zone` files served authoritatively. */
  zonesDir?: string;
  listen: ListenAddress[];
  maxUdpSize?: number;
  tcp?: Partial<TcpOptions>;
  logger?: Logger;
  /** Recursion for allowed clients, iterating from these hints. */
  resolver?: ResolverConfig;
  /** Unix socket for `aop cache ...` commands. */
  controlPath?: string;
}

export interface ResolverConfig {
  hints: RootHints;
  /** Client networks allowed to recurse; default loopback only. */
  allow?: string[];
  forwarders?: Server[];
  cache?: DnsCacheOptions;
  /** Port of the authoritative servers (53; tests may change it). */
  upstreamPort?: number;
  timeout?: number;
  serveStale?: boolean;
  prefetch?: boolean;
}

export class ZonesLoadError extends Error {
  readonly code = 'ERR_NO_ZONES';
  constructor(message: string) {
    super(message);
    this.name = 'ZonesLoadError';
  }
}

export class Daemon {
  readonly catalog = new Catalog();
  readonly stats = new Stats();
  readonly listeners: Listener[] = [];
  resolver?: Resolver;
  private control?: ControlServer;
  private responder?: Responder;
  private readonly log: Logger;
  /** Origin key -> file it came from, so a reload can tell removed zones from broken ones. */
  private readonly loaded = new Map<string, string>();

  constructor(private readonly opts: DaemonOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    if (this.opts.zonesDir !== undefined) {
      const { failed } = this.reload();
      if (this.catalog.size === 0) {
        throw new ZonesLoadError(failed > 0 ? `no zone in ${this.opts.zonesDir} loaded (${failed} failed)` : `no *.zone files in ${this.opts.zonesDir}`);
      }
    }
    const handlers: Handler[] = [];
    const r = this.opts.resolver;
    if (r) {
      const acl = new Acl(r.allow);
      this.resolver = new Resolver({
        hints: r.hints, cache: new DnsCache(r.cache), forwarders: r.forwarders, port: r.upstreamPort, timeout: r.timeout,
        serveStale: r.serveStale, prefetch: r.prefetch, logger: this.log,
      });
      handlers.push(new ResolverHandler(this.resolver, acl, this.catalog, this.log));
      this.log.info(`resolver: iterating from ${r.hints.zone} (${r.hints.servers.map((s) => s.name).join(', ')}); recursion for ${acl.networks.join(', ') || 'no one'}`
        + (r.forwarders?.length ? `; forwarding other names to ${r.forwarders.map((f) => f.address).join(', ')}` : '; other names REFUSED'));
    }
    handlers.push(new AuthorityHandler(this.catalog));
    const responder = new Responder(handlers, this.stats, { maxUdpSize: this.opts.maxUdpSize ?? DEFAULT_UDP_SIZE });
    this.responder = responder;
    const tcp = { ...DEFAULT_TCP, ...this.opts.tcp };
    try {
      for (const addr of this.opts.listen) {
        const l = new Listener(addr, responder, this.stats, tcp);
        await l.start();
        this.listeners.push(l);
        this.log.info(`listening on ${formatListen(l.address)} (udp, tcp)`);
      }
      if (this.opts.controlPath !== undefined) {
        this.control = new ControlServer(this.opts.controlPath, { cache: this.resolver?.cache, stats: () => this.snapshot() });
        await this.control.start();
        this.log.info(`control socket ${this.opts.controlPath}`);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Counters of the server and, when running, the resolver. */
  snapshot(): Record<string, unknown> {
    return { server: this.stats.snapshot(), ...(this.resolver ? { resolver: { ...this.resolver.stats } } : {}) };
  }

  /**
   * Load every zone in the folder. A zone that fails keeps its previous version in service;
   * a zone whose file is gone stops being served.
   */
  reload(): { loaded: number; failed: number } {
    if (this.opts.zonesDir === undefined) return { loaded: 0, failed: 0 };
    const { zones, errors } = loadZoneDir(this.opts.zonesDir);
    this.responder?.invalidate();
    const present = new Set<string>();
    for (const zone of zones) {
      const previous = this.catalog.get(zone.origin);
      this.catalog.set(zone);
      this.loaded.set(zone.originKey, zone.origin);
      present.add(zone.originKey);
      const change = previous ? (previous.serial === zone.serial ? ' (serial unchanged)' : ` (was serial ${previous.serial})`) : '';
      this.log.info(`zone ${zone.origin}: loaded serial ${zone.serial}, ${zone.size} records${change}`);
    }
    for (const err of errors) {
      if (err.origin !== undefined) present.add(err.origin.toLowerCase());
      const kept = err.origin !== undefined && this.catalog.get(err.origin) ? `; keeping serial ${this.catalog.get(err.origin)!.serial} in service` : '; not served';
      this.log.error(`zone ${err.origin ?? err.file ?? '?'} failed to load${kept}:\n${err.message}`);
    }
    for (const [key, origin] of this.loaded) {
      if (!present.has(key)) {
        this.catalog.delete(origin);
        this.loaded.delete(key);
        this.log.info(`zone ${origin}: file removed, no longer served`);
      }
    }
    return { loaded: zones.length, failed: errors.length };
  }

  async close(): Promise<void> {
    this.resolver?.close();
    await this.control?.close();
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
  }
}
