// `aop serve --dnssec` and its options: where the keys live, the algorithm and layout of keys
// made there, and the signature times; and what they make of the daemon's config.

import { isIP } from 'node:net';
import type { Argv } from 'yargs';
import type { DaemonOptions } from '../../server/daemon.js';
import { DEFAULT_TIMES } from '../../authority/signer.js';
import { parseDuration } from '../../wire/ttl.js';
import { parseListen } from '../../server/listen.js';
import type { Server } from '../../transport/exchange.js';

const ALGORITHMS: Record<string, number> = { ecdsap256sha256: 13, 'ecdsa-p256': 13, '13': 13, ed25519: 15, '15': 15 };

function seconds(value: unknown, flag: string): number {
  const d = parseDuration(String(value), 0x7fffffff);
  if ('error' in d) throw new Error(`${flag} '${String(value)}': ${d.error}`);
  return d.value;
}

export function dnssecOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('dnssec', { type: 'boolean', defaultDescription: 'on with the bundled zones (keys beside the state file), else off', describe: 'Sign every zone served (NSEC3, RFC 9276 parameters), with keys from --key-dir; --no-dnssec turns the bundled world\'s signing off' })
    .option('key-dir', { type: 'string', describe: 'Folder of BIND key files (K<zone>+<alg>+<tag>.key/.private); keys are made there for a zone that has none' })
    .option('dnssec-algorithm', { type: 'string', default: 'ecdsap256sha256', describe: 'Algorithm of keys made here: ecdsap256sha256 (13) or ed25519 (15)' })
    .option('dnssec-keys', { type: 'string', default: 'combined', choices: ['combined', 'split'], describe: 'Keys made here: one combined signing key, or a KSK and a ZSK' })
    .option('dnssec-validity', { type: 'string', default: '14d', describe: 'How long a new signature is valid (seconds or 1w2d3h4m5s)' })
    .option('dnssec-refresh', { type: 'string', default: '5d', describe: 'Re-sign signatures with less than this left' })
    .option('dnssec-backdate', { type: 'string', default: '1h', describe: 'Set signature inception back by this, for clocks behind ours' })
    .option('dnssec-zsk-lifetime', { type: 'string', describe: 'Roll each ZSK (KSK/ZSK split only) by pre-publication after this long, e.g. 90d; off when not given' })
    .option('dnssec-ksk-lifetime', { type: 'string', describe: 'Roll each KSK by double-DS after this long, e.g. 365d: CDS published, switched once the parent has the new DS; with combined keys, the CSK is rolled (published first, then a DS swap through the CDS); off when not given' })
    .option('dnssec-parental-agent', { type: 'string', array: true, default: [] as string[], describe: 'ADDR[:PORT] of a server of the parent zone, asked for our zones\' DS sets (a KSK roll waits on it). Repeat for more' })
    .option('dnssec-cds-scan', { type: 'boolean', default: false, describe: 'Act as parental agent: follow the CDS/CDNSKEY of secure child zones served elsewhere (RFC 7344, 8078)' })
    .option('dnssec-cds-bootstrap', { type: 'boolean', default: false, describe: 'With --dnssec-cds-scan: make an insecure delegation secure from a CDS all its name servers agree on for --dnssec-cds-bootstrap-hold (RFC 8078 3.3)' })
    .option('dnssec-cds-bootstrap-hold', { type: 'string', default: '72h', describe: 'How long the CDS of an insecure child must be seen unchanged before --dnssec-cds-bootstrap takes it' })
    .option('dnssec-cds-port', { type: 'number', default: 53, describe: 'Port the children\'s name servers (from glue) are asked on by --dnssec-cds-scan' })
    .check((a) => {
      if (a.dnssec !== true) return true;
      if (a['dnssec-ksk-lifetime'] !== undefined) {
        if (seconds(a['dnssec-ksk-lifetime'], '--dnssec-ksk-lifetime') < 86400) throw new Error('--dnssec-ksk-lifetime must be at least 1d');
      }
      agents(a['dnssec-parental-agent']);
      if (a['dnssec-cds-bootstrap'] === true && a['dnssec-cds-scan'] !== true) throw new Error('--dnssec-cds-bootstrap needs --dnssec-cds-scan');
      seconds(a['dnssec-cds-bootstrap-hold'] ?? '72h', '--dnssec-cds-bootstrap-hold');
      const port = a['dnssec-cds-port'];
      if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new Error(`--dnssec-cds-port ${String(port)}: a port, 1 to 65535`);
      if (typeof a['key-dir'] !== 'string' || a['key-dir'] === '') throw new Error('--dnssec needs --key-dir DIR (keys are read there, or made there on first start)');
      if (ALGORITHMS[String(a['dnssec-algorithm']).toLowerCase()] === undefined) throw new Error(`--dnssec-algorithm '${String(a['dnssec-algorithm'])}': use ecdsap256sha256 (13) or ed25519 (15)`);
      const validity = seconds(a['dnssec-validity'], '--dnssec-validity');
      const refresh = seconds(a['dnssec-refresh'], '--dnssec-refresh');
      seconds(a['dnssec-backdate'], '--dnssec-backdate');
      if (a['dnssec-zsk-lifetime'] !== undefined && seconds(a['dnssec-zsk-lifetime'], '--dnssec-zsk-lifetime') < 86400) throw new Error('--dnssec-zsk-lifetime must be at least 1d');
      if (!(refresh > 0 && refresh < validity)) throw new Error('--dnssec-refresh must be more than 0 and less than --dnssec-validity');
      // With --workers N the primary makes the keys and the lead worker rolls them (dnssecConfig's role).
      return true;
    });
}

function agents(list: unknown): Server[] {
  return ((list ?? []) as string[]).map((text) => {
    let l: { host: string; port: number };
    try {
      l = parseListen(String(text));
    } catch {
      l = { host: '', port: 53 };
    }
    if (isIP(l.host) === 0) throw new Error(`--dnssec-parental-agent '${String(text)}': an IPv4 or IPv6 address, with :PORT if not 53`);
    return { address: l.host, port: l.port };
  });
}

/** The algorithm and layout of keys made here (the bundled world's too). */
export function keyChoice(a: Record<string, unknown>): { algorithm: number; keyLayout: 'combined' | 'split' } {
  return { algorithm: ALGORITHMS[String(a['dnssec-algorithm'] ?? 'ecdsap256sha256').toLowerCase()] ?? 13, keyLayout: a['dnssec-keys'] === 'split' ? 'split' : 'combined' };
}

/**
 * The daemon's signer config, with --dnssec. `role`: with --workers N, the lead worker's
 * (`leader`: it rolls keys) or another's (`follower`); see SignerOptions.role.
 */
export function dnssecConfig(a: Record<string, unknown>, role?: 'leader' | 'follower'): Pick<DaemonOptions, 'dnssec'> {
  if (a.dnssec !== true) return {};
  return {
    dnssec: {
      ...(role ? { role } : {}),
      keyDir: a['key-dir'] as string,
      algorithm: ALGORITHMS[String(a['dnssec-algorithm']).toLowerCase()]!,
      keyLayout: a['dnssec-keys'] === 'split' ? 'split' : 'combined',
      times: {
        validity: seconds(a['dnssec-validity'] ?? DEFAULT_TIMES.validity, '--dnssec-validity'),
        refresh: seconds(a['dnssec-refresh'] ?? DEFAULT_TIMES.refresh, '--dnssec-refresh'),
        backdate: seconds(a['dnssec-backdate'] ?? DEFAULT_TIMES.backdate, '--dnssec-backdate'),
      },
      ...(a['dnssec-zsk-lifetime'] !== undefined ? { zskLifetime: seconds(a['dnssec-zsk-lifetime'], '--dnssec-zsk-lifetime') } : {}),
      ...(a['dnssec-ksk-lifetime'] !== undefined ? { kskLifetime: seconds(a['dnssec-ksk-lifetime'], '--dnssec-ksk-lifetime') } : {}),
      ...(a['dnssec-ksk-lifetime'] !== undefined || a['dnssec-cds-scan'] === true || agents(a['dnssec-parental-agent']).length > 0
        ? {
          rollover: {
            parentalAgents: agents(a['dnssec-parental-agent']), cdsScan: a['dnssec-cds-scan'] === true, cdsPort: Number(a['dnssec-cds-port'] ?? 53),
            bootstrap: a['dnssec-cds-bootstrap'] === true, bootstrapHold: seconds(a['dnssec-cds-bootstrap-hold'] ?? '72h', '--dnssec-cds-bootstrap-hold'),
          },
        }
        : {}),
    },
  };
}
