// The type bitmap of NSEC and NSEC3 (RFC 4034 section 4.1.2, RFC 5155 section 3.2.1): windows
// of up to 32 octets, one bit per type, in increasing window order, with no trailing zero octet.

import { typeFromString, typeToString } from '../types.js';
import type { Token } from '../token.js';
import { fail, show, type WireReader } from './common.js';

/** Wire form of a set of types (duplicates fold; an empty list gives an empty bitmap). */
export function typeBitmap(types: Iterable<number>): Buffer {
  const windows = new Map<number, Uint8Array>();
  for (const t of types) {
    const w = t >> 8;
    let bits = windows.get(w);
    if (bits === undefined) windows.set(w, (bits = new Uint8Array(32)));
    bits[(t & 0xff) >> 3]! |= 0x80 >> (t & 7);
  }
  const parts: Buffer[] = [];
  for (const w of [...windows.keys()].sort((a, b) => a - b)) {
    const bits = windows.get(w)!;
    let len = 32;
    while (len > 0 && bits[len - 1] === 0) len--;
    parts.push(Buffer.from([w, len]), Buffer.from(bits.subarray(0, len)));
  }
  return Buffer.concat(parts);
}

/** Types in a bitmap, ascending. Throws ERR_RDATA_BAD_WIRE on a malformed one (BIND's typemap_test). */
export function readTypeBitmap(r: WireReader, allowEmpty: boolean): number[] {
  const types: number[] = [];
  let last = -1;
  if (r.left === 0 && !allowEmpty) fail('ERR_RDATA_BAD_WIRE', `${r.what} type bitmap is empty`);
  while (r.left > 0) {
    const w = r.u8('type bitmap window');
    const len = r.u8('type bitmap length');
    if (w <= last) fail('ERR_RDATA_BAD_WIRE', `${r.what} type bitmap windows out of order (${w} after ${last})`);
    if (len < 1 || len > 32) fail('ERR_RDATA_BAD_WIRE', `${r.what} type bitmap window ${w} has length ${len} (1 to 32)`);
    const bits = r.bytes(len, 'type bitmap');
    if (bits[len - 1] === 0) fail('ERR_RDATA_BAD_WIRE', `${r.what} type bitmap window ${w} ends in a zero octet`);
    for (let i = 0; i < len; i++) {
      for (let b = 0; b < 8; b++) if (bits[i]! & (0x80 >> b)) types.push(w * 256 + i * 8 + b);
    }
    last = w;
  }
  return types;
}

/** Mnemonics or TYPEnnn, as BIND reads the type list. */
export function typesFromTokens(toks: readonly Token[], what: string): number[] {
  return toks.map((tok) => {
    const t = tok.quoted ? undefined : typeFromString(tok.text);
    if (t === undefined) fail('ERR_RDATA_BAD_VALUE', `bad ${what} type ${show(tok)}: not a type mnemonic or TYPEnnn`, tok);
    return t;
  });
}

export function typesToText(types: readonly number[]): string {
  return types.map(typeToString).join(' ');
}
