// `aop dig` arguments in dig's own syntax: `[@server] [-p port] name [type] [class] [+options]`,
// read left to right as dig reads them, so later options override earlier ones.

import { AopError } from '../../base/errors.js';
import { isIP } from 'node:net';
import { WireError } from '../../wire/errors.js';
import { parseName } from '../../wire/name.js';
import { classFromString, RRClass, RRType, typeFromString, typeToString } from '../../wire/types.js';

export class DigUsageError extends AopError {
  declare readonly code: 'ERR_DIG_USAGE';
  constructor(message: string) {
    super('ERR_DIG_USAGE', message);
  }
}

export interface DigOptions {
  /** The text after `@`: an address or a host name. */
  server?: string;
  /** `-p`: the port of the server (with +trace, of every server). */
  port?: number;
  /** The query name, canonical and absolute. Default `.` as in dig. */
  name: string;
  type: number;
  cls: number;
  /** `-4` / `-6`: only use servers of that family. */
  family?: 4 | 6;
  // The query
  rd: boolean;
  ad: boolean;
  cd: boolean;
  aa: boolean;
  dnssec: boolean;
  /** EDNS version to send, or false for no OPT record (+noedns). */
  edns: number | false;
  bufsize: number;
  nsid: boolean;
  // The exchange
  tcp: boolean;
  /** +tcp or +notcp was given: otherwise ANY queries go over TCP, as in dig. */
  tcpGiven: boolean;
  ignore: boolean;
  /** Seconds per attempt (+time). */
  time: number;
  /** UDP attempts per server (+tries, +retry + 1). */
  tries: number;
  /** DNS over TLS (+tls, RFC 7858). */
  tls: boolean;
  /** DNS over HTTPS (+https, +https-get, +https-post; RFC 8484): the method and endpoint path. */
  https?: { method: 'GET' | 'POST'; path: string };
  /** +tls-ca=FILE: the CA the server's certificate must chain to (default the system roots). */
  tlsCa?: string;
  /** +tls-hostname=NAME: the name the certificate must be for (default @server, as given). */
  tlsHostname?: string;
  // Iteration
  trace: boolean;
  rootHints?: string;
  // Output
  short: boolean;
  json: boolean;
  cmd: boolean;
  comments: boolean;
  stats: boolean;
  question: boolean;
  answer: boolean;
  authority: boolean;
  additional: boolean;
  ttl: boolean;
  showClass: boolean;
  help: boolean;
  version: boolean;
  /** Non-fatal notes dig would print (`;; Warning, extra type option`). */
  warnings: string[];
}

export const DEFAULT_BUFSIZE = 1232;

/**
 * Mnemonics dig knows beyond src/wire/types.ts, so `-t NSEC3` parses and question sections
 * print as BIND prints them. Their RDATA still prints in RFC 3597 generic form.
 */
const EXTRA_TYPES: Record<string, number> = {
  MD: 3, MF: 4, MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11, MINFO: 14, X25: 19, ISDN: 20, RT: 21,
  NSAP: 22, 'NSAP-PTR': 23, SIG: 24, KEY: 25, PX: 26, GPOS: 27, NXT: 30, EID: 31, NIMLOC: 32,
  ATMA: 34, A6: 38, SINK: 40, APL: 42, IPSECKEY: 45, DHCID: 49, NSEC3: 50, NSEC3PARAM: 51,
  HIP: 55, NINFO: 56, RKEY: 57, TALINK: 58, CDS: 59, CDNSKEY: 60, UINFO: 100, UID: 101,
  GID: 102, UNSPEC: 103, NID: 104, L32: 105, L64: 106, LP: 107, EUI48: 108, EUI64: 109,
  MAILB: 253, MAILA: 254, AMTRELAY: 260, TA: 32768, DLV: 32769,
};
const extraTypeNames = new Map<number, string>(Object.entries(EXTRA_TYPES).map(([k, v]) => [v, k]));

/** A type mnemonic (or TYPEnnn) to its number, dig's list; undefined when not a type. */
export function digTypeFromString(text: string): number | undefined {
  return typeFromString(text) ?? EXTRA_TYPES[text.toUpperCase()];
}

/** A type number as BIND prints it. */
export function digTypeToString(type: number): string {
  const known = typeToString(type);
  return known.startsWith('TYPE') ? extraTypeNames.get(type) ?? known : known;
}

export function defaultDigOptions(): DigOptions {
  return {
    name: '.', type: RRType.A, cls: RRClass.IN,
    rd: true, ad: true, cd: false, aa: false, dnssec: false, edns: 0, bufsize: DEFAULT_BUFSIZE, nsid: false,
    tcp: false, tcpGiven: false, ignore: false, time: 5, tries: 3, tls: false,
    trace: false,
    short: false, json: false, cmd: true, comments: true, stats: true,
    question: true, answer: true, authority: true, additional: true, ttl: true, showClass: true,
    help: false, version: false, warnings: [],
  };
}

function parseNumber(text: string | undefined, what: string, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new DigUsageError(`invalid ${what} '${text ?? ''}': not a number`);
  const n = Number(text);
  if (n < min || n > max) throw new DigUsageError(`invalid ${what} '${text}': must be ${min} to ${max}`);
  return n;
}

function parseQueryName(text: string): string {
  try {
    return parseName(text, '.');
  } catch (err) {
    if (err instanceof WireError) throw new DigUsageError(`invalid name '${text}': ${err.message}`);
    throw err;
  }
}

function parseType(text: string): number {
  const type = digTypeFromString(text);
  if (type === undefined) throw new DigUsageError(`invalid type '${text}'`);
  checkQueryType(type, text);
  return type;
}

function checkQueryType(type: number, text: string): void {
  if (type === RRType.AXFR || type === RRType.IXFR) throw new DigUsageError(`zone transfers (${text}) are not supported`);
  if (type === RRType.OPT) throw new DigUsageError(`type ${text} cannot be queried`);
}

function parseClass(text: string): number {
  const cls = classFromString(text);
  if (cls === undefined) throw new DigUsageError(`invalid class '${text}'`);
  return cls;
}

/** Options taking a value: `-p 53` or `-p53`. */
const VALUED = new Set(['p', 't', 'c', 'q']);
/** dig options aop dig does not implement: named so the error says so, not "unknown". */
const UNSUPPORTED: Record<string, string> = {
  x: 'reverse lookups (-x)', b: 'a source address (-b)', f: 'batch files (-f)', k: 'TSIG keys (-k)',
  y: 'TSIG keys (-y)', m: 'memory debugging (-m)', i: 'IP6.INT (-i)', r: 'ignoring ~/.digrc (-r)', u: 'microseconds (-u)',
};

/** Parse dig's arguments. Throws DigUsageError (exit status 1). */
export function parseDigArgs(args: readonly string[]): DigOptions {
  const o = defaultDigOptions();
  let nameText: string | undefined;
  let typeSet = false;
  let classSet = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('@')) {
      const server = arg.slice(1);
      if (server === '') throw new DigUsageError(`'@' needs a server: @ADDRESS or @HOST`);
      o.server = server;
    } else if (arg.startsWith('+')) {
      plusOption(o, arg.slice(1));
    } else if (arg === '--root-hints' || arg.startsWith('--root-hints=')) {
      const value = arg === '--root-hints' ? args[++i] : arg.slice('--root-hints='.length);
      if (value === undefined || value === '') throw new DigUsageError('--root-hints needs a file');
      o.rootHints = value;
    } else if (arg.startsWith('--')) {
      throw new DigUsageError(`unknown option '${arg}' (dig's options start with + or a single -)`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]!;
      if (VALUED.has(letter)) {
        const value = arg.length > 2 ? arg.slice(2) : args[++i];
        if (value === undefined) throw new DigUsageError(`option -${letter} needs a value`);
        if (letter === 'p') o.port = parseNumber(value, 'port number', 1, 65535);
        else if (letter === 't') { o.type = parseType(value); typeSet = true; }
        else if (letter === 'c') { o.cls = parseClass(value); classSet = true; }
        else { nameText = value; o.name = parseQueryName(value); }
      } else if (arg === '-4' || arg === '-6') {
        o.family = arg === '-4' ? 4 : 6;
      } else if (arg === '-h') {
        o.help = true;
      } else if (arg === '-v') {
        o.version = true;
      } else if (UNSUPPORTED[letter] !== undefined) {
        throw new DigUsageError(`${UNSUPPORTED[letter]} not supported by aop dig`);
      } else {
        throw new DigUsageError(`unknown option '${arg}'`);
      }
    } else {
      // dig's rule: a word that is a type is the type, one that is a class the class, else the name.
      const type = digTypeFromString(arg);
      if (type !== undefined) {
        checkQueryType(type, arg);
        if (typeSet) o.warnings.push(';; Warning, extra type option');
        o.type = type;
        typeSet = true;
        continue;
      }
      const cls = classFromString(arg);
      if (cls !== undefined) {
        if (classSet) o.warnings.push(';; Warning, extra class option');
        o.cls = cls;
        classSet = true;
        continue;
      }
      if (nameText !== undefined) {
        throw new DigUsageError(`'${arg}' is not a record type or class, and aop dig looks up one name (already '${nameText}')`);
      }
      nameText = arg;
      o.name = parseQueryName(arg);
    }
  }
  // dig's defaults that depend on the rest: no name at all asks for the root's NS records, and
  // ANY goes over TCP.
  if (nameText === undefined && !typeSet) o.type = RRType.NS;
  if (o.type === RRType.ANY && !o.tcpGiven) o.tcp = true;
  if (o.server !== undefined && isIP(o.server) === 0 && !/^[A-Za-z0-9.-]+$/.test(o.server)) {
    throw new DigUsageError(`invalid server '${o.server}': not an IP address or host name`);
  }
  return o;
}

type FlagKey = 'rd' | 'ad' | 'cd' | 'aa' | 'dnssec' | 'nsid' | 'tcp' | 'ignore' | 'json' | 'cmd' | 'comments' | 'stats'
  | 'question' | 'answer' | 'authority' | 'additional' | 'ttl' | 'showClass';

const FLAGS: Record<string, FlagKey> = {
  rec: 'rd', recurse: 'rd', adflag: 'ad', cdflag: 'cd', aaflag: 'aa', aaonly: 'aa', dnssec: 'dnssec', nsid: 'nsid',
  tcp: 'tcp', vc: 'tcp', ignore: 'ignore', json: 'json', cmd: 'cmd', comments: 'comments', stats: 'stats',
  question: 'question', answer: 'answer', authority: 'authority', additional: 'additional', ttlid: 'ttl', class: 'showClass',
};

/** One `+[no]option[=value]`. */
function plusOption(o: DigOptions, text: string): void {
  const eq = text.indexOf('=');
  let key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
  const value = eq < 0 ? undefined : text.slice(eq + 1);
  let on = true;
  if (key.startsWith('no')) {
    on = false;
    key = key.slice(2);
  }
  const noValue = (): void => {
    if (value !== undefined) throw new DigUsageError(`invalid option '+${text}': +${key} takes no value`);
  };
  const simple = FLAGS[key];
  if (simple !== undefined) {
    noValue();
    o[simple] = on;
    if (simple === 'tcp') o.tcpGiven = true;
    return;
  }
  switch (key) {
    case 'short':
      noValue();
      o.short = on;
      if (on) {
        // As dig: +short also turns these off, and a later option may turn one back on.
        o.cmd = false; o.comments = false; o.stats = false;
        o.question = false; o.authority = false; o.additional = false; o.answer = true;
      }
      return;
    case 'all':
      noValue();
      o.question = o.answer = o.authority = o.additional = o.comments = o.stats = o.cmd = on;
      return;
    case 'trace':
      noValue();
      o.trace = on;
      if (on) {
        o.rd = false; o.comments = false; o.stats = false;
        o.additional = false; o.authority = true; o.question = false; o.dnssec = true;
      }
      return;
    case 'edns':
      o.edns = on ? (value === undefined ? 0 : parseNumber(value, 'EDNS version', 0, 255)) : false;
      if (!on && value !== undefined) noValue();
      return;
    case 'bufsize':
      if (!on) { noValue(); o.bufsize = DEFAULT_BUFSIZE; return; }
      o.bufsize = value === undefined ? DEFAULT_BUFSIZE : parseNumber(value, 'buffer size', 0, 65535);
      return;
    case 'time':
    case 'timeout':
      if (!on) throw new DigUsageError(`invalid option '+${text}'`);
      // dig raises 0 to 1.
      o.time = Math.max(1, parseNumber(value, 'timeout', 0, 86400));
      return;
    case 'tries':
      if (!on) throw new DigUsageError(`invalid option '+${text}'`);
      o.tries = Math.max(1, parseNumber(value, 'tries', 0, 100));
      return;
    case 'retry':
      if (!on) throw new DigUsageError(`invalid option '+${text}'`);
      o.tries = parseNumber(value, 'retry', 0, 99) + 1;
      return;
    case 'tls':
      noValue();
      o.tls = on;
      if (on) o.https = undefined;
      return;
    case 'https':
    case 'https-post':
    case 'https-get':
      if (!on) {
        noValue();
        o.https = undefined;
        return;
      }
      if (value !== undefined && !/^\/[\x21-\x7e]*$/.test(value)) throw new DigUsageError(`invalid option '+${text}': the endpoint path must start with /`);
      // As dig: +https is POST; the path defaults to /dns-query.
      o.https = { method: key === 'https-get' ? 'GET' : 'POST', path: value ?? '/dns-query' };
      o.tls = false;
      return;
    case 'tls-ca':
      if (!on) { noValue(); o.tlsCa = undefined; return; }
      // Without a file, dig checks against the system roots: aop dig always checks, so that is the default.
      if (value !== undefined && value !== '') o.tlsCa = value;
      return;
    case 'tls-hostname':
      if (!on) { noValue(); o.tlsHostname = undefined; return; }
      if (value === undefined || value === '') throw new DigUsageError(`invalid option '+${text}': +tls-hostname needs =NAME`);
      o.tlsHostname = value;
      return;
    case 'tls-certfile':
    case 'tls-keyfile':
      throw new DigUsageError(`TLS client certificates (+${key}) are not supported by aop dig`);
    case 'http-plain':
    case 'http-plain-get':
    case 'http-plain-post':
      throw new DigUsageError(`DNS over plain HTTP (+${key}) is not supported by aop dig: use +https`);
    case 'cookie':
      // Accepted for scripts written for dig; aop dig sends no cookie.
      return;
    default:
      throw new DigUsageError(`invalid option '+${text}'`);
  }
}
