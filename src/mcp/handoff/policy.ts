// Endpoint selection: the card's endpoints in the order to try (priority, then weight, then the
// measured latency and recent failures when a rank is given), less those
// the policy refuses without contacting them (the caller's own listeners, loopback for a zone not
// served here, plain http where it is not allowed) or that cannot be tried (no address, transport).

import { orderEndpoints, type AgentCard, type AgentEndpoint } from '../../agent/index.js';
import type { Attempt } from '../errors.js';
import { isLoopback, isLocal, sameHost } from '../address.js';

export type AllowHttp = 'loopback' | 'any' | 'none';

/** A zone name as compared: lower case, no final dot ('' for the root or a non-name). */
export function zoneKey(zone: string): string {
  return zone.toLowerCase().replace(/\.+$/, '');
}

export interface EndpointPolicyOptions {
  allowHttp: AllowHttp;
  loopbackZones: 'any' | Iterable<string> | (() => Iterable<string>);
  selfAddresses: () => Iterable<{ address: string; port: number }>;
  random: () => number;
  /** Reorders each priority's endpoints (by measured latency and recent failures: endpoint-stats.ts). */
  rank?: <T extends AgentEndpoint>(list: readonly T[]) => T[];
}

export class EndpointPolicy {
  readonly allowHttp: AllowHttp;
  private readonly loopbackZones: () => Set<string> | 'any';
  readonly selfAddresses: () => Iterable<{ address: string; port: number }>;
  private readonly random: () => number;
  private readonly rank: (<T extends AgentEndpoint>(list: readonly T[]) => T[]) | undefined;

  constructor(opts: EndpointPolicyOptions) {
    this.rank = opts.rank;
    this.allowHttp = opts.allowHttp;
    const lz = opts.loopbackZones;
    const keys = (zones: Iterable<string>): Set<string> => new Set([...zones].map(zoneKey).filter((z) => z !== ''));
    if (lz === 'any') this.loopbackZones = () => 'any';
    else if (typeof lz === 'function') this.loopbackZones = () => keys(lz());
    else {
      const fixed = keys(lz);
      this.loopbackZones = () => fixed;
    }
    this.selfAddresses = opts.selfAddresses;
    this.random = opts.random;
  }

  /** Whether the card's zone may have loopback endpoints (loopbackZones). */
  loopbackOk(card: AgentCard): boolean {
    const zones = this.loopbackZones();
    return zones === 'any' || (card.zone !== undefined && zones.has(zoneKey(card.zone)));
  }

  /** The endpoints in the order to try, those the policy refuses or that have no address recorded in `tried`. */
  candidates(card: AgentCard, tried: Attempt[]): AgentEndpoint[] {
    const out: AgentEndpoint[] = [];
    // The policy's inputs, once per card: the caller's listeners, and whether this card's zone may use loopback.
    const self = [...this.selfAddresses()];
    const loopbackOk = this.loopbackOk(card);
    const ordered = orderEndpoints(card.endpoints, this.random);
    for (const e of this.rank ? this.rank(ordered) : ordered) {
      const addrs = e.addresses ?? [];
      if (e.transport !== 'streamable-http') {
        tried.push({ url: e.url, ok: false, code: 'UNSUPPORTED_TRANSPORT', error: `transport ${e.transport} is not supported (streamable-http only)`, ms: 0 });
        continue;
      }
      if (addrs.length === 0) {
        tried.push({ url: e.url, ok: false, code: 'NO_ADDRESS', error: `no A/AAAA record for ${e.host}`, ms: 0 });
        continue;
      }
      const why = this.refusal(card, e, addrs, self, loopbackOk);
      if (why !== undefined) {
        tried.push({ url: e.url, ok: false, code: why.code, error: why.error, ms: 0 });
        continue;
      }
      out.push(e);
    }
    return out;
  }

  /**
   * Why policy refuses an endpoint, or undefined: one of the caller's own addresses (REFUSED_SELF),
   * loopback for an agent of a zone not served here (REFUSED_LOOPBACK), plain http where not allowed (REFUSED_HTTP).
   */
  private refusal(card: AgentCard, e: AgentEndpoint, addrs: readonly string[], self: ReadonlyArray<{ address: string; port: number }>, loopbackOk: boolean): { code: string; error: string } | undefined {
    const port = e.port;
    const own = addrs.filter((a) => self.some((s) => s.port === port && sameHost(s.address, a)));
    if (own.length > 0) return { code: 'REFUSED_SELF', error: `${own.join(', ')} port ${port} is this host's own listener (a gateway or its DNS server): never called` };
    const local = addrs.filter(isLocal);
    if (local.length > 0 && !loopbackOk) {
      return {
        code: 'REFUSED_LOOPBACK',
        error: `loopback address ${local.join(', ')} for an agent of ${card.zone === undefined ? 'an unknown zone' : `zone ${card.zone}`}, which this host does not serve, is not allowed`,
      };
    }
    if (e.scheme === 'http') {
      const why = this.allowHttp === 'none' ? 'plain http is not allowed (allowHttp: none)'
        : this.allowHttp === 'loopback' && !addrs.every(isLoopback) ? `plain http to a non-loopback address (${addrs.filter((a) => !isLoopback(a)).join(', ')}) is not allowed`
        : undefined;
      if (why !== undefined) return { code: 'REFUSED_HTTP', error: why };
    }
    return undefined;
  }
}
