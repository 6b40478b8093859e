// `aop serve`'s encrypted-DNS options: DoT and DoH listeners with their certificate, and the CA
// that forwarders over DoT (`--forward tls://...`) are checked against.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Argv } from 'yargs';
import { DOH_PATH, DOH_PORT } from '../../server/doh-listener.js';
import type { EncryptedConfig } from '../../server/encrypted.js';
import { parseListen } from '../../server/listen.js';
import { loadTlsMaterial } from '../../server/tls-certificate.js';
import { DOT_PORT } from '../../server/tls-listener.js';
import type { Server } from '../../transport/index.js';
import type { TlsPeer } from '../../transport/tls-peer.js';
import { requireOnce, requirePath, UsageError } from '../common.js';

export interface TlsArgs {
  'listen-tls': string[];
  'listen-https': string[];
  'tls-cert'?: string;
  'tls-key'?: string;
  'https-path': string;
  'forward-tls-ca'?: string;
}

export function tlsOptions<T>(y: Argv<T>): Argv<T & TlsArgs> {
  return y
    .option('listen-tls', { type: 'string', array: true, default: [] as string[], describe: `DNS over TLS (RFC 7858) address, ADDR[:PORT] (port ${DOT_PORT} unless given); repeat for more. Needs --tls-cert and --tls-key` })
    .option('listen-https', { type: 'string', array: true, default: [] as string[], describe: `DNS over HTTPS (RFC 8484, HTTP/2 and HTTP/1.1) address, ADDR[:PORT] (port ${DOH_PORT} unless given); repeat for more` })
    .option('tls-cert', { type: 'string', describe: 'PEM certificate (chain) for --listen-tls and --listen-https; read again on SIGHUP' })
    .option('tls-key', { type: 'string', describe: 'PEM private key (unencrypted) of --tls-cert; read again on SIGHUP' })
    .option('https-path', { type: 'string', default: DOH_PATH, describe: 'The DoH endpoint path of --listen-https' })
    .option('forward-tls-ca', { type: 'string', describe: 'PEM CA certificate(s) that --forward tls://... servers must chain to (default: the system roots)' })
    .check((a) => {
      requireOnce(a as unknown as Record<string, unknown>, ['tls-cert', 'tls-key', 'https-path', 'forward-tls-ca'], {});
      for (const l of a['listen-tls']) parseListen(l, DOT_PORT);
      for (const l of a['listen-https']) parseListen(l, DOH_PORT);
      const listening = a['listen-tls'].length + a['listen-https'].length > 0;
      if (listening && (a['tls-cert'] === undefined || a['tls-key'] === undefined)) {
        throw new Error(`--listen-tls and --listen-https need --tls-cert FILE and --tls-key FILE (PEM)`);
      }
      if (!listening && (a['tls-cert'] !== undefined || a['tls-key'] !== undefined)) {
        throw new Error('--tls-cert and --tls-key are for --listen-tls or --listen-https; give one of those too');
      }
      if (listening) {
        requirePath('--tls-cert', a['tls-cert']!, 'file');
        requirePath('--tls-key', a['tls-key']!, 'file');
        // The whole pair now (PEM, key matches the certificate): a bad one is exit 1 with the file named.
        try {
          loadTlsMaterial({ cert: a['tls-cert']!, key: a['tls-key']! });
        } catch (err) {
          throw new UsageError('ERR_MISSING_FILE', (err as Error).message, { cause: err });
        }
      }
      if (!/^\/[\x21-\x7e]*$/.test(a['https-path']) || /[?#]/.test(a['https-path'])) throw new Error(`--https-path '${a['https-path']}' must be a URL path starting with /, without ? or #`);
      if (a['forward-tls-ca'] !== undefined) {
        requirePath('--forward-tls-ca', a['forward-tls-ca'], 'file');
        if (!readFileSync(a['forward-tls-ca'], 'utf8').includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--forward-tls-ca ${a['forward-tls-ca']}: no PEM certificate in it`);
      }
      return true;
    }) as unknown as Argv<T & TlsArgs>;
}

/** The daemon's encrypted-listener config, or undefined when none is asked for. */
export function encryptedConfig(a: TlsArgs): EncryptedConfig | undefined {
  if (a['listen-tls'].length + a['listen-https'].length === 0) return undefined;
  return {
    tls: a['listen-tls'].map((l) => parseListen(l, DOT_PORT)),
    https: a['listen-https'].map((l) => parseListen(l, DOH_PORT)),
    files: { cert: a['tls-cert']!, key: a['tls-key']! },
    httpsPath: a['https-path'],
  };
}

/** Whether a --forward value is a DoT one (`tls://`). */
export function isTlsForward(text: string): boolean {
  return text.toLowerCase().startsWith('tls://');
}

/**
 * `tls://ADDR[:PORT][#AUTH-NAME]` (Unbound's `addr@port#name`, in URL form): a DoT forwarder whose
 * certificate must be for AUTH-NAME (default: its address) and chain to `ca` (default: system roots).
 */
export function parseTlsForward(text: string, ca?: string): Server & { tls: TlsPeer } {
  const body = text.slice('tls://'.length);
  const hash = body.indexOf('#');
  const addr = hash < 0 ? body : body.slice(0, hash);
  const name = hash < 0 ? undefined : body.slice(hash + 1);
  let l;
  try {
    l = parseListen(addr, DOT_PORT);
  } catch {
    throw new Error(`--forward '${text}': want tls://ADDR[:PORT][#AUTH-NAME] with ADDR an IP address (brackets around IPv6 with a port)`);
  }
  if (l.port === 0) throw new Error(`--forward '${text}': port must be 1-65535`);
  if (name !== undefined && !(isIP(name) !== 0 || /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(name))) {
    throw new Error(`--forward '${text}': '${name}' is not a host name for the certificate check`);
  }
  return {
    address: l.host, port: l.port,
    tls: { ...(name !== undefined ? { name } : {}), ...(ca !== undefined ? { ca: readFileSync(ca) } : {}) },
  };
}
