// `aop serve` options for DNSSEC validation by the resolver: trust anchor files, and how long a
// bogus verdict is kept.

import type { Argv } from 'yargs';
import { readTrustAnchorFiles, TrustAnchors, type ValidationConfig } from '../../resolver/validate/index.js';

export function validationOptions<T>(y: Argv<T>) {
  return y
    .option('trust-anchor', { type: 'string', array: true, default: [] as string[], describe: 'File of DS or DNSKEY records (zone-file syntax) the resolver trusts; with one, answers are validated (DNSSEC). Repeat for more' })
    .option('bogus-ttl', { type: 'number', default: 30, describe: 'Seconds a bogus DNSSEC verdict is remembered before the data is judged again (1-300)' })
    .check((a) => {
      const t = a['bogus-ttl'];
      if (!(Number.isInteger(t) && t >= 1 && t <= 300)) throw new Error('--bogus-ttl must be a whole number of seconds, 1 to 300');
      if (a['trust-anchor'].length === 0) return true;
      // As serve.ts decides: the resolver runs with --resolver, or by default with no zones of any kind.
      const s = a as { resolver?: boolean; zones?: string; secondary?: string[] };
      const embedded = s.zones === undefined && s.resolver === undefined && (s.secondary ?? []).length === 0;
      if (!(s.resolver ?? embedded)) throw new Error('--trust-anchor needs --resolver: only the resolver validates');
      // A bad file is the user's to fix (exit 1, the fault's line), not a failed start.
      readTrustAnchorFiles(a['trust-anchor']);
      return true;
    });
}

interface ValidationArgs {
  'trust-anchor': string[];
  'bogus-ttl': number;
}

/**
 * The resolver's validation settings, or nothing when no anchor is given (no validation, as before).
 * `extra`: anchors beside the files (the bundled root's, cli/bundled-dnssec.ts).
 */
export function validationConfig(a: ValidationArgs, extra?: TrustAnchors): { validation?: ValidationConfig } {
  if (a['trust-anchor'].length === 0 && (extra === undefined || extra.size === 0)) return {};
  const files = a['trust-anchor'].length > 0 ? readTrustAnchorFiles(a['trust-anchor']) : new TrustAnchors();
  const all = new Map(files.zones().map((z) => [z.toLowerCase(), files.at(z)!]));
  for (const z of extra?.zones() ?? []) {
    const e = extra!.at(z)!;
    const have = all.get(z.toLowerCase());
    all.set(z.toLowerCase(), have ? { zone: have.zone, ds: [...have.ds, ...e.ds], dnskey: [...have.dnskey, ...e.dnskey] } : e);
  }
  return { validation: { anchors: new TrustAnchors(all.values()), bogusTtl: a['bogus-ttl'] } };
}
