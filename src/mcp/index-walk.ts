// Walking an organisation's index through the DNS (docs/records.md, "The organisation index" and
// "A paged index"): the PTR set at the index's root, and every page it names (a target under the
// root), level by level, to at most MAX_PAGE_DEPTH levels; any other target inside the
// organisation is an agent. Bounded (names, pages, queries in flight), and never silent: a page
// that cannot be read (an rcode, no reply, a referral or lame reply, TC=1) is a problem with its
// name and reason, and the rest of the index is still read. The gateway's discovery reads the
// organisation index with it; a capability index (`translation._cap._agents.<org>`) is walked
// the same way.

import { capIndexRoot, isPage, MAX_PAGE_DEPTH, orgIndexRoot } from '../agent/index.js';
import { isInDomain, nameKey, readName } from '../wire/name.js';
import { Rcode, RRType, rcodeToString } from '../wire/types.js';
import { describeNotAnAnswer, notAnAnswer, type DnsLookup } from './lookup.js';

/** Something wrong with one node of an index: its code (as the gateway's zone problems carry) and why. */
export interface IndexProblem {
  code: 'ERR_LOOKUP_FAILED' | 'ERR_LOOKUP_REFERRAL' | 'ERR_LOOKUP_LAME' | 'ERR_GATEWAY_BAD_INDEX';
  message: string;
}

export interface IndexWalkOptions {
  /** Most agent names taken; the rest are left with a problem (default 1,000,000). */
  maxNames?: number;
  /** Most nodes (the root and pages) read (default 100,000; 1,000,000 agents take about 4,100). */
  maxPages?: number;
  /** Queries in flight (default 16). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface IndexWalk {
  /** The agent names, without the trailing dot, in the order found; no name twice (any case). */
  names: string[];
  /** Nodes read: 1 for a flat index. */
  nodes: number;
  /** The smallest TTL among the PTR records read. */
  ttl?: number;
  problems: IndexProblem[];
}

const abs = (n: string): string => (n.endsWith('.') ? n : `${n}.`);
const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n);

/** Walk the index rooted at `root` whose agents are inside `org`. */
export async function walkIndex(lookup: DnsLookup, root: string, org: string, opts: IndexWalkOptions = {}): Promise<IndexWalk> {
  const maxNames = opts.maxNames ?? 1_000_000;
  const maxPages = opts.maxPages ?? 100_000;
  const limit = Math.max(1, opts.concurrency ?? 16);
  const from = lookup.source ?? 'the DNS server';
  const out: IndexWalk = { names: [], nodes: 0, problems: [] };
  const seenNames = new Set<string>();
  const seenNodes = new Set<string>([nameKey(abs(root))]);
  let cutNames = false;
  let cutPages = false;
  let level: string[] = [abs(root)];
  for (let depth = 0; level.length > 0; depth++) {
    const next: string[] = [];
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < level.length) {
        const owner = level[i++]!;
        opts.signal?.throwIfAborted();
        const targets = await readNode(owner);
        for (const target of targets) {
          if (isPage(target, root)) {
            const key = nameKey(target);
            if (seenNodes.has(key)) continue;
            if (depth + 1 > MAX_PAGE_DEPTH) {
              out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} PTR ${target}: a page deeper than ${MAX_PAGE_DEPTH} levels below ${abs(root)}, not read` });
              continue;
            }
            if (seenNodes.size >= maxPages) {
              if (!cutPages) out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${abs(root)}: more than ${maxPages} pages; the rest not read` });
              cutPages = true;
              continue;
            }
            seenNodes.add(key);
            next.push(abs(target));
            continue;
          }
          if (!isInDomain(abs(target), abs(org)) || nameKey(abs(target)) === nameKey(abs(org))) {
            out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} PTR ${target}: outside ${plain(org)}, ignored` });
            continue;
          }
          const n = plain(target);
          const key = n.toLowerCase();
          if (seenNames.has(key)) continue;
          if (out.names.length >= maxNames) {
            if (!cutNames) out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${abs(root)}: more than ${maxNames} entries; the rest ignored` });
            cutNames = true;
            continue;
          }
          seenNames.add(key);
          out.names.push(n);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, level.length) }, worker));
    level = next;
  }
  return out;

  /** The targets of one node's PTR set; a problem (and none) when it cannot be read. */
  async function readNode(owner: string): Promise<string[]> {
    out.nodes++;
    let reply;
    try {
      reply = await lookup.query(owner, RRType.PTR, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      out.problems.push({ code: 'ERR_LOOKUP_FAILED', message: `${owner} PTR: ${(err as Error).message}` });
      return [];
    }
    // No such node: an empty index (the root), or a page emptied a moment ago.
    if (reply.rcode === Rcode.NXDOMAIN) return [];
    if (reply.rcode !== Rcode.NOERROR) {
      out.problems.push({ code: 'ERR_LOOKUP_FAILED', message: `${owner} PTR: ${from} answered ${rcodeToString(reply.rcode)}` });
      return [];
    }
    // A referral or a lame reply is not "no agents", and neither is a reply cut short.
    const odd = notAnAnswer(reply, owner);
    if (odd !== undefined) {
      out.problems.push({ code: odd.kind === 'referral' ? 'ERR_LOOKUP_REFERRAL' : 'ERR_LOOKUP_LAME', message: describeNotAnAnswer(odd, `${owner} PTR`, lookup.source) });
      return [];
    }
    if (reply.tc === true) {
      out.problems.push({
        code: 'ERR_LOOKUP_FAILED',
        message: `${owner} PTR: ${from} sent a truncated reply (TC=1): the set does not fit one DNS message, over TCP either; its zone must page the index (docs/records.md, "A paged index")`,
      });
    }
    const targets: string[] = [];
    for (const rr of reply.answers) {
      if (rr.type !== RRType.PTR || nameKey(rr.name) !== nameKey(owner)) continue;
      try {
        targets.push(readName(rr.rdata, 0).name);
      } catch {
        out.problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} PTR: malformed RDATA skipped` });
        continue;
      }
      out.ttl = Math.min(out.ttl ?? rr.ttl, rr.ttl);
    }
    return targets;
  }
}

/** The organisation's index (`_index._agents.<org>`), all its pages. */
export function walkOrgIndex(lookup: DnsLookup, org: string, opts: IndexWalkOptions = {}): Promise<IndexWalk> {
  return walkIndex(lookup, orgIndexRoot(org), org, opts);
}

/**
 * The agents of `org` that offer `capability` (`<capability>._cap._agents.<org>`): one query for
 * an index of up to PAGE_MAX agents. A capability that is no DNS label has no index: a problem.
 */
export async function walkCapabilityIndex(lookup: DnsLookup, org: string, capability: string, opts: IndexWalkOptions = {}): Promise<IndexWalk> {
  const root = capIndexRoot(org, capability);
  if (root === undefined) {
    return { names: [], nodes: 0, problems: [{ code: 'ERR_GATEWAY_BAD_INDEX', message: `capability ${JSON.stringify(capability)} is not [a-z0-9][a-z0-9-]* (at most 63), so it has no index` }] };
  }
  return walkIndex(lookup, root, org, opts);
}
