// Domain names: presentation form <-> labels <-> wire form, with the limits of RFC 1035 section 3.1.
//
// Inside aop a name is a string in canonical presentation form: absolute, ending in '.', the root
// is '.', case preserved, and escaping normalised (printable octets plain, the specials escaped
// with a backslash, everything else as \DDD), so two spellings of one name give one string
// up to case. `nameKey` folds ASCII case for matching (RFC 4343).

import { DecodeError, NameError } from './errors.js';

export const MAX_LABEL = 63;
export const MAX_NAME_WIRE = 255;

// Octets that need a backslash in presentation form (BIND escapes the same set).
const SPECIAL = new Set([0x22, 0x28, 0x29, 0x2e, 0x3b, 0x5c, 0x40, 0x24]); // " ( ) . ; \ @ $

/** Octets that stand for themselves in presentation form. */
const PLAIN_OCTET = Uint8Array.from({ length: 256 }, (_, b) => (b > 0x20 && b < 0x7f && !SPECIAL.has(b) ? 1 : 0));

/** Presentation form of one label. */
export function labelToText(label: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < label.length; i++) {
    if (!PLAIN_OCTET[label[i]!]) {
      plain = false;
      break;
    }
  }
  if (plain) return String.fromCharCode.apply(null, label as unknown as number[]);
  let out = '';
  for (const b of label) {
    if (SPECIAL.has(b)) out += '\\' + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\' + String(b).padStart(3, '0');
  }
  return out;
}

/** Canonical presentation form of a label sequence (leftmost first, root label omitted). */
export function labelsToText(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return '.';
  return labels.map(labelToText).join('.') + '.';
}

/**
 * Split presentation text into labels. Returns the labels and whether the text was absolute
 * (ended in an unescaped dot). '.' alone is the root.
 */
export function textToLabels(text: string): { labels: Buffer[]; absolute: boolean } {
  if (text === '.') return { labels: [], absolute: true };
  if (text.length === 0) throw new NameError('ERR_NAME_EMPTY_LABEL', 'empty name');
  const labels: Buffer[] = [];
  let cur: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) { // '.'
      if (cur.length === 0) throw new NameError('ERR_NAME_EMPTY_LABEL', `empty label in name '${text}'`);
      labels.push(finishLabel(cur, text));
      cur = [];
      if (i === text.length - 1) absolute = true;
      continue;
    }
    if (c === 0x5c) { // backslash
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new NameError('ERR_NAME_BAD_ESCAPE', `escape \\${d} is over 255 in name '${text}'`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length && !/\d/.test(text[i + 1]!)) {
        cur.push(text.charCodeAt(i + 1));
        i += 1;
      } else {
        throw new NameError('ERR_NAME_BAD_ESCAPE', `bad escape in name '${text}'`);
      }
      continue;
    }
    if (c > 0xff) throw new NameError('ERR_NAME_BAD_ESCAPE', `non-ASCII character in name '${text}' (use IDNA A-labels)`);
    cur.push(c);
  }
  if (cur.length > 0) labels.push(finishLabel(cur, text));
  return { labels, absolute };
}

function finishLabel(octets: number[], text: string): Buffer {
  if (octets.length > MAX_LABEL) {
    throw new NameError('ERR_NAME_LABEL_TOO_LONG', `label of ${octets.length} octets (limit ${MAX_LABEL}) in name '${text}'`);
  }
  return Buffer.from(octets);
}

function checkLength(labels: readonly Uint8Array[], text: string): void {
  let len = 1;
  for (const l of labels) len += l.length + 1;
  if (len > MAX_NAME_WIRE) throw new NameError('ERR_NAME_TOO_LONG', `name '${text}' is ${len} octets in wire form (limit ${MAX_NAME_WIRE})`);
}

/**
 * Parse a name in presentation form into canonical form. `@` is the origin; a relative name
 * has the origin appended; without an origin a relative name is an error.
 */
export function parseName(text: string, origin?: string): string {
  if (text === '@') {
    if (origin === undefined) throw new NameError('ERR_NAME_RELATIVE', `'@' used with no origin`);
    return origin;
  }
  const fast = plainName(text, origin);
  if (fast !== undefined) return fast;
  const { labels, absolute } = textToLabels(text);
  let all = labels;
  if (!absolute) {
    if (origin === undefined) throw new NameError('ERR_NAME_RELATIVE', `relative name '${text}' with no origin`);
    all = labels.concat(nameToLabels(origin));
  }
  checkLength(all, text);
  return labelsToText(all);
}

/** Octets that stand for themselves in a canonical name: printable ASCII but the specials and '.'. */
const PLAIN: boolean[] = Array.from({ length: 0x80 }, (_, c) => c > 0x20 && c < 0x7f && c !== 0x2e && !SPECIAL.has(c));

/**
 * Whether `name` is absolute and made of plain octets only (no escapes, nothing canonical form
 * would escape), with every label 1..63 octets and at most 255 in wire form: then its text is
 * its canonical form and every suffix after a dot is the canonical form of that parent name.
 */
export function isPlainAbsolute(name: string): boolean {
  // plainName returns an absolute plain name as it is, and nothing for a relative one without an origin.
  return plainName(name, undefined) !== undefined;
}

let lastOrigin: string | undefined;
let lastOriginWire = 0;

/**
 * parseName's fast path for the common case, a name of plain octets only (no escapes, nothing
 * that canonical form would escape): such text is its own canonical form. Undefined when the
 * text needs the full parse (which also reports every error).
 */
function plainName(text: string, origin: string | undefined): string | undefined {
  const n = text.length;
  if (n === 0 || n > MAX_NAME_WIRE) return undefined;
  let label = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (label === 0) return undefined;
      label = 0;
      continue;
    }
    if (c >= 0x80 || !PLAIN[c]) return undefined;
    if (++label > MAX_LABEL) return undefined;
  }
  // Wire form of the labels written: one length octet per label plus the octets, = n + 1.
  if (label === 0) return n + 1 <= MAX_NAME_WIRE ? text : undefined; // absolute
  if (origin === undefined) return undefined;
  if (origin !== lastOrigin) {
    // Only a canonical origin can be appended as it is.
    let labels: Buffer[];
    try {
      labels = nameToLabels(origin);
    } catch {
      return undefined;
    }
    if (labelsToText(labels) !== origin) return undefined;
    lastOrigin = origin;
    lastOriginWire = 1;
    for (const l of labels) lastOriginWire += l.length + 1;
  }
  if (n + lastOriginWire > MAX_NAME_WIRE) return undefined;
  return origin === '.' ? text + '.' : text + '.' + origin;
}

/** Labels of a canonical name (root gives none). */
export function nameToLabels(name: string): Buffer[] {
  return textToLabels(name).labels;
}

/** Uncompressed wire form. */
export function nameToWire(name: string): Buffer {
  if (name.length > 1 && name.length < MAX_NAME_WIRE) {
    // No escapes: the labels are the text between the dots. Anything unusual takes the full path.
    const out = Buffer.allocUnsafe(name.length + 1);
    let start = 0;
    let i = 0;
    for (; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x2e) {
        const len = i - start;
        if (len === 0 || len > MAX_LABEL) break;
        out[start] = len;
        start = i + 1;
      } else if (c === 0x5c || c >= 0x80) {
        break;
      } else {
        out[i + 1] = c;
      }
    }
    if (i === name.length && start === name.length) {
      out[name.length] = 0;
      return out;
    }
  }
  const labels = nameToLabels(name);
  const parts: Buffer[] = [];
  for (const l of labels) parts.push(Buffer.from([l.length]), l);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Matching key: ASCII case folded (RFC 4343); non-ASCII octets are already \DDD escapes. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

export function nameEquals(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

/** Number of labels, not counting the root. */
export function labelCount(name: string): number {
  if (name === '.') return 0;
  let n = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) { i += /\d/.test(name[i + 1] ?? '') ? 3 : 1; continue; }
    if (c === 0x2e) n++;
  }
  return n;
}

/** The name with its leftmost label removed; the root's parent is undefined. */
export function parentName(name: string): string | undefined {
  if (name === '.') return undefined;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) { i += /\d/.test(name[i + 1] ?? '') ? 3 : 1; continue; }
    if (c === 0x2e) return i === name.length - 1 ? '.' : name.slice(i + 1);
  }
  return undefined;
}

/** Whether `name` is `domain` or below it, ignoring case. */
export function isInDomain(name: string, domain: string): boolean {
  if (domain === '.') return true;
  const n = name.toLowerCase();
  const d = domain.toLowerCase();
  if (n === d) return true;
  if (!n.endsWith('.' + d)) return false;
  // The dot before the suffix must be a label separator, not an escaped dot.
  let backslashes = 0;
  for (let i = n.length - d.length - 2; i >= 0 && n.charCodeAt(i) === 0x5c; i--) backslashes++;
  return backslashes % 2 === 0;
}

/** The leftmost label in presentation form ('' for the root). */
export function firstLabel(name: string): string {
  const parent = parentName(name);
  if (parent === undefined) return '';
  return name.slice(0, name.length - (parent === '.' ? 1 : parent.length + 1));
}

/**
 * Read a possibly compressed name from a message. Pointers must point strictly backwards, so
 * loops are impossible; every bound is checked. Returns the name and the offset after it.
 */
export function readName(buf: Uint8Array, offset: number): { name: string; end: number } {
  // Fast path: a name of plain octets is copied as text into a scratch buffer and decoded once,
  // with no label views or per-label strings; anything else (escapes, every error) takes the
  // general path below, which reports the same errors.
  let pos = offset;
  let end = -1;
  let n = 0;
  let lowest = offset;
  for (;;) {
    if (pos >= buf.length) return readNameFull(buf, offset);
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if (len >= 0x40) {
      if ((len & 0xc0) !== 0xc0 || pos + 1 >= buf.length) return readNameFull(buf, offset);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= lowest) return readNameFull(buf, offset);
      if (end < 0) end = pos + 2;
      lowest = target;
      pos = target;
      continue;
    }
    if (pos + 1 + len > buf.length || n + len + 2 > MAX_NAME_WIRE) return readNameFull(buf, offset);
    for (let i = pos + 1, stop = pos + 1 + len; i < stop; i++) {
      const b = buf[i]!;
      if (PLAIN_OCTET[b] === 0) return readNameFull(buf, offset);
      NAME_SCRATCH[n++] = b;
    }
    NAME_SCRATCH[n++] = 0x2e;
    pos += 1 + len;
  }
  return { name: n === 0 ? '.' : NAME_SCRATCH.toString('latin1', 0, n), end };
}

/** Presentation text of a name being read: at most 255 wire octets, so 254 text octets. */
const NAME_SCRATCH = Buffer.allocUnsafe(MAX_NAME_WIRE + 1);

function readNameFull(buf: Uint8Array, offset: number): { name: string; end: number } {
  const labels: Uint8Array[] = [];
  let pos = offset;
  let end = -1;
  let wireLen = 1;
  let lowest = offset;
  for (;;) {
    if (pos >= buf.length) throw new DecodeError('ERR_DECODE_NAME_BOUNDS', `name at offset ${offset} runs past the end of the message`);
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new DecodeError('ERR_DECODE_NAME_BOUNDS', `compression pointer at offset ${pos} is cut off`);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= lowest) throw new DecodeError('ERR_DECODE_NAME_POINTER', `compression pointer at offset ${pos} does not point backwards (to ${target})`);
      lowest = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new DecodeError('ERR_DECODE_NAME_LABEL_TYPE', `unsupported label type 0x${kind.toString(16)} at offset ${pos}`);
    if (pos + 1 + len > buf.length) throw new DecodeError('ERR_DECODE_NAME_BOUNDS', `label at offset ${pos} runs past the end of the message`);
    wireLen += len + 1;
    if (wireLen > MAX_NAME_WIRE) throw new DecodeError('ERR_DECODE_NAME_TOO_LONG', `name at offset ${offset} is over ${MAX_NAME_WIRE} octets`);
    labels.push(buf.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labelsToText(labels), end };
}

/**
 * The offset after the (possibly compressed) name at `pos` of a raw message, or -1 when it runs
 * off the end or holds a label type that is not a length or a pointer. Reads nothing else: for
 * the paths that look at packets without decoding them (stored answers, cookies, RRL, DoH max-age).
 */
export function skipWireName(buf: Buffer, pos: number): number {
  for (;;) {
    const len = buf[pos];
    if (len === undefined) return -1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= buf.length ? pos + 2 : -1;
    if (len > 63) return -1;
    pos += 1 + len;
    if (len === 0) return pos;
  }
}
