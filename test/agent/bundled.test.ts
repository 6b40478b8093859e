// The bundled zones through the agent layer: every agent becomes the card zones/README.md's
// endpoint table describes, without a warning; aliases lead to the right agents; and
// recordsFromCard writes each agent back exactly as the zone file has it.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AliasChain, cardFromRecords, classifySvcbSet, recordsFromCard, type AgentCard } from '../../src/agent/index.js';
import { loadZoneFile } from '../../src/zone/load.js';
import type { Zone } from '../../src/zone/zone.js';
import { isInDomain, nameKey } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ORGS = ['acme.agents.', 'globex.agents.'];
const zones = new Map<string, Zone>(ORGS.map((o) => [o, loadZoneFile(path.join(root, 'zones', `${o.slice(0, -1)}.zone`), { origin: o })]));
const zoneText = new Map<string, string>(ORGS.map((o) => [o, readFileSync(path.join(root, 'zones', `${o.slice(0, -1)}.zone`), 'utf8')]));

/** The zone authoritative for a name among the bundled organisations. */
function zoneFor(name: string): Zone {
  const origin = ORGS.find((o) => isInDomain(name, o));
  if (origin === undefined) throw new Error(`no bundled zone for ${name}`);
  return zones.get(origin)!;
}

/** What a resolver would hand over for an agent: its SVCB set, its TXT and the targets' addresses. */
function answer(name: string): RR[] {
  const zone = zoneFor(name);
  const out: RR[] = [];
  const push = (n: string, type: number): void => {
    const set = zone.rrset(n, type);
    if (set) for (const rdata of set.rdata) out.push({ name: set.name, type, class: set.class, ttl: set.ttl, rdata });
  };
  push(name, RRType.SVCB);
  push(`_agent.${name}`, RRType.TXT);
  // The addresses of every name in the zone: the card takes those of its hosts.
  for (const node of zone.allNodes()) {
    push(node.name, RRType.A);
    push(node.name, RRType.AAAA);
  }
  return out;
}

/** zones/README.md's endpoint table: agent -> URLs (in order) and tool. */
function readmeTable(): Map<string, { urls: string[]; tool: string }> {
  const text = readFileSync(path.join(root, 'zones', 'README.md'), 'utf8');
  const rows = new Map<string, { urls: string[]; tool: string }>();
  for (const line of text.split('\n')) {
    const m = /^\| `([a-z0-9.-]+\.agents)` \| (.*) \| `([A-Za-z0-9_.-]+)` \|$/.exec(line);
    if (!m) continue;
    const urls = [...m[2]!.matchAll(/`(https?:\/\/[^`]+)`/g)].map((u) => u[1]!);
    rows.set(`${m[1]!}.`, { urls, tool: m[3]! });
  }
  return rows;
}

const table = readmeTable();

t.test('the README table lists the bundled agents', async (t) => {
  t.same([...table.keys()].sort(), [
    'coder.globex.agents.', 'editor.acme.agents.', 'planner.globex.agents.', 'researcher.acme.agents.',
    'reviewer.globex.agents.', 'summarizer.acme.agents.', 'translator.acme.agents.', 'writer.acme.agents.',
  ]);
});

const cards = new Map<string, AgentCard>();

t.test('every bundled agent becomes the card the README describes', async (t) => {
  for (const [name, row] of table) {
    const origin = ORGS.find((o) => isInDomain(name, o))!;
    const card = cardFromRecords(name, answer(name), { zone: origin });
    cards.set(name, card);
    t.equal(card.name, name);
    t.same(card.endpoints.map((e) => e.url), row.urls, `${name}: URLs in priority order`);
    t.equal(card.tool, row.tool, `${name}: tool`);
    t.same(card.warnings, [], `${name}: no warnings (the TXT agrees with the SVCB)`);
    t.equal(card.zone, origin);
    t.equal(card.ttl, 300, `${name}: TTL 300 (docs/records.md, "TTLs")`);
    t.equal(card.bap, 'mcp');
    t.ok(card.description !== undefined && card.capabilities.length > 0, `${name}: description and capabilities`);
    t.equal(card.aid?.u, row.urls[0], `${name}: the AID TXT carries the preferred URL`);
    card.endpoints.forEach((e, i) => {
      // The preferred endpoint is https (the local CA's), the others plain http (zones/README.md).
      t.equal(e.scheme, i === 0 ? 'https' : 'http', `${name}: ${e.url}: scheme`);
      if (i === 0) t.equal(e.priority, 1, `${name}: the https endpoint is the preferred one`);
      t.equal(e.transport, 'streamable-http');
      t.same(e.alpn, ['mcp']);
      t.ok(e.addresses !== undefined && e.addresses.length > 0 && e.addresses.every((a) => a === '127.0.0.1' || a === '::1'), `${name}: ${e.host} on loopback`);
    });
  }
  const writer = cards.get('writer.acme.agents.')!;
  t.same(writer.endpoints.map((e) => e.priority), [1, 2, 3], 'writer: failover');
  const researcher = cards.get('researcher.acme.agents.')!;
  t.same(researcher.endpoints.map((e) => e.priority), [1, 2, 2], 'researcher: load sharing at priority 2');
  const summarizer = cards.get('summarizer.acme.agents.')!;
  t.equal(summarizer.endpoints[0]!.target, 'summarizer.acme.agents.', 'summarizer: its own name as the target, not "." (dns-aid-core drops ".")');
  t.equal(summarizer.endpoints[0]!.host, 'summarizer.acme.agents.');
  t.same(cards.get('translator.acme.agents.')!.endpoints[0]!.addresses, ['127.0.0.1', '::1'], 'translator: A and AAAA');
  t.equal(writer.auth, 'none');
  t.equal(cards.get('editor.acme.agents.')!.auth, undefined, 'editor states no auth');
});

t.test('aliases lead to agents', async (t) => {
  const follow = (start: string): { chain: string[]; card: AgentCard } => {
    const chain = new AliasChain(start);
    for (;;) {
      const name = chain.current;
      const zone = zoneFor(name);
      const cname = zone.rrset(name, RRType.CNAME);
      if (cname) {
        // CNAME RDATA is one uncompressed name; the bundled ones are plain labels.
        const labels: string[] = [];
        for (let i = 0; cname.rdata[0]![i]! > 0; i += 1 + cname.rdata[0]![i]!) labels.push(cname.rdata[0]!.subarray(i + 1, i + 1 + cname.rdata[0]![i]!).toString('latin1'));
        chain.follow(`${labels.join('.')}.`, 'CNAME');
        continue;
      }
      const recs = answer(name);
      const kind = classifySvcbSet(name, recs);
      if (kind.kind === 'alias') {
        t.same(kind.warnings, [], `${name}: a clean AliasMode record`);
        chain.follow(kind.target);
        continue;
      }
      t.equal(kind.kind, 'service', `${name}: ends at ServiceMode records`);
      return { chain: [...chain.names], card: cardFromRecords(name, recs) };
    }
  };
  const copywriter = follow('copywriter.acme.agents.');
  t.same(copywriter.chain, ['copywriter.acme.agents.', 'writer.acme.agents.']);
  t.equal(copywriter.card.tool, 'draft_copy');
  const proofreader = follow('proofreader.acme.agents.');
  t.same(proofreader.chain, ['proofreader.acme.agents.', 'editor.acme.agents.'], 'a CNAME alias');
  const copyedit = follow('copyedit.globex.agents.');
  t.same(copyedit.chain, ['copyedit.globex.agents.', 'editor.acme.agents.'], 'AliasMode into another organisation');
  t.equal(copyedit.card.tool, 'edit_text');
});

/** The agent's block in the zone file: its SVCB lines through its `_agent` TXT line, comments left out. */
function block(origin: string, rel: string): string {
  const lines = zoneText.get(origin)!.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^${rel}\\s+IN SVCB\\s+[1-9]`).test(l));
  const end = lines.findIndex((l) => l.startsWith(`_agent.${rel} `));
  if (start < 0 || end < start) throw new Error(`no block for ${rel} in ${origin}`);
  return lines.slice(start, end + 1).filter((l) => !/^\s*;/.test(l)).join('\n') + '\n';
}

t.test('recordsFromCard writes each bundled agent exactly as its zone file has it', async (t) => {
  for (const [name, card] of cards) {
    const origin = card.zone!;
    const rel = name.slice(0, -origin.length - 1);
    const out = recordsFromCard(card, { defaultTtl: 300 });
    t.equal(out.text, block(origin, rel), `${name}: the same text`);
    t.same(out.warnings, [], `${name}: nothing adjusted`);
    // The index line: the same PTR as the zone's, whether or not the zone writes the owner on that line.
    const indexLines = zoneText.get(origin)!.split('\n').filter((l) => /\sIN PTR\s/.test(l)).map((l) => l.slice(17));
    t.ok(indexLines.includes(out.indexLine.slice(17)), `${name}: ${out.indexLine}`);
    t.equal(out.indexLine.slice(0, 17), '_index._agents   ');
    // The RRs are the zone's own records, byte for byte.
    const zone = zones.get(origin)!;
    const same = (rrs: RR[], type: number, owner: string): void => {
      const set = zone.rrset(owner, type)!;
      t.same(rrs.map((r) => r.rdata.toString('hex')), set.rdata.map((d) => d.toString('hex')), `${owner} ${type}: same RDATA`);
    };
    same(out.svcb, RRType.SVCB, name);
    same([out.txt], RRType.TXT, `_agent.${name}`);
    t.ok(zone.rrset(`_index._agents.${origin}`, RRType.PTR)!.rdata.some((d) => d.equals(out.index.rdata)), `${name}: index entry`);
    t.same(out.addresses.map((r) => nameKey(r.name)), card.endpoints.some((e) => e.target === '.') ? [nameKey(name)] : [], 'addresses only for a "." target');
  }
});
