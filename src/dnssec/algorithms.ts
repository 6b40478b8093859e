// Signing and verification for DNSSEC algorithms 8 (RSA/SHA-256, RFC 5702), 13 and 14 (ECDSA
// P-256/SHA-256 and P-384/SHA-384, RFC 6605) and 15 (Ed25519, RFC 8080) with node:crypto, and
// the DNSKEY public-key field <-> KeyObject. ECDSA signatures in DNSSEC are r||s of fixed size
// (RFC 6605 section 4): node's `dsaEncoding: 'ieee-p1363'` reads and writes exactly that form,
// so no DER conversion is needed on the way in or out.

import { createPublicKey, generateKeyPairSync, type KeyObject, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { DnssecError } from './errors.js';

export const Algorithm = { RSASHA256: 8, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15 } as const;

interface AlgInfo {
  name: string;
  hash: string | null;
  curve?: 'P-256' | 'P-384';
  /** Octets of each coordinate (ECDSA) or of the key (Ed25519). */
  size?: number;
}

const INFO = new Map<number, AlgInfo>([
  [8, { name: 'RSASHA256', hash: 'sha256' }],
  [13, { name: 'ECDSAP256SHA256', hash: 'sha256', curve: 'P-256', size: 32 }],
  [14, { name: 'ECDSAP384SHA384', hash: 'sha384', curve: 'P-384', size: 48 }],
  [15, { name: 'ED25519', hash: null, size: 32 }],
]);

export function isSupportedAlgorithm(alg: number): boolean {
  return INFO.has(alg);
}

/** BIND's mnemonic (`ECDSAP256SHA256`); `ALGnnn` for one we do not implement. */
export function algorithmName(alg: number): string {
  return INFO.get(alg)?.name ?? `ALG${alg}`;
}

function info(alg: number): AlgInfo {
  const i = INFO.get(alg);
  if (i === undefined) throw new DnssecError('ERR_DNSSEC_ALGORITHM', `DNSSEC algorithm ${alg} is not supported (8, 13, 14 and 15 are)`);
  return i;
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** The DNSKEY public-key field (RDATA after flags, protocol, algorithm) as a KeyObject. */
export function publicKeyFromDnskey(alg: number, key: Buffer): KeyObject {
  const i = info(alg);
  try {
    if (alg === 8) {
      if (key.length < 3) throw new Error('RSA key field too short');
      let elen = key[0]!;
      let off = 1;
      if (elen === 0) {
        elen = key.readUInt16BE(1);
        off = 3;
      }
      const e = key.subarray(off, off + elen);
      const n = key.subarray(off + elen);
      if (e.length !== elen || n.length === 0) throw new Error('RSA exponent runs past the key');
      return createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' });
    }
    if (i.curve !== undefined) {
      if (key.length !== 2 * i.size!) throw new Error(`ECDSA key is ${key.length} octets, not ${2 * i.size!}`);
      return createPublicKey({ key: { kty: 'EC', crv: i.curve, x: b64u(key.subarray(0, i.size)), y: b64u(key.subarray(i.size)) }, format: 'jwk' });
    }
    if (key.length !== 32) throw new Error(`Ed25519 key is ${key.length} octets, not 32`);
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(key) }, format: 'jwk' });
  } catch (e) {
    throw new DnssecError('ERR_DNSSEC_BAD_KEY', `bad ${i.name} public key: ${(e as Error).message}`, { cause: e });
  }
}

/** The DNSKEY public-key field for a public (or private) KeyObject. */
export function dnskeyPublicKey(alg: number, key: KeyObject): Buffer {
  const i = info(alg);
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (alg === 8) {
    const e = Buffer.from(jwk.e!, 'base64url');
    const n = Buffer.from(jwk.n!, 'base64url');
    const head = e.length <= 255 ? Buffer.from([e.length]) : Buffer.from([0, e.length >> 8, e.length & 0xff]);
    return Buffer.concat([head, e, n]);
  }
  if (i.curve !== undefined) return Buffer.concat([pad(Buffer.from(jwk.x!, 'base64url'), i.size!), pad(Buffer.from(jwk.y!, 'base64url'), i.size!)]);
  return Buffer.from(jwk.x!, 'base64url');
}

function pad(b: Buffer, n: number): Buffer {
  return b.length >= n ? b : Buffer.concat([Buffer.alloc(n - b.length), b]);
}

/** A signature in DNSSEC's wire form (RSA: PKCS#1 v1.5; ECDSA: r||s; Ed25519: 64 octets). */
export function signData(alg: number, privateKey: KeyObject, data: Buffer): Buffer {
  const i = info(alg);
  if (i.curve !== undefined) return cryptoSign(i.hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return cryptoSign(i.hash, data, privateKey);
}

/** Whether `signature` (DNSSEC wire form) is good over `data`. False, never a throw, on junk. */
export function verifyData(alg: number, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  const i = info(alg);
  try {
    if (i.curve !== undefined) {
      if (signature.length !== 2 * i.size!) return false;
      return cryptoVerify(i.hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    }
    return cryptoVerify(i.hash, data, publicKey, signature);
  } catch {
    return false;
  }
}

/** A new key pair for the algorithm (RSA: 2048 bits unless told, exponent 65537). */
export function generateKeyPair(alg: number, rsaBits = 2048): { privateKey: KeyObject; publicKey: KeyObject } {
  const i = info(alg);
  if (alg === 8) return generateKeyPairSync('rsa', { modulusLength: rsaBits, publicExponent: 0x10001 });
  if (i.curve !== undefined) return generateKeyPairSync('ec', { namedCurve: i.curve });
  return generateKeyPairSync('ed25519');
}
