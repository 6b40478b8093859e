// The directory's options: `aop directory crawl|search` and, on `aop serve`, `--directory-db FILE`
// (the gateway's list tools read that index, and the daemon keeps it current by crawling).

import type { Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import { DEFAULT_BUDGET, type ZoneBudget } from '../../directory/budget.js';
import { parseListen } from '../../server/listen.js';
import { checkZoneName } from '../../mcp/gateway/discovery.js';
import { AopError } from '../../base/errors.js';

/** A directory option with a value it cannot use: exit 1. */
export class DirectoryUsageError extends AopError {
  declare readonly code: 'ERR_DIRECTORY_USAGE';
  constructor(message: string) {
    super('ERR_DIRECTORY_USAGE', message);
  }
}

/** Budgets and crawl settings shared by `aop directory crawl` and `aop serve --directory-db`. */
export function crawlOptions<T>(y: Argv<T>, prefix = ''): Argv<T> {
  const o = (name: string): string => `${prefix}${name}`;
  // Names built from the prefix: yargs' types cannot follow them, so the caller reads them by name (crawlConfig).
  return (y as unknown as Argv)
    .option(o('root'), { type: 'string', describe: 'Root zone whose delegations are the organisations (transferred from its name servers, or --root-server)' })
    .option(o('root-server'), { type: 'string', describe: 'Transfer the root zone from ADDR[:PORT] (default: its NS addresses, port 53)' })
    .option(o('org'), { type: 'string', array: true, default: [] as string[], describe: 'Also crawl this organisation (a zone name); comma list or repeat' })
    .option(o('transfer'), { type: 'boolean', default: true, describe: 'Try AXFR of each organisation\'s zone first; --no-transfer asks name by name only' })
    .option(o('ixfr'), { type: 'boolean', default: true, describe: 'After a whole transfer, read a changed zone by IXFR from the serial held (its differences); --no-ixfr transfers it whole' })
    .option(o('transfer-from'), { type: 'string', describe: 'Transfer every zone from ADDR[:PORT] (default: each zone\'s NS addresses, port 53)' })
    .option(o('max-agents'), { type: 'number', default: DEFAULT_BUDGET.maxAgents, describe: 'Most agents read from one organisation' })
    .option(o('max-bytes'), { type: 'number', default: DEFAULT_BUDGET.maxBytes, describe: 'Most bytes of capability documents fetched for one organisation per crawl' })
    .option(o('max-doc-bytes'), { type: 'number', default: DEFAULT_BUDGET.maxDocBytes, describe: 'Largest capability document fetched' })
    .option(o('rate'), { type: 'number', default: DEFAULT_BUDGET.ratePerSecond, describe: 'DNS queries and fetches a second for one organisation' })
    .option(o('zone-timeout'), { type: 'number', default: DEFAULT_BUDGET.maxMs, describe: 'Milliseconds one organisation\'s crawl may take' })
    .option(o('concurrency'), { type: 'number', default: 4, describe: 'Organisations crawled at once' })
    .option(o('min-refresh'), { type: 'number', default: 5000, describe: 'Milliseconds between two SOA checks of one zone, at least (NOTIFY or not)' })
    .option(o('max-refresh'), { type: 'number', default: 3_600_000, describe: 'Milliseconds between two SOA checks of one zone, at most (else its SOA refresh)' })
    .option(o('allow-loopback'), { type: 'boolean', default: false, describe: 'Fetch capability documents from loopback addresses (local zones)' })
    .option(o('ca'), { type: 'string', describe: 'CA certificates (PEM file) the capability documents\' https servers must chain to; default the system roots' }) as unknown as Argv<T>;
}

export interface CrawlConfig {
  root?: string;
  rootServer?: { address: string; port: number };
  orgs: string[];
  transfer: boolean;
  /** IXFR after the first AXFR (default true). */
  ixfr?: boolean;
  transferFrom?: { address: string; port: number };
  budget: ZoneBudget;
  concurrency: number;
  minRefreshMs: number;
  maxRefreshMs: number;
  allowLoopback: boolean;
  ca?: string[];
}

function server(flag: string, v: unknown): { address: string; port: number } | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    const l = parseListen(String(v), 53);
    return { address: l.host, port: l.port };
  } catch (err) {
    throw new DirectoryUsageError(`--${flag} '${String(v)}': ${(err as Error).message}`);
  }
}

function whole(flag: string, v: unknown, min: number): number {
  const n = v as number;
  if (!Number.isSafeInteger(n) || n < min) throw new DirectoryUsageError(`--${flag} must be a whole number >= ${min}`);
  return n;
}

/** The parsed options as the crawler's settings. Throws UsageError (exit 1) for a bad value. */
export function crawlConfig(a: Record<string, unknown>, prefix = ''): CrawlConfig {
  const g = (name: string): unknown => a[`${prefix}${name}`];
  const orgs = ((g('org') as string[] | undefined) ?? []).flatMap((v) => v.split(',')).map((z) => z.trim()).filter((z) => z !== '');
  let checked: string[];
  let root: string | undefined;
  try {
    checked = orgs.map(checkZoneName);
    root = g('root') === undefined ? undefined : checkZoneName(String(g('root')));
  } catch (err) {
    throw new DirectoryUsageError((err as Error).message);
  }
  let ca: string[] | undefined;
  if (g('ca') !== undefined) {
    try {
      ca = [readFileSync(String(g('ca')), 'utf8')];
    } catch (err) {
      throw new DirectoryUsageError(`--${prefix}ca ${String(g('ca'))}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const rootServer = server(`${prefix}root-server`, g('root-server'));
  const transferFrom = server(`${prefix}transfer-from`, g('transfer-from'));
  return {
    ...(root !== undefined ? { root } : {}), ...(rootServer ? { rootServer } : {}), orgs: checked,
    transfer: g('transfer') !== false, ixfr: g('ixfr') !== false, ...(transferFrom ? { transferFrom } : {}),
    budget: {
      maxAgents: whole(`${prefix}max-agents`, g('max-agents'), 1), maxBytes: whole(`${prefix}max-bytes`, g('max-bytes'), 0),
      maxDocBytes: whole(`${prefix}max-doc-bytes`, g('max-doc-bytes'), 1), ratePerSecond: whole(`${prefix}rate`, g('rate'), 1),
      maxMs: whole(`${prefix}zone-timeout`, g('zone-timeout'), 1), maxPages: DEFAULT_BUDGET.maxPages,
    },
    concurrency: whole(`${prefix}concurrency`, g('concurrency'), 1),
    minRefreshMs: whole(`${prefix}min-refresh`, g('min-refresh'), 1), maxRefreshMs: whole(`${prefix}max-refresh`, g('max-refresh'), 1),
    allowLoopback: g('allow-loopback') === true, ...(ca ? { ca } : {}),
  };
}

/** `aop serve --directory-db FILE` and the crawl it runs (`--directory-*`). */
export function directoryOptions<T>(y: Argv<T>) {
  return crawlOptions(
    y.option('directory-db', { type: 'string', describe: 'The gateway\'s list tools read this directory index (SQLite), kept current by crawling (docs/directory.md)' })
      .option('directory-crawl', { type: 'boolean', default: true, describe: 'With --directory-db: crawl in the daemon; --no-directory-crawl only reads the file (another process crawls)' })
      .option('directory-readers', { type: 'number', default: 2, describe: 'Threads that read the directory for the list tools, each with its own connection (0: read on the daemon\'s own thread)' })
      .option('directory-read-timeout', { type: 'number', default: 10_000, describe: 'Milliseconds one directory read may take, waiting included, before it fails (ERR_DIRECTORY_READER)' }),
    'directory-',
  );
}

export interface ServeDirectoryConfig {
  db: string;
  crawl: boolean;
  config: CrawlConfig;
  /** Reader threads (0: reads on the event loop). */
  readers: number;
  readTimeoutMs: number;
}

/** The serve options as the daemon's directory settings; undefined without --directory-db. */
export function serveDirectoryConfig(a: Record<string, unknown>): ServeDirectoryConfig | undefined {
  const db = a['directory-db'];
  if (db === undefined || db === '') return undefined;
  return {
    db: String(db), crawl: a['directory-crawl'] !== false, config: crawlConfig(a, 'directory-'),
    readers: whole('directory-readers', a['directory-readers'] ?? 2, 0), readTimeoutMs: whole('directory-read-timeout', a['directory-read-timeout'] ?? 10_000, 1),
  };
}
