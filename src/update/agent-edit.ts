// The agent edit of a zone file (`aop zone add-agent` / `remove-agent` / `import-mcp`): which
// records it adds and removes (SVCB set, `_agent` TXT, index PTR, own addresses, aliases), planned
// over src/zone/edit.ts, which keeps the rest of the file byte for byte and verifies the result.
// The records of an added agent come from agent-records.ts, as `aop register`'s do.

import {
  type AgentCard, AgentRecordError, aliasTarget, capIndexRoot, entryHash, indexStrings, indexTxtRdata, layoutIndex, orgIndexRoot, PAGE_MAX, readSvcb, SvcKey, zoneLine,
} from '../agent/index.js';
import { IndexModel } from './index-model.js';
import { quoteText } from '../wire/rdata/common.js';
import {
  applyOps, contextAt, type LineOp, nextFileSerial, opsDiff, removalOps, serialOp, type SourceRecord, verifyEdit, type ZoneSource,
} from '../zone/edit.js';
import type { RR } from '../wire/rr.js';
import { WireError } from '../wire/errors.js';
import { isInDomain, nameEquals, nameKey, nameToWire, parseName, readName } from '../wire/name.js';
import { RRType } from '../wire/types.js';
import { AgentEditError, agentNameIn, type AgentSpec, buildAgent, type BuiltAgent, DEFAULT_AGENT_TTL, recordsAt } from './agent-records.js';

export { AgentEditCode, type AgentEditCodeName, AgentEditError, type AgentSpec, DEFAULT_AGENT_TTL } from './agent-records.js';

export interface AgentEditRequest {
  add?: AgentSpec[];
  remove?: string[];
  /** Replace an agent that exists (add), instead of refusing. */
  replace?: boolean;
  /** Remove the aliases (AliasMode, CNAME) in the zone that point at a removed agent, instead of refusing. */
  withAliases?: boolean;
  now?: Date;
}

export interface AgentEditResult {
  text: string;
  ops: LineOp[];
  /** A `diff -U0` style diff of the change. */
  diff: string;
  serial: { old: number; new: number };
  added: RR[];
  removed: RR[];
  /** Things the user should know (a host outside the zone not checked, a description shortened). */
  warnings: string[];
}

const at = recordsAt;

/** The name in a record's RDATA that points somewhere (SVCB/HTTPS target, CNAME, NS, PTR). */
function pointsAt(rr: RR): string | undefined {
  try {
    if (rr.type === RRType.SVCB || rr.type === RRType.HTTPS) {
      const t = readSvcb(rr.rdata).target;
      return t === '.' ? rr.name : t;
    }
    if (rr.type === RRType.CNAME || rr.type === RRType.NS || rr.type === RRType.PTR) return readName(rr.rdata, 0).name;
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
  return undefined;
}

function ptrTarget(rr: RR): string | undefined {
  return rr.type === RRType.PTR ? pointsAt(rr) : undefined;
}

/** The records removing one agent takes away; throws for a name that is no agent, or has aliases. */
function agentRemoval(src: ZoneSource, abs: string, withAliases: boolean): SourceRecord[] {
  const svcb = at(src, abs, RRType.SVCB);
  const cname = at(src, abs, RRType.CNAME);
  if (cname.length > 0 || svcb.some((r) => aliasTarget(r) !== undefined)) {
    const to = cname.length > 0 ? pointsAt(cname[0]!) : aliasTarget(svcb.find((r) => aliasTarget(r) !== undefined)!);
    throw new AgentEditError('ERR_ZONE_AGENT_NOT_FOUND', `${abs} is an alias of ${to}, not an agent; remove it with --with-aliases when removing ${to}, or edit the file by hand`);
  }
  if (svcb.length === 0) {
    const agents = agentNames(src).map((n) => n.slice(0, n.length - src.origin.length - 1));
    throw new AgentEditError('ERR_ZONE_AGENT_NOT_FOUND', `no agent ${abs} in zone ${src.origin} (its agents: ${agents.length > 0 ? agents.join(', ') : 'none'})`);
  }
  const out: SourceRecord[] = [...svcb];
  out.push(...at(src, `_agent.${abs}`, RRType.TXT));
  const indexName = `_index._agents.${src.origin}`;
  const listed = (name: string): SourceRecord[] => at(src, indexName, RRType.PTR).filter((r) => nameEquals(ptrTarget(r) ?? '', name));
  out.push(...listed(abs));

  // Aliases in this zone that lead to the agent (other zones' aliases are out of sight).
  const aliasOf = (r: SourceRecord): string | undefined => (r.type === RRType.CNAME ? pointsAt(r) : r.type === RRType.SVCB ? aliasTarget(r) : undefined);
  const aliases = src.records.filter((r) => !nameEquals(r.name, abs) && nameEquals(aliasOf(r) ?? '.', abs));
  if (aliases.length > 0 && !withAliases) {
    throw new AgentEditError('ERR_ZONE_AGENT_ALIASES', `${abs} has aliases in the zone: ${aliases.map((r) => `${r.name} (${r.type === RRType.CNAME ? 'CNAME' : 'SVCB 0'})`).join(', ')}; remove them too with --with-aliases, or point them elsewhere first`);
  }
  for (const a of aliases) {
    out.push(a, ...listed(a.name));
    out.push(...at(src, `_agent.${a.name}`, RRType.CNAME).filter((r) => nameEquals(pointsAt(r) ?? '', `_agent.${abs}`)));
  }

  // Its own addresses (a '.' target), unless something that stays points at the name.
  if (svcb.some((r) => readSvcb(r.rdata).target === '.')) {
    const gone = new Set<SourceRecord>(out);
    const used = src.records.some((r) => !gone.has(r) && r.type !== RRType.PTR && !nameEquals(r.name, abs) && nameEquals(pointsAt(r) ?? '.', abs));
    if (!used) out.push(...at(src, abs).filter((r) => r.type === RRType.A || r.type === RRType.AAAA));
  }
  return out;
}

/** Names with ServiceMode SVCB records (agents), in file order. */
export function agentNames(src: ZoneSource): string[] {
  const seen = new Map<string, string>();
  for (const r of src.records) {
    if (r.type === RRType.SVCB && aliasTarget(r) === undefined && !r.name.startsWith('_')) seen.set(nameKey(r.name), r.name);
  }
  return [...seen.values()];
}

interface PlannedAgent {
  abs: string;
  records: BuiltAgent['records'];
  card: AgentCard;
}

/**
 * Plan, apply and verify an agent edit of a zone file's text: removals first, then additions,
 * one serial bump. Nothing is written here (see writeFileAtomic). Throws AgentEditError for a
 * refusal (AgentRecordError's message as ERR_ZONE_AGENT_BAD), ZoneEditError when the result
 * would not verify.
 */
export function planAgentEdit(src: ZoneSource, req: AgentEditRequest): AgentEditResult {
  const warnings: string[] = [];
  const removed = new Set<SourceRecord>();
  const addsAt = new Map<string, number>(); // agent name key -> line where its replacement goes
  const names = new Set<string>();
  const adds = (req.add ?? []).map((spec) => {
    const abs = agentNameIn(spec.name, src.origin);
    if (names.has(nameKey(abs))) throw new AgentEditError('ERR_ZONE_AGENT_EXISTS', `${abs} is named twice in one edit`);
    names.add(nameKey(abs));
    return { spec, abs };
  });
  for (const name of req.remove ?? []) {
    const abs = agentNameIn(name, src.origin);
    for (const r of agentRemoval(src, abs, req.withAliases ?? false)) removed.add(r);
  }
  for (const { abs } of adds) {
    const svcb = at(src, abs, RRType.SVCB);
    const cname = at(src, abs, RRType.CNAME);
    if (cname.length > 0 || svcb.some((r) => aliasTarget(r) !== undefined)) {
      throw new AgentEditError('ERR_ZONE_AGENT_EXISTS', `${abs} is already an alias in zone ${src.origin}; remove it first`);
    }
    if (svcb.length > 0) {
      if (!req.replace) throw new AgentEditError('ERR_ZONE_AGENT_EXISTS', `agent ${abs} already exists in zone ${src.origin}; use --replace to replace its records`);
      // Its index entry stays (the new one would be the same); the rest goes, the new block takes its place.
      const old = agentRemoval(src, abs, true).filter((r) => r.type !== RRType.PTR || !nameEquals(r.name, `_index._agents.${src.origin}`));
      const ownAliases = old.filter((r) => !nameEquals(r.name, abs) && !nameEquals(r.name, `_agent.${abs}`));
      for (const r of old) if (!ownAliases.includes(r)) removed.add(r);
      if (svcb[0]!.inFile) addsAt.set(nameKey(abs), Math.min(...svcb.filter((r) => r.inFile).map((r) => r.firstLine)));
    }
    const other = [...at(src, abs), ...at(src, `_agent.${abs}`)].filter((r) => !removed.has(r) && r.type !== RRType.A && r.type !== RRType.AAAA);
    if (other.length > 0) {
      throw new AgentEditError('ERR_ZONE_AGENT_CONFLICT', `${other[0]!.name} already has ${other.map((r) => typeName(r.type)).join(', ')} records (${r0(other[0]!)}); an agent needs the name free`);
    }
  }

  const planned: PlannedAgent[] = [];
  const indexName = `_index._agents.${src.origin}`;
  // A paged index (or one this edit pages) is changed page by page (index-model.ts); the flat
  // index and its TXT are written below as always.
  const paged = pagedEdit(src, adds, req.remove ?? [], removed);
  const index = paged !== undefined ? [] : at(src, indexName, RRType.PTR).filter((r) => !removed.has(r));
  const indexTtl = index[0]?.ttl;
  // The TXT index follows the PTR set (index-txt.ts): rewritten when the set of names changes.
  const txt = paged !== undefined
    ? { old: [], strings: [], rdata: undefined, changed: false, anchor: undefined }
    : txtIndexPlan(src, indexName, [...index.map((r) => ptrTarget(r) ?? ''), ...adds.map((a) => a.abs)], removed);
  const ops: LineOp[] = removalOps(src, [...removed], [...addsAt.values(), ...(txt.anchor !== undefined ? [txt.anchor] : [])]);
  const endLine = src.lines.length;
  const endBlocks: string[] = [];
  const endCtx = contextAt(src, endLine);
  const added: RR[] = [];
  const indexLines: string[] = [];
  const needsOrigin = (abs: string, origin: string): boolean => !isInDomain(abs, origin) || !isInDomain(indexName, origin);
  for (const { spec, abs } of adds) {
    const line = addsAt.get(nameKey(abs));
    const ctx = line !== undefined ? contextAt(src, line) : endCtx;
    let origin = ctx.origin;
    const defaultTtl = ctx.afterInclude ? undefined : ctx.ttl;
    let prefix = '';
    if (needsOrigin(abs, origin)) {
      if (line !== undefined) origin = '.';
      else {
        prefix = `$ORIGIN ${src.origin}\n`;
        origin = src.origin;
      }
    }
    const built = buildAgent({ origin: src.origin, records: src.records, removed }, { ...spec, name: abs }, { origin, ...(defaultTtl !== undefined ? { defaultTtl } : {}) });
    const { card, records } = built;
    warnings.push(...built.warnings);
    planned.push({ abs, records, card });
    added.push(...records.svcb, ...records.addresses, records.txt);
    const block = prefix + records.text;
    if (line !== undefined) ops.push({ from: line, to: line, lines: splitKeep(block) });
    else endBlocks.push(block);
    const listedAlready = paged !== undefined || index.some((r) => nameEquals(ptrTarget(r) ?? '', abs));
    if (!listedAlready) {
      added.push({ ...records.index, ttl: indexTtl ?? card.ttl });
      indexLines.push(abs);
    }
  }

  // Index entries: after the last index record of the file, owner inherited; or a new index at the end.
  // The TXT index takes the place of the old one, else follows the PTR lines.
  const lastIndex = index.filter((r) => r.inFile).sort((a, b) => b.firstLine - a.firstLine)[0];
  const txtTtl = txt.old[0]?.ttl ?? indexTtl ?? planned[0]?.card.ttl ?? DEFAULT_AGENT_TTL;
  const txtRR = txt.rdata === undefined ? undefined : { name: indexName, type: RRType.TXT, class: src.zone.class, ttl: txtTtl, rdata: txt.rdata };
  if (txt.changed && txtRR !== undefined) added.push(txtRR);
  const txtLine = (owner: string, ttl: number | undefined): string => zoneLine(owner, 'TXT', txt.strings.map((s) => quoteText(Buffer.from(s, 'latin1'))).join(' '), ttl) + '\n';
  const ttlAt = (line: number, ttl: number): number | undefined => {
    const ctx = contextAt(src, line);
    return !ctx.afterInclude && ctx.ttl === ttl ? undefined : ttl;
  };
  // Where new PTR lines go: after the last index record and the owner-less lines that follow it,
  // but before an old TXT index there, so the TXT stays last.
  let pos: number | undefined;
  if (lastIndex !== undefined) {
    pos = lastIndex.endLine;
    const later = src.records.filter((r) => r.inFile && r.firstLine >= pos!).sort((a, b) => a.firstLine - b.firstLine);
    for (const r of later) {
      if (r.firstLine !== pos || !r.ownerOmitted || txt.old.includes(r)) break;
      pos = r.endLine;
    }
  }
  const txtInPlace = txt.changed && txtRR !== undefined && txt.anchor !== undefined;
  if (txtInPlace && txt.anchor !== pos) {
    const o = txt.old[0]!;
    // An owner-less line inherits from the last record kept above it: only when that is the index.
    const above = src.records.filter((r) => r.inFile && r.endLine <= txt.anchor! && !removed.has(r)).sort((a, b) => b.endLine - a.endLine)[0];
    const inherits = o.ownerOmitted && above !== undefined && nameEquals(above.name, indexName) && contextAt(src, above.firstLine).origin === contextAt(src, txt.anchor!).origin;
    const origin = contextAt(src, txt.anchor!).origin;
    const owner = inherits ? '' : !o.ownerOmitted && o.ownerText !== undefined ? o.ownerText : isInDomain(indexName, origin) ? indexName.slice(0, indexName.length - origin.length - 1) : indexName;
    ops.push({ from: txt.anchor!, to: txt.anchor!, lines: [txtLine(owner, ttlAt(txt.anchor!, txtTtl))] });
  }
  const txtAfterPtrs = txt.changed && txtRR !== undefined && (txt.anchor === undefined || txt.anchor === pos);
  if (indexLines.length > 0 || (txtAfterPtrs && lastIndex !== undefined)) {
    if (pos !== undefined) {
      const ttl = indexTtl === undefined ? undefined : ttlAt(pos, indexTtl);
      const lines = indexLines.map((n) => zoneLine('', 'PTR', n, ttl) + '\n');
      if (txtAfterPtrs) lines.push(txtLine('', ttlAt(pos, txtTtl)));
      ops.push({ from: pos, to: pos, lines });
    } else {
      const origin = needsOrigin(indexName, endCtx.origin) ? src.origin : endCtx.origin;
      if (origin !== endCtx.origin && endBlocks.length === 0) endBlocks.push(`$ORIGIN ${src.origin}\n`);
      const owner = nameEquals(indexName, origin) ? '@' : indexName.slice(0, indexName.length - origin.length - 1);
      // An index kept in an $INCLUDEd file is the same RRset: its TTL, not the new agent's.
      const ttl = indexTtl ?? planned[0]!.card.ttl;
      const ttlText = !endCtx.afterInclude && endCtx.ttl === ttl ? undefined : ttl;
      const lines = indexLines.map((n, i) => zoneLine(i === 0 ? owner : '', 'PTR', n, ttlText) + '\n');
      if (txtAfterPtrs) lines.push(txtLine(indexLines.length === 0 ? owner : '', !endCtx.afterInclude && endCtx.ttl === txtTtl ? undefined : txtTtl));
      endBlocks.push(lines.join(''));
    }
  } else if (txtAfterPtrs) {
    // An index whose PTR set is in an $INCLUDEd file: the TXT goes at the end, owner written out.
    const origin = needsOrigin(indexName, endCtx.origin) ? src.origin : endCtx.origin;
    if (origin !== endCtx.origin && endBlocks.length === 0) endBlocks.push(`$ORIGIN ${src.origin}\n`);
    const owner = nameEquals(indexName, origin) ? '@' : indexName.slice(0, indexName.length - origin.length - 1);
    endBlocks.push(txtLine(owner, !endCtx.afterInclude && endCtx.ttl === txtTtl ? undefined : txtTtl));
  }
  if (paged !== undefined && paged.lines.length > 0) {
    endBlocks.push(paged.lines.join(''));
    added.push(...paged.added);
  }
  if (endBlocks.length > 0) {
    const last = src.lines[endLine - 1];
    const lines: string[] = [];
    if (last !== undefined && !last.endsWith('\n')) ops.push({ from: endLine - 1, to: endLine, lines: [last + '\n'] });
    for (const b of endBlocks) {
      if (!(lines.length === 0 && (last === undefined || /^[ \t\r]*\n?$/.test(last)))) lines.push('\n');
      lines.push(...splitKeep(b));
    }
    ops.push({ from: endLine, to: endLine, lines });
  }

  // New lines take the file's line ending (CRLF files stay CRLF).
  if (src.lines[0]?.endsWith('\r\n')) {
    for (const op of ops) op.lines = op.lines.map((l) => (l.endsWith('\r\n') || !l.endsWith('\n') ? l : `${l.slice(0, -1)}\r\n`));
  }
  const oldSerial = src.serial.value;
  const serial = nextFileSerial(oldSerial, req.now);
  ops.push(serialOp(src, serial));
  const text = applyOps(src.lines, ops);
  verifyEdit(src, text, { removed: [...removed], added, serial });
  return { text, ops, diff: opsDiff(src.file, src.lines, ops), serial: { old: oldSerial, new: serial }, added, removed: [...removed], warnings };
}

/** The index PTRs a paged edit adds (as lines at the end of the file, absolute names) and their RRs; what it removes goes into `removed`. */
interface PagedEdit {
  lines: string[];
  added: RR[];
}

/** The capabilities (key65323) of the agent at `name` in the zone's records. */
function capabilitiesIn(src: ZoneSource, name: string): string[] {
  const caps = new Set<string>();
  for (const r of at(src, name, RRType.SVCB)) {
    try {
      for (const c of readSvcb(r.rdata).params.get(SvcKey.capabilities)?.toString('latin1').split(',') ?? []) if (c !== '') caps.add(c);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
    }
  }
  return [...caps];
}

/**
 * The index part of an edit when the index is paged, or this edit takes the flat index past
 * PAGE_MAX (docs/records.md, "A paged index"): undefined otherwise. Every added agent goes to
 * its page (and its capabilities' indexes), every removed one leaves them; a root that splits
 * loses its TXT index and gets the capability indexes of every agent.
 */
function pagedEdit(src: ZoneSource, adds: ReadonlyArray<{ spec: AgentSpec; abs: string }>, removes: readonly string[], removed: Set<SourceRecord>): PagedEdit | undefined {
  const root = orgIndexRoot(src.origin);
  const ptrsUnder = (r: string): SourceRecord[] => src.records.filter((x) => x.type === RRType.PTR && isInDomain(x.name, r));
  const orgRecords = ptrsUnder(root);
  const known = (recs: readonly SourceRecord[]) => recs.flatMap((r) => { const t = ptrTarget(r); return t === undefined ? [] : [{ owner: r.name, target: t }]; });
  const org = new IndexModel(root, src.origin, known(orgRecords));
  const gone = removes.map((n) => agentNameIn(n, src.origin));
  if (!org.paged) {
    const flat = new Set(org.targets(root).map((x) => nameKey(x)));
    for (const g of gone) flat.delete(nameKey(g));
    for (const a of adds) flat.add(nameKey(a.abs));
    if (flat.size <= PAGE_MAX) return undefined;
  }
  for (const g of gone) org.remove(g);
  for (const a of adds) org.add(a.abs);
  const ttl = orgRecords[0]?.ttl ?? adds[0]?.spec.ttl ?? DEFAULT_AGENT_TTL;
  const changes = [{ model: org, records: orgRecords }];
  const capModels = new Map<string, { model: IndexModel; records: SourceRecord[] }>();
  const capModel = (cap: string): IndexModel | undefined => {
    const capRoot = capIndexRoot(src.origin, cap);
    if (capRoot === undefined) return undefined;
    let m = capModels.get(capRoot);
    if (m === undefined) {
      const records = ptrsUnder(capRoot);
      capModels.set(capRoot, (m = { model: new IndexModel(capRoot, src.origin, known(records)), records }));
      changes.push(m);
    }
    return m.model;
  };
  if (org.changes.rootSplit) {
    for (const r of at(src, root, RRType.TXT)) removed.add(r);
    const goneKeys = new Set(gone.map((g) => nameKey(g)));
    for (const agent of agentNames(src)) {
      if (goneKeys.has(nameKey(agent)) || adds.some((a) => nameEquals(a.abs, agent))) continue;
      for (const cap of capabilitiesIn(src, agent)) capModel(cap)?.add(agent);
    }
  } else {
    for (const g of gone) for (const cap of capabilitiesIn(src, g)) capModel(cap)?.remove(g);
  }
  for (const a of adds) for (const cap of a.spec.capabilities ?? []) capModel(cap)?.add(a.abs);
  const lines: string[] = [];
  const added: RR[] = [];
  for (const { model, records } of changes) {
    for (const p of model.changes.remove) {
      for (const r of records) if (nameEquals(r.name, p.owner) && nameEquals(ptrTarget(r) ?? '', p.target)) removed.add(r);
    }
    for (const p of model.changes.add) {
      lines.push(zoneLine(p.owner, 'PTR', p.target, ttl) + '\n');
      added.push({ name: p.owner, type: RRType.PTR, class: src.zone.class, ttl, rdata: nameToWire(p.target) });
    }
  }
  return { lines, added };
}

interface TxtIndexPlan {
  /** The TXT index records there are now (removed from `removed` when they change). */
  old: SourceRecord[];
  /** The strings and RDATA the index should hold; no RDATA when no agent is left. */
  strings: string[];
  rdata: Buffer | undefined;
  changed: boolean;
  /** The line where the old TXT stood, for the new one (when it was in this file). */
  anchor: number | undefined;
}

/** What the TXT index should be for these names, and what it is; the old records go into `removed` when it changes. */
function txtIndexPlan(src: ZoneSource, indexName: string, names: readonly string[], removed: Set<SourceRecord>): TxtIndexPlan {
  const old = at(src, indexName, RRType.TXT);
  let strings: string[];
  try {
    // Entries outside the zone (zone check warns about them) have no label relative to it.
    strings = indexStrings(names.filter((n) => n !== '' && isInDomain(n, src.origin) && !nameEquals(n, src.origin)), src.origin);
  } catch (e) {
    if (e instanceof AgentRecordError) throw new AgentEditError('ERR_ZONE_AGENT_BAD', e.message);
    throw e;
  }
  const rdata = strings.length > 0 ? indexTxtRdata(strings) : undefined;
  const same = rdata === undefined ? old.length === 0 : old.length === 1 && old[0]!.rdata.equals(rdata);
  if (same) return { old, strings, rdata, changed: false, anchor: undefined };
  for (const r of old) removed.add(r);
  const first = old.filter((r) => r.inFile).sort((a, b) => a.firstLine - b.firstLine)[0];
  return { old, strings, rdata, changed: true, anchor: rdata !== undefined && first !== undefined ? first.firstLine : undefined };
}

function splitKeep(block: string): string[] {
  return block.split(/(?<=\n)/).filter((l) => l !== '');
}

function typeName(type: number): string {
  return Object.entries(RRType).find(([, v]) => v === type)?.[0] ?? `TYPE${type}`;
}

function r0(r: SourceRecord): string {
  return r.inFile ? `${r.file}:${r.line}` : r.file;
}

/**
 * The records of agents as standalone zone text (for `import-mcp` without --file): `$ORIGIN`,
 * each agent's block, then the index entries.
 */
export function agentsText(origin: string, specs: readonly AgentSpec[], warnings: string[]): string {
  const blocks: string[] = [`$ORIGIN ${origin}`];
  const index: string[] = [];
  const names: string[] = [];
  let ttl = DEFAULT_AGENT_TTL;
  const o = parseName(origin.endsWith('.') ? origin : `${origin}.`);
  for (const spec of specs) {
    const { name: abs, card, records: recs, warnings: more } = buildAgent({ origin: o, records: [], unseen: true }, spec);
    warnings.push(...more);
    blocks.push(recs.text.replace(/\n$/, ''));
    if (index.length === 0) ttl = card.ttl;
    index.push(index.length === 0 ? recs.indexLine : zoneLine('', 'PTR', abs, card.ttl));
    names.push(abs);
  }
  if (names.length > PAGE_MAX) {
    // Past PAGE_MAX the index is written paged, with its capability indexes (index-pages.ts).
    const members = names.map((name) => ({ name, hash: entryHash(name, o) }));
    const layouts = [layoutIndex(orgIndexRoot(o), members)];
    const caps = new Map<string, typeof members>();
    specs.forEach((spec, i) => {
      for (const c of spec.capabilities ?? []) {
        const capRoot = capIndexRoot(o, c);
        if (capRoot === undefined) continue;
        if (!caps.has(capRoot)) caps.set(capRoot, []);
        caps.get(capRoot)!.push(members[i]!);
      }
    });
    for (const [capRoot, list] of caps) layouts.push(layoutIndex(capRoot, list));
    blocks.push(layouts.flatMap((l) => [...l].flatMap(([owner, targets]) => targets.map((x) => zoneLine(owner, 'PTR', x, ttl)))).join('\n'));
    return blocks.join('\n\n') + '\n';
  }
  if (index.length > 0) {
    const strings = indexStrings(names, o);
    index.push(zoneLine('', 'TXT', strings.map((t) => quoteText(Buffer.from(t, 'latin1'))).join(' '), ttl));
    blocks.push(index.join('\n'));
  }
  return blocks.join('\n\n') + '\n';
}
