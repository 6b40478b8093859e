// `aop register` / `aop deregister`: an agent's records (docs/records.md) added to or removed from
// its zone by a TSIG-signed DNS UPDATE (RFC 2136, RFC 8945), as `nsupdate -k` would send it.

import type { Argv } from 'yargs';
import { randomInt } from 'node:crypto';
import { AgentRecordError, endpointFromUrl, recordsFromCard, type AgentCard, type AgentRecords } from '../agent/index.js';
import { exchange, TransportError } from '../transport/index.js';
import { WireError } from '../wire/errors.js';
import { encodeMessage, newMessage } from '../wire/message.js';
import { nameToWire, parentName, parseName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { signMessage, TsigStreamVerifier, type TsigKey } from '../wire/tsig.js';
import { loadKeyFile, parseKeySpec } from '../wire/tsig-key.js';
import { Opcode, RRClass, RRType, Rcode, rcodeToString } from '../wire/types.js';
import { parseListen } from '../server/listen.js';

/** Exit statuses: dig's 1 (usage) and 9 (no reply), 2 for a refusal by the server, 10 internal. */
export const EXIT_REFUSED = 2;

export class RegisterError extends Error {
  readonly code: 'ERR_REGISTER_INPUT' | 'ERR_REGISTER_REFUSED' | 'ERR_REGISTER_UNSIGNED_REPLY';
  constructor(code: RegisterError['code'], message: string, readonly status: number) {
    super(message);
    this.name = 'RegisterError';
    this.code = code;
  }
}

export interface RegisterRequest {
  name: string;
  /** The zone to update; default the agent name's parent. */
  zone?: string;
  endpoints?: string[];
  tool?: string;
  description?: string;
  capabilities?: string[];
  ttl?: number;
}

function absolute(text: string, what: string): string {
  try {
    return parseName(text.endsWith('.') ? text : `${text}.`);
  } catch (err) {
    throw new RegisterError('ERR_REGISTER_INPUT', `${what} ${JSON.stringify(text)}: ${(err as Error).message}`, 1);
  }
}

function zoneOf(req: RegisterRequest): { name: string; zone: string } {
  const name = absolute(req.name, 'agent name');
  const zone = req.zone !== undefined ? absolute(req.zone, 'zone') : parentName(name);
  if (zone === undefined || zone === '.') throw new RegisterError('ERR_REGISTER_INPUT', `${name} has no parent zone; give --zone`, 1);
  return { name, zone };
}

/** The agent's records, as `aop zone add-agent` would write them. */
export function agentRecords(req: RegisterRequest): { name: string; zone: string; records: AgentRecords } {
  const { name, zone } = zoneOf(req);
  if (!req.endpoints || req.endpoints.length === 0) throw new RegisterError('ERR_REGISTER_INPUT', 'give at least one --endpoint URL', 1);
  if (req.tool === undefined) throw new RegisterError('ERR_REGISTER_INPUT', 'give --tool', 1);
  try {
    const card: AgentCard = {
      name, zone, tool: req.tool, capabilities: req.capabilities ?? [], ttl: req.ttl ?? 300, warnings: [],
      endpoints: req.endpoints.map((u, i) => endpointFromUrl(u, { priority: i + 1 })),
      ...(req.description !== undefined ? { description: req.description } : {}),
    };
    return { name, zone, records: recordsFromCard(card, { origin: zone }) };
  } catch (err) {
    if (err instanceof WireError || err instanceof AgentRecordError) {
      throw new RegisterError('ERR_REGISTER_INPUT', (err as Error).message, 1);
    }
    throw err;
  }
}

const deletion = (name: string, type: number): RR => ({ name, type, class: RRClass.ANY, ttl: 0, rdata: Buffer.alloc(0) });

/** The UPDATE that registers an agent: its SVCB and TXT replaced, the index PTR added. */
export function registerUpdate(req: RegisterRequest, id = randomInt(0, 0x10000)): { message: Buffer; zone: string; name: string; records: AgentRecords } {
  const { name, zone, records } = agentRecords(req);
  const updates: RR[] = [
    deletion(name, RRType.SVCB), deletion(`_agent.${name}`, RRType.TXT),
    ...records.svcb, ...records.addresses, records.txt, records.index,
  ];
  const message = encodeMessage(newMessage({ id, opcode: Opcode.UPDATE, questions: [{ name: zone, type: RRType.SOA, class: RRClass.IN }], authority: updates }));
  return { message, zone, name, records };
}

/** The UPDATE that deregisters an agent: its SVCB and TXT deleted, and its index PTR (only that one). */
export function deregisterUpdate(req: RegisterRequest, id = randomInt(0, 0x10000)): { message: Buffer; zone: string; name: string } {
  const { name, zone } = zoneOf(req);
  const updates: RR[] = [
    deletion(name, RRType.SVCB), deletion(`_agent.${name}`, RRType.TXT),
    { name: `_index._agents.${zone}`, type: RRType.PTR, class: RRClass.NONE, ttl: 0, rdata: nameToWire(name) },
  ];
  const message = encodeMessage(newMessage({ id, opcode: Opcode.UPDATE, questions: [{ name: zone, type: RRType.SOA, class: RRClass.IN }], authority: updates }));
  return { message, zone, name };
}

export interface SendOptions {
  key: TsigKey;
  server: string;
  tcp?: boolean;
  timeout?: number;
}

/** Sign, send, check the reply's signature; returns the reply's RCODE. Throws RegisterError or TransportError. */
export async function sendUpdate(message: Buffer, opts: SendOptions): Promise<number> {
  let server: { host: string; port: number };
  try {
    server = parseListen(opts.server, 53);
  } catch (err) {
    throw new RegisterError('ERR_REGISTER_INPUT', `--server ${JSON.stringify(opts.server)}: ${(err as Error).message}`, 1);
  }
  const signed = signMessage(message, opts.key);
  const r = await exchange({ address: server.host, port: server.port }, signed.message, { tcp: opts.tcp, timeout: opts.timeout ?? 3000 });
  const v = new TsigStreamVerifier(opts.key, signed.mac).verify(r.reply);
  if (!v.ok) {
    const tsigError = ({ 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' } as Record<number, string>)[v.error] ?? String(v.error);
    // A server that rejected our key answers NOTAUTH with an unsigned TSIG error: that is the answer.
    if (r.message.rcode === Rcode.NOTAUTH) {
      throw new RegisterError('ERR_REGISTER_REFUSED', `${server.host}#${server.port} answered NOTAUTH (TSIG ${tsigError}): the server does not accept key ${opts.key.name} (${v.reason})`, EXIT_REFUSED);
    }
    throw new RegisterError('ERR_REGISTER_UNSIGNED_REPLY', `the reply from ${server.host}#${server.port} (${rcodeToString(r.message.rcode)}) failed TSIG verification: ${v.reason}`, EXIT_REFUSED);
  }
  return r.message.rcode;
}

/** The key from --key FILE (its first key, or the one named --key-name) or --key-inline ALG:NAME:SECRET. */
export function keyFrom(file: string | undefined, inline: string | undefined, name?: string): TsigKey {
  if ((file === undefined) === (inline === undefined)) throw new RegisterError('ERR_REGISTER_INPUT', 'give exactly one of --key FILE or --key-inline ALG:NAME:SECRET', 1);
  try {
    if (inline !== undefined) return parseKeySpec(inline);
    const keys = loadKeyFile(file!);
    const key = name === undefined ? keys[0] : keys.find((k) => k.name.replace(/\.$/, '').toLowerCase() === name.replace(/\.$/, '').toLowerCase());
    if (!key) throw new RegisterError('ERR_REGISTER_INPUT', `${file} holds no key named ${name}`, 1);
    return key;
  } catch (err) {
    if (err instanceof WireError) throw new RegisterError('ERR_REGISTER_INPUT', err.message, 1);
    throw err;
  }
}

async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof RegisterError) {
      process.stderr.write(`aop: ${err.message}\n`);
      process.exitCode = err.status;
    } else if (err instanceof TransportError) {
      process.stderr.write(`aop: no reply: ${err.message}\n`);
      process.exitCode = 9;
    } else {
      process.stderr.write(`aop: ${(err as Error).message}\n`);
      process.exitCode = 10;
    }
  }
}

function report(action: string, name: string, zone: string, server: string, rcode: number, extra: string): void {
  if (rcode === Rcode.NOERROR) {
    process.stdout.write(`${action} ${name} in ${zone} at ${server}: NOERROR${extra}\n`);
    return;
  }
  throw new RegisterError('ERR_REGISTER_REFUSED', `${action === 'registered' ? 'register' : 'deregister'} ${name}: ${server} answered ${rcodeToString(rcode)}${rcode === Rcode.REFUSED ? ' (the key may not change these names: see the server log and its --update-policy)' : ''}`, EXIT_REFUSED);
}

export function registerCommands(y: Argv): Argv {
  const common = (c: Argv) => c
    .positional('name', { type: 'string', demandOption: true, describe: 'Agent name, e.g. writer.acme.agents' })
    .option('server', { type: 'string', demandOption: true, describe: 'Primary server of the zone, ADDR[:PORT] (port 53 by default)' })
    .option('key', { type: 'string', describe: 'BIND key file (as nsupdate -k reads)' })
    .option('key-name', { type: 'string', describe: 'Which key of the --key file (default its first)' })
    .option('key-inline', { type: 'string', describe: 'Key as ALG:NAME:BASE64SECRET (as nsupdate -y takes it)' })
    .option('zone', { type: 'string', describe: "Zone to update (default: the name's parent)" })
    .option('tcp', { type: 'boolean', default: false, describe: 'Send over TCP' })
    .option('timeout', { type: 'number', default: 3000, describe: 'Milliseconds to wait for the reply' });
  return y
    .command(
      'register <name>',
      'Register an agent: a signed DNS UPDATE with its SVCB, _agent TXT and index PTR records',
      (c) => common(c)
        .option('endpoint', { type: 'string', array: true, demandOption: true, describe: 'MCP endpoint URL; repeat for fallbacks, best first' })
        .option('tool', { type: 'string', demandOption: true, describe: 'The tool the agent offers' })
        .option('description', { type: 'string', describe: 'One line about the agent' })
        .option('capabilities', { type: 'string', array: true, default: [] as string[], describe: 'Capability tags' })
        .option('ttl', { type: 'number', default: 300, describe: 'TTL of the records in seconds' })
        .example('$0 register writer.acme.agents --endpoint https://mcp.acme.agents/agents/writer/mcp --tool draft_copy --key writer.key --server 192.0.2.1', 'register an agent'),
      async (a) => run(async () => {
        const key = keyFrom(a.key, a['key-inline'], a['key-name']);
        const caps = (a.capabilities as string[]).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c.length > 0);
        const u = registerUpdate({ name: a.name as string, zone: a.zone, endpoints: a.endpoint as string[], tool: a.tool as string, description: a.description, capabilities: caps, ttl: a.ttl });
        for (const w of u.records.warnings) process.stderr.write(`aop: warning: ${w}\n`);
        const rcode = await sendUpdate(u.message, { key, server: a.server as string, tcp: a.tcp, timeout: a.timeout });
        report('registered', u.name, u.zone, a.server as string, rcode, ` (${u.records.records.length} records, key ${key.name})`);
      }),
    )
    .command(
      'deregister <name>',
      "Deregister an agent: a signed DNS UPDATE removing its SVCB and _agent TXT records and its index PTR",
      (c) => common(c)
        .example('$0 deregister writer.acme.agents --key writer.key --server 192.0.2.1', 'remove an agent'),
      async (a) => run(async () => {
        const key = keyFrom(a.key, a['key-inline'], a['key-name']);
        const u = deregisterUpdate({ name: a.name as string, zone: a.zone });
        const rcode = await sendUpdate(u.message, { key, server: a.server as string, tcp: a.tcp, timeout: a.timeout });
        report('deregistered', u.name, u.zone, a.server as string, rcode, ` (key ${key.name})`);
      }),
    );
}
