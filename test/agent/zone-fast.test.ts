// The zone check's fast path (src/agent/zone-fast.ts) against the full check: checkAgentZone
// gives the identical fault list (codes, severities, messages, records, order) with and without
// it, on random zones of agents, valid and broken in every way the check knows (the value rules
// of every key, targets, ports, mandatory, aliases, the `_agent` TXT, the index, cuts, case,
// escapes), on whole zones and on the few names an UPDATE touches; and the fast path does say
// yes for most valid agents, so it is not only ever falling back.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { checkAgentZone, type AgentZoneFault, type AgentZoneView } from '../../src/agent/index.js';
import { aidFine, fastCache, svcbFine } from '../../src/agent/zone-fast.js';
import { readSvcb, writeSvcb } from '../../src/agent/svcb.js';
import { loadZoneText, ZoneLoadError } from '../../src/zone/load.js';
import { Zone } from '../../src/zone/zone.js';
import type { RR } from '../../src/wire/rr.js';
import { nameKey } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';
import { rng } from '../helpers/rng.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ORIGIN = 'x.agents.';


const show = (faults: AgentZoneFault[]): string[] =>
  faults.map((f) => [f.severity, f.code, f.owner, f.type, f.rdata?.toString('hex') ?? '-', f.message, f.file ?? '', f.line ?? '', f.col ?? ''].join(' | '));

const HEAD = [
  `$ORIGIN ${ORIGIN}`, '$TTL 300',
  '@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300', '@ 3600 IN NS ns1', 'ns1 IN A 127.0.0.3',
  'mcp IN A 127.0.0.1', 'v6 IN AAAA ::1', 'cn IN CNAME mcp', 'Up IN A 127.0.0.2', 'host_u IN A 127.0.0.4', 'xn--bcher-kva IN A 127.0.0.5',
  'sub IN NS ns.sub', 'ns.sub IN A 127.0.0.9', '',
].join('\n');

// Targets: with addresses, a CNAME, without any, outside, below the cut, address-like, escaped, odd hosts.
const TARGETS = [
  'mcp.x.agents.', 'mcp.x.agents.', 'mcp.x.agents.', 'MCP.x.agents.', 'v6.x.agents.', 'cn.x.agents.', 'up.x.agents.', '.', '.',
  'lab.x.agents.', 'mcp.elsewhere.example.', 'h.sub.x.agents.', '127.0.0.1.', 'host_u.x.agents.', 'xn--bcher-kva.x.agents.',
  'a\\.b.x.agents.', 'a.1.', '0x7f.1.', 'xn--a.x.agents.', 'ns1.x.agents.',
];
const PATHS = [
  '/mcp', '/mcp', '/agents/agent0000001/mcp', '/', '//dbl', '/~u/x-y_z.v', "/it's", '/a:b@c!$&()*+,=', '/x;y=z', '/a.', '/.a', '/a/..b',
  'no-slash', '/a/../b', '/a/./b', '/.', '/..', '/a/.', '/%2e%2e/x', '/a%2Fb', '/a%zz', '/a b', '/a?x', '/a#f', '/\\195\\169', '/a\\\\b', '/a|b', '/a^b',
  '/a`b', '/a{b}', '/a<b>', '/' + 'p'.repeat(254), '/' + 'p'.repeat(255), '',
];
const TRANSPORTS = ['streamable-http', 'streamable-http', 'sse', 'SSE', 'carrier-pigeon', '', 'streamable-http '];
const TOOLS = ['t', 'draft', 'a.b-c_d', 'T', 'bad tool', '', 'x'.repeat(128), 'x'.repeat(129), 'tool/1', 'caf\\195\\169'];
const CAPS = ['writing', 'bench,generated', 'a,b', 'Bad', 'a,a', 'a,,b', '', ',a', 'a-b,c0', 'x'.repeat(64), '-a'];
const DESCS = [
  'Drafts copy', 'Benchmark agent 7', 'has;semi', ' leading', 'trailing ', 'd'.repeat(60), 'd'.repeat(61), 'word '.repeat(14) + 'end', 'd'.repeat(101), 'd'.repeat(100),
  'caf\\195\\169 au lait', '\\195\\169', 'bad\\001ctl', 'bad\\127del', '', 'bad\\255utf', 'tab\\009in', 'x;y',
];
const AUTHS = ['none', 'oauth2_code', 'apikey', 'Bad', '', 'a'.repeat(33), 'a-b'];
const SCHEMES = ['http', 'https', 'ftp', 'HTTP', ''];
const CAPURIS = ['https://x.example/cap.json', 'urn:x:y', 'not a uri', 'nocolon', 'https://'];
const SHAS = ['A'.repeat(43), 'short', 'A'.repeat(42) + '='];
const BAPS = ['mcp', 'mcp/1', 'mcp=2.1', 'a2a', '!!', 'MCP', ''];
const ALPNS = ['mcp', 'mcp', 'mcp', 'h2,mcp', 'mcp,h2', 'h2', 'MCP', 'mcpx', 'h3,h2'];

interface Endpoint { priority: number; target: string; alpn?: string; port?: number; path?: string; transport?: string; tool?: string; caps?: string; desc?: string; auth?: string; scheme?: string; cap?: string; sha?: string; bap?: string; extra: string[] }

function agentText(r: () => number, owner: string, i: number, listed: string[]): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const chance = (p: number): boolean => r() < p;
  const broken = chance(0.45); // else every value is taken from the valid ones
  const ok = <T>(valid: readonly T[], all: readonly T[]): T => (broken && chance(0.25) ? pick(all) : pick(valid));
  const lines: string[] = [];
  const base: Endpoint = {
    priority: 1,
    target: ok(['mcp.x.agents.', 'MCP.x.agents.', 'v6.x.agents.', 'cn.x.agents.', '.', 'mcp.elsewhere.example.', 'host_u.x.agents.'], TARGETS),
    alpn: broken && chance(0.1) ? undefined : ok(['mcp', 'h2,mcp'], ALPNS),
    port: chance(0.2) ? undefined : ok([18000 + i, 443, 80, 65535], [0, 1, 443, 80]),
    path: broken && chance(0.08) ? undefined : ok(PATHS.slice(0, 12), PATHS),
    transport: broken && chance(0.08) ? undefined : ok(['streamable-http', 'sse'], TRANSPORTS),
    tool: broken && chance(0.08) ? undefined : ok(['t', 'draft', `tool_${i}`], TOOLS),
    caps: chance(0.4) ? undefined : ok(['writing', 'bench,generated', 'a-b,c0'], CAPS),
    desc: chance(0.3) ? undefined : ok(DESCS.slice(0, 12), DESCS),
    auth: chance(0.4) ? undefined : ok(['none', 'oauth2_code'], AUTHS),
    scheme: chance(0.3) ? undefined : ok(['http', 'https'], SCHEMES),
    cap: chance(0.85) ? undefined : ok(['https://x.example/cap.json', 'urn:x:y'], CAPURIS),
    sha: chance(0.9) ? undefined : ok(['A'.repeat(43)], SHAS),
    bap: chance(0.6) ? undefined : ok(['mcp', 'mcp/1', 'mcp=2.1'], BAPS),
    extra: [],
  };
  if (chance(0.1)) base.extra.push(pick(['key65409="x"', 'ipv4hint=127.0.0.1', 'ipv6hint=::1', 'no-default-alpn', 'key65280="y"', 'ech=AAA=']));
  if (broken && chance(0.06)) base.extra.push(pick(['mandatory=alpn', 'mandatory=key65320', 'mandatory=key65409', 'mandatory=alpn,port']));
  const eps: Endpoint[] = [base];
  const more = chance(0.25) ? 1 + Math.floor(r() * 2) : 0;
  for (let k = 0; k < more; k++) {
    const e: Endpoint = { ...base, extra: [...base.extra], priority: pick([1, 1, 2, 3]) };
    if (chance(0.5)) e.target = pick(['mcp.x.agents.', 'v6.x.agents.', '.', 'lab.x.agents.']);
    if (chance(0.3)) e.port = pick([18101, 18102, 443]);
    if (chance(0.2)) e.tool = pick(['t', 'other', e.tool ?? 't']);
    if (chance(0.15)) e.desc = pick([undefined, 'Other description', e.desc]);
    if (chance(0.15)) e.caps = pick([undefined, 'writing', e.caps]);
    if (chance(0.1)) e.auth = pick([undefined, 'apikey', e.auth]);
    if (chance(0.1)) e.bap = pick([undefined, 'mcp/1', e.bap]);
    if (chance(0.1)) e.cap = pick([undefined, 'urn:x:z', e.cap]);
    if (chance(0.1)) e.sha = pick([undefined, 'B'.repeat(43)]);
    if (chance(0.1)) e.path = pick(PATHS);
    eps.push(e);
  }
  if (broken && chance(0.06)) eps.push({ priority: 0, target: pick(['mcp.x.agents.', 'nothere.x.agents.', '.', 'a0.x.agents.']), extra: chance(0.3) ? ['alpn="mcp"'] : [] });
  if (broken && chance(0.04)) {
    eps.length = 0;
    eps.push({ priority: 0, target: pick(['a0.x.agents.', 'nothere.x.agents.', 'elsewhere.example.']), extra: [] });
  }
  for (const e of eps) {
    const p: string[] = [];
    if (e.alpn !== undefined) p.push(`alpn="${e.alpn}"`);
    if (e.port !== undefined) p.push(`port=${e.port}`);
    if (e.path !== undefined) p.push(`key65320="${e.path}"`);
    if (e.transport !== undefined) p.push(`key65321="${e.transport}"`);
    if (e.tool !== undefined) p.push(`key65322="${e.tool}"`);
    if (e.caps !== undefined) p.push(`key65323="${e.caps}"`);
    if (e.desc !== undefined) p.push(`key65324="${e.desc}"`);
    if (e.auth !== undefined) p.push(`key65325="${e.auth}"`);
    if (e.scheme !== undefined) p.push(`key65326="${e.scheme}"`);
    if (e.cap !== undefined) p.push(`key65400="${e.cap}"`);
    if (e.sha !== undefined) p.push(`key65401="${e.sha}"`);
    if (e.bap !== undefined) p.push(`key65402="${e.bap}"`);
    p.push(...e.extra);
    lines.push(`${owner} IN SVCB ${e.priority} ${e.target} ${p.join(' ')}`);
  }
  if (base.target === '.' && chance(0.8)) lines.push(`${owner} IN ${pick(['A 127.0.0.1', 'AAAA ::1'])}`);
  if (chance(0.2)) listed.push(owner);

  // The `_agent` TXT: mostly what add-agent writes, or one thing changed.
  const scheme = base.scheme === 'http' ? 'http' : 'https';
  const hostText = (base.target === '.' ? `${owner}.${ORIGIN}` : base.target).replace(/\.$/, '');
  const port = base.port ?? (scheme === 'https' ? 443 : 80);
  const u = `${scheme}://${hostText.toLowerCase()}${port === (scheme === 'https' ? 443 : 80) ? '' : `:${port}`}${base.path ?? '/mcp'}`;
  const fields: string[] = ['v=aid2', `u=${u}`, 'p=mcp'];
  if (base.auth !== undefined) fields.push(`a=${base.auth}`);
  if (base.desc !== undefined && !chance(0.1)) fields.push(`s=${base.desc.replace(/;/g, ',').slice(0, 60).trim()}`);
  const tb = broken || chance(0.15);
  if (tb && chance(0.5)) {
    const m = pick([
      () => { fields[1] = `u=${u.replace('://', '://X')}`; },
      () => { fields[1] = `u=${u.toUpperCase()}`; },
      () => { fields[1] = `u=${scheme}://${hostText}:${port}${base.path ?? '/mcp'}`; },
      () => { fields[1] = `u=${u}/more`; },
      () => { fields[1] = 'u=not a url'; },
      () => { fields[1] = 'u=ftp://x/y'; },
      () => { fields[0] = 'v=aid1'; },
      () => { fields[2] = 'p=a2a'; },
      () => { fields.splice(2, 1); },
      () => { fields.splice(0, 1); },
      () => { fields.push('a=apikey'); },
      () => { fields.push('s=Something else'); },
      () => { fields.push('s=' + 's'.repeat(61)); },
      () => { fields.push('d=https://docs.example/'); },
      () => { fields.push('k=abc_DEF'); },
      () => { fields.push('i=k1'); },
      () => { fields.push('e=2026-01-01T00:00:00Z'); },
      () => { fields.push('zz=unknown'); },
      () => { fields.push(''); },
      () => { fields[0] = ' v = aid2 '; },
      () => { fields[1] = fields[1]!.replace('u=', 'uri='); },
      () => { fields[2] = 'P=mcp'; },
      () => { fields.push('p=mcp'); },
      () => { fields.push('s=caf\\195\\169'); },
      () => { fields.push('s=bad\\255'); },
      () => { const j = fields.findIndex((f) => f.startsWith('a=')); if (j >= 0) fields.splice(j, 1); else fields.push('a=none'); },
      () => { const j = fields.findIndex((f) => f.startsWith('s=')); if (j >= 0) fields.splice(j, 1); fields.push(pick(['s=', 's= x', 's=x ', 'a=', 's=;'])); },
      () => { fields.splice(1, 0, pick(['', ' ', 'x', '='])); },
      () => { fields[1] = `u=${u};x`; },
      () => { fields[1] = `u= ${u}`; },
    ]);
    m();
  }
  const text = fields.join(';');
  const txt = pick([
    () => `"${text}"`, () => `"${text}"`, () => `"${text}"`, () => `"${text}"`, () => `"${text}"`, () => `"${text}"`,
    ...(tb ? [
      () => `"${text.slice(0, 10)}" "${text.slice(10)}"`,
      () => '""',
      () => `"${text}" ; and another\n_agent.${owner} IN TXT "v=aid2;u=https://other.example/;p=mcp"`,
      () => `"${text}"\n_agent.${owner} IN TXT "not aid"`,
      () => 'none',
      () => 'cname',
    ] : []),
  ])();
  if (txt === 'cname') lines.push(`_agent.${owner} IN CNAME elsewhere.example.`);
  else if (txt !== 'none' && !(chance(0.05))) lines.push(`_agent.${pick([owner, owner, owner, owner.toUpperCase()])} IN TXT ${txt}`);
  return lines.join('\n') + '\n';
}

function randomZone(seed: number): string {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const listed: string[] = [];
  let body = '';
  const n = 1 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const owner = pick([`a${i}`, `a${i}`, `a${i}`, `A${i}b`, `a${i}.team`, `_x${i}`, `a\\.${i}`, `n${i}-0x`]);
    body += agentText(r, owner, i, listed);
  }
  if (r() < 0.15) body += '_agent.gone IN TXT "v=aid2;u=https://x/;p=mcp"\n';
  if (r() < 0.1) body += 'web IN SVCB 1 mcp.x.agents. alpn="h2" key65320="/x"\n';
  if (r() < 0.1) body += 'dnsaid IN SVCB 1 mcp.x.agents. alpn="mcp,h2" port=443\n';
  if (r() < 0.3 || listed.length > 0) {
    body += '_index._agents IN PTR a0.x.agents.\n';
    for (const l of listed) body += `_index._agents IN PTR ${l}.x.agents.\n`;
    if (r() < 0.3) body += `_index._agents IN PTR ${pick(['ghost.x.agents.', 'other.example.', 'w.sub.x.agents.', 'cn.x.agents.'])}\n`;
  }
  return HEAD + body;
}

function load(text: string): Zone | undefined {
  try {
    return loadZoneText(text, { origin: ORIGIN });
  } catch (e) {
    if (e instanceof ZoneLoadError) return undefined;
    throw e;
  }
}

t.test('random agent zones: the fast path gives the full check\'s faults', async (t) => {
  let zones = 0;
  let faults = 0;
  let agents = 0;
  let fine = 0;
  const codes = new Set<string>();
  for (let seed = 1; seed <= 3000; seed++) {
    const text = randomZone(seed);
    const zone = load(text);
    if (zone === undefined) continue;
    zones++;
    const full = show(checkAgentZone(zone, { fast: false }));
    const got = show(checkAgentZone(zone));
    if (got.join('\n') !== full.join('\n')) {
      t.same(got, full, `seed ${seed}:\n${text}`);
      return;
    }
    faults += full.length;
    for (const f of checkAgentZone(zone, { fast: false })) codes.add(f.code);
    // The few names an UPDATE touches, as src/update/handler.ts asks.
    const names = new Set<string>();
    for (const node of zone.allNodes()) if (seed % 3 === 0 && names.size < 3) names.add(nameKey(node.name));
    if (names.size > 0 && show(checkAgentZone(zone, { names })).join('\n') !== show(checkAgentZone(zone, { names, fast: false })).join('\n')) {
      t.same(show(checkAgentZone(zone, { names })), show(checkAgentZone(zone, { names, fast: false })), `seed ${seed}, names ${[...names].join(' ')}:\n${text}`);
      return;
    }
    // How often the fast path says yes on its own (it must for most valid agents).
    const cache = fastCache(() => true);
    for (const node of zone.allNodes()) {
      const set = node.rrsets.get(RRType.SVCB);
      if (set === undefined || node.name.startsWith('_')) continue;
      agents++;
      const reads = svcbFine(cache, node.name, set);
      if (reads !== undefined && aidFine(zone.rrset(`_agent.${node.name}`, RRType.TXT), reads)) fine++;
    }
  }
  t.ok(zones > 2500, `${zones} zones loaded`);
  t.ok(faults > zones, `${faults} faults in all`);
  t.same([...codes].sort(), [
    'ERR_AGENT_ZONE_AID', 'ERR_AGENT_ZONE_AID_REFUSED', 'ERR_AGENT_ZONE_DNSAID_BAP', 'ERR_AGENT_ZONE_DNSAID_CAP', 'ERR_AGENT_ZONE_DNSAID_TARGET',
    'ERR_AGENT_ZONE_INCOMPLETE', 'ERR_AGENT_ZONE_INDEX', 'ERR_AGENT_ZONE_MANDATORY_PRIVATE', 'ERR_AGENT_ZONE_NOTE', 'ERR_AGENT_ZONE_RECORD',
    'ERR_AGENT_ZONE_TARGET', 'ERR_AGENT_ZONE_UNLISTED',
  ], 'every code met');
  // The generator's "." targets, non-https caps and "mcp/1" baps go to the full check now (client warnings).
  t.ok(fine > agents / 8, `the fast path says yes for ${fine} of ${agents} agents`);
});

t.test('the fixture zones and the bundled zones: the same faults either way', async (t) => {
  const dir = path.join(root, 'test/fixtures/agent-zones');
  const files = readdirSync(dir).filter((f) => f.endsWith('.zone')).map((f) => ({ file: path.join(dir, f), origin: f.replace(/\.zone$/, '.') }));
  for (const z of ['acme.agents', 'globex.agents', 'agents']) files.push({ file: path.join(root, 'zones', `${z}.zone`), origin: `${z}.` });
  for (const { file, origin } of files) {
    const zone = loadZoneText(readFileSync(file, 'utf8'), { origin });
    t.same(show(checkAgentZone(zone)), show(checkAgentZone(zone, { fast: false })), file);
  }
});

t.test('the bench\'s agents go through the fast path; a zone view without the next node still works', async (t) => {
  let body = '';
  for (let i = 0; i < 50; i++) {
    const label = `agent${String(i).padStart(7, '0')}`;
    const port = 18000 + i;
    body += `${label} IN SVCB 1 mcp.x.agents. alpn="mcp" port=${port} key65320="/agents/${label}/mcp" key65321="streamable-http"`
      + ` key65322="tool_${i}" key65323="bench,generated" key65324="Benchmark agent ${i}" key65325="none" key65326="http" key65402="mcp"\n`
      + `_agent.${label} IN TXT "v=aid2;u=http://mcp.x.agents:${port}/agents/${label}/mcp;p=mcp;a=none;s=Benchmark agent ${i}"\n`;
  }
  const zone = load(HEAD + body)!;
  // Plain http: fine for aop, with the one warning that AID clients refuse the u= (the fast path gives it too).
  const refused = (faults: AgentZoneFault[]): AgentZoneFault[] => faults.filter((f) => f.code !== 'ERR_AGENT_ZONE_AID_REFUSED');
  t.same(refused(checkAgentZone(zone)), []);
  t.equal(checkAgentZone(zone).length, 50, 'one AID warning per agent');
  t.same(show(checkAgentZone(zone)), show(checkAgentZone(zone, { fast: false })), 'the fast path warns as the full check does');
  const cache = fastCache(() => true);
  let fine = 0;
  for (const node of zone.allNodes()) {
    const set = node.rrsets.get(RRType.SVCB);
    if (set === undefined) continue;
    const reads = svcbFine(cache, node.name, set);
    if (reads !== undefined && aidFine(zone.rrset(`_agent.${node.name}`, RRType.TXT), reads)) fine++;
  }
  t.equal(fine, 50, 'every bench agent is clearly fine');
  // Nodes in reverse order: every `_agent` TXT is looked up, none is the next node.
  const reversed: AgentZoneView = { origin: zone.origin, allNodes: () => [...zone.allNodes()].reverse(), rrset: (n, ty) => zone.rrset(n, ty) };
  t.same(refused(checkAgentZone(reversed)), []);
  const broken = load(HEAD + body.replace('p=mcp;a=none;s=Benchmark agent 7"', 'p=mcp;a=none;s=Benchmark agent 8"'))!;
  t.same(show(checkAgentZone(broken)), show(checkAgentZone(broken, { fast: false })));
  t.equal(refused(checkAgentZone(broken)).length, 1, 'the one TXT that disagrees');
});

/** An SVCB RDATA broken or bent at the wire level, as a dynamic update or a transfer could bring it. */
function mutateSvcb(r: () => number, rdata: Buffer): Buffer {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const b = Buffer.from(rdata);
  let s: ReturnType<typeof readSvcb> | undefined;
  try {
    s = readSvcb(rdata);
  } catch {
    s = undefined;
  }
  const params = s === undefined ? [] : [...s.params];
  const rewrite = (ps: Array<[number, Buffer]>, target = s?.target ?? '.'): Buffer => {
    // writeSvcb sorts and refuses repeats; write the params as given instead.
    const head = writeSvcb(s?.priority ?? 1, target, []);
    return Buffer.concat([head, ...ps.map(([k, v]) => Buffer.concat([Buffer.from([k >> 8, k & 255, v.length >> 8, v.length & 255]), v]))]);
  };
  switch (Math.floor(r() * 12)) {
    case 0: return b.subarray(0, Math.floor(r() * b.length));
    case 1: b[Math.floor(r() * b.length)] = Math.floor(r() * 256); return b;
    case 2: {
      // A value's length one off.
      if (params.length === 0) return b;
      const i = Math.floor(r() * params.length);
      const ps = params.map(([k, v]) => [k, v] as [number, Buffer]);
      ps[i] = [ps[i]![0], r() < 0.5 ? ps[i]![1].subarray(0, Math.max(0, ps[i]![1].length - 1)) : Buffer.concat([ps[i]![1], Buffer.from([0x61])])];
      return rewrite(ps);
    }
    case 3: {
      if (params.length < 2) return b;
      const i = Math.floor(r() * (params.length - 1));
      const ps = [...params];
      [ps[i], ps[i + 1]] = [ps[i + 1]!, ps[i]!];
      return rewrite(ps);
    }
    case 4: {
      if (params.length === 0) return b;
      const ps = [...params];
      const i = Math.floor(r() * ps.length);
      ps.splice(i, 0, ps[i]!);
      return rewrite(ps);
    }
    case 5: return rewrite(params, Array.from({ length: 4 }, () => 'l'.repeat(63)).join('.') + '.');
    case 6: return Buffer.concat([b.subarray(0, 2), Buffer.from([0xc0, 0x0c]), b.subarray(2)]);
    case 7: {
      const extra: [number, Buffer] = pick([
        [7, Buffer.from('/q{?dns}')], [7, Buffer.from('nope')], [65535, Buffer.from('x')], [2, Buffer.from('x')], [2, Buffer.alloc(0)],
        [4, Buffer.from([127, 0, 0])], [6, Buffer.alloc(15)], [1, Buffer.alloc(0)], [1, Buffer.from([0, 3, 0x6d, 0x63, 0x70])], [1, Buffer.from([4, 0x6d, 0x63, 0x70])],
        [5, Buffer.from('any')], [0, Buffer.from([0, 1])], [0, Buffer.from([0, 1, 0, 9])], [3, Buffer.from([1])], [3, Buffer.from([0, 0])],
      ]);
      return rewrite([...params.filter(([k]) => k !== extra[0]), extra].sort((x, y) => x[0] - y[0]));
    }
    case 8: return Buffer.concat([b, Buffer.from([0xff])]);
    case 9: return Buffer.concat([b, Buffer.from([0xff, 0xf0, 0, 5, 0x61])]);
    case 10: { b[0] = 0; b[1] = 0; return b; }
    default: return b;
  }
}

function mutateTxt(r: () => number, rdata: Buffer): Buffer {
  const b = Buffer.from(rdata);
  switch (Math.floor(r() * 5)) {
    case 0: return b.subarray(0, Math.floor(r() * b.length));
    case 1: b[0] = Math.max(0, b[0]! - 1 - Math.floor(r() * 3)); return b;
    case 2: b[1 + Math.floor(r() * (b.length - 1))] = pick256(r); return b;
    case 3: return Buffer.concat([b, Buffer.from([2, 0x3b, 0x3b])]);
    default: return Buffer.alloc(0);
  }
}
const pick256 = (r: () => number): number => [0, 0x3b, 0x20, 0x3d, 0x7f, 0xc3, 0xff, 0x41][Math.floor(r() * 8)]!;

t.test('random zones with records bent at the wire level (from an UPDATE or a transfer): the same faults', async (t) => {
  let zones = 0;
  for (let seed = 5001; seed <= 6500; seed++) {
    const zone = load(randomZone(seed));
    if (zone === undefined) continue;
    const r = rng(seed);
    const records: RR[] = [...zone.records()].map((rr) => {
      if (rr.type === RRType.SVCB && r() < 0.4) return { ...rr, rdata: mutateSvcb(r, rr.rdata) };
      if (rr.type === RRType.TXT && r() < 0.2) return { ...rr, rdata: mutateTxt(r, rr.rdata) };
      if ((rr.type === RRType.TXT || rr.type === RRType.SVCB) && r() < 0.03) return { ...rr, class: 3 }; // CH
      return rr;
    });
    const bent = new Zone(ORIGIN, records);
    zones++;
    const full = show(checkAgentZone(bent, { fast: false }));
    const got = show(checkAgentZone(bent));
    if (got.join('\n') !== full.join('\n')) {
      t.same(got, full, `seed ${seed}:\n${records.map((x) => `${x.name} ${x.type} ${x.rdata.toString('hex')}`).join('\n')}`);
      return;
    }
  }
  t.ok(zones > 1200, `${zones} zones`);
});
