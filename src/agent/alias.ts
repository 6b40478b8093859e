// Aliases (docs/records.md, "Aliases"): SVCB AliasMode (priority 0) and CNAME, followed at most
// 8 in a row, both counted together. The resolver or the hand-off does the querying; these
// helpers say where to go next and when to stop.

import { AgentRecordError } from './errors.js';
import { readSvcb, type SvcbData } from './svcb.js';
import type { RR } from '../wire/rr.js';
import { WireError } from '../wire/errors.js';
import { nameEquals, nameKey, parseName } from '../wire/name.js';
import { RRClass, RRType } from '../wire/types.js';

/** Aliases a client follows in a row before it gives up with a loop error. */
export const MAX_ALIAS_HOPS = 8;

/** An absolute canonical name from what a caller passed ('writer.acme.agents' or with the dot); throws NameError. */
export function agentName(name: string): string {
  return parseName(name.endsWith('.') ? name : `${name}.`);
}

/** The target of an AliasMode SVCB record ('.' means "not available"); undefined for anything else. */
export function aliasTarget(rr: RR): string | undefined {
  if (rr.type !== RRType.SVCB) return undefined;
  let svcb: SvcbData;
  try {
    svcb = readSvcb(rr.rdata);
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
  return svcb.priority === 0 ? svcb.target : undefined;
}

/** What the SVCB set at a name is, for a client deciding what to do next. */
export type SvcbSetKind =
  /** No SVCB record at the name. */
  | { kind: 'none' }
  /** ServiceMode records: make the card (cardFromRecords). */
  | { kind: 'service' }
  /** AliasMode: ask again at `target`. */
  | { kind: 'alias'; target: string; warnings: string[] }
  /** AliasMode to '.': the agent is not available (RFC 9460 section 2.5.1). */
  | { kind: 'unavailable'; warnings: string[] };

/**
 * Sort the SVCB records at `name` (others in `records` are ignored). An AliasMode record wins
 * over ServiceMode records beside it; of several AliasMode records one is picked with `random`
 * (RFC 9460 section 2.4.2). Malformed records are left out, as a client cannot use them.
 */
export function classifySvcbSet(agent: string, records: readonly RR[], random: () => number = Math.random): SvcbSetKind {
  const name = agentName(agent);
  const set = records.filter((r) => r.type === RRType.SVCB && r.class === RRClass.IN && nameEquals(r.name, name));
  if (set.length === 0) return { kind: 'none' };
  const parsed: SvcbData[] = [];
  let malformed = 0;
  for (const r of set) {
    try {
      parsed.push(readSvcb(r.rdata));
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      malformed++;
    }
  }
  const aliases = parsed.filter((s) => s.priority === 0);
  if (aliases.length === 0) return { kind: 'service' };
  const warnings: string[] = [];
  if (malformed > 0) warnings.push(`${name} SVCB: ${malformed} malformed record(s) ignored`);
  if (aliases.length < parsed.length) warnings.push(`${name} SVCB: ServiceMode records beside an AliasMode record are ignored (RFC 9460 section 2.4.2)`);
  let pick = aliases[0]!;
  if (aliases.length > 1) {
    warnings.push(`${name} SVCB: ${aliases.length} AliasMode records; one is picked at random (RFC 9460 section 2.4.2)`);
    pick = aliases[pickIndex(aliases.length, random)]!;
  }
  if (pick.params.size > 0) warnings.push(`${name} SVCB 0: SvcParams in an AliasMode record are ignored`);
  if (pick.target === '.') return { kind: 'unavailable', warnings };
  return { kind: 'alias', target: pick.target, warnings };
}

/** An index below n from random() in [0, 1), whatever the injected function returns. */
export function pickIndex(n: number, random: () => number): number {
  return Math.min(Math.floor(unit(random) * n), n - 1);
}

/** random() held to [0, 1), so a faulty injected function cannot pick past the end. */
export function unit(random: () => number): number {
  const v = random();
  return Number.isFinite(v) ? Math.min(Math.max(v, 0), 1 - Number.EPSILON) : 0;
}

/**
 * The names met while following aliases from `start`. `follow` records one hop (a CNAME or an
 * AliasMode record) and throws ERR_AGENT_ALIAS_LOOP on the ninth hop or on a name met before.
 */
export class AliasChain {
  private readonly list: string[];
  private readonly keys = new Set<string>();

  constructor(start: string, readonly max: number = MAX_ALIAS_HOPS) {
    this.list = [start];
    this.keys.add(nameKey(start));
  }

  /** Every name so far, the start first. */
  get names(): readonly string[] {
    return this.list;
  }

  get current(): string {
    return this.list[this.list.length - 1]!;
  }

  get hops(): number {
    return this.list.length - 1;
  }

  follow(target: string, via: 'CNAME' | 'AliasMode' = 'AliasMode'): string {
    const from = this.current;
    if (this.keys.has(nameKey(target))) {
      throw new AgentRecordError('ERR_AGENT_ALIAS_LOOP', `alias loop: ${from} ${via} points back to ${target} (${[...this.list, target].join(' -> ')})`);
    }
    if (this.hops >= this.max) {
      throw new AgentRecordError('ERR_AGENT_ALIAS_LOOP', `more than ${this.max} aliases in a row from ${this.list[0]} (${[...this.list, target].join(' -> ')})`);
    }
    this.list.push(target);
    this.keys.add(nameKey(target));
    return target;
  }
}
