// Zone validation: the rules a parsed zone must pass before it is served, each broken rule a
// fault with a stable code, pointing at the record at fault (RFC 1034, 2181, 6672; BIND's checks).
//
// Where we are stricter than named-checkzone (docs/zones.md says why):
// - out-of-zone records are faults (BIND warns "ignoring out-of-zone data" and drops them);
// - data at or below a delegation other than NS, DS and glue is a fault (BIND loads it silently);
// - data below a DNAME is a fault (BIND only refuses an NS target there);
// - a delegation whose in-zone name server has no address is a fault (BIND logs an error about
//   missing glue but still loads the zone).
// Like BIND: duplicate records collapse silently; differing TTLs in an RRset are no fault (the
// parser has already settled them as BIND does); DNSSEC's RRSIG and NSEC (and KEY, NXT) may sit
// beside a CNAME.

import type { SourcedRR } from './parser.js';
import type { ZoneFault } from './errors.js';
import { RRType, typeToString } from '../wire/types.js';
import { isInDomain, nameKey, parentName, readName } from '../wire/name.js';

const KEY = 25;
const NXT = 30;
/** Types that may share a name with a CNAME (RFC 2181 10.1, RFC 4035 2.5; BIND's "ATCNAME" types). */
const AT_CNAME = new Set<number>([RRType.RRSIG, RRType.NSEC, KEY, NXT]);
/** Types a parent zone holds at a delegation point besides glue (RFC 4035 2.4). */
const AT_CUT = new Set<number>([RRType.NS, RRType.DS, RRType.RRSIG, RRType.NSEC]);

const isAddress = (type: number): boolean => type === RRType.A || type === RRType.AAAA;

/** Every fault of the zone's records, in the order of the records they point at. */
export function validateZone(origin: string, records: SourcedRR[], file: string): ZoneFault[] {
  const apexKey = nameKey(origin);
  const found: { order: number; fault: ZoneFault }[] = [];
  const faulted = new Set<SourcedRR>();
  // Record positions, built on the first fault only: a clean zone of millions of records skips it.
  let order: Map<SourcedRR, number> | undefined;
  /** At most one fault per record: the first rule it breaks. */
  const add = (rr: SourcedRR, code: string, message: string): void => {
    if (faulted.has(rr)) return;
    faulted.add(rr);
    order ??= new Map<SourcedRR, number>(records.map((r, i) => [r, i]));
    found.push({ order: order.get(rr) ?? records.length, fault: { file: rr.file, line: rr.line, col: rr.col, code, message } });
  };
  const addZone = (code: string, message: string): void => {
    found.push({ order: -1, fault: { file, line: 1, col: 1, code, message } });
  };
  /** "line 5", or "file:5" when the record is in another file than `from`. */
  const where = (rr: SourcedRR, from: SourcedRR): string => (rr.file === from.file ? `line ${rr.line}` : `${rr.file}:${rr.line}`);

  // Out-of-zone data first: nothing else is checked for it.
  const distinct: SourcedRR[] = [];
  const sets = new Map<string, Map<number, SourcedRR[]>>(); // name key -> type -> distinct records
  for (const rr of records) {
    if (!isInDomain(rr.name, origin)) {
      add(rr, 'ERR_ZONE_OUT_OF_ZONE', `out-of-zone data: ${rr.name} is not in the zone ${origin}`);
      continue;
    }
    const key = nameKey(rr.name);
    let byType = sets.get(key);
    if (byType === undefined) sets.set(key, (byType = new Map()));
    let set = byType.get(rr.type);
    if (set === undefined) byType.set(rr.type, (set = []));
    if (set.some((o) => o.rdata.equals(rr.rdata))) continue; // a duplicate collapses, as in BIND
    set.push(rr);
    distinct.push(rr);
  }
  const at = (key: string, type: number): SourcedRR[] => sets.get(key)?.get(type) ?? [];

  // SOA: exactly one, at the apex.
  for (const rr of distinct) {
    if (rr.type === RRType.SOA && nameKey(rr.name) !== apexKey) {
      add(rr, 'ERR_ZONE_SOA_NOT_AT_APEX', `SOA record not at top of zone (${rr.name}): the zone's SOA belongs at its apex ${origin}`);
    }
  }
  const soas = at(apexKey, RRType.SOA);
  if (soas.length === 0) addZone('ERR_ZONE_NO_SOA', `no SOA record at the zone apex ${origin}`);
  for (const rr of soas.slice(1)) {
    add(rr, 'ERR_ZONE_MULTIPLE_SOA', `multiple SOA records at ${origin}: a zone has exactly one (the first is at ${where(soas[0]!, rr)})`);
  }
  if (at(apexKey, RRType.NS).length === 0) addZone('ERR_ZONE_NO_NS', `no NS records at the zone apex ${origin}`);

  // CNAME alone at its name (RFC 1034 3.6.2, RFC 2181 10.1), never at the apex; CNAME and
  // DNAME singletons. Walked in file order so the fault lands on the record that breaks the rule.
  const seen = new Map<string, Map<number, SourcedRR>>(); // name key -> type -> first record
  const mixed = new Set<string>();
  for (const rr of distinct) {
    const key = nameKey(rr.name);
    let types = seen.get(key);
    if (types === undefined) seen.set(key, (types = new Map()));
    const first = types.get(rr.type);
    if (rr.type === RRType.CNAME && key === apexKey) {
      add(rr, 'ERR_ZONE_CNAME_AT_APEX', `CNAME at the zone apex ${origin}: the apex has SOA and NS records, and a CNAME must stand alone`);
      continue;
    }
    if (first !== undefined && (rr.type === RRType.CNAME || rr.type === RRType.DNAME)) {
      const code = rr.type === RRType.CNAME ? 'ERR_ZONE_MULTIPLE_CNAME' : 'ERR_ZONE_MULTIPLE_DNAME';
      add(rr, code, `multiple ${typeToString(rr.type)} records at ${rr.name}: a name has at most one (the first is at ${where(first, rr)})`);
      continue;
    }
    if (first === undefined) types.set(rr.type, rr);
    if (key === apexKey || mixed.has(key) || AT_CNAME.has(rr.type)) continue;
    let other: SourcedRR | undefined;
    if (rr.type === RRType.CNAME) {
      for (const [t, o] of types) if (t !== RRType.CNAME && !AT_CNAME.has(t)) { other = o; break; }
    } else {
      other = types.get(RRType.CNAME);
    }
    if (other !== undefined) {
      mixed.add(key);
      add(rr, 'ERR_ZONE_CNAME_AND_OTHER', `CNAME and other data at ${rr.name}: ${typeToString(rr.type)} here and ${typeToString(other.type)} at ${where(other, rr)} (a CNAME must be alone at its name)`);
    }
  }

  // Delegations and DNAMEs: what lies at or below them.
  const cuts = new Set<string>();
  const dnames = new Set<string>();
  const nsTargets = new Set<string>();
  for (const rr of distinct) {
    if (rr.type === RRType.NS && nameKey(rr.name).startsWith('*.')) {
      // RFC 4592 4.2: a wildcard NS is undefined; BIND refuses it, so do we.
      add(rr, 'ERR_ZONE_WILDCARD_NS', `invalid NS owner name (wildcard) ${rr.name}: a delegation cannot be a wildcard (RFC 4592 section 4.2)`);
      continue;
    }
    if (rr.type === RRType.NS) {
      if (nameKey(rr.name) !== apexKey) cuts.add(nameKey(rr.name));
      const target = nsTarget(rr);
      if (target !== undefined) nsTargets.add(nameKey(target));
    } else if (rr.type === RRType.DNAME) {
      dnames.add(nameKey(rr.name));
    }
  }
  const isGlue = (rr: SourcedRR): boolean => isAddress(rr.type) && nsTargets.has(nameKey(rr.name));
  if (cuts.size > 0 || dnames.size > 0) {
    for (const rr of distinct) {
      const key = nameKey(rr.name);
      if (cuts.has(key) && !AT_CUT.has(rr.type) && !isGlue(rr)) {
        add(rr, 'ERR_ZONE_OCCLUDED', `${typeToString(rr.type)} at the delegation point ${rr.name} is occluded: only NS, DS and glue may be at a delegation`);
        continue;
      }
      for (let p = parentName(rr.name); p !== undefined && isInDomain(p, origin); p = parentName(p)) {
        const pk = nameKey(p);
        if (dnames.has(pk)) {
          add(rr, 'ERR_ZONE_BELOW_DNAME', `${rr.name} ${typeToString(rr.type)} is below the DNAME at ${p}: nothing may exist below a DNAME (RFC 6672 section 2.3)`);
          break;
        }
        if (cuts.has(pk)) {
          if (!isGlue(rr)) {
            add(rr, 'ERR_ZONE_OCCLUDED', `${rr.name} ${typeToString(rr.type)} is below the delegation at ${p} and occluded: only glue (A/AAAA of a name server) may be below a delegation`);
          }
          break;
        }
        if (pk === apexKey) break;
      }
    }
  }

  // In-zone name servers need addresses (BIND: "has no address records") and must not be aliases.
  for (const rr of distinct) {
    if (rr.type !== RRType.NS || faulted.has(rr)) continue;
    const target = nsTarget(rr);
    if (target === undefined || !isInDomain(target, origin)) continue;
    const tk = nameKey(target);
    const prefix = nameKey(rr.name) === apexKey ? '' : `${rr.name}/`;
    if (at(tk, RRType.CNAME).length > 0) {
      add(rr, 'ERR_ZONE_NS_CNAME', `${prefix}NS '${target}' is a CNAME (illegal): a name server's name must have its own addresses`);
    } else if (at(tk, RRType.A).length === 0 && at(tk, RRType.AAAA).length === 0) {
      add(rr, 'ERR_ZONE_NO_GLUE', `${prefix}NS '${target}' has no address records (A or AAAA)${prefix === '' ? '' : ': the delegation needs glue'}`);
    }
  }

  return found.sort((a, b) => a.order - b.order).map((f) => f.fault);
}

/** The name server an NS record names; undefined for RDATA that is no name (the codec refuses it). */
function nsTarget(rr: SourcedRR): string | undefined {
  try {
    return readName(rr.rdata, 0).name;
  } catch {
    return undefined;
  }
}
