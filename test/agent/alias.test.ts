// Alias helpers: the AliasMode target of a record, what an SVCB set is, and the 8-hop limit.

import t from 'tap';
import { AgentRecordError, AliasChain, aliasTarget, classifySvcbSet, MAX_ALIAS_HOPS } from '../../src/agent/index.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType } from '../../src/wire/types.js';

const ORIGIN = 'example.agents.';
function recs(body: string): RR[] {
  const head = '$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\nns1 A 127.0.0.3\n';
  return [...loadZoneText(head + body, { origin: ORIGIN }).records()].filter((r) => r.type === RRType.SVCB);
}
const SERVICE = 'alpn="mcp" key65320="/mcp" key65321="streamable-http" key65322="t"';

t.test('aliasTarget', async (t) => {
  const [alias, service, dot] = recs(`a SVCB 0 writer\nb SVCB 1 mcp ${SERVICE}\nc SVCB 0 .\n`);
  t.equal(aliasTarget(alias!), 'writer.example.agents.');
  t.equal(aliasTarget(service!), undefined, 'ServiceMode');
  t.equal(aliasTarget(dot!), '.', '"." is returned: the agent is not available');
  t.equal(aliasTarget({ ...alias!, type: RRType.TXT }), undefined, 'not SVCB');
  t.equal(aliasTarget({ ...alias!, rdata: Buffer.from([0, 0, 5, 0x61]) }), undefined, 'malformed');
});

t.test('classifySvcbSet', async (t) => {
  t.same(classifySvcbSet('x.example.agents.', []), { kind: 'none' });
  t.same(classifySvcbSet('b.example.agents.', recs(`b SVCB 1 mcp ${SERVICE}\n`)), { kind: 'service' });
  t.same(classifySvcbSet('a.example.agents', recs('a SVCB 0 writer\n')), { kind: 'alias', target: 'writer.example.agents.', warnings: [] }, 'name without the dot');
  t.same(classifySvcbSet('c.example.agents.', recs('c SVCB 0 .\n')), { kind: 'unavailable', warnings: [] });
  const beside = classifySvcbSet('a.example.agents.', recs(`a SVCB 0 writer\na SVCB 1 mcp ${SERVICE}\n`));
  t.match(beside, { kind: 'alias', target: 'writer.example.agents.', warnings: [/ServiceMode records beside an AliasMode record are ignored/] });
  const params = classifySvcbSet('a.example.agents.', recs('a SVCB 0 writer alpn="mcp"\n'));
  t.match(params, { kind: 'alias', warnings: [/SvcParams in an AliasMode record are ignored/] });
  const two = recs('a SVCB 0 one\na SVCB 0 two\n');
  t.match(classifySvcbSet('a.example.agents.', two, () => 0), { kind: 'alias', target: 'one.example.agents.', warnings: [/2 AliasMode records; one is picked at random/] });
  t.match(classifySvcbSet('a.example.agents.', two, () => 0.99), { target: 'two.example.agents.' });
  t.match(classifySvcbSet('a.example.agents.', two, () => 1), { target: 'two.example.agents.' }, 'random() of 1 stays in range');
  t.match(classifySvcbSet('a.example.agents.', two, () => NaN), { target: 'one.example.agents.' }, 'NaN counts as 0');
  const broken: RR = { ...two[0]!, rdata: Buffer.from([0, 0, 9]) };
  t.match(classifySvcbSet('a.example.agents.', [broken, two[1]!]), { kind: 'alias', target: 'two.example.agents.', warnings: [/1 malformed record\(s\) ignored/] });
  t.same(classifySvcbSet('a.example.agents.', [broken]), { kind: 'service' }, 'only malformed: cardFromRecords reports them');
  t.same(classifySvcbSet('other.example.agents.', two), { kind: 'none' }, 'records at other names do not count');
});

t.test('AliasChain: at most 8 aliases in a row', async (t) => {
  t.equal(MAX_ALIAS_HOPS, 8);
  const chain = new AliasChain('a0.example.');
  for (let i = 1; i <= 8; i++) chain.follow(`a${i}.example.`, i % 2 ? 'CNAME' : 'AliasMode');
  t.equal(chain.hops, 8);
  t.equal(chain.current, 'a8.example.');
  t.equal(chain.names.length, 9);
  try {
    chain.follow('a9.example.');
    t.fail('a ninth hop is refused');
  } catch (e) {
    t.ok(e instanceof AgentRecordError);
    t.equal((e as AgentRecordError).code, 'ERR_AGENT_ALIAS_LOOP');
    t.match((e as Error).message, /more than 8 aliases in a row from a0\.example\. \(a0\.example\. -> .* -> a9\.example\.\)/);
  }
  const loop = new AliasChain('a.example.');
  loop.follow('b.example.', 'CNAME');
  try {
    loop.follow('A.Example.');
    t.fail('a loop is refused at once');
  } catch (e) {
    t.equal((e as AgentRecordError).code, 'ERR_AGENT_ALIAS_LOOP');
    t.match((e as Error).message, /alias loop: b\.example\. AliasMode points back to A\.Example\./);
  }
  const short = new AliasChain('a.', 1);
  short.follow('b.');
  t.throws(() => short.follow('c.'), { code: 'ERR_AGENT_ALIAS_LOOP' }, 'a smaller limit');
});
