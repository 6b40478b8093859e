// `aop agent NAME`: the agent card as the DNS gives it, laid out for people (or as JSON): the
// endpoints in the order a call would try them, tool, description, capabilities, TTL, zone, server,
// and its three states (registered, reachable: each usable endpoint probed, verified).

import type { Argv } from 'yargs';
import { orderEndpoints, type AgentCard } from '../agent/index.js';
import { isLocal, isLoopback, sameHost } from '../mcp/address.js';
import { HandOffError } from '../mcp/errors.js';
import type { SecuritySummary } from '../mcp/security.js';
import { resolveAgent, type ResolvedAgent } from '../mcp/resolve.js';
import { chooseServer, localPolicy, processCliIo, reportError, trustedCa, timeoutMs, verifiedLookup, type AllowHttp, type CliIo } from './call.js';
import { OriginPools } from '../mcp/http.js';
import { locateEndpoint, MAX_DESCRIPTOR_BYTES, mustLocate } from '../mcp/locate.js';
import { trustedCas } from '../mcp/handoff.js';
import { probeEndpoint, type ProbeResult } from '../mcp/probe.js';
import { checkAuthHint, demandText, type Demand, type HintVerdict } from '../mcp/auth-hint.js';
import { agentStates, reachFromProbe, statesText, type AgentStates, type EndpointReach } from '../mcp/agent-state.js';

export interface AgentArgs {
  name: string;
  server?: string;
  json?: boolean;
  timeout?: number;
  allowHttp?: AllowHttp;
  /** Zones whose agents may have loopback endpoints, besides the announced local daemon's (as aop call). */
  allowLoopbackZone?: string[];
  /** As aop call --ca: a PEM file of CAs for the capability documents of DNS-AID records. */
  ca?: string;
  /** As aop call --require-secure (undefined: auto). */
  requireSecure?: boolean;
  /** Probe the endpoints a call could use (MCP initialize + ping) for the reachable state; default true. */
  probe?: boolean;
  /** As aop call --trust-anchor. */
  trustAnchor?: string[];
}

function policyNote(e: AgentCard['endpoints'][number], allowHttp: AllowHttp, loopbackOk: boolean): string | undefined {
  const addrs = e.addresses ?? [];
  if (addrs.length === 0) return 'skipped: no address';
  if (e.transport !== 'streamable-http') return `skipped: transport ${e.transport}`;
  if (!loopbackOk && addrs.some(isLocal)) return 'refused: loopback for a zone not served here';
  if (e.scheme === 'http' && allowHttp === 'none') return 'refused: plain http';
  if (e.scheme === 'http' && allowHttp === 'loopback' && !addrs.every(isLoopback)) return 'refused: plain http off loopback';
  return undefined;
}

/** The DNSSEC line of the card: the weakest state of the records and what it rests on. */
function securityText(s: SecuritySummary): string {
  const counts = new Map<string, number>();
  for (const r of s.records) counts.set(r.security, (counts.get(r.security) ?? 0) + 1);
  const detail = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  if (s.validatedBy === 'aop') {
    const chain = (s.chain ?? []).map((l) => {
      const keys = l.dnskeys.filter((k) => l.dnskeySignedBy.includes(k.tag)).map((k) => `${k.tag}/${k.algorithm}`).join(',') || 'none';
      return `${l.zone} (${l.anchor ? 'trust anchor' : `DS ${l.ds.map((d) => d.tag).join(',') || 'none'}`}, keys ${keys})`;
    }).join(' -> ');
    return `${s.state} (${detail || 'no records'}; validated here from the trust anchor of ${(s.anchors ?? []).join(', ')}${chain ? `: ${chain}` : ''})`;
  }
  return `${s.state} (${detail || 'no records'}; AD from ${s.resolver}${s.trusted ? '' : ', not trusted: not on this host'})`;
}

/** An endpoint's probe result, for its line: `answered in 3 ms`, `no answer: ECONNREFUSED: ...`. */
function reachNote(r: EndpointReach | undefined): string | undefined {
  if (r === undefined || r.reachable === null) return undefined;
  return r.reachable ? `answered in ${r.ms ?? 0} ms` : `no answer: ${r.error ?? 'failed'}`;
}

/** The auth hint against what one probed endpoint demanded (src/mcp/auth-hint.ts). */
export interface AuthCheck extends HintVerdict {
  url: string;
  demand: Demand;
}

/** The check of each probed endpoint that showed what it demands. */
export function authChecks(auth: string | undefined, probes: ReadonlyArray<{ url: string; result: ProbeResult }>): AuthCheck[] {
  return probes.flatMap(({ url, result }) => (result.demand === undefined ? [] : [{ url, demand: result.demand, ...checkAuthHint(auth, result.demand) }]));
}

/** The auth row: the hint, and what the endpoints demanded of a probe without credentials. */
function authText(auth: string | undefined, checks: readonly AuthCheck[]): string | undefined {
  const worst = checks.find((c) => c.level === 'refused') ?? checks.find((c) => c.level === 'warning') ?? checks[0];
  if (worst === undefined) return auth;
  const stated = auth ?? '(not stated)';
  if (worst.level === 'refused') return `${stated} (REFUSED: a call would not be made: ${worst.url}: ${worst.message})`;
  if (worst.level === 'warning') return `${stated} (warning: ${worst.url}: ${worst.message})`;
  // A hint the endpoints bear out is shown as the record says it (--json has every check); one not stated, with what was seen.
  if (auth !== undefined || worst.demand.kind === 'none') return auth;
  return `${stated} (${worst.url} demands ${demandText(worst.demand)})`;
}

export function agentText(r: ResolvedAgent, server: string, allowHttp: AllowHttp, random: () => number = Math.random, loopbackOk = true, security?: SecuritySummary, states?: AgentStates, checks: readonly AuthCheck[] = []): string {
  const c = r.card;
  const rows: Array<[string, string]> = [['agent', c.name]];
  if (r.aliases.length > 1) rows.push(['aliases', r.aliases.join(' -> ')]);
  rows.push(['tool', c.tool ?? "(the record names none: the endpoint's only tool, or --tool)"]);
  if (c.located !== undefined) rows.push(['path from', c.located === 'cap' ? `the capability document ${c.cap ?? ''}` : c.located === 'agent-card' ? 'the endpoint\'s /.well-known/agent-card.json' : 'nothing: /mcp, as DNS-AID clients guess']);
  if (c.description !== undefined) rows.push(['description', c.description]);
  rows.push(['capabilities', c.capabilities.length > 0 ? c.capabilities.join(', ') : '(none)']);
  const auth = authText(c.auth, checks);
  if (auth !== undefined) rows.push(['auth', auth]);
  if (c.cap !== undefined) rows.push(['descriptor', `${c.cap}${c.capVerified === true ? ' (its SHA-256 is the record\'s cap-sha256)' : c.capVerified === false ? ' (could not be fetched: not checked; see the warnings)' : c.capSha256 !== undefined && !/^https:\/\//i.test(c.cap) ? ' (not https: not fetched, not checked)' : ''}`]);
  rows.push(['ttl', `${c.ttl} s${r.ttl < c.ttl ? ` (cached ${r.ttl} s: the shortest TTL of its records)` : ''}`]);
  rows.push(['zone', c.zone ?? '(unknown)']);
  rows.push(['server', server]);
  if (states !== undefined) rows.push(['state', statesText(states)]);
  // Shown when there is something to say: secure records, or a policy that asked. (--json always has it.)
  if (security !== undefined && (security.state === 'secure' || security.requireSecure)) rows.push(['dnssec', securityText(security)]);
  let out = rows.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n') + '\n';
  const ordered = orderEndpoints(c.endpoints, random);
  const shared = new Set(c.endpoints.map((e) => e.priority).filter((p, i, all) => all.indexOf(p) !== i));
  out += `endpoints, in the order a call tries them${shared.size > 0 ? ' (shuffled within a priority)' : ''}:\n`;
  ordered.forEach((e, i) => {
    const note = policyNote(e, allowHttp, loopbackOk);
    const reach = reachNote(states?.endpoints.find((x) => x.url === e.url));
    out += `  ${i + 1}. ${e.url}\n     priority ${e.priority}, ${e.transport}, ${e.addresses && e.addresses.length > 0 ? e.addresses.join(' ') : 'no address'}${note ? ` (${note})` : ''}${reach ? `, ${reach}` : ''}\n`;
  });
  if (c.warnings.length > 0) out += `warnings:\n${c.warnings.map((w) => `  - ${w}\n`).join('')}`;
  return out;
}

export async function runAgent(a: AgentArgs, io: CliIo = processCliIo): Promise<number> {
  let asked: string | undefined;
  try {
    const ms = timeoutMs(a.timeout, 10);
    const server = chooseServer(a.server, io.env);
    asked = server.asked;
    const allowHttp = a.allowHttp ?? 'loopback';
    // As aop call would judge it: loopback only for the zones served here (localPolicy).
    const policy = localPolicy(server, allowHttp, a.allowLoopbackZone ?? [], io.env);
    const lookup = verifiedLookup(server, a, policy.anchorFile, io, 'agent');
    const signal = AbortSignal.timeout(ms);
    let r: ResolvedAgent;
    try {
      // The card names its zone (resolveAgent asks an SOA at the owner when the reply did not say).
      r = await resolveAgent(lookup, a.name, { signal });
    } catch (err) {
      if (signal.aborted) throw new HandOffError('ERR_LOOKUP_FAILED', `no DNS answer within ${ms} ms`, { cause: err });
      throw err;
    }
    const label = `${server.address}#${server.port}`;
    const zones = policy.loopbackZones;
    const zone = r.card.zone?.toLowerCase().replace(/\.+$/, '');
    const loopbackOk = zones === 'any' || (zone !== undefined && zones.some((z) => z.toLowerCase().replace(/\.+$/, '') === zone));
    const probe = a.probe !== false;
    const ca = mustLocate(r.card) || probe ? trustedCa(a.ca, policy.caFile, io, 'agent') : undefined;
    if (mustLocate(r.card)) {
      // As aop call finds it: the cap document, else the agent card, else /mcp; a cap-sha256 checked.
      const pools = new OriginPools({ limits: { maxReplyBytes: MAX_DESCRIPTOR_BYTES }, ...(ca !== undefined ? { ca: trustedCas(ca) } : {}) });
      try {
        r = { ...r, card: await locateEndpoint(r.card, { lookup, pools, loopbackOk, self: policy.selfAddresses, signal }) };
      } finally {
        await pools.close();
      }
    }
    // Reachable: each endpoint a call could use, probed at once (initialize + ping); those policy
    // would refuse are not contacted.
    const reach: EndpointReach[] = [];
    const probes: Array<{ url: string; result: ProbeResult }> = [];
    if (probe) {
      const pools = new OriginPools({ ...(ca !== undefined ? { ca: trustedCas(ca) } : {}) });
      try {
        const each = Math.min(5000, ms);
        reach.push(...await Promise.all(r.card.endpoints.map(async (e): Promise<EndpointReach> => {
          const refused = policyNote(e, allowHttp, loopbackOk) ?? (policy.selfAddresses.some((s) => s.port === e.port && (e.addresses ?? []).some((x) => sameHost(s.address, x))) ? 'refused: this host\'s own listener' : undefined);
          if (refused !== undefined) return { url: e.url, reachable: null, note: refused };
          const result = await probeEndpoint({ url: e.url, addresses: e.addresses ?? [], ...(e.tlsa !== undefined ? { tlsa: e.tlsa } : {}), ...(e.expanded !== undefined ? { expanded: e.expanded } : {}) }, { pools, timeoutMs: each, clientInfo: { name: 'aop-agent', version: '0.1.0' } });
          probes.push({ url: e.url, result });
          return reachFromProbe(e.url, result);
        })));
      } finally {
        await pools.close();
      }
    }
    const states = agentStates(r.card, reach, lookup.summary().state);
    const checks = authChecks(r.card.auth, probes);
    if (a.json) {
      const ordered = orderEndpoints(r.card.endpoints);
      // The card's dnssec is `security` below, with the resolver that judged it.
      const { dnssec: _judged, ...card } = r.card;
      io.stdout(JSON.stringify({
        ...card, endpoints: ordered.map((e) => {
          const note = policyNote(e, allowHttp, loopbackOk);
          return { ...e, ...(note ? { note } : {}) };
        }),
        aliases: r.aliases, cacheTtl: r.ttl, server: label, security: lookup.summary(), state: states, authCheck: checks,
      }, null, 2) + '\n');
    } else {
      io.stdout(agentText(r, label, allowHttp, Math.random, loopbackOk, lookup.summary(), states, checks));
    }
    return 0;
  } catch (err) {
    return reportError(io, 'agent', err, a.json === true, asked);
  }
}

export function agentCommand(y: Argv): Argv {
  return y.command(
    'agent <name>',
    'Show the agent card a name resolves to: endpoints in the order they would be tried, tool, TTL, zone',
    (c) => c
      .positional('name', { type: 'string', demandOption: true, describe: 'Agent name, e.g. writer.acme.agents' })
      .option('server', { type: 'string', describe: 'DNS server to ask, ADDR[:PORT] (default as aop call)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the card as JSON' })
      .option('timeout', { type: 'number', default: 10, describe: 'Seconds for the lookups' })
      .option('allow-http', { choices: ['loopback', 'any', 'none'] as const, default: 'loopback' as const, describe: 'Policy used to mark endpoints a call would refuse' })
      .option('allow-loopback-zone', { type: 'string', array: true, describe: 'As aop call: loopback endpoints of this zone\'s agents are not marked refused' })
      .option('ca', { type: 'string', describe: 'As aop call: a PEM file of CA certificates to trust for capability documents' })
      .option('require-secure', { type: 'boolean', defaultDescription: 'auto, as aop call', describe: 'As aop call: fail (exit 29) unless every record is DNSSEC-secure; --no-require-secure refuses only bogus ones' })
      .option('trust-anchor', { type: 'string', array: true, describe: 'As aop call: validate the answers here from this anchor file; repeat for more' })
      .option('probe', { type: 'boolean', default: true, describe: 'Probe the endpoints a call could use (MCP initialize + ping) for the reachable state; --no-probe contacts none' })
      .epilogue('Exit status as aop call: 0 ok, 1 usage, 2 no such name, 3 no usable agent record, 9 DNS lookup failed, 10 internal error, 13 the DNS server gave a referral, 14 a lame DNS answer, 17-21 a DNS-AID capability document that cannot be used (docs/errors.md).')
      .example('$0 agent writer.acme.agents', "writer's card: two endpoints, priority 1 then 2")
      .example('$0 agent copywriter.acme.agents --server 127.0.0.1:5300', 'an alias: the names followed are shown')
      .example('$0 agent researcher.acme.agents --json', 'the card as JSON'),
    async (argv) => {
      process.exitCode = await runAgent({ name: argv.name as string, server: argv.server, json: argv.json, timeout: argv.timeout, allowHttp: argv['allow-http'], allowLoopbackZone: argv['allow-loopback-zone'], ca: argv.ca, requireSecure: argv['require-secure'], probe: argv.probe, trustAnchor: argv['trust-anchor'] });
    },
  );
}
