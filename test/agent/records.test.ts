// recordsFromCard: card -> zone text -> our loader (and BIND) -> cardFromRecords gives the card
// back; the text style; ERR_AGENT_BAD_CARD for what cannot be written; endpointFromUrl.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AgentRecordError, cardFromRecords, endpointFromUrl, recordsFromCard, zoneLine,
  type AgentCard, type AgentEndpoint, type RecordsOptions,
} from '../../src/agent/index.js';
import { loadZoneText, zoneToText } from '../../src/zone/load.js';
import { rdataToText } from '../../src/wire/rdata.js';
import { RRType } from '../../src/wire/types.js';
import { requireTool, run } from '../helpers/peers.js';

const ORIGIN = 'example.agents.';
const HEAD = `$ORIGIN ${ORIGIN}
$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.3
mcp A 127.0.0.1
lab A 127.0.0.1
lab AAAA ::1
`;

function endpoint(over: Partial<AgentEndpoint> = {}): AgentEndpoint {
  const e = endpointFromUrl('http://mcp.example.agents:18101/mcp');
  return { ...e, ...over };
}

function baseCard(over: Partial<AgentCard> = {}): AgentCard {
  return {
    name: 'writer.example.agents.',
    endpoints: [endpoint()],
    tool: 'draft_copy',
    description: 'Drafts marketing copy',
    capabilities: ['writing', 'marketing'],
    bap: 'mcp',
    ttl: 300,
    zone: ORIGIN,
    warnings: [],
    ...over,
  };
}

/** The zone a card's records make, loaded by our loader, and the card read back from it. */
function roundTrip(card: AgentCard, opts: RecordsOptions = { defaultTtl: 300 }): { text: string; back: AgentCard } {
  const out = recordsFromCard(card, opts);
  const text = HEAD + out.text + out.indexLine + '\n';
  const zone = loadZoneText(text, { origin: ORIGIN });
  const back = cardFromRecords(card.name, [...zone.records()], { zone: ORIGIN });
  // The zone's records are exactly the RRs recordsFromCard returned.
  for (const rr of out.records) {
    const set = zone.rrset(rr.name, rr.type);
    if (!set || !set.rdata.some((d) => d.equals(rr.rdata)) || set.ttl !== rr.ttl) throw new Error(`${rr.name} ${rr.type} not in the zone as returned`);
  }
  return { text, back };
}

/** A card as it comes back: the same, plus what reading adds (addresses from the zone, the AID). */
function withoutReadOnly(c: AgentCard): unknown {
  const { warnings: _w, aid: _a, ...rest } = c;
  return { ...rest, endpoints: c.endpoints.map(({ addresses: _x, weight: _y, ...e }) => e) };
}

const CARDS: Array<[string, AgentCard]> = [
  ['plain http on loopback', baseCard()],
  ['failover and load sharing', baseCard({
    endpoints: [
      endpoint({ priority: 1 }),
      endpoint({ ...endpointFromUrl('http://lab.example.agents:18102/mcp'), priority: 1 }),
      endpoint({ ...endpointFromUrl('http://mcp.example.agents:18103/mcp'), priority: 2 }),
    ],
  })],
  ['https, default port, the DNS-AID keys, an auth hint', baseCard({
    endpoints: [endpointFromUrl('https://mcp.example.agents/agents/writer/mcp')],
    auth: 'oauth2_code',
    cap: 'https://mcp.example.agents/.well-known/mcp/server-card.json',
    capSha256: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
  })],
  ['sse, no description, no capabilities, no bap', (() => {
    const c = baseCard({ endpoints: [endpoint({ transport: 'sse' })], capabilities: [] });
    delete c.description;
    delete c.bap;
    return c;
  })()],
  ['non-ASCII and quotes in the description', baseCard({ description: 'Écrit des "brouillons" \\ vite' })],
  ['a long description (shortened in the TXT)', baseCard({ description: 'Drafts marketing copy for every channel the team publishes on, fast' })],
  ['a TTL other than $TTL', baseCard({ ttl: 60 })],
  ['an agent at the zone apex', baseCard({ name: ORIGIN })],
];

t.test('card -> records -> zone -> card', async (t) => {
  for (const [what, card] of CARDS) {
    const { back } = roundTrip(card);
    t.same(withoutReadOnly(back), withoutReadOnly(card), what);
    t.ok(back.aid !== undefined, `${what}: the TXT is a valid AID record`);
    t.same(back.warnings, [], `${what}: the records agree with each other`);
  }
});

t.test('a "." target carries its addresses beside the SVCB', async (t) => {
  const card = baseCard({
    name: 'summarizer.example.agents.',
    endpoints: [{ ...endpointFromUrl('http://summarizer.example.agents:18107/mcp'), target: '.', addresses: ['::1', '127.0.0.1'] }],
  });
  const out = recordsFromCard(card, { defaultTtl: 300 });
  t.equal(out.text, [
    'summarizer       IN SVCB  1 . (',
    '                          alpn="mcp" port=18107 key65320="/mcp"',
    '                          key65321="streamable-http" key65322="draft_copy"',
    '                          key65323="writing,marketing" key65324="Drafts marketing copy"',
    '                          key65326="http" key65402="mcp" )',
    '                 IN A     127.0.0.1',
    '                 IN AAAA  ::1',
    '_agent.summarizer IN TXT  "v=aid2;u=http://summarizer.example.agents:18107/mcp;p=mcp;s=Drafts marketing copy"',
    '',
  ].join('\n'));
  const { back } = roundTrip(card);
  t.same(back.endpoints[0]!.addresses, ['127.0.0.1', '::1']);
});

t.test('text details', async (t) => {
  const ttl = recordsFromCard(baseCard({ ttl: 60 }), { defaultTtl: 300 });
  t.match(ttl.text, /^writer           60 IN SVCB 1 mcp\.example\.agents\. \($/m, 'a TTL other than the default is written');
  t.match(ttl.text, /^_agent\.writer    60 IN TXT "v=aid2/m);
  t.equal(ttl.indexLine, '_index._agents   60 IN PTR writer.example.agents.');
  const noDefault = recordsFromCard(baseCard(), {});
  t.match(noDefault.text, /^writer           300 IN SVCB/m, 'no defaultTtl: the TTL is written');
  const apex = recordsFromCard(baseCard({ name: ORIGIN }), { defaultTtl: 300 });
  t.match(apex.text, /^@                IN SVCB  1/m);
  t.match(apex.text, /^_agent           IN TXT   "v=aid2/m);
  const escaped = recordsFromCard(baseCard({ description: 'Écrit des "brouillons" \\ vite' }), { defaultTtl: 300 });
  t.match(escaped.text, /key65324="\\195\\137crit des \\"brouillons\\" \\\\ vite"/, 'non-ASCII as \\DDD, " and \\ escaped');
  const long = recordsFromCard(baseCard({ description: 'Drafts marketing copy for every channel the team publishes on, fast' }), { defaultTtl: 300 });
  t.match(long.text, /;s=Drafts marketing copy for every channel the team publishes"/, 's= cut to 60 octets at a character');
  t.match(long.warnings, [/description shortened to "Drafts marketing copy for every channel the team publishes"/]);
  const semi = recordsFromCard(baseCard({ description: 'Drafts; edits' }), { defaultTtl: 300 });
  t.match(semi.text, /;s=Drafts, edits"/, '";" in s= becomes ","');
  const https = recordsFromCard(baseCard({ endpoints: [endpointFromUrl('https://mcp.example.agents/mcp')] }), { defaultTtl: 300 });
  t.match(https.text, /alpn="mcp,h2,http\/1\.1" port=443 key65320="\/mcp"/, 'https: alpn ids, port written');
  t.notMatch(https.text, /key65326/, 'https is the default: no key65326');
  const other = recordsFromCard(baseCard({ name: 'writer.sub.example.agents.' }), { defaultTtl: 300, organisation: 'sub.example.agents.' });
  t.equal(other.indexLine, '_index._agents.sub IN PTR writer.sub.example.agents.', 'an organisation below the origin');
  t.equal(zoneLine('', 'A', '127.0.0.1'), '                 IN A     127.0.0.1');
  t.equal(zoneLine('a-very-long-owner-name', 'TXT', '"x"'), 'a-very-long-owner-name IN TXT "x"');
  const many = recordsFromCard(baseCard({ endpoints: [1, 2, 3, 4, 5].map((p) => endpoint({ ...endpointFromUrl(`http://mcp.example.agents:1810${p}/mcp`), priority: p })) }), { defaultTtl: 300 });
  t.match(many.warnings, [/5 endpoints; docs\/records\.md keeps agents to 4/]);
});

t.test('AID fields beyond u, p, a, s are kept from card.aid', async (t) => {
  const card = baseCard({ aid: { v: 'aid2', u: 'ignored:x', p: 'mcp', d: 'https://docs.example/agent', e: '2027-01-01T00:00:00Z' } });
  const { back } = roundTrip(card);
  t.same(back.aid, { v: 'aid2', u: 'http://mcp.example.agents:18101/mcp', p: 'mcp', s: 'Drafts marketing copy', d: 'https://docs.example/agent', e: '2027-01-01T00:00:00Z' });
});

t.test('ERR_AGENT_BAD_CARD', async (t) => {
  const cases: Array<[string, AgentCard, RecordsOptions, RegExp]> = [
    ['no origin', baseCard({ zone: undefined as unknown as string }), {}, /no zone origin/],
    ['name outside the zone', baseCard({ name: 'writer.other.agents.' }), {}, /not inside the organisation example\.agents\./],
    ['name outside the zone, org given', baseCard({ name: 'writer.other.agents.' }), { organisation: 'other.agents.' }, /not inside the zone example\.agents\./],
    ['bad name', baseCard({ name: 'a..b.' }), {}, /agent name "a\.\.b\.": empty label/],
    ['bad ttl', baseCard({ ttl: -1 }), {}, /ttl -1/],
    ['bad tool', baseCard({ tool: 'draft copy' }), {}, /tool "draft copy"/],
    ['bad capabilities', baseCard({ capabilities: ['Writing'] }), {}, /capabilities "Writing"/],
    ['bad description', baseCard({ description: 'x'.repeat(101) }), {}, /description .*101 octets/],
    ['bad auth', baseCard({ auth: 'OAuth' }), {}, /auth "OAuth"/],
    ['bad cap', baseCard({ cap: 'not a uri' }), {}, /key65400 \(cap\) "not a uri"/],
    ['bad cap-sha256', baseCard({ capSha256: 'abc' }), {}, /key65401 \(cap-sha256\)/],
    ['bad bap', baseCard({ bap: 'mcp=2' }), {}, /key65402 \(bap\) "mcp=2" is not a protocol token/],
    ['no endpoints', baseCard({ endpoints: [] }), {}, /no endpoints/],
    ['priority 0', baseCard({ endpoints: [endpoint({ priority: 0 })] }), {}, /priority 0 is not 1-65535 \(0 is AliasMode\)/],
    ['port 0', baseCard({ endpoints: [endpoint({ port: 0, url: 'http://mcp.example.agents:0/mcp' })] }), {}, /port 0 is not 1-65535/],
    ['alpn without mcp', baseCard({ endpoints: [endpoint({ alpn: ['h2'] })] }), {}, /alpn "h2" lacks "mcp"/],
    ['alpn id with a comma', baseCard({ endpoints: [endpoint({ alpn: ['mcp', 'a,b'] })] }), {}, /ALPN id "a,b"/],
    ['alpn repeated', baseCard({ endpoints: [endpoint({ alpn: ['mcp', 'mcp'] })] }), {}, /alpn lists an id twice/],
    ['bad path', baseCard({ endpoints: [endpoint({ path: 'mcp', url: 'http://mcp.example.agents:18101/mcp' })] }), {}, /path "mcp": does not start/],
    ['bad transport', baseCard({ endpoints: [endpoint({ transport: 'ws' as 'sse' })] }), {}, /transport "ws"/],
    ['bad scheme', baseCard({ endpoints: [endpoint({ scheme: 'ftp' as 'http' })] }), {}, /scheme "ftp"/],
    ['url disagrees with the parts', baseCard({ endpoints: [endpoint({ url: 'http://mcp.example.agents:9/mcp' })] }), {}, /url http:\/\/mcp\.example\.agents:9\/mcp does not match its parts \(http:\/\/mcp\.example\.agents:18101\/mcp\)/],
    ['host disagrees with the target', baseCard({ endpoints: [endpoint({ host: 'lab.example.agents.' })] }), {}, /host lab\.example\.agents\. does not match target/],
    ['an IP address as target', baseCard({ endpoints: [endpoint({ target: '127.0.0.1.', host: '127.0.0.1.' })] }), {}, /reads as an IP address/],
    ['bad address', baseCard({ endpoints: [endpoint({ addresses: ['localhost'] })] }), {}, /address "localhost"/],
    ['the same endpoint twice', baseCard({ endpoints: [endpoint(), endpoint()] }), {}, /endpoints 1 and 2 are the same record/],
  ];
  for (const [what, card, opts, re] of cases) {
    try {
      recordsFromCard(card, opts);
      t.fail(`${what}: did not throw`);
    } catch (e) {
      t.ok(e instanceof AgentRecordError, what);
      t.equal((e as AgentRecordError).code, 'ERR_AGENT_BAD_CARD', what);
      t.match((e as Error).message, re, what);
    }
  }
});

t.test('endpointFromUrl', async (t) => {
  t.same(endpointFromUrl('http://MCP.acme.agents:18101/agents/writer/mcp'), {
    url: 'http://mcp.acme.agents:18101/agents/writer/mcp', target: 'mcp.acme.agents.', host: 'mcp.acme.agents.',
    port: 18101, path: '/agents/writer/mcp', transport: 'streamable-http', scheme: 'http', priority: 1, alpn: ['mcp'],
  });
  const e = endpointFromUrl('https://mcp.acme.example/mcp', { priority: 2, transport: 'sse', alpn: ['mcp', 'h2'], weight: 3 });
  t.match(e, { url: 'https://mcp.acme.example/mcp', port: 443, scheme: 'https', priority: 2, transport: 'sse', alpn: ['mcp', 'h2'], weight: 3 });
  t.equal(endpointFromUrl('http://a.example').path, '/', 'an empty path is "/"');
  for (const [url, re] of [
    ['not a url', /is not a URL/],
    ['ftp://a.example/mcp', /scheme "ftp"/],
    ['http://u:p@a.example/mcp', /user info/],
    ['http://a.example/mcp?x=1', /query or fragment/],
    ['http://a.example/mcp#x', /query or fragment/],
    ['http://127.0.0.1:8000/mcp', /IP address as host/],
    ['http://[::1]:8000/mcp', /IP address as host/],
  ] as const) {
    try {
      endpointFromUrl(url);
      t.fail(`${url}: did not throw`);
    } catch (err) {
      t.equal((err as AgentRecordError).code, 'ERR_AGENT_BAD_CARD', url);
      t.match((err as Error).message, re, url);
    }
  }
});

t.test('BIND reads the records as we wrote them', async (t) => {
  if (!requireTool(t, 'named-checkzone', 'bind9-utils') || !requireTool(t, 'named-compilezone', 'bind9-utils')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-agent-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let text = HEAD;
  const cards = CARDS.filter(([what]) => what !== 'an agent at the zone apex').map(([, c], i) => ({ ...c, name: `a${i}.example.agents.` }));
  for (const card of cards) {
    const out = recordsFromCard(card, { defaultTtl: 300 });
    text += out.text + out.indexLine + '\n';
  }
  const file = path.join(dir, 'example.agents.zone');
  writeFileSync(file, text);
  const check = await run('named-checkzone', ['-i', 'local', '-k', 'fail', ORIGIN, file]);
  t.equal(check.code, 0, `named-checkzone accepts the records: ${check.stdout}${check.stderr}`);
  const compiled = await run('named-compilezone', ['-k', 'ignore', '-o', '-', ORIGIN, file]);
  t.equal(compiled.code, 0, 'named-compilezone reads them');
  const ours = zoneToText(loadZoneText(text, { origin: ORIGIN }));
  const norm = (s: string): string[] => s.trim().split('\n').filter((l) => /\sIN\s+(SVCB|TXT|PTR)\s/.test(l)).map((l) => l.replace(/\s+/g, ' ')).sort();
  t.same(norm(ours), norm(compiled.stdout), 'our canonical text of the SVCB, TXT and PTR records is BIND\'s');
  // And each RR recordsFromCard returned prints the same through our codec.
  const first = recordsFromCard(cards[0]!, { defaultTtl: 300 });
  t.match(rdataToText(RRType.SVCB, first.svcb[0]!.rdata), /^1 mcp\.example\.agents\. alpn="mcp" port=18101 key65320="\/mcp"/);
});
