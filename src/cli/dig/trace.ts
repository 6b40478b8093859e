// `aop dig +trace`: iterate from the root hints as `dig +trace` iterates from the root, printing
// each reply (the referral's NS records, or the answer) and `;; Received N bytes from ADDR#PORT(NS)`.
// Unlike dig, name-server addresses come from glue (or a quiet iterative lookup when there is
// none), never from the system resolver: agent namespaces are not in the public DNS.

import path from 'node:path';
import { HintsError, loadHints, type RootHints } from '../../resolver/hints.js';
import type { ExchangeResult } from '../../transport/index.js';
import type { Message } from '../../wire/message.js';
import { isInDomain, nameEquals, readName } from '../../wire/name.js';
import { rdataToText } from '../../wire/rdata.js';
import { Rcode, RRClass, RRType } from '../../wire/types.js';
import { bundledZonesDir } from '../paths.js';
import type { DigIo } from '../dig.js';
import type { DigOptions } from './args.js';
import { bannerText, endpointText, messageText, replyJson, shortText, statsText, statusText, viewOf, type Received } from './format.js';
import { askServer, buildQuery, serverAddresses, type Question } from './query.js';

/** Referrals followed before giving up (dig's own limit is similar in spirit). */
const MAX_STEPS = 20;
/** Glueless name-server lookups nested deeper than this are abandoned. */
const MAX_DEPTH = 3;

interface NsServer {
  /** The NS name as dig shows it: without the final dot. */
  label: string;
  name: string;
  /** Undefined until looked up, for a name server without glue. */
  addresses: string[] | undefined;
}

type Verdict = { kind: 'final' } | { kind: 'referral'; zone: string; servers: NsServer[] } | { kind: 'unusable'; why: string };

function label(name: string): string {
  return name === '.' ? '.' : name.replace(/\.$/, '');
}

function addressOf(type: number, rdata: Buffer): string {
  return rdataToText(type, rdata);
}

/** Name servers named by `ns` records, with addresses from the glue in `additional`. */
function serversFrom(ns: Message['answers'], additional: Message['additional'], family: 4 | 6 | undefined): NsServer[] {
  const out: NsServer[] = [];
  for (const rr of ns) {
    if (rr.type !== RRType.NS) continue;
    const name = readName(rr.rdata, 0).name;
    if (out.some((s) => nameEquals(s.name, name))) continue;
    const addresses = additional
      .filter((a) => nameEquals(a.name, name) && ((a.type === RRType.A && family !== 6) || (a.type === RRType.AAAA && family !== 4)))
      .map((a) => addressOf(a.type, a.rdata));
    out.push({ label: label(name), name, addresses: addresses.length > 0 ? addresses : undefined });
  }
  return out;
}

/** What a reply to the traced question means for the walk. */
function classify(m: Message, zone: string, qname: string, family: 4 | 6 | undefined): Verdict {
  if (m.rcode === Rcode.NXDOMAIN || (m.rcode === Rcode.NOERROR && m.answers.length > 0)) return { kind: 'final' };
  if (m.rcode !== Rcode.NOERROR) return { kind: 'unusable', why: `status ${statusText(m.rcode)}` };
  const ns = m.authority.filter((r) => r.type === RRType.NS);
  const cut = ns[0]?.name;
  if (cut !== undefined && isInDomain(qname, cut) && isInDomain(cut, zone) && !nameEquals(cut, zone)) {
    return { kind: 'referral', zone: cut, servers: serversFrom(ns.filter((r) => nameEquals(r.name, cut)), m.additional, family) };
  }
  // NODATA: an authoritative empty answer, or one carrying the zone's SOA.
  if (m.aa || m.authority.some((r) => r.type === RRType.SOA)) return { kind: 'final' };
  return { kind: 'unusable', why: cut === undefined ? 'neither an answer nor a referral' : `a referral to ${cut} that does not lead down from ${zone}` };
}

class Tracer {
  readonly steps: Array<Record<string, unknown>> = [];
  lastFailure = '';

  constructor(readonly o: DigOptions, readonly io: DigIo, readonly hints: RootHints, readonly port: number) {}

  /** Print one reply the way dig +trace does (or keep it for +json). */
  show(r: ExchangeResult, server: NsServer, zone: string): void {
    const o = this.o;
    const received: Received = {
      reply: r.reply, message: r.message, transport: r.transport, rtt: r.rtt, server: r.server,
      serverLabel: server.label, when: (this.io.now ?? (() => new Date()))(),
    };
    if (o.json) {
      this.steps.push({ zone, ...replyJson(received) });
      return;
    }
    if (o.short) {
      if (o.answer) this.io.stdout(shortText(r.message.answers, { server: server.label, rtt: r.rtt }));
      return;
    }
    let out = messageText(received, viewOf(o));
    out += o.stats ? statsText(received) : `;; Received ${r.bytes} bytes from ${endpointText(r.server)}(${server.label}) in ${Math.floor(r.rtt)} ms\n\n`;
    this.io.stdout(out);
  }

  /**
   * Ask the servers in turn until one gives a reply `accept` takes. Every reply is shown unless
   * `quiet`; failed attempts are reported on stderr.
   */
  async askAny(servers: NsServer[], q: Question, rd: boolean, zone: string, accept: (m: Message) => boolean, depth: number, quiet: boolean): Promise<ExchangeResult | undefined> {
    const wire = buildQuery({ ...this.o, rd }, q);
    for (const server of servers) {
      server.addresses ??= await this.lookupAddresses(server.name, depth + 1);
      if (server.addresses.length === 0) {
        this.lastFailure = `no address for ${server.name}`;
        if (!quiet) this.io.stderr(`;; no address for name server ${server.name} (no glue, and looking it up failed)\n`);
      }
      for (const address of server.addresses) {
        const asked = await askServer(address, this.port, wire, this.o);
        for (const f of asked.failures) {
          this.lastFailure = `communications error to ${f.server}: ${f.reason}`;
          if (!quiet) this.io.stderr(`;; ${this.lastFailure}\n`);
        }
        const r = asked.result;
        if (!r) continue;
        if (!quiet) this.show(r, server, zone);
        if (accept(r.message)) return r;
      }
    }
    return undefined;
  }

  /** Addresses of a name server without glue: a quiet iteration from the hints, else the system resolver. */
  async lookupAddresses(name: string, depth: number): Promise<string[]> {
    if (depth > MAX_DEPTH) return [];
    if (!isInDomain(name, this.hints.zone)) {
      try {
        return await serverAddresses(name, this.o.family);
      } catch {
        return [];
      }
    }
    const types = this.o.family === 6 ? [RRType.AAAA] : this.o.family === 4 ? [RRType.A] : [RRType.A, RRType.AAAA];
    const found: string[] = [];
    for (const type of types) {
      let zone = this.hints.zone;
      let servers = this.hintServers();
      for (let step = 0; step < MAX_STEPS; step++) {
        let verdict: Verdict | undefined;
        const r = await this.askAny(servers, { name, type, cls: RRClass.IN }, false, zone, (m) => {
          verdict = classify(m, zone, name, this.o.family);
          return verdict.kind !== 'unusable';
        }, depth, true);
        if (!r || !verdict) break;
        if (verdict.kind === 'referral') {
          zone = verdict.zone;
          servers = verdict.servers;
          continue;
        }
        for (const a of r.message.answers) if (a.type === type && nameEquals(a.name, name)) found.push(addressOf(type, a.rdata));
        break;
      }
    }
    return found;
  }

  hintServers(): NsServer[] {
    return this.hints.servers.map((s) => ({
      label: label(s.name), name: s.name,
      addresses: s.addresses.filter((a) => this.o.family === undefined || (this.o.family === 4) === !a.includes(':')),
    }));
  }
}

/** Run +trace; resolves with the exit status. */
export async function runTrace(o: DigOptions, args: readonly string[], io: DigIo, version: string): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.stderr(`aop: dig: ${message}\n`);
    return code;
  };
  const file = o.rootHints ?? path.join(bundledZonesDir, 'root.hints');
  let hints: RootHints;
  try {
    hints = loadHints(file);
  } catch (err) {
    if (err instanceof HintsError) return fail(o.rootHints !== undefined ? 1 : 10, err.message);
    throw err;
  }
  if (!isInDomain(o.name, hints.zone)) {
    return fail(1, `+trace: ${o.name} is outside ${hints.zone}, the zone of the root hints (${file})`);
  }
  const t = new Tracer(o, io, hints, o.port ?? 53);
  const text = !o.json && !o.short;
  const finish = (code: number, message?: string): number => {
    if (o.json) io.stdout(JSON.stringify(t.steps, null, 2) + '\n');
    return message === undefined ? code : fail(code, message);
  };

  // Step 0, as dig's first query for the root NS set: ask @server (recursively) when given, else
  // a hint server, for the NS records of the hints' zone.
  let servers = t.hintServers();
  let serversFound: number | undefined;
  let primeWith = servers;
  let primeRd = false;
  if (o.server !== undefined) {
    const addresses = await serverAddresses(o.server, o.family);
    serversFound = addresses.length;
    primeWith = [{ label: o.server, name: o.server, addresses }];
    primeRd = true;
  }
  if (o.cmd && text) io.stdout(bannerText(version, args, serversFound, false));
  const zoneNs = (m: Message): Message['answers'] => m.answers.filter((r) => r.type === RRType.NS && nameEquals(r.name, hints.zone));
  const primed = await t.askAny(primeWith, { name: hints.zone, type: RRType.NS, cls: RRClass.IN }, primeRd, hints.zone, (m) => zoneNs(m).length > 0, 0, false);
  if (primed) {
    const found = serversFrom(zoneNs(primed.message), primed.message.additional, o.family);
    // Addresses the reply left out come from the hints.
    for (const s of found) s.addresses ??= servers.find((h) => nameEquals(h.name, s.name))?.addresses;
    if (found.length > 0) servers = found;
  } else if (o.server === undefined) {
    return finish(9, `no server for ${hints.zone} replied (${t.lastFailure || 'no usable reply'})`);
  }

  let zone = hints.zone;
  const q = { name: o.name, type: o.type, cls: o.cls };
  for (let step = 0; step < MAX_STEPS; step++) {
    let verdict: Verdict | undefined;
    const r = await t.askAny(servers, q, o.rd, zone, (m) => {
      verdict = classify(m, zone, o.name, o.family);
      if (verdict.kind === 'unusable') t.lastFailure = `${verdict.why} from a server for ${zone}`;
      return verdict.kind !== 'unusable';
    }, 0, false);
    if (!r || !verdict) return finish(9, `no server for ${zone} gave a usable reply (${t.lastFailure || 'none was reachable'})`);
    if (verdict.kind === 'final') return finish(0);
    if (verdict.kind === 'referral') {
      zone = verdict.zone;
      servers = verdict.servers;
    }
  }
  return finish(9, `gave up after ${MAX_STEPS} referrals at ${zone}`);
}
