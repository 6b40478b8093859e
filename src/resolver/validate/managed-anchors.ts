// RFC 5011 automated updates of DNSSEC trust anchors, as Unbound's autotrust does: the DNSKEY
// RRset of each managed anchor's zone is fetched now and then (active refresh, section 2.3) and,
// when it is signed by a key trusted now, every SEP key in it moves through the states of
// section 4.1. A new key is ADDPEND until it has been seen for the add hold-down (30 days by
// default) and by two probes, then VALID: a trust anchor. A trusted key that shows up with the
// REVOKE bit, signing the RRset itself, is REVOKED at once (no longer trusted) and REMOVED from
// the file after the remove hold-down. A trusted key that goes missing stays trusted (MISSING).
// The file (anchor-file.ts) is rewritten after each probe.

import type { Logger } from '../../base/log.js';
import { silentLogger } from '../../base/log.js';
import { dsMatches } from '../../dnssec/ds.js';
import { keyTag } from '../../dnssec/keytag.js';
import { keysThatSigned } from '../../dnssec/rrsig.js';
import { nameEquals } from '../../wire/name.js';
import { readRrsig } from '../../wire/rdata/dnssec.js';
import { Rcode, RRType } from '../../wire/types.js';
import type { Resolution } from '../resolver.js';
import { AnchorState, readAnchorFile, writeAnchorFile, type ManagedKey, type ManagedPoint } from './anchor-file.js';
import type { TrustAnchor, TrustAnchors } from './anchors.js';

export const DEFAULT_HOLD_DOWN = 30 * 86400;
const REVOKE = 0x0080;

export interface ManagedAnchorOptions {
  file: string;
  /** Seconds a new key waits in ADDPEND (RFC 5011 2.4.1: 30 days). */
  addHoldDown?: number;
  /** Seconds a REVOKED key stays in the file before REMOVED (RFC 5011 4.2: 30 days). */
  removeHoldDown?: number;
}

/** One managed trust point and its file. */
export class ManagedAnchor {
  readonly point: ManagedPoint;
  readonly addHoldDown: number;
  readonly removeHoldDown: number;

  constructor(readonly opts: ManagedAnchorOptions) {
    this.point = readAnchorFile(opts.file);
    this.addHoldDown = opts.addHoldDown ?? DEFAULT_HOLD_DOWN;
    this.removeHoldDown = opts.removeHoldDown ?? DEFAULT_HOLD_DOWN;
  }

  get zone(): string {
    return this.point.zone;
  }

  /** What the validator trusts now: DNSKEYs VALID or MISSING, and DS records not yet turned into keys. */
  anchor(): TrustAnchor {
    const live = this.point.keys.filter((k) => k.state === AnchorState.VALID || k.state === AnchorState.MISSING);
    return { zone: this.zone, ds: live.filter((k) => k.type === RRType.DS).map((k) => k.rdata), dnskey: live.filter((k) => k.type === RRType.DNSKEY).map((k) => k.rdata) };
  }

  /**
   * One probe's DNSKEY RRset (`keys`, with the RRSIGs over it) at `now`. Returns what changed
   * (empty when nothing did), or throws nothing: an RRset no trusted key signed changes no state
   * but revocations.
   */
  update(keys: Buffer[], sigs: Buffer[], ttl: number, now: number): { trustChanged: boolean; said: string[]; refused?: string } {
    const p = this.point;
    const zone = p.zone;
    p.lastQueried = now;
    const rrset = { name: zone, type: RRType.DNSKEY, class: 1, rdata: keys };
    const said: string[] = [];
    let trustChanged = false;
    const set = (k: ManagedKey, state: ManagedKey['state'], why: string): void => {
      const trusted = (s: number) => s === AnchorState.VALID || s === AnchorState.MISSING;
      if (trusted(k.state) !== trusted(state)) trustChanged = true;
      k.state = state;
      k.lastChange = now;
      said.push(`trust anchor ${zone} key ${keyTag(k.rdata)}: ${why}`);
    };
    // Revocations first, whoever else signs (RFC 5011 2.1): a key with the REVOKE bit that signed
    // the RRset itself proves its own revocation, so it counts even when it alone signs (the
    // operator revoked the last anchor); the rest of the RRset is then not trusted.
    const revoked = this.revocations(keys, sigs, rrset, now, set);
    const trust = this.anchor();
    const vouched = keys.filter((k) => (k.readUInt16BE(0) & REVOKE) === 0 && (trust.dnskey.some((a) => a.equals(k)) || trust.ds.some((d) => dsMatches(zone, d, k))));
    if (keysThatSigned(rrset, sigs, vouched, zone, now).length === 0) {
      p.queryFailed++;
      p.nextProbe = now + (p.retryTime || 3600);
      p.keys = p.keys.filter((k) => k.state !== AnchorState.REMOVED);
      writeAnchorFile(this.opts.file, p);
      const none = trust.dnskey.length === 0 && trust.ds.length === 0;
      return {
        trustChanged, said,
        refused: revoked > 0 && none
          ? `every trust anchor of ${zone} is revoked: answers below it are bogus until a new anchor is configured`
          : `the DNSKEY RRset of ${zone} is not signed by a trusted key`,
      };
    }
    // DS anchors become the DNSKEYs they name, as Unbound does after its first probe.
    for (const ds of p.keys.filter((k) => k.type === RRType.DS)) {
      for (const k of keys.filter((x) => (x.readUInt16BE(0) & 1) === 1 && (x.readUInt16BE(0) & REVOKE) === 0 && dsMatches(zone, ds.rdata, x))) {
        if (p.keys.some((e) => e.rdata.equals(k))) continue;
        p.keys.push({ type: RRType.DNSKEY, rdata: k, ttl, state: AnchorState.VALID, count: 0, lastChange: now });
        said.push(`trust anchor ${zone}: DS ${ds.rdata.readUInt16BE(0)} is now the DNSKEY it names`);
        trustChanged = true;
      }
    }
    p.keys = p.keys.filter((k) => k.type !== RRType.DS || !keys.some((x) => dsMatches(zone, k.rdata, x)));
    const seen = new Set<ManagedKey>();
    for (const k of keys.filter((x) => (x.readUInt16BE(0) & 1) === 1)) {
      if ((k.readUInt16BE(0) & REVOKE) !== 0) {
        // Acted on by revocations(); here it only counts as seen (not MISSING).
        const base = unrevoked(k);
        const e = p.keys.find((x) => x.type === RRType.DNSKEY && (x.rdata.equals(base) || x.rdata.equals(k)));
        if (e) seen.add(e);
        continue;
      }
      let e = p.keys.find((x) => x.type === RRType.DNSKEY && x.rdata.equals(k));
      if (!e) {
        e = { type: RRType.DNSKEY, rdata: k, ttl, state: AnchorState.START, count: 0, lastChange: now };
        p.keys.push(e);
      }
      seen.add(e);
      if (e.state === AnchorState.START) {
        e.count = 1;
        set(e, AnchorState.ADDPEND, `new key: trusted after the add hold-down (${this.addHoldDown} s)`);
      } else if (e.state === AnchorState.ADDPEND) {
        e.count++;
        if (now - e.lastChange >= this.addHoldDown && e.count >= 2) {
          e.count = 0;
          set(e, AnchorState.VALID, 'add hold-down over: now a trust anchor');
        }
      } else if (e.state === AnchorState.MISSING) set(e, AnchorState.VALID, 'back in the DNSKEY RRset');
    }
    for (const e of p.keys) {
      if (seen.has(e) || e.type !== RRType.DNSKEY) continue;
      if (e.state === AnchorState.VALID) set(e, AnchorState.MISSING, 'missing from the DNSKEY RRset (still trusted)');
      else if (e.state === AnchorState.ADDPEND) set(e, AnchorState.START, 'gone before its hold-down ended');
    }
    for (const e of p.keys) {
      if (e.state === AnchorState.REVOKED && now - e.lastChange >= this.removeHoldDown) set(e, AnchorState.REMOVED, 'remove hold-down over: dropped from the file');
    }
    p.keys = p.keys.filter((k) => k.state !== AnchorState.REMOVED && k.state !== AnchorState.START);
    // RFC 5011 2.3: probe at least every 15 days, at most hourly, else at half the TTL or signature life.
    const expiries = sigs.map((s) => readRrsig(s).expiration - now).filter((x) => x > 0);
    p.queryInterval = Math.max(3600, Math.min(15 * 86400, Math.floor(ttl / 2), ...expiries.map((x) => Math.floor(x / 2))));
    p.retryTime = Math.max(3600, Math.min(86400, Math.floor(ttl / 10)));
    p.lastSuccess = now;
    p.queryFailed = 0;
    p.nextProbe = now + p.queryInterval;
    writeAnchorFile(this.opts.file, p);
    return { trustChanged, said };
  }

  /**
   * The keys of `keys` with the REVOKE bit whose own signature is over the RRset (RFC 5011 2.1:
   * only the key itself may revoke itself): a trusted one becomes REVOKED, a pending one
   * REMOVED. Returns how many trusted keys were revoked.
   */
  private revocations(
    keys: Buffer[], sigs: Buffer[], rrset: { name: string; type: number; class: number; rdata: Buffer[] }, now: number,
    set: (k: ManagedKey, state: ManagedKey['state'], why: string) => void,
  ): number {
    let n = 0;
    for (const k of keys.filter((x) => (x.readUInt16BE(0) & 1) === 1 && (x.readUInt16BE(0) & REVOKE) !== 0)) {
      const e = this.point.keys.find((x) => x.type === RRType.DNSKEY && x.rdata.equals(unrevoked(k)));
      if (!e || keysThatSigned(rrset, sigs, [k], this.zone, now).length === 0) continue;
      if (e.state === AnchorState.VALID || e.state === AnchorState.MISSING) {
        e.rdata = k;
        set(e, AnchorState.REVOKED, 'revoked (REVOKE bit, self-signed): no longer trusted');
        n++;
      } else if (e.state === AnchorState.ADDPEND || e.state === AnchorState.START) set(e, AnchorState.REMOVED, 'revoked before it was trusted');
    }
    return n;
  }
}

/** The key as it was before its REVOKE bit was set. */
function unrevoked(k: Buffer): Buffer {
  const b = Buffer.from(k);
  b.writeUInt16BE(k.readUInt16BE(0) & ~REVOKE, 0);
  return b;
}

/** Probes the managed anchors through the resolver and keeps the validator's anchors in step. */
export class AnchorTracker {
  private timer?: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(
    private readonly managed: ManagedAnchor[],
    private readonly anchors: TrustAnchors,
    private readonly o: { lookup: (name: string, type: number) => Promise<Resolution>; now: () => number; changed: () => void; logger?: Logger },
  ) {
    this.log = o.logger ?? silentLogger;
    for (const m of managed) anchors.set(m.anchor());
  }

  private chain: Promise<void> = Promise.resolve();

  /** Probe the trust points that are due (all, with `all`); probes run one after another. */
  probe(all = true): Promise<void> {
    const p = this.chain.then(() => this.probeOnce(all));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async probeOnce(all: boolean): Promise<void> {
    const now = this.o.now();
    let changed = false;
    for (const m of this.managed) {
      if (!all && m.point.nextProbe > now) continue;
      const r = await this.o.lookup(m.zone, RRType.DNSKEY);
      const at = r.answer.filter((rr) => nameEquals(rr.name, m.zone));
      const keys = at.filter((rr) => rr.type === RRType.DNSKEY);
      const sigs = at.filter((rr) => rr.type === RRType.RRSIG && rr.rdata.readUInt16BE(0) === RRType.DNSKEY).map((rr) => rr.rdata);
      if (r.rcode !== Rcode.NOERROR || keys.length === 0) {
        this.log.warn(`trust anchor ${m.zone}: probe failed: ${r.reason ?? `rcode ${r.rcode}, ${keys.length} DNSKEY`}`);
        continue;
      }
      const u = m.update(keys.map((k) => k.rdata), sigs, keys[0]!.ttl, now);
      if (u.refused) this.log.warn(`trust anchor ${m.zone}: ${u.refused}; states unchanged`);
      for (const s of u.said) this.log.info(s);
      if (u.trustChanged) {
        this.anchors.set(m.anchor());
        changed = true;
      }
    }
    if (changed) this.o.changed();
  }

  /** Probe what is due every `everyMs` (real time; the due times are on the daemon's clock). */
  start(everyMs = 60_000): void {
    void this.probe().catch((err: unknown) => this.log.error(`trust anchors: probe failed: ${(err as Error).message}`));
    this.timer = setInterval(() => {
      this.probe(false).catch((err: unknown) => this.log.error(`trust anchors: probe failed: ${(err as Error).message}`));
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
