// DoH's HTTP side (RFC 8484): GET and POST over HTTP/2 and HTTP/1.1, Cache-Control max-age the
// smallest TTL of the answer (the negative TTL for NXDOMAIN), and the HTTP errors a client gets
// for what is not a DoH request: 400, 404, 405, 413, 415; each said in a text body.

import t from 'tap';
import http2 from 'node:http2';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { encodeQuery, decodeMessage } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startEncryptedDaemon } from '../helpers/encrypted-daemon.js';
import { requireTool } from '../helpers/peers.js';

interface Reply { status: number; headers: Record<string, string>; body: Buffer }

function h2(port: number, ca: Buffer, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`https://127.0.0.1:${port}`, { ca });
    s.on('error', reject);
    const req = s.request(headers);
    const chunks: Buffer[] = [];
    let status = 0;
    let h: Record<string, string> = {};
    req.on('response', (r) => { status = Number(r[':status']); h = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])); });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { s.close(); resolve({ status, headers: h, body: Buffer.concat(chunks) }); });
    req.on('error', reject);
    req.end(body);
  });
}

function h1(port: number, ca: Buffer, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, ca, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('DoH over HTTP/2 and HTTP/1.1', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const s = await startEncryptedDaemon(t, { zonesDir: bundledZonesDir });
  const ca = readFileSync(s.certs.ca);
  const q = encodeQuery('writer.acme.agents', RRType.SVCB, { id: 0, rd: false });
  const b64 = q.toString('base64url');

  t.test('GET and POST answer, with max-age the smallest TTL', async (t) => {
    const get = await h2(s.doh, ca, { ':method': 'GET', ':path': `/dns-query?dns=${b64}`, accept: 'application/dns-message' });
    t.equal(get.status, 200);
    t.equal(get.headers['content-type'], 'application/dns-message');
    const m = decodeMessage(get.body);
    const smallest = Math.min(...[...m.answers, ...m.authority].map((r) => r.ttl));
    t.equal(get.headers['cache-control'], `max-age=${smallest}`, `max-age=${smallest}, the smallest TTL`);
    const post = await h2(s.doh, ca, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, q);
    t.equal(post.status, 200);
    t.ok(post.body.equals(get.body), 'POST and GET give the same message');
    const one = await h1(s.doh, ca, 'GET', `/dns-query?dns=${b64}`);
    t.equal(one.status, 200, 'HTTP/1.1 GET');
    t.ok(one.body.equals(get.body), 'the same message over HTTP/1.1');
    const onePost = await h1(s.doh, ca, 'POST', '/dns-query', { 'content-type': 'application/dns-message' }, q);
    t.ok(onePost.body.equals(get.body), 'and HTTP/1.1 POST');
    // Padding tolerated (RFC 8484 says none; some clients send it).
    const pad = '='.repeat((4 - (b64.length % 4)) % 4);
    const padded = await h2(s.doh, ca, { ':method': 'GET', ':path': `/dns-query?dns=${b64}${pad}` });
    t.equal(padded.status, 200, 'base64url with padding is read too');
  });

  t.test('NXDOMAIN: max-age is the SOA TTL in the authority section', async (t) => {
    const nx = encodeQuery('nobody.acme.agents', RRType.SVCB, { id: 0, rd: false });
    const r = await h2(s.doh, ca, { ':method': 'GET', ':path': `/dns-query?dns=${nx.toString('base64url')}` });
    const m = decodeMessage(r.body);
    t.equal(m.rcode, 3);
    t.equal(r.headers['cache-control'], `max-age=${m.authority[0]!.ttl}`);
  });

  t.test('errors', async (t) => {
    const cases: Array<[string, http2.OutgoingHttpHeaders, Buffer | undefined, number, RegExp]> = [
      ['no dns parameter', { ':method': 'GET', ':path': '/dns-query' }, undefined, 400, /dns' parameter/],
      ['dns not base64url', { ':method': 'GET', ':path': '/dns-query?dns=%21%21' }, undefined, 400, /not base64url/],
      ['dns in standard base64', { ':method': 'GET', ':path': '/dns-query?dns=AAAB/AABAAAAAAAA' }, undefined, 400, /not base64url/],
      ['shorter than a header', { ':method': 'GET', ':path': `/dns-query?dns=${Buffer.alloc(5).toString('base64url')}` }, undefined, 400, /shorter than a DNS header/],
      ['a response, not a query', { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, Buffer.from([0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 400, /not a DNS query/],
      ['another path', { ':method': 'GET', ':path': `/resolve?dns=${b64}` }, undefined, 404, /\/dns-query/],
      ['PUT', { ':method': 'PUT', ':path': '/dns-query' }, q, 405, /GET or POST/],
      ['POST as text/plain', { ':method': 'POST', ':path': '/dns-query', 'content-type': 'text/plain' }, q, 415, /application\/dns-message/],
      ['POST without a type', { ':method': 'POST', ':path': '/dns-query' }, q, 415, /got none/],
      ['a body over 65535 bytes', { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, Buffer.alloc(70000), 413, /larger than any DNS message/],
    ];
    for (const [what, headers, body, status, text] of cases) {
      const r = await h2(s.doh, ca, headers, body);
      t.equal(r.status, status, `${what}: ${status}`);
      t.match(r.body.toString(), text, `${what}: says why`);
      t.equal(r.headers['cache-control'], 'no-store', `${what}: not cached`);
    }
    const put = await h2(s.doh, ca, { ':method': 'PUT', ':path': '/dns-query' }, q);
    t.equal(put.headers.allow, 'GET, POST', '405 names the methods');
  });
});
