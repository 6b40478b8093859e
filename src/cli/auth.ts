// The command line's side of MCP authorization: the Authorizer `aop call` and `aop agent` hand to
// the hand-off (the credentials file, the token cache, a person at a terminal), and `aop login NAME`
// / `aop logout NAME`, which get or forget an agent's tokens ahead of a call.

import { spawn } from 'node:child_process';
import type { Argv } from 'yargs';
import type { Authorizer, InteractiveLogin } from '../mcp/oauth/index.js';
import { defaultCredentialsPath, loadCredentials } from '../mcp/oauth/credentials.js';
import { defaultTokenDir, TokenStore } from '../mcp/oauth/store.js';
import type { AllowHttp } from '../mcp/handoff/policy.js';
import { trustedCas } from '../mcp/handoff/trust.js';
import { chooseServer, localPolicy, processCliIo, readCa, reportError, timeoutMs, type CliIo } from './call.js';
import { NetworkLookup } from '../mcp/lookup.js';
import type { HandOff } from '../mcp/handoff.js';

export interface AuthArgs {
  /** --credentials FILE: must exist; default ~/.config/aop/credentials when it does. */
  credentials?: string;
  /** --interactive / --no-interactive: the authorization code flow may ask a person. Default: stdin and stderr are terminals. */
  interactive?: boolean;
}

/** The login prompt: the URL on stderr, and $BROWSER (a command) run with it when set. */
export function terminalLogin(io: CliIo, env: Record<string, string | undefined>): InteractiveLogin {
  return {
    open(url, agent) {
      io.stderr(`aop: ${agent} needs you to log in. Open this URL in a browser:\n\n  ${url.href}\n\n`);
      const browser = env.BROWSER;
      if (browser) {
        // $BROWSER is a command line (it may carry arguments); the URL goes in as one argument.
        const child = spawn('/bin/sh', ['-c', `${browser} "$1"`, 'aop-browser', url.href], { stdio: 'ignore', detached: true });
        child.on('error', () => undefined);
        child.unref();
      }
    },
    ...(env.AOP_LOGIN_WAIT_SECONDS ? { waitMs: Math.max(1, Number(env.AOP_LOGIN_WAIT_SECONDS)) * 1000 } : {}),
  };
}

/** The Authorizer for one command: credentials (permissions checked), the token cache folder, the login prompt. */
export async function cliAuthorizer(a: AuthArgs, opts: { io: CliIo; allowHttp: AllowHttp; ca?: string; interactiveDefault?: boolean }): Promise<Authorizer> {
  const env = opts.io.env ?? process.env;
  const file = a.credentials ?? env.AOP_CREDENTIALS ?? defaultCredentialsPath(env);
  const named = a.credentials !== undefined || env.AOP_CREDENTIALS !== undefined;
  // A file named on the command line is checked at once; the default one only when an agent demands authorization.
  const credentials = named ? loadCredentials(file, { required: true }) : () => loadCredentials(file);
  const store = new TokenStore(env.AOP_OAUTH_DIR || defaultTokenDir(env));
  const interactive = a.interactive ?? opts.interactiveDefault ?? (process.stdin.isTTY === true && process.stderr.isTTY === true);
  const { Authorizer } = await import('../mcp/oauth/authorizer.js');
  return new Authorizer({
    credentials, store, allowHttp: opts.allowHttp,
    ...(opts.ca !== undefined ? { ca: trustedCas(opts.ca) } : {}),
    ...(interactive ? { interactive: terminalLogin(opts.io, env) } : {}),
  });
}

/** The options `aop call`, `aop agent`, `aop login` share for authorization. */
export function authOptions<T>(y: Argv<T>) {
  return y
    .option('credentials', { type: 'string', describe: 'Credentials file for agents that demand OAuth (default ~/.config/aop/credentials; must be mode 600)' })
    .option('interactive', { type: 'boolean', describe: 'Let an agent that demands a login ask you (a URL to open; $BROWSER runs it); default: at a terminal' });
}

interface LoginArgs extends AuthArgs {
  name: string;
  server?: string;
  timeout?: number;
  allowHttp?: AllowHttp;
  allowLoopbackZone?: string[];
  ca?: string;
}

/** `aop login NAME`: open a session at the agent (its tools/list), logging in when it asks. */
export async function runLogin(a: LoginArgs, io: CliIo = processCliIo): Promise<number> {
  let handoff: HandOff | undefined;
  try {
    const ms = timeoutMs(a.timeout ?? 300);
    const server = chooseServer(a.server, io.env);
    const allowHttp = a.allowHttp ?? 'loopback';
    const policy = localPolicy(server, allowHttp, a.allowLoopbackZone ?? [], io.env);
    const ca = readCa(a.ca);
    const auth = await cliAuthorizer(a, { io, allowHttp, ...(ca !== undefined ? { ca } : {}), interactiveDefault: true });
    const { HandOff } = await import('../mcp/handoff.js');
    handoff = new HandOff({ lookup: new NetworkLookup(server), timeoutMs: ms, allowHttp, loopbackZones: policy.loopbackZones, selfAddresses: () => policy.selfAddresses, auth, ...(ca !== undefined ? { ca } : {}) });
    const o = await handoff.listToolsOutcome(a.name, { timeoutMs: ms });
    io.stdout(`${o.card.name}: authorized at ${o.endpoint} (${o.tools.length} tool${o.tools.length === 1 ? '' : 's'})\n`);
    return 0;
  } catch (err) {
    return reportError(io, 'login', err, false);
  } finally {
    await handoff?.close();
  }
}

/** `aop logout NAME`: revoke (where the server advertises it) and forget the tokens for every endpoint of the agent. */
export async function runLogout(a: LoginArgs, io: CliIo = processCliIo): Promise<number> {
  let handoff: HandOff | undefined;
  try {
    const server = chooseServer(a.server, io.env);
    const allowHttp = a.allowHttp ?? 'loopback';
    const auth = await cliAuthorizer({ ...a, interactive: false }, { io, allowHttp });
    const { HandOff } = await import('../mcp/handoff.js');
    handoff = new HandOff({ lookup: new NetworkLookup(server), timeoutMs: timeoutMs(a.timeout ?? 30), allowHttp });
    const card = await handoff.resolve(a.name);
    let n = 0;
    let revoked = 0;
    for (const e of card.endpoints) {
      const r = await auth.logout(e.url, card.name);
      n += r.forgotten;
      revoked += r.revoked;
      // A failed revocation does not keep the tokens: they are forgotten here all the same.
      for (const w of r.warnings) io.stderr(`aop: logout: warning: ${w}; forgotten here all the same\n`);
    }
    io.stdout(`${card.name}: ${n} token${n === 1 ? '' : 's'} forgotten${revoked > 0 ? ` (${revoked} revoked at the authorization server)` : ''}\n`);
    return 0;
  } catch (err) {
    return reportError(io, 'logout', err, false);
  } finally {
    await handoff?.close();
  }
}

export function loginCommands(y: Argv): Argv {
  const common = <T>(c: Argv<T>) => authOptions(c
    .positional('name', { type: 'string', demandOption: true, describe: 'Agent name, e.g. writer.acme.agents' })
    .option('server', { type: 'string', describe: 'DNS server to ask, ADDR[:PORT]' })
    .option('timeout', { type: 'number', describe: 'Seconds to wait, the login included (default 300; logout 30)' })
    .option('allow-http', { choices: ['loopback', 'any', 'none'] as const, default: 'loopback' as const, describe: 'Where plain http endpoints may be called' })
    .option('allow-loopback-zone', { type: 'string', array: true, describe: 'Allow loopback endpoints for the agents of this zone' })
    .option('ca', { type: 'string', describe: 'PEM file of CA certificates to trust besides the system roots' }));
  const args = (argv: Record<string, unknown>): LoginArgs => ({
    name: argv.name as string, server: argv.server as string | undefined, timeout: argv.timeout as number | undefined,
    allowHttp: argv['allow-http'] as AllowHttp, allowLoopbackZone: argv['allow-loopback-zone'] as string[] | undefined, ca: argv.ca as string | undefined,
    credentials: argv.credentials as string | undefined, interactive: argv.interactive as boolean | undefined,
  });
  return y
    .command('login <name>', 'Log in to an agent that demands OAuth, ahead of calling it (the token is cached)', common, async (argv) => {
      process.exitCode = await runLogin(args(argv));
    })
    .command('logout <name>', "Forget the cached tokens for an agent's endpoints", common, async (argv) => {
      process.exitCode = await runLogout(args(argv));
    });
}
