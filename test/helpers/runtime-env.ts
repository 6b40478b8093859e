// The environment for an `aop` child: a runtime folder of this test process's own as
// $XDG_RUNTIME_DIR and no $AOP_STATE_FILE, so the child's state file and control socket
// (src/cli/daemon-state.ts: $XDG_RUNTIME_DIR/aop/...) are neither the user's nor those of another
// test or of a second copy of the suite running beside this one.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let runtime: string | undefined;

/** This process's runtime folder: made on first use, removed when the process exits. */
export function privateRuntimeDir(): string {
  if (runtime === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-test-run-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    runtime = dir;
  }
  return runtime;
}

/** `env` (default process.env) with XDG_RUNTIME_DIR set to privateRuntimeDir() and AOP_STATE_FILE removed. */
export function privateRuntimeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, XDG_RUNTIME_DIR: privateRuntimeDir() };
  delete out.AOP_STATE_FILE;
  return out;
}
