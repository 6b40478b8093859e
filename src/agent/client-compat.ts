// What other clients refuse in an agent SVCB record that aop itself reads: the rules of the DNS-AID
// reference client (dns-aid-core 0.28, src/dns_aid/core/discoverer.py, bap.py, models.py) and of
// any RFC 9460 client for `mandatory`. The zone check (zone-check.ts) turns each into a warning;
// docs/records.md, "Which client reads which record", says where each rule comes from.

import { keyLabel, mandatoryKeys, SvcKey, type SvcbData } from './svcb.js';
import { show } from './values.js';

/** One thing a client other than aop refuses, as a warning code and a sentence part. */
export interface ClientProblem {
  code: 'ERR_AGENT_ZONE_DNSAID_TARGET' | 'ERR_AGENT_ZONE_DNSAID_CAP' | 'ERR_AGENT_ZONE_DNSAID_BAP' | 'ERR_AGENT_ZONE_MANDATORY_PRIVATE';
  message: string;
}

/** RFC 9460's private-use SvcParamKeys. */
const PRIVATE_FIRST = 65280;
const PRIVATE_LAST = 65534;

/** dns-aid-core's bap.py BAP_VALUE_PATTERN and length limit: a lowercase token, optionally `=version`. */
const DNS_AID_BAP = /^[a-z][a-z0-9]*(=[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$/;
const DNS_AID_BAP_MAX = 128;

/**
 * Why a `bap` value fails dns-aid-core 0.28, or undefined. Its normalize_bap strips white space and
 * keeps the first item of a comma list (dropping the rest); validate_bap then refuses anything
 * else outside the pattern, and the record with it.
 */
export function dnsAidBapProblem(value: string): string | undefined {
  const stripped = value.trim();
  if (stripped === '') return undefined; // read as no bap at all
  const items = stripped.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const first = items[0] ?? '';
  const drops = first.length > DNS_AID_BAP_MAX || !DNS_AID_BAP.test(first);
  if (items.length > 1) {
    return drops
      ? `holds ${items.length} tokens; dns-aid-core keeps the first, ${show(first)}, which it refuses with the record`
      : `holds ${items.length} tokens; dns-aid-core keeps only ${show(first)} (one protocol per record: publish one SVCB record per protocol)`;
  }
  if (!drops) return undefined;
  if (/\s/.test(first)) return `holds ${first.split(/\s+/).length} tokens; dns-aid-core refuses the record (one token: "mcp" or "mcp=1.0")`;
  return 'is not one token of the form "mcp" or "mcp=1.0"; dns-aid-core refuses the record';
}

/**
 * What DNS-AID and RFC 9460 clients refuse in one ServiceMode agent record of `owner`
 * (`label` names the record in messages, as `writer.acme.agents. SVCB 1`).
 */
export function dnsAidProblems(label: string, svcb: SvcbData): ClientProblem[] {
  const out: ClientProblem[] = [];
  const p = svcb.params;
  if (svcb.target === '.') {
    // The label names the target already when another record shares the priority.
    const named = label.endsWith(' .') ? label : `${label} .`;
    out.push({ code: 'ERR_AGENT_ZONE_DNSAID_TARGET', message: `${named}: TargetName "." (the agent's own name); DNS-AID clients (dns-aid-core) build an empty host from it and drop the record; name the host instead` });
  }
  const mandatory = p.get(SvcKey.mandatory);
  if (mandatory !== undefined) {
    const priv = mandatoryKeys(mandatory).filter((k) => k >= PRIVATE_FIRST && k <= PRIVATE_LAST);
    if (priv.length > 0) {
      out.push({ code: 'ERR_AGENT_ZONE_MANDATORY_PRIVATE', message: `${label}: mandatory lists private-use keys (${priv.map(keyLabel).join(', ')}); every RFC 9460 client that does not implement them drops the record, DNS-AID clients included` });
    }
  }
  const cap = p.get(SvcKey.cap);
  if (cap !== undefined) {
    const v = cap.toString('latin1');
    // dns-aid-core: `cap_uri.lower().startswith("https://")`, else the document is never fetched.
    if (!v.toLowerCase().startsWith('https://')) {
      out.push({ code: 'ERR_AGENT_ZONE_DNSAID_CAP', message: `${label}: ${keyLabel(SvcKey.cap)} ${show(v)} is not an https URL; DNS-AID clients fetch the capability document only over https, so they never see the path in it` });
    }
  }
  const bap = p.get(SvcKey.bap);
  if (bap !== undefined) {
    const v = bap.toString('latin1');
    const why = dnsAidBapProblem(v);
    if (why !== undefined) out.push({ code: 'ERR_AGENT_ZONE_DNSAID_BAP', message: `${label}: ${keyLabel(SvcKey.bap)} ${show(v)} ${why}` });
  }
  return out;
}
