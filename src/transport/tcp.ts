// One query over TCP: connect, send one framed message, read until the matching reply, close.

import net from 'node:net';
import { runAttempt, where, type AttemptContext } from './attempt.js';
import { TransportError } from './errors.js';
import { FrameDecoder, frameMessage } from './framing.js';
import { checkReply, type Expected } from './match.js';
import { trackSocket } from './stats.js';
import type { AttemptResult } from './udp.js';

/** Errors that mean the peer closed on us after the connection was up. */
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Send `query` over a new TCP connection. The attempt's timeout covers the connect too (the
 * timeout error says which stage it was in). The reply may come in any chunking; replies that do
 * not match are counted and skipped as on UDP. We close as soon as we have the answer (RFC 7766
 * 6.2.1: the client closes). A peer that closes first, cleanly or with a reset, before a whole
 * matching reply gives ERR_TRANSPORT_TCP_CLOSED; failures to connect give ERR_TRANSPORT_NETWORK.
 */
export function tcpAttempt(ctx: AttemptContext, query: Buffer, expected: Expected): Promise<AttemptResult> {
  const { server, stats } = ctx;
  let connected = false;
  const framed = frameMessage(query);
  return runAttempt<AttemptResult>(ctx,
    () => connected ? `no reply from ${where(ctx)} within ${ctx.timeout} ms` : `no TCP connection to ${where(ctx)} within ${ctx.timeout} ms`,
    (settle) => {
      stats.tcpQueries++;
      const sock = net.connect({ host: server.address, port: server.port });
      trackSocket(1);
      sock.once('close', () => trackSocket(-1));
      settle.defer(() => sock.destroy());
      const closed = (why: string, cause?: unknown): TransportError =>
        new TransportError('ERR_TRANSPORT_TCP_CLOSED', `${where(ctx)} closed the connection ${why}`, { cause, transport: 'tcp', server });
      sock.on('error', (err: NodeJS.ErrnoException) => {
        if (connected && err.code !== undefined && CLOSED.has(err.code)) settle.fail(closed('before a full reply', err));
        else settle.fail(new TransportError('ERR_TRANSPORT_NETWORK', `${where(ctx)}: ${err.message}`, { cause: err, transport: 'tcp', server }));
      });
      sock.once('connect', () => {
        connected = true;
        sock.setNoDelay(true);
        sock.write(framed);
        stats.sent++;
      });
      const decoder = new FrameDecoder();
      sock.on('data', (chunk: Buffer) => {
        for (const reply of decoder.push(chunk)) {
          if (settle.done) return;
          const verdict = checkReply(reply, expected);
          if (verdict.kind === 'ignore') {
            stats.mismatched++;
          } else if (verdict.kind === 'bad' || (verdict.kind === 'truncated' && !verdict.message)) {
            settle.fail(new TransportError('ERR_TRANSPORT_BAD_REPLY', `undecodable reply from ${where(ctx)}: ${(verdict.error as Error).message}`,
              { cause: verdict.error, transport: 'tcp', server, reply }));
          } else {
            // TC over TCP means the answer did not fit even in 64 KiB: the caller gets it as it is.
            stats.received++;
            settle.ok({ reply, message: verdict.message, truncated: verdict.kind === 'truncated' });
          }
        }
      });
      sock.on('end', () => {
        const part = decoder.pending > 0 ? `after ${decoder.pending} bytes of a reply` : 'before replying';
        settle.fail(closed(part));
      });
      sock.on('close', () => settle.fail(closed('before a full reply')));
    });
}
