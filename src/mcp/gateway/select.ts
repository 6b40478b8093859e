// call_agent by capability: of the candidate agents (cards with their states), those that offer
// the capability, best first: verified before unverified, reachable before not yet known, then the
// fastest measured endpoint, then the name (a stable order). Known-unreachable agents are left out.
// The candidates come from whatever discovery holds (today the gateway's directory of the
// configured zones; a search index tomorrow): this function only ranks what it is given.

import type { AgentCard } from '../../agent/index.js';
import type { AgentStates } from '../agent-state.js';

export interface Candidate {
  card: AgentCard;
  states: AgentStates;
}

/** Whether the card lists the capability (key65323), compared without case. */
export function offers(card: AgentCard, capability: string): boolean {
  const want = capability.trim().toLowerCase();
  return card.capabilities.some((c) => c.trim().toLowerCase() === want);
}

/** The best measured time among the endpoints that answered, ms; Infinity when none did. */
function bestMs(s: AgentStates): number {
  let best = Number.POSITIVE_INFINITY;
  for (const e of s.endpoints) if (e.reachable === true && e.ms !== undefined && e.ms < best) best = e.ms;
  return best;
}

/** The candidates that offer `capability` and are not known unreachable, best first. */
export function rankByCapability(capability: string, candidates: readonly Candidate[]): Candidate[] {
  const reachRank = (s: AgentStates): number => (s.reachable === true ? 0 : 1);
  return candidates
    .filter((c) => offers(c.card, capability) && c.states.reachable !== false)
    .sort((a, b) => Number(b.states.verified) - Number(a.states.verified)
      || reachRank(a.states) - reachRank(b.states)
      || bestMs(a.states) - bestMs(b.states)
      || (a.card.name < b.card.name ? -1 : a.card.name > b.card.name ? 1 : 0));
}
