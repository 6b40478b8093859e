// Knot DNS as the judge: knotd and our daemon serve the same zone, dig asks both the same
// questions, and the answers must match: status, flags, and every section. The zone holds
// RFC 4592's example plus one name per answering rule (CNAME, DNAME, wildcards, ENTs,
// referrals with in-bailiwick and sibling glue, SVCB additional data, truncation sizes).
//
// Where we differ from Knot on purpose, the question is left out of the table and tested below:
//   - SVCB ServiceMode with TargetName '.': we add the owner's addresses (the target is the owner,
//     RFC 9460 2.5.2 and 4.1); Knot adds nothing.
//   - UPDATE without --allow-update: REFUSED from us, as BIND; Knot says NOTAUTH.
//   - Meta QTYPEs other than ANY/AXFR/IXFR (TSIG, TKEY, OPT, MAILB): FORMERR from us, as BIND;
//     Knot answers NODATA.
//   - CD: we copy it into the response (RFC 4035 3.1.6); Knot clears it for unsigned zones.
//   - Knot adds EDNS options (EDE on REFUSED); options are not compared.
//   - Case in names after the first: Knot's name compression folds case, ours keeps each name as
//     its source spells it, so sections are compared case-insensitively.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dig, type DigResult } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { checkConfig, requireDaemon, sbin, startPeer, waitUntilAnswers } from '../helpers/child.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';

const ZONE = `$ORIGIN example.
$TTL 3600
@ SOA ns.example.com. hostmaster.example. 1 3600 600 604800 120
@ NS ns.example.com.
@ NS ns.example.net.
*   TXT "this is a wildcard"
*   MX 10 host1.example.
sub.* TXT "this is not a wildcard"
host1 A 192.0.2.1
host1 AAAA 2001:db8::1
_ssh._tcp.host1 SRV 0 0 22 host1.example.
_ssh._tcp.host2 SRV 0 0 22 host2.example.
subdel NS ns.example.com.
subdel NS ns.example.net.
x.*.e TXT "below an empty wildcard"
*.wc CNAME host1
a NS ns.a
a NS ns.b
ns.a A 192.0.2.50
b NS ns.b
ns.b A 192.0.2.51
ns.b AAAA 2001:db8::51
c NS host1
c1 CNAME c2
c2 CNAME host1
dang CNAME nothere
loop1 CNAME loop2
loop2 CNAME loop1
d 300 DNAME host1.example.
dd DNAME other.test.
mx MX 10 host1
mx MX 20 nothere
mxg MX 10 ns.a
srv SRV 0 0 80 host1
svc SVCB 1 host1 alpn=h2
svca SVCB 0 svc
web HTTPS 1 host1 alpn=h2
ent.deep.x TXT "deep"
${Array.from({ length: 20 }, (_, i) => `big TXT "record ${String(i).padStart(2, '0')} padded out with text so that the whole set goes past 1232 bytes"`).join('\n')}
${Array.from({ length: 30 }, (_, i) => `mid TXT "r${String(i).padStart(2, '0')} padded to about fifty bytes xxxxxxxxxx"`).join('\n')}
${Array.from({ length: 13 }, (_, i) => `fat NS ns${i}.fat\nns${i}.fat A 192.0.2.${i}\nns${i}.fat AAAA 2001:db8::${i}`).join('\n')}
${Array.from({ length: 20 }, (_, i) => `manymx MX ${i} h${i}.mxh\nh${i}.mxh AAAA 2001:db8:1::${i}`).join('\n')}
`;

const QUERIES: string[][] = [
  // RFC 4592 2.2.1
  ['host3.example', 'MX'], ['host3.example', 'A'], ['foo.bar.example', 'TXT'], ['host1.example', 'MX'],
  ['sub.*.example', 'MX'], ['_telnet._tcp.host1.example', 'SRV'], ['host.subdel.example', 'A'], ['ghost.*.example', 'MX'],
  ['*.example', 'TXT'], ['_ssh._tcp.host3.example', 'SRV'],
  // wildcards: empty wildcard, wildcard CNAME, ENTs
  ['foo.e.example', 'TXT'], ['foo.e.example', 'A'], ['e.example', 'TXT'], ['*.e.example', 'TXT'],
  ['bar.wc.example', 'A'], ['bar.wc.example', 'TXT'], ['bar.wc.example', 'CNAME'], ['a.b.wc.example', 'AAAA'],
  ['deep.x.example', 'TXT'], ['x.example', 'TXT'], ['nope.deep.x.example', 'TXT'], ['ent.deep.x.example', 'TXT'],
  // referrals and glue
  ['x.a.example', 'A'], ['a.example', 'NS'], ['ns.a.example', 'A'], ['x.b.example', 'A'], ['x.c.example', 'A'],
  ['subdel.example', 'DS'], ['subdel.example', 'NS'], ['subdel.example', 'ANY'],
  // CNAME and DNAME
  ['c1.example', 'A'], ['c1.example', 'TXT'], ['c1.example', 'CNAME'], ['c1.example', 'ANY'], ['dang.example', 'A'],
  ['loop1.example', 'A'], ['x.d.example', 'A'], ['y.x.d.example', 'AAAA'], ['x.dd.example', 'A'], ['d.example', 'DNAME'], ['d.example', 'A'],
  // additional data
  ['example', 'NS'], ['mx.example', 'MX'], ['mxg.example', 'MX'], ['srv.example', 'SRV'], ['svc.example', 'SVCB'],
  ['svca.example', 'SVCB'], ['web.example', 'HTTPS'],
  // ANY, case, outside
  ['example', 'ANY'], ['host1.example', 'ANY'], ['HoSt1.ExAmPlE', 'A'], ['Foo.Bar.EXAMPLE', 'TXT'], ['X.D.example', 'A'],
  ['c1.EXAMPLE', 'A'], ['example.com', 'A'], ['nothing.example.com', 'A'],
  // header rules
  ['+header-only'], ['+edns=1', '+noednsnegotiation', 'example', 'SOA'], ['+opcode=2', 'example', 'SOA'],
  ['-c', 'CH', 'version.bind', 'TXT'], ['-c', 'ANY', 'host1.example', 'A'],
  ['+noedns', 'host1.example', 'A'], ['+bufsize=100', 'host1.example', 'A'], ['+rec', 'host1.example', 'A'],
  // sizes and truncation
  ['+ignore', 'big.example', 'TXT'], ['+bufsize=512', '+ignore', 'big.example', 'TXT'], ['+bufsize=4096', '+ignore', 'big.example', 'TXT'],
  ['+noedns', '+ignore', 'mid.example', 'TXT'], ['+bufsize=1400', '+ignore', 'mid.example', 'TXT'], ['+tcp', 'big.example', 'TXT'],
  ['+ignore', 'x.fat.example', 'A'], ['+noedns', '+ignore', 'x.fat.example', 'A'], ['+bufsize=700', '+ignore', 'x.fat.example', 'A'],
  ['+bufsize=600', '+ignore', 'x.fat.example', 'A'], ['+ignore', 'manymx.example', 'MX'], ['+noedns', '+ignore', 'manymx.example', 'MX'],
  ['+tcp', 'manymx.example', 'MX'], ['+tcp', 'svca.example', 'SVCB'], ['+tcp', 'example', 'ANY'],
];

/** What must match: status, opcode, flags, section counts and records, names compared case-insensitively. */
function shape(r: DigResult): string {
  const counts = /QUERY: \d+, ANSWER: \d+, AUTHORITY: \d+, ADDITIONAL: \d+/.exec(r.raw)?.[0] ?? '';
  const norm = (rrs: string[]) => rrs.map((l) => l.toLowerCase()).sort();
  const opt = /EDNS: version: (\d+), flags:[^;]*; udp: (\d+)/.exec(r.raw);
  return JSON.stringify({
    status: r.status, opcode: r.opcode, flags: [...r.flags].sort(), counts, edns: opt ? `${opt[1]}/${opt[2]}` : 'none',
    answer: norm(r.answer), authority: norm(r.authority), additional: norm(r.additional),
  }, null, 1);
}

t.test('answers match knotd', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!requireDaemon(t, 'knotd', 'knot')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-knot-parity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'example.zone'), ZONE);
  // knotd on port 53 of a loopback /24 of the test's own: no port to find free (and lose to
  // another process before knotd binds it).
  const knotHost = (await leaseNet(t)).host(1);
  const knotPort = 53;
  const conf = path.join(dir, 'knot.conf');
  writeFileSync(conf, [
    'server:', `  listen: ${knotHost}@${knotPort}`, `  rundir: ${dir}`, `  pidfile: ${dir}/knot.pid`,
    'database:', `  storage: ${dir}/db`,
    'control:', `  listen: ${dir}/knot.sock`,
    'log:', '  - target: stderr', '    any: error',
    'zone:', '  - domain: example', `    file: ${dir}/example.zone`,
    '',
  ].join('\n'));
  await checkConfig(sbin('knotc'), ['-c', conf, 'conf-check']);
  const knot = startPeer(t, 'knotd', sbin('knotd'), ['-c', conf]);
  await waitUntilAnswers(knot, knotHost, knotPort, 'host1.example', 'A');
  const ours = await startDaemon(t, { zonesDir: dir });

  // A few at a time: each is two dig processes.
  for (let i = 0; i < QUERIES.length; i += 8) {
    await Promise.all(QUERIES.slice(i, i + 8).map(async (args) => {
      const [k, o] = await Promise.all([dig(knotPort, args, knotHost), dig(ours.port, args)]);
      t.ok(k.status !== '', `knotd answered ${args.join(' ')}`);
      t.equal(shape(o), shape(k), args.join(' '));
    }));
  }

  t.test('where we differ on purpose', async (t) => {
    const both = async (...args: string[]) => Promise.all([dig(knotPort, args, knotHost), dig(ours.port, args)]);
    const [kUp, oUp] = await both('+opcode=5', 'example', 'SOA');
    t.equal(kUp.status, 'NOTAUTH');
    t.equal(oUp.status, 'REFUSED');
    const [kTsig, oTsig] = await both('example', 'TYPE250');
    t.equal(kTsig.status, 'NOERROR');
    t.equal(oTsig.status, 'FORMERR');
    const [kCd, oCd] = await both('+cd', 'host1.example', 'A');
    t.notOk(kCd.flags.has('cd'));
    t.ok(oCd.flags.has('cd'));
  });
});
