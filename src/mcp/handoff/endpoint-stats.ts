// What the hand-off has seen of each endpoint: how long opening a session took (an exponentially
// weighted average: connect, initialize and tools/list, the round trips that do not depend on the
// tool's own work), when it last answered, and its failures since. Within one SvcPriority the
// endpoints are tried in that light: those without recent failures first, then the fastest
// (RFC 9460 leaves the order within a priority to the client); priorities keep their order.

export interface EndpointRecord {
  url: string;
  /** Weighted average of the session-opening times measured, in ms; absent until one is. */
  latencyMs?: number;
  samples: number;
  /** When (ms of `now`) it last answered, and last failed. */
  lastOk?: number;
  lastFailure?: number;
  lastError?: string;
  /** Failures since the last answer. */
  failures: number;
}

export interface EndpointStatsOptions {
  /** A failure older than this (ms) no longer counts against an endpoint's place. Default 60000. */
  failureWindowMs?: number;
  /** Weight of a new latency sample in the average (0-1]. Default 0.3. */
  alpha?: number;
  /** Endpoints remembered at most (least recently seen forgotten first). Default 1024. */
  max?: number;
  now?: () => number;
}

export class EndpointStats {
  private readonly entries = new Map<string, EndpointRecord>();
  private readonly failureWindowMs: number;
  private readonly alpha: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: EndpointStatsOptions = {}) {
    this.failureWindowMs = opts.failureWindowMs ?? 60_000;
    this.alpha = opts.alpha ?? 0.3;
    this.max = opts.max ?? 1024;
    this.now = opts.now ?? Date.now;
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError(`alpha ${this.alpha} is not in (0, 1]`);
  }

  private entry(url: string): EndpointRecord {
    let e = this.entries.get(url);
    if (e === undefined) {
      e = { url, samples: 0, failures: 0 };
      if (this.entries.size >= this.max) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    } else {
      this.entries.delete(url);
    }
    this.entries.set(url, e);
    return e;
  }

  /** A session opened in `ms`: one latency sample. */
  latency(url: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const e = this.entry(url);
    e.latencyMs = e.latencyMs === undefined ? ms : e.latencyMs + this.alpha * (ms - e.latencyMs);
    e.samples++;
  }

  /** The endpoint answered. */
  success(url: string): void {
    const e = this.entry(url);
    e.lastOk = this.now();
    e.failures = 0;
  }

  /** The endpoint could not be reached (or failed) on every retry of one try. */
  failure(url: string, error?: string): void {
    const e = this.entry(url);
    e.lastFailure = this.now();
    e.failures++;
    if (error !== undefined) e.lastError = error.slice(0, 200);
  }

  get(url: string): EndpointRecord | undefined {
    const e = this.entries.get(url);
    return e === undefined ? undefined : { ...e };
  }

  /** Failures since its last answer, when the last of them is recent; else 0. */
  recentFailures(url: string): number {
    const e = this.entries.get(url);
    if (e === undefined || e.failures === 0 || e.lastFailure === undefined) return 0;
    return this.now() - e.lastFailure < this.failureWindowMs ? e.failures : 0;
  }

  /**
   * `list` (in priority order, as orderEndpoints gives it) with each priority's endpoints
   * reordered: fewest recent failures first, then the lowest measured latency; one not measured
   * yet counts as the fastest, so each endpoint gets measured. Ties keep their order (the
   * weighted shuffle). Does not change its input.
   */
  order<T extends { url: string; priority: number }>(list: readonly T[]): T[] {
    const key = new Map(list.map((e) => [e.url, { f: this.recentFailures(e.url), ms: this.entries.get(e.url)?.latencyMs ?? 0 }]));
    return [...list].sort((a, b) => {
      if (a.priority !== b.priority) return a.priority - b.priority;
      const ka = key.get(a.url)!;
      const kb = key.get(b.url)!;
      return ka.f - kb.f || ka.ms - kb.ms;
    });
  }
}
