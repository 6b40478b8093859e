// The crawler: from the root's delegations (its zone transferred, where the root's server allows
// it) and any organisations given, each organisation's SOA serial checked on a schedule (its
// refresh, clamped), and when the serial moved (or on NOTIFY), its index read and its agents'
// cards and capability documents resolved into the store: by zone transfer where the zone's
// server allows one, else query by query. Every zone spends its own budget (budget.ts); what goes
// wrong is a zone problem with a reason, kept in the store beside the zone.

import type { Progress } from '../base/progress.js';
import { agentName, AgentRecordError, cardFromRecords, orgIndexRoot, type AgentCard } from '../agent/index.js';
import { silentLogger, type Logger } from '../base/log.js';
import { sleep, isAbortError } from '../base/time.js';
import type { DnsLookup } from '../mcp/lookup.js';
import { NetworkLookup } from '../mcp/lookup.js';
import { resolveAgent } from '../mcp/resolve.js';
import type { Server } from '../transport/index.js';
import { isInDomain, nameEquals, nameKey, readName } from '../wire/name.js';
import { formatIPv4 } from '../wire/rdata/addr.js';
import type { RR } from '../wire/rr.js';
import { Rcode, RRType, rcodeToString } from '../wire/types.js';
import { soaTimers } from '../xfr/diff.js';
import { transferIn } from '../xfr/client.js';
import { BudgetError, DEFAULT_BUDGET, ZoneSpend, type ZoneBudget } from './budget.js';
import { capPools, fetchCapability } from './cap-fetch.js';
import { querySource, recordSource, walkIndex, type ZoneProblemNote } from './index-walk.js';
import { agentChanges } from './ixfr-changes.js';
import { recordFromCard, type DirectoryRecord } from './record.js';
import type { DirectoryStore, ZoneState } from './store.js';

export interface CrawlerOptions {
  store: DirectoryStore;
  /** A recursive resolver (or a server holding the zones): SOA, NS, indexes, cards, addresses. */
  lookup: DnsLookup;
  /** The root whose delegations are the organisations (`agents.`); none: only `orgs`. */
  root?: string;
  /** Where the root zone is transferred from; default its NS addresses, port 53. */
  rootServers?: Server[];
  /** Organisations crawled besides the root's delegations. */
  orgs?: string[];
  /** Try AXFR of each organisation's zone before asking name by name (default true). */
  transfer?: boolean;
  /** After a whole transfer, ask IXFR from the serial held and apply the differences (default true, with transfer). */
  ixfr?: boolean;
  /** Where zones are transferred from; default each zone's NS addresses, port 53. */
  transferServers?: (zone: string) => Server[] | undefined;
  budget?: Partial<ZoneBudget>;
  /** Zones crawled at once (default 4). */
  concurrency?: number;
  /** Agents of one zone resolved at once (default 8). */
  agentConcurrency?: number;
  /** Fetch capability documents on loopback addresses (local zones, tests). */
  allowLoopback?: boolean;
  /** CA certificates (PEM) the documents' https servers must chain to; default the system roots. */
  ca?: string[];
  /** A zone's SOA is checked at most this often, NOTIFY or not (ms, default 5000), and at least this often (default 3600000). */
  minRefreshMs?: number;
  maxRefreshMs?: number;
  /** Zones whose serial changes at this many checks in a row are backed off and reported (default 3). */
  churnLimit?: number;
  logger?: Logger;
  now?: () => number;
  /** Counted as zones are done (a terminal line, /readyz, the aop_progress_* gauges). */
  progress?: Progress;
}

export interface ZoneReport {
  zone: string;
  /** unchanged: the serial had not moved; crawled: read again; failed: could not be read. */
  outcome: 'unchanged' | 'crawled' | 'failed' | 'skipped';
  method?: string;
  serial?: number;
  agents: number;
  removed: number;
  problems: ZoneProblemNote[];
  ms: number;
}

export interface CrawlReport {
  zones: ZoneReport[];
  rootProblems: ZoneProblemNote[];
  ms: number;
}

const abs = (n: string): string => (n.endsWith('.') ? n : `${n}.`);
const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();
/** Most problems kept per zone: a million bad agents are one summary, not a million rows. */
const MAX_PROBLEMS = 100;

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export class Crawler {
  private readonly budget: ZoneBudget;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly pools;
  private readonly minRefreshMs: number;
  private readonly maxRefreshMs: number;
  private readonly due = new Set<string>();
  private wake?: () => void;
  private readonly inFlight = new Map<string, Promise<ZoneReport>>();

  constructor(private readonly opts: CrawlerOptions) {
    this.budget = { ...DEFAULT_BUDGET, ...opts.budget };
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.pools = capPools(this.budget.maxDocBytes, opts.ca);
    this.minRefreshMs = opts.minRefreshMs ?? 5000;
    this.maxRefreshMs = opts.maxRefreshMs ?? 3_600_000;
  }

  /** The organisations: the root's delegations, the ones given, the ones crawled before. */
  async organisations(signal?: AbortSignal): Promise<{ zones: string[]; problems: ZoneProblemNote[] }> {
    const problems: ZoneProblemNote[] = [];
    const out = new Set<string>((this.opts.orgs ?? []).map(plain));
    const root = this.opts.root === undefined ? undefined : abs(plain(this.opts.root));
    if (root !== undefined) {
      const servers = this.opts.rootServers ?? await this.nsAddresses(root, signal);
      let got = false;
      for (const server of servers) {
        try {
          const r = await transferIn(server, root, { timeout: 30_000, maxRecords: 10_000_000, ...(signal ? { signal } : {}) });
          if (r.kind !== 'axfr') continue;
          for (const rr of r.records) if (rr.type === RRType.NS && !nameEquals(rr.name, root)) out.add(plain(rr.name));
          got = true;
          break;
        } catch (err) {
          problems.push({ code: (err as { code?: string }).code ?? 'ERR_XFR_NETWORK', message: `root ${plain(root)}: transfer from ${server.address}:${server.port ?? 53}: ${(err as Error).message}` });
        }
      }
      if (!got) {
        // No listing of the root: the organisations known from earlier crawls stay, with the seeds.
        for (const z of this.opts.store.zones()) if (z.zone !== plain(root)) out.add(z.zone);
        if (servers.length === 0) problems.push({ code: 'ERR_DIRECTORY_NO_ROOT', message: `root ${plain(root)}: no name server address to transfer it from; crawling the known organisations only` });
      } else problems.length = 0;
      this.opts.store.setProblems(plain(root), problems.map((p) => ({ ...p, at: this.now() })));
    }
    return { zones: [...out].sort(), problems };
  }

  /** Check every organisation once (crawl those whose serial moved, or `force` all). */
  async crawlOnce(opts: { force?: boolean; signal?: AbortSignal } = {}): Promise<CrawlReport> {
    const started = performance.now();
    const { zones, problems } = await this.organisations(opts.signal);
    const reports: ZoneReport[] = [];
    this.opts.progress?.start(zones.length);
    await mapLimit(zones, this.opts.concurrency ?? 4, async (zone) => {
      reports.push(await this.counted(this.checkZone(zone, { ...opts, force: opts.force ?? true })));
    });
    this.opts.progress?.finish();
    reports.sort((a, b) => (a.zone < b.zone ? -1 : 1));
    return { zones: reports, rootProblems: problems, ms: performance.now() - started };
  }

  /** The organisations of the last round of run() (what a NOTIFY may be about). */
  private known = new Set<string>();

  /** Whether `zone` is one the crawler keeps (run()'s last listing, or the store's). */
  knows(zone: string): boolean {
    const z = plain(zone);
    return this.known.has(z) || (this.opts.orgs ?? []).some((o) => plain(o) === z) || this.opts.store.zone(z) !== undefined;
  }

  /** Ask for a check of `zone` soon (NOTIFY): at most once per minRefreshMs. */
  notify(zone: string): void {
    this.due.add(plain(zone));
    this.wake?.();
  }

  /**
   * Keep the store current until `signal` aborts: each zone's SOA checked when due (its refresh,
   * clamped to minRefreshMs..maxRefreshMs), sooner on notify(); the root read again at each round.
   */
  async run(signal: AbortSignal, onRound?: (r: ZoneReport[]) => void): Promise<void> {
    let listed: { at: number; zones: string[] } | undefined;
    // The root's listing is read again every few minutes, not at every round.
    const rootEvery = Math.max(this.minRefreshMs, Math.min(300_000, this.maxRefreshMs));
    while (!signal.aborted) {
      try {
        if (listed === undefined || this.now() - listed.at >= rootEvery) listed = { at: this.now(), zones: (await this.organisations(signal)).zones };
        const zones = listed.zones;
        this.known = new Set(zones);
        const now = this.now();
        const dueZones = zones.filter((z) => this.due.has(z) || (this.opts.store.zone(z)?.next ?? 0) <= now);
        for (const z of dueZones) this.due.delete(z);
        const reports: ZoneReport[] = [];
        if (dueZones.length > 0) this.opts.progress?.start(dueZones.length);
        // A NOTIFY that comes during the round goes before the zones still waiting in it: a round of
        // a thousand SOA checks must not hold the one zone that said it changed.
        // A zone checked earlier in the round and notified since is checked again (the NOTIFY came
        // after that check); one in flight is not taken twice.
        const taken = new Set<string>();
        const inFlight = new Set<string>();
        let at = 0;
        const nextZone = (): string | undefined => {
          for (const z of this.due) {
            if (this.known.has(z) && !inFlight.has(z)) { this.due.delete(z); return z; }
          }
          while (at < dueZones.length) {
            const z = dueZones[at++]!;
            if (!taken.has(z)) return z;
          }
          return undefined;
        };
        const again: string[] = [];
        await Promise.all(Array.from({ length: Math.max(1, this.opts.concurrency ?? 4) }, async () => {
          for (let zone = nextZone(); zone !== undefined; zone = nextZone()) {
            taken.add(zone);
            inFlight.add(zone);
            const r = await this.counted(this.checkZone(zone, { signal, spaced: true })).finally(() => inFlight.delete(zone));
            // A NOTIFY within minRefreshMs of the last check waits for the next round, not forgotten.
            if (r.outcome === 'skipped') again.push(zone);
            else reports.push(r);
          }
        }));
        for (const z of again) this.due.add(z);
        if (dueZones.length > 0) this.opts.progress?.finish();
        if (reports.length > 0) onRound?.(reports);
        const next = Math.min(...zones.map((z) => this.opts.store.zone(z)?.next ?? now + this.minRefreshMs), now + this.maxRefreshMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, this.due.size > 0 ? this.minRefreshMs / 5 : Math.max(this.minRefreshMs / 5, next - this.now()));
          function done(): void { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); }
          this.wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
        this.wake = undefined;
      } catch (err) {
        if (signal.aborted || isAbortError(err)) return;
        this.log.warn(`directory: crawl round failed: ${(err as Error).message}`);
        await sleep(this.minRefreshMs, signal).catch(() => undefined);
      }
    }
  }

  /** A zone's check counted in the progress when it ends. */
  private async counted(p: Promise<ZoneReport>): Promise<ZoneReport> {
    const r = await p;
    this.opts.progress?.step(r.agents, r.problems.length + (r.outcome === 'failed' ? 1 : 0));
    return r;
  }

  /**
   * One zone: its SOA, and when its serial moved (or `force`), a crawl. One check of a zone at a
   * time. `spaced` (the run loop's, NOTIFY's): skipped within minRefreshMs of the last check.
   */
  checkZone(zone: string, opts: { force?: boolean; signal?: AbortSignal; spaced?: boolean } = {}): Promise<ZoneReport> {
    const z = plain(zone);
    let p = this.inFlight.get(z);
    if (p === undefined) {
      p = this.check(z, opts).finally(() => this.inFlight.delete(z));
      this.inFlight.set(z, p);
    }
    return p;
  }

  private async check(zone: string, opts: { force?: boolean; signal?: AbortSignal; spaced?: boolean }): Promise<ZoneReport> {
    const started = performance.now();
    const store = this.opts.store;
    const prev = store.zone(zone);
    const now = this.now();
    const report = (outcome: ZoneReport['outcome'], rest: Partial<ZoneReport> = {}): ZoneReport => ({ zone, outcome, agents: 0, removed: 0, problems: [], ms: performance.now() - started, ...rest });
    if (opts.spaced && !opts.force && prev?.checked !== undefined && now - prev.checked < this.minRefreshMs) return report('skipped', { agents: prev.agents ?? 0 });
    const soa = await this.soa(zone, opts.signal);
    if ('problem' in soa) {
      const problems = [soa.problem];
      store.setProblems(zone, problems.map((p) => ({ ...p, at: now })));
      store.setZone({ ...(prev ?? { zone }), zone, checked: now, next: now + this.clamp(900_000) });
      return report('failed', { problems });
    }
    const refreshMs = this.clamp(soa.refresh * 1000);
    if (!opts.force && prev?.serial === soa.serial) {
      store.confirm(zone, now);
      store.setZone({ ...prev, checked: now, next: now + refreshMs, churn: 0 });
      return report('unchanged', { serial: soa.serial, agents: prev.agents ?? 0 });
    }
    // A zone whose serial moves at every check is backed off (and said so), so it cannot keep the crawler busy.
    const churn = prev?.serial !== undefined && prev.serial !== soa.serial && prev.changed !== undefined && now - prev.changed < refreshMs * 2 ? (prev.churn ?? 0) + 1 : 0;
    const problems: ZoneProblemNote[] = [];
    if (churn >= (this.opts.churnLimit ?? 3)) problems.push({ code: 'ERR_DIRECTORY_CHURN', message: `${zone}: its serial changed at ${churn} checks in a row; checked less often (every ${Math.round(Math.min(this.maxRefreshMs, refreshMs * 2 ** churn) / 1000)} s)` });
    const spend = new ZoneSpend(zone, this.budget);
    let result: ZoneRead;
    try {
      result = await this.crawlZone(zone, soa, prev, spend, problems, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      problems.push({ code: (err as { code?: string }).code ?? 'ERR_DIRECTORY_CRAWL', message: `${zone}: ${(err as Error).message}` });
      store.setProblems(zone, this.cap(problems).map((p) => ({ ...p, at: now })));
      store.setZone({ ...(prev ?? { zone }), zone, checked: now, next: now + refreshMs });
      return report('failed', { problems });
    }
    let removed = 0;
    if (result.incremental !== undefined) {
      // IXFR: the agents it removed, then the ones it changed; the others' rows stay as they are.
      // Removed first, each in its own write: a crash between leaves the serial held, and the
      // same differences are asked and applied again.
      for (const name of result.incremental.removed) if (store.remove(name)) removed++;
      const agents = Math.max(0, (prev?.agents ?? 0) - removed + result.incremental.added);
      const kept = problems.length > 0 ? store.problems(10_000).filter((p) => p.zone === zone) : [];
      store.transaction(() => {
        store.upsert(result.records, store.beginCrawl(zone));
        // The agents the differences did not touch are as the zone's new serial has them.
        store.confirm(zone, now);
        if (problems.length > 0) store.setProblems(zone, this.cap([...kept, ...problems]).map((p) => ({ at: now, ...p })));
        store.setZone({ ...prev, zone, serial: soa.serial, method: result.method, ...(result.server !== undefined ? { server: result.server } : {}), checked: now, changed: now, next: now + refreshMs, agents, churn });
      });
      this.log.info(`directory: ${zone} serial ${prev?.serial} -> ${soa.serial} by ixfr: ${result.records.length} agents added or changed${removed > 0 ? `, ${removed} removed` : ''}`);
      return report('crawled', { method: result.method, serial: soa.serial, agents, removed, problems });
    }
    store.transaction(() => {
      const crawl = store.beginCrawl(zone);
      store.upsert(result.records, crawl);
      // Only a whole read may remove agents: a crawl cut short keeps what it did not reach.
      if (result.complete) removed = store.finishCrawl(zone, crawl);
      store.setProblems(zone, this.cap(problems).map((p) => ({ ...p, at: now })));
      store.setZone({
        // Only a whole read is one IXFR may start from later.
        zone, serial: soa.serial, method: result.complete || result.method !== 'axfr' ? result.method : 'axfr-partial', ...(result.server !== undefined ? { server: result.server } : {}),
        checked: now, changed: now, next: now + Math.min(this.maxRefreshMs, refreshMs * 2 ** Math.max(0, churn - (this.opts.churnLimit ?? 3) + 1)),
        agents: result.records.length, churn,
      });
    });
    this.log.info(`directory: ${zone} serial ${soa.serial}: ${result.records.length} agents by ${result.method}${removed > 0 ? `, ${removed} removed` : ''}${problems.length > 0 ? `, ${problems.length} problems` : ''}`);
    return report('crawled', { method: result.method, serial: soa.serial, agents: result.records.length, removed, problems });
  }

  private cap(problems: ZoneProblemNote[]): ZoneProblemNote[] {
    if (problems.length <= MAX_PROBLEMS) return problems;
    return [...problems.slice(0, MAX_PROBLEMS - 1), { code: 'ERR_DIRECTORY_MORE_PROBLEMS', message: `and ${problems.length - MAX_PROBLEMS + 1} more problems` }];
  }

  private clamp(ms: number): number {
    return Math.max(this.minRefreshMs, Math.min(this.maxRefreshMs, ms));
  }

  private async soa(zone: string, signal?: AbortSignal): Promise<{ serial: number; refresh: number; security?: string; rr: RR } | { problem: ZoneProblemNote }> {
    const owner = abs(zone);
    try {
      const r = await this.opts.lookup.query(owner, RRType.SOA, signal);
      if (r.rcode !== Rcode.NOERROR) return { problem: { code: 'ERR_LOOKUP_FAILED', message: `${zone} SOA: ${this.opts.lookup.source ?? 'the DNS server'} answered ${rcodeToString(r.rcode)}` } };
      const rr = r.answers.find((x) => x.type === RRType.SOA && nameEquals(x.name, owner));
      if (rr === undefined) return { problem: { code: 'ERR_DIRECTORY_NOT_A_ZONE', message: `${zone}: no SOA at the name: not a zone (its index is read only where a zone begins)` } };
      const t = soaTimers(rr);
      return { serial: t.serial, refresh: t.refresh, rr, ...(r.security !== undefined ? { security: r.security } : {}) };
    } catch (err) {
      if (signal?.aborted) throw err;
      return { problem: { code: 'ERR_LOOKUP_FAILED', message: `${zone} SOA: ${(err as Error).message}` } };
    }
  }

  private async nsAddresses(zone: string, signal?: AbortSignal): Promise<Server[]> {
    const out: Server[] = [];
    try {
      const ns = await this.opts.lookup.query(abs(zone), RRType.NS, signal);
      const names = ns.answers.filter((r) => r.type === RRType.NS && nameEquals(r.name, abs(zone))).map((r) => readName(r.rdata, 0).name);
      for (const n of names.slice(0, 8)) {
        const glue = [...ns.additional].filter((r) => r.type === RRType.A && nameEquals(r.name, n));
        const a = glue.length > 0 ? glue : (await this.opts.lookup.query(n, RRType.A, signal)).answers.filter((r) => r.type === RRType.A && nameEquals(r.name, n));
        for (const rr of a) if (rr.rdata.length === 4) out.push({ address: formatIPv4(rr.rdata), port: 53 });
      }
    } catch (err) {
      if (signal?.aborted) throw err;
    }
    return out;
  }

  /** The zone's agents: by IXFR from the serial held, by transfer when allowed, else query by query. */
  private async crawlZone(zone: string, soa: { serial: number; security?: string; rr: RR }, prev: ZoneState | undefined, spend: ZoneSpend, problems: ZoneProblemNote[], signal?: AbortSignal): Promise<ZoneRead> {
    if (this.opts.transfer !== false) {
      const servers = this.opts.transferServers?.(zone) ?? await this.nsAddresses(zone, signal);
      const fromIxfr = await this.ixfr(zone, soa, prev, servers, spend, problems, signal);
      if (fromIxfr !== undefined) return fromIxfr;
      for (const server of servers.slice(0, 4)) {
        let records: RR[];
        try {
          await spend.step(signal);
          // Records bounded by the zone's agent budget (an agent is a handful of records).
          const r = await transferIn(server, abs(zone), { timeout: Math.min(this.budget.maxMs, 120_000), maxRecords: this.budget.maxAgents * 16 + 1000, ...(signal ? { signal } : {}) });
          if (r.kind !== 'axfr') continue;
          records = r.records;
        } catch (err) {
          if (signal?.aborted) throw err;
          const code = (err as { code?: string }).code;
          // A refusal is the operator's choice, not a fault: the zone is read by queries instead.
          if (code === 'ERR_XFR_TOO_LARGE') problems.push({ code: 'ERR_DIRECTORY_TOO_MANY_AGENTS', message: `${zone}: the zone transfer from ${server.address} has more records than the budget allows (${(err as Error).message}); reading by queries` });
          else if (code !== 'ERR_XFR_REFUSED') this.log.debug(`directory: ${zone}: transfer from ${server.address}:${server.port ?? 53}: ${(err as Error).message}`);
          continue;
        }
        const where = `${server.address}:${server.port ?? 53}`;
        const got = await this.fromTransfer(zone, records, soa, where, spend, problems, signal);
        return { ...got, method: 'axfr', server: where };
      }
    }
    const got = await this.fromQueries(zone, soa, spend, problems, signal);
    return { ...got, method: 'queries', server: this.opts.lookup.source ?? 'the resolver' };
  }

  /**
   * IXFR from the serial held, from the server the zone was last transferred from, when the last
   * read was a whole transfer (or an IXFR on one). Undefined: read the zone whole (no history
   * there, an error, a full-zone answer that did not fit, or changes that cannot be applied agent
   * by agent), as a secondary falls back to AXFR.
   */
  private async ixfr(zone: string, soa: { serial: number; security?: string; rr: RR }, prev: ZoneState | undefined, servers: Server[], spend: ZoneSpend, problems: ZoneProblemNote[], signal?: AbortSignal): Promise<ZoneRead | undefined> {
    if (this.opts.ixfr === false || prev?.serial === undefined || prev.serial === soa.serial || prev.server === undefined || (prev.method !== 'axfr' && prev.method !== 'ixfr')) return undefined;
    const server = servers.find((s) => `${s.address}:${s.port ?? 53}` === prev.server);
    if (server === undefined) return undefined;
    const where = prev.server;
    // Our SOA as the query's authority record: the zone's, with the serial we hold (RFC 1995 3).
    const rdata = Buffer.from(soa.rr.rdata);
    rdata.writeUInt32BE(prev.serial, rdata.length - 20);
    const whole = (why: string): undefined => {
      this.log.debug(`directory: ${zone}: IXFR from ${where} (serial ${prev.serial}): ${why}; reading the zone whole`);
      return undefined;
    };
    let r;
    try {
      await spend.step(signal);
      r = await transferIn(server, abs(zone), { from: { ...soa.rr, rdata }, timeout: Math.min(this.budget.maxMs, 120_000), maxRecords: this.budget.maxAgents * 16 + 1000, ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw err;
      return whole((err as Error).message);
    }
    if (r.kind === 'current') return whole(`the server holds serial ${soaTimers(r.soa).serial}, not newer than ours`);
    if (r.kind === 'axfr') {
      // The server sent the whole zone (no history back to our serial): read as an AXFR.
      const got = await this.fromTransfer(zone, r.records, soa, where, spend, problems, signal);
      return { ...got, method: 'axfr', server: where };
    }
    const changes = agentChanges(zone, r.diffs, (n) => this.opts.store.get(n)?.org === zone);
    if ('whole' in changes) return whole(changes.whole);
    if (changes.agents.length + changes.removed.length > Math.max(64, (prev.agents ?? 0) / 4)) return whole(`${changes.agents.length + changes.removed.length} agents changed: a whole transfer costs less`);
    // The changed agents asked of the server that sent the differences (a resolver may hold the old answers).
    const direct = new NetworkLookup({ address: server.address, port: server.port ?? 53 }, { timeoutMs: 5000 });
    if (changes.txtIndex) {
      // The TXT index (DNS-AID's) is read only where the index has no PTR: then it lists the agents.
      try {
        await spend.step(signal);
        const ptr = await direct.query(orgIndexRoot(zone), RRType.PTR, signal);
        if (!ptr.answers.some((a) => a.type === RRType.PTR)) return whole('the TXT index changed, and the index has no PTR');
      } catch (err) {
        if (signal?.aborted) throw err;
        return whole(`the index's PTR: ${(err as Error).message}`);
      }
    }
    const mine: ZoneProblemNote[] = [];
    const got = await this.resolveNames(zone, changes.agents, soa, spend, mine, signal, { lookup: direct, server: where });
    // An agent that could not be read: its old row would stay as if current; read the zone whole.
    if (!got.complete || mine.some((p) => p.code.startsWith('ERR_LOOKUP_') || p.code.startsWith('ERR_HANDOFF_') || p.code === 'ERR_NO_AGENT_RECORD')) {
      return whole(`${mine.length} of the ${changes.agents.length} changed agents could not be read (${mine[0]?.message ?? 'budget'})`);
    }
    problems.push(...mine);
    const added = changes.agents.filter((n) => this.opts.store.get(n)?.org !== zone).length;
    return { records: got.records, complete: true, method: 'ixfr', server: where, incremental: { removed: changes.removed, added } };
  }

  private async fromTransfer(zone: string, records: RR[], soa: { serial: number; security?: string }, server: string, spend: ZoneSpend, problems: ZoneProblemNote[], signal?: AbortSignal): Promise<{ records: DirectoryRecord[]; complete: boolean }> {
    const byOwner = new Map<string, RR[]>();
    for (const rr of records) {
      const k = nameKey(rr.name);
      let l = byOwner.get(k);
      if (l === undefined) byOwner.set(k, (l = []));
      l.push(rr);
    }
    // A transfer walks from memory: no rate to wait for.
    const index = await walkIndex(recordSource(byOwner), zone, new ZoneSpend(zone, { ...spend.budget, ratePerSecond: 1e9 }), signal);
    problems.push(...index.problems);
    const out: DirectoryRecord[] = [];
    const viaQueries: string[] = [];
    for (const name of index.names) {
      const own = byOwner.get(nameKey(abs(name))) ?? [];
      // Aliases and names outside the zone's data (CNAME, AliasMode, a delegated child) are resolved by queries.
      if (own.some((r) => r.type === RRType.CNAME) || own.length === 0 || own.some((r) => r.type === RRType.SVCB && r.rdata.readUInt16BE(0) === 0)) {
        viaQueries.push(name);
        continue;
      }
      let card: AgentCard;
      try {
        const related = [...own, ...(byOwner.get(nameKey(`_agent.${abs(name)}`)) ?? [])];
        const first = cardFromRecords(agentName(name), related, { zone: abs(zone), dnsAid: true });
        for (const e of first.endpoints) {
          if (!isInDomain(abs(e.host), abs(zone))) continue;
          related.push(...(byOwner.get(nameKey(abs(e.host))) ?? []).filter((r) => r.type === RRType.A || r.type === RRType.AAAA));
        }
        card = cardFromRecords(agentName(name), related, { zone: abs(zone), dnsAid: true });
      } catch (err) {
        problems.push({ code: err instanceof AgentRecordError ? 'ERR_NO_AGENT_RECORD' : 'ERR_DIRECTORY_CRAWL', message: `${name}: ${(err as Error).message}` });
        continue;
      }
      // The transfer is not validated here: the zone's SOA as the resolver judged it speaks for its records.
      if (soa.security !== undefined) card.dnssec = { state: soa.security as 'secure', records: [] };
      try {
        out.push(await this.withDocument(card, name, zone, { server, zone, serial: soa.serial }, spend, problems, signal));
      } catch (err) {
        if (!(err instanceof BudgetError)) throw err;
        problems.push({ code: err.code, message: err.message });
        return { records: out, complete: false };
      }
    }
    const rest = await this.resolveNames(zone, viaQueries, soa, spend, problems, signal);
    out.push(...rest.records);
    return { records: out, complete: rest.complete && !index.problems.some((p) => p.code.startsWith('ERR_DIRECTORY_'))};
  }

  private async fromQueries(zone: string, soa: { serial: number }, spend: ZoneSpend, problems: ZoneProblemNote[], signal?: AbortSignal): Promise<{ records: DirectoryRecord[]; complete: boolean }> {
    const index = await walkIndex(querySource(this.opts.lookup), zone, spend, signal);
    problems.push(...index.problems);
    const failed = index.problems.some((p) => p.code.startsWith('ERR_LOOKUP_') || p.code.startsWith('ERR_DIRECTORY_'));
    const rest = await this.resolveNames(zone, index.names, soa, spend, problems, signal);
    return { records: rest.records, complete: rest.complete && !failed };
  }

  private async resolveNames(zone: string, names: string[], soa: { serial: number; security?: string }, spend: ZoneSpend, problems: ZoneProblemNote[], signal?: AbortSignal, via?: { lookup: DnsLookup; server: string }): Promise<{ records: DirectoryRecord[]; complete: boolean }> {
    const out: DirectoryRecord[] = [];
    let stopped: BudgetError | undefined;
    const lookup = via?.lookup ?? this.opts.lookup;
    const source = { server: via?.server ?? this.opts.lookup.source ?? 'the resolver', zone, serial: soa.serial };
    await mapLimit(names, this.opts.agentConcurrency ?? 8, async (name) => {
      if (stopped) return;
      try {
        await spend.step(signal);
        const resolved = await resolveAgent(lookup, name, signal ? { signal } : {});
        // Read from the zone's own server (IXFR): the zone's SOA as the resolver judged it speaks for it, as for a transfer.
        if (via !== undefined && soa.security !== undefined) resolved.card.dnssec = { state: soa.security as 'secure', records: [] };
        out.push(await this.withDocument(resolved.card, name, zone, source, spend, problems, signal));
      } catch (err) {
        if (err instanceof BudgetError) { stopped ??= err; return; }
        if (signal?.aborted) throw err;
        problems.push({ code: (err as { code?: string }).code ?? 'ERR_LOOKUP_FAILED', message: `${name}: ${(err as Error).message}` });
      }
    });
    if (stopped) problems.push({ code: stopped.code, message: stopped.message });
    return { records: out, complete: stopped === undefined };
  }

  private async withDocument(card: AgentCard, listedAs: string, zone: string, source: DirectoryRecord['source'], spend: ZoneSpend, problems: ZoneProblemNote[], signal?: AbortSignal): Promise<DirectoryRecord> {
    const got = await fetchCapability(card, spend, { lookup: this.opts.lookup, pools: this.pools, allowLoopback: this.opts.allowLoopback ?? false, ...(signal ? { signal } : {}) });
    if (got.problem) problems.push(got.problem);
    return recordFromCard(card, zone, { ...(got.doc ? { doc: got.doc } : {}), capCheck: got.check, source, confirmedAt: this.now(), listedAs });
  }

  async close(): Promise<void> {
    await this.pools.close();
  }
}

export type { ZoneState };

/** A zone as read: its agents, whether that is all of them, how and from where; an IXFR's removals. */
interface ZoneRead {
  records: DirectoryRecord[];
  complete: boolean;
  method: string;
  server?: string;
  /** Read by IXFR: `records` are the agents added or changed only; these went; `added` of them are new. */
  incremental?: { removed: string[]; added: number };
}
