// The DNS UPDATE messages (RFC 2136) that register and deregister an agent, as `aop register` /
// `aop deregister` send them and `nsupdate` could: the records come from agent-records.ts, the
// builder `aop zone add-agent` uses, so a registered agent has the records add-agent would write.

import { randomInt } from 'node:crypto';
import { type AgentRecords, capIndexRoot, entryHash, indexStrings, indexTxtRdata, isPage, orgIndexRoot, PAGE_MAX, pagePath } from '../agent/index.js';
import { IndexModel, type IndexPtr } from './index-model.js';
import { encodeMessage, newMessage } from '../wire/message.js';
import { isInDomain, nameEquals, nameKey, nameToWire, parentName, parseName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { WireError } from '../wire/errors.js';
import { Opcode, RRClass, RRType } from '../wire/types.js';
import { AgentEditError, agentNameIn, type AgentSpec, buildAgent } from './agent-records.js';

/** An agent to register: an AgentSpec whose name is absolute (`writer.acme.agents`, dot or not). */
export interface AgentRegistration extends AgentSpec {
  /** The zone to update; default the agent name's parent. */
  zone?: string;
}

export interface RegisterUpdate {
  /** The UPDATE, unsigned (sign it with src/wire/tsig.ts signMessage). */
  message: Buffer;
  zone: string;
  name: string;
  records: AgentRecords;
  /** What the user should know: a description shortened, plain http beyond loopback. */
  warnings: string[];
  /** Endpoint hosts inside the zone: the server refuses the agent unless they have A/AAAA records there. */
  hosts: string[];
  /**
   * UPDATEs to send first, in order: the index changes of a paged index when they are too many
   * for one message with the agent's records (a page that splits).
   */
  before: Buffer[];
}

function absolute(text: string, what: string): string {
  try {
    return parseName(text.endsWith('.') ? text : `${text}.`);
  } catch (err) {
    if (err instanceof WireError) throw new AgentEditError('ERR_ZONE_AGENT_NAME', `${what} ${JSON.stringify(text)}: ${err.message}`);
    throw err;
  }
}

/** The absolute agent name and its zone (given, else the name's parent); the name is checked as add-agent checks it. */
export function registrationZone(req: { name: string; zone?: string }): { name: string; zone: string } {
  const name = absolute(req.name, 'agent name');
  const zone = req.zone !== undefined ? absolute(req.zone, 'zone') : parentName(name);
  if (zone === undefined || zone === '.') throw new AgentEditError('ERR_ZONE_AGENT_NAME', `${name} has no parent zone; give --zone`);
  return { name: agentNameIn(name, zone), zone };
}

const deletion = (name: string, type: number): RR => ({ name, type, class: RRClass.ANY, ttl: 0, rdata: Buffer.alloc(0) });

function update(zone: string, records: RR[], id: number, prereqs: RR[] = []): Buffer {
  return encodeMessage(newMessage({ id, opcode: Opcode.UPDATE, questions: [{ name: zone, type: RRType.SOA, class: RRClass.IN }], answers: prereqs, authority: records }));
}

/**
 * The UPDATE that registers an agent: its SVCB set and `_agent` TXT replaced (and its own A/AAAA,
 * when an endpoint is given by IP address and they are written at the agent name), the index PTR
 * added. Throws AgentEditError for input the records cannot carry.
 */
export function registerUpdate(req: AgentRegistration, id = randomInt(0, 0x10000), index?: IndexState): RegisterUpdate {
  const { name, zone } = registrationZone(req);
  // The zone's records are out of sight: hosts inside it are returned for the caller to check.
  const built = buildAgent({ origin: zone, records: [], unseen: true }, { ...req, name });
  const { records } = built;
  const own = records.addresses.length > 0 ? [deletion(name, RRType.A), deletion(name, RRType.AAAA)] : [];
  const paged = index === undefined ? undefined : pagedIndexChange(zone, name, req.capabilities ?? [], index, 'add', index.ttl ?? records.index.ttl, id);
  if (paged !== undefined) {
    const message = update(zone, [
      deletion(name, RRType.SVCB), ...own, deletion(`_agent.${name}`, RRType.TXT),
      ...records.svcb, ...records.addresses, records.txt, ...paged.inline,
    ], id, paged.prereqs);
    return { message, zone, name, records, warnings: built.warnings, hosts: built.uncheckedHosts, before: paged.before };
  }
  const txt = index === undefined ? { prereqs: [], changes: [] } : txtIndexChange(zone, index, [...index.agents, name], index.ttl ?? records.index.ttl);
  const message = update(zone, [
    deletion(name, RRType.SVCB), ...own, deletion(`_agent.${name}`, RRType.TXT),
    ...records.svcb, ...records.addresses, records.txt, records.index, ...txt.changes,
  ], id, txt.prereqs);
  return { message, zone, name, records, warnings: built.warnings, hosts: built.uncheckedHosts, before: [] };
}

/** Index changes carried in the agent's own UPDATE; more go first, in UPDATEs of CHUNK records. */
const INLINE = 64;
const CHUNK = 200;

/**
 * The index changes of registering (`add`) or deregistering (`remove`) an agent when the index
 * is paged or is about to be (docs/records.md, "A paged index"): the PTRs on the agent's hash
 * path, of the organisation index and of its capabilities' indexes; when the root splits, the TXT
 * index removed and every capability index built. Undefined when the index is flat and stays
 * flat (the caller writes the flat index and its TXT, as always). Adding a record that exists
 * and deleting one that does not are no-ops (RFC 2136 3.4.2), so a removal needs no prerequisite.
 * An addition does: where it puts the agent (or splits a full node) depends on the nodes it read,
 * and a registration that changed one of them meanwhile (a split, most of all: an entry added
 * to a node that has just become pages would stay there) must make this one fail with
 * NXRRSET/YXRRSET and be built again from a fresh read (`prereqs`: every node the change touches
 * that was read, exactly as read).
 */
export function pagedIndexChange(
  zone: string, name: string, capabilities: readonly string[], index: IndexState, op: 'add' | 'remove', ttl: number, id: number,
): { inline: RR[]; before: Buffer[]; prereqs: RR[] } | undefined {
  const root = orgIndexRoot(zone);
  const known: IndexPtr[] = [...index.agents.map((target) => ({ owner: root, target })), ...(index.paths ?? [])];
  const org = new IndexModel(root, zone, known.filter((p) => isInDomain(p.owner, root)));
  if (!org.paged) {
    if (op === 'remove') return undefined;
    if (index.agents.some((n) => nameEquals(n, name)) || index.agents.length + 1 <= PAGE_MAX) return undefined;
  }
  if (op === 'add') org.add(name);
  else org.remove(name);
  const adds: IndexPtr[] = [...org.changes.add];
  const removes: IndexPtr[] = [...org.changes.remove];
  const extra: RR[] = [];
  const capModel = (cap: string): IndexModel | undefined => {
    const capRoot = capIndexRoot(zone, cap);
    return capRoot === undefined ? undefined : new IndexModel(capRoot, zone, (index.paths ?? []).filter((p) => isInDomain(p.owner, capRoot)));
  };
  if (org.changes.rootSplit) {
    // The flat index becomes paged: its TXT index goes, and every capability index is built.
    for (const d of index.txt) extra.push({ name: root, type: RRType.TXT, class: RRClass.NONE, ttl: 0, rdata: d });
    const models = new Map<string, IndexModel>();
    const members: Array<[string, readonly string[]]> = [...(index.capabilitiesOf ?? new Map()).entries()];
    members.push([name, capabilities]);
    for (const [agent, caps] of members) {
      for (const cap of caps) {
        let m = models.get(cap);
        if (m === undefined) {
          const made = capModel(cap);
          if (made === undefined) continue;
          models.set(cap, (m = made));
        }
        m.add(agent);
      }
    }
    for (const m of models.values()) adds.push(...m.changes.add);
  } else if (org.paged || org.changes.add.length > 0) {
    for (const cap of new Set(capabilities)) {
      const m = capModel(cap);
      if (m === undefined) continue;
      if (op === 'add') m.add(name);
      else m.remove(name);
      adds.push(...m.changes.add);
      removes.push(...m.changes.remove);
    }
  }
  if (op === 'remove') {
    // Wherever its paths may list it, read or not (a split since the read): deleting a record
    // that is not there changes nothing.
    const roots = [root, ...capabilities.map((c) => capIndexRoot(zone, c)).filter((x): x is string => x !== undefined)];
    const hash = entryHash(name, zone);
    for (const r of roots) {
      for (const owner of pagePath(r, hash)) {
        if (!removes.some((p) => nameEquals(p.owner, owner) && nameEquals(p.target, name))) removes.push({ owner, target: name.endsWith('.') ? name : `${name}.` });
      }
    }
  }
  const rr = (p: IndexPtr, cls: number): RR => ({ name: p.owner, type: RRType.PTR, class: cls, ttl: cls === RRClass.IN ? ttl : 0, rdata: nameToWire(p.target) });
  const all = [...adds.map((p) => rr(p, RRClass.IN)), ...extra, ...removes.map((p) => rr(p, RRClass.NONE))];
  const prereqs = op === 'add' ? readNodePrereqs(zone, index, [...adds, ...removes]) : [];
  if (all.length <= INLINE) return { inline: all, before: [], prereqs };
  // Adds first, then deletions: a reader never finds an agent in neither place. The nodes as
  // read are checked by the first message, which carries the split.
  const before: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) before.push(update(zone, all.slice(i, i + CHUNK), (id + 1 + i / CHUNK) & 0xffff, i === 0 ? prereqs : []));
  return { inline: [], before, prereqs: [] };
}

/** Exact-RRset prerequisites for the read nodes among the owners `changed` touches. */
function readNodePrereqs(zone: string, index: IndexState, changed: readonly IndexPtr[]): RR[] {
  const read = new Set((index.read ?? []).map((o) => nameKey(o)));
  const root = orgIndexRoot(zone);
  const owners = new Map<string, string>();
  for (const p of changed) if (read.has(nameKey(p.owner))) owners.set(nameKey(p.owner), p.owner);
  const out: RR[] = [];
  for (const [key, owner] of owners) {
    const targets = key === nameKey(root) ? index.agents : (index.paths ?? []).filter((p) => nameKey(p.owner) === key).map((p) => p.target);
    out.push(...exactly(owner, RRType.PTR, targets.map((t) => nameToWire(t))));
  }
  return out;
}

/** The organisation index as the primary holds it now (read by the caller before the UPDATE). */
export interface IndexState {
  /** The PTR set's targets at `_index._agents.<zone>`. */
  agents: string[];
  /** The TXT index records' RDATA there (usually one). */
  txt: Buffer[];
  /** The index's TTL, when it has records. */
  ttl?: number;
  /** The PTR records read on the agent's hash paths (pages of the organisation and capability indexes), for a paged index. */
  paths?: IndexPtr[];
  /** Every node whose PTR set was read (found or absent), the root included: their sets as read are the change's prerequisites. */
  read?: string[];
  /** Capabilities of every agent the root lists, read when the root is full: its split builds the capability indexes. */
  capabilitiesOf?: Map<string, string[]>;
  /** The agent's own capabilities as served (for a deregistration, which gets no spec). */
  ownCapabilities?: string[];
}

/** Prerequisites (RFC 2136 2.4.2/2.4.3) that `owner`'s `type` RRset is exactly `rdatas`, or absent when there are none. */
function exactly(owner: string, type: number, rdatas: readonly Buffer[]): RR[] {
  return rdatas.length > 0
    ? rdatas.map((d) => ({ name: owner, type, class: RRClass.IN, ttl: 0, rdata: d }))
    : [{ name: owner, type, class: RRClass.NONE, ttl: 0, rdata: Buffer.alloc(0) }];
}

/**
 * The TXT index for the new set of names: prerequisites that the PTR and TXT RRsets are still
 * exactly what was read (or absent), so a concurrent registration makes this UPDATE fail with
 * NXRRSET/YXRRSET instead of losing an entry; then the old records deleted one by one and the new one added.
 * Nothing when the text stays the same.
 */
export function txtIndexChange(zone: string, index: IndexState, names: readonly string[], ttl: number): { prereqs: RR[]; changes: RR[] } {
  const owner = `_index._agents.${zone === '.' ? '' : zone}`;
  const keep = [...new Set(names.filter((n) => isInDomain(n, zone) && !nameEquals(n, zone)).map((n) => n.toLowerCase()))];
  const strings = indexStrings(keep, zone);
  const rdata = strings.length > 0 ? indexTxtRdata(strings) : undefined;
  if (rdata === undefined ? index.txt.length === 0 : index.txt.length === 1 && index.txt[0]!.equals(rdata)) return { prereqs: [], changes: [] };
  // Both RRsets as read: the two were read by two queries, and the new TXT is built from the PTRs.
  const prereqs = [...exactly(owner, RRType.PTR, index.agents.map((n) => nameToWire(n))), ...exactly(owner, RRType.TXT, index.txt)];
  const changes: RR[] = index.txt.map((d) => ({ name: owner, type: RRType.TXT, class: RRClass.NONE, ttl: 0, rdata: d }));
  if (rdata !== undefined) changes.push({ name: owner, type: RRType.TXT, class: RRClass.IN, ttl, rdata });
  return { prereqs, changes };
}

/**
 * The UPDATE that deregisters an agent: its SVCB set, its own A/AAAA (an IP endpoint's), its
 * `_agent` TXT and its index PTR (only that one) deleted.
 */
export function deregisterUpdate(req: { name: string; zone?: string }, id = randomInt(0, 0x10000), index?: IndexState): { message: Buffer; zone: string; name: string; before: Buffer[] } {
  const { name, zone } = registrationZone(req);
  const paged = index === undefined ? undefined : pagedIndexChange(zone, name, index.ownCapabilities ?? [], index, 'remove', index.ttl ?? 300, id);
  if (paged !== undefined) {
    const message = update(zone, [
      deletion(name, RRType.SVCB), deletion(name, RRType.A), deletion(name, RRType.AAAA), deletion(`_agent.${name}`, RRType.TXT),
      ...paged.inline,
    ], id);
    return { message, zone, name, before: paged.before };
  }
  const txt = index === undefined ? { prereqs: [], changes: [] } : txtIndexChange(zone, index, index.agents.filter((n) => !nameEquals(n, name)), index.ttl ?? 300);
  const message = update(zone, [
    deletion(name, RRType.SVCB), deletion(name, RRType.A), deletion(name, RRType.AAAA), deletion(`_agent.${name}`, RRType.TXT),
    { name: `_index._agents.${zone}`, type: RRType.PTR, class: RRClass.NONE, ttl: 0, rdata: nameToWire(name) },
    ...txt.changes,
  ], id, txt.prereqs);
  return { message, zone, name, before: [] };
}
