// Our daemon as a secondary of a Knot primary: it transfers the zones, answers every name as Knot
// does, takes Knot's NOTIFY (only from Knot's address) and follows its changes by IXFR, keeps the
// copy on disk, keeps serving while Knot is down until the SOA expire time, then SERVFAILs.

import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../../src/server/daemon.js';
import { checkConfig, requireDaemon, sbin, scratchDir, startPeer, waitUntilAnswers, type PeerProcess, type Teardownable } from '../helpers/child.js';
import { knotServerConf } from '../helpers/peer-conf.js';
import { requireTool, run } from '../helpers/peers.js';
import { compareServers, serialAt, waitForRcode, waitForSerial } from '../helpers/xfr.js';
import { exchange, query } from '../../src/transport/index.js';
import { Opcode, Rcode, RRType } from '../../src/wire/types.js';
import { loadZoneText } from '../../src/zone/load.js';
import { notifyMessage } from '../../src/xfr/notify.js';
import { leaseNet } from '../helpers/loopback-net.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// This file's own loopback /24 (Knot and we listen on port 53 in it), leased for its life.
const NET = await leaseNet(t);
const KNOT = NET.host(1);
const OURS = NET.host(2);
const ACME = 'acme.agents.';
const GLOBEX = 'globex.agents.';

/** The bundled zone with its SOA timers replaced. */
function withTimers(origin: string, serial: number, refresh: number, retry: number, expire: number, extra = ''): string {
  const text = readFileSync(path.join(root, 'zones', `${origin.replace(/\.$/, '')}.zone`), 'utf8');
  const soa = /SOA\s+(\S+)\s+(\S+)\s+\(\s*\d+\s*;[^\n]*\n\s*\d+\s*;[^\n]*\n\s*\d+\s*;[^\n]*\n\s*\d+\s*;[^\n]*\n\s*(\d+)\s*\)/;
  if (!soa.test(text)) throw new Error(`cannot find the SOA of ${origin}`);
  return text.replace(soa, (_m, mname: string, rname: string, min: string) => `SOA ${mname} ${rname} ${serial} ${refresh} ${retry} ${expire} ${min}`) + extra;
}

async function startKnotPrimary(t: Teardownable, dir: string, zones: Record<string, string>): Promise<{ proc: PeerProcess; conf: string }> {
  const conf = path.join(dir, 'knot.conf');
  const lines = [
    ...knotServerConf({ dir, listen: [`${KNOT}@53`] }),
    // NOTIFY to us leaves from Knot's own address, the one we take NOTIFY from.
    'remote:', '  - id: aop', `    address: ${OURS}@53`, `    via: ${KNOT}`,
    'acl:', '  - id: xfr', '    address: 127.0.0.0/8', '    action: transfer',
    'template:', '  - id: default', `    storage: "${dir}"`, '    file: "%s.zone"', '    zonefile-sync: -1',
    // Knot computes the difference when the file changes and keeps it in its journal: IXFR for us.
    '    zonefile-load: difference', '    journal-content: changes', '    notify: aop', '    acl: xfr',
    'zone:',
  ];
  for (const [origin, text] of Object.entries(zones)) {
    writeFileSync(path.join(dir, `${origin}zone`), text);
    lines.push(`  - domain: ${origin}`);
  }
  writeFileSync(conf, lines.join('\n') + '\n');
  await checkConfig(sbin('knotc'), ['-c', conf, 'conf-check']);
  const proc = startPeer(t, 'knotd primary', sbin('knotd'), ['-c', conf]);
  for (const origin of Object.keys(zones)) await waitUntilAnswers(proc, KNOT, 53, origin, 'SOA');
  return { proc, conf };
}

/** Our daemon with only secondary zones, on port 53 of OURS (Knot's config names that port). */
async function startSecondary(t: Teardownable, secondaries: { origin: string; primary: { address: string; port: number } }[], dir: string): Promise<Daemon> {
  const daemon = new Daemon({ listen: [{ host: OURS, port: 53, family: 4 }], transfers: { secondaries, secondaryDir: dir } });
  await daemon.start();
  t.teardown(() => daemon.close());
  return daemon;
}

t.test('our daemon as a secondary of a Knot primary', async (t) => {
  if (!requireDaemon(t, 'knotd', 'knot') || !requireTool(t, 'knotc', 'knot')) return;
  const knotDir = scratchDir(t, 'aop-kp-');
  const copies = scratchDir(t, 'aop-sec-');
  const serial = 2026112501;
  // acme: NOTIFY drives its refreshes (refresh timer an hour). globex: short timers, to watch it expire.
  const zones: Record<string, string> = { [ACME]: withTimers(ACME, serial, 3600, 1, 600), [GLOBEX]: withTimers(GLOBEX, serial, 1, 1, 4) };
  const knot = await startKnotPrimary(t, knotDir, zones);
  const kserver = { address: KNOT, port: 53 };

  const secondaries = [{ origin: ACME, primary: kserver }, { origin: GLOBEX, primary: kserver }];
  const daemon = await startSecondary(t, secondaries, copies);
  const ours = { address: OURS, port: 53 };
  t.equal(await waitForSerial(ours, ACME, serial, 60_000), serial, 'acme.agents transferred from Knot');
  t.equal(await waitForSerial(ours, GLOBEX, serial, 60_000), serial, 'globex.agents transferred from Knot');
  const acme = daemon.catalog.get(ACME)!;
  t.same(await compareServers(ours, kserver, acme), [], 'every name of acme.agents answered as Knot answers it');
  t.same(await compareServers(ours, kserver, daemon.catalog.get(GLOBEX)!), [], 'every name of globex.agents answered as Knot answers it');
  const aa = await query(ours, { name: `writer.${ACME}`, type: RRType.SVCB, class: 1 }, { rd: false });
  t.ok(aa.message.aa, 'answers from the secondary copy are authoritative');
  t.ok(existsSync(path.join(copies, 'acme.agents.zone')), 'the transferred copy is on disk');

  // NOTIFY from anyone but the primary changes nothing; for a zone we do not serve: NOTAUTH.
  const stray = await exchange(ours, notifyMessage(ACME, undefined));
  t.equal(stray.message.opcode, Opcode.NOTIFY);
  t.equal(stray.message.rcode, Rcode.REFUSED, 'NOTIFY from another address: REFUSED');
  const unknown = await exchange(ours, notifyMessage('example.', undefined));
  t.equal(unknown.message.rcode, Rcode.NOTAUTH, 'NOTIFY for a zone we are not secondary for: NOTAUTH');
  const sec = daemon.transfers!.secondaries!.get(ACME)!;

  // A change on Knot: new file, knotc zone-reload; Knot NOTIFYs us and we follow by IXFR.
  const next = serial + 1;
  writeFileSync(path.join(knotDir, 'acme.agents.zone'), withTimers(ACME, next, 3600, 1, 600, 'fresh IN A 127.0.0.77\nfresh IN TXT "added on Knot"\n'));
  const reload = await run(sbin('knotc'), ['-c', knot.conf, 'zone-reload', ACME]);
  t.equal(reload.code, 0, `knotc zone-reload: ${reload.stdout}${reload.stderr}`);
  t.equal(await waitForSerial(kserver, ACME, next, 60_000), next, 'Knot serves the new serial');
  t.equal(await waitForSerial(ours, ACME, next, 60_000), next, 'we serve the new serial after Knot\'s NOTIFY');
  t.ok(sec.counts.notifies >= 1, `Knot's NOTIFY was taken (${sec.counts.notifies})`);
  t.ok(sec.counts.ixfr >= 1, `the change came by IXFR (axfr ${sec.counts.axfr}, ixfr ${sec.counts.ixfr})`);
  t.same(await compareServers(ours, kserver, daemon.catalog.get(ACME)!), [], 'every name answered as Knot answers it after the change');
  const stats = daemon.snapshot().transfers as { secondaries: Record<string, { state: string; serial: number; ixfr: number }> };
  t.match(stats.secondaries[ACME], { state: 'serving', serial: next }, 'the stats show the secondary zone and its serial');
  const saved = loadZoneText(readFileSync(path.join(copies, 'acme.agents.zone'), 'utf8'), { origin: ACME });
  t.equal(saved.serial, next, 'the copy on disk has the new serial');

  // Knot stops: acme (expire 600 s) is still served; globex (expire 4 s) goes to SERVFAIL.
  await knot.proc.stop();
  t.equal(await serialAt(ours, ACME), next, 'acme.agents still served with the primary down');
  t.equal(await waitForRcode(ours, `www.${GLOBEX}`, RRType.A, Rcode.SERVFAIL, 60_000), Rcode.SERVFAIL, 'globex.agents SERVFAILs once its SOA expire time has passed');
  t.equal(daemon.transfers!.secondaries!.get(GLOBEX)!.state, 'expired');
  const still = await query(ours, { name: `writer.${ACME}`, type: RRType.SVCB, class: 1 }, { rd: false });
  t.equal(still.message.rcode, Rcode.NOERROR, 'acme.agents answers still');
  await daemon.close();

  // A restart with the primary still down serves the copy from disk (acme) but not the expired one.
  const again = await startSecondary(t, secondaries, copies);
  t.equal(await serialAt(ours, ACME), next, 'after a restart, acme.agents is served from the copy on disk');
  const g = await query(ours, { name: `www.${GLOBEX}`, type: RRType.A, class: 1 }, { rd: false });
  t.equal(g.message.rcode, Rcode.SERVFAIL, 'the expired globex.agents copy is not served after a restart');
  t.equal(again.transfers!.secondaries!.get(GLOBEX)!.state, 'expired');
});
