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
import { nameEquals, readName } from '../wire/name.js';
import type { IndexState } from './build.js';

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

/**
 * The organisation index as the primary serves it now (PTR targets, TXT records), read over TCP so
 * a long index is never truncated; the UPDATE's TXT index is built from it.
 */
export async function readIndexState(zone: string, server: UpdateServer, timeout = 3000): Promise<IndexState> {
  const owner = `_index._agents.${zone === '.' ? '' : zone}`;
  const state: IndexState = { agents: [], txt: [] };
  for (const type of [RRType.PTR, RRType.TXT]) {
    const r = await exchange(server, encodeQuery(owner, type, { rd: false }), { tcp: true, timeout });
    for (const rr of r.message.answers) {
      if (rr.type !== type || !nameEquals(rr.name, owner)) continue;
      state.ttl ??= rr.ttl;
      if (type === RRType.TXT) state.txt.push(rr.rdata);
      else state.agents.push(readName(rr.rdata, 0).name);
    }
  }
  return state;
}

/** Tries of an UPDATE whose TXT-index prerequisite a concurrent registration broke. */
const INDEX_TRIES = 6;

/** Build (from the index as it is now), send, and try again when the index changed in between. */
export async function sendWithIndex(build: (index: IndexState) => Buffer, zone: string, opts: SendOptions): Promise<number> {
  let rcode: number = Rcode.SERVFAIL;
  for (let i = 0; i < INDEX_TRIES; i++) {
    // Racing registrations spread out rather than colliding again at once.
    if (i > 0) await new Promise((r) => setTimeout(r, randomInt(10, 50 * i)));
    const index = await readIndexState(zone, opts.server, opts.timeout);
    rcode = await sendUpdate(build(index), opts);
    if (rcode !== Rcode.NXRRSET && rcode !== Rcode.YXRRSET) return rcode;
  }
  return rcode;
}
