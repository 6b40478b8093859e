// `aop cache flush|stats|dump`: talk to a running resolver over its control socket (`aop serve
// --control`, or the one `npm start` opens and names in its state file).

import type { Argv } from 'yargs';
import { statSync } from 'node:fs';
import { ControlError, sendCommand } from '../server/control.js';
import { parseName } from '../wire/name.js';
import { classToString, typeToString } from '../wire/types.js';
import { rankToString, type DumpEntry } from '../cache/index.js';
import { daemonStatePath, readDaemonState } from './daemon-state.js';

/** Environment variable naming the control socket when --control is not given. */
export const CONTROL_ENV = 'AOP_CONTROL';

/**
 * The socket to use: --control, else $AOP_CONTROL, else the one the running daemon's state file
 * names (`npm start` opens one), else a ControlError saying what to pass.
 */
export function controlPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env, stateFile = daemonStatePath(env)): string {
  const p = option !== undefined && option !== '' ? option : env[CONTROL_ENV];
  if (p !== undefined && p !== '') return p;
  const state = readDaemonState(stateFile);
  if (state?.control !== undefined) return state.control;
  const why = state ? `the daemon of ${stateFile} (pid ${state.pid}) has none` : `no running aop serve announces one in ${stateFile}`;
  throw new ControlError(`no control socket given: pass --control PATH (the path given to \`aop serve --control\`) or set ${CONTROL_ENV}; ${why}`);
}

/**
 * Send one command and return the reply when it says ok. Every failure becomes one ControlError
 * whose message says what is wrong in the operator's terms (no socket, daemon gone, refused...).
 */
export async function control(path: string, line: string, timeoutMs?: number): Promise<Record<string, unknown>> {
  // Look first, so a missing or wrong file gets a plain answer rather than a socket error.
  let isSocket: boolean;
  try {
    isSocket = statSync(path).isSocket();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ControlError(`no control socket at ${path}: is the daemon running with --control ${path}?`, { cause: err });
    throw new ControlError(`cannot use the control socket ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!isSocket) throw new ControlError(`${path} is not a socket: pass the path given to \`aop serve --control\``);
  let reply: Record<string, unknown>;
  try {
    reply = await sendCommand(path, line, timeoutMs);
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ECONNREFUSED') throw new ControlError(`the daemon is not running: nothing listens on ${path} (left behind by a daemon that stopped)`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM') throw new ControlError(`permission denied on ${path}: run as the daemon's user (or root)`, { cause: err });
    throw err;
  }
  if (reply.ok !== true) throw new ControlError(typeof reply.error === 'string' ? reply.error : `the daemon refused "${line}"`);
  return reply;
}

/** What to flush, as one control line; the name is checked and put in canonical form first. */
export function flushLine(name: string | undefined, opts: { zone?: boolean; all?: boolean }): string {
  if (opts.all) {
    if (name !== undefined || opts.zone) throw new ControlError('--all flushes everything: give no NAME and no --zone with it');
    return 'flush all';
  }
  if (name === undefined) throw new ControlError('name what to flush: NAME, NAME --zone, or --all');
  let canonical: string;
  try {
    // parseName escapes whitespace (\032), so a name can never split the command line.
    canonical = parseName(name.endsWith('.') ? name : name + '.');
  } catch (err) {
    throw new ControlError(`bad name "${name}": ${(err as Error).message}`, { cause: err });
  }
  return `flush ${opts.zone ? 'zone' : 'name'} ${canonical}`;
}

const plural = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;

/** The line printed after a flush. */
export function formatFlush(reply: Record<string, unknown>): string {
  const removed = typeof reply.removed === 'number' ? reply.removed : 0;
  if (reply.flushed === 'all') return 'flushed the whole cache (server RTT and lameness are kept)';
  if (reply.flushed === 'zone') return `flushed ${String(reply.name)} and everything below it (${plural(removed)})`;
  return `flushed ${String(reply.name)} (${plural(removed)})`;
}

/** `aop cache stats` output: one `key=value` line per counter (as unbound-control stats). */
export function formatStats(reply: Record<string, unknown>): string {
  const lines: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else if (v !== undefined) {
      lines.push(`${prefix}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v)}`);
    }
  };
  walk('', reply.stats);
  if (reply.cache !== undefined) walk('cache', reply.cache);
  return lines.join('\n') + (lines.length ? '\n' : '');
}

function isDumpEntry(e: unknown): e is DumpEntry {
  const d = e as DumpEntry;
  return typeof d === 'object' && d !== null && typeof d.name === 'string' && typeof d.kind === 'string'
    && typeof d.type === 'number' && typeof d.class === 'number' && typeof d.ttl === 'number' && typeof d.stale === 'boolean';
}

/**
 * `aop cache dump` output: a dig-like table, one entry a line. TTL is the seconds left before
 * expiry, 0 once an entry is stale (it is then served, if at all, with TTL 30). An NXDOMAIN
 * covers every type, so its TYPE is `-`; negative entries carry no rank.
 */
export function formatDump(reply: Record<string, unknown>): string {
  const raw = Array.isArray(reply.entries) ? reply.entries : [];
  const entries = raw.filter(isDumpEntry);
  if (entries.length === 0) return ';; the cache is empty\n';
  const rows = entries.map((e) => [
    e.name,
    String(e.stale ? 0 : e.ttl),
    classToString(e.class),
    e.kind === 'nxdomain' ? '-' : typeToString(e.type),
    e.kind,
    e.rank === undefined ? '-' : rankToString(e.rank),
    e.stale ? 'yes' : 'no',
  ]);
  const head = [';NAME', 'TTL', 'CLASS', 'TYPE', 'KIND', 'RANK', 'STALE'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Numbers right-aligned as dig's TTL column; the last column is not padded.
  const line = (r: string[]) => r.map((c, i) => i === r.length - 1 ? c : i === 1 ? c.padStart(width[i]!) : c.padEnd(width[i]!)).join('  ');
  const count = `;; ${plural(entries.length)}`;
  return [count, line(head), ...rows.map(line)].join('\n') + '\n';
}

/** Print a failure as one line and set exit status 1 (the event loop then ends on its own). */
function fail(err: unknown): void {
  process.stderr.write(`aop: ${(err as Error).message}\n`);
  process.exitCode = 1;
}

function withControl<T>(c: Argv<T>) {
  return c
    .option('control', { type: 'string', defaultDescription: `$${CONTROL_ENV}, else the running aop serve's (its state file)`, describe: 'The daemon\'s control socket (as given to aop serve --control)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the daemon\'s reply as JSON' })
    .option('timeout', { type: 'number', default: 5000, describe: 'Most milliseconds to wait for the reply' })
    .check((a) => {
      if (!(Number.isInteger(a.timeout) && a.timeout >= 1 && a.timeout <= 600_000)) throw new Error('--timeout must be 1 to 600000 ms');
      return true;
    });
}

async function runAndPrint(a: { control?: string; json: boolean; timeout: number }, line: () => string, format: (r: Record<string, unknown>) => string): Promise<void> {
  try {
    const command = line(); // bad arguments are reported before a missing socket
    const reply = await control(controlPath(a.control), command, a.timeout);
    process.stdout.write(a.json ? JSON.stringify(reply) + '\n' : format(reply));
  } catch (err) {
    fail(err);
  }
}

export function cacheCommand(y: Argv): Argv {
  return y.command('cache', 'Flush, count or list a running resolver\'s cache over its control socket', (z) => z
    .example('$0 cache flush writer.acme.agents --control /run/aop.sock', 'forget one name')
    .example('$0 cache stats --control /run/aop.sock', "the resolver's counters")
    .command(
      'flush [name]',
      'Remove a name (every type), a zone (the name and everything below it) or everything from the cache',
      (c) => withControl(c)
        .positional('name', { type: 'string', describe: 'Name to flush' })
        .option('zone', { type: 'boolean', default: false, describe: 'Flush NAME and every name below it (delegations and negative answers too)' })
        .option('all', { type: 'boolean', default: false, describe: 'Flush the whole cache (server RTT and lameness are kept)' })
        .example('$0 cache flush writer.acme.agents', 'forget one name (socket from --control or $AOP_CONTROL)')
        .example('$0 cache flush acme.agents --zone', 'forget a zone and everything below it')
        .example('$0 cache flush --all', 'forget everything'),
      (a) => runAndPrint(a, () => flushLine(a.name, { zone: a.zone, all: a.all }), (r) => formatFlush(r) + '\n'),
    )
    .command(
      'stats',
      'Print the daemon\'s counters and the cache\'s, one key=value a line',
      (c) => withControl(c).example('$0 cache stats --control /run/aop.sock', ''),
      (a) => runAndPrint(a, () => 'stats', formatStats),
    )
    .command(
      'dump',
      'List every cache entry: name, remaining TTL, class, type, kind, rank, stale',
      (c) => withControl(c).example('$0 cache dump --control /run/aop.sock', ''),
      (a) => runAndPrint(a, () => 'dump', formatDump),
    )
    .demandCommand(1, 'Name a cache command: flush, stats or dump; see aop cache --help'));
}
