// `aop serve --config FILE`: the serve command's options read from a YAML file. The keys and
// their kinds come from yargs' own definitions of the command at parse time, so every option
// (including those added later) is a key; command-line flags win over the file (yargs applies a
// config object below the flags and above the defaults). SIGHUP re-reads it (rereadConfig).

import type { Logger } from '../base/log.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Argv } from 'yargs';
import { ConfigError, parseConfig, type ConfigSchema, type ConfigValues, type OptionSpec } from '../base/config.js';
import { nearestOptions } from './common.js';

/**
 * Options whose values are files or folders: a relative value in the file is resolved against the
 * file's folder (on the command line, against the working directory, as always). A new option
 * that names a file belongs here; test/cli/config-file.test.ts lists the rest.
 */
export const PATH_KEYS: readonly string[] = [
  'zones', 'root-hints', 'control', 'tsig-key', 'include-dir', 'journal-dir', 'secondary-dir', 'state-file',
  'tls-cert', 'tls-key', 'forward-tls-ca', 'dnstap', 'dnstap-file', 'dnstap-socket', 'query-log-file',
  'key-dir',
  'directory-db', 'directory-ca',
];

/** String options that `--no-x` turns off, so `x: false` in the file. */
export const NEGATABLE_KEYS: readonly string[] = ['mcp', 'control', 'state-file'];

/** Options of yargs' own that are no setting. */
const NOT_SETTINGS = new Set(['help', 'version', 'config', '$0']);

/** What yargs' getOptions() holds (its type in @types/yargs is loose). */
interface YargsOptions {
  key: Record<string, unknown>;
  array: string[];
  boolean: string[];
  number: string[];
  string: string[];
  alias: Record<string, string[]>;
  choices: Record<string, (string | number)[]>;
}

/** The option schema of a yargs instance whose options are all declared (a command's, at parse time). */
export function schemaOf(y: Argv): ConfigSchema {
  const o = (y as unknown as { getOptions(): YargsOptions }).getOptions();
  const options = new Map<string, OptionSpec>();
  const aliases = new Map<string, string>();
  for (const key of Object.keys(o.key)) {
    if (NOT_SETTINGS.has(key)) continue;
    // yargs lists an option's camelCase twin as a key too: the file says options as flags do.
    if (/[A-Z]/.test(key) && key !== key.toLowerCase()) continue;
    const kind = o.boolean.includes(key) ? 'boolean' : o.number.includes(key) ? 'number' : 'string';
    options.set(key, {
      kind, array: o.array.includes(key), choices: o.choices[key],
      path: PATH_KEYS.includes(key), negatable: NEGATABLE_KEYS.includes(key),
    });
  }
  for (const [key, list] of Object.entries(o.alias)) {
    if (!options.has(key)) continue;
    for (const a of list) if (!options.has(a) && !/[A-Z]/.test(a)) aliases.set(a, key);
  }
  return { options, aliases, suggest: nearestOptions };
}

/** `aop.yaml` for a file under the working directory, else its absolute path: how errors name it. */
function displayName(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Read and check a config file against a schema. Throws ConfigError (file:line: ...). */
export function readConfigFile(file: string, schema: ConfigSchema): ConfigValues {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(displayName(file), undefined, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message, { cause: err });
  }
  return parseConfig(text, path.resolve(file), schema, displayName(file));
}

/** What the first read saw, for SIGHUP to compare against. */
interface Loaded { file: string; schema: ConfigSchema; values: Record<string, unknown>; defaults: Record<string, unknown> }
let loaded: Loaded | undefined;

/** The `--config FILE` option of a command: its values are the command's options, below the flags. */
export function configOptions<T>(y: Argv<T>): Argv<T> {
  return y.config('config', 'YAML file of options (key: value, keys as the long option names; flags given win)', (file: string) => {
    const schema = schemaOf(y as unknown as Argv);
    try {
      const { values } = readConfigFile(file, schema);
      const defaults = ((y as unknown as { getOptions(): { default: Record<string, unknown> } }).getOptions().default) ?? {};
      loaded = { file, schema, values, defaults };
      return values;
    } catch (err) {
      // yargs-parser takes a returned Error as the parse's error: `aop: aop.yaml:3: ...`, exit 1.
      return err instanceof Error ? err : new Error(String(err));
    }
  });
}

/** Option names given on a command line (`--x`, `--x=v`, `--no-x`, an alias), as the schema names them. */
export function commandLineKeys(argv: readonly string[], schema: ConfigSchema): Set<string> {
  const keys = new Set<string>();
  for (const a of argv) {
    if (a === '--') break;
    const m = /^--?([^=]+)/.exec(a);
    if (!m) continue;
    for (const n of [m[1]!, m[1]!.replace(/^no-/, '')]) {
      const name = schema.options.has(n) ? n : schema.aliases?.get(n);
      if (name !== undefined) keys.add(name);
    }
  }
  return keys;
}

/** What a running daemon can change without a restart, each a setter taking the option's new value. */
export type LiveSetters = Readonly<Record<string, (value: unknown) => void>>;

export interface Reread {
  /** Keys applied live. */
  applied: string[];
  /** Keys changed that take effect at the next start. */
  restart: string[];
  /** Keys changed in the file that a command-line flag overrides. */
  overridden: string[];
}

/**
 * SIGHUP: read the file again. A valid file's changed keys are applied by `live` where it has a
 * setter, else logged as needing a restart; an invalid one changes nothing and is logged with
 * its file:line. Undefined when the daemon was started without --config.
 */
export function rereadConfig(live: LiveSetters, log: { info(m: string): void; warn(m: string): void; error(m: string): void }, argv: readonly string[] = process.argv.slice(2)): Reread | undefined {
  const was = loaded;
  if (!was) return undefined;
  let values: Record<string, unknown>;
  try {
    values = readConfigFile(was.file, was.schema).values;
  } catch (err) {
    log.error(`config: ${(err as Error).message}; keeping the running configuration`);
    return undefined;
  }
  const flags = commandLineKeys(argv, was.schema);
  const out: Reread = { applied: [], restart: [], overridden: [] };
  // log-level last, so what this reload changed is said at the level it was asked at.
  const keys = [...new Set([...Object.keys(was.values), ...Object.keys(values)])].sort((a, b) => Number(a === 'log-level') - Number(b === 'log-level'));
  for (const key of keys) {
    // A key taken out of the file falls back to the option's default.
    const before = key in was.values ? was.values[key] : was.defaults[key];
    const after = key in values ? values[key] : was.defaults[key];
    if (isDeepStrictEqual(before, after)) continue;
    if (flags.has(key)) {
      out.overridden.push(key);
      log.info(`config: "${key}" changed in ${displayName(was.file)}, but --${key} on the command line wins`);
    } else if (live[key]) {
      // Said before it is applied: a new log level may hide the line.
      log.info(`config: "${key}" applied: ${JSON.stringify(after)}`);
      try {
        live[key](after);
      } catch (err) {
        log.error(`config: "${key}" not applied: ${(err as Error).message}; keeping the running value`);
        continue;
      }
      out.applied.push(key);
    } else {
      out.restart.push(key);
      log.warn(`config: "${key}" changed; it takes effect when aop serve restarts`);
    }
  }
  loaded = { ...was, values };
  if (out.applied.length + out.restart.length + out.overridden.length === 0) log.info(`config: ${displayName(was.file)} re-read, nothing changed`);
  return out;
}

