// Authoritative answers as tables on inline zones (CoreDNS's lookup_test.go style): RFC 1034 4.3.2,
// CNAME and DNAME (RFC 6672, 6604), wildcards (RFC 4592, its 2.2.1 example zone verbatim),
// referrals and glue (RFC 9471), negative answers (RFC 2308), minimal ANY (RFC 8482), additional
// processing (RFC 1035 3.3, RFC 9460 4.1), case echo and REFUSED.

import t, { type Test } from 'tap';
import { Authority, type AuthAnswer } from '../../src/authority/answer.js';
import { Catalog } from '../../src/authority/catalog.js';
import { rdataToText } from '../../src/wire/rdata.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType, Rcode, rcodeToString, typeFromString, typeToString } from '../../src/wire/types.js';
import { loadZoneText } from '../../src/zone/load.js';

const DS_HEX = 'AB'.repeat(32);
/** How the DS digest prints: BIND's presentation splits it after 56 characters. */
const DS_TEXT = `12345 13 2 ${DS_HEX.slice(0, 56)} ${DS_HEX.slice(56)}`;

// RFC 4592 section 2.2.1, with the SOA and SRV RDATA filled in.
const RFC4592 = `$ORIGIN example.
$TTL 3600
example.                 3600 IN  SOA   ns.example.com. hostmaster.example. 1 3600 600 604800 120
example.                 3600     NS    ns.example.com.
example.                 3600     NS    ns.example.net.
*.example.               3600     TXT   "this is a wildcard"
*.example.               3600     MX    10 host1.example.
sub.*.example.           3600     TXT   "this is not a wildcard"
host1.example.           3600     A     192.0.2.1
_ssh._tcp.host1.example. 3600     SRV   0 0 22 host1.example.
_ssh._tcp.host2.example. 3600     SRV   0 0 22 host2.example.
subdel.example.          3600     NS    ns.example.com.
subdel.example.          3600     NS    ns.example.net.
`;

// Everything else, one name per behaviour. SOA TTL 3600 > MINIMUM 120: negative TTL 120.
const T_AGENTS = `$ORIGIN t.agents.
$TTL 300
@          3600 SOA ns1 hostmaster 1 3600 600 604800 120
@               NS  ns1
@               NS  ns2
ns1             A   192.0.2.1
ns2             AAAA 2001:db8::2
host            A   192.0.2.10
host            AAAA 2001:db8::10
Writer          SVCB 1 host alpn=h2
Writer          TXT "writer"
alias           CNAME alias2
alias2          CNAME writer
dangling        CNAME nothere
out             CNAME name.elsewhere.test.
other           CNAME agent.o.agents.
othernx         CNAME missing.o.agents.
loop1           CNAME loop2
loop2           CNAME loop1
intodeleg       CNAME x.deleg
old          60 DNAME new.t.agents.
new             TXT "new apex"
w.new           TXT "below new"
away            DNAME elsewhere.test.
long            DNAME ${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}.
*.wild          TXT "wildcard"
x.wild          TXT "explicit"
a.ent.wild      TXT "under an empty non-terminal"
*.cw            CNAME host
sub.*.ew        TXT "below an empty wildcard"
a.b.ent         TXT "deep"
mail            MX  10 host
mail            MX  20 mail.elsewhere.test.
mail            MX  30 agent.o.agents.
srv             SRV 0 5 8443 host
svcalias        SVCB 0 Writer
svcnone         SVCB 0 .
self            SVCB 1 . alpn=h2
self            A   192.0.2.20
web             HTTPS 1 host alpn=h2
web2            HTTPS 0 web
deleg           NS  ns.deleg
deleg           NS  ns.deleg2
deleg           NS  host
deleg           NS  ns.elsewhere.test.
deleg           DS  12345 13 2 ${DS_HEX}
ns.deleg        A   192.0.2.30
deleg2          NS  ns.deleg2
ns.deleg2       A   192.0.2.31
ns.deleg2       AAAA 2001:db8::31
`;

// A second served zone. SOA TTL 30 < MINIMUM 600: negative TTL 30.
const O_AGENTS = `$ORIGIN o.agents.
$TTL 300
@           30 SOA ns hostmaster 7 3600 600 604800 600
@              NS  ns
ns             A   192.0.2.40
agent          A   192.0.2.41
`;

// The parent of both, for DS at a cut served on both sides.
const AGENTS = `$ORIGIN agents.
$TTL 300
@              SOA a.root hostmaster 9 3600 600 604800 300
@              NS  a.root
a.root         A   192.0.2.100
t              NS  ns1.t
t              DS  12345 13 2 ${DS_HEX}
ns1.t          A   192.0.2.1
o              NS  ns.o
ns.o           A   192.0.2.40
`;

const SOA_T = 't.agents. 120 SOA ns1.t.agents. hostmaster.t.agents. 1 3600 600 604800 120';
const SOA_O = 'o.agents. 30 SOA ns.o.agents. hostmaster.o.agents. 7 3600 600 604800 600';
const SOA_AGENTS = 'agents. 300 SOA a.root.agents. hostmaster.agents. 9 3600 600 604800 300';
const SOA_EX = 'example. 120 SOA ns.example.com. hostmaster.example. 1 3600 600 604800 120';

const catalog = new Catalog([
  loadZoneText(RFC4592, { origin: 'example.' }),
  loadZoneText(T_AGENTS, { origin: 't.agents.' }),
  loadZoneText(O_AGENTS, { origin: 'o.agents.' }),
  loadZoneText(AGENTS, { origin: 'agents.' }),
]);
const authority = new Authority(catalog);

function text(rr: RR): string {
  return `${rr.name} ${rr.ttl} ${typeToString(rr.type)} ${rdataToText(rr.type, rr.rdata)}`;
}

interface Expect {
  rcode?: keyof typeof Rcode;
  aa?: boolean;
  answer?: string[];
  authority?: string[];
  /** Compared as a set, except that the first `required` must be the required glue. */
  additional?: string[];
  required?: number;
}

function ask(qname: string, qtype: string): AuthAnswer {
  const type = typeFromString(qtype);
  if (type === undefined) throw new Error(`bad type ${qtype}`);
  return authority.answer(qname, type);
}

function check(t: Test, qname: string, qtype: string, want: Expect): void {
  const got = ask(qname, qtype);
  const label = `${qname} ${qtype}`;
  t.equal(rcodeToString(got.rcode), want.rcode ?? 'NOERROR', `${label}: rcode`);
  t.equal(got.aa, want.aa ?? true, `${label}: AA`);
  t.same(got.answer.map(text), want.answer ?? [], `${label}: answer`);
  t.same(got.authority.map(text).sort(), [...(want.authority ?? [])].sort(), `${label}: authority`);
  const add = got.additional.map(text);
  t.same([...add].sort(), [...(want.additional ?? [])].sort(), `${label}: additional`);
  t.equal(got.requiredAdditional, want.required ?? 0, `${label}: required glue count`);
  if (want.required) {
    t.same(add.slice(0, want.required).sort(), want.additional!.slice(0, want.required).sort(), `${label}: required glue first`);
  }
}

t.test('RFC 4592 2.2.1: the example zone and its queries', async (t) => {
  check(t, 'host3.example.', 'MX', {
    answer: ['host3.example. 3600 MX 10 host1.example.'],
    additional: ['host1.example. 3600 A 192.0.2.1'],
  });
  check(t, 'host3.example.', 'A', { authority: [SOA_EX] }); // the wildcard matches; no A: NODATA
  check(t, 'foo.bar.example.', 'TXT', { answer: ['foo.bar.example. 3600 TXT "this is a wildcard"'] });
  check(t, 'host1.example.', 'MX', { authority: [SOA_EX] }); // host1 exists: no wildcard
  check(t, 'sub.*.example.', 'MX', { authority: [SOA_EX] }); // exists; a '*' label there is not a wildcard
  check(t, '_telnet._tcp.host1.example.', 'SRV', { rcode: 'NXDOMAIN', authority: [SOA_EX] }); // encloser _tcp.host1 is an ENT
  check(t, 'host.subdel.example.', 'A', {
    aa: false,
    authority: ['subdel.example. 3600 NS ns.example.com.', 'subdel.example. 3600 NS ns.example.net.'],
  });
  check(t, 'ghost.*.example.', 'MX', { rcode: 'NXDOMAIN', authority: [SOA_EX] }); // encloser *.example, no *.*.example
  // And around it: the wildcard's own name, and a name below a name that does not exist.
  check(t, '*.example.', 'TXT', { answer: ['*.example. 3600 TXT "this is a wildcard"'] });
  check(t, '_ssh._tcp.host3.example.', 'SRV', { authority: [SOA_EX] }); // encloser is the apex: *.example matches, no SRV
});

t.test('exact matches, negative answers, REFUSED', async (t) => {
  check(t, 'host.t.agents.', 'A', { answer: ['host.t.agents. 300 A 192.0.2.10'] });
  check(t, 'missing.t.agents.', 'A', { rcode: 'NXDOMAIN', authority: [SOA_T] });
  check(t, 'host.t.agents.', 'TXT', { authority: [SOA_T] });
  // Empty non-terminals exist (RFC 8020): NODATA at one, NXDOMAIN below it.
  check(t, 'b.ent.t.agents.', 'TXT', { authority: [SOA_T] });
  check(t, 'ent.t.agents.', 'A', { authority: [SOA_T] });
  check(t, 'c.b.ent.t.agents.', 'TXT', { rcode: 'NXDOMAIN', authority: [SOA_T] });
  // Negative TTL is min(SOA TTL, MINIMUM) both ways round (RFC 2308 3, 5).
  check(t, 'missing.o.agents.', 'A', { rcode: 'NXDOMAIN', authority: [SOA_O] });
  check(t, 'nothing.agents.', 'A', { rcode: 'NXDOMAIN', authority: [SOA_AGENTS] });
  // Outside every zone: REFUSED, not authoritative, nothing else.
  check(t, 'example.com.', 'A', { rcode: 'REFUSED', aa: false });
  check(t, '.', 'NS', { rcode: 'REFUSED', aa: false });
  check(t, 'com.', 'SOA', { rcode: 'REFUSED', aa: false });
});

t.test('case: owner names echo the question, lookups ignore case', async (t) => {
  check(t, 'HoSt.T.aGeNtS.', 'A', { answer: ['HoSt.T.aGeNtS. 300 A 192.0.2.10'] });
  // Zone spelling 'Writer'; the question's spelling wins for the owner.
  check(t, 'WRITER.t.agents.', 'TXT', { answer: ['WRITER.t.agents. 300 TXT "writer"'] });
  check(t, 'Foo.WILD.t.agents.', 'TXT', { answer: ['Foo.WILD.t.agents. 300 TXT "wildcard"'] });
  // A CNAME's owner is the question; each name after it is spelled as the CNAME before it spells it.
  const chain = ask('ALIAS.t.agents.', 'TXT');
  t.same(chain.answer.map((r) => r.name), ['ALIAS.t.agents.', 'alias2.t.agents.', 'writer.t.agents.'], 'as the CNAME spells its target');
  // The synthesized CNAME is owned by the question name.
  const d = ask('W.Old.t.agents.', 'TXT');
  t.equal(d.answer[1]!.name, 'W.Old.t.agents.');
  t.equal(rdataToText(RRType.CNAME, d.answer[1]!.rdata), 'W.new.t.agents.', 'the prefix keeps its case');
});

t.test('CNAME (RFC 1034 3.6.2, 4.3.2; RFC 6604)', async (t) => {
  check(t, 'alias.t.agents.', 'TXT', {
    answer: ['alias.t.agents. 300 CNAME alias2.t.agents.', 'alias2.t.agents. 300 CNAME writer.t.agents.', 'writer.t.agents. 300 TXT "writer"'],
  });
  // The chain ends in NODATA: rcode and SOA from the end of the chain.
  check(t, 'alias.t.agents.', 'A', {
    answer: ['alias.t.agents. 300 CNAME alias2.t.agents.', 'alias2.t.agents. 300 CNAME writer.t.agents.'],
    authority: [SOA_T],
  });
  check(t, 'dangling.t.agents.', 'A', { rcode: 'NXDOMAIN', answer: ['dangling.t.agents. 300 CNAME nothere.t.agents.'], authority: [SOA_T] });
  // Leaving our zones ends the chain: the resolver carries on.
  check(t, 'out.t.agents.', 'A', { answer: ['out.t.agents. 300 CNAME name.elsewhere.test.'] });
  // Into another zone we serve: followed, the negative answer carries that zone's SOA.
  check(t, 'other.t.agents.', 'A', { answer: ['other.t.agents. 300 CNAME agent.o.agents.', 'agent.o.agents. 300 A 192.0.2.41'] });
  check(t, 'othernx.t.agents.', 'A', { rcode: 'NXDOMAIN', answer: ['othernx.t.agents. 300 CNAME missing.o.agents.'], authority: [SOA_O] });
  // A loop stops after one turn, NOERROR with what was found.
  check(t, 'loop1.t.agents.', 'A', { answer: ['loop1.t.agents. 300 CNAME loop2.t.agents.', 'loop2.t.agents. 300 CNAME loop1.t.agents.'] });
  // CNAME and ANY questions get the CNAME itself, not what it points to.
  check(t, 'alias.t.agents.', 'CNAME', { answer: ['alias.t.agents. 300 CNAME alias2.t.agents.'] });
  check(t, 'alias.t.agents.', 'ANY', { answer: ['alias.t.agents. 300 CNAME alias2.t.agents.'] });
  // Into a delegation: the CNAME, then the referral; AA stays for the CNAME we own.
  check(t, 'intodeleg.t.agents.', 'A', {
    answer: ['intodeleg.t.agents. 300 CNAME x.deleg.t.agents.'],
    authority: ['deleg.t.agents. 300 NS ns.deleg.t.agents.', 'deleg.t.agents. 300 NS ns.deleg2.t.agents.', 'deleg.t.agents. 300 NS host.t.agents.',
      'deleg.t.agents. 300 NS ns.elsewhere.test.'],
    additional: ['ns.deleg.t.agents. 300 A 192.0.2.30', 'ns.deleg2.t.agents. 300 A 192.0.2.31', 'ns.deleg2.t.agents. 300 AAAA 2001:db8::31',
      'host.t.agents. 300 A 192.0.2.10', 'host.t.agents. 300 AAAA 2001:db8::10'],
    required: 1,
  });
});

t.test('DNAME (RFC 6672)', async (t) => {
  // The DNAME, then a CNAME synthesized with the DNAME's TTL (60, not the zone's 300), then the target.
  check(t, 'w.old.t.agents.', 'TXT', {
    answer: ['old.t.agents. 60 DNAME new.t.agents.', 'w.old.t.agents. 60 CNAME w.new.t.agents.', 'w.new.t.agents. 300 TXT "below new"'],
  });
  check(t, 'a.b.old.t.agents.', 'A', {
    rcode: 'NXDOMAIN',
    answer: ['old.t.agents. 60 DNAME new.t.agents.', 'a.b.old.t.agents. 60 CNAME a.b.new.t.agents.'],
    authority: [SOA_T],
  });
  // The DNAME owner itself is not redirected (RFC 6672 2.3).
  check(t, 'old.t.agents.', 'DNAME', { answer: ['old.t.agents. 60 DNAME new.t.agents.'] });
  check(t, 'old.t.agents.', 'TXT', { authority: [SOA_T] });
  // Out of our zones: the chain stops after the synthesized CNAME.
  check(t, 'x.away.t.agents.', 'A', { answer: ['away.t.agents. 300 DNAME elsewhere.test.', 'x.away.t.agents. 300 CNAME x.elsewhere.test.'] });
  // A substitution longer than 255 octets: YXDOMAIN with the DNAME (RFC 6672 2.2).
  const long = ask(`${'x'.repeat(40)}.long.t.agents.`, 'A');
  t.equal(rcodeToString(long.rcode), 'YXDOMAIN');
  t.same(long.answer.map((r) => typeToString(r.type)), ['DNAME']);
});

t.test('wildcards around the RFC 4592 corner cases', async (t) => {
  check(t, 'anything.wild.t.agents.', 'TXT', { answer: ['anything.wild.t.agents. 300 TXT "wildcard"'] });
  check(t, 'a.b.c.wild.t.agents.', 'TXT', { answer: ['a.b.c.wild.t.agents. 300 TXT "wildcard"'] });
  check(t, 'anything.wild.t.agents.', 'A', { authority: [SOA_T] }); // wildcard NODATA
  check(t, 'x.wild.t.agents.', 'TXT', { answer: ['x.wild.t.agents. 300 TXT "explicit"'] });
  // An existing name, empty non-terminal or not, is the closest encloser below it: no wildcard.
  check(t, 'y.x.wild.t.agents.', 'TXT', { rcode: 'NXDOMAIN', authority: [SOA_T] });
  check(t, 'ent.wild.t.agents.', 'TXT', { authority: [SOA_T] });
  check(t, 'b.ent.wild.t.agents.', 'TXT', { rcode: 'NXDOMAIN', authority: [SOA_T] });
  // A wildcard CNAME: synthesized with the question as owner, then followed.
  check(t, 'q.cw.t.agents.', 'A', { answer: ['q.cw.t.agents. 300 CNAME host.t.agents.', 'host.t.agents. 300 A 192.0.2.10'] });
  // A wildcard that is only an empty non-terminal (sub.*.ew exists) still matches: NODATA.
  check(t, 'foo.ew.t.agents.', 'TXT', { authority: [SOA_T] });
  check(t, 'sub.*.ew.t.agents.', 'TXT', { answer: ['sub.*.ew.t.agents. 300 TXT "below an empty wildcard"'] });
  // ANY at a wildcard: one synthesized RRset.
  check(t, 'z.wild.t.agents.', 'ANY', { answer: ['z.wild.t.agents. 300 TXT "wildcard"'] });
});

t.test('referrals (RFC 1034 4.3.2 step 3b, RFC 9471)', async (t) => {
  const ns = ['deleg.t.agents. 300 NS ns.deleg.t.agents.', 'deleg.t.agents. 300 NS ns.deleg2.t.agents.', 'deleg.t.agents. 300 NS host.t.agents.',
    'deleg.t.agents. 300 NS ns.elsewhere.test.'];
  // Without DO (here always; with DO in a signed zone, see test/authority/referral-dnssec.test.ts)
  // a referral is NS and glue, no DS (RFC 4035 3.1.4, RFC 3225 3).
  // Required glue first (ns.deleg, below the cut); then sibling glue below another delegation
  // (ns.deleg2) and an in-zone server's addresses (host), both optional; nothing for ns.elsewhere.test.
  const additional = ['ns.deleg.t.agents. 300 A 192.0.2.30', 'ns.deleg2.t.agents. 300 A 192.0.2.31', 'ns.deleg2.t.agents. 300 AAAA 2001:db8::31',
    'host.t.agents. 300 A 192.0.2.10', 'host.t.agents. 300 AAAA 2001:db8::10'];
  for (const [q, type] of [['x.deleg.t.agents.', 'A'], ['deleg.t.agents.', 'NS'], ['deleg.t.agents.', 'A'], ['ns.deleg.t.agents.', 'A'], ['a.b.deleg.t.agents.', 'ANY']] as const) {
    check(t, q, type, { aa: false, authority: ns, additional, required: 1 });
  }
  // DS belongs to the parent side of the cut: answered with AA.
  check(t, 'deleg.t.agents.', 'DS', { answer: [`deleg.t.agents. 300 DS ${DS_TEXT}`] });
  check(t, 'deleg2.t.agents.', 'DS', { authority: [SOA_T] });
  // Serving both parent and child: DS at the child's apex comes from the parent (RFC 4035 3.1.4.1).
  check(t, 't.agents.', 'DS', { answer: [`t.agents. 300 DS ${DS_TEXT}`] });
  check(t, 'o.agents.', 'DS', { authority: [SOA_AGENTS] });
  // Other types at the child apex come from the child.
  check(t, 'T.agents.', 'NS', {
    answer: ['T.agents. 300 NS ns1.t.agents.', 'T.agents. 300 NS ns2.t.agents.'],
    additional: ['ns1.t.agents. 300 A 192.0.2.1', 'ns2.t.agents. 300 AAAA 2001:db8::2'],
  });
  // The parent's referral when the child is not the most specific zone for the name.
  check(t, 'x.t2.agents.', 'A', { rcode: 'NXDOMAIN', authority: [SOA_AGENTS] });
});

t.test('minimal ANY (RFC 8482 4.1): one RRset, the lowest type, as Knot answers', async (t) => {
  check(t, 'host.t.agents.', 'ANY', { answer: ['host.t.agents. 300 A 192.0.2.10'] });
  check(t, 't.agents.', 'ANY', {
    answer: ['t.agents. 300 NS ns1.t.agents.', 't.agents. 300 NS ns2.t.agents.'],
    additional: ['ns1.t.agents. 300 A 192.0.2.1', 'ns2.t.agents. 300 AAAA 2001:db8::2'],
  });
  check(t, 'writer.t.agents.', 'ANY', { answer: ['writer.t.agents. 300 TXT "writer"'] });
  check(t, 'ent.t.agents.', 'ANY', { authority: [SOA_T] });
  check(t, 'missing.t.agents.', 'ANY', { rcode: 'NXDOMAIN', authority: [SOA_T] });
});

t.test('additional processing for NS, MX, SRV, SVCB and HTTPS targets', async (t) => {
  check(t, 'mail.t.agents.', 'MX', {
    answer: ['mail.t.agents. 300 MX 10 host.t.agents.', 'mail.t.agents. 300 MX 20 mail.elsewhere.test.', 'mail.t.agents. 300 MX 30 agent.o.agents.'],
    // Targets in any zone we serve; nothing for names elsewhere.
    additional: ['host.t.agents. 300 A 192.0.2.10', 'host.t.agents. 300 AAAA 2001:db8::10', 'agent.o.agents. 300 A 192.0.2.41'],
  });
  check(t, 'srv.t.agents.', 'SRV', {
    answer: ['srv.t.agents. 300 SRV 0 5 8443 host.t.agents.'],
    additional: ['host.t.agents. 300 A 192.0.2.10', 'host.t.agents. 300 AAAA 2001:db8::10'],
  });
  check(t, 'writer.t.agents.', 'SVCB', {
    answer: ['writer.t.agents. 300 SVCB 1 host.t.agents. alpn="h2"'],
    additional: ['host.t.agents. 300 A 192.0.2.10', 'host.t.agents. 300 AAAA 2001:db8::10'],
  });
  // ServiceMode with TargetName '.': the owner's own addresses (RFC 9460 2.5.2).
  check(t, 'self.t.agents.', 'SVCB', { answer: ['self.t.agents. 300 SVCB 1 . alpn="h2"'], additional: ['self.t.agents. 300 A 192.0.2.20'] });
  // AliasMode: the target's SVCB RRset, which the client needs next (RFC 9460 4.1).
  check(t, 'svcalias.t.agents.', 'SVCB', {
    answer: ['svcalias.t.agents. 300 SVCB 0 Writer.t.agents.'],
    additional: ['Writer.t.agents. 300 SVCB 1 host.t.agents. alpn="h2"'],
  });
  // AliasMode to '.': the service does not exist; nothing to add.
  check(t, 'svcnone.t.agents.', 'SVCB', { answer: ['svcnone.t.agents. 300 SVCB 0 .'] });
  check(t, 'web.t.agents.', 'HTTPS', {
    answer: ['web.t.agents. 300 HTTPS 1 host.t.agents. alpn="h2"'],
    additional: ['host.t.agents. 300 A 192.0.2.10', 'host.t.agents. 300 AAAA 2001:db8::10'],
  });
  check(t, 'web2.t.agents.', 'HTTPS', { answer: ['web2.t.agents. 300 HTTPS 0 web.t.agents.'], additional: ['web.t.agents. 300 HTTPS 1 host.t.agents. alpn="h2"'] });
  // A CNAME chain ending in an SVCB: additional for the SVCB, none for the CNAMEs.
  check(t, 'alias.t.agents.', 'SVCB', {
    answer: ['alias.t.agents. 300 CNAME alias2.t.agents.', 'alias2.t.agents. 300 CNAME writer.t.agents.', 'writer.t.agents. 300 SVCB 1 host.t.agents. alpn="h2"'],
    additional: ['host.t.agents. 300 A 192.0.2.10', 'host.t.agents. 300 AAAA 2001:db8::10'],
  });
  // Nothing in additional for negative answers.
  check(t, 'missing.t.agents.', 'MX', { rcode: 'NXDOMAIN', authority: [SOA_T] });
});
