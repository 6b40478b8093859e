// A YAML config file read against a schema of options (name -> kind), with every error said as
// `file:line: "key": what is wrong`. It knows nothing of the command line: the caller derives the
// schema from its own option definitions and decides which options hold paths.

import { AopError } from './errors.js';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export type OptionKind = 'string' | 'number' | 'boolean';

export interface OptionSpec {
  kind: OptionKind;
  /** A list option: a YAML sequence, or one scalar taken as a list of one. */
  array: boolean;
  /** The values allowed, when the option has a fixed set. */
  choices?: readonly (string | number)[];
  /** A file or folder: a relative value is resolved against the config file's folder. */
  path?: boolean;
  /** A string option that may also be `false` (a `--no-x` switch that turns it off). */
  negatable?: boolean;
}

export interface ConfigSchema {
  options: ReadonlyMap<string, OptionSpec>;
  /** Other names of an option (alias -> option name). */
  aliases?: ReadonlyMap<string, string>;
  /** The options nearest a mistyped key, for "did you mean". */
  suggest?: (key: string, known: readonly string[]) => string[];
}

export class ConfigError extends AopError {
  declare readonly code: 'ERR_CONFIG';
  constructor(readonly file: string, readonly line: number | undefined, readonly detail: string, opts?: { cause?: unknown }) {
    super('ERR_CONFIG', `${file}${line !== undefined ? `:${line}` : ''}: ${detail}`, opts);
  }
}

export interface ConfigValues {
  /** Option name -> value, typed as its spec says (paths resolved). */
  values: Record<string, unknown>;
  /** Option name -> line of its key. */
  lines: Record<string, number>;
}

/** What a YAML value looks like in a message: `"big"`, `12`, `a list`, `a mapping`, `nothing`. */
function shown(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/**
 * Read `text` (the contents of `file`, named so in errors) as a mapping of option names to
 * values. Throws ConfigError for a YAML syntax error, a top level that is not a mapping, an
 * unknown or repeated key, or a value not of its option's kind.
 */
export function parseConfig(text: string, file: string, schema: ConfigSchema, shownName: string = file): ConfigValues {
  const lc = new LineCounter();
  // uniqueKeys off: a repeated key is said below, with both lines.
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  const lineOf = (n: Node | null | undefined | unknown): number | undefined => {
    const r = (n as Node | undefined)?.range;
    return r ? lc.linePos(r[0]).line : undefined;
  };
  const err = doc.errors[0];
  if (err) throw new ConfigError(shownName, lc.linePos(err.pos[0]).line, `YAML syntax error: ${err.message.split('\n')[0]}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { values: {}, lines: {} };
  if (!isMap(root)) throw new ConfigError(shownName, lineOf(root), `the file must be a mapping of option names to values (key: value lines), not ${isSeq(root) ? 'a list' : shown((root as { toJSON(): unknown }).toJSON())}`);
  const known = [...schema.options.keys()];
  const values: Record<string, unknown> = {};
  const lines: Record<string, number> = {};
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const line = lineOf(keyNode) ?? lineOf(pair.value) ?? 1;
    const rawKey = isScalar(keyNode) ? keyNode.value : keyNode?.toJSON();
    if (typeof rawKey !== 'string') throw new ConfigError(shownName, line, `key ${shown(rawKey)}: option names are words like listen or cache-size`);
    const name = schema.options.has(rawKey) ? rawKey : schema.aliases?.get(rawKey);
    if (name === undefined) {
      const near = schema.suggest?.(rawKey, known) ?? [];
      throw new ConfigError(shownName, line, `unknown key "${rawKey}"${near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''}`);
    }
    if (name in lines) throw new ConfigError(shownName, line, `"${rawKey}" given twice (first at line ${lines[name]})${name !== rawKey ? ` (as "${name}")` : ''}`);
    lines[name] = line;
    const spec = schema.options.get(name)!;
    const valueNode = pair.value as Node | null;
    const fail = (v: unknown, want: string, at: number | undefined = lineOf(valueNode) ?? line): never => {
      throw new ConfigError(shownName, at, `"${rawKey}": expected ${want}, got ${shown(v)}`);
    };
    const one = (n: Node | null, want: string): unknown => {
      const v = n === null ? null : n.toJSON() as unknown;
      const at = lineOf(n) ?? line;
      if (spec.kind === 'boolean') return typeof v === 'boolean' ? v : fail(v, 'true or false', at);
      if (spec.kind === 'number') {
        if (typeof v !== 'number' || !Number.isFinite(v)) return fail(v, 'a number', at);
        if (spec.choices && !spec.choices.includes(v)) return fail(v, `one of ${spec.choices.join(', ')}`, at);
        return v;
      }
      if (v === false && spec.negatable && !spec.array) return false;
      // A number or a word where a string is wanted (`workers: 4`) is that text.
      if (typeof v !== 'string' && typeof v !== 'number') return fail(v, want, at);
      const s = String(v);
      if (spec.choices && !spec.choices.includes(s)) return fail(v, `one of ${spec.choices.join(', ')}`, at);
      if (!spec.path || s === '') return s;
      // `unix:sock` / `file:out.tap` (dnstap's form): the path after the scheme is the file's folder's too.
      const scheme = /^(unix|file):(?!\/\/)/.exec(s)?.[0] ?? '';
      return scheme + path.resolve(path.dirname(file), s.slice(scheme.length));
    };
    const want = spec.kind === 'string' ? (spec.negatable ? 'a string or false' : 'a string') : spec.kind === 'number' ? 'a number' : 'true or false';
    if (spec.array) {
      if (isSeq(valueNode)) values[name] = valueNode.items.map((item) => one(item as Node | null, want));
      else if (isMap(valueNode)) fail(valueNode.toJSON(), `a list of ${spec.kind === 'string' ? 'strings' : spec.kind === 'number' ? 'numbers' : 'booleans'}`);
      else values[name] = [one(valueNode, want)];
    } else {
      if (isSeq(valueNode) || isMap(valueNode)) fail(valueNode.toJSON(), want);
      values[name] = one(valueNode, want);
    }
  }
  return { values, lines };
}
