// The in-memory tree of one zone: nodes by name (empty non-terminals included), RRsets by type.
// Built from records that validation has already accepted; lookups are plain map reads.

import { RRType } from '../wire/types.js';
import { isInDomain, nameKey, parentName } from '../wire/name.js';
import type { RR, RRset } from '../wire/rr.js';

export interface ZoneNode {
  /** Owner name as first written in the zone (case preserved). */
  name: string;
  /** RRsets by type; empty for an empty non-terminal. */
  rrsets: Map<number, RRset>;
}

export class Zone {
  readonly origin: string;
  readonly originKey: string;
  readonly class: number;
  private readonly nodes = new Map<string, ZoneNode>();
  /** Keys of delegation points (NS below the apex). */
  private readonly cuts = new Set<string>();
  private recordCount = 0;

  constructor(origin: string, records: Iterable<RR>, cls: number = 1) {
    this.origin = origin;
    this.originKey = nameKey(origin);
    this.class = cls;
    for (const rr of records) this.add(rr);
    this.ensureNode(origin);
  }

  private ensureNode(name: string): ZoneNode {
    const key = nameKey(name);
    let node = this.nodes.get(key);
    if (node) return node;
    node = { name, rrsets: new Map() };
    this.nodes.set(key, node);
    // Every name between this one and the apex exists, even without records (RFC 4592 2.2.2).
    if (key !== this.originKey) {
      const parent = parentName(name);
      if (parent !== undefined && isInDomain(parent, this.origin)) this.ensureNode(parent);
    }
    return node;
  }

  private add(rr: RR): void {
    const node = this.ensureNode(rr.name);
    let set = node.rrsets.get(rr.type);
    if (!set) {
      // The first record's TTL is the RRset's, as BIND does (RFC 2181 5.2 forbids mixing).
      set = { name: node.name, type: rr.type, class: rr.class, ttl: rr.ttl, rdata: [] };
      node.rrsets.set(rr.type, set);
    }
    if (set.rdata.some((d) => d.equals(rr.rdata))) return; // duplicates collapse (RFC 2181 5)
    set.rdata.push(rr.rdata);
    this.recordCount++;
    if (rr.type === RRType.NS && nameKey(rr.name) !== this.originKey) this.cuts.add(nameKey(rr.name));
  }

  /** The node at exactly this name. */
  node(name: string): ZoneNode | undefined {
    return this.nodes.get(nameKey(name));
  }

  nodeByKey(key: string): ZoneNode | undefined {
    return this.nodes.get(key);
  }

  rrset(name: string, type: number): RRset | undefined {
    return this.nodes.get(nameKey(name))?.rrsets.get(type);
  }

  get apex(): ZoneNode {
    return this.nodes.get(this.originKey)!;
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
    const rdata = this.soa.rdata[0]!;
    return Math.min(this.soa.ttl, rdata.readUInt32BE(rdata.length - 4));
  }

  isCut(key: string): boolean {
    return this.cuts.has(key);
  }

  get hasCuts(): boolean {
    return this.cuts.size > 0;
  }

  get size(): number {
    return this.recordCount;
  }

  /** Every node, apex first; no particular order after that. */
  *allNodes(): IterableIterator<ZoneNode> {
    yield this.apex;
    for (const [key, node] of this.nodes) if (key !== this.originKey) yield node;
  }

  /** Every record, apex first. */
  *records(): IterableIterator<RR> {
    for (const node of this.allNodes()) {
      for (const set of node.rrsets.values()) {
        for (const rdata of set.rdata) yield { name: set.name, type: set.type, class: set.class, ttl: set.ttl, rdata };
      }
    }
  }
}
