// The validator's view of our own zones: a question about a name a served zone holds is answered
// from that zone (signed, as to a client with DO=1) instead of being resolved from the root hints,
// as BIND and Unbound validate their own auth-zones. The embedded default signs the bundled zones
// and serves them beside its resolver; without this, checking `writer.acme.agents` would mean
// asking 127.0.0.2 for the DNSKEY of `agents.`, which nobody serves there.

import { Authority } from '../authority/answer.js';
import type { Catalog } from '../authority/catalog.js';
import type { LocalAnswers } from '../resolver/validate/index.js';
import type { Resolution } from '../resolver/resolver.js';
import { labelCount } from '../wire/name.js';

export class CatalogAnswers implements LocalAnswers {
  private readonly authority: Authority;

  constructor(private readonly catalog: Catalog) {
    this.authority = new Authority(catalog);
  }

  /** The authoritative, signed answer when a served zone holds the name; undefined for a referral away or no zone. */
  answer(name: string, type: number): Resolution | undefined {
    if (!this.catalog.find(name)) return undefined;
    const a = this.authority.answer(name, type, { dnssecOk: true });
    // A referral (AA clear) says the data lives in a zone not served here: the resolver finds it.
    if (!a.aa) return undefined;
    return { rcode: a.rcode, answer: a.answer, authority: a.authority, stale: false };
  }

  /** The served zone holding `name`, unless `known` (the resolver's deepest cut) is deeper. */
  zoneOf(name: string, known: string): string {
    const zone = this.catalog.find(name);
    if (!zone) return known;
    return labelCount(known) > labelCount(zone.origin) ? known : zone.origin;
  }
}
