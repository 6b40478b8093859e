// `aop serve` options against abuse: Response Rate Limiting of UDP answers and DNS Cookies.

import type { Argv } from 'yargs';
import { Acl } from '../../resolver/acl.js';
import { DEFAULT_RRL, type RrlOptions } from '../../server/rrl.js';
import { randomBytes } from 'node:crypto';
import { parseCookieSecret } from '../../server/cookies.js';

/**
 * How `--workers` share one random cookie secret: the primary puts it in the environment its
 * workers inherit, so a cookie one worker gave is good at the others (the kernel spreads a
 * client's queries over them). Only the same user can read a process's environment.
 */
const SHARED_SECRET_ENV = 'AOP_WORKERS_COOKIE_SECRET';

/** In the primary, before forking: one random cookie secret for every worker. */
export function shareCookieSecret(): void {
  process.env[SHARED_SECRET_ENV] ??= randomBytes(16).toString('hex');
}

export function abuseOptions<T>(y: Argv<T>) {
  return y
    .option('rrl-rate', { type: 'number', default: DEFAULT_RRL.rate, describe: 'UDP answers per second to one client prefix for one kind of answer (Response Rate Limiting); 0 turns it off' })
    .option('rrl-burst', { type: 'number', defaultDescription: 'the rate (one second\'s worth)', describe: 'Answers a quiet client prefix may get at once before the rate applies' })
    .option('rrl-slip', { type: 'number', default: DEFAULT_RRL.slip, describe: 'Every Nth answer over the rate goes out as a bare TC=1 reply (the client retries over TCP); 0 never, 1 always' })
    .option('rrl-ipv4-prefix', { type: 'number', default: DEFAULT_RRL.ipv4Prefix, describe: 'IPv4 prefix length counted as one client for rate limiting (0-32)' })
    .option('rrl-ipv6-prefix', { type: 'number', default: DEFAULT_RRL.ipv6Prefix, describe: 'IPv6 prefix length counted as one client for rate limiting (0-128)' })
    .option('rrl-exempt', { type: 'string', array: true, default: [] as string[], describe: 'Client network never rate limited (CIDR); repeat for more' })
    .option('cookies', { type: 'boolean', default: true, describe: 'DNS Cookies (RFC 7873, RFC 9018 server cookies): answers carry a server cookie, and a client that returns a valid one is not rate limited; --no-cookies turns them off' })
    .option('cookie-secret', { type: 'string', defaultDescription: 'random at each start', describe: 'Server cookie secret, 32 hex digits; give several servers the same one so they accept each other\'s cookies (visible in ps)' })
    .check((a) => {
      if (a['cookie-secret'] !== undefined) parseCookieSecret(String(a['cookie-secret']));
      if (!(Number.isInteger(a['rrl-rate']) && a['rrl-rate'] >= 0)) throw new Error('--rrl-rate must be a whole number of answers per second, 0 (off) or more');
      const burst = a['rrl-burst'];
      if (burst !== undefined && !(Number.isInteger(burst) && burst >= 1)) throw new Error('--rrl-burst must be a whole number of answers, at least 1');
      if (!(Number.isInteger(a['rrl-slip']) && a['rrl-slip'] >= 0)) throw new Error('--rrl-slip must be a whole number, 0 (never slip) or more');
      if (!(Number.isInteger(a['rrl-ipv4-prefix']) && a['rrl-ipv4-prefix'] >= 0 && a['rrl-ipv4-prefix'] <= 32)) throw new Error('--rrl-ipv4-prefix must be 0 to 32');
      if (!(Number.isInteger(a['rrl-ipv6-prefix']) && a['rrl-ipv6-prefix'] >= 0 && a['rrl-ipv6-prefix'] <= 128)) throw new Error('--rrl-ipv6-prefix must be 0 to 128');
      try {
        new Acl(a['rrl-exempt']);
      } catch (err) {
        throw new Error(`--rrl-exempt: ${(err as Error).message}`);
      }
      return true;
    });
}

interface AbuseArgs {
  'rrl-rate': number;
  'rrl-burst'?: number;
  'rrl-slip': number;
  'rrl-ipv4-prefix': number;
  'rrl-ipv6-prefix': number;
  'rrl-exempt': string[];
  cookies: boolean;
  'cookie-secret'?: string;
}

/** The daemon's abuse settings from the parsed options. */
export function abuseConfig(a: AbuseArgs): { rrl: RrlOptions; cookies: { secret?: Buffer } | false } {
  const secret = a['cookie-secret'] ?? process.env[SHARED_SECRET_ENV];
  return {
    cookies: a.cookies ? (secret !== undefined ? { secret: parseCookieSecret(secret) } : {}) : false,
    rrl: {
      rate: a['rrl-rate'], slip: a['rrl-slip'], ipv4Prefix: a['rrl-ipv4-prefix'], ipv6Prefix: a['rrl-ipv6-prefix'], exempt: a['rrl-exempt'],
      ...(a['rrl-burst'] !== undefined ? { burst: a['rrl-burst'] } : {}),
    },
  };
}
