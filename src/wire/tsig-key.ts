// TSIG keys as people write them: BIND key files (what `tsig-keygen` and `aop key generate`
// write and `nsupdate -k` reads) and the `[alg:]name:secret` form of `nsupdate -y`.

import { atomicWrite, fsyncDir } from '../base/atomic-write.js';
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { nameKey, nameToWire } from './name.js';
import { algorithmLabel, canonicalAlgorithm, TsigError, type TsigKey } from './tsig.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeSecret(text: string, where: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length === 0 || clean.length % 4 !== 0 || !BASE64.test(clean)) {
    throw new TsigError('ERR_TSIG_KEY', `${where}: the secret is not base64`);
  }
  return Buffer.from(clean, 'base64');
}

function algorithmOf(text: string, where: string): string {
  const a = canonicalAlgorithm(text);
  if (!a) {
    const hint = /^hmac-sha\d+-\d+$/i.test(text) ? ' (truncated MAC variants are not supported)' : '';
    throw new TsigError('ERR_TSIG_ALGORITHM', `${where}: unknown TSIG algorithm '${text}'${hint}; want hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1 or hmac-md5`);
  }
  return a;
}

/** `[alg:]name:secret` as `nsupdate -y` takes it; without an algorithm, hmac-sha256. */
export function parseKeySpec(spec: string): TsigKey {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.length === 0)) {
    throw new TsigError('ERR_TSIG_KEY', `key '${spec.length > 40 ? spec.slice(0, 40) + '...' : spec}': want ALGORITHM:NAME:BASE64SECRET or NAME:BASE64SECRET`);
  }
  const [alg, name, secret] = parts.length === 3 ? parts as [string, string, string] : ['hmac-sha256', parts[0]!, parts[1]!];
  checkKeyName(name, `key ${name}`);
  return { name, algorithm: algorithmOf(alg, `key ${name}`), secret: decodeSecret(secret, `key ${name}`) };
}

type Tok = { kind: 'word' | 'string' | 'punct'; text: string; line: number };

function tokens(text: string, file: string): Tok[] {
  const out: Tok[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new TsigError('ERR_TSIG_KEY', `${file}:${line}: comment never closed`);
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '{' || c === '}' || c === ';') { out.push({ kind: 'punct', text: c, line }); i++; continue; }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || text.slice(i + 1, end).includes('\n')) throw new TsigError('ERR_TSIG_KEY', `${file}:${line}: string never closed`);
      out.push({ kind: 'string', text: text.slice(i + 1, end), line });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s{};"#]/.test(text[j]!)) j++;
    out.push({ kind: 'word', text: text.slice(i, j), line });
    i = j;
  }
  return out;
}

/** A key and where it was defined (`FILE:LINE`, or `--tsig-secret NAME`), for refusing a second definition. */
export interface KeySource {
  key: TsigKey;
  where: string;
}

/** The key name as compared: absolute, case-folded (RFC 8945 4.2: a domain name). */
function keyId(name: string): string {
  return nameKey(name.endsWith('.') ? name : `${name}.`);
}

/** A key name that cannot be a DNS name, as BIND says it: `FILE:LINE: key 'NAME': bad key name`. */
function checkKeyName(name: string, where: string): void {
  try {
    if (name.length === 0) throw new Error('empty');
    nameToWire(name.endsWith('.') ? name : `${name}.`);
  } catch (err) {
    throw new TsigError('ERR_TSIG_KEY', `${where}: key '${name}': bad key name (${(err as Error).message})`);
  }
}

/**
 * Refuse a key defined twice (names compared as DNS names: `Writer-Key.` is `writer-key`), as
 * BIND does: `FILE:LINE: key 'NAME': already exists, previous definition: FILE:LINE`. Otherwise
 * the last definition would silently win, and a client holding the first secret get BADSIG.
 */
export function refuseDuplicateKeys(sources: Iterable<KeySource>): TsigKey[] {
  const seen = new Map<string, string>();
  const keys: TsigKey[] = [];
  for (const { key, where } of sources) {
    const id = keyId(key.name);
    const previous = seen.get(id);
    if (previous !== undefined) throw new TsigError('ERR_TSIG_KEY_DUPLICATE', `${where}: key '${key.name}': already exists, previous definition: ${previous}`);
    seen.set(id, where);
    keys.push(key);
  }
  return keys;
}

/** parseKeyFile with each key's `FILE:LINE`. */
export function parseKeyFileSources(text: string, file = '<key file>'): KeySource[] {
  const toks = tokens(text, file);
  const lastLine = text.split('\n').length;
  const out: KeySource[] = [];
  let i = 0;
  const next = (want: string): Tok => {
    const t = toks[i++];
    if (!t) throw new TsigError('ERR_TSIG_KEY', `${file}:${toks[toks.length - 1]?.line ?? lastLine}: ends early, expected ${want}`);
    return t;
  };
  const expect = (p: string): void => {
    const t = next(`'${p}'`);
    if (t.kind !== 'punct' || t.text !== p) throw new TsigError('ERR_TSIG_KEY', `${file}:${t.line}: expected '${p}', found '${t.text}'`);
  };
  while (i < toks.length) {
    const kw = next('key');
    if (kw.kind !== 'word' || kw.text !== 'key') throw new TsigError('ERR_TSIG_KEY', `${file}:${kw.line}: expected 'key', found '${kw.text}'`);
    const name = next('a key name');
    if (name.kind === 'punct') throw new TsigError('ERR_TSIG_KEY', `${file}:${name.line}: expected a key name, found '${name.text}'`);
    checkKeyName(name.text, `${file}:${name.line}`);
    expect('{');
    let algorithm: string | undefined;
    let secret: Buffer | undefined;
    for (;;) {
      const t = next("'algorithm', 'secret' or '}'");
      if (t.kind === 'punct' && t.text === '}') break;
      const value = next(`a value for ${t.text}`);
      if (t.text === 'algorithm' && value.kind !== 'punct') algorithm = algorithmOf(value.text, `${file}:${value.line}`);
      else if (t.text === 'secret' && value.kind !== 'punct') secret = decodeSecret(value.text, `${file}:${value.line}`);
      else throw new TsigError('ERR_TSIG_KEY', `${file}:${t.line}: unexpected '${t.text}' in key ${name.text}`);
      expect(';');
    }
    expect(';');
    if (!algorithm || !secret) throw new TsigError('ERR_TSIG_KEY', `${file}:${kw.line}: key ${name.text} needs both an algorithm and a secret`);
    if (secret.length === 0) throw new TsigError('ERR_TSIG_KEY', `${file}:${kw.line}: key ${name.text}: empty secret`);
    out.push({ key: { name: name.text, algorithm, secret }, where: `${file}:${name.line}` });
  }
  if (out.length === 0) throw new TsigError('ERR_TSIG_KEY', `${file}:${lastLine}: no key in it`);
  refuseDuplicateKeys(out);
  return out;
}

/**
 * Keys in BIND's syntax, one or more:
 *   key "writer-key" { algorithm hmac-sha256; secret "base64=="; };
 * Anything else in the text is an ERR_TSIG_KEY naming the line; a name defined twice is
 * ERR_TSIG_KEY_DUPLICATE naming both lines.
 */
export function parseKeyFile(text: string, file = '<key file>'): TsigKey[] {
  return parseKeyFileSources(text, file).map((s) => s.key);
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TsigError('ERR_TSIG_KEY', `cannot read key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Keys from a BIND key file; a read failure is ERR_TSIG_KEY naming the file. */
export function loadKeyFile(file: string): TsigKey[] {
  return parseKeyFile(readKeyFile(file), file);
}

/**
 * The keys of several key files and `ALG:NAME:SECRET` specs (`--tsig-key`, `--tsig-secret`): a
 * name defined twice, in one file or across them, is ERR_TSIG_KEY_DUPLICATE naming both places.
 */
export function loadKeys(files: readonly string[], specs: readonly string[] = []): TsigKey[] {
  return refuseDuplicateKeys([
    ...files.flatMap((f) => parseKeyFileSources(readKeyFile(f), f)),
    ...specs.map((spec) => {
      const key = parseKeySpec(spec);
      return { key, where: `--tsig-secret ${key.name}` };
    }),
  ]);
}

/** A key in BIND's key-file syntax. */
export function formatKeyFile(key: TsigKey): string {
  return `key "${key.name.replace(/\.$/, '')}" {\n\talgorithm ${algorithmLabel(canonicalAlgorithm(key.algorithm) ?? key.algorithm)};\n\tsecret "${key.secret.toString('base64')}";\n};\n`;
}

// A key name is a domain name (RFC 8945 4.2) that the key file can hold between quotes.
const KEY_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** A new random key, as `tsig-keygen` makes: a secret as long as the hash output. */
export function generateKey(name: string, algorithm = 'hmac-sha256'): TsigKey {
  if (!KEY_NAME.test(name)) {
    throw new TsigError('ERR_TSIG_KEY', `key name ${JSON.stringify(name)}: want a domain name of letters, digits, '-' and '_' (writer-key, writer.acme.agents)`);
  }
  const a = algorithmOf(algorithm, `key ${name}`);
  const sizes: Record<string, number> = { 'hmac-md5.sig-alg.reg.int.': 16, 'hmac-sha1.': 20, 'hmac-sha224.': 28, 'hmac-sha256.': 32, 'hmac-sha384.': 48, 'hmac-sha512.': 64 };
  return { name, algorithm: a, secret: randomBytes(sizes[a]!) };
}

/**
 * Write a key file readable by its owner only (mode 0600), as `tsig-keygen > FILE` with a umask
 * of 077 would. An existing file is refused (ERR_TSIG_KEY_EXISTS), so a secret in use is never
 * lost by accident, unless `force`: then a new file replaces it by rename, mode 0600 whatever the
 * old file's was. Written and fsynced before the rename, so a crash leaves the old key or the new.
 */
export function writeKeyFile(file: string, key: TsigKey, opts: { force?: boolean } = {}): void {
  const text = formatKeyFile(key);
  const failed = (err: unknown): TsigError => new TsigError('ERR_TSIG_KEY', `cannot write key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  if (opts.force) {
    try {
      atomicWrite(file, text, { mode: 0o600 });
    } catch (err) {
      throw failed(err);
    }
    return;
  }
  let fd: number;
  try {
    // O_EXCL: the check and the creation are one step.
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new TsigError('ERR_TSIG_KEY_EXISTS', `${file} exists: a key file is not overwritten (it may hold a secret in use); --force replaces it`);
    throw new TsigError('ERR_TSIG_KEY', `cannot write key file ${file}: ${code ?? (err as Error).message}`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw failed(err);
  }
  closeSync(fd);
  fsyncDir(path.dirname(file));
}
