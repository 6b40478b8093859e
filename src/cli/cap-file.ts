// The capability-document options the zone and register commands share: `--cap URL` (a template
// with {name}), `--cap-file FILE` (the document as it will be served: its digest is taken from
// the file, after the parser has read it as a client would) and where generated documents go.

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AopError } from '../base/errors.js';
import { atomicWrite } from '../base/atomic-write.js';
import { capDigest, CapabilityError, MAX_CAPABILITY_BYTES, parseCapability } from '../agent/index.js';

export class CapFileError extends AopError {
  declare readonly code: 'ERR_CAP_FILE';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('ERR_CAP_FILE', message, opts);
  }
}

/** The cap-sha256 of a document file, once it reads as a client would read it when served. */
export function capFileDigest(file: string): string {
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_CAPABILITY_BYTES) throw new CapFileError(`--cap-file ${file}: larger than ${MAX_CAPABILITY_BYTES} bytes; clients refuse it`);
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof CapFileError) throw err;
    throw new CapFileError(`--cap-file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    parseCapability(bytes);
  } catch (err) {
    if (err instanceof CapabilityError) throw new CapFileError(`--cap-file ${file}: ${err.message}; clients refuse it`, { cause: err });
    throw err;
  }
  return capDigest(bytes);
}

/** `{name}` in a template replaced by the agent's name (absolute, no trailing dot, lower case). */
export function fillName(template: string, agent: string): string {
  return template.replaceAll('{name}', agent.replace(/\.$/, '').toLowerCase());
}

/** Whether a template names one place per agent. */
export const perAgent = (template: string): boolean => template.includes('{name}');

/**
 * Where an agent's generated document goes: the template filled, or `<dir>/<name>.json` when it
 * names a folder (one that exists, or ends in `/`). Several agents need one of the two.
 */
export function outFileFor(template: string, agent: string, many: boolean): string {
  let isDir = template.endsWith('/') || template.endsWith(path.sep);
  try {
    isDir = statSync(template).isDirectory();
  } catch {
    // Not there yet: a file to write.
  }
  if (isDir) return path.join(template, `${fillName('{name}', agent)}.json`);
  if (many && !perAgent(template)) throw new CapFileError(`${template}: several agents' documents would go to one file; put {name} in it, or name a folder`);
  return fillName(template, agent);
}

/** Write a document file atomically (temporary file, fsync, rename). */
export function writeCapFile(file: string, bytes: Uint8Array): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    atomicWrite(file, bytes);
  } catch (err) {
    throw new CapFileError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}
