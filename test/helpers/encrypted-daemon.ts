// A daemon in-process with UDP/TCP, DoT and DoH listeners on loopback (ports picked by the
// system) and a certificate made for the test (tls-cert.ts), stopped at teardown.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Daemon, type DaemonOptions } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { makeCertificates, type TestCertificates } from './tls-cert.js';

export interface EncryptedDaemon {
  daemon: Daemon;
  udp: number;
  dot: number;
  doh: number;
  certs: TestCertificates;
  dir: string;
}

export async function startEncryptedDaemon(t: { teardown(fn: () => unknown): void }, opts: Partial<DaemonOptions> = {}, host = '127.0.0.1'): Promise<EncryptedDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-enc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const certs = makeCertificates(dir, { ips: [host] });
  const any = parseListen(`${host}:0`);
  const daemon = new Daemon({
    listen: [any], ...opts,
    encrypted: { tls: [any], https: [any], files: { cert: certs.cert, key: certs.key }, ...opts.encrypted },
  });
  await daemon.start();
  t.teardown(() => daemon.close());
  return { daemon, udp: daemon.listeners[0]!.address.port, dot: daemon.encrypted!.dot[0]!.address.port, doh: daemon.encrypted!.doh[0]!.address.port, certs, dir };
}
