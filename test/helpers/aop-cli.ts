// Runs bin/aop.js as a child process, the way a person at a terminal does, and collects what it
// printed and its exit status. NODE_OPTIONS is dropped so tap's loader hooks do not reach the child.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const aopBin = path.join(repoRoot, 'bin', 'aop.js');

export interface AopRun {
  stdout: string;
  stderr: string;
  code: number;
}

export interface AopRunOptions {
  /** The child's whole environment (default: this process's, without NODE_OPTIONS). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export function runAop(args: string[], opts: AopRunOptions = {}): Promise<AopRun> {
  const env = opts.env ?? withoutNodeOptions(process.env);
  return new Promise((resolve) => {
    execFile(process.execPath, [aopBin, ...args], { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

function withoutNodeOptions(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.NODE_OPTIONS;
  return copy;
}
