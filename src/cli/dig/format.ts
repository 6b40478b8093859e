// dig's output, byte for byte where we can: the banner, the HEADER and flags lines, the OPT
// pseudosection, tab-aligned sections (BIND's masterdump columns), +short, the statistics, and
// an RFC 8427-style JSON form of a reply.

import type { Message, Edns } from '../../wire/message.js';
import type { RR } from '../../wire/rr.js';
import { rdataToText } from '../../wire/rdata.js';
import { classToString, opcodeToString, rcodeToString } from '../../wire/types.js';
import { digTypeToString, type DigOptions } from './args.js';
import type { TransportKind } from '../../transport/index.js';

/** A reply as received, with what the statistics lines need. */
export interface Received {
  reply: Buffer;
  message: Message;
  transport: TransportKind;
  /** Milliseconds. */
  rtt: number;
  server: { address: string; port: number };
  /** The server as the user named it (dig's `userarg`), shown in parentheses. */
  serverLabel: string;
  when: Date;
}

/** What to print, from the + options. */
export interface View {
  comments: boolean;
  question: boolean;
  answer: boolean;
  authority: boolean;
  additional: boolean;
  stats: boolean;
  short: boolean;
  ttl: boolean;
  showClass: boolean;
  /** The query carried an OPT record / the DO bit: for the "retry with +noedns" warning. */
  sentEdns: boolean;
  sentDnssec: boolean;
}

export function viewOf(o: DigOptions): View {
  return {
    comments: o.comments, question: o.question, answer: o.answer, authority: o.authority, additional: o.additional,
    stats: o.stats, short: o.short, ttl: o.ttl, showClass: o.showClass,
    sentEdns: o.edns !== false || o.dnssec, sentDnssec: o.dnssec,
  };
}

/** BIND's masterdump columns as dig sets them, by which of TTL and class are shown. */
interface Columns {
  ttl: number;
  cls: number;
  type: number;
  rdata: number;
}

function columns(v: Pick<View, 'ttl' | 'showClass'>): Columns {
  if (!v.ttl && !v.showClass) return { ttl: 24, cls: 24, type: 24, rdata: 32 };
  if (!v.ttl || !v.showClass) return { ttl: 24, cls: 24, type: 32, rdata: 40 };
  return { ttl: 24, cls: 32, type: 40, rdata: 48 };
}

/** Text laid out as BIND's indent(): tabs to the tab stop, then spaces; at least one blank. */
class Line {
  text = '';
  private col = 0;

  add(s: string): void {
    this.text += s;
    this.col += s.length;
  }

  to(target: number): void {
    const to = Math.max(target, this.col + 1);
    const tabs = Math.floor(to / 8) - Math.floor(this.col / 8);
    let from = this.col;
    if (tabs > 0) {
      this.text += '\t'.repeat(tabs);
      from = Math.floor(to / 8) * 8;
    }
    this.text += ' '.repeat(to - from);
    this.col = to;
  }
}

export function recordLine(rr: RR, v: Pick<View, 'ttl' | 'showClass'>): string {
  const c = columns(v);
  const l = new Line();
  l.add(rr.name);
  if (v.ttl) {
    l.to(c.ttl);
    l.add(String(rr.ttl));
  }
  if (v.showClass) {
    l.to(c.cls);
    l.add(classToString(rr.class));
  }
  l.to(c.type);
  l.add(digTypeToString(rr.type));
  l.to(c.rdata);
  l.add(rdataToText(rr.type, rr.rdata));
  return l.text;
}

export function questionLine(q: { name: string; type: number; class: number }, v: Pick<View, 'ttl' | 'showClass'>): string {
  const c = columns(v);
  const l = new Line();
  l.add(q.name);
  l.to(c.cls);
  l.add(classToString(q.class));
  l.to(c.type);
  l.add(digTypeToString(q.type));
  return ';' + l.text;
}

function sectionText(title: string, rrs: readonly RR[], v: View): string {
  if (rrs.length === 0) return '';
  let out = v.comments ? `;; ${title} SECTION:\n` : '';
  // In the order received: dig parses with DNS_MESSAGEPARSE_PRESERVEORDER, so no grouping into sets.
  for (const rr of rrs) out += recordLine(rr, v) + '\n';
  return v.comments ? out + '\n' : out;
}

// ---------------------------------------------------------------------------------------------
// The OPT pseudosection

const EDE_TEXT = [
  'Other', 'Unsupported DNSKEY Algorithm', 'Unsupported DS Digest Type', 'Stale Answer', 'Forged Answer',
  'DNSSEC Indeterminate', 'DNSSEC Bogus', 'Signature Expired', 'Signature Not Yet Valid', 'DNSKEY Missing',
  'RRSIGs Missing', 'No Zone Key Bit Set', 'NSEC Missing', 'Cached Error', 'Not Ready', 'Blocked', 'Censored',
  'Filtered', 'Prohibited', 'Stale NXDOMAIN Answer', 'Not Authoritative', 'Not Supported',
  'No Reachable Authority', 'Network Error', 'Invalid Data',
];

function hexSpaced(data: Buffer): string {
  let s = '';
  for (const b of data) s += b.toString(16).padStart(2, '0') + ' ';
  return s;
}

function printable(data: Buffer): string {
  let s = '';
  for (const b of data) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return s;
}

/** A TTL in words as BIND's dns_ttl_totext(verbose) writes it: `1 day 2 hours`. */
export function ttlWords(secs: number): string {
  const parts: string[] = [];
  const units: Array<[string, number]> = [['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]];
  let rest = secs;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest %= size;
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest} second${rest === 1 ? '' : 's'}`);
  return parts.join(' ');
}

function subnetText(data: Buffer): string | undefined {
  if (data.length < 4) return undefined;
  const family = data.readUInt16BE(0);
  const source = data[2]!;
  const scope = data[3]!;
  const addr = data.subarray(4);
  if (family === 1 && addr.length <= 4 && source <= 32) {
    const full = Buffer.alloc(4);
    addr.copy(full);
    return `${[...full].join('.')}/${source}/${scope}`;
  }
  if (family === 2 && addr.length <= 16 && source <= 128) {
    const full = Buffer.alloc(16);
    addr.copy(full);
    return `${rdataToText(28, full)}/${source}/${scope}`;
  }
  return undefined;
}

/** One EDNS option as BIND 9.18 prints it in the OPT pseudosection. */
export function ednsOptionLine(code: number, data: Buffer): string {
  switch (code) {
    case 3: // NSID
      return data.length === 0 ? '; NSID:' : `; NSID: ${hexSpaced(data)}("${printable(data)}")`;
    case 8: { // CLIENT-SUBNET
      const text = subnetText(data);
      if (text !== undefined) return `; CLIENT-SUBNET: ${text}`;
      break;
    }
    case 9: // EXPIRE
      if (data.length === 4) {
        const secs = data.readUInt32BE(0);
        return `; EXPIRE: ${secs} (${ttlWords(secs)})`;
      }
      break;
    case 10: // COOKIE
      return `; COOKIE: ${data.toString('hex')}`;
    case 11: // TCP KEEPALIVE, in units of 100 ms
      if (data.length === 0) return '; TCP KEEPALIVE:';
      if (data.length === 2) {
        const n = data.readUInt16BE(0);
        return `; TCP KEEPALIVE: ${Math.floor(n / 10)}.${n % 10} secs`;
      }
      break;
    case 12: // PADDING
      return data.length === 0 ? '; PAD:' : `; PAD: (${data.length} bytes)`;
    case 14: // KEY-TAG
      if (data.length > 0 && data.length % 2 === 0) {
        const tags: number[] = [];
        for (let i = 0; i < data.length; i += 2) tags.push(data.readUInt16BE(i));
        return `; KEY-TAG: ${tags.join(', ')}`;
      }
      break;
    case 15: { // EDE (RFC 8914): info code, its meaning, then any EXTRA-TEXT
      if (data.length < 2) return data.length === 0 ? '; EDE:' : `; EDE: ${hexSpaced(data)}("${printable(data)}")`;
      const info = data.readUInt16BE(0);
      let s = `; EDE: ${info}`;
      if (info < EDE_TEXT.length) s += ` (${EDE_TEXT[info]})`;
      const text = data.subarray(2);
      if (text.length > 0) s += `: (${text.toString('utf8').replace(/[\x00-\x1f\x7f]/g, '.')})`;
      return s;
    }
    default:
      break;
  }
  return data.length === 0 ? `; OPT=${code}:` : `; OPT=${code}: ${hexSpaced(data)}("${printable(data)}")`;
}

export function optText(e: Edns, comments: boolean): string {
  let out = comments ? ';; OPT PSEUDOSECTION:\n' : '';
  out += `; EDNS: version: ${e.version}, flags:${e.dnssecOk ? ' do' : ''}`;
  out += e.flags !== 0 ? `; MBZ: 0x${e.flags.toString(16).padStart(4, '0')}, udp: ${e.udpSize}\n` : `; udp: ${e.udpSize}\n`;
  for (const o of e.options) out += ednsOptionLine(o.code, o.data) + '\n';
  return out;
}

// ---------------------------------------------------------------------------------------------
// The whole reply

/** dig's rcode text: the mnemonic, else RESERVEDn. */
export function statusText(rcode: number): string {
  return rcodeToString(rcode);
}

function headerText(r: Received, v: View): string {
  const m = r.message;
  const raw = r.reply;
  const bits = raw.readUInt16BE(2);
  let flags = '';
  for (const [name, mask] of [['qr', 0x8000], ['aa', 0x0400], ['tc', 0x0200], ['rd', 0x0100], ['ra', 0x0080], ['ad', 0x0020], ['cd', 0x0010]] as const) {
    if (bits & mask) flags += ' ' + name;
  }
  if (bits & 0x0040) flags += '; MBZ: 0x4';
  let out = ';; Got answer:\n';
  out += `;; ->>HEADER<<- opcode: ${opcodeToString(m.opcode)}, status: ${statusText(m.rcode)}, id: ${m.id}\n`;
  out += `;; flags:${flags}; QUERY: ${raw.readUInt16BE(4)}, ANSWER: ${raw.readUInt16BE(6)}, AUTHORITY: ${raw.readUInt16BE(8)}, ADDITIONAL: ${raw.readUInt16BE(10)}\n`;
  if (m.rd && !m.ra) out += ';; WARNING: recursion requested but not available\n';
  if (v.sentEdns && !m.edns && (m.rcode === 1 || m.rcode === 4)) {
    out += `\n;; WARNING: EDNS query returned status ${statusText(m.rcode)} - retry with '${v.sentDnssec ? '+nodnssec ' : ''}+noedns'\n`;
  }
  return out + '\n';
}

/** The rdata of each answer, one a line (+short). With `identify`, dig's +trace form. */
export function shortText(rrs: readonly RR[], identify?: { server: string; rtt: number }): string {
  let out = '';
  for (const rr of rrs) {
    let line = rdataToText(rr.type, rr.rdata);
    if (identify) line = `${digTypeToString(rr.type)} ${line} from server ${identify.server} in ${Math.floor(identify.rtt)} ms.`;
    out += line + '\n';
  }
  return out;
}

/** The message part of dig's output: header, OPT, sections (or the +short lines). */
export function messageText(r: Received, v: View): string {
  const m = r.message;
  if (v.short) return v.answer ? shortText(m.answers) : '';
  let out = '';
  if (v.comments) out += headerText(r, v);
  if (v.comments && m.edns) out += optText(m.edns, true);
  if (v.question && m.questions.length > 0) {
    if (v.comments) out += ';; QUESTION SECTION:\n';
    for (const q of m.questions) out += questionLine(q, v) + '\n';
    if (v.comments) out += '\n';
  }
  if (v.answer) out += sectionText('ANSWER', m.answers, v);
  if (v.authority) out += sectionText('AUTHORITY', m.authority, v);
  if (v.additional) out += sectionText('ADDITIONAL', m.additional, v);
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function zoneAbbreviation(d: Date): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    return part?.value ?? 'UTC';
  } catch {
    return 'UTC';
  }
}

/** strftime's `%a %b %d %H:%M:%S %Z %Y` in local time, as dig's WHEN line. */
export function whenText(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${zoneAbbreviation(d)} ${d.getFullYear()}`;
}

/** `127.0.0.1#53`, as BIND's isc_sockaddr_format. */
export function endpointText(e: { address: string; port: number }): string {
  return `${e.address}#${e.port}`;
}

export function statsText(r: Received): string {
  return `;; Query time: ${Math.floor(r.rtt)} msec\n`
    + `;; SERVER: ${endpointText(r.server)}(${r.serverLabel}) (${r.transport.toUpperCase()})\n`
    + `;; WHEN: ${whenText(r.when)}\n`
    + `;; MSG SIZE  rcvd: ${r.reply.length}\n\n`;
}

/** The greeting dig prints before the first answer (+cmd). */
export function bannerText(version: string, args: readonly string[], serversFound: number | undefined, short: boolean): string {
  let out = `\n; <<>> aop dig ${version} <<>>${args.map((a) => ' ' + a).join('')}\n`;
  if (serversFound !== undefined && serversFound > 0) out += `; (${serversFound} server${serversFound > 1 ? 's' : ''} found)\n`;
  return out + `;; global options:${short ? ' +short' : ''} +cmd\n`;
}

// ---------------------------------------------------------------------------------------------
// JSON (RFC 8427 member names; aop's own members are lower-case)

function rrJson(rr: RR): Record<string, unknown> {
  const typeName = digTypeToString(rr.type);
  const out: Record<string, unknown> = {
    NAME: rr.name, TYPE: rr.type, TYPEname: typeName, CLASS: rr.class, CLASSname: classToString(rr.class),
    TTL: rr.ttl, RDLENGTH: rr.rdata.length, RDATAHEX: rr.rdata.toString('hex').toUpperCase(),
  };
  if (!typeName.startsWith('TYPE')) out[`rdata${typeName}`] = rdataToText(rr.type, rr.rdata);
  return out;
}

/** A reply as an RFC 8427 message object, plus aop's members (see docs/cli.md). */
export function replyJson(r: Received): Record<string, unknown> {
  const m = r.message;
  const raw = r.reply;
  const q = m.questions[0];
  const b = (x: boolean): number => (x ? 1 : 0);
  const out: Record<string, unknown> = {
    ID: m.id, QR: b(m.qr), Opcode: m.opcode, AA: b(m.aa), TC: b(m.tc), RD: b(m.rd), RA: b(m.ra), AD: b(m.ad), CD: b(m.cd),
    RCODE: m.rcode, RCODEname: statusText(m.rcode),
    QDCOUNT: raw.readUInt16BE(4), ANCOUNT: raw.readUInt16BE(6), NSCOUNT: raw.readUInt16BE(8), ARCOUNT: raw.readUInt16BE(10),
  };
  if (q) Object.assign(out, { QNAME: q.name, QTYPE: q.type, QTYPEname: digTypeToString(q.type), QCLASS: q.class, QCLASSname: classToString(q.class) });
  out.answerRRs = m.answers.map(rrJson);
  out.authorityRRs = m.authority.map(rrJson);
  out.additionalRRs = m.additional.map(rrJson);
  if (m.edns) {
    out.edns = {
      version: m.edns.version, udpSize: m.edns.udpSize, DO: b(m.edns.dnssecOk), flags: m.edns.flags,
      options: m.edns.options.map((o) => ({ code: o.code, hex: o.data.toString('hex').toUpperCase(), text: ednsOptionLine(o.code, o.data).slice(2) })),
    };
  }
  out.messageOctetsHEX = raw.toString('hex').toUpperCase();
  out.dateString = r.when.toISOString();
  out.dateSeconds = r.when.getTime() / 1000;
  out.server = { address: r.server.address, port: r.server.port, name: r.serverLabel };
  out.transport = r.transport;
  out.queryTime = Math.floor(r.rtt);
  out.msgSize = raw.length;
  return out;
}
