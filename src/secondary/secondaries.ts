// The daemon's secondary zones: parsing `ORIGIN:PRIMARY[:PORT]`, starting each zone, taking
// NOTIFY for them, and saying which names must get SERVFAIL (a zone expired or not yet loaded).

import { isIP } from 'node:net';
import { encodeMessage, type Message } from '../wire/message.js';
import type { OpcodeHandler, RequestContext } from '../wire/request.js';
import { isInDomain, labelCount, nameKey, parseName } from '../wire/name.js';
import { Opcode, Rcode } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { XfrError } from '../xfr/errors.js';
import type { TsigKey } from '../wire/tsig.js';
import { notifyReply, readNotify } from '../xfr/notify.js';
import { SecondaryZone, type SecondaryConfig, type SecondaryOptions } from './secondary.js';

/**
 * `acme.agents:127.0.0.3`, `acme.agents:127.0.0.3:5300`, `acme.agents:[::1]:53`, and any of them
 * followed by `,key=NAME` to sign the transfers with that TSIG key. Throws ERR_XFR_BAD_OPTION.
 */
export function parseSecondary(spec: string): SecondaryConfig {
  const bad = (why: string): XfrError => new XfrError('ERR_XFR_BAD_OPTION', `secondary "${spec}": ${why} (want ORIGIN:PRIMARY[:PORT][,key=NAME], e.g. acme.agents:192.0.2.1)`);
  let text = spec;
  let key: string | undefined;
  const comma = spec.indexOf(',');
  if (comma >= 0) {
    const m = /^key=([^,\s]+)$/.exec(spec.slice(comma + 1));
    if (!m) throw bad(`"${spec.slice(comma + 1)}" after the comma is not key=NAME`);
    key = m[1]!;
    text = spec.slice(0, comma);
  }
  const colon = text.indexOf(':');
  if (colon <= 0) throw bad('no primary address');
  let origin: string;
  try {
    const o = text.slice(0, colon);
    origin = parseName(o.endsWith('.') ? o : o + '.');
  } catch (e) {
    throw bad(`bad zone name: ${(e as Error).message}`);
  }
  const rest = text.slice(colon + 1);
  let address = rest;
  let port = 53;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const v4 = /^([^:]+):(\d+)$/.exec(rest);
  if (v6) {
    address = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (v4) {
    address = v4[1]!;
    port = Number(v4[2]);
  }
  if (isIP(address) === 0) throw bad(`"${address}" is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('port must be 1 to 65535');
  return key === undefined ? { origin, primary: { address, port } } : { origin, primary: { address, port }, key };
}

export interface SecondariesOptions extends Omit<SecondaryOptions, 'origin' | 'primary' | 'install' | 'tsig'> {
  install(origin: string, zone: Zone | undefined): void;
  /** The TSIG key of a name given as `key=NAME`; undefined when there is no such key. */
  keyNamed?(name: string): TsigKey | undefined;
}

export class Secondaries {
  private readonly zones = new Map<string, SecondaryZone>();

  constructor(configs: readonly SecondaryConfig[], opts: SecondariesOptions) {
    for (const c of configs) {
      if (this.zones.has(nameKey(c.origin))) throw new XfrError('ERR_XFR_BAD_OPTION', `secondary zone ${c.origin} is given twice`);
      let tsig: TsigKey | undefined;
      if (c.key !== undefined) {
        tsig = opts.keyNamed?.(c.key);
        if (!tsig) throw new XfrError('ERR_XFR_BAD_OPTION', `secondary zone ${c.origin}: no TSIG key named ${c.key} (give it with --tsig-key or --tsig-secret)`);
      }
      this.zones.set(nameKey(c.origin), new SecondaryZone({ ...opts, ...c, ...(tsig ? { tsig } : {}), install: (z) => opts.install(c.origin, z) }));
    }
  }

  get size(): number {
    return this.zones.size;
  }

  get(origin: string): SecondaryZone | undefined {
    return this.zones.get(nameKey(origin));
  }

  list(): SecondaryZone[] {
    return [...this.zones.values()];
  }

  start(): void {
    for (const z of this.zones.values()) z.start();
  }

  /**
   * The secondary zone that should answer `name` but cannot (expired, or never transferred),
   * unless a more specific zone in `served` answers it.
   */
  unavailable(name: string, served: Zone | undefined): SecondaryZone | undefined {
    let best: SecondaryZone | undefined;
    for (const z of this.zones.values()) {
      if (z.state === 'serving' || !isInDomain(name, z.origin)) continue;
      if (!best || labelCount(z.origin) > labelCount(best.origin)) best = z;
    }
    if (best && served && labelCount(served.origin) > labelCount(best.origin)) return undefined;
    return best;
  }

  /** The NOTIFY handler, an OpcodeHandler (src/wire/request.ts) that reads only the request and its source. */
  readonly notifyHandler = {
    name: 'notify',
    wants: (request: Message): boolean => request.opcode === Opcode.NOTIFY,
    handle: (ctx: Pick<RequestContext, 'request' | 'remoteAddress'>): Buffer => {
      const n = readNotify(ctx.request);
      if ('rcode' in n) return encodeMessage(notifyReply(ctx.request, n.rcode));
      const z = this.get(n.origin);
      // Not a zone we are secondary for (RFC 1996 3.10 leaves it to us; BIND and Knot say NOTAUTH).
      if (!z) return encodeMessage(notifyReply(ctx.request, Rcode.NOTAUTH));
      // Only the primary may make us transfer (RFC 1996 3.10): anyone else is refused.
      if (!z.notify(ctx.remoteAddress)) return encodeMessage(notifyReply(ctx.request, Rcode.REFUSED));
      return encodeMessage(notifyReply(ctx.request, Rcode.NOERROR));
    },
  } satisfies OpcodeHandler;

  async close(): Promise<void> {
    await Promise.all([...this.zones.values()].map((z) => z.close()));
  }
}
