// Start-up warm-up for the resolver. A fresh Node process runs its first thousand or so
// resolutions as unoptimised code, many times slower than later ones: a resolver started into
// traffic queues its first second of questions (tens of ms each, bench scenario 3). Before the
// listeners answer (they are bound already, holding what arrives: Daemon.open), the daemon resolves made-up names against a fake
// hierarchy on a loopback socket of its own, through throwaway instances of the same classes
// (responder, resolver handler, resolver, cache, listener, UDP transport), built with the
// daemon's own options, so the code the first real questions run is already compiled for the
// objects they meet. Nothing of it is kept: not its cache, counters or sockets.

import dgram from 'node:dgram';
import { DnsCache, type DnsCacheOptions } from '../cache/index.js';
import { Acl } from '../resolver/acl.js';
import { Resolver, type ResolverOptions } from '../resolver/resolver.js';
import { transportStats } from '../transport/index.js';
import { Catalog } from '../authority/catalog.js';
import type { Handler } from './handler.js';
import { decodeMessage, encodeMessage, encodeQuery, type Message } from '../wire/message.js';
import { nameToWire } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRType, Rcode } from '../wire/types.js';
import { ResolverHandler } from './resolver-handler.js';
import { silentLogger, type Logger } from '../base/log.js';
import type { OpcodeHandler } from '../wire/request.js';
import { Responder, type RespondOptions } from './respond.js';
import { Stats } from './stats.js';
import { Listener } from './transport.js';

const ZONE = 'warm-up.invalid.';
const ORGS = 20;

function soa(zone: string): RR {
  const tail = Buffer.alloc(20);
  [1, 3600, 600, 86400, 300].forEach((v, i) => tail.writeUInt32BE(v, i * 4));
  return { name: zone, type: RRType.SOA, class: 1, ttl: 300, rdata: Buffer.concat([nameToWire(`ns.${zone}`), nameToWire(`h.${zone}`), tail]) };
}

/**
 * One socket playing every server of the fake hierarchy: the first question about an
 * organisation is referred from the apex to it (NS and glue, as the root would); after that it
 * answers as the organisation's server: an SVCB, a NODATA or an NXDOMAIN.
 */
function fakeHierarchy(): Promise<{ port: number; close(): Promise<void> }> {
  const seen = new Set<string>();
  const sock = dgram.createSocket('udp4');
  sock.on('error', () => {});
  sock.on('message', (buf, rinfo) => {
    let q: Message;
    try {
      q = decodeMessage(buf);
    } catch {
      return;
    }
    const question = q.questions[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    const labels = name.split('.');
    const org = labels.length >= 4 ? labels.slice(-4).join('.') : undefined; // oN.warm-up.invalid.
    const reply: Message = { ...q, qr: true, aa: true, ra: false, answers: [], authority: [], additional: [] };
    if (org && !seen.has(org)) {
      seen.add(org);
      reply.aa = false;
      reply.authority.push({ name: org, type: RRType.NS, class: 1, ttl: 3600, rdata: nameToWire(`ns.${org}`) });
      reply.additional.push({ name: `ns.${org}`, type: RRType.A, class: 1, ttl: 3600, rdata: Buffer.from([127, 0, 0, 1]) });
    } else if (org && labels[0]!.startsWith('a') && question.type === RRType.SVCB) {
      reply.answers.push({ name: question.name, type: RRType.SVCB, class: 1, ttl: 300, rdata: Buffer.concat([Buffer.from([0, 1]), nameToWire(`mcp.${org}`), Buffer.from([0, 1, 0, 4, 3, 0x6d, 0x63, 0x70])]) });
    } else if (org && labels[0]!.startsWith('a')) {
      reply.authority.push(soa(org));
    } else {
      reply.rcode = Rcode.NXDOMAIN;
      reply.authority.push(soa(org ?? ZONE));
    }
    sock.send(encodeMessage(reply), rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve({
      port: sock.address().port,
      close: () => new Promise<void>((r) => sock.close(() => r())),
    }));
  });
}

/** What the daemon built its own resolver path from; the warm-up builds twins from the same. */
export interface WarmUpPlan {
  /** Made-up questions, each asked three times (cache hits and stored answers run too). Default 600. */
  questions?: number;
  /** Queries in flight at once. Default 8. */
  concurrency?: number;
  /** The daemon's resolver options: the twin gets them with the fake hierarchy's hints and port. */
  resolver?: Omit<ResolverOptions, 'hints' | 'cache' | 'port'>;
  cache?: DnsCacheOptions;
  /** The handlers after the resolver handler, and the special ones, as the daemon has them. */
  after?: Handler[];
  specials?: readonly OpcodeHandler[];
  respond?: RespondOptions;
  catalog?: Catalog;
  logger?: Logger;
}

/**
 * Resolve made-up names through twins of the daemon's own objects (resolver, cache, handlers,
 * responder, UDP listener), built with the same options: code optimised for objects of another
 * shape is thrown away ("wrong map" deoptimisations) when the real ones arrive, which is what a
 * warm-up through differently built stand-ins did. Queries go over a real loopback socket, so
 * the listener's receive and send paths run too. Never throws (a failure only means less warm
 * code); returns the RCODEs its answers had and how many came from stored answers. The
 * process-wide transport counters are put back as they were.
 */
export async function warmUpResolver(plan: WarmUpPlan = {}): Promise<{ rcodes: Map<number, number>; stored: number }> {
  const questions = plan.questions ?? 600;
  const concurrency = plan.concurrency ?? 8;
  const counters = new Stats();
  const before = { ...transportStats };
  let fake: Awaited<ReturnType<typeof fakeHierarchy>> | undefined;
  let resolver: Resolver | undefined;
  let listener: Listener | undefined;
  let client: dgram.Socket | undefined;
  try {
    fake = await fakeHierarchy();
    const logger = plan.logger ?? silentLogger;
    resolver = new Resolver({
      ...plan.resolver, logger,
      hints: { zone: ZONE, servers: [{ name: `a.${ZONE}`, addresses: ['127.0.0.1'] }], ttl: 3600 },
      cache: new DnsCache(plan.cache), port: fake.port,
    });
    const catalog = plan.catalog ?? new Catalog();
    const handlers: Handler[] = [new ResolverHandler(resolver, new Acl(['127.0.0.1']), catalog, logger), ...(plan.after ?? [])];
    const responder = new Responder(handlers, counters, plan.respond);
    for (const h of plan.specials ?? []) responder.use(h);
    listener = new Listener({ host: '127.0.0.1', port: 0, family: 4 }, responder, counters);
    await listener.start();
    client = await clientSocket(listener.address.port);
    await askAll(client, questions, concurrency);
  } catch {
    // Best effort: the daemon works the same without it, only its first questions are slower.
  } finally {
    client?.close();
    resolver?.close();
    await listener?.close(0);
    await fake?.close();
    Object.assign(transportStats, before);
  }
  return { rcodes: counters.rcodes, stored: counters.answerCacheHits };
}

function clientSocket(port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.connect(port, '127.0.0.1', () => {
      sock.off('error', reject);
      sock.on('error', () => {});
      resolve(sock);
    });
  });
}

/**
 * Ask every question three times (the third in upper case), `concurrency` ids at a time, from
 * one client socket: the client transport opens a socket per query, which made the warm-up
 * take twice as long (3.5-3.9 s for 3,000 questions against 1.9-2.8).
 */
function askAll(sock: dgram.Socket, questions: number, concurrency: number): Promise<void> {
  const waiting = new Map<number, () => void>();
  sock.on('message', (reply) => {
    if (reply.length < 2) return;
    const id = reply.readUInt16BE(0);
    const done = waiting.get(id);
    if (done) {
      waiting.delete(id);
      done();
    }
  });
  const ask = (id: number, buf: Buffer): Promise<void> => new Promise<void>((resolve) => {
    // A lost reply must not stall start-up: each query gets up to one second.
    const timer = setTimeout(() => { waiting.delete(id); resolve(); }, 1000);
    waiting.set(id, () => { clearTimeout(timer); resolve(); });
    sock.send(buf);
  });
  let next = 0;
  const one = async (i: number, slot: number): Promise<void> => {
    const kind = i % 4 === 3 ? 'n' : 'a'; // a quarter NXDOMAIN
    const type = i % 8 === 5 ? RRType.TXT : RRType.SVCB; // some NODATA
    const name = `${kind}${i}.o${i % ORGS}.${ZONE}`;
    for (let rep = 0; rep < 3; rep++) {
      const id = (slot * 3 + rep) & 0xffff;
      await ask(id, encodeQuery(rep === 2 ? name.toUpperCase() : name, type, { id }));
    }
  };
  return Promise.all(Array.from({ length: concurrency }, async (_, slot) => {
    while (next < questions) await one(next++, slot);
  })).then(() => undefined);
}
