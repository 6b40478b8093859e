// An agent's capability document (src/agent/capability.ts) made from its card (the records) and its
// endpoint's tools/list, with the bytes served and their cap-sha256: what `aop zone cap` writes
// into the records and the demo agents serve, so both give the same bytes for the same inputs.

import { type AgentCard, capabilityFromCard, capDigest, type CapabilityDocument, CapabilityError, serializeCapability } from '../agent/index.js';
import { OriginPools } from './http.js';
import { listMcpTools, type McpToolList } from './tools-list.js';
import type { Authorizer } from './oauth/authorizer.js';

export interface GeneratedCapability {
  document: CapabilityDocument;
  /** The document as served (canonical JSON, UTF-8). */
  bytes: Buffer;
  /** base64url SHA-256 of the bytes: the record's cap-sha256. */
  digest: string;
  warnings: string[];
}

/** The document of `card` from a tools/list already read. Throws CapabilityError. */
export function capabilityOf(card: AgentCard, list: McpToolList): GeneratedCapability {
  const { document, warnings } = capabilityFromCard(card, list.tools, {
    ...(list.version !== undefined ? { version: list.version } : {}),
    ...(list.protocolVersion !== undefined ? { protocolVersion: list.protocolVersion } : {}),
  });
  const bytes = serializeCapability(document);
  return { document, bytes, digest: capDigest(bytes), warnings };
}

/**
 * The document of `card`, its tools/list read from the card's preferred endpoint: at the
 * addresses the card holds for its host (the zone's A/AAAA, the name kept in Host and SNI), else
 * by the system resolver. `ca`: certificates (PEM) to trust, replacing the system roots (see
 * trustedCas). Throws ImportMcpError (the endpoint cannot be listed) or CapabilityError (its
 * tools/list has no tool of the agent's name, or makes no valid document).
 */
export async function generateCapability(card: AgentCard, opts: { timeoutMs?: number; signal?: AbortSignal; ca?: string[]; auth?: Authorizer } = {}): Promise<GeneratedCapability> {
  const e = card.endpoints[0];
  if (e === undefined) throw new CapabilityError('ERR_CAP_DOC_INVALID', `${card.name}: no endpoint to list tools at`);
  const pools = e.addresses !== undefined && e.addresses.length > 0 ? new OriginPools(opts.ca !== undefined ? { ca: opts.ca } : {}) : undefined;
  try {
    const list = await listMcpTools(e.url, {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(pools !== undefined ? { fetch: pools.fetchFor(e.url, e.addresses!) } : {}),
      // An endpoint that demands OAuth: a token as the hand-off gets one, by the agent's name.
      ...(opts.auth !== undefined ? { auth: { authorizer: opts.auth, name: card.name, ...(e.addresses !== undefined ? { addresses: e.addresses } : {}) } } : {}),
    });
    return capabilityOf(card, list);
  } finally {
    await pools?.close();
  }
}
