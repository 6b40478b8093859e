// The authoritative server's endpoint health (`aop serve --health-probe`): every interval, each
// MCP endpoint the served agent records name is probed (initialize + ping, probe.ts); `fall`
// failures in a row mark it down, `rise` successes in a row up again (HAProxy's and PowerDNS's
// rule, so one lost probe does not flap the answers). Endpoints start up: until probed, nothing
// is left out. A change of state is told to `onChange` (the daemon drops its stored answers).

import { OriginPools } from '../mcp/http.js';
import { trustedCas } from '../mcp/handoff/trust.js';
import { silentLogger, type Logger } from '../base/log.js';
import { AopError } from '../base/errors.js';
import type { RRset } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { healthySubset } from './filter.js';
import { probeEndpoint, type ProbeResult } from '../mcp/probe.js';
import type { ProbeTarget } from './targets.js';

export interface HealthOptions {
  /** Milliseconds from the end of one round of probes to the start of the next. */
  intervalMs: number;
  /** Milliseconds one probe (connect, initialize, ping) may take. */
  timeoutMs: number;
  /** Failed probes in a row that mark an endpoint down. */
  fall: number;
  /** Answered probes in a row that mark a down endpoint up again. */
  rise: number;
}

export const DEFAULT_HEALTH: Readonly<HealthOptions> = { intervalMs: 10_000, timeoutMs: 3000, fall: 3, rise: 2 };

export class HealthConfigError extends AopError {
  declare readonly code: 'ERR_HEALTH_CONFIG';
  constructor(message: string) {
    super('ERR_HEALTH_CONFIG', message);
  }
}

/** The options checked: whole numbers in range, else HealthConfigError naming the one that is not. */
export function checkHealthOptions(o: HealthOptions): HealthOptions {
  const want = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new HealthConfigError(`health ${name} ${String(v)} is not a whole number in ${min}..${max}`);
  };
  want('interval', o.intervalMs, 100, 86_400_000);
  want('timeout', o.timeoutMs, 10, 600_000);
  want('fall', o.fall, 1, 100);
  want('rise', o.rise, 1, 100);
  return o;
}

export type EndpointHealth = 'up' | 'down';

export interface EndpointStatus {
  url: string;
  agents: string[];
  state: EndpointHealth;
  /** Probes in a row with the last result. */
  streak: number;
  last?: ProbeResult & { at: number };
}

interface Entry {
  target: ProbeTarget;
  state: EndpointHealth;
  failures: number;
  successes: number;
  last?: ProbeResult & { at: number };
}

/** Probes at once in a round: enough to overlap slow endpoints, not a flood. */
const CONCURRENCY = 16;

export interface MonitorOptions extends HealthOptions {
  /** The endpoints to probe now (asked every round: zones reload and change). */
  targets: () => ProbeTarget[];
  logger?: Logger;
  /** CA certificates (PEM) to trust besides the system roots: the local CA of the https demo agents. */
  ca?: string;
  version?: string;
}

export class HealthMonitor {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: Array<(s: EndpointStatus) => void> = [];
  private readonly probeListeners: Array<(s: EndpointStatus) => void> = [];
  private readonly log: Logger;
  private pools: OriginPools;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private readonly abort = new AbortController();
  /** Probes made, answered and failed; rounds finished; state changes. */
  readonly counts = { probes: 0, ok: 0, failed: 0, rounds: 0, changes: 0 };

  constructor(private readonly opts: MonitorOptions) {
    checkHealthOptions(opts);
    this.log = opts.logger ?? silentLogger;
    this.pools = this.makePools(opts.ca);
  }

  private makePools(ca: string | undefined): OriginPools {
    return new OriginPools({ connectTimeoutMs: this.opts.timeoutMs, keepAliveMs: Math.min(60_000, this.opts.intervalMs * 2), ...(ca !== undefined ? { ca: trustedCas(ca) } : {}) });
  }

  /** Trust this CA (PEM) from the next probe on: the local CA, known once the demo agents run. */
  trust(ca: string): void {
    const old = this.pools;
    this.pools = this.makePools(ca);
    void old.close();
  }

  /** Called on every change of an endpoint's state. */
  onChange(fn: (s: EndpointStatus) => void): void {
    this.listeners.push(fn);
  }

  /** Called after every probe (tests wait on it). */
  onProbe(fn: (s: EndpointStatus) => void): void {
    this.probeListeners.push(fn);
  }

  /** Probe now and every interval after, until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = (): void => {
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(loop, this.opts.intervalMs);
        this.timer.unref();
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
    await this.pools.close();
  }

  /** The state of the endpoint at `url`; undefined when it is not probed. */
  stateOf(url: string): EndpointHealth | undefined {
    return this.entries.get(url)?.state;
  }

  /** Whether the endpoint at `url` is known down (never for one that is not probed). */
  isDown(url: string): boolean {
    return this.entries.get(url)?.state === 'down';
  }

  /** Every probed endpoint and its state. */
  status(): EndpointStatus[] {
    return [...this.entries.values()].map((e) => this.statusOf(e));
  }

  /** Endpoints by state, for the metrics' gauge. */
  stateCounts(): Record<EndpointHealth, number> {
    const out: Record<EndpointHealth, number> = { up: 0, down: 0 };
    for (const e of this.entries.values()) out[e.state]++;
    return out;
  }

  /** The authority's filter (authority/answer.ts RRsetFilter): SVCB sets less their endpoints that are down. */
  filter(_zone: Zone, set: RRset): readonly Buffer[] | undefined {
    if (set.type !== RRType.SVCB || this.entries.size === 0) return undefined;
    return healthySubset(set, (url) => this.isDown(url));
  }

  private statusOf(e: Entry): EndpointStatus {
    return { url: e.target.url, agents: [...e.target.agents], state: e.state, streak: e.state === 'up' ? e.successes : e.failures, ...(e.last ? { last: e.last } : {}) };
  }

  /** One round: the targets read afresh (gone ones forgotten), each probed once. */
  async round(): Promise<void> {
    const targets = this.opts.targets();
    const now = new Set(targets.map((t) => t.url));
    for (const url of [...this.entries.keys()]) {
      if (now.has(url)) continue;
      const gone = this.entries.get(url)!;
      this.entries.delete(url);
      // A down endpoint that left the zones no longer filters anything: that is a change too.
      if (gone.state === 'down') this.changed({ ...this.statusOf(gone), state: 'up' });
    }
    for (const t of targets) {
      const e = this.entries.get(t.url);
      if (e === undefined) this.entries.set(t.url, { target: t, state: 'up', failures: 0, successes: 0 });
      else e.target = t;
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length && !this.abort.signal.aborted) {
        const t = targets[next++]!;
        const r = await probeEndpoint(t, { pools: this.pools, timeoutMs: this.opts.timeoutMs, clientInfo: { name: 'aop-health', version: this.opts.version ?? '0.0.0' }, signal: this.abort.signal });
        if (this.abort.signal.aborted) return;
        this.record(t.url, r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
    this.counts.rounds++;
  }

  private record(url: string, r: ProbeResult): void {
    const e = this.entries.get(url);
    if (e === undefined) return;
    this.counts.probes++;
    e.last = { ...r, at: Date.now() };
    if (r.ok) {
      this.counts.ok++;
      e.successes++;
      e.failures = 0;
      if (e.state === 'down' && e.successes >= this.opts.rise) {
        e.state = 'up';
        this.log.info(`health: ${url} is up again (${e.successes} probes answered; ${e.target.agents.join(', ')})`);
        this.changed(this.statusOf(e));
      }
    } else {
      this.counts.failed++;
      e.failures++;
      e.successes = 0;
      if (e.state === 'up' && e.failures >= this.opts.fall) {
        e.state = 'down';
        this.log.warn(`health: ${url} is down (${e.failures} probes failed, last: ${r.error ?? 'failed'}); left out of the SVCB answers of ${e.target.agents.join(', ')} while another endpoint is up`);
        this.changed(this.statusOf(e));
      }
    }
    const s = this.statusOf(e);
    for (const fn of this.probeListeners) fn(s);
  }

  private changed(s: EndpointStatus): void {
    this.counts.changes++;
    for (const fn of this.listeners) fn(s);
  }
}
