// RDATA codecs: presentation tokens <-> uncompressed wire form, printed the way BIND 9.18
// prints a zone (`named-compilezone -k ignore -o - ORIGIN FILE`), and wire validation.
//
// Types with full presentation support: A NS CNAME SOA PTR HINFO MX TXT RP AFSDB AAAA SRV NAPTR
// DNAME DS SSHFP RRSIG NSEC DNSKEY NSEC3 NSEC3PARAM TLSA CDS CDNSKEY SVCB HTTPS SPF URI CAA. Every type, these included, also takes the
// RFC 3597 generic form `\# <length> <hex>`; for the types above the data is then checked with
// checkRdata. Any other type must be written in generic form and is printed in it.
//
// Where dns-packet does the job and where it does not:
// - A: dns-packet's `a` codec, after our strict dotted-quad check (its encoder takes "1.2.3" or
//   "999.0.0.1" without a word) and an exact 4-octet check before decoding (it reads past a
//   short buffer and prints "undefined").
// - TXT, SPF: dns-packet's `txt` codec for the character-string framing, after our escape
//   handling and the 255-octet limit (it would write 256 as a length of 0); its decoder's
//   overflow error becomes ERR_RDATA_BAD_WIRE.
// - Ours: every type holding a name (NS CNAME PTR DNAME MX AFSDB SRV RP SOA NAPTR): dns-packet
//   splits names at escaped dots, ignores \DDD, writes labels as UTF-8 and does no length
//   checks. AAAA: dns-packet prints the first run of zeros rather than the longest and has no
//   ::ffff:a.b.c.d form, so it does not match BIND. HINFO, NAPTR strings, CAA: dns-packet
//   treats them as UTF-8 strings, losing arbitrary octets. DNSKEY: dns-packet forces protocol 3.
//   SSHFP: dns-packet throws on fingerprint types other than 1 and 2. DS, TLSA: ours too
//   (rdata/dnssec.ts, rdata/certs.ts), with the digest-length checks. SVCB, HTTPS, URI,
//   RRSIG, NSEC, NSEC3, NSEC3PARAM, CDS, CDNSKEY: dns-packet has no codec (or a partial one).
//
// Errors are RdataError with a stable code and, when parsing text, the line/col of the token at
// fault (for a missing field: just after the last token):
//   ERR_RDATA_MISSING        a field is missing (`missing MX exchange`)
//   ERR_RDATA_EXTRA          tokens left after the last field (`extra token "foo" after TXT`)
//   ERR_RDATA_BAD_ADDRESS    not an IPv4/IPv6 address (`bad IPv4 address "1.2.3"`)
//   ERR_RDATA_BAD_NUMBER     not a decimal number, out of range, quoted, or a bad SOA timer
//   ERR_RDATA_BAD_NAME       not a valid domain name, or quoted
//   ERR_RDATA_BAD_TEXT       bad escape in text: \DDD over 255, fewer than three digits, lone `\`
//   ERR_RDATA_TOO_LONG       character-string over 255 octets, RDATA over 65535 octets
//   ERR_RDATA_BAD_HEX        bad hex (odd digit count, non-hex characters, quoted)
//   ERR_RDATA_BAD_BASE64     bad base64 (not canonical RFC 4648 with padding, quoted)
//   ERR_RDATA_BAD_LENGTH     a digest or fingerprint of the wrong size for its type (DS, SSHFP)
//   ERR_RDATA_BAD_VALUE      a field with a bad value: CAA tag, NAPTR regexp, unquoted URI target
//   ERR_RDATA_BAD_SVCPARAM   SVCB/HTTPS parameter: unknown or duplicate key, bad value, mandatory
//   ERR_RDATA_BAD_GENERIC    bad `\# len hex` form, or its data is not valid for the type
//   ERR_RDATA_UNKNOWN_TYPE   a type without presentation support written other than in `\#` form
//   ERR_RDATA_META_TYPE      type 0, OPT or a meta type (128-255), which cannot be zone data
//   ERR_RDATA_BAD_WIRE       (checkRdata) wire RDATA malformed for its type
//   ERR_TTL_BAD              (parseTtl) a bad TTL

import { RdataError } from './errors.js';
import type { Token } from './token.js';
import { isMetaType, RRType, typeToString } from './types.js';
import { CODECS } from './rdata/records.js';
import { fail, Fields, hexWords, parseHexTokens, show } from './rdata/common.js';

export { parseTtl } from './ttl.js';

/** RDATA is at most 65535 octets: RDLENGTH is 16 bits. */
export const MAX_RDATA = 0xffff;

function isGenericMarker(tok: Token | undefined): boolean {
  return tok !== undefined && !tok.quoted && tok.text === '\\#';
}

function genericFromText(type: number, tokens: readonly Token[]): Buffer {
  const marker = tokens[0]!;
  const lenTok = tokens[1];
  if (lenTok === undefined) fail('ERR_RDATA_BAD_GENERIC', `missing length after \\# in generic RDATA`, marker);
  if (lenTok.quoted || !/^\d+$/.test(lenTok.text)) fail('ERR_RDATA_BAD_GENERIC', `bad length ${show(lenTok)} after \\#: not a decimal number`, lenTok);
  const len = Number(lenTok.text);
  if (len > MAX_RDATA) fail('ERR_RDATA_BAD_GENERIC', `bad length ${show(lenTok)} after \\#: over ${MAX_RDATA}`, lenTok);
  const hexToks = tokens.slice(2);
  let data: Buffer;
  try {
    data = parseHexTokens(hexToks, 'generic RDATA hex', undefined);
  } catch (e) {
    if (e instanceof RdataError) throw new RdataError('ERR_RDATA_BAD_GENERIC', e.message, lineCol(e) ?? lineCol(lenTok));
    throw e;
  }
  if (data.length !== len) {
    fail('ERR_RDATA_BAD_GENERIC', `\\# says ${len} octets but ${data.length} follow`, hexToks[len === 0 ? 0 : hexToks.length - 1] ?? lenTok);
  }
  if (CODECS.has(type)) {
    try {
      checkRdata(type, data);
    } catch (e) {
      if (e instanceof RdataError) {
        throw new RdataError('ERR_RDATA_BAD_GENERIC', `\\# data is not valid ${typeToString(type)} RDATA: ${e.message}`, lineCol(marker));
      }
      throw e;
    }
  }
  return data;
}

function lineCol(x: { line: number | undefined; col: number | undefined }): { line: number; col: number } | undefined {
  return x.line === undefined || x.col === undefined ? undefined : { line: x.line, col: x.col };
}

/**
 * Presentation RDATA tokens -> uncompressed wire RDATA. Relative names get `origin`; `@` is
 * `origin`. Throws RdataError (codes above) with the line/col of the offending token.
 */
export function rdataFromText(type: number, tokens: Token[], origin: string): Buffer {
  const typeName = typeToString(type);
  if (type === 0 || isMetaType(type)) {
    fail('ERR_RDATA_META_TYPE', `type ${typeName} is a meta type and cannot be zone data`, tokens[0]);
  }
  let out: Buffer;
  // For TXT, BIND reads `\#` as generic only when a number follows; else it is the text "#".
  const generic = isGenericMarker(tokens[0]) && (type !== RRType.TXT || (tokens[1] !== undefined && !tokens[1].quoted && /^\d+$/.test(tokens[1].text)));
  if (generic) {
    out = genericFromText(type, tokens);
  } else {
    const codec = CODECS.get(type);
    if (codec === undefined) {
      fail('ERR_RDATA_UNKNOWN_TYPE', `type ${typeName} must be written in RFC 3597 generic form: \\# <length> <hex>`, tokens[0]);
    }
    out = codec.fromText(new Fields(tokens, typeName), origin);
  }
  if (out.length > MAX_RDATA) fail('ERR_RDATA_TOO_LONG', `${typeName} RDATA is ${out.length} octets (limit ${MAX_RDATA})`, tokens[0]);
  return out;
}

/** RFC 3597 generic presentation, as BIND prints it. */
function genericToText(rdata: Buffer): string {
  return rdata.length === 0 ? '\\# 0' : `\\# ${rdata.length} ${hexWords(rdata)}`;
}

/**
 * Wire RDATA -> presentation exactly as BIND 9.18 prints it in named-compilezone output.
 * Never throws: RDATA that is malformed for its type, or of a type without presentation
 * support, comes out in generic `\# len hex` form.
 */
export function rdataToText(type: number, rdata: Buffer): string {
  const codec = CODECS.get(type);
  if (codec !== undefined && rdata.length <= MAX_RDATA) {
    try {
      return codec.toText(rdata);
    } catch (e) {
      if (!(e instanceof RdataError)) throw e;
    }
  }
  return genericToText(rdata);
}

/** Throws RdataError ERR_RDATA_BAD_WIRE when wire RDATA is malformed for its type; unknown types pass. */
export function checkRdata(type: number, rdata: Buffer): void {
  if (rdata.length > MAX_RDATA) fail('ERR_RDATA_BAD_WIRE', `RDATA of ${rdata.length} octets is over ${MAX_RDATA}`);
  const codec = CODECS.get(type);
  if (codec === undefined) return;
  if (codec.check) codec.check(rdata);
  else codec.toText(rdata);
}

/** Whether `type` has presentation support beyond the generic form. */
export function hasPresentation(type: number): boolean {
  return CODECS.has(type);
}
