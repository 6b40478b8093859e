// The common parts of NSD, Knot and Unbound configurations for the peers that tests and
// benchmarks start on loopback: no chroot, no user switch, every file in the peer's own folder.
// Plain JavaScript so that both the tap tests (.ts) and the benchmarks (plain node) import it.

import path from 'node:path';

/**
 * NSD's `server:` and `remote-control:` sections. `listen` is "addr" or "addr@port" per entry.
 * Response-rate limiting is off: on by default, it drops identical answers to one source past
 * ~200 qps, which would look like lost queries.
 */
export function nsdServerConf({ dir, listen, port, workers = 1, verbosity = 1, extra = [] }) {
  return [
    'server:',
    ...listen.map((a) => `  ip-address: ${a}`),
    ...(port === undefined ? [] : [`  port: ${port}`]),
    '  do-ip6: no',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${dir}"`,
    '  database: ""',
    `  pidfile: "${path.join(dir, 'nsd.pid')}"`,
    `  xfrdfile: "${path.join(dir, 'xfrd.state')}"`,
    `  xfrdir: "${dir}"`,
    `  zonelistfile: "${path.join(dir, 'zone.list')}"`,
    `  server-count: ${workers}`,
    `  verbosity: ${verbosity}`,
    '  rrl-ratelimit: 0',
    '  rrl-whitelist-ratelimit: 0',
    ...extra.map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
  ];
}

/** Knot's `server:`, `log:`, `database:` and `control:` sections; `listen` entries are "addr@port". */
export function knotServerConf({ dir, listen, workers = 1, log = 'info' }) {
  return [
    'server:',
    `    rundir: "${dir}"`,
    `    pidfile: "${path.join(dir, 'knot.pid')}"`,
    ...listen.map((a) => `    listen: ${a}`),
    `    udp-workers: ${workers}`,
    '    tcp-workers: 1',
    '    background-workers: 1',
    'log:',
    '  - target: stderr',
    `    any: ${log}`,
    'database:',
    `    storage: "${dir}"`,
    'control:',
    `    listen: "${path.join(dir, 'knot.sock')}"`,
  ];
}

/**
 * Unbound's `server:` section (`modules`, default iterator only: no validation; loopback servers allowed and
 * loopback clients let in), `extra` server options, `remote-control:` off, then a stub-zone per
 * entry of `stubs` (zone -> ["addr" or "addr@port", ...]).
 */
export function unboundConf({ dir, address, port, workers = 1, verbosity = 1, extra = [], stubs = {}, modules = 'iterator' }) {
  const lines = [
    'server:',
    `  interface: ${address}`,
    ...(port === undefined ? [] : [`  port: ${port}`]),
    '  do-ip6: no',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${path.join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    `  verbosity: ${verbosity}`,
    `  num-threads: ${workers}`,
    `  module-config: "${modules}"`,
    // Unbound refuses to ask servers on loopback by default.
    '  do-not-query-localhost: no',
    '  access-control: 127.0.0.0/8 allow',
    ...extra.map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
  ];
  for (const [zone, addrs] of Object.entries(stubs)) lines.push('stub-zone:', `  name: "${zone}"`, ...addrs.map((a) => `  stub-addr: ${a}`));
  return lines;
}
