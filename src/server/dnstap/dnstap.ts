// The dnstap tap: each answered query becomes a query and a response message (AUTH_* when the
// answer is authoritative or no recursion was offered, CLIENT_* when the server recursed for the
// client: RA=1 and AA=0), and with `upstream` each of the resolver's queries a RESOLVER_QUERY and
// RESOLVER_RESPONSE. Messages go to a Frame Streams writer's bounded queue; what it refuses
// (collector absent or slow) is counted in the server stats and said in one line per period.

import { hostname } from 'node:os';
import type { ExchangeResult } from '../../transport/index.js';
import { silentLogger, type Logger } from '../../base/log.js';
import type { Stats } from '../stats.js';
import type { Exchange, Tap } from '../tap.js';
import { encodeTap, type TapEvent } from './message.js';
import { MessageType } from './schema.js';
import type { FrameWriter } from './writer.js';

export interface DnstapOptions {
  /** The identity field (default the host name); '' leaves it out. */
  identity?: string;
  /** The version field (default `aop VERSION`); '' leaves it out. */
  version?: string;
  /** Also log the resolver's upstream queries (RESOLVER_QUERY/RESOLVER_RESPONSE). */
  upstream?: boolean;
  /** One line about drops per this many ms at most. Default 60 000. */
  dropReportMs?: number;
  log?: Logger;
}

const AA = 0x04;
const RA = 0x80;

export class DnstapTap implements Tap {
  private readonly identity: Buffer | undefined;
  private readonly version: Buffer | undefined;
  private readonly log: Logger;
  private dropsSinceReport = 0;
  private reportTimer?: NodeJS.Timeout;
  readonly upstream: boolean;

  constructor(readonly writer: FrameWriter, private readonly stats: Stats, private readonly opts: DnstapOptions = {}) {
    const id = opts.identity ?? hostname();
    const ver = opts.version ?? 'aop';
    this.identity = id === '' ? undefined : Buffer.from(id, 'utf8');
    this.version = ver === '' ? undefined : Buffer.from(ver, 'utf8');
    this.log = opts.log ?? silentLogger;
    this.upstream = opts.upstream ?? false;
  }

  answered(e: Exchange): void {
    // A writer that would refuse them costs no encoding: the pair is counted as dropped.
    if (!this.writer.accepting) {
      this.dropped(e.response ? 2 : 1);
      return;
    }
    const recursed = e.response !== undefined && e.response.length >= 4 && (e.response[3]! & RA) !== 0 && (e.response[2]! & AA) === 0;
    const base = {
      protocol: e.transport, queryAddress: e.clientAddress, queryPort: e.clientPort,
      responseAddress: e.localAddress, responsePort: e.localPort, queryTime: e.queryTime,
    };
    this.send({ ...base, type: recursed ? MessageType.CLIENT_QUERY : MessageType.AUTH_QUERY, queryMessage: e.query });
    if (e.response) {
      this.send({ ...base, type: recursed ? MessageType.CLIENT_RESPONSE : MessageType.AUTH_RESPONSE, responseTime: e.responseTime, responseMessage: e.response });
    }
  }

  /** One upstream exchange of the resolver, after its reply (a query that got none is not logged). */
  resolverExchange(r: ExchangeResult, queryTime: number, responseTime: number): void {
    if (!this.writer.accepting) {
      this.dropped(2);
      return;
    }
    const base = {
      protocol: r.transport, queryAddress: '', queryPort: 0,
      responseAddress: r.server.address, responsePort: r.server.port, queryTime,
    };
    this.send({ ...base, type: MessageType.RESOLVER_QUERY, ...(r.query ? { queryMessage: r.query } : {}) });
    this.send({ ...base, type: MessageType.RESOLVER_RESPONSE, responseTime, responseMessage: r.reply });
  }

  private send(e: TapEvent): void {
    if (this.writer.write(encodeTap(e, this.identity, this.version))) this.stats.dnstapMessages++;
    else this.dropped(1);
  }

  private dropped(n: number): void {
    this.stats.dnstapDropped += n;
    if (this.reportTimer) {
      this.dropsSinceReport += n;
      return;
    }
    // The first drop of a period is said at once, the rest of the period in one line at its end.
    this.log.warn(`dnstap: collector absent or slow, dropping messages (counted as dnstapDropped in aop cache stats)`);
    const every = this.opts.dropReportMs ?? 60_000;
    this.reportTimer = setTimeout(() => this.report(every), every).unref();
  }

  private report(every: number): void {
    this.reportTimer = undefined;
    if (this.dropsSinceReport === 0) return;
    this.log.warn(`dnstap: dropped ${this.dropsSinceReport} more messages in the last ${Math.round(every / 1000)} s`);
    this.dropsSinceReport = 0;
    this.reportTimer = setTimeout(() => this.report(every), every).unref();
  }

  /** Finish the stream (STOP; FINISH from a collector) and say the drops not yet said. */
  async close(): Promise<void> {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    if (this.dropsSinceReport > 0) this.log.warn(`dnstap: dropped ${this.dropsSinceReport} more messages`);
    this.dropsSinceReport = 0;
    const left = await this.writer.close();
    this.stats.dnstapDropped += left;
    if (left > 0) this.log.warn(`dnstap: ${left} queued messages not sent at shutdown (no collector connected)`);
  }
}
