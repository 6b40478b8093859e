// The fetch every authorization request goes through (metadata, registration, token): https only
// (plain http only to a loopback host, as the hand-off's allowHttp says), no redirects followed,
// each request bounded in time and its body in bytes, so a hostile authorization server gets a
// clear ERR_AUTH_SERVER_INVALID and never a hang or a buffer the size it chose.

import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { HandOffError } from '../errors.js';
import { isLoopback } from '../address.js';
import type { AllowHttp } from '../handoff/policy.js';

export interface AuthFetchOptions {
  allowHttp: AllowHttp;
  /** Milliseconds for one request, connect to last body byte. Default 10000. */
  timeoutMs?: number;
  /** Largest body taken, in bytes. Default 1 MiB (metadata documents are a few kB). */
  maxBytes?: number;
  /** CA certificates (PEM) to trust, the system roots included (trustedCas). */
  ca?: string[];
  /**
   * The MCP endpoint's own origin and the addresses the DNS gave for it: its metadata is fetched
   * there (never through the system resolver), and the hand-off's policy already let it be called.
   */
  endpoint?: { origin: string; addresses: readonly string[] };
}

/** Whether a URL's host is loopback by its name: `localhost` (RFC 6761) or a loopback address literal. */
export function loopbackHost(u: URL): boolean {
  const h = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || isLoopback(h);
}

/** Why a URL may not be used for authorization, or undefined: https, or http to loopback where allowed. */
export function urlProblem(raw: string | URL, allowHttp: AllowHttp): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `${String(raw).slice(0, 200)} is not a URL`;
  }
  if (u.username !== '' || u.password !== '') return `${u.origin}: a URL with credentials in it is not used`;
  if (u.protocol === 'https:') return undefined;
  if (u.protocol !== 'http:') return `${u.href}: not https`;
  if (allowHttp === 'any') return undefined;
  if (allowHttp === 'loopback' && loopbackHost(u)) return undefined;
  return `${u.href}: plain http is not allowed for authorization (https only${allowHttp === 'loopback' ? ', or http to a loopback host' : ''})`;
}

const invalid = (message: string, cause?: unknown): HandOffError => new HandOffError('ERR_AUTH_SERVER_INVALID', message, { cause });

/** A bounded fetch for authorization requests; `signal` (the call's) aborts every request it makes. */
export function authFetch(opts: AuthFetchOptions, signal?: AbortSignal): { fetch: FetchLike; close(): Promise<void> } {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const pinned = opts.endpoint;
  const pinnedHost = pinned === undefined ? undefined : new URL(pinned.origin).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // The endpoint's host goes to the addresses the DNS gave; any other host to the system resolver.
  const lookup = (hostname: string, options: { all?: boolean }, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    if (pinned !== undefined && hostname.toLowerCase() === pinnedHost && pinned.addresses.length > 0) {
      const list = pinned.addresses.map((a) => ({ address: a, family: isIP(a) }));
      if (options.all) cb(null, list);
      else cb(null, list[0]!.address, list[0]!.family);
      return;
    }
    systemLookup(hostname, options as never, cb as never);
  };
  const agent = new Agent({ connect: { timeout: timeoutMs, lookup, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) } as never, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input instanceof URL ? input.href : input);
    const why = pinned !== undefined && new URL(url).origin === pinned.origin ? undefined : urlProblem(url, opts.allowHttp);
    if (why !== undefined) throw invalid(why);
    const timer = AbortSignal.timeout(timeoutMs);
    const s = signal === undefined ? timer : AbortSignal.any([signal, timer]);
    let res;
    try {
      res = await undiciFetch(url, { ...(init as object), redirect: 'manual', dispatcher: agent, signal: s } as Parameters<typeof undiciFetch>[1]);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timer.aborted) throw invalid(`${url}: no answer within ${timeoutMs} ms`, err);
      const cause = (err as { cause?: { message?: string } }).cause;
      throw invalid(`${url}: ${cause?.message ?? (err as Error).message}`, err);
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      // A redirect is never followed: the metadata names every URL it means.
      throw invalid(`${url}: HTTP ${res.status} redirect${res.headers.get('location') ? ` to ${res.headers.get('location')!.slice(0, 200)}` : ''} not followed`);
    }
    const length = Number(res.headers.get('content-length') ?? 'NaN');
    if (length > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw invalid(`${url}: a body of ${length} bytes is larger than ${maxBytes}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > maxBytes) throw invalid(`${url}: the body is larger than ${maxBytes} bytes`);
        chunks.push(chunk);
      }
    } catch (err) {
      await res.body?.cancel().catch(() => undefined);
      if (err instanceof HandOffError) throw err;
      if (signal?.aborted) throw err;
      throw invalid(timer.aborted ? `${url}: no complete answer within ${timeoutMs} ms` : `${url}: ${(err as Error).message}`, err);
    }
    // A web Response from the bytes read: the SDK parses it as it would parse fetch's own.
    const nullBody = [101, 204, 205, 304].includes(res.status);
    return new Response(nullBody ? null : Buffer.concat(chunks), { status: res.status, statusText: res.statusText, headers: res.headers as unknown as HeadersInit });
  };
  return { fetch: fetch as FetchLike, close: () => agent.close().catch(() => undefined) };
}
