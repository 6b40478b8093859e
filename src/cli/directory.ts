// `aop directory crawl`: crawl the organisations below a root into a directory index (once, or
// --watch to keep it current); `aop directory search` / `list`: read it as the gateway does.

import { Progress } from '../base/progress.js';
import { showProgress } from './progress-line.js';
import type { Argv } from 'yargs';
import { createLogger } from '../base/log.js';
import { Crawler, DirectoryDbError, DirectoryStore, listenForNotify, NotifyListenError, StoreCatalog, type CrawlReport, type NotifyListener } from '../directory/index.js';
import { SearchQueryError } from '../directory/fts-query.js';
import { NetworkLookup } from '../mcp/lookup.js';
import { VerifiedLookup } from '../mcp/security.js';
import { CursorError } from '../mcp/gateway/cursor.js';
import { SEARCH_FIELDS, type SearchField } from '../mcp/gateway/tools.js';
import { parseListen } from '../server/listen.js';
import { chooseDefaultServer } from './common.js';
import { crawlConfig, crawlOptions, DirectoryUsageError, type CrawlConfig } from './options/directory.js';

/** The crawler for the settings, over `lookup`, into `store`. */
export function crawlerFor(store: DirectoryStore, lookup: ConstructorParameters<typeof Crawler>[0]['lookup'], c: CrawlConfig, logger?: ConstructorParameters<typeof Crawler>[0]['logger'], progress?: Progress): Crawler {
  return new Crawler({
    store, lookup, orgs: c.orgs, transfer: c.transfer, ...(c.ixfr === false ? { ixfr: false } : {}), budget: c.budget, concurrency: c.concurrency,
    minRefreshMs: c.minRefreshMs, maxRefreshMs: c.maxRefreshMs, allowLoopback: c.allowLoopback,
    ...(c.root !== undefined ? { root: c.root } : {}), ...(c.rootServer ? { rootServers: [c.rootServer] } : {}),
    ...(c.transferFrom ? { transferServers: () => [c.transferFrom!] } : {}), ...(c.ca ? { ca: c.ca } : {}), ...(logger ? { logger } : {}), ...(progress ? { progress } : {}),
  });
}

function reportText(r: CrawlReport): string {
  const lines = r.rootProblems.map((p) => `root: ${p.code}: ${p.message}`);
  for (const z of r.zones) {
    lines.push(`${z.zone}: ${z.outcome}${z.method ? ` by ${z.method}` : ''}${z.serial !== undefined ? `, serial ${z.serial}` : ''}, ${z.agents} agents${z.removed > 0 ? `, ${z.removed} removed` : ''}${z.problems.length > 0 ? `, ${z.problems.length} problems` : ''}`);
    for (const p of z.problems.slice(0, 5)) lines.push(`  ${p.code}: ${p.message}`);
  }
  const agents = r.zones.reduce((n, z) => n + z.agents, 0);
  lines.push(`${r.zones.length} organisations, ${agents} agents, in ${(r.ms / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

function openStore(db: string): DirectoryStore {
  return DirectoryStore.open(db);
}

export function directoryCommand(y: Argv): Argv {
  return y.command('directory', 'Crawl the organisations below a root into a search index, and search it (docs/directory.md)', (d) => d
    .command('crawl', 'Crawl into the index once (or keep it current with --watch)', (c) => crawlOptions(c
      .option('db', { type: 'string', demandOption: true, describe: 'The directory index (SQLite file; made when missing)' })
      .option('server', { type: 'string', describe: 'Recursive resolver (or server holding the zones) to ask, ADDR[:PORT]; default as aop dig' })
      .option('watch', { type: 'boolean', default: false, describe: 'Keep running: each zone\'s SOA checked when due, crawled when its serial moves' })
      .option('notify-listen', { type: 'string', describe: 'With --watch: take NOTIFY (UDP) on ADDR[:PORT] and check that zone at once (list it as a secondary: aop serve --notify ADDR:PORT)' })
      .option('force', { type: 'boolean', default: true, describe: 'Read every organisation again; --no-force reads only those whose serial moved' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the crawl report as JSON' }))
      .example('$0 directory crawl --db dir.db --server 127.0.0.1:5300 --root agents --root-server 127.0.0.1:5300 --transfer-from 127.0.0.1:5300 --allow-loopback', 'crawl the bundled zones of a local aop serve'),
    async (argv) => {
      const a = argv as unknown as { db: string; server?: string; watch: boolean; force: boolean; json: boolean; 'notify-listen'?: string };
      let store: DirectoryStore | undefined;
      let crawler: Crawler | undefined;
      try {
        const config = crawlConfig(argv as Record<string, unknown>);
        if (config.root === undefined && config.orgs.length === 0) throw new DirectoryUsageError('nothing to crawl: give --root ZONE (its delegations) or --org ZONE');
        const choice = a.server !== undefined ? undefined : chooseDefaultServer(process.env);
        let server: { address: string; port: number };
        try {
          const l = a.server !== undefined ? parseListen(a.server, 53) : undefined;
          server = l ? { address: l.host, port: l.port } : { address: choice!.address, port: choice!.port ?? 53 };
        } catch (err) {
          throw new DirectoryUsageError(`--server '${a.server}': ${(err as Error).message}`);
        }
        store = openStore(a.db);
        const log = createLogger({ level: a.watch ? 'info' : 'warn', format: 'text' });
        // Progress on stderr (a redrawn line on a terminal, plain lines otherwise); the report stays on stdout.
        const progress = new Progress('directory crawl');
        const endProgress = a.json ? undefined : showProgress(progress, process.stderr);
        crawler = crawlerFor(store, new VerifiedLookup(new NetworkLookup(server, { dnssec: true })), config, log, progress);
        if (!a.watch) {
          const r = await crawler.crawlOnce({ force: a.force });
          endProgress?.();
          process.stdout.write(a.json ? `${JSON.stringify(r)}\n` : reportText(r));
          return;
        }
        let notify: NotifyListener | undefined;
        if (a['notify-listen'] !== undefined) {
          let at;
          try {
            at = parseListen(a['notify-listen'], 53);
          } catch (err) {
            throw new DirectoryUsageError(`--notify-listen '${a['notify-listen']}': ${(err as Error).message}`);
          }
          const c = crawler;
          notify = await listenForNotify(at.host, at.port, (z) => c.knows(z), (z) => c.notify(z), log);
          log.info(`directory: taking NOTIFY on ${notify.address.address}:${notify.address.port}`);
        }
        const ac = new AbortController();
        const stop = (): void => ac.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await crawler.run(ac.signal, (zones) => process.stdout.write(reportText({ zones, rootProblems: [], ms: zones.reduce((n, z) => n + z.ms, 0) })));
        await notify?.close();
      } catch (err) {
        process.stderr.write(`aop: ${(err as Error).message}\n`);
        process.exitCode = err instanceof DirectoryUsageError || err instanceof DirectoryDbError || err instanceof NotifyListenError ? 1 : 10;
      } finally {
        await crawler?.close();
        store?.close();
      }
    })
    .command('search <words..>', 'Search the index as the gateway\'s search_agents does', (c) => c
      .positional('words', { type: 'string', array: true, demandOption: true })
      .option('db', { type: 'string', demandOption: true, describe: 'The directory index' })
      .option('field', { type: 'string', array: true, choices: [...SEARCH_FIELDS], describe: 'Fields to search; default all' })
      .option('organization', { type: 'string', describe: 'Only agents of this organisation' })
      .option('capability', { type: 'string', describe: 'Only agents with this capability' })
      .option('transport', { type: 'string', describe: 'Only agents with an endpoint of this transport' })
      .option('verified-only', { type: 'boolean', default: false, describe: 'Only DNSSEC-secure agents whose capability document matched' })
      .option('limit', { type: 'number', default: 20, describe: 'Most results' })
      .option('cursor', { type: 'string', describe: 'The next page: the cursor the previous one printed' })
      .option('json', { type: 'boolean', default: false }),
    async (a) => {
      let store: DirectoryStore | undefined;
      try {
        store = openStore(a.db);
        const cat = new StoreCatalog(store);
        const p = await cat.search({
          query: (a.words as string[]).join(' '), fields: (a.field as SearchField[] | undefined) ?? [...SEARCH_FIELDS], limit: a.limit,
          ...(a.cursor !== undefined ? { cursor: a.cursor } : {}), ...(a.organization !== undefined ? { organization: a.organization } : {}),
          ...(a.capability !== undefined ? { capability: a.capability } : {}), ...(a.transport !== undefined ? { transport: a.transport } : {}),
          ...(a['verified-only'] ? { verifiedOnly: true } : {}),
        });
        if (a.json) process.stdout.write(`${JSON.stringify({ total: p.total, ...(p.totalAtLeast ? { totalAtLeast: true } : {}), ...(p.notes ? { notes: p.notes } : {}), agents: p.agents, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) })}\n`);
        else {
          for (const e of p.agents) process.stdout.write(`${e.name}\t${e.zone}\t${e.verification?.verified ? 'verified' : 'unverified'}\t${e.card?.description ?? ''}\n`);
          for (const n of p.notes ?? []) process.stderr.write(`aop: ${n}\n`);
          process.stdout.write(`${p.totalAtLeast ? 'at least ' : ''}${p.total} matching${p.nextCursor ? `; next page: --cursor ${p.nextCursor}` : ''}\n`);
        }
      } catch (err) {
        process.stderr.write(`aop: ${(err as Error).message}\n`);
        process.exitCode = err instanceof DirectoryDbError || err instanceof SearchQueryError || err instanceof CursorError ? 1 : 10;
      } finally {
        store?.close();
      }
    })
    .demandCommand(1, 'Name a directory command: crawl or search'));
}
