// The hand-off end to end on loopback: an aop Daemon (.1 of a leased /24) serving the bundled
// zones with the agents moved to .2, the demo agents there (on their fixed ports); every bundled agent and alias called by
// name, the card cache, session and connection reuse, a new session after the old one dies,
// failover from writer's priority-1 endpoint to its backup.

import t from 'tap';
import { agentWorld } from '../helpers/mcp-agents.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { HandOff, NetworkLookup, startDemoAgents, type DnsLookup } from '../../src/mcp/index.js';
import { RRType } from '../../src/wire/types.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
const NET = await leaseNet(t);
const DNS = NET.host(1);
const AGENTS = NET.host(2);
const DOWN = NET.host(3);

/** A DnsLookup that counts the queries it passes on. */
function counting(inner: DnsLookup): DnsLookup & { count: number; asked: string[] } {
  const c = {
    count: 0,
    asked: [] as string[],
    query(name: string, type: number, signal?: AbortSignal) {
      c.count++;
      c.asked.push(`${name} ${type}`);
      return inner.query(name, type, signal);
    },
  };
  return c;
}

const CASES: Array<{ name: string; args: Record<string, unknown>; agent: string; expect: RegExp }> = [
  { name: 'writer.acme.agents', args: { task: 'Draft a haiku about DNS' }, agent: 'writer.acme.agents.', expect: /^Draft by writer\.acme\.agents \(tone: plain\)\nTask: Draft a haiku about DNS\n/ },
  { name: 'editor.acme.agents', args: { text: 'the agent  answered . it was fast' }, agent: 'editor.acme.agents.', expect: /The agent answered\. It was fast\.$/ },
  { name: 'translator.acme.agents', args: { text: 'Hello world', target_language: 'fr' }, agent: 'translator.acme.agents.', expect: /\nBonjour monde$/ },
  { name: 'researcher.acme.agents', args: { topic: 'agent names' }, agent: 'researcher.acme.agents.', expect: /https:\/\/example\.org\/agent-names\/background/ },
  { name: 'summarizer.acme.agents', args: { text: 'One. Two. Three.', max_sentences: 1 }, agent: 'summarizer.acme.agents.', expect: /\(1 of 3 sentences\):\nOne\.$/ },
  { name: 'planner.globex.agents', args: { goal: 'launch', steps: 3 }, agent: 'planner.globex.agents.', expect: /\n3\. Build the first part of launch$/ },
  { name: 'coder.globex.agents', args: { task: 'parse a zone', language: 'python' }, agent: 'coder.globex.agents.', expect: /def parse_a_zone\(\) -> None:/ },
  { name: 'reviewer.globex.agents', args: { code: 'eval(x)\nok' }, agent: 'reviewer.globex.agents.', expect: /line 1: eval\(\) runs arbitrary code/ },
  // Aliases: AliasMode in the same zone, CNAME, AliasMode into another zone.
  { name: 'copywriter.acme.agents', args: { task: 'Write a slogan' }, agent: 'writer.acme.agents.', expect: /^Draft by writer\.acme\.agents/ },
  { name: 'proofreader.acme.agents', args: { text: 'fine' }, agent: 'editor.acme.agents.', expect: /Fine\.$/ },
  { name: 'copyedit.globex.agents.', args: { text: 'fine' }, agent: 'editor.acme.agents.', expect: /Fine\.$/ },
];

t.test('every bundled agent and alias, called by name', async (t) => {
  const w = await agentWorld(t, { dnsHost: DNS, agentHost: AGENTS });
  const h = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup(w.dns) });
  t.teardown(() => h.close());
  for (const c of CASES) {
    const o = await h.call(c.name, c.args);
    t.equal(o.card.name, c.agent, `${c.name}: the card is ${c.agent}'s`);
    const text = o.result.content.map((x) => (x.type === 'text' ? x.text : '')).join('');
    t.match(text, c.expect, `${c.name}: the tool ran on the input`);
    t.notOk(o.result.isError, `${c.name}: no error`);
    t.ok(o.card.endpoints.some((e) => e.url === o.endpoint), `${c.name}: answered by an endpoint the record names (${o.endpoint})`);
    t.equal(o.attempts.at(-1)?.ok, true, `${c.name}: the last attempt succeeded`);
  }
  const alias = await h.resolveAgent('copyedit.globex.agents');
  t.same(alias.aliases, ['copyedit.globex.agents.', 'editor.acme.agents.'], 'the alias chain is reported');
});

/** globex.agents with a CNAME into acme.agents (beside copyedit's AliasMode one). */
const crossCname = (text: string, file: string): string => (file === 'globex.agents.zone' ? `${text}\nediting IN CNAME editor.acme.agents.\n` : text);

t.test("the card names its source zone: the zone of the final owner's records", async (t) => {
  const w = await agentWorld(t, { dnsHost: DNS, agentHost: AGENTS, demo: false, edit: crossCname });
  const lookup = counting(new NetworkLookup(w.dns));
  const h = new HandOff({ loopbackZones: 'any', lookup });
  t.teardown(() => h.close());
  const cases: Array<[string, string, string]> = [
    ['researcher.acme.agents', 'researcher.acme.agents.', 'acme.agents.'],
    ['planner.globex.agents', 'planner.globex.agents.', 'globex.agents.'],
    ['copywriter.acme.agents', 'writer.acme.agents.', 'acme.agents.'],
    ['proofreader.acme.agents', 'editor.acme.agents.', 'acme.agents.'],
    ['copyedit.globex.agents', 'editor.acme.agents.', 'acme.agents.'],
    ['editing.globex.agents', 'editor.acme.agents.', 'acme.agents.'],
  ];
  for (const [name, owner, zone] of cases) {
    const r = await h.resolveAgent(name);
    t.equal(r.card.name, owner, `${name}: the card is ${owner}'s`);
    t.equal(r.card.zone, zone, `${name}: card.zone is ${zone}`);
  }
  t.same((await h.resolveAgent('editing.globex.agents')).aliases, ['editing.globex.agents.', 'editor.acme.agents.'], 'the CNAME into acme.agents was followed');
  // One SOA query per card (at the final owner), none once the card is cached.
  const soa = lookup.asked.filter((q) => q.endsWith(` ${RRType.SOA}`));
  t.same(soa.sort(), ['editor.acme.agents.', 'editor.acme.agents.', 'editor.acme.agents.', 'planner.globex.agents.', 'researcher.acme.agents.', 'writer.acme.agents.'].map((n) => `${n} ${RRType.SOA}`),
    'an SOA query at each final owner, once per card (cards are cached per name asked)');
  const before = lookup.count;
  for (const [name] of cases) await h.resolve(name);
  t.equal(lookup.count, before, 'cached cards keep their zone: no query at all');
});

t.test('the card cache: a warm call does no DNS round trip; the TTL bounds it', async (t) => {
  const w = await agentWorld(t, { dnsHost: DNS, agentHost: AGENTS });
  const lookup = counting(new NetworkLookup(w.dns));
  const h = new HandOff({ loopbackZones: 'any', lookup });
  t.teardown(() => h.close());
  const first = await h.call('writer.acme.agents', { task: 'one' });
  const cold = lookup.count;
  t.ok(cold >= 2, `the cold call asked the DNS (${lookup.asked.join(', ')})`);
  t.ok(lookup.asked.includes(`writer.acme.agents. ${RRType.SVCB}`), 'SVCB at the agent name');
  t.equal(lookup.asked.filter((q) => q === `writer.acme.agents. ${RRType.SOA}`).length, 1, 'one SOA query for the source zone, on the cold call only');
  t.equal(first.card.zone, 'acme.agents.', 'the card names its zone');
  await h.call('writer.acme.agents', { task: 'two' });
  await h.call('writer.acme.agents.', { task: 'three' });
  await h.resolve('WRITER.acme.agents');
  t.equal(lookup.count, cold, 'warm calls and resolves asked nothing');
  const r = await h.resolveAgent('writer.acme.agents');
  t.ok(r.ttl > 0 && r.ttl <= 300, `cached for the records' TTL (${r.ttl} s)`);
  h.forget('writer.acme.agents');
  await h.resolve('writer.acme.agents');
  t.ok(lookup.count > cold, 'after forget, the DNS is asked again');
});

t.test('sessions and connections are reused across calls; a dead session is replaced', async (t) => {
  const w = await agentWorld(t, { dnsHost: DNS, agentHost: AGENTS });
  const h = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup(w.dns) });
  t.teardown(() => h.close());
  await h.call('editor.acme.agents', { text: 'warm up' });
  const serverSide = w.demo!.connections;
  const clientSide = h.connectionsOpened;
  t.ok(serverSide >= 1 && serverSide <= 4, `opening the session connected a few times (${serverSide} connection(s))`);
  t.equal(clientSide, serverSide, 'the client counts the same connections');
  for (let i = 0; i < 20; i++) await h.call('editor.acme.agents', { text: `call ${i}` });
  t.equal(w.demo!.connections, serverSide, 'no new TCP connection at the server for 20 more calls');
  t.equal(h.connectionsOpened, clientSide, 'and none opened by the client');
  // HTTP/1.1 carries one request at a time per connection: parallel calls grow the pool, up to its cap of 8.
  for (let round = 0; round < 10; round++) await Promise.all([1, 2, 3].map((i) => h.call('editor.acme.agents', { text: `parallel ${round}.${i}` })));
  t.ok(w.demo!.connections <= serverSide + 8, `30 calls, 3 at a time, added at most 8 connections (${w.demo!.connections - serverSide})`);

  // The agent restarts: its connections and sessions are gone (a dead socket, or 404 for the old
  // session id); the hand-off opens a new session. test/mcp/failures.test.ts has the 404 alone.
  await w.demo!.close();
  const again = await startDemoAgents({ zonesDir: w.zonesDir, host: AGENTS });
  t.teardown(() => again.close());
  const o = await h.call('editor.acme.agents', { text: 'after restart' });
  t.match(o.result.content[0], { type: 'text', text: /After restart\.$/ }, 'the call succeeded after the restart');
  t.same(o.attempts.map((a) => a.ok), o.attempts.length === 1 ? [true] : [false, true], `attempts: ${o.attempts.map((a) => a.code ?? 'ok').join(', ')}`);
  const before = again.connections;
  await h.call('editor.acme.agents', { text: 'and again' });
  t.equal(again.connections, before, 'the new session is reused too');
});

t.test('listTools: the endpoint tools/list, with the input schema', async (t) => {
  const w = await agentWorld(t, { dnsHost: DNS, agentHost: AGENTS });
  const h = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup(w.dns) });
  t.teardown(() => h.close());
  const tools = await h.listTools('translator.acme.agents');
  t.equal(tools.length, 1);
  t.equal(tools[0]!.name, 'translate');
  t.equal(tools[0]!.description, 'Translates text between languages', "the record's description");
  t.match(tools[0]!.inputSchema, { type: 'object', properties: { text: { type: 'string' }, target_language: { enum: ['es', 'fr', 'de'] } }, required: ['text', 'target_language'] });
});

t.test("failover: writer's priority-1 endpoint is down, the priority-2 backup answers", async (t) => {
  // mcp.acme.agents (writer priority 1, editor, researcher) moves to DOWN, where nothing listens.
  const w = await agentWorld(t, {
    dnsHost: DNS, agentHost: AGENTS,
    edit: (text) => text.replace(new RegExp(`^mcp(\\s+IN A\\s+)${AGENTS.replace(/\./g, '\\.')}$`, 'm'), `mcp$1${DOWN}`),
  });
  const h = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup(w.dns) });
  t.teardown(() => h.close());
  const o = await h.call('writer.acme.agents', { task: 'failover' });
  t.equal(o.endpoint, 'http://mcp-backup.acme.agents:18102/agents/writer/mcp', 'the backup answered');
  t.equal(o.attempts.length, 2, 'two attempts');
  t.match(o.attempts[0], { url: 'http://mcp.acme.agents:18101/agents/writer/mcp', ok: false, code: 'ECONNREFUSED' }, 'priority 1 first, refused');
  t.match(o.attempts[1], { ok: true });
  t.match(o.result.content[0], { type: 'text', text: /Task: failover/ });
});
