// TTLs and TTL-like durations in presentation form: plain seconds or BIND units (1w2d3h4m5s).

import { RdataError } from './errors.js';

/** Largest TTL a zone may carry (RFC 2181 section 8: the top bit must be clear). */
export const MAX_TTL = 0x7fffffff;

const UNIT_SECONDS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

/**
 * Parse a duration the way BIND does for TTLs and the SOA timers: either plain decimal seconds,
 * or one or more `<digits><unit>` groups (units w d h m s, any case, any order, repeats add up).
 * A bare number after a unit group (`1h2`) is refused, as BIND refuses it.
 * Returns the value or the reason it is not one; throws nothing, so callers choose the error.
 */
export function parseDuration(text: string, max: number): { value: number } | { error: string } {
  if (text.length === 0) return { error: 'empty duration' };
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > max) return { error: `${text} is over ${max} seconds` };
    return { value: n };
  }
  const groups = /^(?:\d+[wdhmsWDHMS])+$/.test(text) ? text.match(/\d+[wdhmsWDHMS]/g) : null;
  if (groups === null) return { error: `"${text}" is not a number of seconds or a duration like 1w2d3h4m5s` };
  let total = 0;
  for (const g of groups) {
    const unit = g[g.length - 1]!.toLowerCase();
    total += Number(g.slice(0, -1)) * UNIT_SECONDS[unit]!;
    // Stop early so absurd inputs cannot build huge numbers.
    if (total > max) return { error: `"${text}" is over ${max} seconds` };
  }
  return { value: total };
}

/** A record or $TTL value: decimal seconds or BIND units, 0..2147483647. Throws RdataError ERR_TTL_BAD. */
export function parseTtl(text: string): number {
  const r = parseDuration(text, MAX_TTL);
  if ('error' in r) throw new RdataError('ERR_TTL_BAD', `bad TTL: ${r.error}`);
  return r.value;
}
