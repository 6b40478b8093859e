// `aop zone cap`'s edit of a zone file: `cap` (key65400) and `cap-sha256` (key65401) set in every
// SVCB record of the agents named, each record rewritten in place (its owner and TTL as they
// were, its other params kept), the serial bumped once, the result verified (src/zone/edit.ts).

import { type AgentCard, aliasTarget, cardFromRecords, capPathFor, readSvcb, svcbRecordText, SvcKey, writeSvcb } from '../agent/index.js';
import type { Zone } from '../zone/zone.js';
import { capProblem, capSha256Problem } from '../agent/values.js';
import type { RR } from '../wire/rr.js';
import { nameKey } from '../wire/name.js';
import { RRType } from '../wire/types.js';
import { applyOps, contextAt, type LineOp, nextFileSerial, opsDiff, serialOp, verifyEdit, ZoneEditError, type ZoneSource } from '../zone/edit.js';
import { AgentEditError, agentNameIn, recordsAt } from './agent-records.js';
import type { AgentEditResult } from './agent-edit.js';

/** The document one agent's records name, and its digest. */
export interface CapAssignment {
  /** The agent name, relative to the zone or absolute. */
  name: string;
  /** The document's URL (key65400). */
  cap: string;
  /** base64url SHA-256 of the document's bytes (key65401). */
  capSha256: string;
}

/**
 * Set `cap` and `cap-sha256` in each named agent's SVCB records. Records that already hold the
 * values are left alone; when nothing changes the serial is not bumped either (the result's
 * `ops` is empty). Throws AgentEditError (no such agent, a value the keys cannot hold),
 * ZoneEditError (a record in an $INCLUDEd file; a result that does not verify).
 */
export function planCapEdit(src: ZoneSource, assignments: readonly CapAssignment[], now?: Date): AgentEditResult {
  const ops: LineOp[] = [];
  const added: RR[] = [];
  const removed: RR[] = [];
  const seen = new Set<string>();
  const crlf = src.lines[0]?.endsWith('\r\n') ?? false;
  for (const a of assignments) {
    const abs = agentNameIn(a.name, src.origin);
    if (seen.has(nameKey(abs))) throw new AgentEditError('ERR_ZONE_AGENT_EXISTS', `${abs} is named twice in one edit`);
    seen.add(nameKey(abs));
    const capWhy = capProblem(a.cap);
    if (capWhy !== undefined) throw new AgentEditError('ERR_ZONE_AGENT_BAD', `${abs}: cap ${JSON.stringify(a.cap)}: ${capWhy}`);
    const shaWhy = capSha256Problem(a.capSha256);
    if (shaWhy !== undefined) throw new AgentEditError('ERR_ZONE_AGENT_BAD', `${abs}: cap-sha256 ${JSON.stringify(a.capSha256)}: ${shaWhy}`);
    const svcb = recordsAt(src, abs, RRType.SVCB).filter((r) => aliasTarget(r) === undefined);
    if (svcb.length === 0) throw new AgentEditError('ERR_ZONE_AGENT_NOT_FOUND', `no agent ${abs} in zone ${src.origin} (no ServiceMode SVCB record there)`);
    // On the preferred records only (the lowest SvcPriority), as the record builder writes them;
    // the others lose any they had: the document describes the agent, not one endpoint.
    const preferred = Math.min(...svcb.map((r) => readSvcb(r.rdata).priority));
    for (const r of svcb) {
      if (!r.inFile) throw new ZoneEditError('ERR_ZONE_EDIT_INCLUDE', `${r.file}:${r.line}:${r.col}: this record is in an $INCLUDEd file; edit that file by hand`);
      const s = readSvcb(r.rdata);
      const params = new Map(s.params);
      if (s.priority === preferred) {
        params.set(SvcKey.cap, Buffer.from(a.cap, 'latin1'));
        params.set(SvcKey.capSha256, Buffer.from(a.capSha256, 'latin1'));
      } else {
        params.delete(SvcKey.cap);
        params.delete(SvcKey.capSha256);
      }
      const rdata = writeSvcb(s.priority, s.target, params);
      if (rdata.equals(r.rdata)) continue;
      const ctx = contextAt(src, r.firstLine);
      const ttl = !ctx.afterInclude && ctx.ttl === r.ttl ? undefined : r.ttl;
      let text = svcbRecordText(r.ownerOmitted ? '' : r.ownerText ?? r.name, ttl, rdata);
      if (crlf) text = text.replace(/\n/g, '\r\n');
      ops.push({ from: r.firstLine, to: r.endLine, lines: text.split(/(?<=\n)/).filter((l) => l !== '') });
      removed.push(r);
      added.push({ ...r, rdata });
    }
  }
  const oldSerial = src.serial.value;
  if (ops.length === 0) return { text: src.text, ops, diff: '', serial: { old: oldSerial, new: oldSerial }, added, removed, warnings: [] };
  const serial = nextFileSerial(oldSerial, now);
  ops.push(serialOp(src, serial));
  const text = applyOps(src.lines, ops);
  verifyEdit(src, text, { removed, added, serial });
  return { text, ops, diff: opsDiff(src.file, src.lines, ops), serial: { old: oldSerial, new: serial }, added, removed, warnings: [] };
}

/**
 * An agent's card as aop's zone tooling reads it from a loaded zone (its SVCB set and the zone's
 * addresses), as the demo agents read it: the card its capability document is made from.
 * Throws AgentEditError ERR_ZONE_AGENT_NOT_FOUND for a name with no agent, AgentRecordError for
 * records no client can use.
 */
export function agentCardIn(zone: Zone, name: string): AgentCard {
  const abs = agentNameIn(name, zone.origin);
  const set = zone.rrset(abs, RRType.SVCB);
  if (set === undefined) throw new AgentEditError('ERR_ZONE_AGENT_NOT_FOUND', `no agent ${abs} in zone ${zone.origin}`);
  const records: RR[] = set.rdata.map((rdata) => ({ name: set.name, type: set.type, class: set.class, ttl: set.ttl, rdata }));
  if (records.some((r) => aliasTarget(r) !== undefined)) throw new AgentEditError('ERR_ZONE_AGENT_NOT_FOUND', `${abs} is an alias, not an agent`);
  const addresses = [...zone.records()].filter((r) => r.type === RRType.A || r.type === RRType.AAAA);
  return cardFromRecords(set.name, [...records, ...addresses], { zone: zone.origin });
}

/** Where aop's hosts serve an agent's document: its preferred endpoint's origin and capPathFor (`https://mcp.acme.agents:18101/.well-known/aop/cap/writer.acme.agents.json`). */
export function defaultCapUrl(card: AgentCard): string {
  const e = card.endpoints[0];
  if (e === undefined) throw new AgentEditError('ERR_ZONE_AGENT_BAD', `${card.name}: no endpoints`);
  return `${new URL(e.url).origin}${capPathFor(card.name)}`;
}
