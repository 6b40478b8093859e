// Endpoint URLs as docs/records.md builds them: scheme "://" host ":" port path, serialised as a
// WHATWG URL (host lowercased, a default port dropped, an IPv6 literal in brackets).

import { isIP } from 'node:net';
import type { Scheme } from './values.js';

export type UrlResult = { url: string } | { problem: string };

/**
 * The URL of an endpoint. `host` is a DNS name (a trailing dot is dropped) or an IP address
 * literal (IPv6 gets its brackets here). Fails when the host cannot be a URL host, or when URL
 * parsing would change the path (so the URL would not call the path the record names).
 */
export function buildUrl(scheme: Scheme, host: string, port: number, path: string): UrlResult {
  let h: string;
  if (isIP(host) === 6) h = `[${host}]`;
  else if (isIP(host) === 4) h = host;
  else {
    h = host.endsWith('.') && host !== '.' ? host.slice(0, -1) : host;
    // Escapes in the presentation form mean octets no URL host may hold (a dot inside a label, a space).
    if (h.length === 0 || h === '.' || h.includes('\\')) return { problem: `host ${JSON.stringify(host)} cannot be a URL host` };
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { problem: `port ${port} is not 1-65535` };
  let url: URL;
  try {
    url = new URL(`${scheme}://${h}:${port}${path}`);
  } catch {
    return { problem: `host ${JSON.stringify(host)} cannot be a URL host` };
  }
  if (isIP(host) === 0 && url.hostname !== h.toLowerCase()) {
    return { problem: `host ${JSON.stringify(host)} changes under URL parsing (to ${JSON.stringify(url.hostname)})` };
  }
  if (url.pathname !== path || url.search !== '' || url.hash !== '') {
    return { problem: `path ${JSON.stringify(path)} changes under URL parsing (to ${JSON.stringify(url.pathname + url.search + url.hash)})` };
  }
  return { url: url.href };
}

/** Whether a host name without its trailing dot reads as an IP address (a URL would then skip DNS). */
export function looksLikeAddress(host: string): boolean {
  return isIP(host.replace(/\.$/, '')) !== 0;
}
