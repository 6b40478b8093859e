// The parser of fetched capability documents trusts nothing in them: each way a document can be
// wrong is refused with its own code (too large, not UTF-8 JSON, not an object, an endpoints.mcp
// that is no path, a document in aop's format that breaks it); documents of other publishers are
// read for endpoints.mcp alone.

import t from 'tap';
const tap = t;
import { CapabilityError, MAX_CAPABILITY_BYTES, parseCapability, serializeCapability, type CapabilityDocument } from '../../src/agent/index.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const refused = (t: { throws: typeof tap.throws; ok: typeof tap.ok }, bytes: Buffer, code: string, message: RegExp, what: string): void => {
  t.throws(() => parseCapability(bytes), { code, message }, what);
  try {
    parseCapability(bytes);
  } catch (err) {
    t.ok(err instanceof CapabilityError, `${what}: a CapabilityError`);
  }
};

const doc: CapabilityDocument = {
  format: 'aop-cap/1', name: 'agents.acme/writer', version: '1.0.0', description: 'Drafts marketing copy', protocols: ['mcp'],
  transport: 'streamable-http', endpoints: { mcp: '/agents/writer/mcp' }, remotes: [{ type: 'streamable-http', url: 'https://mcp.acme.agents/agents/writer/mcp' }],
  capabilities: ['writing'], tools: [{ name: 'draft_copy', inputSchema: { type: 'object' } }], agent: 'writer.acme.agents.', tool: 'draft_copy',
};

t.test('not an object', async (t) => {
  refused(t, b('[{"endpoints":{"mcp":"/x"}}]'), 'ERR_CAP_DOC_NOT_OBJECT', /an array/, 'an array');
  refused(t, b('"endpoints"'), 'ERR_CAP_DOC_NOT_OBJECT', /a string/, 'a string');
  refused(t, b('null'), 'ERR_CAP_DOC_NOT_OBJECT', /null/, 'null');
  refused(t, b('42'), 'ERR_CAP_DOC_NOT_OBJECT', /a number/, 'a number');
});

t.test('not UTF-8 JSON', async (t) => {
  refused(t, b('{"endpoints": {"mcp": '), 'ERR_CAP_DOC_NOT_JSON', /not JSON/, 'cut short');
  refused(t, b('endpoints: mcp=/x'), 'ERR_CAP_DOC_NOT_JSON', /not JSON/, 'not JSON at all');
  refused(t, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'ERR_CAP_DOC_NOT_JSON', /not UTF-8/, 'a byte that is not UTF-8');
  refused(t, b(''), 'ERR_CAP_DOC_NOT_JSON', /not JSON/, 'empty');
});

t.test('endpoints.mcp that is not a path', async (t) => {
  refused(t, b('{"endpoints":{"mcp":42}}'), 'ERR_CAP_DOC_ENDPOINT', /a number, not a path/, 'a number');
  refused(t, b('{"endpoints":{"mcp":["/x"]}}'), 'ERR_CAP_DOC_ENDPOINT', /a list, not a path/, 'a list');
  refused(t, b('{"endpoints":{"mcp":null}}'), 'ERR_CAP_DOC_ENDPOINT', /null, not a path/, 'null');
  refused(t, b('{"endpoints":{"mcp":"agents/writer/mcp"}}'), 'ERR_CAP_DOC_ENDPOINT', /not a path/, 'a relative path');
  refused(t, b('{"endpoints":{"mcp":"http://mcp.acme.agents/mcp"}}'), 'ERR_CAP_DOC_ENDPOINT', /not a path \("\/\.\.\."\) or an https URL/, 'an http URL');
  refused(t, b('{"endpoints":{"mcp":"/a b"}}'), 'ERR_CAP_DOC_ENDPOINT', /not a path/, 'a space in the path');
  refused(t, b(JSON.stringify({ endpoints: { mcp: `/${'a'.repeat(3000)}` } })), 'ERR_CAP_DOC_ENDPOINT', /more than 2048/, 'too long');
  refused(t, b('{"endpoints":"/mcp"}'), 'ERR_CAP_DOC_ENDPOINT', /"endpoints" is not an object/, 'endpoints a string');
  refused(t, b('{"endpoints":["/mcp"]}'), 'ERR_CAP_DOC_ENDPOINT', /"endpoints" is not an object/, 'endpoints a list');
});

t.test('oversize', async (t) => {
  const big = b(JSON.stringify({ endpoints: { mcp: '/x' }, pad: 'x'.repeat(MAX_CAPABILITY_BYTES) }));
  refused(t, big, 'ERR_CAP_DOC_TOO_LARGE', /more than 256000/, 'past the limit');
  const fits = b(JSON.stringify({ endpoints: { mcp: '/x' }, pad: '' }));
  const exact = Buffer.concat([fits.subarray(0, fits.length - 2), b('x'.repeat(MAX_CAPABILITY_BYTES - fits.length)), b('"}')]);
  t.equal(exact.length, MAX_CAPABILITY_BYTES);
  t.equal(parseCapability(exact).mcp, '/x', 'exactly the limit is read');
});

t.test("aop's format is held to every rule", async (t) => {
  const bad = (patch: Record<string, unknown>, message: RegExp, what: string): void => refused(t, b(JSON.stringify({ ...doc, ...patch })), 'ERR_CAP_DOC_INVALID', message, what);
  bad({ tools: [] }, /tools/, 'no tools');
  bad({ tools: undefined, tool: undefined }, /tools/, 'tools missing');
  bad({ description: 'x'.repeat(101) }, /description/, 'description over 100');
  bad({ name: 'writer' }, /name: not a reverse-DNS name/, 'name without a slash');
  bad({ protocols: ['a2a'] }, /protocols/, 'another protocol');
  bad({ transport: 'carrier-pigeon' }, /transport/, 'unknown transport');
  bad({ remotes: [{ type: 'streamable-http', url: 'ftp://x/y' }] }, /remotes\.0\.url/, 'a remote that is no http URL');
  bad({ tools: [{ name: 'draft_copy', inputSchema: 'object' }] }, /tools\.0\.inputSchema/, 'an input schema that is no object');
  bad({ tool: 'edit' }, /tool: names "edit"/, 'a tool not listed');
  bad({ endpoints: { mcp: 'https://mcp.acme.agents/agents/writer/mcp' } }, /endpoints\.mcp/, "aop's own documents give a path");
  bad({ capabilities: 'writing' }, /capabilities/, 'capabilities not a list');
});

t.test('good documents', async (t) => {
  const own = parseCapability(serializeCapability(doc));
  t.same(own.document, doc, "aop's format: the checked document");
  t.equal(own.mcp, '/agents/writer/mcp');
  const withExtra = parseCapability(b(JSON.stringify({ ...doc, future: { x: 1 } })));
  t.notOk(withExtra.document !== undefined && 'future' in withExtra.document, 'unknown keys of a later writer are left out of the checked document');
  const foreign = parseCapability(b(JSON.stringify({ capabilities: [{ name: 'travel' }], version: 2, endpoints: { mcp: '/agents/x/mcp', a2a: 7 } })));
  t.equal(foreign.mcp, '/agents/x/mcp', "another publisher's document: endpoints.mcp only");
  t.equal(foreign.document, undefined);
  t.equal(parseCapability(b('{"endpoints":{"mcp":"https://mcp.dnsaid.test/rpc"}}')).mcp, 'https://mcp.dnsaid.test/rpc', 'an https URL');
  t.equal(parseCapability(b('{"capabilities":["x"]}')).mcp, undefined, 'none: the client decides');
});
