// SOA serial arithmetic (RFC 1982 with SERIAL_BITS 32): serials wrap, so "newer" is a comparison
// within half the number space, not a plain `>`.

const HALF = 0x80000000;

/** a + n modulo 2^32, for n in 0..2^31-1 (RFC 1982 3.1). */
export function serialAdd(a: number, n: number): number {
  if (!(Number.isInteger(n) && n >= 0 && n < HALF)) throw new RangeError(`serial increment ${n} is outside 0..2^31-1`);
  return (a + n) >>> 0;
}

/** -1, 0 or 1 as a is before, equal to or after b; undefined when they are exactly 2^31 apart (RFC 1982 3.2). */
export function serialCompare(a: number, b: number): -1 | 0 | 1 | undefined {
  a >>>= 0;
  b >>>= 0;
  if (a === b) return 0;
  const d = (b - a) >>> 0;
  if (d === HALF) return undefined;
  return d < HALF ? -1 : 1;
}

/** a is strictly newer than b. */
export function serialGreater(a: number, b: number): boolean {
  return serialCompare(a, b) === 1;
}

/** The serial after `current` for a change: +1, or `wanted` when that is newer (an explicit SOA in an update). */
export function nextSerial(current: number, wanted?: number): number {
  if (wanted !== undefined && serialGreater(wanted, current)) return wanted >>> 0;
  return serialAdd(current, 1);
}
