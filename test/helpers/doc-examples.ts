// The shell examples of README.md and docs/, extracted and run as written, each document on a
// throwaway machine of its own: a copy of the checkout in a fresh network namespace (its own
// loopback, so the fixed ports and port 53 of the examples collide with nothing, even with a second
// copy of the suite running) and mount namespace (private /tmp, /run, /etc, /var/lib overlays, so
// `/etc/aop/zones` and `/run/aop/control.sock` may be written without touching the host).
//
// What is an example: a ```sh block (a script, run with bash -e), and a ``` block whose first line
// starts with `$ ` (a transcript: each `$ ` command is run, the lines after it are its output), and
// a ```ts block (a module run with tsx from the checkout's root; it must exit 0 by itself).
// HTML comments just above a fence steer the run (invisible when the Markdown is rendered):
//   <!-- example: skip=REASON -->         not run; the reason is reported
//   <!-- example: exit=N -->              the block (or each transcript command) exits N, not 0
//   <!-- example: before="CMD" -->        run CMD first (what the prose around it says is in place)
//   <!-- example: ready=REGEX -->         a daemon line is ready when its output matches REGEX
// and one comment anywhere in a document, for all its examples:
//   <!-- examples: with-npm-start -->     `npm start` runs beside them ("with npm start running")
//   <!-- examples: before="CMD" -->       run CMD once, before the first example
// Daemons (`npm start`, `aop serve ...`, `aop secondary ...`) are started in the background, as a
// reader would start them in another terminal, and waited for until they say they are ready.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface Directives {
  skip?: string;
  exit?: number;
  before?: string;
  ready?: string;
}

export interface Example {
  /** Path relative to the checkout. */
  file: string;
  /** Line of the opening fence (1-based). */
  line: number;
  kind: 'script' | 'transcript' | 'typescript';
  text: string;
  directives: Directives;
}

export interface DocExamples {
  file: string;
  withNpmStart: boolean;
  before?: string;
  examples: Example[];
}

const DIRECTIVE = /^<!--\s*example:\s*(.*?)\s*-->\s*$/;
const FILE_DIRECTIVE = /^<!--\s*examples:\s*(.*?)\s*-->\s*$/;

function parseDirectives(text: string, where: string): Directives & { withNpmStart?: boolean } {
  const out: Directives & { withNpmStart?: boolean } = {};
  const re = /([a-z-]+)(?:=("(?:[^"\\]|\\.)*"|\S+))?/g;
  for (const m of text.matchAll(re)) {
    const key = m[1]!;
    let value = m[2];
    if (value?.startsWith('"')) value = JSON.parse(value) as string;
    switch (key) {
      case 'skip': out.skip = value ?? 'no reason given'; break;
      case 'exit': out.exit = Number(value); break;
      case 'before': out.before = value; break;
      case 'ready': out.ready = value; break;
      case 'with-npm-start': out.withNpmStart = true; break;
      default: throw new Error(`${where}: unknown example directive ${key}`);
    }
  }
  return out;
}

/** The examples of one Markdown file. */
export function extractExamples(root: string, file: string): DocExamples {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const doc: DocExamples = { file, withNpmStart: false, examples: [] };
  let pending: Directives = {};
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const fd = FILE_DIRECTIVE.exec(l);
    if (fd) {
      const d = parseDirectives(fd[1]!, `${file}:${i + 1}`);
      if (d.withNpmStart) doc.withNpmStart = true;
      if (d.before) doc.before = d.before;
      continue;
    }
    const dm = DIRECTIVE.exec(l);
    if (dm) {
      pending = { ...pending, ...parseDirectives(dm[1]!, `${file}:${i + 1}`) };
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(l);
    if (!fence) {
      if (l.trim() !== '') pending = {};
      continue;
    }
    const lang = fence[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const text = body.join('\n');
    const kind = lang === 'sh' || lang === 'bash' ? 'script' : lang === 'ts' ? 'typescript'
      : (lang === '' || lang === 'console') && body.find((b) => b.trim() !== '')?.startsWith('$ ') ? 'transcript' : undefined;
    if (kind) doc.examples.push({ file, line: start + 1, kind, text, directives: pending });
    pending = {};
  }
  return doc;
}

/** The Markdown files whose examples must run: README.md, zones/README.md, docs/*.md, src/*\/README.md. */
export function documents(root: string): string[] {
  const out = ['README.md', 'zones/README.md'];
  for (const f of readdirSync(path.join(root, 'docs')).sort()) if (f.endsWith('.md')) out.push(`docs/${f}`);
  for (const d of readdirSync(path.join(root, 'src')).sort()) if (existsSync(path.join(root, 'src', d, 'README.md'))) out.push(`src/${d}/README.md`);
  return out;
}

// ---- transcripts ------------------------------------------------------------------------------

export interface TranscriptStep {
  command: string;
  expected: string[];
}

/** `$ cmd` (with `\` continuations) and the output lines after it. */
export function transcriptSteps(text: string): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('$ ')) {
      let cmd = l.slice(2);
      while (cmd.endsWith('\\') && i + 1 < lines.length) cmd = cmd.slice(0, -1) + ' ' + lines[++i]!.trim();
      steps.push({ command: cmd, expected: [] });
    } else if (steps.length > 0) {
      steps[steps.length - 1]!.expected.push(l);
    }
  }
  return steps;
}

// ---- daemons ----------------------------------------------------------------------------------

/** The command of a daemon line: no trailing comment, and no `&` (the harness backgrounds it itself). */
export function daemonCommand(line: string): string {
  return line.replace(/\s+#.*$/, '').trim().replace(/\s*&$/, '');
}

/** A line a reader runs in a terminal of its own (or with `&`): it does not return until stopped. */
export function isDaemonLine(line: string): boolean {
  const cmd = daemonCommand(line);
  return /(^|&&\s*)npm start$/.test(cmd) || /^(aop|node bin\/aop\.js|npx aop) serve\b/.test(cmd);
}

/** `npm ci` / `npm install`: the one kind of command that needs the network beyond the machine (the registry). */
export function needsRegistry(cmd: string): boolean {
  return /^npm (ci|install|i)\b/.test(cmd.trim());
}

/** What a daemon prints once it serves (see src/cli/embedded.ts and src/server/daemon.ts). */
export function readyPattern(line: string): RegExp {
  const cmd = daemonCommand(line);
  if (/npm start$/.test(cmd) || /^(aop|node bin\/aop\.js|npx aop) serve$/.test(cmd)) return /\bready: /;
  if (/--mcp\b/.test(cmd) && !/--no-mcp\b/.test(cmd)) return /MCP gateway: /;
  return /listening on /;
}

// ---- the machine ------------------------------------------------------------------------------

/** Whether this process may make network, mount and PID namespaces (root with CAP_SYS_ADMIN). */
export function namespacesWork(): { ok: true } | { ok: false; why: string } {
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return { ok: false, why: `${tool} is not installed (util-linux, iproute2)` };
  }
  const r = spawnSync('unshare', ['-mnpf', '--mount-proc', 'sh', '-c', 'ip link set lo up && mount -t tmpfs tmpfs /mnt'], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, why: `cannot make network and mount namespaces here: ${(r.stderr || r.error?.message || '').trim()}` };
  return { ok: true };
}

/** Documentation and loopback addresses an example binds or asks: put on the machine's loopback. */
export function addressesIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\b(127\.\d+\.\d+\.\d+|192\.0\.2\.\d+|198\.51\.100\.\d+|203\.0\.113\.\d+|10\.0\.0\.\d+)\b/g)) {
    if (m[1] !== '127.0.0.1') out.add(`${m[1]}/32`);
  }
  for (const m of text.matchAll(/\[(2001:db8::[0-9a-f:]*|fd00::[0-9a-f:]*)\]/gi)) out.add(`${m[1]}/128`);
  return [...out];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * One document's machine: a copy of the checkout under /var/tmp, an `aop` on PATH as `npm link`
 * puts it there, and a holder process whose namespaces every command enters.
 */
export class Machine {
  readonly dir: string;
  readonly checkout: string;
  private holder?: ChildProcess;
  private holderPid = 0;
  private daemons: Array<{ proc: ChildProcess; line: string; out: string[] }> = [];
  readonly env: Record<string, string>;

  constructor(private readonly root: string, addresses: string[]) {
    this.dir = mkdtempSync('/var/tmp/aop-docs-');
    this.checkout = path.join(this.dir, 'aop');
    // The tracked files, the build, and node_modules as hard links (a document may run npm ci).
    const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).stdout.split('\n').filter((f) => f !== '');
    for (const f of files) {
      if (f.startsWith('node_modules/') || !existsSync(path.join(root, f))) continue;
      mkdirSync(path.dirname(path.join(this.checkout, f)), { recursive: true });
      cpSync(path.join(root, f), path.join(this.checkout, f));
    }
    cpSync(path.join(root, 'dist'), path.join(this.checkout, 'dist'), { recursive: true });
    spawnSync('cp', ['-al', path.join(root, 'node_modules'), path.join(this.checkout, 'node_modules')]);
    const bin = path.join(this.dir, 'bin');
    mkdirSync(bin);
    symlinkSync(path.join(this.checkout, 'bin', 'aop.js'), path.join(bin, 'aop'));
    for (const d of ['upper', 'work']) for (const m of ['etc', 'var-lib', 'run']) mkdirSync(path.join(this.dir, d, m), { recursive: true });
    // A newcomer's PATH: the system's, with `aop` linked in; npm scripts add node_modules/.bin themselves.
    const sysPath = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter((p) => !p.includes('node_modules')).join(':');
    this.env = {
      PATH: `${bin}:${sysPath}`, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', TERM: 'dumb', NO_COLOR: '1',
      ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
      // Where one piece of a document leaves its variables and directory for the next (private /tmp).
      AOP_DOC_ENV: '/tmp/.aop-doc-env', AOP_DOC_CWD: '/tmp/.aop-doc-cwd',
      npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false',
    };
    const setup = [
      'set -e',
      'ip link set lo up',
      ...addresses.map((a) => `ip addr add ${a} dev lo`),
      'mount -t tmpfs tmpfs /tmp',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${this.dir}/upper/etc,workdir=${this.dir}/work/etc /etc`,
      `mount -t overlay overlay -o lowerdir=/var/lib,upperdir=${this.dir}/upper/var-lib,workdir=${this.dir}/work/var-lib /var/lib`,
      'mount -t tmpfs tmpfs /run',
      'echo up',
      // PID 1 of the machine: it waits for its stdin, which closes when the test process ends, however
      // it ends; when PID 1 exits the kernel kills everything on the machine, so no daemon outlives it.
      'read -r _ || true',
    ].join('\n');
    this.holder = spawn('unshare', ['-mnpf', '--mount-proc', '--propagation', 'private', 'bash', '-c', setup], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  async start(): Promise<void> {
    const h = this.holder!;
    let err = '';
    h.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      h.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('up')) resolve(); });
      h.on('exit', (code) => reject(new Error(`the example machine did not start (exit ${code}): ${err.trim()}`)));
    });
    // unshare forks PID 1 of the new namespaces: that child is the anchor every command enters.
    const children = readFileSync(`/proc/${h.pid}/task/${h.pid}/children`, 'utf8').trim().split(/\s+/);
    this.holderPid = Number(children[0]);
    if (!(this.holderPid > 0)) throw new Error(`the example machine's first process was not found (unshare ${h.pid})`);
  }

  /**
   * `env -i VARS nsenter ... bash -c SCRIPT`: tap's process-info hook puts its NODE_OPTIONS into the
   * environment of every child it sees spawned, whatever env is given; `env -i` keeps it out of the machine.
   */
  private enter(script: string, hostNet = false): string[] {
    return ['-i', ...Object.entries(this.env).map(([k, v]) => `${k}=${v}`),
      'nsenter', '-t', String(this.holderPid), '-m', '-p', ...(hostNet ? [] : ['-n']), '--wd=' + this.checkout, 'bash', '-c', script];
  }

  /**
   * Run a script on the machine; its own process group, so whatever it leaves running can be stopped.
   * `hostNet`: in the host's network (npm ci reaches the npm registry as on a real machine).
   */
  run(script: string, timeoutMs: number, hostNet = false): Promise<RunResult> {
    return new Promise((resolve) => {
      const p = spawn('env', this.enter(script, hostNet), { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let stdout = '';
      let stderr = '';
      p.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
      p.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timer = setTimeout(() => {
        stderr += `\n[example harness: still running after ${timeoutMs} ms; stopped]`;
        try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ }
      }, timeoutMs);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Start a daemon line in the background and wait until it says it is ready (or dies). */
  startDaemon(line: string, ready: RegExp, timeoutMs: number): Promise<void> {
    const p = spawn('env', this.enter(line), { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const d = { proc: p, line, out: [] as string[] };
    this.daemons.push(d);
    return new Promise((resolve, reject) => {
      let done = false;
      let buf = '';
      const timer = setTimeout(() => finish(new Error(`\`${line}\` did not say it was ready (${ready}) within ${timeoutMs} ms:\n${buf}`)), timeoutMs);
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err); else resolve();
      };
      const onData = (chunk: Buffer): void => {
        buf += chunk.toString();
        d.out.push(chunk.toString());
        if (ready.test(buf)) finish();
      };
      p.stdout!.on('data', onData);
      p.stderr!.on('data', onData);
      p.on('close', (code) => finish(new Error(`\`${line}\` exited (${code}) before it was ready:\n${buf}`)));
    });
  }

  /** Output of the daemons so far (for failure reports). */
  daemonOutput(): string {
    return this.daemons.map((d) => `--- ${d.line}\n${d.out.join('')}`).join('\n');
  }

  async close(): Promise<void> {
    for (const d of this.daemons) {
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) continue;
      const gone = new Promise((r) => d.proc.once('close', r));
      try { process.kill(-d.proc.pid!, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-d.proc.pid!, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
      await gone;
      clearTimeout(t);
    }
    if (this.holder && this.holder.exitCode === null) {
      const gone = new Promise((r) => this.holder!.once('close', r));
      this.holder.stdin!.end();
      const t = setTimeout(() => this.holder!.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An expected line, with the digits that change from run to run (ids, times, ports, serials) blurred. */
export function blur(s: string): string {
  return s.replace(/\d+(\.\d+)?/g, '0').replace(/\s+/g, ' ').trim();
}

export function writeScript(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
