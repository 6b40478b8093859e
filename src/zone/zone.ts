// The in-memory tree of one zone: nodes by name (empty non-terminals included), RRsets by type.
// Built from records that validation has already accepted (or, by the zone loader, record by
// record as it parses, checked afterwards with faultFree); a Zone never changes once built.
//
// Stored compactly so a zone of millions of records fits: a Map from name key to node number,
// and everything else in typed arrays (RRsets as linked lists per node, RDATA as linked lists
// per RRset) with the RDATA octets in a few large slabs. The ZoneNode and RRset objects callers
// see are made when asked for (a small cache keeps the recent ones), views of the slabs: treat
// them as read-only, like the zone.

import { RRType } from '../wire/types.js';
import { isInDomain, nameKey, parentName, readName } from '../wire/name.js';
import type { RR, RRset } from '../wire/rr.js';

export interface ZoneNode {
  /** Owner name as first written in the zone (case preserved). */
  name: string;
  /** RRsets by type, in the order their types first appeared; empty for an empty non-terminal. */
  rrsets: ReadonlyMap<number, RRset>;
}

/** RDATA slabs: each RDATA lies within one slab. */
const SLAB = 1 << 22;
/** Nodes materialised and kept, for repeated look-ups of the same names. */
const NODE_CACHE = 4096;

const KEY = 25;
const NXT = 30;
/** Types that may share a name with a CNAME (RFC 2181 10.1, RFC 4035 2.5; BIND's "ATCNAME" types). */
const AT_CNAME = new Set<number>([RRType.RRSIG, RRType.NSEC, KEY, NXT]);
/** Types a parent zone holds at a delegation point besides glue (RFC 4035 2.4). */
const AT_CUT = new Set<number>([RRType.NS, RRType.DS, RRType.RRSIG, RRType.NSEC]);

function grow<T extends Int32Array | Uint32Array | Uint16Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** FNV-1a over the UTF-16 code units of a name key. */
function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * Work counters, for tests that hold an UPDATE's cost to its change: zones built record by
 * record (`built`, `recordsBuilt`), versions made by withChange and the records they touched,
 * and withChange's rebuilds (when its garbage outgrew the live records).
 */
export const zoneWork = { built: 0, recordsBuilt: 0, versions: 0, recordsTouched: 0, rebuilds: 0 };

export class Zone {
  readonly origin: string;
  readonly originKey: string;
  readonly class: number;
  private readonly dotOriginKey: string;
  // Name key -> node number: open addressing over `table` (node numbers, -1 empty), at most half
  // full; cheaper than a Map of millions of names, in time and memory.
  private table = new Int32Array(64).fill(-1);
  private hashes = new Int32Array(1024);
  /** Node number -> name key. */
  private readonly keys: string[] = [];
  /** Node number -> owner name as first written, where it differs from the key (case). */
  private readonly caseNames = new Map<number, string>();
  private nodeSet = new Int32Array(1024); // first RRset of the node, -1 for none
  /** Nodes whose parent is this node, so a node emptied by withChange can tell it is a leaf. */
  private kids = new Int32Array(1024);
  private nodeCount = 0;
  /** Nodes withChange removed: their key is '' (never matched), their slot kept in `table`. */
  private deadCount = 0;
  /** RRsets and RDATA withChange left unreachable; past the live records, the version is rebuilt. */
  private garbage = 0;
  // RRsets
  private setType = new Uint16Array(1024);
  private setClass = new Uint16Array(1024);
  private setTtl = new Uint32Array(1024);
  private setNext = new Int32Array(1024); // next RRset of the same node
  private setFirst = new Int32Array(1024); // first RDATA
  private setLast = new Int32Array(1024); // last RDATA
  private setRun = new Int32Array(1024); // the loader's run number (BIND's TTL rule), see add
  private setCount = 0;
  // RDATA
  private rdPos = new Float64Array(1024); // slab * SLAB + offset
  private rdLen = new Uint16Array(1024);
  private rdNext = new Int32Array(1024);
  private rdCount = 0;
  private readonly slabs: Buffer[] = [];
  private slabSize = 0;
  private slabUsed = 0;
  /** Keys of delegation points (NS below the apex). */
  private readonly cuts = new Set<string>();
  private dnames = 0;
  private apexId = -1;
  private recordCount = 0;
  private readonly cache = new Map<number, ZoneNode>();
  /** RRsets rrset() made lately, by RRset number. */
  private readonly setCache = new Map<number, RRset>();
  /** The node ensureNode found or made last. */
  private lastKey = '';
  private lastId = -1;
  private originId = -1;
  /** Set while building from records known to hold no duplicates (withChange's rebuild). */
  private distinct = false;

  constructor(origin: string, records: Iterable<RR>, cls: number = 1) {
    this.origin = origin;
    this.originKey = nameKey(origin);
    this.class = cls;
    this.dotOriginKey = this.originKey === '.' ? '.' : '.' + this.originKey;
    // Records from elsewhere (validated, a transfer, an update) are taken whatever their names.
    let n = 0;
    for (const rr of records) {
      this.add(rr.name, rr.type, rr.class, rr.ttl, rr.rdata, 0, true);
      n++;
    }
    this.finish();
    zoneWork.built++;
    zoneWork.recordsBuilt += n;
  }

  /**
   * The zone loader's way in: records as parsed, before validation (see faultFree). `run` is the
   * parser's run number: a record of a later run than its RRset's last one gives the whole RRset
   * its TTL, within a run the first TTL stays, as BIND loads a zone (src/zone/parser.ts).
   * Call finish() after the last record.
   * @internal
   */
  static building(origin: string, cls: number = 1): Zone {
    return new Zone(origin, [], cls);
  }

  /** @internal Ensure the apex exists; the zone loader calls it after its last add. */
  finish(): void {
    this.apexId = this.ensureNode(this.origin);
    this.cache.clear();
    this.setCache.clear();
  }

  /** Whether a name key is the origin or below it (isInDomain, cheaper for names without escapes). */
  private inZone(key: string): boolean {
    if (key === this.originKey) return true;
    if (this.originKey === '.') return true;
    if (!key.endsWith(this.dotOriginKey)) return false;
    if (key.indexOf('\\') < 0) return true;
    return isInDomain(key, this.originKey);
  }

  private ensureNode(name: string, key = nameKey(name)): number {
    // Records come grouped by name, and a name's parent is often the name before it.
    if (key === this.lastKey) return this.lastId;
    if (key === this.originKey && this.originId >= 0) return this.originId;
    const h = hashKey(key);
    const mask = this.table.length - 1;
    let j = h & mask;
    for (let id = this.table[j]!; id >= 0; id = this.table[j]!) {
      if (this.hashes[id] === h && this.keys[id] === key) {
        this.lastKey = key;
        this.lastId = id;
        return id;
      }
      j = (j + 1) & mask;
    }
    const id = this.nodeCount++;
    this.nodeSet = grow(this.nodeSet, this.nodeCount);
    this.hashes = grow(this.hashes, this.nodeCount);
    this.kids = grow(this.kids, this.nodeCount);
    this.nodeSet[id] = -1;
    this.kids[id] = 0;
    this.hashes[id] = h;
    this.keys.push(key);
    if (key !== name) this.caseNames.set(id, name);
    this.table[j] = id;
    if (this.nodeCount * 2 > this.table.length) this.rehash();
    if (key === this.originKey) this.originId = id;
    // Every name between this one and the apex exists, even without records (RFC 4592 2.2.2).
    if (key !== this.originKey) {
      const parent = parentName(name);
      if (parent !== undefined) {
        const pk = nameKey(parent);
        if (this.inZone(pk)) {
          const pid = this.ensureNode(parent, pk);
          this.kids[pid] = this.kids[pid]! + 1;
        }
      }
    }
    this.lastKey = key;
    this.lastId = id;
    return id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let id = 0; id < this.nodeCount; id++) {
      let j = this.hashes[id]! & mask;
      while (table[j]! >= 0) j = (j + 1) & mask;
      table[j] = id;
    }
    this.table = table;
  }

  /** Node number of a name key, -1 when there is no such node. */
  private idOf(key: string): number {
    const h = hashKey(key);
    const mask = this.table.length - 1;
    let j = h & mask;
    for (let id = this.table[j]!; id >= 0; id = this.table[j]!) {
      if (this.hashes[id] === h && this.keys[id] === key) return id;
      j = (j + 1) & mask;
    }
    return -1;
  }

  private nameOf(id: number): string {
    return this.caseNames.get(id) ?? this.keys[id]!;
  }

  /** @internal Add one record (see building); false, and nothing added, when it is out of the zone. */
  add(name: string, type: number, cls: number, ttl: number, rdata: Uint8Array, run: number, anyName = false): boolean {
    const key = nameKey(name);
    if (!anyName && !this.inZone(key)) return false;
    const id = this.ensureNode(name, key);
    let s = this.nodeSet[id]!;
    let prev = -1;
    while (s >= 0 && this.setType[s] !== type) {
      prev = s;
      s = this.setNext[s]!;
    }
    if (s < 0) {
      // The first record's TTL is the RRset's, as BIND does (RFC 2181 5.2 forbids mixing).
      s = this.setCount++;
      if (s >= this.setType.length) {
        const n = s + 1;
        this.setType = grow(this.setType, n);
        this.setClass = grow(this.setClass, n);
        this.setTtl = grow(this.setTtl, n);
        this.setNext = grow(this.setNext, n);
        this.setFirst = grow(this.setFirst, n);
        this.setLast = grow(this.setLast, n);
        this.setRun = grow(this.setRun, n);
      }
      this.setType[s] = type;
      this.setClass[s] = cls;
      this.setTtl[s] = ttl;
      this.setNext[s] = -1;
      this.setFirst[s] = -1;
      this.setLast[s] = -1;
      this.setRun[s] = run;
      if (prev < 0) this.nodeSet[id] = s;
      else this.setNext[prev] = s;
      if (type === RRType.DNAME) this.dnames++;
    } else if (this.setRun[s] !== run) {
      this.setTtl[s] = ttl;
      this.setRun[s] = run;
    }
    // Duplicates collapse (RFC 2181 5); records known distinct (withChange's rebuild) skip the scan.
    const len = rdata.length;
    if (!this.distinct) for (let r = this.setFirst[s]!; r >= 0; r = this.rdNext[r]!) {
      if (this.rdLen[r] !== len) continue;
      const pos = this.rdPos[r]!;
      const slab = this.slabs[Math.floor(pos / SLAB)]!;
      const off = pos % SLAB;
      if (slab.compare(rdata, 0, len, off, off + len) === 0) return true;
    }
    this.pushRdata(s, rdata);
    if (type === RRType.NS && key !== this.originKey) this.cuts.add(key);
    return true;
  }

  /** Append RDATA to an RRset's list, copying its octets into the current slab. */
  private pushRdata(s: number, rdata: Uint8Array): void {
    const len = rdata.length;
    if (this.slabs.length === 0 || this.slabUsed + len > this.slabSize) {
      // Slabs grow from 4 KiB to SLAB, so a small zone stays small; a version made by
      // withChange starts with a small one (an update adds a few records).
      this.slabSize = Math.min(SLAB, Math.max(len, this.slabSize === 0 && this.slabs.length > 0 ? 256 : 4096, this.slabSize * 2));
      this.slabs.push(Buffer.allocUnsafeSlow(this.slabSize));
      this.slabUsed = 0;
    }
    const slab = this.slabs.length - 1;
    this.slabs[slab]!.set(rdata, this.slabUsed);
    const r = this.rdCount++;
    if (r >= this.rdLen.length) {
      this.rdPos = grow(this.rdPos, r + 1);
      this.rdLen = grow(this.rdLen, r + 1);
      this.rdNext = grow(this.rdNext, r + 1);
    }
    this.rdPos[r] = slab * SLAB + this.slabUsed;
    this.rdLen[r] = len;
    this.rdNext[r] = -1;
    this.slabUsed += len;
    if (this.setLast[s]! < 0) this.setFirst[s] = r;
    else this.rdNext[this.setLast[s]!] = r;
    this.setLast[s] = r;
    this.recordCount++;
  }

  private rdataAt(r: number): Buffer {
    const pos = this.rdPos[r]!;
    const off = pos % SLAB;
    return this.slabs[Math.floor(pos / SLAB)]!.subarray(off, off + this.rdLen[r]!);
  }

  private setAt(s: number, name: string): RRset {
    const rdata: Buffer[] = [];
    for (let r = this.setFirst[s]!; r >= 0; r = this.rdNext[r]!) rdata.push(this.rdataAt(r));
    return { name, type: this.setType[s]!, class: this.setClass[s]!, ttl: this.setTtl[s]!, rdata };
  }

  private findSet(id: number, type: number): number {
    let s = this.nodeSet[id]!;
    while (s >= 0 && this.setType[s] !== type) s = this.setNext[s]!;
    return s;
  }

  private nodeAt(id: number): ZoneNode {
    let node = this.cache.get(id);
    if (node !== undefined) return node;
    node = this.makeNode(id);
    if (this.cache.size >= NODE_CACHE) this.cache.clear();
    this.cache.set(id, node);
    return node;
  }

  private makeNode(id: number): ZoneNode {
    const name = this.nameOf(id);
    const rrsets = new Map<number, RRset>();
    for (let s = this.nodeSet[id]!; s >= 0; s = this.setNext[s]!) rrsets.set(this.setType[s]!, this.setAt(s, name));
    return { name, rrsets };
  }

  /** The node at exactly this name. */
  node(name: string): ZoneNode | undefined {
    return this.nodeByKey(nameKey(name));
  }

  nodeByKey(key: string): ZoneNode | undefined {
    const id = this.idOf(key);
    return id < 0 ? undefined : this.nodeAt(id);
  }

  rrset(name: string, type: number): RRset | undefined {
    const id = this.idOf(nameKey(name));
    if (id < 0) return undefined;
    const node = this.cache.get(id);
    if (node !== undefined) return node.rrsets.get(type);
    const s = this.findSet(id, type);
    if (s < 0) return undefined;
    let set = this.setCache.get(s);
    if (set === undefined) {
      set = this.setAt(s, this.nameOf(id));
      if (this.setCache.size >= NODE_CACHE) this.setCache.clear();
      this.setCache.set(s, set);
    }
    return set;
  }

  get apex(): ZoneNode {
    return this.nodeAt(this.apexId);
  }

  get soa(): RRset {
    const soa = this.apex.rrsets.get(RRType.SOA);
    if (!soa) throw new Error(`zone ${this.origin} has no SOA`);
    return soa;
  }

  /** SOA serial (RDATA ends in serial, refresh, retry, expire, minimum). */
  get serial(): number {
    const rdata = this.soa.rdata[0]!;
    return rdata.readUInt32BE(rdata.length - 20);
  }

  /** Negative-answer TTL: min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5). */
  get negativeTtl(): number {
    const soa = this.soa;
    const rdata = soa.rdata[0]!;
    return Math.min(soa.ttl, rdata.readUInt32BE(rdata.length - 4));
  }

  isCut(key: string): boolean {
    return this.cuts.has(key);
  }

  get hasCuts(): boolean {
    return this.cuts.size > 0;
  }

  /** Keys of the delegation points (names below the apex with NS records). */
  delegations(): IterableIterator<string> {
    return this.cuts.values();
  }

  get size(): number {
    return this.recordCount;
  }

  /** Number of nodes, empty non-terminals included. */
  get nodeTotal(): number {
    return this.nodeCount - this.deadCount;
  }

  /** Every node, apex first; no particular order after that. */
  *allNodes(): IterableIterator<ZoneNode> {
    yield this.apex;
    // A walk over every node would only churn the cache of recent look-ups.
    for (let id = 0; id < this.nodeCount; id++) if (id !== this.apexId && this.keys[id] !== '') yield this.makeNode(id);
  }

  /** Every record, apex first. */
  *records(): IterableIterator<RR> {
    const ids = [this.apexId];
    for (let id = 0; id < this.nodeCount; id++) if (id !== this.apexId && this.keys[id] !== '') ids.push(id);
    for (const id of ids) {
      const name = this.nameOf(id);
      for (let s = this.nodeSet[id]!; s >= 0; s = this.setNext[s]!) {
        const type = this.setType[s]!;
        const cls = this.setClass[s]!;
        const ttl = this.setTtl[s]!;
        for (let r = this.setFirst[s]!; r >= 0; r = this.rdNext[r]!) yield { name, type, class: cls, ttl, rdata: this.rdataAt(r) };
      }
    }
  }

  /**
   * A new zone: this one with `deleted` removed and `added` added, as a journal entry says
   * (src/zone/journal.ts applyChange: an added SOA replaces the SOA; an added record gives its
   * RRset its TTL; `same` says which RDATA are equal). For an UPDATE, so its cost follows the
   * change, not the zone: the index arrays are copied as they are (one memory copy each, no
   * per-record work), the touched RRsets are edited in the copy, and a name left empty with
   * nothing below it goes, with the empty non-terminals above it. This zone is not changed: its
   * RDATA slabs are shared and never written (the new version's RDATA goes in slabs of its own).
   * What the edit leaves unreachable is counted; once it outgrows the live records, the result
   * is rebuilt from its records, so the garbage is paid for by the updates that made it.
   */
  withChange(deleted: readonly RR[], added: readonly RR[], same: (type: number, a: Buffer, b: Buffer) => boolean): Zone {
    const z = Object.create(Zone.prototype) as Zone;
    Object.assign(z, this);
    const w = z as unknown as Record<string, unknown>;
    w.table = this.table.slice();
    w.hashes = this.hashes.slice();
    w.keys = this.keys.slice();
    w.caseNames = new Map(this.caseNames);
    w.nodeSet = this.nodeSet.slice();
    w.kids = this.kids.slice();
    w.setType = this.setType.slice(); w.setClass = this.setClass.slice(); w.setTtl = this.setTtl.slice();
    w.setNext = this.setNext.slice(); w.setFirst = this.setFirst.slice(); w.setLast = this.setLast.slice(); w.setRun = this.setRun.slice();
    w.rdPos = this.rdPos.slice(); w.rdLen = this.rdLen.slice(); w.rdNext = this.rdNext.slice();
    w.slabs = this.slabs.slice();
    w.slabSize = 0; // the next RDATA starts a slab of this version's own
    w.slabUsed = 0;
    w.cuts = new Set(this.cuts);
    w.cache = new Map();
    w.setCache = new Map();
    w.lastKey = '';
    w.lastId = -1;
    zoneWork.versions++;
    const touched: number[] = [];
    for (const rr of deleted) {
      const id = z.idOf(nameKey(rr.name));
      if (id < 0) continue;
      const s = z.findSet(id, rr.type);
      if (s < 0) continue;
      zoneWork.recordsTouched++;
      let prev = -1;
      for (let r = z.setFirst[s]!; r >= 0; r = z.rdNext[r]!) {
        if (!same(rr.type, z.rdataAt(r), rr.rdata)) {
          prev = r;
          continue;
        }
        if (prev < 0) z.setFirst[s] = z.rdNext[r]!;
        else z.rdNext[prev] = z.rdNext[r]!;
        if (z.setLast[s] === r) z.setLast[s] = prev;
        z.recordCount--;
        z.garbage++;
      }
      if (z.setFirst[s]! < 0) {
        z.dropSet(id, rr.type);
        touched.push(id);
      }
    }
    for (const rr of added) {
      zoneWork.recordsTouched++;
      const key = nameKey(rr.name);
      const id = z.ensureNode(rr.name, key);
      let s = z.findSet(id, rr.type);
      if (s >= 0 && rr.type === RRType.SOA) {
        z.dropSet(id, rr.type);
        s = -1;
      }
      if (s < 0) {
        z.add(rr.name, rr.type, rr.class, rr.ttl, rr.rdata, 0, true);
        continue;
      }
      z.setTtl[s] = rr.ttl;
      let dup = false;
      for (let r = z.setFirst[s]!; r >= 0 && !dup; r = z.rdNext[r]!) dup = same(rr.type, z.rdataAt(r), rr.rdata);
      if (!dup) z.pushRdata(s, rr.rdata);
    }
    for (const id of touched) z.prune(id);
    z.lastKey = '';
    z.lastId = -1;
    if (z.garbage > z.recordCount + 1024) {
      zoneWork.rebuilds++;
      const fresh = Zone.building(z.origin, z.class);
      fresh.distinct = true;
      for (const rr of z.records()) fresh.add(rr.name, rr.type, rr.class, rr.ttl, rr.rdata, 0, true);
      fresh.distinct = false;
      fresh.finish();
      return fresh;
    }
    return z;
  }

  /** Unlink the RRset of this type at a node (withChange); its RDATA becomes garbage. */
  private dropSet(id: number, type: number): void {
    let prev = -1;
    let s = this.nodeSet[id]!;
    while (s >= 0 && this.setType[s] !== type) {
      prev = s;
      s = this.setNext[s]!;
    }
    if (s < 0) return;
    if (prev < 0) this.nodeSet[id] = this.setNext[s]!;
    else this.setNext[prev] = this.setNext[s]!;
    let n = 0;
    for (let r = this.setFirst[s]!; r >= 0; r = this.rdNext[r]!) n++;
    this.recordCount -= n;
    this.garbage += n + 1;
    if (type === RRType.DNAME) this.dnames--;
    if (type === RRType.NS) this.cuts.delete(this.keys[id]!);
  }

  /** Remove a node that holds nothing and has nothing below it, then its parents the same way (withChange). */
  private prune(id: number): void {
    while (id >= 0 && id !== this.apexId && this.keys[id] !== this.originKey && this.nodeSet[id]! < 0 && this.kids[id] === 0 && this.keys[id] !== '') {
      const name = this.nameOf(id);
      this.keys[id] = '';
      this.caseNames.delete(id);
      this.deadCount++;
      this.garbage++;
      const parent = parentName(name);
      if (parent === undefined) return;
      const pid = this.idOf(nameKey(parent));
      if (pid < 0) return;
      this.kids[pid] = this.kids[pid]! - 1;
      id = pid;
    }
  }

  /**
   * Whether the zone breaks none of the rules of validateZone (src/zone/validate.ts), checked on
   * the built zone: the loader builds first and, only when this says no, parses again with
   * validateZone for the faults and where they are. It must never say yes where validateZone
   * finds a fault; saying no for a clean zone only costs time. Out-of-zone records are not
   * here: the loader refuses them as they come.
   * @internal
   */
  faultFree(): boolean {
    const apex = this.apexId;
    // Exactly one SOA, at the apex; NS at the apex.
    const soa = this.findSet(apex, RRType.SOA);
    if (soa < 0 || this.rdNext[this.setFirst[soa]!]! >= 0) return false;
    if (this.findSet(apex, RRType.NS) < 0) return false;
    const nsTargets = new Set<string>();
    const needAddress: string[] = [];
    // One pass over the RRsets per node: SOA elsewhere, CNAME rules, DNAME singletons, NS targets.
    for (let id = 0; id < this.nodeCount; id++) {
      let cname = false;
      let other = false;
      for (let s = this.nodeSet[id]!; s >= 0; s = this.setNext[s]!) {
        const type = this.setType[s]!;
        if (type === RRType.SOA && id !== apex) return false;
        if (type === RRType.CNAME) {
          if (id === apex || this.rdNext[this.setFirst[s]!]! >= 0) return false;
          cname = true;
        } else if (type === RRType.DNAME) {
          if (this.rdNext[this.setFirst[s]!]! >= 0) return false;
          other = true;
        } else if (!AT_CNAME.has(type)) {
          other = true;
        }
        if (type === RRType.NS) {
          if (this.keys[id]!.startsWith('*.')) return false; // a wildcard NS owner (validateZone says why)
          for (let r = this.setFirst[s]!; r >= 0; r = this.rdNext[r]!) {
            let target: string;
            try {
              target = readName(this.rdataAt(r), 0).name;
            } catch {
              continue;
            }
            nsTargets.add(nameKey(target));
            if (isInDomain(target, this.origin)) needAddress.push(target);
          }
        }
      }
      if (cname && other) return false;
    }
    // In-zone name servers: addresses, and no CNAME.
    for (const target of needAddress) {
      const id = this.idOf(nameKey(target));
      if (id < 0) return false;
      if (this.findSet(id, RRType.CNAME) >= 0) return false;
      if (this.findSet(id, RRType.A) < 0 && this.findSet(id, RRType.AAAA) < 0) return false;
    }
    if (this.cuts.size === 0 && this.dnames === 0) return true;
    // What lies at or below delegations and DNAMEs.
    const dnameKeys = new Set<string>();
    for (let id = 0; id < this.nodeCount; id++) if (this.findSet(id, RRType.DNAME) >= 0) dnameKeys.add(this.keys[id]!);
    for (let id = 0; id < this.nodeCount; id++) {
      const first = this.nodeSet[id]!;
      if (first < 0) continue;
      const name = this.nameOf(id);
      const key = this.keys[id]!;
      let onlyGlue = true; // every type here is A/AAAA of a name server
      let atCutOk = true; // every type here may be at a delegation point
      for (let s = first; s >= 0; s = this.setNext[s]!) {
        const type = this.setType[s]!;
        const glue = (type === RRType.A || type === RRType.AAAA) && nsTargets.has(key);
        if (!glue) onlyGlue = false;
        if (!glue && !AT_CUT.has(type)) atCutOk = false;
      }
      if (this.cuts.has(key) && !atCutOk) return false;
      for (let p = parentName(name); p !== undefined && isInDomain(p, this.origin); p = parentName(p)) {
        const pk = nameKey(p);
        if (dnameKeys.has(pk)) return false;
        if (this.cuts.has(pk)) {
          if (!onlyGlue) return false;
          break;
        }
        if (pk === this.originKey) break;
      }
    }
    return true;
  }
}
