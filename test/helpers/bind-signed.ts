// A DNSSEC hierarchy signed by BIND's tools, for validation tests: keys from `dnssec-keygen`
// (made by the test, in its own temp folder: no private key is ever committed), zones signed by
// `dnssec-signzone`, DS records from `dnssec-dsfromkey`. The root `.` delegates `org.`, which
// delegates children that are each a case: signed well (NSEC3 or NSEC), unsigned, signed with
// NSEC3 opt-out above an unsigned grandchild, and broken ones (expired or not yet valid
// signatures, RRSIGs stripped, data signed by a key the DNSKEY set lacks, a DS that matches no
// key, NSEC3 records removed).

import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { run } from './peers.js';

/** Where the servers listen, in the test's leased /24: root, org, the children, the opt-out grandchild. */
export const HOSTS = { root: 2, org: 3, kids: 4, grandkid: 5 } as const;

export interface SignedHierarchy {
  /** Zone texts as served, by origin without the trailing dot ('' for the root). */
  root: string;
  org: string;
  /** Served together on HOSTS.kids. */
  kids: Record<string, string>;
  /** child.optout.org, on HOSTS.grandkid. */
  grandkid: string;
  /** The root KSK's DS, in zone-file syntax: the trust anchor. */
  anchor: string;
  /** Root hints for aop (`. NS` and the server's address). */
  hints: string;
}

type Denial = 'nsec3' | 'nsec' | 'optout';

async function tool(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args, 60_000);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A key for `zone` in `dir` (KSK flag when `ksk`); returns the base path of its files. */
async function keygen(dir: string, zone: string, ksk: boolean): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const out = await tool('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', ...(ksk ? ['-f', 'KSK'] : []), '-n', 'ZONE', zone]);
  return path.join(dir, out.trim());
}

async function ds(keyBase: string): Promise<string> {
  return (await tool('dnssec-dsfromkey', ['-2', `${keyBase}.key`])).trim();
}

/** Sign `text` for `zone` with the keys in `keyDir` (one-line records, -O full). */
async function sign(dir: string, zone: string, text: string, keyDir: string, denial: Denial, extra: string[] = []): Promise<string> {
  const name = zone === '.' ? 'root' : zone.replace(/\.$/, '');
  const file = path.join(dir, `${name}.zone`);
  writeFileSync(file, text);
  const out = `${file}.signed`;
  const nsec = denial === 'nsec' ? [] : ['-3', '-', '-H', '0', ...(denial === 'optout' ? ['-A'] : [])];
  // One key per zone but the root's: -z lets a KSK sign everything (a combined signing key).
  const ksks = readdirSync(keyDir).filter((f) => f.endsWith('.key')).length === 1 ? ['-z'] : [];
  // -d: its dsset- files go beside the zone, not into the working directory (the checkout).
  await tool('dnssec-signzone', ['-q', '-S', '-K', keyDir, '-d', dir, '-O', 'full', '-o', zone, '-f', out, ...ksks, ...nsec, ...extra, file]);
  return readFileSync(out, 'utf8');
}

function zone(origin: string, nsAddr: string, body: string[]): string {
  return [
    '$TTL 300',
    `${origin} IN SOA ns.${origin} hostmaster.${origin} 1 3600 600 86400 300`,
    `${origin} IN NS ns.${origin}`,
    `ns.${origin} IN A ${nsAddr}`,
    ...body,
  ].join('\n') + '\n';
}

/** The agent every leaf zone publishes: `writer.<zone>`, an MCP endpoint at `mcp.<zone>` (AGENT_PORT). */
export const AGENT_PORT = 18101;

const withoutTypes = (text: string, types: string[]): string =>
  text.split('\n').filter((l) => {
    const f = l.trim().split(/\s+/);
    // owner ttl class type ...; RRSIG's covered type is the field after.
    return !(types.includes(f[3] ?? '') || (f[3] === 'RRSIG' && types.includes(f[4] ?? '')));
  }).join('\n');

const only = (text: string, types: string[]): string[] =>
  text.split('\n').filter((l) => {
    const f = l.trim().split(/\s+/);
    return types.includes(f[3] ?? '') || (f[3] === 'RRSIG' && types.includes(f[4] ?? ''));
  });

/**
 * Build and sign the whole hierarchy for the servers in `net` (`127.A.B.`), in `dir`. With
 * `agentAt`, every leaf zone also publishes the agent `writer.<zone>` with its endpoint there.
 */
export async function signedHierarchy(dir: string, net: string, opts: { agentAt?: string } = {}): Promise<SignedHierarchy> {
  const at = (h: number) => `${net}${h}`;
  /** The ordinary contents of a leaf zone: an address, a wildcard, an empty non-terminal, the agent. */
  const leaf = (origin: string, nsAddr: string, more: string[] = []): string => zone(origin, nsAddr, [
    ...(opts.agentAt === undefined ? [] : [
      `writer.${origin} IN SVCB 1 mcp.${origin} alpn="mcp" port=${AGENT_PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"`,
      `mcp.${origin} IN A ${opts.agentAt}`,
    ]),
    `www.${origin} IN A 192.0.2.1`,
    `www.${origin} IN TXT "hello"`,
    `*.wild.${origin} IN A 192.0.2.2`,
    `sub.deep.${origin} IN A 192.0.2.3`,
    `dname.${origin} IN DNAME wild.${origin}`,
    ...more,
  ]);
  const kidsAddr = at(HOSTS.kids);
  const keys = (z: string) => path.join(dir, 'keys', z === '.' ? 'root' : z.replace(/\.$/, ''));
  const kids: Record<string, string> = {};
  const delegations: string[] = [];
  const delegate = (z: string, dsLines: string[]) => {
    delegations.push(`${z} IN NS ns.${z}`, `ns.${z} IN A ${kidsAddr}`, ...dsLines);
  };

  // Signed well: NSEC3 (as aop signs) and NSEC. Each delegates an unsigned child served on the
  // same server (no referral between them): unsignedkid.<zone>.
  for (const [z, denial] of [['secure.org.', 'nsec3'], ['nsec.org.', 'nsec']] as const) {
    const k = await keygen(keys(z), z, true);
    const kid = `unsignedkid.${z}`;
    kids[z] = await sign(dir, z, leaf(z, kidsAddr, [`${kid} IN NS ns.${kid}`, `ns.${kid} IN A ${kidsAddr}`]), keys(z), denial);
    kids[kid] = leaf(kid, kidsAddr);
    delegate(z, [await ds(k)]);
  }
  // Unsigned, no DS at org: org's NSEC3 proves there is none.
  kids['unsigned.org.'] = leaf('unsigned.org.', kidsAddr);
  delegate('unsigned.org.', []);
  // A DS of an algorithm no validator implements (253, private): the child is insecure (RFC 4035 5.2).
  kids['unsupported.org.'] = leaf('unsupported.org.', kidsAddr);
  delegate('unsupported.org.', [`unsupported.org. IN DS 12345 253 2 ${'AB'.repeat(32)}`]);
  // Opt-out: optout.org is signed with NSEC3 opt-out and delegates the unsigned child.optout.org.
  {
    const z = 'optout.org.';
    const k = await keygen(keys(z), z, true);
    const text = leaf(z, kidsAddr, [`child.${z} IN NS ns.child.${z}`, `ns.child.${z} IN A ${at(HOSTS.grandkid)}`]);
    kids[z] = await sign(dir, z, text, keys(z), 'optout');
    delegate(z, [await ds(k)]);
  }
  const grandkid = leaf('child.optout.org.', at(HOSTS.grandkid));
  // Expired: every signature ended in 2020.
  {
    const z = 'expired.org.';
    const k = await keygen(keys(z), z, true);
    kids[z] = await sign(dir, z, leaf(z, kidsAddr), keys(z), 'nsec3', ['-P', '-s', '20200101000000', '-e', '20200201000000']);
    delegate(z, [await ds(k)]);
  }
  // Not yet valid: every signature starts in 2030.
  {
    const z = 'future.org.';
    const k = await keygen(keys(z), z, true);
    kids[z] = await sign(dir, z, leaf(z, kidsAddr), keys(z), 'nsec3', ['-P', '-s', '20300101000000', '-e', '20300201000000']);
    delegate(z, [await ds(k)]);
  }
  // Stripped: signed, then the RRSIGs over its A records removed (what a downgrading middlebox does).
  {
    const z = 'stripped.org.';
    const k = await keygen(keys(z), z, true);
    const signed = await sign(dir, z, leaf(z, kidsAddr), keys(z), 'nsec3');
    kids[z] = signed.split('\n').filter((l) => { const f = l.trim().split(/\s+/); return !(f[3] === 'RRSIG' && f[4] === 'A'); }).join('\n');
    delegate(z, [await ds(k)]);
  }
  // A signer that is no zone: www's RRSIG A replaced by one from a key of "www.forged.org", a
  // name inside forged.org with no delegation (its proof of no DS has no NS bit).
  {
    const z = 'forged.org.';
    const k = await keygen(keys(z), z, true);
    const signed = await sign(dir, z, leaf(z, kidsAddr), keys(z), 'nsec3');
    const fake = `www.${z}`;
    await keygen(keys(fake), fake, true);
    const fakeSigned = await sign(dir, fake, zone(fake, kidsAddr, [`${fake} IN A 192.0.2.1`]), keys(fake), 'nsec3');
    const isRrsigA = (l: string, owner: string) => { const f = l.trim().split(/\s+/); return f[0] === owner && f[3] === 'RRSIG' && f[4] === 'A'; };
    const forgedSig = fakeSigned.split('\n').filter((l) => isRrsigA(l, fake));
    kids[z] = [...signed.split('\n').filter((l) => !isRrsigA(l, fake)), ...forgedSig].join('\n') + '\n';
    delegate(z, [await ds(k)]);
  }
  // Wrong key: the DNSKEY set (key A, matching the DS) is good, but the data is signed by key B, absent from it.
  {
    const z = 'wrongkey.org.';
    const a = await keygen(keys(z), z, true);
    const withA = await sign(dir, z, leaf(z, kidsAddr), keys(z), 'nsec3');
    const otherDir = `${keys(z)}-other`;
    await keygen(otherDir, z, true);
    const withB = await sign(dir, z, leaf(z, kidsAddr), otherDir, 'nsec3');
    kids[z] = [...only(withA, ['DNSKEY']), withoutTypes(withB, ['DNSKEY'])].join('\n') + '\n';
    delegate(z, [await ds(a)]);
  }
  // DS mismatch: the zone is signed well, but the DS at org has a digest of nothing it holds.
  {
    const z = 'dsmismatch.org.';
    const k = await keygen(keys(z), z, true);
    kids[z] = await sign(dir, z, leaf(z, kidsAddr), keys(z), 'nsec3');
    const good = await ds(k);
    // Flip the digest's last hex digit.
    delegate(z, [good.replace(/([0-9A-F])$/i, (d) => (d.toUpperCase() === '0' ? '1' : '0'))]);
  }
  // NSEC3 missing: signed, then its NSEC3 (and NSEC3PARAM) records removed, so denials carry no proof.
  {
    const z = 'nonsec.org.';
    const k = await keygen(keys(z), z, true);
    kids[z] = withoutTypes(await sign(dir, z, leaf(z, kidsAddr), keys(z), 'nsec3'), ['NSEC3', 'NSEC3PARAM']);
    delegate(z, [await ds(k)]);
  }

  const orgKey = await keygen(keys('org.'), 'org.', true);
  const org = await sign(dir, 'org.', zone('org.', at(HOSTS.org), delegations), keys('org.'), 'nsec3');
  const rootKsk = await keygen(keys('.'), '.', true);
  await keygen(keys('.'), '.', false);
  const rootText = [
    '$TTL 300',
    '. IN SOA a.root-servers.net. hostmaster.root-servers.net. 1 3600 600 86400 300',
    '. IN NS a.root-servers.net.',
    `a.root-servers.net. IN A ${at(HOSTS.root)}`,
    'org. IN NS ns.org.',
    `ns.org. IN A ${at(HOSTS.org)}`,
    await ds(orgKey),
  ].join('\n') + '\n';
  const root = await sign(dir, '.', rootText, keys('.'), 'nsec');
  return {
    root, org, kids, grandkid,
    anchor: (await ds(rootKsk)) + '\n',
    hints: `. 3600000 IN NS a.root-servers.net.\na.root-servers.net. 3600000 IN A ${at(HOSTS.root)}\n`,
  };
}
