// The index as the edit sees it (docs/records.md, "A paged index"): the PTR sets of the nodes it
// knows (a whole zone's, or those an UPDATE read on the agent's hash path), and what adding or
// removing an agent changes, as PTR records to add and to delete. Adding touches the one node
// the agent's hash leads to; a node that would pass PAGE_MAX splits into pages (that node's
// agents move, nothing else does); removing an agent deletes it wherever its path lists it, and
// an emptied page from its parent. The zone-file edit (agent-edit.ts) and the UPDATE
// (build.ts) both write what this returns.

import { entryHash, isPage, MAX_PAGE_DEPTH, PAGE_MAX, pageOwner, pagePath, placeOf } from '../agent/index.js';
import { nameEquals, nameKey } from '../wire/name.js';

const abs = (n: string): string => (n.endsWith('.') ? n : `${n}.`);

/** One PTR record of the index: `owner PTR target`. */
export interface IndexPtr {
  owner: string;
  target: string;
}

export interface IndexChanges {
  add: IndexPtr[];
  remove: IndexPtr[];
  /** True when the root itself split: a flat index became paged (its TXT index goes). */
  rootSplit: boolean;
}

export class IndexModel {
  /** owner key -> targets (absolute, as written). */
  private readonly sets = new Map<string, string[]>();
  private readonly owners = new Map<string, string>();
  readonly changes: IndexChanges = { add: [], remove: [], rootSplit: false };

  /** `root`: the index's name; `org`: the organisation its agents are in (the hash is relative to it). */
  constructor(readonly root: string, readonly org: string, known: Iterable<IndexPtr> = []) {
    this.root = abs(root);
    for (const p of known) this.put(p.owner, p.target);
  }

  /** The targets of a node (empty when it has no PTR set). */
  targets(owner: string): readonly string[] {
    return this.sets.get(nameKey(abs(owner))) ?? [];
  }

  /** True when the root lists a page: the index is paged. */
  get paged(): boolean {
    return this.targets(this.root).some((t) => isPage(t, this.root));
  }

  /** List `name`. Nothing when its path lists it already. */
  add(name: string): void {
    const n = abs(name);
    const hash = entryHash(n, this.org);
    if (this.listedAt(n, hash) !== undefined) return;
    const view = new Map<string, readonly string[] | undefined>();
    for (const o of pagePath(this.root, hash)) view.set(nameKey(o), this.sets.get(nameKey(o)));
    const place = placeOf(this.root, hash, view);
    const here = this.targets(place.owner);
    if (here.length + 1 <= PAGE_MAX || place.depth >= MAX_PAGE_DEPTH) {
      this.record('add', place.owner, n);
      return;
    }
    // The node is full: it splits; its agents (not its pages) and the new one move a level down.
    if (place.depth === 0) this.changes.rootSplit = true;
    const movers = here.filter((t) => !isPage(t, this.root));
    for (const m of movers) this.record('remove', place.owner, m);
    for (const m of [...movers, n]) {
      const child = pageOwner(this.root, entryHash(m, this.org), place.depth + 1);
      if (!this.targets(place.owner).some((t) => nameEquals(abs(t), child))) this.record('add', place.owner, child);
      this.record('add', child, m);
    }
  }

  /** Unlist `name` wherever its path lists it; a page left empty leaves its parent too. */
  remove(name: string): void {
    const n = abs(name);
    const path = pagePath(this.root, entryHash(n, this.org));
    for (let d = path.length - 1; d >= 0; d--) {
      const owner = path[d]!;
      const at = this.targets(owner).find((t) => nameEquals(abs(t), n));
      if (at === undefined) continue;
      this.record('remove', owner, at);
      // Empty pages go from their parents, upwards (the root stays, with nothing in it).
      for (let e = d; e > 0 && this.targets(path[e]!).length === 0; e--) {
        const parent = path[e - 1]!;
        const entry = this.targets(parent).find((t) => nameEquals(abs(t), path[e]!));
        if (entry !== undefined) this.record('remove', parent, entry);
      }
    }
  }

  /** The node on `name`'s path that lists it, if any. */
  listedAt(name: string, hash = entryHash(name, this.org)): string | undefined {
    for (const owner of pagePath(this.root, hash)) {
      if (this.targets(owner).some((t) => nameEquals(abs(t), abs(name)))) return owner;
    }
    return undefined;
  }

  private put(owner: string, target: string): void {
    const key = nameKey(abs(owner));
    let list = this.sets.get(key);
    if (list === undefined) {
      this.sets.set(key, (list = []));
      this.owners.set(key, abs(owner));
    }
    if (!list.some((t) => nameEquals(abs(t), abs(target)))) list.push(abs(target));
  }

  private record(kind: 'add' | 'remove', owner: string, target: string): void {
    const key = nameKey(abs(owner));
    if (kind === 'add') {
      this.put(owner, target);
      // Adding back what this edit removed is no change at all.
      const undo = this.changes.remove.findIndex((p) => nameKey(p.owner) === key && nameEquals(abs(p.target), abs(target)));
      if (undo >= 0) this.changes.remove.splice(undo, 1);
      else this.changes.add.push({ owner: abs(owner), target: abs(target) });
      return;
    }
    const list = this.sets.get(key) ?? [];
    const i = list.findIndex((t) => nameEquals(abs(t), abs(target)));
    if (i >= 0) list.splice(i, 1);
    const undo = this.changes.add.findIndex((p) => nameKey(p.owner) === key && nameEquals(abs(p.target), abs(target)));
    if (undo >= 0) this.changes.add.splice(undo, 1);
    else this.changes.remove.push({ owner: abs(owner), target: abs(target) });
  }
}
