// `aop serve` as a child process on a zones folder, with the MCP gateway: resolves when both the
// DNS listener and the gateway have said where they are (their log lines), and stops at teardown.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { root } from './gateway.js';
import type { Teardownable } from './server.js';

export interface ServeProcess {
  child: ChildProcess;
  dnsPort: number;
  mcpUrl: string;
  log: () => string;
}

export async function serveWithGateway(t: Teardownable, zonesDir: string, host: string, extra: string[] = [], timeoutMs = 120_000): Promise<ServeProcess> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'NODE_OPTIONS', 'AOP_STATE_FILE'].includes(k)) env[k] = v;
  const child = spawn(process.execPath, [path.join(root, 'bin', 'aop.js'), 'serve', '--zones', zonesDir, '--listen', `${host}:0`, '--mcp', `${host}:0`,
    '--no-demo-agents', '--no-state-file', '--no-metrics', '--log-format', 'text', ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aop serve did not start within ${timeoutMs} ms; log:\n${log}`)), timeoutMs);
    const take = (d: Buffer): void => {
      log += d.toString();
      const dns = /listening on [\d.]+:(\d+) \(udp, tcp\)/.exec(log);
      const mcp = /MCP gateway: (http:\/\/\S+\/mcp)/.exec(log);
      if (dns && mcp) {
        clearTimeout(timer);
        resolve({ child, dnsPort: Number(dns[1]), mcpUrl: mcp[1]!, log: () => log });
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`aop serve exited ${code}; log:\n${log}`)); });
  });
}
