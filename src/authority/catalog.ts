// The set of zones served authoritatively; finds the most specific zone for a name.

import { nameKey, parentName } from '../wire/name.js';
import type { Zone } from '../zone/zone.js';

export class Catalog {
  private readonly zones = new Map<string, Zone>();
  /**
   * What is served for a stored zone version: the zone itself, or with `aop serve --dnssec` its
   * signed form (src/authority/signer.ts). Updates and reloads see the stored zone; answers and
   * transfers see this.
   */
  view: (zone: Zone) => Zone = (zone) => zone;
  /** Whether `view` signs: IXFR then sends whole zones, the journals holding unsigned changes. */
  signing = false;

  constructor(zones: Iterable<Zone> = []) {
    for (const z of zones) this.set(z);
  }

  /** Add or replace the zone with this origin. */
  set(zone: Zone): void {
    this.zones.set(zone.originKey, zone);
  }

  delete(origin: string): boolean {
    return this.zones.delete(nameKey(origin));
  }

  get(origin: string): Zone | undefined {
    return this.zones.get(nameKey(origin));
  }

  /** The zone whose origin is the longest suffix of `name`, walking up one label at a time. */
  find(name: string): Zone | undefined {
    if (this.zones.size === 0) return undefined;
    let cur: string | undefined = nameKey(name);
    while (cur !== undefined) {
      const z = this.zones.get(cur);
      if (z) return z;
      cur = parentName(cur);
    }
    return undefined;
  }

  /** Zone strictly above `origin`'s zone, for the parent side of a delegation. */
  findParent(origin: string): Zone | undefined {
    const p = parentName(origin);
    return p === undefined ? undefined : this.find(p);
  }

  /** find() as served (see `view`). */
  findServed(name: string): Zone | undefined {
    const z = this.find(name);
    return z && this.view(z);
  }

  /** get() as served (see `view`). */
  getServed(origin: string): Zone | undefined {
    const z = this.get(origin);
    return z && this.view(z);
  }

  get size(): number {
    return this.zones.size;
  }

  list(): Zone[] {
    return [...this.zones.values()];
  }
}
