// The directory page at / in a real browser (Debian chromium via playwright-core), over a real
// gateway reading the bundled zones from the real daemon: search, filter, page, open an agent;
// a hostile description from the DNS is shown as text and runs nothing.

import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'node:http';
import { startGatewayHttp } from '../../src/mcp/gateway/http.js';
import { copyZones, snapshotGateway } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { launchChromium } from '../helpers/chromium.js';

// No '=' or ';' (the aid2 TXT's separators): tags that would make elements and run if put in as HTML.
export const HOSTILE = '<b>bold</b><script>alert(document.domain)</script>';

t.test('the directory page: search, filter, open an agent, hostile text escaped', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const net = await leaseNet(t);
  const address = net.host(1);
  const zonesDir = copyZones(t, address);
  const zf = path.join(zonesDir, 'acme.agents.zone');
  writeFileSync(zf, readFileSync(zf, 'utf8').replaceAll('Drafts marketing copy', HOSTILE));
  const gateway = await snapshotGateway(t, zonesDir, address);
  const http = await startGatewayHttp(gateway, { host: '127.0.0.1', port: 0 });
  t.teardown(() => http.close());
  const base = `http://127.0.0.1:${http.port}`;

  // The API's edges: a bad parameter is a clear 400, a foreign Host a 403.
  const bad = await fetch(`${base}/api/agents?limit=abc`);
  t.equal(bad.status, 400);
  t.match((await bad.json() as { error: { code: string; message: string } }).error, { code: 'ERR_WEB_QUERY', message: /limit/ });
  const unknown = await fetch(`${base}/api/agents?color=red`);
  t.match((await unknown.json() as { error: { message: string } }).error.message, /unknown parameter "color"/);
  const status = (headers: Record<string, string>): Promise<number> => new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: http.port, path: '/api/agents', headers }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).on('error', reject).end();
  });
  t.equal(await status({ host: 'evil.example' }), 403, 'DNS rebinding: a foreign Host');
  t.equal(await status({ host: `127.0.0.1:${http.port}`, origin: 'http://evil.example' }), 403, 'a foreign Origin');
  const post = await fetch(`${base}/api/agents`, { method: 'POST' });
  t.equal(post.status, 405);
  const reach = await (await fetch(`${base}/api/agents?reachable_only=true`)).json() as { agents: unknown[]; total: number };
  t.same([reach.agents.length, reach.total], [0, 9], 'reachable only: nothing called or probed yet, so none shown of the 9');
  const one = await fetch(`${base}/api/agent?name=nobody.acme.agents`);
  t.equal(one.status, 404, 'an agent that is not there');
  const page = await fetch(`${base}/`);
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/);

  const ctx = await browser.newContext();
  const tab = await ctx.newPage();
  const problems: string[] = [];
  tab.on('pageerror', (e) => problems.push(e.message));
  tab.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  await tab.goto(`${base}/`);
  await tab.waitForSelector('#results li');
  t.match(await tab.textContent('#status'), /of 9 agents/, 'every agent of both zones');

  // Search.
  await tab.fill('#q', 'review');
  await tab.click('button[type=submit]');
  await tab.waitForFunction(() => document.querySelectorAll('#results li').length === 1);
  t.equal(await tab.getAttribute('#results li', 'data-agent'), 'reviewer.globex.agents');

  // Filter by organisation.
  await tab.fill('#q', '');
  await tab.fill('#org', 'acme.agents');
  await tab.click('button[type=submit]');
  await tab.waitForFunction(() => /of 5 agents/.test(document.getElementById('status')!.textContent ?? ''));
  const names = await tab.$$eval('#results li', (ls) => ls.map((l) => (l as HTMLElement).dataset.agent));
  t.ok(names.every((n) => n!.endsWith('.acme.agents')), 'only acme agents');

  // Verified only: nothing is DNSSEC-secure here.
  await tab.check('#verified');
  await tab.click('button[type=submit]');
  await tab.waitForFunction(() => /^0 of 0/.test(document.getElementById('status')!.textContent ?? ''));
  await tab.uncheck('#verified');

  // Open an agent by its link: the hostile description is text, nothing ran.
  await tab.goto(`${base}/#agent=writer.acme.agents`);
  await tab.waitForSelector('#agent-card');
  t.equal(await tab.textContent('#agent-card .desc'), HOSTILE, 'shown as written');
  t.equal(await tab.$$eval('#agent b, #agent script', (x) => x.length), 0, 'no element made from it');
  t.match(await tab.textContent('#agent-card'), /endpoint/);
  t.match(await tab.textContent('#agent-card'), /registered/);
  // Even script that did get into the page would not run: the CSP refuses inline script.
  const inline = await tab.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
    return (window as unknown as { __inline?: number }).__inline;
  });
  t.equal(inline, undefined, 'the Content-Security-Policy refuses inline script');
  t.same(problems, [], 'no page errors');
});
