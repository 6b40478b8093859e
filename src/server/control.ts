// The local control channel: a Unix socket taking one-line commands (flush, stats, dump) and
// answering one JSON line. Only processes that can open the socket file can use it.

import { AopError } from '../base/errors.js';
import net from 'node:net';
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DnsCache } from '../cache/index.js';
import { parseName } from '../wire/name.js';

export interface ControlTarget {
  cache?: DnsCache;
  stats(): unknown;
}

export class ControlError extends AopError {
  declare readonly code: 'ERR_CONTROL';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONTROL', message, options);
  }
}

/** Run one command line; the reply object is what the client prints. */
export function runCommand(target: ControlTarget, line: string): Record<string, unknown> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [cmd, sub, arg] = words;
  if (cmd === 'stats') return { ok: true, stats: target.stats(), cache: target.cache?.snapshot() };
  const cache = target.cache;
  if (cmd === 'flush' || cmd === 'dump') {
    if (!cache) return { ok: false, error: 'this daemon runs no resolver, so it has no cache' };
    if (cmd === 'dump') return { ok: true, entries: cache.dump() };
    if (sub === 'all' && arg === undefined) {
      cache.flushAll();
      return { ok: true, flushed: 'all' };
    }
    if ((sub === 'name' || sub === 'zone') && arg !== undefined && words.length === 3) {
      let name: string;
      try {
        name = parseName(arg.endsWith('.') ? arg : arg + '.');
      } catch (err) {
        return { ok: false, error: `bad name "${arg}": ${(err as Error).message}` };
      }
      const removed = sub === 'name' ? cache.flushName(name) : cache.flushTree(name);
      return { ok: true, flushed: sub, name, removed };
    }
  }
  return { ok: false, error: `unknown command "${line.trim()}"; use: flush all | flush name NAME | flush zone NAME | stats | dump` };
}

/** Runs a command elsewhere (the cluster primary asks every worker) and resolves with the reply. */
export type CommandRunner = (line: string) => Promise<Record<string, unknown>>;

export class ControlServer {
  private server?: net.Server;

  constructor(private readonly path: string, private readonly target: ControlTarget | CommandRunner) {}

  private run(line: string): Promise<Record<string, unknown>> {
    const t = this.target;
    if (typeof t === 'function') return t(line).catch((err: Error) => ({ ok: false, error: err.message }));
    return Promise.resolve(runCommand(t, line));
  }

  async start(): Promise<void> {
    // Its folder is made if missing (`--control /run/aop/control.sock`), for the owner only.
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new ControlError(`cannot open control socket ${this.path}: ${(err as Error).message}`);
    }
    // A socket file left by a daemon that died is replaced; a live one is not.
    if (existsSync(this.path)) {
      const live = await new Promise<boolean>((resolve) => {
        const c = net.connect(this.path, () => { c.destroy(); resolve(true); });
        c.on('error', () => resolve(false));
      });
      if (live) throw new ControlError(`control socket ${this.path} is in use by another daemon`);
      unlinkSync(this.path);
    }
    const server = net.createServer((sock) => {
      let buf = '';
      // Replies go out in the order the commands came, even when one takes longer.
      let chain = Promise.resolve();
      sock.setEncoding('utf8');
      sock.setTimeout(5000, () => sock.destroy());
      sock.on('data', (chunk: string) => {
        buf += chunk;
        if (buf.length > 4096) { sock.destroy(); return; }
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const reply = this.run(line);
          chain = chain.then(() => reply).then((r) => { if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n'); });
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new ControlError(`cannot open control socket ${this.path}: ${err.message}`)));
      server.listen(this.path, () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Send one command to a daemon's control socket and return its reply. */
export function sendCommand(path: string, line: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let buf = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new ControlError(`no reply from ${path} within ${timeoutMs} ms`)); }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(line + '\n'));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        } catch {
          reject(new ControlError(`unreadable reply from ${path}`));
        }
      }
    });
    sock.on('error', (err) => { clearTimeout(timer); reject(new ControlError(`cannot reach the daemon at ${path}: ${err.message}`, { cause: err })); });
    // A daemon that drops the connection (a line too long, shutting down) must not cost the full timeout.
    sock.on('close', () => { clearTimeout(timer); reject(new ControlError(`the daemon at ${path} closed the connection without replying`)); });
  });
}
