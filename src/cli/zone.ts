// `aop zone ...`: zone-file tools. `check` loads and validates like named-checkzone; `add-agent`,
// `remove-agent` and `import-mcp` edit a zone file safely (serial, index, atomic write); `cap`
// (re)generates agents' capability documents and pins them in their records.

import { AopError } from '../base/errors.js';
import { DnssecError } from '../dnssec/errors.js';
import type { Argv } from 'yargs';
import path from 'node:path';
import { DEFAULT_MAX_ZONE_BYTES, loadZoneFile, originFromFileName, readZoneFileText, type ReadLimits, ZoneLoadError } from '../zone/load.js';
import { checkJournal, readZoneSourceFile, writeFileAtomic, ZoneEditError } from '../zone/edit.js';
import { nameKey, parseName } from '../wire/name.js';
import { WireError } from '../wire/errors.js';
import { RRType } from '../wire/types.js';
import { checkAgentZone, formatAgentFault, TRANSPORTS, type AgentZoneFault, type Transport } from '../agent/index.js';
import { parseZone } from '../zone/parser.js';
import type { Zone } from '../zone/zone.js';
import { AgentEditError, agentNames, agentsText, planAgentEdit, type AgentEditRequest, type AgentEditResult } from '../update/agent-edit.js';
import { agentCardIn, type CapAssignment, defaultCapUrl, planCapEdit } from '../update/agent-cap.js';
import { buildAgent } from '../update/agent-records.js';
import { AgentRecordError, CapabilityError } from '../agent/index.js';
import { daemonStatePath, readDaemonState } from './daemon-state.js';
import { capFileDigest, CapFileError, fillName, outFileFor, perAgent, writeCapFile } from './cap-file.js';
import { authOptions, cliAuthorizer } from './auth.js';
import { processCliIo } from './call.js';

/** A refusal or bad input: the message, and the exit status (dig's: 1 usage, 9 no reply, 10 internal). */
class CliFailure extends AopError {
  declare readonly code: 'ERR_ZONE_USAGE';
  constructor(readonly status: number, message: string) {
    super('ERR_ZONE_USAGE', message);
  }
}

function originOf(file: string, origin: string | undefined): string {
  try {
    if (origin !== undefined) return parseName(origin.endsWith('.') ? origin : origin + '.');
    return originFromFileName(path.basename(file));
  } catch (err) {
    if (err instanceof ZoneLoadError) throw new CliFailure(1, `${err.faults[0]!.message}; give the origin with --origin`);
    if (err instanceof WireError) throw new CliFailure(1, `bad origin ${JSON.stringify(origin)}: ${err.message}`);
    throw err;
  }
}

/** Run a zone command body: print its failure the way every aop command does and set the status. */
async function run(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (err) {
    let status = 10;
    let message: string;
    if (err instanceof CliFailure) { status = err.status; message = err.message; }
    else if (err instanceof ZoneLoadError) {
      process.stderr.write(err.message.endsWith('\n') ? err.message : err.message + '\n');
      process.exitCode = 1;
      process.stderr.write(`zone ${err.origin ?? '?'}: not loaded due to errors\n`);
      return;
    } else if (err instanceof AgentEditError || err instanceof CapFileError || err instanceof CapabilityError || err instanceof AgentRecordError || err instanceof DnssecError) { status = 1; message = err.message; }
    else if ((err as { code?: unknown }).code === 'ERR_CALL_USAGE') { status = 1; message = (err as Error).message; }
    else if (isImportError(err)) { status = err.code === 'ERR_IMPORT_MCP_UNREACHABLE' ? 9 : 1; message = err.message; }
    else if (isAuthError(err)) { status = err.exitCode; message = err.message; }
    else if (err instanceof ZoneEditError) {
      // A result that does not verify is aop's bug, not the user's.
      status = err.code === 'ERR_ZONE_EDIT_VERIFY' ? 10 : 1;
      message = err.message;
    } else message = `internal error: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`aop: ${message.split('\n').join('\naop: ')}\n`);
    process.exitCode = status;
  }
}

/** import-mcp's errors, without loading the MCP SDK (about a second at start) for every command. */
function isImportError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | undefined)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_IMPORT_MCP_');
}

/** The hand-off's authorization errors (import-mcp at a protected server): their own exit statuses, 22-27, as aop call's. */
function isAuthError(err: unknown): err is Error & { code: string; exitCode: number } {
  const e = err as { code?: unknown; exitCode?: unknown } | undefined;
  return err instanceof Error && typeof e?.code === 'string' && e.code.startsWith('ERR_AUTH_') && typeof e.exitCode === 'number';
}

/**
 * The agent faults with the file:line:col of their records, in file order. The Zone keeps no
 * positions, so the file is parsed again (only when there is a fault to place).
 */
function locateAgentFaults(faults: AgentZoneFault[], file: string, origin: string, limits?: ReadLimits): AgentZoneFault[] {
  if (faults.length === 0) return faults;
  let records: ReturnType<typeof parseZone>['records'];
  try {
    const { text, include } = readZoneFileText(file, origin, limits);
    records = parseZone(text, { origin, file, include }).records;
  } catch {
    return faults; // it loaded a moment ago; if it cannot be read now, the names must do
  }
  const byKey = new Map<string, typeof records>();
  for (const r of records) {
    const key = `${nameKey(r.name)}/${r.type}`;
    const list = byKey.get(key);
    if (list) list.push(r);
    else byKey.set(key, [r]);
  }
  const located = faults.map((f) => {
    const list = byKey.get(`${nameKey(f.owner)}/${f.type}`);
    const at = list && (f.rdata !== undefined ? list.find((r) => r.rdata.equals(f.rdata!)) : list[0]);
    return at ? { ...f, file: at.file, line: at.line, col: at.col } : f;
  });
  // File order (the zone file's records first, then included files), the unplaced last; stable otherwise.
  const rank = (f: AgentZoneFault): [number, number, number] => (f.file === undefined ? [2, 0, 0] : [f.file === file ? 0 : 1, f.line!, f.col!]);
  return located
    .map((f, i) => ({ f, i, r: rank(f) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.i - b.i)
    .map((x) => x.f);
}

/** Apply an agent edit to a file (or show it with --dry-run) and report. */
function edit(file: string, origin: string | undefined, req: AgentEditRequest, dryRun: boolean, journalDir: string | undefined, what: (r: AgentEditResult) => string, limits: ReadLimits): void {
  const o = originOf(file, origin);
  // As aop zone check and the daemon load it: the origin rules of docs/zones.md apply to edits too.
  const src = readZoneSourceFile(file, { origin: o, originFrom: origin !== undefined ? 'flag' : 'file-name', limits });
  checkJournal(src, journalDir);
  const result = planAgentEdit(src, req);
  for (const w of result.warnings) process.stderr.write(`aop: warning: ${w}\n`);
  if (dryRun) {
    process.stdout.write(result.diff);
    process.stdout.write(`; dry run: ${file} not changed (serial would be ${result.serial.new})\n`);
    return;
  }
  writeFileAtomic(file, result.text, { expect: src.text });
  process.stdout.write(`zone ${src.origin}: ${what(result)}, serial ${result.serial.old} -> ${result.serial.new}\n`);
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function capabilitiesArg(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((c) => c.trim()).filter((c) => c !== '');
}

/** `--cap URL --cap-file FILE` as spec fields: both or neither. */
function capArgs(cap: string | undefined, file: string | undefined): { cap?: string; capSha256?: string } {
  if (cap === undefined && file === undefined) return {};
  if (cap === undefined || file === undefined) throw new CliFailure(1, '--cap URL and --cap-file FILE go together: the URL where the document is served, the file holding it as served');
  return { cap, capSha256: capFileDigest(file) };
}

/** How much of a zone is read and where $INCLUDE may look: the same options and limits as aop serve. */
function readLimitOptions<T>(c: Argv<T>) {
  return c
    .option('max-zone-bytes', { type: 'number', default: DEFAULT_MAX_ZONE_BYTES, describe: 'Most octets read for the zone, its file and $INCLUDEs together (as aop serve)' })
    .option('include-dir', { type: 'string', array: true, default: [] as string[], describe: "Folder $INCLUDE may read from besides the zone file's own (as aop serve); repeat for more" });
}

function readLimits(a: { 'max-zone-bytes': number; 'include-dir': string[] }): ReadLimits {
  return { maxZoneBytes: a['max-zone-bytes'], includeDirs: a['include-dir'] };
}

export function zoneCommand(y: Argv): Argv {
  return y.command('zone', 'Zone-file tools: check, add-agent, remove-agent, import-mcp, cap, ds, tlsa', (z) => z
    .command(
      'check <file>',
      'Load and validate a zone file; print its serial and size, or every fault as file:line:col: message',
      (c) => readLimitOptions(c)
        .positional('file', { type: 'string', demandOption: true, describe: 'Zone file' })
        .option('origin', { type: 'string', describe: 'Zone origin (default: the file name without .zone)' })
        .example('$0 zone check zones/acme.agents.zone', 'check a bundled zone')
        .example('$0 zone check db.acme --origin acme.agents', 'name the origin explicitly'),
      (a) => run(() => {
        const file = a.file as string;
        const origin = originOf(file, a.origin);
        let zone: Zone;
        try {
          zone = loadZoneFile(file, { origin, originFrom: a.origin !== undefined ? 'flag' : 'file-name', limits: readLimits(a) });
        } catch (err) {
          if (err instanceof ZoneLoadError) err.origin = origin;
          throw err;
        }
        // The agent records (docs/records.md, "Checking a zone"): errors refuse the zone, warnings do not.
        const faults = locateAgentFaults(checkAgentZone(zone), file, zone.origin, readLimits(a));
        for (const f of faults) process.stderr.write(`${formatAgentFault(f, zone.origin)}\n`);
        if (faults.some((f) => f.severity === 'error')) {
          process.stderr.write(`zone ${zone.origin}: not loaded due to errors\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`zone ${zone.origin}: loaded serial ${zone.serial}, ${zone.size} records\n`);
      }),
    )
    .command(
      'add-agent <file> <name>',
      "Add an agent to a zone file: its SVCB records, _agent TXT and index entry; the serial bumped, the rest of the file untouched",
      (c) => readLimitOptions(c)
        .positional('file', { type: 'string', demandOption: true, describe: 'Zone file to edit' })
        .positional('name', { type: 'string', demandOption: true, describe: 'Agent name, relative to the zone (writer) or absolute (writer.acme.agents.)' })
        .option('endpoint', { type: 'string', array: true, demandOption: true, describe: 'MCP endpoint URL; repeat for failover endpoints, in order' })
        .option('tool', { type: 'string', demandOption: true, describe: 'The MCP tool the agent is (key65322)' })
        .option('description', { type: 'string', describe: 'One line, at most 100 octets (key65324)' })
        .option('capabilities', { type: 'string', describe: 'Comma list of keywords, e.g. writing,marketing (key65323)' })
        .option('auth', { type: 'string', describe: 'Auth hint: none, apikey, oauth2_code, mtls, ... (key65325)' })
        .option('priority', { type: 'number', array: true, describe: 'SvcPriority per --endpoint, in the same order (default 1, 2, 3, ...)' })
        .option('transport', { choices: TRANSPORTS, default: 'streamable-http' as Transport, describe: 'MCP transport of the endpoints' })
        .option('ttl', { type: 'number', default: 300, describe: 'TTL of the new records, seconds' })
        .option('origin', { type: 'string', describe: 'Zone origin (default: the file name without .zone)' })
        .option('replace', { type: 'boolean', default: false, describe: 'Replace the agent if it exists, instead of refusing' })
        .option('cap', { type: 'string', describe: 'URL of its capability document (key65400); with --cap-file' })
        .option('cap-file', { type: 'string', describe: 'The capability document as it will be served at --cap: its SHA-256 goes into key65401' })
        .option('journal-dir', { type: 'string', describe: "Where the daemon keeps this zone's journal (default: beside the file); pending dynamic updates there stop the edit" })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print the change as a diff; write nothing' })
        .example('$0 zone add-agent zones/acme.agents.zone poet --endpoint http://mcp.acme.agents:18110/agents/poet/mcp --tool write_poem --description "Writes short poems"', 'an agent on an existing host')
        .example('$0 zone add-agent acme.agents.zone poet --endpoint http://127.0.0.1:18110/mcp --endpoint http://127.0.0.1:18111/mcp --tool write_poem', 'by IP: A records at the agent name, two endpoints (failover)')
        .example('$0 zone add-agent acme.agents.zone poet --endpoint https://mcp.acme.example/poet --tool write_poem --dry-run', 'show the diff only'),
      (a) => run(() => {
        if (!(Number.isInteger(a.ttl) && a.ttl >= 0 && a.ttl <= 2147483647)) throw new CliFailure(1, '--ttl must be a whole number of seconds, 0 to 2147483647');
        const spec = {
          name: a.name as string, endpoints: list(a.endpoint), tool: a.tool, ttl: a.ttl, transport: a.transport as Transport,
          ...(a.priority !== undefined ? { priorities: list(a.priority).map(Number) } : {}),
          ...(a.description !== undefined ? { description: a.description } : {}),
          ...(a.auth !== undefined ? { auth: a.auth } : {}),
          ...(a.capabilities !== undefined ? { capabilities: capabilitiesArg(a.capabilities)! } : {}),
          ...capArgs(a.cap, a['cap-file']),
        };
        edit(a.file as string, a.origin, { add: [spec], replace: a.replace }, a['dry-run'], a['journal-dir'], (r) => `${a.replace && r.removed.length > 0 ? 'replaced' : 'added'} agent ${r.added[0]!.name}`, readLimits(a));
      }),
    )
    .command(
      'remove-agent <file> <name>',
      "Remove an agent from a zone file: its SVCB records, _agent TXT, index entry and own addresses; shared hosts are kept",
      (c) => readLimitOptions(c)
        .positional('file', { type: 'string', demandOption: true, describe: 'Zone file to edit' })
        .positional('name', { type: 'string', demandOption: true, describe: 'Agent name, relative to the zone or absolute' })
        .option('journal-dir', { type: 'string', describe: "Where the daemon keeps this zone's journal (default: beside the file); pending dynamic updates there stop the edit" })
        .option('with-aliases', { type: 'boolean', default: false, describe: 'Also remove the aliases (SVCB 0, CNAME) in the zone that point at the agent' })
        .option('origin', { type: 'string', describe: 'Zone origin (default: the file name without .zone)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print the change as a diff; write nothing' })
        .example('$0 zone remove-agent zones/acme.agents.zone translator', 'remove one agent')
        .example('$0 zone remove-agent zones/acme.agents.zone editor --with-aliases', 'and the aliases that lead to it (proofreader)')
        .example('$0 zone remove-agent zones/acme.agents.zone writer --dry-run', 'show the diff only'),
      (a) => run(() => {
        edit(a.file as string, a.origin, { remove: [a.name as string], withAliases: a['with-aliases'] }, a['dry-run'], a['journal-dir'], (r) => `removed agent ${r.removed[0]!.name} (${r.removed.filter((x) => !(x.type === RRType.TXT && x.name.toLowerCase().startsWith('_index._agents.'))).length} records)`, readLimits(a));
      }),
    )
    .command(
      'import-mcp <url>',
      "Read a running MCP server's tools and write an agent per tool (into --file, or print the records)",
      (c) => authOptions(readLimitOptions(c))
        .positional('url', { type: 'string', demandOption: true, describe: 'The MCP server (Streamable HTTP) URL' })
        .option('zone', { type: 'string', demandOption: true, describe: 'Origin of the zone the agents go in, e.g. acme.agents' })
        .option('file', { type: 'string', describe: 'Zone file to add the agents to (default: print the records)' })
        .option('name-prefix', { type: 'string', default: '', describe: 'Put this before each agent name (e.g. "billing-")' })
        .option('ttl', { type: 'number', default: 300, describe: 'TTL of the new records, seconds' })
        .option('timeout', { type: 'number', default: 10000, describe: 'Milliseconds to wait for each reply of the server' })
        .option('replace', { type: 'boolean', default: false, describe: 'Replace agents that exist, instead of refusing' })
        .option('all-tools', { type: 'boolean', default: false, describe: "Also import the server's management tools (Swarms AOP discovery and queue tools, aop gateway tools), which are skipped by default" })
        .option('cap', { type: 'string', describe: 'URL of each agent\'s capability document (key65400); {name} is the agent name. With --cap-out or --cap-file' })
        .option('cap-out', { type: 'string', describe: 'Generate each agent\'s document from the tools/list and write it here: a file ({name} for several), or a folder' })
        .option('cap-file', { type: 'string', describe: 'One agent: the document as it will be served at --cap (its SHA-256 goes into key65401)' })
        .option('journal-dir', { type: 'string', describe: "Where the daemon keeps this zone's journal (default: beside the file); pending dynamic updates there stop the edit" })
        .option('dry-run', { type: 'boolean', default: false, describe: 'With --file: print the change as a diff; write nothing' })
        .example('$0 zone import-mcp http://127.0.0.1:8000/mcp --zone acme.agents', 'print an agent per tool')
        .example('$0 zone import-mcp http://mcp.acme.agents:18110/mcp --zone acme.agents --file zones/acme.agents.zone', 'add them to the zone file')
        .example('$0 zone import-mcp http://127.0.0.1:8000/mcp --zone acme.agents --file acme.agents.zone --name-prefix swarm- --dry-run', 'show the diff only'),
      (a) => run(async () => {
        if (!(Number.isInteger(a.ttl) && a.ttl >= 0 && a.ttl <= 2147483647)) throw new CliFailure(1, '--ttl must be a whole number of seconds, 0 to 2147483647');
        if (!(Number.isInteger(a.timeout) && a.timeout >= 10 && a.timeout <= 600000)) throw new CliFailure(1, '--timeout must be 10 to 600000 milliseconds');
        const origin = originOf(a.file ?? 'x.zone', a.zone);
        const url = a.url as string;
        const [{ listMcpTools }, { agentsFromTools, describeSkipped }] = await Promise.all([import('../mcp/tools-list.js'), import('../update/import-tools.js')]);
        if (a.cap === undefined && (a['cap-out'] !== undefined || a['cap-file'] !== undefined)) throw new CliFailure(1, '--cap-out and --cap-file need --cap URL (where the document is served)');
        if (a.cap !== undefined && (a['cap-out'] === undefined) === (a['cap-file'] === undefined)) throw new CliFailure(1, '--cap needs exactly one of --cap-out (generate the documents) or --cap-file (the document as served)');
        // A server that demands OAuth: the credentials and flows of aop call (docs/auth.md), matched by the zone's name.
        const authorizer = await cliAuthorizer({ ...(a.credentials !== undefined ? { credentials: a.credentials } : {}), ...(a.interactive !== undefined ? { interactive: a.interactive } : {}) }, { io: processCliIo, allowHttp: 'loopback' });
        const list = await listMcpTools(url, { timeoutMs: a.timeout, auth: { authorizer, name: origin.replace(/\.$/, ''), loginHint: '`aop zone import-mcp ... --interactive`' } });
        const { specs, warnings, skipped } = agentsFromTools(list.tools, { url, prefix: a['name-prefix'], ttl: a.ttl, allTools: a['all-tools'] });
        if (a.cap !== undefined) {
          const many = specs.length > 1;
          if (many && !perAgent(a.cap)) throw new CliFailure(1, `--cap ${a.cap}: ${specs.length} agents need one URL each; put {name} in it`);
          if (many && a['cap-file'] !== undefined) throw new CliFailure(1, `--cap-file is one document, for one agent; ${url} gives ${specs.length}: use --cap-out`);
          const { capabilityOf } = await import('../mcp/cap-generate.js');
          for (const spec of specs) {
            // The card as the records will carry it (the document leaves cap and cap-sha256 out).
            const { name, card } = buildAgent({ origin, records: [], unseen: true }, spec);
            spec.cap = fillName(a.cap, name);
            if (a['cap-file'] !== undefined) {
              spec.capSha256 = capFileDigest(a['cap-file']);
              continue;
            }
            const doc = capabilityOf(card, list);
            for (const w of doc.warnings) process.stderr.write(`aop: warning: ${w}\n`);
            spec.capSha256 = doc.digest;
            const out = outFileFor(a['cap-out']!, name, many);
            if (!a['dry-run']) writeCapFile(out, doc.bytes);
            process.stderr.write(`aop: ${name}: capability document ${a['dry-run'] ? '(dry run, not written) ' : ''}${out}, cap-sha256 ${doc.digest}\n`);
          }
        }
        if (skipped.length > 0) {
          process.stderr.write(`aop: skipped ${skipped.length} management tool${skipped.length === 1 ? '' : 's'} of ${url}, which list or manage agents rather than being one (${describeSkipped(skipped)}); --all-tools imports them too\n`);
        }
        for (const w of warnings) process.stderr.write(`aop: warning: ${w}\n`);
        if (a.file === undefined) {
          const more: string[] = [];
          process.stdout.write(agentsText(origin, specs, more));
          for (const w of more) process.stderr.write(`aop: warning: ${w}\n`);
          return;
        }
        edit(a.file, origin, { add: specs, replace: a.replace }, a['dry-run'], a['journal-dir'], () => `added ${specs.length} agent${specs.length === 1 ? '' : 's'} from ${url} (${specs.map((s) => s.name).join(', ')})`, readLimits(a));
      }),
    )
    .command(
      'cap <file> [name]',
      "(Re)generate agents' capability documents from their records and their endpoints' tools/list, write them out, and set cap and cap-sha256 in their SVCB records",
      (c) => authOptions(readLimitOptions(c))
        .positional('file', { type: 'string', demandOption: true, describe: 'Zone file to edit' })
        .positional('name', { type: 'string', describe: 'Agent name, relative to the zone or absolute (or --all)' })
        .option('all', { type: 'boolean', default: false, describe: 'Every agent of the zone' })
        .option('url', { type: 'string', describe: 'Where each document is served (key65400); {name} is the agent name. Default: the preferred endpoint\'s origin + /.well-known/aop/cap/{name}.json, where aop\'s demo agents serve it' })
        .option('out', { type: 'string', describe: 'Write each generated document here: a file ({name} for several agents), or a folder (<name>.json in it). Needed with --url; at the default URL the demo agents serve what they generate' })
        .option('cap-file', { type: 'string', describe: 'One agent: take the document from this file as it will be served, instead of generating it' })
        .option('timeout', { type: 'number', default: 10000, describe: "Milliseconds to wait for each reply of an agent's endpoint" })
        .option('ca', { type: 'string', describe: 'PEM file of a CA to trust for https endpoints, besides the system roots (and the local aop serve\'s CA, for a zone it serves)' })
        .option('origin', { type: 'string', describe: 'Zone origin (default: the file name without .zone)' })
        .option('journal-dir', { type: 'string', describe: "Where the daemon keeps this zone's journal (default: beside the file); pending dynamic updates there stop the edit" })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print the change as a diff; write nothing' })
        .example('$0 zone cap zones/acme.agents.zone writer --out caps/', "writer's document into caps/writer.acme.agents.json, its records updated")
        .example('$0 zone cap zones/acme.agents.zone --all --out caps/', 'every agent at once')
        .example('$0 zone cap acme.agents.zone poet --url https://docs.acme.example/cap/poet.json --cap-file poet.json', 'a document you serve yourself'),
      (a) => run(async () => {
        if ((a.name === undefined) === !a.all) throw new CliFailure(1, 'name one agent, or give --all for every agent of the zone');
        if (!(Number.isInteger(a.timeout) && a.timeout >= 10 && a.timeout <= 600000)) throw new CliFailure(1, '--timeout must be 10 to 600000 milliseconds');
        if (a['cap-file'] !== undefined && a.all) throw new CliFailure(1, '--cap-file is one document, for one agent; --all generates each');
        if (a['cap-file'] !== undefined && a.url === undefined) throw new CliFailure(1, '--cap-file needs --url: where that document is served');
        // With the default URL, aop's own hosts (the demo agents) serve the documents they make; a URL of yours needs the files.
        if (a['cap-file'] === undefined && a.out === undefined && a.url !== undefined && !a['dry-run']) throw new CliFailure(1, '--url needs --out FILE or folder for the generated documents (to serve at that URL), or --cap-file');
        const file = a.file as string;
        const o = originOf(file, a.origin);
        const src = readZoneSourceFile(file, { origin: o, originFrom: a.origin !== undefined ? 'flag' : 'file-name', limits: readLimits(a) });
        checkJournal(src, a['journal-dir']);
        const names = a.all ? agentNames(src) : [a.name as string];
        if (names.length === 0) throw new CliFailure(1, `zone ${src.origin} has no agents`);
        const many = names.length > 1;
        if (many && a.url !== undefined && !perAgent(a.url)) throw new CliFailure(1, `--url ${a.url}: ${names.length} agents need one URL each; put {name} in it`);
        const assignments: CapAssignment[] = [];
        const docs: Array<{ file: string; bytes: Buffer }> = [];
        const { generateCapability } = a['cap-file'] === undefined ? await import('../mcp/cap-generate.js') : { generateCapability: undefined };
        // As aop call: the local daemon's CA (its https demo agents) when it serves this zone.
        const state = readDaemonState(daemonStatePath());
        const announced = state?.ca !== undefined && (state.served ?? []).some((z) => nameKey(z.replace(/\.?$/, '.')) === nameKey(src.origin)) ? state.ca : undefined;
        const caText = await import('./call.js').then((m) => m.trustedCa(a.ca, announced, m.processCliIo, 'zone cap'));
        const ca = caText === undefined ? undefined : (await import('../mcp/handoff.js')).trustedCas(caText);
        const authorizer = generateCapability === undefined ? undefined : await cliAuthorizer({ ...(a.credentials !== undefined ? { credentials: a.credentials } : {}), ...(a.interactive !== undefined ? { interactive: a.interactive } : {}) }, { io: processCliIo, allowHttp: 'loopback', ...(caText !== undefined ? { ca: caText } : {}) });
        for (const n of names) {
          let card: ReturnType<typeof agentCardIn>;
          try {
            card = agentCardIn(src.zone, n);
          } catch (err) {
            // --all: a name whose records aop does not read (DNS-AID form, broken) is left as it is.
            if (!a.all || !(err instanceof AgentRecordError)) throw err;
            process.stderr.write(`aop: warning: ${n}: skipped: ${err.message}\n`);
            continue;
          }
          const url = a.url !== undefined ? fillName(a.url, card.name) : defaultCapUrl(card);
          let digest: string;
          if (generateCapability === undefined) {
            digest = capFileDigest(a['cap-file']!);
          } else {
            let doc: Awaited<ReturnType<typeof generateCapability>>;
            try {
              doc = await generateCapability(card, { timeoutMs: a.timeout, ...(ca !== undefined ? { ca } : {}), ...(authorizer !== undefined ? { auth: authorizer } : {}) });
            } catch (err) {
              // Which agent of an --all run failed: its name before the reason.
              if (isImportError(err)) throw new CliFailure(err.code === 'ERR_IMPORT_MCP_UNREACHABLE' ? 9 : 1, `${card.name}: ${err.message}; nothing written`);
              throw err;
            }
            for (const w of doc.warnings) process.stderr.write(`aop: warning: ${w}\n`);
            digest = doc.digest;
            if (a.out !== undefined) docs.push({ file: outFileFor(a.out, card.name, many), bytes: doc.bytes });
          }
          assignments.push({ name: card.name, cap: url, capSha256: digest });
          process.stdout.write(`${card.name} cap ${url} cap-sha256 ${digest}\n`);
        }
        if (assignments.length === 0) throw new CliFailure(1, `zone ${src.origin} has no agent aop can read`);
        const result = planCapEdit(src, assignments);
        if (a['dry-run']) {
          process.stdout.write(result.diff);
          process.stdout.write(`; dry run: ${file} not changed${result.ops.length > 0 ? ` (serial would be ${result.serial.new})` : ''}, no document written\n`);
          return;
        }
        // The documents first: a record must never name a digest whose document is not there.
        for (const d of docs) writeCapFile(d.file, d.bytes);
        for (const d of docs) process.stdout.write(`wrote ${d.file} (${d.bytes.length} bytes)\n`);
        if (result.ops.length === 0) {
          process.stdout.write(`zone ${src.origin}: cap and cap-sha256 already as generated; ${file} not changed\n`);
          return;
        }
        writeFileAtomic(file, result.text, { expect: src.text });
        process.stdout.write(`zone ${src.origin}: cap for ${assignments.length} agent${assignments.length === 1 ? '' : 's'} (${result.removed.length} SVCB records), serial ${result.serial.old} -> ${result.serial.new}\n`);
      }),
    )
    .command(
      'ds <zone>',
      'Print the DS records for the parent of a zone signed by aop serve --dnssec (one per key-signing key)',
      (c) => c
        .positional('zone', { type: 'string', demandOption: true, describe: 'Zone origin, e.g. acme.agents' })
        .option('key-dir', { type: 'string', demandOption: true, describe: 'The key folder given to aop serve --key-dir' })
        .option('digest', { type: 'number', array: true, default: [2], describe: 'DS digest type: 2 (SHA-256) or 4 (SHA-384); repeat for both' })
        .example('$0 zone ds acme.agents --key-dir keys', 'the DS line to put in the agents. zone'),
      (a) => run(async () => {
        for (const d of a.digest) if (d !== 2 && d !== 4) throw new CliFailure(1, `--digest ${d}: use 2 (SHA-256) or 4 (SHA-384)`);
        let zone: string;
        try {
          zone = parseName(a.zone as string, '.');
        } catch (err) {
          throw new CliFailure(1, `bad zone name '${a.zone as string}': ${(err as Error).message}`);
        }
        const { parentDsLines } = await import('../dnssec/parent-ds.js');
        for (const line of parentDsLines(zone, a['key-dir'], a.digest)) process.stdout.write(`${line}\n`);
      }),
    )
    .command(
      'cds-delete <zone>',
      'Make aop serve --dnssec publish the CDS/CDNSKEY delete signal for a zone (RFC 8078 4): its parent is asked to remove the DS',
      (c) => c
        .positional('zone', { type: 'string', demandOption: true, describe: 'Zone origin, e.g. acme.agents' })
        .option('key-dir', { type: 'string', demandOption: true, describe: 'The key folder given to aop serve --key-dir' })
        .option('cancel', { type: 'boolean', default: false, describe: 'Withdraw the request: the keys\' CDS/CDNSKEY are published again' })
        .example('$0 zone cds-delete acme.agents --key-dir keys', 'ask the parent to make acme.agents insecure')
        .example('$0 zone cds-delete acme.agents --key-dir keys --cancel', 'withdraw that'),
      (a) => run(async () => {
        let zone: string;
        try {
          zone = parseName(a.zone as string, '.');
        } catch (err) {
          throw new CliFailure(1, `bad zone name '${a.zone as string}': ${(err as Error).message}`);
        }
        const { setCdsDelete, cdsDeleteFile } = await import('../dnssec/cds-delete.js');
        const file = cdsDeleteFile(a['key-dir'], zone);
        let changed: boolean;
        try {
          changed = setCdsDelete(a['key-dir'], zone, !a.cancel);
        } catch (err) {
          throw new CliFailure(1, `${file}: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`.trim());
        }
        const what = a.cancel ? 'the keys\' CDS/CDNSKEY' : 'the CDS/CDNSKEY delete signal (CDS 0 0 0 00, CDNSKEY 0 3 0 AA==)';
        process.stdout.write(`zone ${zone}: ${changed ? '' : 'already: '}${what} from the next signing pass or reload of aop serve --dnssec --key-dir ${a['key-dir']} (${a.cancel ? 'removed' : 'wrote'} ${file})\n`);
      }),
    )
    .command(
      'tlsa <host>',
      'Print the TLSA record (DANE-EE, 3 1 1: the SHA-256 of the key) for an https endpoint\'s certificate',
      (c) => c
        .positional('host', { type: 'string', demandOption: true, describe: 'The endpoint host, e.g. mcp.acme.agents' })
        .option('cert', { type: 'string', demandOption: true, describe: 'PEM file of the endpoint\'s certificate (the first one in it is used)' })
        .option('port', { type: 'number', default: 443, describe: 'The endpoint port' })
        .example('$0 zone tlsa mcp.acme.agents --cert leaf.pem --port 18401', 'the TLSA line for acme.agents'),
      (a) => run(async () => {
        const port = a.port;
        if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new CliFailure(1, `--port ${String(port)}: want 1-65535`);
        let host: string;
        try {
          host = parseName(a.host as string, '.');
        } catch (err) {
          throw new CliFailure(1, `bad host name '${a.host as string}': ${(err as Error).message}`);
        }
        const { readFileSync } = await import('node:fs');
        const { X509Certificate, createHash } = await import('node:crypto');
        let cert;
        try {
          cert = new X509Certificate(readFileSync(a.cert));
        } catch (err) {
          throw new CliFailure(1, `--cert ${a.cert}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not a PEM certificate (${(err as Error).message})`}`);
        }
        const digest = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').toUpperCase();
        process.stdout.write(`_${port}._tcp.${host} IN TLSA 3 1 1 ${digest}\n`);
      }),
    )
    .example('$0 zone check zones/acme.agents.zone', 'validate a zone file')
    .example('$0 zone add-agent zones/acme.agents.zone poet --endpoint http://127.0.0.1:18110/mcp --tool write_poem', 'add an agent')
    .demandCommand(1, 'Name a zone command; see aop zone --help'));
}
