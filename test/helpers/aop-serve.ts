// `aop serve` as a child process, its log (stderr) gathered, stopped at teardown (SIGTERM, then
// SIGKILL after 10 s): for the tests of the multi-process daemon, which a Daemon in the test's
// own process cannot be.

import { spawn, type ChildProcess } from 'node:child_process';
import { aopBin } from './aop-cli.js';
import type { Teardownable } from './child.js';
import { privateRuntimeEnv } from './runtime-env.js';
import { waitFor } from './wait.js';

export interface ServeProcess {
  child: ChildProcess;
  log: () => string;
}

/**
 * Start `aop serve ARGS` and wait until `ready` holds (a pattern in its log, or a condition);
 * a daemon that exits first fails at once with its log.
 */
export async function spawnServe(t: Teardownable, args: string[], ready: RegExp | (() => boolean), timeoutMs = 60_000): Promise<ServeProcess> {
  const env = privateRuntimeEnv();
  delete env.NODE_OPTIONS; // tap's loader hooks would slow every worker down
  const child = spawn(process.execPath, [aopBin, 'serve', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  const isReady = typeof ready === 'function' ? ready : () => ready.test(log);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  await waitFor(() => isReady() || gone(), `aop serve: ${ready}`, { timeoutMs, intervalMs: 25, detail: () => `log:\n${log}` });
  if (!isReady()) throw new Error(`aop serve ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before ${ready}; log:\n${log}`);
  return { child, log: () => log };
}
