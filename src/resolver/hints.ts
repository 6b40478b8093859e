// Root hints: where iteration starts. A file in zone-file syntax with NS records for the
// namespace apex (for aop, `agents.`) and the addresses of those servers.

import { AopError } from '../base/errors.js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseZone } from '../zone/parser.js';
import { formatFault } from '../zone/errors.js';
import { nameKey, readName } from '../wire/name.js';
import { RRType } from '../wire/types.js';

export class HintsError extends AopError {
  declare readonly code: 'ERR_HINTS_INVALID';
  constructor(message: string) {
    super('ERR_HINTS_INVALID', message);
  }
}

export interface HintServer {
  name: string;
  addresses: string[];
}

export interface RootHints {
  /** The zone the hints are for: `.` for the DNS root, `agents.` for aop's namespace. */
  zone: string;
  servers: HintServer[];
  ttl: number;
}

function addressOf(type: number, rdata: Buffer): string {
  if (type === RRType.A) return [...rdata].join('.');
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(rdata.readUInt16BE(i).toString(16));
  return parts.join(':');
}

/** Parse hints text; every NS must be for one zone and have at least one address. */
export function parseHints(text: string, file = '<hints>'): RootHints {
  const { records, faults } = parseZone(text, { origin: '.', file, defaultTtl: 3600000 });
  if (faults.length > 0) throw new HintsError(faults.map(formatFault).join('\n'));
  const ns = records.filter((r) => r.type === RRType.NS);
  if (ns.length === 0) throw new HintsError(`${file}: no NS records: hints must name the servers of the namespace apex`);
  const zone = ns[0]!.name;
  const other = ns.find((r) => nameKey(r.name) !== nameKey(zone));
  if (other) throw new HintsError(`${file}:${other.line}:${other.col}: NS for ${other.name}, but hints are for ${zone}; give one zone's servers`);
  const servers: HintServer[] = [];
  for (const r of ns) {
    const name = readName(r.rdata, 0).name;
    const addresses = records
      .filter((a) => (a.type === RRType.A || a.type === RRType.AAAA) && nameKey(a.name) === nameKey(name))
      .map((a) => addressOf(a.type, a.rdata))
      .filter((a) => isIP(a) !== 0);
    if (addresses.length === 0) throw new HintsError(`${file}:${r.line}:${r.col}: name server ${name} has no A or AAAA record in the hints`);
    servers.push({ name, addresses });
  }
  return { zone, servers, ttl: Math.min(...ns.map((r) => r.ttl)) };
}

export function loadHints(file: string): RootHints {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HintsError(`cannot read root hints ${file}: ${(err as Error).message}`);
  }
  return parseHints(text, file);
}
