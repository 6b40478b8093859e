// SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed 64-bit hash RFC 9018 server cookies
// are made with. Node's crypto does not offer it, so here it is on 32-bit halves (no BigInt
// on the query path). Checked against the reference vectors (test/server/siphash.test.ts).

/** State v0..v3 as [hi, lo] pairs: s[0]=v0.hi, s[1]=v0.lo, ... s[7]=v3.lo. */
const s = new Uint32Array(8);

function add(a: number, b: number): void {
  const lo = (s[a + 1]! + s[b + 1]!) >>> 0;
  s[a] = (s[a]! + s[b]! + (lo < s[a + 1]! ? 1 : 0)) >>> 0;
  s[a + 1] = lo;
}

function rotl(a: number, n: number): void {
  const hi = s[a]!;
  const lo = s[a + 1]!;
  if (n === 32) {
    s[a] = lo;
    s[a + 1] = hi;
  } else if (n < 32) {
    s[a] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    s[a + 1] = ((lo << n) | (hi >>> (32 - n))) >>> 0;
  } else {
    const m = n - 32;
    s[a] = ((lo << m) | (hi >>> (32 - m))) >>> 0;
    s[a + 1] = ((hi << m) | (lo >>> (32 - m))) >>> 0;
  }
}

function xor(a: number, b: number): void {
  s[a] = (s[a]! ^ s[b]!) >>> 0;
  s[a + 1] = (s[a + 1]! ^ s[b + 1]!) >>> 0;
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function round(): void {
  add(V0, V1); rotl(V1, 13); xor(V1, V0); rotl(V0, 32);
  add(V2, V3); rotl(V3, 16); xor(V3, V2);
  add(V0, V3); rotl(V3, 21); xor(V3, V0);
  add(V2, V1); rotl(V1, 17); xor(V1, V2); rotl(V2, 32);
}

/** A 16-byte key as the four little-endian words the rounds use: k0.hi, k0.lo, k1.hi, k1.lo. */
export function sipKey(key: Buffer): Uint32Array {
  if (key.length !== 16) throw new RangeError(`a SipHash key is 16 bytes, not ${key.length}`);
  return Uint32Array.of(key.readUInt32LE(4), key.readUInt32LE(0), key.readUInt32LE(12), key.readUInt32LE(8));
}

function block(hi: number, lo: number): void {
  s[6] = (s[6]! ^ hi) >>> 0; s[7] = (s[7]! ^ lo) >>> 0;
  round();
  round();
  s[0] = (s[0]! ^ hi) >>> 0; s[1] = (s[1]! ^ lo) >>> 0;
}

/**
 * SipHash-2-4 of the first `len` bytes of `msg` under a key from `sipKey`, written into `out`
 * at `off` (8 bytes, the reference's byte order). Allocates nothing: server cookies are made
 * for every answer to a client that sends one.
 */
export function siphash24Into(k: Uint32Array, msg: Buffer, len: number, out: Buffer, off: number): void {
  s[0] = (k[0]! ^ 0x736f6d65) >>> 0; s[1] = (k[1]! ^ 0x70736575) >>> 0;
  s[2] = (k[2]! ^ 0x646f7261) >>> 0; s[3] = (k[3]! ^ 0x6e646f6d) >>> 0;
  s[4] = (k[0]! ^ 0x6c796765) >>> 0; s[5] = (k[1]! ^ 0x6e657261) >>> 0;
  s[6] = (k[2]! ^ 0x74656462) >>> 0; s[7] = (k[3]! ^ 0x79746573) >>> 0;
  const whole = len - (len % 8);
  for (let i = 0; i < whole; i += 8) block(msg.readUInt32LE(i + 4), msg.readUInt32LE(i));
  // The last block: the leftover bytes (little-endian), and the length (mod 256) in the top byte.
  let hi = (len & 0xff) << 24;
  let lo = 0;
  for (let i = whole; i < len; i++) {
    const j = i - whole;
    if (j < 4) lo |= msg[i]! << (8 * j);
    else hi |= msg[i]! << (8 * (j - 4));
  }
  block(hi >>> 0, lo >>> 0);
  s[5] = (s[5]! ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  out.writeUInt32LE((s[0]! ^ s[2]! ^ s[4]! ^ s[6]!) >>> 0, off + 4);
  out.writeUInt32LE((s[1]! ^ s[3]! ^ s[5]! ^ s[7]!) >>> 0, off);
}

/** The 8-byte SipHash-2-4 of `msg` under a 16-byte `key`, in the reference's (little-endian) byte order. */
export function siphash24(key: Buffer, msg: Buffer): Buffer {
  const out = Buffer.alloc(8);
  siphash24Into(sipKey(key), msg, msg.length, out, 0);
  return out;
}
