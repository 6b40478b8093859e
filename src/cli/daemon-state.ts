// The running daemon announces itself in a small JSON file, so `aop dig`, `aop call`, `aop cache`
// and `aop reload` find it with no flags: $AOP_STATE_FILE, else $XDG_RUNTIME_DIR/aop/daemon.json,
// else /tmp/aop-<uid>/daemon.json. The embedded default's control socket sits beside it
// (control.sock). The file is removed on exit; one whose pid is not alive is stale and ignored.

import { atomicWrite } from '../base/atomic-write.js';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface DaemonState {
  pid: number;
  /** Where the daemon answers DNS (the first listen address). */
  dns: { address: string; port: number };
  /** The MCP gateway's URL, when it runs. */
  mcp?: string;
  /** The zones the gateway lists agents from. */
  zones?: string[];
  /** The zones the daemon serves itself (its catalog at start): `aop call` allows loopback endpoints for their agents. */
  served?: string[];
  /** The control socket for `aop cache`, when the daemon has one. */
  control?: string;
  /** The Prometheus exposition's URL (`--metrics`), when the daemon serves one. */
  metrics?: string;
  /** The local CA certificate (PEM file) its https demo agents chain to: `aop call` trusts it for this daemon's zones. */
  ca?: string;
  /**
   * The trust anchor file (DS records, zone-file syntax) its validating resolver uses: `aop call`
   * and `aop agent` validate this daemon's answers themselves with it, and require secure records
   * for the names it covers (docs/dnssec-validation.md).
   */
  anchor?: string;
  started: string;
}

/** Where the state file is for this environment. */
export function daemonStatePath(env: Record<string, string | undefined> = process.env): string {
  const explicit = env.AOP_STATE_FILE?.trim();
  if (explicit) return path.resolve(explicit);
  const runtime = env.XDG_RUNTIME_DIR?.trim();
  if (runtime && path.isAbsolute(runtime)) return path.join(runtime, 'aop', 'daemon.json');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(tmpdir(), `aop-${uid}`, 'daemon.json');
}

/** The control socket the embedded default opens beside a state file. */
export function defaultControlPath(stateFile: string): string {
  return path.join(path.dirname(stateFile), 'control.sock');
}

/** The address of the gateway a state file announces (its `mcp` URL), or undefined when it has none that parses. */
export function gatewayAddress(state: DaemonState): { host: string; port: number } | undefined {
  if (state.mcp === undefined) return undefined;
  try {
    const u = new URL(state.mcp);
    return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return undefined;
  }
}

/** The address of the metrics listener a state file announces, or undefined when it has none that parses. */
export function metricsAddress(state: DaemonState): { host: string; port: number } | undefined {
  if (state.metrics === undefined) return undefined;
  try {
    const u = new URL(state.metrics);
    return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 80) };
  } catch {
    return undefined;
  }
}

/** Write the file atomically (temp, fsync, rename), readable by the owner only. */
export function writeDaemonState(file: string, state: DaemonState): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  atomicWrite(file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/** Remove the file if it is still ours (another daemon may have replaced it). */
export function removeDaemonState(file: string, pid = process.pid): void {
  const s = readDaemonState(file, { checkAlive: false });
  if (s && s.pid === pid) rmSync(file, { force: true });
}

/** Whether a process of this id exists (EPERM: it does, and belongs to someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state in the file, or undefined when it is missing, malformed or stale (pid not alive). */
export function readDaemonState(file: string, opts: { checkAlive?: boolean } = {}): DaemonState | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Record<string, unknown>;
  const dns = s.dns as Record<string, unknown> | undefined;
  if (!Number.isInteger(s.pid) || (s.pid as number) <= 0) return undefined;
  if (typeof dns !== 'object' || dns === null || typeof dns.address !== 'string' || isIP(dns.address) === 0) return undefined;
  if (!Number.isInteger(dns.port) || (dns.port as number) < 1 || (dns.port as number) > 65535) return undefined;
  if (s.mcp !== undefined && typeof s.mcp !== 'string') return undefined;
  if (s.zones !== undefined && !(Array.isArray(s.zones) && s.zones.every((z) => typeof z === 'string'))) return undefined;
  if (s.served !== undefined && !(Array.isArray(s.served) && s.served.every((z) => typeof z === 'string'))) return undefined;
  if (s.control !== undefined && !(typeof s.control === 'string' && path.isAbsolute(s.control))) return undefined;
  if (s.metrics !== undefined && typeof s.metrics !== 'string') return undefined;
  if (s.ca !== undefined && !(typeof s.ca === 'string' && path.isAbsolute(s.ca))) return undefined;
  if (s.anchor !== undefined && !(typeof s.anchor === 'string' && path.isAbsolute(s.anchor))) return undefined;
  if ((opts.checkAlive ?? true) && !alive(s.pid as number)) return undefined;
  return {
    pid: s.pid as number,
    dns: { address: dns.address, port: dns.port as number },
    ...(typeof s.mcp === 'string' ? { mcp: s.mcp } : {}),
    ...(Array.isArray(s.zones) ? { zones: s.zones as string[] } : {}),
    ...(Array.isArray(s.served) ? { served: s.served as string[] } : {}),
    ...(typeof s.control === 'string' ? { control: s.control } : {}),
    ...(typeof s.metrics === 'string' ? { metrics: s.metrics } : {}),
    ...(typeof s.ca === 'string' ? { ca: s.ca } : {}),
    ...(typeof s.anchor === 'string' ? { anchor: s.anchor } : {}),
    started: typeof s.started === 'string' ? s.started : '',
  };
}
