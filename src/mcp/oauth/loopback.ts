// The loopback redirect listener of the authorization code flow for a native app (RFC 8252 7.3):
// http://127.0.0.1:PORT/callback, up only while one login waits for its redirect. The browser
// brings the code (or the refusal) here; the state must be the one sent, else it is ignored.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HandOffError } from '../errors.js';

export interface LoopbackRedirect {
  redirectUri: string;
  port: number;
  /** The code the redirect brings for `state`; rejects on a refusal, the wait running out, or `signal`. */
  wait(state: string, waitMs: number, signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

const PAGE = (title: string, text: string): string =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${text}</p>`;

/** Listen on 127.0.0.1 (port 0: any free port; a port a stored registration names, when it is free). */
export async function loopbackRedirect(port = 0): Promise<LoopbackRedirect> {
  let deliver: ((r: { code?: string; error?: string; description?: string }) => void) | undefined;
  let expected = '';
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || u.pathname !== '/callback') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const state = u.searchParams.get('state') ?? '';
    if (expected === '' || state !== expected) {
      // Not the login this listener waits for (a stale tab, a forged request): no code is taken from it.
      res.writeHead(400, { 'content-type': 'text/html' }).end(PAGE('aop', 'This is not the login aop is waiting for.'));
      return;
    }
    const code = u.searchParams.get('code') ?? undefined;
    const error = u.searchParams.get('error') ?? undefined;
    const description = u.searchParams.get('error_description') ?? undefined;
    res.writeHead(200, { 'content-type': 'text/html' }).end(code !== undefined
      ? PAGE('aop: authorized', 'aop is authorized. You can close this window.')
      : PAGE('aop: not authorized', 'aop was not authorized. You can close this window.'));
    deliver?.({ ...(code !== undefined ? { code } : {}), ...(error !== undefined ? { error } : {}), ...(description !== undefined ? { description } : {}) });
  });
  const listen = (p: number): Promise<void> => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    await listen(port);
  } catch (err) {
    if (port === 0) throw err;
    await listen(0);
  }
  const actual = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${actual}/callback`,
    port: actual,
    wait(state, waitMs, signal) {
      expected = state;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => finish({ error: 'timeout' }), waitMs);
        const onAbort = (): void => finish({ error: 'aborted' });
        signal?.addEventListener('abort', onAbort, { once: true });
        function finish(r: { code?: string; error?: string; description?: string }): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          deliver = undefined;
          if (r.code !== undefined) resolve(r.code);
          else if (r.error === 'aborted') reject(signal?.reason ?? new Error('aborted'));
          else if (r.error === 'timeout') reject(new HandOffError('ERR_AUTH_CONSENT_REFUSED', `the login was not finished within ${Math.round(waitMs / 1000)} s`));
          else if (r.error === 'access_denied') reject(new HandOffError('ERR_AUTH_CONSENT_REFUSED', `consent refused at the authorization server${r.description ? `: ${r.description.slice(0, 300)}` : ''}`));
          else reject(new HandOffError('ERR_AUTH_TOKEN_FAILED', `the authorization server refused the authorization request: ${(r.error ?? 'no code').slice(0, 100)}${r.description ? `: ${r.description.slice(0, 300)}` : ''}`));
        }
        deliver = finish;
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
