// The CDS delete signal (RFC 8078 section 4) acted on by an aop parent (`--dnssec-cds-scan`):
// a child signed by BIND's dnssec-signzone and served by NSD publishes `CDS 0 0 0 00` and
// `CDNSKEY 0 3 0 AA==`, signed by the key the parent's DS names; the parent removes the DS, so
// the delegation is insecure (proven by NSEC3 at the parent, dnssec-verify accepts the
// parent's AXFR), an aop validating resolver and Unbound (when installed) given the parent's
// anchor answer the child's names without AD instead of SERVFAIL, and a restart keeps the DS
// removed. The same signal
// signed by a key the DS does not name is refused, as are mixed or disagreeing RRsets.

import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { dsFromDnskey } from '../../src/dnssec/ds.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { scanChild } from '../../src/authority/cds-scan.js';
import { askedDs } from '../../src/authority/cds-read.js';
import { scratchDir, requireDaemon } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { hasTool, requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { cdsObservers } from '../helpers/cds-observers.js';
import { startNsd } from '../helpers/nsd.js';

const PORT = 5300;
const DAY = 86400;

async function tool(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args, 60_000);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** child.example. with the delete signal, signed by dnssec-signzone (NSEC3, RFC 9276) with a new KSK in `keys`. */
async function deleteSignalZone(dir: string, keys: string, ns: string): Promise<string> {
  mkdirSync(keys, { recursive: true });
  await tool('dnssec-keygen', ['-q', '-K', keys, '-a', 'ECDSAP256SHA256', '-f', 'KSK', '-n', 'ZONE', 'child.example.']);
  const file = path.join(dir, `child-${path.basename(keys)}.zone`);
  writeFileSync(file, `$ORIGIN child.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${ns}\nwww A 192.0.2.3\n@ CDS 0 0 0 00\n@ CDNSKEY 0 3 0 AA==\n`);
  await tool('dnssec-signzone', ['-q', '-S', '-z', '-K', keys, '-d', dir, '-O', 'full', '-3', '-', '-H', '0', '-o', 'child.example.', '-f', `${file}.signed`, file]);
  return readFileSync(`${file}.signed`, 'utf8');
}

t.test('mixed or disagreeing delete signals are refused', async (t) => {
  const del = Buffer.from([0, 0, 0, 0, 0]);
  const delKey = Buffer.from([0, 0, 3, 0, 0]);
  const ds = Buffer.concat([Buffer.from([0x12, 0x34, 13, 2]), Buffer.alloc(32, 1)]);
  t.same(askedDs('c.example.', [del], [delKey]), { delete: true }, 'CDS and CDNSKEY delete: delete');
  t.same(askedDs('c.example.', [del], []), { delete: true }, 'CDS delete alone: delete');
  t.match(askedDs('c.example.', [del, ds], []), { fault: /mixes the delete signal/ }, 'delete beside a DS: refused');
  t.match(askedDs('c.example.', [ds], [delKey]), { fault: /CDS and CDNSKEY disagree/ }, 'CDS asking for a DS, CDNSKEY for delete: refused');
});

t.test('the CDS delete signal removes the DS; the delegation becomes insecure', async (t) => {
  for (const [tool, pkg] of [['dig', 'bind9-dnsutils'], ['dnssec-signzone', 'bind9-utils'], ['dnssec-keygen', 'bind9-utils'], ['dnssec-verify', 'bind9-utils']] as const) if (!requireTool(t, tool, pkg)) return;
  if (!requireDaemon(t, 'nsd', 'nsd')) return;
  const net = await leaseNet(t);
  const [P, C, F] = [net.host(2), net.host(3), net.host(4)];
  const dir = scratchDir(t, 'aop-cds-delete-');
  const mk = (name: string) => { const d = path.join(dir, name); mkdirSync(d); return d; };
  const good = await deleteSignalZone(dir, path.join(dir, 'bkeys'), C);
  const forged = await deleteSignalZone(dir, path.join(dir, 'fkeys'), C);
  await startNsd(t, { dir: path.join(dir, 'nsd'), addresses: [C], port: PORT, zones: [{ origin: 'child.example', text: good }] });
  const fz = mk('fzones');
  writeFileSync(path.join(fz, 'child.example.zone'), forged);
  const liar = new Daemon({ zonesDir: fz, listen: [parseListen(`${F}:${PORT}`)] });
  await liar.start();
  t.teardown(() => liar.close());

  const dsLines = parentDsLines('child.example.', path.join(dir, 'bkeys'));
  const pz = mk('pzones');
  const pk = mk('pkeys');
  writeFileSync(path.join(pz, 'example.zone'), `$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${P}\nchild 600 NS ns.child\nns.child A ${C}\n${dsLines.join('\n')}\n`);
  const logs: string[] = [];
  const start = async () => {
    const d = new Daemon({
      zonesDir: pz, listen: [parseListen(`${P}:${PORT}`)], transfers: { allow: ['127.0.0.0/8'] },
      logger: { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) },
      dnssec: { keyDir: pk, algorithm: 13, keyLayout: 'combined', times: { validity: 14 * DAY, refresh: 5 * DAY, backdate: 3600 }, rollover: { cdsScan: true, cdsPort: PORT } },
    });
    await d.start();
    return d;
  };
  let parent = await start();
  t.teardown(() => parent.close());
  const clock = new ManualClock(Date.now());
  const { www, dsAtParent, withUnbound, unbound } = await cdsObservers(t, { net, dir, parent: P, parentKeys: pk, children: [C], port: PORT, clock });

  let r = await www();
  t.ok(r.status === 'NOERROR' && r.flags.has('ad'), `before: www.child.example is secure (${r.status}, AD)`);
  if (withUnbound) {
    const u = await unbound();
    t.ok(u.status === 'NOERROR' && u.flags.has('ad'), `before: Unbound sets AD too (${u.status})`);
  }

  const ksk = readKeyDir(path.join(dir, 'bkeys'), 'child.example.')[0]!;
  const now = Math.floor(Date.now() / 1000);
  const refused = await scanChild('child.example.', [dsFromDnskey('child.example.', ksk.dnskey, 2)], [{ address: F, port: PORT }], now);
  t.equal(refused.change, undefined, 'a delete signal signed by a key the DS does not name: refused');
  t.match(refused.why, /not signed by a key the current DS names/);
  const taken = await scanChild('child.example.', [dsFromDnskey('child.example.', ksk.dnskey, 2)], [{ address: C, port: PORT }], now);
  t.same(taken.change, [], `the real one: the DS set is to be emptied (${taken.why})`);

  t.equal((await dsAtParent()).answer.filter((l) => l.split(' ')[3] === 'DS').length, 1, 'the parent holds the DS until its scan');
  await parent.dnssecPass();
  const d = await dsAtParent();
  t.equal(d.status, 'NOERROR');
  t.same(d.answer.filter((l) => l.split(' ')[3] === 'DS'), [], 'after the scan: no DS at the parent');
  t.ok(d.authority.some((l) => l.split(' ')[3] === 'NSEC3'), 'the absence is proven by NSEC3');
  t.ok(logs.some((l) => /DS of child\.example\. removed from its CDS: CDS delete signal \(RFC 8078 section 4\)/.test(l)), 'the log says why');
  t.match(readFileSync(path.join(pk, 'dsset-child.example.'), 'utf8'), /removed by its CDS delete signal/, 'the removal is kept in dsset-child.example.');

  clock.advance(DAY); // the secure verdicts leave the resolver's cache
  r = await www();
  t.ok(r.status === 'NOERROR' && !r.flags.has('ad'), `after: www.child.example is insecure, not bogus (${r.status}, no AD)`);
  if (withUnbound) {
    const u = await unbound();
    t.ok(u.status === 'NOERROR' && !u.flags.has('ad'), `after: Unbound finds it insecure too (${u.status}, no AD)`);
  }
  const axfr = (await run('dig', [`@${P}`, '-p', String(PORT), '+nocmd', '+nostats', '+nocomments', 'example.', 'AXFR'])).stdout;
  writeFileSync(path.join(dir, 'example.axfr'), axfr);
  const v = await run('dnssec-verify', ['-z', '-o', 'example.', path.join(dir, 'example.axfr')], 60_000);
  t.equal(v.code, 0, `dnssec-verify accepts the parent without the DS ${v.code === 0 ? '' : v.stderr}`);

  await parent.close();
  parent = await start();
  t.same((await dsAtParent()).answer.filter((l) => l.split(' ')[3] === 'DS'), [], 'after a restart: still no DS');
});
