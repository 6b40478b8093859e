// rankByCapability (src/mcp/gateway/select.ts): only agents offering the capability, known
// unreachable ones left out; verified first, then reachable, then the fastest, then by name.

import t from 'tap';
import { rankByCapability, offers, type Candidate } from '../../src/mcp/gateway/select.js';
import type { AgentCard } from '../../src/agent/index.js';
import type { AgentStates } from '../../src/mcp/agent-state.js';

function cand(name: string, caps: string[], s: Partial<AgentStates> & { ms?: number }): Candidate {
  const card = { name, capabilities: caps, endpoints: [], ttl: 60, warnings: [] } as unknown as AgentCard;
  const { ms, ...rest } = s;
  const states: AgentStates = {
    registered: true, reachable: null, verified: false, dnssec: 'insecure', capSha256: 'absent',
    endpoints: s.reachable === true ? [{ url: `http://${name}/mcp`, reachable: true, ...(ms !== undefined ? { ms } : {}) }] : [],
    ...rest,
  };
  return { card, states };
}

t.test('the ranking', async (t) => {
  const list = [
    cand('slow.x.', ['translation'], { reachable: true, ms: 90 }),
    cand('fast.x.', ['translation'], { reachable: true, ms: 5 }),
    cand('unknown.x.', ['translation'], { reachable: null }),
    cand('down.x.', ['translation'], { reachable: false, verified: true }),
    cand('verified-unknown.x.', ['TRANSLATION'], { reachable: null, verified: true }),
    cand('verified-slow.x.', ['translation'], { reachable: true, verified: true, ms: 200 }),
    cand('writer.x.', ['writing'], { reachable: true, verified: true, ms: 1 }),
    cand('b-tie.x.', ['translation'], { reachable: true, ms: 5 }),
  ];
  t.same(rankByCapability('translation', list).map((c) => c.card.name), [
    'verified-slow.x.', 'verified-unknown.x.', 'b-tie.x.', 'fast.x.', 'slow.x.', 'unknown.x.',
  ], 'verified, then reachable, then fastest, then name; the unreachable and the non-offering left out');
  t.same(rankByCapability('astrology', list), [], 'nobody offers it');
  t.ok(offers(list[4]!.card, ' translation '), 'compared without case or spaces');
});
