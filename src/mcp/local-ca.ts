// The local CA of the TLS demo world: made on first start in a folder of the state directory
// (never in the checkout), kept and reused after, and a leaf certificate it signs for the demo
// agents' endpoint hosts (plus 127.0.0.1 and ::1), issued again when the host set changes or the
// leaf nears its end. Clients that insist on https trust the CA file, and only for these hosts.
//
// Certificates are made with @peculiar/x509 on Node's WebCrypto (ECDSA P-256): typed, maintained,
// no native code and no openssl at run time. It needs a Reflect metadata polyfill, loaded first.

import { AopError } from '../base/errors.js';
import { atomicWrite } from '../base/atomic-write.js';
import { silentLogger, type Logger } from '../base/log.js';
import { createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** A CA file that cannot be used: named, never silently replaced (clients trust the CA in it). */
export class LocalCaError extends AopError {
  declare readonly code: 'ERR_LOCAL_CA';
  constructor(readonly file: string, message: string, opts?: { cause?: unknown }) {
    super('ERR_LOCAL_CA', message, opts);
  }
}

/** The files of a local CA folder. */
export interface LocalCaFiles {
  dir: string;
  /** The CA certificate (PEM): what clients trust. */
  caCert: string;
  /** Its private key (PKCS#8 PEM, mode 0600). */
  caKey: string;
  /** The leaf's key and certificate in one PEM file (mode 0600), so the pair is always written together. */
  leaf: string;
}

/** The folder's name in the state directory. */
export const LOCAL_CA_DIR = 'local-ca';

export function localCaFiles(dir: string): LocalCaFiles {
  return { dir, caCert: path.join(dir, 'ca.pem'), caKey: path.join(dir, 'ca-key.pem'), leaf: path.join(dir, 'leaf.pem') };
}

/** The local CA folder beside a state file. */
export function localCaDirFor(stateFile: string): string {
  return path.join(path.dirname(stateFile), LOCAL_CA_DIR);
}

export interface LeafMaterial {
  /** PEM: the leaf certificate, then the CA's (the chain a server presents). */
  cert: string;
  /** PEM private key of the leaf. */
  key: string;
  /** The DNS names it is for (lower case, no final dot, sorted); 127.0.0.1 and ::1 always besides. */
  hosts: string[];
  notAfter: Date;
  /** Whether this call signed it (else the stored one was still good). */
  issued: boolean;
}

export interface LocalCa {
  files: LocalCaFiles;
  /** The CA certificate, PEM. */
  caPem: string;
  /** Whether this open made the CA. */
  created: boolean;
  /** The stored leaf when it covers exactly `hosts` and has more than the renewal margin left; else a new one. */
  leafFor(hosts: readonly string[]): Promise<LeafMaterial>;
}

export interface LocalCaOptions {
  /** The clock (tests move it). Default Date.now. */
  now?: () => number;
  logger?: Logger;
}

const DAY = 86_400_000;
/** The CA lives ten years: clients are told to trust it once. */
const CA_DAYS = 3650;
/** The leaf lives 397 days (the most browsers accept) and is issued again with 30 days left. */
const LEAF_DAYS = 397;
const RENEW_DAYS = 30;
/** Addresses every leaf names, so clients that connect by address (127.0.0.1:18401) verify too. */
const ADDRESSES = ['127.0.0.1', '::1'];
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

type X509Lib = typeof import('@peculiar/x509');
let lib: Promise<X509Lib> | undefined;
/** The library, loaded on first use (the polyfill it needs first): other commands start fast. */
function x509(): Promise<X509Lib> {
  lib ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return lib;
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a folder' : e.message;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocalCaError(file, `local CA: ${file}: ${why(err)}`, { cause: err });
  }
}

/** Lower case, no final dot, no duplicates, sorted. */
export function normaliseHosts(hosts: readonly string[]): string[] {
  return [...new Set(hosts.map((h) => h.toLowerCase().replace(/\.+$/, '')).filter((h) => h !== ''))].sort();
}

function serial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // positive
  b[0]! |= 0x01; // and never a shorter encoding
  return b.toString('hex');
}

function pkcs8Pem(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function signingKey(key: KeyObject): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), ALG, false, ['sign']);
}

interface LoadedCa {
  pem: string;
  cert: X509Certificate;
  key: KeyObject;
}

/** Read and check the CA pair; every fault names its file. */
function loadCa(files: LocalCaFiles, now: number): LoadedCa {
  const pem = readText(files.caCert);
  const keyPem = readText(files.caKey);
  let cert: X509Certificate;
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM "BEGIN CERTIFICATE" block');
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new LocalCaError(files.caCert, `local CA: ${files.caCert}: not a PEM certificate (${(err as Error).message}); remove ${files.dir} to make a new CA (clients then trust the new one)`, { cause: err });
  }
  if (!cert.ca) throw new LocalCaError(files.caCert, `local CA: ${files.caCert}: not a CA certificate (basicConstraints CA:FALSE)`);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new LocalCaError(files.caKey, `local CA: ${files.caKey}: not a PEM private key (${(err as Error).message}); remove ${files.dir} to make a new CA (clients then trust the new one)`, { cause: err });
  }
  if (!cert.checkPrivateKey(key)) throw new LocalCaError(files.caKey, `local CA: ${files.caKey} does not match the certificate in ${files.caCert}`);
  if (Date.parse(cert.validTo) <= now) {
    throw new LocalCaError(files.caCert, `local CA: ${files.caCert} expired on ${new Date(cert.validTo).toISOString()}; remove ${files.dir} to make a new CA (clients then trust the new one)`);
  }
  return { pem, cert, key };
}

/** Make a CA in a fresh folder beside `dir` and move it into place; another process that got there first wins. */
async function createCa(files: LocalCaFiles, now: number): Promise<boolean> {
  const X = await x509();
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const cert = await X.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=aop local CA (${hostname().replace(/[,=+<>#;"\\]/g, '')} ${new Date(now).toISOString().slice(0, 10)}), O=aop demo`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + CA_DAYS * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new X.BasicConstraintsExtension(true, 0, true),
      new X.KeyUsagesExtension(X.KeyUsageFlags.keyCertSign | X.KeyUsageFlags.cRLSign, true),
      await X.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const parent = path.dirname(files.dir);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(path.join(parent, `${path.basename(files.dir)}.new-`));
  try {
    const staged = localCaFiles(tmp);
    writeFileSync(staged.caKey, pkcs8Pem(await crypto.subtle.exportKey('pkcs8', keys.privateKey)), { mode: 0o600 });
    writeFileSync(staged.caCert, cert.toString('pem') + '\n', { mode: 0o644 });
    try {
      renameSync(tmp, files.dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
      throw new LocalCaError(files.dir, `local CA: cannot create ${files.dir}: ${why(err)}`, { cause: err });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function dnsNames(cert: X509Certificate): string[] {
  return normaliseHosts((cert.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)));
}

/** The stored leaf, when it is the CA's, for exactly `hosts`, and good for longer than the margin. */
function storedLeaf(files: LocalCaFiles, ca: LoadedCa, hosts: string[], now: number, log: Logger): LeafMaterial | undefined {
  let text: string;
  try {
    text = readFileSync(files.leaf, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`local CA: ${files.leaf}: ${why(err)}; issuing a new leaf`);
    return undefined;
  }
  try {
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(text)?.[0];
    if (certPem === undefined || keyPem === undefined) throw new Error('no certificate and key in it');
    const cert = new X509Certificate(certPem);
    if (!cert.checkIssued(ca.cert) || !cert.verify(ca.cert.publicKey)) return undefined;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('its key does not match its certificate');
    const notAfter = new Date(cert.validTo);
    if (notAfter.getTime() - now <= RENEW_DAYS * DAY) return undefined;
    const names = dnsNames(cert);
    if (names.length !== hosts.length || names.some((n, i) => n !== hosts[i])) return undefined;
    return { cert: `${certPem}\n${ca.pem.trim()}\n`, key: `${keyPem}\n`, hosts, notAfter, issued: false };
  } catch (err) {
    // The leaf is derived from the CA: one that does not parse is replaced, and the log says so.
    log.warn(`local CA: ${files.leaf}: ${(err as Error).message}; issuing a new leaf`);
    return undefined;
  }
}

async function issueLeaf(files: LocalCaFiles, ca: LoadedCa, hosts: string[], now: number): Promise<LeafMaterial> {
  const X = await x509();
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const caCert = new X.X509Certificate(ca.pem);
  // Never past the CA's own end.
  const notAfter = new Date(Math.min(now + LEAF_DAYS * DAY, Date.parse(ca.cert.validTo)));
  const cert = await X.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${hosts[0] ?? 'localhost'}`,
    issuer: caCert.subject,
    notBefore: new Date(now - DAY),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: await signingKey(ca.key),
    signingAlgorithm: ALG,
    extensions: [
      new X.BasicConstraintsExtension(false, undefined, true),
      new X.KeyUsagesExtension(X.KeyUsageFlags.digitalSignature, true),
      new X.ExtendedKeyUsageExtension([X.ExtendedKeyUsage.serverAuth]),
      new X.SubjectAlternativeNameExtension([...hosts.map((value) => ({ type: 'dns' as const, value })), ...ADDRESSES.map((value) => ({ type: 'ip' as const, value }))]),
      await X.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await X.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const certPem = cert.toString('pem');
  const keyPem = pkcs8Pem(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  atomicWrite(files.leaf, `${keyPem}${certPem}\n`, { mode: 0o600 });
  return { cert: `${certPem}\n${ca.pem.trim()}\n`, key: keyPem, hosts, notAfter, issued: true };
}

/**
 * The local CA in `dir`: made (key 0600, folder 0700) when the folder does not exist, else read
 * and checked. A CA file that is missing beside the other, unreadable, corrupt, mismatched or
 * expired throws LocalCaError naming it: a CA that clients were told to trust is never replaced behind their back.
 */
export async function openLocalCa(dir: string, opts: LocalCaOptions = {}): Promise<LocalCa> {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? silentLogger;
  const files = localCaFiles(path.resolve(dir));
  let created = false;
  let exists = true;
  try {
    readFileSync(files.caCert);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new LocalCaError(files.caCert, `local CA: ${files.caCert}: ${why(err)}`, { cause: err });
    exists = false;
  }
  if (!exists) {
    let folder = true;
    try {
      readFileSync(files.caKey);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') folder = false;
    }
    // A key without its certificate is a broken CA, not a missing one.
    if (folder) throw new LocalCaError(files.caCert, `local CA: ${files.caCert}: no such file, though its key ${files.caKey} is there; remove ${files.dir} to make a new CA (clients then trust the new one)`);
    created = await createCa(files, now());
  }
  const ca = loadCa(files, now());
  return {
    files,
    caPem: ca.pem,
    created,
    async leafFor(wanted) {
      const hosts = normaliseHosts(wanted);
      return storedLeaf(files, ca, hosts, now(), log) ?? issueLeaf(files, ca, hosts, now());
    },
  };
}
