// `aop dig`: a DNS lookup in dig's syntax with dig's output, and +trace from the root hints.
// Exit statuses as dig: 0 a reply was received (NXDOMAIN too), 1 usage, 9 no reply, 10 internal.

import type { Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Rcode, rcodeToString } from '../wire/types.js';
import { packageRoot } from './paths.js';
import { daemonStatePath } from './daemon-state.js';
import { askedNote, chooseDefaultServer, UsageError, type ServerChoice } from './common.js';
import { DigUsageError, parseDigArgs, type DigOptions } from './dig/args.js';
import { bannerText, messageText, replyJson, statsText, viewOf, type Received } from './dig/format.js';
import { askServer, buildQuery, defaultPort, failureText, serverAddresses, ServerLookupError, tlsPeer, type Attempt } from './dig/query.js';
import { TransportError } from '../transport/index.js';
import { runTrace } from './dig/trace.js';

export interface DigIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Default process.env: AOP_RESOLVER. */
  env?: Record<string, string | undefined>;
  /** Default /etc/resolv.conf. */
  resolvConf?: string;
  /** The running daemon's state file (daemon-state.ts); default: its usual place when `env` is not given. */
  stateFile?: string;
  now?: () => Date;
}

export const DIG_USAGE = 'aop dig [@server] [-p port] [-t type] [-c class] [-q name] name [type] [class] [+options]';

export const DIG_OPTIONS = `Query options (+noOPTION turns one off):
  +short            print only the data of the answer records
  +tcp              use TCP only (default: UDP, retried over TCP when truncated)
  +tls              DNS over TLS (RFC 7858; port 853 unless -p)
  +https[=/PATH]    DNS over HTTPS (RFC 8484) POST to PATH (default /dns-query; port 443 unless -p);
                    +https-get[=/PATH] and +https-post[=/PATH] choose the method
  +tls-ca=FILE      PEM CA the server's certificate must chain to (default: the system roots;
                    aop dig always checks the certificate)
  +tls-hostname=NAME  the name the certificate must be for (default: @server as given)
  +ignore           show a truncated UDP reply instead of retrying over TCP
  +norec            clear RD (recursion desired); +rec sets it (default)
  +dnssec           set the DO bit (off by default)
  +noedns           send no OPT record; +edns=N sets the EDNS version (default 0)
  +bufsize=N        advertise an EDNS UDP size of N bytes (default 1232)
  +nsid             ask the server for its NSID
  +adflag +cdflag +aaflag   set those header bits (AD is on by default, as in dig)
  +time=S           seconds to wait for a reply (default 5)
  +tries=N          attempts per server (default 3); +retry=N is tries N+1
  +trace            iterate from the root hints down, printing each step
  +json             print the reply as JSON (RFC 8427 names; see docs/cli.md)
  +[no]question +[no]answer +[no]authority +[no]additional +[no]comments
  +[no]stats +[no]cmd +[no]ttlid +[no]class +[no]all     choose what is printed
Other options:
  -p PORT           server port (default 53); with +trace, the port of every server
  -t TYPE -c CLASS -q NAME   type, class and name, when they might be mistaken
  -4 -6             use only IPv4 / IPv6 servers
  --root-hints FILE root hints for +trace (default: the bundled zones/root.hints)
  -h                this help; -v the version
Server: @ADDRESS or @HOST; else $AOP_RESOLVER (ADDR[:PORT]), else the running \`aop serve\`
(its state file), else the first nameserver of /etc/resolv.conf, else 127.0.0.1.
Exit status: 0 a reply was received (NXDOMAIN and SERVFAIL included), 1 bad arguments,
9 no reply from any server, 10 internal error.`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface DefaultServer {
  address: string;
  port?: number;
}

/** chooseDefaultServer (common.ts) with aop dig's usage error for a bad $AOP_RESOLVER. */
function digDefault(env: Record<string, string | undefined>, resolvConf: string | undefined, stateFile: string | undefined): ServerChoice {
  try {
    return chooseDefaultServer(env, { ...(resolvConf !== undefined ? { resolvConf } : {}), ...(stateFile !== undefined ? { stateFile } : {}) });
  } catch (err) {
    if (err instanceof UsageError) throw new DigUsageError(err.message);
    throw err;
  }
}

/**
 * $AOP_RESOLVER, else the running daemon announced in `stateFile` (`aop serve` writes it), else the
 * first nameserver in resolv.conf, else 127.0.0.1 (common.ts chooses).
 */
export function defaultServer(env: Record<string, string | undefined>, resolvConf = '/etc/resolv.conf', stateFile?: string): DefaultServer {
  const c = digDefault(env, resolvConf, stateFile);
  return c.port !== undefined ? { address: c.address, port: c.port } : { address: c.address };
}

export function processIo(): DigIo {
  return {
    stdout: (s) => { process.stdout.write(s); },
    stderr: (s) => { process.stderr.write(s); },
  };
}

/** Run `aop dig ARGS`; resolves with the exit status. Never throws. */
export async function runDig(args: readonly string[], io: DigIo = processIo()): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.stderr(`aop: dig: ${message}\n`);
    return code;
  };
  try {
    let o: DigOptions;
    try {
      o = parseDigArgs(args);
    } catch (err) {
      if (err instanceof DigUsageError) return fail(1, `${err.message} (see aop dig -h)`);
      throw err;
    }
    if (o.help) {
      io.stdout(`Usage: ${DIG_USAGE}\n\n${DIG_OPTIONS}\n`);
      return 0;
    }
    if (o.version) {
      io.stdout(`aop dig ${version()}\n`);
      return 0;
    }
    for (const w of o.warnings) io.stderr(w + '\n');
    if (o.trace) return await runTrace(o, args, io, version());
    return await lookupOnce(o, args, io, fail);
  } catch (err) {
    if (err instanceof DigUsageError) return fail(1, err.message);
    // dig 9.18 exits 1 when its @server has no address.
    if (err instanceof ServerLookupError) return fail(1, err.message);
    return fail(10, `internal error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function lookupOnce(o: DigOptions, args: readonly string[], io: DigIo, fail: (code: number, message: string) => number): Promise<number> {
  let addresses: string[];
  let label: string | undefined;
  let port = o.port;
  // The server aop chose itself (no @server): named with its source when the answer is an error.
  let chosen: ServerChoice | undefined;
  if (o.server !== undefined) {
    addresses = await serverAddresses(o.server, o.family);
    label = o.server;
  } else {
    chosen = digDefault(io.env ?? process.env, io.resolvConf, io.stateFile ?? (io.env ? undefined : daemonStatePath()));
    addresses = [chosen.address];
    // The daemon's announced port is its UDP/TCP one; +tls and +https have their own defaults.
    if (!o.tls && !o.https) port ??= chosen.port;
  }
  port ??= defaultPort(o);
  const peer = o.tls || o.https ? tlsPeer(o) : undefined;
  const asked = chosen ? ` ${askedNote({ ...chosen, port })}` : '';
  const serversFound = o.server !== undefined ? addresses.length : undefined;
  const text = !o.json && !o.short;
  const failures: Attempt[] = [];
  let comments = '';
  let edns = o.edns;
  for (let i = 0; i < addresses.length; i++) {
    const address = addresses[i]!;
    let reply;
    try {
      reply = await askServer(address, port, buildQuery({ ...o, edns }, { name: o.name, type: o.type, cls: o.cls }), o, peer);
    } catch (err) {
      // A certificate refused or an HTTP error: no answer from this server, said with its code.
      if (err instanceof TransportError && (err.code === 'ERR_TRANSPORT_TLS_CERT' || err.code === 'ERR_TRANSPORT_TLS' || err.code === 'ERR_TRANSPORT_HTTP')) {
        return fail(9, `${err.message} [${err.code}]`);
      }
      throw err;
    }
    failures.push(...reply.failures);
    const r = reply.result;
    if (!r) continue;
    // Attempts that failed before this reply: dig's warnings, on stderr here.
    for (const f of failures.splice(0)) io.stderr(`;; communications error to ${f.server}: ${f.reason}\n`);
    if (r.transport === 'tcp' && !o.tcp && o.comments) comments += ';; Truncated, retrying in TCP mode.\n';
    // EDNS version negotiation (RFC 6891 6.1.3), as dig: retry once with the version the server offers.
    const offered = r.message.edns?.version;
    if (r.message.rcode === Rcode.BADVERS && edns !== false && offered !== undefined && offered !== edns && edns === o.edns) {
      if (o.comments) comments += `;; BADVERS, retrying with EDNS version ${offered}.\n`;
      edns = offered;
      i--; // the same server again
      continue;
    }
    const received: Received = {
      reply: r.reply, message: r.message, transport: r.transport, rtt: r.rtt,
      server: r.server, serverLabel: label ?? r.server.address, when: (io.now ?? (() => new Date()))(),
    };
    // An error status from a server nobody named may be the wrong server (resolv.conf's, not aop's): say which it was.
    if (asked !== '' && r.message.rcode !== Rcode.NOERROR) io.stderr(`aop: dig: ${rcodeToString(r.message.rcode)}${asked}\n`);
    if (o.json) {
      io.stdout(JSON.stringify(replyJson(received), null, 2) + '\n');
      return 0;
    }
    let out = comments;
    if (o.cmd && text) out += bannerText(version(), args, serversFound, o.short);
    out += messageText(received, viewOf(o));
    if (o.stats && text) out += statsText(received);
    io.stdout(out);
    return 0;
  }
  if (o.cmd && text) io.stdout(comments + bannerText(version(), args, serversFound, o.short));
  const last = failures[failures.length - 1];
  return fail(9, `${last ? `communications error to ${last.server}: ${last.reason}; ` : ''}no servers could be reached${asked}`);
}

/** Register `aop dig`. Its arguments are dig's, not yargs': they are read from `argv` as given. */
export function digCommand(y: Argv, argv: readonly string[]): Argv {
  return y.command(
    'dig',
    "Look up DNS records with dig's arguments and output; +trace walks down from the root hints",
    (c) => c
      .strict(false)
      .usage(`Usage: ${DIG_USAGE}`)
      .epilogue(DIG_OPTIONS)
      .example('$0 dig @127.0.0.1 -p 5300 writer.acme.agents SVCB', "an agent's endpoint records")
      .example('$0 dig writer.acme.agents SVCB +short', 'just the data, from $AOP_RESOLVER or the system resolver')
      .example('$0 dig +trace writer.acme.agents SVCB', 'each delegation step from the bundled root hints (127.0.0.2)')
      .example('$0 dig _agent.writer.acme.agents TXT +json', 'the reply as JSON'),
    async () => {
      process.exitCode = await runDig(argv.slice(argv.indexOf('dig') + 1));
    },
  );
}
