// The paged organisation index (docs/records.md, "A paged index"): plain PTR sets that any DNS
// client can walk, each well under a DNS message at any size of organisation.
//
// - An index is rooted at a name: `_index._agents.<org>` (every agent), or
//   `<capability>._cap._agents.<org>` (the agents offering that capability, as DNS-SD subtypes).
// - A PTR target under the root is a page (a sub-index, walked the same way); any other target
//   is an agent name. A node may hold both (a hand edit can leave one there; aop's own UPDATEs
//   carry the nodes they change as prerequisites, so a registration racing a split is retried).
// - Up to PAGE_MAX entries a node lists agents itself: a small organisation's index is the one
//   flat PTR set it always was. Past that, the node splits into 16 pages chosen by a hex digit
//   of the SHA-256 of the agent's label relative to the organisation: depth 1 by its first digit
//   (`a._index._agents.<org>`), depth 2 by the second (`3.a._index._agents.<org>`), depth 3 by
//   the third. A hash keeps each agent in one page whatever else changes, so adding or removing
//   an agent touches that page only.
// - Splitting is local: the one node that passes PAGE_MAX becomes pages, nothing else moves.
//   Pages are not merged again when agents leave (an empty page disappears from its parent).
//   At 1,000,000 agents: 16 pages, 256 below them, 4,096 leaf pages of about 244 agents (some
//   6 KB each as an answer). Three levels hold about 2,000,000 agents within PAGE_MAX; past that
//   the leaf pages grow (about 64 KiB at 10,000,000 agents).

import { createHash } from 'node:crypto';
import { isInDomain, nameEquals, nameKey, nameToWire, readName } from '../wire/name.js';
import { WireError } from '../wire/errors.js';
import type { RRset } from '../wire/rr.js';
import { RRType } from '../wire/types.js';

/** Most entries (agents or pages) a node lists before it splits into pages. */
export const PAGE_MAX = 500;
/** Most levels of pages below the root; readers walk no deeper. */
export const MAX_PAGE_DEPTH = 3;

/** The hex digit of the hash that names the page at each depth (one each: 16 pages per node). */
const DIGITS: readonly (readonly [number, number])[] = [[0, 0], [0, 1], [1, 2], [2, 3]];

const abs = (n: string): string => (n.endsWith('.') ? n : `${n}.`);

/** `_index._agents.<org>`, the root of the organisation's index. */
export function orgIndexRoot(org: string): string {
  return org === '.' || org === '' ? '_index._agents.' : `_index._agents.${abs(org)}`;
}

/** The label a capability token gets in the DNS, or undefined when it is not one (aop's tokens always are). */
export function capabilityLabel(token: string): string | undefined {
  const t = token.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(t) ? t : undefined;
}

/** `<capability>._cap._agents.<org>`, the root of a capability index; undefined for a token that is no label. */
export function capIndexRoot(org: string, capability: string): string | undefined {
  const label = capabilityLabel(capability);
  if (label === undefined) return undefined;
  return org === '.' || org === '' ? `${label}._cap._agents.` : `${label}._cap._agents.${abs(org)}`;
}

/** The hash that places an agent: hex SHA-256 of its name relative to the organisation, lowercase. */
export function entryHash(name: string, org: string): string {
  const n = abs(name).toLowerCase();
  const o = abs(org).toLowerCase();
  const rel = o === '.' ? n.slice(0, -1) : n.endsWith(`.${o}`) ? n.slice(0, n.length - o.length - 1) : n.slice(0, -1);
  return createHash('sha256').update(rel).digest('hex');
}

/** The node of `root` at `depth` (0: the root itself) on the path of `hash`. */
export function pageOwner(root: string, hash: string, depth: number): string {
  let owner = abs(root);
  for (let d = 1; d <= depth; d++) owner = `${hash.slice(DIGITS[d]![0], DIGITS[d]![1])}.${owner}`;
  return owner;
}

/** The page owners from the root down to MAX_PAGE_DEPTH on the path of `hash`. */
export function pagePath(root: string, hash: string): string[] {
  return Array.from({ length: MAX_PAGE_DEPTH + 1 }, (_, d) => pageOwner(root, hash, d));
}

/** True when `target` names a page of the index at `root` (a name below it). */
export function isPage(target: string, root: string): boolean {
  return isInDomain(abs(target), abs(root)) && !nameEquals(abs(target), abs(root));
}

/** The depth of a page name below `root` (1 for `a.<root>`), or undefined when it is no page name of it. */
export function pageDepth(owner: string, root: string): number | undefined {
  if (!isPage(owner, root)) return undefined;
  const rel = abs(owner).toLowerCase().slice(0, abs(owner).length - abs(root).length - 1).split('.').reverse();
  if (rel.length > MAX_PAGE_DEPTH) return undefined;
  for (let d = 1; d <= rel.length; d++) {
    const want = DIGITS[d]![1] - DIGITS[d]![0];
    if (rel[d - 1]!.length !== want || !/^[0-9a-f]+$/.test(rel[d - 1]!)) return undefined;
  }
  return rel.length;
}

/** One index entry to lay out: an agent's absolute name and its hash (entryHash). */
export interface IndexMember {
  name: string;
  hash: string;
}

/**
 * The canonical layout of an index (what a zone written from scratch holds): node owner ->
 * targets (agent names and page names, sorted), every node within `max` entries. An empty index
 * has no nodes.
 */
export function layoutIndex(root: string, members: readonly IndexMember[], max = PAGE_MAX): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const place = (owner: string, depth: number, list: readonly IndexMember[]): void => {
    if (list.length === 0) return;
    if (list.length <= max || depth >= MAX_PAGE_DEPTH) {
      out.set(owner, list.map((m) => abs(m.name)).sort());
      return;
    }
    const groups = new Map<string, IndexMember[]>();
    for (const m of list) {
      const child = pageOwner(root, m.hash, depth + 1);
      let g = groups.get(child);
      if (g === undefined) groups.set(child, (g = []));
      g.push(m);
    }
    out.set(owner, [...groups.keys()].sort());
    for (const [child, g] of groups) place(child, depth + 1, g);
  };
  place(abs(root), 0, members);
  return out;
}

/** The lowest node on an agent's path that exists (has a PTR set), and the depth where the agent belongs. */
export interface PagePlace {
  /** The node that lists (or would list) the agent. */
  owner: string;
  depth: number;
}

/**
 * Where an entry goes, given the PTR sets on its hash path (targets per owner, undefined where a
 * node has no PTR set): the deepest node the path reaches through page entries. The root when
 * the index is flat or empty.
 */
export function placeOf(root: string, hash: string, sets: ReadonlyMap<string, readonly string[] | undefined>): PagePlace {
  let depth = 0;
  for (let d = 0; d < MAX_PAGE_DEPTH; d++) {
    const owner = pageOwner(root, hash, d);
    const next = pageOwner(root, hash, d + 1);
    const targets = sets.get(nameKey(owner));
    if (targets === undefined || !targets.some((t) => nameEquals(abs(t), next))) break;
    depth = d + 1;
  }
  return { owner: pageOwner(root, hash, depth), depth };
}

/** What a zone offers for walking its own index (src/zone's Zone has it). */
export interface PtrView {
  rrset(name: string, type: number): RRset | undefined;
}

/** One entry of an index read from a zone: the agent name, the node that lists it, its RDATA there. */
export interface ZoneIndexEntry {
  target: string;
  owner: string;
  rdata: Buffer;
}

/** The agents of an index in a zone, walked through its pages (depth at most MAX_PAGE_DEPTH, no node twice). */
export function zoneIndexEntries(zone: PtrView, root: string): { entries: ZoneIndexEntry[]; pages: string[]; malformed: Array<{ owner: string; rdata: Buffer }> } {
  const entries: ZoneIndexEntry[] = [];
  const pages: string[] = [];
  const malformed: Array<{ owner: string; rdata: Buffer }> = [];
  const seen = new Set<string>();
  const visit = (owner: string, depth: number): void => {
    const key = nameKey(owner);
    if (seen.has(key)) return;
    seen.add(key);
    const set = zone.rrset(owner, RRType.PTR);
    if (set === undefined) return;
    for (const rdata of set.rdata) {
      let target: string;
      try {
        target = readName(rdata, 0).name;
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        malformed.push({ owner: set.name, rdata });
        continue;
      }
      if (isPage(target, root)) {
        if (depth < MAX_PAGE_DEPTH) {
          pages.push(target);
          visit(target, depth + 1);
        }
        continue;
      }
      entries.push({ target, owner: set.name, rdata });
    }
  };
  visit(abs(root), 0);
  return { entries, pages, malformed };
}

/** True when `name` is listed on its hash path of the index (no walk of the whole index). */
export function listedOnPath(zone: PtrView, root: string, org: string, name: string): boolean {
  const wire = nameToWire(abs(name).toLowerCase());
  for (const owner of pagePath(root, entryHash(name, org))) {
    const set = zone.rrset(owner, RRType.PTR);
    if (set === undefined) continue;
    for (const rdata of set.rdata) {
      if (rdata.length === wire.length && Buffer.from(rdata).toString('latin1').toLowerCase() === wire.toString('latin1')) return true;
    }
  }
  return false;
}
