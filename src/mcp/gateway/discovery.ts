// The gateway's directory of agents: the `_index._agents.<zone>` PTR sets of the configured zones
// (docs/records.md) and the TXT index DNS-AID publishers write there, each entry resolved to an agent card through the hand-off, kept until the
// smallest TTL among them runs out.

import { AopError } from '../../base/errors.js';
import { readIndexRecord, type AgentCard } from '../../agent/index.js';
import type { Zone } from '../../zone/zone.js';
import { nameKey } from '../../wire/name.js';
import { Rcode, RRType, rcodeToString } from '../../wire/types.js';
import type { DnsLookup } from '../lookup.js';
import { walkOrgIndex } from '../index-walk.js';
import type { AgentClient } from './client.js';

/** One agent named by an index. */
export interface DirectoryEntry {
  /** The agent's DNS name, without the trailing dot: `writer.acme.agents`. */
  name: string;
  /** The zone whose index lists it, without the trailing dot. */
  zone: string;
  /** Its tool name on the gateway: the DNS name with `_` for `.` and `-` (`writer_acme_agents`). */
  toolName: string;
  card?: AgentCard;
  /** Why the entry has no card: the hand-off's code and message. */
  error?: { code: string; message: string };
  /** What the directory (src/directory) checked: the records' DNSSEC state, the capability document's digest. */
  verification?: { dnssec: string; capSha256: string; verified: boolean };
  /** Where the directory read the entry: the server and zone, the zone's SOA serial. */
  source?: { server?: string; zone: string; serial?: number };
  /** When the directory last saw the entry in the DNS (ms since the epoch). */
  confirmedAt?: number;
  /** The tools the capability document lists. */
  tools?: string[];
}

/** A zone whose index could not be read (SERVFAIL, REFUSED, no reply, a referral, a lame or truncated reply), or a bad entry in it. */
export interface ZoneProblem {
  zone: string;
  code: string;
  message: string;
}

export interface DirectorySnapshot {
  agents: DirectoryEntry[];
  zones: string[];
  problems: ZoneProblem[];
  /** Milliseconds since the epoch when it was read. */
  at: number;
  /** When it must be read again. */
  expires: number;
}

export interface DirectoryOptions {
  lookup: DnsLookup;
  client: AgentClient;
  /** The zones whose indexes list the agents; called on every refresh, so it may change. */
  zones: () => readonly string[] | Promise<readonly string[]>;
  /** Upper bound on how long a snapshot is kept, in ms (default 300000, the records' TTL). */
  maxAgeMs?: number;
  /** Lower bound, so a zero TTL does not turn every tool call into a DNS walk (default 1000). */
  minAgeMs?: number;
  /** Most agents taken from one index, its pages included; the rest are ignored with a problem (default 10000). */
  maxPerZone?: number;
  now?: () => number;
}

export class DirectoryError extends AopError {
  declare readonly code: 'ERR_GATEWAY_BAD_ZONE';
  constructor(message: string) {
    super('ERR_GATEWAY_BAD_ZONE', message);
  }
}

/** `writer.acme.agents.` -> `writer.acme.agents`. */
export function plainName(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * The gateway tool name for an agent name: labels joined by `_`, every character outside
 * `A-Za-z0-9_` turned into `_`, lowercase (MCP tool names allow `A-Za-z0-9_-.`; `_` keeps them
 * valid identifiers for clients that turn tools into functions). At most 128 characters.
 */
export function toolNameFor(name: string): string {
  const base = plainName(name).toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return base.length <= 128 ? base : base.slice(0, 128);
}

/** Validate a zone name from configuration: a DNS name of letters, digits, `-`, `_` labels. */
export function checkZoneName(zone: string): string {
  const z = plainName(zone.trim());
  if (z === '.' || z === '') return '.';
  if (z.length > 253 || !z.split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l))) {
    throw new DirectoryError(`zone '${zone}' is not a domain name (labels of letters, digits, '-' and '_', at most 63 each)`);
  }
  return z.toLowerCase();
}

/**
 * The zones to read indexes from, given the zones a server holds: each zone itself and every
 * zone it delegates (NS below its apex), so a server holding only the root `agents.` still finds
 * `acme.agents` and `globex.agents`. Sorted, without duplicates.
 */
export function zonesFromCatalog(zones: Iterable<Zone>): string[] {
  const out = new Set<string>();
  for (const z of zones) {
    out.add(plainName(z.origin).toLowerCase());
    for (const node of z.allNodes()) {
      if (nameKey(node.name) !== z.originKey && node.rrsets.has(RRType.NS)) out.add(plainName(node.name).toLowerCase());
    }
  }
  return [...out].sort();
}

const absolute = (n: string): string => (n.endsWith('.') ? n : `${n}.`);

/** Cards resolved at once while reading an index: enough to overlap round trips, not a flood. */
const CONCURRENCY = 16;

/** Map with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class AgentDirectory {
  private snapshot?: DirectorySnapshot;
  private pending?: Promise<DirectorySnapshot>;
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  private readonly minAgeMs: number;
  private readonly maxPerZone: number;

  constructor(private readonly opts: DirectoryOptions) {
    this.now = opts.now ?? Date.now;
    this.maxAgeMs = opts.maxAgeMs ?? 300_000;
    this.minAgeMs = opts.minAgeMs ?? 1000;
    this.maxPerZone = opts.maxPerZone ?? 10_000;
  }

  /**
   * The current snapshot, read again when expired. One read at a time, shared by every caller, so
   * it does not take one caller's signal: a caller's abort only stops that caller's wait.
   */
  async list(signal?: AbortSignal): Promise<DirectorySnapshot> {
    signal?.throwIfAborted();
    const s = this.snapshot;
    if (s && this.now() < s.expires) return s;
    this.pending ??= this.read().then(
      (snap) => { this.snapshot = snap; this.pending = undefined; return snap; },
      (err: unknown) => { this.pending = undefined; throw err; },
    );
    if (!signal) return this.pending;
    return new Promise<DirectorySnapshot>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending!.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** The last snapshot read, without reading (the metrics' view); undefined before the first read. */
  get current(): DirectorySnapshot | undefined {
    return this.snapshot;
  }

  /** When the current snapshot expires (ms since the epoch); undefined before the first read. */
  get expires(): number | undefined {
    return this.snapshot?.expires;
  }

  /** Forget the snapshot: the next list() reads the indexes again. */
  invalidate(): void {
    this.snapshot = undefined;
  }

  /** The entry for a DNS name (trailing dot optional, any case) or a gateway tool name. */
  async find(nameOrTool: string, signal?: AbortSignal): Promise<DirectoryEntry | undefined> {
    const { agents } = await this.list(signal);
    const key = plainName(nameOrTool).toLowerCase();
    return agents.find((a) => a.name.toLowerCase() === key) ?? agents.find((a) => a.toolName === key);
  }

  private async read(): Promise<DirectorySnapshot> {
    const at = this.now();
    const zones = [...new Set((await this.opts.zones()).map(checkZoneName))];
    const problems: ZoneProblem[] = [];
    let ttl = this.maxAgeMs / 1000;
    const agents: DirectoryEntry[] = [];
    const seen = new Set<string>();
    // Zones one after another, agents of a zone together: bounded work, and the cards share connections.
    for (const zone of zones) {
      const listed = await this.index(zone, problems);
      if (listed.ttl !== undefined) ttl = Math.min(ttl, listed.ttl);
      const fresh = listed.names.filter((n) => !seen.has(n.toLowerCase()));
      for (const n of fresh) seen.add(n.toLowerCase());
      const entries = await mapLimit(fresh, CONCURRENCY, async (name): Promise<DirectoryEntry> => {
        const entry: DirectoryEntry = { name, zone, toolName: toolNameFor(name) };
        try {
          entry.card = await this.opts.client.resolve(name);
          ttl = Math.min(ttl, entry.card.ttl);
        } catch (err) {
          const e = err as { code?: unknown; message?: unknown };
          entry.error = { code: typeof e.code === 'string' ? e.code : 'ERR_LOOKUP_FAILED', message: String(e.message ?? err) };
        }
        return entry;
      });
      agents.push(...entries);
    }
    const age = Math.max(this.minAgeMs, Math.min(this.maxAgeMs, ttl * 1000));
    return { agents, zones, problems, at, expires: at + age };
  }

  /**
   * The names an index lists inside its zone: the PTR set, then the TXT index DNS-AID clients read
   * (`"agents=writer:mcp,editor:mcp"`, its `mcp` entries). NXDOMAIN and NODATA list none. A failed
   * TXT query is a problem only when the PTR query worked (one failure, one problem).
   */
  private async index(zone: string, problems: ZoneProblem[]): Promise<{ names: string[]; ttl?: number }> {
    const owner = zone === '.' ? '_index._agents.' : `_index._agents.${zone}.`;
    const ptrProblems: ZoneProblem[] = [];
    const txtProblems: ZoneProblem[] = [];
    const [ptr, txt] = await Promise.all([this.ptrIndex(zone, owner, ptrProblems), this.txtIndex(zone, owner, txtProblems)]);
    const failed = ptrProblems.some((p) => p.code !== 'ERR_GATEWAY_BAD_INDEX');
    problems.push(...ptrProblems, ...txtProblems.filter((p) => !failed || p.code === 'ERR_GATEWAY_BAD_INDEX'));
    const names = [...ptr.names];
    for (const n of txt.names) {
      if (names.length >= this.maxPerZone) break;
      if (!names.some((x) => x.toLowerCase() === n.toLowerCase())) names.push(n);
    }
    const ttls = [ptr.ttl, txt.ttl].filter((x): x is number => x !== undefined);
    return { names, ...(ttls.length > 0 ? { ttl: Math.min(...ttls) } : {}) };
  }

  /** The `mcp` entries of the TXT index at `owner`, as names inside `zone`. */
  private async txtIndex(zone: string, owner: string, problems: ZoneProblem[]): Promise<{ names: string[]; ttl?: number }> {
    let reply;
    try {
      reply = await this.opts.lookup.query(owner, RRType.TXT);
    } catch (err) {
      problems.push({ zone, code: 'ERR_LOOKUP_FAILED', message: `${owner} TXT: ${(err as Error).message}` });
      return { names: [] };
    }
    if (reply.rcode === Rcode.NXDOMAIN) return { names: [] };
    if (reply.rcode !== Rcode.NOERROR) {
      problems.push({ zone, code: 'ERR_LOOKUP_FAILED', message: `${owner} TXT: ${this.opts.lookup.source ?? 'the DNS server'} answered ${rcodeToString(reply.rcode)}` });
      return { names: [] };
    }
    const names: string[] = [];
    let ttl: number | undefined;
    for (const rr of reply.answers) {
      if (rr.type !== RRType.TXT || nameKey(rr.name) !== nameKey(owner)) continue;
      // Every character-string that starts `agents=` (dns-aid-core reads only the first).
      const read = readIndexRecord(rr.rdata);
      if (read.indexed) ttl = Math.min(ttl ?? rr.ttl, rr.ttl);
      for (const entry of read.notLabels) {
        problems.push({ zone, code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} TXT: entry ${JSON.stringify(entry)} is not a label, ignored` });
      }
      for (const label of read.labels) {
        const n = zone === '.' ? label : `${label}.${zone}`;
        if (!names.some((x) => x.toLowerCase() === n.toLowerCase())) names.push(n);
      }
    }
    return { names, ...(ttl !== undefined ? { ttl } : {}) };
  }

  /** The names the PTR index lists inside its zone, through its pages (index-walk.ts), in the order found. */
  private async ptrIndex(zone: string, _owner: string, problems: ZoneProblem[]): Promise<{ names: string[]; ttl?: number }> {
    const walk = await walkOrgIndex(this.opts.lookup, zone === '.' ? '.' : absolute(zone), { maxNames: this.maxPerZone });
    for (const p of walk.problems) problems.push({ zone, ...p });
    return { names: walk.names, ...(walk.ttl !== undefined ? { ttl: walk.ttl } : {}) };
  }
}
