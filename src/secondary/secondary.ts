// One secondary zone (RFC 1034 4.3.5, RFC 1996): transfer from the primary (IXFR, falling back to
// AXFR), serve the last good copy, refresh on NOTIFY and on the SOA refresh timer, retry after
// failures, stop serving at the SOA expire time, and keep the copy on disk across restarts.

import { unmapIPv4 } from '../base/netlist.js';
import { atomicWrite } from '../base/atomic-write.js';
import { mkdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { Server } from '../transport/index.js';
import { nameKey } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import { loadZoneFile, zoneToText } from '../zone/load.js';
import type { Zone } from '../zone/zone.js';
import { transferIn } from '../xfr/client.js';
import type { TsigKey } from '../wire/tsig.js';
import { soaTimers } from '../xfr/diff.js';
import { XfrError } from '../xfr/errors.js';
import { applyDiffs, zoneFromRecords } from './apply.js';

export interface SecondaryConfig {
  /** The zone, fully qualified: 'acme.agents.'. */
  origin: string;
  primary: Server;
  /** Name of the TSIG key to sign transfers with (looked up in the daemon's keyring). */
  key?: string;
}

export interface SecondaryOptions extends SecondaryConfig {
  /** Folder for the transferred copy (`<origin>zone`); without it the copy lives in memory only. */
  dir?: string;
  /** Put a zone in service, or take the zone out of service (undefined: expired or never loaded). */
  install(zone: Zone | undefined): void;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** Milliseconds for one transfer; default 30000. */
  timeout?: number;
  /** Wait before retrying when we hold no copy and so no SOA retry timer; default 10 s. */
  initialRetryMs?: number;
  /** Shortest wait the SOA timers may ask for (a refresh of 0 would loop); default 1 s. */
  minTimerMs?: number;
  /** Address transfers to a primary leave from (the primary's ACL sees it); default: the kernel picks. */
  source?: (primary: string) => string | undefined;
  /** The TSIG key transfers are signed with. */
  tsig?: TsigKey;
  now?: () => number;
}

export type SecondaryState = 'empty' | 'serving' | 'expired';

export interface RefreshOutcome {
  result: 'current' | 'axfr' | 'ixfr' | 'failed';
  serial?: number;
  error?: Error;
}

/** setTimeout's ceiling (about 24.8 days); longer SOA timers are re-armed when it fires. */
const MAX_TIMER = 0x7fffffff;

export class SecondaryZone {
  readonly origin: string;
  readonly primary: Required<Server>;
  state: SecondaryState = 'empty';
  zone: Zone | undefined;
  /** When the copy was last confirmed current with the primary (ms since epoch). */
  lastSuccess: number | undefined;
  lastError: Error | undefined;
  readonly counts = { axfr: 0, ixfr: 0, current: 0, failed: 0, notifies: 0 };
  private running: Promise<RefreshOutcome> | undefined;
  private again = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private expireTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: SecondaryOptions) {
    this.origin = opts.origin;
    this.primary = { address: opts.primary.address, port: opts.primary.port ?? 53 };
    this.now = opts.now ?? Date.now;
  }

  private get localAddress(): string | undefined {
    return this.opts.source?.(this.primary.address);
  }

  /** The file the copy is kept in, when a folder is set. */
  get file(): string | undefined {
    if (this.opts.dir === undefined) return undefined;
    const stem = this.origin === '.' ? 'root' : this.origin.replace(/\.$/, '');
    return path.join(this.opts.dir, `${stem}.zone`);
  }

  /** Serve the copy on disk if it has not expired, then refresh from the primary (not awaited). */
  start(): void {
    this.loadCopy();
    void this.refresh('start');
  }

  private loadCopy(): void {
    const file = this.file;
    if (file === undefined) return;
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      return; // no copy yet
    }
    let zone: Zone;
    try {
      zone = loadZoneFile(file, { origin: this.origin });
    } catch (e) {
      this.log('warn', `secondary ${this.origin}: the copy in ${file} does not load; transferring afresh:\n${(e as Error).message}`);
      return;
    }
    const expireAt = mtime + soaTimers({ rdata: zone.soa.rdata[0]! }).expire * 1000;
    if (this.now() >= expireAt) {
      this.log('warn', `secondary ${this.origin}: the copy in ${file} (serial ${zone.serial}) has expired; not serving it`);
      this.zone = zone; // still good for IXFR
      this.state = 'expired';
      return;
    }
    this.lastSuccess = mtime;
    this.serve(zone);
    this.armExpire();
    this.log('info', `secondary ${this.origin}: serving the copy in ${file}, serial ${zone.serial}`);
  }

  private serve(zone: Zone): void {
    this.zone = zone;
    this.state = 'serving';
    this.opts.install(zone);
  }

  /** A NOTIFY arrived from `address`: refresh now if it is our primary. Returns whether it was accepted. */
  notify(address: string): boolean {
    if (unmapIPv4(address) !== this.primary.address) {
      this.log('warn', `secondary ${this.origin}: NOTIFY from ${address} refused: not the primary ${this.primary.address}`);
      return false;
    }
    this.counts.notifies++;
    void this.refresh('notify');
    return true;
  }

  /**
   * Ask the primary for changes and apply them. One refresh at a time: a call while one runs makes
   * it run once more afterwards (a NOTIFY during a transfer may announce a newer serial).
   */
  refresh(reason: string): Promise<RefreshOutcome> {
    if (this.closed) return Promise.resolve({ result: 'failed', error: new XfrError('ERR_XFR_ABORTED', 'closed') });
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.clearRefresh();
    this.running = (async () => {
      let outcome: RefreshOutcome;
      do {
        this.again = false;
        outcome = await this.refreshOnce(reason);
      } while (this.again && !this.closed);
      return outcome;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async refreshOnce(reason: string): Promise<RefreshOutcome> {
    const where = `${this.primary.address}:${this.primary.port}`;
    try {
      const outcome = await this.transfer();
      this.lastSuccess = this.now();
      this.lastError = undefined;
      this.counts[outcome.result as 'axfr' | 'ixfr' | 'current']++;
      if (outcome.result === 'current') this.touchCopy();
      this.log('info', `secondary ${this.origin}: ${reason} refresh from ${where}: ${outcome.result}, serial ${outcome.serial}`);
      this.armExpire();
      this.armRefresh(soaTimers({ rdata: this.zone!.soa.rdata[0]! }).refresh * 1000);
      return outcome;
    } catch (e) {
      const err = e as Error;
      this.lastError = err;
      this.counts.failed++;
      if (this.closed) return { result: 'failed', error: err };
      const retry = this.zone ? soaTimers({ rdata: this.zone.soa.rdata[0]! }).retry * 1000 : (this.opts.initialRetryMs ?? 10_000);
      this.log('warn', `secondary ${this.origin}: ${reason} refresh from ${where} failed (${(err as { code?: string }).code ?? 'error'}: ${err.message}); `
        + `${this.state === 'serving' ? `serving serial ${this.zone!.serial}, ` : ''}retrying in ${Math.round(retry / 1000)} s`);
      this.armRefresh(retry);
      return { result: 'failed', error: err };
    }
  }

  /** IXFR from our serial when we hold a copy (AXFR when the primary cannot), else AXFR. */
  private async transfer(): Promise<RefreshOutcome> {
    const base = { timeout: this.opts.timeout ?? 30_000, signal: this.abort.signal, ...(this.opts.tsig ? { tsig: this.opts.tsig } : {}), ...(this.localAddress ? { localAddress: this.localAddress } : {}) };
    const source = (kind: string): string => `${kind} from ${this.primary.address}:${this.primary.port}`;
    const have = this.zone;
    if (have) {
      const from: RR = { name: have.soa.name, type: RRType.SOA, class: have.soa.class, ttl: have.soa.ttl, rdata: have.soa.rdata[0]! };
      try {
        const r = await transferIn(this.primary, this.origin, { ...base, from });
        if (r.kind === 'current') {
          if (this.state !== 'serving') this.serve(have);
          return { result: 'current', serial: have.serial };
        }
        const zone = r.kind === 'axfr'
          ? zoneFromRecords(this.origin, r.records, source('IXFR (as AXFR)'))
          : zoneFromRecords(this.origin, applyDiffs(have, r.diffs), source('IXFR'));
        this.accept(zone);
        return { result: r.kind === 'axfr' ? 'axfr' : 'ixfr', serial: zone.serial };
      } catch (e) {
        // A refused or broken IXFR gets one AXFR; the network or a bad zone will not do better.
        if (!(e instanceof XfrError) || !(e.code === 'ERR_XFR_REFUSED' || e.code === 'ERR_XFR_BAD_STREAM')) throw e;
        this.log('warn', `secondary ${this.origin}: IXFR failed (${e.message}); trying AXFR`);
      }
    }
    const r = await transferIn(this.primary, this.origin, base);
    if (r.kind !== 'axfr') throw new XfrError('ERR_XFR_BAD_STREAM', 'an AXFR answered as if it were an IXFR');
    const zone = zoneFromRecords(this.origin, r.records, source('AXFR'));
    this.accept(zone);
    return { result: 'axfr', serial: zone.serial };
  }

  private accept(zone: Zone): void {
    this.serve(zone);
    this.saveCopy(zone);
  }

  /** Write the copy atomically: a temporary file, fsynced, renamed over the old one, the folder fsynced. */
  private saveCopy(zone: Zone): void {
    const file = this.file;
    if (file === undefined) return;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      atomicWrite(file, `; secondary copy of ${this.origin} from ${this.primary.address}#${this.primary.port}, serial ${zone.serial}\n${zoneToText(zone)}`);
    } catch (e) {
      this.log('error', `secondary ${this.origin}: cannot save the copy to ${file}: ${(e as Error).message}`);
    }
  }

  /** The copy's modification time records the last successful refresh, for the expire timer across restarts. */
  private touchCopy(): void {
    const file = this.file;
    if (file === undefined) return;
    const t = new Date(this.now());
    try {
      utimesSync(file, t, t);
    } catch {
      if (this.zone) this.saveCopy(this.zone);
    }
  }

  private armRefresh(ms: number): void {
    this.clearRefresh();
    if (this.closed) return;
    const wait = Math.max(ms, this.opts.minTimerMs ?? 1000);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (wait > MAX_TIMER) this.armRefresh(wait - MAX_TIMER);
      else void this.refresh('timer');
    }, Math.min(wait, MAX_TIMER));
    this.refreshTimer.unref();
  }

  private clearRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Stop serving at lastSuccess + SOA expire, unless a refresh succeeds first. */
  private armExpire(): void {
    if (this.expireTimer) clearTimeout(this.expireTimer);
    this.expireTimer = undefined;
    if (this.closed || !this.zone || this.lastSuccess === undefined) return;
    const at = this.lastSuccess + soaTimers({ rdata: this.zone.soa.rdata[0]! }).expire * 1000;
    const wait = at - this.now();
    if (wait <= 0) {
      this.expire();
      return;
    }
    this.expireTimer = setTimeout(() => {
      this.expireTimer = undefined;
      if (wait > MAX_TIMER) this.armExpire();
      else this.expire();
    }, Math.min(wait, MAX_TIMER));
    this.expireTimer.unref();
  }

  private expire(): void {
    if (this.state !== 'serving') return;
    this.state = 'expired';
    this.opts.install(undefined);
    this.log('error', `secondary ${this.origin}: no successful refresh from ${this.primary.address}:${this.primary.port} within the SOA expire time; `
      + `serial ${this.zone?.serial} expired, answering SERVFAIL until a transfer succeeds`);
  }

  private log(level: 'info' | 'warn' | 'error', msg: string): void {
    this.opts.log?.(level, msg);
  }

  /** Stop the timers and any transfer in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearRefresh();
    if (this.expireTimer) clearTimeout(this.expireTimer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  /** The key of the zone's origin, for maps. */
  get key(): string {
    return nameKey(this.origin);
  }
}
