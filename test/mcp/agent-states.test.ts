// The three states in `aop agent` (registered, reachable, verified): each endpoint a call could
// use is probed (MCP initialize + ping) over real sockets; stopping one endpoint, then both, shows
// in the text and the JSON; --no-probe contacts none. agentStates' rule for `verified` (DNSSEC
// secure, or the cap-sha256 checked) is tested on cards.

import t from 'tap';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { parseListen } from '../../src/server/listen.js';
import { runAgent, type AgentArgs } from '../../src/cli/agent.js';
import { agentStates, statesText } from '../../src/mcp/agent-state.js';
import { alpnValue, cardFromRecords, SvcKey, writeSvcb } from '../../src/agent/index.js';
import { healthWorld } from '../health/world.js';

t.test('aop agent probes the endpoints and shows the states', async (t) => {
  const net = await leaseNet(t);
  const w = healthWorld(t, net);
  await w.start('a');
  await w.start('b');
  const { host, port } = await startDaemon(t, { zonesDir: w.zonesDir, listen: [parseListen(`${w.hosts.dns}:0`)] });
  const agent = async (a: Partial<AgentArgs> = {}): Promise<{ code: number; stdout: string }> => {
    let stdout = '';
    const code = await runAgent({ name: 'writer.hz.agents', allowLoopbackZone: ['hz.agents'], server: `${host}:${port}`, ...a }, { stdout: (s) => { stdout += s; }, stderr: () => undefined, env: {} });
    return { code, stdout };
  };

  const up = await agent();
  t.equal(up.code, 0);
  t.match(up.stdout, /^state        registered, reachable \(2 of 2 endpoints answered\), not verified \(DNSSEC insecure, no cap-sha256\)$/m, 'both answered');
  t.equal(up.stdout.match(/, answered in \d+ ms$/gm)?.length, 2, 'each endpoint line says it answered');

  await w.stop('a');
  const half = await agent();
  t.match(half.stdout, /^state        registered, reachable \(1 of 2 endpoints answered\)/m, 'one answered');
  t.match(half.stdout, new RegExp(`${w.hosts.a}, no answer: ECONNREFUSED`), 'the stopped one: no answer, and why');
  const json = JSON.parse((await agent({ json: true })).stdout) as { state: { registered: boolean; reachable: boolean; verified: boolean; endpoints: Array<{ url: string; reachable: boolean | null; source?: string }> } };
  t.match(json.state, { registered: true, reachable: true, verified: false }, '--json: the states');
  t.same(json.state.endpoints.map((e) => [e.url, e.reachable, e.source]).sort(), [[w.urls.a, false, 'probe'], [w.urls.b, true, 'probe']], '--json: each endpoint');

  await w.stop('b');
  const down = await agent();
  t.equal(down.code, 0, 'an agent no endpoint of which answers is still shown (exit 0)');
  t.match(down.stdout, /^state        registered, not reachable \(no endpoint answered of 2\)/m, 'none answered');

  const unprobed = await agent({ probe: false });
  t.match(unprobed.stdout, /^state        registered, reachability not checked,/m, '--no-probe: not checked');
  t.notMatch(unprobed.stdout, /answered in|no answer/, '--no-probe: no endpoint contacted');
});

t.test('verified: DNSSEC secure, or the cap-sha256 checked; reachable from what was tried', async (t) => {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(443);
  const card = (cap: boolean) => cardFromRecords('w.example', [{
    name: 'w.example.', type: 64, class: 1, ttl: 60,
    rdata: writeSvcb(1, 'h.example.', [
      [SvcKey.alpn, alpnValue(['mcp'])], [SvcKey.port, port], [SvcKey.path, Buffer.from('/mcp')],
      [SvcKey.transport, Buffer.from('streamable-http')], [SvcKey.tool, Buffer.from('t')],
      ...(cap ? [[SvcKey.cap, Buffer.from('https://x.example/cap.json')], [SvcKey.capSha256, Buffer.from('7PQMsMOUO0BEt_N6LoE2M0nRgNeRmhW_77AOvcLh900')]] as Array<[number, Buffer]> : []),
    ]),
  }]);
  const plain = card(false);
  const url = plain.endpoints[0]!.url;
  t.match(agentStates(plain, [], 'insecure'), { verified: false, reachable: null, dnssec: 'insecure', capSha256: 'absent' });
  t.match(agentStates(plain, [], 'secure'), { verified: true, dnssec: 'secure' }, 'DNSSEC secure verifies');
  const pinned = card(true);
  t.match(agentStates(pinned, []), { verified: false, capSha256: 'not checked', dnssec: 'not judged' }, 'a cap-sha256 not checked does not verify');
  t.match(agentStates({ ...pinned, capVerified: true }, []), { verified: true, capSha256: 'verified' }, 'a checked cap-sha256 verifies');
  t.match(agentStates(plain, [{ url, reachable: false }]), { reachable: false }, 'the only endpoint failed: not reachable');
  t.match(agentStates(plain, [{ url, reachable: true, ms: 3 }]), { reachable: true });
  t.match(statesText(agentStates({ ...pinned, capVerified: true }, [{ url, reachable: true }], 'insecure')), 'registered, reachable (1 of 1 endpoint answered), verified (DNSSEC insecure, cap-sha256 verified)');
});
