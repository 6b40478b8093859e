// What an IXFR (RFC 1995) changed in an organisation's agents, read from its differences alone:
// the agents added to or removed from the index, and the agents whose own records (their SVCB,
// their `_agent` TXT) changed. What the differences cannot say for sure (a page of the index
// added or split, an address or alias at a name that is not an agent: it may be an
// endpoint's host or an alias target) is a reason to read the zone whole instead, as a secondary
// falls back to AXFR.

import { isPage, orgIndexRoot } from '../agent/index.js';
import { isInDomain, nameEquals, readName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import type { ZoneDiff } from '../xfr/diff.js';

export type AgentChanges =
  /** `txtIndex`: the TXT index changed, which counts only when the index has no PTR (the crawler asks). */
  | { agents: string[]; removed: string[]; txtIndex: boolean }
  /** The differences cannot be applied agent by agent: why. */
  | { whole: string };

const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();
const abs = (n: string): string => (n.endsWith('.') ? n : `${n}.`);

/**
 * The agents of `zone` the differences `diffs` (oldest first) touch. `listed(name)`: whether the
 * name is an agent of the zone before them (in the directory). Names plain (no final dot, lower case).
 */
export function agentChanges(zone: string, diffs: readonly ZoneDiff[], listed: (name: string) => boolean): AgentChanges {
  const top = orgIndexRoot(zone);
  const inIndex = new Map<string, boolean>();
  const touched = new Set<string>();
  const unknown: RR[] = [];
  let txtIndex = false;
  for (const d of diffs) {
    for (const [rrs, add] of [[d.removed, false], [d.added, true]] as const) {
      for (const rr of rrs) {
        if (rr.type === RRType.SOA) continue;
        const owner = plain(rr.name);
        if (isInDomain(abs(rr.name), top)) {
          if (rr.type === RRType.TXT && nameEquals(abs(rr.name), top)) txtIndex = true;
          if (rr.type !== RRType.PTR) continue;
          let target: string;
          try {
            target = readName(rr.rdata, 0).name;
          } catch {
            return { whole: `a malformed PTR at ${owner}` };
          }
          if (isPage(target, top)) return { whole: `a page of the index changed (${owner} PTR ${plain(target)})` };
          // The last difference says: a PTR removed then added again (a page rewritten) stays listed.
          inIndex.set(plain(target), add);
          continue;
        }
        if (owner.startsWith('_agent.')) touched.add(owner.slice('_agent.'.length));
        else {
          touched.add(owner);
          unknown.push(rr);
        }
      }
    }
  }
  const removed = [...inIndex].filter(([n, on]) => !on && listed(n)).map(([n]) => n);
  const gone = new Set(removed);
  const isAgent = (n: string): boolean => !gone.has(n) && (inIndex.get(n) === true || listed(n));
  // A record at a name that is not an agent: harmless unless an agent may read it.
  for (const rr of unknown) {
    const owner = plain(rr.name);
    if (isAgent(owner) || gone.has(owner)) continue;
    if (rr.type === RRType.A || rr.type === RRType.AAAA) return { whole: `an address of ${owner} changed (it may be an agent endpoint's host)` };
    if (rr.type === RRType.CNAME || rr.type === RRType.SVCB || rr.type === RRType.HTTPS) return { whole: `${owner} changed (it may be an agent's alias target)` };
  }
  const agents = new Set<string>();
  for (const n of touched) if (isAgent(n)) agents.add(n);
  for (const [n, on] of inIndex) if (on && !listed(n)) agents.add(n);
  return { agents: [...agents].sort(), removed: removed.sort(), txtIndex };
}
