// DNSSEC records in referrals (RFC 4035 3.1.4, RFC 3225 3): without DO a referral is NS and glue
// alone; with DO in a signed zone (its DNSKEY RRset signed at the apex) the DS and its RRSIGs, or for a
// delegation without DS its NSEC. An unsigned zone's DS stays out either way. Held to NSD, over a
// real listener whose stored answers are keyed on DO (each kind asked twice, interleaved).

import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Authority } from '../../src/authority/answer.js';
import { Catalog } from '../../src/authority/catalog.js';
import { loadZoneText } from '../../src/zone/load.js';
import { decodeMessage, encodeQuery } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { udpExchange } from '../helpers/udp.js';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startNsd } from '../helpers/nsd.js';

/** An RRSIG (RFC 4034 3.1) over `covered` in RFC 3597 generic form; the signature is filler. */
function rrsig(covered: number, labels: number, signer: string): string {
  const head = Buffer.alloc(18);
  head.writeUInt16BE(covered, 0);
  head[2] = 13;
  head[3] = labels;
  head.writeUInt32BE(300, 4);
  head.writeUInt32BE(1924992000, 8); // 2031-01-01
  head.writeUInt32BE(1577836800, 12); // 2020-01-01
  head.writeUInt16BE(12345, 16);
  const rdata = Buffer.concat([head, nameToWire(signer), Buffer.alloc(64, 0xab)]);
  return `\\# ${rdata.length} ${rdata.toString('hex')}`;
}
/** NSEC (RFC 4034 4.1) to `next` with the types NS, RRSIG, NSEC, generic form. */
function nsec(next: string): string {
  const rdata = Buffer.concat([nameToWire(next), Buffer.from([0, 6, 0x20, 0, 0, 0, 0, 0x03])]);
  return `\\# ${rdata.length} ${rdata.toString('hex')}`;
}

const DS = `12345 13 2 ${'AB'.repeat(32)}`;
const zone = (origin: string, signed: boolean): string => `$ORIGIN ${origin}.
$TTL 300
@        SOA ns hostmaster 1 3600 600 604800 120
@        NS  ns
ns       A   192.0.2.1
deleg    NS  ns.deleg
deleg    DS  ${DS}
ns.deleg A   192.0.2.30
insec    NS  ns.insec
ns.insec A   192.0.2.31
${signed ? `@        DNSKEY 257 3 13 ${Buffer.alloc(64, 1).toString('base64')}
@        RRSIG ${rrsig(RRType.SOA, 2, `${origin}.`)}
@        RRSIG ${rrsig(RRType.DNSKEY, 2, `${origin}.`)}
deleg    RRSIG ${rrsig(RRType.DS, 3, `${origin}.`)}
insec    NSEC ${nsec(`ns.${origin}.`)}
insec    RRSIG ${rrsig(RRType.NSEC, 3, `${origin}.`)}
` : ''}`;

const ZONES = [{ origin: 'signed.test', signed: true }, { origin: 'plain.test', signed: false }];

/** Sections as comparable text: owner, type, RDATA in hex; sorted (order within a section is free). */
function shape(rrs: RR[]): string[] {
  return rrs.map((r) => `${r.name.toLowerCase()} ${r.type} ${r.rdata.toString('hex')}`).sort();
}
const types = (rrs: RR[]): number[] => rrs.map((r) => r.type).sort((a, b) => a - b);

t.test('the authority alone', async (t) => {
  const authority = new Authority(new Catalog(ZONES.map((z) => loadZoneText(zone(z.origin, z.signed), { origin: `${z.origin}.` }))));
  for (const dnssecOk of [false, true]) {
    const s = authority.answer('x.deleg.signed.test.', RRType.A, { dnssecOk });
    t.same(types(s.authority), dnssecOk ? [RRType.NS, RRType.DS, RRType.RRSIG] : [RRType.NS], `signed, DO=${+dnssecOk}: DS and its RRSIG only with DO`);
    t.same(types(s.additional), [RRType.A], `signed, DO=${+dnssecOk}: glue`);
    const i = authority.answer('x.insec.signed.test.', RRType.A, { dnssecOk });
    t.same(types(i.authority), dnssecOk ? [RRType.NS, RRType.RRSIG, RRType.NSEC] : [RRType.NS], `signed, no DS, DO=${+dnssecOk}: NSEC only with DO`);
    const p = authority.answer('x.deleg.plain.test.', RRType.A, { dnssecOk });
    t.same(types(p.authority), [RRType.NS], `unsigned, DO=${+dnssecOk}: NS alone`);
  }
  t.same(types(authority.answer('x.deleg.signed.test.', RRType.A).authority), [RRType.NS], 'no options: as DO=0');
  t.same(types(authority.answer('deleg.signed.test.', RRType.DS).answer), [RRType.DS], 'a DS question is answered whatever DO says');
  // Only the DNSKEY's RRSIG makes a zone signed (NSD's test): an RRSIG over the SOA alone does not.
  const soaOnly = zone('half.test', true).split('\n').filter((l) => !l.startsWith('@        DNSKEY') && !l.includes(rrsig(RRType.DNSKEY, 2, 'half.test.'))).join('\n');
  const half = new Authority(new Catalog([loadZoneText(soaOnly, { origin: 'half.test.' })]));
  t.same(types(half.answer('x.deleg.half.test.', RRType.A, { dnssecOk: true }).authority), [RRType.NS], 'no signed DNSKEY: NS alone with DO');
});

t.test('parity with NSD, through the stored answers', async (t) => {
  if (!requireDaemon(t, 'nsd', 'nsd')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-refds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const z of ZONES) writeFileSync(path.join(dir, `${z.origin}.zone`), zone(z.origin, z.signed));
  const { daemon, port } = await startDaemon(t, { zonesDir: dir });
  const net = await leaseNet(t);
  const host = net.host(2);
  await startNsd(t, { dir: path.join(scratchDir(t), 'nsd'), addresses: [host], zones: ZONES.map((z) => ({ origin: z.origin, text: zone(z.origin, z.signed) })) });
  const cases: Array<[string, boolean, number]> = [];
  for (const z of ZONES) for (const name of [`x.deleg.${z.origin}.`, `x.insec.${z.origin}.`]) for (const round of [0, 1]) for (const dnssecOk of [true, false]) cases.push([name, dnssecOk, round]);
  for (const [name, dnssecOk, round] of cases) {
    const q = encodeQuery(name, RRType.A, { id: 77, rd: false, edns: { dnssecOk } });
    const ours = decodeMessage((await udpExchange(port, q))!);
    const theirs = decodeMessage((await udpExchange(53, q, 5000, host))!);
    const label = `${name} DO=${+dnssecOk} (ask ${round + 1})`;
    t.equal(ours.rcode, theirs.rcode, `${label}: rcode`);
    t.equal(ours.aa, theirs.aa, `${label}: AA`);
    t.same(shape(ours.authority), shape(theirs.authority), `${label}: authority as NSD's`);
    t.same(shape(ours.additional), shape(theirs.additional), `${label}: additional as NSD's`);
    t.equal(ours.edns?.dnssecOk, dnssecOk, `${label}: DO echoed`);
  }
  t.ok(daemon.stats.answerCacheHits >= cases.length / 2, 'the second asks came from the stored answers');
});
