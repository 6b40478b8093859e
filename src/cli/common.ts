// What the commands share: usage errors (exit 1), files named on the command line, the nearest
// known option to a mistyped one, and the one place that picks a DNS server when none is given.

import { AopError } from '../base/errors.js';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseListen } from '../server/listen.js';
import { readDaemonState, type DaemonState } from './daemon-state.js';

/** A bad command line or a missing input the user named: `aop: message`, exit status 1. */
export class UsageError extends AopError {
  declare readonly code: 'ERR_MISSING_FILE' | 'ERR_RESOLVER_ENV' | 'ERR_ADDRESS_IN_USE' | 'ERR_LOCAL_CA' | 'ERR_MCP_AUTH_REQUIRED';
  constructor(code: UsageError['code'], message: string, opts?: { cause?: unknown }) {
    super(code, message, opts);
  }
}

/**
 * A file or folder the command line names must be there before anything starts: a missing one
 * is the user's to fix (exit 1), not an internal error found half-way through start-up.
 */
export function requirePath(flag: string, p: string, kind: 'file' | 'folder'): void {
  let isDir: boolean;
  try {
    isDir = statSync(p).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? `no such ${kind}` : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError('ERR_MISSING_FILE', `${flag} ${p}: ${why}`);
  }
  if (kind === 'folder' && !isDir) throw new UsageError('ERR_MISSING_FILE', `${flag} ${p}: not a folder (give the folder that holds the <origin>.zone files)`);
  if (kind === 'file' && isDir) throw new UsageError('ERR_MISSING_FILE', `${flag} ${p}: is a folder, not a file`);
}

/** What to do instead, for the options where "give it once" is not enough. */
export const ONCE_WHY: Readonly<Record<string, string>> = {
  zones: 'a daemon serves one folder of zones; put all the <origin>.zone files in one folder, or run one aop serve per folder, each with its own --listen',
};

/**
 * Options that take one value, each given at most once. yargs makes an array of a repeated
 * option, which read as a path is the values joined with commas (`--zones a --zones b` was the
 * folder `a,b`); a repetition is refused instead, naming what was given. `why` says, per option,
 * what to do instead.
 */
export function requireOnce(args: Record<string, unknown>, names: readonly string[], why: Readonly<Record<string, string>> = ONCE_WHY): void {
  for (const name of names) {
    const v = args[name];
    if (!Array.isArray(v)) continue;
    const given = v.map((x) => `'${String(x)}'`).join(', ');
    throw new Error(`--${name} given ${v.length} times (${given}): ${why[name] ?? 'give it once'}`);
  }
}

/** Edit distance with adjacent transpositions (optimal string alignment): `lsiten` is 1 from `listen`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known options closest to `word`: the nearest within 1 edit for short words and 2 from four
 * letters on, else the options that start with it (at most three). Empty when nothing is that close.
 */
export function nearestOptions(word: string, known: readonly string[]): string[] {
  const w = word.toLowerCase();
  const names = [...new Set(known)].sort();
  const limit = w.length >= 4 ? 2 : 1;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of names) {
    const d = editDistance(w, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  if (best !== undefined && bestD <= limit && bestD < w.length) return [best];
  const prefixed = w.length >= 3 ? names.filter((k) => k.toLowerCase().startsWith(w)) : [];
  return prefixed.length <= 3 ? prefixed : [];
}

/**
 * yargs' "Unknown argument(s): a, b" as aop says it: `unknown option --listn; did you mean --listen?`.
 * `argv` tells an option (`--listn`, `-x`) from a stray word; `known` are the option names of
 * `command` (`['zone', 'check']`; none at the top level, where a stray word is a command), and
 * `subcommands` its own commands (`cache`: stats, flush, dump), where a stray word is one too.
 * Undefined when `message` is not yargs' unknown-argument message.
 */
export function unknownOptionMessage(
  message: string, argv: readonly string[], known: readonly string[], command: readonly string[] = [], subcommands: readonly string[] = [],
): string | undefined {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (!m) return undefined;
  const names = m[1]!.split(', ').filter((n) => n !== '');
  // Options as they were written, without a value: --listn=1 -> --listn.
  const written = new Map<string, string>();
  for (const a of argv) {
    if (a === '--') break;
    if (!/^--?[^-]/.test(a)) continue;
    const flag = a.split('=')[0]!;
    const name = flag.replace(/^--?/, '');
    // yargs names `--no-x` by x.
    for (const n of name.startsWith('no-') ? [name, name.slice(3)] : [name]) if (!written.has(n)) written.set(n, flag);
  }
  const candidates = known.filter((k) => k.length > 1 && !/[A-Z]/.test(k));
  const parts = names.map((n) => {
    const shown = written.get(n);
    if (shown === undefined) {
      // A stray word where a command (or a subcommand) is expected names one that does not exist.
      if (command.length === 0 || subcommands.length > 0) {
        const near = nearestOptions(n, subcommands).map((c) => `aop ${[...command, c].join(' ')}`);
        return `unknown command 'aop ${[...command, n].join(' ')}'${near.length > 0 ? `; did you mean ${near.join(' or ')}?` : ''} (see aop ${[...command, '--help'].join(' ')})`;
      }
      return `unexpected argument '${n}' (see aop ${command.join(' ')} --help)`;
    }
    const near = nearestOptions(n, candidates).map((k) => `--${k}`);
    return `unknown option ${shown}${near.length > 0 ? `; did you mean ${near.join(' or ')}?` : ''}`;
  });
  return parts.join('; ');
}

/** Where a command's DNS server came from when it was not given on the command line. */
export type ServerSource = 'AOP_RESOLVER' | 'state-file' | 'resolv.conf' | 'fallback';

export interface ServerChoice {
  address: string;
  /** Undefined when the source gives no port (resolv.conf, the fallback): the command's own default. */
  port?: number;
  source: ServerSource;
  /** Words for messages: `the state file /tmp/aop-0/daemon.json`, `$AOP_RESOLVER`, ... */
  from: string;
  /** The daemon the state file announced, when that is the source. */
  daemon?: DaemonState;
}

export interface ServerChoiceOptions {
  /** Default /etc/resolv.conf. */
  resolvConf?: string;
  /** The running daemon's state file (daemon-state.ts); none: the state file is not consulted. */
  stateFile?: string;
}

/**
 * The DNS server a command asks when none is given: $AOP_RESOLVER (ADDR[:PORT]), else the running
 * `aop serve` its state file announces, else the first nameserver of resolv.conf, else 127.0.0.1
 * (as dig). Throws UsageError ERR_RESOLVER_ENV for an $AOP_RESOLVER that is not an address.
 */
export function chooseDefaultServer(env: Record<string, string | undefined>, opts: ServerChoiceOptions = {}): ServerChoice {
  const configured = env.AOP_RESOLVER?.trim();
  if (configured) {
    try {
      const a = parseListen(configured, 53);
      if (a.port === 0) throw new Error('port must be 1-65535');
      return { address: a.host, port: a.port, source: 'AOP_RESOLVER', from: '$AOP_RESOLVER' };
    } catch (err) {
      // parseListen speaks of listen addresses; say what is wrong with this variable instead.
      const why = (err as Error).message.replace(/^listen address '[^']*': /, '');
      throw new UsageError('ERR_RESOLVER_ENV', `AOP_RESOLVER='${configured}': ${why}; give ADDR, ADDR:PORT or [IPv6]:PORT`);
    }
  }
  if (opts.stateFile !== undefined) {
    const state = readDaemonState(opts.stateFile);
    if (state) return { address: state.dns.address, port: state.dns.port, source: 'state-file', from: `the state file ${opts.stateFile}`, daemon: state };
  }
  const conf = opts.resolvConf ?? '/etc/resolv.conf';
  let text = '';
  try {
    text = readFileSync(conf, 'utf8');
  } catch {
    // No resolv.conf: dig falls back to the loopback address too.
  }
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && isIP(m[1]!) !== 0) {
      return { address: m[1]!, source: 'resolv.conf', from: `the first nameserver of ${conf}${opts.stateFile !== undefined ? '; no aop daemon announced in its state file' : ''}` };
    }
  }
  return { address: '127.0.0.1', source: 'fallback', from: `the fallback (no $AOP_RESOLVER, no running aop daemon, no nameserver in ${conf})` };
}

/** `(asked 127.0.0.1:5300, from the state file /tmp/aop-0/daemon.json)`: the tail of an error from a server the command chose. */
export function askedNote(c: ServerChoice, defaultPort = 53): string {
  const port = c.port ?? defaultPort;
  const at = isIP(c.address) === 6 ? `[${c.address}]:${port}` : `${c.address}:${port}`;
  return `(asked ${at}, from ${c.from})`;
}
