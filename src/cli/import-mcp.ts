// `aop zone import-mcp`: list a running MCP server's tools (SDK client over Streamable HTTP, with
// undici's fetch) and turn each tool into an agent spec: a DNS label from the tool name, the
// server URL as endpoint, the tool's description, capabilities from its annotations and name.

import { AopError } from '../base/errors.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { limitedFetch, ReplyTooLargeError } from '../mcp/http.js';
import { toolProblem } from '../agent/values.js';
import type { AgentSpec } from '../update/agent-records.js';

/** Every code an ImportMcpError carries (docs/errors.md has a row for each). */
export const ImportMcpCode = {
  ERR_IMPORT_MCP_URL: 'the server URL is not an http(s) URL',
  ERR_IMPORT_MCP_UNREACHABLE: 'no reply from the server: connection refused or reset, unknown host, or timeout',
  ERR_IMPORT_MCP_NOT_MCP: 'the server replied, but not as an MCP server (an HTTP error, HTML, a failed initialize)',
  ERR_IMPORT_MCP_NO_TOOLS: 'the server lists no tools that can become agents',
  ERR_IMPORT_MCP_NAME_CLASH: 'two tools give the same agent name',
} as const;
export type ImportMcpCodeName = keyof typeof ImportMcpCode;

export class ImportMcpError extends AopError {
  declare readonly code: ImportMcpCodeName;
  constructor(code: ImportMcpCodeName, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, opts);
  }
}

/** What import-mcp uses of a tool from `tools/list`. */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  annotations?: { title?: string; readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
}

/**
 * Tools of an MCP server that manage or list its agents rather than being one: Swarms AOP's
 * discovery tools and its queue tools (swarms/structs/aop.py), and aop's own gateway tools
 * (docs/mcp.md), which offer the same discovery under the same names. import-mcp skips them
 * unless told --all-tools: an agent record for `list_agents` would list, not do, anything.
 */
export const MANAGEMENT_TOOLS: ReadonlyMap<string, string> = new Map([
  ...['discover_agents', 'list_agents', 'search_agents', 'get_agent_details', 'get_agents_info', 'get_server_info'].map((n) => [n, 'Swarms AOP discovery'] as const),
  ...['get_queue_stats', 'pause_agent_queue', 'resume_agent_queue', 'clear_agent_queue', 'get_task_status', 'cancel_task'].map((n) => [n, 'Swarms AOP queue'] as const),
  ...['resolve_agent', 'call_agent'].map((n) => [n, 'aop gateway'] as const),
]);

/** The management tools found, by kind, in MANAGEMENT_TOOLS order: `Swarms AOP discovery: list_agents, ...; aop gateway: call_agent`. */
export function describeSkipped(names: readonly string[]): string {
  const found = new Set(names);
  const byKind = new Map<string, string[]>();
  for (const [n, kind] of MANAGEMENT_TOOLS) {
    if (!found.has(n)) continue;
    const list = byKind.get(kind);
    if (list) list.push(n);
    else byKind.set(kind, [n]);
  }
  return [...byKind].map(([kind, list]) => `${kind}: ${list.join(', ')}`).join('; ');
}

/** Pages of `tools/list` read at most (a server that keeps handing out cursors is cut off). */
const MAX_PAGES = 100;

/** Why a request failed, as one of our codes: no reply at all, or a reply that is not MCP. */
function classify(url: string, err: unknown): ImportMcpError {
  const why = err instanceof Error ? err.message : String(err);
  if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `no reply from ${url} in time (${why})`, { cause: err });
  }
  if (err instanceof StreamableHTTPError) {
    return new ImportMcpError('ERR_IMPORT_MCP_NOT_MCP', `${url} is not an MCP Streamable HTTP endpoint: ${why}`, { cause: err });
  }
  const big = (err as { cause?: unknown } | undefined)?.cause;
  if (big instanceof ReplyTooLargeError) {
    return new ImportMcpError('ERR_IMPORT_MCP_NOT_MCP', `${url} sent a reply past the limits: ${big.message}`, { cause: err });
  }
  // undici: "fetch failed" with the socket error as cause.
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const netCode = cause?.code;
  if (err instanceof TypeError && /fetch failed/.test(why)) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `cannot reach ${url}: ${netCode ?? cause?.message ?? why}`, { cause: err });
  }
  if (typeof netCode === 'string' && /^(ECONN|ENOTFOUND|EAI_|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT|UND_ERR_SOCKET)/.test(netCode)) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `cannot reach ${url}: ${netCode}`, { cause: err });
  }
  if (err instanceof DOMException && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return new ImportMcpError('ERR_IMPORT_MCP_UNREACHABLE', `no reply from ${url} in time`, { cause: err });
  }
  return new ImportMcpError('ERR_IMPORT_MCP_NOT_MCP', `${url} did not answer as an MCP server: ${why}`, { cause: err });
}

/**
 * Connect to an MCP server over Streamable HTTP and list its tools (every page). Throws
 * ImportMcpError: ERR_IMPORT_MCP_URL, ERR_IMPORT_MCP_UNREACHABLE, ERR_IMPORT_MCP_NOT_MCP.
 */
export async function listMcpTools(url: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ server?: string; tools: McpToolInfo[] }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ImportMcpError('ERR_IMPORT_MCP_URL', `${JSON.stringify(url)} is not a URL (want http://host:port/path)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ImportMcpError('ERR_IMPORT_MCP_URL', `${url}: only http and https MCP servers can be imported`);
  const timeout = opts.timeoutMs ?? 10_000;
  // Replies bounded as the hand-off's are (4 MiB a body or SSE event): a hostile server cannot fill memory.
  const transport = new StreamableHTTPClientTransport(u, { fetch: limitedFetch() });
  const client = new Client({ name: 'aop-import-mcp', version: '1' });
  const reqOpts = { timeout, ...(opts.signal ? { signal: opts.signal } : {}) };
  try {
    try {
      await client.connect(transport, reqOpts);
    } catch (e) {
      throw classify(url, e);
    }
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let res;
      try {
        res = await client.listTools(cursor !== undefined ? { cursor } : {}, reqOpts);
      } catch (e) {
        throw classify(url, e);
      }
      for (const tool of res.tools) {
        const info: McpToolInfo = { name: tool.name };
        if (tool.title !== undefined) info.title = tool.title;
        if (tool.description !== undefined) info.description = tool.description;
        if (tool.annotations !== undefined) info.annotations = tool.annotations;
        tools.push(info);
      }
      cursor = res.nextCursor;
      if (cursor === undefined) break;
    }
    const server = client.getServerVersion()?.name;
    return server !== undefined ? { server, tools } : { tools };
  } finally {
    await client.close().catch(() => {});
  }
}

/** A tool name as one DNS label: lower case, runs of other characters as one '-', at most 63. */
export function toolLabel(tool: string, prefix = ''): string {
  const label = `${prefix}${tool}`
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label;
}

/** Capability keywords: the tool's behaviour hints, then the words of its name. */
export function toolCapabilities(tool: McpToolInfo): string[] {
  const caps: string[] = [];
  const a = tool.annotations ?? {};
  if (a.readOnlyHint === true) caps.push('read-only');
  if (a.destructiveHint === true && a.readOnlyHint !== true) caps.push('destructive');
  if (a.idempotentHint === true) caps.push('idempotent');
  if (a.openWorldHint === true) caps.push('open-world');
  for (const w of toolLabel(tool.name).split('-')) if (w.length >= 2 && !caps.includes(w)) caps.push(w);
  // The key holds at most 255 octets.
  const out: string[] = [];
  let len = -1;
  for (const c of caps) {
    if (len + 1 + c.length > 255) break;
    out.push(c);
    len += 1 + c.length;
  }
  return out;
}

/** One line of at most 100 UTF-8 octets, cut at a word, control characters dropped. */
export function oneLineDescription(text: string): { text: string; shortened: boolean } {
  const flat = text.replace(/\p{Cc}+/gu, ' ').replace(/\s+/g, ' ').trim();
  if (Buffer.byteLength(flat) <= 100) return { text: flat, shortened: false };
  let cut = '';
  for (const word of flat.split(' ')) {
    const next = cut === '' ? word : `${cut} ${word}`;
    if (Buffer.byteLength(next) > 97) break;
    cut = next;
  }
  if (cut === '') cut = [...flat].reduce((s, ch) => (Buffer.byteLength(s + ch) > 97 ? s : s + ch), '');
  return { text: `${cut}...`, shortened: true };
}

/**
 * An agent spec per tool: name from the tool name (plus prefix), the server URL as the one
 * endpoint. The server's management tools (MANAGEMENT_TOOLS) are left out and named in
 * `skipped`, unless `allTools`. Tools whose names the records cannot carry are skipped with a
 * warning; two tools that give one agent name are ERR_IMPORT_MCP_NAME_CLASH; none left is
 * ERR_IMPORT_MCP_NO_TOOLS.
 */
export function agentsFromTools(tools: readonly McpToolInfo[], opts: { url: string; prefix?: string; ttl?: number; allTools?: boolean }): { specs: AgentSpec[]; warnings: string[]; skipped: string[] } {
  const warnings: string[] = [];
  const specs: AgentSpec[] = [];
  const skipped: string[] = [];
  const byLabel = new Map<string, string>();
  for (const tool of tools) {
    if (!opts.allTools && MANAGEMENT_TOOLS.has(tool.name)) {
      skipped.push(tool.name);
      continue;
    }
    const bad = toolProblem(tool.name);
    if (bad !== undefined) {
      warnings.push(`tool ${JSON.stringify(tool.name)} skipped: its name ${bad}, which key65322 cannot carry`);
      continue;
    }
    const label = toolLabel(tool.name, opts.prefix);
    if (label === '') {
      warnings.push(`tool ${JSON.stringify(tool.name)} skipped: no letters or digits to make an agent name from`);
      continue;
    }
    const other = byLabel.get(label);
    if (other !== undefined) {
      throw new ImportMcpError('ERR_IMPORT_MCP_NAME_CLASH', `tools ${JSON.stringify(other)} and ${JSON.stringify(tool.name)} both give the agent name "${label}"; import them separately with different --name-prefix values, or add them one by one with add-agent`);
    }
    byLabel.set(label, tool.name);
    const spec: AgentSpec = { name: label, endpoints: [opts.url], tool: tool.name, capabilities: toolCapabilities(tool), transport: 'streamable-http' };
    const desc = tool.description ?? tool.title ?? tool.annotations?.title;
    if (desc !== undefined && desc.trim() !== '') {
      const d = oneLineDescription(desc);
      if (d.shortened) warnings.push(`${label}: description shortened to 100 octets`);
      spec.description = d.text;
    }
    if (opts.ttl !== undefined) spec.ttl = opts.ttl;
    specs.push(spec);
  }
  if (specs.length === 0) {
    const why = tools.length === 0 ? 'no tools'
      : skipped.length > 0 && skipped.length === tools.length ? `only management tools, which are not agents (${describeSkipped(skipped)}); --all-tools imports them anyway`
      : 'no tools that can become agents';
    throw new ImportMcpError('ERR_IMPORT_MCP_NO_TOOLS', `${opts.url} lists ${why}`);
  }
  return { specs, warnings, skipped };
}
