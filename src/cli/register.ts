// `aop register` / `aop deregister`: an agent's records (docs/records.md) added to or removed from
// its zone by a TSIG-signed DNS UPDATE (RFC 2136, RFC 8945), as `nsupdate -k` would send it. The
// UPDATE comes from src/update/build.ts (the records `aop zone add-agent` writes) and goes out
// through src/update/client.ts; here the options, the key file and the report.

import { AopError } from '../base/errors.js';
import type { Argv } from 'yargs';
import { randomInt } from 'node:crypto';
import { TRANSPORTS, type Transport } from '../agent/index.js';
import { exchange, TransportError } from '../transport/index.js';
import { WireError } from '../wire/errors.js';
import { signMessage, TsigStreamVerifier, type TsigKey } from '../wire/tsig.js';
import { loadKeyFile, parseKeySpec } from '../wire/tsig-key.js';
import { Rcode, RRType, rcodeToString } from '../wire/types.js';
import { encodeQuery } from '../wire/message.js';
import { parseListen } from '../server/listen.js';
import { AgentEditError } from '../update/agent-records.js';
import { deregisterUpdate, registerUpdate } from '../update/build.js';
import { EXIT_REFUSED, hostWithoutAddresses, RegisterError, sendWithIndex, type UpdateServer } from '../update/client.js';
import { nameEquals, readName } from '../wire/name.js';
import { capFileDigest, CapFileError } from './cap-file.js';

/** `--server ADDR[:PORT]` (port 53 by default), or a usage error naming it. */
export function serverFrom(text: string): UpdateServer {
  try {
    const l = parseListen(text, 53);
    return { address: l.host, port: l.port };
  } catch (err) {
    throw new RegisterError('ERR_REGISTER_INPUT', `--server ${JSON.stringify(text)}: ${(err as Error).message}`, 1);
  }
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
    } else if (err instanceof AgentEditError || err instanceof CapFileError) {
      // Input the records cannot carry: a usage error, as for add-agent.
      process.stderr.write(`aop: ${err.message}\n`);
      process.exitCode = 1;
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
        .option('description', { type: 'string', describe: 'One line, at most 100 octets (key65324)' })
        .option('capabilities', { type: 'string', array: true, default: [] as string[], describe: 'Capability tags, comma list or repeated (key65323)' })
        .option('auth', { type: 'string', describe: 'Auth hint: none, apikey, oauth2_code, mtls, ... (key65325)' })
        .option('priority', { type: 'number', array: true, describe: 'SvcPriority per --endpoint, in the same order (default 1, 2, 3, ...)' })
        .option('transport', { choices: TRANSPORTS, default: 'streamable-http' as Transport, describe: 'MCP transport of the endpoints' })
        .option('ttl', { type: 'number', default: 300, describe: 'TTL of the records in seconds' })
        .option('cap', { type: 'string', describe: 'URL of its capability document (key65400); with --cap-file' })
        .option('cap-file', { type: 'string', describe: 'The capability document as it will be served at --cap: its SHA-256 goes into key65401' })
        .example('$0 register writer.acme.agents --endpoint https://mcp.acme.agents/agents/writer/mcp --tool draft_copy --key writer.key --server 192.0.2.1', 'register an agent')
        .example('$0 register poet.acme.agents --endpoint http://127.0.0.1:18110/mcp --tool write_poem --key writer.key --server 127.0.0.1:5301', 'by IP: an A record at the agent name, as add-agent writes it'),
      async (a) => run(async () => {
        const key = keyFrom(a.key, a['key-inline'], a['key-name']);
        if (!(Number.isInteger(a.ttl) && a.ttl >= 0 && a.ttl <= 2147483647)) throw new RegisterError('ERR_REGISTER_INPUT', '--ttl must be a whole number of seconds, 0 to 2147483647', 1);
        const caps = (a.capabilities as string[]).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c.length > 0);
        if ((a.cap === undefined) !== (a['cap-file'] === undefined)) throw new RegisterError('ERR_REGISTER_INPUT', '--cap URL and --cap-file FILE go together: the URL where the document is served, the file holding it as served', 1);
        const spec = {
          name: a.name as string, zone: a.zone, endpoints: (a.endpoint as unknown[]).map(String), tool: a.tool as string, capabilities: caps, ttl: a.ttl,
          transport: a.transport as Transport,
          ...(a.description !== undefined ? { description: a.description } : {}),
          ...(a.auth !== undefined ? { auth: a.auth } : {}),
          ...(a.priority !== undefined ? { priorities: (a.priority as unknown[]).map(Number) } : {}),
          ...(a.cap !== undefined ? { cap: a.cap, capSha256: capFileDigest(a['cap-file']!) } : {}),
        };
        const server = serverFrom(a.server as string);
        const u = registerUpdate(spec);
        for (const w of u.warnings) process.stderr.write(`aop: warning: ${w}\n`);
        for (const host of u.hosts) {
          const missing = await hostWithoutAddresses(host, server, a.timeout);
          if (missing) process.stderr.write(`aop: warning: ${u.name}: endpoint host ${host} ${missing}\n`);
        }
        const rcode = await sendWithIndex((index) => registerUpdate(spec, undefined, index), u.zone, { key, server, tcp: a.tcp, timeout: a.timeout }, { name: u.name, capabilities: caps });
        report('registered', u.name, u.zone, a.server as string, rcode, ` (${u.records.records.length} records, key ${key.name})`);
      }),
    )
    .command(
      'deregister <name>',
      "Deregister an agent: a signed DNS UPDATE removing its SVCB, own A/AAAA and _agent TXT records and its index PTR",
      (c) => common(c)
        .example('$0 deregister writer.acme.agents --key writer.key --server 192.0.2.1', 'remove an agent'),
      async (a) => run(async () => {
        const key = keyFrom(a.key, a['key-inline'], a['key-name']);
        const server = serverFrom(a.server as string);
        const u = deregisterUpdate({ name: a.name as string, zone: a.zone });
        const rcode = await sendWithIndex((index) => deregisterUpdate({ name: a.name as string, zone: a.zone }, undefined, index), u.zone,
          { key, server, tcp: a.tcp, timeout: a.timeout }, { name: u.name });
        report('deregistered', u.name, u.zone, a.server as string, rcode, ` (key ${key.name})`);
      }),
    );
}
