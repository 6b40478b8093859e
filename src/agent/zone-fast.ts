// The zone check's fast path (zone-check.ts): one agent's SVCB set and `_agent` TXT read straight
// from the RDATA octets, saying only "clearly fine" (no fault at all, and a client gets a card)
// or "not sure". Nothing is built for an agent that is fine: no card, no URL objects, no warning
// strings; values many agents share (the endpoint host, transport, capabilities, ...) are judged
// once. "Not sure" sends the agent through the full check (cardFromRecords, aidFromTxt), so every
// fault and its message still comes from the code that has always made it: this file only has to
// be right when it says yes, and test/agent/zone-fast.test.ts holds it to the full check's
// verdict on random zones.
//
// Yes means, for every record of the set: well-formed (src/wire's checkSvcb framing, checked in
// place, or stricter: no dohpath, no key65535), ServiceMode, no `mandatory`,
// alpn with `mcp`, path / transport / tool present and valid (the path of plain characters that
// URL parsing keeps), port not 0, other aop and DNS-AID keys valid (no notes either), an endpoint
// host that makes a URL host and has addresses; one tool and the same description,
// capabilities, auth, cap and bap across the set; and exactly one `_agent` TXT of one
// character-string of printable ASCII, with v=aid2, p=mcp, a u that is a lowest-priority
// endpoint's URL as WHATWG writes it, the auth hint as `a` and the description as `s` (when it
// fits AID unchanged), and no other AID key. Nothing another client refuses either
// (client-compat.ts): no TargetName `.`, a `cap` only over https, a `bap` dns-aid-core takes as
// is; a plain http `u` is the one such warning the fast path lets through, saying so (aidFine).

import { aidDescription } from './aid.js';
import { readSvcb, SvcKey } from './svcb.js';
import { buildUrl, looksLikeAddress } from './url.js';
import { bapToken, capabilitiesProblem, capProblem, capSha256Problem, descriptionProblem } from './values.js';
import { dnsAidBapProblem } from './client-compat.js';
import type { RRset } from '../wire/rr.js';
import { RRClass } from '../wire/types.js';

/**
 * Verdicts on octet strings, remembered: a direct-mapped table by a hash of the octets (a
 * collision only costs a recomputation), so a value many agents share is judged once and a hit
 * allocates nothing.
 */
class OctetMemo<T> {
  private readonly keys: Array<Uint8Array | undefined> = new Array(1024);
  private readonly values: T[] = new Array(1024);

  get(b: Buffer, s0: number, s1: number, compute: (text: string) => T): T {
    let h = 0x811c9dc5 | 0;
    for (let i = s0; i < s1; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & 1023;
    const k = this.keys[slot];
    if (k !== undefined && k.length === s1 - s0) {
      let i = 0;
      while (i < k.length && k[i] === b[s0 + i]) i++;
      if (i === k.length) return this.values[slot]!;
    }
    const v = compute(b.toString('latin1', s0, s1));
    this.keys[slot] = Uint8Array.prototype.slice.call(b, s0, s1);
    this.values[slot] = v;
    return v;
  }
}

/** What the fast path keeps between agents: hosts by target (wire octets) and shared values by key. */
export interface FastCache {
  /** Endpoint host in the zone with addresses (zone-check.ts's cached look-up). */
  hasAddress(host: string): boolean;
  /** Target octets -> the URL host (lowercase, no trailing dot), or null when not clearly fine. */
  hosts: OctetMemo<string | null>;
  /** Values judged already, by key: clearly fine or not. */
  values: Map<number, OctetMemo<boolean>>;
}

export function fastCache(hasAddress: (host: string) => boolean): FastCache {
  return { hasAddress, hosts: new OctetMemo(), values: new Map() };
}

/** One record, read: where its values lie in the RDATA (start, end; -1 when absent). */
interface Read {
  rdata: Buffer;
  priority: number;
  scheme: 'https' | 'http';
  port: number;
  host: string;
  path0: number;
  path1: number;
  tool0: number;
  tool1: number;
  desc0: number;
  desc1: number;
  caps0: number;
  caps1: number;
  auth0: number;
  auth1: number;
  cap0: number;
  cap1: number;
  bap0: number;
  bap1: number;
}

/** RFC 9461 dohpath and the invalid key: checkSvcb judges their values; the fast path leaves them to it. */
const DOHPATH = 7;
const INVALID_KEY = 65535;

// Octet classes. PATH_OK: what a path may hold for the fast path: RFC 3986 pchar without
// `%` (URL parsing decodes nothing then) and `/`; every one of them WHATWG URL parsing keeps as is.
const PATH_OK = new Uint8Array(256);
const TOOL_OK = new Uint8Array(256);
const AUTH_OK = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~!$&'()*+,;=:@/]/.test(ch)) PATH_OK[c] = 1;
  if (/[A-Za-z0-9_.-]/.test(ch)) TOOL_OK[c] = 1;
  if (/[a-z0-9_]/.test(ch)) AUTH_OK[c] = 1;
}

function same(b: Buffer, s0: number, s1: number, text: string): boolean {
  if (s1 - s0 !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[s0 + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Two value ranges (of two records, -1 when absent) hold the same octets. */
function sameRange(a: Buffer, a0: number, a1: number, b: Buffer, b0: number, b1: number): boolean {
  if (a0 < 0 || b0 < 0) return a0 < 0 && b0 < 0;
  if (a1 - a0 !== b1 - b0) return false;
  for (let i = 0; i < a1 - a0; i++) if (a[a0 + i] !== b[b0 + i]) return false;
  return true;
}

/** A path of 1-255 PATH_OK octets starting with `/`, without a `.` or `..` segment. */
function pathFine(b: Buffer, s0: number, s1: number): boolean {
  if (s1 - s0 < 1 || s1 - s0 > 255 || b[s0] !== 0x2f) return false;
  let seg = s0 + 1;
  for (let i = s0 + 1; i <= s1; i++) {
    if (i === s1 || b[i] === 0x2f) {
      const n = i - seg;
      if ((n === 1 && b[seg] === 0x2e) || (n === 2 && b[seg] === 0x2e && b[seg + 1] === 0x2e)) return false;
      seg = i + 1;
      continue;
    }
    if (PATH_OK[b[i]!] !== 1) return false;
  }
  return true;
}

function classFine(b: Buffer, s0: number, s1: number, cls: Uint8Array, max: number): boolean {
  if (s1 - s0 < 1 || s1 - s0 > max) return false;
  for (let i = s0; i < s1; i++) if (cls[b[i]!] !== 1) return false;
  return true;
}

/** Printable ASCII (so valid UTF-8 without control characters). */
function printable(b: Buffer, s0: number, s1: number): boolean {
  for (let i = s0; i < s1; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** A shared value judged once: `check` (the key's own rule) on first sight. */
function cached(cache: FastCache, key: number, b: Buffer, s0: number, s1: number, check: (v: string) => boolean): boolean {
  let m = cache.values.get(key);
  if (m === undefined) cache.values.set(key, (m = new OctetMemo()));
  return m.get(b, s0, s1, check);
}

/** The URL host for an endpoint host, or null when the full check must judge it. */
function urlHost(cache: FastCache, host: string): string | null {
  if (host.includes('\\') || looksLikeAddress(host)) return null;
  if (!('url' in buildUrl('https', host, 443, '/'))) return null;
  if (!cache.hasAddress(host)) return null;
  // buildUrl checked that URL parsing gives exactly this host, lowercased.
  return (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
}

/**
 * One record, when it is clearly a usable agent record without notes. The framing checks are
 * src/wire's checkSvcb's (svcbValid), or stricter: what passes here, readSvcb reads.
 */
function readRecord(cache: FastCache, b: Buffer): Read | undefined {
  const n = b.length;
  if (n < 3) return undefined;
  const priority = (b[0]! << 8) | b[1]!;
  if (priority === 0) return undefined;
  // The target: uncompressed labels, at most 255 octets.
  let p = 2;
  for (;;) {
    if (p >= n) return undefined;
    const len = b[p]!;
    if (len === 0) break;
    if (len > 63 || p + 1 + len > n) return undefined;
    p += 1 + len;
  }
  if (p - 1 > 255) return undefined;
  p++;
  const targetEnd = p;
  // TargetName ".": DNS-AID clients drop the record; the full check warns.
  if (targetEnd === 3) return undefined;
  let alpn = false;
  let port = -1;
  let transport = false;
  let scheme: 'https' | 'http' = 'https';
  const r: Read = {
    rdata: b, priority, scheme, port: 0, host: '',
    path0: -1, path1: -1, tool0: -1, tool1: -1, desc0: -1, desc1: -1, caps0: -1, caps1: -1, auth0: -1, auth1: -1, cap0: -1, cap1: -1, bap0: -1, bap1: -1,
  };
  let last = -1;
  while (p < n) {
    // Keys in strictly ascending order, values within the RDATA (checkSvcb's framing).
    if (p + 4 > n) return undefined;
    const key = (b[p]! << 8) | b[p + 1]!;
    const v0 = p + 4;
    const v1 = v0 + ((b[p + 2]! << 8) | b[p + 3]!);
    if (key <= last || v1 > n) return undefined;
    last = key;
    p = v1;
    switch (key) {
      case SvcKey.mandatory:
      case DOHPATH:
      case INVALID_KEY:
        return undefined;
      case SvcKey.alpn:
        if (v1 === v0) return undefined;
        for (let i = v0; i < v1; i += 1 + b[i]!) {
          if (b[i] === 0 || i + 1 + b[i]! > v1) return undefined;
          if (b[i] === 3 && b[i + 1] === 0x6d && b[i + 2] === 0x63 && b[i + 3] === 0x70) alpn = true;
        }
        if (!alpn) return undefined;
        break;
      case SvcKey.noDefaultAlpn:
        if (v1 !== v0) return undefined; // and alpn must be there: it must anyway
        break;
      case SvcKey.port:
        if (v1 - v0 !== 2) return undefined;
        port = (b[v0]! << 8) | b[v0 + 1]!;
        if (port === 0) return undefined;
        break;
      case SvcKey.ipv4hint:
        if (v1 === v0 || (v1 - v0) % 4 !== 0) return undefined;
        break;
      case SvcKey.ipv6hint:
        if (v1 === v0 || (v1 - v0) % 16 !== 0) return undefined;
        break;
      case SvcKey.path:
        if (!pathFine(b, v0, v1)) return undefined;
        r.path0 = v0;
        r.path1 = v1;
        break;
      case SvcKey.transport:
        if (!same(b, v0, v1, 'streamable-http') && !same(b, v0, v1, 'sse')) return undefined;
        transport = true;
        break;
      case SvcKey.tool:
        if (!classFine(b, v0, v1, TOOL_OK, 128)) return undefined;
        r.tool0 = v0;
        r.tool1 = v1;
        break;
      case SvcKey.capabilities:
        if (!cached(cache, key, b, v0, v1, (v) => capabilitiesProblem(v) === undefined)) return undefined;
        r.caps0 = v0;
        r.caps1 = v1;
        break;
      case SvcKey.description:
        if (!(v1 - v0 >= 1 && v1 - v0 <= 100 && printable(b, v0, v1)) && descriptionProblem(b.subarray(v0, v1)) !== undefined) return undefined;
        r.desc0 = v0;
        r.desc1 = v1;
        break;
      case SvcKey.auth:
        if (!classFine(b, v0, v1, AUTH_OK, 32)) return undefined;
        r.auth0 = v0;
        r.auth1 = v1;
        break;
      case SvcKey.scheme:
        if (same(b, v0, v1, 'http')) scheme = 'http';
        else if (!same(b, v0, v1, 'https')) return undefined;
        break;
      case SvcKey.cap:
        if (!cached(cache, key, b, v0, v1, (v) => capProblem(v) === undefined && v.toLowerCase().startsWith('https://'))) return undefined;
        r.cap0 = v0;
        r.cap1 = v1;
        break;
      case SvcKey.capSha256:
        if (!cached(cache, key, b, v0, v1, (v) => capSha256Problem(v) === undefined)) return undefined;
        break;
      case SvcKey.bap:
        if (!cached(cache, key, b, v0, v1, (v) => bapToken(v) === 'mcp' && dnsAidBapProblem(v) === undefined)) return undefined;
        r.bap0 = v0;
        r.bap1 = v1;
        break;
      default:
        break; // unknown keys and the hints are ignored
    }
  }
  if (!alpn || !transport || r.path0 < 0 || r.tool0 < 0) return undefined;
  // The host, once the framing is known good (readSvcb reads it then).
  const host = cache.hosts.get(b, 2, targetEnd, () => urlHost(cache, readSvcb(b).target));
  if (host === null) return undefined;
  r.host = host;
  r.scheme = scheme;
  r.port = port >= 0 ? port : scheme === 'https' ? 443 : 80;
  return r;
}

/** Whether b[at...] starts with `text`; the index after it, or -1. */
function textAt(b: Buffer, at: number, n: number, text: string): number {
  if (at < 0 || n - at < text.length) return -1;
  for (let j = 0; j < text.length; j++) if (b[at + j] !== text.charCodeAt(j)) return -1;
  return at + text.length;
}

/** Whether b[at...] starts with the endpoint's URL as WHATWG serialises it, free of `;`; the index after it, or -1. */
function hrefAt(b: Buffer, at: number, n: number, r: Read): number {
  let i = textAt(b, textAt(b, textAt(b, at, n, r.scheme), n, '://'), n, r.host);
  if (i < 0) return -1;
  if (r.port !== (r.scheme === 'https' ? 443 : 80)) {
    // `:` and the port's digits.
    if (i >= n || b[i] !== 0x3a) return -1;
    i++;
    const digits = r.port >= 10000 ? 5 : r.port >= 1000 ? 4 : r.port >= 100 ? 3 : r.port >= 10 ? 2 : 1;
    if (n - i < digits) return -1;
    for (let j = digits - 1, v = r.port; j >= 0; j--, v = Math.floor(v / 10)) if (b[i + j] !== 0x30 + (v % 10)) return -1;
    i += digits;
  }
  const len = r.path1 - r.path0;
  if (n - i < len) return -1;
  for (let j = 0; j < len; j++) {
    const c = r.rdata[r.path0 + j]!;
    if (b[i + j] !== c || c === 0x3b) return -1;
  }
  return i + len;
}

/** Whether b[at...] starts with d[d0, d1); the index after it, or -1. */
function octetsAt(b: Buffer, at: number, n: number, d: Buffer, d0: number, d1: number): number {
  if (n - at < d1 - d0) return -1;
  for (let j = 0; j < d1 - d0; j++) if (b[at + j] !== d[d0 + j]) return -1;
  return at + d1 - d0;
}

/**
 * The one `_agent` TXT: one string of printable ASCII (so UTF-8 without control characters),
 * `k=value` pairs with one-letter keys, no white space at the ends of keys or values: v=aid2,
 * p=mcp, u the URL of a lowest-priority endpoint, a the auth hint (absent when the SVCB has none),
 * s the description when AID takes it unchanged, else any 1-60 octets. Values that must equal
 * the SVCB's are matched in place (they hold no `;`), the rest scanned to the next `;`.
 */
function txtFine(txt: RRset, reads: FastRead): AidVerdict {
  if (txt.class !== RRClass.IN || txt.rdata.length !== 1) return 0;
  const b = txt.rdata[0]!;
  const n = b.length;
  if (n < 2 || b[0] !== n - 1) return 0;
  // The card's auth and description are the records' (they agree across the set).
  const r = reads[0]!;
  let best = r.priority;
  for (const x of reads) if (x.priority < best) best = x.priority;
  // s: the description as is (ASCII, no `;`, no space at an end, 60 octets at most); not compared
  // when AID shortens it; for a description that is not ASCII, its AID form unless shortened.
  let descAsIs = false;
  let descAid: string | undefined;
  if (r.desc0 >= 0) {
    const d = r.rdata;
    const len = r.desc1 - r.desc0;
    if (printable(d, r.desc0, r.desc1)) {
      descAsIs = len <= 60 && d[r.desc0] !== 0x20 && d[r.desc1 - 1] !== 0x20;
      for (let j = r.desc0; descAsIs && j < r.desc1; j++) if (d[j] === 0x3b) descAsIs = false;
      // Otherwise AID shortens it (aidDescription), and s is not compared.
    } else {
      const { s, shortened } = aidDescription(d.toString('utf8', r.desc0, r.desc1));
      if (!shortened) descAid = s;
    }
  }
  let seen = 0;
  let plain = false;
  for (let i = 1; i < n; ) {
    if (b[i] === 0x3b) {
      i++; // an empty pair
      continue;
    }
    if (n - i < 3 || b[i + 1] !== 0x3d) return 0;
    const k = b[i]!;
    const bit = k === 0x76 ? 1 : k === 0x75 ? 2 : k === 0x70 ? 4 : k === 0x61 ? 8 : k === 0x73 ? 16 : 0;
    if (bit === 0 || (seen & bit) !== 0) return 0;
    seen |= bit;
    const v0 = i + 2;
    let end = -1;
    if (bit === 1) end = octetsAt(b, v0, n, AID2, 0, 4);
    else if (bit === 4) end = octetsAt(b, v0, n, MCP, 0, 3);
    else if (bit === 8) end = r.auth0 < 0 ? -1 : octetsAt(b, v0, n, r.rdata, r.auth0, r.auth1);
    else if (bit === 2) {
      for (const x of reads) {
        if (x.priority !== best) continue;
        end = hrefAt(b, v0, n, x);
        if (end >= 0 && (end === n || b[end] === 0x3b)) {
          plain = x.scheme === 'http';
          break;
        }
      }
    } else if (descAsIs) end = octetsAt(b, v0, n, r.rdata, r.desc0, r.desc1);
    else {
      // s, not compared (or compared below): 1-60 printable octets up to the next `;`.
      end = v0;
      while (end < n && b[end] !== 0x3b) {
        const c = b[end]!;
        if (c < 0x20 || c > 0x7e) return 0;
        end++;
      }
      if (end === v0 || end - v0 > 60 || b[v0] === 0x20 || b[end - 1] === 0x20) return 0;
      if (descAid !== undefined && b.toString('latin1', v0, end) !== descAid) return 0;
    }
    if (end < 0 || (end < n && b[end] !== 0x3b)) return 0;
    i = end + 1;
  }
  if ((seen & 7) !== 7) return 0;
  if (r.auth0 >= 0 && (seen & 8) === 0) return 0;
  if ((descAsIs || descAid !== undefined) && (seen & 16) === 0) return 0;
  return plain ? 2 : 1;
}

const AID2 = Buffer.from('aid2', 'latin1');
const MCP = Buffer.from('mcp', 'latin1');

/**
 * The SVCB set of the agent at `owner` (ServiceMode, IN), read, when it clearly has no fault and
 * gives a card; undefined when the full check must look. Never throws for bad data.
 */
export function svcbFine(cache: FastCache, owner: string, svcb: RRset): FastRead | undefined {
  if (owner.includes('\\')) return undefined;
  const reads: Read[] = [];
  for (const rdata of svcb.rdata) {
    const r = readRecord(cache, rdata);
    if (r === undefined) return undefined;
    reads.push(r);
  }
  const first = reads[0];
  if (first === undefined) return undefined;
  for (let i = 1; i < reads.length; i++) {
    const r = reads[i]!;
    if (!sameRange(r.rdata, r.tool0, r.tool1, first.rdata, first.tool0, first.tool1)) return undefined;
    if (!sameRange(r.rdata, r.desc0, r.desc1, first.rdata, first.desc0, first.desc1)) return undefined;
    if (!sameRange(r.rdata, r.caps0, r.caps1, first.rdata, first.caps0, first.caps1)) return undefined;
    if (!sameRange(r.rdata, r.auth0, r.auth1, first.rdata, first.auth0, first.auth1)) return undefined;
    if (!sameRange(r.rdata, r.cap0, r.cap1, first.rdata, first.cap0, first.cap1)) return undefined;
    if (!sameRange(r.rdata, r.bap0, r.bap1, first.rdata, first.bap0, first.bap1)) return undefined;
  }
  return reads;
}

/** An agent's SVCB set as svcbFine read it, for aidFine. */
export type FastRead = readonly Read[];

/**
 * 0: not sure; 1: clearly fine; 2: clearly fine for aop, but its `u` is plain `http://`, which
 * AID clients refuse (the zone check adds that one warning, ERR_AGENT_ZONE_AID_REFUSED).
 */
export type AidVerdict = 0 | 1 | 2;

/**
 * The `u` value of a TXT RDATA aidFine said yes to (one string of `k=value` pairs with one-letter
 * keys), without parsing the rest.
 */
export function fastAidU(rdata: Buffer): string {
  const n = rdata.length;
  for (let i = 1; i < n; ) {
    let end = i;
    while (end < n && rdata[end] !== 0x3b) end++;
    if (end - i >= 2 && rdata[i] === 0x75 && rdata[i + 1] === 0x3d) return rdata.toString('latin1', i + 2, end);
    i = end + 1;
  }
  return '';
}

/** Whether the agent's `_agent` TXT set (undefined: none) clearly agrees with its SVCB set, read by svcbFine. */
export function aidFine(txt: RRset | undefined, reads: FastRead): AidVerdict {
  return txt === undefined ? 0 : txtFine(txt, reads);
}
