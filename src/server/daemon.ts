// The daemon: loads the zones, runs the listeners, reloads on demand, shuts down gracefully.

import { Catalog } from '../authority/catalog.js';
import { loadZoneDir, loadZoneDirAsync, type ReadLimits } from '../zone/load.js';
import type { Zone } from '../zone/zone.js';
import type { ZoneLoadError } from '../zone/errors.js';
import { agentFaultLines, checkAgentZone } from '../agent/index.js';
import { DnsCache, type DnsCacheOptions } from '../cache/index.js';
import { Acl } from '../resolver/acl.js';
import type { RootHints } from '../resolver/hints.js';
import { Resolver, type ResolverOptions } from '../resolver/resolver.js';
import type { Server } from '../transport/index.js';
import { AuthorityHandler } from './authority-handler.js';
import { ControlServer } from './control.js';
import { ResolverHandler } from './resolver-handler.js';
import { CatalogDelegations } from './local-delegations.js';
import { warmUpResolver } from './resolver-warm-up.js';
import type { Handler } from './handler.js';
import { AddressInUseError, formatListen, type ListenAddress } from './listen.js';
import { createLogger, LogLimiter, silentLogger, type LogLimitOptions, type Logger } from './log.js';
import { DEFAULT_UDP_SIZE, Responder, type RespondOptions } from './respond.js';
import { Stats } from './stats.js';
import { DEFAULT_TCP, Listener, type TcpOptions } from './transport.js';
import { RateLimiter, type RrlOptions } from './rrl.js';
import { CookieJar } from './cookies.js';
import { Transfers, type TransferConfig } from './transfers.js';
import { historyFromJournals } from '../xfr/diff.js';
import type { Keyring } from '../wire/tsig.js';
import { ZoneStore } from '../update/store.js';
import { UpdateHandler } from '../update/handler.js';
import type { PolicyRule } from '../update/policy.js';

export interface DaemonOptions {
  /** Folder of `<origin>.zone` files served authoritatively. */
  zonesDir?: string;
  /** What loading a zone of `zonesDir` may read: size cap, $INCLUDE folders (docs/operations.md, "Limits"). */
  zoneLimits?: ReadLimits;
  listen: ListenAddress[];
  maxUdpSize?: number;
  tcp?: Partial<TcpOptions>;
  /** Response Rate Limiting of UDP answers, shared by every listener; absent or rate 0: off (the CLI turns it on). */
  rrl?: RrlOptions;
  /** DNS Cookies (RFC 7873/9018): on with a random secret unless false; `secret` shared by servers that accept each other's cookies. */
  cookies?: { secret?: Buffer } | false;
  logger?: Logger;
  /** Recursion for allowed clients, iterating from these hints. */
  resolver?: ResolverConfig;
  /** Unix socket for `aop cache ...` commands. */
  controlPath?: string;
  /** Zone transfers out (ACL, NOTIFY targets) and secondary zones (src/server/transfers.ts). */
  transfers?: TransferConfig;
  /** TSIG keys: signed requests are verified and their replies signed (RFC 8945). */
  keyring?: Keyring;
  /** Most seconds a signed request's time may be off our clock, whatever fudge it claims (default 300). */
  tsigMaxFudge?: number;
  /** Rate limit of the warnings any packet can cause (bad TSIG, refused transfer or update): first `burst` per kind per interval. */
  logLimit?: LogLimitOptions;
  /** Accept signed dynamic updates (RFC 2136) to the zones of `zonesDir`, journaled for durability. */
  update?: UpdateConfig;
}

export interface UpdateConfig {
  /** update-policy rules in order; default: any key in the keyring may change anything. */
  policy?: PolicyRule[];
  /** Folder of the `<origin>.jnl` journals; default `zonesDir`. */
  journalDir?: string;
  /** Delay before a changed zone file is rewritten (ms). */
  flushDelayMs?: number;
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
  /** Made-up resolutions run at start-up so the first real ones run compiled code (resolver-warm-up.ts); 0 skips. Default 3000. */
  warmUp?: number;
}

/** A logger shaped as the daemon's (createLogger's) that writes nothing: the warm-up's own SERVFAILs are not news. */
function quietLogger(): Logger {
  return createLogger('error', () => {});
}

/** The resolver options the daemon's resolver and its warm-up twin share. */
function resolverOptions(r: ResolverConfig): Pick<ResolverOptions, 'forwarders' | 'timeout' | 'serveStale' | 'prefetch'> {
  return { forwarders: r.forwarders, timeout: r.timeout, serveStale: r.serveStale, prefetch: r.prefetch };
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
  transfers?: Transfers;
  private readonly log: Logger;
  /** The rate limit of the warnings a client can cause at will (server/log.ts). */
  private readonly limiter: LogLimiter;
  /** Origin key -> file it came from, so a reload can tell removed zones from broken ones. */
  private readonly loaded = new Map<string, string>();
  private opening?: Promise<void>;
  /** The reloadAsync() running, and the one queued behind it. */
  private reloadRun?: Promise<{ loaded: number; failed: number }>;
  private reloadNext?: Promise<{ loaded: number; failed: number }>;
  private starting?: Promise<void>;
  /** What open() built for the warm-up's twins. */
  private warmUpPlan?: { handlers: Handler[]; respondOptions: RespondOptions; responder: Responder };
  /** Journals (IXFR history: `store.journal(origin).changesSince(serial)`) and zone-file rewriting; set with `update`. */
  readonly store?: ZoneStore;

  constructor(private readonly opts: DaemonOptions) {
    this.log = opts.logger ?? silentLogger;
    this.limiter = new LogLimiter(this.log, opts.logLimit);
    if (opts.update && opts.zonesDir !== undefined) {
      this.store = new ZoneStore({ zonesDir: opts.zonesDir, journalDir: opts.update.journalDir, flushDelayMs: opts.update.flushDelayMs, logger: this.log });
    }
  }

  /**
   * Open, then warm the resolver up and start answering. The listeners are bound before the
   * warm-up (an address in use fails the start at once); what arrives meanwhile is answered after it.
   */
  async start(): Promise<void> {
    await this.open();
    if (this.starting) return this.starting;
    this.starting = this.warmUpAndServe();
    return this.starting;
  }

  /**
   * Everything but the warm-up: the zones loaded, the handlers built, the listeners bound but
   * held, the control socket. Throws AddressInUseError (a listen address is taken), ControlError,
   * ZonesLoadError; on failure what was opened is closed. start() calls it; calling it first lets
   * the caller open its own sockets (the MCP gateway, demo agents) before the slow part.
   */
  open(): Promise<void> {
    this.opening ??= this.openOnce();
    return this.opening;
  }

  private async openOnce(): Promise<void> {
    if (this.opts.zonesDir !== undefined) {
      const { failed } = this.reload();
      if (this.catalog.size === 0) {
        throw new ZonesLoadError(failed > 0 ? `no zone in ${this.opts.zonesDir} loaded (${failed} failed)` : `no *.zone files in ${this.opts.zonesDir}`);
      }
    }
    // NOTIFYs and transfers leave from a listen address: secondaries take NOTIFY from their primary's address only.
    this.transfers = new Transfers({ sources: this.opts.listen.map((l) => l.host), ...this.opts.transfers }, this.catalog, this.log, {
      changed: () => this.responder?.invalidate(),
      keyring: this.opts.keyring,
      limiter: this.limiter,
      // IXFR history: the update journals of the zones loaded from files.
      history: historyFromJournals((o) => (this.store && this.loaded.has(o.toLowerCase()) ? this.store.journal(o) : undefined)),
    });
    for (const s of this.transfers.secondaries?.list() ?? []) {
      if (this.catalog.get(s.origin)) throw new ZonesLoadError(`zone ${s.origin} is both loaded from ${this.opts.zonesDir} and a secondary zone`);
    }
    const handlers: Handler[] = [];
    const r = this.opts.resolver;
    if (r) {
      const acl = new Acl(r.allow);
      // Our own zones' delegations come before the hints: a referral away from them is resolved from their NS and glue.
      this.resolver = new Resolver({
        ...resolverOptions(r), hints: r.hints, local: new CatalogDelegations(this.catalog), cache: new DnsCache(r.cache), port: r.upstreamPort, logger: this.log,
      });
      handlers.push(new ResolverHandler(this.resolver, acl, this.catalog, this.log));
      this.log.info(`resolver: iterating from ${r.hints.zone} (${r.hints.servers.map((s) => s.name).join(', ')}); recursion for ${acl.networks.join(', ') || 'no one'}`
        + (r.forwarders?.length ? `; forwarding other names to ${r.forwarders.map((f) => f.address).join(', ')}` : '; other names REFUSED'));
    }
    if (this.transfers.secondaries) handlers.push(this.transfers.expiredHandler);
    handlers.push(new AuthorityHandler(this.catalog));
    const cookies = this.opts.cookies === false ? undefined : new CookieJar(this.opts.cookies ?? {});
    const respondOptions = { cookies, maxUdpSize: this.opts.maxUdpSize ?? DEFAULT_UDP_SIZE, keyring: this.opts.keyring, tsigMaxFudge: this.opts.tsigMaxFudge, logger: this.log, limiter: this.limiter };
    const responder = new Responder(handlers, this.stats, respondOptions);
    this.responder = responder;
    if (this.store) {
      responder.use(new UpdateHandler({
        catalog: this.catalog, store: this.store, policy: this.opts.update?.policy, logger: this.log,
        refused: (kind, msg) => this.limiter.warn(kind, msg),
        isPrimary: (origin) => this.loaded.has(origin.toLowerCase()),
        onChange: (zone) => {
          responder.invalidate();
          this.transfers?.zoneChanged(zone);
        },
      }));
      this.log.info(`dynamic updates: on for ${this.loaded.size} zone(s), ${this.opts.keyring?.size ?? 0} TSIG key(s), `
        + `${this.opts.update?.policy?.length ? `${this.opts.update.policy.length} update-policy rule(s)` : 'default policy (any key, any name in the zone)'}`);
    }
    responder.use(this.transfers.handler);
    if (this.transfers.secondaries) responder.use(this.transfers.secondaries.notifyHandler);
    this.warmUpPlan = { handlers, respondOptions, responder };
    const tcp = { ...DEFAULT_TCP, ...this.opts.tcp };
    const rrl = this.opts.rrl && this.opts.rrl.rate > 0 ? new RateLimiter(this.opts.rrl) : undefined;
    try {
      for (const addr of this.opts.listen) {
        const l = new Listener(addr, responder, this.stats, tcp, this.log, rrl);
        try {
          await l.start({ hold: true });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'EADDRINUSE') throw new AddressInUseError(addr, e.syscall === 'bind' ? 'udp' : 'tcp', { cause: err });
          throw err;
        }
        this.listeners.push(l);
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

  private async warmUpAndServe(): Promise<void> {
    const { handlers, respondOptions, responder } = this.warmUpPlan!;
    const r = this.opts.resolver;
    const warm = r?.warmUp ?? 3000;
    if (r && warm > 0) {
      const t0 = Date.now();
      // Twins of the objects just built, from the same options (see resolver-warm-up.ts).
      const logger = quietLogger();
      await warmUpResolver({
        questions: warm, resolver: resolverOptions(r), cache: r.cache, after: handlers.slice(1), specials: responder.specials,
        respond: { ...respondOptions, logger }, catalog: this.catalog, logger,
      });
      this.log.debug(`resolver: warmed up with ${warm} made-up resolutions in ${Date.now() - t0} ms`);
    }
    try {
      for (const l of this.listeners) {
        l.release();
        this.log.info(`listening on ${formatListen(l.address)} (udp, tcp)`);
      }
      this.transfers!.start();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Answer one query in-process, as the listeners would answer it from a loopback client over TCP
   * (local zones, then the resolver): the embedded MCP gateway's DNS, with no sockets.
   */
  async respond(query: Buffer): Promise<Buffer | undefined> {
    // Before start() there is no answer, as there is no listener: the caller sees a dropped query.
    if (!this.responder) return undefined;
    const out = await this.responder.respond(query, 'tcp', '127.0.0.1', 0);
    return Array.isArray(out) ? out[0] : out;
  }

  /** Counters of the server and, when running, the resolver. */
  snapshot(): Record<string, unknown> {
    return {
      server: this.stats.snapshot(), ...(this.resolver ? { resolver: { ...this.resolver.stats } } : {}),
      ...(this.transfers ? { transfers: this.transfers.snapshot() } : {}),
    };
  }

  /**
   * Load every zone in the folder. A zone that fails keeps its previous version in service;
   * a zone whose file is gone stops being served.
   */
  reload(): { loaded: number; failed: number } {
    if (this.opts.zonesDir === undefined) return { loaded: 0, failed: 0 };
    return this.install(loadZoneDir(this.opts.zonesDir, this.opts.zoneLimits));
  }

  /** True from the start of a reloadAsync() to its end (the zones it loaded swapped in). */
  get reloading(): boolean {
    return this.reloadRun !== undefined;
  }

  /**
   * reload() that does not stop the answers: the zones are loaded one at a time, the event loop
   * given a turn every few milliseconds of parsing (loadZoneDirAsync), and every zone keeps its
   * previous version in service until the whole folder is loaded; then each is swapped in at
   * once. SIGHUP and the cluster's workers reload this way. A call while one runs does not start
   * a second beside it: it waits, then one more runs for all the calls that came meanwhile
   * (the files may have changed since the running one read them).
   */
  reloadAsync(): Promise<{ loaded: number; failed: number }> {
    if (this.reloadRun) {
      const next = (): Promise<{ loaded: number; failed: number }> => {
        this.reloadNext = undefined;
        return this.reloadAsync();
      };
      this.reloadNext ??= this.reloadRun.then(next, next);
      return this.reloadNext;
    }
    const run = (async () => {
      if (this.opts.zonesDir === undefined) return { loaded: 0, failed: 0 };
      const dir = this.opts.zonesDir;
      const load = async () => this.install(await loadZoneDirAsync(dir, this.opts.zoneLimits));
      return this.store ? this.store.exclusive(load) : load();
    })();
    this.reloadRun = run.finally(() => {
      this.reloadRun = undefined;
    });
    return this.reloadRun;
  }

  /** Put the zones of a folder load in service (see reload()). */
  private install({ zones, errors }: { zones: Zone[]; errors: ZoneLoadError[] }): { loaded: number; failed: number } {
    this.responder?.invalidate();
    const present = new Set<string>();
    let agentFailed = 0;
    for (const fileZone of zones) {
      if (this.transfers?.secondaries?.get(fileZone.origin)) {
        // A secondary zone's data comes from its primary; a file must not silently replace it.
        this.log.error(`zone ${fileZone.origin}: a file for it appeared in ${this.opts.zonesDir}, but it is a secondary zone; file ignored`);
        continue;
      }
      const previous = this.catalog.get(fileZone.origin);
      // Agent records (docs/records.md, "Checking a zone"): an error refuses the file like any zone fault.
      const agent = agentFaultLines(checkAgentZone(fileZone), fileZone.origin);
      for (const w of agent.warnings) this.log.warn(w);
      if (agent.errors.length > 0) {
        present.add(fileZone.originKey);
        agentFailed++;
        this.log.error(`zone ${fileZone.origin} failed to load${previous ? `; keeping serial ${previous.serial} in service` : '; not served'}:\n${agent.errors.join('\n')}`);
        continue;
      }
      let zone = fileZone;
      if (this.store) {
        try {
          zone = this.store.recover(fileZone);
        } catch (err) {
          // Serving the file without its journal would silently drop acknowledged changes.
          present.add(fileZone.originKey);
          const kept = previous ? `; keeping serial ${previous.serial} in service` : '; not served';
          this.log.error(`zone ${fileZone.origin} failed to load${kept}: ${(err as Error).message}`);
          continue;
        }
      }
      this.catalog.set(zone);
      this.loaded.set(zone.originKey, zone.origin);
      present.add(zone.originKey);
      const change = previous ? (previous.serial === zone.serial ? ' (serial unchanged)' : ` (was serial ${previous.serial})`) : '';
      this.log.info(`zone ${zone.origin}: loaded serial ${zone.serial}, ${zone.size} records${change}`);
      if (previous && previous.serial !== zone.serial) this.transfers?.zoneChanged(zone);
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
    return { loaded: zones.length - agentFailed, failed: errors.length + agentFailed };
  }

  async close(): Promise<void> {
    this.resolver?.close();
    await this.transfers?.close();
    await this.control?.close();
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
    // After the listeners, so no update commits behind the final zone-file write.
    await this.store?.close();
    this.limiter.close();
  }
}
