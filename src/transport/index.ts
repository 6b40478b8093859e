// The transport module's public surface: the UDP/TCP DNS client, its errors, counters and framing.

export { exchange, query, DEFAULT_TIMEOUT, DEFAULT_UDP_SIZE, type Server, type ExchangeOptions, type ExchangeResult, type QueryOptions } from './exchange.js';
export { TransportError, type TransportErrorCode, type TransportKind, type Endpoint } from './errors.js';
export { transportStats, newTransportStats, openSockets, type TransportStats } from './stats.js';
export { FrameDecoder, frameMessage, MAX_FRAME } from './framing.js';
export type { UpstreamUdp } from './udp.js';
export { checkReply, parseQuery, type Expected, type Verdict } from './match.js';
