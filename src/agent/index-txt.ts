// The organisation's TXT index at `_index._agents.<org>`, beside the PTR set, in the form the
// DNS-AID reference client (dns-aid-core 0.28, indexer.py) reads: character-strings
// `agents=writer:mcp,editor:mcp`, one `label:protocol` entry per agent, the label relative to the
// organisation (the client queries `{label}.{org}`). That client takes the first string that holds
// an entry and ignores the rest, so a long index is split into strings that each start with
// `agents=` and end at an entry boundary: the first string is a valid (partial) index on its own,
// and aop reads them all. Entries are sorted by label, as dns-aid-core's own publisher writes them.

import { isInDomain, nameEquals } from '../wire/name.js';
import { AgentRecordError } from './errors.js';

export const INDEX_TXT_PREFIX = 'agents=';
/** One character-string (RFC 1035 3.3). */
const MAX_STRING = 255;
/** The protocol token every aop agent is listed with (its SVCB carries alpn "mcp" and bap "mcp"). */
export const INDEX_PROTOCOL = 'mcp';

export interface IndexEntry {
  /** Relative to the organisation: `writer`, or `team.writer` for a deeper name. */
  label: string;
  protocol: string;
}

/** The index entry of an agent name inside `org` (`writer.acme.agents.` -> `writer`). */
export function indexLabel(name: string, org: string): string {
  if (nameEquals(name, org) || !isInDomain(name, org)) {
    throw new AgentRecordError('ERR_AGENT_BAD_CARD', `${name} is not below the organisation ${org}; its TXT index cannot list it`);
  }
  const rel = org === '.' ? name.slice(0, -1) : name.slice(0, name.length - org.length - 1);
  return rel.toLowerCase();
}

/**
 * The index's character-strings for these agent names (absolute, inside `org`): sorted by label,
 * duplicates dropped, packed greedily into strings of at most 255 octets that each start with
 * `agents=`. No names: no strings (the TXT index is removed with the last agent).
 */
export function indexStrings(names: readonly string[], org: string): string[] {
  const labels = [...new Set(names.map((n) => indexLabel(n, org)))].sort();
  const out: string[] = [];
  let cur = '';
  for (const label of labels) {
    const entry = `${label}:${INDEX_PROTOCOL}`;
    if (INDEX_TXT_PREFIX.length + entry.length > MAX_STRING) {
      // Cannot happen for host-name labels under a 255-octet name, but say so rather than truncate.
      throw new AgentRecordError('ERR_AGENT_BAD_CARD', `${label}: an index entry of ${entry.length} octets does not fit one TXT string`);
    }
    if (cur !== '' && cur.length + 1 + entry.length > MAX_STRING) {
      out.push(cur);
      cur = '';
    }
    cur = cur === '' ? INDEX_TXT_PREFIX + entry : `${cur},${entry}`;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** TXT RDATA holding these character-strings (each at most 255 octets, ASCII). */
export function indexTxtRdata(strings: readonly string[]): Buffer {
  return Buffer.concat(strings.map((s) => {
    const b = Buffer.from(s, 'latin1');
    return Buffer.concat([Buffer.from([b.length]), b]);
  }));
}

/** The character-strings of TXT RDATA; undefined when it is malformed. */
function strings(rdata: Buffer): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < rdata.length;) {
    const n = rdata[i]!;
    if (i + 1 + n > rdata.length) return undefined;
    out.push(rdata.subarray(i + 1, i + 1 + n).toString('latin1'));
    i += 1 + n;
  }
  return out;
}

/** Entries of one `agents=` string, parsed as dns-aid-core does (others give none). */
export function parseIndexString(s: string): IndexEntry[] {
  if (!s.startsWith(INDEX_TXT_PREFIX)) return [];
  const out: IndexEntry[] = [];
  for (const part of s.slice(INDEX_TXT_PREFIX.length).split(',')) {
    const i = part.indexOf(':');
    if (i < 0) continue;
    const label = part.slice(0, i).trim();
    const protocol = part.slice(i + 1).trim().toLowerCase();
    if (label !== '' && protocol !== '') out.push({ label, protocol });
  }
  return out;
}

/** Every entry of the TXT index records (aop reads all strings of all records), in order. */
export function parseIndexTxt(rdatas: readonly Buffer[]): IndexEntry[] {
  return rdatas.flatMap((r) => (strings(r) ?? []).flatMap(parseIndexString));
}

/**
 * What dns-aid-core 0.28 sees: the entries of the first string, over the records in answer order,
 * that holds any (read_index_via_dns); the rest is never read.
 */
export function dnsAidIndexView(rdatas: readonly Buffer[]): IndexEntry[] {
  for (const r of rdatas) {
    for (const s of strings(r) ?? []) {
      const e = parseIndexString(s);
      if (e.length > 0) return e;
    }
  }
  return [];
}

/** What a crawler or the gateway takes from one TXT index record. */
export interface IndexRecordRead {
  /** Some string of the record starts `agents=` (its TTL then counts for the index). */
  indexed: boolean;
  /** The labels of its `mcp` entries, in order. */
  labels: string[];
  /** `mcp` entries (trimmed) whose label is no DNS label: the caller reports them. */
  notLabels: string[];
}

const INDEX_LABEL = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;

/** Every `agents=` string of one TXT record, read leniently (a short last string is read as far as it goes). */
export function readIndexRecord(rdata: Buffer): IndexRecordRead {
  const out: IndexRecordRead = { indexed: false, labels: [], notLabels: [] };
  for (let i = 0; i < rdata.length; i += 1 + rdata[i]!) {
    const text = rdata.subarray(i + 1, i + 1 + rdata[i]!).toString('latin1');
    if (!text.startsWith(INDEX_TXT_PREFIX)) continue;
    out.indexed = true;
    for (const entry of text.slice(INDEX_TXT_PREFIX.length).split(',')) {
      const [label, proto] = entry.trim().split(':', 2).map((x) => x.trim());
      if (!label || proto?.toLowerCase() !== INDEX_PROTOCOL) continue;
      if (INDEX_LABEL.test(label)) out.labels.push(label);
      else out.notLabels.push(entry.trim());
    }
  }
  return out;
}
