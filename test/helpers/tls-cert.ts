// Certificates for the DoT/DoH tests, made by openssl in the test's own folder: a CA, and a
// server certificate it signed for the names and addresses asked (subjectAltName).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestCertificates {
  /** The CA certificate (PEM): what a client passes as +tls-ca. */
  ca: string;
  /** The server certificate (PEM) and its key. */
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a server certificate for `names` (DNS) and `ips`, in `dir` (made); `tag` keeps several apart. */
export function makeCertificates(dir: string, opts: { names?: string[]; ips?: string[]; tag?: string; days?: number } = {}): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const tag = opts.tag ?? 'server';
  const f = (n: string): string => path.join(dir, `${tag}-${n}`);
  const days = String(opts.days ?? 2);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', days, '-subj', `/CN=aop test CA ${tag}`]);
  openssl(['req', ...ec, '-keyout', f('key.pem'), '-out', f('req.csr'), '-subj', `/CN=${opts.names?.[0] ?? 'dns.test'}`]);
  const san = [...(opts.names ?? ['dns.test']).map((n) => `DNS:${n}`), ...(opts.ips ?? ['127.0.0.1']).map((a) => `IP:${a}`)].join(',');
  writeFileSync(f('ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', f('req.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('cert.pem'), '-days', days, '-extfile', f('ext.cnf')]);
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}
