// A validating stub (RFC 4033 section 7, RFC 6840 5.9): the client checks the answers it is
// given itself, from trust anchors it holds, instead of believing a resolver's AD bit. The
// DNSKEY and DS sets the chain needs are asked of the same resolver with DO=1 and CD=1 (so it
// hands them over unjudged, RRSIGs and denials included) and checked by the resolver's own
// Validator. Besides the verdict it says what the verdict rests on: which zones signed the
// records, with which keys, and the chain from the anchor down (shown in the agent card).

import { ValidationCache } from '../../cache/validation-cache.js';
import { keyTag } from '../../dnssec/keytag.js';
import { isInDomain, labelCount, nameEquals, nameKey } from '../../wire/name.js';
import type { RR, RRset } from '../../wire/rr.js';
import { RRType } from '../../wire/types.js';
import { toSignedRRsets } from '../classify.js';
import type { Resolution } from '../resolver.js';
import type { TrustAnchors } from './anchors.js';
import { checkSigs, parseSig } from './rrsig.js';
import { Validator, type ZoneKeys } from './validator.js';
import type { Verdict } from './verdict.js';

/** The replies a stub asks for (DO=1, CD=1): what src/mcp's lookups give. */
export interface StubAsk {
  query(name: string, type: number): Promise<{ rcode: number; answers: RR[]; authority: RR[] }>;
}

export interface ChainKey {
  tag: number;
  algorithm: number;
  /** DNSKEY flags: 257 a key-signing key (SEP), 256 a zone-signing key. */
  flags?: number;
}

/** One zone of a chain of trust, from the anchor down. */
export interface ChainLink {
  zone: string;
  /** Trusted as a trust anchor (the DS or DNSKEY the client holds). */
  anchor: boolean;
  /** The DS records at the parent (or in the anchor) that name this zone's keys. */
  ds: Array<{ tag: number; algorithm: number; digestType: number }>;
  /** The zone's DNSKEY set. */
  dnskeys: ChainKey[];
  /** The keys whose RRSIG over that DNSKEY set verifies. */
  dnskeySignedBy: number[];
}

/** Who signed one RRset of an answer: the zone and the keys whose RRSIG over it verifies. */
export interface SignedBy {
  name: string;
  type: number;
  zone: string;
  keys: ChainKey[];
}

export interface StubVerdict extends Verdict {
  /** For secure: the RRsets of the answer and who signed each. */
  signedBy?: SignedBy[];
  /** For secure: the chain from the anchor to every zone that signed the answer. */
  chain?: ChainLink[];
}

export interface StubValidatorOptions {
  anchors: TrustAnchors;
  ask: StubAsk;
  /** Unix seconds, for signature windows. Default the system clock. */
  now?: () => number;
  /** Seconds a bogus verdict is kept. Default 30. */
  bogusTtl?: number;
}

/** Replies kept at most, each for its smallest TTL (at most MAX_MEMO_TTL seconds). */
const MAX_MEMO = 2000;
const MAX_MEMO_TTL = 300;
const MAX_CHAIN = 16;

export class StubValidator {
  private readonly validator: Validator;
  private readonly memo = new Map<string, { until: number; p: Promise<Resolution> }>();
  /** Zone apexes seen in replies (SOA owners, RRSIG signers, DNSKEY owners): where unsigned data lives. */
  private readonly zones = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly o: StubValidatorOptions) {
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
    const clock = { now: () => Date.now(), generation: () => 0, bogusTtl: o.bogusTtl };
    this.validator = new Validator({
      anchors: o.anchors,
      lookup: (name, type) => this.lookup(name, type),
      zoneOf: (name) => this.zoneOf(name),
      verdicts: new ValidationCache<Verdict>(clock),
      keys: new ValidationCache<ZoneKeys>(clock),
      now: this.now,
    });
  }

  get anchors(): TrustAnchors {
    return this.o.anchors;
  }

  /** Whether a trust anchor of ours is at or above `name`: its answers can be judged here. */
  covers(name: string): boolean {
    return this.o.anchors.closest(name.endsWith('.') ? name : `${name}.`) !== undefined;
  }

  /** The verdict on a reply to (name, type) that was asked with DO=1; with the chain when secure. */
  async judge(name: string, type: number, reply: { rcode: number; answers: RR[]; authority: RR[] }): Promise<StubVerdict> {
    const qname = name.endsWith('.') ? name : `${name}.`;
    const r: Resolution = { rcode: reply.rcode, answer: reply.answers, authority: reply.authority, stale: false };
    this.learn(r);
    const v = await this.validator.validate(qname, type, r);
    if (v.security !== 'secure') return v;
    const signedBy = await this.signers([...r.answer, ...r.authority]);
    const chain = await this.chainFor(signedBy.map((s) => s.zone));
    return { ...v, signedBy, chain };
  }

  private lookup(name: string, type: number): Promise<Resolution> {
    const key = `${nameKey(name)}/${type}`;
    const hit = this.memo.get(key);
    if (hit && hit.until > Date.now()) return hit.p;
    const p = this.o.ask.query(name, type).then((m) => {
      const r: Resolution = { rcode: m.rcode, answer: m.answers, authority: m.authority, stale: false };
      this.learn(r);
      const ttls = [...r.answer, ...r.authority].map((rr) => rr.ttl);
      const entry = this.memo.get(key);
      // A reply with no records (an error) is asked again soon.
      if (entry) entry.until = Date.now() + 1000 * (ttls.length === 0 ? 5 : Math.min(MAX_MEMO_TTL, ...ttls));
      return r;
    }, (err: unknown) => {
      this.memo.delete(key);
      return { rcode: 2, answer: [], authority: [], stale: false, reason: `no reply: ${(err as Error).message}` };
    });
    this.memo.set(key, { until: Date.now() + 30_000, p });
    if (this.memo.size > MAX_MEMO) this.memo.delete(this.memo.keys().next().value!);
    return p;
  }

  private learn(r: Resolution): void {
    for (const rr of [...r.answer, ...r.authority]) {
      if (rr.type === RRType.SOA || rr.type === RRType.DNSKEY) this.zones.add(nameKey(rr.name));
      if (rr.type === RRType.RRSIG) {
        const f = parseSig(rr.rdata);
        if (f && isInDomain(rr.name, f.signerName)) this.zones.add(nameKey(f.signerName));
      }
    }
  }

  /** The deepest zone seen at or above `name`, else the closest anchor, else the root. */
  private zoneOf(name: string): string {
    let best: string | undefined;
    for (const z of this.zones) if (isInDomain(name, z) && (best === undefined || labelCount(z) > labelCount(best))) best = z;
    const anchor = this.o.anchors.closest(name)?.zone;
    if (anchor !== undefined && (best === undefined || labelCount(anchor) > labelCount(best))) best = anchor;
    return best ?? '.';
  }

  /** The DNSKEY RDATA of `zone` (from the memo: the validator has just asked for it). */
  private async dnskeys(zone: string): Promise<{ set?: RRset }> {
    const r = await this.lookup(zone, RRType.DNSKEY);
    return { set: toSignedRRsets(r.answer).find((s) => s.type === RRType.DNSKEY && nameEquals(s.name, zone)) };
  }

  /** The keys of `zone` whose RRSIG over `set` verifies. */
  private verifiedBy(set: RRset, zone: string, keys: readonly Buffer[]): ChainKey[] {
    const out: ChainKey[] = [];
    for (const k of keys) {
      if (k.length < 4) continue;
      if (checkSigs(set, zone, [k], this.now()).ok) out.push({ tag: keyTag(k), algorithm: k[3]!, flags: k.readUInt16BE(0) });
    }
    return out;
  }

  private async signers(rrs: RR[]): Promise<SignedBy[]> {
    const out: SignedBy[] = [];
    for (const set of toSignedRRsets(rrs)) {
      const zones = new Set<string>();
      for (const s of set.sigs ?? []) {
        const f = parseSig(s);
        if (f && f.typeCovered === set.type) zones.add(f.signerName);
      }
      for (const zone of zones) {
        const { set: keys } = await this.dnskeys(zone);
        const by = this.verifiedBy(set, zone, keys?.rdata ?? []);
        if (by.length > 0) out.push({ name: set.name, type: set.type, zone, keys: by });
      }
    }
    return out;
  }

  /** The chain of trust above each zone, anchor first, each zone once. */
  private async chainFor(zones: readonly string[]): Promise<ChainLink[]> {
    const links = new Map<string, ChainLink>();
    const order: string[][] = [];
    for (const start of zones) {
      const path: string[] = [];
      let zone: string | undefined = start;
      for (let i = 0; zone !== undefined && i < MAX_CHAIN; i++) {
        const k = nameKey(zone);
        path.unshift(k);
        if (links.has(k)) break;
        const link = await this.link(zone);
        links.set(k, link.link);
        zone = link.parent;
      }
      order.push(path);
    }
    const seen = new Set<string>();
    const out: ChainLink[] = [];
    for (const path of order) for (const k of path) if (!seen.has(k) && links.has(k)) { seen.add(k); out.push(links.get(k)!); }
    return out;
  }

  private async link(zone: string): Promise<{ link: ChainLink; parent?: string }> {
    const { set } = await this.dnskeys(zone);
    const keys = set?.rdata ?? [];
    const dnskeys = keys.filter((k) => k.length >= 4).map((k) => ({ tag: keyTag(k), algorithm: k[3]!, flags: k.readUInt16BE(0) }));
    const dnskeySignedBy = set ? this.verifiedBy(set, zone, keys).map((k) => k.tag) : [];
    const dsOf = (rdata: readonly Buffer[]) => rdata.filter((d) => d.length >= 4).map((d) => ({ tag: d.readUInt16BE(0), algorithm: d[2]!, digestType: d[3]! }));
    const anchor = this.o.anchors.at(zone);
    if (anchor) {
      return { link: { zone, anchor: true, ds: dsOf(anchor.ds), dnskeys, dnskeySignedBy } };
    }
    const r = await this.lookup(zone, RRType.DS);
    const ds = toSignedRRsets(r.answer).find((s) => s.type === RRType.DS && nameEquals(s.name, zone));
    let parent: string | undefined;
    for (const s of ds?.sigs ?? []) {
      const f = parseSig(s);
      if (f && f.typeCovered === RRType.DS && !nameEquals(f.signerName, zone)) parent = f.signerName;
    }
    return { link: { zone, anchor: false, ds: dsOf(ds?.rdata ?? []), dnskeys, dnskeySignedBy }, ...(parent !== undefined ? { parent } : {}) };
  }
}
