// The metrics registry (prom-client) and every metric aop exposes, named as CoreDNS names them
// under an `aop_` prefix so dashboards made for CoreDNS adapt by prefix (docs/metrics.md).
//
// Two kinds. What is counted per query (100k+ a second) stays in plain numbers and typed arrays
// the code keeps anyway (QueryCounts here, server/stats.ts, the caches' stats) and is read only
// when Prometheus scrapes, through `add*` sources. What happens per upstream query, hand-off,
// update or transfer is rare enough for prom-client's own counters and histograms. Every label
// takes values from a bounded set: never a query name; agents and upstream servers through
// BoundedLabel (the first ones seen, then "other").

import type { Progress, ProgressSnapshot } from './progress.js';
import {
  AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValueWithName,
} from 'prom-client';

export const PREFIX = 'aop_';

/** CoreDNS's request duration buckets: 0.25 ms doubling to 8.192 s. */
export const DURATION_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** Query types with a label of their own (CoreDNS's list, with SVCB/HTTPS); every other type is "other". */
const TYPE_NAMES: ReadonlyArray<[number, string]> = [
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'], [33, 'SRV'],
  [35, 'NAPTR'], [39, 'DNAME'], [43, 'DS'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'], [50, 'NSEC3'],
  [64, 'SVCB'], [65, 'HTTPS'], [257, 'CAA'], [251, 'IXFR'], [252, 'AXFR'], [255, 'ANY'],
];
export const QUERY_TYPES: readonly string[] = [...TYPE_NAMES.map(([, n]) => n), 'other'];
const OTHER = QUERY_TYPES.length - 1;
const typeIndex = new Uint8Array(65536).fill(OTHER);
for (const [i, [n]] of TYPE_NAMES.entries()) typeIndex[n] = i;

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET',
  8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADVERS', 17: 'BADKEY', 18: 'BADTIME', 23: 'BADCOOKIE',
};
/** An rcode's mnemonic (a bounded set: an rcode is 12 bits). */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/** The type at the end of the question of a DNS message (uncompressed, as queries are), or -1. */
export function questionType(buf: Buffer): number {
  if (buf.length < 17 || buf[4] !== 0 || buf[5] === 0) return -1;
  let p = 12;
  for (let len = buf[p]!; len !== 0; len = buf[p]!) {
    if (len > 63) return -1;
    p += len + 1;
    if (p >= buf.length) return -1;
  }
  return p + 3 <= buf.length ? (buf[p + 1]! << 8) | buf[p + 2]! : -1;
}

/**
 * Per-query counts by protocol, family and type, and the request duration histogram by type:
 * typed arrays a query adds to in a few nanoseconds, read at scrape time.
 */
export class QueryCounts {
  /** [proto (0 udp, 1 tcp)][family (0 v4, 1 v6)][type]. */
  readonly requests = new Float64Array(2 * 2 * QUERY_TYPES.length);
  /** [type][bucket], the last bucket +Inf (not cumulative; the exposition sums). */
  readonly buckets = new Float64Array(QUERY_TYPES.length * (DURATION_BUCKETS.length + 1));
  readonly sums = new Float64Array(QUERY_TYPES.length);

  /** One request answered (or dropped) after `ms` milliseconds. `qtype` -1: no readable question. */
  count(transport: 'udp' | 'tcp', remoteAddress: string, qtype: number, ms: number): void {
    const t = qtype < 0 ? OTHER : typeIndex[qtype]!;
    const v6 = remoteAddress.includes(':') ? 1 : 0;
    this.requests[((transport === 'tcp' ? 2 : 0) + v6) * QUERY_TYPES.length + t]!++;
    const s = ms / 1000;
    this.sums[t]! += s;
    let b = 0;
    while (b < DURATION_BUCKETS.length && s > DURATION_BUCKETS[b]!) b++;
    this.buckets[t * (DURATION_BUCKETS.length + 1) + b]!++;
  }
}

/** A label's values: the first `max` distinct ones as given, every later one as "other". */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

/** What the server counts (server/stats.ts), read at scrape time. */
export interface ServerSource {
  /** CoreDNS's `server` label: `dns://ADDR:PORT` of the listeners. */
  server: string;
  counts: QueryCounts;
  rcodes: ReadonlyMap<number, number>;
  /** The encoded-answer cache (server/answer-cache.ts). */
  answerCache(): { hits: number; misses: number; entries: number };
  /** The batched UDP sockets' system calls and datagrams (server/udp-batch.ts), summed; undefined on node:dgram. */
  udpBatch?(): { recvCalls: number; received: number; sendCalls: number; sent: number; sendErrors: number } | undefined;
}

/** A resolver's counters and its cache's, read at scrape time. */
export interface ResolverSource {
  server: string;
  stats: { readonly questions: number; readonly staleAnswers: number; readonly prefetches: number; readonly servfail: number; readonly forwarded: number; readonly coalesced: number };
  /** Per cache (rrset, negative, delegation): hits, misses, entries. */
  caches(): Record<string, { hits: number; misses: number; staleHits: number; entries: number }>;
}

/** What the transfer code counts, read at scrape time. */
export interface TransferCounts {
  /** Served: AXFR, IXFR (incremental: of those, answered with differences), refused. */
  out: { axfr: number; ixfr: number; incremental: number; refused: number };
  /** NOTIFYs sent: acknowledged, refused (an rcode other than NOERROR), unanswered (gave up). */
  notify: { acknowledged: number; refused: number; unanswered: number };
  /** Per secondary zone (bounded by the configuration). */
  secondaries: Array<{ zone: string; serial: number | undefined; expired: boolean; axfr: number; ixfr: number; current: number; failed: number; notifies: number }>;
}

/** What the endpoint probes count, read at scrape time. */
export interface HealthSource {
  counts: { readonly ok: number; readonly failed: number };
  states(): Record<string, number>;
}

type Values = MetricValueWithName<string>[];
/** A metric as prom-client's JSON gives it (what a worker sends the primary). */
export type MetricJson = MetricObjectWithValues<MetricValueWithName<string>>;

/** A metric whose values a function makes at scrape time (counters kept elsewhere, a histogram from arrays). */
class Collected {
  readonly aggregator = 'sum' as const;
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge' | 'histogram', private readonly values: () => Values) {}

  async get(): Promise<MetricJson> {
    return { name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, collect: () => undefined, values: this.values() };
  }
}

export interface MetricsOptions {
  /** The version in aop_build_info. */
  version?: string;
  /** prom-client's process and Node.js metrics (process_*, nodejs_*). Default true. */
  processMetrics?: boolean;
}

/** The registry and the metrics: one per process (per daemon in tests), passed down through the option objects. */
export class Metrics {
  readonly registry = new Registry();
  private readonly servers: ServerSource[] = [];
  private readonly resolvers: ResolverSource[] = [];
  private readonly breakerSources: Array<() => Record<string, number>> = [];
  private readonly directories: Array<() => { agents: number; problems: number }> = [];
  private readonly progress: Progress[] = [];
  private readonly transferSources: Array<() => TransferCounts> = [];
  private readonly updateSources: Array<ReadonlyMap<number, number>> = [];
  private readonly healthSources: HealthSource[] = [];
  private readonly upstreams = new BoundedLabel(64);
  private readonly agents = new BoundedLabel(100);

  readonly upstreamQueries: Counter<'upstream'>;
  readonly upstreamTimeouts: Counter<'upstream'>;
  readonly upstreamRtt: Histogram<'upstream'>;
  readonly handoffCalls: Counter<'agent' | 'outcome'>;
  readonly handoffDuration: Histogram<'agent' | 'outcome'>;

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    const p = PREFIX;
    this.upstreamQueries = new Counter({ name: `${p}resolver_upstream_queries_total`, help: 'Queries the resolver sent to authoritative servers, per server address.', labelNames: ['upstream'], registers });
    this.upstreamTimeouts = new Counter({ name: `${p}resolver_upstream_timeouts_total`, help: 'Upstream queries that timed out, per server address.', labelNames: ['upstream'], registers });
    this.upstreamRtt = new Histogram({ name: `${p}resolver_upstream_rtt_seconds`, help: 'Round-trip time of answered upstream queries, per server address.', labelNames: ['upstream'], buckets: [...DURATION_BUCKETS], registers });
    this.handoffCalls = new Counter({ name: `${p}handoff_calls_total`, help: 'Agent calls through the hand-off, by agent and outcome (ok or the error code).', labelNames: ['agent', 'outcome'], registers });
    this.handoffDuration = new Histogram({ name: `${p}handoff_call_duration_seconds`, help: 'Time of agent calls through the hand-off, resolution included.', labelNames: ['agent', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    const build = new Gauge({ name: `${p}build_info`, help: 'Always 1; the labels say which aop and Node.js run.', labelNames: ['version', 'nodejs'], registers, aggregator: 'first' });
    build.set({ version: opts.version ?? '0.0.0', nodejs: process.version }, 1);
    this.collected();
    if (opts.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named as counters, which promtool check metrics rejects; nodejs_active_handles (by type) stays.
      for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
    }
  }

  /** An upstream server's label value (bounded). */
  upstream(address: string): string {
    return this.upstreams.value(address);
  }

  /** An agent's label value (bounded). */
  agent(name: string): string {
    return this.agents.value(name.toLowerCase().replace(/\.$/, ''));
  }

  addServer(s: ServerSource): void {
    this.servers.push(s);
  }

  addResolver(r: ResolverSource): void {
    this.resolvers.push(r);
  }

  /** Circuit breaker entries by state (mcp/breaker.ts). */
  addBreakers(states: () => Record<string, number>): void {
    this.breakerSources.push(states);
  }

  /** The gateway directory: agents listed and zone problems (mcp/gateway). */
  addDirectory(size: () => { agents: number; problems: number }): void {
    this.directories.push(size);
  }

  /** Long work (a directory crawl, a large zone load): the aop_progress_* gauges and /readyz's lines. */
  addProgress(p: Progress): void {
    this.progress.push(p);
  }

  /** One line per long task running or done (Progress.line), for /readyz's body. */
  progressLines(): string[] {
    return this.progress.filter((p) => p.started).map((p) => p.line());
  }

  /** Transfers out and in, NOTIFYs, and the secondary zones (server/transfers.ts). */
  addTransfers(counts: () => TransferCounts): void {
    this.transferSources.push(counts);
  }

  /** Dynamic updates answered, by rcode (update/handler.ts). */
  addUpdates(byRcode: ReadonlyMap<number, number>): void {
    this.updateSources.push(byRcode);
  }

  /** The authoritative server's endpoint probes (src/health/). */
  addHealth(h: HealthSource): void {
    this.healthSources.push(h);
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  /** The metrics as prom-client JSON, for the cluster primary to aggregate. */
  json(): Promise<MetricJson[]> {
    return this.registry.getMetricsAsJSON();
  }

  private collected(): void {
    const p = PREFIX;
    const reg = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => Values): void => {
      this.registry.registerMetric(new Collected(`${p}${name}`, help, type, values) as never);
    };
    const zone = '.';
    const T = QUERY_TYPES.length;
    reg('dns_requests_total', 'DNS requests received, by protocol, address family and query type.', 'counter', () => this.servers.flatMap((s) => {
      const out: Values = [];
      for (let i = 0; i < s.counts.requests.length; i++) {
        const v = s.counts.requests[i]!;
        if (v === 0) continue;
        const t = i % T;
        const pf = (i - t) / T;
        out.push({ value: v, labels: { server: s.server, zone, proto: pf >= 2 ? 'tcp' : 'udp', family: pf % 2 === 1 ? '2' : '1', type: QUERY_TYPES[t]! } });
      }
      return out;
    }));
    reg('dns_request_duration_seconds', 'Time from a request received to its answer ready, by query type.', 'histogram', () => this.servers.flatMap((s) => {
      const out: Values = [];
      const B = DURATION_BUCKETS.length + 1;
      for (let t = 0; t < T; t++) {
        let n = 0;
        for (let b = 0; b < B; b++) n += s.counts.buckets[t * B + b]!;
        if (n === 0) continue;
        const labels = { server: s.server, zone, type: QUERY_TYPES[t]! };
        let acc = 0;
        for (let b = 0; b < B; b++) {
          acc += s.counts.buckets[t * B + b]!;
          out.push({ value: acc, labels: { ...labels, le: b < B - 1 ? DURATION_BUCKETS[b]! : '+Inf' }, metricName: `${p}dns_request_duration_seconds_bucket` });
        }
        out.push({ value: s.counts.sums[t]!, labels, metricName: `${p}dns_request_duration_seconds_sum` });
        out.push({ value: n, labels, metricName: `${p}dns_request_duration_seconds_count` });
      }
      return out;
    }));
    // Batched UDP (native/udp-batch): datagrams per system call is received / recv calls.
    const batch = (): Array<{ server: string; c: NonNullable<ReturnType<NonNullable<ServerSource['udpBatch']>>> }> =>
      this.servers.flatMap((s) => { const c = s.udpBatch?.(); return c ? [{ server: s.server, c }] : []; });
    reg('udp_batch_syscalls_total', 'System calls of the batched UDP sockets, by call (recvmmsg, sendmmsg: sendmmsg and single sends).', 'counter', () =>
      batch().flatMap(({ server, c }) => [{ value: c.recvCalls, labels: { server, call: 'recvmmsg' } }, { value: c.sendCalls, labels: { server, call: 'sendmmsg' } }]));
    reg('udp_batch_datagrams_total', 'Datagrams through the batched UDP sockets, by direction (received, sent, send_failed).', 'counter', () =>
      batch().flatMap(({ server, c }) => [
        { value: c.received, labels: { server, direction: 'received' } }, { value: c.sent, labels: { server, direction: 'sent' } },
        { value: c.sendErrors, labels: { server, direction: 'send_failed' } },
      ]));
    reg('dns_responses_total', 'DNS responses sent, by rcode.', 'counter', () => this.servers.flatMap((s) =>
      [...s.rcodes].map(([rcode, value]) => ({ value, labels: { server: s.server, zone, rcode: rcodeName(rcode) } }))));
    // The caches: the server's encoded-answer cache ("answer") and the resolver's (rrset, negative, delegation).
    const caches = (): Array<{ server: string; type: string; hits: number; misses: number; entries: number; staleHits: number }> => [
      ...this.servers.map((s) => ({ server: s.server, type: 'answer', staleHits: 0, ...s.answerCache() })),
      ...this.resolvers.flatMap((r) => Object.entries(r.caches()).map(([type, c]) => ({ server: r.server, type, ...c }))),
    ];
    reg('cache_hits_total', 'Cache hits, by cache (answer: encoded answers; rrset, negative, delegation: the resolver\'s).', 'counter', () =>
      caches().map((c) => ({ value: c.hits, labels: { server: c.server, type: c.type } })));
    reg('cache_misses_total', 'Cache misses, by cache.', 'counter', () => caches().map((c) => ({ value: c.misses, labels: { server: c.server, type: c.type } })));
    reg('cache_entries', 'Entries in the cache, by cache.', 'gauge', () => caches().map((c) => ({ value: c.entries, labels: { server: c.server, type: c.type } })));
    const resolverCounter = (name: string, help: string, get: (r: ResolverSource) => number): void =>
      reg(name, help, 'counter', () => this.resolvers.map((r) => ({ value: get(r), labels: { server: r.server } })));
    resolverCounter('resolver_questions_total', 'Questions the resolver was asked (after the answer cache).', (r) => r.stats.questions);
    resolverCounter('resolver_coalesced_total', 'Questions that joined one already being resolved.', (r) => r.stats.coalesced);
    resolverCounter('resolver_stale_answers_total', 'Answers served from stale data (RFC 8767).', (r) => r.stats.staleAnswers);
    resolverCounter('resolver_prefetches_total', 'Entries refreshed before they expired.', (r) => r.stats.prefetches);
    resolverCounter('resolver_servfail_total', 'Questions the resolver answered SERVFAIL.', (r) => r.stats.servfail);
    resolverCounter('resolver_forwarded_total', 'Questions sent to the configured forwarders.', (r) => r.stats.forwarded);
    reg('handoff_breakers', 'Circuit breakers of agent endpoints, by state (closed: with failures counted, not yet open).', 'gauge', () => {
      const sum: Record<string, number> = { closed: 0, open: 0, 'half-open': 0 };
      for (const b of this.breakerSources) for (const [k, v] of Object.entries(b())) sum[k] = (sum[k] ?? 0) + v;
      return this.breakerSources.length === 0 ? [] : Object.entries(sum).map(([state, value]) => ({ value, labels: { state } }));
    });
    reg('directory_agents', 'Agents the gateway directory lists.', 'gauge', () => this.directories.map((d) => ({ value: d().agents, labels: {} })));
    reg('directory_zone_problems', 'Zones whose agent index the gateway directory could not read.', 'gauge', () => this.directories.map((d) => ({ value: d().problems, labels: {} })));
    const progress = (name: string, help: string, get: (s: ProgressSnapshot) => number): void =>
      reg(name, help, 'gauge', () => this.progress.filter((p) => p.started).map((p) => { const s = p.snapshot(); return { value: get(s), labels: { task: s.task } }; }));
    progress('progress_running', 'Long work (a directory crawl, a large zone load) running now: 1, or 0 once done, by task.', (s) => (s.running ? 1 : 0));
    progress('progress_done', 'Units of the long work done (zones of a crawl), by task.', (s) => s.done);
    progress('progress_planned', 'Units of the long work planned (0 while unknown), by task.', (s) => s.total);
    progress('progress_items', 'Things the long work found so far (agents of a crawl), by task.', (s) => s.items);
    progress('progress_errors', 'Errors the long work met so far (zone problems of a crawl), by task.', (s) => s.errors);
    reg('updates_total', 'Dynamic updates (RFC 2136) answered, by result (the rcode).', 'counter', () => {
      const sum = new Map<number, number>();
      for (const u of this.updateSources) for (const [k, v] of u) sum.set(k, (sum.get(k) ?? 0) + v);
      return [...sum].map(([rcode, value]) => ({ value, labels: { result: rcodeName(rcode) } }));
    });
    reg('health_probes_total', 'Endpoint health probes (MCP initialize + ping), by result (ok, failed).', 'counter', () => this.healthSources.flatMap((h) => [
      { value: h.counts.ok, labels: { result: 'ok' } }, { value: h.counts.failed, labels: { result: 'failed' } },
    ]));
    reg('health_endpoints', 'Probed agent endpoints, by state (up, down).', 'gauge', () => this.healthSources.flatMap((h) =>
      Object.entries(h.states()).map(([state, value]) => ({ value, labels: { state } }))));
    const transfers = (): TransferCounts[] => this.transferSources.map((f) => f());
    reg('xfr_out_total', 'Zone transfers requested of us, by type and result (full, incremental, refused).', 'counter', () => transfers().flatMap((t) => [
      { value: t.out.axfr, labels: { type: 'AXFR', result: 'full' } },
      { value: t.out.ixfr - t.out.incremental, labels: { type: 'IXFR', result: 'full' } },
      { value: t.out.incremental, labels: { type: 'IXFR', result: 'incremental' } },
      { value: t.out.refused, labels: { type: 'any', result: 'refused' } },
    ]));
    reg('xfr_in_total', 'Refreshes of secondary zones from their primaries, by zone and result (axfr, ixfr, current, failed).', 'counter', () => transfers().flatMap((t) => t.secondaries.flatMap((z) =>
      (['axfr', 'ixfr', 'current', 'failed'] as const).map((result) => ({ value: z[result], labels: { zone: z.zone, result } })))));
    reg('notify_received_total', 'NOTIFYs received for secondary zones, by zone.', 'counter', () => transfers().flatMap((t) => t.secondaries.map((z) => ({ value: z.notifies, labels: { zone: z.zone } }))));
    reg('notify_sent_total', 'NOTIFYs sent to secondaries, by result (acknowledged, refused, unanswered).', 'counter', () => transfers().flatMap((t) =>
      Object.entries(t.notify).map(([result, value]) => ({ value, labels: { result } }))));
    reg('secondary_zone_serial', 'SOA serial of each secondary zone held (absent until the first transfer).', 'gauge', () => transfers().flatMap((t) =>
      t.secondaries.filter((z) => z.serial !== undefined).map((z) => ({ value: z.serial!, labels: { zone: z.zone } }))));
    reg('secondary_zone_expired', '1 when a secondary zone cannot be served (expired, or not transferred yet).', 'gauge', () => transfers().flatMap((t) =>
      t.secondaries.map((z) => ({ value: z.expired ? 1 : 0, labels: { zone: z.zone } }))));
  }
}

/** Workers' metrics (Metrics.json() of each) as one exposition: counters and histograms summed. */
export async function aggregate(perWorker: MetricJson[][]): Promise<{ text: string; contentType: string }> {
  const reg = AggregatorRegistry.aggregate(perWorker);
  return { text: await reg.metrics(), contentType: reg.contentType };
}
