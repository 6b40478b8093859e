// The AID record (draft-nemethi-dawn-aid-00) at `_agent.<agent name>`: one TXT of `key=value`
// pairs split by `;`, e.g. `v=aid2;u=https://mcp.acme.example/mcp;p=mcp;a=oauth2_code;s=Drafts`.
//
// Reading follows AID's client rules: keys and values trimmed, keys compared case-insensitively,
// the long key names (`version`, `uri`, ...) taken as their one-letter aliases, a key and its alias
// together refused, unknown keys ignored, the strings of a TXT joined in order. Writing emits the
// short keys in the order the bundled zones use (v u p a s d e k i), as one string of at most 255
// octets. aop accepts an `http` URL where AID wants `https`: docs/records.md, "Plain http".

import { AgentRecordError } from './errors.js';
import { authProblem, show } from './values.js';

export interface AidRecord {
  v: 'aid2';
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

export const AID_VERSION = 'aid2';
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
      return value === AID_VERSION ? undefined : `is not ${AID_VERSION}`;
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
