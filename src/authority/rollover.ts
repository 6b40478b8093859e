// The network half of key rollover, around the signer's clock-driven passes: before each
// refresh, the parent's DS set of every zone signed here whose parent is elsewhere is asked of
// the parental agents (`--dnssec-parental-agent`, as BIND's parental-agents: the KSK roll waits
// on it), and, with `--dnssec-cds-scan`, the CDS of every secure child served elsewhere is
// read and, when the current DS chain vouches for it, made the child's DS here (cds-scan.ts);
// with `--dnssec-cds-bootstrap`, insecure children are watched for a CDS to bootstrap from
// (cds-bootstrap.ts, RFC 8078 3.3; the sightings kept in the key folder). When the daemon also validates (`--resolver` with trust
// anchors), the parental agents' DS answers count only when its validator finds them secure:
// a forged DS set could otherwise move a roll on to a key the parent does not vouch for.

import path from 'node:path';
import type { Logger } from '../base/log.js';
import type { RR } from '../wire/rr.js';
import { query, type Server } from '../transport/exchange.js';
import type { UpstreamUdp } from '../transport/udp.js';
import { nameEquals, nameKey, parentName } from '../wire/name.js';
import { Rcode, RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { scanDelegations } from './cds-scan.js';
import type { ParentDs } from './ksk-roll.js';
import type { Signer } from './signer.js';
import { BootstrapWatch, BOOTSTRAP_FILE } from './cds-bootstrap.js';

/** RFC 8078 3.3 leaves the delay to the parent; three days outlast a short hijack of the path. */
export const DEFAULT_BOOTSTRAP_HOLD = 72 * 3600;

/**
 * A validator's verdict on an answer (the daemon's, src/resolver/validate), for the parental
 * agents' DS answers: 'secure', 'insecure', 'bogus', 'indeterminate', or 'unjudged' (no trust
 * anchor covers the parent zone).
 */
export type AnswerJudge = (name: string, type: number, r: { rcode: number; answer: RR[]; authority: RR[] }) => Promise<{ security: string; why?: string }>;

export interface RolloverOptions {
  /** Set by the daemon when it validates: a DS answer of a parental agent counts only when secure. */
  judge?: AnswerJudge;
  /** Servers of the parent zones, asked for our zones' DS sets. */
  parentalAgents?: Server[];
  /** Read the CDS of secure children served elsewhere, and follow it. */
  cdsScan?: boolean;
  /** Port the children's name servers (from glue) are asked on. Default 53. */
  cdsPort?: number;
  /** With cdsScan: bootstrap insecure children from a CDS all their name servers agree on (RFC 8078 3.3). */
  bootstrap?: boolean;
  /** Seconds the CDS must be seen unchanged before the bootstrap takes it. Default DEFAULT_BOOTSTRAP_HOLD. */
  bootstrapHold?: number;
  /** Milliseconds per query. Default 1500. */
  timeout?: number;
  /** Socket code of the UDP queries (ExchangeOptions.udp): `dgram` with the daemon's --udp-io dgram. Default `auto`. */
  udp?: UpstreamUdp;
}

export class Rollover {
  private readonly seen = new Map<string, ParentDs>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<Zone[]>;
  private readonly bootstrap?: BootstrapWatch;

  constructor(
    private readonly signer: Signer,
    private readonly zones: { list(): Zone[]; get(origin: string): Zone | undefined },
    private readonly opts: RolloverOptions,
    private readonly log: Logger,
  ) {
    // The sightings beside the keys: a restart keeps each hold where it was.
    if (opts.bootstrap) this.bootstrap = new BootstrapWatch(opts.bootstrapHold ?? DEFAULT_BOOTSTRAP_HOLD, { file: path.join(signer.keyDir, BOOTSTRAP_FILE), log });
  }

  /** The parent's DS set last seen for `origin` (undefined when no agent answered for it). */
  parentDs(origin: string): ParentDs | undefined {
    return this.seen.get(nameKey(origin));
  }

  private parentHere(origin: string): boolean {
    for (let p = parentName(origin); p !== undefined; p = parentName(p)) if (this.zones.get(p)) return true;
    return false;
  }

  private servedHere(origin: string): boolean {
    return this.zones.get(origin) !== undefined;
  }

  /** Ask the parental agents for the DS set of `origin`; the first authoritative answer counts. */
  private async watch(origin: string): Promise<void> {
    for (const agent of this.opts.parentalAgents ?? []) {
      try {
        const r = await query(agent, { name: origin, type: RRType.DS, class: 1 }, { rd: false, edns: { udpSize: 1232, dnssecOk: true }, timeout: this.opts.timeout ?? 1500, ...(this.opts.udp ? { udp: this.opts.udp } : {}) });
        if (!r.message.aa || r.message.rcode !== Rcode.NOERROR) continue;
        if (this.opts.judge) {
          const v = await this.opts.judge(origin, RRType.DS, { rcode: r.message.rcode, answer: r.message.answers, authority: r.message.authority });
          // Secure counts; so does insecure (the parent proven unsigned: no chain runs through
          // this DS), and unjudged (no trust anchor covers the parent). Bogus, or no verdict
          // reached, does not: the roll waits.
          if (v.security !== 'secure' && v.security !== 'insecure' && v.security !== 'unjudged') {
            this.log.warn(`zone ${origin}: the DS answer of parental agent ${agent.address} is not taken: ${v.security}${v.why ? ` (${v.why})` : ''}`);
            continue;
          }
        }
        const ds = r.message.answers.filter((rr) => rr.type === RRType.DS && nameEquals(rr.name, origin));
        const soa = r.message.authority.find((rr) => rr.type === RRType.SOA);
        const ttl = ds[0]?.ttl ?? (soa ? Math.min(soa.ttl, soa.rdata.readUInt32BE(soa.rdata.length - 4)) : 0);
        this.seen.set(nameKey(origin), { ds: ds.map((rr) => rr.rdata), ttl });
        return;
      } catch (err) {
        this.log.debug(`zone ${origin}: parental agent ${agent.address}: ${(err as Error).message}`);
      }
    }
  }

  /** One pass: the parents' DS sets, the children's CDS, then the signer's refresh. Returns the re-signed zones. */
  pass(): Promise<Zone[]> {
    this.running ??= this.passOnce().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async passOnce(): Promise<Zone[]> {
    const zones = this.zones.list();
    for (const z of zones) {
      if (!this.parentHere(z.originKey)) await this.watch(z.origin);
    }
    if (this.opts.cdsScan) {
      for (const z of zones) {
        await scanDelegations(z, {
          now: this.signer.now(), port: this.opts.cdsPort ?? 53, log: this.log, ask: { ...(this.opts.timeout !== undefined ? { timeout: this.opts.timeout } : {}), ...(this.opts.udp ? { udp: this.opts.udp } : {}) },
          servedHere: (o) => this.servedHere(o),
          currentDs: (cut) => this.signer.adoptedDs(cut) ?? z.nodeByKey(nameKey(cut))?.rrsets.get(RRType.DS)?.rdata ?? [],
          adopt: (cut, ds, ttl) => this.signer.adoptDs(cut, ds, ttl), bootstrap: this.bootstrap,
        });
      }
    }
    return this.signer.refresh(zones);
  }

  /** Run pass() on a timer (every quarter of the refresh time, 1 s to 1 h); `changed` gets each re-signed zone. */
  start(every: number, changed: (signed: Zone) => void): void {
    this.timer = setInterval(() => {
      this.pass().then((zs) => zs.forEach(changed), (err: unknown) => this.log.error(`DNSSEC rollover pass failed: ${(err as Error).message}`));
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
