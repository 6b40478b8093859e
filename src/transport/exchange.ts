// The client API: exchange() sends raw query bytes (UDP, then TCP on TC=1) and query() builds
// the query from a question. The resolver and the dig-style CLI both sit on these.

import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WireError } from '../wire/errors.js';
import { encodeQuery, type Message, type Question } from '../wire/message.js';
import type { AttemptContext } from './attempt.js';
import { TransportError, type Endpoint, type TransportKind } from './errors.js';
import { parseQuery } from './match.js';
import { transportStats, type TransportStats } from './stats.js';
import { tcpAttempt } from './tcp.js';
import { udpAttempt, type UpstreamUdp } from './udp.js';

export interface Server {
  /** An IPv4 or IPv6 address; host names are refused (the transport never resolves names). */
  address: string;
  /** Default 53. */
  port?: number;
}

export interface ExchangeOptions {
  signal?: AbortSignal;
  /** Milliseconds per attempt: the UDP exchange, and the TCP one after TC=1, each get this much. Default 1500. */
  timeout?: number;
  /** Use TCP only. */
  tcp?: boolean;
  /** Return a TC=1 UDP reply as it is instead of retrying over TCP (dig +ignore). */
  ignoreTc?: boolean;
  /** Counters to update; default the process-wide `transportStats`. */
  stats?: TransportStats;
  /**
   * Socket code for the UDP attempt: `auto` (default) is native/udp-batch's connected sockets
   * where the module was built, `dgram` is node:dgram always (the daemon's --udp-io dgram).
   */
  udp?: UpstreamUdp;
}

export interface ExchangeResult {
  /** The decoded reply. */
  message: Message;
  /** The query exactly as sent (dnstap's RESOLVER_QUERY). */
  query?: Buffer;
  /** The reply exactly as received. */
  reply: Buffer;
  transport: TransportKind;
  /** Milliseconds from the first send to the accepted reply, TCP fallback included. */
  rtt: number;
  server: Endpoint;
  /** Size of the reply in bytes. */
  bytes: number;
}

export interface QueryOptions extends ExchangeOptions {
  /** Recursion desired. Default true, as dig; the iterative resolver passes false. */
  rd?: boolean;
  /** EDNS(0) with this payload size (default 1232, the DNS flag day 2020 value), or false for none; `dnssecOk` sets DO (RFC 3225). */
  edns?: { udpSize: number; dnssecOk?: boolean } | false;
  /** Checking disabled (RFC 4035 3.2.2): a validating resolver asked this way hands over what it has. */
  cd?: boolean;
  /** Random source in [0, 1) for the query ID, for tests; default crypto.randomInt. */
  random?: () => number;
}

export const DEFAULT_TIMEOUT = 1500;
export const DEFAULT_UDP_SIZE = 1232;

function badOption(message: string): TransportError {
  return new TransportError('ERR_TRANSPORT_BAD_OPTION', message);
}

function checkServer(server: Server): Endpoint {
  if (typeof server !== 'object' || server === null || typeof server.address !== 'string' || isIP(server.address) === 0) {
    throw badOption(`server address ${JSON.stringify((server as Partial<Server> | null)?.address)} is not an IPv4 or IPv6 address`);
  }
  const port = server.port ?? 53;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw badOption(`server port ${String(port)} is not in 1..65535`);
  return { address: server.address, port };
}

function checkOptions(opts: ExchangeOptions): number {
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
  // setTimeout caps at 2^31-1 ms and turns anything larger into 1 ms.
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > 0x7fffffff) {
    throw badOption(`timeout ${String(timeout)} is not a number of milliseconds in 1..2147483647`);
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw badOption('signal is not an AbortSignal');
  if (opts.udp !== undefined && opts.udp !== 'auto' && opts.udp !== 'dgram') throw badOption(`udp ${JSON.stringify(opts.udp)} is not "auto" or "dgram"`);
  return timeout;
}

/**
 * Send a query given as wire bytes and return the matching reply: over UDP, retried over TCP when
 * the reply has TC=1 (unless `ignoreTc`), or over TCP only with `tcp`. TCP reuses the same bytes
 * and ID. Rejects with TransportError (see README.md for the codes).
 */
export async function exchange(server: Server, wireQuery: Buffer, opts: ExchangeOptions = {}): Promise<ExchangeResult> {
  const endpoint = checkServer(server);
  const timeout = checkOptions(opts);
  const expected = parseQuery(wireQuery);
  const stats = opts.stats ?? transportStats;
  const ctx = (transport: TransportKind): AttemptContext => ({ signal: opts.signal, timeout, transport, server: endpoint, stats });
  const started = performance.now();
  const result = (r: { reply: Buffer; message: Message }, transport: TransportKind): ExchangeResult =>
    ({ message: r.message, query: wireQuery, reply: r.reply, transport, rtt: performance.now() - started, server: endpoint, bytes: r.reply.length });

  if (!opts.tcp) {
    const r = await udpAttempt(ctx('udp'), wireQuery, expected, opts.udp ?? 'auto');
    if (r.message && (!r.truncated || opts.ignoreTc)) return result({ reply: r.reply, message: r.message }, 'udp');
    if (!r.message && opts.ignoreTc) {
      throw new TransportError('ERR_TRANSPORT_BAD_REPLY', `undecodable truncated reply from udp ${endpoint.address}:${endpoint.port}`,
        { transport: 'udp', server: endpoint, reply: r.reply });
    }
    stats.tcpFallbacks++;
  }
  const r = await tcpAttempt(ctx('tcp'), wireQuery, expected);
  // tcpAttempt never resolves without a message; the check keeps the types honest.
  if (!r.message) throw new TransportError('ERR_TRANSPORT_BAD_REPLY', 'undecodable TCP reply', { transport: 'tcp', server: endpoint, reply: r.reply });
  return result({ reply: r.reply, message: r.message }, 'tcp');
}

/** Build a query for `question` (cryptographically random ID) and exchange it. */
export async function query(server: Server, question: Question, opts: QueryOptions = {}): Promise<ExchangeResult> {
  const { name, type, class: cls } = question ?? {};
  if (typeof name !== 'string') throw new TransportError('ERR_TRANSPORT_BAD_QUERY', 'the question has no name');
  for (const [what, v] of [['type', type], ['class', cls]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new TransportError('ERR_TRANSPORT_BAD_QUERY', `question ${what} ${String(v)} is not in 0..65535`);
  }
  let udpSize = DEFAULT_UDP_SIZE;
  if (opts.edns) {
    udpSize = opts.edns.udpSize;
    // RFC 6891 6.2.5: values under 512 are treated as 512, so asking for less is a mistake.
    if (!Number.isInteger(udpSize) || udpSize < 512 || udpSize > 65535) throw badOption(`EDNS UDP size ${String(udpSize)} is not in 512..65535`);
  }
  if (opts.random !== undefined && typeof opts.random !== 'function') throw badOption('random is not a function');
  const id = opts.random ? Math.floor(opts.random() * 0x10000) & 0xffff : randomInt(0, 0x10000);
  let wire: Buffer;
  try {
    const dnssecOk = opts.edns ? opts.edns.dnssecOk === true : false;
    wire = encodeQuery(name, type, { id, rd: opts.rd ?? true, ...(opts.cd ? { cd: true } : {}), edns: opts.edns === false ? false : { udpSize, ...(dnssecOk ? { dnssecOk } : {}) }, cls });
  } catch (err) {
    if (err instanceof WireError) throw new TransportError('ERR_TRANSPORT_BAD_QUERY', `cannot encode the query: ${err.message}`, { cause: err });
    throw err;
  }
  return exchange(server, wire, opts);
}
