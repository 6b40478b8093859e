// openssl, a peer, accepts what the local CA signs: `openssl verify -CAfile` with the purpose a TLS
// server needs, each host name and both loopback addresses, and rejects a name the leaf lacks.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localCaFiles, openLocalCa } from '../../src/mcp/local-ca.js';
import { requireTool, run } from '../helpers/peers.js';

t.test('openssl verify accepts the leaf for its hosts and addresses', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const root = mkdtempSync(path.join(os.tmpdir(), 'aop-local-ca-openssl-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'local-ca');
  const ca = await openLocalCa(dir);
  const hosts = ['mcp.acme.agents', 'lab.acme.agents', 'hub.globex.agents', 'summarizer.acme.agents'];
  const leaf = await ca.leafFor(hosts);
  const leafFile = path.join(root, 'leaf-cert.pem');
  // The leaf alone (leaf.pem holds its key too, which verify ignores; this is the served chain's first).
  writeFileSync(leafFile, leaf.cert.split(/(?<=-----END CERTIFICATE-----)/)[0]!.trim() + '\n');
  const { caCert } = localCaFiles(dir);
  const base = ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caCert];
  const plain = await run('openssl', [...base, leafFile]);
  t.equal(plain.code, 0, plain.stderr);
  t.match(plain.stdout, /: OK/);
  for (const h of hosts) {
    const r = await run('openssl', [...base, '-verify_hostname', h, leafFile]);
    t.equal(r.code, 0, `${h}: ${r.stdout}${r.stderr}`);
  }
  for (const ip of ['127.0.0.1', '::1']) {
    const r = await run('openssl', [...base, '-verify_ip', ip, leafFile]);
    t.equal(r.code, 0, `${ip}: ${r.stdout}${r.stderr}`);
  }
  const other = await run('openssl', [...base, '-verify_hostname', 'evil.example', leafFile]);
  t.not(other.code, 0, 'a name the leaf lacks is refused');
  t.match(other.stdout + other.stderr, /hostname mismatch/);
  // The whole leaf.pem file (key then certificate) is what openssl reads as well.
  const whole = await run('openssl', [...base, localCaFiles(dir).leaf]);
  t.equal(whole.code, 0, whole.stderr);
});
