// What the health probes look at: the MCP endpoint each agent SVCB record of the served zones
// names (in aop's form: path, transport and tool in the record), with the addresses the same
// zones give its host. A record that names no usable endpoint is not probed, and so never left out.
// An https endpoint whose TLSA the served zones hold signed is DANE-checked with it, as a client's
// call is (src/mcp/dane.ts); an unsigned TLSA is what clients ignore, so the probe does too.

import { cardFromRecords } from '../agent/index.js';
import { RRClass, RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';

export interface ProbeTarget {
  /** The endpoint URL: the key of its health state. */
  url: string;
  host: string;
  /** Where to connect: the host's A/AAAA in the served zones. */
  addresses: string[];
  /** Agents whose records name it (absolute names), for the log. */
  agents: string[];
  /** For https: the signed TLSA RDATA (hex) the served zones hold for it; absent for WebPKI. */
  tlsa?: string[];
}

/** Endpoint URL by record (RDATA buffer): records are immutable, so one parse each. */
const urls = new WeakMap<Buffer, { url: string; host: string; port: number; https: boolean } | null>();

/**
 * The streamable-http endpoint one SVCB record names, or undefined: AliasMode, a record that is
 * not in aop's form, or one a client would skip (docs/records.md). Cached per record.
 */
export function recordEndpoint(owner: string, rdata: Buffer): { url: string; host: string; port: number; https: boolean } | undefined {
  const hit = urls.get(rdata);
  if (hit !== undefined) return hit ?? undefined;
  let out: { url: string; host: string; port: number; https: boolean } | null = null;
  if (rdata.length >= 2 && rdata.readUInt16BE(0) !== 0) {
    try {
      const card = cardFromRecords(owner, [{ name: owner, type: RRType.SVCB, class: RRClass.IN, ttl: 0, rdata }]);
      const e = card.endpoints[0];
      if (e !== undefined && e.transport === 'streamable-http') out = { url: e.url, host: e.host, port: e.port, https: e.scheme === 'https' };
    } catch {
      // Not a usable agent record: a client skips it, and so does the probe.
    }
  }
  urls.set(rdata, out);
  return out ?? undefined;
}

/**
 * Every endpoint the agent records of `zones` name, once each, with its addresses from
 * `addresses(host)` (the served zones' A/AAAA). Endpoints with no address there are left out:
 * nothing to connect to without asking the DNS outside, which the server does not. `tlsa(host,
 * port)`: the signed TLSA RDATA the served zones hold for an https origin, if any.
 */
export function probeTargets(zones: Iterable<Zone>, addresses: (host: string) => string[], tlsa?: (host: string, port: number) => string[] | undefined): ProbeTarget[] {
  const byUrl = new Map<string, ProbeTarget>();
  for (const zone of zones) {
    for (const node of zone.allNodes()) {
      const set = node.rrsets.get(RRType.SVCB);
      if (set === undefined) continue;
      for (const rdata of set.rdata) {
        const e = recordEndpoint(set.name, rdata);
        if (e === undefined) continue;
        const known = byUrl.get(e.url);
        if (known !== undefined) {
          if (!known.agents.includes(set.name)) known.agents.push(set.name);
          continue;
        }
        const addrs = addresses(e.host);
        if (addrs.length === 0) continue;
        const records = e.https ? tlsa?.(e.host, e.port) : undefined;
        byUrl.set(e.url, { url: e.url, host: e.host, addresses: addrs, agents: [set.name], ...(records !== undefined && records.length > 0 ? { tlsa: records } : {}) });
      }
    }
  }
  return [...byUrl.values()];
}
