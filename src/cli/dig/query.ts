// Building dig's query from the options and sending it with dig's retry rules (+tries, +time,
// +tcp, +ignore), reporting each failed attempt the way dig words it.

import { AopError } from '../../base/errors.js';
import { randomInt } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { exchange, TransportError, type ExchangeResult } from '../../transport/index.js';
import { dotExchange } from '../../transport/dot.js';
import { dohExchange } from '../../transport/doh.js';
import type { TlsPeer } from '../../transport/tls-peer.js';
import { encodeMessage, newMessage } from '../../wire/message.js';
import { DigUsageError, type DigOptions } from './args.js';

export interface Question {
  name: string;
  type: number;
  cls: number;
}

/** Query bytes as dig would send them (RD and AD set by default, EDNS 0 with 1232 bytes). */
export function buildQuery(o: DigOptions, q: Question, id: number = randomInt(0, 0x10000)): Buffer {
  const msg = newMessage({
    id, rd: o.rd, ad: o.ad, cd: o.cd, aa: o.aa,
    questions: [{ name: q.name, type: q.type, class: q.cls }],
  });
  // +dnssec needs an OPT record to carry DO, even after +noedns (dig does the same).
  if (o.edns !== false || o.dnssec) {
    msg.edns = {
      udpSize: o.bufsize, version: o.edns === false ? 0 : o.edns, dnssecOk: o.dnssec, extendedRcode: 0, flags: 0,
      options: o.nsid ? [{ code: 3, data: Buffer.alloc(0) }] : [],
    };
  }
  return encodeMessage(msg);
}

/** dig's words for a failed attempt: `timed out`, `connection refused`... */
export function failureText(err: unknown): string {
  if (!(err instanceof TransportError)) return err instanceof Error ? err.message : String(err);
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  switch (err.code) {
    case 'ERR_TRANSPORT_TIMEOUT': return 'timed out';
    case 'ERR_TRANSPORT_TLS_CERT':
    case 'ERR_TRANSPORT_TLS':
    case 'ERR_TRANSPORT_HTTP': return `${err.message} [${err.code}]`;
    case 'ERR_TRANSPORT_TCP_CLOSED': return 'end of file';
    case 'ERR_TRANSPORT_BAD_REPLY': return `bad reply: ${(cause as Error | undefined)?.message ?? err.message}`;
    case 'ERR_TRANSPORT_NETWORK':
      switch (cause?.code) {
        case 'ECONNREFUSED': return 'connection refused';
        case 'EHOSTUNREACH': return 'host unreachable';
        case 'ENETUNREACH': return 'network unreachable';
        case 'ECONNRESET': return 'connection reset';
        default: return cause?.message ?? err.message;
      }
    default:
      return err.message;
  }
}

/** Errors that another attempt, or another server, might not have. */
export function isRetryable(err: unknown): boolean {
  return err instanceof TransportError
    && (err.code === 'ERR_TRANSPORT_TIMEOUT' || err.code === 'ERR_TRANSPORT_NETWORK' || err.code === 'ERR_TRANSPORT_TCP_CLOSED' || err.code === 'ERR_TRANSPORT_BAD_REPLY');
}

export interface Attempt {
  /** `127.0.0.1#53` */
  server: string;
  reason: string;
}

export interface AskResult {
  result?: ExchangeResult;
  /** Every failed attempt, in order (dig's ";; communications error to ..." lines). */
  failures: Attempt[];
}

/** The port dig uses when -p is not given: 853 for +tls, 443 for +https, else 53. */
export function defaultPort(o: Pick<DigOptions, 'tls' | 'https'>): number {
  return o.https ? 443 : o.tls ? 853 : 53;
}

/**
 * How +tls/+https check the server: against +tls-ca (else the system roots), for +tls-hostname,
 * else the @server as given (a host name or an address), else the address asked.
 */
export function tlsPeer(o: Pick<DigOptions, 'tlsCa' | 'tlsHostname' | 'server'>): TlsPeer {
  let ca: Buffer | undefined;
  if (o.tlsCa !== undefined) {
    try {
      ca = readFileSync(o.tlsCa);
    } catch (err) {
      throw new DigUsageError(`+tls-ca=${o.tlsCa}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new DigUsageError(`+tls-ca=${o.tlsCa}: no PEM certificate in it`);
  }
  const name = o.tlsHostname ?? o.server;
  return { ...(name !== undefined ? { name } : {}), ...(ca ? { ca } : {}) };
}

/** One exchange over the transport the options choose. */
function send(address: string, port: number, wire: Buffer, o: Pick<DigOptions, 'tcp' | 'ignore' | 'time' | 'tls' | 'https'>, peer: TlsPeer | undefined): Promise<ExchangeResult> {
  const timeout = o.time * 1000;
  if (o.https) return dohExchange({ address, port, tls: peer ?? {} }, wire, { timeout, method: o.https.method, path: o.https.path });
  if (o.tls) return dotExchange({ address, port, tls: peer ?? {} }, wire, { timeout });
  return exchange({ address, port }, wire, { tcp: o.tcp, ignoreTc: o.ignore, timeout });
}

/**
 * Send `wire` to one server, up to `o.tries` times while attempts fail (UDP, or TCP with +tcp,
 * or TLS/HTTPS). Resolves with the reply or with the failures; rejects only on errors retrying
 * cannot fix (a refused certificate, an HTTP error status).
 */
export async function askServer(address: string, port: number, wire: Buffer, o: Pick<DigOptions, 'tcp' | 'ignore' | 'time' | 'tries' | 'tls' | 'https'>, peer?: TlsPeer): Promise<AskResult> {
  const failures: Attempt[] = [];
  for (let i = 0; i < o.tries; i++) {
    try {
      const result = await send(address, port, wire, o, peer);
      return { result, failures };
    } catch (err) {
      if (!isRetryable(err)) throw err;
      failures.push({ server: `${address}#${port}`, reason: failureText(err) });
    }
  }
  return { failures };
}

/** Addresses of `@server`: the literal itself, or the host name looked up by the system resolver. */
export async function serverAddresses(server: string, family?: 4 | 6): Promise<string[]> {
  const kind = isIP(server);
  if (kind !== 0) {
    if (family !== undefined && kind !== family) throw new ServerLookupError(`server ${server} is not an IPv${family} address (-${family})`);
    return [server];
  }
  let found: Array<{ address: string; family: number }>;
  try {
    found = await lookup(server, { all: true, family: family ?? 0 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ServerLookupError(`couldn't get address for '${server}': ${code === 'ENOTFOUND' ? 'not found' : (err as Error).message}`);
  }
  if (found.length === 0) throw new ServerLookupError(`couldn't get address for '${server}': not found`);
  return found.map((a) => a.address);
}

export class ServerLookupError extends AopError {
  declare readonly code: 'ERR_DIG_SERVER';
  constructor(message: string) {
    super('ERR_DIG_SERVER', message);
  }
}
