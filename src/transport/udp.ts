// One query over UDP: a fresh connected socket on a kernel-chosen random port, RFC 5452 matching.

import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Message } from '../wire/message.js';
import { runAttempt, where, type AttemptContext, type Settle } from './attempt.js';
import { literalLookup } from './literal-lookup.js';
import { TransportError } from './errors.js';
import { checkReply, type Expected } from './match.js';
import { trackSocket } from './stats.js';
import { loadUdpBatch, type UdpBatchNative } from './native-udp.js';

export interface AttemptResult {
  reply: Buffer;
  /** Absent only for a TC=1 UDP reply that does not decode (the caller retries over TCP). */
  message: Message | undefined;
  truncated: boolean;
}

/**
 * Send `query` and wait for the matching reply.
 *
 * The socket is bound to port 0 and connect()ed to the server. On Linux an ephemeral UDP port is
 * drawn at random from ip_local_port_range (32768-60999 by default, about 28k ports), which with
 * the random 16-bit ID gives the ~30 bits RFC 5452 section 9.2 asks for; picking ports ourselves
 * would add nothing but EADDRINUSE retries. Connecting makes the kernel drop datagrams from any
 * other address or port before we see them (the check below stays as a second line) and reports
 * ICMP port/host unreachable as ECONNREFUSED/EHOSTUNREACH, so a dead port fails at once
 * instead of at the timeout (Unbound's udp-connect does the same).
 */
export function udpAttempt(ctx: AttemptContext, query: Buffer, expected: Expected, mode: UpstreamUdp = 'auto'): Promise<AttemptResult> {
  const native = mode === 'dgram' ? undefined : loadUdpBatch().native;
  return native ? nativeAttempt(native, ctx, query, expected) : dgramAttempt(ctx, query, expected);
}

/**
 * Which socket code an upstream UDP query uses (ExchangeOptions.udp): `auto` is the native module
 * where it was built, `dgram` node:dgram always (the daemon passes it with --udp-io dgram).
 */
export type UpstreamUdp = 'auto' | 'dgram';

/**
 * The same exchange on the native module: socket, connect (a random ephemeral port, the kernel's
 * source filter), send and the reply's wait all in C, one JavaScript call per reply. What is
 * checked and counted is what dgramAttempt checks and counts.
 */
function nativeAttempt(native: UdpBatchNative, ctx: AttemptContext, query: Buffer, expected: Expected): Promise<AttemptResult> {
  const { server, stats } = ctx;
  return runAttempt<AttemptResult>(ctx, () => `no reply from ${where(ctx)} within ${ctx.timeout} ms`, (settle) => {
    const networkError = (err: unknown): TransportError =>
      new TransportError('ERR_TRANSPORT_NETWORK', `${where(ctx)}: ${(err as Error).message}`, { cause: err, transport: 'udp', server });
    let id: number;
    try {
      id = native.exchange(isIP(server.address) === 6 ? 6 : 4, server.address, server.port, query, (err, reply) => {
        if (settle.done) return;
        if (err !== null) {
          settle.fail(networkError(Object.assign(new Error(`${err === 'ECONNREFUSED' ? 'connection refused' : 'unreachable'} (${err})`), { code: err })));
          return;
        }
        settleOnReply(ctx, settle, reply!, expected);
      });
    } catch (err) {
      settle.fail(networkError(err));
      return;
    }
    stats.sent++;
    trackSocket(1);
    settle.defer(() => {
      native.closeExchange(id);
      trackSocket(-1);
    });
  });
}

/** A datagram from the server: the answer (or TC=1), an undecodable reply, or one to ignore (RFC 5452 matching). */
function settleOnReply(ctx: AttemptContext, settle: Settle<AttemptResult>, reply: Buffer, expected: Expected): void {
  const verdict = checkReply(reply, expected);
  switch (verdict.kind) {
    case 'ignore':
      ctx.stats.mismatched++;
      return;
    case 'bad':
      settle.fail(new TransportError('ERR_TRANSPORT_BAD_REPLY', `undecodable reply from ${where(ctx)}: ${(verdict.error as Error).message}`,
        { cause: verdict.error, transport: 'udp', server: ctx.server, reply }));
      return;
    case 'truncated':
    case 'accept':
      ctx.stats.received++;
      settle.ok({ reply, message: verdict.message, truncated: verdict.kind === 'truncated' });
  }
}

function dgramAttempt(ctx: AttemptContext, query: Buffer, expected: Expected): Promise<AttemptResult> {
  const { server, stats } = ctx;
  return runAttempt<AttemptResult>(ctx, () => `no reply from ${where(ctx)} within ${ctx.timeout} ms`, (settle) => {
    const v6 = isIP(server.address) === 6;
    const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', lookup: literalLookup });
    trackSocket(1);
    sock.once('close', () => trackSocket(-1));
    settle.defer(() => sock.close());
    const networkError = (err: unknown): TransportError =>
      new TransportError('ERR_TRANSPORT_NETWORK', `${where(ctx)}: ${(err as Error).message}`, { cause: err, transport: 'udp', server });
    // Stays attached after the attempt ends, so a late error cannot become an uncaught exception.
    sock.on('error', (err) => settle.fail(networkError(err)));
    let peer: { address: string; port: number } | undefined;
    sock.on('message', (reply, rinfo) => {
      if (settle.done) return;
      if (!peer || rinfo.address !== peer.address || rinfo.port !== peer.port) {
        stats.mismatched++;
        return;
      }
      settleOnReply(ctx, settle, reply, expected);
    });
    sock.connect(server.port, server.address, (err?: Error) => {
      if (settle.done) return;
      if (err) {
        settle.fail(networkError(err));
        return;
      }
      // An IPv4 literal that isIP accepts is already in the form the kernel reports; an IPv6
      // one may not be (zeros, case), so that is read back.
      if (v6) {
        const remote = sock.remoteAddress();
        peer = { address: remote.address, port: remote.port };
      } else {
        peer = { address: server.address, port: server.port };
      }
      sock.send(query, (sendErr) => {
        if (sendErr) settle.fail(networkError(sendErr));
      });
      stats.sent++;
    });
  });
}
