// `aop serve --dnssec` answers as RFC 4035 and RFC 5155 say, checked with dig against the real
// daemon: no DNSSEC records without DO; with DO, RRSIGs that verify with the keys it made,
// NSEC3 proofs for NXDOMAIN, NODATA, wildcards, empty non-terminals and insecure delegations,
// DS with RRSIG at a secure delegation, TC when the signatures do not fit, and a dynamic
// UPDATE re-signing what it touched.

import t, { type Test } from 'tap';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from '../helpers/server.js';
import { scratchDir } from '../helpers/child.js';
import { dig as digAt } from '../helpers/dig.js';
import { requireTool, run } from '../helpers/peers.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { nsec3Hash } from '../../src/dnssec/nsec3-hash.js';
import { base32hexDecode } from '../../src/wire/base32hex.js';
import { readTypeBitmap } from '../../src/wire/rdata/type-bitmap.js';
import { WireReader } from '../../src/wire/rdata/common.js';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { firstLabel } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';
import { Keyring, type TsigKey } from '../../src/wire/tsig.js';
import { parsePolicy } from '../../src/update/policy.js';
import type { RR } from '../../src/wire/rr.js';
import { checkSignatures, recordsOf } from './helpers.js';

const EXTRA = `
*.wild          IN TXT "any name under wild"
deep.a.b.ent    IN TXT "below two empty non-terminals"
big             IN TXT "${'x'.repeat(200)}"
                IN TXT "${'y'.repeat(200)}"
                IN TXT "${'z'.repeat(200)}"
lab2            IN NS  ns.lab2.elsewhere.example.
alias           IN DNAME acme.agents.
`;

const admin: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4gc2VjcmV0IGZvciB0aGUgYWNtZSB6b25lIQ==', 'base64') };

interface Nsec3 { owner: Buffer; next: Buffer; types: number[] }
function nsec3s(rrs: RR[]): Nsec3[] {
  return rrs.filter((r) => r.type === RRType.NSEC3).map((r) => {
    const rd = new WireReader(r.rdata, 'NSEC3');
    rd.bytes(4, 'head');
    rd.charString('salt');
    const next = rd.charString('next');
    return { owner: base32hexDecode(firstLabel(r.name))!, next, types: readTypeBitmap(rd, true) };
  });
}
const h = (name: string): Buffer => nsec3Hash(name, Buffer.alloc(0), 0);
const matches = (ns: Nsec3[], name: string): Nsec3 | undefined => ns.find((n) => n.owner.equals(h(name)));
const covers = (ns: Nsec3[], name: string): boolean => ns.some((n) => {
  const x = h(name);
  return Buffer.compare(n.owner, n.next) < 0 ? Buffer.compare(n.owner, x) < 0 && Buffer.compare(x, n.next) < 0 : Buffer.compare(n.owner, x) < 0 || Buffer.compare(x, n.next) < 0;
});

t.test('signed answers', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = scratchDir(t, 'aop-signed-');
  const zones = path.join(dir, 'zones');
  const keyDir = path.join(dir, 'keys');
  mkdirSync(zones);
  for (const f of ['agents.zone', 'acme.agents.zone', 'globex.agents.zone']) copyFileSync(path.join(bundledZonesDir, f), path.join(zones, f));
  appendFileSync(path.join(zones, 'acme.agents.zone'), EXTRA);
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: zones,
    keyring: new Keyring([admin]),
    update: { policy: parsePolicy(['grant admin-key zonesub ANY']), flushDelayMs: 50 },
    dnssec: { keyDir, algorithm: 13, keyLayout: 'split', times: { validity: 86400 * 14, refresh: 86400 * 5, backdate: 3600 } },
  });
  const keys = readKeyDir(keyDir).map((k) => k.dnskey);
  t.equal(keys.length, 6, 'a KSK and a ZSK made for each of the three zones');
  const q = (args: string[]) => digAt(port, args, host);
  const all = (r: { answer: string[]; authority: string[] }): RR[] => recordsOf([...r.answer, ...r.authority]);
  const verified = (t: Test, rrs: RR[], what: string): void => {
    const { good, bad } = checkSignatures(rrs, keys);
    t.same(bad, [], `${what}: every RRSIG verifies`);
    t.ok(good > 0, `${what}: ${good} RRSIGs`);
  };

  await t.test('without DO: no DNSSEC records anywhere', async (t) => {
    for (const args of [['lab.acme.agents', 'A'], ['nope.acme.agents', 'A'], ['lab.acme.agents', 'TXT'], ['x.lab2.acme.agents', 'A'], ['acme.agents', 'NS', '@' + host]]) {
      const r = await q(args.slice(0, 2));
      t.notOk([...r.answer, ...r.authority].some((l) => / (RRSIG|NSEC3) /.test(l)), `${args.join(' ')}: ${r.status}, nothing DNSSEC`);
    }
    const k = await q(['acme.agents', 'DNSKEY']);
    t.equal(k.answer.filter((l) => l.includes(' DNSKEY ')).length, 2, 'DNSKEY asked for: both keys, no RRSIG');
    t.notOk(k.answer.some((l) => l.includes('RRSIG')));
  });

  await t.test('the stored-answer cache keeps DO=0 and DO=1 answers apart', async (t) => {
    for (const round of [1, 2]) {
      const plain = await q(['mcp.acme.agents', 'A']);
      const signed = await q(['+dnssec', 'mcp.acme.agents', 'A']);
      t.notOk(plain.answer.some((l) => l.includes(' RRSIG ')), `round ${round}: DO=0 has no RRSIG`);
      t.ok(signed.answer.some((l) => l.includes(' RRSIG ')), `round ${round}: DO=1 has its RRSIG`);
    }
  });

  await t.test('positive answers carry RRSIGs that verify', async (t) => {
    for (const [name, type] of [['lab.acme.agents', 'AAAA'], ['acme.agents', 'DNSKEY'], ['acme.agents', 'SOA'], ['_agent.writer.acme.agents', 'TXT'], ['acme.agents', 'CDS']]) {
      const r = await q(['+dnssec', name!, type!]);
      t.equal(r.status, 'NOERROR');
      verified(t, all(r), `${name} ${type}`);
    }
  });

  await t.test('NXDOMAIN: closest encloser, next closer and wildcard proofs', async (t) => {
    const r = await q(['+dnssec', 'no.such.acme.agents', 'A']);
    t.equal(r.status, 'NXDOMAIN');
    const rrs = all(r);
    verified(t, rrs, 'NXDOMAIN');
    const ns = nsec3s(rrs);
    t.ok(matches(ns, 'acme.agents.'), 'an NSEC3 matches the closest encloser');
    t.ok(covers(ns, 'such.acme.agents.'), 'an NSEC3 covers the next closer name');
    t.ok(covers(ns, '*.acme.agents.'), 'an NSEC3 covers the wildcard');
  });

  await t.test('NODATA, empty non-terminal, DS of an insecure delegation', async (t) => {
    const r = await q(['+dnssec', 'lab.acme.agents', 'TXT']);
    t.equal(r.status, 'NOERROR');
    t.equal(r.answer.length, 0);
    verified(t, all(r), 'NODATA');
    const m = matches(nsec3s(all(r)), 'lab.acme.agents.');
    t.ok(m && m.types.includes(RRType.A) && !m.types.includes(RRType.TXT), 'matching NSEC3 without TXT');
    const ent = await q(['+dnssec', 'a.b.ent.acme.agents', 'A']);
    t.equal(ent.status, 'NOERROR', 'an empty non-terminal exists');
    t.same(matches(nsec3s(all(ent)), 'a.b.ent.acme.agents.')?.types, [], 'its NSEC3 has an empty bitmap');
    const ds = await q(['+dnssec', 'lab2.acme.agents', 'DS']);
    t.equal(ds.status, 'NOERROR');
    verified(t, all(ds), 'DS NODATA');
    t.same(matches(nsec3s(all(ds)), 'lab2.acme.agents.')?.types, [RRType.NS], 'the NSEC3 at the cut: NS, no DS');
  });

  await t.test('referrals: insecure with its NSEC3, secure with DS and RRSIG', async (t) => {
    const r = await q(['+dnssec', 'x.lab2.acme.agents', 'A']);
    t.notOk(r.flags.has('aa'), 'a referral');
    t.ok(r.authority.some((l) => / NS /.test(l)));
    verified(t, all(r), 'insecure referral');
    t.ok(matches(nsec3s(all(r)), 'lab2.acme.agents.'), 'the NSEC3 matching the cut proves no DS');
    const ds = await q(['+dnssec', 'acme.agents', 'DS']);
    t.equal(ds.answer.filter((l) => l.includes(' IN DS ')).length, 1, 'the parent holds the DS of the child it signs');
    verified(t, all(ds), 'DS at the parent');
    t.equal(readRrsig(all(ds).find((x) => x.type === RRType.RRSIG)!.rdata).signerName, 'agents.', 'signed by the parent');
  });

  await t.test('wildcard: RRSIG with fewer labels, and the next closer name proven absent', async (t) => {
    const r = await q(['+dnssec', 'a.b.wild.acme.agents', 'TXT']);
    t.equal(r.status, 'NOERROR');
    const rrs = all(r);
    const sig = rrs.find((x) => x.type === RRType.RRSIG && readRrsig(x.rdata).typeCovered === RRType.TXT)!;
    t.equal(readRrsig(sig.rdata).labels, 3, 'labels of *.wild.acme.agents');
    verified(t, rrs, 'wildcard answer');
    t.ok(covers(nsec3s(rrs), 'b.wild.acme.agents.'), 'an NSEC3 covers the next closer name');
    const nd = await q(['+dnssec', 'c.wild.acme.agents', 'A']);
    verified(t, all(nd), 'wildcard NODATA');
    t.ok(matches(nsec3s(all(nd)), '*.wild.acme.agents.'), 'the wildcard NSEC3 shows no A');
  });

  await t.test('DNAME: the DNAME signed, the synthesized CNAME not (RFC 6672 5.3.1), the target signed', async (t) => {
    const r = await q(['+dnssec', 'lab.alias.acme.agents', 'AAAA']);
    t.equal(r.status, 'NOERROR');
    const rrs = all(r);
    const covered = rrs.filter((x) => x.type === RRType.RRSIG).map((x) => readRrsig(x.rdata).typeCovered);
    t.ok(covered.includes(RRType.DNAME) && covered.includes(RRType.AAAA) && !covered.includes(RRType.CNAME), `RRSIGs over ${covered.join(', ')}`);
    verified(t, rrs, 'DNAME answer');
  });

  await t.test('TC when the signatures do not fit', async (t) => {
    const r = await q(['+dnssec', '+bufsize=512', '+ignore', 'big.acme.agents', 'TXT']);
    t.ok(r.flags.has('tc'), 'TC set at 512 octets');
    const plain = await q(['+bufsize=1232', 'big.acme.agents', 'TXT']);
    t.notOk(plain.flags.has('tc'), 'the same answer unsigned fits in 1232');
  });

  await t.test('a reload re-signs the changed zone', async (t) => {
    appendFileSync(path.join(zones, 'globex.agents.zone'), 'reloaded IN TXT "after SIGHUP"\n');
    const text = readFileSync(path.join(zones, 'globex.agents.zone'), 'utf8').replace(/2026112501/, '2026112502');
    writeFileSync(path.join(zones, 'globex.agents.zone'), text);
    await daemon.reloadAsync();
    const r = await q(['+dnssec', 'reloaded.globex.agents', 'TXT']);
    t.equal(r.status, 'NOERROR');
    verified(t, all(r), 'a record of the reloaded zone');
  });

  await t.test('a dynamic UPDATE re-signs the touched RRset and the chain', async (t) => {
    if (!requireTool(t, 'nsupdate', 'bind9-dnsutils')) return;
    const before = (await q(['acme.agents', 'SOA'])).answer[0]!.split(' ')[6];
    const made = daemon.signer!.counts.signings;
    const script = [`server ${host} ${port}`, 'zone acme.agents.', 'update add fresh.acme.agents. 300 IN A 192.0.2.77', 'send', ''].join('\n');
    writeFileSync(path.join(dir, 'u.txt'), script);
    const res = await run('nsupdate', ['-y', `hmac-sha256:admin-key:${admin.secret.toString('base64')}`, path.join(dir, 'u.txt')]);
    t.equal(res.code, 0, `nsupdate: ${res.stderr}`);
    const r = await q(['+dnssec', 'fresh.acme.agents', 'A']);
    t.ok(r.answer.some((l) => l.endsWith('192.0.2.77')), 'the new record is served');
    verified(t, all(r), 'the new RRset');
    t.ok(daemon.signer!.counts.signings > made, 'the new version was signed');
    const after = (await q(['acme.agents', 'SOA'])).answer[0]!.split(' ')[6];
    t.ok(Number(after) > Number(before), `serial ${before} -> ${after}`);
    const nx = await q(['+dnssec', 'fresh2.acme.agents', 'A']);
    verified(t, all(nx), 'NXDOMAIN after the update');
    t.notOk(covers(nsec3s(all(nx)), 'fresh.acme.agents.'), 'the chain now holds the new name');
    const nodata = await q(['+dnssec', 'fresh.acme.agents', 'TXT']);
    t.ok(matches(nsec3s(all(nodata)), 'fresh.acme.agents.')?.types.includes(RRType.A), 'the new name has its NSEC3, with A');
  });
});
