// What one zone may cost a crawl: agents, bytes of capability documents, DNS queries a second,
// time. Each zone has its own, so a hostile organisation (an index of a million names, documents
// of megabytes, a server that answers slowly) spends its own budget and not the others'. A breach
// stops that zone's crawl and is recorded as a zone problem with the reason.

import { AopError } from '../base/errors.js';
import { sleep } from '../base/time.js';

export interface ZoneBudget {
  /** Most agents read from one zone's index (default 100000). */
  maxAgents: number;
  /** Most bytes of capability documents fetched for one zone per crawl (default 64 MiB). */
  maxBytes: number;
  /** Largest capability document (default 256000, dns-aid-core's limit). */
  maxDocBytes: number;
  /** DNS queries and fetches a second for one zone (default 200). */
  ratePerSecond: number;
  /** Milliseconds one zone's crawl may take (default 600000). */
  maxMs: number;
  /** Most index pages (sub-index names) read for one zone (default 10000). */
  maxPages: number;
}

export const DEFAULT_BUDGET: Readonly<ZoneBudget> = {
  maxAgents: 100_000, maxBytes: 64 * 1024 * 1024, maxDocBytes: 256_000, ratePerSecond: 200, maxMs: 600_000, maxPages: 10_000,
};

/** The zone problem codes a crawl records (docs/errors.md, "Directory"). */
export type BudgetCode = 'ERR_DIRECTORY_TOO_MANY_AGENTS' | 'ERR_DIRECTORY_TOO_MANY_BYTES' | 'ERR_DIRECTORY_ZONE_TIMEOUT' | 'ERR_DIRECTORY_TOO_MANY_PAGES';

/** A zone spent its budget: its crawl stops here; what was read so far is kept. */
export class BudgetError extends AopError {
  declare readonly code: BudgetCode;
  constructor(code: BudgetCode, message: string) {
    super(code, message);
  }
}

/** A token bucket: `rate` a second, bursts of up to `rate` (at least 1). */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  constructor(private readonly rate: number, private readonly now: () => number = () => performance.now()) {
    this.burst = Math.max(1, rate);
    this.tokens = this.burst;
    this.last = now();
  }

  /** Wait for one token. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const t = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
      this.last = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000), signal);
    }
  }
}

/** One zone's spending during one crawl. */
export class ZoneSpend {
  agents = 0;
  bytes = 0;
  pages = 0;
  readonly limiter: RateLimiter;
  private readonly started: number;

  constructor(readonly zone: string, readonly budget: ZoneBudget, private readonly now: () => number = () => performance.now()) {
    this.limiter = new RateLimiter(budget.ratePerSecond, now);
    this.started = now();
  }

  /** Throws BudgetError once the zone's time is up. */
  checkTime(): void {
    if (this.now() - this.started > this.budget.maxMs) throw new BudgetError('ERR_DIRECTORY_ZONE_TIMEOUT', `${this.zone}: the crawl took more than ${this.budget.maxMs} ms; the rest is left for the next crawl`);
  }

  /** One more query or fetch: waits for the zone's rate, then checks its time. */
  async step(signal?: AbortSignal): Promise<void> {
    this.checkTime();
    await this.limiter.take(signal);
  }

  page(): void {
    if (++this.pages > this.budget.maxPages) throw new BudgetError('ERR_DIRECTORY_TOO_MANY_PAGES', `${this.zone}: its index has more than ${this.budget.maxPages} pages; the rest ignored`);
  }

  spendBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.budget.maxBytes) throw new BudgetError('ERR_DIRECTORY_TOO_MANY_BYTES', `${this.zone}: its capability documents passed ${this.budget.maxBytes} bytes in one crawl; the rest not fetched`);
  }
}
