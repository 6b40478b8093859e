// The online signer (`aop serve --dnssec`): every zone served is signed with keys from a key
// directory (made there, in BIND's key-file format, when a zone has none). The catalog keeps
// the zones as loaded or updated; the signer gives the signed version of each (Catalog.view),
// made on first use per zone version and kept until the next version. Signatures are cached
// across versions (zone-signer.ts), so an UPDATE re-signs only what it touched, and a refresh
// pass re-signs, under a new serial, any zone whose signatures come within `refresh` seconds
// of expiry. Zones that arrive signed already (a dnssec-signzone file, a signed transfer) are
// served as they are.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { atomicWrite } from '../base/atomic-write.js';
import { cdsDeleteWanted } from '../dnssec/cds-delete.js';
import { rdataToText } from '../wire/rdata.js';
import { parseZone } from '../zone/parser.js';
import { formatFault } from '../zone/load.js';
import type { Logger } from '../base/log.js';
import { silentLogger } from '../base/log.js';
import { isSupportedAlgorithm } from '../dnssec/algorithms.js';
import { generateKey, isKsk, KSK_FLAGS, readKeyDir, writeKeyFiles, ZSK_FLAGS, type DnssecKey } from '../dnssec/keys.js';
import { RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { RFC9276_PARAMS, type Nsec3Params } from './nsec3-chain.js';
import { cacheKey, SignatureCache, signZone, type SignedZone, type SigningTimes, type ZoneKeys } from './zone-signer.js';
import { signRrset } from '../dnssec/rrsig.js';
import type { RRset } from '../wire/rr.js';
import { DnssecError } from '../dnssec/errors.js';
import { dsFromDnskey } from '../dnssec/ds.js';
import { asPublished, hasCds, isActive, isPublished, isRevoked } from '../dnssec/key-timing.js';
import { nameKey, parentName } from '../wire/name.js';
import { kskRollStep, type ParentDs } from './ksk-roll.js';
import { cskRollStep } from './csk-roll.js';
import { KEY_LOCK_FILE, withKeyDirLock } from '../dnssec/key-dir-lock.js';

export interface SignerOptions {
  keyDir: string;
  /** Algorithm for keys made here: 13 (ECDSA P-256, the default) or 15 (Ed25519). */
  algorithm: number;
  /** One combined signing key (flags 257) per zone, or a KSK (257) and a ZSK (256). */
  keyLayout: 'combined' | 'split';
  times: SigningTimes;
  nsec3?: Nsec3Params;
  logger?: Logger;
  /** Seconds since 1970; tests move it. */
  now?: () => number;
  /** The stored zone at exactly this origin, when served here: a delegation to it gets its DS. */
  servedZone?: (origin: string) => Zone | undefined;
  /**
   * Seconds a ZSK signs before it is rolled by pre-publication (RFC 7583 3.2.1): a successor is
   * made and published, takes over after the DNSKEY TTL and an hour, and the old key is removed
   * once its signatures have left caches. Off (undefined) by default.
   */
  zskLifetime?: number;
  /**
   * Seconds a KSK signs before it is rolled by the double-DS method (ksk-roll.ts, KSK/ZSK split):
   * the successor's CDS is published, and it takes over once the parent's DS set holds its DS
   * and that set's TTL has passed. A zone with combined keys only has its CSK rolled instead
   * (csk-roll.ts: published first, then a DS swap through the CDS). Off (undefined) by default.
   */
  kskLifetime?: number;
  /**
   * The parent's DS set for a zone whose parent is not served here (what a parental agent
   * answered, src/authority/parent-ds-watch.ts). A parent served here is read directly.
   */
  parentDs?: (origin: string) => ParentDs | undefined;
  /**
   * With `aop serve --workers N` (docs/dnssec.md, "Signing with several workers"): `leader` (one
   * worker) decides rollovers and writes key files, as a single process does; a `follower` never
   * rolls and changes the keys it signs with only when told the key state changed (reloadKeys,
   * relayed from the leader), so it never signs with a key state the leader has not reached.
   * Default `single`: one process, which is its own leader.
   */
  role?: 'single' | 'leader' | 'follower';
}

/** Subsets' signatures kept per zone: a few per agent with flapping endpoints. */
const SUBSET_SIGS = 4096;

/** A zone and the serial it was signed under: what the lead worker tells the others (cluster.ts). */
export interface ZoneSerial {
  origin: string;
  /** The signed serial. */
  serial: number;
  /** The serial of the zone version as loaded (its file's): a worker that has another version does not follow. */
  version: number;
}

export const DEFAULT_TIMES: SigningTimes = { validity: 14 * 86400, refresh: 5 * 86400, backdate: 3600 };

interface ZoneState {
  /** Signatures over RRsets served filtered (signSubset), by content; emptied when it grows past SUBSET_SIGS. */
  subsets?: Map<string, { sigs: Buffer[]; expiration: number }>;
  /** Every key of the zone in the key folder, read at first use and again by reloadKeys(). */
  all: DnssecKey[];
  /** The ones in use now, by their timing fields. */
  keys: ZoneKeys;
  cache: SignatureCache;
  /** The stored version last signed, and its signed form. */
  from?: Zone;
  signed?: SignedZone;
  serial?: number;
  /** The child DS records the last signing put in (a child served here changing keys re-signs). */
  childDsSeen?: string;
  /** A follower's keys were read again (reloadKeys): the next pass selects from them. */
  reread?: boolean;
}

export class Signer {
  private readonly zones = new Map<string, ZoneState>();
  private readonly signedOf = new WeakMap<Zone, Zone>();
  private readonly failed = new Set<string>();
  private readonly adopted = new Map<string, Buffer[] | undefined>();
  /** Zones whose due key roll waits on an unknown parent DS set, logged once. */
  private readonly rollWaitLogged = new Set<string>();
  private readonly log: Logger;
  /** Seconds since 1970 on the signer's clock (the daemon's, or a test's). */
  readonly now: () => number;
  private timer?: NodeJS.Timeout;
  /** Zone signings, and signatures made and reused, for the log and tests. */
  readonly counts = { signings: 0, refreshes: 0 };
  /**
   * Called (not by a follower) after a pass that re-signed zones or changed the key state (a
   * key file written: a roll step, a child's DS adopted; the keys in use changed by their
   * timing), with the zones re-signed and their serials. With workers, the leader's daemon
   * tells the others, which read the keys again and follow (cluster.ts, follow()).
   */
  onKeyState?: (resigned: ZoneSerial[]) => void;
  private keyStateMoved = false;

  /** The key folder (the CDS scan keeps its bootstrap sightings there too). */
  get keyDir(): string {
    return this.opts.keyDir;
  }

  constructor(private readonly opts: SignerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    if (!isSupportedAlgorithm(opts.algorithm)) throw new DnssecError('ERR_DNSSEC_ALGORITHM', `DNSSEC algorithm ${opts.algorithm} is not supported (8, 13, 14 and 15 are)`);
  }

  /** The signed form of a stored zone version (the zone itself when it came signed, or its keys fail). */
  view(zone: Zone): Zone {
    const hit = this.signedOf.get(zone);
    if (hit) return hit;
    if (preSigned(zone)) {
      this.signedOf.set(zone, zone);
      return zone;
    }
    try {
      const signed = this.sign(zone, false);
      this.failed.delete(zone.originKey);
      return signed;
    } catch (err) {
      // Logged once per zone until it works again; the zone is served unsigned meanwhile.
      if (!this.failed.has(zone.originKey)) this.log.error(`zone ${zone.origin}: not signed, served unsigned: ${(err as Error).message}`);
      this.failed.add(zone.originKey);
      return zone;
    }
  }

  /**
   * RRSIGs over a subset of an RRset of a zone version this signer signed (`zone` is its signed
   * form, as served): the answer-time signatures of a health-filtered SVCB set, made with the
   * zone's signing keys and kept by content, so each subset is signed once per key and validity.
   * Undefined for a zone that came signed (no keys here) or is not the version last signed.
   */
  signSubset(zone: Zone, subset: RRset): Buffer[] | undefined {
    const st = this.zones.get(zone.originKey);
    if (st?.signed?.zone !== zone || st.keys.zsk.length === 0) return undefined;
    const now = this.now();
    const rrset = { name: subset.name, type: subset.type, class: subset.class, ttl: subset.ttl, rdata: subset.rdata };
    const key = cacheKey(rrset, st.keys.zsk);
    st.subsets ??= new Map();
    const hit = st.subsets.get(key);
    if (hit !== undefined && hit.expiration - now > this.opts.times.refresh) return hit.sigs;
    const { validity, backdate } = this.opts.times;
    // No later than the zone's own signatures: a refresh re-signs the zone, and these with it.
    const expiration = Math.min(now + validity, st.signed.expiration);
    const sigs = st.keys.zsk.map((k) => signRrset(rrset, { zone: zone.origin, algorithm: k.algorithm, tag: k.tag, privateKey: k.privateKey }, now - backdate, expiration));
    if (st.subsets.size >= SUBSET_SIGS) st.subsets.clear();
    st.subsets.set(key, { sigs, expiration });
    return sigs;
  }

  /** Sign every zone now; throws on the first whose keys cannot be read or made (for startup). */
  prime(zones: Iterable<Zone>): void {
    for (const z of zones) if (!this.signedOf.has(z) && !preSigned(z)) this.sign(z, false);
  }

  /** The keys used for a zone (read or made on first use). */
  keysFor(origin: string): ZoneKeys {
    return this.state(origin).keys;
  }

  /**
   * Re-sign the zones whose signatures come within `refresh` of expiry. Returns the signed
   * zones that changed, for NOTIFY and the stored-answer cache.
   */
  refresh(zones: Iterable<Zone>): Zone[] {
    const out: Zone[] = [];
    const now = this.now();
    const follower = this.opts.role === 'follower';
    const resigned: ZoneSerial[] = [];
    // A follower re-signs when the leader has (follow()); on its own only as a safety net, when
    // its signatures come within half the refresh time of expiry and no word came.
    const due = follower ? this.opts.times.refresh / 2 : this.opts.times.refresh;
    // Children first: a parent served here then signs its children's new DS in the same pass.
    const ordered = [...zones].sort((a, b) => b.originKey.split('.').length - a.originKey.split('.').length);
    for (const z of ordered) {
      const st = this.zones.get(z.originKey);
      if (!st?.signed || st.from !== z) continue;
      if (this.opts.zskLifetime !== undefined && !follower) this.rollZsks(z, st, now, this.opts.zskLifetime);
      if (this.opts.kskLifetime !== undefined && !follower) this.rollKsks(z, st, now, this.opts.kskLifetime);
      // A key reaching its Publish, Activate, Inactive or Delete time (or added, or retimed)
      // changes the signing: on a follower only once the leader has said so (reloadKeys).
      let keysChanged = false;
      if (!follower || st.reread) {
        st.reread = false;
        try {
          const keys = selectKeys(st.all, now, this.opts.keyDir, z.origin, dnskeyTtlOf(z));
          if (!sameKeys(keys, st.keys)) {
            if (keys.cdsDelete !== st.keys.cdsDelete) this.log.info(`zone ${z.origin}: ${keys.cdsDelete === true ? 'publishing the CDS/CDNSKEY delete signal (RFC 8078 4): the parent is asked to remove its DS' : 'the delete signal withdrawn: the keys\' CDS/CDNSKEY published again'}`);
            this.log.info(`zone ${z.origin}: keys now published ${tagsOf(keys.published)}, signing with ${tagsOf(keys.ksk)} (DNSKEY) and ${tagsOf(keys.zsk)}`);
            st.keys = keys;
            keysChanged = true;
            this.keyStateMoved = true;
          }
        } catch (err) {
          this.log.error(`zone ${z.origin}: the keys in use stay: ${(err as Error).message}`);
        }
      }
      const dsChanged = this.childDsKey(z) !== st.childDsSeen;
      if (dsChanged) this.log.info(`zone ${z.origin}: a child's DS set changed; re-signing`);
      if (!keysChanged && !dsChanged && now < st.signed.expiration - due) continue;
      try {
        out.push(this.sign(z, true));
        resigned.push({ origin: z.origin, serial: st.serial!, version: z.serial });
        this.counts.refreshes++;
      } catch (err) {
        this.log.error(`zone ${z.origin}: re-signing failed; the old signatures stay: ${(err as Error).message}`);
      }
    }
    if ((this.keyStateMoved || resigned.length > 0) && !follower) {
      this.keyStateMoved = false;
      this.onKeyState?.(resigned);
    }
    return out;
  }

  /**
   * A follower's side of the leader's pass: the zones the leader re-signed, each under the
   * serial it used, re-signed here under the same serial with the keys as last read
   * (reloadKeys), so both give the same serial and keys. A zone this process is at or past
   * already, or holds another version of, is left alone. Returns the zones re-signed.
   */
  follow(states: readonly ZoneSerial[]): Zone[] {
    const out: Zone[] = [];
    for (const { origin, serial, version } of states) {
      const st = this.zones.get(origin.toLowerCase());
      if (!st?.from || (st.serial !== undefined && !serialBefore(st.serial, serial))) continue;
      // Mid-reload the lead may have the zone's next version: this worker signs that itself when it loads it.
      if (st.from.serial !== version) continue;
      try {
        out.push(this.sign(st.from, false, serial));
        this.counts.refreshes++;
      } catch (err) {
        this.log.error(`zone ${origin}: not re-signed as the lead worker did; the old signatures stay: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** Every zone signed here and the serial it was last signed under. */
  serials(): ZoneSerial[] {
    const out: ZoneSerial[] = [];
    for (const st of this.zones.values()) if (st.from && st.serial !== undefined) out.push({ origin: st.from.origin, serial: st.serial, version: st.from.serial });
    return out;
  }

  /** Milliseconds between passes: a quarter of the refresh time, 1 s to 1 h. */
  passEvery(): number {
    return Math.max(1000, Math.min(this.opts.times.refresh * 250, 3_600_000));
  }

  /** Run refresh() on a timer; `changed` gets each re-signed zone. */
  start(zones: () => Iterable<Zone>, changed: (signed: Zone) => void): void {
    const every = this.passEvery();
    this.timer = setInterval(() => {
      for (const s of this.refresh(zones())) changed(s);
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sign(zone: Zone, bump: boolean, to?: number): Zone {
    const st = this.state(zone.origin);
    const now = this.now();
    // A follower keeps the key state it was last given (state(), reloadKeys): see SignerOptions.role.
    if (this.opts.role !== 'follower' || st.reread) st.keys = selectKeys(st.all, now, this.opts.keyDir, zone.origin, dnskeyTtlOf(zone));
    st.reread = false;
    // The signed serial moves forward whenever the signed data does: a new version keeps its
    // own serial unless a refresh already went past it.
    let serial: number;
    if (to !== undefined) serial = to;
    else if (bump) serial = ((st.serial ?? zone.serial) + 1) >>> 0;
    else if (st.serial === undefined || serialBefore(st.serial, zone.serial)) serial = zone.serial;
    else serial = (st.serial + 1) >>> 0;
    const signed = signZone(zone, st.keys, this.opts.nsec3 ?? RFC9276_PARAMS, this.opts.times, st.cache, now, serial === zone.serial ? undefined : serial, (cut, inZone) => this.childDs(cut, inZone));
    st.childDsSeen = this.childDsKey(zone);
    st.from = zone;
    st.signed = signed;
    st.serial = serial;
    this.signedOf.set(zone, signed.zone);
    this.counts.signings++;
    this.log.info(`zone ${zone.origin}: signed serial ${serial} (${st.cache.counts.made} signatures made, ${st.cache.counts.reused} reused so far)`);
    return signed.zone;
  }

  /** The DS records a signing of `zone` would put at its delegations to zones served here. */
  private childDsKey(zone: Zone): string {
    const parts: string[] = [];
    for (const cutKey of zone.delegations()) {
      const cut = zone.nodeByKey(cutKey);
      if (!cut) continue;
      const ds = this.childDs(cut.name, cut.rrsets.get(RRType.DS)?.rdata);
      if (ds) parts.push(`${cutKey}:${ds.map((d) => d.toString('hex')).sort().join(',')}`);
    }
    return parts.join(';');
  }

  /**
   * DS records for a child zone served here: what its CDS asks for (its keys with a CDS now,
   * RFC 7344; as a parental agent in the same process), or a signed child's own SEP keys.
   */
  private childDs(origin: string, inZone?: readonly Buffer[]): Buffer[] | undefined {
    const adopted = this.adoptedDs(origin);
    if (adopted) return adopted;
    // A DS written in the parent's zone file is kept as written.
    if (inZone) return undefined;
    const child = this.opts.servedZone?.(origin);
    if (!child) return undefined;
    if (preSigned(child)) {
      const sep = child.apex.rrsets.get(RRType.DNSKEY)?.rdata.filter((k) => k.length > 4 && (k.readUInt16BE(0) & 1) === 1) ?? [];
      return sep.map((k) => dsFromDnskey(child.origin, k, 2));
    }
    try {
      return this.state(child.origin).keys.cds.map((k) => dsFromDnskey(child.origin, k.dnskey, 2));
    } catch (err) {
      this.log.error(`zone ${child.origin}: no DS for it in its parent: ${(err as Error).message}`);
      return undefined;
    }
  }

  private state(origin: string): ZoneState {
    const key = origin.toLowerCase();
    let st = this.zones.get(key);
    if (!st) {
      const all = this.loadKeys(origin);
      st = { all, keys: selectKeys(all, this.now(), this.opts.keyDir, origin), cache: new SignatureCache() };
      this.zones.set(key, st);
    }
    return st;
  }

  private loadKeys(origin: string): DnssecKey[] {
    const dir = this.opts.keyDir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const now = this.now();
    let all = readKeyDir(dir, origin);
    // Made under the folder's lock and only when, read again inside it, the zone still has none:
    // another worker (or daemon) sharing the folder may have made them meanwhile (key-dir-lock.ts).
    if (all.length === 0) all = withKeyDirLock(dir, () => this.makeKeysIfNone(origin, dir, now));
    else {
      // A process making keys writes them one file at a time: a read between two files is half a
      // set. It holds the lock while it writes, so a lock seen, or a second read that differs,
      // sends this read under the lock, after the writer.
      const busy = existsSync(path.join(dir, KEY_LOCK_FILE));
      const again = readKeyDir(dir, origin);
      const tags = (ks: readonly DnssecKey[]): string => ks.map((k) => k.tag).sort().join(',');
      all = busy || tags(again) !== tags(all) ? withKeyDirLock(dir, () => readKeyDir(dir, origin)) : again;
    }
    for (const k of all) {
      if (!isSupportedAlgorithm(k.algorithm)) throw new DnssecError('ERR_DNSSEC_ALGORITHM', `key ${k.tag} of ${origin} in ${dir} is of algorithm ${k.algorithm}, which aop cannot sign with`);
    }
    return all;
  }

  private makeKeysIfNone(origin: string, dir: string, now: number): DnssecKey[] {
    let all = readKeyDir(dir, origin);
    if (all.length === 0) {
      const made = this.opts.keyLayout === 'split'
        ? [generateKey(origin, this.opts.algorithm, KSK_FLAGS, now), generateKey(origin, this.opts.algorithm, ZSK_FLAGS, now)]
        : [generateKey(origin, this.opts.algorithm, KSK_FLAGS, now)];
      for (const k of made) writeKeyFiles(dir, k);
      const role = (k: DnssecKey): string => (made.length === 1 ? 'combined signing key' : isKsk(k) ? 'KSK' : 'ZSK');
      this.log.info(`zone ${origin}: made ${made.map((k) => `${role(k)} ${k.tag}`).join(' and ')} (algorithm ${this.opts.algorithm}) in ${dir}`);
      all = made;
    }
    return all;
  }

  /**
   * ZSK pre-publication: for each active ZSK older than `lifetime` with no successor yet, make
   * one (published now, active after the DNSKEY TTL and an hour) and time the old key out
   * (inactive then, deleted after the zone's longest TTL and an hour more). Both written to the
   * key folder, so a restart or BIND reading the folder continues the roll.
   */
  private rollZsks(zone: Zone, st: ZoneState, now: number, lifetime: number): void {
    const zsks = st.all.filter((k) => !isKsk(k) && !(k.timing.Delete !== undefined && k.timing.Delete <= now));
    if (zsks.length === 0 || st.all.every((k) => !isKsk(k))) return; // a combined key is not a ZSK
    const pending = zsks.some((k) => (k.timing.Activate ?? 0) > now);
    if (pending) return;
    const dnskeyTtl = zone.apex.rrsets.get(RRType.DNSKEY)?.ttl ?? zone.soa.ttl;
    for (const old of zsks) {
      const since = old.timing.Activate ?? old.timing.Created ?? now;
      if (old.timing.Inactive !== undefined || now - since < lifetime) continue;
      let maxTtl = 0;
      for (const rr of zone.records()) if (rr.ttl > maxTtl) maxTtl = rr.ttl;
      const next = generateKey(zone.origin, old.algorithm, ZSK_FLAGS, now);
      const activate = now + dnskeyTtl + 3600;
      next.timing = { Created: now, Publish: now, Activate: activate };
      old.timing = { ...old.timing, Inactive: activate, Delete: activate + maxTtl + 3600 };
      try {
        writeKeyFiles(this.opts.keyDir, next);
        writeKeyFiles(this.opts.keyDir, old);
      } catch (err) {
        this.log.error(`zone ${zone.origin}: ZSK ${old.tag} not rolled: ${(err as Error).message}`);
        return;
      }
      st.all.push(next);
      this.keyStateMoved = true;
      this.log.info(`zone ${zone.origin}: rolling ZSK ${old.tag} to ${next.tag}: published now, active ${new Date(activate * 1000).toISOString()}, ${old.tag} removed ${new Date(old.timing.Delete! * 1000).toISOString()}`);
    }
  }

  /** `dsset-<child>` in the key folder, BIND's name for a child's DS set (dnssec-signzone -g reads them). */
  private dssetFile(origin: string): string {
    return path.join(this.opts.keyDir, `dsset-${nameKey(origin)}`);
  }

  /** The DS set adopted for a child from its CDS (cds-scan.ts), kept in the key folder across restarts. */
  adoptedDs(origin: string): Buffer[] | undefined {
    const key = nameKey(origin);
    if (!this.adopted.has(key)) {
      let text: string | undefined;
      try {
        text = readFileSync(this.dssetFile(origin), 'utf8');
      } catch {
        text = undefined;
      }
      const { records, faults } = text === undefined ? { records: [], faults: [] } : parseZone(text, { origin: '.', file: this.dssetFile(origin), defaultTtl: 3600 });
      if (faults.length > 0) this.log.error(`${this.dssetFile(origin)}: ignored: ${faults.map((f) => formatFault(f)).join('; ')}`);
      const ds = records.filter((r) => r.type === RRType.DS && nameKey(r.name) === key).map((r) => r.rdata);
      // A file with no DS is a DS set removed by the child's delete signal (RFC 8078 4).
      this.adopted.set(key, text === undefined || faults.length > 0 ? undefined : ds);
    }
    return this.adopted.get(key);
  }

  /**
   * Make `ds` the DS set of the child `origin` in its parent here (written to `dsset-<child>`
   * first); an empty set removes the DS (the delete signal): the delegation is then insecure.
   */
  adoptDs(origin: string, ds: Buffer[], ttl: number): void {
    const text = ds.length === 0
      ? `; DS set of ${nameKey(origin)} removed by its CDS delete signal (RFC 8078 4): an insecure delegation\n`
      : `; DS set of ${nameKey(origin)} adopted from its CDS by aop\n` + ds.map((d) => `${nameKey(origin)} ${ttl} IN DS ${rdataToText(RRType.DS, d)}`).join('\n') + '\n';
    atomicWrite(this.dssetFile(origin), text, { mode: 0o644 });
    this.adopted.set(nameKey(origin), ds);
    this.keyStateMoved = true;
  }

  /** The parent's DS set for `origin`: from the parent zone when it is served here, else what opts.parentDs saw. */
  parentDsOf(origin: string): ParentDs | undefined {
    for (let p = parentName(nameKey(origin)); p !== undefined; p = parentName(p)) {
      const parent = this.opts.servedZone?.(p);
      if (!parent) continue;
      const node = this.view(parent).nodeByKey(nameKey(origin));
      const set = node?.rrsets.get(RRType.DS);
      return { ds: set?.rdata ?? [], ttl: set?.ttl ?? parent.soa.ttl };
    }
    return this.opts.parentDs?.(origin);
  }

  /**
   * One step of a double-DS KSK roll (ksk-roll.ts), or of a CSK roll (csk-roll.ts) when the zone
   * has combined keys only; changed keys are written to the key folder.
   */
  private rollKsks(zone: Zone, st: ZoneState, now: number, lifetime: number): void {
    const dnskeyTtl = dnskeyTtlOf(zone);
    const o = {
      lifetime, dnskeyTtl, parent: this.parentDsOf(zone.origin),
      make: (flags: number) => generateKey(zone.origin, st.all.find(isKsk)?.algorithm ?? this.opts.algorithm, flags, now),
    };
    let maxTtl = 0;
    if (st.all.every(isKsk)) for (const rr of zone.records()) if (rr.ttl > maxTtl) maxTtl = rr.ttl;
    const step = st.all.every(isKsk) ? cskRollStep(zone.origin, st.all, now, { ...o, maxTtl }) : kskRollStep(zone.origin, st.all, now, o);
    if (step.waiting !== undefined && !this.rollWaitLogged.has(zone.originKey)) {
      this.rollWaitLogged.add(zone.originKey);
      this.log.warn(`zone ${zone.origin}: ${step.waiting}`);
    }
    if (step.changed.length === 0) return;
    this.rollWaitLogged.delete(zone.originKey);
    try {
      for (const k of step.changed) writeKeyFiles(this.opts.keyDir, k);
    } catch (err) {
      this.log.error(`zone ${zone.origin}: key roll step not taken: ${(err as Error).message}`);
      if (step.made) st.all = st.all.filter((k) => k !== step.made);
      return;
    }
    if (step.made) st.all.push(step.made);
    this.keyStateMoved = true;
    this.log.info(`zone ${zone.origin}: ${step.said}`);
  }

  /**
   * Read every zone's keys from the folder again (on SIGHUP): keys added with dnssec-keygen, or
   * retimed with dnssec-settime, take effect at the next refresh() without a restart. A folder
   * that cannot be read keeps the keys in use, with an error logged.
   */
  reloadKeys(): void {
    // Children's adopted DS sets too (dsset-* files, written by the leader's CDS scan).
    this.adopted.clear();
    for (const [key, st] of this.zones) {
      const origin = st.all[0]?.zone ?? key;
      try {
        st.all = this.loadKeys(origin);
        st.reread = true;
      } catch (err) {
        this.log.error(`zone ${origin}: keys not reloaded, the ones in use stay: ${(err as Error).message}`);
      }
    }
  }
}

const dnskeyTtlOf = (zone: Zone): number => zone.apex.rrsets.get(RRType.DNSKEY)?.ttl ?? zone.soa.ttl;

/**
 * The keys in use at `now` by their timing: published (Publish..Delete) and active
 * (Activate..Inactive). With combined keys only and more than one active (a CSK roll,
 * csk-roll.ts), all sign the DNSKEY RRset but the zone's data is signed by the one activated
 * last, once it has been published a DNSKEY TTL (`dnskeyTtl`; unknown: all sign everything).
 */
function selectKeys(all: readonly DnssecKey[], now: number, dir: string, origin: string, dnskeyTtl?: number): ZoneKeys {
  // A revoked key (RFC 5011) is published with the REVOKE bit and still signs the DNSKEY RRset.
  const published = all.filter((k) => isPublished(k, now)).map((k) => asPublished(k, now));
  const active = all.filter((k) => isActive(k, now)).map((k) => asPublished(k, now));
  if (active.length === 0) throw new DnssecError('ERR_DNSSEC_KEY_FILE', `${dir}: no active key for ${origin} (check the Activate and Inactive times)`);
  const ksk = active.filter(isKsk);
  const zsk = active.filter((k) => !isKsk(k) && !isRevoked(k, now));
  const signing = ksk.length > 0 ? ksk : zsk;
  // With no SEP key at all, the keys that sign the DNSKEY RRset are the ones the DS names.
  const cds = all.filter((k) => hasCds(k, now) && (isKsk(k) || ksk.length === 0));
  const base = { published, ksk: signing, zsk: zsk.length > 0 ? zsk : newestCsk(ksk, now, dnskeyTtl) };
  // The operator's delete signal replaces the keys' CDS (a parent here then drops the DS too: childDs).
  if (cdsDeleteWanted(dir, origin)) return { ...base, cds: [], cdsDelete: true };
  return { ...base, cds: cds.length > 0 || ksk.length > 0 ? cds : signing };
}

/**
 * Of several active combined keys, per algorithm, the one(s) activated last, if published a
 * DNSKEY TTL ago; else all of that algorithm. Per algorithm: every algorithm in the DNSKEY RRset
 * must sign every RRset (RFC 4035 2.2, RFC 6840 5.11), so an algorithm roll signs with both.
 */
function newestCsk(ksk: DnssecKey[], now: number, dnskeyTtl: number | undefined): DnssecKey[] {
  if (ksk.length < 2 || dnskeyTtl === undefined) return ksk;
  const activated = (k: DnssecKey): number => k.timing.Activate ?? k.timing.Publish ?? 0;
  const out: DnssecKey[] = [];
  for (const alg of new Set(ksk.map((k) => k.algorithm))) {
    const of = ksk.filter((k) => k.algorithm === alg);
    const live = of.filter((k) => !isRevoked(k, now));
    const latest = Math.max(...live.map(activated));
    const newest = live.filter((k) => activated(k) === latest && (k.timing.Publish ?? k.timing.Activate ?? 0) + dnskeyTtl <= now);
    out.push(...(live.length >= 2 && newest.length > 0 ? newest : of));
  }
  return out;
}

const tagsOf = (ks: readonly DnssecKey[]): string => ks.map((k) => `${k.algorithm}+${k.tag}`).sort().join(',');

function sameKeys(a: ZoneKeys, b: ZoneKeys): boolean {
  return tagsOf(a.published) === tagsOf(b.published) && tagsOf(a.ksk) === tagsOf(b.ksk) && tagsOf(a.zsk) === tagsOf(b.zsk) && tagsOf(a.cds) === tagsOf(b.cds) && a.cdsDelete === b.cdsDelete;
}

/** A zone that came signed: its DNSKEY RRset has RRSIGs (NSD's test for a signed zone). */
function preSigned(zone: Zone): boolean {
  return zone.apex.rrsets.get(RRType.RRSIG)?.rdata.some((r) => r.length >= 2 && r.readUInt16BE(0) === RRType.DNSKEY) ?? false;
}

function serialBefore(a: number, b: number): boolean {
  return a !== b && ((a < b && b - a < 0x80000000) || (a > b && a - b > 0x80000000));
}

export type { DnssecKey };
