// Run dig or kdig against a test server and parse what they print into sections and flags.

import { run } from './peers.js';

export interface DigResult {
  opcode: string;
  status: string;
  flags: Set<string>;
  answer: string[];
  authority: string[];
  additional: string[];
  raw: string;
  code: number;
}

/** Records as `name ttl class type rdata`, whitespace collapsed. */
function section(out: string, header: RegExp): string[] {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) return [];
  const recs: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '' || l.startsWith(';;')) break;
    if (l.startsWith(';')) continue;
    recs.push(l.trim().split(/\s+/).join(' '));
  }
  return recs;
}

export function parseDig(out: string, code = 0): DigResult {
  const h = /opcode: (\w+), status: (\w+)/.exec(out) ?? /;; ->>HEADER<<- opcode: (\w+); status: (\w+)/.exec(out);
  const f = /;; [Ff]lags: ([^;]*);/.exec(out);
  return {
    opcode: h?.[1] ?? '',
    status: h?.[2] ?? '',
    flags: new Set((f?.[1] ?? '').trim().split(/\s+/).filter(Boolean)),
    answer: section(out, /^;; ANSWER SECTION:/),
    authority: section(out, /^;; AUTHORITY SECTION:/),
    additional: section(out, /^;; ADDITIONAL SECTION:/).filter((l) => !l.includes(' OPT ')),
    raw: out,
    code,
  };
}

// One try, waiting up to 5 s: a backstop (servers on loopback answer in a millisecond, but a
// loaded machine running many digs at once can be slow to). `args` may override it.
export async function dig(port: number, args: string[], host = '127.0.0.1'): Promise<DigResult> {
  const r = await run('dig', [`@${host}`, '-p', String(port), '+norec', '+nocookie', '+time=5', '+tries=1', ...args]);
  return parseDig(r.stdout, r.code);
}

export async function kdig(port: number, args: string[], host = '127.0.0.1'): Promise<DigResult> {
  const r = await run('kdig', [`@${host}`, '-p', String(port), '+norec', '+time=5', '+retry=0', ...args]);
  return parseDig(r.stdout, r.code);
}
