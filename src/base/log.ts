// The one logger of aop, on pino: leveled lines on stderr (systemd, docker and a terminal all
// collect it). JSON lines by default when stderr is not a terminal, so a log shipper reads fields
// without parsing prose; on a terminal, the human line `ISO-time level message key=value ...`.
// The message is always in `msg`, so a pattern that finds a phrase in one format finds it in both.
// Lines are written synchronously to fd 2: none is lost when the process exits right after.

import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `auto`: json unless the destination is a terminal, then text. */
export const LOG_FORMATS = ['auto', 'json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Structured fields of one line (`{ zone: 'acme.agents.', serial: 7 }`). `time`, `level`, `msg`
 * and `pid` are the line's own keys: a field of that name is not shown.
 */
export type LogFields = Record<string, unknown>;

/** What every part of aop logs through: `log.info('zone loaded')`, `log.warn('refused', { client })`. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger whose level can change while it runs (SIGHUP re-reads `log-level` from the config file). */
export interface LevelledLogger extends Logger {
  setLevel(level: LogLevel): void;
}

/** A logger that writes nothing: the default of every library that takes one. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface LoggerOptions {
  /** Lowest level written; default info. */
  level?: LogLevel;
  /** Default auto. */
  format?: LogFormat;
  /** Where lines go, each without its newline (tests, embedding); default stderr (fd 2), synchronously. */
  write?: (line: string) => void;
  /** For `auto`: whether the destination is a terminal. Default: stderr's isTTY (false with `write`). */
  tty?: boolean;
  /** Fields on every line of this logger (a worker's id). */
  fields?: LogFields;
}

/** `auto` decided: text on a terminal, else json. */
export function resolveFormat(format: LogFormat, tty: boolean): 'json' | 'text' {
  return format === 'auto' ? (tty ? 'text' : 'json') : format;
}

// One synchronous destination on fd 2 for every logger of the process (each would otherwise open its own).
let stderrDest: DestinationStream | undefined;
function stderr(): DestinationStream {
  stderrDest ??= pino.destination({ fd: 2, sync: true });
  return stderrDest;
}

/** A destination that hands each JSON line to `write` without its newline. */
function lines(write: (line: string) => void): DestinationStream {
  return { write: (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) };
}

const OWN_KEYS = new Set(['time', 'level', 'msg', 'pid']);

/** A value as it reads in `key=value`: plain when it has no space or quote, else JSON-quoted. */
function textValue(v: unknown): string {
  if (typeof v === 'string') return v !== '' && !/[\s"=]/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null) return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** One pino JSON line as the human line: `2026-12-06T10:00:00.000Z info message key=value`. */
export function textLine(json: string): string {
  const o = JSON.parse(json) as Record<string, unknown>;
  let line = `${String(o.time)} ${String(o.level)} ${String(o.msg ?? '')}`;
  for (const [k, v] of Object.entries(o)) if (!OWN_KEYS.has(k)) line += ` ${k}=${textValue(v)}`;
  return line;
}

/** A destination that writes the human line of each JSON line pino makes (a terminal's pace, so the parse costs nothing that matters). */
function text(out: DestinationStream | ((line: string) => void)): DestinationStream {
  if (typeof out === 'function') return { write: (s: string) => out(textLine(s)) };
  return { write: (s: string) => out.write(textLine(s) + '\n') };
}

/** Wrap a pino logger in aop's call style (message first, fields second). */
function wrap(p: PinoLogger): LevelledLogger {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields): void => {
    if (fields === undefined) p[level](msg);
    else p[level](fields, msg);
  };
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    setLevel: (level) => { p.level = level; },
  };
}

export function createLogger(opts: LoggerOptions = {}): LevelledLogger {
  const tty = opts.tty ?? (opts.write ? false : process.stderr.isTTY === true);
  const format = resolveFormat(opts.format ?? 'auto', tty);
  const dest = format === 'text' ? text(opts.write ?? stderr()) : opts.write ? lines(opts.write) : stderr();
  const p = pino({
    level: opts.level ?? 'info',
    // `level: "info"`, not pino's number: what operators grep and what the text line says.
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid, ...opts.fields },
    messageKey: 'msg',
  }, dest);
  return wrap(p);
}
