// Which agents an IXFR's differences touch (src/directory/ixfr-changes.ts): index PTRs added and
// removed, an agent's own SVCB and `_agent` TXT, a PTR moved between pages kept; and the changes
// that cannot be applied agent by agent said as such (a page of the index, an address or alias at
// a name that is not an agent), while records no agent reads (capability index, NS, MX) are not.

import t from 'tap';
import { agentChanges } from '../../src/directory/ixfr-changes.js';
import type { RR } from '../../src/wire/rr.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import type { ZoneDiff } from '../../src/xfr/diff.js';

const Z = 'acme.test';
const rr = (name: string, type: number, rdata: Buffer): RR => ({ name: `${name}.`, type, class: RRClass.IN, ttl: 300, rdata });
const ptr = (owner: string, target: string): RR => rr(owner, RRType.PTR, Buffer.from(nameToWire(`${target}.`)));
const a = (owner: string): RR => rr(owner, RRType.A, Buffer.from([127, 0, 0, 1]));
const svcb = (owner: string): RR => rr(owner, RRType.SVCB, Buffer.concat([Buffer.from([0, 1]), Buffer.from(nameToWire(`mcp.${Z}.`))]));
const txt = (owner: string): RR => rr(owner, RRType.TXT, Buffer.from('\x05hello', 'latin1'));
const soa = (serial: number): RR => {
  const b = Buffer.alloc(22);
  b.writeUInt32BE(serial, 2);
  return rr(Z, RRType.SOA, b);
};
const diff = (removed: RR[], added: RR[], from = 1): ZoneDiff => ({ from: soa(from), removed, to: soa(from + 1), added });
const listed = (names: string[]) => (n: string): boolean => names.includes(n);
const IDX = `_index._agents.${Z}`;
const before = listed([`a.${Z}`, `b.${Z}`, `c.${Z}`]);

t.test('the agents touched', async (t) => {
  t.same(agentChanges(Z, [diff([], [svcb(`new.${Z}`), ptr(IDX, `new.${Z}`)])], before), { agents: [`new.${Z}`], removed: [], txtIndex: false }, 'an agent added');
  t.same(agentChanges(Z, [diff([svcb(`b.${Z}`), ptr(IDX, `b.${Z}`)], [])], before), { agents: [], removed: [`b.${Z}`], txtIndex: false }, 'an agent removed');
  t.same(agentChanges(Z, [diff([svcb(`a.${Z}`)], [svcb(`a.${Z}`)]), diff([txt(`_agent.c.${Z}`)], [], 2)], before), { agents: [`a.${Z}`, `c.${Z}`], removed: [], txtIndex: false }, 'agents whose own records changed, over two differences');
  t.same(agentChanges(Z, [diff([ptr(`3._index._agents.${Z}`, `a.${Z}`)], [ptr(`4._index._agents.${Z}`, `a.${Z}`)])], before), { agents: [], removed: [], txtIndex: false }, 'a PTR moved between pages: still listed, nothing to read');
  t.same(agentChanges(Z, [diff([], [ptr(IDX, `x.${Z}`)]), diff([ptr(IDX, `x.${Z}`)], [], 2)], before), { agents: [], removed: [], txtIndex: false }, 'added then removed: nothing');
  t.same(agentChanges(Z, [diff([], [ptr(`translation._cap._agents.${Z}`, `a.${Z}`), rr(Z, RRType.NS, Buffer.from(nameToWire(`ns2.${Z}.`))), txt(`notes.${Z}`)])], before), { agents: [], removed: [], txtIndex: false }, 'records no agent reads: nothing');
  t.same(agentChanges(Z, [diff([txt(IDX)], [txt(IDX)])], before), { agents: [], removed: [], txtIndex: true }, 'the TXT index: said, for the crawler to ask whether the index has PTRs');
});

t.test('what calls for a whole transfer', async (t) => {
  t.match(agentChanges(Z, [diff([], [ptr(IDX, `7._index._agents.${Z}`)])], before), { whole: /a page of the index changed/ }, 'a page added');
  t.match(agentChanges(Z, [diff([a(`mcp.${Z}`)], [])], before), { whole: /an address of mcp\.acme\.test changed/ }, 'an address at a name that is not an agent');
  t.match(agentChanges(Z, [diff([], [svcb(`target.${Z}`)])], before), { whole: /target\.acme\.test changed/ }, 'an SVCB at a name that is not an agent (an alias target?)');
  t.same(agentChanges(Z, [diff([], [a(`b.${Z}`)])], before), { agents: [`b.${Z}`], removed: [], txtIndex: false }, 'an address at an agent\'s own name: that agent');
});
