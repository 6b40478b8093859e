// DNSSEC validation against zones aop did not sign: a root -> org -> children hierarchy signed
// by BIND's dnssec-signzone (keys from dnssec-keygen, made here), served by NSD on port 53 of a
// leased loopback /24. aop's resolver, given the root KSK's DS as its trust anchor, is asked
// about every case (secure with NSEC3 and NSEC, NXDOMAIN, NODATA, wildcard, empty non-terminal,
// an unsigned delegation, an NSEC3 opt-out one, and the broken ones), and its verdict (rcode, AD,
// EDE) is compared with a validating Unbound's, given the same anchor, on the same zones.

import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { requirePort53 } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { dig, type DigResult } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';
import { startNsd } from '../helpers/nsd.js';
import { startUnbound } from '../helpers/unbound.js';
import { HOSTS, signedHierarchy } from '../helpers/bind-signed.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';

const ede = (r: DigResult): number | undefined => {
  const m = /; EDE: (\d+)/.exec(r.raw);
  return m ? Number(m[1]) : undefined;
};

interface Case {
  name: string;
  type: string;
  what: string;
  rcode: string;
  ad: boolean;
  /** The EDE aop gives (bogus cases). */
  ede?: number;
}

const CASES: Case[] = [
  { what: 'secure (NSEC3)', name: 'www.secure.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'secure NXDOMAIN (NSEC3)', name: 'nope.secure.org.', type: 'A', rcode: 'NXDOMAIN', ad: true },
  { what: 'secure NODATA (NSEC3)', name: 'www.secure.org.', type: 'AAAA', rcode: 'NOERROR', ad: true },
  { what: 'secure wildcard expansion (NSEC3)', name: 'x.wild.secure.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'secure wildcard NODATA (NSEC3)', name: 'x.wild.secure.org.', type: 'TXT', rcode: 'NOERROR', ad: true },
  { what: 'secure empty non-terminal (NSEC3)', name: 'deep.secure.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'secure (NSEC)', name: 'www.nsec.org.', type: 'TXT', rcode: 'NOERROR', ad: true },
  { what: 'secure NXDOMAIN (NSEC)', name: 'nope.nsec.org.', type: 'A', rcode: 'NXDOMAIN', ad: true },
  { what: 'secure NODATA (NSEC)', name: 'www.nsec.org.', type: 'AAAA', rcode: 'NOERROR', ad: true },
  { what: 'secure wildcard expansion (NSEC)', name: 'x.wild.nsec.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'secure empty non-terminal (NSEC)', name: 'deep.nsec.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'secure DNAME into a wildcard (NSEC3)', name: 'x.dname.secure.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'secure DNAME into a wildcard (NSEC)', name: 'x.dname.nsec.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'secure DS (at the parent)', name: 'secure.org.', type: 'DS', rcode: 'NOERROR', ad: true },
  { what: 'insecure delegation (NSEC3 proof of no DS)', name: 'www.unsigned.org.', type: 'A', rcode: 'NOERROR', ad: false },
  { what: 'insecure NXDOMAIN below an unsigned delegation', name: 'nope.unsigned.org.', type: 'A', rcode: 'NXDOMAIN', ad: false },
  { what: 'insecure child served by its signed parent\'s server (NSEC3)', name: 'www.unsignedkid.secure.org.', type: 'A', rcode: 'NOERROR', ad: false },
  { what: 'insecure child served by its signed parent\'s server (NSEC)', name: 'www.unsignedkid.nsec.org.', type: 'A', rcode: 'NOERROR', ad: false },
  { what: 'insecure: the only DS has an algorithm no one implements', name: 'www.unsupported.org.', type: 'A', rcode: 'NOERROR', ad: false, ede: 1 },
  { what: 'secure parent of an opt-out span', name: 'www.optout.org.', type: 'A', rcode: 'NOERROR', ad: true },
  { what: 'insecure delegation in an NSEC3 opt-out span', name: 'www.child.optout.org.', type: 'A', rcode: 'NOERROR', ad: false },
  { what: 'bogus: expired RRSIG', name: 'www.expired.org.', type: 'A', rcode: 'SERVFAIL', ad: false, ede: 7 },
  { what: 'bogus: RRSIG not yet valid', name: 'www.future.org.', type: 'A', rcode: 'SERVFAIL', ad: false, ede: 8 },
  { what: 'bogus: RRSIGs stripped', name: 'www.stripped.org.', type: 'A', rcode: 'SERVFAIL', ad: false, ede: 10 },
  { what: 'bogus: data signed by a key not in the DNSKEY set', name: 'www.wrongkey.org.', type: 'A', rcode: 'SERVFAIL', ad: false, ede: 9 },
  { what: 'bogus: signed by a "zone" that is no zone cut', name: 'www.forged.org.', type: 'A', rcode: 'SERVFAIL', ad: false, ede: 10 },
  { what: 'bogus: DS matches no DNSKEY', name: 'www.dsmismatch.org.', type: 'A', rcode: 'SERVFAIL', ad: false, ede: 9 },
  { what: 'bogus: NXDOMAIN without NSEC3', name: 'nope.nonsec.org.', type: 'A', rcode: 'SERVFAIL', ad: false, ede: 12 },
];

t.test('validating BIND-signed zones served by NSD, beside Unbound', async (t) => {
  for (const tool of ['dig', 'dnssec-keygen', 'dnssec-signzone', 'dnssec-dsfromkey']) if (!requireTool(t, tool, tool === 'dig' ? 'bind9-dnsutils' : 'bind9-utils')) return;
  if (!requireTool(t, 'nsd', 'nsd') || !requireTool(t, 'unbound', 'unbound')) return;
  if (!(await requirePort53(t))) return;
  const lease = await leaseNet(t);
  const net = lease.net;
  const dir = scratchDir(t);
  const h = await signedHierarchy(path.join(dir, 'sign'), net);

  await startNsd(t, { dir: path.join(dir, 'nsd-root'), addresses: [`${net}${HOSTS.root}`], zones: [{ origin: '.', text: h.root }] });
  await startNsd(t, { dir: path.join(dir, 'nsd-org'), addresses: [`${net}${HOSTS.org}`], zones: [{ origin: 'org', text: h.org }] });
  await startNsd(t, {
    dir: path.join(dir, 'nsd-kids'), addresses: [`${net}${HOSTS.kids}`],
    zones: Object.entries(h.kids).map(([origin, text]) => ({ origin: origin.replace(/\.$/, ''), text })),
  });
  await startNsd(t, { dir: path.join(dir, 'nsd-grandkid'), addresses: [`${net}${HOSTS.grandkid}`], zones: [{ origin: 'child.optout.org', text: h.grandkid }] });

  const anchorFile = path.join(dir, 'root.anchor');
  writeFileSync(anchorFile, h.anchor);
  const unboundAddr = `${net}53`;
  await startUnbound(t, { dir: path.join(dir, 'unbound'), address: unboundAddr, stubs: { '.': [`${net}${HOSTS.root}`] }, trustAnchorFile: anchorFile, ready: { name: 'www.secure.org.', type: 'A' } });

  const daemon = new Daemon({
    listen: [parseListen('127.0.0.1:0')],
    resolver: { hints: parseHints(h.hints), timeout: 2000, warmUp: 0, validation: { anchors: parseTrustAnchors(h.anchor) } },
  });
  await daemon.start();
  t.teardown(() => daemon.close());
  const port = daemon.listeners[0]!.address.port;
  const ask = (host: string, p: number, c: { name: string; type: string }, flags: string[] = ['+dnssec']) => dig(p, ['+rec', '+time=6', ...flags, c.name, c.type], host);

  for (const c of CASES) {
    t.test(c.what, async (t) => {
      const ours = await ask('127.0.0.1', port, c);
      const theirs = await ask(unboundAddr, 53, c);
      t.equal(ours.status, c.rcode, `aop: ${c.rcode}`);
      t.equal(ours.flags.has('ad'), c.ad, `aop: AD ${c.ad ? 'set' : 'clear'}`);
      if (c.ede !== undefined) t.equal(ede(ours), c.ede, `aop: EDE ${c.ede}`);
      t.equal(ours.status, theirs.status, `the rcode Unbound gives (${theirs.status})`);
      t.equal(ours.flags.has('ad'), theirs.flags.has('ad'), 'the AD bit Unbound gives');
      const theirEde = ede(theirs);
      if (theirEde !== undefined) t.equal(ede(ours), theirEde, `the EDE Unbound gives (${theirEde})`);
      if (c.ad) t.ok(ours.answer.some((l) => / RRSIG /.test(l)) || ours.authority.some((l) => / RRSIG /.test(l)), 'DO=1: the RRSIGs come along');
    });
  }

  t.test('CD=1: a bogus answer handed over unvalidated, AD clear', async (t) => {
    const r = await ask('127.0.0.1', port, { name: 'www.expired.org.', type: 'A' }, ['+dnssec', '+cd']);
    const u = await ask(unboundAddr, 53, { name: 'www.expired.org.', type: 'A' }, ['+dnssec', '+cd']);
    t.equal(r.status, 'NOERROR', 'NOERROR');
    t.match(r.answer.join('\n'), /192\.0\.2\.1/, 'the data');
    t.notOk(r.flags.has('ad'), 'AD clear');
    t.equal(r.status, u.status, 'as Unbound');
  });

  t.test('AD only for a client that set AD or DO (RFC 6840 5.7); no DNSSEC records without DO', async (t) => {
    const neither = await ask('127.0.0.1', port, { name: 'www.secure.org.', type: 'A' }, ['+noadflag', '+nodnssec']);
    t.equal(neither.status, 'NOERROR');
    t.notOk(neither.flags.has('ad'), 'neither AD nor DO: AD clear');
    t.notOk(neither.answer.some((l) => / RRSIG /.test(l)), 'no RRSIG without DO');
    const adOnly = await ask('127.0.0.1', port, { name: 'www.secure.org.', type: 'A' }, ['+adflag', '+nodnssec']);
    t.ok(adOnly.flags.has('ad'), 'AD asked: AD set');
    t.notOk(adOnly.answer.some((l) => / RRSIG /.test(l)), 'still no RRSIG without DO');
    const nx = await ask('127.0.0.1', port, { name: 'nope.secure.org.', type: 'A' }, ['+adflag', '+nodnssec']);
    t.notOk(nx.authority.some((l) => / NSEC3 /.test(l)), 'no NSEC3 in a denial without DO');
  });

  t.test('verdicts come from the cache the second time', async (t) => {
    const before = daemon.resolver!.stats.upstreamQueries;
    const r = await ask('127.0.0.1', port, { name: 'www.expired.org.', type: 'A' });
    t.equal(r.status, 'SERVFAIL', 'still bogus');
    const s = await ask('127.0.0.1', port, { name: 'www.secure.org.', type: 'A' });
    t.ok(s.flags.has('ad'), 'still secure');
    t.equal(daemon.resolver!.stats.upstreamQueries, before, 'no upstream query for either');
  });
});
