// The CA list an https hand-off trusts: giving undici a `ca` list replaces Node's defaults, so the
// system roots and NODE_EXTRA_CA_CERTS are listed beside the caller's own.

import { rootCertificates } from 'node:tls';
import { readFileSync } from 'node:fs';

/** The system roots, NODE_EXTRA_CA_CERTS and `extra`. */
export function trustedCas(extra: string): string[] {
  const list = [...rootCertificates, extra];
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file) {
    try {
      list.push(readFileSync(file, 'utf8'));
    } catch {
      // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start.
    }
  }
  return list;
}
