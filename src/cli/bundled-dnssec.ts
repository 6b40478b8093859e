// The bundled world signed out of the box: with no --zones (`npm start`), the daemon signs the
// bundled zones with keys it keeps beside its state file (made on the first start, as the local CA
// is), writes the DS of the bundled root `agents.` there as a trust anchor file, and gives that
// anchor to its own resolver, so `dig +dnssec` through it shows AD=1. The state file names the
// anchor file; `aop call`, `aop agent` and the gateway then validate the bundled names themselves
// (docs/dnssec.md, "The bundled root's anchor"). Keys are per install, never shipped: a private key
// in the checkout would let anyone sign a forged `agents.`.

import path from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { atomicWrite } from '../base/atomic-write.js';
import type { Logger } from '../base/log.js';
import { DEFAULT_TIMES, Signer } from '../authority/signer.js';
import { parentDsLines } from '../dnssec/parent-ds.js';
import { parseTrustAnchors, type TrustAnchors } from '../resolver/validate/index.js';

/** The folder beside a state file that holds the bundled world's keys and anchor. */
export const BUNDLED_DNSSEC_DIR = 'dnssec';

export interface BundledDnssec {
  /** The key folder (`--key-dir` of the signer). */
  keyDir: string;
  /** The anchor file: `agents. IN DS ...`, zone-file syntax, as `--trust-anchor` reads. */
  anchorFile: string;
  anchors: TrustAnchors;
}

export function bundledDnssecDir(stateFile: string): string {
  return path.join(path.dirname(stateFile), BUNDLED_DNSSEC_DIR);
}

/**
 * The bundled root's anchor as `aop serve` (npm start) last wrote it beside `stateFile`, for a
 * resolver started on its own with the bundled hints: `anchors` is undefined when there is no
 * file yet. A file that is there but does not parse is an error naming it, never skipped.
 */
export function bundledAnchorFor(stateFile: string): { file: string; anchors?: TrustAnchors } {
  const file = path.join(bundledDnssecDir(stateFile), 'anchor');
  if (!existsSync(file)) return { file };
  return { file, anchors: parseTrustAnchors(readFileSync(file, 'utf8'), file) };
}

/**
 * Keys for `root` (made now when the folder has none, with the algorithm and layout given) and its
 * DS written as the anchor file. The other zones' keys are made by the signer at its first signing.
 */
export function prepareBundledDnssec(stateFile: string, root: string, keys: { algorithm: number; keyLayout: 'combined' | 'split' }, log: Logger): BundledDnssec {
  const dir = bundledDnssecDir(stateFile);
  const keyDir = path.join(dir, 'keys');
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  new Signer({ keyDir, algorithm: keys.algorithm, keyLayout: keys.keyLayout, times: DEFAULT_TIMES, logger: log }).keysFor(root);
  const text = `; The trust anchor of the bundled root ${root} (the DS of its key-signing keys in ${keyDir}),\n; written by aop serve at each start: aop serve --resolver --trust-anchor ${path.join(dir, 'anchor')}\n${parentDsLines(root, keyDir).join('\n')}\n`;
  const anchorFile = path.join(dir, 'anchor');
  atomicWrite(anchorFile, text, { mode: 0o644 });
  return { keyDir, anchorFile, anchors: parseTrustAnchors(text, anchorFile) };
}
