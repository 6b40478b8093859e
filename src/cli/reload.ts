// `aop reload`: SIGHUP to a running `aop serve`, found by its state file (the one `npm start`
// writes, or `--state-file`) or a pid file, never by process name: `pidof node` may pick any
// Node program. The daemon then reloads its zones (docs/operations.md, Signals).

import { AopError } from '../base/errors.js';
import type { Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import { formatListen } from '../server/listen.js';
import { alive, daemonStatePath, readDaemonState } from './daemon-state.js';

export class ReloadError extends AopError {
  declare readonly code: 'ERR_RELOAD';
  constructor(message: string) {
    super('ERR_RELOAD', message);
  }
}

export interface ReloadTarget {
  pid: number;
  /** Where the pid came from, and what the state file says of the daemon. */
  source: string;
  dns?: string;
}

/** The process's argv from /proc (Linux), or undefined where there is none to read. */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/** The daemon to signal: from --pid-file, else the state file (--state-file, else the usual place). */
export function reloadTarget(opts: { stateFile?: string; pidFile?: string }, env: Record<string, string | undefined> = process.env): ReloadTarget {
  let target: ReloadTarget;
  if (opts.pidFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.pidFile, 'utf8').trim();
    } catch (err) {
      throw new ReloadError(`cannot read pid file ${opts.pidFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!/^[1-9]\d{0,9}$/.test(text)) throw new ReloadError(`pid file ${opts.pidFile} holds ${JSON.stringify(text.slice(0, 40))}, not a process id`);
    const pid = Number(text);
    if (!alive(pid)) throw new ReloadError(`no process ${pid} (from ${opts.pidFile}): the daemon is not running`);
    target = { pid, source: opts.pidFile };
  } else {
    const file = opts.stateFile ?? daemonStatePath(env);
    const state = readDaemonState(file);
    if (!state) {
      const stale = readDaemonState(file, { checkAlive: false });
      if (stale) throw new ReloadError(`the daemon of ${file} (pid ${stale.pid}) is not running`);
      throw new ReloadError(`no running aop serve announces itself in ${file}: start it with npm start or --state-file FILE, or give --pid-file FILE (a daemon with neither: kill -HUP its pid)`);
    }
    target = { pid: state.pid, source: file, dns: formatListen({ host: state.dns.address, port: state.dns.port, family: state.dns.address.includes(':') ? 6 : 4 }) };
  }
  // A pid that a new process took over: signal only an aop serve.
  const argv = commandLine(target.pid);
  if (argv !== undefined && !argv.includes('serve')) {
    throw new ReloadError(`process ${target.pid} (from ${target.source}) is not aop serve: ${argv.join(' ').slice(0, 120)}`);
  }
  return target;
}

/** Send SIGHUP; returns the line to print. */
export function reload(opts: { stateFile?: string; pidFile?: string }, env: Record<string, string | undefined> = process.env): string {
  const target = reloadTarget(opts, env);
  try {
    process.kill(target.pid, 'SIGHUP');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new ReloadError(`not allowed to signal pid ${target.pid} (from ${target.source}): run as the daemon's user (or root)`);
    if (code === 'ESRCH') throw new ReloadError(`no process ${target.pid} (from ${target.source}): the daemon is not running`);
    throw new ReloadError(`cannot signal pid ${target.pid}: ${(err as Error).message}`);
  }
  return `sent SIGHUP to aop serve pid ${target.pid}${target.dns ? ` (DNS ${target.dns})` : ''}, from ${target.source}: it reloads its zones; its log says what loaded\n`;
}

export function reloadCommand(y: Argv): Argv {
  return y.command(
    'reload',
    'Reload a running aop serve\'s zones (SIGHUP to the daemon of the state file, or of --pid-file)',
    (c) => c
      .option('state-file', { type: 'string', defaultDescription: '$AOP_STATE_FILE, $XDG_RUNTIME_DIR/aop/daemon.json or /tmp/aop-$UID/daemon.json', describe: 'The daemon\'s state file (as given to aop serve --state-file)' })
      .option('pid-file', { type: 'string', describe: 'A file holding the daemon\'s pid (systemd PIDFile=, start-stop-daemon)' })
      .conflicts('state-file', 'pid-file')
      .example('$0 reload', 'reload the daemon npm start runs')
      .example('$0 reload --state-file /run/aop/acme.json', 'reload the daemon started with --state-file /run/aop/acme.json'),
    (a) => {
      try {
        process.stdout.write(reload({ ...(a['state-file'] !== undefined ? { stateFile: a['state-file'] } : {}), ...(a['pid-file'] !== undefined ? { pidFile: a['pid-file'] } : {}) }));
      } catch (err) {
        process.stderr.write(`aop: ${(err as Error).message}\n`);
        process.exitCode = err instanceof ReloadError ? 1 : 10;
      }
    },
  );
}
