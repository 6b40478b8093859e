// Zone validation: each rule, where its fault points, and what it lets through.

import t from 'tap';
import { parseZone } from '../../src/zone/parser.js';
import { validateZone } from '../../src/zone/validate.js';

const ORIGIN = 'example.';
const HEAD = '$TTL 300\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n'; // 4 lines

/** Faults of HEAD plus `body` (its first line is line 5), as `CODE line:col`. */
function check(body: string, head = HEAD): string[] {
  const { records, faults } = parseZone(head + body, { origin: ORIGIN, file: 'z.zone' });
  if (faults.length > 0) throw new Error(`parse faults: ${faults.map((f) => f.message).join('; ')}`);
  return validateZone(ORIGIN, records, 'z.zone').map((f) => `${f.code} ${f.line}:${f.col}`);
}
function messages(body: string, head = HEAD): string[] {
  const { records } = parseZone(head + body, { origin: ORIGIN, file: 'z.zone' });
  return validateZone(ORIGIN, records, 'z.zone').map((f) => f.message);
}

t.test('a minimal zone passes', async (t) => {
  t.same(check(''), []);
});

t.test('SOA: exactly one, at the apex', async (t) => {
  t.same(check('', '$TTL 1\n@ NS ns1\nns1 A 192.0.2.1\n'), ['ERR_ZONE_NO_SOA 1:1'], 'none: the zone as a whole, at 1:1');
  t.same(check('@ SOA ns1 host 2 2 3 4 5'), ['ERR_ZONE_MULTIPLE_SOA 5:1']);
  t.same(messages('@ SOA ns1 host 2 2 3 4 5'), ['multiple SOA records at example.: a zone has exactly one (the first is at line 2)']);
  t.same(check('@ SOA ns1 host 1 2 3 4 5'), [], 'the same SOA twice collapses');
  t.same(check('sub SOA ns1 host 1 2 3 4 5'), ['ERR_ZONE_SOA_NOT_AT_APEX 5:1']);
  t.same(check('', '$TTL 1\nsub SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n'), ['ERR_ZONE_NO_SOA 1:1', 'ERR_ZONE_SOA_NOT_AT_APEX 2:1'], 'zone-wide faults first');
});

t.test('NS at the apex', async (t) => {
  t.same(check('', '$TTL 1\n@ SOA ns1 host 1 2 3 4 5\nns1 A 192.0.2.1\n'), ['ERR_ZONE_NO_NS 1:1']);
  t.same(messages('', '$TTL 1\n@ SOA ns1 host 1 2 3 4 5\n'), ['no NS records at the zone apex example.']);
});

t.test('CNAME', async (t) => {
  t.same(check('www CNAME ns1\nwww A 192.0.2.2'), ['ERR_ZONE_CNAME_AND_OTHER 6:1'], 'on the record that breaks the rule');
  t.same(check('www A 192.0.2.2\n TXT x\nwww CNAME ns1'), ['ERR_ZONE_CNAME_AND_OTHER 7:1'], 'whichever comes first');
  t.same(messages('www CNAME ns1\nwww A 192.0.2.2'), ['CNAME and other data at www.example.: A here and CNAME at line 5 (a CNAME must be alone at its name)']);
  t.same(check('www CNAME ns1\nwww A 192.0.2.2\nwww TXT x\nwww MX 1 ns1'), ['ERR_ZONE_CNAME_AND_OTHER 6:1'], 'once per name');
  t.same(check('@ CNAME ns1'), ['ERR_ZONE_CNAME_AT_APEX 5:1']);
  t.same(check('www CNAME ns1\nwww CNAME ns2'), ['ERR_ZONE_MULTIPLE_CNAME 6:1']);
  t.same(check('www CNAME ns1\nwww CNAME ns1'), [], 'the same CNAME twice collapses');
  t.same(check('www CNAME ns1\nwww RRSIG CNAME 13 3 300 20260101000000 20260101000000 1 ns1 AAAA\nwww NSEC ns1 CNAME RRSIG NSEC\nwww TYPE25 \\# 0'), [], 'RRSIG, NSEC and KEY may sit beside a CNAME');
  t.same(check('WWW CNAME ns1\nwww A 192.0.2.2'), ['ERR_ZONE_CNAME_AND_OTHER 6:1'], 'names compare without case');
});

t.test('DNAME', async (t) => {
  t.same(check('old DNAME new.example.\nold DNAME other.example.'), ['ERR_ZONE_MULTIPLE_DNAME 6:1']);
  t.same(check('old DNAME new.example.\nold CNAME ns1'), ['ERR_ZONE_CNAME_AND_OTHER 6:1'], 'not with a CNAME');
  t.same(check('old DNAME new.example.\nold A 192.0.2.5\nold TXT x'), [], 'with other data');
  t.same(check('old DNAME new.example.\nwww.old A 192.0.2.5\na.b.old TXT x'), ['ERR_ZONE_BELOW_DNAME 6:1', 'ERR_ZONE_BELOW_DNAME 7:1'], 'nothing below it');
  t.same(check('@ DNAME example.net.', '$TTL 1\n@ SOA ns1.example.net. host 1 2 3 4 5\n@ NS ns1.example.net.\n'), [], 'at the apex, with name servers elsewhere');
  t.same(check('@ DNAME example.net.'), ['ERR_ZONE_BELOW_DNAME 4:1'], 'at the apex, every other name is below it');
});

t.test('delegations: only NS, DS and glue at and below a cut', async (t) => {
  t.same(check('sub NS ns.sub\nns.sub A 192.0.2.2\n AAAA 2001:db8::2\nsub DS 1 13 2 ' + 'ab'.repeat(32)), [], 'glue and DS');
  t.same(check('sub NS sub\nsub A 192.0.2.2'), [], 'glue at the cut itself');
  t.same(check('sub NS ns.sub\nns.sub A 192.0.2.2\nwww.sub A 192.0.2.3'), ['ERR_ZONE_OCCLUDED 7:1'], 'an address that is no name server');
  t.same(check('sub NS ns.sub\nns.sub A 192.0.2.2\nns.sub TXT x'), ['ERR_ZONE_OCCLUDED 7:1'], 'other types at a glue name');
  t.same(check('sub NS ns.sub\nns.sub A 192.0.2.2\nsub TXT x\nsub A 192.0.2.3'), ['ERR_ZONE_OCCLUDED 7:1', 'ERR_ZONE_OCCLUDED 8:1'], 'data at the cut');
  t.same(check('sub NS ns.sub\nns.sub A 192.0.2.2\nx.sub NS ns.sub'), ['ERR_ZONE_OCCLUDED 7:1'], 'a delegation below a delegation');
  t.same(check('a NS ns.b\nb NS ns.b\nns.b A 192.0.2.2'), [], 'sibling glue: a server below another delegation of this zone');
  t.same(check('@ NS ns.sub\nsub NS ns.sub\nns.sub A 192.0.2.2'), [], 'an apex server inside a child zone');
  t.same(messages('sub NS ns.sub\nns.sub A 192.0.2.2\nwww.sub A 192.0.2.3'), ['www.sub.example. A is below the delegation at sub.example. and occluded: only glue (A/AAAA of a name server) may be below a delegation']);
});

t.test('glue for in-zone name servers', async (t) => {
  t.same(check('@ NS ns2'), ['ERR_ZONE_NO_GLUE 5:1']);
  t.same(messages('@ NS ns2'), ["NS 'ns2.example.' has no address records (A or AAAA)"], 'BIND\'s words');
  t.same(check('sub NS ns.sub'), ['ERR_ZONE_NO_GLUE 5:1']);
  t.same(messages('sub NS ns.sub'), ["sub.example./NS 'ns.sub.example.' has no address records (A or AAAA): the delegation needs glue"]);
  t.same(check('sub NS ns2\nns2 AAAA 2001:db8::2'), [], 'AAAA is enough');
  t.same(check('sub NS ns.example.net.'), [], 'out-of-zone servers need nothing here');
  t.same(check('@ NS ns2\nns2 CNAME ns1'), ['ERR_ZONE_NS_CNAME 5:1']);
});

t.test('out-of-zone data', async (t) => {
  t.same(check('www.example.net. A 192.0.2.1\nexample.net. NS ns1'), ['ERR_ZONE_OUT_OF_ZONE 5:1', 'ERR_ZONE_OUT_OF_ZONE 6:1']);
  t.same(messages('www.example.net. A 192.0.2.1'), ['out-of-zone data: www.example.net. is not in the zone example.']);
  t.same(check('ns.example.net. A 192.0.2.1\n@ NS ns.example.net.'), ['ERR_ZONE_OUT_OF_ZONE 5:1'], 'out-of-zone "glue" too');
  t.same(check('notexample. A 192.0.2.1'), ['ERR_ZONE_OUT_OF_ZONE 5:1'], 'a suffix that is not a label boundary');
});

t.test('what is no fault', async (t) => {
  t.same(check('www 100 A 192.0.2.1\nwww 200 A 192.0.2.2'), [], 'TTLs that differ in an RRset');
  t.same(check('www A 192.0.2.1\nwww A 192.0.2.1\nWWW A 192.0.2.1'), [], 'duplicates');
  t.same(check('* A 192.0.2.1\n*.sub TXT x\nsub.* TXT y'), [], 'wildcards');
  t.same(check('www MX 10 nowhere\n_s._tcp SRV 0 0 1 nowhere'), [], 'MX and SRV targets without addresses (BIND only warns)');
});

t.test('one fault per record, in record order', async (t) => {
  t.same(check('sub NS ns.sub\nsub CNAME ns1'), ['ERR_ZONE_NO_GLUE 5:1', 'ERR_ZONE_CNAME_AND_OTHER 6:1']);
  const faults = check('z A 192.0.2.1\nzz.example.net. A 192.0.2.1\nwww CNAME ns1\nwww A 192.0.2.2\n@ NS nsx');
  t.same(faults, ['ERR_ZONE_OUT_OF_ZONE 6:1', 'ERR_ZONE_CNAME_AND_OTHER 8:1', 'ERR_ZONE_NO_GLUE 9:1']);
});
