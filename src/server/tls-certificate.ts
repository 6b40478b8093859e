// The certificate and key the DoT and DoH listeners present: PEM files read and checked at start
// (a clear error naming the file, never a listener that fails each handshake), and read again on
// SIGHUP; a new pair that does not load keeps the old one in service, and the log says why.

import { AopError } from '../base/errors.js';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

export class TlsCertificateError extends AopError {
  declare readonly code: 'ERR_TLS_CERTIFICATE';
  constructor(readonly file: string, message: string, opts?: { cause?: unknown }) {
    super('ERR_TLS_CERTIFICATE', message, opts);
  }
}

export interface TlsFiles {
  /** PEM certificate, the server's first, then any intermediates. */
  cert: string;
  /** PEM private key (unencrypted) matching the certificate. */
  key: string;
}

/** A loaded pair: the PEM as read, a context made from it, and what the log says about it. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  context: tls.SecureContext;
  subject: string;
  /** The names the certificate is for (subjectAltName), as printed by Node. */
  names: string;
  validTo: Date;
  fingerprint256: string;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a folder' : e.message;
    throw new TlsCertificateError(file, `${what} ${file}: ${why}`, { cause: err });
  }
}

/** Read and check the pair. Throws TlsCertificateError naming the file at fault. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = read(files.cert, '--tls-cert');
  const key = read(files.key, '--tls-key');
  let x509: X509Certificate;
  try {
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM "BEGIN CERTIFICATE" block');
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new TlsCertificateError(files.cert, `--tls-cert ${files.cert}: not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    const msg = (err as Error).message;
    const why = /passphrase|encrypted/i.test(msg) ? 'an encrypted key (aop reads unencrypted PEM keys)' : `not a PEM private key (${msg})`;
    throw new TlsCertificateError(files.key, `--tls-key ${files.key}: ${why}`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsCertificateError(files.key, `--tls-key ${files.key} does not match the certificate in ${files.cert} (subject ${x509.subject.replace(/\n/g, ', ')})`);
  }
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsCertificateError(files.cert, `--tls-cert ${files.cert} with --tls-key ${files.key}: ${(err as Error).message}`, { cause: err });
  }
  return {
    cert, key, context, subject: x509.subject.replace(/\n/g, ', '), names: x509.subjectAltName ?? '(no subjectAltName)',
    validTo: new Date(x509.validTo), fingerprint256: x509.fingerprint256,
  };
}

/** One line for the log: which certificate is in service, and a warning in it when it has expired. */
export function describeMaterial(m: TlsMaterial, now = new Date()): string {
  const expired = m.validTo.getTime() <= now.getTime() ? ' (EXPIRED: clients that check will refuse it)' : '';
  return `certificate ${m.subject}, ${m.names}, valid to ${m.validTo.toISOString()}${expired}, sha256 ${m.fingerprint256.slice(0, 23)}...`;
}

/**
 * The pair in service, and who to tell when it changes. reload() reads the files again: on
 * success every subscriber gets the new material; on failure the old stays and the error is returned.
 */
export class TlsCertificate {
  private current: TlsMaterial;
  private readonly subscribers: Array<(m: TlsMaterial) => void> = [];

  constructor(readonly files: TlsFiles) {
    this.current = loadTlsMaterial(files);
  }

  get material(): TlsMaterial {
    return this.current;
  }

  onChange(fn: (m: TlsMaterial) => void): void {
    this.subscribers.push(fn);
  }

  reload(): { ok: true; material: TlsMaterial } | { ok: false; error: TlsCertificateError } {
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(this.files);
    } catch (err) {
      if (err instanceof TlsCertificateError) return { ok: false, error: err };
      return { ok: false, error: new TlsCertificateError(this.files.cert, (err as Error).message, { cause: err }) };
    }
    this.current = next;
    for (const fn of this.subscribers) fn(next);
    return { ok: true, material: next };
  }
}
