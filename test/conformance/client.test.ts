// The MCP conformance suite (@modelcontextprotocol/conformance, a real peer) against aop's hand-off:
// every client scenario of the 2025-11-25 spec, the draft and the extension ones, through
// test/conformance/client.sh (a throwaway zone, `aop serve`, `aop call`). Scenarios that do not
// apply are in expected-failures.yml with the reason; the suite fails a listed one that passes.

import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const suite = path.join(root, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const node = path.join(root, 'node_modules', '.bin', 'node');
const client = path.join(root, 'test', 'conformance', 'client.sh');
const expected = path.join(root, 'test', 'conformance', 'expected-failures.yml');

function run(args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(node, [suite, ...args], { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`, AOP_NODE: node } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

t.setTimeout(900_000);

if (!existsSync(suite) || !existsSync(node) || !existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  const why = 'the conformance suite (npm devDependency), node_modules/.bin/node (Node 24) or dist/ (npm run build) is missing';
  if (process.env.CI === 'true') t.fail(why);
  else t.skip(why, () => {});
} else {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'aop-conformance-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));

  t.test('client scenarios', async (t) => {
    const list = await run(['list'], cwd, 60_000);
    const clientPart = list.out.split('Client scenarios')[1] ?? '';
    const scenarios = [...clientPart.matchAll(/^\s+- (\S+) \[([^\]]+)\]/gm)]
      .filter((m) => /2025-11-25|draft|extension/.test(m[2]!))
      .map((m) => m[1]!);
    t.ok(scenarios.length >= 20, `${scenarios.length} scenarios listed`);
    t.ok(scenarios.includes('auth/client-credentials-jwt'), 'the client-credentials extension is among them');
    for (const s of [...scenarios, 'auth/2025-03-26-oauth-metadata-backcompat', 'auth/2025-03-26-oauth-endpoint-fallback']) {
      const r = await run(['client', '--command', client, '--scenario', s, '--expected-failures', expected, '--timeout', '60000'], cwd, 120_000);
      t.equal(r.code, 0, `${s}${r.code === 0 ? '' : `\n${r.out.split('\n').filter((l) => /Failed Checks|^\s+- |aop: |OVERALL|Passed:/.test(l)).join('\n')}`}`);
    }
  });
}
