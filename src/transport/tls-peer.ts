// How a DoT or DoH client checks the server it connects to: the certificate must chain to the
// given CA (or the system roots) and carry the expected name, or the connection is refused with
// ERR_TRANSPORT_TLS_CERT saying why; no query is sent to a server that did not prove itself.

import { isIP } from 'node:net';
import tls from 'node:tls';
import { TransportError, type Endpoint, type TransportKind } from './errors.js';

export interface TlsPeer {
  /** The name the certificate must be for (and the SNI sent); default the address (an IP subjectAltName). */
  name?: string;
  /** PEM CA certificate(s) to trust instead of the system roots. */
  ca?: string | Buffer;
}

/** tls.connect's options for `peer` at `server`. */
export function tlsConnectOptions(server: Endpoint, peer: TlsPeer | undefined): tls.ConnectionOptions {
  const name = peer?.name?.replace(/\.$/, '');
  return {
    host: server.address,
    port: server.port,
    // SNI carries host names only (RFC 6066 3); an IP literal is checked against IP subjectAltNames.
    ...(name !== undefined && isIP(name) === 0 ? { servername: name } : {}),
    ...(peer?.ca !== undefined ? { ca: peer.ca } : {}),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name ?? server.address, cert),
  };
}

/** OpenSSL's and Node's verification failures: the certificate, not the network. */
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME|SIGNATURE_FAILURE|CHAIN/;

/** A TLS-level failure as a TransportError: ERR_TRANSPORT_TLS_CERT when the certificate was refused. */
export function tlsFailure(err: NodeJS.ErrnoException, transport: TransportKind, server: Endpoint, peer: TlsPeer | undefined): TransportError {
  const a = server.address.includes(':') ? `[${server.address}]` : server.address;
  const at = `${transport} ${a}:${server.port}`;
  if (err.code !== undefined && CERT_CODES.test(err.code)) {
    const expected = peer?.name ?? server.address;
    return new TransportError('ERR_TRANSPORT_TLS_CERT',
      `${at}: certificate refused (${err.code}: ${err.message}); expected a certificate for ${expected} from ${peer?.ca !== undefined ? 'the given CA' : 'the system roots'}`,
      { cause: err, transport, server });
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPROTO' || /ssl|tls|alert/i.test(err.message)) {
    return new TransportError('ERR_TRANSPORT_TLS', `${at}: TLS handshake failed: ${err.message}`, { cause: err, transport, server });
  }
  return new TransportError('ERR_TRANSPORT_NETWORK', `${at}: ${err.message}`, { cause: err, transport, server });
}
