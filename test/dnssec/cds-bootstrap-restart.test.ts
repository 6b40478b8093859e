// The RFC 8078 3.3 bootstrap's hold survives a restart of the parent (`--dnssec-cds-scan
// --dnssec-cds-bootstrap`, a one-hour hold on the daemon clock): an insecure delegation to an aop
// child whose CDS is seen, then the parent restarted half-way through the hold, then the other
// half: the DS is taken at the hour, as without the restart (before, the restart started the
// hold again). The sightings are in cds-bootstrap.json in the parent's key folder, written
// atomically; a file that cannot be read is logged and the holds start again (the safe side).

import t from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { BootstrapWatch, BOOTSTRAP_FILE } from '../../src/authority/cds-bootstrap.js';
import { scratchDir } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';

const PORT = 5300;
const HOUR = 3600;
const DAY = 86400;
const times = { validity: 30 * DAY, refresh: 10 * DAY, backdate: HOUR };

t.test('a restart of the parent keeps the bootstrap hold where it was', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const net = await leaseNet(t);
  const [P, C] = [net.host(2), net.host(3)];
  const dir = scratchDir(t, 'aop-cds-bootstrap-restart-');
  const clock = new ManualClock(Date.now() - 12 * HOUR * 1000);
  const seconds = () => clock.seconds();
  const mk = (name: string) => { const d = path.join(dir, name); mkdirSync(d); return d; };
  const logs: string[] = [];
  const logger = { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };

  const cz = mk('czones');
  const ck = mk('ckeys');
  writeFileSync(path.join(cz, 'child.example.zone'), `$ORIGIN child.example.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A ${C}\nwww A 192.0.2.3\n`);
  const child = new Daemon({ zonesDir: cz, listen: [parseListen(`${C}:${PORT}`)], dnssec: { keyDir: ck, algorithm: 13, keyLayout: 'combined', times, now: seconds } });
  await child.start();
  t.teardown(() => child.close());

  const pz = mk('pzones');
  const pk = mk('pkeys');
  writeFileSync(path.join(pz, 'example.zone'), `$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${P}\nchild 600 NS ns1.child\nns1.child A ${C}\n`);
  const start = async () => {
    const d = new Daemon({
      zonesDir: pz, listen: [parseListen(`${P}:${PORT}`)], logger,
      dnssec: { keyDir: pk, algorithm: 13, keyLayout: 'combined', times, now: seconds, rollover: { cdsScan: true, cdsPort: PORT, bootstrap: true, bootstrapHold: HOUR } },
    });
    await d.start();
    return d;
  };
  let parent = await start();
  t.teardown(() => parent.close());
  const dsAtParent = async () => (await dig(PORT, ['+dnssec', 'child.example.', 'DS'], P)).answer.filter((l) => l.split(' ')[3] === 'DS').map((l) => Number(l.split(' ')[4]));
  const csk = readKeyDir(ck, 'child.example.')[0]!;
  const file = path.join(pk, BOOTSTRAP_FILE);
  const sightings = /bootstrap of child\.example\.: all 1 name servers ask for DS \d+; taken if unchanged at/;

  await parent.dnssecPass();
  t.equal(logs.filter((l) => sightings.test(l)).length, 1, 'first sighting, logged');
  t.same(await dsAtParent(), [], 'no DS yet');
  const kept = JSON.parse(readFileSync(file, 'utf8')) as { version: number; children: Record<string, { ds: string; since: number }> };
  t.equal(kept.children['child.example.']?.since, seconds(), `${BOOTSTRAP_FILE} in the key folder holds the sighting and its time`);

  clock.advance(HOUR / 2);
  await parent.close();
  parent = await start();
  t.ok(logs.some((l) => l.includes(`${BOOTSTRAP_FILE}: RFC 8078 bootstrap holds kept from before the restart: child.example. since`)), 'the restarted parent says it kept the hold');
  await parent.dnssecPass();
  t.equal(logs.filter((l) => sightings.test(l)).length, 1, 'after the restart the sighting is not new: the hold goes on');
  t.same(await dsAtParent(), [], 'half-way: no DS');
  clock.advance(HOUR / 2 - 1);
  await parent.dnssecPass();
  t.same(await dsAtParent(), [], 'a second short of the hold: no DS');
  clock.advance(1);
  await parent.dnssecPass();
  t.same(await dsAtParent(), [csk.tag], 'an hour after the first sighting, across the restart: the DS is taken');
  t.same((JSON.parse(readFileSync(file, 'utf8')) as { children: object }).children, {}, 'the accepted child leaves the sightings file');
  t.same(readdirSync(pk).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
});

t.test('a sightings file that cannot be read: logged, and the holds start again', async (t) => {
  const dir = scratchDir(t, 'aop-cds-bootstrap-file-');
  const file = path.join(dir, BOOTSTRAP_FILE);
  const logs: string[] = [];
  const log = { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const ds = [Buffer.from('12340d02' + 'ab'.repeat(32), 'hex')];
  for (const [text, why] of [
    ['{"version":1,"children":{"c.example.":{"ds":"zz","since":5}}}', /c\.example\.: "ds" is not a list of DS RDATA in hex/],
    ['{"version":1,"children":{"c.example.":{"ds":"ab","since":-1}}}', /"since" is not a time in seconds/],
    ['{"version":2}', /not version 1/],
    ['{', /not JSON/],
  ] as const) {
    writeFileSync(file, text);
    logs.length = 0;
    const w = new BootstrapWatch(100, { file, log });
    t.ok(logs.some((l) => l.includes('sightings are not usable') && why.test(l)), `${text}: ${logs.join('; ')}`);
    t.equal(w.note('c.example.', ds, 1000).state, 'new', 'the hold starts again');
  }
  const w = new BootstrapWatch(100, { file, log });
  t.equal(w.note('c.example.', ds, 1050).state, 'waiting', 'the file written after that is read back: the hold from 1000 goes on');
  t.equal(w.note('c.example.', ds, 1100).state, 'accept');
  t.ok(existsSync(file));
});
