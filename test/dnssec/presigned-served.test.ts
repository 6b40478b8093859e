// A zone signed by dnssec-signzone (NSEC3, no extra iterations) served by aop without --dnssec:
// delv, given the zone's DS as anchor, validates a positive answer, a wildcard answer, NXDOMAIN
// and NODATA, so the answer builder's RRSIGs and NSEC3 proofs work on zones signed elsewhere.

import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from '../helpers/server.js';
import { scratchDir } from '../helpers/child.js';
import { requireTool, run } from '../helpers/peers.js';

const ZONE = `$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 192.0.2.53
www A 192.0.2.1
*.wild TXT "wildcard"
a.b.ent TXT "deep"
`;

t.test('delv validates answers from a dnssec-signzone zone served by aop', async (t) => {
  for (const tool of ['dnssec-keygen', 'dnssec-signzone', 'dnssec-dsfromkey', 'delv']) if (!requireTool(t, tool, tool === 'delv' ? 'bind9-dnsutils' : 'bind9-utils')) return;
  const dir = scratchDir(t, 'aop-presigned-');
  const keys = path.join(dir, 'keys');
  mkdirSync(keys);
  const ksk = (await run('dnssec-keygen', ['-q', '-K', keys, '-a', '13', '-f', 'KSK', 'example.test'])).stdout.trim();
  await run('dnssec-keygen', ['-q', '-K', keys, '-a', '13', 'example.test']);
  const src = path.join(dir, 'src.zone');
  writeFileSync(src, ZONE);
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  const signed = await run('dnssec-signzone', ['-K', keys, '-d', dir, '-S', '-3', '-', '-H', '0', '-o', 'example.test.', '-f', path.join(zones, 'example.test.zone'), src], 60_000);
  t.equal(signed.code, 0, signed.stderr);
  const { host, port } = await startDaemon(t, { zonesDir: zones });
  const ds = (await run('dnssec-dsfromkey', ['-2', path.join(keys, `${ksk}.key`)])).stdout.trim().split(/\s+/);
  const anchors = path.join(dir, 'anchors.conf');
  writeFileSync(anchors, `trust-anchors { example.test. static-ds ${ds[3]} ${ds[4]} ${ds[5]} "${ds.slice(6).join('')}"; };\n`);
  for (const [name, type, want] of [
    ['www.example.test', 'A', /; fully validated/],
    ['x.wild.example.test', 'TXT', /; fully validated/],
    ['nope.example.test', 'A', /; negative response, fully validated/],
    ['www.example.test', 'TXT', /; negative response, fully validated/],
    ['b.ent.example.test', 'A', /; negative response, fully validated/],
  ] as const) {
    const r = await run('delv', [`@${host}`, '-p', String(port), '-a', anchors, '+root=example.test.', name, type]);
    t.match(r.stdout + r.stderr, want, `${name} ${type}: ${(r.stdout + r.stderr).split('\n')[0]}`);
  }
  t.ok(readFileSync(path.join(zones, 'example.test.zone'), 'utf8').includes('NSEC3PARAM'), 'the zone is NSEC3-signed');
});
