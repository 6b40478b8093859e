// Zone-transfer test helpers: ask two servers every question of a zone and list where they differ;
// read and wait for a server's SOA serial; NSD and Knot started as secondaries of a primary.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkConfig, sbin, startPeer, waitUntilAnswers, type PeerProcess, type Teardownable } from './child.js';
import { knotServerConf, nsdServerConf } from './peer-conf.js';
import { query } from '../../src/transport/index.js';
import { RRType } from '../../src/wire/types.js';
import type { Zone } from '../../src/zone/zone.js';

export interface Addr {
  address: string;
  port: number;
}

/** Every (name, type) of the zone, plus a name that does not exist and a type the apex lacks. */
export function zoneQuestions(zone: Zone): [string, number][] {
  const out: [string, number][] = [];
  for (const node of zone.allNodes()) for (const type of node.rrsets.keys()) out.push([node.name, type]);
  out.push([`nobody.${zone.origin}`, RRType.A], [zone.origin, RRType.TXT]);
  return out;
}

const rec = (rr: { name: string; type: number; ttl: number; rdata: Buffer }): string => `${rr.name.toLowerCase()} ${rr.ttl} ${rr.type} ${rr.rdata.toString('hex')}`;

/** Ask both servers every question of `zone` (over TCP); the differences, empty when they answer alike. */
export async function compareServers(a: Addr, b: Addr, zone: Zone): Promise<string[]> {
  const diffs: string[] = [];
  for (const [name, type] of zoneQuestions(zone)) {
    const [x, y] = await Promise.all([a, b].map((s) => query(s, { name, type, class: 1 }, { rd: false, tcp: true, timeout: 10_000 })));
    const sx = x!.message.answers.map(rec).sort().join('\n');
    const sy = y!.message.answers.map(rec).sort().join('\n');
    if (x!.message.rcode !== y!.message.rcode) diffs.push(`${name} ${type}: rcode ${x!.message.rcode} vs ${y!.message.rcode}`);
    else if (sx !== sy) diffs.push(`${name} ${type}: answers differ\n${sx}\n--- vs ---\n${sy}`);
    else if (x!.message.aa !== y!.message.aa) diffs.push(`${name} ${type}: AA ${x!.message.aa} vs ${y!.message.aa}`);
  }
  return diffs;
}

/** The zone's SOA serial as `server` answers it, or undefined (no answer within 5 s, a backstop; or no SOA). */
export async function serialAt(server: Addr, origin: string): Promise<number | undefined> {
  try {
    const r = await query(server, { name: origin, type: RRType.SOA, class: 1 }, { rd: false, timeout: 5000 });
    const soa = r.message.answers.find((rr) => rr.type === RRType.SOA);
    return soa ? soa.rdata.readUInt32BE(soa.rdata.length - 20) : undefined;
  } catch {
    return undefined;
  }
}

/** Poll (every 100 ms, at most `ms`) until `server` answers `serial`; returns the last serial seen. */
export async function waitForSerial(server: Addr, origin: string, serial: number, ms: number): Promise<number | undefined> {
  const deadline = Date.now() + ms;
  let got: number | undefined;
  while (Date.now() < deadline) {
    got = await serialAt(server, origin);
    if (got === serial) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

/** Poll until `server` answers `name type` with `rcode` (at most `ms`); returns the last rcode seen. */
export async function waitForRcode(server: Addr, name: string, type: number, rcode: number, ms: number): Promise<number | undefined> {
  const deadline = Date.now() + ms;
  let got: number | undefined;
  while (Date.now() < deadline) {
    try {
      got = (await query(server, { name, type, class: 1 }, { rd: false, timeout: 5000 })).message.rcode;
    } catch {
      got = undefined;
    }
    if (got === rcode) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

export interface SecondaryPeerOptions {
  /** A folder of its own (scratchDir). */
  dir: string;
  /** Loopback address it listens on (port 53) and transfers from: one of a /24 leased for the test (leaseNet). */
  address: string;
  origin: string;
  primary: Addr;
  /** The TSIG key the primary wants on transfers: [algorithm, name, base64 secret]. */
  key?: [string, string, string];
}

/** NSD as a secondary: request-xfr from the primary, NOTIFY taken from the primary's address; waits for the zone. */
export async function startNsdSecondary(t: Teardownable, o: SecondaryPeerOptions): Promise<PeerProcess> {
  const conf = path.join(o.dir, 'nsd.conf');
  const key = o.key ? o.key[1] : 'NOKEY';
  writeFileSync(conf, [
    ...nsdServerConf({ dir: o.dir, listen: [o.address], port: 53, verbosity: 2 }),
    ...(o.key ? ['key:', `  name: "${o.key[1]}"`, `  algorithm: ${o.key[0]}`, `  secret: "${o.key[2]}"`] : []),
    'zone:', `  name: "${o.origin}"`, `  zonefile: "${o.origin}zone"`,
    `  request-xfr: ${o.primary.address}@${o.primary.port} ${key}`,
    // The primary sends NOTIFY from the address it listens on.
    `  allow-notify: ${o.primary.address} NOKEY`,
    `  outgoing-interface: ${o.address}`,
  ].join('\n') + '\n');
  await checkConfig(sbin('nsd-checkconf'), [conf]);
  const p = startPeer(t, `nsd secondary (${o.address})`, sbin('nsd'), ['-d', '-c', conf]);
  await waitUntilAnswers(p, o.address, 53, o.origin, 'SOA', { timeoutMs: 30_000 });
  return p;
}

/** Knot as a secondary: the primary as its master, transfers from its own address; waits for the zone. */
export async function startKnotSecondary(t: Teardownable, o: SecondaryPeerOptions): Promise<PeerProcess> {
  const conf = path.join(o.dir, 'knot.conf');
  writeFileSync(conf, [
    ...knotServerConf({ dir: o.dir, listen: [`${o.address}@53`] }),
    ...(o.key ? ['key:', `  - id: ${o.key[1]}`, `    algorithm: ${o.key[0]}`, `    secret: ${o.key[2]}`] : []),
    'remote:', '  - id: primary', `    address: ${o.primary.address}@${o.primary.port}`, `    via: ${o.address}`, ...(o.key ? [`    key: ${o.key[1]}`] : []),
    'acl:', '  - id: notify', `    address: ${o.primary.address}`, '    action: notify',
    'template:', '  - id: default', `    storage: "${o.dir}"`, '    file: "%s.zone"', '    zonefile-sync: -1',
    'zone:', `  - domain: ${o.origin}`, '    master: primary', '    acl: notify',
  ].join('\n') + '\n');
  await checkConfig(sbin('knotc'), ['-c', conf, 'conf-check']);
  const p = startPeer(t, `knotd secondary (${o.address})`, sbin('knotd'), ['-c', conf]);
  await waitUntilAnswers(p, o.address, 53, o.origin, 'SOA', { timeoutMs: 30_000 });
  return p;
}
