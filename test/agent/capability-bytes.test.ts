// The capability document's bytes are canonical: the same inputs, in any key order, give the same
// bytes and the same cap-sha256 (base64url SHA-256, 43 characters, no padding), checked against
// openssl's digest of the bytes; a change of any input changes the digest.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { cardFromRecords, capabilityFromCard, capDigest, CAP_FORMAT, checkCapability, serializeCapability, type CapabilityDocument } from '../../src/agent/index.js';
import { loadZoneText } from '../../src/zone/load.js';
import { RRType } from '../../src/wire/types.js';
import { requireTool } from '../helpers/peers.js';

const zone = loadZoneText(`$TTL 300
@ IN SOA ns1 h 1 2 3 4 5
@ IN NS ns1
ns1 IN A 127.0.0.1
mcp IN A 127.0.0.1
writer IN SVCB 1 mcp.acme.agents. alpn="mcp" port=18101 key65320="/agents/writer/mcp" key65321="streamable-http" key65322="draft_copy" key65323="writing,marketing" key65324="Drafts marketing copy" key65326="http"
       IN SVCB 2 mcp.acme.agents. alpn="mcp" port=18102 key65320="/agents/writer/mcp" key65321="streamable-http" key65322="draft_copy" key65323="writing,marketing" key65324="Drafts marketing copy" key65326="http"
`, { origin: 'acme.agents.' });
const svcb = zone.rrset('writer.acme.agents.', RRType.SVCB)!;
const card = cardFromRecords('writer.acme.agents.', svcb.rdata.map((rdata) => ({ name: svcb.name, type: svcb.type, class: svcb.class, ttl: svcb.ttl, rdata })), { zone: 'acme.agents.' });
const tool = {
  name: 'draft_copy',
  description: 'Drafts marketing copy for a task',
  inputSchema: { type: 'object', properties: { task: { type: 'string', minLength: 1 }, tone: { type: 'string', enum: ['plain', 'upbeat'] } }, required: ['task'], $schema: 'http://json-schema.org/draft-07/schema#' },
  annotations: { readOnlyHint: true, somethingElse: 'dropped' },
};

/** The same object with every object's keys in reverse order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]));
  return v;
}

t.test('the same inputs in any key order give the same bytes', async (t) => {
  const a = capabilityFromCard(card, [tool], { version: '0.1.0', protocolVersion: '2025-11-25' }).document;
  const b = capabilityFromCard(card, [reversed(tool) as typeof tool], { version: '0.1.0', protocolVersion: '2025-11-25' }).document;
  const bytes = serializeCapability(a);
  t.ok(bytes.equals(serializeCapability(b)), 'tool keys in another order: same bytes');
  t.ok(bytes.equals(serializeCapability(reversed(a) as CapabilityDocument)), 'document keys in another order: same bytes');
  t.ok(bytes.equals(serializeCapability(capabilityFromCard(card, [tool], { version: '0.1.0', protocolVersion: '2025-11-25' }).document)), 'generated again: same bytes');
  const text = bytes.toString('utf8');
  t.notMatch(text, /[\n\r\t]|": |, /, 'no insignificant white space');
  t.match(text, /^\{"agent":"writer\.acme\.agents\.","capabilities":\["writing","marketing"\],"description":"Drafts marketing copy","endpoints":\{"mcp":"\/agents\/writer\/mcp"\},"format":"aop-cap\/1","name":"agents\.acme\/writer",/, 'keys sorted at every level');
  const doc = JSON.parse(text) as CapabilityDocument;
  t.equal(doc.format, CAP_FORMAT);
  t.same(doc.protocols, ['mcp']);
  t.same(doc.remotes.map((r) => r.url), ['http://mcp.acme.agents:18101/agents/writer/mcp', 'http://mcp.acme.agents:18102/agents/writer/mcp'], 'every endpoint, preferred first');
  t.same(doc.remotes[0]!.supportedProtocolVersions, ['2025-11-25']);
  t.same(doc.tools[0]!.annotations, { readOnlyHint: true }, 'unknown annotation keys are left out');
  t.equal(doc.tools[0]!.inputSchema.required?.toString(), 'task', 'the input schema as tools/list gave it');
  t.notOk('cap' in doc || 'capSha256' in doc, 'the document does not name itself');
});

t.test('cap-sha256: base64url SHA-256 of the bytes, 43 characters, no padding', async (t) => {
  const bytes = serializeCapability(capabilityFromCard(card, [tool]).document);
  const d = capDigest(bytes);
  t.match(d, /^[A-Za-z0-9_-]{43}$/);
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const raw = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: bytes });
  t.equal(d, raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), "openssl's digest of the same bytes");
});

t.test('any change of an input changes the digest', async (t) => {
  const base = capDigest(serializeCapability(capabilityFromCard(card, [tool]).document));
  const other = [
    capabilityFromCard(card, [{ ...tool, description: 'Drafts copy' }]).document,
    capabilityFromCard(card, [tool], { version: '0.2.0' }).document,
    capabilityFromCard({ ...card, capabilities: ['writing'] }, [tool]).document,
    capabilityFromCard({ ...card, endpoints: card.endpoints.slice(0, 1) }, [tool]).document,
  ].map((d) => capDigest(serializeCapability(d)));
  t.equal(new Set([base, ...other]).size, 5);
  t.equal(capDigest(serializeCapability(capabilityFromCard({ ...card, cap: 'https://x.example/c.json', capSha256: base }, [tool]).document)), base, 'cap and cap-sha256 in the card do not change it');
});

t.test('documents that break the format are not written', async (t) => {
  const doc = capabilityFromCard(card, [tool]).document;
  t.throws(() => serializeCapability({ ...doc, description: 'x'.repeat(101) }), { code: 'ERR_CAP_DOC_INVALID' }, 'description over 100 characters');
  t.throws(() => serializeCapability({ ...doc, name: 'no-slash' }), { code: 'ERR_CAP_DOC_INVALID' }, 'name without a slash');
  t.throws(() => serializeCapability({ ...doc, tool: 'other' }), { code: 'ERR_CAP_DOC_INVALID' }, 'tool not in tools');
  t.throws(() => serializeCapability({ ...doc, tools: [{ ...doc.tools[0]!, inputSchema: { type: 'string' } }] }), { code: 'ERR_CAP_DOC_INVALID' }, 'an input schema that is not an object schema');
  t.throws(() => serializeCapability({ ...doc, tools: [{ ...doc.tools[0]!, inputSchema: { type: 'object', x: Number.NaN } }] }), { code: 'ERR_CAP_DOC_INVALID' }, 'a value JSON cannot hold');
  t.throws(() => serializeCapability({ ...doc, tool: undefined, tools: Array.from({ length: 900 }, (_, i) => ({ ...doc.tools[0]!, name: `t${i}`, description: 'd'.repeat(400) })) }), { code: 'ERR_CAP_DOC_INVALID', message: /more than 256000/ }, 'larger than the limit');
  t.throws(() => capabilityFromCard(card, [{ ...tool, name: 'other' }]), { code: 'ERR_CAP_DOC_TOOL_MISSING' });
  t.same(checkCapability(doc), doc, 'a valid document passes as it is');
});
