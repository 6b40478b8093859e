// Server infrastructure cache (Unbound's infra cache): per-address RTT, timeouts, backoff and lameness.

import { LRUCache } from 'lru-cache';
import { nameKey } from '../wire/name.js';
import { CacheError } from './errors.js';
import { checkClock, checkInt, checkName, type ClockOption } from './policy.js';

export interface InfraCacheOptions extends ClockOption {
  /** Random source in [0, 1) for the tie-breaking shuffle. Default Math.random. */
  random?: () => number;
  /** Most servers remembered (Unbound's infra-cache-numhosts). Default 10000. */
  maxHosts?: number;
  /** Seconds a server is remembered after we last heard of it (infra-host-ttl). Default 900. */
  hostTtl?: number;
  /** Seconds a server stays lame for a zone (infra-lame-ttl). Default 900. */
  lameTtl?: number;
  /** SRTT assumed for a server never measured, in ms: small, so new servers get tried (as BIND does). Default 30. */
  initialRtt?: number;
  /** Servers whose SRTT is within this many ms of the best remaining one are ordered at random. Default 20. */
  rttBand?: number;
  /** Query timeout for a server never measured, ms (RFC 6298 section 2.1 uses 1 s). Default 1000. */
  initialTimeout?: number;
  /** Bounds of the query timeout, ms (Unbound: RTT_MIN_TIMEOUT 50). Defaults 50 and 12000. */
  minTimeout?: number;
  maxTimeout?: number;
  /** Consecutive timeouts after which a server is held back until its probe time. Default 3. */
  deadAfter?: number;
  /** First hold-back period, ms; it doubles with each further timeout. Default 1000. */
  backoffBase?: number;
  /** Longest hold-back period, ms. Default 120000. */
  maxBackoff?: number;
}

export interface ChooseOptions {
  /** Leave out servers marked lame for this zone. */
  zone?: string;
}

export interface ServerInfo {
  address: string;
  /** Smoothed RTT in ms; undefined until a reply has been timed. */
  srtt: number | undefined;
  rttvar: number;
  /** Query timeout to use for it now, ms (RTO with back-off). */
  timeout: number;
  /** Consecutive timeouts since the last reply. */
  timeouts: number;
  /** Held back (treated as dead) until `probeAt`. */
  heldBack: boolean;
  /** When it may be tried again (ms of the clock); 0 when not held back. */
  probeAt: number;
  /** Zones it is lame for. */
  lameZones: string[];
}

interface HostEntry {
  srtt: number | undefined;
  rttvar: number;
  timeouts: number;
  probeAt: number;
  /** nameKey(zone) -> [zone, expiry ms] */
  lame: Map<string, [string, number]>;
  expires: number;
  /** The infra cache's event number of the last thing learnt of it (a reply, a counted timeout). */
  mark: number;
}

// RFC 6298 section 2.3 gains.
const ALPHA = 1 / 8;
const BETA = 1 / 4;
/** Cap on the doubling exponent so penalties stay finite. */
const MAX_DOUBLINGS = 16;

function checkAddr(addr: unknown): string {
  if (typeof addr !== 'string' || addr.length === 0 || addr.length > 128) {
    throw new CacheError('ERR_CACHE_BAD_ADDRESS', `server address must be a non-empty string, got ${JSON.stringify(addr)}`);
  }
  return addr;
}

export class InfraCache {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly o: Required<Omit<InfraCacheOptions, 'now' | 'random'>>;
  private readonly lru: LRUCache<string, HostEntry>;
  /** Counts replies and counted timeouts, so a query can tell whether anything was learnt since it was sent. */
  private events = 0;

  constructor(opts: InfraCacheOptions = {}) {
    this.now = checkClock(opts.now);
    if (opts.random !== undefined && typeof opts.random !== 'function') {
      throw new CacheError('ERR_CACHE_BAD_OPTION', `random must be a function returning [0, 1), got ${typeof opts.random}`);
    }
    this.random = opts.random ?? Math.random;
    const ms = 24 * 3600 * 1000;
    this.o = {
      maxHosts: checkInt('maxHosts', opts.maxHosts ?? 10_000, 1, 2 ** 24),
      hostTtl: checkInt('hostTtl', opts.hostTtl ?? 900, 1, 7 * 86400),
      lameTtl: checkInt('lameTtl', opts.lameTtl ?? 900, 1, 7 * 86400),
      initialRtt: checkInt('initialRtt', opts.initialRtt ?? 30, 0, ms),
      rttBand: checkInt('rttBand', opts.rttBand ?? 20, 0, ms),
      initialTimeout: checkInt('initialTimeout', opts.initialTimeout ?? 1000, 1, ms),
      minTimeout: checkInt('minTimeout', opts.minTimeout ?? 50, 1, ms),
      maxTimeout: checkInt('maxTimeout', opts.maxTimeout ?? 12_000, 1, ms),
      deadAfter: checkInt('deadAfter', opts.deadAfter ?? 3, 1, 1000),
      backoffBase: checkInt('backoffBase', opts.backoffBase ?? 1000, 1, ms),
      maxBackoff: checkInt('maxBackoff', opts.maxBackoff ?? 120_000, 1, ms),
    };
    if (this.o.minTimeout > this.o.maxTimeout) throw new CacheError('ERR_CACHE_BAD_OPTION', `minTimeout (${this.o.minTimeout}) is above maxTimeout (${this.o.maxTimeout})`);
    // Same clock trick as the name caches: our clock, no 1 ms timer-cached time.
    this.lru = new LRUCache<string, HostEntry>({ max: this.o.maxHosts, ttlResolution: 0, perf: { now: this.now } });
  }

  /** A timed reply from `addr`: updates SRTT and RTTVAR (RFC 6298 2.2/2.3) and clears timeouts. */
  record(addr: string, rttMs: number): void {
    checkAddr(addr);
    if (typeof rttMs !== 'number' || !Number.isFinite(rttMs) || rttMs < 0) {
      throw new CacheError('ERR_CACHE_BAD_RTT', `RTT must be a finite number of ms >= 0, got ${String(rttMs)}`);
    }
    const now = this.now();
    const e = this.entry(addr, now);
    if (e.srtt === undefined) {
      e.srtt = rttMs;
      e.rttvar = rttMs / 2;
    } else {
      e.rttvar = (1 - BETA) * e.rttvar + BETA * Math.abs(e.srtt - rttMs);
      e.srtt = (1 - ALPHA) * e.srtt + ALPHA * rttMs;
    }
    e.timeouts = 0;
    e.probeAt = 0;
    e.mark = ++this.events;
    this.save(addr, e, now);
  }

  /** What is known of `addr` now, to give timeout() when a query sent now times out. */
  mark(addr: string): number {
    return this.live(addr, this.now())?.mark ?? 0;
  }

  /**
   * A query to `addr` timed out. Each timeout doubles its timeout and its ordering penalty
   * (RFC 6298 5.5); from `deadAfter` in a row it is held back, for backoffBase doubled per
   * further timeout up to maxBackoff, and then offered again as a probe. `mark` is mark(addr)
   * when the query was sent: a query sent before the last reply or counted timeout tells
   * nothing new, and is not counted.
   */
  timeout(addr: string, mark?: number): void {
    checkAddr(addr);
    const now = this.now();
    const e = this.entry(addr, now);
    // Queries in flight together share one timeout: once the first of them has backed the server
    // off (or a reply came in between), the rest add nothing, as in Unbound's rtt_lost. Counting
    // each one held back a server that only paused, for every zone it serves, after a burst of
    // parallel cold questions.
    if (mark !== undefined && mark !== e.mark) {
      this.save(addr, e, now);
      return;
    }
    e.timeouts++;
    e.mark = ++this.events;
    if (e.timeouts >= this.o.deadAfter) {
      const exp = Math.min(e.timeouts - this.o.deadAfter, MAX_DOUBLINGS);
      e.probeAt = now + Math.min(this.o.maxBackoff, this.o.backoffBase * 2 ** exp);
    }
    this.save(addr, e, now);
  }

  /** The server answered for `zone` without authority (or with a broken referral). */
  markLame(addr: string, zone: string, ttlSeconds: number = this.o.lameTtl): void {
    checkAddr(addr);
    const z = checkName(zone, 'zone');
    checkInt('lame TTL', ttlSeconds, 0, 7 * 86400);
    const now = this.now();
    const e = this.entry(addr, now);
    const until = now + ttlSeconds * 1000;
    e.lame.set(nameKey(z), [z, until]);
    this.save(addr, e, now, until);
  }

  isLame(addr: string, zone: string): boolean {
    const now = this.now();
    const l = this.live(addr, now)?.lame.get(nameKey(zone));
    return l !== undefined && now < l[1];
  }

  /** Held back after repeated timeouts and not yet due for a probe. */
  isHeldBack(addr: string): boolean {
    const now = this.now();
    const e = this.live(addr, now);
    return e !== undefined && e.timeouts >= this.o.deadAfter && now < e.probeAt;
  }

  /** Query timeout for `addr`, ms: SRTT + 4 RTTVAR (RFC 6298 2.3), doubled per timeout, clamped. */
  timeoutFor(addr: string): number {
    const e = this.live(addr, this.now());
    return e ? this.rto(e) : this.o.initialTimeout;
  }

  private rto(e: HostEntry): number {
    const base = e.srtt === undefined ? this.o.initialTimeout : e.srtt + 4 * e.rttvar;
    const backed = base * 2 ** Math.min(e.timeouts, MAX_DOUBLINGS);
    return Math.round(Math.min(this.o.maxTimeout, Math.max(this.o.minTimeout, backed)));
  }

  /** Ordering key: SRTT (or initialRtt when unmeasured), doubled per consecutive timeout. */
  private metric(e: HostEntry | undefined): number {
    if (!e) return this.o.initialRtt;
    return (e.srtt ?? this.o.initialRtt) * 2 ** Math.min(e.timeouts, MAX_DOUBLINGS);
  }

  /**
   * The addresses to try, best first. Servers lame for `opts.zone` and servers held back are
   * left out (so the result may be empty: every server is down). Live servers come first,
   * ordered by SRTT with those within `rttBand` of the best remaining one picked at random
   * (spreads load, keeps measuring); unknown servers rank at `initialRtt` so they get tried.
   * Then servers due for a probe after a hold-back, slowest last.
   */
  choose(addrs: readonly string[], opts: ChooseOptions = {}): string[] {
    const now = this.now();
    const zone = opts.zone === undefined ? undefined : nameKey(opts.zone);
    const live: { addr: string; m: number }[] = [];
    const probes: { addr: string; m: number }[] = [];
    const seen = new Set<string>();
    for (const addr of addrs) {
      checkAddr(addr);
      if (seen.has(addr)) continue;
      seen.add(addr);
      const e = this.live(addr, now);
      if (zone !== undefined) {
        const l = e?.lame.get(zone);
        if (l && now < l[1]) continue;
      }
      if (e && e.timeouts >= this.o.deadAfter) {
        if (now >= e.probeAt) probes.push({ addr, m: this.metric(e) });
        continue;
      }
      live.push({ addr, m: this.metric(e) });
    }
    const out: string[] = [];
    while (live.length > 0) {
      let best = Infinity;
      for (const c of live) best = Math.min(best, c.m);
      const band: number[] = [];
      live.forEach((c, i) => { if (c.m <= best + this.o.rttBand) band.push(i); });
      const r = this.random();
      const pick = band[Math.min(band.length - 1, Math.max(0, Math.floor(r * band.length)))]!;
      out.push(live[pick]!.addr);
      live.splice(pick, 1);
    }
    probes.sort((a, b) => a.m - b.m);
    for (const p of probes) out.push(p.addr);
    return out;
  }

  get(addr: string): ServerInfo | undefined {
    const now = this.now();
    const e = this.live(addr, now);
    return e ? this.info(addr, e, now) : undefined;
  }

  forget(addr: string): boolean {
    return this.lru.delete(addr);
  }

  clear(): void {
    this.lru.clear();
  }

  dump(): ServerInfo[] {
    const now = this.now();
    const out: ServerInfo[] = [];
    for (const [addr, e] of this.lru.entries()) if (now < e.expires) out.push(this.info(addr, e, now));
    return out;
  }

  snapshot(): { hosts: number; heldBack: number } {
    const all = this.dump();
    return { hosts: all.length, heldBack: all.filter((s) => s.heldBack).length };
  }

  private info(addr: string, e: HostEntry, now: number): ServerInfo {
    const heldBack = e.timeouts >= this.o.deadAfter && now < e.probeAt;
    const lameZones = [...e.lame.values()].filter(([, until]) => now < until).map(([z]) => z);
    return { address: addr, srtt: e.srtt, rttvar: e.rttvar, timeout: this.rto(e), timeouts: e.timeouts, heldBack, probeAt: heldBack ? e.probeAt : 0, lameZones };
  }

  private live(addr: string, now: number): HostEntry | undefined {
    const e = this.lru.peek(addr);
    if (!e) return undefined;
    if (now < e.expires) return e;
    this.lru.delete(addr);
    return undefined;
  }

  private entry(addr: string, now: number): HostEntry {
    return this.live(addr, now) ?? { srtt: undefined, rttvar: 0, timeouts: 0, probeAt: 0, lame: new Map(), expires: 0, mark: 0 };
  }

  /** Store after an update; it lives hostTtl from now, or longer if a lame mark outlasts that. */
  private save(addr: string, e: HostEntry, now: number, atLeast = 0): void {
    for (const [k, [, until]] of e.lame) if (now >= until) e.lame.delete(k);
    let expires = Math.max(now + this.o.hostTtl * 1000, atLeast, e.probeAt);
    for (const [, until] of e.lame.values()) expires = Math.max(expires, until);
    e.expires = expires;
    this.lru.set(addr, e, { ttl: Math.max(1, Math.ceil(expires - now)) });
  }
}
