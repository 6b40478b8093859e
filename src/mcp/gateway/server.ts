// The AOP gateway: one MCP server per client session, all sharing one hand-off and one directory
// of agents. Fixed tools (resolve_agent, call_agent, the Swarms discovery tools) and, optionally,
// one tool per discovered agent whose input schema comes from the agent's own endpoint.

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema, CallToolResultSchema, ErrorCode, ListToolsRequestSchema, McpError,
  type CallToolResult, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { HOPS_HEADER } from '../http.js';
import { silentLogger, type Logger } from '../../base/log.js';
import { isAopError } from '../../base/errors.js';
import type { AgentClient } from './client.js';
import { AgentDirectory, plainName, toolNameFor, type DirectoryEntry } from './discovery.js';
import type { AgentCard } from '../../agent/index.js';
import { agentStates, type AgentStates } from '../agent-state.js';
import { offers, rankByCapability } from './select.js';
import { DEFAULT_PAGE, SnapshotCatalog, type AgentCatalog, type AgentFilters, type AgentPage, type PageRequest } from './catalog.js';
import { CursorError } from './cursor.js';
import {
  agentInfo, cardJson, descriptions, discoveryInfo, inputJsonSchema, inputs, SEARCH_FIELDS,
  type FixedToolName,
} from './tools.js';

export interface GatewayOptions {
  client: AgentClient;
  directory: AgentDirectory;
  /**
   * Where list_agents, discover_agents and search_agents read: the on-disk directory of crawled
   * organisations (src/directory). Default: the configured zones' indexes (the directory above), paginated.
   */
  catalog?: AgentCatalog;
  /** Surface each discovered agent as a tool of its own (`writer_acme_agents`). */
  agentTools?: boolean;
  /** Deadline of a call when the caller gives none, ms (default 30000). */
  callTimeoutMs?: number;
  /** Retries the hand-off makes, as get_agent_details reports them (default 2). */
  retries?: number;
  /** What get_server_info reports about how the gateway is reached. */
  serverInfo?: { transport?: string; host?: string; port?: number; description?: string };
  /** Policy, as get_server_info reports it: which plain-http endpoints are allowed. */
  allowHttp?: 'loopback' | 'any' | 'none';
  /**
   * Gateways a call may have come through (the aop-hops header): a request arriving with this
   * many or more is refused (ERR_HOP_LIMIT), and the gateway's own calls carry its count + 1. Default 4.
   */
  maxHops?: number;
  logger?: Logger;
  version?: string;
  now?: () => number;
}

export const DEFAULT_MAX_HOPS = 4;

/** Agents probed at once while choosing one by capability, and at most in all. */
const PROBE_BATCH = 8;
const PROBE_MAX = 32;

/** The hop count an aop-hops header value says: 0 when absent, undefined when it is not a whole number. */
export function parseHops(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return 0;
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  if (v === undefined || !/^\s*\d{1,3}\s*$/.test(v)) return undefined;
  return Number(v);
}

export const FIXED = Object.keys(inputs) as FixedToolName[];

export class Gateway {
  readonly name = 'aop-gateway';
  private readonly servers = new Set<Server>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly createdAt: number;
  private readonly callTimeoutMs: number;
  /** Per-agent tools of the current snapshot, with the schema each endpoint gave. */
  private agentDefs?: { at: number; tools: Tool[]; signature: string };
  private refreshing?: Promise<Tool[]>;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: GatewayOptions) {
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.createdAt = this.now();
    this.callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    this.maxHops = opts.maxHops ?? DEFAULT_MAX_HOPS;
    this.catalog = opts.catalog ?? new SnapshotCatalog(opts.directory);
  }

  private readonly catalog: AgentCatalog;

  /** Requests that came through this many gateways or more are refused. */
  readonly maxHops: number;

  /** The version the gateway gives in initialize (and in its capability document). */
  get version(): string {
    return this.opts.version ?? '0.0.0';
  }

  get directory(): AgentDirectory {
    return this.opts.directory;
  }

  /** A new MCP server for one session or one stdio connection. */
  createServer(): Server {
    if (this.closed) throw new McpError(ErrorCode.ConnectionClosed, 'the gateway is closed');
    const server = new Server(
      { name: this.name, version: this.opts.version ?? '0.0.0' },
      {
        // logging: the SDK's Server answers logging/setLevel itself once the capability is declared.
        capabilities: { tools: { listChanged: true }, logging: {} },
        instructions: 'Agents have DNS names (writer.acme.agents). resolve_agent finds one, call_agent calls it; discover_agents, list_agents and search_agents list the agents of the configured zones.',
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => ({ tools: await this.listTools(extra.signal) }));
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const hops = parseHops(extra.requestInfo?.headers[HOPS_HEADER]);
      return this.callTool(req.params.name, req.params.arguments ?? {}, extra.signal, hops ?? this.maxHops);
    });
    this.servers.add(server);
    server.onclose = () => { this.servers.delete(server); };
    if (this.opts.agentTools) this.schedule();
    return server;
  }

  /** Every tool: the fixed ones, then one per discovered agent when enabled. */
  async listTools(signal?: AbortSignal): Promise<Tool[]> {
    const fixed: Tool[] = FIXED.map((name) => ({ name, description: descriptions[name], inputSchema: inputJsonSchema(name), ...toolMeta(name) }));
    if (!this.opts.agentTools) return fixed;
    return [...fixed, ...await this.agentTools(signal)];
  }

  /** Run one tool. Tool failures are results with isError and the error's code; unknown tools are protocol errors. */
  async callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal, hops = 0): Promise<CallToolResult> {
    if (hops >= this.maxHops) return errorResult('ERR_HOP_LIMIT', `${name}: the request came through ${hops} gateways (${HOPS_HEADER}); at most ${this.maxHops - 1} are allowed`);
    let result: CallToolResult;
    if ((FIXED as string[]).includes(name)) {
      const parsed = inputs[name as FixedToolName].safeParse(args);
      if (!parsed.success) {
        return errorResult('ERR_HANDOFF_USAGE', `${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`);
      }
      try {
        result = await this.fixed(name as FixedToolName, parsed.data as Record<string, unknown>, signal, hops);
      } catch (err) {
        // A catalog's refusal of the request (a cursor of another query, a query of no words, its
        // readers busy or one dead) is the tool's error.
        if (!(err instanceof CursorError) && !(isAopError(err) && /^ERR_DIRECTORY_(QUERY|BUSY|READER)$/.test(err.code))) throw err;
        return errorResult((err as CursorError).code, `${name}: ${(err as Error).message}`);
      }
    } else {
      const entry = this.opts.agentTools ? (await this.agentTools(signal)).some((x) => x.name === name) ? await this.opts.directory.find(name, signal) : undefined : undefined;
      if (!entry || entry.toolName !== name) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
      result = await this.call(entry.name, args, undefined, undefined, signal, hops);
    }
    // What goes back to the client is checked against the protocol's schema, as it is on the way in.
    const checked = CallToolResultSchema.safeParse(result);
    if (!checked.success) return errorResult('ERR_BAD_AGENT_REPLY', `${name}: the result is not a valid MCP tool result: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    return result;
  }

  private async fixed(name: FixedToolName, a: Record<string, unknown>, signal: AbortSignal | undefined, hops: number): Promise<CallToolResult> {
    switch (name) {
      case 'resolve_agent': {
        try {
          const card = await this.opts.client.resolve(a.name as string, signal ? { signal } : {});
          // With probe: the states from the answers just had; else from what calls have seen.
          const reach = a.probe === true ? await this.opts.client.probe?.(card, signal ? { signal } : {}) : undefined;
          const state = reach !== undefined ? agentStates(card, reach) : this.opts.client.states?.(card);
          return jsonResult({ ...cardJson(card), ...(state ? { state } : {}) });
        } catch (err) {
          return errorFrom(err);
        }
      }
      case 'call_agent':
        if (a.capability !== undefined) return this.callByCapability(a.capability as string, (a.arguments as Record<string, unknown> | undefined) ?? {}, a.tool as string | undefined, a.timeout_ms as number | undefined, signal, hops);
        return this.call(a.name as string, (a.arguments as Record<string, unknown> | undefined) ?? {}, a.tool as string | undefined, a.timeout_ms as number | undefined, signal, hops);
      case 'discover_agents': {
        if (a.agent_name === undefined) {
          const p = a.reachable_only === true ? await this.reachablePage((r) => this.catalog.list(r, signal), pageOf(a)) : await this.catalog.list(pageOf(a), signal);
          return jsonResult({ success: true, agents: p.agents.map(discoveryInfo), ...(p.nextCursor !== undefined ? { total_count: p.total, nextCursor: p.nextCursor } : {}) });
        }
        const e = await this.entry(a.agent_name as string, signal);
        if (!e.card) return jsonResult({ success: false, error: notFound(a.agent_name as string, e), agents: [], ...(e.error ? { code: e.error.code } : {}) });
        return jsonResult({ success: true, agents: [discoveryInfo(e)] });
      }
      case 'list_agents': {
        const p = a.reachable_only === true
          ? await this.reachablePage((r) => this.catalog.list(r, signal), pageOf(a)).then((l) => ({ ...l, names: l.agents.map((e) => e.name) }))
          : this.catalog.listNames !== undefined
            ? await this.catalog.listNames(pageOf(a), signal)
            : await this.catalog.list(pageOf(a), signal).then((l) => ({ ...l, names: l.agents.map((e) => e.name) }));
        return jsonResult({ success: true, agent_names: p.names, total_count: p.total, ...(p.nextCursor !== undefined ? { nextCursor: p.nextCursor } : {}) });
      }
      case 'search_agents': {
        const fields = (a.search_fields as (typeof SEARCH_FIELDS)[number][] | undefined) ?? [...SEARCH_FIELDS];
        const req = { ...pageOf(a), query: a.query as string, fields };
        const p = a.reachable_only === true
          ? await this.reachablePage((r) => this.catalog.search({ ...req, ...r }, signal), req)
          : await this.catalog.search(req, signal);
        return jsonResult({ success: true, matching_agents: p.agents.map(discoveryInfo), total_matches: p.total, ...(p.totalAtLeast === true ? { total_matches_at_least: true } : {}), ...(p.notes !== undefined ? { notes: p.notes } : {}), query: a.query, search_fields: fields, ...(p.nextCursor !== undefined ? { nextCursor: p.nextCursor } : {}) });
      }
      case 'get_agent_details': {
        const e = await this.entry(a.agent_name as string, signal);
        if (!e.card) return jsonResult({ success: false, error: notFound(a.agent_name as string, e), agent_info: null, ...(e.error ? { code: e.error.code } : {}) });
        return jsonResult({ success: true, agent_info: agentInfo(e, this.settings()), discovery_info: discoveryInfo(e) });
      }
      case 'get_agents_info': {
        const names = a.agent_names as string[];
        const found: Record<string, unknown>[] = [];
        const missing: string[] = [];
        for (const n of names) {
          const e = await this.entry(n, signal);
          if (e.card) found.push({ agent_name: n, agent_info: agentInfo(e, this.settings()), discovery_info: discoveryInfo(e) });
          else missing.push(n);
        }
        return jsonResult({ success: true, agents_info: found, not_found: missing, total_found: found.length, total_requested: names.length });
      }
      case 'get_server_info':
        return jsonResult({ success: true, server_info: await this.serverInfo(signal) });
    }
  }

  /**
   * A page of agents for the directory web page (web.ts): what list_agents/search_agents read,
   * from arguments already validated against their input schemas; a query searches, none lists.
   */
  async page(a: Record<string, unknown>, signal?: AbortSignal): Promise<AgentPage> {
    const fetch = typeof a.query === 'string'
      ? (r: PageRequest) => this.catalog.search({ ...r, query: a.query as string, fields: [...SEARCH_FIELDS] }, signal)
      : (r: PageRequest) => this.catalog.list(r, signal);
    return a.reachable_only === true ? this.reachablePage(fetch, pageOf(a)) : fetch(pageOf(a));
  }

  /**
   * A page of the agents that answered: reachability is what calls and probes have seen (agent
   * states), not a catalog column, so catalog pages are read, each for the places still open,
   * until `limit` are found, the catalog ends, or REACHABLE_SCAN entries were looked at (then the
   * page is short, and nextCursor goes on from there). Never a reachable agent skipped: a page is
   * read whole, and asked for no more entries than places are left. `total` counts every match,
   * reachable or not.
   */
  private async reachablePage(fetch: (req: PageRequest) => Promise<AgentPage>, req: PageRequest): Promise<AgentPage> {
    const agents: DirectoryEntry[] = [];
    let cursor = req.cursor;
    let scanned = 0;
    let total = 0;
    let extra: Pick<AgentPage, 'totalAtLeast' | 'notes'> = {};
    let next: string | undefined;
    for (let reads = 0; reads < REACHABLE_READS; reads++) {
      const p = await fetch({ ...req, limit: req.limit - agents.length, ...(cursor !== undefined ? { cursor } : {}) });
      total = p.total;
      extra = { ...(p.totalAtLeast === true ? { totalAtLeast: true } : {}), ...(p.notes !== undefined ? { notes: p.notes } : {}) };
      scanned += p.agents.length;
      for (const e of p.agents) if (e.card !== undefined && this.statesOf(e.card).reachable === true) agents.push(e);
      next = p.nextCursor;
      if (next === undefined || agents.length >= req.limit || scanned >= REACHABLE_SCAN) break;
      cursor = next;
    }
    return { agents, total, ...extra, ...(next !== undefined ? { nextCursor: next } : {}) };
  }

  /** One agent as get_agent_details finds it (listed, or resolved by its DNS name). */
  async lookup(ref: string, signal?: AbortSignal): Promise<DirectoryEntry> {
    return this.entry(ref, signal);
  }

  /** A card's three states from what the hand-off has seen (nothing probed here). */
  statesOf(card: AgentCard): AgentStates {
    return this.opts.client.states?.(card) ?? agentStates(card, []);
  }

  /** A listed agent by DNS or tool name; a DNS name not in any index is resolved directly. */
  private async entry(ref: string, signal?: AbortSignal): Promise<DirectoryEntry> {
    const listed = await this.opts.directory.find(ref, signal) ?? (this.opts.catalog ? await this.opts.catalog.find(ref, signal) : undefined);
    if (listed) return listed;
    const name = plainName(ref);
    const e: DirectoryEntry = { name, zone: '', toolName: toolNameFor(name) };
    if (!name.includes('.')) {
      e.error = { code: 'ERR_AGENT_NOT_FOUND', message: `'${ref}' is neither a listed agent's tool name nor a DNS name` };
      return e;
    }
    try {
      e.card = await this.opts.client.resolve(name, signal ? { signal } : {});
      e.zone = e.card.zone !== undefined ? plainName(e.card.zone) : name.slice(name.indexOf('.') + 1);
    } catch (err) {
      const x = err as { code?: unknown; message?: unknown };
      e.error = { code: typeof x.code === 'string' ? x.code : 'ERR_LOOKUP_FAILED', message: String(x.message ?? err) };
    }
    return e;
  }

  private settings(): { timeoutMs: number; retries: number } {
    return { timeoutMs: this.callTimeoutMs, retries: this.opts.retries ?? 2 };
  }

  private async call(name: string, args: Record<string, unknown>, tool: string | undefined, timeoutMs: number | undefined, signal: AbortSignal | undefined, hops: number): Promise<CallToolResult> {
    try {
      // This gateway is one more hop for whatever the call reaches.
      const r = await this.opts.client.call(name, args, {
        ...(signal ? { signal } : {}), timeoutMs: timeoutMs ?? this.callTimeoutMs, ...(tool !== undefined ? { tool } : {}), hops: hops + 1,
      });
      // The agent's content passes through untouched; where it came from goes in _meta.
      return {
        ...r.result,
        _meta: { ...(r.result._meta ?? {}), 'aop/agent': plainName(r.card.name), 'aop/endpoint': r.endpoint, 'aop/tool': tool ?? r.card.tool ?? '(its only tool)' },
      };
    } catch (err) {
      this.log.info(`call_agent ${name}: ${(err as Error).message}`);
      return errorFrom(err);
    }
  }

  /**
   * call_agent with a capability: the listed agents offering it, ranked by rankByCapability
   * (verified, reachable, fastest); those whose reachability is not known yet are probed first.
   * The best is called; when none of its endpoints can be reached, the next, and so on.
   */
  private async callByCapability(capability: string, args: Record<string, unknown>, tool: string | undefined, timeoutMs: number | undefined, signal: AbortSignal | undefined, hops: number): Promise<CallToolResult> {
    const client = this.opts.client;
    const snap = await this.opts.directory.list(signal);
    const offering = snap.agents.filter((e) => e.card !== undefined && offers(e.card, capability));
    if (offering.length === 0) {
      return errorResult('ERR_AGENT_NOT_FOUND', `no agent listed in ${snap.zones.join(', ') || 'the configured zones'} offers capability "${capability}"`, { capability });
    }
    const states = (card: AgentCard) => client.states?.(card) ?? agentStates(card, []);
    // Not known yet: probe the best-placed of them (a few at once, a bounded number), so the choice rests on answers.
    const provisional = rankByCapability(capability, offering.map((e) => ({ card: e.card!, states: states(e.card!) })));
    const unknown = provisional.filter((c) => c.states.reachable === null).slice(0, PROBE_MAX);
    for (let i = 0; i < unknown.length && client.probe; i += PROBE_BATCH) {
      await Promise.all(unknown.slice(i, i + PROBE_BATCH).map((c) => client.probe!(c.card, signal ? { signal } : {}).catch(() => [])));
    }
    const ranked = rankByCapability(capability, offering.map((e) => ({ card: e.card!, states: states(e.card!) })));
    if (ranked.length === 0) {
      return errorResult('ERR_ENDPOINT_UNREACHABLE', `capability "${capability}": no endpoint of ${offering.map((e) => e.name).join(', ')} answered`, { capability });
    }
    let last: CallToolResult | undefined;
    for (const c of ranked) {
      const r = await this.call(c.card.name, args, tool, timeoutMs, signal, hops);
      const code = (r.structuredContent as { error?: { code?: string } } | undefined)?.error?.code;
      if (r.isError === true && (code === 'ERR_ENDPOINT_UNREACHABLE' || code === 'ERR_ENDPOINT_REFUSED')) {
        last = r;
        continue;
      }
      const chosen = states(c.card);
      return { ...r, _meta: { ...(r._meta ?? {}), 'aop/capability': capability, 'aop/verified': chosen.verified, 'aop/candidates': ranked.map((x) => plainName(x.card.name)) } };
    }
    return last!;
  }

  private async serverInfo(signal?: AbortSignal): Promise<Record<string, unknown>> {
    const snap = await this.opts.directory.list(signal);
    const names = snap.agents.map((e) => e.name);
    const info = this.opts.serverInfo ?? {};
    const now = this.now();
    return {
      server_name: this.name,
      description: info.description ?? 'aop gateway: agents found by DNS name and called over MCP',
      total_tools: names.length,
      total_agents: names.length,
      tools: names,
      agent_names: names,
      created_at: this.createdAt / 1000,
      created_at_iso: new Date(this.createdAt).toISOString(),
      uptime_seconds: (now - this.createdAt) / 1000,
      verbose: false,
      traceback_enabled: false,
      log_level: 'INFO',
      transport: info.transport ?? 'streamable-http',
      host: info.host ?? null,
      port: info.port ?? null,
      queue_enabled: false,
      persistence_enabled: false,
      network_monitoring_enabled: false,
      persistence: { persistence_enabled: false },
      network: { network_monitoring_enabled: false },
      tool_details: Object.fromEntries(snap.agents.map((e) => [e.name, agentInfo(e, this.settings())])),
      // aop's own additions.
      zones: snap.zones,
      zone_problems: snap.problems,
      ...(this.opts.catalog ? { directory: await this.opts.catalog.info(signal) } : {}),
      agent_tools: this.opts.agentTools ?? false,
      allow_http: this.opts.allowHttp ?? 'loopback',
      directory_expires_iso: new Date(snap.expires).toISOString(),
    };
  }

  /** The per-agent tools for the current snapshot; schemas fetched once per snapshot. */
  private async agentTools(signal?: AbortSignal): Promise<Tool[]> {
    const snap = await this.opts.directory.list(signal);
    if (this.agentDefs && this.agentDefs.at === snap.at) return this.agentDefs.tools;
    this.refreshing ??= this.buildAgentTools(snap.at, snap.agents).finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async buildAgentTools(at: number, agents: DirectoryEntry[]): Promise<Tool[]> {
    // A name that would shadow a fixed tool or another agent's tool is left out (call_agent still reaches it).
    const taken = new Set<string>(FIXED);
    const withCards = agents.filter((e) => {
      if (!e.card) return false;
      if (taken.has(e.toolName)) {
        this.log.warn(`agent tool ${e.toolName} for ${e.name}: the name is taken; not surfaced as a tool`);
        return false;
      }
      taken.add(e.toolName);
      return true;
    });
    const tools = await Promise.all(withCards.map(async (e): Promise<Tool> => {
      const card = e.card!;
      let inputSchema: Tool['inputSchema'] = { type: 'object', additionalProperties: true };
      let note = '';
      try {
        const listed = await this.opts.client.listTools(e.name);
        // A DNS-AID record names no tool: its endpoint's only one is called.
        const t = card.tool !== undefined ? listed.find((x) => x.name === card.tool) : listed.length === 1 ? listed[0] : undefined;
        if (t) inputSchema = t.inputSchema;
        else note = card.tool !== undefined ? ` (its endpoint does not list ${card.tool})` : ` (the record names no tool and its endpoint lists ${listed.length})`;
      } catch (err) {
        note = ' (input schema unavailable: endpoint unreachable)';
        this.log.info(`agent tool ${e.toolName}: ${(err as Error).message}`);
      }
      return { name: e.toolName, description: `${card.description ?? card.tool ?? e.name} — agent ${e.name}, tool ${card.tool ?? "(its only tool)"}${note}`, inputSchema };
    }));
    const signature = JSON.stringify(tools);
    const changed = this.agentDefs !== undefined && this.agentDefs.signature !== signature;
    this.agentDefs = { at, tools, signature };
    if (changed) this.notifyChanged();
    return tools;
  }

  private notifyChanged(): void {
    for (const s of this.servers) {
      s.sendToolListChanged().catch(() => { /* a session that went away */ });
    }
  }

  /** Re-read the directory when it expires, so list_changed reaches clients without them asking. */
  private schedule(): void {
    if (this.timer || this.closed) return;
    const tick = async (): Promise<void> => {
      this.timer = undefined;
      if (this.closed || this.servers.size === 0) return;
      try {
        await this.agentTools();
      } catch (err) {
        this.log.warn(`gateway: refreshing agent tools failed: ${(err as Error).message}`);
      }
      this.schedule();
    };
    const expires = this.opts.directory.expires ?? this.now() + 1000;
    const delay = Math.max(1000, Math.min(300_000, expires - this.now()));
    this.timer = setTimeout(() => { void tick(); }, delay);
    this.timer.unref();
  }

  /** Tell every session that the tool list changed (after a reload, say). */
  toolsChanged(): void {
    this.opts.directory.invalidate();
    this.agentDefs = undefined;
    this.notifyChanged();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.servers].map((s) => s.close().catch(() => {})));
    this.servers.clear();
  }
}

/**
 * Annotations and output schema of a fixed tool: the discovery tools only read (readOnlyHint) and
 * always answer a JSON object (structuredContent); call_agent calls out to any agent (openWorldHint)
 * and answers what the agent answered, so it declares no output schema.
 */
function toolMeta(name: FixedToolName): Pick<Tool, 'annotations' | 'outputSchema'> {
  if (name === 'call_agent') return { annotations: { readOnlyHint: false, openWorldHint: true } };
  return { annotations: { readOnlyHint: true, openWorldHint: true }, outputSchema: { type: 'object', additionalProperties: true } };
}

export function jsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** A tool error carrying a stable code: `ERR_AGENT_NOT_FOUND: ...` in the text, and in structuredContent. */
export function errorResult(code: string, message: string, extra: Record<string, unknown> = {}): CallToolResult {
  const error = { code, message, ...extra };
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }], structuredContent: { error } };
}

function errorFrom(err: unknown): CallToolResult {
  const e = err as { code?: unknown; message?: unknown; tried?: unknown; agent?: unknown };
  const code = typeof e.code === 'string' && e.code.startsWith('ERR_') ? e.code : 'ERR_GATEWAY_INTERNAL';
  return errorResult(code, String(e.message ?? err), {
    ...(Array.isArray(e.tried) ? { tried: e.tried } : {}),
    ...(typeof e.agent === 'string' ? { agent: e.agent } : {}),
  });
}

/** The page and filters of a list tool's arguments. */
/** Entries a reachable_only page looks at, and catalog reads it makes, at most before it returns short. */
const REACHABLE_SCAN = 5000;
const REACHABLE_READS = 50;

function pageOf(a: Record<string, unknown>): AgentFilters & { cursor?: string; limit: number } {
  return {
    limit: (a.limit as number | undefined) ?? DEFAULT_PAGE,
    ...(a.cursor !== undefined ? { cursor: a.cursor as string } : {}),
    ...(a.organization !== undefined ? { organization: plainName(a.organization as string).toLowerCase() } : {}),
    ...(a.capability !== undefined ? { capability: a.capability as string } : {}),
    ...(a.transport !== undefined ? { transport: a.transport as string } : {}),
    ...(a.verified_only === true ? { verifiedOnly: true } : {}),
  };
}

function notFound(ref: string, e: DirectoryEntry): string {
  return e.error ? `Agent '${ref}' not found: ${e.error.message}` : `Agent '${ref}' not found`;
}
