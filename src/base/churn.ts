// Containers for short-lived members of long-lived collections: entries that come and go
// thousands of times a second (questions and attempts in flight).
//
// Why not a plain Set or Map: once the collection is in the old generation, every rehash of its
// table (V8's OrderedHashTable, every few add/delete pairs) leaves an obsolete table behind that
// still points at the members it held. Young-generation collections count those pointers as
// roots, so each member in flight at a rehash, and everything it reaches (its promise, closures,
// the decoded reply), is copied to the old generation and lives until a full collection. For the
// cold resolver that was most of what each scavenge promoted (3-8 MB a scavenge, 10-15 ms pauses:
// the p99 tail). An array slot that is cleared, or a Map value set to undefined, leaves nothing.

/**
 * Members in array slots with a free list: add and delete in O(1), no hash table. Each member
 * carries its own slot number, which the list reads and writes through `slot`.
 */
export class SlotList<T extends object> {
  private readonly items: (T | undefined)[] = [];
  private readonly free: number[] = [];
  private live = 0;

  constructor(private readonly slot: { get(x: T): number; set(x: T, i: number): void }) {}

  add(x: T): void {
    const i = this.free.length > 0 ? this.free.pop()! : this.items.length;
    this.items[i] = x;
    this.slot.set(x, i);
    this.live++;
  }

  /** Remove `x` if it is a member; false when it is not. */
  delete(x: T): boolean {
    const i = this.slot.get(x);
    if (i < 0 || this.items[i] !== x) return false;
    this.items[i] = undefined;
    this.slot.set(x, -1);
    this.free.push(i);
    this.live--;
    return true;
  }

  get size(): number {
    return this.live;
  }

  /** The members now (a copy: `fn` may add and delete). */
  members(): T[] {
    const out: T[] = [];
    for (const x of this.items) if (x !== undefined) out.push(x);
    return out;
  }
}

/**
 * A string-keyed Map whose deletes set the value to undefined, so its table holds no member
 * after it is gone; the keys are compacted away in one pass once they outnumber the live
 * entries (and at least `compactAfter` are dead), so the map stays bounded.
 */
export class ChurnMap<V> {
  private map = new Map<string, V | undefined>();
  private dead = 0;

  constructor(private readonly compactAfter = 1024) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.get(key) === undefined && this.map.has(key)) this.dead--;
    this.map.set(key, value);
  }

  delete(key: string): void {
    if (this.map.get(key) === undefined) return;
    this.map.set(key, undefined);
    this.dead++;
    if (this.dead >= this.compactAfter && this.dead * 2 > this.map.size) this.compact();
  }

  /** Live entries. */
  get size(): number {
    return this.map.size - this.dead;
  }

  private compact(): void {
    const next = new Map<string, V | undefined>();
    for (const [k, v] of this.map) if (v !== undefined) next.set(k, v);
    this.map = next;
    this.dead = 0;
  }
}
