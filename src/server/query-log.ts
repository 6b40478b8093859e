// The query log: one structured line per sampled query (1 in `sample`, counted, so the sample is
// even whatever the traffic), at most `rate` lines a second; lines over the cap are counted in
// the stats (queryLogSuppressed), not written. The fields, as JSON: client, qname, qtype, rcode,
// size (reply octets), transport, ms (receive to send), cached (a stored answer).

import { readName } from '../wire/name.js';
import { rcodeToString, typeToString } from '../wire/types.js';
import type { Logger } from '../base/log.js';
import type { Stats } from './stats.js';
import type { Exchange, Tap } from './tap.js';

export interface QueryLogOptions {
  /** Log one query in this many (1: all). Default 1. */
  sample?: number;
  /** Most lines per second; 0 for no cap. Default 100. */
  rate?: number;
  /** Milliseconds clock for the per-second cap; tests inject one. */
  now?: () => number;
}

export interface QueryLogFields {
  client: string;
  qname: string;
  qtype: string;
  rcode: string;
  size: number;
  transport: 'udp' | 'tcp';
  ms: number;
  cached: boolean;
}

/** The question of a query, or placeholders when it has none or it does not parse. */
function question(query: Buffer): { qname: string; qtype: string } {
  if (query.length < 12 || query.readUInt16BE(4) === 0) return { qname: '-', qtype: '-' };
  try {
    const { name, end } = readName(query, 12);
    return { qname: name, qtype: end + 2 <= query.length ? typeToString(query.readUInt16BE(end)) : '-' };
  } catch {
    return { qname: '-', qtype: '-' };
  }
}

export class QueryLog implements Tap {
  private readonly sample: number;
  private readonly rate: number;
  private readonly now: () => number;
  private seen = 0;
  private second = -1;
  private inSecond = 0;

  constructor(private readonly log: Logger, private readonly stats: Stats, opts: QueryLogOptions = {}) {
    this.sample = opts.sample ?? 1;
    this.rate = opts.rate ?? 100;
    this.now = opts.now ?? Date.now;
  }

  answered(e: Exchange): void {
    if (++this.seen < this.sample) return;
    this.seen = 0;
    if (this.rate > 0) {
      const s = Math.floor(this.now() / 1000);
      if (s !== this.second) {
        this.second = s;
        this.inSecond = 0;
      }
      if (this.inSecond >= this.rate) {
        this.stats.queryLogSuppressed++;
        return;
      }
      this.inSecond++;
    }
    this.stats.queryLogLines++;
    const r = e.response;
    const client = e.clientAddress.includes(':') ? `[${e.clientAddress}]:${e.clientPort}` : `${e.clientAddress}:${e.clientPort}`;
    const fields: QueryLogFields = {
      client, ...question(e.query),
      rcode: r && r.length >= 4 ? rcodeToString(r[3]! & 0x0f) : 'dropped',
      size: r?.length ?? 0, transport: e.transport,
      ms: Math.round((e.responseTime - e.queryTime) * 1000) / 1000, cached: e.cached,
    };
    // Structured fields through the daemon logger; with src/base/log.ts this becomes log.info('query', fields).
    this.log.info(`query ${JSON.stringify(fields)}`);
  }
}
