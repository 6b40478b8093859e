// The encrypted listeners of one daemon: DoT (tls-listener.ts) and DoH (doh-listener.ts) on their
// addresses, sharing one certificate that SIGHUP reloads (a bad new pair keeps the old, logged).

import { DohListener, DOH_PATH } from './doh-listener.js';
import { AddressInUseError, formatListen, type ListenAddress } from './listen.js';
import type { Logger } from '../base/log.js';
import type { Responder } from './respond.js';
import type { Stats } from './stats.js';
import { describeMaterial, TlsCertificate, type TlsFiles } from './tls-certificate.js';
import { TlsListener } from './tls-listener.js';
import type { TcpOptions } from './transport.js';

export interface EncryptedConfig {
  /** DNS over TLS addresses (RFC 7858). */
  tls: ListenAddress[];
  /** DNS over HTTPS addresses (RFC 8484). */
  https: ListenAddress[];
  files: TlsFiles;
  /** The DoH path; default /dns-query. */
  httpsPath?: string;
}

export class EncryptedListeners {
  readonly dot: TlsListener[] = [];
  readonly doh: DohListener[] = [];
  private certificate?: TlsCertificate;

  constructor(private readonly config: EncryptedConfig, private readonly log: Logger) {}

  /** Read the certificate (TlsCertificateError) and bind every address, held (AddressInUseError). */
  async open(responder: Responder, stats: Stats, tcp: TcpOptions): Promise<void> {
    const cert = new TlsCertificate(this.config.files);
    this.certificate = cert;
    this.log.info(`tls: ${describeMaterial(cert.material)}`);
    const bind = async (addr: ListenAddress, start: () => Promise<void>): Promise<void> => {
      try {
        await start();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new AddressInUseError(addr, 'tcp', { cause: err });
        throw err;
      }
    };
    for (const addr of this.config.tls) {
      const l = new TlsListener(addr, responder, stats, cert, tcp, this.log);
      this.dot.push(l);
      await bind(addr, () => l.start({ hold: true }));
    }
    for (const addr of this.config.https) {
      const l = new DohListener(addr, responder, cert, tcp, { path: this.config.httpsPath ?? DOH_PATH });
      this.doh.push(l);
      await bind(addr, () => l.start({ hold: true }));
    }
  }

  release(): void {
    for (const l of this.dot) {
      l.release();
      this.log.info(`listening on ${formatListen(l.address)} (tls)`);
    }
    for (const l of this.doh) {
      l.release();
      this.log.info(`listening on https://${formatListen(l.address)}${this.config.httpsPath ?? DOH_PATH} (https)`);
    }
  }

  /** Read the certificate files again (SIGHUP); on failure the pair in service stays, and the log says why. */
  reloadCertificate(): boolean {
    if (!this.certificate) return false;
    const r = this.certificate.reload();
    if (r.ok) this.log.info(`tls: reloaded; ${describeMaterial(r.material)}`);
    else this.log.error(`tls: reload failed, keeping the certificate in service: ${r.error.message}`);
    return r.ok;
  }

  async close(): Promise<void> {
    await Promise.all([...this.dot.splice(0).map((l) => l.close()), ...this.doh.splice(0).map((l) => l.close())]);
  }
}
