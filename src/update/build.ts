// The DNS UPDATE messages (RFC 2136) that register and deregister an agent, as `aop register` /
// `aop deregister` send them and `nsupdate` could: the records come from agent-records.ts, the
// builder `aop zone add-agent` uses, so a registered agent has the records add-agent would write.

import { randomInt } from 'node:crypto';
import type { AgentRecords } from '../agent/index.js';
import { encodeMessage, newMessage } from '../wire/message.js';
import { nameToWire, parentName, parseName } from '../wire/name.js';
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

function update(zone: string, records: RR[], id: number): Buffer {
  return encodeMessage(newMessage({ id, opcode: Opcode.UPDATE, questions: [{ name: zone, type: RRType.SOA, class: RRClass.IN }], authority: records }));
}

/**
 * The UPDATE that registers an agent: its SVCB set and `_agent` TXT replaced (and its own A/AAAA,
 * when an endpoint is given by IP address and they are written at the agent name), the index PTR
 * added. Throws AgentEditError for input the records cannot carry.
 */
export function registerUpdate(req: AgentRegistration, id = randomInt(0, 0x10000)): RegisterUpdate {
  const { name, zone } = registrationZone(req);
  // The zone's records are out of sight: hosts inside it are returned for the caller to check.
  const built = buildAgent({ origin: zone, records: [], unseen: true }, { ...req, name });
  const { records } = built;
  const own = records.addresses.length > 0 ? [deletion(name, RRType.A), deletion(name, RRType.AAAA)] : [];
  const message = update(zone, [
    deletion(name, RRType.SVCB), ...own, deletion(`_agent.${name}`, RRType.TXT),
    ...records.svcb, ...records.addresses, records.txt, records.index,
  ], id);
  return { message, zone, name, records, warnings: built.warnings, hosts: built.uncheckedHosts };
}

/**
 * The UPDATE that deregisters an agent: its SVCB set, its own A/AAAA (an IP endpoint's), its
 * `_agent` TXT and its index PTR (only that one) deleted.
 */
export function deregisterUpdate(req: { name: string; zone?: string }, id = randomInt(0, 0x10000)): { message: Buffer; zone: string; name: string } {
  const { name, zone } = registrationZone(req);
  const message = update(zone, [
    deletion(name, RRType.SVCB), deletion(name, RRType.A), deletion(name, RRType.AAAA), deletion(`_agent.${name}`, RRType.TXT),
    { name: `_index._agents.${zone}`, type: RRType.PTR, class: RRClass.NONE, ttl: 0, rdata: nameToWire(name) },
  ], id);
  return { message, zone, name };
}
