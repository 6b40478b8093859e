// The DS records a parent publishes for a zone (`aop zone ds`): one per key-signing key in the
// key directory (every key, if none has the SEP flag), in dnssec-dsfromkey's line form.

import { parseName } from '../wire/name.js';
import { rdataToText } from '../wire/rdata.js';
import { RRType } from '../wire/types.js';
import { dsFromDnskey } from './ds.js';
import { DnssecError } from './errors.js';
import { isKsk, readKeyDir } from './keys.js';

export function parentDsLines(zone: string, keyDir: string, digestTypes: readonly number[] = [2]): string[] {
  const origin = parseName(zone, '.');
  const keys = readKeyDir(keyDir, origin).filter((k) => !(k.timing.Delete !== undefined && k.timing.Delete * 1000 <= Date.now()));
  if (keys.length === 0) throw new DnssecError('ERR_DNSSEC_KEY_FILE', `${keyDir}: no keys for ${origin} (aop serve --dnssec --key-dir ${keyDir} makes them on first start)`);
  const sep = keys.filter(isKsk);
  const out: string[] = [];
  for (const k of sep.length > 0 ? sep : keys) {
    for (const d of digestTypes) out.push(`${k.zone} IN DS ${rdataToText(RRType.DS, dsFromDnskey(k.zone, k.dnskey, d))}`);
  }
  return out;
}
