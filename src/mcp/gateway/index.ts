// The gateway module's public surface: the AOP gateway, its directory of agents, its transports
// (Streamable HTTP, stdio) and the in-process DNS lookup the embedded server uses.

export { Gateway, jsonResult, errorResult, type GatewayOptions } from './server.js';
export {
  AgentDirectory, DirectoryError, zonesFromCatalog, toolNameFor, plainName, checkZoneName,
  type DirectoryEntry, type DirectoryOptions, type DirectorySnapshot, type ZoneProblem,
} from './discovery.js';
export { GatewayHttp, GatewayHttpError, startGatewayHttp, isLoopbackAddress, MCP_PATH, type GatewayHttpOptions } from './http.js';
export { runGatewayStdio, type GatewayStdio } from './stdio.js';
export { ResolverLookup, InProcessLookupError, type QueryResponder } from './inprocess-lookup.js';
export { SEARCH_FIELDS, MAX_TIMEOUT_MS, inputs as gatewayInputs, type FixedToolName } from './tools.js';
export type { AgentClient, AgentCallResult } from './client.js';
export {
  SnapshotCatalog, passes as passesFilters, verified as isVerifiedEntry, DEFAULT_PAGE, MAX_PAGE,
  type AgentCatalog, type AgentFilters, type AgentPage, type PageRequest, type SearchRequest,
} from './catalog.js';
export { CursorError, encodeCursor, decodeCursor, requestDigest, type CursorPosition } from './cursor.js';
export { discoveryInfo, type SearchField } from './tools.js';
