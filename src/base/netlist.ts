// Lists of client networks (`10.0.0.0/8`, `fd00::/8`, a bare address): one parser and one matcher
// for the resolver's --allow and the transfer ACL. Matching is node's BlockList, so any spelling of
// an IPv6 address matches, and an IPv4-mapped client (::ffff:a.b.c.d from a dual-stack socket) is
// judged as the IPv4 address it is.

import { BlockList, isIP } from 'node:net';

export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * `ADDR/PREFIX` or a bare `ADDR` (a /32 or /128) as a network, or why not: `address` when the part
 * before the slash is no IP address, `prefix` when the length is not a whole number 0 to `max`.
 * Callers say it in their own words (their option's name, their error code).
 */
export function parseNetwork(text: string): Network | { fault: 'address' } | { fault: 'prefix'; max: 32 | 128 } {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return { fault: 'address' };
  const max = v === 4 ? 32 : 128;
  const bits = slash < 0 ? String(max) : text.slice(slash + 1);
  const prefix = Number(bits);
  if (!/^\d+$/.test(bits) || prefix > max) return { fault: 'prefix', max };
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** `::ffff:a.b.c.d` as `a.b.c.d`; any other address as given. */
export function unmapIPv4(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** Networks to test client addresses against. */
export class NetworkList {
  private readonly list = new BlockList();
  private count = 0;

  add(net: Network): void {
    this.list.addSubnet(net.address, net.prefix, net.family);
    this.count++;
  }

  /** Add a single address (a /32 or /128); a string that is no IP address is ignored. */
  addAddress(address: string): void {
    const v = isIP(address);
    if (v === 0) return;
    this.list.addAddress(address, v === 4 ? 'ipv4' : 'ipv6');
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Whether `address` is in one of the networks; an IPv4-mapped address is judged as IPv4, a non-address is in none. */
  contains(address: string): boolean {
    const addr = unmapIPv4(address);
    const v = isIP(addr);
    return v !== 0 && this.list.check(addr, v === 4 ? 'ipv4' : 'ipv6');
  }
}
