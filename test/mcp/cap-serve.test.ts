// CapabilityDocs, the document server the demo agents and the gateway mount: a folder of documents
// read once, each checked when mounted (a document a client would refuse is never served), the
// exact bytes with their digest as ETag on a real HTTP server.

import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { capabilityDocsFromDir, CapabilityDocs, CapServeError } from '../../src/mcp/cap-serve.js';
import { capDigest, MAX_CAPABILITY_BYTES } from '../../src/agent/index.js';
import { leaseNet } from '../helpers/loopback-net.js';

const NET = await leaseNet(t);
const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-cap-serve-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const doc = Buffer.from('{"endpoints":{"mcp":"/agents/writer/mcp"},"capabilities":["writing"]}');

t.test('documents a client would refuse are not mounted', async (t) => {
  const d = new CapabilityDocs();
  t.throws(() => d.set('/c.json', Buffer.from('[1]')), { code: 'ERR_CAP_SERVE', message: /not a JSON object \(an array\); clients refuse it/ });
  t.throws(() => d.set('/c.json', Buffer.alloc(MAX_CAPABILITY_BYTES + 1, 0x20)), { code: 'ERR_CAP_SERVE', message: /more than 256000/ });
  t.throws(() => d.set('/c.json', Buffer.from('{"endpoints":{"mcp":7}}')), { code: 'ERR_CAP_SERVE', message: /endpoints\.mcp/ });
  t.throws(() => d.set('no-slash.json', doc), { code: 'ERR_CAP_SERVE', message: /not a URL path/ });
  t.equal(d.size, 0);
  try {
    d.set('/c.json', Buffer.from('nope'));
  } catch (err) {
    t.ok(err instanceof CapServeError);
  }
});

t.test('a folder served at /.well-known/aop/cap/, bytes exact, ETag the digest', async (t) => {
  const folder = path.join(dir, 'caps');
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'writer.acme.agents.json'), doc);
  writeFileSync(path.join(folder, 'notes.txt'), 'not a document');
  const docs = capabilityDocsFromDir(folder);
  t.same(docs.paths, ['/.well-known/aop/cap/writer.acme.agents.json'], '*.json files only');
  const server = createServer((req, res) => {
    if (!docs.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, NET.host(1), resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://${NET.host(1)}:${(server.address() as AddressInfo).port}`;
  const res = await fetch(`${base}/.well-known/aop/cap/writer.acme.agents.json?x=1`);
  t.equal(res.status, 200, 'a query string does not change the document');
  t.equal(res.headers.get('content-type'), 'application/json');
  t.equal(res.headers.get('etag'), `"${capDigest(doc)}"`);
  t.equal(res.headers.get('content-length'), String(doc.length));
  t.ok(Buffer.from(await res.arrayBuffer()).equals(doc), 'the exact bytes');
  t.equal((await fetch(`${base}/.well-known/aop/cap/notes.txt`)).status, 404, 'left to the server');
  t.equal((await fetch(`${base}/.well-known/aop/cap/writer.acme.agents.json`, { method: 'PUT', body: '{}' })).status, 405);
  writeFileSync(path.join(folder, 'bad.json'), '{"endpoints": ');
  t.throws(() => capabilityDocsFromDir(folder), { code: 'ERR_CAP_SERVE', message: /bad\.json: not JSON/ }, 'a bad file in the folder is refused when read');
  t.throws(() => capabilityDocsFromDir(path.join(dir, 'none')), { code: 'ERR_CAP_SERVE', message: /cannot read/ });
});
