// SVCB RDATA (RFC 9460) in wire form for agent records: the SvcParamKeys aop uses, a strict reader
// and a writer. src/wire/rdata/svcb.ts only converts to and from text, so the agent layer reads
// the params itself, after checkSvcb has applied the wire layer's (BIND's) checks.

import { RdataError } from '../wire/errors.js';
import { labelsToText, nameToWire, MAX_NAME_WIRE } from '../wire/name.js';
import { checkSvcb } from '../wire/rdata/svcb.js';

/** SvcParamKeys by name: RFC 9460's, aop's (65320-65326) and DNS-AID's (65400-65402). docs/records.md. */
export const SvcKey = {
  mandatory: 0,
  alpn: 1,
  noDefaultAlpn: 2,
  port: 3,
  ipv4hint: 4,
  ech: 5,
  ipv6hint: 6,
  path: 65320,
  transport: 65321,
  tool: 65322,
  capabilities: 65323,
  description: 65324,
  auth: 65325,
  scheme: 65326,
  cap: 65400,
  capSha256: 65401,
  bap: 65402,
} as const;

const RFC_NAMES = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint'];
const PRIVATE_NAMES = new Map<number, string>([
  [SvcKey.path, 'path'],
  [SvcKey.transport, 'transport'],
  [SvcKey.tool, 'tool'],
  [SvcKey.capabilities, 'capabilities'],
  [SvcKey.description, 'description'],
  [SvcKey.auth, 'auth'],
  [SvcKey.scheme, 'scheme'],
  [SvcKey.cap, 'cap'],
  [SvcKey.capSha256, 'cap-sha256'],
  [SvcKey.bap, 'bap'],
]);

/** How messages name a key: `alpn`, `port`, `key65322 (tool)`, `key65409`. */
export function keyLabel(key: number): string {
  const rfc = RFC_NAMES[key];
  if (rfc !== undefined) return rfc;
  const ours = PRIVATE_NAMES.get(key);
  return ours === undefined ? `key${key}` : `key${key} (${ours})`;
}

export interface SvcbData {
  priority: number;
  /** Absolute target name in canonical presentation form; '.' is the root. */
  target: string;
  /** Values in wire form by key, in the (ascending) order of the RDATA. */
  params: Map<number, Buffer>;
}

/**
 * Wire RDATA -> priority, target and params. Throws RdataError (a WireError) when the RDATA is
 * malformed: anything src/wire's checkSvcb refuses, a compressed target, bytes left over.
 */
export function readSvcb(rdata: Buffer): SvcbData {
  checkSvcb(rdata, 'SVCB RDATA');
  if (rdata.length < 3) throw new RdataError('ERR_RDATA_BAD_WIRE', 'SVCB RDATA is too short');
  const priority = rdata.readUInt16BE(0);
  // The target is never compressed (RFC 9460 section 2.2); read the labels by hand.
  const labels: Buffer[] = [];
  let pos = 2;
  for (;;) {
    const len = rdata[pos];
    if (len === undefined) throw new RdataError('ERR_RDATA_BAD_WIRE', 'SVCB target runs past the end of the RDATA');
    if (len === 0) break;
    if (len > 63) throw new RdataError('ERR_RDATA_BAD_WIRE', 'SVCB target is compressed or has a bad label length');
    if (pos + 1 + len > rdata.length) throw new RdataError('ERR_RDATA_BAD_WIRE', 'SVCB target runs past the end of the RDATA');
    labels.push(rdata.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  pos++;
  if (pos - 2 > MAX_NAME_WIRE) throw new RdataError('ERR_RDATA_BAD_WIRE', 'SVCB target is over 255 octets');
  const params = new Map<number, Buffer>();
  while (pos < rdata.length) {
    // checkSvcb has checked the framing and the key order already.
    const key = rdata.readUInt16BE(pos);
    const len = rdata.readUInt16BE(pos + 2);
    params.set(key, rdata.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return { priority, target: labelsToText(labels), params };
}

/** Priority, target and params -> wire RDATA, params in ascending key order. Keys must not repeat. */
export function writeSvcb(priority: number, target: string, params: Iterable<[number, Buffer]>): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(priority);
  const sorted = [...params].sort((a, b) => a[0] - b[0]);
  const parts: Buffer[] = [head, nameToWire(target)];
  for (let i = 0; i < sorted.length; i++) {
    const [key, value] = sorted[i]!;
    if (i > 0 && sorted[i - 1]![0] === key) throw new RangeError(`SVCB key ${keyLabel(key)} given twice`);
    const h = Buffer.alloc(4);
    h.writeUInt16BE(key, 0);
    h.writeUInt16BE(value.length, 2);
    parts.push(h, value);
  }
  return Buffer.concat(parts);
}

/** alpn wire value -> ALPN ids (latin1 text). checkSvcb has checked the framing. */
export function alpnIds(value: Buffer): string[] {
  const ids: string[] = [];
  for (let i = 0; i < value.length; ) {
    const n = value[i]!;
    ids.push(value.subarray(i + 1, i + 1 + n).toString('latin1'));
    i += 1 + n;
  }
  return ids;
}

/** ALPN ids -> alpn wire value. */
export function alpnValue(ids: readonly string[]): Buffer {
  return Buffer.concat(ids.flatMap((id) => {
    const b = Buffer.from(id, 'latin1');
    return [Buffer.from([b.length]), b];
  }));
}

/** mandatory wire value -> the keys it lists. */
export function mandatoryKeys(value: Buffer): number[] {
  const keys: number[] = [];
  for (let i = 0; i + 1 < value.length; i += 2) keys.push(value.readUInt16BE(i));
  return keys;
}
