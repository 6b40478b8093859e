// aop serve --mcp on a non-loopback address: refused without an authorization server (exit 1),
// started with --mcp-insecure-no-auth only with a loud warning; --mcp-auth-* checked at parse time.

import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../helpers/mcp-agents.js';

const node = process.execPath;
const aop = path.join(repoRoot, 'bin', 'aop.js');

/** Run aop serve; resolve with its exit status and output, or with what it said by the time `until` matched (then it is stopped). */
function serve(args: string[], until?: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(node, [aop, 'serve', '--zones', path.join(repoRoot, 'zones'), '--listen', '127.0.0.1:0', '--no-demo-agents', '--no-state-file', '--no-metrics', '--log-format', 'text', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    const take = (c: Buffer): void => {
      out += c.toString();
      if (until?.test(out)) p.kill('SIGTERM');
    };
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

t.test('a non-loopback gateway without authorization is not started', async (t) => {
  const r = await serve(['--mcp', '0.0.0.0:0']);
  t.equal(r.code, 1);
  t.match(r.out, /the MCP gateway on 0\.0\.0\.0 \(not loopback\) needs authorization: --mcp-auth-issuer URL, or --mcp-insecure-no-auth/);
});

t.test('--mcp-insecure-no-auth starts it, with a warning', async (t) => {
  const r = await serve(['--mcp', '0.0.0.0:0', '--mcp-insecure-no-auth'], /MCP gateway: http:/);
  t.match(r.out, /warn MCP gateway on 0\.0\.0\.0:0 WITHOUT AUTHORIZATION \(--mcp-insecure-no-auth\)/);
  t.match(r.out, /MCP gateway: http:\/\/0\.0\.0\.0:\d+\/mcp/);
});

t.test('--mcp-auth-* options are checked', async (t) => {
  const r1 = await serve(['--mcp', '127.0.0.1:0', '--mcp-auth-scope', 'x']);
  t.equal(r1.code, 1);
  t.match(r1.out, /need --mcp-auth-issuer/);
  const r2 = await serve(['--mcp', '127.0.0.1:0', '--mcp-auth-issuer', 'not a url']);
  t.equal(r2.code, 1);
  t.match(r2.out, /--mcp-auth-issuer 'not a url' is not an http\(s\) URL/);
});
