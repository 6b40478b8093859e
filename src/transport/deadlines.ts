// One timer for every deadline in flight, and one abort listener per signal, instead of a
// setTimeout/clearTimeout pair and an addEventListener/removeEventListener pair per attempt. A
// cold resolver starts thousands of attempts a second and nearly all end long before their
// deadline: the per-attempt timer and listener were a measurable part of its CPU per name.

import { performance } from 'node:perf_hooks';
import { SlotList } from '../base/churn.js';

/** Something with a deadline (performance.now() ms) and what to do when it passes. */
export interface Due {
  readonly at: number;
  expire(): void;
  /** Its place in a DeadlineSet, -1 when in none (the set keeps it). */
  dueSlot: number;
}

/**
 * Deadlines kept in a set, under one timer armed for the earliest. Removing one that ends in time
 * is a set delete; the timer is left as it is and, when it fires, expires what is due and re-arms
 * for the next. The timer holds the process open only while a deadline is pending (unref()'d
 * when the set empties), as the timers it replaces did. Array slots, not a Set (base/churn.ts).
 */
export class DeadlineSet {
  private readonly pending = new SlotList<Due>({ get: (d) => d.dueSlot, set: (d, i) => { d.dueSlot = i; } });
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires, in performance.now() ms. */
  private armedAt = Infinity;

  add(d: Due): void {
    this.pending.add(d);
    if (d.at < this.armedAt) this.arm(d.at);
    else if (this.pending.size === 1) this.timer?.ref();
  }

  delete(d: Due): void {
    if (this.pending.delete(d) && this.pending.size === 0) this.timer?.unref();
  }

  get size(): number {
    return this.pending.size;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - performance.now())));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    // Timers may fire a little early against performance.now(); half a millisecond is due.
    const now = performance.now() + 0.5;
    let next = Infinity;
    const due: Due[] = [];
    for (const d of this.pending.members()) {
      if (d.at <= now) due.push(d);
      else if (d.at < next) next = d.at;
    }
    for (const d of due) this.pending.delete(d);
    if (next !== Infinity) this.arm(next);
    for (const d of due) d.expire();
  };
}

/** The process's deadline set for transport attempts. */
export const attemptDeadlines = new DeadlineSet();

/** Something to tell when its signal aborts. */
export interface Abortable {
  abort(reason: unknown): void;
  /** Its place among its signal's watchers, -1 when in none. */
  abortSlot: number;
}

const watchers = new WeakMap<AbortSignal, SlotList<Abortable>>();
const abortSlot = { get: (a: Abortable) => a.abortSlot, set: (a: Abortable, i: number) => { a.abortSlot = i; } };

/**
 * Tell `a` when `signal` aborts: one listener per signal, however many attempts share it (the
 * resolver passes one signal to every upstream attempt); offAbort stops it.
 */
export function onAbort(signal: AbortSignal, a: Abortable): void {
  let set = watchers.get(signal);
  if (!set) {
    const s = (set = new SlotList(abortSlot));
    watchers.set(signal, s);
    signal.addEventListener('abort', () => {
      const all = s.members();
      for (const x of all) s.delete(x);
      for (const x of all) x.abort(signal.reason);
    }, { once: true });
  }
  set.add(a);
}

/** Stop telling `a` about `signal`. */
export function offAbort(signal: AbortSignal, a: Abortable): void {
  watchers.get(signal)?.delete(a);
}
