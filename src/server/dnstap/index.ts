// dnstap output for the daemon: where it goes (a collector's unix socket or a file), the tap
// the listeners call, and the wrapper that logs the resolver's upstream queries.

import { AopError } from '../../base/errors.js';
import { query as transportQuery, type ExchangeResult, type QueryOptions, type Server } from '../../transport/index.js';
import type { Question } from '../../wire/message.js';
import type { Logger } from '../../base/log.js';
import type { Stats } from '../stats.js';
import { wallClock } from '../tap.js';
import { DnstapTap, type DnstapOptions } from './dnstap.js';
import { DNSTAP_CONTENT_TYPE } from './schema.js';
import { FileWriter, UnixWriter, type WriterOptions } from './writer.js';

export { DnstapTap, type DnstapOptions } from './dnstap.js';
export { decodeTap } from './message.js';
export { UnixWriter, FileWriter } from './writer.js';

export interface DnstapConfig extends Omit<DnstapOptions, 'log'>, Omit<WriterOptions, 'contentType' | 'log'> {
  /** `unix`: a collector listening on a socket (fstrm_capture -u); `file`: a Frame Streams file. */
  kind: 'unix' | 'file';
  path: string;
}

export class DnstapTargetError extends AopError {
  declare readonly code: 'ERR_DNSTAP_TARGET';
  constructor(message: string) {
    super('ERR_DNSTAP_TARGET', message);
  }
}

/** `unix:/path` or `file:/path` (a bare absolute path is a unix socket, as Unbound's dnstap-socket-path). */
export function parseDnstapTarget(text: string): { kind: 'unix' | 'file'; path: string } {
  const m = /^(unix|file):(.*)$/.exec(text);
  const kind = m ? (m[1] as 'unix' | 'file') : 'unix';
  const path = m ? m[2]! : text.startsWith('/') ? text : '';
  if (path === '') throw new DnstapTargetError(`--dnstap '${text}': want unix:/path/to/collector.sock or file:/path/to/capture.fstrm`);
  // sun_path holds 107 bytes and a NUL on Linux; a longer path fails at every connect.
  if (kind === 'unix' && Buffer.byteLength(path) > 107) throw new DnstapTargetError(`--dnstap '${text}': a unix socket path is at most 107 bytes`);
  return { kind, path };
}

/** The tap and its writer, started (a unix writer is connecting). */
export function openDnstap(c: DnstapConfig, stats: Stats, log: Logger): DnstapTap {
  const w: WriterOptions = { contentType: DNSTAP_CONTENT_TYPE, log, queueSize: c.queueSize, reconnectMinMs: c.reconnectMinMs, reconnectMaxMs: c.reconnectMaxMs, handshakeTimeoutMs: c.handshakeTimeoutMs };
  const writer = c.kind === 'unix' ? new UnixWriter(c.path, w) : new FileWriter(c.path, w);
  log.info(`dnstap: ${c.kind === 'unix' ? 'to the collector at' : 'writing'} ${c.path}${c.upstream ? ', with the resolver\'s upstream queries' : ''}`);
  return new DnstapTap(writer, stats, { identity: c.identity, version: c.version, upstream: c.upstream, dropReportMs: c.dropReportMs, log });
}

/** The resolver's transport, with each exchange that got a reply told to the tap (RESOLVER_QUERY/RESPONSE). */
export function tappedQuery(tap: DnstapTap, inner: (server: Server, q: Question, opts: QueryOptions) => Promise<ExchangeResult> = transportQuery) {
  return async (server: Server, q: Question, opts: QueryOptions): Promise<ExchangeResult> => {
    const t0 = wallClock();
    const r = await inner(server, q, opts);
    tap.resolverExchange(r, t0, wallClock());
    return r;
  };
}
