// aop's own signer publishes the CDS/CDNSKEY delete signal (RFC 8078 section 4) when the
// operator asks (`aop zone cds-delete ZONE --key-dir DIR`): a child signed by one aop daemon,
// delegated securely (DS) by a parent aop daemon running --dnssec-cds-scan. Before, the child's
// names are secure at an aop validating resolver given the parent's anchor (AD). After the
// command and the child's next signing pass, the child serves `CDS 0 0 0 00` and
// `CDNSKEY 0 3 0 AA==` alone in their RRsets, signed, and dnssec-verify accepts its AXFR; the
// parent's scan removes the DS (proven absent by NSEC3), and the child's names are insecure, not
// bogus, at aop's resolver and at Unbound (when installed). `--cancel` brings the keys' CDS back.

import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { scratchDir } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { runAop } from '../helpers/aop-cli.js';
import { requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { cdsObservers } from '../helpers/cds-observers.js';

const PORT = 5300;
const DAY = 86400;
const times = { validity: 14 * DAY, refresh: 5 * DAY, backdate: 3600 };

t.test('the operator\'s delete signal, published by aop, removes the DS at an aop parent', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils') || !requireTool(t, 'dnssec-verify', 'bind9-utils')) return;
  const net = await leaseNet(t);
  const [P, C] = [net.host(2), net.host(3)];
  const dir = scratchDir(t, 'aop-cds-delete-publish-');
  const mk = (name: string) => { const d = path.join(dir, name); mkdirSync(d); return d; };
  const logs: string[] = [];
  const logger = { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };

  const cz = mk('czones');
  const ck = mk('ckeys');
  writeFileSync(path.join(cz, 'child.example.zone'), `$ORIGIN child.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${C}\nwww A 192.0.2.3\n`);
  const child = new Daemon({ zonesDir: cz, listen: [parseListen(`${C}:${PORT}`)], transfers: { allow: ['127.0.0.0/8'] }, logger, dnssec: { keyDir: ck, algorithm: 13, keyLayout: 'split', times } });
  await child.start();
  t.teardown(() => child.close());

  const pz = mk('pzones');
  const pk = mk('pkeys');
  writeFileSync(path.join(pz, 'example.zone'), `$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${P}\nchild 600 NS ns.child\nns.child A ${C}\n${parentDsLines('child.example.', ck).join('\n')}\n`);
  const parent = new Daemon({
    zonesDir: pz, listen: [parseListen(`${P}:${PORT}`)], transfers: { allow: ['127.0.0.0/8'] }, logger,
    dnssec: { keyDir: pk, algorithm: 13, keyLayout: 'combined', times, rollover: { cdsScan: true, cdsPort: PORT } },
  });
  await parent.start();
  t.teardown(() => parent.close());
  const clock = new ManualClock(Date.now());
  const { www, dsAtParent, withUnbound, unbound } = await cdsObservers(t, { net, dir, parent: P, parentKeys: pk, children: [C], port: PORT, clock });
  const rdataOf = async (type: string) => (await dig(PORT, ['+dnssec', 'child.example.', type], C)).answer.filter((l) => l.split(' ')[3] === type).map((l) => l.split(' ').slice(4).join(' '));

  const ksk = readKeyDir(ck, 'child.example.').find((k) => (k.flags & 1) === 1)!;
  let r = await www();
  t.ok(r.status === 'NOERROR' && r.flags.has('ad'), `before: www.child.example is secure (${r.status}, AD)`);
  t.match((await rdataOf('CDS'))[0], new RegExp(`^${ksk.tag} 13 2 `), 'before: the child\'s CDS names its KSK');

  const cmd = await runAop(['zone', 'cds-delete', 'child.example', '--key-dir', ck]);
  t.equal(cmd.code, 0, cmd.stderr);
  t.match(cmd.stdout, /zone child\.example\.: the CDS\/CDNSKEY delete signal \(CDS 0 0 0 00, CDNSKEY 0 3 0 AA==\) from the next signing pass/);
  await child.dnssecPass();
  t.same(await rdataOf('CDS'), ['0 0 0 00'], 'the child publishes CDS 0 0 0 00, alone');
  t.same(await rdataOf('CDNSKEY'), ['0 3 0 AA=='], 'and CDNSKEY 0 3 0 AA==, alone');
  const sigs = (await dig(PORT, ['+dnssec', 'child.example.', 'CDS'], C)).answer.filter((l) => l.split(' ')[3] === 'RRSIG');
  t.ok(sigs.some((l) => l.split(' ')[4] === 'CDS' && l.split(' ')[10] === String(ksk.tag)), 'the delete signal is signed by the KSK the DS names');
  t.ok(logs.some((l) => /zone child\.example\.: publishing the CDS\/CDNSKEY delete signal \(RFC 8078 4\)/.test(l)), 'the child\'s log says so');
  const caxfr = (await run('dig', [`@${C}`, '-p', String(PORT), '+nocmd', '+nostats', '+nocomments', 'child.example.', 'AXFR'])).stdout;
  writeFileSync(path.join(dir, 'child.axfr'), caxfr);
  const cv = await run('dnssec-verify', ['-o', 'child.example.', path.join(dir, 'child.axfr')], 60_000);
  t.equal(cv.code, 0, `dnssec-verify accepts the child with the delete signal ${cv.code === 0 ? '' : cv.stderr}`);

  t.equal((await dsAtParent()).answer.filter((l) => l.split(' ')[3] === 'DS').length, 1, 'the parent holds the DS until its scan');
  await parent.dnssecPass();
  const d = await dsAtParent();
  t.same(d.answer.filter((l) => l.split(' ')[3] === 'DS'), [], 'after the parent\'s scan: no DS');
  t.ok(d.authority.some((l) => l.split(' ')[3] === 'NSEC3'), 'the absence is proven by NSEC3');
  t.ok(logs.some((l) => /DS of child\.example\. removed from its CDS: CDS delete signal/.test(l)), 'the parent\'s log says why');
  clock.advance(DAY);
  r = await www();
  t.ok(r.status === 'NOERROR' && !r.flags.has('ad'), `after: www.child.example is insecure, not bogus (${r.status}, no AD)`);
  if (withUnbound) {
    const u = await unbound();
    t.ok(u.status === 'NOERROR' && !u.flags.has('ad'), `after: Unbound finds it insecure too (${u.status}, no AD)`);
  }

  const undo = await runAop(['zone', 'cds-delete', 'child.example', '--key-dir', ck, '--cancel']);
  t.equal(undo.code, 0, undo.stderr);
  await child.dnssecPass();
  t.match(await rdataOf('CDS'), [new RegExp(`^${ksk.tag} 13 2 `)], '--cancel: the KSK\'s CDS is published again');
  t.equal((await rdataOf('CDNSKEY')).length, 1, 'and its CDNSKEY');
});
