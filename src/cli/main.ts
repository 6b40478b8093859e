// The `aop` command line: one yargs program, one module per command.

import yargs, { type MiddlewareFunction } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths.js';
import { serveCommand } from './serve.js';
import { cacheCommand } from './cache.js';
import { digCommand } from './dig.js';
import { zoneCommand } from './zone.js';
import { callCommand } from './call.js';
import { agentCommand } from './agent.js';
import { loginCommands } from './auth.js';
import { mcpCommand } from './mcp.js';
import { registerCommands } from './register.js';
import { keyCommand } from './key.js';
import { reloadCommand } from './reload.js';
import { directoryCommand } from './directory.js';
import { requireOnce, UsageError, unknownOptionMessage } from './common.js';

/** What the fail handler needs of the command being run (yargs' own, not in its types). */
interface CommandContext {
  getOptions(): { key: Record<string, unknown> };
  getInternalMethods(): { getContext(): { commands: string[] }; getCommandInstance(): { getCommands(): string[] } };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let known: string[] = [];
  let command: string[] = [];
  let subcommands: string[] = [];
  let y = yargs(argv).scriptName('aop').version(version()).strict().demandCommand(1, 'Name a command; see aop --help')
    .recommendCommands().wrap(Math.min(100, process.stdout.columns ?? 100))
    .example('$0 serve', 'serve the bundled zones on 127.0.0.1:5300')
    .example('$0 dig @127.0.0.1 -p 5300 writer.acme.agents SVCB', "an agent's records, in dig's format")
    .example('$0 zone add-agent zones/acme.agents.zone poet --endpoint http://127.0.0.1:18110/mcp --tool write_poem', 'add an agent to a zone file')
    // The options of the command being run, for the nearest-option hint of an unknown one.
    .middleware(((_argv: unknown, cmd: CommandContext) => {
      known = Object.keys(cmd.getOptions().key);
      command = cmd.getInternalMethods().getContext().commands;
      subcommands = cmd.getInternalMethods().getCommandInstance().getCommands();
    }) as unknown as MiddlewareFunction, true)
    // A single-valued option given twice would reach its reader as an array (pino's "default level
    // warn,info must be included"): refuse it here for every command, naming what was given.
    .check((a, opts) => {
      const declared = opts as unknown as { key: Record<string, unknown>; array: string[] };
      const arrays = new Set(declared.array);
      const repeated = Object.keys(declared.key).filter((k) => !arrays.has(k) && Array.isArray(a[k]) && argv.some((x) => x === `--${k}` || x.startsWith(`--${k}=`)));
      requireOnce(a, repeated);
      return true;
    }, true)
    .fail((msg, err) => {
      // One clear line on stderr; usage errors (a bad command line, a missing file, an address in use) exit 1 as dig's do.
      const text = msg ? unknownOptionMessage(msg, argv, known, command, subcommands) ?? msg : err?.message;
      process.stderr.write(`aop: ${text}\n`);
      process.exit(err && !msg && !(err instanceof UsageError) ? 10 : 1);
    });
  y = serveCommand(y);
  y = zoneCommand(y);
  y = cacheCommand(y);
  y = digCommand(y, argv);
  y = callCommand(y);
  y = agentCommand(y);
  y = loginCommands(y);
  y = mcpCommand(y);
  y = registerCommands(y);
  y = keyCommand(y);
  y = reloadCommand(y);
  y = directoryCommand(y);
  await y.parseAsync();
}
