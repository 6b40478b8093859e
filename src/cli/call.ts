// `aop call NAME`: resolve an agent name, call its MCP tool, print the result; and the plumbing
// `aop agent` shares with it (which DNS server to ask, one-line errors, exit statuses).

import { AopError } from '../base/errors.js';
import type { Argv } from 'yargs';
import { parseListen } from '../server/listen.js';
// The hand-off (and the MCP SDK under it) loads only when a call runs, so other commands start fast.
import type { CallOutcome, HandOff } from '../mcp/handoff.js';
import { HandOffError, type Attempt } from '../mcp/errors.js';
import { NetworkLookup } from '../mcp/lookup.js';
import { VerifiedLookup } from '../mcp/security.js';
import { readTrustAnchorFiles, StubValidator } from '../resolver/validate/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { daemonStatePath, gatewayAddress, readDaemonState } from './daemon-state.js';
import { askedNote, chooseDefaultServer } from './common.js';
import { readFileSync } from 'node:fs';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Default process.env (AOP_RESOLVER, AOP_STATE_FILE). */
  env?: Record<string, string | undefined>;
}

export const processCliIo: CliIo = {
  stdout: (s) => { process.stdout.write(s); },
  stderr: (s) => { process.stderr.write(s); },
};

/** A bad command line: exit status 1. */
export class CallUsageError extends AopError {
  declare readonly code: 'ERR_CALL_USAGE';
  constructor(message: string) {
    super('ERR_CALL_USAGE', message);
  }
}

export type AllowHttp = 'loopback' | 'any' | 'none';

/**
 * `--server ADDR[:PORT]`, else AOP_RESOLVER, the running `aop serve`, resolv.conf, 127.0.0.1 (as aop
 * dig). `asked` names a server the command chose itself and why, for its DNS errors (reportError).
 */
export function chooseServer(server: string | undefined, env: Record<string, string | undefined> | undefined): { address: string; port: number; asked?: string } {
  if (server !== undefined) {
    try {
      const a = parseListen(server, 53);
      if (a.port === 0) throw new Error('port must be 1-65535');
      return { address: a.host, port: a.port };
    } catch (err) {
      throw new CallUsageError(`--server '${server}' is not ADDR[:PORT]: ${(err as Error).message}`);
    }
  }
  try {
    const d = chooseDefaultServer(env ?? process.env, env ? {} : { stateFile: daemonStatePath() });
    return { address: d.address, port: d.port ?? 53, asked: askedNote(d) };
  } catch (err) {
    throw new CallUsageError((err as Error).message);
  }
}

/**
 * Where the hand-off may connect to this host: the zones whose agents may have loopback endpoints
 * (the announced daemon's own zones when it is the server asked, plus --allow-loopback-zone; every
 * zone with --allow-http any), the addresses never called (the DNS server asked, the daemon's
 * gateway), and the local CA file that daemon announces (its https demo agents chain to it).
 */
export function localPolicy(server: { address: string; port: number }, allowHttp: AllowHttp, extraZones: readonly string[], env: Record<string, string | undefined> | undefined): {
  loopbackZones: 'any' | string[];
  selfAddresses: Array<{ address: string; port: number }>;
  caFile?: string;
  anchorFile?: string;
} {
  // As chooseServer: a given environment (tests) names its state file, else there is none.
  const file = env === undefined ? daemonStatePath() : env.AOP_STATE_FILE ? daemonStatePath(env) : undefined;
  const state = file === undefined ? undefined : readDaemonState(file);
  const local = state !== undefined && state.dns.address === server.address && state.dns.port === server.port;
  const zones = [...(local ? state.served ?? [] : []), ...extraZones];
  const self = [{ address: server.address, port: server.port }];
  const gateway = local ? gatewayAddress(state) : undefined;
  if (gateway !== undefined) self.push({ address: gateway.host, port: gateway.port });
  return {
    loopbackZones: allowHttp === 'any' ? 'any' : zones, selfAddresses: self, ...(local && state.ca !== undefined ? { caFile: state.ca } : {}),
    ...(local && state.anchor !== undefined ? { anchorFile: state.anchor } : {}),
  };
}

/**
 * The lookup a command asks through: DO=1 to the server, judged by VerifiedLookup (mcp/security.ts).
 * With trust anchors (--trust-anchor, and the one the local daemon announces when it is the server
 * asked) the command validates the answers itself (resolver/validate/stub.ts), asking the same
 * server for the DNSKEY and DS sets with CD=1. --require-secure: undefined is 'auto' (the default),
 * false (--no-require-secure) is said on stderr: only bogus records are refused then.
 */
export function verifiedLookup(server: { address: string; port: number }, a: { requireSecure?: boolean; trustAnchor?: string[] }, anchorFile: string | undefined, io: CliIo, command: string): VerifiedLookup {
  const files = [...(a.trustAnchor ?? []), ...(anchorFile !== undefined ? [anchorFile] : [])];
  let judge: StubValidator | undefined;
  if (files.length > 0) {
    let anchors;
    try {
      anchors = readTrustAnchorFiles(files);
    } catch (err) {
      // The announced file is the daemon's to keep; a broken one is said, and the resolver's AD read instead.
      if (a.trustAnchor?.length) throw new CallUsageError(`--trust-anchor: ${(err as Error).message}`);
      io.stderr(`aop: ${command}: the local daemon's trust anchor ${anchorFile}: ${(err as Error).message}; its AD bit is read instead\n`);
    }
    if (anchors) judge = new StubValidator({ anchors, ask: new NetworkLookup(server, { dnssec: true, checkingDisabled: true }) });
  }
  if (a.requireSecure === false) io.stderr(`aop: ${command}: --no-require-secure: records that are not DNSSEC-secure are followed (only bogus ones are refused)\n`);
  return new VerifiedLookup(new NetworkLookup(server, { dnssec: true }), { requireSecure: a.requireSecure ?? 'auto', ...(judge ? { judge } : {}) });
}

/**
 * The CAs a command trusts besides the system roots: --ca FILE, and the local daemon's CA when it
 * is the server asked (its https demo agents, which only its zones name: the loopback policy keeps
 * other zones off those addresses). An announced CA that cannot be read is said on stderr, not fatal:
 * the plain-http endpoints still answer.
 */
export function trustedCa(caArg: string | undefined, announced: string | undefined, io: CliIo, command: string): string | undefined {
  const given = readCa(caArg);
  let local: string | undefined;
  if (announced !== undefined) {
    try {
      local = readFileSync(announced, 'utf8');
      if (!local.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    } catch (err) {
      local = undefined;
      const e = err as NodeJS.ErrnoException;
      io.stderr(`aop: ${command}: the local daemon's CA ${announced}: ${e.code === 'ENOENT' ? 'no such file' : e.message}; its https endpoints will not verify\n`);
    }
  }
  return given !== undefined && local !== undefined ? `${given.trim()}\n${local}` : given ?? local;
}

/** `--ca FILE`: its PEM text, checked to hold a certificate. */
export function readCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CallUsageError(`--ca ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new CallUsageError(`--ca ${file}: no PEM certificate in it`);
  return text;
}

export function timeoutMs(seconds: number | undefined, dflt = 30): number {
  const s = seconds ?? dflt;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0 || s > 86_400) throw new CallUsageError(`--timeout ${String(seconds)} is not a number of seconds in (0, 86400]`);
  return Math.max(1, Math.round(s * 1000));
}

/** Hand-off failures that come from the DNS answer, where the server asked matters. */
function fromDns(code: string): boolean {
  return code === 'ERR_AGENT_NOT_FOUND' || code === 'ERR_NO_AGENT_RECORD' || code.startsWith('ERR_LOOKUP_');
}

/**
 * One line on stderr and the exit status for whatever stopped a command. `asked` (chooseServer's)
 * ends a DNS failure's line: which server answered, and why that one.
 */
export function reportError(io: CliIo, command: string, err: unknown, json: boolean, asked?: string): number {
  if (err instanceof CallUsageError) {
    io.stderr(`aop: ${command}: ${err.message} (see aop ${command} --help)\n`);
    return 1;
  }
  if (err instanceof HandOffError) {
    io.stderr(`aop: ${command}: ${err.message}${asked !== undefined && fromDns(err.code) ? ` ${asked}` : ''}\n`);
    if (json) io.stdout(JSON.stringify({ error: { code: err.code, message: err.message, ...(err.tried ? { tried: err.tried } : {}), ...(err.result ? { result: err.result } : {}) } }, null, 2) + '\n');
    return err.exitCode;
  }
  io.stderr(`aop: ${command}: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 10;
}

/** The JSON Schema type of a tool argument, when the tool's input schema says. */
function schemaType(tool: Tool | undefined, key: string): string | undefined {
  const prop = (tool?.inputSchema.properties as Record<string, { type?: unknown }> | undefined)?.[key];
  const t = prop?.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null');
  return undefined;
}

/** `key=value` pairs to arguments, each value typed as the tool's input schema says (string when it says nothing). */
export function parseArgPairs(pairs: readonly string[], tool: Tool | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CallUsageError(`--arg '${pair}' is not key=value`);
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    if (Object.hasOwn(out, key)) throw new CallUsageError(`--arg ${key} is given twice`);
    const type = schemaType(tool, key);
    let value: unknown = text;
    if (type === 'number' || type === 'integer') {
      value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value as number)) throw new CallUsageError(`--arg ${key}=${text}: the tool wants a number`);
    } else if (type === 'boolean') {
      if (text !== 'true' && text !== 'false') throw new CallUsageError(`--arg ${key}=${text}: the tool wants true or false`);
      value = text === 'true';
    } else if (type === 'object' || type === 'array') {
      try {
        value = JSON.parse(text);
      } catch {
        throw new CallUsageError(`--arg ${key}: the tool wants JSON (${type}), not '${text}'`);
      }
    }
    out[key] = value;
  }
  return out;
}

export function parseArgsJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new CallUsageError(`--args-json is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CallUsageError('--args-json must be a JSON object');
  return v as Record<string, unknown>;
}

export interface CallArgs {
  name: string;
  arg?: string[];
  argsJson?: string;
  tool?: string;
  server?: string;
  timeout?: number;
  json?: boolean;
  allowHttp?: AllowHttp;
  /** Zones whose agents may have loopback endpoints, besides the announced local daemon's. */
  allowLoopbackZone?: string[];
  maxReplyBytes?: number;
  maxReplyEvents?: number;
  /** A PEM file of CAs to trust besides the system roots (https endpoints, capability documents). */
  ca?: string;
  /**
   * true: call only an agent whose every record is DNSSEC-secure; undefined (the default, 'auto'):
   * so where a trust anchor covers the name or the agent's SVCB is secure; false: only bogus is refused (mcp/security.ts).
   */
  requireSecure?: boolean;
  /** Trust anchor files (DS or DNSKEY, zone-file syntax): the command validates what it is given itself. */
  trustAnchor?: string[];
  /** --credentials FILE, --interactive (src/cli/auth.ts). */
  credentials?: string;
  interactive?: boolean;
}

function positive(what: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new CallUsageError(`--${what} ${String(v)} is not a whole number >= 1`);
  return v;
}

/** The outcome as JSON: the agent, tool, endpoint, result and every try (session opening included). */
function outcomeJson(o: CallOutcome): unknown {
  return { agent: o.card.name, tool: o.tool, endpoint: o.endpoint, result: o.result, attempts: o.attempts };
}

/** Run `aop call`; resolves with the exit status. Never throws. */
export async function runCall(a: CallArgs, io: CliIo = processCliIo): Promise<number> {
  let handoff: HandOff | undefined;
  let asked: string | undefined;
  try {
    const ms = timeoutMs(a.timeout);
    const fromJson = parseArgsJson(a.argsJson);
    const server = chooseServer(a.server, io.env);
    asked = server.asked;
    const { HandOff } = await import('../mcp/handoff.js');
    const allowHttp = a.allowHttp ?? 'loopback';
    const policy = localPolicy(server, allowHttp, a.allowLoopbackZone ?? [], io.env);
    const maxReplyBytes = positive('max-reply-bytes', a.maxReplyBytes);
    const maxReplyEvents = positive('max-reply-events', a.maxReplyEvents);
    const ca = trustedCa(a.ca, policy.caFile, io, 'call');
    const { cliAuthorizer } = await import('./auth.js');
    const auth = await cliAuthorizer(a, { io, allowHttp, ...(ca !== undefined ? { ca } : {}) });
    handoff = new HandOff({
      ...(ca !== undefined ? { ca } : {}), auth,
      lookup: verifiedLookup(server, a, policy.anchorFile, io, 'call'), timeoutMs: ms, allowHttp, loopbackZones: policy.loopbackZones, selfAddresses: () => policy.selfAddresses,
      ...(maxReplyBytes !== undefined ? { maxReplyBytes } : {}), ...(maxReplyEvents !== undefined ? { maxReplyEvents } : {}),
    });
    const pairs = a.arg ?? [];
    // key=value form and repeats are checked before anything is looked up; types once the schema is known.
    if (pairs.length > 0) parseArgPairs(pairs, undefined);
    // The --arg values are typed by the input schema of the tool called, from the tools/list of
    // the session the call itself opens: one trip through the endpoint loop.
    const o = await handoff.call(a.name, fromJson, {
      timeoutMs: ms, ...(a.tool !== undefined ? { tool: a.tool } : {}),
      ...(pairs.length > 0 ? { argsFor: (tool: Tool | undefined) => parseArgPairs(pairs, tool) } : {}),
    });
    if (a.json) {
      io.stdout(JSON.stringify(outcomeJson(o), null, 2) + '\n');
    } else {
      const texts = o.result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type} content]`));
      const structured = texts.length === 0 && o.result.structuredContent !== undefined ? JSON.stringify(o.result.structuredContent, null, 2) : '';
      const out = texts.join('\n') || structured;
      io.stdout(out.endsWith('\n') || out === '' ? out : out + '\n');
    }
    return 0;
  } catch (err) {
    // A bad --arg value, found once the tool's schema was known: the usage error it is.
    if (err instanceof HandOffError && err.cause instanceof CallUsageError) return reportError(io, 'call', err.cause, a.json === true, asked);
    return reportError(io, 'call', err, a.json === true, asked);
  } finally {
    await handoff?.close();
  }
}

// One line per paragraph: yargs wraps the epilogue to the terminal itself.
export const CALL_EPILOGUE = [
  'The name is looked up with RD=1 at --server, else $AOP_RESOLVER (ADDR[:PORT]), else the running `aop serve`, else the first nameserver of /etc/resolv.conf. Plain http endpoints are called only on loopback addresses unless --allow-http any; loopback endpoints only for agents of the zones the running `aop serve` serves (when it is the server asked) or of an --allow-loopback-zone, and never the DNS server or the daemon\'s gateway. A reply body or SSE event over --max-reply-bytes, or a reply of more than --max-reply-events events, is cut off (exit 15).',
  'Exit status: 0 ok, 1 usage, 2 no such name (NXDOMAIN), 3 no usable agent record, 4 no endpoint reachable, 5 tool missing at the endpoint, 6 the tool returned an error, 7 timeout, 8 endpoints refused by policy, 9 DNS lookup failed, 10 internal error, 11 malformed MCP reply, 12 interrupted, 13 the DNS server gave a referral, 14 a lame DNS answer, 15 a reply past the limits, 16 a gateway refused the call for too many hops, 17-21 a DNS-AID capability document (cap) unreachable, too large, not JSON, failing its cap-sha256, or without endpoints.mcp, 22 authorization required and not configured, 23 consent refused, 24 token request failed, 25 insufficient scope after step-up, 26 authorization server or metadata refused, 27 bad credentials file, 28 DNSSEC-bogus records, 29 records not DNSSEC-secure where --require-secure asks it (by default: under a trust anchor, or of an agent whose SVCB is secure), 30 the certificate of an https endpoint does not match its secure TLSA records (DANE), 31 the auth hint of the record promises authorization the endpoint does not demand, 32 the certificate of the https origin of the capability document does not match its secure TLSA records (DANE) (docs/errors.md, docs/auth.md, docs/dnssec-validation.md). Records in DNS-AID form (no aop keys, alpn or bap "mcp") are called at the path their cap document gives, else their /.well-known/agent-card.json, else /mcp; --ca FILE trusts a private CA for them.',
].join('\n\n');

export function callCommand(y: Argv): Argv {
  return y.command(
    'call <name>',
    "Find an agent by its DNS name and call its MCP tool",
    (c) => c
      .positional('name', { type: 'string', demandOption: true, describe: 'Agent name, e.g. writer.acme.agents' })
      .option('arg', { type: 'string', array: true, describe: 'A tool argument as key=value (typed by the tool\'s input schema); repeat for more' })
      .option('args-json', { type: 'string', describe: 'Tool arguments as one JSON object (--arg values override)' })
      .option('tool', { type: 'string', describe: 'Call this tool instead of the one the record names (a DNS-AID record names none: then the endpoint\'s only tool)' })
      .option('ca', { type: 'string', describe: 'PEM file of CA certificates to trust besides the system roots, for https endpoints and capability documents' })
      .option('server', { type: 'string', describe: 'DNS server to ask, ADDR[:PORT]' })
      .option('timeout', { type: 'number', default: 30, describe: 'Seconds for the whole call, lookup included' })
      .option('allow-http', { choices: ['loopback', 'any', 'none'] as const, default: 'loopback' as const, describe: 'Where plain http endpoints may be called' })
      .option('allow-loopback-zone', { type: 'string', array: true, describe: 'Allow loopback endpoints for the agents of this zone (its apex, e.g. acme.agents); repeat for more' })
      .option('require-secure', { type: 'boolean', defaultDescription: 'auto: where a trust anchor covers the name, or the agent\'s SVCB is secure', describe: 'Call the agent only if every record it rests on is DNSSEC-secure; exit 29 otherwise. --no-require-secure: only bogus records are refused (exit 28, always)' })
      .option('trust-anchor', { type: 'string', array: true, describe: 'File of DS or DNSKEY records (zone-file syntax): validate the answers here, from this anchor (the local daemon\'s announced anchor is used too); repeat for more' })
      .option('max-reply-bytes', { type: 'number', default: 4 * 1024 * 1024, describe: 'Largest reply body, and largest SSE event, taken from the agent (bytes)' })
      .option('max-reply-events', { type: 'number', default: 10000, describe: 'Most SSE events one reply may carry' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the whole result, the endpoint and every attempt as JSON' })
      .option('credentials', { type: 'string', describe: 'Credentials file for agents that demand OAuth (default ~/.config/aop/credentials; must be mode 600)' })
      .option('interactive', { type: 'boolean', describe: 'Let an agent that demands a login ask you (a URL to open; $BROWSER runs it); default: at a terminal' })
      .epilogue(CALL_EPILOGUE)
      .example('$0 call writer.acme.agents --arg task="Draft a haiku"', "call writer's draft_copy tool")
      .example('$0 call translator.acme.agents --arg text="hello world" --arg target_language=es', 'several arguments')
      .example('$0 call summarizer.acme.agents --args-json \'{"text":"One. Two. Three.","max_sentences":1}\' --json', 'JSON in, JSON out')
      .example('$0 call copywriter.acme.agents --server 127.0.0.1:5300 --arg task=Hi', 'an alias, asking a given server'),
    async (argv) => {
      process.exitCode = await runCall({
        name: argv.name as string, arg: argv.arg, argsJson: argv['args-json'], tool: argv.tool, server: argv.server,
        timeout: argv.timeout, json: argv.json, allowHttp: argv['allow-http'], allowLoopbackZone: argv['allow-loopback-zone'],
        maxReplyBytes: argv['max-reply-bytes'], maxReplyEvents: argv['max-reply-events'], ca: argv.ca, requireSecure: argv['require-secure'], trustAnchor: argv['trust-anchor'],
        credentials: argv.credentials, interactive: argv.interactive,
      });
    },
  );
}
