// Re-take docs/directory-page.png: the bundled zones on a real daemon, a gateway on loopback,
// its directory page in headless chromium. Run: npx tsx test/bench/directory-page-screenshot.ts
// (needs /usr/bin/chromium, or AOP_CHROMIUM=path).

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { resolveAgent } from '../../src/mcp/resolve.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { AgentDirectory, Gateway, type AgentClient } from '../../src/mcp/gateway/index.js';
import { startGatewayHttp } from '../../src/mcp/gateway/http.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';

const root = path.join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-shot-'));
for (const f of readdirSync(path.join(root, 'zones'))) if (f.endsWith('.zone')) writeFileSync(path.join(dir, f), readFileSync(path.join(root, 'zones', f)));
const daemon = new Daemon({ zonesDir: dir, listen: [parseListen('127.0.0.1:0')] });
await daemon.start();
const lookup = new NetworkLookup({ address: '127.0.0.1', port: daemon.listeners[0]!.address.port });
const client: AgentClient = {
  resolve: async (name) => (await resolveAgent(lookup, name)).card,
  call: async () => { throw new Error('not called'); },
  listTools: async () => [],
};
const gateway = new Gateway({ client, directory: new AgentDirectory({ lookup, client, zones: () => ['acme.agents', 'globex.agents'] }) });
const http = await startGatewayHttp(gateway, { host: '127.0.0.1', port: 0 });
const browser = await chromium.launch({ executablePath: process.env.AOP_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
try {
  const tab = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  await tab.goto(`http://127.0.0.1:${http.port}/`);
  await tab.waitForSelector('#results li');
  await tab.screenshot({ path: path.join(root, 'docs', 'directory-page.png'), fullPage: false });
} finally {
  await browser.close();
  await http.close();
  await gateway.close();
  await daemon.close();
}
