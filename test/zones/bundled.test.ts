// The bundled zones: BIND accepts them, our loader agrees with BIND, and they agree with each
// other and with docs/records.md (delegations and glue, SVCB keys, _agent TXT, index, sizes).

import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInDomain, nameKey, nameToWire } from '../../src/wire/name.js';
import { requireTool, run } from '../helpers/peers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const zonesDir = path.join(root, 'zones');

// The daemon serves every *.zone file under the origin its name gives (docs/configuration.md).
const zones = readdirSync(zonesDir)
  .filter((f) => f.endsWith('.zone'))
  .sort()
  .map((f) => ({ origin: `${f.slice(0, -'.zone'.length)}.`, file: path.join(zonesDir, f) }));

/** requireTool, typed for tap's Test (whose skip() overloads all want a callback). */
const need = (t: object, tool: string, pkg: string): boolean => requireTool(t as Parameters<typeof requireTool>[0], tool, pkg);

/** Answers for agent names stay under this (docs/records.md): 1232 minus room for signatures. */
const ANSWER_BUDGET = 900;
const UDP_LIMIT = 1232;

t.test('the bundled set', async (t) => {
  t.same(zones.map((z) => z.origin), ['acme.agents.', 'agents.', 'globex.agents.']);
  t.ok(existsSync(path.join(zonesDir, 'root.hints')), 'root.hints is there (and is not a *.zone file)');
});

t.test('named-checkzone accepts every bundled zone without a warning', async (t) => {
  if (!need(t, 'named-checkzone', 'bind9-utils')) return;
  for (const z of zones) {
    // -i local: the default (full) also asks the system resolver about glue, and agents. is
    // not in the real DNS.
    const r = await run('named-checkzone', ['-i', 'local', '-k', 'fail', z.origin, z.file]);
    t.equal(r.code, 0, `${z.origin} passes`);
    const lines = r.stdout.trim().split('\n');
    t.match(lines[0], /^zone \S+\/IN: loaded serial \d+$/, `${z.origin}: loaded`);
    t.same(lines.slice(1), ['OK'], `${z.origin}: nothing else said`);
    t.equal(r.stderr.trim(), '', `${z.origin}: nothing on stderr`);
  }
});

// ---------------------------------------------------------------------------------------------
// BIND's canonical text of each zone: one record a line, names fully qualified.

interface Rec {
  name: string;
  ttl: number;
  type: string;
  rdata: string;
}

function parseRecords(text: string): Rec[] {
  const recs: Rec[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s*;.*$/, '').trim();
    if (line === '') continue;
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected line: ${line}`);
    recs.push({ name: m[1]!, ttl: Number(m[2]), type: m[3]!, rdata: m[4]!.replace(/\s*;[^"]*$/, '') });
  }
  return recs;
}

async function compile(origin: string, file: string): Promise<Rec[]> {
  const r = await run('named-compilezone', ['-k', 'ignore', '-o', '-', origin, file]);
  if (r.code !== 0) throw new Error(`named-compilezone ${origin} failed: ${r.stderr}`);
  return parseRecords(r.stdout);
}

t.test('our loader reads each zone with the same record count as named-compilezone', async (t) => {
  if (!existsSync(path.join(root, 'src', 'zone', 'load.ts'))) {
    t.pass('our loader', { skip: 'src/zone/load.ts not written yet' });
    return;
  }
  if (!need(t, 'named-compilezone', 'bind9-utils')) return;
  // A computed specifier, so the type check does not depend on the file existing.
  const spec = '../../src/zone/load.js';
  const mod = (await import(spec)) as { loadZoneFile: (file: string, opts: { origin: string }) => { size: number } };
  for (const z of zones) {
    const bind = await compile(z.origin, z.file);
    let size: number | undefined;
    try {
      size = mod.loadZoneFile(z.file, { origin: z.origin }).size;
    } catch (err) {
      t.fail(`${z.origin}: our loader refused it: ${(err as Error).message}`);
      continue;
    }
    t.equal(size, bind.length, `${z.origin}: ${bind.length} records`);
  }
});

// ---------------------------------------------------------------------------------------------
// A tiny reader for presentation-form character strings and SVCB parameters.

/** Decode one presentation value: \DDD and \X escapes, the rest as UTF-8. */
function unescape(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const ddd = /^\d{3}/.exec(s.slice(i + 1));
      if (ddd) {
        out.push(Number(ddd[0]));
        i += 3;
      } else {
        out.push(...Buffer.from(s[i + 1] ?? '', 'utf8'));
        i += 1;
      }
    } else {
      out.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(out);
}

/** Split rdata text into tokens; a quoted run stays inside its token (`key="a b"`). */
function tokens(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      cur += c + (text[i + 1] ?? '');
      i++;
      any = true;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
      any = true;
    } else if (!quoted && /\s/.test(c)) {
      if (any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push(cur);
  return out;
}

function unquote(tok: string): Buffer {
  return unescape(tok.startsWith('"') && tok.endsWith('"') && tok.length >= 2 ? tok.slice(1, -1) : tok);
}

/** TXT rdata: the character-strings joined, as AID reads them. */
function txtText(rdata: string): string {
  return Buffer.concat(tokens(rdata).map(unquote)).toString('utf8');
}

interface Svcb {
  priority: number;
  target: string;
  params: Map<string, Buffer>;
}

function parseSvcb(rdata: string): Svcb {
  const [prio, target, ...rest] = tokens(rdata);
  const params = new Map<string, Buffer>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    if (params.has(key)) throw new Error(`duplicate SvcParamKey ${key}`);
    params.set(key, eq < 0 ? Buffer.alloc(0) : unquote(p.slice(eq + 1)));
  }
  return { priority: Number(prio), target: target ?? '', params };
}

const str = (s: Svcb, key: string): string | undefined => s.params.get(key)?.toString('utf8');

/** RDATA length in wire form, for the keys the bundled zones use. */
function svcbWireLength(s: Svcb): number {
  let len = 2 + nameToWire(s.target).length;
  for (const [key, value] of s.params) {
    const text = value.toString('utf8');
    if (key === 'alpn') len += 4 + text.split(',').reduce((n, id) => n + 1 + Buffer.byteLength(id), 0);
    else if (key === 'port') len += 4 + 2;
    else if (/^key\d+$/.test(key)) len += 4 + value.length;
    else throw new Error(`key ${key} is not used in the bundled zones; teach svcbWireLength about it`);
  }
  return len;
}

/** docs/records.md, "Building the URL". */
function endpointUrl(owner: string, s: Svcb): string {
  const host = (s.target === '.' ? owner : s.target).replace(/\.$/, '');
  const scheme = str(s, 'key65326') ?? 'https';
  const port = str(s, 'port') ?? (scheme === 'https' ? '443' : '80');
  return new URL(`${scheme}://${host}:${port}${str(s, 'key65320') ?? ''}`).href;
}

/** docs/records.md, "The keys": what makes a ServiceMode record usable by aop. */
function recordFaults(s: Svcb): string[] {
  const faults: string[] = [];
  const alpn = str(s, 'alpn')?.split(',') ?? [];
  if (!alpn.includes('mcp')) faults.push('alpn lacks "mcp"');
  const p = str(s, 'key65320');
  if (p === undefined || !/^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/.test(p) || Buffer.byteLength(p) > 255) {
    faults.push(`bad path ${JSON.stringify(p)}`);
  }
  const transport = str(s, 'key65321');
  if (transport !== 'streamable-http' && transport !== 'sse') faults.push(`bad transport ${JSON.stringify(transport)}`);
  const tool = str(s, 'key65322');
  if (tool === undefined || !/^[A-Za-z0-9_.-]{1,128}$/.test(tool)) faults.push(`bad tool ${JSON.stringify(tool)}`);
  const caps = str(s, 'key65323');
  if (caps !== undefined) {
    const list = caps.split(',');
    if (!list.every((c) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(c)) || new Set(list).size !== list.length || caps.length > 255) {
      faults.push(`bad capabilities ${JSON.stringify(caps)}`);
    }
  }
  const desc = s.params.get('key65324');
  if (desc !== undefined) {
    let text = '';
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(desc);
    } catch {
      faults.push('description is not UTF-8');
    }
    if (desc.length === 0 || desc.length > 100 || /\p{Cc}/u.test(text)) faults.push(`bad description ${JSON.stringify(text)}`);
  }
  const auth = str(s, 'key65325');
  if (auth !== undefined && !/^[a-z0-9_]{1,32}$/.test(auth)) faults.push(`bad auth hint ${JSON.stringify(auth)}`);
  const scheme = str(s, 'key65326');
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') faults.push(`bad scheme ${JSON.stringify(scheme)}`);
  if (s.params.has('mandatory')) faults.push('uses mandatory= (docs/records.md: never with private keys, and aop needs none)');
  return faults;
}

/** AID TXT: `k=v` pairs split on `;`. */
function parseAid(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// The bundled namespace as one catalog: the most specific zone answers for a name.

class Catalog {
  readonly byZone = new Map<string, Rec[]>();

  add(origin: string, recs: Rec[]): void {
    this.byZone.set(nameKey(origin), recs);
  }

  zoneFor(name: string): string | undefined {
    let best: string | undefined;
    for (const origin of this.byZone.keys()) {
      if (isInDomain(name, origin) && (best === undefined || origin.length > best.length)) best = origin;
    }
    return best;
  }

  /** Records at exactly this name and type, from the zone authoritative for it. */
  get(name: string, type: string): Rec[] {
    const origin = this.zoneFor(name);
    if (origin === undefined) return [];
    return (this.byZone.get(origin) ?? []).filter((r) => nameKey(r.name) === nameKey(name) && r.type === type);
  }

  /**
   * Follow CNAME and SVCB AliasMode (RFC 9460 2.4.2) to the ServiceMode records, as a client
   * does; at most 8 hops. Returns the records met on the way, for the size bound.
   */
  resolveAgent(name: string): { name: string; service: Svcb[]; chain: Rec[] } | string {
    const chain: Rec[] = [];
    let cur = name;
    for (let hop = 0; hop <= 8; hop++) {
      const cname = this.get(cur, 'CNAME');
      if (cname.length > 0) {
        chain.push(...cname);
        cur = cname[0]!.rdata;
        continue;
      }
      const svcb = this.get(cur, 'SVCB');
      if (svcb.length === 0) return `${cur}: no SVCB`;
      chain.push(...svcb);
      const parsed = svcb.map((r) => parseSvcb(r.rdata));
      const alias = parsed.find((s) => s.priority === 0);
      if (alias) {
        if (parsed.length > 1) return `${cur}: AliasMode must stand alone`;
        if (alias.params.size > 0) return `${cur}: AliasMode with SvcParams`;
        if (alias.target === '.') return `${cur}: AliasMode to "." (no service)`;
        cur = alias.target;
        continue;
      }
      return { name: cur, service: parsed, chain };
    }
    return `${name}: more than 8 alias hops`;
  }
}

function wireSize(r: Rec): number {
  let rdlen: number;
  if (r.type === 'A') rdlen = 4;
  else if (r.type === 'AAAA') rdlen = 16;
  else if (r.type === 'SVCB') rdlen = svcbWireLength(parseSvcb(r.rdata));
  else if (r.type === 'CNAME' || r.type === 'PTR') rdlen = nameToWire(r.rdata).length;
  else throw new Error(`no size rule for ${r.type}`);
  // Owner uncompressed: an upper bound.
  return nameToWire(r.name).length + 10 + rdlen;
}

/** Upper bound of a UDP answer: header, question, records, OPT (no compression counted). */
function answerBound(qname: string, recs: Rec[]): number {
  return 12 + nameToWire(qname).length + 4 + recs.reduce((n, r) => n + wireSize(r), 0) + 11;
}

/** Names in a zone that clients may ask for as agents: SVCB or CNAME owners, no `_` labels. */
function agentNames(cat: Catalog, origin: string): string[] {
  const recs = cat.byZone.get(origin) ?? [];
  return [...new Set(recs.filter((r) => (r.type === 'SVCB' || r.type === 'CNAME') && !r.name.startsWith('_')).map((r) => r.name))];
}

const sameSet = (a: string[], b: string[]): boolean => {
  const x = [...new Set(a.map((s) => s.toLowerCase()))].sort();
  const y = [...new Set(b.map((s) => s.toLowerCase()))].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

t.test('the bundled zones agree with each other and with docs/records.md', async (t) => {
  if (!need(t, 'named-compilezone', 'bind9-utils')) return;
  const cat = new Catalog();
  for (const z of zones) cat.add(z.origin, await compile(z.origin, z.file));
  const rootRecs = cat.byZone.get('agents.')!;
  const orgs = zones.map((z) => z.origin).filter((o) => o !== 'agents.');

  t.test('delegations from agents. have glue matching the child zones', async (t) => {
    const cuts = [...new Set(rootRecs.filter((r) => r.type === 'NS' && nameKey(r.name) !== 'agents.').map((r) => nameKey(r.name)))];
    t.same(cuts.sort(), orgs.map(nameKey).sort(), 'each bundled organisation is delegated, nothing else');
    for (const cut of cuts) {
      const parentNs = rootRecs.filter((r) => r.type === 'NS' && nameKey(r.name) === cut).map((r) => r.rdata);
      const child = cat.byZone.get(cut)!;
      const childNs = child.filter((r) => r.type === 'NS' && nameKey(r.name) === cut).map((r) => r.rdata);
      t.ok(sameSet(parentNs, childNs), `${cut}: parent and child NS sets agree (${parentNs.join(', ')})`);
      for (const ns of parentNs) {
        if (!isInDomain(ns, cut)) continue;
        for (const type of ['A', 'AAAA']) {
          const glue = rootRecs.filter((r) => r.type === type && nameKey(r.name) === nameKey(ns)).map((r) => r.rdata);
          const auth = child.filter((r) => r.type === type && nameKey(r.name) === nameKey(ns)).map((r) => r.rdata);
          t.ok(sameSet(glue, auth), `${ns} ${type}: glue ${JSON.stringify(glue)} = child ${JSON.stringify(auth)}`);
        }
        t.ok(rootRecs.some((r) => r.type === 'A' && nameKey(r.name) === nameKey(ns)), `${ns} has glue`);
      }
      const stray = rootRecs.filter((r) => isInDomain(r.name, cut) && nameKey(r.name) !== cut && !parentNs.some((ns) => nameKey(ns) === nameKey(r.name)));
      t.same(stray, [], `${cut}: nothing below the cut but glue`);
    }
  });

  t.test('root.hints names the apex of agents.zone', async (t) => {
    const hints = parseRecords(readFileSync(path.join(zonesDir, 'root.hints'), 'utf8'));
    const ns = rootRecs.filter((r) => r.type === 'NS' && nameKey(r.name) === 'agents.').map((r) => r.rdata);
    t.ok(sameSet(hints.filter((r) => r.type === 'NS' && nameKey(r.name) === 'agents.').map((r) => r.rdata), ns), 'NS match');
    for (const n of ns) {
      for (const type of ['A', 'AAAA']) {
        const hinted = hints.filter((r) => r.type === type && nameKey(r.name) === nameKey(n)).map((r) => r.rdata);
        t.ok(sameSet(hinted, cat.get(n, type).map((r) => r.rdata)), `${n} ${type} match`);
      }
    }
    t.same(hints.filter((r) => r.type !== 'NS' && r.type !== 'A' && r.type !== 'AAAA'), [], 'only NS and addresses');
  });

  t.test('every agent record is complete, reachable and unique', async (t) => {
    const ports = new Map<string, string>();
    for (const origin of orgs) {
      for (const owner of agentNames(cat, origin)) {
        const recs = cat.get(owner, 'SVCB').map((r) => parseSvcb(r.rdata));
        if (recs.length === 0 || recs.some((s) => s.priority === 0)) {
          const res = cat.resolveAgent(owner);
          t.type(res, 'object', `${owner} (an alias) leads to an agent${typeof res === 'string' ? `: ${res}` : ''}`);
          continue;
        }
        const tools = new Set(recs.map((s) => str(s, 'key65322')));
        t.equal(tools.size, 1, `${owner}: one tool across its records`);
        const best = Math.min(...recs.map((s) => s.priority));
        t.equal(recs.filter((s) => s.priority === best).length, 1, `${owner}: one preferred endpoint`);
        for (const s of recs) {
          t.same(recordFaults(s), [], `${owner} ${s.priority} ${s.target}: aop-complete`);
          // The preferred endpoint is https (no key65326: the default) on 184xx, the others plain http on 181xx.
          const https = s.priority === best;
          t.equal(str(s, 'key65326'), https ? undefined : 'http', `${owner} ${s.priority}: ${https ? 'https (no key65326)' : 'plain http'} on loopback`);
          const port = str(s, 'port') ?? '';
          t.ok((https ? /^184\d\d$/ : /^181\d\d$/).test(port), `${owner}: port ${port} in ${https ? '184xx' : '181xx'}`);
          t.not(s.target, '.', `${owner}: a named target (dns-aid-core drops ".")`);
          t.notOk(ports.has(port), `${owner}: port ${port} not used by ${ports.get(port)} too`);
          ports.set(port, owner);
          const host = s.target === '.' ? owner : s.target;
          const addrs = [...cat.get(host, 'A'), ...cat.get(host, 'AAAA')].map((r) => r.rdata);
          t.ok(addrs.length > 0 && addrs.every((a) => a === '127.0.0.1' || a === '::1'), `${owner}: ${host} is on loopback (${addrs.join(', ')})`);
        }
      }
    }
  });

  t.test('every agent has an _agent TXT with the URL its SVCB gives', async (t) => {
    for (const origin of orgs) {
      for (const owner of agentNames(cat, origin)) {
        const res = cat.resolveAgent(owner);
        if (typeof res === 'string') {
          t.fail(res);
          continue;
        }
        const direct = nameKey(res.name) === nameKey(owner);
        const txtName = `_agent.${owner}`;
        let txt = cat.get(txtName, 'TXT');
        const cname = cat.get(txtName, 'CNAME');
        if (cname.length > 0) txt = cat.get(cname[0]!.rdata, 'TXT');
        // Aliases may leave the TXT out (docs/records.md); agents themselves may not.
        if (!direct && txt.length === 0 && cname.length === 0) continue;
        t.equal(txt.length, 1, `${txtName}: one TXT`);
        if (txt.length !== 1) continue;
        const aid = parseAid(txtText(txt[0]!.rdata));
        t.equal(aid.get('v'), 'aid2', `${txtName}: v=aid2`);
        t.equal(aid.get('p'), 'mcp', `${txtName}: p=mcp`);
        const best = Math.min(...res.service.map((s) => s.priority));
        const urls = res.service.filter((s) => s.priority === best).map((s) => endpointUrl(res.name, s));
        const u = aid.get('u');
        t.ok(u !== undefined && urls.includes(new URL(u).href), `${txtName}: u=${u} is one of ${urls.join(', ')}`);
        const first = res.service.find((s) => s.priority === best)!;
        const desc = str(first, 'key65324');
        if (desc !== undefined) t.equal(aid.get('s'), desc, `${txtName}: s= is the description`);
        t.ok(Buffer.byteLength(aid.get('s') ?? '') <= 60, `${txtName}: s= fits AID's 60 octets`);
        t.equal(aid.get('a'), str(first, 'key65325'), `${txtName}: a= is the auth hint`);
        t.equal(tokens(txt[0]!.rdata).length, 1, `${txtName}: one character-string`);
      }
    }
  });

  t.test('each organisation index lists exactly its agents', async (t) => {
    for (const origin of orgs) {
      const indexName = `_index._agents.${origin}`;
      const entries = cat.get(indexName, 'PTR');
      t.ok(entries.length > 0, `${indexName} has PTR records`);
      for (const e of entries) {
        t.ok(isInDomain(e.rdata, origin), `${e.rdata} is inside ${origin}`);
        const res = cat.resolveAgent(e.rdata);
        t.type(res, 'object', `${e.rdata} leads to an agent${typeof res === 'string' ? `: ${res}` : ''}`);
      }
      const agents = [...new Set(cat.byZone.get(origin)!.filter((r) => r.type === 'SVCB' && !r.name.startsWith('_') && parseSvcb(r.rdata).priority > 0).map((r) => r.name))];
      for (const a of agents) t.ok(entries.some((e) => nameKey(e.rdata) === nameKey(a)), `${a} is listed`);
      t.ok(answerBound(indexName, entries) < UDP_LIMIT, `${indexName}: fits in ${UDP_LIMIT} bytes`);
    }
  });

  t.test(`answers for agent names stay under ${ANSWER_BUDGET} bytes`, async (t) => {
    for (const origin of orgs) {
      for (const owner of agentNames(cat, origin)) {
        const res = cat.resolveAgent(owner);
        if (typeof res === 'string') {
          t.fail(res);
          continue;
        }
        // The alias chain and the SVCB set in ANSWER, the targets' addresses in ADDITIONAL.
        const hosts = [...new Set(res.service.map((s) => nameKey(s.target === '.' ? res.name : s.target)))];
        const addrs = hosts.flatMap((h) => [...cat.get(h, 'A'), ...cat.get(h, 'AAAA')]);
        const bound = answerBound(owner, [...res.chain, ...addrs]);
        t.ok(bound <= ANSWER_BUDGET, `${owner}: at most ${bound} bytes`);
      }
    }
  });
});
