// The UPDATE client behind `aop register` / `aop deregister`: an UPDATE signed with a TSIG key,
// sent to the zone's primary and its reply's signature checked (RFC 2136, RFC 8945), as `nsupdate
// -k` does; the organisation index read over TCP so that an UPDATE can carry it as a prerequisite,
// and sent again when a concurrent registration changed the index in between.

import { AopError } from '../base/errors.js';
import { randomInt } from 'node:crypto';
import { exchange } from '../transport/index.js';
import { signMessage, TsigStreamVerifier, type TsigKey } from '../wire/tsig.js';
import { Rcode, RRType, rcodeToString } from '../wire/types.js';
import { encodeQuery } from '../wire/message.js';
import { nameEquals, nameKey, readName } from '../wire/name.js';
import { capIndexRoot, entryHash, isPage, orgIndexRoot, PAGE_MAX, pageOwner, MAX_PAGE_DEPTH, readSvcb, SvcKey } from '../agent/index.js';
import type { IndexState } from './build.js';
import type { IndexPtr } from './index-model.js';

/** The primary asked: an address and port (the CLI parses `ADDR[:PORT]`). */
export interface UpdateServer {
  address: string;
  port: number;
}

/** How a server is named in messages: ADDR:PORT, [V6]:PORT. */
const shown = (s: UpdateServer): string => (s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`);

/** Exit statuses: dig's 1 (usage) and 9 (no reply), 2 for a refusal by the server, 10 internal. */
export const EXIT_REFUSED = 2;

export class RegisterError extends AopError {
  declare readonly code: 'ERR_REGISTER_INPUT' | 'ERR_REGISTER_REFUSED' | 'ERR_REGISTER_UNSIGNED_REPLY';
  constructor(code: RegisterError['code'], message: string, readonly status: number) {
    super(code, message);
  }
}

export interface SendOptions {
  key: TsigKey;
  server: UpdateServer;
  tcp?: boolean;
  timeout?: number;
}

/** Sign, send, check the reply's signature; returns the reply's RCODE. Throws RegisterError or TransportError. */
export async function sendUpdate(message: Buffer, opts: SendOptions): Promise<number> {
  const server = { host: opts.server.address, port: opts.server.port };
  const signed = signMessage(message, opts.key);
  const r = await exchange(opts.server, signed.message, { tcp: opts.tcp, timeout: opts.timeout ?? 3000 });
  const v = new TsigStreamVerifier(opts.key, signed.mac).verify(r.reply);
  if (!v.ok) {
    const tsigError = ({ 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' } as Record<number, string>)[v.error] ?? String(v.error);
    // A server that rejected our key answers NOTAUTH with an unsigned TSIG error: that is the answer.
    if (r.message.rcode === Rcode.NOTAUTH) {
      throw new RegisterError('ERR_REGISTER_REFUSED', `${server.host}#${server.port} answered NOTAUTH (TSIG ${tsigError}): the server does not accept key ${opts.key.name} (${v.reason})`, EXIT_REFUSED);
    }
    throw new RegisterError('ERR_REGISTER_UNSIGNED_REPLY', `the reply from ${server.host}#${server.port} (${rcodeToString(r.message.rcode)}) failed TSIG verification: ${v.reason}`, EXIT_REFUSED);
  }
  return r.message.rcode;
}

/**
 * Whether an endpoint host inside the zone lacks A/AAAA records at the primary (which refuses an
 * agent whose host has none): the reason to print, or undefined when it has some.
 */
export async function hostWithoutAddresses(host: string, server: UpdateServer, timeout = 3000): Promise<string | undefined> {
  const serverText = shown(server);
  try {
    for (const type of [RRType.A, RRType.AAAA]) {
      const r = await exchange(server, encodeQuery(host, type, { rd: false }), { timeout });
      if (r.message.answers.some((rr) => rr.type === type)) return undefined;
    }
    return `has no A/AAAA records at ${serverText}: add them first, or the server refuses the agent`;
  } catch {
    return `could not be checked at ${serverText}: it needs A/AAAA records in the zone`;
  }
}

/** The PTR targets at `owner` on the primary, read over TCP (undefined: no PTR set there). */
async function readPtrs(owner: string, server: UpdateServer, timeout: number): Promise<{ targets: string[]; ttl?: number } | undefined> {
  const r = await exchange(server, encodeQuery(owner, RRType.PTR, { rd: false }), { tcp: true, timeout });
  if (r.message.tc) throw new RegisterError('ERR_REGISTER_REFUSED', `${owner} PTR: ${shown(server)} answered TC=1 over TCP: the index is too large for one message; page it (docs/records.md, "A paged index")`, EXIT_REFUSED);
  const rrs = r.message.answers.filter((rr) => rr.type === RRType.PTR && nameEquals(rr.name, owner));
  if (rrs.length === 0) return undefined;
  return { targets: rrs.map((rr) => readName(rr.rdata, 0).name), ttl: rrs[0]!.ttl };
}

/** The capabilities (key65323) of an agent as the primary serves its SVCB. */
async function readCapabilities(name: string, server: UpdateServer, timeout: number): Promise<string[]> {
  const r = await exchange(server, encodeQuery(name, RRType.SVCB, { rd: false }), { tcp: true, timeout });
  const caps = new Set<string>();
  for (const rr of r.message.answers) {
    if (rr.type !== RRType.SVCB || !nameEquals(rr.name, name)) continue;
    try {
      const v = readSvcb(rr.rdata).params.get(SvcKey.capabilities);
      for (const c of v?.toString('latin1').split(',') ?? []) if (c !== '') caps.add(c);
    } catch {
      // A record aop cannot read lists no capability.
    }
  }
  return [...caps];
}

/** Map with at most `limit` calls in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

/** What a registration needs to read of a paged index: the agent, and its capabilities (read from its SVCB when not given). */
export interface IndexWant {
  name: string;
  capabilities?: readonly string[];
}

/**
 * The organisation index as the primary serves it now (PTR targets, TXT records), read over TCP so
 * a long index is never truncated; the UPDATE's TXT index is built from it. With `want`, what a
 * paged index needs too (docs/records.md, "A paged index"): the pages on the agent's hash path of
 * the organisation index and of its capabilities' indexes, and, when the flat root is full (the
 * next agent splits it), the capabilities of every agent it lists.
 */
export async function readIndexState(zone: string, server: UpdateServer, timeout = 3000, want?: IndexWant): Promise<IndexState> {
  const owner = `_index._agents.${zone === '.' ? '' : zone}`;
  const state: IndexState = { agents: [], txt: [] };
  for (const type of [RRType.PTR, RRType.TXT]) {
    const r = await exchange(server, encodeQuery(owner, type, { rd: false }), { tcp: true, timeout });
    if (r.message.tc && type === RRType.PTR) {
      throw new RegisterError('ERR_REGISTER_REFUSED', `${owner} PTR: ${shown(server)} answered TC=1 over TCP: the index is too large for one message; page it (docs/records.md, "A paged index")`, EXIT_REFUSED);
    }
    for (const rr of r.message.answers) {
      if (rr.type !== type || !nameEquals(rr.name, owner)) continue;
      state.ttl ??= rr.ttl;
      if (type === RRType.TXT) state.txt.push(rr.rdata);
      else state.agents.push(readName(rr.rdata, 0).name);
    }
  }
  if (want === undefined) return state;
  const root = orgIndexRoot(zone);
  const paged = state.agents.some((t) => isPage(t, root));
  const listed = state.agents.some((t) => nameEquals(t, want.name));
  if (!paged && (listed || state.agents.length < PAGE_MAX) && want.capabilities !== undefined) return state;
  const caps = want.capabilities ?? await readCapabilities(want.name, server, timeout);
  state.ownCapabilities = [...caps];
  if (!paged && state.agents.length < PAGE_MAX) return state;
  const hash = entryHash(want.name, zone);
  const paths: IndexPtr[] = [];
  const read: string[] = [root];
  // Down the hash path of one index, from a root whose set is known.
  const down = async (indexRoot: string, rootTargets: readonly string[]): Promise<void> => {
    let parent = rootTargets;
    for (let d = 1; d <= MAX_PAGE_DEPTH; d++) {
      const page = pageOwner(indexRoot, hash, d);
      if (!parent.some((t) => nameEquals(t, page))) return;
      const set = await readPtrs(page, server, timeout);
      read.push(page);
      if (set === undefined) return;
      for (const target of set.targets) paths.push({ owner: page, target });
      parent = set.targets;
    }
  };
  await down(root, state.agents);
  if (paged) {
    for (const cap of new Set(caps)) {
      const capRoot = capIndexRoot(zone, cap);
      if (capRoot === undefined) continue;
      const set = await readPtrs(capRoot, server, timeout);
      read.push(capRoot);
      if (set === undefined) continue;
      for (const target of set.targets) paths.push({ owner: capRoot, target });
      await down(capRoot, set.targets);
    }
  } else if (!listed) {
    // The next agent splits the flat root: the capability indexes are built from every agent's records.
    const agents = state.agents.filter((t) => !isPage(t, root));
    const read = await mapLimit(agents, 16, (a) => readCapabilities(a, server, timeout));
    state.capabilitiesOf = new Map(agents.map((a, i) => [nameKey(a), read[i]!]));
  }
  state.paths = paths;
  state.read = read;
  return state;
}

/** Tries of an UPDATE whose TXT-index prerequisite a concurrent registration broke. */
const INDEX_TRIES = 6;

/**
 * Build (from the index as it is now), send, and try again when the index changed in between.
 * A build may return UPDATEs to send first (a paged index's changes too many for one message):
 * each must succeed, or its RCODE is the answer.
 */
export async function sendWithIndex(build: (index: IndexState) => Buffer | { message: Buffer; before: Buffer[] }, zone: string, opts: SendOptions, want?: IndexWant): Promise<number> {
  let rcode: number = Rcode.SERVFAIL;
  for (let i = 0; i < INDEX_TRIES; i++) {
    // Racing registrations spread out rather than colliding again at once.
    if (i > 0) await new Promise((r) => setTimeout(r, randomInt(10, 50 * i)));
    const index = await readIndexState(zone, opts.server, opts.timeout, want);
    const built = build(index);
    const { message, before } = Buffer.isBuffer(built) ? { message: built, before: [] } : built;
    let failed = false;
    for (const m of before) {
      rcode = await sendUpdate(m, { ...opts, tcp: true });
      if (rcode !== Rcode.NOERROR) {
        failed = true;
        break;
      }
    }
    if (failed) {
      if (rcode === Rcode.NXRRSET || rcode === Rcode.YXRRSET) continue;
      return rcode;
    }
    rcode = await sendUpdate(message, { ...opts, tcp: opts.tcp === true || message.length > 1232 });
    if (rcode !== Rcode.NXRRSET && rcode !== Rcode.YXRRSET) return rcode;
  }
  return rcode;
}
