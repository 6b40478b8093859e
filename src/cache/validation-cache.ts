// Validation state kept beside the data it is about (RFC 4035 4.7): the verdict on an answer
// (secure, insecure, bogus) and the validated keys of a zone, each until the TTL and signature
// lifetime it rests on run out. Bogus results are kept only briefly (RFC 9520: at least 1 s, at
// most 5 minutes), so a fixed zone is believed again soon while a broken one is not asked again
// on every question. Bounded in entries; the oldest is forgotten first. A flush of the DNS cache
// (its generation) forgets everything.

export interface ValidationCacheOptions {
  /** Most entries kept. Default 20,000. */
  maxEntries?: number;
  /** Seconds a bogus result is kept (1..300). Default 30. */
  bogusTtl?: number;
  /** The clock (ms) and the generation of the DNS cache the data lives in. */
  now: () => number;
  generation: () => number;
}

interface Entry<V> {
  value: V;
  expires: number;
  generation: number;
  /** A fingerprint of the data the value is about: a different answer is a miss. */
  about: string;
}

export class ValidationCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly max: number;
  readonly bogusTtl: number;
  hits = 0;
  misses = 0;

  constructor(private readonly o: ValidationCacheOptions) {
    this.max = o.maxEntries ?? 20_000;
    this.bogusTtl = Math.min(300, Math.max(1, o.bogusTtl ?? 30));
  }

  get(key: string, about = ''): V | undefined {
    const e = this.entries.get(key);
    if (!e || e.about !== about || e.generation !== this.o.generation() || e.expires <= this.o.now()) {
      if (e) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  /** Keep `value` for `ttl` seconds (a bogus one for bogusTtl, whatever its data's TTL). */
  put(key: string, value: V, ttl: number, opts: { bogus?: boolean; about?: string } = {}): void {
    const seconds = opts.bogus ? this.bogusTtl : ttl;
    if (seconds <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.o.now() + seconds * 1000, generation: this.o.generation(), about: opts.about ?? '' });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
