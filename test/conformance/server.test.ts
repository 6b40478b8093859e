// The MCP conformance suite's server scenarios against the gateway over Streamable HTTP (on
// 127.0.0.1, as dns-rebinding-protection needs a localhost URL). Those that do not apply (the
// suite's own test tools, resources, prompts) are in expected-failures.yml with the reason.

import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HandOff, NetworkLookup } from '../../src/mcp/index.js';
import { AgentDirectory, Gateway, startGatewayHttp } from '../../src/mcp/gateway/index.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const suite = path.join(root, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const node = path.join(root, 'node_modules', '.bin', 'node');
const expected = path.join(root, 'test', 'conformance', 'expected-failures.yml');

t.setTimeout(600_000);

if (!existsSync(suite) || !existsSync(node)) {
  const why = 'the conformance suite (npm devDependency) or node_modules/.bin/node (Node 24) is missing';
  if (process.env.CI === 'true') t.fail(why);
  else t.skip(why, () => {});
} else {
  t.test('server scenarios against the gateway', async (t) => {
    // No DNS behind it: the scenarios ask for initialize, ping, tools/list, logging and streams.
    const lookup = new NetworkLookup({ address: '127.0.0.1', port: 1 });
    const handOff = new HandOff({ lookup });
    t.teardown(() => handOff.close());
    const gateway = new Gateway({ client: handOff, directory: new AgentDirectory({ lookup, client: handOff, zones: () => [] }), version: 'test' });
    t.teardown(() => gateway.close());
    const http = await startGatewayHttp(gateway, { host: '127.0.0.1', port: 0 });
    t.teardown(() => http.close());
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'aop-conformance-server-'));
    t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(node, [suite, 'server', '--url', http.url, '--expected-failures', expected], { cwd, timeout: 300_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, out: `${stdout}${stderr}` });
      });
    });
    const summary = r.out.slice(r.out.indexOf('=== SUMMARY ==='));
    t.equal(r.code, 0, summary);
    for (const s of ['server-initialize', 'logging-set-level', 'ping', 'tools-list', 'server-sse-multiple-streams', 'dns-rebinding-protection']) {
      t.match(summary, new RegExp(`✓ ${s}: \\d+ passed, 0 failed`), `${s} passes`);
    }
  });
}
