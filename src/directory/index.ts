// The directory: a crawl of the organisations below a root, kept in an SQLite FTS5 index on disk,
// read by the gateway's list tools (docs/directory.md).

export { DirectoryStore, DirectoryDbError, type StoreFilters, type StoredAgent, type StoredProblem, type ZoneState } from './store.js';
export { DirectoryReaders, DirectoryReaderError, DirectoryBusyError, inProcessReads, type DirectoryReads, type Page, type ReaderPoolOptions } from './reader-pool.js';
export { DEFAULT_CANDIDATE_CAP } from './store-reader.js';
export { Crawler, type CrawlerOptions, type CrawlReport, type ZoneReport } from './crawler.js';
export { StoreCatalog, entryOf } from './catalog.js';
export { DEFAULT_BUDGET, BudgetError, RateLimiter, ZoneSpend, type ZoneBudget } from './budget.js';
export { walkIndex, querySource, recordSource, MAX_INDEX_DEPTH, type IndexSource, type IndexResult } from './index-walk.js';
export { recordFromCard, isVerified, verificationRank, type DirectoryRecord, type DirectoryTool, type CapCheck } from './record.js';
export { ftsMatch, SearchQueryError, FTS_COLUMNS, FTS_WEIGHTS } from './fts-query.js';
export { fetchCapability, capPools } from './cap-fetch.js';
export { listenForNotify, NotifyListenError, type NotifyListener } from './notify-listen.js';
