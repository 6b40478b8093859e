// Zone transfers in the daemon: AXFR/IXFR out under the transfer ACL, NOTIFY out on every zone
// change, and secondary zones (transfer in, NOTIFY in, SERVFAIL once expired).

import { NetworkList } from '../base/netlist.js';
import { isIP } from 'node:net';
import type { Catalog } from '../authority/catalog.js';
import type { Keyring } from '../wire/tsig.js';
import type { Server } from '../transport/index.js';
import type { RR } from '../wire/rr.js';
import { readName } from '../wire/name.js';
import { Rcode, RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { TransferAcl } from '../xfr/acl.js';
import type { ZoneHistory } from '../xfr/diff.js';
import { TransferHandler, type TransferHandlerOptions } from '../xfr/handler.js';
import { Notifier } from '../xfr/notify.js';
import { Secondaries } from '../secondary/secondaries.js';
import type { SecondaryConfig } from '../secondary/secondary.js';
import type { Handler, HandlerResult, QueryContext } from './handler.js';
import type { TransferCounts } from '../base/metrics.js';
import type { Logger } from '../base/log.js';
import type { LogLimiter } from '../base/log-limit.js';

export interface TransferConfig {
  /** Who may AXFR/IXFR: addresses, networks, `key:NAME`. Default: no one. */
  allow?: string[];
  /** Secondaries to NOTIFY when a zone changes. */
  notify?: Server[];
  /**
   * Also NOTIFY the zone's own name servers (its apex NS records whose addresses are in the zone,
   * our own addresses left out), on port 53.
   */
  notifyNs?: boolean;
  /** Zones this daemon is a secondary for. */
  secondaries?: SecondaryConfig[];
  /** Folder for the secondaries' transferred copies. */
  secondaryDir?: string;
  /** Milliseconds for one transfer in; default 30000. */
  transferTimeout?: number;
  /** NOTIFY attempts per secondary per change; default 5. */
  notifyAttempts?: number;
  /**
   * Our addresses (the listen addresses): NOTIFYs and transfers leave from one of them, since a
   * secondary takes NOTIFY only from the address it knows its primary by. Empty: the kernel picks.
   */
  sources?: string[];
}

export class Transfers {
  acl: TransferAcl;
  readonly handler: TransferHandler;
  readonly notifier: Notifier;
  readonly secondaries: Secondaries | undefined;
  /** The handler's options, held so setAllow() changes the ACL it checks. */
  private readonly handlerOpts: TransferHandlerOptions;
  private readonly notifyTargets: Server[];
  private readonly notifyNs: boolean;
  /** Our own addresses, as a network list so any spelling of an IPv6 address matches. */
  private readonly ours = new NetworkList();

  constructor(config: TransferConfig, private readonly catalog: Catalog, private readonly log: Logger, hooks: { changed(): void; history?: ZoneHistory; keyring?: Keyring; limiter?: LogLimiter }) {
    this.acl = new TransferAcl(config.allow ?? []);
    const logAt = (level: 'info' | 'warn' | 'error', msg: string): void => this.log[level](msg);
    // The handler's warnings are refusals, which anyone can provoke: rate-limited when the daemon gives a limiter.
    const limiter = hooks.limiter;
    const transferLog = (level: 'info' | 'warn', msg: string): void => (level === 'warn' && limiter ? limiter.warn('refused transfer', msg) : logAt(level, msg));
    // A signed zone's journal holds its unsigned changes: IXFR of it sends the whole zone (RFC 1995 4).
    const history = catalog.signing ? undefined : hooks.history;
    this.handlerOpts = { zone: (o: string) => this.servedAt(o), acl: this.acl, history, log: transferLog };
    this.handler = new TransferHandler(this.handlerOpts);
    const source = sourcePicker(config.sources ?? []);
    this.notifier = new Notifier({ attempts: config.notifyAttempts, log: logAt, source });
    this.notifyTargets = config.notify ?? [];
    this.notifyNs = config.notifyNs ?? false;
    for (const a of config.sources ?? []) this.ours.addAddress(a);
    if (config.secondaries && config.secondaries.length > 0) {
      this.secondaries = new Secondaries(config.secondaries, {
        dir: config.secondaryDir, timeout: config.transferTimeout, source, log: logAt, keyNamed: (name) => hooks.keyring?.get(name),
        install: (origin, zone) => {
          if (zone) catalog.set(zone);
          else catalog.delete(origin);
          hooks.changed();
          if (zone) this.zoneChanged(zone);
        },
      });
    }
  }

  /** Who may transfer from now on (a SIGHUP with a new --allow-transfer). Throws ERR_XFR_BAD_OPTION. */
  setAllow(entries: readonly string[]): void {
    this.acl = new TransferAcl(entries);
    this.handlerOpts.acl = this.acl;
  }

  /** The zone served at exactly `origin` (a transfer is of a whole zone, never found by suffix). */
  private servedAt(origin: string): Zone | undefined {
    return this.catalog.getServed(origin);
  }

  start(): void {
    this.secondaries?.start();
  }

  /** A zone was loaded, reloaded or updated: NOTIFY the secondaries (not awaited; retries run on). */
  zoneChanged(stored: Zone): void {
    // The serial secondaries will see: the signed version's, when the zone is signed here.
    const zone = this.catalog.view(stored);
    const targets = [...this.notifyTargets];
    if (this.notifyNs) {
      const seen = new Set(targets.map((t) => `${t.address}#${t.port ?? 53}`));
      for (const address of nameServerAddresses(zone)) {
        if (this.ours.contains(address) || seen.has(`${address}#53`)) continue;
        seen.add(`${address}#53`);
        targets.push({ address, port: 53 });
      }
    }
    if (targets.length === 0) return;
    const soa: RR = { name: zone.soa.name, type: RRType.SOA, class: zone.soa.class, ttl: zone.soa.ttl, rdata: zone.soa.rdata[0]! };
    void this.notifier.notify(zone.origin, soa, targets);
  }

  /** Answers SERVFAIL for names in a secondary zone we cannot serve (expired, or not transferred yet). */
  readonly expiredHandler: Handler = {
    name: 'secondary-expired',
    handle: (ctx: QueryContext): HandlerResult | undefined => {
      const q = ctx.request.questions[0]!;
      if (!this.secondaries?.unavailable(q.name, this.catalog.find(q.name))) return undefined;
      return { rcode: Rcode.SERVFAIL, aa: false, answers: [], authority: [], additional: [] };
    },
  };

  /** Counters for the control socket's stats: transfers served, and each secondary zone's state. */
  snapshot(): Record<string, unknown> {
    const secondaries = Object.fromEntries((this.secondaries?.list() ?? []).map((z) => [z.origin, {
      state: z.state, serial: z.zone?.serial, primary: `${z.primary.address}:${z.primary.port}`,
      lastSuccess: z.lastSuccess === undefined ? undefined : new Date(z.lastSuccess).toISOString(), lastError: z.lastError?.message, ...z.counts,
    }]));
    return { out: { ...this.handler.counts }, notifiesAcknowledged: this.notifier.acked.size, secondaries };
  }

  /** What the metrics read (base/metrics.ts TransferCounts). */
  counts(): TransferCounts {
    return {
      out: this.handler.counts, notify: this.notifier.counts,
      secondaries: (this.secondaries?.list() ?? []).map((z) => ({ zone: z.origin, serial: z.zone?.serial, expired: z.state !== 'serving', ...z.counts })),
    };
  }

  async close(): Promise<void> {
    this.notifier.close();
    await this.secondaries?.close();
  }
}

const isLoopback = (a: string): boolean => a === '::1' || a.startsWith('127.');

/**
 * The address to send from to a given peer: one of ours of the peer's family, on loopback when the
 * peer is on loopback and off it otherwise (a loopback source cannot reach another host).
 */
export function sourcePicker(ours: readonly string[]): (peer: string) => string | undefined {
  const usable = ours.filter((a) => a !== '0.0.0.0' && a !== '::' && isIP(a) !== 0);
  return (peer) => usable.find((a) => isIP(a) === isIP(peer) && isLoopback(a) === isLoopback(peer));
}

/** Addresses of the zone's apex name servers that the zone itself holds (in-zone NS targets' A/AAAA). */
export function nameServerAddresses(zone: Zone): string[] {
  const out: string[] = [];
  for (const rdata of zone.apex.rrsets.get(RRType.NS)?.rdata ?? []) {
    let target: string;
    try {
      target = readName(rdata, 0).name;
    } catch {
      continue;
    }
    for (const a of zone.rrset(target, RRType.A)?.rdata ?? []) out.push([...a].join('.'));
    for (const a of zone.rrset(target, RRType.AAAA)?.rdata ?? []) {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i).toString(16));
      out.push(groups.join(':'));
    }
  }
  return out;
}
