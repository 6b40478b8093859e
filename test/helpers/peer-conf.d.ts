// Types of peer-conf.js, which the benchmarks (plain node) share with the tests.

export interface NsdServerConf { dir: string; listen: string[]; port?: number; workers?: number; verbosity?: number; extra?: string[] }
export function nsdServerConf(o: NsdServerConf): string[];

export interface KnotServerConf { dir: string; listen: string[]; workers?: number; log?: string }
export function knotServerConf(o: KnotServerConf): string[];

export interface UnboundConf { dir: string; address: string; port?: number; workers?: number; verbosity?: number | string; extra?: string[]; stubs?: Record<string, string[]>; modules?: string }
export function unboundConf(o: UnboundConf): string[];
