// cardFromRecords: the URL rules of docs/records.md, skipping unusable records, every error code
// it throws, and the checks of the `_agent` TXT against the SVCB.

import t from 'tap';
import { AgentRecordError, cardFromRecords, type AgentCard } from '../../src/agent/index.js';
import { buildUrl } from '../../src/agent/url.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType } from '../../src/wire/types.js';

const ORIGIN = 'example.agents.';
const HEAD = `$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.3
`;

/** The records of a small zone holding `body`. */
function recs(body: string): RR[] {
  return [...loadZoneText(HEAD + body, { origin: ORIGIN }).records()];
}

/** A complete aop record's keys, with overrides: `{ key65322: undefined }` drops one. */
function params(over: Record<string, string | undefined> = {}): string {
  const base: Record<string, string | undefined> = {
    alpn: '"mcp"', port: '18101', key65320: '"/mcp"', key65321: '"streamable-http"', key65322: '"draft_copy"',
    key65323: '"writing,marketing"', key65324: '"Drafts marketing copy"', key65326: '"http"', key65402: '"mcp"',
    ...over,
  };
  return Object.entries(base).filter(([, v]) => v !== undefined).map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join(' ');
}

function card(body: string, name = 'writer.example.agents'): AgentCard {
  return cardFromRecords(name, recs(body), { zone: ORIGIN });
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

function thrown(fn: () => unknown): AgentRecordError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AgentRecordError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

t.test('a complete record makes a card', async (t) => {
  const c = card(`writer SVCB 1 mcp ( ${params({ key65325: '"oauth2_code"', key65400: '"https://mcp.example/card.json"' })} )
mcp A 127.0.0.1
mcp AAAA ::1
_agent.writer TXT "v=aid2;u=http://mcp.example.agents:18101/mcp;p=mcp;a=oauth2_code;s=Drafts marketing copy"
`);
  t.same(c, {
    name: 'writer.example.agents.',
    endpoints: [{
      url: 'http://mcp.example.agents:18101/mcp', target: 'mcp.example.agents.', host: 'mcp.example.agents.', port: 18101,
      path: '/mcp', transport: 'streamable-http', scheme: 'http', priority: 1, alpn: ['mcp'], addresses: ['127.0.0.1', '::1'],
    }],
    tool: 'draft_copy',
    description: 'Drafts marketing copy',
    capabilities: ['writing', 'marketing'],
    auth: 'oauth2_code',
    cap: 'https://mcp.example/card.json',
    bap: 'mcp',
    ttl: 300,
    zone: ORIGIN,
    aid: { v: 'aid2', u: 'http://mcp.example.agents:18101/mcp', p: 'mcp', a: 'oauth2_code', s: 'Drafts marketing copy' },
    warnings: [],
  });
  t.notOk('capSha256' in c, 'absent keys stay absent');
});

t.test('the name may be given without the trailing dot, in any case', async (t) => {
  const c = cardFromRecords('WRITER.Example.Agents', recs(`writer SVCB 1 mcp ( ${params()} )\n`));
  t.equal(c.endpoints.length, 1);
  t.equal(c.zone, undefined, 'no zone unless the caller says');
});

t.test('URL rules (docs/records.md, "Building the URL")', async (t) => {
  const url = (over: Record<string, string | undefined>, target = 'mcp'): string =>
    card(`writer SVCB 1 ${target} ( ${params(over)} )\n`).endpoints[0]!.url;
  t.equal(url({}), 'http://mcp.example.agents:18101/mcp', 'http with its port');
  t.equal(url({ key65326: undefined }), 'https://mcp.example.agents:18101/mcp', 'no key65326: https');
  t.equal(url({ key65326: '"https"' }), 'https://mcp.example.agents:18101/mcp', 'key65326=https');
  t.equal(url({ key65326: undefined, port: undefined }), 'https://mcp.example.agents/mcp', 'https, no port: 443, not written');
  t.equal(url({ port: undefined }), 'http://mcp.example.agents/mcp', 'http, no port: 80, not written');
  t.equal(url({ key65326: undefined, port: '443' }), 'https://mcp.example.agents/mcp', 'port=443 with https is dropped');
  t.equal(url({ port: '80' }), 'http://mcp.example.agents/mcp', 'port=80 with http is dropped');
  t.equal(url({ port: '443' }), 'http://mcp.example.agents:443/mcp', 'port=443 with http is kept');
  t.equal(url({ key65326: undefined, port: '80' }), 'https://mcp.example.agents:80/mcp', 'port=80 with https is kept');
  t.equal(url({}, 'MCP.Example.Agents.'), 'http://mcp.example.agents:18101/mcp', 'the host is lowercased');
  t.equal(url({}, '.'), 'http://writer.example.agents:18101/mcp', 'target "." is the agent name');
  t.equal(url({ key65320: '"/agents/a%20b/mcp;v=1"' }), 'http://mcp.example.agents:18101/agents/a%20b/mcp;v=1', 'path characters kept');
  const c = card(`writer SVCB 1 mcp ( ${params({ key65326: undefined, port: undefined })} )\n`);
  t.equal(c.endpoints[0]!.port, 443, 'the default port is in the card');
  t.equal(c.endpoints[0]!.scheme, 'https');
  const d = card(`writer SVCB 1 . ( ${params()} )\n`);
  t.equal(d.endpoints[0]!.target, '.', 'target kept as written');
  t.equal(d.endpoints[0]!.host, 'writer.example.agents.', 'host is the owner');

  // buildUrl, which the card uses, brackets IPv6 literals (for a connection URL by address).
  t.same(buildUrl('http', '::1', 18104, '/mcp'), { url: 'http://[::1]:18104/mcp' });
  t.same(buildUrl('https', '2001:db8::10', 443, '/mcp'), { url: 'https://[2001:db8::10]/mcp' });
  t.same(buildUrl('http', '127.0.0.1', 80, '/mcp'), { url: 'http://127.0.0.1/mcp' });
  t.same(buildUrl('https', 'mcp.acme.example.', 443, '/mcp'), { url: 'https://mcp.acme.example/mcp' });
  t.match(buildUrl('http', 'a\\032b.example.', 80, '/mcp'), { problem: /cannot be a URL host/ });
  t.match(buildUrl('http', 'mcp.example.', 80, '/a/../b'), { problem: /changes under URL parsing/ });
  t.match(buildUrl('http', 'mcp.example.', 0, '/mcp'), { problem: /port 0/ });
});

t.test('equal priorities keep record order; lower priority first', async (t) => {
  const c = card(`writer SVCB 2 b ( ${params({ port: '2' })} )
writer SVCB 1 a ( ${params({ port: '1' })} )
writer SVCB 2 c ( ${params({ port: '3' })} )
writer SVCB 1 d ( ${params({ port: '4' })} )
`);
  t.same(c.endpoints.map((e) => `${e.priority}:${e.port}`), ['1:1', '1:4', '2:2', '2:3']);
});

t.test('ERR_AGENT_NO_RECORD', async (t) => {
  t.equal(code(() => cardFromRecords('writer.example.agents.', [])), 'ERR_AGENT_NO_RECORD', 'no records at all');
  t.equal(code(() => card('_agent.writer TXT "v=aid2;u=https://x.example/mcp;p=mcp"\n')), 'ERR_AGENT_NO_RECORD', 'a TXT but no SVCB');
  t.equal(code(() => card(`editor SVCB 1 mcp ( ${params()} )\n`)), 'ERR_AGENT_NO_RECORD', 'SVCB at another name only');
  const e = thrown(() => card('writer SVCB 0 .\n'));
  t.equal(e.code, 'ERR_AGENT_NO_RECORD', 'AliasMode to "."');
  t.match(e.message, /not available/);
  t.match(thrown(() => cardFromRecords('writer.example.agents.', [])).message, 'writer.example.agents.: no SVCB record');
});

t.test('ERR_AGENT_ALIAS carries the target to follow', async (t) => {
  const e = thrown(() => card('copywriter SVCB 0 writer\n', 'copywriter.example.agents.'));
  t.equal(e.code, 'ERR_AGENT_ALIAS');
  t.equal(e.target, 'writer.example.agents.');
  // ServiceMode records beside AliasMode are ignored (docs/records.md).
  const f = thrown(() => card(`copywriter SVCB 0 writer\ncopywriter SVCB 1 mcp ( ${params()} )\n`, 'copywriter.example.agents.'));
  t.equal(f.code, 'ERR_AGENT_ALIAS');
});

t.test('ERR_AGENT_BAD_RECORD names the record and what is wrong', async (t) => {
  const e = thrown(() => card(`writer SVCB 1 mcp ( ${params({ key65322: undefined })} )\n`));
  t.equal(e.code, 'ERR_AGENT_BAD_RECORD');
  t.equal(e.message, 'writer.example.agents. SVCB 1: missing key65322 (tool)');
  t.same(e.problems, [{ owner: 'writer.example.agents.', priority: 1, target: 'mcp.example.agents.', reasons: ['missing key65322 (tool)'], label: 'writer.example.agents. SVCB 1' }]);

  const two = thrown(() => card(`writer SVCB 1 a ( ${params({ key65321: '"websocket"' })} )\nwriter SVCB 1 b ( ${params({ alpn: '"h2"' })} )\n`));
  t.equal(two.code, 'ERR_AGENT_BAD_RECORD');
  t.equal(two.message, 'no usable SVCB record at writer.example.agents.: '
    + 'writer.example.agents. SVCB 1 a.example.agents.: bad key65321 (transport) "websocket": not "streamable-http" or "sse" | '
    + 'writer.example.agents. SVCB 1 b.example.agents.: alpn "h2" lacks "mcp"', 'equal priorities: the target tells them apart');
  t.equal(two.problems.length, 2);
});

t.test('what makes a record unusable (docs/records.md, "The keys")', async (t) => {
  const cases: Array<[string, Record<string, string | undefined>, RegExp, string?]> = [
    ['no alpn', { alpn: undefined }, /no alpn \(it must contain "mcp"\)/],
    ['alpn without mcp', { alpn: '"h2,http/1.1"' }, /alpn "h2,http\/1.1" lacks "mcp"/],
    ['missing path', { key65320: undefined }, /missing key65320 \(path\)/],
    ['path without /', { key65320: '"mcp"' }, /bad key65320 \(path\) "mcp": does not start with "\/"/],
    ['path with a query', { key65320: '"/mcp?x=1"' }, /query or fragment/],
    ['path with a space', { key65320: '"/a b"' }, /RFC 3986/],
    ['path with ..', { key65320: '"/a/../b"' }, /"\.\." segment/],
    ['path too long', { key65320: `"/${'a'.repeat(255)}"` }, /over 255 octets/],
    ['missing transport', { key65321: undefined }, /missing key65321 \(transport\)/],
    ['bad transport', { key65321: '"stdio"' }, /bad key65321 \(transport\) "stdio"/],
    ['missing tool', { key65322: undefined }, /missing key65322 \(tool\)/],
    ['bad tool', { key65322: '"draft copy"' }, /bad key65322 \(tool\)/],
    ['tool too long', { key65322: `"${'t'.repeat(129)}"` }, /over 128 characters/],
    ['empty tool', { key65322: '""' }, /bad key65322 \(tool\) "": empty/],
    ['bad capabilities', { key65323: '"Writing"' }, /bad key65323 \(capabilities\)/],
    ['duplicate capability', { key65323: '"a,b,a"' }, /twice/],
    ['empty capability item', { key65323: '"a,,b"' }, /empty item/],
    ['description too long', { key65324: `"${'d'.repeat(101)}"` }, /101 octets \(limit 100\)/],
    ['description not UTF-8', { key65324: '"caf\\233"' }, /not UTF-8/],
    ['description with a control character', { key65324: '"a\\009b"' }, /control characters/],
    ['bad auth', { key65325: '"OAuth2"' }, /bad key65325 \(auth\)/],
    ['bad scheme', { key65326: '"ftp"' }, /bad key65326 \(scheme\) "ftp": not "https" or "http"/],
    ['port 0', { port: '0' }, /port 0/],
    ['mandatory with a key aop does not implement', { mandatory: 'ech', ech: '"AAAA"' }, /mandatory lists ech, which aop does not implement/],
  ];
  for (const [what, over, re] of cases) {
    const e = thrown(() => card(`writer SVCB 1 mcp ( ${params(over)} )\n`));
    t.equal(e.code, 'ERR_AGENT_BAD_RECORD', what);
    t.match(e.message, re, what);
  }
  const ip = thrown(() => card(`writer SVCB 1 127.0.0.1. ( ${params()} )\n`));
  t.match(ip.message, /reads as an IP address/, 'a target that reads as an IPv4 address');
  const num = thrown(() => card(`writer SVCB 1 mcp.123. ( ${params()} )\n`));
  t.match(num.message, /cannot be a URL host/, 'a target the URL parser refuses (last label numeric)');
  const several = thrown(() => card(`writer SVCB 1 mcp ( ${params({ key65322: undefined, key65321: undefined })} )\n`));
  t.equal(several.message, 'writer.example.agents. SVCB 1: missing key65321 (transport); missing key65322 (tool)', 'every fault listed');
});

t.test('what does not make a record unusable', async (t) => {
  const ok = (over: Record<string, string | undefined>): AgentCard => card(`writer SVCB 1 mcp ( ${params(over)} )\n`);
  t.same(ok({ key65323: undefined, key65324: undefined, key65402: undefined }).capabilities, [], 'recommended keys may be missing');
  t.equal(ok({ key65409: '"x"', key65000: '"y"' }).tool, 'draft_copy', 'unknown keys are ignored');
  t.equal(ok({ ipv4hint: '192.0.2.1', ipv6hint: '2001:db8::1' }).tool, 'draft_copy', 'hints are allowed and ignored');
  t.equal(ok({ mandatory: 'alpn,port' }).tool, 'draft_copy', 'mandatory with keys aop implements');
  const priv = ok({ mandatory: 'key65322' });
  t.match(priv.warnings, [/mandatory lists private keys \(key65322 \(tool\)\): clients other than aop drop this record/]);
  t.equal(ok({ key65324: '"Caf\\195\\169 \\"quoted\\" text"' }).description, 'Café "quoted" text', 'UTF-8 and escapes in the description');
  const badCap = ok({ key65400: '"not a uri"', key65401: '"short"' });
  t.equal(badCap.cap, undefined, 'a bad cap is dropped');
  t.match(badCap.warnings, [/ignored key65400 \(cap\) "not a uri"/, /ignored key65401 \(cap-sha256\)/]);
  const sha = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';
  t.equal(ok({ key65401: `"${sha}"` }).capSha256, sha);
  t.equal(ok({ key65402: '"mcp=2.1"' }).bap, 'mcp', 'bap: the token before "="');
  t.equal(ok({ key65402: '"mcp/1"' }).bap, 'mcp', 'bap: the token before "/"');
  t.match(ok({ key65402: '"a2a"' }).warnings, [/key65402 \(bap\) says "a2a", not "mcp"/]);
  t.same(ok({ alpn: '"mcp,h2,http/1.1"', key65326: undefined, port: '443' }).endpoints[0]!.alpn, ['mcp', 'h2', 'http/1.1']);
  t.equal(ok({ key65321: '"sse"' }).endpoints[0]!.transport, 'sse');
});

t.test('an unusable record in a set is skipped with a warning', async (t) => {
  const c = card(`writer SVCB 1 mcp ( ${params({ key65320: undefined })} )
writer SVCB 2 backup ( ${params({ port: '18102' })} )
`);
  t.same(c.endpoints.map((e) => e.url), ['http://backup.example.agents:18102/mcp']);
  t.same(c.warnings, ['writer.example.agents. SVCB 1: skipped: missing key65320 (path)']);
});

t.test('a record with malformed RDATA is skipped', async (t) => {
  const good = recs(`writer SVCB 2 backup ( ${params({ port: '18102' })} )\n`).filter((r) => r.type === RRType.SVCB);
  const broken: RR = { ...good[0]!, rdata: Buffer.from([0, 1, 3, 0x61]) };
  const c = cardFromRecords('writer.example.agents.', [broken, ...good]);
  t.equal(c.endpoints.length, 1);
  t.match(c.warnings, [/^writer\.example\.agents\. SVCB 1: skipped: malformed RDATA/]);
  const e = thrown(() => cardFromRecords('writer.example.agents.', [broken]));
  t.equal(e.code, 'ERR_AGENT_BAD_RECORD');
  const empty = thrown(() => cardFromRecords('writer.example.agents.', [{ ...broken, rdata: Buffer.alloc(1) }]));
  t.match(empty.message, /SVCB \?: malformed RDATA/, 'not even a priority');
});

t.test('one tool per agent: a record with another tool is skipped', async (t) => {
  const c = card(`writer SVCB 1 a ( ${params()} )\nwriter SVCB 2 b ( ${params({ key65322: '"other"' })} )\n`);
  t.equal(c.endpoints.length, 1);
  t.match(c.warnings, [/SVCB 2: skipped: key65322 \(tool\) "other" differs from writer\.example\.agents\. SVCB 1's "draft_copy"/]);
  const d = card(`writer SVCB 1 a ( ${params()} )\nwriter SVCB 2 b ( ${params({ key65324: '"Other words"', key65325: '"none"' })} )\n`);
  t.equal(d.endpoints.length, 2, 'other differences keep the record');
  t.equal(d.description, 'Drafts marketing copy', 'the preferred record wins');
  t.match(d.warnings, [/SVCB 2: key65324 \(description\), key65325 \(auth\) differ from writer\.example\.agents\. SVCB 1; the card takes/]);
});

t.test('ttl, class and addresses', async (t) => {
  const all = recs(`writer 60 SVCB 1 mcp ( ${params()} )\nmcp A 127.0.0.1\nmcp A 127.0.0.2\nother A 127.0.0.9\n`);
  const c = cardFromRecords('writer.example.agents.', all);
  t.equal(c.ttl, 60);
  t.same(c.endpoints[0]!.addresses, ['127.0.0.1', '127.0.0.2']);
  const chaos = all.map((r) => (r.type === RRType.SVCB ? { ...r, class: 3 } : r));
  t.equal(code(() => cardFromRecords('writer.example.agents.', chaos)), 'ERR_AGENT_NO_RECORD', 'class CH records are not used');
  const noAddr = cardFromRecords('writer.example.agents.', all.filter((r) => r.type === RRType.SVCB));
  t.notOk('addresses' in noAddr.endpoints[0]!, 'addresses absent when not given');
});

t.test('the _agent TXT is checked against the SVCB, which wins', async (t) => {
  const svcbs = `writer SVCB 1 a ( ${params({ key65325: '"none"' })} )\nwriter SVCB 1 b ( ${params({ key65325: '"none"', port: '18102' })} )\nwriter SVCB 2 c ( ${params({ key65325: '"none"', port: '18103' })} )\n`;
  const withTxt = (txt: string): AgentCard => card(`${svcbs}_agent.writer TXT ${txt}\n`);
  const one = (warnings: string[], re: RegExp, msg?: string): void => {
    t.equal(warnings.length, 1, msg ?? `one warning: ${re}`);
    t.match(warnings[0], re, msg ?? String(re));
  };
  t.same(withTxt('"v=aid2;u=http://a.example.agents:18101/mcp;p=mcp;a=none;s=Drafts marketing copy"').warnings, [], 'agrees');
  t.same(withTxt('"v=aid2;u=http://b.example.agents:18102/mcp;p=mcp;a=none;s=Drafts marketing copy"').warnings, [], 'either priority-1 URL will do');
  t.same(withTxt('"v=aid2;u=HTTP://B.example.agents:18102/mcp;p=mcp;a=none;s=Drafts marketing copy"').warnings, [], 'URLs compared normalised');
  one(withTxt('"v=aid2;u=http://c.example.agents:18103/mcp;p=mcp;a=none;s=Drafts marketing copy"').warnings, /u=http:\/\/c\.example\.agents:18103\/mcp is not the URL of a priority-1 endpoint .*; the SVCB wins/);
  one(withTxt('"v=aid2;u=http://a.example.agents:18101/mcp;p=mcp;s=Drafts marketing copy"').warnings, /a=\(none\) but key65325 \(auth\) is none/);
  one(withTxt('"v=aid2;u=http://a.example.agents:18101/mcp;p=mcp;a=none;s=Drafts"').warnings, /s="Drafts" but the description is "Drafts marketing copy"/);
  one(withTxt('"v=aid2;u=http://a.example.agents:18101/mcp;p=a2a;a=none;s=Drafts marketing copy"').warnings, /p=a2a, not mcp/);
  one(withTxt('"v=aid2;u=http://a.example.agents:18101/mcp;" "p=mcp;a=none;s=Drafts marketing copy"').warnings, /2 character-strings/, 'strings are joined');
  const broken = withTxt('"v=aid3;u=http://a.example.agents:18101/mcp;p=mcp"');
  t.match(broken.warnings, [/_agent\.writer\.example\.agents\. TXT: not a valid AID record \(AID v="aid3" is not aid2 or aid1\)/]);
  t.equal(broken.aid, undefined);
  t.equal(withTxt('"v=aid1;u=http://a.example.agents:18101/mcp;p=mcp;a=none;s=Drafts marketing copy"').aid?.v, 'aid1', 'a legacy aid1 record alone is read');
  const pair = card(`${svcbs}_agent.writer TXT "v=aid1;u=http://c.example.agents:18103/mcp;p=mcp"\n_agent.writer TXT "v=aid2;u=http://a.example.agents:18101/mcp;p=mcp;a=none;s=Drafts marketing copy"\n`);
  t.equal(pair.aid?.v, 'aid2', 'of an aid1 + aid2 pair, the aid2 record is read (as AID 2.x does)');
  t.same(pair.warnings, [], 'the aid1 record of a pair is not compared');
  const two = card(`${svcbs}_agent.writer TXT "v=aid2;u=http://a.example.agents:18101/mcp;p=mcp;a=none"\n_agent.writer TXT "v=aid2;u=http://b.example.agents:18102/mcp;p=mcp;a=none"\n`);
  t.match(two.warnings, [/2 valid aid2 records; AID clients refuse the name as ambiguous/]);
  const spf = card(`${svcbs}_agent.writer TXT "v=aid2;u=http://a.example.agents:18101/mcp;p=mcp;a=none;s=Drafts marketing copy"\n_agent.writer TXT "hello"\n`);
  t.equal(spf.aid?.u, 'http://a.example.agents:18101/mcp', 'one valid record among others is used');
  t.equal(spf.warnings.length, 1, 'the other TXT is reported');
  const long = card(`writer SVCB 1 a ( ${params({ key65324: '"A description that is longer than the sixty octets AID allows for s"' })} )
_agent.writer TXT "v=aid2;u=http://a.example.agents:18101/mcp;p=mcp;s=A description that is longer than the sixty octets AID"
`);
  t.same(long.warnings, [], 'a long description may be shortened in s=');
});
