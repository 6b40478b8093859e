// The capability document a record's `cap` (key65400) names, and `cap-sha256` (key65401) hashes
// (docs/records.md, "Capability document"): one JSON object per agent that the DNS-AID reference
// client reads whole (dns-aid-core 0.28 cap_fetcher.py: `capabilities`, `version`, `description`,
// and the path in `endpoints.mcp`), shaped like the MCP Server Card draft (SEP-2127) where the
// names overlap, plus aop's own fields. Written canonically (sorted keys, no white space, UTF-8)
// so the same inputs always give the same bytes and digest. The parser reads documents others
// serve: aop's own format is checked field by field, other documents only for `endpoints.mcp`.

import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import { z } from 'zod';
import { AopError } from '../base/errors.js';
import type { AgentCard } from './card.js';
import { TRANSPORTS, type Transport } from './values.js';

/** The `format` aop writes; a document with it is held to every rule below. */
export const CAP_FORMAT = 'aop-cap/1';

/** The largest document written, served or read (dns-aid-core's limit, _MAX_CAP_RESPONSE_BYTES). */
export const MAX_CAPABILITY_BYTES = 256_000;

/** Where aop's hosts (the demo agents) serve an agent's document: `/.well-known/aop/cap/<agent>.json`. */
export const CAP_PATH_PREFIX = '/.well-known/aop/cap/';

/** Every code a CapabilityError carries (docs/errors.md has a row for each). */
export const CapabilityCode = {
  ERR_CAP_DOC_TOO_LARGE: 'the document is larger than 256 000 bytes',
  ERR_CAP_DOC_NOT_JSON: 'the document is not UTF-8 JSON',
  ERR_CAP_DOC_NOT_OBJECT: 'the document is JSON but not an object',
  ERR_CAP_DOC_ENDPOINT: '`endpoints` is not an object, or `endpoints.mcp` is not a path (or an https URL)',
  ERR_CAP_DOC_INVALID: "a document in aop's format (`format: \"aop-cap/1\"`) with a field that breaks its rule, or inputs that cannot make one",
  ERR_CAP_DOC_TOOL_MISSING: "the endpoint's tools/list has no tool of the agent's name",
} as const;
export type CapabilityCodeName = keyof typeof CapabilityCode;

export class CapabilityError extends AopError {
  declare readonly code: CapabilityCodeName;
  constructor(code: CapabilityCodeName, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, opts);
  }
}

/** A path as the records hold one (key65320's rule), or an absolute https URL. */
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const MAX_PATH = 2048;

/** A JSON object, any content (a JSON Schema). */
const jsonObject = z.record(z.string(), z.json());

const annotations = z.object({
  title: z.string().max(200).optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

const toolSchema = z.object({
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, 'not an MCP tool name (letters, digits, "_", "-", ".")'),
  title: z.string().min(1).max(200).optional(),
  description: z.string().max(4096).optional(),
  inputSchema: jsonObject.refine((s) => s.type === 'object', 'must be a JSON Schema with "type": "object"'),
  outputSchema: jsonObject.refine((s) => s.type === 'object', 'must be a JSON Schema with "type": "object"').optional(),
  annotations: annotations.optional(),
});

const remoteSchema = z.object({
  type: z.enum(TRANSPORTS),
  url: z.string().max(MAX_PATH).regex(/^https?:\/\/[^\s]+$/, 'not an http(s) URL'),
  supportedProtocolVersions: z.array(z.string().min(1).max(32)).min(1).max(16).optional(),
});

const documentSchema = z.object({
  format: z.literal(CAP_FORMAT),
  // Server Card: reverse-DNS, exactly one slash.
  name: z.string().min(3).max(200).regex(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/, 'not a reverse-DNS name with one "/" (e.g. agents.acme/writer)'),
  version: z.string().min(1).max(255),
  description: z.string().min(1).max(100),
  title: z.string().min(1).max(100).optional(),
  agent: z.string().min(2).max(254).regex(/^[^\s]+\.$/, 'not an absolute DNS name (with the trailing dot)').optional(),
  tool: z.string().min(1).max(128).optional(),
  protocols: z.tuple([z.literal('mcp')]),
  transport: z.enum(TRANSPORTS),
  endpoints: z.object({ mcp: z.string().max(MAX_PATH).regex(PATH, 'not a path (starts with "/", RFC 3986 path characters)') }),
  remotes: z.array(remoteSchema).min(1).max(32),
  capabilities: z.array(z.string().min(1).max(63)).max(64),
  authentication: z.string().min(1).max(64).optional(),
  tools: z.array(toolSchema).min(1).max(1000),
}).superRefine((d, ctx) => {
  if (d.tool !== undefined && !d.tools.some((t) => t.name === d.tool)) ctx.addIssue({ code: 'custom', path: ['tool'], message: `names ${JSON.stringify(d.tool)}, which is not in tools` });
  const names = new Set<string>();
  d.tools.forEach((t, i) => {
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tools', i, 'name'], message: `${JSON.stringify(t.name)} is listed twice` });
    names.add(t.name);
  });
});

/** One tool as the document lists it (tools/list's fields, annotations' behaviour hints only). */
export type CapabilityTool = z.infer<typeof toolSchema>;
export type CapabilityRemote = z.infer<typeof remoteSchema>;
/** A capability document in aop's format. */
export type CapabilityDocument = z.infer<typeof documentSchema>;

const canonical = configure({ deterministic: true, strict: true, circularValue: Error, bigint: false });

function issuesText(error: z.ZodError): string {
  return error.issues.slice(0, 5).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(document)'}: ${i.message}`).join('; ');
}

/** The document checked against the format: a copy holding only its known fields. Throws ERR_CAP_DOC_INVALID. */
export function checkCapability(doc: unknown): CapabilityDocument {
  const r = documentSchema.safeParse(doc);
  if (!r.success) throw new CapabilityError('ERR_CAP_DOC_INVALID', `not a valid ${CAP_FORMAT} capability document: ${issuesText(r.error)}`);
  return r.data;
}

/**
 * The document's bytes as served and hashed: keys sorted (by UTF-16 code unit, as RFC 8785),
 * no insignificant white space, UTF-8, no trailing newline. Throws ERR_CAP_DOC_INVALID for a
 * document that breaks the format or is larger than MAX_CAPABILITY_BYTES.
 */
export function serializeCapability(doc: CapabilityDocument): Buffer {
  const checked = checkCapability(doc);
  const bytes = Buffer.from(canonical(checked)!, 'utf8');
  if (bytes.length > MAX_CAPABILITY_BYTES) throw new CapabilityError('ERR_CAP_DOC_INVALID', `the document is ${bytes.length} bytes, more than ${MAX_CAPABILITY_BYTES}: list fewer or smaller tools`);
  return bytes;
}

/** base64url SHA-256 without padding (43 characters), as key65401 (cap-sha256) holds it. */
export function capDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/** What a fetched document says, once read. */
export interface ParsedCapability {
  /** The JSON object as sent. */
  json: Record<string, unknown>;
  /** `endpoints.mcp`, checked to be a path or an https URL; absent when the document has none. */
  mcp?: string;
  /** The document checked field by field, when it says `format: "aop-cap/1"`. */
  document?: CapabilityDocument;
}

/**
 * Read a capability document's bytes (as fetched: nothing in them is trusted). Throws
 * CapabilityError: ERR_CAP_DOC_TOO_LARGE, _NOT_JSON (not UTF-8, not JSON), _NOT_OBJECT,
 * _ENDPOINT (an `endpoints.mcp` that is there but no path or https URL), _INVALID (a document
 * in aop's format that breaks it).
 */
export function parseCapability(bytes: Uint8Array): ParsedCapability {
  if (bytes.length > MAX_CAPABILITY_BYTES) throw new CapabilityError('ERR_CAP_DOC_TOO_LARGE', `${bytes.length} bytes, more than ${MAX_CAPABILITY_BYTES}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    throw new CapabilityError('ERR_CAP_DOC_NOT_JSON', 'not UTF-8', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CapabilityError('ERR_CAP_DOC_NOT_JSON', `not JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CapabilityError('ERR_CAP_DOC_NOT_OBJECT', `not a JSON object (${Array.isArray(json) ? 'an array' : json === null ? 'null' : `a ${typeof json}`})`);
  }
  const obj = json as Record<string, unknown>;
  const out: ParsedCapability = { json: obj };
  if (obj.endpoints !== undefined) {
    const endpoints = obj.endpoints;
    if (typeof endpoints !== 'object' || endpoints === null || Array.isArray(endpoints)) throw new CapabilityError('ERR_CAP_DOC_ENDPOINT', '"endpoints" is not an object (want "endpoints": {"mcp": "/path"})');
    const v = (endpoints as Record<string, unknown>).mcp;
    if (v !== undefined) {
      if (typeof v !== 'string') throw new CapabilityError('ERR_CAP_DOC_ENDPOINT', `"endpoints.mcp" is ${v === null ? 'null' : `a ${Array.isArray(v) ? 'list' : typeof v}`}, not a path`);
      if (v.length > MAX_PATH) throw new CapabilityError('ERR_CAP_DOC_ENDPOINT', `"endpoints.mcp" is ${v.length} characters, more than ${MAX_PATH}`);
      if (!PATH.test(v) && !/^https:\/\/[^\s]+$/i.test(v)) throw new CapabilityError('ERR_CAP_DOC_ENDPOINT', `"endpoints.mcp" ${JSON.stringify(v.slice(0, 80))} is not a path ("/...") or an https URL`);
      out.mcp = v;
    }
  }
  if (obj.format === CAP_FORMAT) out.document = checkCapability(obj);
  return out;
}

/** A tool as tools/list gives it: what the document may take from it. */
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** One tool of tools/list as the document lists it; unknown annotation keys are left out. */
export function capabilityTool(t: ListedTool): CapabilityTool {
  const out: Record<string, unknown> = { name: t.name, inputSchema: t.inputSchema ?? { type: 'object' } };
  if (t.title !== undefined) out.title = t.title;
  if (t.description !== undefined) out.description = t.description;
  if (t.outputSchema !== undefined) out.outputSchema = t.outputSchema;
  if (t.annotations !== undefined) {
    const a: Record<string, unknown> = {};
    for (const k of ['title', 'readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) if (t.annotations[k] !== undefined) a[k] = t.annotations[k];
    if (Object.keys(a).length > 0) out.annotations = a;
  }
  const r = toolSchema.safeParse(out);
  if (!r.success) throw new CapabilityError('ERR_CAP_DOC_INVALID', `tool ${JSON.stringify(t.name)} from tools/list: ${issuesText(r.error)}`);
  return r.data;
}

/** The Server Card `name` of an agent: its zone reversed, a slash, its name in the zone (`agents.acme/writer`). */
export function serverCardName(agent: string, zone: string | undefined): string {
  const abs = agent.replace(/\.?$/, '.').toLowerCase();
  const labels = abs.slice(0, -1).split('.');
  let zoneLabels = zone === undefined ? labels.slice(1) : zone.toLowerCase().replace(/\.$/, '').split('.').filter((l) => l !== '');
  if (zoneLabels.length >= labels.length || labels.slice(labels.length - zoneLabels.length).join('.') !== zoneLabels.join('.')) zoneLabels = labels.slice(1);
  const own = labels.slice(0, labels.length - zoneLabels.length).join('.');
  const ns = zoneLabels.length > 0 ? [...zoneLabels].reverse().join('.') : 'root';
  const clean = (s: string, extra: string): string => s.replace(new RegExp(`[^a-z0-9.${extra}-]`, 'g'), '-');
  return `${clean(ns, '')}/${clean(own, '_')}`.slice(0, 200);
}

/** One line of at most `max` characters, cut at a word. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/\p{Cc}+/gu, ' ').replace(/\s+/g, ' ').trim();
  if ([...flat].length <= max) return flat;
  let cut = '';
  for (const word of flat.split(' ')) {
    const next = cut === '' ? word : `${cut} ${word}`;
    if ([...next].length > max - 3) break;
    cut = next;
  }
  if (cut === '') cut = [...flat].slice(0, max - 3).join('');
  return `${cut}...`;
}

export interface CapabilityFromCardOptions {
  /** The server's version (initialize's serverInfo.version); default "0.0.0". */
  version?: string;
  /** The MCP protocol version the endpoint speaks (initialize's result), listed in each remote. */
  protocolVersion?: string;
}

/**
 * The document of an agent from its card (the records) and its endpoint's tools/list: the
 * agent's own tool with its schemas, the preferred endpoint's path in `endpoints.mcp`, every
 * endpoint in `remotes`. The card's `cap` and `cap-sha256` are not in it (they name the
 * document). Throws CapabilityError ERR_CAP_DOC_TOOL_MISSING when tools/list lacks the tool,
 * ERR_CAP_DOC_INVALID when the inputs cannot make a valid document.
 */
export function capabilityFromCard(card: AgentCard, tools: readonly ListedTool[], opts: CapabilityFromCardOptions = {}): { document: CapabilityDocument; warnings: string[] } {
  const warnings: string[] = [];
  if (card.tool === undefined) throw new CapabilityError('ERR_CAP_DOC_INVALID', `${card.name}: the card names no tool`);
  const listed = tools.find((t) => t.name === card.tool);
  if (listed === undefined) {
    const names = tools.map((t) => t.name);
    throw new CapabilityError('ERR_CAP_DOC_TOOL_MISSING', `${card.name}: the endpoint's tools/list has no tool ${JSON.stringify(card.tool)} (it lists ${names.length > 0 ? names.slice(0, 10).join(', ') : 'none'})`);
  }
  if (card.endpoints.length === 0) throw new CapabilityError('ERR_CAP_DOC_INVALID', `${card.name}: no endpoints`);
  const preferred = card.endpoints[0]!;
  const others = card.endpoints.filter((e) => e.path !== preferred.path);
  if (others.length > 0) warnings.push(`${card.name}: endpoints at other paths than ${preferred.path} (${others.map((e) => e.url).join(', ')}); DNS-AID clients use endpoints.mcp (${preferred.path}) on every endpoint`);
  const tool = capabilityTool(listed);
  const description = card.description ?? (listed.description !== undefined && listed.description.trim() !== '' ? oneLine(listed.description, 100) : oneLine(`MCP tool ${listed.name}`, 100));
  const doc: CapabilityDocument = {
    format: CAP_FORMAT,
    name: serverCardName(card.name, card.zone),
    version: opts.version ?? '0.0.0',
    description: oneLine(description, 100),
    agent: card.name.replace(/\.?$/, '.'),
    tool: card.tool,
    protocols: ['mcp'],
    transport: preferred.transport as Transport,
    endpoints: { mcp: preferred.path },
    remotes: card.endpoints.map((e) => ({ type: e.transport, url: e.url, ...(opts.protocolVersion !== undefined ? { supportedProtocolVersions: [opts.protocolVersion] } : {}) })),
    capabilities: [...card.capabilities],
    tools: [tool],
  };
  const title = listed.title ?? (typeof listed.annotations?.title === 'string' ? listed.annotations.title : undefined);
  if (title !== undefined && title.trim() !== '') doc.title = oneLine(title, 100);
  if (card.auth !== undefined) doc.authentication = card.auth;
  return { document: checkCapability(doc), warnings };
}

/** `/.well-known/aop/cap/writer.acme.agents.json` for `writer.acme.agents.` (lower case, no trailing dot). */
export function capPathFor(agent: string): string {
  return `${CAP_PATH_PREFIX}${agent.replace(/\.$/, '').toLowerCase()}.json`;
}
