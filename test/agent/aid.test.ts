// The `_agent` AID TXT: parsing with AID's client rules, writing in the bundled zones' form, and
// the TXT wire framing.

import t from 'tap';
import { aidDescription, aidFromTxt, aidTxtRdata, formatAid, parseAid, txtStrings, type AidRecord } from '../../src/agent/index.js';

function bad(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    t.equal((e as { code?: string }).code, 'ERR_AGENT_BAD_AID');
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

t.test('parse', async (t) => {
  t.same(parseAid('v=aid2;u=http://mcp.acme.agents:18101/agents/writer/mcp;p=mcp;a=none;s=Drafts marketing copy'), {
    v: 'aid2', u: 'http://mcp.acme.agents:18101/agents/writer/mcp', p: 'mcp', a: 'none', s: 'Drafts marketing copy',
  });
  t.same(parseAid(' V = aid2 ; URI=https://x.example/mcp ;Proto=mcp;desc= Hi there ;'), { v: 'aid2', u: 'https://x.example/mcp', p: 'mcp', s: 'Hi there' },
    'keys case-insensitive, long names, white space trimmed, a trailing ";"');
  t.same(parseAid('p=mcp;u=https://x.example/mcp;v=aid2;zz=whatever;x-new=1'), { v: 'aid2', u: 'https://x.example/mcp', p: 'mcp' }, 'any order; unknown keys ignored');
  t.same(parseAid('v=aid2;u=https://x.example/mcp;p=mcp;d=https://docs.example/a;e=2027-01-01T00:00:00Z;k=z6MkExample_key-1;i=g1'), {
    v: 'aid2', u: 'https://x.example/mcp', p: 'mcp', d: 'https://docs.example/a', e: '2027-01-01T00:00:00Z', k: 'z6MkExample_key-1', i: 'g1',
  });
  t.same(parseAid('v=aid2;u=docker:grafana/mcp:latest;p=local'), { v: 'aid2', u: 'docker:grafana/mcp:latest', p: 'local' }, 'a non-HTTP protocol takes any URI');
  t.equal(parseAid('v=aid2;u=https://x.example/a=b;p=mcp').u, 'https://x.example/a=b', '"=" inside a value');
});

t.test('parse errors', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['u=https://x.example/mcp;p=mcp', /no "v" \(version\)/],
    ['v=aid2;p=mcp', /no "u" \(uri\)/],
    ['v=aid2;u=https://x.example/mcp', /no "p" \(proto\)/],
    ['v=aid3;u=https://x.example/mcp;p=mcp', /v="aid3" is not aid2 or aid1/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;v=aid2', /key "v" given twice/],
    ['v=aid2;u=https://x.example/mcp;uri=https://y.example/mcp;p=mcp', /keys "u" and "uri" both given/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;oops', /pair "oops" has no "="/],
    ['v=aid2;u=/relative;p=mcp', /u="\/relative" is not an absolute URI/],
    ['v=aid2;u=ftp://x.example/mcp;p=mcp', /is not an http\(s\) URL, as p=mcp needs/],
    ['v=aid2;u=https://x.example/mcp;p=MCP', /p="MCP" is not a protocol token/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;a=OAuth', /a="OAuth" is not an auth token/],
    [`v=aid2;u=https://x.example/mcp;p=mcp;s=${'x'.repeat(61)}`, /s=.* is 61 octets \(1-60\)/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;s=', /s="" is 0 octets/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;d=http://docs.example/', /d=.* is not an https URL/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;e=tomorrow', /e="tomorrow" is not an ISO 8601 UTC time/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;k=a+b', /k="a\+b" is not a base64url/],
    ['v=aid2;u=https://x.example/mcp;p=mcp;i=toolong1', /i="toolong1" is not 1-6/],
  ];
  for (const [text, re] of cases) t.match(bad(() => parseAid(text)), re, text);
  t.equal(Buffer.byteLength('é'.repeat(30)), 60);
  t.equal(parseAid(`v=aid2;u=https://x.example/mcp;p=mcp;s=${'é'.repeat(30)}`).s, 'é'.repeat(30), '60 octets of UTF-8 fit');
  t.match(bad(() => parseAid(`v=aid2;u=https://x.example/mcp;p=mcp;s=${'é'.repeat(31)}`)), /62 octets/, 's= counts octets, not characters');
});

t.test('format', async (t) => {
  const rec: AidRecord = { v: 'aid2', u: 'http://mcp.acme.agents:18101/agents/writer/mcp', p: 'mcp', a: 'none', s: 'Drafts marketing copy' };
  t.equal(formatAid(rec), 'v=aid2;u=http://mcp.acme.agents:18101/agents/writer/mcp;p=mcp;a=none;s=Drafts marketing copy', 'the bundled order');
  t.same(parseAid(formatAid(rec)), rec, 'round trip');
  t.equal(formatAid({ i: 'g1', k: 'zKey', e: '2027-01-01T00:00:00Z', d: 'https://d.example/', s: 'S', a: 'none', p: 'mcp', u: 'https://x.example/', v: 'aid2' }),
    'v=aid2;u=https://x.example/;p=mcp;a=none;s=S;d=https://d.example/;e=2027-01-01T00:00:00Z;k=zKey;i=g1');
  t.match(bad(() => formatAid({ ...rec, s: 'a;b' })), /has ";", AID's separator/);
  t.match(bad(() => formatAid({ ...rec, s: ' padded' })), /white space at an end/);
  t.match(bad(() => formatAid({ ...rec, a: 'Bad' })), /a="Bad" is not an auth token/);
  t.match(bad(() => formatAid({ ...rec, u: `https://x.example/${'p'.repeat(240)}` })), /AID text is \d+ octets; one TXT string holds 255/);
  t.match(bad(() => formatAid({ v: 'aid2', p: 'mcp' } as AidRecord)), /no "u"/);
});

t.test('TXT wire form', async (t) => {
  const one = aidTxtRdata('v=aid2;u=https://x.example/mcp;p=mcp');
  t.equal(one[0], one.length - 1, 'one character-string');
  t.same(aidFromTxt(one), { v: 'aid2', u: 'https://x.example/mcp', p: 'mcp' });
  const split = Buffer.concat([Buffer.from([12]), Buffer.from('v=aid2;u=htt'), Buffer.from([24]), Buffer.from('ps://x.example/mcp;p=mcp')]);
  t.same(aidFromTxt(split), { v: 'aid2', u: 'https://x.example/mcp', p: 'mcp' }, 'strings joined in order (AID 2.1)');
  t.same(txtStrings(split).map((b) => b.toString()), ['v=aid2;u=htt', 'ps://x.example/mcp;p=mcp']);
  t.match(bad(() => aidFromTxt(Buffer.from([9, 0x76]))), /runs past the end/);
  t.match(bad(() => aidFromTxt(Buffer.alloc(0))), /TXT RDATA is empty/);
  t.match(bad(() => aidFromTxt(Buffer.from([2, 0xc3, 0x28]))), /not UTF-8/);
  t.match(bad(() => aidTxtRdata('x'.repeat(256))), /256 octets/);
});

t.test('the description for s=', async (t) => {
  t.same(aidDescription('Drafts marketing copy'), { s: 'Drafts marketing copy', shortened: false });
  t.same(aidDescription('a;b'), { s: 'a,b', shortened: true });
  t.same(aidDescription('x'.repeat(70)), { s: 'x'.repeat(60), shortened: true }, 'one long word: cut at 60');
  t.same(aidDescription('Breaks a goal into a step-by-step plan with owners and due dates'), { s: 'Breaks a goal into a step-by-step plan with owners and due', shortened: true }, 'cut at a word');
  t.same(aidDescription(`${'é'.repeat(29)}xé`), { s: `${'é'.repeat(29)}x`, shortened: true }, 'never inside a UTF-8 sequence');
});
