// The managed trust-anchor file (`--trust-anchor-managed FILE`), in the form of Unbound's
// auto-trust-anchor-file: one DNSKEY (or, before the first probe, DS) record a line, each with
// its RFC 5011 state in a comment, and the trust point's probe times in `;;` header lines:
//
//   ;;id: example. 1
//   ;;last_queried: 1800000000 ;;Fri Jan 15 08:00:00 2027
//   example. 300 IN DNSKEY 257 3 13 mdsswUyr... ;{id = 2371 (ksk), size = 256b} ;;state=2 [  VALID  ] ;;count=0 ;;lastchange=1800000000 ;;Fri ...
//
// The layout follows Unbound's (autotrust.c); reading each other's files is not tested yet. A
// line without a state comment is VALID (a plain anchor file works as a start).

import { readFileSync } from 'node:fs';
import { atomicWrite } from '../../base/atomic-write.js';
import { keyTag } from '../../dnssec/keytag.js';
import { nameKey } from '../../wire/name.js';
import { rdataToText } from '../../wire/rdata.js';
import { RRType } from '../../wire/types.js';
import { parseZone } from '../../zone/parser.js';
import { formatFault } from '../../zone/load.js';
import { TrustAnchorError } from './anchors.js';

/** RFC 5011 section 4.1 states, with Unbound's numbers. */
export const AnchorState = { START: 0, ADDPEND: 1, VALID: 2, MISSING: 3, REVOKED: 4, REMOVED: 5 } as const;
export type AnchorStateNumber = (typeof AnchorState)[keyof typeof AnchorState];
const STATE_TEXT = ['  START  ', ' ADDPEND ', '  VALID  ', ' MISSING ', ' REVOKED ', ' REMOVED '];

export interface ManagedKey {
  type: typeof RRType.DNSKEY | typeof RRType.DS;
  rdata: Buffer;
  ttl: number;
  state: AnchorStateNumber;
  /** Probes that saw it while ADDPEND (Unbound wants 2 before VALID). */
  count: number;
  /** Seconds since 1970 of the last state change. */
  lastChange: number;
}

export interface ManagedPoint {
  zone: string;
  keys: ManagedKey[];
  lastQueried: number;
  lastSuccess: number;
  nextProbe: number;
  queryFailed: number;
  queryInterval: number;
  retryTime: number;
}

const ctime = (sec: number): string => new Date(sec * 1000).toUTCString();

export function readAnchorFile(file: string): ManagedPoint {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrustAnchorError(`cannot read trust anchors ${file}: ${(err as Error).message}`, { cause: err });
  }
  const header = (name: string): number => Number(new RegExp(`^;;${name}: (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const keys: ManagedKey[] = [];
  let zone: string | undefined;
  text.split('\n').forEach((line, i) => {
    const data = line.replace(/;.*$/, '');
    if (data.trim() === '') return;
    const comment = line.slice(data.length);
    const { records, faults } = parseZone(data, { origin: '.', file, defaultTtl: 3600 });
    if (faults.length > 0) throw new TrustAnchorError(faults.map((f) => formatFault({ ...f, line: i + 1 })).join('; '));
    for (const rr of records) {
      if (rr.type !== RRType.DNSKEY && rr.type !== RRType.DS) throw new TrustAnchorError(`${file}:${i + 1}: a trust anchor is a DS or DNSKEY record, not type ${rr.type}`);
      if (zone !== undefined && nameKey(zone) !== nameKey(rr.name)) throw new TrustAnchorError(`${file}:${i + 1}: a managed anchor file holds one zone's anchors (${zone}), not ${rr.name}`);
      zone = rr.name;
      const state = /state=(\d)/.exec(comment);
      keys.push({
        type: rr.type, rdata: rr.rdata, ttl: rr.ttl,
        state: (state ? Number(state[1]) : AnchorState.VALID) as AnchorStateNumber,
        count: Number(/count=(\d+)/.exec(comment)?.[1] ?? 0),
        lastChange: Number(/lastchange=(\d+)/.exec(comment)?.[1] ?? 0),
      });
    }
  });
  if (zone === undefined) throw new TrustAnchorError(`trust anchors ${file}: no DS or DNSKEY records`);
  return {
    zone, keys, lastQueried: header('last_queried'), lastSuccess: header('last_success'), nextProbe: header('next_probe_time'),
    queryFailed: header('query_failed'), queryInterval: header('query_interval'), retryTime: header('retry_time'),
  };
}

function keyLine(zone: string, k: ManagedKey): string {
  const text = rdataToText(k.type, k.rdata);
  const about = k.type === RRType.DNSKEY ? ` ;{id = ${keyTag(k.rdata)} (${(k.rdata.readUInt16BE(0) & 1) === 1 ? 'ksk' : 'zsk'})}` : '';
  return `${zone}\t${k.ttl}\tIN\t${k.type === RRType.DNSKEY ? 'DNSKEY' : 'DS'}\t${text}${about} ;;state=${k.state} [${STATE_TEXT[k.state]}] ;;count=${k.count} ;;lastchange=${k.lastChange} ;;${ctime(k.lastChange)}`;
}

/** Write the file anew (atomically: a crash leaves the old one or the new one). REMOVED and START keys are left out. */
export function writeAnchorFile(file: string, p: ManagedPoint): void {
  const lines = [
    '; autotrust trust anchor file (RFC 5011), kept by aop',
    `;;id: ${p.zone} 1`,
    `;;last_queried: ${p.lastQueried} ;;${ctime(p.lastQueried)}`,
    `;;last_success: ${p.lastSuccess} ;;${ctime(p.lastSuccess)}`,
    `;;next_probe_time: ${p.nextProbe} ;;${ctime(p.nextProbe)}`,
    `;;query_failed: ${p.queryFailed}`,
    `;;query_interval: ${p.queryInterval}`,
    `;;retry_time: ${p.retryTime}`,
    ...p.keys.filter((k) => k.state !== AnchorState.REMOVED && k.state !== AnchorState.START).map((k) => keyLine(p.zone, k)),
  ];
  atomicWrite(file, lines.join('\n') + '\n', { mode: 0o644 });
}
