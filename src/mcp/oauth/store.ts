// The token cache: one file per authorization server and resource (0600, in a 0700 folder), with
// the access token, its expiry and the refresh token; and the clients registered dynamically, one
// per authorization server. Without a folder (a library caller, a test) it lives in memory only.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atomicWrite } from '../../base/atomic-write.js';
import { sameIssuer } from './credentials.js';

export interface StoredToken {
  issuer: string;
  /** The resource (RFC 8707) it was issued for: the endpoint, or its protected resource metadata's `resource`. */
  resource: string;
  clientId: string;
  accessToken: string;
  tokenType: string;
  /** Milliseconds since the epoch after which it is not used; absent: until refused. */
  expiresAt?: number;
  refreshToken?: string;
  scope?: string;
  /** The endpoint URLs it was got for (a resource may be the endpoint's origin). */
  endpoints?: string[];
}

export interface StoredClient {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  method?: string;
  redirectUris: string[];
}

/** $XDG_STATE_HOME/aop/oauth, else ~/.local/state/aop/oauth. */
export function defaultTokenDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'aop', 'oauth');
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** A resource URL as compared: its href without fragment, one trailing slash aside. */
export function resourceKey(r: string): string {
  try {
    const u = new URL(r);
    u.hash = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return r;
  }
}

export class TokenStore {
  private readonly tokens = new Map<string, StoredToken>();
  private readonly clients = new Map<string, StoredClient>();

  /** `dir` undefined: memory only. */
  constructor(readonly dir?: string, private readonly now: () => number = Date.now) {
    if (dir !== undefined) this.load();
  }

  private load(): void {
    for (const [sub, into] of [['tokens', this.tokens], ['clients', this.clients]] as const) {
      let names: string[] = [];
      try {
        names = readdirSync(path.join(this.dir!, sub)).filter((n) => n.endsWith('.json'));
      } catch {
        continue;
      }
      for (const n of names) {
        try {
          const v = JSON.parse(readFileSync(path.join(this.dir!, sub, n), 'utf8')) as StoredToken & StoredClient;
          if (typeof v.issuer !== 'string') continue;
          (into as Map<string, unknown>).set(n.slice(0, -5), v);
        } catch {
          // A damaged cache file is as good as none: the next flow replaces it.
        }
      }
    }
  }

  private write(sub: 'tokens' | 'clients', key: string, value: unknown): void {
    if (this.dir === undefined) return;
    const folder = path.join(this.dir, sub);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    chmodSync(folder, 0o700);
    atomicWrite(path.join(folder, `${key}.json`), `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  }

  private remove(sub: 'tokens' | 'clients', key: string): void {
    if (this.dir === undefined) return;
    rmSync(path.join(this.dir, sub, `${key}.json`), { force: true });
  }

  private tokenKey(issuer: string, resource: string): string {
    return hash(`${issuer.replace(/\/$/, '')}\n${resourceKey(resource)}`);
  }

  /** Whether a token is usable now: not past its expiry (less a minute for clock skew and the trip). */
  fresh(t: StoredToken): boolean {
    return t.expiresAt === undefined || t.expiresAt - 60_000 > this.now();
  }

  get(issuer: string, resource: string): StoredToken | undefined {
    return this.tokens.get(this.tokenKey(issuer, resource));
  }

  /** Tokens for a resource, from any authorization server: the one to try before the server asks. */
  forResource(resource: string): StoredToken[] {
    const r = resourceKey(resource);
    return [...this.tokens.values()].filter((t) => resourceKey(t.resource) === r);
  }

  allTokens(): StoredToken[] {
    return [...this.tokens.values()];
  }

  put(t: StoredToken): void {
    const key = this.tokenKey(t.issuer, t.resource);
    this.tokens.set(key, t);
    this.write('tokens', key, t);
  }

  /** Forget a token (refused by the server, or logged out). */
  drop(t: StoredToken): void {
    const key = this.tokenKey(t.issuer, t.resource);
    this.tokens.delete(key);
    this.remove('tokens', key);
  }

  /** Forget every token for a resource; returns how many. */
  dropResource(resource: string): number {
    const list = this.forResource(resource);
    for (const t of list) this.drop(t);
    return list.length;
  }

  client(issuer: string): StoredClient | undefined {
    const c = this.clients.get(hash(issuer.replace(/\/$/, '')));
    return c !== undefined && sameIssuer(c.issuer, issuer) ? c : undefined;
  }

  putClient(c: StoredClient): void {
    const key = hash(c.issuer.replace(/\/$/, ''));
    this.clients.set(key, c);
    this.write('clients', key, c);
  }
}
