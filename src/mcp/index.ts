// The MCP module's public surface for the hand-off (the gateway has its own folder, src/mcp/gateway).

export { HandOff, isLoopback, type HandOffOptions, type CallOutcome, type CallOptions, type ToolsOutcome } from './handoff.js';
export { HandOffError, HandOffCode, describeAttempts, type Attempt, type HandOffCodeName } from './errors.js';
export { NetworkLookup, type DnsLookup, type LookupReply, type NetworkLookupOptions } from './lookup.js';
export { resolveAgent, findZone, type ResolvedAgent } from './resolve.js';
export { CircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.js';
export { silentLogger, type Logger } from '../base/log.js';
export { startDemoAgents, type DemoAgents, type DemoAgentsOptions } from './demo/index.js';
export { Authorizer, TokenStore, loadCredentials, parseCredentials, defaultCredentialsPath, defaultTokenDir, type AuthorizerOptions, type Credentials, type CredentialEntry, type InteractiveLogin } from './oauth/index.js';
