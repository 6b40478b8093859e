// The local CA is made once and reused: a second open (a restart) keeps the same CA and the same
// leaf; the leaf names every host asked for plus 127.0.0.1 and ::1, and is issued again, by the
// same CA, when the hosts change or it nears its end. The key files are the owner's only.

import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localCaDirFor, localCaFiles, openLocalCa } from '../../src/mcp/local-ca.js';

const DAY = 86_400_000;

function tmp(t: Test): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-local-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function leafCert(file: string): X509Certificate {
  return new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(readFileSync(file, 'utf8'))![0]);
}

t.test('made on first open, reused after: same CA, same leaf', async (t) => {
  const state = path.join(tmp(t), 'aop', 'daemon.json');
  const dir = localCaDirFor(state);
  t.equal(dir, path.join(path.dirname(state), 'local-ca'), 'beside the state file');
  const first = await openLocalCa(dir);
  t.equal(first.created, true, 'made on the first open');
  const files = localCaFiles(dir);
  t.equal(statSync(files.caKey).mode & 0o777, 0o600, 'the CA key is the owner\'s only');
  t.equal(statSync(dir).mode & 0o777, 0o700, 'and so is its folder');
  const ca = new X509Certificate(first.caPem);
  t.ok(ca.ca, 'a CA certificate');
  t.match(ca.subject, /aop local CA/);

  const hosts = ['mcp.acme.agents.', 'Hub.Globex.Agents', 'lab.acme.agents', 'mcp.acme.agents'];
  const leaf = await first.leafFor(hosts);
  t.equal(leaf.issued, true);
  t.same(leaf.hosts, ['hub.globex.agents', 'lab.acme.agents', 'mcp.acme.agents'], 'lower case, no final dot, once each, sorted');
  t.equal(statSync(files.leaf).mode & 0o777, 0o600, 'the leaf (key and certificate) is the owner\'s only');
  const cert = leafCert(files.leaf);
  for (const h of leaf.hosts) t.equal(cert.checkHost(h), h, `the leaf names ${h}`);
  t.equal(cert.checkIP('127.0.0.1'), '127.0.0.1', 'and 127.0.0.1');
  t.equal(cert.checkIP('::1'), '::1', 'and ::1');
  t.equal(cert.checkHost('other.agents'), undefined, 'and no other name');
  t.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'signed by the CA');
  t.notOk(cert.ca, 'not a CA itself');
  t.match(leaf.cert, /END CERTIFICATE-----\n-----BEGIN CERTIFICATE/, 'served with the CA after it (the chain)');

  const caBytes = readFileSync(files.caCert);
  const leafBytes = readFileSync(files.leaf);
  const again = await openLocalCa(dir);
  t.equal(again.created, false, 'a restart keeps the CA');
  t.same(readFileSync(files.caCert), caBytes, 'the CA file is unchanged');
  t.equal(again.caPem, first.caPem);
  const leaf2 = await again.leafFor(['lab.acme.agents', 'hub.globex.agents', 'mcp.acme.agents']);
  t.equal(leaf2.issued, false, 'the same hosts: the stored leaf');
  t.same(readFileSync(files.leaf), leafBytes, 'the leaf file is unchanged');
});

t.test('the leaf is issued again when the zones gain a host, by the same CA', async (t) => {
  const dir = path.join(tmp(t), 'local-ca');
  const ca = await openLocalCa(dir);
  await ca.leafFor(['mcp.acme.agents']);
  const before = leafCert(localCaFiles(dir).leaf);
  const caBytes = readFileSync(localCaFiles(dir).caCert);
  const reopened = await openLocalCa(dir);
  const leaf = await reopened.leafFor(['mcp.acme.agents', 'new.acme.agents']);
  t.equal(leaf.issued, true, 'a new host: a new leaf');
  const after = leafCert(localCaFiles(dir).leaf);
  t.not(after.serialNumber, before.serialNumber);
  t.equal(after.checkHost('new.acme.agents'), 'new.acme.agents', 'it names the new host');
  t.equal(after.checkHost('mcp.acme.agents'), 'mcp.acme.agents', 'and the old one');
  t.same(readFileSync(localCaFiles(dir).caCert), caBytes, 'the CA is the same');
  t.ok(after.verify(new X509Certificate(caBytes).publicKey), 'and signed it');
  const fewer = await reopened.leafFor(['mcp.acme.agents']);
  t.equal(fewer.issued, true, 'a host gone: a new leaf too (the leaf names exactly the served hosts)');
});

t.test('the leaf is issued again when it nears its end', async (t) => {
  const dir = path.join(tmp(t), 'local-ca');
  let now = Date.now();
  const ca = await openLocalCa(dir, { now: () => now });
  const first = await ca.leafFor(['mcp.acme.agents']);
  const days = (first.notAfter.getTime() - now) / DAY;
  t.ok(days > 390 && days <= 397, `valid ${Math.round(days)} days`);
  now += 360 * DAY;
  t.equal((await ca.leafFor(['mcp.acme.agents'])).issued, false, '37 days left: kept');
  now += 10 * DAY;
  const renewed = await ca.leafFor(['mcp.acme.agents']);
  t.equal(renewed.issued, true, '27 days left: issued again');
  t.ok(renewed.notAfter.getTime() > first.notAfter.getTime());
});

t.test('a leaf file that does not parse is replaced, and the log says so', async (t) => {
  const dir = path.join(tmp(t), 'local-ca');
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => { warnings.push(m); }, error() {} };
  const ca = await openLocalCa(dir, { logger });
  await ca.leafFor(['mcp.acme.agents']);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(localCaFiles(dir).leaf, 'garbage');
  const leaf = await ca.leafFor(['mcp.acme.agents']);
  t.equal(leaf.issued, true);
  t.match(warnings.join('\n'), /leaf\.pem: no certificate and key in it; issuing a new leaf/);
});
