// The AID record (draft-nemethi-dawn-aid-00) at `_agent.<agent name>`: one TXT of `key=value`
// pairs split by `;`, e.g. `v=aid2;u=https://mcp.acme.example/mcp;p=mcp;a=oauth2_code;s=Drafts`.
//
// Reading follows AID's client rules: keys and values trimmed, keys compared case-insensitively,
// the long key names (`version`, `uri`, ...) taken as their one-letter aliases, a key and its alias
// together refused, unknown keys ignored, the strings of a TXT joined in order. Writing emits the
// short keys in the order the bundled zones use (v u p a s d e k i), as one string of at most 255
// octets. Both versions are read, `aid2` and the legacy `aid1`, as AID 2.x clients read them
// (selectAid picks one per name). aop accepts an `http` URL where AID wants `https`:
// docs/records.md, "Plain http"; aidClientProblems says what AID clients refuse.

import { AgentRecordError } from './errors.js';
import { authProblem, show } from './values.js';

export interface AidRecord {
  /** `aid2`, or the legacy `aid1`. */
  v: AidVersion;
  /** The endpoint URI. */
  u: string;
  /** The protocol token: `mcp` for aop agents. */
  p: string;
  /** Auth hint token (`none`, `apikey`, `oauth2_code`, ...). */
  a?: string;
  /** Description, at most 60 octets of UTF-8. */
  s?: string;
  /** Documentation URL. */
  d?: string;
  /** Deprecation time, ISO 8601 UTC. */
  e?: string;
  /** Endpoint-proof public key. */
  k?: string;
  /** Key id. */
  i?: string;
}

/** The version aop writes. */
export const AID_VERSION = 'aid2';
/** The versions AID 2.x clients read, newest first; AID 1.x clients read only `aid1`. */
export const AID_VERSIONS = ['aid2', 'aid1'] as const;
export type AidVersion = (typeof AID_VERSIONS)[number];
/** AID's limit on `s`, in octets of UTF-8. */
export const MAX_AID_DESCRIPTION = 60;
/** One TXT character-string. */
export const MAX_AID_TEXT = 255;

const LONG_KEYS: Record<string, keyof AidRecord> = {
  version: 'v', uri: 'u', proto: 'p', auth: 'a', desc: 's', docs: 'd', dep: 'e', pka: 'k', kid: 'i',
};
const SHORT_KEYS = new Set<string>(Object.values(LONG_KEYS));
const ORDER: Array<keyof AidRecord> = ['v', 'u', 'p', 'a', 's', 'd', 'e', 'k', 'i'];
/** Protocols whose endpoint is an HTTP URL (AID Appendix B). */
const HTTP_PROTOCOLS = new Set(['mcp', 'a2a', 'openapi', 'grpc', 'graphql', 'ucp']);

function bad(message: string): never {
  throw new AgentRecordError('ERR_AGENT_BAD_AID', message);
}

/** Why a field value is wrong, or undefined. `rec` gives the protocol for `u`. */
function fieldProblem(key: keyof AidRecord, value: string, rec: { p?: string | undefined }): string | undefined {
  switch (key) {
    case 'v':
      return (AID_VERSIONS as readonly string[]).includes(value) ? undefined : 'is not aid2 or aid1';
    case 'u': {
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) return 'is not an absolute URI';
      if (rec.p !== undefined && HTTP_PROTOCOLS.has(rec.p)) {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          return 'is not a valid URL';
        }
        if (url.protocol !== 'https:' && url.protocol !== 'http:') return `is not an http(s) URL, as p=${rec.p} needs`;
      }
      return undefined;
    }
    case 'p':
      return /^[a-z0-9][a-z0-9._-]*$/.test(value) ? undefined : 'is not a protocol token';
    case 'a': {
      const why = authProblem(value);
      return why === undefined ? undefined : `is not an auth token (${why})`;
    }
    case 's': {
      const n = Buffer.byteLength(value, 'utf8');
      if (n === 0 || n > MAX_AID_DESCRIPTION) return `is ${n} octets (1-${MAX_AID_DESCRIPTION})`;
      return /\p{Cc}/u.test(value) ? 'has control characters' : undefined;
    }
    case 'd': {
      try {
        return new URL(value).protocol === 'https:' ? undefined : 'is not an https URL';
      } catch {
        return 'is not an https URL';
      }
    }
    case 'e':
      return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'is not an ISO 8601 UTC time (2026-01-01T00:00:00Z)';
    case 'k':
      return /^[A-Za-z0-9_-]+$/.test(value) ? undefined : 'is not a base64url or multibase key';
    case 'i':
      return /^[a-z0-9]{1,6}$/.test(value) ? undefined : 'is not 1-6 of [a-z0-9]';
  }
}

/** AID text -> record. Throws AgentRecordError ERR_AGENT_BAD_AID naming the fault. */
export function parseAid(text: string): AidRecord {
  const seen = new Map<keyof AidRecord, string>();
  const rec: Partial<Record<keyof AidRecord, string>> = {};
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) bad(`AID pair ${show(part.trim())} has no "="`);
    const raw = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    const key = SHORT_KEYS.has(raw) ? (raw as keyof AidRecord) : LONG_KEYS[raw];
    if (key === undefined) continue; // unknown keys are ignored (AID 2.1)
    const before = seen.get(key);
    if (before !== undefined) bad(before === raw ? `AID key "${raw}" given twice` : `AID keys "${before}" and "${raw}" both given (one is the other's alias)`);
    seen.set(key, raw);
    rec[key] = value;
  }
  for (const key of ['v', 'u', 'p'] as const) {
    if (rec[key] === undefined) bad(`AID record has no "${key}" (${key === 'v' ? 'version' : key === 'u' ? 'uri' : 'proto'})`);
  }
  for (const key of ORDER) {
    const value = rec[key];
    if (value === undefined) continue;
    const why = fieldProblem(key, value, rec);
    if (why !== undefined) bad(`AID ${key}=${show(value)} ${why}`);
  }
  return rec as AidRecord;
}

/**
 * The record an AID 2.x client uses among the valid records at one name: the `aid2` one, else the
 * `aid1` one; `ambiguous` names a version with more than one valid record there, which AID 2.x
 * refuses (it does not choose by answer order). Records of the other version do not count.
 */
export function selectAid<T extends { aid: AidRecord }>(valid: readonly T[]): { selected?: T; ambiguous?: AidVersion; counts: Record<AidVersion, number> } {
  const counts: Record<AidVersion, number> = { aid2: 0, aid1: 0 };
  for (const r of valid) counts[r.aid.v]++;
  const version: AidVersion | undefined = counts.aid2 > 0 ? 'aid2' : counts.aid1 > 0 ? 'aid1' : undefined;
  if (version === undefined) return { counts };
  if (counts[version] > 1) return { ambiguous: version, counts };
  return { selected: valid.find((r) => r.aid.v === version)!, counts };
}

/** Protocols whose `u` AID clients require to start with `https://` (AID 2.x parser; `websocket` wants `wss://`). */
const REMOTE_EXCEPT = new Set(['local', 'zeroconf', 'websocket']);

/** The reason for a remote agent's `u` without `https://` (the zone check's fast path writes it too). */
export function aidNotHttps(u: string): string {
  return `u=${u} does not start with "https://"; AID clients (1.x and 2.x) refuse a remote agent without TLS, loopback included`;
}

/**
 * What AID clients refuse in a record aop reads (AID 2.x's parser, and 1.x's for `aid1`): a remote
 * protocol's `u` that does not start with `https://` (exactly: the check is on the text, so
 * `HTTPS://` and loopback `http://` are refused too), `websocket` without `wss://`, `i` in an
 * `aid2` record, `k` without `i` in an `aid1` record. Each reason is a sentence part after `u=...`.
 */
export function aidClientProblems(rec: AidRecord): string[] {
  const out: string[] = [];
  if (rec.p === 'websocket') {
    if (!rec.u.startsWith('wss://')) out.push(`u=${rec.u} does not start with "wss://", which AID clients require for p=websocket`);
  } else if (!REMOTE_EXCEPT.has(rec.p) && !rec.u.startsWith('https://')) {
    out.push(aidNotHttps(rec.u));
  }
  if (rec.v === 'aid2' && rec.i !== undefined) out.push('i= (kid) is not allowed in an aid2 record; AID 2.x clients refuse it');
  if (rec.v === 'aid1' && rec.k !== undefined && rec.i === undefined) out.push('k= (pka) without i= (kid); AID clients refuse an aid1 record so');
  return out;
}

/** Record -> AID text (short keys, `v u p a s d e k i`). Throws ERR_AGENT_BAD_AID when it cannot be written. */
export function formatAid(rec: AidRecord): string {
  const parts: string[] = [];
  for (const key of ORDER) {
    const value = rec[key];
    if (value === undefined) continue;
    if (value !== value.trim()) bad(`AID ${key}=${show(value)} has white space at an end, which readers trim`);
    if (value.includes(';')) bad(`AID ${key}=${show(value)} has ";", AID's separator`);
    const why = fieldProblem(key, value, rec);
    if (why !== undefined) bad(`AID ${key}=${show(value)} ${why}`);
    parts.push(`${key}=${value}`);
  }
  for (const key of ['u', 'p'] as const) if (rec[key] === undefined) bad(`AID record has no "${key}"`);
  const text = parts.join(';');
  const n = Buffer.byteLength(text, 'utf8');
  if (n > MAX_AID_TEXT) bad(`AID text is ${n} octets; one TXT string holds ${MAX_AID_TEXT}`);
  return text;
}

/** TXT wire RDATA -> its character-strings. Throws ERR_AGENT_BAD_AID when the framing is broken. */
export function txtStrings(rdata: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < rdata.length; ) {
    const n = rdata[i]!;
    if (i + 1 + n > rdata.length) bad('TXT RDATA: a character-string runs past the end');
    out.push(rdata.subarray(i + 1, i + 1 + n));
    i += 1 + n;
  }
  if (out.length === 0) bad('TXT RDATA is empty');
  return out;
}

/** TXT wire RDATA -> AID record, the strings joined in order as AID asks. */
export function aidFromTxt(rdata: Buffer): AidRecord {
  const joined = Buffer.concat(txtStrings(rdata));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(joined);
  } catch {
    bad('AID text is not UTF-8');
  }
  return parseAid(text);
}

/** AID text -> TXT wire RDATA: one character-string (formatAid keeps it within 255 octets). */
export function aidTxtRdata(text: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length > MAX_AID_TEXT) bad(`AID text is ${b.length} octets; one TXT string holds ${MAX_AID_TEXT}`);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/**
 * The `s` for a description: the description itself when it fits AID (60 octets, no `;`),
 * otherwise shortened (`;` becomes `,`, cut at a character boundary). `shortened` says which.
 */
export function aidDescription(description: string): { s: string; shortened: boolean } {
  let s = description.replace(/;/g, ',');
  if (Buffer.byteLength(s, 'utf8') > MAX_AID_DESCRIPTION) {
    let out = '';
    for (const ch of s) {
      if (Buffer.byteLength(out + ch, 'utf8') > MAX_AID_DESCRIPTION) break;
      out += ch;
    }
    // Cut at the last word boundary when the cut fell inside a word.
    const next = s[out.length];
    const space = out.search(/\s\S*$/);
    if (next !== undefined && !/\s/.test(next) && space > 0) out = out.slice(0, space);
    s = out.trimEnd();
  }
  s = s.trim();
  return { s, shortened: s !== description };
}
