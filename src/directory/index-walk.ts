// Reading an organisation's index (docs/records.md; docs/directory.md, "What the crawler reads"):
// the PTR set at `_index._agents.<org>`. A PTR target that is itself under `_index._agents.<org>`
// is a sub-index page, read the same way (at most three levels down, each page once); any other
// target inside the organisation is an agent. With no PTRs, the TXT index `agents=label:mcp,...`
// DNS-AID publishers write. The same walk reads a zone transferred whole or asked name by name.

import { readIndexRecord } from '../agent/index.js';
import { isInDomain, nameKey, readName } from '../wire/name.js';
import { Rcode, RRType, rcodeToString } from '../wire/types.js';
import { describeNotAnAnswer, notAnAnswer, type DnsLookup } from '../mcp/lookup.js';
import type { RR } from '../wire/rr.js';
import { BudgetError, type ZoneSpend } from './budget.js';

export const MAX_INDEX_DEPTH = 3;

export interface ZoneProblemNote {
  code: string;
  message: string;
}

/** The records at one owner name, as a transfer or a query gives them. */
export interface IndexSource {
  /** RRs of `type` at `owner`, with a problem when they could not be read; undefined: the name holds none. */
  read(owner: string, type: number): Promise<{ records: RR[]; problem?: ZoneProblemNote }>;
}

export interface IndexResult {
  names: string[];
  /** The smallest TTL of the index records read. */
  ttl?: number;
  problems: ZoneProblemNote[];
  /** Sub-index pages read (the top not counted). */
  pages: number;
}

const abs = (n: string): string => (n.endsWith('.') ? n : `${n}.`);
const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();

/** Walk `org`'s index through `source`, spending `spend` (agents, pages, rate, time). */
export async function walkIndex(source: IndexSource, org: string, spend: ZoneSpend, signal?: AbortSignal): Promise<IndexResult> {
  const top = org === '.' ? '_index._agents.' : `_index._agents.${plain(org)}.`;
  const orgAbs = abs(plain(org));
  const problems: ZoneProblemNote[] = [];
  const names: string[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>([nameKey(top)]);
  let ttl: number | undefined;
  let pages = 0;
  const queue: Array<{ owner: string; depth: number }> = [{ owner: top, depth: 0 }];
  let anyPtr = false;
  try {
    while (queue.length > 0) {
      const { owner, depth } = queue.shift()!;
      await spend.step(signal);
      const got = await source.read(owner, RRType.PTR);
      if (got.problem) problems.push(got.problem);
      for (const rr of got.records) {
        let target: string;
        try {
          target = abs(readName(rr.rdata, 0).name);
        } catch {
          problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} PTR: malformed RDATA skipped` });
          continue;
        }
        anyPtr = true;
        ttl = Math.min(ttl ?? rr.ttl, rr.ttl);
        if (isInDomain(target, top) && nameKey(target) !== nameKey(top)) {
          // A sub-index page: each once (a page naming itself or an earlier one is a loop, not more agents).
          if (visited.has(nameKey(target))) continue;
          if (depth + 1 > MAX_INDEX_DEPTH) {
            problems.push({ code: 'ERR_DIRECTORY_INDEX_DEPTH', message: `${owner} PTR ${plain(target)}: a page more than ${MAX_INDEX_DEPTH} levels below ${plain(top)}, not read` });
            continue;
          }
          visited.add(nameKey(target));
          spend.page();
          pages++;
          queue.push({ owner: target, depth: depth + 1 });
          continue;
        }
        if (!isInDomain(target, orgAbs) || nameKey(target) === nameKey(orgAbs)) {
          problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${owner} PTR ${plain(target)}: outside ${plain(org)}, ignored` });
          continue;
        }
        const n = plain(target);
        if (seen.has(n)) continue;
        if (names.length >= spend.budget.maxAgents) {
          throw new BudgetError('ERR_DIRECTORY_TOO_MANY_AGENTS', `${plain(org)}: its index lists more than ${spend.budget.maxAgents} agents; the rest ignored`);
        }
        seen.add(n);
        names.push(n);
      }
    }
    if (!anyPtr) {
      await spend.step(signal);
      const got = await source.read(top, RRType.TXT);
      if (got.problem && problems.length === 0) problems.push(got.problem);
      for (const rr of got.records) {
        const read = readIndexRecord(rr.rdata);
        if (read.indexed) ttl = Math.min(ttl ?? rr.ttl, rr.ttl);
        for (const entry of read.notLabels) {
          problems.push({ code: 'ERR_GATEWAY_BAD_INDEX', message: `${top} TXT: entry ${JSON.stringify(entry.slice(0, 80))} is not a label, ignored` });
        }
        for (const label of read.labels) {
          const n = plain(org === '.' ? label : `${label}.${plain(org)}`);
          if (seen.has(n)) continue;
          if (names.length >= spend.budget.maxAgents) throw new BudgetError('ERR_DIRECTORY_TOO_MANY_AGENTS', `${plain(org)}: its TXT index lists more than ${spend.budget.maxAgents} agents; the rest ignored`);
          seen.add(n);
          names.push(n);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof BudgetError)) throw err;
    problems.push({ code: err.code, message: err.message });
  }
  return { names, ...(ttl !== undefined ? { ttl } : {}), problems, pages };
}

/** An IndexSource over DNS queries (a recursive resolver, or the zone's own server). */
export function querySource(lookup: DnsLookup): IndexSource {
  const from = lookup.source ?? 'the DNS server';
  return {
    async read(owner, type) {
      const what = `${plain(owner)} ${type === RRType.PTR ? 'PTR' : 'TXT'}`;
      let reply;
      try {
        reply = await lookup.query(owner, type);
      } catch (err) {
        return { records: [], problem: { code: 'ERR_LOOKUP_FAILED', message: `${what}: ${(err as Error).message}` } };
      }
      if (reply.rcode === Rcode.NXDOMAIN) return { records: [] };
      if (reply.rcode !== Rcode.NOERROR) return { records: [], problem: { code: 'ERR_LOOKUP_FAILED', message: `${what}: ${from} answered ${rcodeToString(reply.rcode)}` } };
      const odd = notAnAnswer(reply, owner);
      if (odd !== undefined) return { records: [], problem: { code: odd.kind === 'referral' ? 'ERR_LOOKUP_REFERRAL' : 'ERR_LOOKUP_LAME', message: describeNotAnAnswer(odd, what, lookup.source) } };
      const records = reply.answers.filter((r) => r.type === type && nameKey(r.name) === nameKey(owner));
      // An RRset too large for any message is not an empty index (the paged index exists for that).
      if (reply.tc === true) return { records, problem: { code: 'ERR_LOOKUP_FAILED', message: `${what}: ${from} sent a truncated reply (TC=1); the index is too large for one message: page it (docs/records.md)` } };
      return { records };
    },
  };
}

/** An IndexSource over a zone's records (a transfer), grouped by owner. */
export function recordSource(byOwner: ReadonlyMap<string, RR[]>): IndexSource {
  return {
    async read(owner, type) {
      return { records: (byOwner.get(nameKey(abs(owner))) ?? []).filter((r) => r.type === type) };
    },
  };
}
