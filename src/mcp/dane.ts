// DANE for the hand-off's https endpoints (RFC 6698, RFC 7671): when the TLSA RRset at
// `_<port>._tcp.<host>` is DNSSEC-secure, the endpoint's certificate is checked against it instead
// of WebPKI. Usage 3 (DANE-EE): the leaf certificate (selector 0) or its public key (selector 1)
// matches, by value (matching 0), SHA-256 (1) or SHA-512 (2); no name or date checks (RFC 7671
// 5.1). Usage 2 (DANE-TA): a certificate the server sent matches, the leaf chains to it by
// signatures, and the leaf names the host (RFC 7671 5.2). Usages 0 (PKIX-TA) and 1 (PKIX-EE)
// narrow WebPKI rather than replace it (RFC 6698 2.1.1): the chain must validate to the client's
// roots with the host's name AND the record must match, a CA of that chain for 0, the leaf for 1.
// Any one record that holds is enough (RFC 6698 2.1.1, RFC 7671 5). When the host was given by a
// CNAME chain whose expansion was secure, the expanded name is a reference identity too, for the
// name checks of DANE-TA and the PKIX usages (RFC 7671 section 7): the caller passes it after the
// host, and only then (and gives WebPKI's name check, whose verdict `pkix` is, the same names).

import { createHash, X509Certificate } from 'node:crypto';

export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

/** A TLSA RDATA, or undefined when it is too short to be one. */
export function readTlsa(rdata: Buffer): TlsaRecord | undefined {
  if (rdata.length < 4) return undefined;
  return { usage: rdata[0]!, selector: rdata[1]!, matchingType: rdata[2]!, data: Buffer.from(rdata.subarray(3)) };
}

/** The records DANE uses: usage 0 to 3, selector 0 or 1, matching type 0, 1 or 2 (others are unusable, RFC 7671 4.1). */
export function usableTlsa(records: readonly TlsaRecord[]): TlsaRecord[] {
  return records.filter((r) => r.usage <= 3 && (r.selector === 0 || r.selector === 1) && r.matchingType <= 2);
}

/** What WebPKI made of the connection (the TLS socket's `authorized` and `authorizationError`). */
export interface PkixResult {
  ok: boolean;
  /** Why not, when not (Node's words: an unknown issuer, a name the certificate does not hold...). */
  error?: string;
}

function associated(cert: X509Certificate, r: TlsaRecord): boolean {
  const content = r.selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
  const value = r.matchingType === 0 ? content : createHash(r.matchingType === 1 ? 'sha256' : 'sha512').update(content).digest();
  return value.equals(r.data);
}

/**
 * Whether the chain (leaf first: what the server sent, with the root WebPKI found for it) satisfies
 * one of `records` for `host`, given what WebPKI made of it; why not, in words, when it does not.
 * `host` may be a list: the host, then the name its secure CNAME expansion gave (RFC 7671 7).
 */
export function daneCheck(records: readonly TlsaRecord[], chain: readonly X509Certificate[], host: string | readonly string[], pkix: PkixResult = { ok: false, error: 'not checked' }): { ok: true; usage: number } | { ok: false; why: string } {
  const names = typeof host === 'string' ? [host] : host;
  const primary = names[0] ?? '';
  const leaf = chain[0];
  if (leaf === undefined) return { ok: false, why: 'the server sent no certificate' };
  const usable = usableTlsa(records);
  const named = (n: string): boolean => leaf.checkHost(n.replace(/\.$/, '')) !== undefined;
  for (const r of usable) {
    if (r.usage === 3 && associated(leaf, r)) return { ok: true, usage: 3 };
    if (r.usage === 1 && pkix.ok && associated(leaf, r)) return { ok: true, usage: 1 };
    // PKIX-TA: a CA certificate of the validated path (the root included, even when not sent).
    if (r.usage === 0 && pkix.ok && chain.slice(1).some((c) => associated(c, r))) return { ok: true, usage: 0 };
    if (r.usage === 2) {
      for (let i = 1; i < chain.length; i++) {
        if (!associated(chain[i]!, r)) continue;
        // The leaf must chain to the matched certificate, signature by signature.
        let ok = true;
        for (let j = 0; j < i && ok; j++) ok = chain[j]!.verify(chain[j + 1]!.publicKey);
        if (ok && names.some(named)) return { ok: true, usage: 2 };
      }
    }
  }
  // PKIX records need WebPKI to pass first: say so when that is what failed.
  const webpki = !pkix.ok && usable.some((r) => r.usage <= 1) ? `; WebPKI, which its PKIX-TA/PKIX-EE records need, failed: ${pkix.error ?? 'not trusted'}` : '';
  return { ok: false, why: `the certificate of ${primary} matches none of its ${records.length} TLSA record(s) (SHA-256 of its key: ${createHash('sha256').update(leaf.publicKey.export({ type: 'spki', format: 'der' })).digest('hex')})${webpki}` };
}
