// The iterative resolver: from the root hints down the delegations to an authoritative answer,
// through the cache, with failover between servers, CNAME/DNAME chasing, serve-stale,
// prefetch, coalescing of identical in-flight questions, and hard limits on the work one
// client question may cause.

import { silentLogger, type Logger } from '../base/log.js';
import { AopError } from '../base/errors.js';
import { ChurnMap } from '../base/churn.js';
import { DnsCache, MIN_ANSWER_RANK, Rank, type CachedRRset, type NegativeHit } from '../cache/index.js';
import { DeadlineSet } from '../transport/deadlines.js';
import { DotClient } from '../transport/dot.js';
import type { TlsPeer } from '../transport/tls-peer.js';
import { exchange, query as transportQuery, TransportError, type ExchangeResult, type QueryOptions, type Server, type UpstreamUdp } from '../transport/index.js';
import { encodeQuery, type Question } from '../wire/message.js';
import type { Metrics } from '../base/metrics.js';
import { isInDomain, labelCount, labelsToText, nameEquals, nameKey, nameToLabels, nameToWire, parentName, readName } from '../wire/name.js';
import type { RR, RRset } from '../wire/rr.js';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { RRClass, RRType, Rcode, isMetaType, typeToString } from '../wire/types.js';
import { addressText, classify, type Classified } from './classify.js';
import type { RootHints } from './hints.js';

/** A zone cut to start iterating from: the zone and its servers (addresses when known). */
export interface StartingCut {
  zone: string;
  servers: Array<{ name: string; addresses: string[] }>;
}

/**
 * Delegations the process holds authoritatively (the server's own zones, passed in by the
 * server layer): asked before the delegation cache and the hints, as BIND starts from its own
 * authoritative data. A daemon serving `agents.` reaches `initech.agents`'s servers from its own
 * NS and glue, whether or not the root hints point at a server that answers.
 */
export interface LocalDelegations {
  /** The delegation away from the local zones that covers `name` (NS and glue), or undefined. */
  delegationFor(name: string): StartingCut | undefined;
}

export interface ResolverOptions {
  hints: RootHints;
  /** Upstream queries, RTTs and timeouts per server go here (base/metrics.ts). */
  metrics?: Metrics;
  /** Delegations of the server's own zones, asked first for a starting point (see LocalDelegations). */
  local?: LocalDelegations;
  cache?: DnsCache;
  /** Port of every authoritative server (glue carries addresses, not ports). Default 53. */
  port?: number;
  /** Upper bound for one upstream attempt, in ms; the per-server timeout comes from its RTT. Default 1500. */
  timeout?: number;
  /** Wall-clock budget for one client question, in ms. Default 5000. */
  deadline?: number;
  /** Upstream queries one client question may cause, sub-resolutions included. Default 40. */
  maxQueries?: number;
  /** Referrals followed for one name. Default 16. */
  maxReferrals?: number;
  /** CNAME/DNAME links followed. Default 12. */
  maxChain?: number;
  /** Nesting of name-server address lookups (glueless delegations). Default 4. */
  maxDepth?: number;
  /** Answer from expired data when every server is unreachable (RFC 8767). Default true. */
  serveStale?: boolean;
  /** Refresh popular entries in the last 10% of their TTL. Default true. */
  prefetch?: boolean;
  /** Resolvers to forward names outside the hints' namespace to; none means REFUSED. With `tls`, over DNS over TLS (RFC 7858). */
  forwarders?: Forwarder[];
  logger?: Logger;
  /**
   * Ask with DO=1 and keep what DNSSEC needs (RFC 4035 4.1): each set's RRSIGs, the NSEC/NSEC3
   * denials and wildcard proofs, handed on in the resolution for a validator. Default false.
   */
  dnssec?: boolean;
  /** Socket code of the upstream UDP queries (ExchangeOptions.udp): `dgram` with the daemon's --udp-io dgram. Default `auto`. */
  upstreamUdp?: UpstreamUdp;
  /** Transport, replaceable in tests. */
  query?: (server: Server, q: Question, opts: QueryOptions) => Promise<ExchangeResult>;
}

/** A forwarder: a resolver's address, and with `tls` how its DoT certificate is checked. */
export type Forwarder = Server & { tls?: TlsPeer };

export interface Resolution {
  rcode: number;
  answer: RR[];
  authority: RR[];
  /** Some of the data came from the cache past its TTL (RFC 8767). */
  stale: boolean;
  /** Why it failed, for the log, when rcode is SERVFAIL or REFUSED. */
  reason?: string;
  /**
   * Set when the whole answer came from fresh cache entries: until when (ms of the cache's
   * clock) the same answer, its TTLs counted down, stays what the cache would give. It ends
   * where the first entry expires or enters its prefetch window, so a copy kept elsewhere (the
   * responder's encoded answers) hands popular names back to the resolver in time to refresh them.
   */
  reuseUntil?: number;
}

export interface ResolverStats {
  questions: number;
  coalesced: number;
  cacheAnswers: number;
  upstreamQueries: number;
  upstreamTimeouts: number;
  lame: number;
  staleAnswers: number;
  prefetches: number;
  servfail: number;
  forwarded: number;
  refused: number;
}

/** Further attempts at an address that timed out, each time the zone is asked. */
const RETRIES = 2;

/** Names whose ANY answer is remembered (which types it held): the oldest is forgotten first. */
const ANY_INDEX_SIZE = 10_000;

/** A type that data can have (and the caches can hold): not 0, OPT or a meta type (RFC 6895 3.1). */
const isDataType = (type: number): boolean => type > 0 && type <= 0xffff && !isMetaType(type);

class LimitError extends AopError {
  declare readonly code: 'ERR_RESOLVER_LIMIT';
  constructor(message: string) {
    super('ERR_RESOLVER_LIMIT', message);
  }
}

interface Work {
  queries: number;
  /** performance.now() past which the question is given up (the deadline option). */
  deadline: number;
  depth: number;
  /** RRsets received during this resolution: used even when their TTL is 0 and they were not cached. */
  fresh: Map<string, RRset>;
  /** performance.now() past which the client gets stale data, if there is any (RFC 8767 client response timer). */
  staleAt: number;
}

/** What one refresh of (name, type) came to; `error` (a limit, shutdown) is rethrown when no stale data stands in. */
type Outcome = Step | { kind: 'fail'; reason: string; error: unknown };

/** A refresh in flight, shared by the client questions (and prefetches) that need it. */
interface Refresh {
  done: Promise<Outcome>;
  /** performance.now() when it started: its client response timer runs from then for everyone. */
  started: number;
}

/** `until`: see Resolution.reuseUntil; 0 when the step used data not (or no longer) in the cache. */
type Step =
  | { kind: 'answer'; set: RRset; stale: boolean; until: number }
  /** The RRsets of an ANY question, as the authority gave them (RFC 8482 lets it give one). */
  | { kind: 'any'; sets: RRset[]; stale: boolean; until: number }
  | { kind: 'alias'; records: RR[]; target: string; stale: boolean; until: number; proof?: RRset[] }
  | { kind: 'negative'; rcode: number; soa?: RRset; stale: boolean; until: number; proof?: RRset[] }
  | { kind: 'fail'; reason: string };

const setKey = (name: string, type: number) => `${nameKey(name)}/${type}`;

/** The set's records, then its RRSIGs when it has them (asked with DNSSEC). */
function records(set: RRset, ttl = set.ttl): RR[] {
  const out = set.rdata.map((rdata) => ({ name: set.name, type: set.type, class: set.class, ttl, rdata }));
  if (set.sigs) for (const rdata of set.sigs) out.push({ name: set.name, type: RRType.RRSIG, class: set.class, ttl, rdata });
  return out;
}

/** The records of NSEC/NSEC3 proofs (with their RRSIGs), for the authority section. */
function proofRecords(proof: readonly RRset[] | undefined): RR[] {
  return proof ? proof.flatMap((p) => records(p)) : [];
}

/** Whether an RRSIG over `set` says it was expanded from a wildcard (its labels field is short; RFC 4035 5.3.2). */
function expanded(set: RRset): boolean {
  return set.sigs?.some((sig) => sig.length > 3 && sig[3]! < labelCount(set.name)) ?? false;
}

/** The hit's set, whose ttl is already the remaining one: the cache hands out a copy per hit. */
function hitSet(hit: CachedRRset): RRset {
  return hit.rrset.ttl === hit.ttl ? hit.rrset : { ...hit.rrset, ttl: hit.ttl };
}

/** The client response timers of questions in flight (RFC 8767), under one timer (deadlines.ts). */
const clientTimers = new DeadlineSet();

/** `p`'s value, or undefined if `ms` pass first (at once for ms <= 0, unless p has settled). */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return Promise.race([p, Promise.resolve(undefined)]);
  return new Promise((resolve) => {
    const due = { at: performance.now() + ms, expire: () => resolve(undefined), dueSlot: -1 };
    clientTimers.add(due);
    void p.then((v) => { clientTimers.delete(due); resolve(v); });
  });
}

export class Resolver {
  readonly cache: DnsCache;
  readonly stats: ResolverStats = {
    questions: 0, coalesced: 0, cacheAnswers: 0, upstreamQueries: 0, upstreamTimeouts: 0, lame: 0,
    staleAnswers: 0, prefetches: 0, servfail: 0, forwarded: 0, refused: 0,
  };
  // ChurnMaps, not Maps: an entry per question in flight, come and gone in a millisecond (base/churn.ts).
  private readonly inflight = new ChurnMap<Promise<Resolution>>();
  /** Upstream refreshes of one (name, type) for client questions, which outlive the question when stale data was served. */
  private readonly refreshing = new ChurnMap<Refresh>();
  /**
   * Per name, the types an authority gave for ANY: a repeated ANY is answered from those RRsets
   * in the cache while every one of them is there (as Unbound answers it from its message cache).
   */
  private readonly anyTypes = new Map<string, number[]>();
  private readonly o: Required<Omit<ResolverOptions, 'cache' | 'logger' | 'forwarders' | 'local' | 'metrics'>> & { forwarders: Forwarder[] };
  /** The DoT forwarders' connections, reused and pipelined; made on first use. */
  private dot?: DotClient;
  private readonly local: LocalDelegations | undefined;
  private readonly metrics: Metrics | undefined;
  private readonly log: Logger;
  private readonly controller = new AbortController();

  constructor(opts: ResolverOptions) {
    this.cache = opts.cache ?? new DnsCache();
    this.log = opts.logger ?? silentLogger;
    this.local = opts.local;
    this.metrics = opts.metrics;
    // Every upstream attempt listens on this one signal (for close()): many at once is normal.
    setMaxListeners(0, this.controller.signal);
    this.o = {
      hints: opts.hints,
      port: opts.port ?? 53,
      timeout: opts.timeout ?? 1500,
      deadline: opts.deadline ?? 5000,
      maxQueries: opts.maxQueries ?? 40,
      maxReferrals: opts.maxReferrals ?? 16,
      maxChain: opts.maxChain ?? 12,
      maxDepth: opts.maxDepth ?? 4,
      serveStale: opts.serveStale ?? true,
      prefetch: opts.prefetch ?? true,
      forwarders: opts.forwarders ?? [],
      dnssec: opts.dnssec ?? false,
      upstreamUdp: opts.upstreamUdp ?? 'auto',
      query: opts.query ?? transportQuery,
    };
  }

  /** Whether a name is ours to resolve iteratively: inside the hints' zone, or below a local delegation. */
  inNamespace(name: string): boolean {
    return isInDomain(name, this.o.hints.zone) || this.local?.delegationFor(name) !== undefined;
  }

  /**
   * The zone `name` is in, as far as the resolver knows: its deepest known cut (a validator's zone
   * of unsigned data). For a name outside the namespace (forwarded) no cut is known but the root:
   * the hints' zone would be a signed zone the name is not in.
   */
  zoneCut(name: string): string {
    return this.inNamespace(name) ? this.closestCut(name).zone : '.';
  }

  /** Resolve one question. Never throws: failures are SERVFAIL or REFUSED with a reason. */
  resolve(name: string, type: number): Promise<Resolution> {
    this.stats.questions++;
    const key = setKey(name, type);
    const running = this.inflight.get(key);
    if (running) {
      this.stats.coalesced++;
      return running;
    }
    const p = this.run(name, type).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Stop everything in flight (daemon shutdown). */
  close(): void {
    this.controller.abort();
    this.dot?.close();
  }

  private async run(name: string, type: number): Promise<Resolution> {
    // Only ANY of the meta types is a question for the servers (RFC 6895 3.1); TYPE0 names no
    // data. The others are FORMERR, as Unbound answers them, and cost no upstream query.
    if (type !== RRType.ANY && !isDataType(type)) return { rcode: Rcode.FORMERR, answer: [], authority: [], stale: false };
    if (!this.inNamespace(name)) {
      if (this.o.forwarders.length > 0) {
        const r = await this.forward(name, type);
        if (r.rcode === Rcode.SERVFAIL) this.stats.servfail++;
        return r;
      }
      this.stats.refused++;
      return { rcode: Rcode.REFUSED, answer: [], authority: [], stale: false, reason: `${name} is outside ${this.o.hints.zone} and no forwarders are set` };
    }
    // No AbortSignal or timer per question: a cache hit needs none, and upstream attempts get
    // the time left before the deadline as their timeout (see ask).
    const work = this.newWork();
    try {
      const r = await this.chain(name, type, work);
      if (r.rcode === Rcode.SERVFAIL) this.stats.servfail++;
      if (r.stale) this.stats.staleAnswers++;
      return r;
    } catch (err) {
      this.stats.servfail++;
      const reason = err instanceof LimitError ? err.message : this.controller.signal.aborted ? 'the resolver is shutting down' : `internal error: ${(err as Error).message}`;
      return { rcode: Rcode.SERVFAIL, answer: [], authority: [], stale: false, reason };
    }
  }

  private newWork(): Work {
    const now = performance.now();
    return { queries: 0, deadline: now + this.o.deadline, depth: 0, fresh: new Map(), staleAt: now + this.cache.staleTimers.clientTimeout };
  }

  /** Follow CNAME and DNAME links from `name` to the data or a negative answer. */
  private async chain(name: string, type: number, work: Work): Promise<Resolution> {
    const answer: RR[] = [];
    /** Wildcard proofs of the links, for the authority section (DNSSEC only). */
    const proofs: RR[] = [];
    const seen = new Set<string>();
    let stale = false;
    let until = Infinity;
    let current = name;
    for (let hop = 0; hop <= this.o.maxChain; hop++) {
      if (seen.has(nameKey(current))) return { rcode: Rcode.SERVFAIL, answer: [], authority: [], stale, reason: `CNAME loop at ${current}` };
      seen.add(nameKey(current));
      // A link out of the namespace (acme.agents to www.example.com) is not ours to iterate: the
      // root servers would be asked about a name they do not serve, and found lame for agents.
      // It goes where the name would go if asked on its own: the forwarders, or nowhere.
      if (hop > 0 && !this.inNamespace(current)) return this.forwardRest(current, type, answer, proofs, stale);
      const step = await this.step(current, type, work);
      if (step.kind === 'fail') return { rcode: Rcode.SERVFAIL, answer: [], authority: [], stale, reason: step.reason };
      stale ||= step.stale;
      until = Math.min(until, step.until);
      const reuse = (rcode: number): { reuseUntil?: number } =>
        !stale && until > 0 && until !== Infinity && (rcode === Rcode.NOERROR || rcode === Rcode.NXDOMAIN) ? { reuseUntil: until } : {};
      if (step.kind === 'answer') return { rcode: Rcode.NOERROR, answer: [...answer, ...records(step.set)], authority: [...proofs, ...proofRecords(step.set.proof)], stale, ...reuse(Rcode.NOERROR) };
      if (step.kind === 'any') return { rcode: Rcode.NOERROR, answer: [...answer, ...step.sets.flatMap((s) => records(s))], authority: [...proofs, ...step.sets.flatMap((s) => proofRecords(s.proof))], stale, ...reuse(Rcode.NOERROR) };
      if (step.kind === 'negative') return { rcode: step.rcode, answer, authority: [...(step.soa ? records(step.soa) : []), ...proofs, ...proofRecords(step.proof)], stale, ...reuse(step.rcode) };
      answer.push(...step.records);
      proofs.push(...proofRecords(step.proof));
      // A CNAME (a DNAME's synthesised one too) is what QTYPE=CNAME asks for: the chain ends
      // there (RFC 1034 4.3.2 step 3a; RFC 6672 3.1), as NSD, Knot and PowerDNS answer.
      if (type === RRType.CNAME) return { rcode: Rcode.NOERROR, answer, authority: proofs, stale, ...reuse(Rcode.NOERROR) };
      current = step.target;
    }
    return { rcode: Rcode.SERVFAIL, answer: [], authority: [], stale, reason: `CNAME chain longer than ${this.o.maxChain}` };
  }

  /**
   * One link: from what this resolution already received, the cache, or the servers. With
   * serve-stale (RFC 8767 section 5), stale data stands in for the servers three ways: after
   * they failed; at once while the failure recheck timer of a failed refresh runs (no upstream
   * query at all); and when the client response timer runs out first, the refresh going on in
   * the background and refreshing the cache if it succeeds.
   */
  private async step(name: string, type: number, work: Work): Promise<Step> {
    const fresh = work.fresh;
    const local = this.fromData(name, type, fresh, false);
    if (local) return local;
    if (!this.o.serveStale) return this.settle(await this.refresh(name, type, work).done);
    const stale = (why: string): Step | undefined => {
      const old = this.fromData(name, type, fresh, true);
      if (!old || old.kind === 'fail') return undefined;
      this.log.warn(`serving stale data for ${name} ${typeToString(type)}: ${why}`);
      return old;
    };
    const recheck = this.cache.failedRecently(name, type);
    if (recheck > 0) {
      const old = stale(`its last refresh failed; not asking again for ${Math.ceil(recheck / 1000)} s`);
      if (old) return old;
    }
    const r = this.refresh(name, type, work);
    let outcome = await within(r.done, Math.min(work.staleAt, r.started + this.cache.staleTimers.clientTimeout) - performance.now());
    if (outcome === undefined) {
      const old = stale(`no answer within ${this.cache.staleTimers.clientTimeout} ms; still asking in the background`);
      if (old) return old;
      outcome = await r.done;
    }
    if (outcome.kind === 'fail') return stale(outcome.reason) ?? this.settle(outcome);
    return outcome;
  }

  /** An outcome as a step: a failure that was an exception (a limit, shutdown) is thrown again. */
  private settle(outcome: Outcome): Step {
    if ('error' in outcome) throw outcome.error;
    return outcome;
  }

  /**
   * Ask the servers about (name, type). For client questions (not the nested name-server
   * lookups, which could otherwise wait on themselves) one refresh per (name, type) runs at a
   * time and is shared; it never rejects. Its end sets or clears the failure recheck timer.
   */
  private refresh(name: string, type: number, work: Work): Refresh {
    const key = setKey(name, type);
    const running = work.depth === 0 ? this.refreshing.get(key) : undefined;
    if (running) return running;
    const done = this.iterate(name, type, work).then(
      (step): Outcome => step,
      (error: unknown): Outcome => ({ kind: 'fail', reason: error instanceof Error ? error.message : String(error), error }),
    ).then((outcome) => {
      if (outcome.kind === 'fail') {
        if (!this.controller.signal.aborted) this.cache.markFailed(name, type);
      } else this.cache.clearFailed(name, type);
      return outcome;
    });
    const r: Refresh = { done, started: performance.now() };
    if (work.depth === 0) {
      this.refreshing.set(key, r);
      void done.then(() => { if (this.refreshing.get(key) === r) this.refreshing.delete(key); });
    }
    return r;
  }

  /** What the data already known says about (name, type); undefined when we must ask. */
  private fromData(name: string, type: number, fresh: Map<string, RRset>, allowStale: boolean): Step | undefined {
    const get = (n: string, t: number, countMiss = true): { set: RRset; stale: boolean; until: number } | undefined => {
      const f = fresh.size > 0 ? fresh.get(setKey(n, t)) : undefined;
      if (f) return { set: f, stale: false, until: 0 };
      const hit = this.cache.rrsets.get(n, t, RRClass.IN, { allowStale, minRank: MIN_ANSWER_RANK, countMiss });
      if (!hit || (hit.stale && !allowStale)) return undefined;
      if (hit.prefetch && !hit.stale) this.prefetch(n, t);
      if (!allowStale) this.stats.cacheAnswers++;
      return { set: hitSet(hit), stale: hit.stale, until: hit.stale || hit.prefetch ? 0 : hit.expires - this.prefetchLead(hit.originalTtl) };
    };
    const direct = get(name, type);
    if (direct) return { kind: 'answer', set: direct.set, stale: direct.stale, until: direct.until };
    if (type === RRType.ANY) {
      const types = this.anyTypes.get(nameKey(name));
      const sets = types?.map((t) => get(name, t, false));
      if (sets && sets.length > 0 && sets.every((x) => x !== undefined)) {
        const got = sets as Array<NonNullable<(typeof sets)[number]>>;
        return { kind: 'any', sets: got.map((x) => x.set), stale: got.some((x) => x.stale), until: Math.min(...got.map((x) => x.until)) };
      }
    }
    // A DNAME at an ancestor rewrites the name (RFC 6672 3.1). It comes before a CNAME at the
    // name: names below a DNAME cannot own data (2.4), so such a CNAME is older than the DNAME.
    // Skipped while no DNAME was ever cached: every ancestor's lookup would miss. The sets of this
    // resolution (fresh) were offered to the cache too, so a DNAME among them counts.
    const dnames = this.cache.rrsets.mayHold(RRType.DNAME);
    for (let a = dnames ? parentName(name) : undefined; a !== undefined && isInDomain(a, this.o.hints.zone); a = parentName(a)) {
      const d = get(a, RRType.DNAME, false);
      if (!d) continue;
      const target = readName(d.set.rdata[0]!, 0).name;
      const prefix = nameToLabels(name).slice(0, labelCount(name) - labelCount(a));
      let synthesized: string;
      try {
        synthesized = labelsToText([...prefix, ...nameToLabels(target)]);
        nameToWire(synthesized);
      } catch {
        return { kind: 'negative', rcode: Rcode.YXDOMAIN, stale: d.stale, until: 0 };
      }
      // Synthesised here on every use, with the DNAME's TTL left (RFC 6672 3.1; 30 when stale),
      // never cached itself (see iterate): it cannot outlive the DNAME it comes from.
      const cname: RR = { name, type: RRType.CNAME, class: RRClass.IN, ttl: d.set.ttl, rdata: nameToWire(synthesized) };
      return { kind: 'alias', records: [...records(d.set), cname], target: synthesized, stale: d.stale, until: d.until };
    }
    if (type !== RRType.CNAME) {
      const cname = get(name, RRType.CNAME);
      if (cname) return { kind: 'alias', records: records(cname.set), target: readName(cname.set.rdata[0]!, 0).name, stale: cname.stale, until: cname.until, ...(cname.set.proof ? { proof: cname.set.proof } : {}) };
    }
    const neg: NegativeHit | undefined = this.cache.negatives.get(name, type, RRClass.IN, { allowStale });
    if (neg && (!neg.stale || allowStale)) {
      if (!allowStale) this.stats.cacheAnswers++;
      return { kind: 'negative', rcode: neg.kind === 'nxdomain' ? Rcode.NXDOMAIN : Rcode.NOERROR, soa: neg.soa, stale: neg.stale, until: neg.stale ? 0 : neg.expires, ...(neg.proof ? { proof: neg.proof } : {}) };
    }
    return undefined;
  }

  /** How long before its expiry (ms) a positive entry of this TTL enters the prefetch window. */
  private prefetchLead(originalTtl: number): number {
    return this.o.prefetch ? originalTtl * 1000 * this.cache.rrsets.policy.prefetchRatio : 0;
  }

  private prefetch(name: string, type: number): void {
    if (!this.o.prefetch || this.controller.signal.aborted) return;
    this.stats.prefetches++;
    void this.refresh(name, type, this.newWork());
  }

  /** Walk down from the closest known cut until a server answers for `name`. */
  private async iterate(name: string, type: number, work: Work): Promise<Step> {
    const fresh = work.fresh;
    // DS belongs to the parent side of a cut (RFC 4034 5, RFC 4035 3.1.4.1): ask the zone above
    // the name, never the child, whose apex has no DS (a NODATA) and which may be lame.
    const parent = type === RRType.DS ? parentName(name) : undefined;
    let cut = this.closestCut(parent ?? name);
    for (let referrals = 0; referrals <= this.o.maxReferrals; referrals++) {
      const result = await this.askZone(cut, name, type, work);
      if (result.kind === 'fail') return result;
      const c = result.classified;
      if (c.kind === 'referral') {
        this.cache.putDelegation({ zone: c.zone, nameservers: c.nameservers, glue: c.glue, ttl: c.ttl, rank: Rank.Additional });
        for (const set of c.glueSets) this.cache.putRRset(set, Rank.Additional);
        cut = { zone: c.zone, servers: c.nameservers.map((n) => ({ name: n, addresses: c.glue.get(nameKey(n)) ?? [] })) };
        continue;
      }
      if (c.kind === 'answer') {
        const dnames = c.sets.filter((s) => s.type === RRType.DNAME);
        for (const set of c.sets) {
          // A CNAME below a DNAME of the same answer is the server's synthesis (RFC 6672 3.1).
          // It is neither cached nor kept: fromData synthesises it again from the DNAME on every
          // use, so the answer always carries the DNAME and the CNAME never outlives it.
          if (set.type === RRType.CNAME && dnames.some((d) => !nameEquals(set.name, d.name) && isInDomain(set.name, d.name))) continue;
          // A wildcard expansion keeps its proof that the name itself does not exist (RFC 4035 5.3.4).
          // Only one at the name asked is kept: further down a CNAME chain the server's proof may
          // be missing or prove another name (NSD after a DNAME), and asked on its own it sends it.
          if (expanded(set)) {
            if (!c.proof || !nameEquals(set.name, name)) continue;
            set.proof = c.proof;
          }
          fresh.set(setKey(set.name, set.type), set);
          this.cache.putRRset(set, Rank.AnswerAuth);
        }
        if (type === RRType.ANY) this.rememberAny(name, c.sets, fresh);
        const found = this.fromData(name, type, fresh, false);
        if (found) return found;
        if (c.nxdomain) return this.negative('nxdomain', name, type, c.soa, c.proof);
        return { kind: 'fail', reason: `${result.server} answered about other names than ${name}` };
      }
      if (c.kind === 'lame') return { kind: 'fail', reason: c.reason }; // ask() filters these out already
      return this.negative(c.kind, name, type, c.soa, c.proof);
    }
    return { kind: 'fail', reason: `more than ${this.o.maxReferrals} referrals for ${name}` };
  }

  /**
   * Which types an ANY answer held at `name` (those kept in `fresh`: not a synthesised CNAME). A
   * CNAME is left out: ANY is chased through it as other types are, as Unbound and PowerDNS do.
   */
  private rememberAny(name: string, sets: RRset[], fresh: Map<string, RRset>): void {
    const types = sets.filter((s) => s.type !== RRType.CNAME && nameEquals(s.name, name) && fresh.has(setKey(s.name, s.type))).map((s) => s.type);
    const key = nameKey(name);
    this.anyTypes.delete(key);
    if (types.length === 0) return;
    this.anyTypes.set(key, [...new Set(types)]);
    if (this.anyTypes.size > ANY_INDEX_SIZE) this.anyTypes.delete(this.anyTypes.keys().next().value!);
  }

  private negative(kind: 'nxdomain' | 'nodata', name: string, type: number, soa: RRset | undefined, proof?: RRset[]): Step {
    if (soa) this.cache.putNegative({ kind, name, type, soa, ...(proof ? { proof } : {}) });
    const ttl = soa ? Math.min(soa.ttl, soa.rdata[0]!.readUInt32BE(soa.rdata[0]!.length - 4)) : 0;
    return { kind: 'negative', rcode: kind === 'nxdomain' ? Rcode.NXDOMAIN : Rcode.NOERROR, soa: soa ? { ...soa, ttl } : undefined, stale: false, until: 0, ...(proof ? { proof } : {}) };
  }

  /**
   * Where to start for `name`: the deepest of the local delegation (our own zones' NS and glue)
   * and the cached one, the local one on a tie (it is authoritative data, not a referral heard
   * from someone); with neither, the root hints.
   */
  private closestCut(name: string): StartingCut {
    const local = this.local?.delegationFor(name);
    const cached = this.cache.delegations.closestCut(name);
    if (cached && (local ? labelCount(cached.zone) > labelCount(local.zone) : isInDomain(cached.zone, this.o.hints.zone))) {
      return { zone: cached.zone, servers: cached.nameservers.map((n) => ({ name: n.name, addresses: [...n.addresses] })) };
    }
    if (local) return { zone: local.zone, servers: local.servers.map((s) => ({ name: s.name, addresses: [...s.addresses] })) };
    return { zone: this.o.hints.zone, servers: this.o.hints.servers.map((s) => ({ name: s.name, addresses: [...s.addresses] })) };
  }

  /**
   * Ask the servers of `cut.zone`, best first, until one gives a usable reply. Glueless
   * servers get their addresses looked up only when the glued ones are exhausted.
   */
  private async askZone(cut: StartingCut, name: string, type: number, work: Work): Promise<{ kind: 'ok'; classified: Classified; server: string } | { kind: 'fail'; reason: string }> {
    const tried = new Set<string>();
    const reasons: string[] = [];
    /** Addresses whose last attempt timed out: asked again once the others have had their turn. */
    const timedOut: string[] = [];
    const attempt = async (addrs: string[]): Promise<{ classified: Classified; server: string } | undefined> => {
      const fresh = addrs.filter((a) => !tried.has(a));
      // Servers held back after repeated timeouts are left out until their probe is due (the
      // infra cache offers them again then, after the live ones): asking them anyway, on every
      // question, is what backing off is meant to prevent. Failing at once lets stale data in.
      const order = this.cache.infra.choose(fresh, { zone: cut.zone });
      for (const a of fresh) if (!order.includes(a) && this.cache.infra.isHeldBack(a)) reasons.push(`${a}: held back after repeated timeouts`);
      for (const addr of order) {
        tried.add(addr);
        const r = await this.ask(addr, cut.zone, name, type, work);
        if (r.kind === 'ok') return { classified: r.classified, server: addr };
        reasons.push(`${addr}: ${r.reason}`);
        if (r.timeout) timedOut.push(addr);
      }
      return undefined;
    };
    // A lost datagram or a server that paused must not cost the question: an address that timed
    // out is asked again (its timeout doubled by the infra cache), up to RETRIES more times, after
    // every other known address has had its turn. Bounded like every query by the limits.
    const retry = async (): Promise<{ classified: Classified; server: string } | undefined> => {
      for (let round = 0; round < RETRIES && timedOut.length > 0; round++) {
        for (const addr of timedOut.splice(0)) {
          // A server that has just become held back (or a probe that timed out again) is not retried.
          if (this.cache.infra.isHeldBack(addr)) continue;
          const r = await this.ask(addr, cut.zone, name, type, work);
          if (r.kind === 'ok') return { classified: r.classified, server: addr };
          reasons.push(`${addr}: ${r.reason}`);
          if (r.timeout) timedOut.push(addr);
        }
      }
      timedOut.length = 0; // their retries are spent; a later retry() is for other addresses
      return undefined;
    };
    const known = cut.servers.flatMap((s) => s.addresses.length > 0 ? s.addresses : this.cachedAddresses(s.name));
    const first = (await attempt(known)) ?? (await retry());
    if (first) return { kind: 'ok', ...first };
    for (const s of cut.servers) {
      if (s.addresses.length > 0 || this.cachedAddresses(s.name).length > 0) continue;
      // A server named inside the zone it serves cannot be found without glue: asking would loop.
      if (isInDomain(s.name, cut.zone)) {
        reasons.push(`${s.name}: inside ${cut.zone} but no glue`);
        continue;
      }
      if (work.depth >= this.o.maxDepth) throw new LimitError(`name-server lookups nested deeper than ${this.o.maxDepth} resolving ${name}`);
      const addrs = await this.lookupAddresses(s.name, work);
      if (addrs.length === 0) {
        reasons.push(`${s.name}: no address`);
        continue;
      }
      const got = (await attempt(addrs)) ?? (await retry());
      if (got) return { kind: 'ok', ...got };
    }
    return { kind: 'fail', reason: `no server for ${cut.zone} answered (${reasons.join('; ') || 'no addresses'})` };
  }

  private cachedAddresses(ns: string): string[] {
    const out: string[] = [];
    for (const t of [RRType.A, RRType.AAAA]) {
      const hit = this.cache.rrsets.get(ns, t, RRClass.IN, { countMiss: false });
      if (hit && !hit.stale) for (const d of hit.rrset.rdata) { const a = addressText(t, d); if (a) out.push(a); }
    }
    return out;
  }

  private async lookupAddresses(ns: string, work: Work): Promise<string[]> {
    const sub: Work = { ...work, depth: work.depth + 1 };
    const out: string[] = [];
    for (const t of [RRType.A, RRType.AAAA]) {
      const r = await this.chain(ns, t, sub);
      work.queries = sub.queries;
      for (const rr of r.answer) if (rr.type === t) { const a = addressText(t, rr.rdata); if (a) out.push(a); }
      if (out.length > 0) break;
    }
    return out;
  }

  /** One upstream query, scored in the server cache. */
  private async ask(addr: string, zone: string, name: string, type: number, work: Work): Promise<{ kind: 'ok'; classified: Classified } | { kind: 'fail'; reason: string; timeout?: boolean }> {
    const gaveUp = (): LimitError => new LimitError(`gave up after ${this.o.deadline} ms resolving ${name}`);
    if (this.controller.signal.aborted) throw new LimitError('the resolver is shutting down');
    const left = Math.ceil(work.deadline - performance.now());
    if (left <= 0) throw gaveUp();
    if (++work.queries > this.o.maxQueries) throw new LimitError(`more than ${this.o.maxQueries} upstream queries for one question (at ${name} in ${zone})`);
    this.stats.upstreamQueries++;
    const upstream = this.metrics?.upstream(addr);
    if (upstream !== undefined) this.metrics!.upstreamQueries.inc({ upstream });
    let reply: ExchangeResult;
    const rto = this.cache.infra.timeoutFor(addr);
    const mark = this.cache.infra.mark(addr);
    try {
      reply = await this.o.query({ address: addr, port: this.o.port }, { name, type, class: RRClass.IN }, {
        rd: false, edns: this.o.dnssec ? { udpSize: 1232, dnssecOk: true } : { udpSize: 1232 }, signal: this.controller.signal, udp: this.o.upstreamUdp,
        timeout: Math.max(1, Math.min(this.o.timeout, rto, left)),
      });
    } catch (err) {
      if (err instanceof TransportError && err.code === 'ERR_TRANSPORT_ABORTED') throw new LimitError('the resolver is shutting down');
      // The attempt had only the time left before the deadline: that ran out.
      if (err instanceof TransportError && err.code === 'ERR_TRANSPORT_TIMEOUT' && performance.now() >= work.deadline) {
        this.stats.upstreamTimeouts++;
        if (upstream !== undefined) this.metrics!.upstreamTimeouts.inc({ upstream });
        throw gaveUp();
      }
      if (err instanceof TransportError && err.code !== 'ERR_TRANSPORT_BAD_REPLY') {
        this.cache.infra.timeout(addr, mark);
        if (err.code === 'ERR_TRANSPORT_TIMEOUT') {
          this.stats.upstreamTimeouts++;
          if (upstream !== undefined) this.metrics!.upstreamTimeouts.inc({ upstream });
        }
      }
      return { kind: 'fail', reason: (err as Error).message, timeout: err instanceof TransportError && err.code === 'ERR_TRANSPORT_TIMEOUT' };
    }
    if (reply.transport === 'udp') this.cache.infra.record(addr, reply.rtt);
    if (upstream !== undefined) this.metrics!.upstreamRtt.observe({ upstream }, reply.rtt / 1000);
    const classified = classify(reply.message, name, zone);
    if (classified.kind === 'lame') {
      this.stats.lame++;
      // SERVFAIL is often passing trouble; only a server that refuses or misleads is lame for the zone.
      if (reply.message.rcode !== Rcode.SERVFAIL) this.cache.infra.markLame(addr, zone);
      this.log.debug(`lame server ${addr} for ${zone}: ${classified.reason}`);
      return { kind: 'fail', reason: classified.reason };
    }
    return { kind: 'ok', classified };
  }

  /**
   * The rest of a chain whose link `target` is outside the namespace: forwarded, after the links
   * so far; REFUSED with the reason when there are no forwarders. Not reused (forwarded answers
   * are not cached, see forward).
   */
  private async forwardRest(target: string, type: number, answer: RR[], proofs: RR[], stale: boolean): Promise<Resolution> {
    if (this.o.forwarders.length === 0) {
      this.stats.refused++;
      return { rcode: Rcode.REFUSED, answer: [], authority: [], stale, reason: `the CNAME target ${target} is outside ${this.o.hints.zone} and no forwarders are set` };
    }
    const r = await this.forward(target, type);
    // Its reason kept as it is: it is what names the EDE (No Reachable Authority, resolver-handler.ts).
    if (r.rcode === Rcode.SERVFAIL) return { ...r, stale };
    return { rcode: r.rcode, answer: [...answer, ...r.answer], authority: [...proofs, ...r.authority], stale };
  }

  /** Names outside the namespace go to the configured resolvers, RD=1, first that answers. */
  private async forward(name: string, type: number): Promise<Resolution> {
    this.stats.forwarded++;
    const reasons: string[] = [];
    const q = encodeQuery(name, type, { rd: true });
    for (const f of this.o.forwarders) {
      // Forwarders are upstream servers too: counted and timed beside the authoritative ones.
      const upstream = this.metrics?.upstream(f.address);
      if (upstream !== undefined) this.metrics!.upstreamQueries.inc({ upstream });
      try {
        const opts = { timeout: this.o.timeout, signal: this.controller.signal, udp: this.o.upstreamUdp };
        const r = f.tls ? await (this.dot ??= new DotClient()).exchange(f, q, opts) : await exchange(f, q, opts);
        if (upstream !== undefined) this.metrics!.upstreamRtt.observe({ upstream }, r.rtt / 1000);
        const m = r.message;
        if (m.rcode === Rcode.SERVFAIL || m.rcode === Rcode.REFUSED) {
          reasons.push(`${f.address}: rcode ${m.rcode}`);
          continue;
        }
        return { rcode: m.rcode, answer: m.answers, authority: m.authority, stale: false };
      } catch (err) {
        if (upstream !== undefined && err instanceof TransportError && err.code === 'ERR_TRANSPORT_TIMEOUT') this.metrics!.upstreamTimeouts.inc({ upstream });
        reasons.push(`${f.address}: ${(err as Error).message}`);
      }
    }
    return { rcode: Rcode.SERVFAIL, answer: [], authority: [], stale: false, reason: `no forwarder answered (${reasons.join('; ')})` };
  }
}

