// A local CA file that cannot be used is a specific error naming the file (ERR_LOCAL_CA), and the
// CA is not made again behind it: clients were told to trust the CA in that file.

import t, { type Test } from 'tap';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCaError, localCaFiles, openLocalCa } from '../../src/mcp/local-ca.js';
import { AopError } from '../../src/base/errors.js';

async function freshCa(t: { teardown(fn: () => void): void }): Promise<string> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'aop-local-ca-bad-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'local-ca');
  await openLocalCa(dir);
  return dir;
}

async function refused(t: Test, dir: string, file: string, message: RegExp): Promise<void> {
  const before = readFileSync(file);
  let err: unknown;
  try {
    await openLocalCa(dir);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof LocalCaError && err instanceof AopError, 'a LocalCaError');
  const e = err as LocalCaError;
  t.equal(e.code, 'ERR_LOCAL_CA');
  t.equal(e.file, file, 'it names the file');
  t.match(e.message, message);
  t.ok(e.message.includes(file), 'the message names the file');
  t.same(readFileSync(file), before, 'the file is left as it was (no new CA made)');
}

t.test('a corrupt CA certificate', async (t) => {
  const dir = await freshCa(t);
  writeFileSync(localCaFiles(dir).caCert, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
  await refused(t, dir, localCaFiles(dir).caCert, /ca\.pem: not a PEM certificate .*remove .*local-ca to make a new CA/);
});

t.test('a CA file with no PEM in it', async (t) => {
  const dir = await freshCa(t);
  writeFileSync(localCaFiles(dir).caCert, 'hello\n');
  await refused(t, dir, localCaFiles(dir).caCert, /not a PEM certificate \(no PEM "BEGIN CERTIFICATE" block\)/);
});

t.test('a corrupt CA key', async (t) => {
  const dir = await freshCa(t);
  writeFileSync(localCaFiles(dir).caKey, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  await refused(t, dir, localCaFiles(dir).caKey, /ca-key\.pem: not a PEM private key/);
});

t.test('a key that is not the certificate\'s', async (t) => {
  const dir = await freshCa(t);
  const other = await freshCa(t);
  copyFileSync(localCaFiles(other).caKey, localCaFiles(dir).caKey);
  await refused(t, dir, localCaFiles(dir).caKey, /ca-key\.pem does not match the certificate in .*ca\.pem/);
});

t.test('a key without its certificate names the missing certificate', async (t) => {
  const dir = await freshCa(t);
  const { caCert, caKey } = localCaFiles(dir);
  rmSync(caCert);
  const key = readFileSync(caKey);
  await t.rejects(openLocalCa(dir), { code: 'ERR_LOCAL_CA', file: caCert, message: /ca\.pem: no such file, though its key .*ca-key\.pem is there/ });
  t.same(readFileSync(caKey), key, 'the key is kept');
});

t.test('an unreadable CA file', { skip: process.getuid?.() === 0 ? 'root reads any file' : false }, async (t) => {
  const dir = await freshCa(t);
  chmodSync(localCaFiles(dir).caKey, 0o000);
  await t.rejects(openLocalCa(dir), { code: 'ERR_LOCAL_CA', file: localCaFiles(dir).caKey, message: /permission denied/ });
});
