// Health-filtered SVCB answers, as PowerDNS's ifurlup() and Route 53's health checks answer: the
// records whose endpoint is down are left out while another endpoint remains, and when every
// probed endpoint is down the whole set is served (an empty answer would only hide the agent).

import type { RRset } from '../wire/rr.js';
import { recordEndpoint } from './targets.js';

/**
 * The records of an SVCB set to serve, or undefined to serve it whole: nothing in it is down,
 * or everything that could be probed is. Records that name no probed endpoint (AliasMode, other
 * forms, hosts outside the served zones) are always kept but do not count as an endpoint left.
 */
export function healthySubset(set: RRset, down: (url: string) => boolean): Buffer[] | undefined {
  const kept: Buffer[] = [];
  let removed = 0;
  let alive = 0;
  for (const rdata of set.rdata) {
    const e = recordEndpoint(set.name, rdata);
    if (e !== undefined && down(e.url)) {
      removed++;
      continue;
    }
    if (e !== undefined) alive++;
    kept.push(rdata);
  }
  if (removed === 0 || alive === 0) return undefined;
  return kept;
}
