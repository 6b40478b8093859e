// Start-up warm-up for the resolver. A fresh Node process runs its first thousand or so
// resolutions as unoptimised code, many times slower than later ones: a resolver started into
// traffic queues its first second of questions (tens of ms each, bench scenario 3). Before the
// listeners open, the daemon therefore resolves a few hundred made-up names against a fake
// hierarchy on a loopback socket of its own, through throwaway instances of the same classes
// (responder, resolver handler, resolver, cache, UDP transport), so the code the first real
// questions run is already compiled. Nothing of it is kept: not its cache, counters or sockets.

import dgram from 'node:dgram';
import { DnsCache } from '../cache/index.js';
import { Acl } from '../resolver/acl.js';
import { Resolver } from '../resolver/resolver.js';
import { newTransportStats, query as transportQuery } from '../transport/index.js';
import { Catalog } from '../authority/catalog.js';
import { decodeMessage, encodeMessage, encodeQuery, type Message } from '../wire/message.js';
import { nameToWire } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRType, Rcode } from '../wire/types.js';
import { ResolverHandler } from './resolver-handler.js';
import { silentLogger } from './log.js';
import { Responder } from './respond.js';
import { Stats } from './stats.js';

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

/**
 * Resolve `questions` made-up names (each asked twice, so cache hits and stored answers run
 * too), `concurrency` at a time. Never throws (a failure only means less warm code); returns
 * the RCODEs its answers had and how many came from stored answers. About 0.4-0.6 s of CPU
 * for the default 600.
 */
export async function warmUpResolver(questions = 600, concurrency = 8): Promise<{ rcodes: Map<number, number>; stored: number }> {
  let fake: Awaited<ReturnType<typeof fakeHierarchy>> | undefined;
  const counters = new Stats();
  try {
    fake = await fakeHierarchy();
    const stats = newTransportStats();
    const resolver = new Resolver({
      hints: { zone: ZONE, servers: [{ name: `a.${ZONE}`, addresses: ['127.0.0.1'] }], ttl: 3600 },
      cache: new DnsCache(), port: fake.port, timeout: 1000,
      query: (server, q, opts) => transportQuery(server, q, { ...opts, stats }),
    });
    const catalog = new Catalog();
    const responder = new Responder([new ResolverHandler(resolver, new Acl(['127.0.0.1']), catalog, silentLogger)], counters);
    let next = 0;
    const one = async (i: number): Promise<void> => {
      const kind = i % 4 === 3 ? 'n' : 'a'; // a quarter NXDOMAIN
      const type = i % 8 === 5 ? RRType.TXT : RRType.SVCB; // some NODATA
      const name = `${kind}${i}.o${i % ORGS}.${ZONE}`;
      for (let rep = 0; rep < 3; rep++) {
        const buf = encodeQuery(rep === 2 ? name.toUpperCase() : name, type, { id: i & 0xffff });
        if (responder.cached(buf, 'udp', '127.0.0.1') === undefined) await responder.respond(buf, 'udp', '127.0.0.1', 53);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < questions) await one(next++);
    }));
    resolver.close();
  } catch {
    // Best effort: the daemon works the same without it, only its first questions are slower.
  } finally {
    await fake?.close();
  }
  return { rcodes: counters.rcodes, stored: counters.answerCacheHits };
}
