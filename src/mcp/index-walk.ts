// Walking an organisation's index (docs/records.md, "The organisation index" and "A paged
// index"): the PTR set at the index's root, and every page it names (a target under the root),
// level by level, to at most MAX_PAGE_DEPTH levels; any other target inside the organisation is
// an agent. Bounded (names, pages, reads in flight), and never silent: a node that cannot be read
// (an rcode, no reply, a referral or lame reply, TC=1) is a problem with its name and reason, and
// the rest of the index is still read. One walker for every reader: the gateway's discovery
// reads through DNS queries (querySource), the directory's crawler through queries or a zone
// transfer (recordSource) under its per-zone budget (src/directory/index-walk.ts). A capability
// index (`translation._cap._agents.<org>`) is walked the same way.

import { capIndexRoot, isPage, MAX_PAGE_DEPTH, orgIndexRoot } from '../agent/index.js';
import { isInDomain, nameKey, readName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { Rcode, RRType, rcodeToString } from '../wire/types.js';
import { describeNotAnAnswer, notAnAnswer, type DnsLookup } from './lookup.js';

/** Something wrong with one node of an index: its code (as zone problems carry it) and why. */
export interface IndexProblem {
  code: string;
  message: string;
}

/** The records at one owner name, as a transfer or a query gives them. */
export interface IndexSource {
  /** RRs of `type` at `owner`, with a problem when they could not be read (wholly or in part). */
  read(owner: string, type: number, signal?: AbortSignal): Promise<{ records: RR[]; problem?: IndexProblem }>;
}

export interface IndexWalkOptions {
  /** Most agent names taken; the rest are left with a problem (default 1,000,000). */
  maxNames?: number;
  /** Most nodes (the root and pages) read (default 100,000; 1,000,000 agents take about 4,100). */
  maxPages?: number;
  /** Reads in flight (default 16). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Called before each read (a budget's rate and time); may throw to end the walk (see `stopped`). */
  beforeRead?: () => Promise<void>;
  /** Called for each page found below the root, before it is read; may throw to end the walk (see `stopped`). */
  onPage?: () => void;
  /** Past maxNames: the problem to note (once); with `stopAtMaxNames` the walk ends there. Default: ERR_GATEWAY_BAD_INDEX. */
  tooManyNames?: (max: number) => IndexProblem;
  stopAtMaxNames?: boolean;
  /** The code of a page deeper than MAX_PAGE_DEPTH (default ERR_GATEWAY_BAD_INDEX). */
  depthCode?: string;
}

export interface IndexWalk {
  /** The agent names, without the trailing dot, in the order found; no name twice (any case). */
  names: string[];
  /** Nodes read: 1 for a flat index. */
  nodes: number;
  /** The smallest TTL among the PTR records read. */
  ttl?: number;
  /** Whether any PTR record was found at all (a publisher without one may have a TXT index). */
  anyPtr: boolean;
  problems: IndexProblem[];
  /** What a hook threw to end the walk early (a budget spent); what was read before it is kept. */
  stopped?: unknown;
}

const abs = (n: string): string => (n.endsWith('.') ? n : `${n}.`);
const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n);

/** Walk the index rooted at `root`, whose agents are inside `org`, reading through `source`. */
export async function walkIndex(source: IndexSource, root: string, org: string, opts: IndexWalkOptions = {}): Promise<IndexWalk> {
  const maxNames = opts.maxNames ?? 1_000_000;
  const maxPages = opts.maxPages ?? 100_000;
  const limit = Math.max(1, opts.concurrency ?? 16);
  const depthCode = opts.depthCode ?? 'ERR_GATEWAY_BAD_INDEX';
  const out: IndexWalk = { names: [], nodes: 0, anyPtr: false, problems: [] };
  const seenNames = new Set<string>();
  const seenNodes = new Set<string>([nameKey(abs(root))]);
  let cutNames = false;
  let cutPages = false;
  let level: string[] = [abs(root)];
  for (let depth = 0; level.length > 0; depth++) {
    const next: string[] = [];
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < level.length && out.stopped === undefined) {
        const owner = level[i++]!;
        opts.signal?.throwIfAborted();
        if (opts.beforeRead) {
          try {
            await opts.beforeRead();
          } catch (err) {
            out.stopped ??= err;
            return;
          }
        }
        out.nodes++;
        const got = await source.read(owner, RRType.PTR, opts.signal);
        if (got.problem) out.problems.push(got.problem);
        for (const rr of got.records) {
          let target: string;
          try {
            target = readName(rr.rdata, 0).name;
          } catch {
            out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} PTR: malformed RDATA skipped` });
            continue;
          }
          out.anyPtr = true;
          out.ttl = Math.min(out.ttl ?? rr.ttl, rr.ttl);
          if (isPage(target, root)) {
            // Each page once: a page naming itself or an earlier one is a loop, not more agents.
            const key = nameKey(abs(target));
            if (seenNodes.has(key)) continue;
            if (depth + 1 > MAX_PAGE_DEPTH) {
              out.problems.push({ code: depthCode, message: `${owner} PTR ${plain(target)}: a page more than ${MAX_PAGE_DEPTH} levels below ${abs(root)}, not read` });
              continue;
            }
            if (seenNodes.size >= maxPages) {
              if (!cutPages) out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${abs(root)}: more than ${maxPages} pages; the rest not read` });
              cutPages = true;
              continue;
            }
            try {
              opts.onPage?.();
            } catch (err) {
              out.stopped ??= err;
              return;
            }
            seenNodes.add(key);
            next.push(abs(target));
            continue;
          }
          if (!isInDomain(abs(target), abs(org)) || nameKey(abs(target)) === nameKey(abs(org))) {
            out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} PTR ${plain(target)}: outside ${plain(org)}, ignored` });
            continue;
          }
          const n = plain(target);
          const key = n.toLowerCase();
          if (seenNames.has(key)) continue;
          if (out.names.length >= maxNames) {
            const problem = opts.tooManyNames?.(maxNames) ?? { code: 'ERR_GATEWAY_BAD_INDEX', message: `${abs(root)}: more than ${maxNames} entries; the rest ignored` };
            if (!cutNames) out.problems.push(problem);
            cutNames = true;
            if (opts.stopAtMaxNames) {
              out.stopped ??= problem;
              return;
            }
            continue;
          }
          seenNames.add(key);
          out.names.push(n);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, level.length) }, worker));
    level = out.stopped === undefined ? next : [];
  }
  return out;
}

/** An IndexSource over DNS queries (a recursive resolver, or the zone's own server). */
export function querySource(lookup: DnsLookup): IndexSource {
  const from = lookup.source ?? 'the DNS server';
  return {
    async read(owner, type, signal) {
      const what = `${abs(owner)} ${type === RRType.PTR ? 'PTR' : 'TXT'}`;
      let reply;
      try {
        reply = await lookup.query(owner, type, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        return { records: [], problem: { code: 'ERR_LOOKUP_FAILED', message: `${what}: ${(err as Error).message}` } };
      }
      // No such node: an empty index (the root), or a page emptied a moment ago.
      if (reply.rcode === Rcode.NXDOMAIN) return { records: [] };
      if (reply.rcode !== Rcode.NOERROR) return { records: [], problem: { code: 'ERR_LOOKUP_FAILED', message: `${what}: ${from} answered ${rcodeToString(reply.rcode)}` } };
      // A referral or a lame reply is not "no agents", and neither is a reply cut short.
      const odd = notAnAnswer(reply, owner);
      if (odd !== undefined) return { records: [], problem: { code: odd.kind === 'referral' ? 'ERR_LOOKUP_REFERRAL' : 'ERR_LOOKUP_LAME', message: describeNotAnAnswer(odd, what, lookup.source) } };
      const records = reply.answers.filter((r) => r.type === type && nameKey(r.name) === nameKey(owner));
      if (reply.tc === true) {
        return { records, problem: { code: 'ERR_LOOKUP_FAILED', message: `${what}: ${from} sent a truncated reply (TC=1): the set does not fit one DNS message, over TCP either; its zone must page the index (docs/records.md, "A paged index")` } };
      }
      return { records };
    },
  };
}

/** An IndexSource over a zone's records (a transfer), grouped by lowercase owner. */
export function recordSource(byOwner: ReadonlyMap<string, RR[]>): IndexSource {
  return {
    async read(owner, type) {
      return { records: (byOwner.get(nameKey(abs(owner))) ?? []).filter((r) => r.type === type) };
    },
  };
}

/** The organisation's index (`_index._agents.<org>`), all its pages, through DNS queries. */
export function walkOrgIndex(lookup: DnsLookup, org: string, opts: IndexWalkOptions = {}): Promise<IndexWalk> {
  return walkIndex(querySource(lookup), orgIndexRoot(org), org, opts);
}

/**
 * The agents of `org` that offer `capability` (`<capability>._cap._agents.<org>`): one query for
 * an index of up to PAGE_MAX agents. A capability that is no DNS label has no index: a problem.
 */
export async function walkCapabilityIndex(lookup: DnsLookup, org: string, capability: string, opts: IndexWalkOptions = {}): Promise<IndexWalk> {
  const root = capIndexRoot(org, capability);
  if (root === undefined) {
    return { names: [], nodes: 0, anyPtr: false, problems: [{ code: 'ERR_GATEWAY_BAD_INDEX', message: `capability ${JSON.stringify(capability)} is not [a-z0-9][a-z0-9-]* (at most 63), so it has no index` }] };
  }
  return walkIndex(querySource(lookup), root, org, opts);
}
