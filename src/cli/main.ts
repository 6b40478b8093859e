// The `aop` command line: one yargs program, one module per command.

import yargs from 'yargs';
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
import { mcpCommand } from './mcp.js';
import { registerCommands } from './register.js';
import { keyCommand } from './key.js';
import { reloadCommand } from './reload.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let y = yargs(argv).scriptName('aop').version(version()).strict().demandCommand(1, 'Name a command; see aop --help')
    .recommendCommands().wrap(Math.min(100, process.stdout.columns ?? 100))
    .example('$0 serve', 'serve the bundled zones on 127.0.0.1:5300')
    .example('$0 dig @127.0.0.1 -p 5300 writer.acme.agents SVCB', "an agent's records, in dig's format")
    .example('$0 zone add-agent zones/acme.agents.zone poet --endpoint http://127.0.0.1:18110/mcp --tool write_poem', 'add an agent to a zone file')
    .fail((msg, err) => {
      // One clear line on stderr; usage errors exit 1 as dig's do.
      process.stderr.write(`aop: ${msg ?? err?.message}\n`);
      process.exit(err && !msg ? 10 : 1);
    });
  y = serveCommand(y);
  y = zoneCommand(y);
  y = cacheCommand(y);
  y = digCommand(y, argv);
  y = callCommand(y);
  y = agentCommand(y);
  y = mcpCommand(y);
  y = registerCommands(y);
  y = keyCommand(y);
  y = reloadCommand(y);
  await y.parseAsync();
}
