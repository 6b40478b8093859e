// Who may change what: an ordered list of grant/deny rules per TSIG key, BIND's update-policy
// in a minimal form. The first rule that matches an update record decides; none matching denies.

import { AopError } from '../base/errors.js';
import { isInDomain, nameEquals, nameToWire, parentName, parseName, readName } from '../wire/name.js';
import { entryHash, isPage, orgIndexRoot, pagePath } from '../agent/index.js';
import type { RR } from '../wire/rr.js';
import { RRType, typeFromString, typeToString } from '../wire/types.js';

export class PolicyError extends AopError {
  declare readonly code: 'ERR_UPDATE_POLICY';
  constructor(message: string) {
    super('ERR_UPDATE_POLICY', message);
  }
}

export type MatchType = 'name' | 'subdomain' | 'wildcard' | 'zonesub' | 'self' | 'agent';

export interface PolicyRule {
  grant: boolean;
  /** Key name, or '*' for any key in the keyring. */
  key: string;
  match: MatchType;
  /** The name the match type compares with (absent for zonesub and self). */
  name?: string;
  /** Types the rule covers; 'ANY' is every type, including SOA and NS. */
  types: number[] | 'ANY';
  /** The rule as written, for logs. */
  text: string;
}

/** Types covered when a rule lists none: everything but the zone's own SOA and NS (as BIND). */
const DEFAULT_EXCLUDED = new Set<number>([RRType.SOA, RRType.NS]);

/**
 * One rule: `grant|deny KEY MATCH [NAME] [TYPE...]`, e.g.
 *   grant writer-key name writer.acme.agents. SVCB TXT
 *   grant acme-admin subdomain acme.agents. ANY
 *   grant * zonesub ANY
 *   grant writer-key agent writer.acme.agents.
 * `agent NAME` covers what `aop register NAME` writes (docs/records.md): the records at NAME, the
 * TXT at `_agent.NAME`, only the index PTR that points at NAME, and the index TXT records.
 * A trailing ';' is allowed. Throws PolicyError ERR_UPDATE_POLICY with what is wrong.
 */
export function parseRule(text: string): PolicyRule {
  const words = text.trim().replace(/;$/, '').trim().split(/\s+/).filter((w) => w.length > 0);
  const bad = (why: string): PolicyError => new PolicyError(`update policy '${text.trim()}': ${why}; want 'grant|deny KEY name|subdomain|wildcard|agent NAME [TYPE...]' or 'grant|deny KEY zonesub|self [TYPE...]'`);
  const [mode, key, match, ...rest] = words;
  if (mode !== 'grant' && mode !== 'deny') throw bad(`starts with '${mode ?? ''}', not grant or deny`);
  if (key === undefined) throw bad('no key name');
  if (key !== '*') checkName(key, (m) => bad(`key name: ${m}`));
  if (match !== 'name' && match !== 'subdomain' && match !== 'wildcard' && match !== 'zonesub' && match !== 'self' && match !== 'agent') throw bad(`unknown match type '${match ?? ''}'`);
  let name: string | undefined;
  if (match === 'name' || match === 'subdomain' || match === 'wildcard' || match === 'agent') {
    const n = rest.shift();
    if (n === undefined) throw bad(`${match} needs a name`);
    name = checkName(n, (m) => bad(`name: ${m}`));
    if (match === 'wildcard' && !name.startsWith('*.')) throw bad(`a wildcard name starts with '*.' (got ${name})`);
  }
  let types: number[] | 'ANY';
  if (rest.length === 0) types = [];
  else if (rest.some((t) => t.toUpperCase() === 'ANY')) types = 'ANY';
  else {
    types = rest.map((t) => {
      const n = typeFromString(t.toUpperCase());
      if (n === undefined) throw bad(`unknown record type '${t}'`);
      return n;
    });
  }
  return { grant: mode === 'grant', key, match, ...(name !== undefined ? { name } : {}), types, text: text.trim() };
}

function checkName(text: string, bad: (m: string) => PolicyError): string {
  try {
    return parseName(text.endsWith('.') ? text : `${text}.`);
  } catch (err) {
    throw bad((err as Error).message);
  }
}

/** Rules from flags, each of which may hold several rules separated by ';'. */
export function parsePolicy(texts: readonly string[]): PolicyRule[] {
  return texts.flatMap((t) => t.split(';').map((s) => s.trim()).filter((s) => s.length > 0)).map(parseRule);
}

/** When no rule is configured: any key we hold may change anything in any of our zones. */
export const DEFAULT_POLICY: readonly PolicyRule[] = [parseRule('grant * zonesub ANY')];

export interface Decision {
  allowed: boolean;
  /** The deciding rule, or undefined when none matched. */
  rule?: PolicyRule;
}

function typeCovered(rule: PolicyRule, type: number): boolean {
  if (rule.types === 'ANY') return true;
  // A deletion of every RRset at a name (type ANY) needs a rule that covers every type.
  if (type === RRType.ANY) return false;
  if (rule.types.length === 0) return !DEFAULT_EXCLUDED.has(type);
  return rule.types.includes(type);
}

function nameCovered(rule: PolicyRule, rr: Pick<RR, 'name' | 'type' | 'rdata'>, keyName: string, zone: string): boolean {
  const owner = rr.name;
  switch (rule.match) {
    case 'agent': {
      const agent = rule.name!;
      if (nameEquals(owner, agent) || nameEquals(owner, `_agent.${agent}`)) return true;
      const index = `_index._agents.${zone === '.' ? '' : zone}`;
      // The TXT index (DNS-AID's form of the same list): register rewrites it, nsupdate may delete the set.
      // It lists every agent, so a key with this rule can rewrite other agents' entries there (not
      // their PTRs or records); docs/records.md says so.
      if (rr.type === RRType.TXT && nameEquals(owner, index)) return true;
      // The index entry: only a PTR to this agent, added or deleted one record at a time, at the
      // index or at a page on the agent's hash path (of the index or of a capability index).
      if (rr.type !== RRType.PTR || rr.rdata.length === 0) return false;
      if (sameName(rr.rdata, agent)) return nameEquals(owner, index) || onAgentPath(owner, agent, zone);
      // A page entry (a node naming a page directly below it): a registration that fills a page
      // adds them, a deregistration that empties one removes it. Moving other agents' entries
      // (a split) needs a key with a wider rule.
      return pageEntry(owner, rr.rdata, zone);
    }
    case 'name': return nameEquals(owner, rule.name!);
    case 'subdomain': return isInDomain(owner, rule.name!);
    case 'wildcard': {
      const base = parentName(rule.name!)!;
      return !nameEquals(owner, base) && isInDomain(owner, base);
    }
    case 'zonesub': return isInDomain(owner, zone);
    case 'self': return nameEquals(owner, keyName.endsWith('.') ? keyName : `${keyName}.`);
  }
}

/** True when `owner` is a node on `agent`'s hash path of the organisation index or of a capability index (docs/records.md, "A paged index"). */
function onAgentPath(owner: string, agent: string, zone: string): boolean {
  const hash = entryHash(agent, zone);
  if (pagePath(orgIndexRoot(zone), hash).some((o) => nameEquals(o, owner))) return true;
  const caps = `_cap._agents.${zone === '.' ? '' : zone}`;
  if (!isInDomain(owner, caps) || nameEquals(owner, caps)) return false;
  // The capability root is the name just above `_cap`; the labels before it are page digits.
  const labels = owner.replace(/\.$/, '').split('.');
  const at = labels.length - caps.replace(/\.$/, '').split('.').length - 1;
  const root = `${labels.slice(at).join('.')}.`;
  return pagePath(root, hash).some((o) => nameEquals(o, owner));
}

/** A PTR at a node of the index (or of a capability index) to a page directly below it. */
function pageEntry(owner: string, rdata: Buffer, zone: string): boolean {
  let target: string;
  try {
    target = readName(rdata, 0).name;
  } catch {
    return false;
  }
  const index = orgIndexRoot(zone);
  const caps = `_cap._agents.${zone === '.' ? '' : zone}`;
  const inIndex = isInDomain(owner, index) || (isInDomain(owner, caps) && !nameEquals(owner, caps));
  return inIndex && nameEquals(parentName(target) ?? '', owner) && /^[0-9a-f]\./.test(target) && isPage(target, owner);
}

function sameName(wire: Buffer, name: string): boolean {
  const fold = (b: Buffer): Buffer => Buffer.from(b.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c)));
  try {
    return fold(wire).equals(fold(nameToWire(name)));
  } catch {
    return false;
  }
}

/** Whether `keyName` may make this change (an update record) in `zone`. */
export function decide(rules: readonly PolicyRule[], keyName: string, rr: Pick<RR, 'name' | 'type' | 'rdata'>, zone: string): Decision {
  for (const rule of rules) {
    if (rule.key !== '*' && !nameEquals(rule.key.endsWith('.') ? rule.key : `${rule.key}.`, keyName.endsWith('.') ? keyName : `${keyName}.`)) continue;
    if (!nameCovered(rule, rr, keyName, zone) || !typeCovered(rule, rr.type)) continue;
    return { allowed: rule.grant, rule };
  }
  return { allowed: false };
}

/** A rule as one line, for logs and docs. */
export function describeDecision(d: Decision, owner: string, type: number): string {
  const what = `${owner} ${typeToString(type)}`;
  return d.rule ? `${what}: ${d.allowed ? 'granted' : 'denied'} by '${d.rule.text}'` : `${what}: no update-policy rule grants it`;
}
