// HTTP for the hand-off: one keep-alive undici Agent per origin, connecting to the addresses the
// DNS gave for the endpoint host (never the system resolver), with the URL's host in Host and SNI.

import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface OriginPoolOptions {
  /** Milliseconds to open a TCP (and TLS) connection to one address. Default 5000. */
  connectTimeoutMs?: number;
  /** Idle keep-alive connections kept this long (ms), unless the server says less. Default 60000. */
  keepAliveMs?: number;
}

/** Origins with a pool at most. */
const MAX_ORIGINS = 512;

interface OriginEntry {
  agent: Agent;
  /** Current addresses of the host, in the order to try; replaced when the card is re-resolved. */
  addresses: string[];
}

/** The connect error for an origin with every address tried: the last error, naming them all. */
function connectError(errors: Array<{ address: string; err: Error }>, host: string): Error {
  if (errors.length === 0) return Object.assign(new Error(`no address for ${host}`), { code: 'NO_ADDRESS' });
  const last = errors[errors.length - 1]!.err;
  if (errors.length > 1) last.message = `${errors.map((e) => `${e.address}: ${e.err.message}`).join('; ')}`;
  return last;
}

export class OriginPools {
  private readonly entries = new Map<string, OriginEntry>();
  private readonly connectTimeoutMs: number;
  private readonly keepAliveMs: number;
  /** TCP connections opened, all origins together (a test reads it to check reuse). */
  connectionsOpened = 0;

  constructor(opts: OriginPoolOptions = {}) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.keepAliveMs = opts.keepAliveMs ?? 60_000;
  }

  /** A fetch for `url`'s origin that connects only to `addresses` (updated in place on later calls). */
  fetchFor(url: string, addresses: readonly string[]): FetchLike {
    const u = new URL(url);
    const origin = u.origin;
    let entry = this.entries.get(origin);
    if (entry === undefined) {
      const holder: OriginEntry = { addresses: [...addresses], agent: undefined as unknown as Agent };
      const base = buildConnector({ timeout: this.connectTimeoutMs });
      const host = u.hostname;
      const tls = u.protocol === 'https:';
      const connect: buildConnector.connector = (opts, callback) => {
        const list = [...holder.addresses];
        const errors: Array<{ address: string; err: Error }> = [];
        let i = 0;
        const next = (): void => {
          const address = list[i++];
          if (address === undefined) {
            callback(connectError(errors, host), null);
            return;
          }
          base({ ...opts, hostname: address, ...(tls ? { servername: host } : {}) }, (err, socket) => {
            if (err !== null) {
              errors.push({ address, err });
              next();
              return;
            }
            this.connectionsOpened++;
            callback(null, socket);
          });
        };
        next();
      };
      holder.agent = new Agent({ connect, keepAliveTimeout: this.keepAliveMs, keepAliveMaxTimeout: this.keepAliveMs, connections: 8 });
      this.entries.set(origin, holder);
      entry = holder;
      // Bounded: the least recently used origin's pool is closed (its next request opens a new one).
      if (this.entries.size > MAX_ORIGINS) {
        const [oldest, old] = this.entries.entries().next().value as [string, OriginEntry];
        this.entries.delete(oldest);
        void old.agent.close().catch(() => undefined);
      }
    } else {
      // Most recently used last, for the bound above.
      this.entries.delete(origin);
      this.entries.set(origin, entry);
      if (addresses.length > 0) entry.addresses = [...addresses];
    }
    const dispatcher = entry.agent;
    // undici's fetch has its own Request/Response classes; at run time they are the web ones the SDK expects.
    return ((input: string | URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as FetchLike;
  }

  async close(): Promise<void> {
    const agents = [...this.entries.values()].map((e) => e.agent);
    this.entries.clear();
    await Promise.all(agents.map((a) => a.destroy().catch(() => undefined)));
  }
}
