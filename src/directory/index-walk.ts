// Reading an organisation's index for the crawler (docs/records.md; docs/directory.md, "What the
// crawler reads"): the one index walker (src/mcp/index-walk.ts) under the zone's budget (its
// rate, time, pages and agents), then, with no PTRs at all, the TXT index `agents=label:mcp,...`
// DNS-AID publishers write. The same walk reads a zone transferred whole or asked name by name.

import { MAX_PAGE_DEPTH, orgIndexRoot, readIndexRecord } from '../agent/index.js';
import { walkIndex as walkTree, type IndexProblem, type IndexSource } from '../mcp/index-walk.js';
import { RRType } from '../wire/types.js';
import { BudgetError, type ZoneSpend } from './budget.js';

export { querySource, recordSource, type IndexSource } from '../mcp/index-walk.js';

export const MAX_INDEX_DEPTH = MAX_PAGE_DEPTH;

/** A problem the crawler notes for a zone (its `zone_problems` entry): the walker's problems are these. */
export interface ZoneProblemNote extends IndexProblem {
  code: string;
  message: string;
}

export interface IndexResult {
  names: string[];
  /** The smallest TTL of the index records read. */
  ttl?: number;
  problems: ZoneProblemNote[];
  /** Sub-index pages read (the top not counted). */
  pages: number;
}

const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();

/** Walk `org`'s index through `source`, spending `spend` (agents, pages, rate, time). */
export async function walkIndex(source: IndexSource, org: string, spend: ZoneSpend, signal?: AbortSignal): Promise<IndexResult> {
  const top = orgIndexRoot(org);
  const problems: ZoneProblemNote[] = [];
  const names: string[] = [];
  let ttl: number | undefined;
  let pages = 0;
  try {
    // One read at a time: the budget's rate is per zone, and a hostile zone must not get more.
    // A budget breach ends the walk; what was read before it still counts.
    const walk = await walkTree(source, top, org, {
      concurrency: 1, signal, maxNames: spend.budget.maxAgents, stopAtMaxNames: true, depthCode: 'ERR_DIRECTORY_INDEX_DEPTH',
      beforeRead: () => spend.step(signal),
      onPage: () => {
        spend.page();
        pages++;
      },
      tooManyNames: (max) => ({ code: 'ERR_DIRECTORY_TOO_MANY_AGENTS', message: `${plain(org)}: its index lists more than ${max} agents; the rest ignored` }),
    });
    names.push(...walk.names.map(plain));
    ttl = walk.ttl;
    problems.push(...walk.problems);
    if (walk.stopped instanceof BudgetError) problems.push({ code: walk.stopped.code, message: walk.stopped.message });
    else if (walk.stopped !== undefined && !problems.includes(walk.stopped as ZoneProblemNote)) throw walk.stopped;
    if (!walk.anyPtr && walk.stopped === undefined) {
      await spend.step(signal);
      const got = await source.read(top, RRType.TXT, signal);
      if (got.problem && problems.length === 0) problems.push(got.problem);
      const seen = new Set(names);
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
