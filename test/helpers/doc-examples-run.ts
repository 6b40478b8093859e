// Runs the shell examples of a set of documents as written (see doc-examples.ts for what counts as
// an example and how a document's machine is made); test/docs/examples*.test.ts choose the sets, so
// tap runs them side by side. A document whose examples fail fails with the block, the command and
// its output.

import t, { type Test } from 'tap';
import path from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  addressesIn, blur, daemonCommand, documents, extractExamples, isDaemonLine, Machine, namespacesWork, needsRegistry, readyPattern, transcriptSteps,
  type DocExamples, type Example,
} from './doc-examples.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CI = process.env.CI === 'true';
const STEP_MS = 120_000;
const DAEMON_MS = 240_000;

/** Logical lines of a script: `\` continuations joined, multi-line constructs kept whole. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const l of text.split('\n')) {
    cur = cur === '' ? l : `${cur}\n${l}`;
    if (!l.endsWith('\\')) {
      out.push(cur);
      cur = '';
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** The script split into runs of ordinary lines and daemon lines, in order. */
function pieces(text: string): Array<{ daemon: boolean; text: string; hostNet?: boolean }> {
  const out: Array<{ daemon: boolean; text: string; hostNet?: boolean }> = [];
  let depth = 0;
  for (const line of logicalLines(text)) {
    const flat = line.replace(/\\\n\s*/g, ' ');
    // Inside a for/while/if/heredoc nothing is a daemon line.
    const daemon = depth === 0 && isDaemonLine(flat);
    // Keywords count outside comments and quotes only.
    const code = flat.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, "''").replace(/(^|\s)#.*$/, '');
    depth += (code.match(/\b(do|then)\b|<<-?\s*'?\w+/g) ?? []).length - (code.match(/\b(done|fi)\b|^\w+$/g) ?? []).length;
    if (depth < 0) depth = 0;
    // `npm ci && npm start`: the install (from the registry), then the daemon.
    const install = /^(npm (?:ci|install|i)\b[^&]*)&&\s*(.*)$/.exec(flat.trim());
    if (daemon && install) {
      out.push({ daemon: false, text: install[1]!.trim(), hostNet: true });
      out.push({ daemon: true, text: install[2]!.trim() });
      continue;
    }
    if (depth === 0 && needsRegistry(flat)) {
      out.push({ daemon: false, text: flat, hostNet: true });
      continue;
    }
    const last = out[out.length - 1];
    if (!daemon && last && !last.daemon && !last.hostNet) last.text += `\n${line}`;
    else out.push({ daemon, text: daemon ? flat : line });
  }
  return out;
}

// State carried from one piece of a document to the next, as one terminal session would.
const CARRY_IN = 'if [ -f "$AOP_DOC_ENV" ]; then . "$AOP_DOC_ENV"; fi; cd "$(cat "$AOP_DOC_CWD" 2>/dev/null || pwd)"';
const CARRY_OUT = 'export -p | grep -v -E "^declare -x (AOP_DOC_ENV|AOP_DOC_CWD|OLDPWD|PWD|SHLVL|_)=" > "$AOP_DOC_ENV"; pwd > "$AOP_DOC_CWD"';

function wrap(body: string): string {
  return `${CARRY_IN}\nset -e -o pipefail\n${body}\nset +e\n${CARRY_OUT}\n`;
}

async function runScript(tt: Test, m: Machine, ex: Example): Promise<void> {
  const want = ex.directives.exit ?? 0;
  for (const p of pieces(ex.text)) {
    if (p.daemon) {
      const ready = ex.directives.ready ? new RegExp(ex.directives.ready) : readyPattern(p.text);
      try {
        await m.startDaemon(`${CARRY_IN}\nexec ${daemonCommand(p.text)}`, ready, DAEMON_MS);
        tt.pass(`started: ${p.text}`);
      } catch (err) {
        tt.fail(`${ex.file}:${ex.line}: ${(err as Error).message}`);
        return;
      }
      continue;
    }
    if (p.text.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('#'))) continue;
    const r = await m.run(wrap(p.text), STEP_MS, p.hostNet);
    const ok = r.code === want;
    tt.ok(ok, `${ex.file}:${ex.line}: exit ${want}: ${p.text.split('\n')[0]}${p.text.includes('\n') ? ' ...' : ''}`, ok ? {} : {
      found: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000), daemons: m.daemonOutput().slice(-4000),
    });
    if (!ok) return;
  }
}

async function runTranscript(tt: Test, m: Machine, ex: Example): Promise<void> {
  for (const step of transcriptSteps(ex.text)) {
    if (isDaemonLine(step.command)) {
      try {
        await m.startDaemon(`${CARRY_IN}\nexec ${daemonCommand(step.command)}`, ex.directives.ready ? new RegExp(ex.directives.ready) : readyPattern(step.command), DAEMON_MS);
        tt.pass(`started: ${step.command}`);
      } catch (err) {
        tt.fail(`${ex.file}:${ex.line}: ${(err as Error).message}`);
        return;
      }
      continue;
    }
    const r = await m.run(wrap(step.command), STEP_MS);
    const errors = step.expected.filter((l) => l.startsWith('aop: ') || l.startsWith('aop:'));
    const output = `${r.stdout}\n${r.stderr}`;
    const blurred = blur(output);
    const where = `${ex.file}:${ex.line}: $ ${step.command}`;
    const extra = { stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) };
    if (ex.directives.exit !== undefined) tt.equal(r.code, ex.directives.exit, `${where}: exit ${ex.directives.exit}`, extra);
    else if (errors.length > 0) tt.not(r.code, 0, `${where}: fails, as the transcript shows`, extra);
    else tt.equal(r.code, 0, `${where}: exit 0`, { ...extra, daemons: m.daemonOutput().slice(-3000) });
    for (const e of errors) tt.ok(blurred.includes(blur(e)), `${where}: prints ${e}`, extra);
    const first = step.expected.find((l) => l.trim() !== '' && l.trim() !== '...' && !errors.includes(l));
    if (first !== undefined) tt.ok(blurred.includes(blur(first)), `${where}: prints ${first.trim()}`, extra);
  }
}

/** A TypeScript example: a module in the checkout's root (its imports are the reader's), run with tsx. */
async function runTypeScript(tt: Test, m: Machine, ex: Example): Promise<void> {
  const file = `example-${path.basename(ex.file, '.md')}-${ex.line}.mts`;
  writeFileSync(path.join(m.checkout, file), ex.text + '\n');
  const r = await m.run(`npx --offline tsx ${file}`, STEP_MS);
  const want = ex.directives.exit ?? 0;
  tt.equal(r.code, want, `${ex.file}:${ex.line}: the TypeScript example exits ${want}`, {
    stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000), daemons: m.daemonOutput().slice(-3000),
  });
}

async function runDocument(tt: Test, doc: DocExamples): Promise<void> {
  const runnable = doc.examples.filter((e) => e.directives.skip === undefined);
  for (const e of doc.examples) if (e.directives.skip !== undefined) tt.comment(`${e.file}:${e.line}: not run: ${e.directives.skip}`);
  if (runnable.length === 0) {
    tt.pass('no examples to run');
    return;
  }
  const text = runnable.map((e) => e.text).join('\n');
  const m = new Machine(root, addressesIn(text));
  try {
    await m.start();
    await m.run('true', 5000);
    if (doc.before) {
      const r = await m.run(wrap(doc.before), STEP_MS);
      tt.equal(r.code, 0, `${doc.file}: before: ${doc.before}`, { stderr: r.stderr });
    }
    if (doc.withNpmStart) await m.startDaemon('exec npm start', /\bready: /, DAEMON_MS);
    for (const ex of runnable) {
      if (ex.directives.before) {
        const r = await m.run(wrap(ex.directives.before), STEP_MS);
        tt.equal(r.code, 0, `${ex.file}:${ex.line}: before: ${ex.directives.before}`, { stderr: r.stderr });
      }
      if (ex.kind === 'script') await runScript(tt, m, ex);
      else if (ex.kind === 'typescript') await runTypeScript(tt, m, ex);
      else await runTranscript(tt, m, ex);
    }
  } finally {
    await m.close();
  }
}

/** Run the examples of every document `which` picks (AOP_DOC=a.md,b.md narrows it further). */
export function runExamples(which: (file: string) => boolean): void {
  t.setTimeout(30 * 60_000);
  const ns = namespacesWork();
  const built = existsSync(path.join(root, 'dist', 'cli', 'main.js'));
  if (!built) {
    t.fail('dist/ is missing: npm test builds it first');
    return;
  }
  if (!ns.ok) {
    if (CI) t.fail(`the examples need a machine of their own: ${ns.why}`);
    else t.test('examples', { skip: `the examples need a machine of their own: ${ns.why}` }, async () => {});
    return;
  }
  const only = process.env.AOP_DOC ? process.env.AOP_DOC.split(',') : undefined;
  let ran = 0;
  for (const file of documents(root)) {
    if (!which(file) || (only && !only.includes(file))) continue;
    const doc = extractExamples(root, file);
    if (doc.examples.length === 0) continue;
    ran++;
    t.test(file, async (tt) => {
      await runDocument(tt, doc);
    });
  }
  if (ran === 0) {
    if (only === undefined) t.fail('no document with examples was found');
    else t.pass(`AOP_DOC=${process.env.AOP_DOC}: none of these documents is run by this file`);
  }
}
