// `aop serve --listen-tls/--listen-https --tls-cert --tls-key`: the pair is checked before anything
// starts (exit 1, the file named: missing, not PEM, a key of another certificate, flags missing),
// and SIGHUP reads it again: a broken new pair keeps the old certificate in service (logged why),
// a good one is what new DoT and DoH connections get. Real process, real SIGHUP, leased loopback /24.

import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool } from '../helpers/peers.js';
import { makeCertificates } from '../helpers/tls-cert.js';
import { waitFor } from '../helpers/wait.js';
import { dotExchange } from '../../src/transport/dot.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

function childEnv(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.NODE_OPTIONS;
  delete e.AOP_STATE_FILE;
  return e;
}

function aop(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('exit', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-tlscert-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The fingerprint of the certificate a new TLS connection is shown. */
function dotFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256);
      s.destroy();
    });
    s.on('error', reject);
  });
}

function dohFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`https://${host}:${port}`, { rejectUnauthorized: false });
    s.on('error', reject);
    s.on('connect', () => {
      resolve((s.socket as tls.TLSSocket).getPeerX509Certificate()!.fingerprint256);
      s.close();
    });
  });
}

const fp = (file: string): string => new X509Certificate(readFileSync(file)).fingerprint256;

t.test('the pair is checked at start', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = tmp(t);
  const a = makeCertificates(dir, { tag: 'a' });
  const b = makeCertificates(dir, { tag: 'b' });
  const junk = path.join(dir, 'junk.pem');
  writeFileSync(junk, 'not a certificate\n');
  const base = ['serve', '--listen', '127.0.0.1:0', '--listen-tls', '127.0.0.1:0', '--no-mcp', '--no-demo-agents', '--no-control', '--state-file', path.join(dir, 's.json'), '--warm-up', '0'];
  const cases: Array<[string, string[], RegExp]> = [
    ['no certificate', [], /--listen-tls and --listen-https need --tls-cert FILE and --tls-key FILE/],
    ['a missing certificate file', ['--tls-cert', path.join(dir, 'nope.pem'), '--tls-key', a.key], /--tls-cert .*nope\.pem: no such file/],
    ['a certificate file that is not PEM', ['--tls-cert', junk, '--tls-key', a.key], /--tls-cert .*junk\.pem: not a PEM certificate/],
    ['a key file that is not PEM', ['--tls-cert', a.cert, '--tls-key', junk], /--tls-key .*junk\.pem: not a PEM private key/],
    ['the key of another certificate', ['--tls-cert', a.cert, '--tls-key', b.key], /--tls-key .*b-key\.pem does not match the certificate in .*a-cert\.pem/],
  ];
  for (const [what, args, message] of cases) {
    const r = await aop([...base, ...args]);
    t.equal(r.code, 1, `${what}: exit 1`);
    t.match(r.stderr, message, `${what}: said`);
  }
  const r = await aop(['serve', '--listen', '127.0.0.1:0', '--tls-cert', a.cert, '--tls-key', a.key, '--no-mcp', '--no-demo-agents', '--no-control', '--state-file', path.join(dir, 's.json')]);
  t.equal(r.code, 1, 'a certificate with no TLS listener is a mistake');
  t.match(r.stderr, /--tls-cert and --tls-key are for --listen-tls or --listen-https/);
});

t.test('SIGHUP reloads the certificate; a broken one keeps the old', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = tmp(t);
  const lease = await leaseNet(t);
  const host = lease.host(1);
  const a = makeCertificates(dir, { tag: 'a', ips: [host] });
  const b = makeCertificates(dir, { tag: 'b', ips: [host] });
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  copyFileSync(a.cert, cert);
  copyFileSync(a.key, key);
  const child = spawn(process.execPath, [bin, 'serve', '--listen', `${host}:5300`, '--listen-tls', `${host}:8853`, '--listen-https', `${host}:8443`,
    '--tls-cert', cert, '--tls-key', key, '--no-mcp', '--no-demo-agents', '--no-control', '--state-file', path.join(dir, 's.json'), '--log-level', 'info'],
  { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { child.kill('SIGKILL'); });
  await waitFor(() => /listening on .*8443.*\(https\)/.test(log), 'aop serve listening', { timeoutMs: 30_000, detail: () => log });
  t.equal(await dotFingerprint(host, 8853), fp(a.cert), 'DoT shows certificate a');
  t.equal(await dohFingerprint(host, 8443), fp(a.cert), 'DoH shows certificate a');

  writeFileSync(cert, 'broken\n');
  child.kill('SIGHUP');
  await waitFor(() => /tls: reload failed, keeping the certificate in service: --tls-cert .*cert\.pem: not a PEM certificate/.test(log), 'the failed reload logged', { detail: () => log });
  t.equal(await dotFingerprint(host, 8853), fp(a.cert), 'after a broken reload, DoT still shows a');
  t.equal(await dohFingerprint(host, 8443), fp(a.cert), 'and DoH');
  const q = encodeQuery('writer.acme.agents', RRType.SVCB, { id: 9, rd: false });
  const ok = await dotExchange({ address: host, port: 8853, tls: { ca: readFileSync(a.ca) } }, q);
  t.equal(ok.message.answers.length, 3, 'and answers, verified against CA a');

  copyFileSync(b.cert, cert);
  copyFileSync(b.key, key);
  child.kill('SIGHUP');
  await waitFor(() => /tls: reloaded; certificate/.test(log), 'the reload logged', { detail: () => log });
  t.equal(await dotFingerprint(host, 8853), fp(b.cert), 'DoT now shows certificate b');
  t.equal(await dohFingerprint(host, 8443), fp(b.cert), 'DoH too');
  const now = await dotExchange({ address: host, port: 8853, tls: { ca: readFileSync(b.ca) } }, q);
  t.equal(now.message.answers.length, 3, 'verified against CA b');
  await t.rejects(dotExchange({ address: host, port: 8853, tls: { ca: readFileSync(a.ca) } }, q), { code: 'ERR_TRANSPORT_TLS_CERT' }, 'CA a no longer fits');
});
