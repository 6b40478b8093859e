// The agent check of a whole zone (docs/records.md, "Checking a zone"): every agent's SVCB set
// and `_agent` TXT read as an aop client reads them, every endpoint host in the zone with
// addresses, and the `_index._agents` PTR set consistent with the agents. `aop zone check` and
// the daemon's zone load run it after the zone loader has accepted the zone: errors refuse the
// zone like any other zone fault, warnings are reported and the zone is served.
//
// It takes the zone structurally (src/zone's Zone fits), so this module still imports only
// src/wire (test/boundaries.test.ts).

import { aidClientProblems, aidFromTxt, aidNotHttps, selectAid, type AidRecord } from './aid.js';
import { indexLabel, indexStrings, parseIndexTxt } from './index-txt.js';
import { listedOnPath, zoneIndexEntries } from './index-pages.js';
import { cardFromRecords } from './card.js';
import { dnsAidProblems } from './client-compat.js';
import { aidFine, fastAidU, fastCache, svcbFine, type FastRead } from './zone-fast.js';
import { AgentRecordError, type RecordProblem } from './errors.js';
import { alpnIds, readSvcb, SvcKey, type SvcbData } from './svcb.js';
import { bapToken } from './values.js';
import type { RR, RRset } from '../wire/rr.js';
import { WireError } from '../wire/errors.js';
import { isInDomain, nameEquals, nameKey, parentName, readName } from '../wire/name.js';
import { RRClass, RRType, typeToString } from '../wire/types.js';
import { answerOctets, MAX_DNS_MESSAGE } from '../wire/answer-size.js';

type ZoneNodeView = { name: string; rrsets: ReadonlyMap<number, RRset> };

/** What checkAgentZone needs of a zone: src/zone's Zone has all of it. */
export interface AgentZoneView {
  readonly origin: string;
  /** Every node (name) of the zone with its RRsets. */
  allNodes(): Iterable<{ name: string; rrsets: ReadonlyMap<number, RRset> }>;
  rrset(name: string, type: number): RRset | undefined;
  /** The node at exactly this name; lets `names` check a few names without walking the zone. */
  node?(name: string): { name: string; rrsets: ReadonlyMap<number, RRset> } | undefined;
}

/** Every code an AgentZoneFault carries (docs/errors.md has a row for each, docs/records.md says why). */
export const AgentZoneCode = {
  // Errors: the zone is refused.
  ERR_AGENT_ZONE_RECORD: 'an agent SVCB record that aop clients skip: malformed, a required key missing or bad, another tool than the agent\'s',
  ERR_AGENT_ZONE_TARGET: 'an agent endpoint host inside the zone with no A, AAAA or CNAME record',
  ERR_AGENT_ZONE_AID: 'an `_agent` TXT of an agent that is not valid AID, or several AID records of one version at one name',
  // Warnings: the zone is served.
  ERR_AGENT_ZONE_INCOMPLETE: "an agent SVCB record without some of aop's keys (path, transport, tool) or with a `mandatory` key aop lacks: aop clients read one in DNS-AID form (none of aop's keys, `mcp` in alpn or bap) as DNS-AID clients do, and skip the rest; an error when the index lists the name and no record of it is usable",
  ERR_AGENT_ZONE_INDEX: 'an `_index._agents` entry that names no agent in the zone, or a name outside it; a TXT index that disagrees with the PTR set',
  ERR_AGENT_ZONE_UNLISTED: 'an agent the zone\'s `_index._agents` does not list',
  ERR_AGENT_ZONE_NOTE: 'something a client tolerates: a TXT that disagrees with the SVCB, no `_agent` TXT, a dangling alias, ...',
  // Warnings about what other clients refuse (client-compat.ts, aid.ts's aidClientProblems).
  ERR_AGENT_ZONE_AID_REFUSED: 'an AID record that AID clients refuse: a `u` that is not https (loopback included), `i` in aid2, `k` without `i` in aid1',
  ERR_AGENT_ZONE_DNSAID_TARGET: 'an agent record with TargetName `.`, from which DNS-AID clients build an empty host and drop the record',
  ERR_AGENT_ZONE_DNSAID_CAP: 'a `cap` (key65400) that is not an https URL, which DNS-AID clients never fetch',
  ERR_AGENT_ZONE_DNSAID_BAP: 'a `bap` (key65402) holding more than one token, or not of the form DNS-AID clients accept (`mcp`, `mcp=1.0`)',
  ERR_AGENT_ZONE_MANDATORY_PRIVATE: 'a `mandatory` list naming private-use keys (65280-65534): RFC 9460 clients other than aop drop the record',
  // Any RRset, agent or not: one no DNS message can hold (an UPDATE that makes one is refused).
  ERR_AGENT_ZONE_RRSET_TOO_LARGE: 'an RRset whose smallest answer is over 65,535 octets, so no DNS message holds it, over TCP either: servers answer TC=1 with no records (BIND too), and clients see nothing',
} as const;
export type AgentZoneCodeName = keyof typeof AgentZoneCode;

const ERRORS = new Set<AgentZoneCodeName>(['ERR_AGENT_ZONE_RECORD', 'ERR_AGENT_ZONE_TARGET', 'ERR_AGENT_ZONE_AID']);

/** One thing wrong with the agent records of a zone. */
export interface AgentZoneFault {
  /** `error` refuses the zone; `warning` is reported only. */
  severity: 'error' | 'warning';
  code: AgentZoneCodeName;
  /** Owner and type of the record meant. */
  owner: string;
  type: number;
  /** The record's RDATA, when one record of the RRset is meant (to find where it is written). */
  rdata?: Buffer;
  /** Names the record: `bad.acme.agents. SVCB 1: bad key65320 (path) "no-slash": ...`. */
  message: string;
  /** Where the record is written, when the caller could tell (locate). */
  file?: string;
  line?: number;
  col?: number;
}

export interface AgentZoneOptions {
  /**
   * Check only the agents at these names (name keys, see nameKey), as after a dynamic update
   * that touched them; the index entries are still compared with the zone. Default: every name.
   */
  names?: ReadonlySet<string>;
  /**
   * false: leave out the index's own checks (entries that name no agent, agents it does not
   * list), warnings that walk the whole index; an UPDATE, which only needs the errors at the
   * names it touched, passes false so its cost follows the change. Default true.
   */
  indexChecks?: boolean;
  /** Where a record is written: file, line and column of the record (its first one of the RRset when rdata is not given). */
  locate?: (owner: string, type: number, rdata: Buffer | undefined) => { file: string; line: number; col: number } | undefined;
  /**
   * @internal false: every agent through the full check, none through the fast path
   * (zone-fast.ts); test/agent/zone-fast.test.ts compares the two. Default true.
   */
  fast?: boolean;
}

/** aop's own SvcParamKeys: a record with any of them, and no alpn at all, is taken for an agent record. */
const AOP_KEYS = [SvcKey.path, SvcKey.transport, SvcKey.tool, SvcKey.capabilities, SvcKey.description, SvcKey.auth, SvcKey.scheme];

/** The index name of an organisation (docs/records.md, "The organisation index"). */
export function indexName(origin: string): string {
  return origin === '.' ? '_index._agents.' : `_index._agents.${origin}`;
}

function svcbOf(rdata: Buffer): SvcbData | undefined {
  try {
    return readSvcb(rdata);
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
}

function nameIn(rdata: Buffer): string | undefined {
  try {
    return readName(rdata, 0).name;
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
}

/**
 * Check the agent records of a zone (docs/records.md, "Checking a zone"). Returns every fault,
 * errors and warnings, in zone order; no fault means the zone's agents are as docs/records.md
 * asks. Which SVCB records are agent records: ServiceMode records at names that do not start
 * with `_` whose `alpn` contains `mcp`, that have aop keys (65320-65326) and no `alpn`, or whose
 * name the index lists.
 */
export function checkAgentZone(zone: AgentZoneView, opts: AgentZoneOptions = {}): AgentZoneFault[] {
  const origin = zone.origin;
  const faults: AgentZoneFault[] = [];
  const add = (code: AgentZoneCodeName, owner: string, type: number, rdata: Buffer | undefined, message: string): void => {
    const f: AgentZoneFault = { severity: ERRORS.has(code) ? 'error' : 'warning', code, owner, type, message };
    if (rdata !== undefined) f.rdata = rdata;
    const at = opts.locate?.(owner, type, rdata);
    if (at !== undefined) {
      f.file = at.file;
      f.line = at.line;
      f.col = at.col;
    }
    faults.push(f);
  };

  /** At or below a delegation inside the zone: the data there is the child's, not checked here. */
  const belowCut = (name: string): boolean => {
    for (let p: string | undefined = name; p !== undefined && !nameEquals(p, origin); p = parentName(p)) {
      if (zone.rrset(p, RRType.NS) !== undefined) return true;
    }
    return false;
  };
  const inZone = (name: string): boolean => isInDomain(name, origin) && !belowCut(name);
  // Endpoint hosts are shared by many agents: each is looked up once.
  const hosts = new Map<string, boolean>();
  const hasAddress = (host: string): boolean => {
    const key = nameKey(host);
    let ok = hosts.get(key);
    if (ok === undefined) {
      ok = !inZone(host) || zone.rrset(host, RRType.A) !== undefined || zone.rrset(host, RRType.AAAA) !== undefined || zone.rrset(host, RRType.CNAME) !== undefined;
      if (hosts.size < 65536) hosts.set(key, ok);
    }
    return ok;
  };

  // The index first: a listed name is an agent whatever its records say. A paged index
  // (index-pages.ts) is walked through its pages; checking a few names without the index checks
  // looks only at the pages on each name's hash path.
  const index = indexName(origin);
  const ptrs = zone.rrset(index, RRType.PTR);
  const listed = new Set<string>();
  const indexOwner = ptrs?.name ?? index;
  const subset = opts.names !== undefined && opts.indexChecks === false;
  const walked = subset ? undefined : zoneIndexEntries(zone, index);
  if (subset) {
    for (const k of opts.names!) if (listedOnPath(zone, index, origin, k)) listed.add(k);
  } else {
    for (const m of walked!.malformed) add('ERR_AGENT_ZONE_INDEX', m.owner, RRType.PTR, m.rdata, `${m.owner} PTR: malformed RDATA`);
    for (const e of walked!.entries) listed.add(nameKey(e.target));
  }

  const agents: string[] = [];
  // Agents that are clearly fine skip the full check (zone-fast.ts); the rest, and every fault, go through it.
  const fast = opts.fast === false ? undefined : fastCache(hasAddress);
  // The owner of the last SVCB set seen: the orphan-TXT check of its `_agent` node needs no look-up.
  let lastSvcb = '';
  // An agent whose SVCB set the fast path found fine, waiting for its `_agent` TXT: usually the
  // next node, so it is not looked up. Settled before the next node is checked, so faults (from
  // the full check, when the TXT is not clearly fine) keep zone order.
  let pending: { node: ZoneNodeView; reads: FastRead } | undefined;
  const failed = (node: ZoneNodeView, e: unknown): void => {
    // A bug here must not take a zone out of service: say so, and go on.
    add('ERR_AGENT_ZONE_NOTE', node.name, RRType.SVCB, undefined, `${node.name}: not checked, the agent check failed (${e instanceof Error ? e.message : String(e)}); please report this aop bug`);
  };
  const settle = (next: ZoneNodeView | undefined): void => {
    if (pending === undefined) return;
    const { node, reads } = pending;
    pending = undefined;
    try {
      const owner = node.name;
      const txt = next !== undefined && next.name.length === owner.length + 7 && next.name.startsWith('_agent.') && next.name.endsWith(owner)
        ? next.rrsets.get(RRType.TXT)
        : zone.rrset(`_agent.${owner}`, RRType.TXT);
      const verdict = aidFine(txt, reads);
      if (verdict === 0) {
        checkNode(node, false);
        return;
      }
      agents.push(owner);
      // Fine for aop, but a plain http u= that AID clients refuse: the full check's warning.
      if (verdict === 2) add('ERR_AGENT_ZONE_AID_REFUSED', txt!.name, RRType.TXT, txt!.rdata[0]!, `${txt!.name} TXT: ${aidNotHttps(fastAidU(txt!.rdata[0]!))}`);
    } catch (e) {
      failed(node, e);
    }
  };
  const nodes = opts.names === undefined || zone.node === undefined
    ? zone.allNodes()
    : [...opts.names].map((k) => zone.node!(k)).filter((n) => n !== undefined);
  for (const node of nodes) {
    if (opts.names !== undefined && !opts.names.has(nameKey(node.name))) continue;
    for (const set of node.rrsets.values()) checkSize(set, add);
    if (pending !== undefined) settle(node);
    try {
      checkNode(node, fast !== undefined);
    } catch (e) {
      failed(node, e);
    }
  }
  settle(undefined);

  function checkNode(node: ZoneNodeView, tryFast: boolean): void {
    const owner = node.name;
    // The first label starts with `_` (charCodeAt: no slice of the name per node).
    if (owner.charCodeAt(0) === 0x5f) {
      checkOrphanTxt(zone, node, lastSvcb, add);
      return;
    }
    const set = node.rrsets.get(RRType.SVCB);
    if (set !== undefined) lastSvcb = owner;
    if (set === undefined || set.class !== RRClass.IN || set.rdata.length === 0) return;
    if (tryFast) {
      const reads = svcbFine(fast!, owner, set);
      if (reads !== undefined) {
        pending = { node, reads };
        return;
      }
    }
    const rrs: RR[] = set.rdata.map((rdata) => ({ name: set.name, type: RRType.SVCB, class: set.class, ttl: set.ttl, rdata }));
    const parsed = set.rdata.map(svcbOf);
    if (parsed.some((s) => s?.priority === 0)) {
      checkAlias(zone, owner, parsed, inZone, add);
      return;
    }
    const isListed = listed.has(nameKey(owner));
    const agentRRs: RR[] = [];
    rrs.forEach((rr, i) => {
      const s = parsed[i];
      if (s === undefined || isListed) {
        agentRRs.push(rr);
        return;
      }
      const alpn = s.params.get(SvcKey.alpn);
      const ours = AOP_KEYS.some((k) => s.params.has(k));
      if (alpn === undefined ? ours : alpnIds(alpn).includes('mcp')) agentRRs.push(rr);
      else if (ours) {
        add('ERR_AGENT_ZONE_NOTE', owner, RRType.SVCB, rr.rdata, `${owner} SVCB ${s.priority}: has aop keys but its alpn lacks "mcp", so it is no agent record; aop clients skip it`);
      }
    });
    if (agentRRs.length === 0) return;
    const read = new Map<Buffer, SvcbData>();
    parsed.forEach((p, i) => { if (p !== undefined) read.set(set.rdata[i]!, p); });
    if (checkAgent(zone, owner, agentRRs, read, isListed, hasAddress, add)) agents.push(owner);
  }

  // The index against the agents.
  if (opts.indexChecks === false || walked === undefined) return faults;
  for (const { target, owner, rdata } of walked.entries) {
    const entry = `${owner} PTR ${target}`;
    if (!isInDomain(target, origin)) {
      add('ERR_AGENT_ZONE_INDEX', owner, RRType.PTR, rdata, `${entry}: outside zone ${origin}; aop clients ignore the entry`);
      continue;
    }
    if (belowCut(target)) continue;
    if (zone.rrset(target, RRType.SVCB) === undefined && zone.rrset(target, RRType.CNAME) === undefined) {
      add('ERR_AGENT_ZONE_INDEX', owner, RRType.PTR, rdata, `${entry}: no agent of that name in the zone (no SVCB or CNAME record there); remove the entry or add the agent`);
    }
  }
  if (walked.entries.length > 0) {
    for (const a of agents) {
      if (!listed.has(nameKey(a))) add('ERR_AGENT_ZONE_UNLISTED', a, RRType.SVCB, undefined, `${a}: agent not listed in ${indexOwner}; add "${indexOwner} PTR ${a}" so clients can browse it`);
    }
  }
  checkTxtIndex(zone, origin, walked.pages.length > 0, add);
  return faults;
}

/**
 * The TXT index (index-txt.ts, what DNS-AID clients walk) against the PTR set: the same names, in
 * one record. Checked only where a TXT index is published; a zone with PTRs alone is aop's older
 * layout, which aop clients read in full.
 */
function checkTxtIndex(zone: AgentZoneView, origin: string, paged: boolean, add: Add): void {
  const owner = indexName(origin);
  const txt = zone.rrset(owner, RRType.TXT);
  if (txt === undefined || txt.rdata.length === 0) return;
  if (paged) {
    add('ERR_AGENT_ZONE_INDEX', owner, RRType.TXT, undefined, `${owner} TXT: the index is paged, and a paged index has no TXT index (it would not fit one message, and DNS-AID clients read its first string only); aop's edits remove it (docs/records.md, "A paged index")`);
    return;
  }
  const want = new Set<string>();
  for (const rdata of zone.rrset(owner, RRType.PTR)?.rdata ?? []) {
    const target = nameIn(rdata);
    if (target !== undefined && isInDomain(target, origin) && !nameEquals(target, origin)) want.add(indexLabel(target, origin));
  }
  const have = new Set(parseIndexTxt(txt.rdata).map((e) => e.label.toLowerCase()));
  const missing = [...want].filter((l) => !have.has(l)).sort();
  const extra = [...have].filter((l) => !want.has(l)).sort();
  const fix = want.size > 0 ? `; write it as ${indexStrings([...want].map((l) => `${l}.${origin}`), origin).map((x) => JSON.stringify(x)).join(' ')}` : '; remove it';
  if (missing.length > 0 || extra.length > 0) {
    const parts = [missing.length > 0 ? `lacks ${missing.join(', ')}` : '', extra.length > 0 ? `lists ${extra.join(', ')}, which the PTR set does not` : ''].filter((x) => x !== '');
    add('ERR_AGENT_ZONE_INDEX', owner, RRType.TXT, undefined, `${owner} TXT: ${parts.join(' and ')}; DNS-AID clients walk this list, aop clients the PTRs${fix}`);
  }
  if (txt.rdata.length > 1) {
    add('ERR_AGENT_ZONE_INDEX', owner, RRType.TXT, txt.rdata[1], `${owner} TXT: ${txt.rdata.length} records; DNS-AID clients read only the first string of the first record in the answer, whose order resolvers may change: use one record with several "agents=" strings`);
  }
}

/** An RRset no DNS message can hold (answer-size.ts): a warning at load, a refusal for an UPDATE (update/handler.ts). */
function checkSize(set: RRset, add: Add): void {
  const octets = answerOctets(set);
  if (octets === undefined || octets <= MAX_DNS_MESSAGE) return;
  const index = /^_index\._agents\./i.test(set.name) || /\._cap\._agents\./i.test(set.name);
  const fix = index ? '; page the index (docs/records.md, "A paged index": aop zone add-agent and aop register page it)' : '; split the data over several names';
  add('ERR_AGENT_ZONE_RRSET_TOO_LARGE', set.name, set.type, undefined,
    `${set.name} ${typeToString(set.type)}: ${set.rdata.length} records need about ${octets} octets in an answer, more than the ${MAX_DNS_MESSAGE} one DNS message holds (over TCP too): servers answer TC=1 with no records and clients see none of them${fix}`);
}

/** Reasons (card.ts's evaluate) that say a key is missing rather than wrong. */
const INCOMPLETE = /^(missing |no alpn |mandatory lists )/;

function indexOwnerOf(zone: AgentZoneView): string {
  return zone.rrset(indexName(zone.origin), RRType.PTR)?.name ?? indexName(zone.origin);
}

type Add = (code: AgentZoneCodeName, owner: string, type: number, rdata: Buffer | undefined, message: string) => void;

/** One agent: its records as a client reads them, its `_agent` TXT, its endpoint hosts. True when a client gets a card. */
function checkAgent(zone: AgentZoneView, owner: string, svcb: RR[], read: Map<Buffer, SvcbData>, listed: boolean, hasAddress: (host: string) => boolean, add: Add): boolean {
  const txtOwner = `_agent.${owner}`;
  const txt = zone.rrset(txtOwner, RRType.TXT);
  const aid: RR[] = [];
  const readAid = new Map<Buffer, AidRecord>();
  let validAid = 0;
  for (const rdata of txt?.rdata ?? []) {
    try {
      readAid.set(rdata, aidFromTxt(rdata));
      validAid++;
      aid.push({ name: txt!.name, type: RRType.TXT, class: txt!.class, ttl: txt!.ttl, rdata });
    } catch (e) {
      if (!(e instanceof AgentRecordError)) throw e;
      add('ERR_AGENT_ZONE_AID', txt!.name, RRType.TXT, rdata, `${txt!.name} TXT: not a valid AID record: ${e.message}`);
    }
  }
  // As AID 2.x selects: the aid2 record, else the aid1 one; two of one version are ambiguous.
  const choice = selectAid(aid.map((rr) => ({ rr, aid: readAid.get(rr.rdata)! })));
  for (const version of ['aid2', 'aid1'] as const) {
    const n = choice.counts[version];
    if (n > 1) add('ERR_AGENT_ZONE_AID', txt!.name, RRType.TXT, undefined, `${txt!.name} TXT: ${n} ${version} records; AID clients refuse a name with more than one valid record of a version (one aid2 and one aid1 are fine)`);
  }
  for (const rr of aid) aidRefused(txt!.name, rr.rdata, readAid.get(rr.rdata)!, add);

  const skipped = new Set<Buffer>();
  const skippedLabels: string[] = [];
  const problems: Array<{ p: RecordProblem; rr: RR }> = [];
  const onSkip = (p: RecordProblem, rr: RR): void => {
    skipped.add(rr.rdata);
    skippedLabels.push(`${p.label}: skipped: `);
    problems.push({ p, rr });
  };
  let warnings: string[] = [];
  let usable = true;
  try {
    warnings = cardFromRecords(owner, choice.selected !== undefined ? [...svcb, choice.selected.rr] : svcb, { onSkip, read: { svcb: read, aid: readAid } }).warnings;
  } catch (e) {
    if (!(e instanceof AgentRecordError)) throw e;
    usable = false;
    // ERR_AGENT_BAD_RECORD: every record was reported through onSkip.
    if (skipped.size === 0) add('ERR_AGENT_ZONE_RECORD', owner, RRType.SVCB, undefined, e.message);
  }
  // A value that breaks its key's rule is an error; a record that only lacks keys may serve other
  // clients (DNS-AID's records have host and port only), unless the index says it is an agent.
  for (const { p, rr } of problems) {
    const incomplete = p.reasons.every((r) => INCOMPLETE.test(r));
    const claimed = listed && !usable;
    const code: AgentZoneCodeName = incomplete && !claimed ? 'ERR_AGENT_ZONE_INCOMPLETE' : 'ERR_AGENT_ZONE_RECORD';
    const tail = incomplete && claimed ? `; ${indexOwnerOf(zone)} lists ${owner} but no record of it is usable`
      : incomplete && dnsAidForm(read.get(rr.rdata)) && !p.reasons.some((r) => r.startsWith('mandatory lists ')) ? '; aop clients read it in DNS-AID form (the path from its cap, else the agent card on its host, else /mcp; the tool from tools/list)'
        : incomplete ? '; aop clients skip the record' : '';
    add(code, owner, RRType.SVCB, rr.rdata, `${p.label}: ${p.reasons.join('; ')}${tail}`);
  }
  // What other clients refuse, for every agent record aop reads (a record aop skips may be theirs).
  for (const rr of svcb) {
    const s = read.get(rr.rdata);
    if (s === undefined) continue;
    for (const p of dnsAidProblems(svcbLabel(owner, s, svcb, read), s)) add(p.code, owner, RRType.SVCB, rr.rdata, p.message);
  }
  for (const w of warnings) {
    if (skippedLabels.some((l) => w.startsWith(l))) continue;
    // The card's own note about private keys in mandatory: ERR_AGENT_ZONE_MANDATORY_PRIVATE above says it.
    if (w.includes(': mandatory lists private keys (')) continue;
    const onTxt = w.startsWith(`${txtOwner} `);
    add('ERR_AGENT_ZONE_NOTE', onTxt ? txt!.name : owner, onTxt ? RRType.TXT : RRType.SVCB, undefined, w);
  }

  // Endpoint hosts in the zone need addresses (a client cannot connect to a name without any).
  for (const rr of svcb) {
    if (skipped.has(rr.rdata)) continue;
    const s = read.get(rr.rdata)!;
    const host = s.target === '.' ? owner : s.target;
    if (hasAddress(host)) continue;
    const what = s.target === '.' ? 'target "." (the agent\'s own name)' : `target ${host}`;
    add('ERR_AGENT_ZONE_TARGET', owner, RRType.SVCB, rr.rdata, `${owner} SVCB ${s.priority} ${s.target}: ${what} has no A or AAAA record in the zone; clients cannot connect`);
  }
  if (usable && txt === undefined && zone.rrset(txtOwner, RRType.CNAME) === undefined) {
    add('ERR_AGENT_ZONE_NOTE', owner, RRType.SVCB, undefined, `${owner}: no ${txtOwner} TXT; AID clients do not find the agent (docs/records.md, "The _agent TXT")`);
  }
  return usable;
}

/** A record an aop client reads in DNS-AID form (card.ts's rule): none of aop's keys, `mcp` in alpn or bap. */
function dnsAidForm(s: SvcbData | undefined): boolean {
  if (s === undefined) return false;
  const p = s.params;
  if (p.has(SvcKey.path) || p.has(SvcKey.transport) || p.has(SvcKey.tool)) return false;
  const alpn = p.get(SvcKey.alpn);
  const bap = p.get(SvcKey.bap);
  return (alpn !== undefined && alpnIds(alpn).includes('mcp')) || (bap !== undefined && bapToken(bap.toString('latin1')) === 'mcp');
}

/** `writer.acme.agents. SVCB 1`, with the target when another record of the set has the same priority (card.ts's labels). */
function svcbLabel(owner: string, s: SvcbData, svcb: readonly RR[], read: ReadonlyMap<Buffer, SvcbData>): string {
  const shared = svcb.filter((rr) => read.get(rr.rdata)?.priority === s.priority).length > 1;
  return `${owner} SVCB ${s.priority}${shared ? ` ${s.target}` : ''}`;
}

/** The warnings for what AID clients refuse in one valid AID record (the fast path and the full check alike). */
function aidRefused(txtName: string, rdata: Buffer, rec: AidRecord, add: Add): void {
  for (const why of aidClientProblems(rec)) add('ERR_AGENT_ZONE_AID_REFUSED', txtName, RRType.TXT, rdata, `${txtName} TXT: ${why}`);
}

/** An AliasMode set: what a client would warn about, and a target in the zone that does not exist. */
function checkAlias(zone: AgentZoneView, owner: string, parsed: Array<SvcbData | undefined>, inZone: (n: string) => boolean, add: Add): void {
  const aliases = parsed.filter((s): s is SvcbData => s?.priority === 0);
  if (aliases.length < parsed.length) add('ERR_AGENT_ZONE_NOTE', owner, RRType.SVCB, undefined, `${owner} SVCB: ServiceMode records beside an AliasMode record are ignored (RFC 9460 section 2.4.2)`);
  if (aliases.length > 1) add('ERR_AGENT_ZONE_NOTE', owner, RRType.SVCB, undefined, `${owner} SVCB: ${aliases.length} AliasMode records; clients pick one at random (RFC 9460 section 2.4.2)`);
  for (const a of aliases) {
    if (a.params.size > 0) add('ERR_AGENT_ZONE_NOTE', owner, RRType.SVCB, undefined, `${owner} SVCB 0: SvcParams in an AliasMode record are ignored`);
    if (a.target === '.' || !inZone(a.target)) continue;
    if (zone.rrset(a.target, RRType.SVCB) === undefined && zone.rrset(a.target, RRType.CNAME) === undefined) {
      add('ERR_AGENT_ZONE_NOTE', owner, RRType.SVCB, undefined, `${owner} SVCB 0 ${a.target}: an alias of a name with no SVCB or CNAME record in the zone; clients get no agent`);
    }
  }
}

const AGENT_PREFIX = /^_agent\./i;

/** An `_agent.<name>` TXT where <name> is no agent and no alias. `withSvcb` is a name known to have SVCB records. */
function checkOrphanTxt(zone: AgentZoneView, node: { name: string; rrsets: ReadonlyMap<number, RRset> }, withSvcb: string, add: Add): void {
  const txt = node.rrsets.get(RRType.TXT);
  if (txt === undefined || !AGENT_PREFIX.test(node.name)) return;
  const agent = node.name.slice('_agent.'.length);
  if (agent === '' || agent.startsWith('_') || agent === withSvcb) return;
  if (zone.rrset(agent, RRType.SVCB) !== undefined || zone.rrset(agent, RRType.CNAME) !== undefined) return;
  add('ERR_AGENT_ZONE_NOTE', node.name, RRType.TXT, undefined, `${node.name} TXT: no agent ${agent} in the zone (no SVCB record there); aop clients do not use the TXT alone`);
}

/** `file:line:col: message` when the fault's place is known, else `zone ORIGIN: message`; warnings say so. */
export function formatAgentFault(f: AgentZoneFault, origin: string): string {
  const text = f.severity === 'warning' ? `warning: ${f.message}` : f.message;
  return f.file !== undefined ? `${f.file}:${f.line}:${f.col}: ${text}` : `zone ${origin}: ${text}`;
}

/**
 * The faults as log lines, errors and warnings apart, each list cut at `max` lines plus one
 * saying how many more (a zone of a million broken agents must not flood the log).
 */
export function agentFaultLines(faults: readonly AgentZoneFault[], origin: string, max = 20): { errors: string[]; warnings: string[] } {
  const lines = (severity: AgentZoneFault['severity']): string[] => {
    const list = faults.filter((f) => f.severity === severity);
    const out = list.slice(0, max).map((f) => formatAgentFault(f, origin));
    if (list.length > max) out.push(`zone ${origin}: ... and ${list.length - max} more ${severity}s (aop zone check lists them all, with file:line:col)`);
    return out;
  };
  return { errors: lines('error'), warnings: lines('warning') };
}
