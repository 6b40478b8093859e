// `node test/bench/directory.js` (after `npm run build`): the directory's figures. Generates
// ORGS organisations of PER_ORG agents each under a root `agents.` (each organisation's index
// paged, 500 PTRs a page, the contract of docs/directory.md), serves them with one `aop serve`
// (AXFR allowed to loopback, NOTIFY to the crawler), and measures:
//   - a full crawl from the root (root AXFR, then each organisation by AXFR): time, peak RSS, DB size;
//   - a crawl by queries alone of QUERY_ORGS organisations (no transfer): agents a second;
//   - search_agents through the gateway's tool (JSON included) at CONCURRENCY in flight: p50/p99
//     and the gateway's event-loop delay, reading on its own thread and on reader threads, for
//     repeated and for distinct queries; the same searches straight on the index, one at a time, as the floor;
//   - list_agents' first page at CONCURRENCY in flight: the same;
//   - a change to one agent: from the zone's reload (SIGHUP) to the agent found by search, on NOTIFY;
//   - an agent added by UPDATE (nsupdate, when installed): to the agent found, on NOTIFY and IXFR.
// Environment: BENCH_DIR_ORGS (default 100), BENCH_DIR_PER_ORG (1000), BENCH_DIR_QUERY_ORGS (2),
// BENCH_DIR_CONCURRENCY (100), BENCH_DIR_SEARCHES (2000), BENCH_DIR_READERS (2 reader threads),
// BENCH_DIR_KEEP=1 keeps the files, BENCH_DIR_DB=FILE measures the reads alone on a file kept.
// Prints one JSON object; docs/directory.md ("Figures") has the numbers of one run.

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
const env = process.env;
const num = (k, d) => (env[k] ? Number(env[k]) : d);
const ORGS = num('BENCH_DIR_ORGS', 100);
const PER_ORG = num('BENCH_DIR_PER_ORG', 1000);
const QUERY_ORGS = num('BENCH_DIR_QUERY_ORGS', 2);
const CONCURRENCY = num('BENCH_DIR_CONCURRENCY', 100);
const SEARCHES = num('BENCH_DIR_SEARCHES', 2000);
const READERS = num('BENCH_DIR_READERS', 2);
const PAGE = 500;
const ADDR = '127.0.201.1';
const PORT = 5391;
const NOTIFY_PORT = 5392;

const { DirectoryStore, DirectoryReaders, Crawler, StoreCatalog, listenForNotify } = await dist('directory/index.js');
const { NetworkLookup } = await dist('mcp/lookup.js');
const { Gateway, AgentDirectory } = await dist('mcp/gateway/index.js');
const { RRType } = await dist('wire/types.js');
const { soaTimers } = await dist('xfr/diff.js');

const CAPS = ['translation', 'summarization', 'coding', 'review', 'planning', 'research', 'legal', 'finance', 'medical', 'travel', 'support', 'sales'];
const WORDS = ['contracts', 'invoices', 'haiku', 'kubernetes', 'genome', 'flights', 'tickets', 'leads', 'poetry', 'tax', 'audit', 'recipes'];
const org = (o) => `org${String(o).padStart(4, '0')}`;

async function writeOrg(dir, o, serial = 1, extra = '') {
  const origin = `${org(o)}.agents.`;
  const out = createWriteStream(path.join(dir, `${origin}zone`));
  out.write(`$ORIGIN ${origin}\n$TTL 300\n@ IN SOA ns1 host ( ${serial} 3600 900 604800 300 )\n@ IN NS ns1\nns1 IN A ${ADDR}\nmcp IN A 127.0.0.1\n`);
  const pages = Math.ceil(PER_ORG / PAGE);
  for (let p = 0; p < pages; p++) out.write(`_index._agents IN PTR p${p}._index._agents\n`);
  let chunk = '';
  for (let i = 0; i < PER_ORG; i++) {
    const n = o * PER_ORG + i;
    const cap = `${CAPS[n % CAPS.length]},${CAPS[(n * 5 + 1) % CAPS.length]}`;
    chunk += `a${i} IN SVCB 1 mcp ( alpn="mcp" port=18199 key65320="/a${i}" key65321="${n % 3 ? 'streamable-http' : 'sse'}" key65322="do_${WORDS[n % WORDS.length]}" key65323="${cap}" key65324="Agent ${i} of ${org(o)}: ${WORDS[(n * 5) % WORDS.length]} work" key65326="http" )\n`
      + `p${Math.floor(i / PAGE)}._index._agents IN PTR a${i}\n`;
    if (chunk.length > 1 << 20) { if (!out.write(chunk)) await once(out, 'drain'); chunk = ''; }
  }
  out.end(chunk + extra);
  await once(out, 'finish');
}

const none = { resolve: async () => { throw new Error('none'); }, call: async () => { throw new Error('none'); }, listTools: async () => [] };
const noLookup = { query: async () => { throw new Error('no DNS in this run'); } };

/**
 * The read figures, on the gateway's own thread (the store's connection, as before reader threads)
 * and on READERS reader threads: search_agents with the mixed queries (words asked again and
 * again, as users do: a page asked twice comes from the reader's page cache), with distinct
 * queries (every one new: cold), list_agents' first page; each with the gateway's event-loop
 * delay while it ran (what a DNS or MCP answer on that loop waits). The index alone, one query
 * at a time and no cache, is the floor.
 */
async function measureReads(store, dbFile, out) {
  const { StoreReader } = await dist('directory/store-reader.js');
  const { ftsMatch } = await dist('directory/fts-query.js');
  const F = ['name', 'description', 'tags', 'capabilities', 'tools'];
  const mixed = Array.from({ length: SEARCHES }, (_, k) => k % 4 === 0 ? `${WORDS[k % WORDS.length]} ${CAPS[k % CAPS.length]}` : k % 4 === 1 ? WORDS[k % WORDS.length] : k % 4 === 2 ? `a${k % PER_ORG}` : CAPS[(k * 3) % CAPS.length]);
  // (k mod 12, k mod 1000) pairs repeat only past 3000: every query below is new.
  const distinct = Array.from({ length: SEARCHES }, (_, k) => k % 3 === 0 ? `${WORDS[k % 12]} a${k % 1000}` : k % 3 === 1 ? `a${k % 1000} ${CAPS[k % 12]}` : `${CAPS[k % 12]} ${WORDS[(k * 5) % 12]} a${k % 1000}`);
  // The gateway's event loop while a scenario runs: a 1 ms timer, and the longest it waited past
  // its time (what a DNS or MCP answer on that loop would have waited). monitorEventLoopDelay
  // cannot see a loop held by one unbroken run of promise jobs, so the timer is measured directly.
  const withDelay = async (fn) => {
    const late = [];
    let due = performance.now() + 1;
    let on = true;
    const tick = () => { const now = performance.now(); late.push(now - due); if (on) { due = now + 1; setTimeout(tick, 1); } };
    setTimeout(tick, 1);
    const r = await fn();
    on = false;
    late.push(performance.now() - due);
    return { ...r, loop_late_p99_ms: +pct(late, 99).toFixed(1), loop_late_max_ms: +Math.max(...late).toFixed(1) };
  };
  const orgOf = (k) => `${org(k % ORGS)}.agents`;
  const run = async (catalog) => {
    const gateway = new Gateway({ client: none, directory: new AgentDirectory({ lookup: noLookup, client: none, zones: () => [] }), catalog });
    // How many answers gave a lower bound for a total ("at least N") or a note (a prefix cut), and an empty page.
    const search = async (qs) => {
      const seen = { total_at_least: 0, noted: 0, empty: 0 };
      const r = await withDelay(() => concurrent(CONCURRENCY, SEARCHES, async (k) => {
        const r = await gateway.callTool('search_agents', { query: qs[k], limit: 10, ...(k % 5 === 0 ? { organization: orgOf(k) } : {}) });
        if (r.isError) throw new Error(r.content[0].text);
        const s = r.structuredContent;
        if (s.total_matches_at_least) seen.total_at_least++;
        if (s.notes) seen.noted++;
        if (s.matching_agents.length === 0) seen.empty++;
      }));
      return { ...r, ...seen };
    };
    const res = {
      search_agents: await search(mixed),
      search_agents_distinct: await search(distinct),
      list_agents_first_page: await withDelay(() => concurrent(CONCURRENCY, SEARCHES, async (k) => {
        const r = await gateway.callTool('list_agents', { limit: 100, ...(k % 2 ? { organization: orgOf(k) } : {}) });
        if (r.isError) throw new Error(r.content[0].text);
      })),
    };
    await gateway.close();
    return res;
  };
  out.on_event_loop = await run(new StoreCatalog(store));
  const readers = new DirectoryReaders(dbFile, { threads: READERS });
  await readers.ready();
  out.reader_threads = { threads: READERS, ...(await run(new StoreCatalog(readers))) };
  await readers.close();
  // The index alone, no caches, one search at a time: every search goes to SQLite (a page of 10 and its total).
  const { DatabaseSync } = await import('node:sqlite');
  const raw = new DatabaseSync(dbFile, { readOnly: true });
  const floor = new StoreReader(raw, store.candidateCap, { cache: false });
  out.index_alone = await concurrent(1, SEARCHES, async (k) => { floor.searchPage(ftsMatch(mixed[k], F), {}, 0, 10); });
  out.index_alone_distinct = await concurrent(1, SEARCHES, async (k) => { floor.searchPage(ftsMatch(distinct[k], F), {}, 0, 10); });
  raw.close();
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
async function concurrent(n, total, fn) {
  const lat = [];
  let i = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < total) {
      const k = i++;
      const s = performance.now();
      await fn(k);
      lat.push(performance.now() - s);
    }
  }));
  const ms = performance.now() - t0;
  return { p50_ms: +pct(lat, 50).toFixed(2), p99_ms: +pct(lat, 99).toFixed(2), per_second: Math.round((total / ms) * 1000) };
}

// BENCH_DIR_DB=FILE: the read figures only, on a directory crawled before (BENCH_DIR_KEEP=1 keeps one).
if (env.BENCH_DIR_DB) {
  const store = DirectoryStore.open(env.BENCH_DIR_DB);
  const out = { db: env.BENCH_DIR_DB, agents: store.stats().agents, orgs: ORGS, per_org: PER_ORG };
  await measureReads(store, env.BENCH_DIR_DB, out);
  store.close();
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  process.exit(0);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'aop-bench-dir-'));
const zones = path.join(work, 'zones');
mkdirSync(zones);
const t0 = performance.now();
const root = [`$ORIGIN agents.`, '$TTL 3600', '@ IN SOA a.root host ( 1 3600 900 604800 300 )', '@ IN NS a.root', `a.root IN A ${ADDR}`];
for (let o = 0; o < ORGS; o++) { await writeOrg(zones, o); root.push(`${org(o)} IN NS ns1.${org(o)}`, `ns1.${org(o)} IN A ${ADDR}`); }
writeFileSync(path.join(zones, 'agents.zone'), root.join('\n') + '\n');
const genMs = performance.now() - t0;

// UPDATEs allowed (one key): the IXFR scenario's change is journalled, so IXFR has its differences.
const UPD = `hmac-sha256:bench-key:${Buffer.from('the benchmark update key, 32 b!!').toString('base64')}`;
const daemon = spawn(process.execPath, [path.join(ROOT, 'bin/aop.js'), 'serve', '--zones', zones, '--listen', `${ADDR}:${PORT}`, '--allow-transfer', '127.0.0.0/8',
  '--notify', `127.0.0.1:${NOTIFY_PORT}`, '--log-level', 'error', '--rrl-rate', '0', '--allow-update', '--tsig-secret', UPD], { stdio: ['ignore', 'ignore', 'inherit'] });
const server = { address: ADDR, port: PORT };
const lookup = new NetworkLookup(server, { timeoutMs: 5000 });
let exited = false;
daemon.on('exit', () => { exited = true; });
const loadStart = performance.now();
for (;;) {
  if (exited) throw new Error('aop serve stopped (its stderr is above)');
  try { const r = await lookup.query(`${org(ORGS - 1)}.agents.`, RRType.SOA); if (r.answers.length > 0) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 200));
}
const loadMs = performance.now() - loadStart;

const out = { orgs: ORGS, per_org: PER_ORG, agents: ORGS * PER_ORG, generate_s: +(genMs / 1000).toFixed(1), daemon_load_s: +(loadMs / 1000).toFixed(1) };
try {
  const dbFile = path.join(work, 'dir.db');
  const store = DirectoryStore.open(dbFile);
  const crawler = new Crawler({ store, lookup, root: 'agents.', rootServers: [server], transferServers: () => [server], concurrency: 4, minRefreshMs: 50, budget: { maxAgents: Math.max(100_000, PER_ORG) } });
  const rss0 = process.memoryUsage().rss;
  const c0 = performance.now();
  const report = await crawler.crawlOnce();
  const crawlMs = performance.now() - c0;
  out.crawl_axfr = {
    seconds: +(crawlMs / 1000).toFixed(1), agents: store.stats().agents, agents_per_second: Math.round(store.stats().agents / (crawlMs / 1000)),
    problems: report.zones.reduce((n, z) => n + z.problems.length, 0), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), rss_before_mb: Math.round(rss0 / 2 ** 20),
    db_mb: Math.round((statSync(dbFile).size + (() => { try { return statSync(`${dbFile}-wal`).size; } catch { return 0; } })()) / 2 ** 20),
  };

  // By queries alone, a few organisations (a query per index page, then SVCB, TXT, A, AAAA, SOA per agent).
  const qstore = DirectoryStore.open(':memory:');
  const qc = new Crawler({ store: qstore, lookup, orgs: Array.from({ length: QUERY_ORGS }, (_, o) => `${org(o)}.agents`), transfer: false, budget: { ratePerSecond: 100_000 }, agentConcurrency: 32 });
  const q0 = performance.now();
  await qc.crawlOnce();
  const qMs = performance.now() - q0;
  out.crawl_queries = { orgs: QUERY_ORGS, agents: qstore.stats().agents, seconds: +(qMs / 1000).toFixed(1), agents_per_second: Math.round(qstore.stats().agents / (qMs / 1000)) };
  await qc.close();
  qstore.close();

  await measureReads(store, dbFile, out);

  // A change to one organisation, seen on NOTIFY.
  let notifiedAt;
  const notified = new Map();
  const listener = await listenForNotify('127.0.0.1', NOTIFY_PORT, (z) => crawler.knows(z), (z) => { notifiedAt ??= performance.now(); if (!notified.has(z)) notified.set(z, performance.now()); crawler.notify(z); });
  const ac = new AbortController();
  let seen;
  const found = new Promise((resolve) => { seen = resolve; });
  const running = crawler.run(ac.signal);
  // Polled, not at the end of the crawler's round: the agent is searchable as soon as its zone's
  // transaction commits, while the round may go on checking other zones.
  const poll = setInterval(() => { if (store.get(`fresh.${org(0)}.agents`)) seen(); }, 20);
  await new Promise((r) => setTimeout(r, 300));
  await writeOrg(zones, 0, 2, `fresh IN SVCB 1 mcp ( alpn="mcp" port=18199 key65320="/fresh" key65321="streamable-http" key65322="fresh_tool" key65324="A fresh agent" key65326="http" )\n_index._agents IN PTR fresh\n`);
  const n0 = performance.now();
  daemon.kill('SIGHUP');
  // The daemon's reload of every zone (a million agents) is most of the wait: timed on its own, by
  // the new serial of the changed zone answered.
  let reloadedAt;
  let stopProbe = false;
  const reloaded = (async () => {
    const probe = new NetworkLookup(server, { timeoutMs: 2000 });
    while (!stopProbe) {
      try { const r = await probe.query(`${org(0)}.agents.`, RRType.SOA); if (r.answers.some((a) => a.type === RRType.SOA && soaTimers(a).serial === 2)) { reloadedAt = performance.now(); return; } } catch { /* reloading */ }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  // Timers unref'd: the one that loses the race must not keep the process for its full time.
  await Promise.race([found, new Promise((r) => setTimeout(r, 900_000).unref())]);
  const done = performance.now();
  clearInterval(poll);
  await Promise.race([reloaded, new Promise((r) => setTimeout(r, 1000).unref())]);
  stopProbe = true;
  out.reload_ms = reloadedAt !== undefined ? Math.round(reloadedAt - n0) : null;
  out.change_on_notify_ms = store.get(`fresh.${org(0)}.agents`) ? Math.round(done - n0) : null;
  out.notify_to_search_ms = notifiedAt !== undefined && out.change_on_notify_ms !== null ? Math.round(done - notifiedAt) : null;
  out.change_note = 'change_on_notify_ms: from SIGHUP (the daemon reloads the zones whose files changed) to the agent found; reload_ms: from SIGHUP to the new serial answered; notify_to_search_ms: from the NOTIFY to the agent found (SOA check, IXFR of the reload\'s difference or AXFR, and that zone\'s agents written)';

  // An agent added by UPDATE to another organisation: journalled, NOTIFY, then the crawler's IXFR
  // from the serial it holds (the differences alone), the one agent read and written.
  const { execFileSync } = await import('node:child_process');
  let nsupdate = true;
  try { execFileSync('sh', ['-c', 'command -v nsupdate'], { stdio: 'ignore' }); } catch { nsupdate = false; out.update_on_notify = 'skipped: nsupdate not installed (bind9-dnsutils)'; }
  if (nsupdate) {
    const o1 = `${org(1)}.agents`;
    const name = `added.${o1}`;
    const script = [`server ${ADDR} ${PORT}`, `zone ${o1}.`,
      `update add ${name}. 300 SVCB 1 mcp.${o1}. alpn="mcp" port=18199 key65320="/added" key65321="streamable-http" key65322="added_tool" key65324="An agent added by UPDATE" key65326="http"`,
      `update add _index._agents.${o1}. 300 PTR ${name}.`, 'send', ''].join('\n');
    const u0 = performance.now();
    let u1;
    // Not execFileSync: the crawler answers the NOTIFY on this loop while nsupdate waits.
    const sent = new Promise((resolve, reject) => {
      const c = spawn('nsupdate', ['-y', UPD], { stdio: ['pipe', 'ignore', 'inherit'] });
      c.on('exit', (code) => { u1 = performance.now(); if (code === 0) resolve(); else reject(new Error(`nsupdate exited ${code}`)); });
      c.stdin.end(script);
    });
    await new Promise((resolve) => {
      const t = setInterval(() => { if (store.get(name)) { clearInterval(t); resolve(); } }, 5);
      setTimeout(() => { clearInterval(t); resolve(); }, 120_000).unref();
    });
    const u2 = performance.now();
    await sent;
    const z = store.zone(o1);
    out.update_on_notify = store.get(name)
      ? { update_ms: Math.round(u1 - u0), to_search_ms: Math.round(u2 - u0), notify_to_search_ms: notified.has(o1) ? Math.round(u2 - notified.get(o1)) : null, method: z?.method, agents: z?.agents }
      : { error: 'the added agent was not in the store within 120 s', method: z?.method };
    out.update_note = 'update_on_notify: update_ms, nsupdate started until it exits (the UPDATE acknowledged); to_search_ms, from nsupdate started to the agent in the store; notify_to_search_ms, from the NOTIFY (SOA check, IXFR, the one agent read and written); method, how the crawler read the zone';
  }
  ac.abort();
  await running;
  await listener.close();
  await crawler.close();
  store.close();
} finally {
  daemon.kill('SIGTERM');
  if (env.BENCH_DIR_KEEP !== '1') rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
