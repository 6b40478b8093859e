// The daemon: loads the zones, runs the listeners, reloads on demand, shuts down gracefully.

import { udpPathLine, type UdpIo } from './udp-batch.js';
import { AopError } from '../base/errors.js';
import { Catalog } from '../authority/catalog.js';
import { loadZoneDir, loadZoneDirAsync, type ReadLimits, type ZoneDirLoad } from '../zone/load.js';
import { unchangedSince, type FileStamp } from '../zone/file-stamp.js';
import { ReloadHistory } from '../xfr/reload-history.js';
import type { Zone } from '../zone/zone.js';
import type { ZoneLoadError } from '../zone/errors.js';
import { agentFaultLines, checkAgentZone } from '../agent/index.js';
import { DnsCache, type DnsCacheOptions } from '../cache/index.js';
import { Acl } from '../resolver/acl.js';
import type { RootHints } from '../resolver/hints.js';
import { Resolver, type Forwarder, type ResolverOptions } from '../resolver/resolver.js';
import type { Server } from '../transport/index.js';
import { AuthorityHandler } from './authority-handler.js';
import { Signer, type SignerOptions, type ZoneSerial } from '../authority/signer.js';
import { Rollover, type AnswerJudge, type RolloverOptions } from '../authority/rollover.js';
import { nameKey, parentName } from '../wire/name.js';
import { ControlServer } from './control.js';
import { ResolverHandler } from './resolver-handler.js';
import { validatorFor, type ValidationConfig, type Validator } from '../resolver/validate/index.js';
import { CatalogDelegations } from './local-delegations.js';
import { CatalogAnswers } from './local-answers.js';
import { warmUpResolver } from './resolver-warm-up.js';
import type { Handler } from './handler.js';
import { AddressInUseError, formatListen, type ListenAddress } from './listen.js';
import { silentLogger, type Logger } from '../base/log.js';
import { LogLimiter, type LogLimitOptions } from '../base/log-limit.js';
import { DEFAULT_UDP_SIZE, Responder, type RespondOptions } from './respond.js';
import { Stats } from './stats.js';
import { DEFAULT_TCP, Listener, type TcpOptions } from './transport.js';
import { EncryptedListeners, type EncryptedConfig } from './encrypted.js';
import { RateLimiter, type RrlOptions } from './rrl.js';
import { CookieJar } from './cookies.js';
import { Transfers, type TransferConfig } from './transfers.js';
import { historyFromJournals, soaSerial, type ZoneHistory } from '../xfr/diff.js';
import type { Keyring, TsigKey } from '../wire/tsig.js';
import { ZoneStore } from '../update/store.js';
import { UpdateHandler } from '../update/handler.js';
import type { PolicyRule } from '../update/policy.js';
import { QueryCounts, type Metrics } from '../base/metrics.js';
import { Progress } from '../base/progress.js';
import { openDnstap, tappedQuery, type DnstapConfig, type DnstapTap } from './dnstap/index.js';
import { QueryLog, type QueryLogOptions } from './query-log.js';
import { combineTaps, type Tap } from './tap.js';
import { HealthMonitor, probeTargets, servedTlsa, type HealthOptions } from '../health/index.js';
import { RRType } from '../wire/types.js';
import { formatIPv4, formatIPv6 } from '../wire/rdata/addr.js';

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
  /** Where the counters are exposed (base/metrics.ts); without it, per-query counts by type and timing are off. */
  metrics?: Metrics;
  /** DNS over TLS and over HTTPS listeners (src/server/encrypted.ts), under the TCP guards. */
  encrypted?: EncryptedConfig;
  /** dnstap output of every query and response (src/server/dnstap/README.md). */
  dnstap?: DnstapConfig;
  /** How the listeners do UDP (udp-batch.ts); default auto: batched when the native module is built. */
  udpIo?: UdpIo;
  /** One structured log line per sampled query (src/server/query-log.ts). */
  queryLog?: QueryLogOptions;
  /** Sign every zone served (`aop serve --dnssec`, src/authority/signer.ts). */
  dnssec?: Omit<SignerOptions, 'logger'> & { rollover?: RolloverOptions };
  /** Probe the agents' MCP endpoints and leave those that are down out of SVCB answers (`aop serve --health-probe`, src/health/). */
  health?: HealthOptions;
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
  forwarders?: Forwarder[];
  cache?: DnsCacheOptions;
  /** Port of the authoritative servers (53; tests may change it). */
  upstreamPort?: number;
  timeout?: number;
  serveStale?: boolean;
  prefetch?: boolean;
  /** Trust anchors and the like: with them, answers are validated (DNSSEC; resolver/validate). */
  validation?: ValidationConfig;
  /** Made-up resolutions run at start-up so the first real ones run compiled code (resolver-warm-up.ts); 0 skips. Default 3000. */
  warmUp?: number;
}

/** The resolver options the daemon's resolver and its warm-up twin share. */
function resolverOptions(r: ResolverConfig, udpIo: UdpIo | undefined): Pick<ResolverOptions, 'forwarders' | 'timeout' | 'serveStale' | 'prefetch' | 'upstreamUdp'> {
  // The upstream UDP queries take the same path as the listeners: --udp-io dgram keeps both on node:dgram.
  return { forwarders: r.forwarders, timeout: r.timeout, serveStale: r.serveStale, prefetch: r.prefetch, upstreamUdp: udpIo === 'dgram' ? 'dgram' : 'auto' };
}

export class ZonesLoadError extends AopError {
  declare readonly code: 'ERR_NO_ZONES';
  constructor(message: string) {
    super('ERR_NO_ZONES', message);
  }
}

export class Daemon {
  readonly catalog = new Catalog();
  /** The online signer, with `dnssec` set. */
  signer?: Signer;
  /** The resolver's validator, with trust anchors (its anchorTracker keeps RFC 5011 anchors). */
  validator?: Validator;
  /** Parental agents and the CDS scan around the signer's passes (src/authority/rollover.ts), when configured. */
  rollover?: Rollover;
  readonly stats = new Stats();
  readonly listeners: Listener[] = [];
  /** DoT and DoH, when configured. */
  encrypted?: EncryptedListeners;
  resolver?: Resolver;
  private control?: ControlServer;
  private resolverHandler?: ResolverHandler;
  private updateHandler?: UpdateHandler;
  private responder?: Responder;
  transfers?: Transfers;
  private readonly log: Logger;
  /** The rate limit of the warnings a client can cause at will (src/base/log-limit.ts). */
  private readonly limiter: LogLimiter;
  /** Origin key -> file it came from, so a reload can tell removed zones from broken ones. */
  private readonly loaded = new Map<string, string>();
  private opening?: Promise<void>;
  /** The differences of zones changed by a reload of their files, for IXFR (ixfr-from-differences). */
  private readonly reloadHistory = new ReloadHistory();
  /** Origin key -> its files as they were read, for a reload to leave the zones whose files did not change. */
  private readonly stamps = new Map<string, FileStamp[]>();
  /** The reloadAsync() running, and the one queued behind it. */
  private reloadRun?: Promise<{ loaded: number; failed: number }>;
  private reloadNext?: Promise<{ loaded: number; failed: number }>;
  private starting?: Promise<void>;
  /** What open() built for the warm-up's twins. */
  private warmUpPlan?: { handlers: Handler[]; respondOptions: RespondOptions; responder: Responder };
  /** True once the listeners answer (after the warm-up); readiness() says why not before. */
  private serving = false;
  /** Journals (IXFR history: `store.journal(origin).changesSince(serial)`) and zone-file rewriting; set with `update`. */
  readonly store?: ZoneStore;
  /** dnstap output, when configured; closed after the listeners. */
  dnstap?: DnstapTap;
  /** What the listeners tell about each query (dnstap, the query log); undefined when neither is on. */
  private tap?: Tap;
  /** The endpoint probes, with `health`. */
  health?: HealthMonitor;
  /** A reload's progress (zones, records), for /readyz and the aop_progress_* gauges; with metrics. */
  private readonly zoneLoad?: Progress;
  /** The first load of the zones, at start (/readyz, the aop_progress_* gauges, a log line every 5 s). */
  private readonly zoneFirstLoad = new Progress('zone load', 'zones', 'records');

  constructor(private readonly opts: DaemonOptions) {
    this.log = opts.logger ?? silentLogger;
    this.limiter = new LogLimiter(this.log, opts.logLimit);
    if (opts.dnssec) {
      const signer = this.signer = new Signer({ ...opts.dnssec, logger: this.log, servedZone: (o) => this.catalog.get(o), parentDs: (o) => this.rollover?.parentDs(o) });
      // With validation on here too, the parental agents' DS answers are judged (rollover.ts),
      // when a trust anchor covers the parent zone (the DS is the parent's data).
      const judge: AnswerJudge | undefined = opts.resolver?.validation
        ? async (n, t, r) => {
          const parent = parentName(nameKey(n));
          if (parent === undefined || !this.validator?.anchors.closest(parent)) return { security: 'unjudged' };
          return this.validator.validate(n, t, { ...r, stale: false });
        }
        : undefined;
      // Parental agents and the CDS scan feed rollover decisions: the leader's alone with workers.
      if (opts.dnssec.rollover && opts.dnssec.role !== 'follower') this.rollover = new Rollover(signer, this.catalog, { ...opts.dnssec.rollover, ...(judge ? { judge } : {}), udp: opts.udpIo === 'dgram' ? 'dgram' : 'auto' }, this.log);
      this.catalog.view = (zone) => signer.view(zone);
      this.catalog.signing = true;
    }
    if (opts.update && opts.zonesDir !== undefined) {
      this.store = new ZoneStore({ zonesDir: opts.zonesDir, journalDir: opts.update.journalDir, flushDelayMs: opts.update.flushDelayMs, logger: this.log });
    }
    if (opts.metrics) {
      this.zoneLoad = new Progress('zone reload', 'zones', 'records');
      opts.metrics.addProgress(this.zoneFirstLoad);
      opts.metrics.addProgress(this.zoneLoad);
      const counts = new QueryCounts();
      this.stats.perQuery = counts;
      const stats = this.stats;
      const daemon = this;
      opts.metrics.addServer({
        get server() { return daemon.serverLabel(); },
        counts, rcodes: stats.rcodes,
        answerCache: () => ({ hits: stats.answerCacheHits, misses: stats.answerCacheMisses, entries: this.responder?.cacheEntries ?? 0 }),
        udpBatch: () => daemon.udpBatchCounters(),
      });
    }
  }

  /** The batched UDP sockets' counters summed over the listeners, or undefined when none is batched. */
  udpBatchCounters(): { recvCalls: number; received: number; sendCalls: number; sent: number; sendErrors: number } | undefined {
    let sum: { recvCalls: number; received: number; sendCalls: number; sent: number; sendErrors: number } | undefined;
    for (const l of this.listeners) {
      const c = l.udpPath().counters;
      if (!c) continue;
      sum ??= { recvCalls: 0, received: 0, sendCalls: 0, sent: 0, sendErrors: 0 };
      sum.recvCalls += c.recvCalls;
      sum.received += c.received;
      sum.sendCalls += c.sendCalls;
      sum.sent += c.sent;
      sum.sendErrors += c.sendErrors;
    }
    return sum;
  }

  /** CoreDNS's `server` label: dns:// and the listen addresses (the bound ports once open). */
  serverLabel(): string {
    const addrs = this.listeners.length > 0 ? this.listeners.map((l) => l.address) : this.opts.listen;
    return `dns://${addrs.map(formatListen).join(',')}`;
  }

  /**
   * Whether the daemon answers: zones loaded, listeners bound and released after the warm-up.
   * A short reason when not (the /readyz body).
   */
  readiness(): { ready: boolean; reason: string } {
    if (this.serving && this.listeners.length > 0) return { ready: true, reason: 'ok' };
    if (this.serving) return { ready: false, reason: 'stopped' };
    if (this.warmUpPlan === undefined) return { ready: false, reason: this.opening ? 'loading zones and binding listeners' : 'not started' };
    return { ready: false, reason: this.starting ? 'warming up the resolver; listeners held' : 'listeners bound and held' };
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
      const { failed } = await this.firstLoad(this.opts.zonesDir);
      if (this.catalog.size === 0) {
        throw new ZonesLoadError(failed > 0 ? `no zone in ${this.opts.zonesDir} loaded (${failed} failed)` : `no *.zone files in ${this.opts.zonesDir}`);
      }
    }
    // Keys read or made and every zone signed before the first answer; a key fault stops the start.
    this.signer?.prime(this.catalog.list());
    // NOTIFYs and transfers leave from a listen address: secondaries take NOTIFY from their primary's address only.
    this.transfers = new Transfers({ sources: this.opts.listen.map((l) => l.host), ...this.opts.transfers }, this.catalog, this.log, {
      changed: () => this.responder?.invalidate(),
      keyring: this.opts.keyring,
      limiter: this.limiter,
      // IXFR history: the update journals of the zones loaded from files, else their reloads' differences.
      history: this.ixfrHistory(historyFromJournals((o) => (this.store && this.loaded.has(o.toLowerCase()) ? this.store.journal(o) : undefined))),
    });
    for (const s of this.transfers.secondaries?.list() ?? []) {
      if (this.catalog.get(s.origin)) throw new ZonesLoadError(`zone ${s.origin} is both loaded from ${this.opts.zonesDir} and a secondary zone`);
    }
    this.opts.metrics?.addTransfers(() => this.transfers!.counts());
    const daemon = this;
    if (this.opts.dnstap) this.dnstap = openDnstap(this.opts.dnstap, this.stats, this.log);
    this.tap = combineTaps([this.dnstap, this.opts.queryLog ? new QueryLog(this.log, this.stats, this.opts.queryLog) : undefined]);
    const handlers: Handler[] = [];
    const r = this.opts.resolver;
    if (r) {
      const acl = new Acl(r.allow);
      // Our own zones' delegations come before the hints: a referral away from them is resolved from their NS and glue.
      this.resolver = new Resolver({
        ...resolverOptions(r, this.opts.udpIo), hints: r.hints, local: new CatalogDelegations(this.catalog), cache: new DnsCache(r.cache), port: r.upstreamPort, logger: this.log,
        ...(r.validation ? { dnssec: true } : {}),
        ...(this.dnstap?.upstream ? { query: tappedQuery(this.dnstap) } : {}),
        ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
      });
      const resolver = this.resolver;
      this.opts.metrics?.addResolver({
        get server() { return daemon.serverLabel(); },
        stats: resolver.stats,
        caches: () => {
          const c = resolver.cache.snapshot();
          const pick = (x: { hits: number; misses: number; staleHits: number; entries: number }) => ({ hits: x.hits, misses: x.misses, staleHits: x.staleHits, entries: x.entries });
          return { rrset: pick(c.rrset), negative: pick(c.negative), delegation: pick(c.delegation) };
        },
      });
      // The validator asks our own zones first (they may be the whole chain: the embedded default signs the bundled world).
      const local = new CatalogAnswers(this.catalog);
      const validator = this.validator = r.validation ? validatorFor(this.resolver, { logger: this.log, ...r.validation }, local) : undefined;
      if (validator) this.log.info(`resolver: validating DNSSEC from the trust anchors of ${validator.anchors.zones().join(', ')}`);
      validator?.anchorTracker?.start();
      this.resolverHandler = new ResolverHandler(this.resolver, acl, this.catalog, this.log, validator, local);
      handlers.push(this.resolverHandler);
      this.log.info(`resolver: iterating from ${r.hints.zone} (${r.hints.servers.map((s) => s.name).join(', ')}); recursion for ${acl.networks.join(', ') || 'no one'}`
        + (r.forwarders?.length ? `; forwarding other names to ${r.forwarders.map((f) => (f.tls ? `tls://${f.address}:${f.port ?? 853}${f.tls.name !== undefined ? `#${f.tls.name}` : ''}` : f.address)).join(', ')}` : '; other names REFUSED'));
    }
    if (this.transfers.secondaries) handlers.push(this.transfers.expiredHandler);
    if (this.opts.health) this.health = this.healthMonitor(this.opts.health);
    const health = this.health;
    const signer = this.signer;
    handlers.push(new AuthorityHandler(this.catalog, health && {
      filter: (zone, set) => health.filter(zone, set),
      ...(signer ? { sign: (zone, subset) => signer.signSubset(zone, subset) } : {}),
    }));
    const cookies = this.opts.cookies === false ? undefined : new CookieJar(this.opts.cookies ?? {});
    const respondOptions = { cookies, maxUdpSize: this.opts.maxUdpSize ?? DEFAULT_UDP_SIZE, keyring: this.opts.keyring, tsigMaxFudge: this.opts.tsigMaxFudge, logger: this.log, limiter: this.limiter };
    const responder = new Responder(handlers, this.stats, respondOptions);
    this.responder = responder;
    if (this.store) {
      const updates = this.updateHandler = new UpdateHandler({
        catalog: this.catalog, store: this.store, policy: this.opts.update?.policy, logger: this.log,
        refused: (kind, msg) => this.limiter.warn(kind, msg),
        isPrimary: (origin) => this.loaded.has(origin.toLowerCase()),
        onChange: (zone) => {
          responder.invalidate();
          this.transfers?.zoneChanged(zone);
        },
      });
      this.opts.metrics?.addUpdates(updates.byRcode);
      responder.use(updates);
      this.log.info(`dynamic updates: on for ${this.loaded.size} zone(s), ${this.opts.keyring?.size ?? 0} TSIG key(s), `
        + `${this.opts.update?.policy?.length ? `${this.opts.update.policy.length} update-policy rule(s)` : 'default policy (any key, any name in the zone)'}`);
    }
    responder.use(this.transfers.handler);
    if (this.transfers.secondaries) responder.use(this.transfers.secondaries.notifyHandler);
    const signedChanged = (signed: Zone): void => {
      responder.invalidate();
      this.transfers?.zoneChanged(signed);
    };
    if (this.rollover) this.rollover.start(this.signer!.passEvery(), signedChanged);
    else this.signer?.start(() => this.catalog.list(), signedChanged);
    this.warmUpPlan = { handlers, respondOptions, responder };
    const tcp = { ...DEFAULT_TCP, ...this.opts.tcp };
    const rrl = this.opts.rrl && this.opts.rrl.rate > 0 ? new RateLimiter(this.opts.rrl) : undefined;
    try {
      for (const addr of this.opts.listen) {
        const l = new Listener(addr, responder, this.stats, tcp, this.log, rrl);
        l.tap = this.tap;
        l.udpIo = this.opts.udpIo ?? 'auto';
        try {
          await l.start({ hold: true });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'EADDRINUSE') throw new AddressInUseError(addr, e.syscall === 'bind' ? 'udp' : 'tcp', { cause: err });
          throw err;
        }
        this.listeners.push(l);
      }
      if (this.opts.encrypted) {
        this.encrypted = new EncryptedListeners(this.opts.encrypted, this.log);
        await this.encrypted.open(responder, this.stats, tcp);
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
      // The warm-up's own SERVFAILs are not news.
      const logger = silentLogger;
      await warmUpResolver({
        questions: warm, resolver: resolverOptions(r, this.opts.udpIo), cache: r.cache, after: handlers.slice(1), specials: responder.specials,
        respond: { ...respondOptions, logger }, catalog: this.catalog, logger,
      });
      this.log.debug(`resolver: warmed up with ${warm} made-up resolutions in ${Date.now() - t0} ms`);
    }
    try {
      if (this.listeners.length > 0) this.log.info(udpPathLine(this.listeners[0]!.udpPath().path, this.opts.udpIo ?? 'auto'));
      for (const l of this.listeners) {
        l.release();
        this.log.info(`listening on ${formatListen(l.address)} (udp, tcp)`);
      }
      this.encrypted?.release();
      this.transfers!.start();
      this.health?.start();
      this.serving = true;
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
   * The zones at start, read a slice at a time (the event loop turns: /readyz answers, with the
   * load's progress); a load still going after 5 s says how far it is in the log every 5 s.
   */
  private async firstLoad(dir: string): Promise<{ loaded: number; failed: number }> {
    const progress = this.zoneFirstLoad;
    const timer = setInterval(() => this.log.info(progress.line()), 5000).unref();
    try {
      return this.install(await loadZoneDirAsync(dir, this.opts.zoneLimits, progress));
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Load every zone in the folder. A zone that fails keeps its previous version in service;
   * a zone whose file is gone stops being served.
   */
  reload(): { loaded: number; failed: number } {
    if (this.opts.zonesDir === undefined) return { loaded: 0, failed: 0 };
    return this.install(loadZoneDir(this.opts.zonesDir, this.opts.zoneLimits));
  }

  /**
   * One DNSSEC pass now, as the timer makes them: the parental agents and the CDS scan (with
   * rollover options), then signature refresh and key timing, on the signer's clock. For tests
   * that move the clock, and for reloads.
   */
  /**
   * The key folder changed under us (with workers: the leader rolled a key or a key reached its
   * time, cluster.ts relays it): read the keys again and re-sign what they change, now.
   */
  keysChanged(resigned: readonly ZoneSerial[] = []): number {
    if (!this.signer) return 0;
    this.signer.reloadKeys();
    // The zones the lead re-signed, under its serials; then what the keys read again change.
    const changed = [...this.signer.follow(resigned), ...this.signer.refresh(this.catalog.list())];
    for (const signed of changed) {
      this.responder?.invalidate();
      this.transfers?.zoneChanged(signed);
    }
    return changed.length;
  }

  async dnssecPass(): Promise<void> {
    if (!this.signer) return;
    const changed = this.rollover ? await this.rollover.pass() : this.signer.refresh(this.catalog.list());
    for (const signed of changed) {
      this.responder?.invalidate();
      this.transfers?.zoneChanged(signed);
    }
  }

  /** Who may recurse, from now on (SIGHUP with a new --allow). Throws ERR_ACL_BAD_NETWORK; an error when no resolver runs. */
  setRecursionAllow(networks: readonly string[]): void {
    if (!this.resolverHandler) throw new Error('no resolver is running (--resolver)');
    this.resolverHandler.setAcl(new Acl(networks));
    this.responder?.invalidate();
  }

  /** The update-policy rules from now on (SIGHUP); an error when dynamic updates are off (that needs a restart). */
  setUpdatePolicy(policy: PolicyRule[] | undefined): void {
    if (!this.updateHandler) throw new Error('dynamic updates are off: turning them on needs a restart');
    this.updateHandler.setPolicy(policy);
  }

  /** The TSIG keys from now on (SIGHUP with new key files): requests, transfers and updates all check the one keyring. */
  setKeys(keys: Iterable<TsigKey>): void {
    if (!this.opts.keyring) throw new Error('the daemon was started without a keyring');
    this.opts.keyring.replace(keys);
  }

  /** Who may AXFR/IXFR, from now on (SIGHUP with a new --allow-transfer). */
  setTransferAllow(entries: readonly string[]): void {
    this.transfers?.setAllow(entries);
    this.responder?.invalidate();
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
    // The TLS certificate too: renewed files are read with the zones (a bad pair keeps the old one).
    this.encrypted?.reloadCertificate();
    const run = (async () => {
      if (this.opts.zonesDir === undefined) return { loaded: 0, failed: 0 };
      const dir = this.opts.zonesDir;
      // A zone whose files are all as they were read stays as it is in service (journal and updates
      // included): a thousand unchanged zones are not read again before the changed one is served.
      // First the files whose stamps show a change (served and NOTIFYed at once), then those whose
      // stamps were too close to their change to be trusted (racy: most likely unchanged).
      const racyKept = new Set<string>();
      const unchanged = (pass: 1 | 2) => (file: string, origin: string): Zone | undefined => {
        const key = origin.toLowerCase();
        const stamps = this.stamps.get(key);
        if (stamps === undefined || stamps[0]?.file !== file || !this.loaded.has(key)) return undefined;
        const zone = this.catalog.get(origin);
        if (zone === undefined) return undefined;
        if (pass === 2) return racyKept.has(key) ? undefined : zone;
        if (unchangedSince(stamps)) return zone;
        if (!unchangedSince(stamps, { trustRacy: true })) return undefined;
        racyKept.add(key);
        return zone;
      };
      const load = async () => {
        const first = this.install(await loadZoneDirAsync(dir, this.opts.zoneLimits, this.zoneLoad, { unchanged: unchanged(1) }));
        if (racyKept.size === 0) return first;
        const second = this.install(await loadZoneDirAsync(dir, this.opts.zoneLimits, this.zoneLoad, { unchanged: unchanged(2) }));
        return { loaded: second.loaded, failed: first.failed + second.failed };
      };
      return this.store ? this.store.exclusive(load) : load();
    })();
    this.reloadRun = run.finally(() => {
      this.reloadRun = undefined;
    });
    return this.reloadRun;
  }

  /** The journal's differences when they reach the zone's serial, else a reload's. */
  private ixfrHistory(journals: ZoneHistory): ZoneHistory {
    return {
      changesSince: (origin, serial) => {
        const j = journals.changesSince(origin, serial);
        const now = this.catalog.get(origin)?.serial;
        if (j !== undefined && j.length > 0 && soaSerial(j[j.length - 1]!.to) === now) return j;
        return this.reloadHistory.changesSince(origin, serial) ?? j;
      },
    };
  }

  /** Put the zones of a folder load in service (see reload()). */
  private install({ zones, errors, kept = [], stamps }: { zones: Zone[]; errors: ZoneLoadError[] } & Partial<Pick<ZoneDirLoad, 'kept' | 'stamps'>>): { loaded: number; failed: number } {
    this.responder?.invalidate();
    const present = new Set<string>(kept.map((o) => o.toLowerCase()));
    if (kept.length > 0) this.log.info(`reload: ${zones.length + errors.length} zone file(s) read, ${kept.length} unchanged since they were read (kept in service as they are)`);
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
      const read = stamps?.get(fileZone.originKey);
      if (read !== undefined) this.stamps.set(zone.originKey, read);
      else this.stamps.delete(zone.originKey);
      present.add(zone.originKey);
      const change = previous ? (previous.serial === zone.serial ? ' (serial unchanged)' : ` (was serial ${previous.serial})`) : '';
      this.log.info(`zone ${zone.origin}: loaded serial ${zone.serial}, ${zone.size} records${change}`);
      if (previous && previous.serial !== zone.serial) {
        // Kept before the NOTIFY goes, for the secondary that asks IXFR on it. Not for a signed
        // zone: its secondaries see the signed version, whose records these are not.
        if (this.transfers && !this.signer) this.reloadHistory.record(previous, zone);
        this.transfers?.zoneChanged(zone);
      }
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
        this.stamps.delete(key);
        this.reloadHistory.forget(origin);
        this.log.info(`zone ${origin}: file removed, no longer served`);
      }
    }
    // Keys added or retimed in the key folder (dnssec-keygen, dnssec-settime) take effect now.
    if (this.signer) {
      this.signer.reloadKeys();
      for (const signed of this.signer.refresh(this.catalog.list())) this.transfers?.zoneChanged(signed);
    }
    return { loaded: zones.length + kept.length - agentFailed, failed: errors.length + agentFailed };
  }

  /** The probes of the endpoints the served zones' agent records name; a change of state drops the stored answers. */
  private healthMonitor(o: HealthOptions): HealthMonitor {
    const catalog = this.catalog;
    const addresses = (host: string): string[] => {
      const node = catalog.find(host)?.node(host);
      if (!node) return [];
      return [...(node.rrsets.get(RRType.A)?.rdata.map(formatIPv4) ?? []), ...(node.rrsets.get(RRType.AAAA)?.rdata.map(formatIPv6) ?? [])];
    };
    const m = new HealthMonitor({ ...o, logger: this.log, targets: () => probeTargets(catalog.list(), addresses, (host, port) => servedTlsa((n) => catalog.findServed(n), host, port)) });
    m.onChange(() => this.responder?.invalidate());
    this.opts.metrics?.addHealth({ counts: m.counts, states: () => m.stateCounts() });
    this.log.info(`health: probing the agents' MCP endpoints every ${o.intervalMs} ms (down after ${o.fall} failures, up after ${o.rise} answers)`);
    return m;
  }

  async close(): Promise<void> {
    await this.health?.stop();
    this.signer?.stop();
    this.rollover?.stop();
    this.validator?.anchorTracker?.stop();
    this.resolver?.close();
    await this.transfers?.close();
    await this.control?.close();
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
    await this.encrypted?.close();
    // After the listeners: the last answers' messages go out before STOP.
    await this.dnstap?.close();
    // After the listeners, so no update commits behind the final zone-file write.
    await this.store?.close();
    this.limiter.close();
  }
}
