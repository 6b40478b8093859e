// IXFR out from the update journal: after signed UPDATEs (nsupdate), IXFR from an older serial
// sends the condensed differences, which applied to the old zone give the new one; dig and kdig
// read them; NSD and Knot follow the changes by NOTIFY + IXFR; the transfer ACL by TSIG key.

import t from 'tap';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { hasTool, requireTool, run } from '../helpers/peers.js';
import { compareServers, startKnotSecondary, startNsdSecondary, waitForSerial } from '../helpers/xfr.js';
import { transferIn } from '../../src/xfr/client.js';
import type { XfrError } from '../../src/xfr/errors.js';
import { applyDiffs } from '../../src/secondary/apply.js';
import { Zone } from '../../src/zone/zone.js';
import { zoneToText } from '../../src/zone/load.js';
import { Keyring } from '../../src/wire/tsig.js';
import { parseKeySpec } from '../../src/wire/tsig-key.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import type { RR } from '../../src/wire/rr.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// This file's own loopback /24 (NSD and Knot listen on port 53 in it), leased for its life.
const NET = await leaseNet(t);
const HOST = NET.host(1);
const CLIENT = NET.host(2);
const OTHER = NET.host(3);
const NSD = NET.host(4);
const KNOT = NET.host(5);
const ORIGIN = 'acme.agents.';
const UPD = 'hmac-sha256:upd-key:' + Buffer.from('update key secret, 32 bytes long!').toString('base64');
const XFR = 'hmac-sha256:xfr-key:' + Buffer.from('transfer key secret, 32 bytes ok').toString('base64');

async function nsupdate(port: number, lines: string[]): Promise<void> {
  const script = [`server ${HOST} ${port}`, `zone ${ORIGIN}`, ...lines, 'send', ''].join('\n');
  const r = await run('sh', ['-c', `printf '%s' "$1" | nsupdate -y "$2"`, 'nsupdate', script, UPD]);
  if (r.code !== 0) throw new Error(`nsupdate failed: ${r.stdout}${r.stderr}`);
}

const soaOf = (zone: Zone): RR => ({ name: zone.soa.name, type: RRType.SOA, class: 1, ttl: zone.soa.ttl, rdata: zone.soa.rdata[0]! });

t.test('IXFR after UPDATEs: condensed differences, read by our client, dig, kdig, NSD and Knot', async (t) => {
  if (!requireTool(t, 'nsupdate', 'bind9-dnsutils')) return;
  const zonesDir = mkdtempSync(path.join(os.tmpdir(), 'aop-ixfr-'));
  t.teardown(() => rmSync(zonesDir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), zonesDir, { recursive: true });
  const withNsd = hasTool('nsd') || requireDaemon(t, 'nsd', 'nsd');
  const withKnot = requireDaemon(t, 'knotd', 'knot');
  const notify = [...(withNsd ? [{ address: NSD, port: 53 }] : []), ...(withKnot ? [{ address: KNOT, port: 53 }] : [])];
  const { daemon, port } = await startDaemon(t, {
    zonesDir, listen: [{ host: HOST, port: 0, family: 4 }],
    keyring: new Keyring([parseKeySpec(UPD), parseKeySpec(XFR)]),
    update: { flushDelayMs: 50 },
    transfers: { allow: [CLIENT, NSD, KNOT, 'key:xfr-key'], notify, notifyAttempts: 8 },
  });
  const ours = { address: HOST, port };
  const peers: [string, { address: string; port: number }][] = [];
  if (withNsd) {
    await startNsdSecondary(t, { dir: scratchDir(t, 'aop-nsd4-'), address: NSD, origin: ORIGIN, primary: ours });
    peers.push(['NSD', { address: NSD, port: 53 }]);
  }
  if (withKnot) {
    await startKnotSecondary(t, { dir: scratchDir(t, 'aop-knot4-'), address: KNOT, origin: ORIGIN, primary: ours });
    peers.push(['Knot', { address: KNOT, port: 53 }]);
  }
  const z0 = daemon.catalog.get(ORIGIN)!;
  await nsupdate(port, ['update add fresh.acme.agents. 300 A 127.0.0.77', 'update add fresh.acme.agents. 300 TXT "registered by nsupdate"']);
  const z1 = daemon.catalog.get(ORIGIN)!;
  await nsupdate(port, ['update delete lab.acme.agents. AAAA', 'update add other.acme.agents. 60 AAAA ::7']);
  const z2 = daemon.catalog.get(ORIGIN)!;
  t.ok(z1.serial !== z0.serial && z2.serial !== z1.serial, `two changes: serial ${z0.serial} -> ${z1.serial} -> ${z2.serial}`);

  const from0 = await transferIn(ours, ORIGIN, { localAddress: CLIENT, from: soaOf(z0), timeout: 5000 });
  t.equal(from0.kind, 'ixfr', 'IXFR from the first serial is incremental');
  if (from0.kind === 'ixfr') {
    t.equal(from0.diffs.length, 1, 'the two changes condensed into one');
    t.equal(zoneToText(new Zone(ORIGIN, applyDiffs(z0, from0.diffs))), zoneToText(z2), 'the changes applied to the old zone give the new one');
  }
  const from1 = await transferIn(ours, ORIGIN, { localAddress: CLIENT, from: soaOf(z1), timeout: 5000 });
  t.equal(from1.kind === 'ixfr' ? from1.diffs.length : -1, 1, 'IXFR from the middle serial: one change');
  const current = await transferIn(ours, ORIGIN, { localAddress: CLIENT, from: soaOf(z2), timeout: 5000 });
  t.equal(current.kind, 'current', 'IXFR from the current serial: the SOA alone');
  const before = { ...soaOf(z0), rdata: Buffer.from(z0.soa.rdata[0]!) };
  before.rdata.writeUInt32BE(z0.serial - 5, before.rdata.length - 20);
  const tooOld = await transferIn(ours, ORIGIN, { localAddress: CLIENT, from: before, timeout: 5000 });
  t.equal(tooOld.kind, 'axfr', 'IXFR from a serial the journal does not reach: the whole zone');

  for (const tool of ['dig', 'kdig'] as const) {
    if (!requireTool(t, tool, tool === 'dig' ? 'bind9-dnsutils' : 'knot-dnsutils')) continue;
    const r = await run(tool, [`@${HOST}`, '-p', String(port), '-b', CLIENT, ORIGIN, `IXFR=${z0.serial}`, '+nocomments', '+nostats', '+noquestion', ...(tool === 'dig' ? ['+nocookie'] : [])]);
    const recs = r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
    const soas = recs.filter((l) => /\sSOA\s/.test(l)).map((l) => Number(l.split(/\s+/)[6]));
    t.same(soas, [z2.serial, z0.serial, z2.serial, z2.serial], `${tool} IXFR: one condensed change ${z0.serial} -> ${z2.serial}, SOA-delimited`);
    t.ok(recs.some((l) => /^fresh\.acme\.agents\.\s.*\sA\s+127\.0\.0\.77$/.test(l)), `${tool} sees the added record`);
    t.ok(recs.some((l) => /^lab\.acme\.agents\.\s.*\sAAAA\s+::1$/.test(l)), `${tool} sees the removed record`);
  }

  for (const [name, server] of peers) {
    t.equal(await waitForSerial(server, ORIGIN, z2.serial, 60_000), z2.serial, `${name} follows the UPDATEs to serial ${z2.serial}`);
    t.same(await compareServers(ours, server, z2), [], `${name} answers every name as we do`);
  }
  if (peers.length > 0) t.ok(daemon.transfers!.handler.counts.incremental >= 1, `secondaries used IXFR (${JSON.stringify(daemon.transfers!.handler.counts)})`);
});

t.test('the transfer ACL by TSIG key', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const zonesDir = mkdtempSync(path.join(os.tmpdir(), 'aop-ixfr-'));
  t.teardown(() => rmSync(zonesDir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), zonesDir, { recursive: true });
  const { port } = await startDaemon(t, {
    zonesDir, listen: [{ host: HOST, port: 0, family: 4 }],
    keyring: new Keyring([parseKeySpec(UPD), parseKeySpec(XFR)]),
    transfers: { allow: [CLIENT, 'key:xfr-key'] },
  });
  const axfr = (extra: string[]) => run('dig', [`@${HOST}`, '-p', String(port), '-b', OTHER, ORIGIN, 'AXFR', '+nocookie', ...extra]);
  const signed = await axfr(['-y', XFR]);
  t.match(signed.stdout, /XFR size: \d+ records/, 'signed with the allowed key from any address: transferred');
  t.notMatch(signed.stdout, /Transfer failed|tsig verify failure|BADSIG/i, 'every message verifies');
  const wrongKey = await axfr(['-y', UPD]);
  t.match(wrongKey.stdout, /Transfer failed/, 'signed with another known key: refused');
  const unsigned = await axfr([]);
  t.match(unsigned.stdout, /Transfer failed/, 'unsigned from an address not in the ACL: refused');
  const e = await transferIn({ address: HOST, port }, ORIGIN, { localAddress: OTHER, timeout: 5000 }).catch((err: unknown) => err as XfrError);
  t.equal((e as XfrError).rcode, Rcode.REFUSED);
});
