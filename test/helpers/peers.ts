// Real peers (dig, kdig, named-checkzone, ...): find them, run them, and skip or fail when absent.

import { execFile, execFileSync } from 'node:child_process';

const found = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
      ok = true;
    } catch {
      ok = false;
    }
    found.set(name, ok);
  }
  return ok;
}

interface SkippableTest {
  skip(name: string, cb: () => void): unknown;
  fail(msg: string): unknown;
}

/**
 * True when the tool is there. Otherwise the test is skipped with the reason, or failed under
 * CI=true, where every peer must be installed.
 */
export function requireTool(t: SkippableTest, name: string, pkg: string): boolean {
  if (hasTool(name)) return true;
  const msg = `${name} not installed (Debian package ${pkg})`;
  if (process.env.CI === 'true') t.fail(`${msg}; CI must install it`);
  else t.skip(msg, () => {});
  return false;
}

export function run(cmd: string, args: string[], timeoutMs = 15_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}
