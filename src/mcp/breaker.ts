// A circuit breaker per endpoint URL: open after `threshold` failures in a row, skipped while open,
// one half-open probe after `cooldownMs`; a success closes it, a failed probe opens it again.

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. Default 3. */
  threshold?: number;
  /** Milliseconds an open circuit stays open before one probe is let through. Default 30000. */
  cooldownMs?: number;
  /** Clock in milliseconds; inject in tests. Default Date.now. */
  now?: () => number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

interface Entry {
  failures: number;
  openedAt?: number;
  /** A probe is under way: other calls keep skipping the endpoint until it ends. */
  probing: boolean;
}

export class CircuitBreaker {
  readonly threshold: number;
  readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: BreakerOptions = {}) {
    this.threshold = opts.threshold ?? 3;
    this.cooldownMs = opts.cooldownMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    if (!Number.isInteger(this.threshold) || this.threshold < 1) throw new RangeError(`breaker threshold ${String(opts.threshold)} is not a whole number >= 1`);
    if (!Number.isFinite(this.cooldownMs) || this.cooldownMs < 0) throw new RangeError(`breaker cooldownMs ${String(opts.cooldownMs)} is not a number >= 0`);
  }

  state(key: string): BreakerState {
    const e = this.entries.get(key);
    if (e?.openedAt === undefined) return 'closed';
    return e.probing || this.now() - e.openedAt < this.cooldownMs ? 'open' : 'half-open';
  }

  /**
   * Whether a call may go to the endpoint now. A half-open circuit lets exactly one caller through
   * (the probe) and stays shut for the others until the probe reports.
   */
  allow(key: string): boolean {
    const s = this.state(key);
    if (s === 'closed') return true;
    if (s === 'open') return false;
    this.entries.get(key)!.probing = true;
    return true;
  }

  success(key: string): void {
    this.entries.delete(key);
  }

  failure(key: string): void {
    const e = this.entries.get(key) ?? { failures: 0, probing: false };
    e.failures++;
    if (e.probing || e.failures >= this.threshold) e.openedAt = this.now();
    e.probing = false;
    this.entries.set(key, e);
  }

  /** Endpoints with an entry (failures seen since the last success), by state: the metrics' gauge. */
  counts(): Record<BreakerState, number> {
    const out: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };
    for (const key of this.entries.keys()) out[this.state(key)]++;
    return out;
  }

  /** Milliseconds until an open circuit may be probed (0 when closed or half-open). */
  retryInMs(key: string): number {
    const e = this.entries.get(key);
    if (e?.openedAt === undefined) return 0;
    return Math.max(0, e.openedAt + this.cooldownMs - this.now());
  }
}
