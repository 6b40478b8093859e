// `aop zone import-mcp`'s agents: each tool of a server's tools/list (src/mcp/tools-list.ts)
// turned into an agent spec: a DNS label from the tool name, the server URL as endpoint, the
// tool's description, capabilities from its annotations and name; management tools left out.

import { toolProblem } from '../agent/values.js';
import { ImportMcpError, type McpToolInfo } from '../mcp/tools-list.js';
import type { AgentSpec } from './agent-records.js';

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
