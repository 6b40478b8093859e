// A signed world for the DANE tests: copies of the bundled zones with the lines a test adds to
// acme.agents, signed online by a Daemon that also validates (resolver with the agents. anchor),
// and a CA-signed certificate for the test's names whose CA no client trusts (WebPKI alone would
// refuse it). The digests a TLSA record needs are computed here as a peer computes them.

import type { Test } from 'tap';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import path from 'node:path';
import { scratchDir } from './child.js';
import { leaseNet, type NetLease } from './loopback-net.js';
import { makeCertificates, type TestCertificates } from './tls-cert.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { DEFAULT_TIMES, Signer } from '../../src/authority/signer.js';
import { Daemon } from '../../src/server/daemon.js';

/** The TLSA association data of the test certificates, in hex. */
export interface DaneDigests {
  /** SHA-256 of the leaf's SubjectPublicKeyInfo (x 1 1). */
  spki: string;
  /** SHA-256 of the whole leaf certificate (x 0 1). */
  leafCert: string;
  /** SHA-256 of the CA certificate (x 0 1). */
  caCert: string;
}

export interface DaneWorld {
  lease: NetLease;
  dir: string;
  certs: TestCertificates;
  /** The leaf followed by the CA, for a server that sends its chain (DANE-TA needs the CA sent). */
  chainFile: string;
  digests: DaneDigests;
  /** host:port of the daemon (authoritative for the copies, validating resolver for the rest). */
  server: string;
  /** The agents. trust anchor (DS) file the clients are given. */
  anchorFile: string;
}

/**
 * The world for `names` (the certificate's DNS names; address lease.host(20 + i) for the i-th in
 * its SAN too): `lines(digests)` appended to acme.agents before it is signed. `unsigned`: the
 * records of an unsigned child insec.acme.agents, delegated without a DS (so proven insecure) to a
 * second daemon at lease.host(9) port 53.
 */
export async function daneWorld(t: Test, names: string[], lines: (d: DaneDigests, lease: NetLease) => string[], opts: { unsigned?: (d: DaneDigests, lease: NetLease) => string } = {}): Promise<DaneWorld> {
  const lease = await leaseNet(t);
  const dir = scratchDir(t, 'aop-dane-');
  const certs = makeCertificates(path.join(dir, 'tls'), { names, ips: names.map((_, i) => lease.host(20 + i)) });
  const leaf = new X509Certificate(readFileSync(certs.cert));
  const ca = new X509Certificate(readFileSync(certs.ca));
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const digests = { spki: sha(leaf.publicKey.export({ type: 'spki', format: 'der' })), leafCert: sha(leaf.raw), caCert: sha(ca.raw) };
  const chainFile = path.join(dir, 'tls', 'chain.pem');
  writeFileSync(chainFile, readFileSync(certs.cert, 'utf8') + readFileSync(certs.ca, 'utf8'));

  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  for (const z of ['agents.', 'acme.agents.', 'globex.agents.']) copyFileSync(path.join(bundledZonesDir, `${z}zone`), path.join(zones, `${z}zone`));
  appendFileSync(path.join(zones, 'acme.agents.zone'), lines(digests, lease).join('\n') + '\n');
  const keyDir = path.join(dir, 'keys');
  new Signer({ keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES }).keysFor('agents.');
  const anchorText = parentDsLines('agents.', keyDir).join('\n') + '\n';
  const anchorFile = path.join(dir, 'agents.anchor');
  writeFileSync(anchorFile, anchorText);
  if (opts.unsigned !== undefined) {
    const plainDir = path.join(dir, 'plain');
    mkdirSync(plainDir);
    writeFileSync(path.join(plainDir, 'insec.acme.agents.zone'), `$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A ${lease.host(9)}\n${opts.unsigned(digests, lease)}\n`);
    appendFileSync(path.join(zones, 'acme.agents.zone'), `insec IN NS ns.insec.acme.agents.\nns.insec IN A ${lease.host(9)}\n`);
    const plain = new Daemon({ zonesDir: plainDir, listen: [parseListen(`${lease.host(9)}:53`)] });
    await plain.start();
    t.teardown(() => plain.close());
  }
  const d = new Daemon({
    zonesDir: zones, listen: [parseListen(`${lease.host(1)}:0`)],
    dnssec: { keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES },
    resolver: { hints: parseHints(`agents. 3600 IN NS a.root.agents.\na.root.agents. 3600 IN A ${lease.host(1)}\n`), warmUp: 0, timeout: 2000, validation: { anchors: parseTrustAnchors(anchorText) } },
  });
  await d.start();
  t.teardown(() => d.close());
  return { lease, dir, certs, chainFile, digests, server: `${lease.host(1)}:${d.listeners[0]!.address.port}`, anchorFile };
}
