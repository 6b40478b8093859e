// The per-zone journal: every accepted change, appended and fsynced before it is acknowledged,
// replayed over the zone file at start, and kept as history for IXFR (RFC 1995).
//
// File: the 8-byte magic "AOPJNL1\n", then entries of
//   u32 body length | u32 CRC-32 of body | body
//   body = u32 serial from | u32 serial to | u32 unix time | u32 n | n RRs deleted | u32 m | m RRs added
//   RR   = owner (uncompressed wire name) | u16 type | u16 class | u32 TTL | u16 RDLENGTH | RDATA
// A torn or corrupt last entry (a crash mid-write) fails its length or checksum and is cut off.

import { atomicWrite, fsyncDir } from '../base/atomic-write.js';
import { AopError } from '../base/errors.js';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { nameKey, nameToWire, readName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import { serialCompare } from './serial.js';
import { Zone } from './zone.js';

/** One accepted change: `deleted` starts with the old SOA and `added` with the new one, as IXFR sends them. */
export interface Change {
  from: number;
  to: number;
  /** Seconds since the epoch when it was accepted. */
  time: number;
  deleted: RR[];
  added: RR[];
}

export class JournalError extends AopError {
  declare readonly code: 'ERR_JOURNAL_CORRUPT' | 'ERR_JOURNAL_IO' | 'ERR_JOURNAL_GAP';
  constructor(code: JournalError['code'], message: string) {
    super(code, message);
  }
}

const MAGIC = Buffer.from('AOPJNL1\n', 'latin1');
/** Entries kept for IXFR once the zone file holds them; older ones are dropped at compaction. */
export const DEFAULT_HISTORY = 1000;
const MAX_ENTRY = 64 * 1024 * 1024;

function encodeRR(rr: RR): Buffer {
  const owner = nameToWire(rr.name);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(rr.type, 0);
  head.writeUInt16BE(rr.class, 2);
  head.writeUInt32BE(rr.ttl >>> 0, 4);
  head.writeUInt16BE(rr.rdata.length, 8);
  return Buffer.concat([owner, head, rr.rdata]);
}

export function encodeChange(c: Change): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt32BE(c.from >>> 0, 0);
  fixed.writeUInt32BE(c.to >>> 0, 4);
  fixed.writeUInt32BE(c.time >>> 0, 8);
  const count = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const body = Buffer.concat([fixed, count(c.deleted.length), ...c.deleted.map(encodeRR), count(c.added.length), ...c.added.map(encodeRR)]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

function decodeBody(body: Buffer): Change {
  let pos = 12;
  const rrs = (): RR[] => {
    const n = body.readUInt32BE(pos);
    pos += 4;
    const out: RR[] = [];
    for (let i = 0; i < n; i++) {
      const { name, end } = readName(body, pos);
      const rdlen = body.readUInt16BE(end + 8);
      if (end + 10 + rdlen > body.length) throw new RangeError('record runs past the entry');
      out.push({ name, type: body.readUInt16BE(end), class: body.readUInt16BE(end + 2), ttl: body.readUInt32BE(end + 4), rdata: Buffer.from(body.subarray(end + 10, end + 10 + rdlen)) });
      pos = end + 10 + rdlen;
    }
    return out;
  };
  const from = body.readUInt32BE(0);
  const to = body.readUInt32BE(4);
  const time = body.readUInt32BE(8);
  const deleted = rrs();
  const added = rrs();
  if (pos !== body.length) throw new RangeError(`${body.length - pos} bytes after the records`);
  return { from, to, time, deleted, added };
}

/** Entries of a journal file's bytes, and where the good part ends (a torn tail is after it). */
export function decodeJournal(bytes: Buffer, file = '<journal>'): { changes: Change[]; goodLength: number } {
  if (bytes.length === 0) return { changes: [], goodLength: 0 };
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    // A file cut inside its magic was never written to; anything else is not our journal.
    if (bytes.length < MAGIC.length && MAGIC.subarray(0, bytes.length).equals(bytes)) return { changes: [], goodLength: 0 };
    throw new JournalError('ERR_JOURNAL_CORRUPT', `${file} is not an aop journal (bad magic)`);
  }
  const changes: Change[] = [];
  let pos = MAGIC.length;
  while (pos + 8 <= bytes.length) {
    const len = bytes.readUInt32BE(pos);
    const sum = bytes.readUInt32BE(pos + 4);
    if (len > MAX_ENTRY || pos + 8 + len > bytes.length) break;
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (crc32(body) !== sum) break;
    try {
      changes.push(decodeBody(body));
    } catch {
      break;
    }
    pos += 8 + len;
  }
  return { changes, goodLength: pos };
}

/**
 * One zone's journal file. Writes are synchronous so an append is on disk (fsync) before the
 * caller replies, and no two changes interleave.
 */
export class Journal {
  private fd: number | undefined;
  private history: Change[];
  /** Bytes of a torn tail cut off when the file was opened (0 when the file was clean). */
  readonly discardedBytes: number;

  private constructor(readonly file: string, changes: Change[], discarded: number, private readonly maxHistory: number) {
    this.history = changes;
    this.discardedBytes = discarded;
  }

  /** Open (or create on first append) the journal; a torn last entry is cut off the file. */
  static open(file: string, opts: { maxHistory?: number } = {}): Journal {
    let bytes: Buffer = Buffer.alloc(0);
    try {
      if (existsSync(file)) bytes = readFileSync(file);
    } catch (err) {
      throw new JournalError('ERR_JOURNAL_IO', `cannot read journal ${file}: ${(err as Error).message}`);
    }
    const { changes, goodLength } = decodeJournal(bytes, file);
    const j = new Journal(file, changes, bytes.length - goodLength, opts.maxHistory ?? DEFAULT_HISTORY);
    if (goodLength < bytes.length) {
      try {
        const fd = openSync(file, 'r+');
        try {
          ftruncateSync(fd, goodLength);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        throw new JournalError('ERR_JOURNAL_IO', `cannot cut the torn tail off journal ${file}: ${(err as Error).message}`);
      }
    }
    return j;
  }

  /** Every change held, oldest first. */
  get changes(): readonly Change[] {
    return this.history;
  }

  /** Serial after the newest change, if any. */
  get lastSerial(): number | undefined {
    return this.history[this.history.length - 1]?.to;
  }

  /** Append and fsync. Throws JournalError ERR_JOURNAL_IO when the disk refuses; then nothing was acknowledged. */
  append(change: Change): void {
    const last = this.lastSerial;
    if (last !== undefined && last !== change.from) throw new JournalError('ERR_JOURNAL_GAP', `change from serial ${change.from} does not follow the journal's ${last}`);
    try {
      if (this.fd === undefined) {
        const fresh = !existsSync(this.file);
        this.fd = openSync(this.file, 'a');
        if (fresh || readFileSync(this.file).length === 0) {
          writeSync(this.fd, MAGIC);
          fsyncSync(this.fd);
          fsyncDir(path.dirname(this.file));
        }
      }
      writeSync(this.fd, encodeChange(change));
      fsyncSync(this.fd);
    } catch (err) {
      throw new JournalError('ERR_JOURNAL_IO', `cannot write journal ${this.file}: ${(err as Error).message}`);
    }
    this.history.push(change);
  }

  /**
   * The changes that lead from `serial` to the newest, for IXFR; undefined when the history does
   * not reach back that far (the caller falls back to AXFR). Empty when `serial` is current.
   */
  changesSince(serial: number): Change[] | undefined {
    if (this.lastSerial === serial >>> 0) return [];
    const i = this.history.findIndex((c) => c.from === serial >>> 0);
    return i < 0 ? undefined : this.history.slice(i);
  }

  /** Changes newer than a zone file at `serial`, in order, to replay over it. Throws ERR_JOURNAL_GAP when they do not chain. */
  replayFrom(serial: number): Change[] {
    const newer = this.history.filter((c) => serialCompare(c.to, serial) === 1);
    if (newer.length === 0) return [];
    if (newer[0]!.from !== serial >>> 0) {
      throw new JournalError('ERR_JOURNAL_GAP', `journal ${this.file} continues from serial ${newer[0]!.from}, but the zone file is at ${serial}`);
    }
    for (let i = 1; i < newer.length; i++) {
      if (newer[i]!.from !== newer[i - 1]!.to) throw new JournalError('ERR_JOURNAL_GAP', `journal ${this.file} jumps from serial ${newer[i - 1]!.to} to ${newer[i]!.from}`);
    }
    return newer;
  }

  /**
   * Rewrite the file (temp, fsync, rename) keeping every change newer than `savedSerial` (the zone
   * file's serial, which must not lose them) and up to the history limit of older ones.
   */
  compact(savedSerial: number): void {
    const pending = this.history.filter((c) => serialCompare(c.to, savedSerial) === 1);
    const old = this.history.filter((c) => serialCompare(c.to, savedSerial) !== 1);
    const keep = [...old.slice(Math.max(0, old.length - Math.max(0, this.maxHistory - pending.length))), ...pending];
    if (keep.length === this.history.length) return;
    this.rewrite(keep);
  }

  private rewrite(keep: Change[]): void {
    try {
      // The append descriptor is closed just before the rename: it would point at the old file.
      atomicWrite(this.file, Buffer.concat([MAGIC, ...keep.map(encodeChange)]), { beforeRename: () => this.closeFd() });
    } catch (err) {
      throw new JournalError('ERR_JOURNAL_IO', `cannot rewrite journal ${this.file}: ${(err as Error).message}`);
    }
    this.history = keep;
  }

  /** Drop every change (the zone file has moved past them): the file becomes empty, atomically. */
  reset(): void {
    this.rewrite([]);
  }

  private closeFd(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  close(): void {
    this.closeFd();
  }
}

/** RDATA in a comparable form: names inside folded to lowercase (RFC 4034 6.2 for the types that have them). */
export function canonicalRdata(type: number, rdata: Buffer): Buffer {
  // Where the embedded names start; label lengths (<= 63) are below 'A', so folding the whole span is safe.
  const from = NAME_RDATA.get(type);
  if (from === undefined || rdata.length <= from) return rdata;
  const out = Buffer.from(rdata);
  const until = type === RRType.SOA ? out.length - 20 : out.length;
  for (let i = from; i < until; i++) {
    const c = out[i]!;
    if (c >= 0x41 && c <= 0x5a) out[i] = c | 0x20;
  }
  return out;
}

/** Types whose RDATA ends in (or is) domain names, and the offset where the names begin. */
const NAME_RDATA = new Map<number, number>([
  [RRType.NS, 0], [RRType.CNAME, 0], [RRType.PTR, 0], [RRType.DNAME, 0], [RRType.SOA, 0],
  [RRType.MX, 2], [18, 2], [36, 2], [RRType.SRV, 6], [14, 0], [17, 0], [26, 2],
]);

export function sameRdata(type: number, a: Buffer, b: Buffer): boolean {
  // Folding case keeps the length: RDATA of different lengths are never the same.
  if (a.length !== b.length) return false;
  return a.equals(b) || canonicalRdata(type, a).equals(canonicalRdata(type, b));
}

/**
 * The zone after a change: deleted records leave their RRsets, added ones join (an RRset takes
 * the TTL of the last record added to it). The old zone is untouched, so readers never see half.
 */
export function applyChange(zone: Zone, change: Change): Zone {
  // The touched RRsets edited in a copy of the zone's index (Zone.withChange): an UPDATE or a
  // replayed entry costs what it changes, not a rebuild of every record of the zone.
  return zone.withChange(change.deleted, change.added, sameRdata);
}
