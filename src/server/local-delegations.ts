// The resolver's view of our own zones: for a name below a delegation that one of the served
// zones makes to a zone not served here, that cut's NS names and the addresses our zones hold
// for them (glue). The resolver starts there instead of at the root hints, as BIND starts
// from its own authoritative data; the catalog is read on every call, so a reload is seen at once.

import type { Catalog } from '../authority/catalog.js';
import { addressText } from '../resolver/classify.js';
import type { LocalDelegations, StartingCut } from '../resolver/resolver.js';
import { labelCount, nameKey, parentName, readName } from '../wire/name.js';
import { RRType } from '../wire/types.js';

export class CatalogDelegations implements LocalDelegations {
  constructor(private readonly catalog: Catalog) {}

  delegationFor(name: string): StartingCut | undefined {
    const zone = this.catalog.find(name);
    if (!zone || !zone.hasCuts) return undefined;
    // The topmost cut between the apex and the name: everything below it is the child's.
    const apexLabels = labelCount(zone.origin);
    let cut: string | undefined;
    for (let n: string | undefined = name; n !== undefined && labelCount(n) > apexLabels; n = parentName(n)) {
      if (zone.isCut(nameKey(n))) cut = n;
    }
    if (cut === undefined) return undefined;
    const ns = zone.rrset(cut, RRType.NS);
    if (!ns) return undefined;
    const servers = ns.rdata.map((rdata) => {
      const host = readName(rdata, 0).name;
      const addresses: string[] = [];
      // Glue in this zone, or the host's addresses in another zone we serve.
      const node = this.catalog.find(host)?.node(host);
      for (const t of [RRType.A, RRType.AAAA]) {
        for (const d of node?.rrsets.get(t)?.rdata ?? []) {
          const a = addressText(t, d);
          if (a !== undefined) addresses.push(a);
        }
      }
      return { name: host, addresses };
    });
    return { zone: ns.name, servers };
  }
}
