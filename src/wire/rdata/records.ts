// Per-type RDATA codecs other than SVCB/HTTPS (svcb.ts), DNSSEC (dnssec.ts) and TLSA/SSHFP
// (certs.ts), and the table of every codec: presentation tokens -> wire, wire -> the
// presentation BIND 9.18 prints. Each toText reads the whole RDATA with bounds checks, so it
// doubles as the wire validator (checkRdata).

import dnsPacket from 'dns-packet';
import { RRType } from '../types.js';
import { formatIPv6, parseIPv4, parseIPv6 } from './addr.js';
import {
  charStringWire,
  type Codec,
  fail,
  Fields,
  nameWire,
  parseCharString,
  parseHexTokens,
  parseNameField,
  parseNumber,
  quoteText,
  show,
  u16,
  u32,
  u8,
  unescapeText,
  WireReader,
} from './common.js';
import type { Token } from '../token.js';
import { checkSvcb, svcbFromText, svcbToText } from './svcb.js';
import { CDNSKEY, CDS, DNSKEY, DS, NSEC, NSEC3, NSEC3PARAM, RRSIG } from './dnssec.js';
import { SSHFP, TLSA } from './certs.js';
import { parseDuration } from '../ttl.js';

export type { Codec } from './common.js';

// dns-packet's per-type codecs are CommonJS objects its type declarations do not describe.
// They read and write an RDLENGTH prefix in front of the RDATA.
interface PacketCodec<T> {
  encode(data: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
}
const packet = dnsPacket as unknown as {
  a: PacketCodec<string>;
  txt: PacketCodec<Buffer[]>;
};

/** dns-packet writes RDLENGTH with writeUInt16BE and throws a RangeError beyond 65535: check first. */
function fitsRdata(size: number, what: string, tok: Token | undefined): void {
  if (size > 0xffff) fail('ERR_RDATA_TOO_LONG', `${what} RDATA is ${size} octets (limit 65535)`, tok);
}

function withLength(rdata: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(rdata.length);
  return Buffer.concat([len, rdata]);
}

// ---------------------------------------------------------------- addresses

const A: Codec = {
  fromText(f) {
    const tok = f.next('address');
    if (tok.quoted || parseIPv4(tok.text) === undefined) fail('ERR_RDATA_BAD_ADDRESS', `bad IPv4 address ${show(tok)}`, tok);
    f.end();
    // Validated first: dns-packet's encoder would turn "1.2.3" or "999.1.1.1" into bytes silently.
    return packet.a.encode(tok.text).subarray(2);
  },
  toText(rdata) {
    // Guarded: dns-packet reads past a short buffer as "undefined".
    if (rdata.length !== 4) fail('ERR_RDATA_BAD_WIRE', `A RDATA is ${rdata.length} octets, not 4`);
    return packet.a.decode(withLength(rdata));
  },
};

const AAAA: Codec = {
  fromText(f) {
    const tok = f.next('address');
    const b = tok.quoted ? undefined : parseIPv6(tok.text);
    if (b === undefined) fail('ERR_RDATA_BAD_ADDRESS', `bad IPv6 address ${show(tok)}`, tok);
    f.end();
    return b;
  },
  toText(rdata) {
    if (rdata.length !== 16) fail('ERR_RDATA_BAD_WIRE', `AAAA RDATA is ${rdata.length} octets, not 16`);
    return formatIPv6(rdata);
  },
};

// ---------------------------------------------------------------- names only

function singleName(what: string, field: string): Codec {
  return {
    fromText(f, origin) {
      const name = parseNameField(f.next(field), origin, `${what} ${field}`);
      f.end();
      return nameWire(name);
    },
    toText(rdata) {
      const r = new WireReader(rdata, what);
      const name = r.name(field);
      r.end();
      return name;
    },
  };
}

/** A 16-bit number then a name: MX, AFSDB. */
function numberAndName(what: string, numField: string, nameField: string): Codec {
  return {
    fromText(f, origin) {
      const n = parseNumber(f.next(numField), `${what} ${numField}`, 0xffff);
      const name = parseNameField(f.next(nameField), origin, `${what} ${nameField}`);
      f.end();
      return Buffer.concat([u16(n), nameWire(name)]);
    },
    toText(rdata) {
      const r = new WireReader(rdata, what);
      const n = r.u16(numField);
      const name = r.name(nameField);
      r.end();
      return `${n} ${name}`;
    },
  };
}

const RP: Codec = {
  fromText(f, origin) {
    const mbox = parseNameField(f.next('mailbox'), origin, 'RP mailbox');
    const txt = parseNameField(f.next('TXT name'), origin, 'RP TXT name');
    f.end();
    return Buffer.concat([nameWire(mbox), nameWire(txt)]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'RP');
    const mbox = r.name('mailbox');
    const txt = r.name('TXT name');
    r.end();
    return `${mbox} ${txt}`;
  },
};

const SRV: Codec = {
  fromText(f, origin) {
    const priority = parseNumber(f.next('priority'), 'SRV priority', 0xffff);
    const weight = parseNumber(f.next('weight'), 'SRV weight', 0xffff);
    const port = parseNumber(f.next('port'), 'SRV port', 0xffff);
    const target = parseNameField(f.next('target'), origin, 'SRV target');
    f.end();
    return Buffer.concat([u16(priority), u16(weight), u16(port), nameWire(target)]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'SRV');
    const s = `${r.u16('priority')} ${r.u16('weight')} ${r.u16('port')} ${r.name('target')}`;
    r.end();
    return s;
  },
};

const SOA_TIMERS = ['refresh', 'retry', 'expire', 'minimum'] as const;

const SOA: Codec = {
  fromText(f, origin) {
    const mname = parseNameField(f.next('primary server (MNAME)'), origin, 'SOA MNAME');
    const rname = parseNameField(f.next('mailbox (RNAME)'), origin, 'SOA RNAME');
    const serial = parseNumber(f.next('serial'), 'SOA serial', 0xffffffff);
    const timers = SOA_TIMERS.map((field) => {
      const tok = f.next(field);
      if (tok.quoted) fail('ERR_RDATA_BAD_NUMBER', `SOA ${field} must not be quoted: ${show(tok)}`, tok);
      // BIND accepts TTL units here (1h, 2w) and values up to 2^32-1.
      const d = parseDuration(tok.text, 0xffffffff);
      if ('error' in d) fail('ERR_RDATA_BAD_NUMBER', `bad SOA ${field} ${show(tok)}: ${d.error}`, tok);
      return d.value;
    });
    f.end();
    return Buffer.concat([nameWire(mname), nameWire(rname), u32(serial), ...timers.map(u32)]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'SOA');
    const mname = r.name('MNAME');
    const rname = r.name('RNAME');
    const nums = [r.u32('serial'), ...SOA_TIMERS.map((t) => r.u32(t))];
    r.end();
    return `${mname} ${rname} ${nums.join(' ')}`;
  },
};

// ---------------------------------------------------------------- text

function txtLike(what: string): Codec {
  return {
    fromText(f) {
      if (f.left === 0) f.next('text (at least one character-string)');
      const toks = f.rest();
      const strings = toks.map((tok) => parseCharString(tok, `${what} string`));
      // Lengths are checked above; dns-packet would store 256 as 0 without a word.
      const total = strings.reduce((n, s) => n + 1 + s.length, 0);
      fitsRdata(total, what, toks[0]);
      // The character-string framing (what dns-packet's txt encoder writes, without its copies).
      const out = Buffer.allocUnsafe(total);
      let w = 0;
      for (const s of strings) {
        out[w++] = s.length;
        w += s.copy(out, w);
      }
      return out;
    },
    toText(rdata) {
      if (rdata.length === 0) fail('ERR_RDATA_BAD_WIRE', `${what} RDATA is empty; it needs at least one character-string`);
      let strings: Buffer[];
      try {
        strings = packet.txt.decode(withLength(rdata));
      } catch {
        fail('ERR_RDATA_BAD_WIRE', `${what} RDATA ends inside a character-string`);
      }
      return strings.map(quoteText).join(' ');
    },
  };
}

const HINFO: Codec = {
  fromText(f) {
    const cpu = parseCharString(f.next('CPU'), 'HINFO CPU');
    const os = parseCharString(f.next('OS'), 'HINFO OS');
    f.end();
    return Buffer.concat([charStringWire(cpu), charStringWire(os)]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'HINFO');
    const cpu = r.charString('CPU');
    const os = r.charString('OS');
    r.end();
    return `${quoteText(cpu)} ${quoteText(os)}`;
  },
};

/**
 * Why a NAPTR regexp field (RFC 3403 section 4.1: delim-char ERE delim-char replacement
 * delim-char flags) is malformed, or undefined. Follows BIND's txt_valid_regex: the delimiter
 * cannot be a digit, `\` or `i`; the only flag is `i`; back-references \1-\9 in the
 * replacement must name groups of the ERE; \0 is refused; and the ERE must pass the same
 * validator BIND uses (ereSubexpressions).
 */
export function naptrRegexpProblem(re: Buffer): string | undefined {
  if (re.length === 0) return undefined;
  const delim = re[0]!;
  if ((delim >= 0x30 && delim <= 0x39) || delim === 0x5c || delim === 0x69 || delim === 0) {
    return `"${String.fromCharCode(delim)}" cannot be the delimiter`;
  }
  let part = 0; // 0 regex, 1 replacement, 2 flags
  let maxRef = 0;
  const ere: number[] = [];
  for (let i = 1; i < re.length; i++) {
    const c = re[i]!;
    if (c === 0) return 'it contains a NUL octet';
    if (c === delim) {
      if (part === 2) return 'it has more than three delimiters';
      part++;
      continue;
    }
    if (part === 2) {
      if (c !== 0x69) return `unknown flag "${String.fromCharCode(c)}" (only "i")`;
      continue;
    }
    if (c === 0x5c) {
      if (i + 1 >= re.length || re[i + 1] === 0) return 'it ends in a backslash';
      const n = re[++i]!;
      if (part === 1) {
        if (n === 0x30) return 'back-reference \\0 is not allowed';
        if (n > 0x30 && n <= 0x39) maxRef = Math.max(maxRef, n - 0x30);
      } else ere.push(c, n);
      continue;
    }
    if (part === 0) ere.push(c);
  }
  if (part !== 2) return 'it does not have the form <d>regexp<d>replacement<d>flags';
  const groups = ereSubexpressions(ere);
  if (groups < 0) return 'its regular expression is not a valid POSIX extended regular expression';
  if (maxRef > groups) return `the replacement refers to group ${maxRef} but the expression has ${groups}`;
  return undefined;
}

const CHAR_CLASSES = new Set([':alnum:', ':digit:', ':punct:', ':alpha:', ':graph:', ':space:', ':blank:', ':lower:', ':upper:', ':cntrl:', ':print:', ':xdigit:']);

/**
 * Number of parenthesised subexpressions of a POSIX ERE, or -1 when it is not valid, by the
 * rules of BIND's isc_regex_validate (so that NAPTR records BIND loads are the ones we load):
 * no repetition without an atom or after another repetition, bounds {m,n} up to 255 with
 * m <= n, known [:class:] names, ordered ranges, closed brackets and groups, not empty.
 */
export function ereSubexpressions(re: readonly number[]): number {
  type State = 'none' | 'bracket' | 'bound' | 'ce' | 'ec' | 'cc';
  let state: State = 'none';
  let haveAtom = false;
  let wasMultiple = false;
  let emptyOk = false;
  let group = 0;
  let sub = 0;
  // bound state
  let seenComma = false;
  let seenHigh = false;
  let low = 0;
  let high = 0;
  // bracket state
  let neg = false;
  let seenChar = false;
  let range = 0;
  let rangeStart = 0;
  let seenCe = false;
  let seenEc = false;
  let ccStart = 0;
  const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
  if (re.length === 0) return -1;
  let i = 0;
  while (i < re.length) {
    const c = re[i]!;
    switch (state) {
      case 'none':
        if (c === 0x5c) {
          const n = re[i + 1];
          if (n === undefined) return -1;
          if (n >= 0x31 && n <= 0x39) {
            if (n - 0x30 > sub) return -1;
          }
          haveAtom = true;
          wasMultiple = false;
          i += 2;
        } else if (c === 0x5b) {
          i++;
          neg = false;
          wasMultiple = false;
          seenChar = false;
          state = 'bracket';
        } else if (c === 0x7b && isDigit(re[i + 1])) {
          if (!haveAtom || wasMultiple) return -1;
          seenComma = false;
          seenHigh = false;
          low = high = 0;
          state = 'bound';
          haveAtom = true;
          wasMultiple = true;
          i++;
        } else if (c === 0x28) {
          haveAtom = false;
          wasMultiple = false;
          emptyOk = true;
          group++;
          sub++;
          i++;
        } else if (c === 0x29) {
          if (group > 0 && !haveAtom && !emptyOk) return -1;
          haveAtom = true;
          wasMultiple = false;
          if (group > 0) group--;
          i++;
        } else if (c === 0x7c) {
          if (!haveAtom) return -1;
          haveAtom = false;
          emptyOk = false;
          wasMultiple = false;
          i++;
        } else if (c === 0x5e || c === 0x24) {
          haveAtom = true;
          wasMultiple = true;
          i++;
        } else if (c === 0x2b || c === 0x2a || c === 0x3f) {
          if (wasMultiple || !haveAtom) return -1;
          haveAtom = true;
          wasMultiple = true;
          i++;
        } else {
          haveAtom = true;
          wasMultiple = false;
          i++;
        }
        break;
      case 'bound':
        if (isDigit(c)) {
          if (!seenComma) {
            low = low * 10 + c - 0x30;
            if (low > 255) return -1;
          } else {
            seenHigh = true;
            high = high * 10 + c - 0x30;
            if (high > 255) return -1;
          }
        } else if (c === 0x2c) {
          if (seenComma) return -1;
          seenComma = true;
        } else if (c === 0x7d) {
          if (seenHigh && low > high) return -1;
          state = 'none';
        } else return -1;
        i++;
        break;
      case 'bracket': {
        let inside = false;
        if (c === 0x5e) {
          if (seenChar || neg) inside = true;
          else {
            neg = true;
            i++;
          }
        } else if (c === 0x2d) {
          if (range === 2 || !seenChar) inside = true;
          else {
            if (range === 1) return -1;
            range = 2;
            i++;
          }
        } else if (c === 0x5b) {
          i++;
          const n = re[i];
          if (n === 0x2e) {
            if (range !== 0) range--;
            i++;
            state = 'ce';
            seenCe = false;
          } else if (n === 0x3d) {
            if (range === 2) return -1;
            i++;
            state = 'ec';
            seenEc = false;
          } else if (n === 0x3a) {
            if (range === 2) return -1;
            ccStart = i;
            i++;
            state = 'cc';
          }
          seenChar = true;
        } else if (c === 0x5d) {
          if (i + 1 >= re.length && !seenChar) return -1;
          if (!seenChar) inside = true;
          else {
            i++;
            range = 0;
            haveAtom = true;
            state = 'none';
          }
        } else inside = true;
        if (inside) {
          seenChar = true;
          if (range === 2 && c < rangeStart) return -1;
          if (range !== 0) range--;
          rangeStart = c;
          i++;
        }
        break;
      }
      case 'ce':
        if (c === 0x2e) {
          i++;
          if (re[i] === 0x5d) {
            if (!seenCe) return -1;
            i++;
            state = 'bracket';
          } else {
            rangeStart = seenCe ? 256 : 0x2e;
            seenCe = true;
          }
        } else {
          rangeStart = seenCe ? 256 : c;
          seenCe = true;
          i++;
        }
        break;
      case 'ec':
        if (c === 0x3d) {
          i++;
          if (re[i] === 0x5d) {
            if (!seenEc) return -1;
            i++;
            state = 'bracket';
          } else seenEc = true;
        } else {
          seenEc = true;
          i++;
        }
        break;
      case 'cc':
        i++;
        if (c === 0x3a && re[i] === 0x5d) {
          const name = String.fromCharCode(...re.slice(ccStart, i));
          if (!CHAR_CLASSES.has(name)) return -1;
          i++;
          state = 'bracket';
        }
        break;
    }
  }
  if (group !== 0 || state !== 'none' || !haveAtom) return -1;
  return sub;
}

const NAPTR: Codec = {
  fromText(f, origin) {
    const order = parseNumber(f.next('order'), 'NAPTR order', 0xffff);
    const pref = parseNumber(f.next('preference'), 'NAPTR preference', 0xffff);
    const flags = parseCharString(f.next('flags'), 'NAPTR flags');
    const services = parseCharString(f.next('services'), 'NAPTR services');
    const reTok = f.next('regexp');
    const regexp = parseCharString(reTok, 'NAPTR regexp');
    const why = naptrRegexpProblem(regexp);
    if (why !== undefined) fail('ERR_RDATA_BAD_VALUE', `bad NAPTR regexp ${show(reTok)}: ${why}`, reTok);
    const repl = parseNameField(f.next('replacement'), origin, 'NAPTR replacement');
    f.end();
    return Buffer.concat([u16(order), u16(pref), charStringWire(flags), charStringWire(services), charStringWire(regexp), nameWire(repl)]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'NAPTR');
    const order = r.u16('order');
    const pref = r.u16('preference');
    const flags = r.charString('flags');
    const services = r.charString('services');
    const regexp = r.charString('regexp');
    const why = naptrRegexpProblem(regexp);
    if (why !== undefined) fail('ERR_RDATA_BAD_WIRE', `NAPTR regexp is malformed: ${why}`);
    const repl = r.name('replacement');
    r.end();
    return `${order} ${pref} ${quoteText(flags)} ${quoteText(services)} ${quoteText(regexp)} ${repl}`;
  },
};

const CAA: Codec = {
  fromText(f) {
    const flags = parseNumber(f.next('flags'), 'CAA flags', 0xff);
    const tagTok = f.next('tag');
    if (tagTok.quoted) fail('ERR_RDATA_BAD_VALUE', `CAA tag must not be quoted: ${show(tagTok)}`, tagTok);
    if (!/^[A-Za-z0-9]{1,255}$/.test(tagTok.text)) fail('ERR_RDATA_BAD_VALUE', `bad CAA tag ${show(tagTok)}: 1 to 255 letters and digits (RFC 8659 section 4.1)`, tagTok);
    const valueTok = f.next('value');
    const value = unescapeText(valueTok.text, valueTok, 'CAA value');
    f.end();
    return Buffer.concat([u8(flags), u8(tagTok.text.length), Buffer.from(tagTok.text, 'latin1'), value]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'CAA');
    const flags = r.u8('flags');
    const tag = r.charString('tag');
    if (tag.length === 0) fail('ERR_RDATA_BAD_WIRE', 'CAA tag is empty');
    if (!/^[A-Za-z0-9]+$/.test(tag.toString('latin1'))) fail('ERR_RDATA_BAD_WIRE', 'CAA tag has characters other than letters and digits');
    return `${flags} ${tag.toString('latin1')} ${quoteText(r.rest())}`;
  },
};

const URI: Codec = {
  fromText(f) {
    const priority = parseNumber(f.next('priority'), 'URI priority', 0xffff);
    const weight = parseNumber(f.next('weight'), 'URI weight', 0xffff);
    const tok = f.next('target');
    // RFC 7553 section 4.5: the target is a quoted string; BIND refuses it unquoted.
    if (!tok.quoted) fail('ERR_RDATA_BAD_VALUE', `URI target must be in double quotes: ${show(tok)}`, tok);
    const target = unescapeText(tok.text, tok, 'URI target');
    f.end();
    return Buffer.concat([u16(priority), u16(weight), target]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'URI');
    const priority = r.u16('priority');
    const weight = r.u16('weight');
    return `${priority} ${weight} ${quoteText(r.rest())}`;
  },
};

function svcb(what: string): Codec {
  return {
    fromText: (f, origin) => svcbFromText(f, origin),
    toText: (rdata) => svcbToText(rdata, what),
    check: (rdata) => checkSvcb(rdata, what),
  };
}

/** The types with full presentation support. */
export const CODECS = new Map<number, Codec>([
  [RRType.A, A],
  [RRType.NS, singleName('NS', 'name server')],
  [RRType.CNAME, singleName('CNAME', 'target')],
  [RRType.SOA, SOA],
  [RRType.PTR, singleName('PTR', 'target')],
  [RRType.HINFO, HINFO],
  [RRType.MX, numberAndName('MX', 'preference', 'exchange')],
  [RRType.TXT, txtLike('TXT')],
  [RRType.RP, RP],
  [RRType.AFSDB, numberAndName('AFSDB', 'subtype', 'hostname')],
  [RRType.AAAA, AAAA],
  [RRType.SRV, SRV],
  [RRType.NAPTR, NAPTR],
  [RRType.DNAME, singleName('DNAME', 'target')],
  [RRType.DS, DS],
  [RRType.SSHFP, SSHFP],
  [RRType.RRSIG, RRSIG],
  [RRType.NSEC, NSEC],
  [RRType.DNSKEY, DNSKEY],
  [RRType.NSEC3, NSEC3],
  [RRType.NSEC3PARAM, NSEC3PARAM],
  [RRType.TLSA, TLSA],
  [RRType.CDS, CDS],
  [RRType.CDNSKEY, CDNSKEY],
  [RRType.SVCB, svcb('SVCB')],
  [RRType.HTTPS, svcb('HTTPS')],
  [RRType.SPF, txtLike('SPF')],
  [RRType.URI, URI],
  [RRType.CAA, CAA],
]);
