// The hand-off's fetch (src/mcp/http.ts) against a plain node:http server: one caller signal shared
// by many requests gathers no listeners, aborting it aborts what is in flight, a 3xx comes back as
// the response (never followed), connections are reused.

import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { OriginPools } from '../../src/mcp/http.js';

async function server(t: Test, handler: http.RequestListener): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const s = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits: () => hits };
}

t.test('one long-lived signal for many requests: no listeners pile up on it', async (t) => {
  const s = await server(t, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  const pools = new OriginPools();
  t.teardown(() => pools.close());
  const fetch = pools.fetchFor(`${s.url}/mcp`, ['127.0.0.1']);
  const session = new AbortController();
  let opened = 0;
  for (let i = 0; i < 200; i++) {
    if (i === 20) opened = pools.connectionsOpened;
    const r = await fetch(`${s.url}/mcp`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: session.signal, redirect: 'manual' });
    const body = await r.json();
    if (i === 0) t.same(body, { ok: true });
  }
  t.ok(getEventListeners(session.signal, 'abort').length <= 1, `listeners on the session signal: ${getEventListeners(session.signal, 'abort').length}`);
  t.equal(pools.connectionsOpened, opened, 'the last 180 requests opened no connection');
});

t.test('aborting the shared signal aborts a request in flight, headers pending or body streaming', async (t) => {
  const s = await server(t, (req, res) => {
    req.resume();
    if (req.url === '/slow-body') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\n\n');
    }
    // else: never answers
  });
  const pools = new OriginPools();
  t.teardown(() => pools.close());
  const session = new AbortController();
  const fetch = pools.fetchFor(`${s.url}/mcp`, ['127.0.0.1']);
  const pending = fetch(`${s.url}/hang`, { method: 'POST', body: '{}', signal: session.signal });
  const streaming = await fetch(`${s.url}/slow-body`, { method: 'POST', body: '{}', signal: session.signal });
  const reader = streaming.body!.getReader();
  await reader.read();
  const next = reader.read();
  session.abort(new Error('session closed'));
  await t.rejects(pending, 'the request waiting for headers is aborted');
  await t.rejects(next, 'the body being read is aborted');
});

t.test('a 3xx is the response, not followed', async (t) => {
  const target = await server(t, (_req, res) => res.writeHead(200).end('elsewhere'));
  const s = await server(t, (req, res) => {
    req.resume();
    res.writeHead(307, { location: `${target.url}/mcp`, 'x-test': 'yes' }).end('moved');
  });
  const pools = new OriginPools();
  t.teardown(() => pools.close());
  const fetch = pools.fetchFor(`${s.url}/mcp`, ['127.0.0.1']);
  const session = new AbortController();
  const r = await fetch(`${s.url}/mcp`, { method: 'POST', body: '{}', signal: session.signal, redirect: 'manual' });
  t.equal(r.status, 307);
  t.equal(r.headers.get('location'), `${target.url}/mcp`, 'the Location header is kept (the SDK names it in its error)');
  t.equal(r.headers.get('x-test'), 'yes');
  t.equal(target.hits(), 0, 'the target was never contacted');
  const again = await fetch(`${s.url}/mcp`, { method: 'POST', body: '{}', signal: session.signal, redirect: 'manual' });
  t.equal(again.status, 307, 'and again');
  t.ok(getEventListeners(session.signal, 'abort').length <= 1);
});
