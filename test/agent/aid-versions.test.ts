// AID versions and what AID clients refuse, as units: parseAid reads aid1 and aid2, selectAid
// picks as AID 2.x does (aid2, else aid1; two of the chosen version are ambiguous),
// aidClientProblems lists what AID clients refuse in a record aop reads.

import t from 'tap';
import { aidClientProblems, parseAid, selectAid } from '../../src/agent/index.js';

const v2 = { aid: parseAid('v=aid2;u=https://x.example/mcp;p=mcp') };
const v1 = { aid: parseAid('v=aid1;u=https://x.example/mcp;p=mcp') };

t.test('both versions parse', async (t) => {
  t.equal(v1.aid.v, 'aid1');
  t.equal(v2.aid.v, 'aid2');
});

t.test('selectAid', async (t) => {
  t.same(selectAid([]), { counts: { aid2: 0, aid1: 0 } }, 'nothing to select');
  t.equal(selectAid([v1, v2]).selected, v2, 'aid2 over aid1, whatever the order');
  t.equal(selectAid([v2, v1]).selected, v2);
  t.equal(selectAid([v1]).selected, v1, 'aid1 alone');
  t.same(selectAid([v2, v2, v1]), { ambiguous: 'aid2', counts: { aid2: 2, aid1: 1 } }, 'two aid2: ambiguous');
  t.same(selectAid([v1, v1]), { ambiguous: 'aid1', counts: { aid2: 0, aid1: 2 } }, 'two aid1 without aid2: ambiguous');
  t.equal(selectAid([v1, v1, v2]).selected, v2, 'AID 2.x does not look at aid1 records when an aid2 is there');
});

t.test('aidClientProblems', async (t) => {
  t.same(aidClientProblems(v2.aid), []);
  t.match(aidClientProblems(parseAid('v=aid2;u=http://127.0.0.1:8080/mcp;p=mcp')), [/u=http:\/\/127\.0\.0\.1:8080\/mcp does not start with "https:\/\/".*loopback included/], 'loopback too');
  t.match(aidClientProblems(parseAid('v=aid2;u=http://x.example/;p=a2a')), [/does not start with "https:\/\/"/], 'every remote protocol');
  t.same(aidClientProblems(parseAid('v=aid2;u=docker:grafana/mcp;p=local')), [], 'local locators are not URLs');
  t.match(aidClientProblems(parseAid('v=aid2;u=https://x.example/ws;p=websocket')), [/does not start with "wss:\/\/"/]);
  t.same(aidClientProblems(parseAid('v=aid2;u=wss://x.example/ws;p=websocket')), []);
  t.match(aidClientProblems(parseAid('v=aid2;u=https://x.example/;p=mcp;k=zKey;i=g1')), [/i= \(kid\) is not allowed in an aid2 record/]);
  t.same(aidClientProblems(parseAid('v=aid1;u=https://x.example/;p=mcp;k=zKey;i=g1')), [], 'aid1 with its kid');
  t.match(aidClientProblems(parseAid('v=aid1;u=https://x.example/;p=mcp;k=zKey')), [/k= \(pka\) without i= \(kid\)/]);
});
