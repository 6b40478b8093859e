// DNSSEC keys in BIND's key-file format: `K<zone>+<alg>+<tag>.key` (the DNSKEY record, with
// comments giving its role and timing) and `.private` (Private-key-format v1.3), as
// dnssec-keygen writes them. aop reads dnssec-keygen's files and writes files dnssec-signzone
// and Knot (`keymgr import-bind`) accept. Keys are generated with node:crypto.
//
// Timing metadata (Created, Publish, Activate, and the others of TIMING_FIELDS when set) is
// written in both files as BIND does: YYYYMMDDHHMMSS in UTC, with the ctime form in the .key
// comments. A key with timing but no Publish or Activate (`dnssec-keygen -G`, or a KSK waiting
// for its DS in a double-DS roll) is neither published nor used, as in BIND.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { atomicWrite } from '../base/atomic-write.js';
import { tokenize } from '../wire/token.js';
import { rdataFromText, rdataToText } from '../wire/rdata.js';
import { RdataError, NameError } from '../wire/errors.js';
import { nameEquals, parseName } from '../wire/name.js';
import { RRType } from '../wire/types.js';
import { algorithmName, dnskeyPublicKey, generateKeyPair, publicKeyFromDnskey } from './algorithms.js';
import { DnssecError } from './errors.js';
import { keyTag } from './keytag.js';

/** DNSKEY flags: Zone Key (256), plus Secure Entry Point (1) for a key-signing key. */
export const ZSK_FLAGS = 256;
export const KSK_FLAGS = 257;

// BIND's names and order (dst_parse.c): DSPublish/DSRemoved record when the parent's DS was seen
// added and removed, SyncPublish/SyncDelete bound the key's CDS/CDNSKEY (dnssec-settime -P sync).
export const TIMING_FIELDS = ['Created', 'Publish', 'Activate', 'Revoke', 'Inactive', 'Delete', 'DSPublish', 'SyncPublish', 'SyncDelete', 'DSRemoved'] as const;
export type TimingField = (typeof TIMING_FIELDS)[number];

export interface DnssecKey {
  /** Absolute zone name, as in the .key file. */
  zone: string;
  flags: number;
  algorithm: number;
  /** Full DNSKEY RDATA (flags, protocol 3, algorithm, public key). */
  dnskey: Buffer;
  tag: number;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** Seconds since 1970 for each timing field present. */
  timing: Partial<Record<TimingField, number>>;
  /** TTL written on the DNSKEY line, when there was one. */
  ttl?: number;
}

export function isKsk(key: Pick<DnssecKey, 'flags'>): boolean {
  return (key.flags & 1) === 1;
}

/** `K<zone>+<alg>+<tag>` with the zone's trailing dot, as BIND names the files. */
export function keyFileBase(zone: string, algorithm: number, tag: number): string {
  return `K${zone}+${String(algorithm).padStart(3, '0')}+${String(tag).padStart(5, '0')}`;
}

function fileError(file: string, msg: string, cause?: unknown): DnssecError {
  return new DnssecError('ERR_DNSSEC_KEY_FILE', `${file}: ${msg}`, cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------- times

export function keyTimeText(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3) form in UTC: `Mon Dec  7 02:15:34 2026`. */
function ctimeText(sec: number): string {
  const d = new Date(sec * 1000);
  const hms = d.toISOString().slice(11, 19);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms} ${d.getUTCFullYear()}`;
}

function parseKeyTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (m === null) return /^\d+$/.test(text) ? Number(text) : undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) / 1000;
}

// ---------------------------------------------------------------- reading

/** The DNSKEY line of a .key file: owner, optional TTL and class, DNSKEY, RDATA. */
function parseKeyLine(file: string, text: string): { zone: string; ttl?: number; dnskey: Buffer } {
  const lines = text.split('\n').map((l) => l.replace(/;.*$/, '').trim()).filter((l) => l !== '');
  if (lines.length !== 1) throw fileError(file, `expected one DNSKEY record, found ${lines.length} lines of data`);
  const toks = tokenize(lines[0]!);
  const typeAt = toks.findIndex((t) => !t.quoted && t.text.toUpperCase() === 'DNSKEY');
  if (typeAt < 1 || typeAt > 3) throw fileError(file, 'no "<zone> [ttl] [IN] DNSKEY ..." record');
  let ttl: number | undefined;
  for (const t of toks.slice(1, typeAt)) {
    if (/^\d+$/.test(t.text)) ttl = Number(t.text);
    else if (t.text.toUpperCase() !== 'IN') throw fileError(file, `unexpected "${t.text}" before DNSKEY`);
  }
  try {
    const zone = parseName(toks[0]!.text, '.');
    return { zone, ttl, dnskey: rdataFromText(RRType.DNSKEY, toks.slice(typeAt + 1), zone) };
  } catch (e) {
    if (e instanceof RdataError || e instanceof NameError) throw fileError(file, e.message, e);
    throw e;
  }
}

function parsePrivate(file: string, text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*?)\s*$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!);
  }
  const fmt = fields.get('Private-key-format');
  if (fmt === undefined || !/^v1\.[23]$/.test(fmt)) throw fileError(file, `not a BIND private key file (Private-key-format ${fmt ?? 'missing'})`);
  return fields;
}

function privateKeyObject(file: string, alg: number, fields: Map<string, string>, pub: KeyObject): KeyObject {
  const get = (name: string): string => {
    const v = fields.get(name);
    if (v === undefined || v === '') throw fileError(file, `missing ${name}`);
    return Buffer.from(v, 'base64').toString('base64url');
  };
  const jwk = pub.export({ format: 'jwk' });
  try {
    if (alg === 8) {
      return createPrivateKey({
        key: { kty: 'RSA', n: get('Modulus'), e: get('PublicExponent'), d: get('PrivateExponent'), p: get('Prime1'), q: get('Prime2'), dp: get('Exponent1'), dq: get('Exponent2'), qi: get('Coefficient') },
        format: 'jwk',
      });
    }
    return createPrivateKey({ key: { ...jwk, d: get('PrivateKey') }, format: 'jwk' });
  } catch (e) {
    if (e instanceof DnssecError) throw e;
    throw fileError(file, `private key does not load: ${(e as Error).message}`, e);
  }
}

/** Read `<base>.key` and `<base>.private` (base with or without the directory). */
export function readKeyFiles(base: string): DnssecKey {
  const keyFile = `${base}.key`;
  const privFile = `${base}.private`;
  let keyText: string;
  let privText: string;
  try {
    keyText = readFileSync(keyFile, 'utf8');
    privText = readFileSync(privFile, 'utf8');
  } catch (e) {
    throw fileError(base, `cannot read the key files: ${(e as Error).message}`, e);
  }
  const { zone, ttl, dnskey } = parseKeyLine(keyFile, keyText);
  const fields = parsePrivate(privFile, privText);
  const algorithm = dnskey[3]!;
  const algField = Number(/^\d+/.exec(fields.get('Algorithm') ?? '')?.[0] ?? NaN);
  if (algField !== algorithm) throw fileError(privFile, `Algorithm ${fields.get('Algorithm')} does not match the DNSKEY's ${algorithm}`);
  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromDnskey(algorithm, dnskey.subarray(4));
  } catch (e) {
    throw fileError(keyFile, (e as Error).message, e);
  }
  const privateKey = privateKeyObject(privFile, algorithm, fields, publicKey);
  if (!dnskeyPublicKey(algorithm, privateKey).equals(dnskey.subarray(4))) throw fileError(privFile, 'the private key does not belong to the public key in the .key file');
  const timing: Partial<Record<TimingField, number>> = {};
  for (const f of TIMING_FIELDS) {
    const v = fields.get(f);
    if (v === undefined) continue;
    const t = parseKeyTime(v);
    if (t === undefined) throw fileError(privFile, `bad ${f} time "${v}"`);
    timing[f] = t;
  }
  return { zone, flags: dnskey.readUInt16BE(0), algorithm, dnskey, tag: keyTag(dnskey), publicKey, privateKey, timing, ...(ttl === undefined ? {} : { ttl }) };
}

/** Every key pair in `dir` for `zone` (any zone when omitted), ordered by file name. */
export function readKeyDir(dir: string, zone?: string): DnssecKey[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw fileError(dir, `cannot read the key directory: ${(e as Error).message}`, e);
  }
  const out: DnssecKey[] = [];
  for (const n of names.filter((n) => /^K.*\+\d{3}\+\d{5}\.key$/.test(n)).sort()) {
    const key = readKeyFiles(path.join(dir, n.slice(0, -4)));
    if (zone === undefined || nameEquals(key.zone, zone)) out.push(key);
  }
  return out;
}

// ---------------------------------------------------------------- writing and making

/** A new key for `zone` (flags 257 for a KSK or combined signing key, 256 for a ZSK). */
export function generateKey(zone: string, algorithm: number, flags: number, nowSec = Math.floor(Date.now() / 1000)): DnssecKey {
  const { privateKey, publicKey } = generateKeyPair(algorithm);
  const head = Buffer.from([flags >> 8, flags & 0xff, 3, algorithm]);
  const dnskey = Buffer.concat([head, dnskeyPublicKey(algorithm, publicKey)]);
  return { zone, flags, algorithm, dnskey, tag: keyTag(dnskey), publicKey, privateKey, timing: { Created: nowSec, Publish: nowSec, Activate: nowSec } };
}

function privateText(key: DnssecKey): string {
  const jwk = key.privateKey.export({ format: 'jwk' });
  const b64 = (v: string | undefined): string => Buffer.from(v ?? '', 'base64url').toString('base64');
  const lines = ['Private-key-format: v1.3', `Algorithm: ${key.algorithm} (${algorithmName(key.algorithm)})`];
  if (key.algorithm === 8) {
    lines.push(`Modulus: ${b64(jwk.n)}`, `PublicExponent: ${b64(jwk.e)}`, `PrivateExponent: ${b64(jwk.d)}`, `Prime1: ${b64(jwk.p)}`, `Prime2: ${b64(jwk.q)}`, `Exponent1: ${b64(jwk.dp)}`, `Exponent2: ${b64(jwk.dq)}`, `Coefficient: ${b64(jwk.qi)}`);
  } else {
    const size = key.algorithm === 14 ? 48 : 32;
    const d = Buffer.from(jwk.d ?? '', 'base64url');
    lines.push(`PrivateKey: ${(d.length < size ? Buffer.concat([Buffer.alloc(size - d.length), d]) : d).toString('base64')}`);
  }
  for (const f of TIMING_FIELDS) if (key.timing[f] !== undefined) lines.push(`${f}: ${keyTimeText(key.timing[f]!)}`);
  return lines.join('\n') + '\n';
}

function publicText(key: DnssecKey): string {
  const role = isKsk(key) ? 'key-signing' : 'zone-signing';
  const lines = [`; This is a ${role} key, keyid ${key.tag}, for ${key.zone}`];
  for (const f of TIMING_FIELDS) {
    const t = key.timing[f];
    if (t !== undefined) lines.push(`; ${f}: ${keyTimeText(t)} (${ctimeText(t)})`);
  }
  const ttl = key.ttl === undefined ? '' : ` ${key.ttl}`;
  lines.push(`${key.zone}${ttl} IN DNSKEY ${rdataToText(RRType.DNSKEY, key.dnskey)}`);
  return lines.join('\n') + '\n';
}

/** Write both files into `dir` (the .private one mode 0600); returns the path without the suffix. */
export function writeKeyFiles(dir: string, key: DnssecKey): string {
  const base = path.join(dir, keyFileBase(key.zone, key.algorithm, key.tag));
  try {
    atomicWrite(`${base}.private`, privateText(key), { mode: 0o600 });
    atomicWrite(`${base}.key`, publicText(key), { mode: 0o644 });
  } catch (e) {
    throw fileError(base, `cannot write the key files: ${(e as Error).message}`, e);
  }
  return base;
}
