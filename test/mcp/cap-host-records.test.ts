// The capability document host's records are among the records a card rests on: an agent in
// aop's form whose `cap` is on another host (capgood) of the signed acme.agents, with a secure TLSA
// there. `aop agent NAME --json` (security.records) and the gateway's resolve_agent (the card's
// dnssec.records, as cardJson gives it from the hand-off's card) list the document host's TLSA
// (`_18446._tcp.capgood.acme.agents.`) and its address, secure, beside the endpoint's TLSA.

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { capDigest } from '../../src/agent/index.js';
import { runAgent } from '../../src/cli/agent.js';
import { verifiedLookup } from '../../src/cli/call.js';
import { HandOff } from '../../src/mcp/handoff.js';
import { cardJson } from '../../src/mcp/gateway/tools.js';

const PORT = 18446;
const DOC = Buffer.from('{"endpoints":{"mcp":"/mcp"}}');
const DOC_PATH = '/cap/doc.json';

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });
type Rec = { name: string; type: string; security: string };

t.test('the document host\'s TLSA is listed with the records the card rests on', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const w = await daneWorld(t, ['dane.acme.agents', 'capgood.acme.agents'], (d, lease) => [
    `capok IN SVCB 1 dane.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo" key65400="https://capgood.acme.agents:${PORT}${DOC_PATH}" key65401="${capDigest(DOC)}"`,
    `dane IN A ${lease.host(20)}`, `capgood IN A ${lease.host(21)}`,
    `_${PORT}._tcp.dane IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.capgood IN TLSA 3 1 1 ${d.spki}`,
  ]);
  const tls = { cert: w.certs.cert, key: w.certs.key };
  const endpoint = await startHttpsSite(w.lease.host(20), PORT, tls, { '/mcp': { mcp: ['echo'] } });
  const doc = await startHttpsSite(w.lease.host(21), PORT, tls, { [DOC_PATH]: { body: DOC, type: 'application/json' } });
  t.teardown(async () => { for (const s of [endpoint, doc]) await s.close(); });
  const has = (records: Rec[], name: string, type: string) => records.some((r) => r.name.toLowerCase() === name && r.type === type && r.security === 'secure');

  const a = { stdout: '', stderr: '', code: 0 };
  a.code = await runAgent({ name: 'capok.acme.agents', server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], trustAnchor: [w.anchorFile], probe: false }, io(a));
  t.equal(a.code, 0, a.stderr);
  const card = JSON.parse(a.stdout) as { capVerified?: boolean; security: { state: string; records: Rec[] } };
  t.equal(card.capVerified, true, 'the document was verified');
  t.ok(has(card.security.records, `_${PORT}._tcp.capgood.acme.agents.`, 'TLSA'), `aop agent --json: the document host's TLSA, secure (${JSON.stringify(card.security.records.map((r) => `${r.name} ${r.type}`))})`);
  t.ok(has(card.security.records, 'capgood.acme.agents.', 'A'), 'and its address');
  t.ok(has(card.security.records, `_${PORT}._tcp.dane.acme.agents.`, 'TLSA'), 'beside the endpoint\'s TLSA');
  t.equal(card.security.state, 'secure');

  const [host, port] = w.server.split(':');
  const lookup = verifiedLookup({ address: host!, port: Number(port) }, { trustAnchor: [w.anchorFile] }, undefined, io({ stdout: '', stderr: '', code: 0 }), 'test');
  const handoff = new HandOff({ lookup, loopbackZones: ['acme.agents'] });
  t.teardown(() => handoff.close());
  const json = cardJson(await handoff.resolve('capok.acme.agents')) as { capVerified?: boolean; dnssec: { state: string; records: Rec[] } };
  t.equal(json.capVerified, true);
  t.ok(has(json.dnssec.records, `_${PORT}._tcp.capgood.acme.agents.`, 'TLSA'), `resolve_agent's card: the document host's TLSA, secure (${JSON.stringify(json.dnssec.records.map((r) => `${r.name} ${r.type}`))})`);
  t.ok(has(json.dnssec.records, 'capgood.acme.agents.', 'A'), 'and its address');
  t.ok(has(json.dnssec.records, `_${PORT}._tcp.dane.acme.agents.`, 'TLSA'), 'beside the endpoint\'s TLSA');
  t.equal(json.dnssec.state, 'secure');
});
