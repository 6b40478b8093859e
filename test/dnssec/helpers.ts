// For the signing tests: records out of dig's text, and every RRSIG in an answer checked
// against the DNSKEYs it names.

import { rdataFromText } from '../../src/wire/rdata.js';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { tokenize } from '../../src/wire/token.js';
import { typeFromString, RRType } from '../../src/wire/types.js';
import { verifyRrsig } from '../../src/dnssec/rrsig.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import type { RR } from '../../src/wire/rr.js';

/** `name ttl IN TYPE rdata` lines (parseDig's form) -> records; lines we cannot read are skipped. */
export function recordsOf(lines: readonly string[]): RR[] {
  const out: RR[] = [];
  for (const l of lines) {
    const [name, ttl, cls, type, ...rest] = l.split(' ');
    const t = type === undefined ? undefined : typeFromString(type);
    if (!name || cls !== 'IN' || t === undefined) continue;
    try {
      out.push({ name, type: t, class: 1, ttl: Number(ttl), rdata: rdataFromText(t, tokenize(rest.join(' ')), name) });
    } catch {
      // SVCB with quoted values and the like: not needed for the checks.
    }
  }
  return out;
}

/** Each RRSIG in `rrs` checked over its RRset (same owner, covered type) with the DNSKEY of its tag. */
export function checkSignatures(rrs: readonly RR[], dnskeys: readonly Buffer[]): { good: number; bad: string[] } {
  let good = 0;
  const bad: string[] = [];
  for (const sig of rrs.filter((r) => r.type === RRType.RRSIG)) {
    const f = readRrsig(sig.rdata);
    const rdata = rrs.filter((r) => r.type === f.typeCovered && r.name.toLowerCase() === sig.name.toLowerCase()).map((r) => r.rdata);
    const key = dnskeys.find((k) => keyTag(k) === f.keyTag && k[3] === f.algorithm);
    if (key && rdata.length > 0 && verifyRrsig({ name: sig.name, type: f.typeCovered, class: 1, rdata }, sig.rdata, key)) good++;
    else bad.push(`${sig.name} RRSIG over type ${f.typeCovered} (key ${f.keyTag}${key ? '' : ', unknown'})`);
  }
  return { good, bad };
}
