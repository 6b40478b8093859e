// The gateway's directory reads the TXT index DNS-AID publishers write at `_index._agents.<zone>`
// (`"agents=writer:mcp,billing:a2a"`, as dns-aid-core's indexer formats it) beside the PTR set:
// its mcp entries join the directory once, other protocols and bad entries are left out, and a
// failing TXT query is a problem only when the PTR query worked.

import t from 'tap';
import type { AgentCard } from '../../src/agent/index.js';
import { AgentDirectory, type AgentClient } from '../../src/mcp/gateway/index.js';
import type { DnsLookup, LookupReply } from '../../src/mcp/lookup.js';
import { nameToWire } from '../../src/wire/name.js';
import { Rcode, RRClass, RRType } from '../../src/wire/types.js';

const ptr = (owner: string, target: string, ttl = 300) => ({ name: owner, type: RRType.PTR, class: RRClass.IN, ttl, rdata: nameToWire(target) });
const txt = (owner: string, strings: string[], ttl = 300) => ({
  name: owner, type: RRType.TXT, class: RRClass.IN, ttl,
  rdata: Buffer.concat(strings.flatMap((s) => [Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])),
});
const reply = (rcode: number, answers: LookupReply['answers'] = []): LookupReply => ({ rcode, answers, authority: [], additional: [] });
const card = (name: string): AgentCard => ({ name: `${name}.`, endpoints: [], tool: 'x', capabilities: [], ttl: 300, warnings: [] });
const client: AgentClient = {
  async resolve(name) { return card(name); },
  async call() { throw new Error('not used'); },
  async listTools() { return []; },
};

t.test('TXT index entries beside the PTR set', async (t) => {
  const lookup: DnsLookup = {
    async query(name, type) {
      if (name === '_index._agents.a.example.' && type === RRType.PTR) return reply(Rcode.NOERROR, [ptr(name, 'writer.a.example.')]);
      if (name === '_index._agents.a.example.' && type === RRType.TXT) {
        return reply(Rcode.NOERROR, [
          txt(name, ['agents=writer:mcp,billing:a2a,editor:MCP, planner : mcp,bad.label:mcp', 'not an index'], 60),
          txt(name, ['v=spf1 -all', 'agents=coder:mcp']),
        ]);
      }
      if (name === '_index._agents.b.example.' && type === RRType.PTR) return reply(Rcode.NXDOMAIN);
      if (name === '_index._agents.b.example.' && type === RRType.TXT) return reply(Rcode.NOERROR, [txt(name, ['agents=chat:mcp'])]);
      if (name === '_index._agents.c.example.' && type === RRType.PTR) return reply(Rcode.NOERROR, [ptr(name, 'one.c.example.')]);
      if (name === '_index._agents.c.example.' && type === RRType.TXT) return reply(Rcode.SERVFAIL);
      return reply(Rcode.SERVFAIL);
    },
  };
  const dir = new AgentDirectory({ lookup, client, zones: () => ['a.example', 'b.example', 'c.example', 'd.example'] });
  const snap = await dir.list();
  t.same(snap.agents.map((a) => a.name), [
    'writer.a.example', 'editor.a.example', 'planner.a.example', 'coder.a.example', 'chat.b.example', 'one.c.example',
  ], 'PTR entries first, then the mcp entries of every agents= string, each name once; a2a left out');
  t.same(snap.problems.map((p) => [p.zone, p.code]), [
    ['a.example', 'ERR_GATEWAY_BAD_INDEX'], ['c.example', 'ERR_LOOKUP_FAILED'], ['d.example', 'ERR_LOOKUP_FAILED'],
  ], 'a bad entry; a TXT failure where the PTR worked; one problem where both failed');
  t.match(snap.problems[0]!.message, /TXT: entry "bad\.label:mcp" is not a label/);
  t.match(snap.problems[1]!.message, /_index\._agents\.c\.example\. TXT: .*SERVFAIL/);
  t.equal(snap.expires - snap.at, 60_000, 'the TXT index TTL counts too');
});
