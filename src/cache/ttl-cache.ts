// The part every TTL-keyed cache shares: its policy, its store, flushing, dump and stats.

import { checkClock, sizeLimits, ttlPolicy, type ClockOption, type SizeOptions, type TtlOptions, type TtlPolicy } from './policy.js';
import { TtlStore, type CacheSnapshot, type DumpEntry } from './store.js';

export abstract class TtlCache<V> {
  readonly policy: TtlPolicy;
  protected readonly store: TtlStore<V>;

  constructor(opts: TtlOptions & SizeOptions & ClockOption, defaults: { maxEntries: number; maxBytes: number }) {
    this.policy = ttlPolicy(opts);
    this.store = new TtlStore({ now: checkClock(opts.now), ...sizeLimits(opts, defaults), ...this.policy });
  }

  /** What a value is, for `dump()`; the store adds its timing. */
  protected abstract describe(value: V): Omit<DumpEntry, 'ttl' | 'originalTtl' | 'stale'>;

  /** Remove every type and class at `name`. */
  flushName(name: string): number {
    return this.store.deleteAt(name);
  }

  /** Remove everything at or below `name`. */
  flushTree(name: string): number {
    return this.store.deleteTree(name);
  }

  flushAll(): void {
    this.store.clear();
  }

  dump(): DumpEntry[] {
    return this.store.dump((v) => this.describe(v));
  }

  snapshot(): CacheSnapshot {
    return this.store.snapshot();
  }

  /** Entries held; 0 means every lookup misses and every delete is a no-op. */
  get count(): number {
    return this.store.count;
  }
}
