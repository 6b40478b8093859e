// The three states of an agent (issue 19): registered (its records exist: a card was made of
// them), reachable (an endpoint answered: a probe, or the hand-off's last try), and verified (the
// chain was checked: the records DNSSEC-secure by a trusted validator, or the capability document's
// SHA-256 the record's cap-sha256). `aop agent`, the gateway and the directory show them alike.

import type { AgentCard } from '../agent/index.js';
import type { RecordSecurity } from './security.js';
import type { EndpointStats } from './handoff/endpoint-stats.js';
import type { ProbeResult } from './probe.js';

export interface EndpointReach {
  url: string;
  /** true: it answered; false: it did not; null: not tried (or refused by policy, see `note`). */
  reachable: boolean | null;
  /** How it was judged: a probe now, or what the hand-off saw last. */
  source?: 'probe' | 'hand-off';
  /** The probe's time, or the hand-off's measured session-opening time, ms. */
  ms?: number;
  error?: string;
  /** Why it was not tried. */
  note?: string;
}

export interface AgentStates {
  /** The records exist and make a card (always true where a card is shown). */
  registered: true;
  /** An endpoint answered (true), every endpoint tried failed (false), or nothing was tried (null). */
  reachable: boolean | null;
  /** The DNSSEC state is secure, or the capability document matched its cap-sha256. */
  verified: boolean;
  /** The records' DNSSEC state as the validator judged it; 'not judged' without one. */
  dnssec: RecordSecurity | 'not judged';
  /** The cap-sha256 check: none in the record, checked and equal, or not checked (the document could not be had, or was not fetched). */
  capSha256: 'absent' | 'verified' | 'not checked';
  endpoints: EndpointReach[];
}

/** The states of a card given what is known of its endpoints (in card order; unknown ones null). */
export function agentStates(card: AgentCard, reach: readonly EndpointReach[], dnssec?: RecordSecurity): AgentStates {
  const byUrl = new Map(reach.map((r) => [r.url, r]));
  const endpoints = card.endpoints.map((e) => byUrl.get(e.url) ?? { url: e.url, reachable: null });
  const answered = endpoints.some((e) => e.reachable === true);
  const tried = endpoints.filter((e) => e.reachable !== null);
  const reachable = answered ? true : tried.length > 0 && tried.length === endpoints.length ? false : null;
  const d: AgentStates['dnssec'] = dnssec ?? card.dnssec?.state ?? 'not judged';
  const cap: AgentStates['capSha256'] = card.capSha256 === undefined ? 'absent' : card.capVerified === true ? 'verified' : 'not checked';
  return { registered: true, reachable, verified: d === 'secure' || cap === 'verified', dnssec: d, capSha256: cap, endpoints };
}

/** What the hand-off last saw of each endpoint: answered after its last failure, or failed after its last answer. */
export function reachFromStats(card: AgentCard, stats: EndpointStats): EndpointReach[] {
  return card.endpoints.map((e) => {
    const r = stats.get(e.url);
    if (r === undefined || (r.lastOk === undefined && r.lastFailure === undefined)) return { url: e.url, reachable: null };
    const ok = r.lastOk !== undefined && (r.lastFailure === undefined || r.lastOk >= r.lastFailure);
    return {
      url: e.url, reachable: ok, source: 'hand-off' as const,
      ...(r.latencyMs !== undefined ? { ms: Math.round(r.latencyMs) } : {}),
      ...(!ok && r.lastError !== undefined ? { error: r.lastError } : {}),
    };
  });
}

/** A probe's result as an endpoint's reach. */
export function reachFromProbe(url: string, r: ProbeResult): EndpointReach {
  return { url, reachable: r.ok, source: 'probe', ms: r.ms, ...(r.error !== undefined ? { error: r.error } : {}) };
}

/** One line for people: `registered, reachable (2 of 3 endpoints answered), verified (cap-sha256)`. */
export function statesText(s: AgentStates): string {
  const answered = s.endpoints.filter((e) => e.reachable === true).length;
  const tried = s.endpoints.filter((e) => e.reachable !== null).length;
  const reach = s.reachable === true ? `reachable (${answered} of ${s.endpoints.length} endpoint${s.endpoints.length === 1 ? '' : 's'} answered)`
    : s.reachable === false ? `not reachable (no endpoint answered of ${tried})`
    : tried > 0 ? `reachability unknown (${tried} of ${s.endpoints.length} tried, none answered)` : 'reachability not checked';
  const how = [s.dnssec === 'secure' ? 'DNSSEC secure' : `DNSSEC ${s.dnssec}`, s.capSha256 === 'verified' ? 'cap-sha256 verified' : s.capSha256 === 'absent' ? 'no cap-sha256' : 'cap-sha256 not checked'];
  return `registered, ${reach}, ${s.verified ? 'verified' : 'not verified'} (${how.join(', ')})`;
}
