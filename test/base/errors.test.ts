// Every error class in src/ extends AopError and carries a stable code: the exported ones are
// found by importing every module, the module-private ones by reading the source.

import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AopError, isAopError } from '../../src/base/errors.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Arguments to build one of each class with: (code, message) fits most; the rest are listed. */
const SAMPLE_ARGS: Record<string, unknown[]> = {
  AddressInUseError: [{ host: '127.0.0.1', port: 53, family: 4 }, 'udp'],
  ZoneLoadError: [[]],
  CliFailure: [1, 'probe'],
  // Its code picks the exit status from a table: a real one.
  HandOffError: ['ERR_CALL_TIMEOUT', 'probe'],
};

t.test('AopError: code, message, cause, and the subclass name', async (t) => {
  class ProbeError extends AopError {}
  const cause = new Error('underneath');
  const e = new ProbeError('ERR_PROBE', 'it failed', { cause });
  t.ok(e instanceof Error && e instanceof AopError);
  t.equal(e.code, 'ERR_PROBE');
  t.equal(e.message, 'it failed');
  t.equal(e.cause, cause);
  t.equal(e.name, 'ProbeError');
  t.notOk('cause' in new ProbeError('ERR_PROBE', 'no cause'), 'no cause property without one');
  t.ok(isAopError(e) && isAopError(e, 'ERR_PROBE') && !isAopError(e, 'ERR_OTHER') && !isAopError(cause));
});

t.test('every exported error class in src/ extends AopError and has a code', async (t) => {
  // Each class once, under the module that declares it (index.ts files re-export).
  const classes = new Map<new (...args: never[]) => Error, string>();
  for (const file of tsFiles(src)) {
    const mod = await import(pathToFileURL(file).href) as Record<string, unknown>;
    for (const [name, v] of Object.entries(mod)) {
      if (typeof v !== 'function' || !(v.prototype instanceof Error) || v === AopError) continue;
      if (!classes.has(v as new () => Error) || !file.endsWith('index.ts')) classes.set(v as new () => Error, `${path.relative(src, file)}:${name}`);
    }
  }
  t.ok(classes.size >= 30, `found ${classes.size} exported error classes`);
  for (const [C, where] of classes) {
    t.ok(C.prototype instanceof AopError, `${where} extends AopError`);
    const args = SAMPLE_ARGS[C.name] ?? ['ERR_PROBE', 'probe'];
    const e = new (C as unknown as new (...a: unknown[]) => Error)(...args) as Error & { code?: unknown };
    t.match(e.code, /^ERR_[A-Z0-9_]+$/, `${where} has a code (${String(e.code)})`);
    t.equal(e.name, C.name, `${where} is named for its class`);
  }
});

t.test('no class in src/ extends Error directly, except AopError', async (t) => {
  const direct: string[] = [];
  for (const file of tsFiles(src)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/class\s+(\w+)\s+extends\s+(?:Error|TypeError|RangeError)\b/g)) {
      if (m[1] !== 'AopError') direct.push(`${path.relative(src, file)}: ${m[1]}`);
    }
  }
  t.same(direct, []);
});
