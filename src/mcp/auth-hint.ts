// The record's auth hint (key65325, AID's `a=`) checked against what the endpoint demands of a
// request that carries no credentials. The hint grants nothing; what it can do is catch a record
// that is stale, and a downgrade: a record that promises authorization whose endpoint answers
// without any is answered by something other than the server the record describes (or the record
// is out of date), so no tool call is sent there. docs/auth.md, "The auth hint", has the table.

/** AID's auth tokens by what they promise: none, OAuth (a bearer token), or other credentials. */
const OAUTH = new Set(['oauth2_code', 'oauth2_device', 'oauth2', 'oauth']);
const OTHER = new Set(['apikey', 'pat', 'basic', 'mtls', 'custom']);

export type HintClass = 'none' | 'oauth' | 'credentials' | 'unknown';

/** What a hint promises; undefined when the record states none. */
export function hintClass(auth: string | undefined): HintClass | undefined {
  if (auth === undefined) return undefined;
  const a = auth.toLowerCase();
  if (a === 'none') return 'none';
  if (OAUTH.has(a) || a.startsWith('oauth')) return 'oauth';
  if (OTHER.has(a)) return 'credentials';
  return 'unknown';
}

/** What the endpoint demanded of a request without credentials. */
export type Demand = { kind: 'none' } | { kind: 'bearer' } | { kind: 'other'; scheme: string };

/** The demand of a 401: Bearer (OAuth) when any challenge of WWW-Authenticate is, else its first scheme. */
export function demandOf(header: string | null | undefined): Demand {
  const h = (header ?? '').trim();
  if (/(^|,)\s*bearer(\s|,|$)/i.test(h)) return { kind: 'bearer' };
  const scheme = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)/.exec(h)?.[1];
  return { kind: 'other', scheme: scheme === undefined ? '(no WWW-Authenticate)' : scheme.slice(0, 40) };
}

export function demandText(d: Demand): string {
  return d.kind === 'none' ? 'no authorization' : d.kind === 'bearer' ? 'OAuth (HTTP 401, Bearer)' : `HTTP 401 with scheme ${d.scheme}`;
}

export interface HintVerdict {
  level: 'ok' | 'warning' | 'refused';
  /** For a warning or a refusal: what differs and what it likely means. */
  message?: string;
}

/** The hint against the demand (the table in docs/auth.md). */
export function checkAuthHint(auth: string | undefined, d: Demand): HintVerdict {
  const c = hintClass(auth);
  if (c === undefined || c === 'unknown') return { level: 'ok' };
  const says = `its record's auth hint says "${auth}"`;
  if (c === 'none') {
    if (d.kind === 'none') return { level: 'ok' };
    return { level: 'warning', message: `${says} but the endpoint demands ${demandText(d)}: the record is stale or wrong` };
  }
  if (d.kind === 'none') {
    return { level: 'refused', message: `${says} but the endpoint answered without demanding any authorization: a downgrade (something else answers there) or a stale record; not called` };
  }
  if (c === 'oauth') {
    if (d.kind === 'bearer') return { level: 'ok' };
    return { level: 'refused', message: `${says} but the endpoint demands ${demandText(d)}, not OAuth: a downgrade or a stale record; not called` };
  }
  // apikey, pat, basic, mtls, custom: OAuth instead is followed (the endpoint's own demand), said.
  if (d.kind === 'bearer') return { level: 'warning', message: `${says} but the endpoint demands ${demandText(d)}: the record is stale or wrong` };
  return { level: 'ok' };
}
