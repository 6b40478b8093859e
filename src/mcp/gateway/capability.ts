// The gateway's own capability document (docs/records.md, "Capability document"): it is an MCP
// server with tools, so it can be published as an agent with `cap` and `cap-sha256` like any other.
// Served beside /mcp at /.well-known/aop/cap/gateway.json; the fixed tools only, so the bytes (and
// the digest a record pins) do not change as agents come and go.

import { CAP_FORMAT, CAP_PATH_PREFIX, capabilityTool, type CapabilityDocument, serializeCapability } from '../../agent/index.js';
import { descriptions, inputJsonSchema, inputs, type FixedToolName } from './tools.js';

export const GATEWAY_CAP_PATH = `${CAP_PATH_PREFIX}gateway.json`;

/** The document of a gateway reached at `url` (its /mcp endpoint). */
export function gatewayCapability(url: string, version: string): CapabilityDocument {
  const u = new URL(url);
  return {
    format: CAP_FORMAT,
    name: 'aop/gateway',
    version,
    title: 'aop gateway',
    description: 'Finds agents by DNS name and calls them: discovery and hand-off over MCP',
    protocols: ['mcp'],
    transport: 'streamable-http',
    endpoints: { mcp: u.pathname },
    remotes: [{ type: 'streamable-http', url }],
    capabilities: ['discovery', 'hand-off', 'gateway'],
    tools: (Object.keys(inputs) as FixedToolName[]).map((name) => capabilityTool({ name, description: descriptions[name], inputSchema: inputJsonSchema(name) })),
  };
}

/** The document's bytes as served. */
export function gatewayCapabilityBytes(url: string, version: string): Buffer {
  return serializeCapability(gatewayCapability(url, version));
}
