// Frame Streams writers: to a collector's unix socket (bidirectional handshake, reconnect with
// backoff when it goes away) and to a file (unidirectional). Both keep a bounded queue of frames
// and write it in batches from a later turn of the event loop, never from the query path; while
// the collector is absent, slow (the socket will not take more) or the queue is full, new frames
// are refused and the caller counts them as dropped.

import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import { silentLogger, type Logger } from '../../base/log.js';
import { CONTROL, ControlReader, controlFrame, dataFrame, FstrmError } from './fstrm.js';

export interface WriterOptions {
  contentType: string;
  /** Frames waiting to be written; beyond it new ones are refused. Default 10 000. */
  queueSize?: number;
  /** First wait before reconnecting to an absent collector, ms; doubled per failure. Default 100. */
  reconnectMinMs?: number;
  /** Longest wait between reconnects, ms. Default 10 000. */
  reconnectMaxMs?: number;
  /** Most ms the collector may take to ACCEPT (and to FINISH at shutdown). Default 2000. */
  handshakeTimeoutMs?: number;
  log?: Logger;
}

export interface FrameWriter {
  /** Whether a frame offered now would be queued (so the caller may skip encoding one that would not). */
  readonly accepting: boolean;
  /** Queue one payload as a data frame; false when refused (the caller counts the drop). */
  write(payload: Uint8Array): boolean;
  /** Frames handed to the socket or file so far. */
  readonly written: number;
  /** Write what is queued, end the stream (STOP, and FINISH from a collector), close; resolves to the frames left unsent. */
  close(): Promise<number>;
}

/** The queue and batching both writers share. */
abstract class QueuedWriter implements FrameWriter {
  protected queue: Buffer[] = [];
  protected readonly queueSize: number;
  protected readonly log: Logger;
  protected closed = false;
  /** The sink will not take more until it drains. */
  protected blocked = false;
  private flushing = false;
  written = 0;

  constructor(protected readonly opts: WriterOptions) {
    this.queueSize = opts.queueSize ?? 10_000;
    this.log = opts.log ?? silentLogger;
  }

  get accepting(): boolean {
    return !this.closed && this.queue.length < this.queueSize;
  }

  write(payload: Uint8Array): boolean {
    if (!this.accepting) return false;
    this.queue.push(dataFrame(payload));
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => {
        this.flushing = false;
        this.flush();
      });
    }
    return true;
  }

  /** Where frames go now, or undefined while there is nowhere (not connected yet). */
  protected abstract sink(): net.Socket | WriteStream | undefined;

  /** One write of everything queued, unless the sink is not there or still full. */
  protected flush(): void {
    const s = this.sink();
    if (!s || this.blocked || this.queue.length === 0) return;
    const batch = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
    this.written += this.queue.length;
    this.queue = [];
    if (!s.write(batch)) {
      this.blocked = true;
      s.once('drain', () => {
        this.blocked = false;
        this.flush();
      });
    }
  }

  abstract close(): Promise<number>;
}

/** Frame Streams to a file: START, the data frames, STOP (unidirectional; no handshake). */
export class FileWriter extends QueuedWriter {
  private stream?: WriteStream;

  constructor(readonly path: string, opts: WriterOptions) {
    super(opts);
    const stream = createWriteStream(path, { flags: 'w' });
    stream.on('error', (err) => {
      // A full disk or a vanished folder: stop writing, say so once; the queries go on.
      this.log.error(`dnstap: writing ${path} failed, dnstap output stopped: ${err.message}`);
      this.stream = undefined;
      this.closed = true;
      this.queue = [];
    });
    stream.write(controlFrame(CONTROL.START, [opts.contentType]));
    this.stream = stream;
  }

  protected sink(): WriteStream | undefined {
    return this.stream;
  }

  async close(): Promise<number> {
    this.closed = true;
    const s = this.stream;
    if (!s) return 0;
    // Whatever is queued goes out first, even past a full buffer: the stream queues it.
    this.blocked = false;
    this.flush();
    this.stream = undefined;
    await new Promise<void>((resolve) => s.end(controlFrame(CONTROL.STOP), () => resolve()));
    return 0;
  }
}

type State = 'connecting' | 'ready' | 'down' | 'closed';

/**
 * Frame Streams to a collector listening on a unix socket (fstrm_capture, dnstap-read's peers,
 * Unbound's and Knot's collectors): READY, ACCEPT, START, data, and STOP/FINISH at the end. When
 * the collector is not there or goes away, it reconnects with doubling waits; frames queue up to
 * the bound meanwhile and the rest are refused.
 */
export class UnixWriter extends QueuedWriter {
  private state: State = 'down';
  private sock?: net.Socket;
  private retryTimer?: NodeJS.Timeout;
  private backoff: number;
  /** Whether the last failure was already said (one line per outage, not per attempt). */
  private outageLogged = false;
  private finished?: () => void;
  /** Times a handshake completed; tests wait on it to see a reconnect. */
  connections = 0;

  constructor(readonly path: string, opts: WriterOptions) {
    super(opts);
    this.backoff = opts.reconnectMinMs ?? 100;
    this.connect();
  }

  get connected(): boolean {
    return this.state === 'ready';
  }

  protected sink(): net.Socket | undefined {
    return this.state === 'ready' ? this.sock : undefined;
  }

  private connect(): void {
    if (this.closed) return;
    this.state = 'connecting';
    const sock = net.connect(this.path);
    this.sock = sock;
    const reader = new ControlReader();
    const timeout = this.opts.handshakeTimeoutMs ?? 2000;
    const handshake = setTimeout(() => sock.destroy(new FstrmError(`no ACCEPT within ${timeout} ms`)), timeout).unref();
    sock.on('connect', () => sock.write(controlFrame(CONTROL.READY, [this.opts.contentType])));
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const c of reader.push(chunk)) this.onControl(sock, c.type, c.contentTypes, handshake);
      } catch (err) {
        sock.destroy(err as Error);
      }
    });
    sock.on('error', (err) => this.lost(sock, err));
    sock.on('close', () => {
      clearTimeout(handshake);
      this.lost(sock);
    });
  }

  private onControl(sock: net.Socket, type: number, contentTypes: string[], handshake: NodeJS.Timeout): void {
    if (type === CONTROL.ACCEPT && this.state === 'connecting') {
      // A reader that lists content types must list ours (fstrm: ACCEPT echoes the ones it takes).
      if (contentTypes.length > 0 && !contentTypes.includes(this.opts.contentType)) {
        sock.destroy(new FstrmError(`collector does not accept ${this.opts.contentType} (it takes ${contentTypes.join(', ')})`));
        return;
      }
      clearTimeout(handshake);
      sock.write(controlFrame(CONTROL.START, [this.opts.contentType]));
      this.state = 'ready';
      this.connections++;
      this.backoff = this.opts.reconnectMinMs ?? 100;
      this.blocked = false;
      this.log.info(`dnstap: connected to ${this.path}`);
      this.outageLogged = false;
      this.flush();
      return;
    }
    if (type === CONTROL.FINISH) {
      this.finished?.();
      sock.end();
      return;
    }
    sock.destroy(new FstrmError(`unexpected control frame type ${type}`));
  }

  private lost(sock: net.Socket, err?: Error): void {
    if (this.sock !== sock) return;
    this.sock = undefined;
    this.finished?.();
    if (this.closed) {
      this.state = 'closed';
      return;
    }
    const was = this.state;
    this.state = 'down';
    this.blocked = false;
    if (!this.outageLogged) {
      this.outageLogged = true;
      const why = err ? `: ${err instanceof FstrmError ? err.message : (err as NodeJS.ErrnoException).code ?? err.message}` : '';
      this.log.warn(`dnstap: ${was === 'ready' ? 'collector went away' : 'cannot reach the collector'} at ${this.path}${why}; `
        + `retrying every ${this.backoff}-${this.opts.reconnectMaxMs ?? 10_000} ms, messages dropped meanwhile once ${this.queueSize} are queued`);
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, this.backoff).unref();
    this.backoff = Math.min(this.backoff * 2, this.opts.reconnectMaxMs ?? 10_000);
  }

  async close(): Promise<number> {
    if (this.closed) return 0;
    this.closed = true;
    clearTimeout(this.retryTimer);
    const sock = this.sock;
    if (!sock || this.state !== 'ready') {
      // No collector to finish with: what is queued is lost.
      const left = this.queue.length;
      this.queue = [];
      this.sock = undefined;
      sock?.destroy();
      this.state = 'closed';
      return left;
    }
    this.blocked = false;
    this.flush();
    // STOP, then the collector's FINISH (or its closing, or the timeout) ends it.
    const done = new Promise<void>((resolve) => {
      this.finished = resolve;
    });
    sock.write(controlFrame(CONTROL.STOP));
    const timer = setTimeout(() => this.finished?.(), this.opts.handshakeTimeoutMs ?? 2000).unref();
    await done;
    clearTimeout(timer);
    this.finished = undefined;
    this.sock = undefined;
    this.state = 'closed';
    sock.end();
    sock.destroy();
    return 0;
  }
}
