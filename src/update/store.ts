// Durable dynamic zones: each accepted change goes to the zone's journal (fsynced) before it is
// served or acknowledged; the zone file is rewritten in the background (temp, fsync, rename) and
// the journal compacted after; at load, the journal is replayed over the zone file.

import { silentLogger, type Logger } from '../base/log.js';
import { atomicWrite } from '../base/atomic-write.js';
import { accessSync, constants as fsc, readdirSync, statSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { nameKey } from '../wire/name.js';
import { applyChange, Journal, JournalError, type Change } from '../zone/journal.js';
import { serialGreater } from '../zone/serial.js';
import { originFromFileName, zoneToText } from '../zone/load.js';
import type { Zone } from '../zone/zone.js';

export interface ZoneStoreOptions {
  /** Folder of the `<origin>.zone` files, rewritten after changes. */
  zonesDir: string;
  /** Folder of the `<origin>.jnl` journals; default the zones folder. */
  journalDir?: string;
  /** How long after a change the zone file is rewritten, so a burst of updates costs one write. */
  flushDelayMs?: number;
  /** Changes kept for IXFR after the zone file holds them. */
  maxHistory?: number;
  logger?: Logger;
}

/**
 * Make sure the journal folder is a writable folder, creating it (and missing parents) when it is
 * not there. Not mkdirSync's recursive mode: under /proc (mkdir says ENOENT for a folder whose
 * parent exists) it loops for ever. Throws JournalError ERR_JOURNAL_IO saying why.
 */
export function prepareJournalDir(dir: string): void {
  const fail = (why: string): JournalError => new JournalError('ERR_JOURNAL_IO', `journal folder ${dir}: ${why}`);
  const reason = (err: unknown): string => {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of the path is not a folder'
      : code === 'EROFS' ? 'read-only file system' : code === 'ENOENT' ? 'the file system does not allow it (ENOENT)' : (err as Error).message;
  };
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(reason(err));
      const up = path.dirname(at);
      if (up === at) throw fail('no such folder');
      missing.unshift(at);
      at = up;
      continue;
    }
    if (!st.isDirectory()) throw fail(at === path.resolve(dir) ? 'not a folder' : `${at} is not a folder`);
    break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      throw fail(`cannot create ${d}: ${reason(err)}`);
    }
  }
  try {
    accessSync(dir, fsc.W_OK | fsc.X_OK);
  } catch (err) {
    throw fail(`not writable: ${reason(err)}`);
  }
}

export class ZoneStore {
  private readonly journals = new Map<string, Journal>();
  private readonly latest = new Map<string, Zone>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly journalDir: string;
  private readonly log: Logger;

  constructor(private readonly opts: ZoneStoreOptions) {
    this.journalDir = opts.journalDir ?? opts.zonesDir;
    this.log = opts.logger ?? silentLogger;
    prepareJournalDir(this.journalDir);
  }

  private journalFile(origin: string): string {
    const stem = nameKey(origin).replace(/\.$/, '');
    return path.join(this.journalDir, `${stem}.jnl`);
  }

  /** The zone's journal, opened on first use. */
  journal(origin: string): Journal {
    const key = nameKey(origin);
    let j = this.journals.get(key);
    if (!j) {
      j = Journal.open(this.journalFile(origin), { maxHistory: this.opts.maxHistory });
      if (j.discardedBytes > 0) this.log.warn(`zone ${origin}: cut a torn entry of ${j.discardedBytes} bytes off the end of ${j.file} (a change that was never acknowledged)`);
      this.journals.set(key, j);
    }
    return j;
  }

  /**
   * The zone file's zone brought up to date by its journal. Throws JournalError when the journal
   * does not continue from the file's serial (the file was edited by hand past dynamic changes).
   */
  recover(zone: Zone): Zone {
    const j = this.journal(zone.origin);
    const last = j.lastSerial;
    if (last !== undefined && serialGreater(zone.serial, last)) {
      // The file was edited past every journaled change: they are in it or were meant to go.
      this.log.warn(`zone ${zone.origin}: the zone file's serial ${zone.serial} is past the journal's ${last}; starting a new journal (IXFR history dropped)`);
      j.reset();
    }
    let z = zone;
    const replay = j.replayFrom(zone.serial);
    for (const c of replay) z = applyChange(z, c);
    // A rewrite still pending must write this version, not one from before a hand edit.
    this.latest.set(nameKey(zone.origin), z);
    if (replay.length > 0) {
      this.log.info(`zone ${zone.origin}: replayed ${replay.length} journal change(s), serial ${zone.serial} -> ${z.serial}`);
      this.dirty.add(nameKey(zone.origin));
      this.schedule();
    }
    return z;
  }

  /** Make a change durable: journal append and fsync. Throws JournalError; then nothing is to be served. */
  commit(next: Zone, change: Change): void {
    this.journal(next.origin).append(change);
    this.latest.set(next.originKey, next);
    this.dirty.add(next.originKey);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.flushDelayMs ?? 1000);
    this.timer.unref();
  }

  /**
   * Run `fn` with no zone file rewritten meanwhile (rewrites wait for it, as it waits for one
   * under way): a reload that reads the files over many turns of the event loop must not see a
   * rewrite compact the journal between its read of a file and recover(), or the changes would
   * be in neither.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.flushing.then(fn);
    this.flushing = run.then(() => {}, () => {});
    return run;
  }

  /** Write every changed zone file now, then compact its journal. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = this.flushing.then(() => this.writeDirty());
    return this.flushing;
  }

  private async writeDirty(): Promise<void> {
    for (const key of [...this.dirty]) {
      const zone = this.latest.get(key);
      this.dirty.delete(key);
      if (!zone) continue;
      try {
        this.writeZone(zone);
        this.journals.get(key)?.compact(zone.serial);
      } catch (err) {
        // The journal still holds every change, so nothing is lost; try again on the next change.
        this.log.error(`zone ${zone.origin}: could not rewrite the zone file: ${(err as Error).message}; the journal keeps the changes`);
      }
      await new Promise<void>((r) => setImmediate(r)); // let queries through between zones
    }
  }

  /** The zone file in the folder for this origin (its existing name, whatever its case). */
  private zoneFile(origin: string): string {
    try {
      for (const f of readdirSync(this.opts.zonesDir)) {
        if (!f.endsWith('.zone')) continue;
        try {
          if (nameKey(originFromFileName(f)) === nameKey(origin)) return path.join(this.opts.zonesDir, f);
        } catch {
          // not a zone file name
        }
      }
    } catch {
      // the folder is unreadable: the write below reports it
    }
    return path.join(this.opts.zonesDir, `${origin.replace(/\.$/, '')}.zone`);
  }

  private writeZone(zone: Zone): void {
    const file = this.zoneFile(zone.origin);
    const text = `; ${zone.origin} serial ${zone.serial}, written by aop after dynamic updates (RFC 2136).\n`
      + `; Comments and layout of the original file are not kept. Edit with care: raise the serial.\n`
      // Names below are absolute; the $ORIGIN says which zone the file is (a one-label origin needs it: docs/zones.md).
      + `$ORIGIN ${zone.origin}\n${zoneToText(zone)}`;
    atomicWrite(file, text);
  }

  /** Flush pending zone files and close the journals. */
  async close(): Promise<void> {
    await this.flush();
    for (const j of this.journals.values()) j.close();
    this.journals.clear();
  }
}
