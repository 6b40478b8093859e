// `aop serve --trust-anchor-managed FILE`: trust anchors the resolver keeps up to date by
// RFC 5011 (src/resolver/validate/managed-anchors.ts), in a file it rewrites as Unbound's
// auto-trust-anchor-file; and the hold-down times, 30 days unless told (shorter for tests).

import type { Argv } from 'yargs';
import { DEFAULT_HOLD_DOWN, ManagedAnchor, TrustAnchors, type ValidationConfig } from '../../resolver/validate/index.js';
import { parseDuration } from '../../wire/ttl.js';

function seconds(value: unknown, flag: string): number {
  const d = parseDuration(String(value), 0x7fffffff);
  if ('error' in d) throw new Error(`${flag} '${String(value)}': ${d.error}`);
  return d.value;
}

export function managedAnchorOptions<T>(y: Argv<T>) {
  return y
    .option('trust-anchor-managed', { type: 'string', array: true, default: [] as string[], describe: 'File of one zone\'s DS or DNSKEY anchors, kept up to date by RFC 5011 and rewritten with their state (as Unbound\'s auto-trust-anchor-file). Repeat for more zones' })
    .option('trust-anchor-hold-down', { type: 'string', default: '30d', describe: 'RFC 5011 add and remove hold-down: how long a new key must be seen before it is trusted, and a revoked one is kept in the file' })
    .check((a) => {
      if (a['trust-anchor-managed'].length === 0) return true;
      const s = a as { resolver?: boolean; zones?: string; secondary?: string[] };
      const embedded = s.zones === undefined && s.resolver === undefined && (s.secondary ?? []).length === 0;
      if (!(s.resolver ?? embedded)) throw new Error('--trust-anchor-managed needs --resolver: only the resolver validates');
      seconds(a['trust-anchor-hold-down'], '--trust-anchor-hold-down');
      for (const f of a['trust-anchor-managed']) new ManagedAnchor({ file: f });
      return true;
    });
}

interface ManagedArgs {
  'trust-anchor-managed': string[];
  'trust-anchor-hold-down': string;
}

/** `base` (validationConfig's) with the managed anchors added; validation turned on by them alone too. */
export function withManagedAnchors(base: { validation?: ValidationConfig }, a: ManagedArgs): { validation?: ValidationConfig } {
  if (a['trust-anchor-managed'].length === 0) return base;
  const hold = a['trust-anchor-hold-down'] === undefined ? DEFAULT_HOLD_DOWN : seconds(a['trust-anchor-hold-down'], '--trust-anchor-hold-down');
  const managed = a['trust-anchor-managed'].map((file) => new ManagedAnchor({ file, addHoldDown: hold, removeHoldDown: hold }));
  const validation = base.validation ?? { anchors: new TrustAnchors() };
  return { validation: { ...validation, managed } };
}
