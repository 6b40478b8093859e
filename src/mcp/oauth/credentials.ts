// The credentials file (`~/.config/aop/credentials`, `--credentials FILE`): which client identity
// aop presents to the authorization server of an agent's endpoint, per agent or per organisation
// (a zone: the entry for the longest suffix of the agent's name wins). The file holds secrets, so
// it must not be readable by others, and no secret from it is ever put in a message or a log.

import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { HandOffError } from '../errors.js';

export type TokenAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt';
const METHODS: readonly TokenAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'];

/** One entry: a client identity for the agents it is `for`. */
export interface CredentialEntry {
  /** The agent name or zone it is for, lower case, no final dot. */
  for: string;
  /** The authorization server the client is registered with; when given, the credentials go to no other. */
  issuer?: string;
  /** client_credentials (no person: a secret or a key) or authorization_code (a person logs in). */
  grant: 'client_credentials' | 'authorization_code';
  clientId?: string;
  /** Secrets: never printed. */
  clientSecret?: string;
  privateKey?: string;
  /** The JWS algorithm for private_key_jwt. Default ES256 for an EC key, RS256 otherwise. */
  algorithm?: string;
  method?: TokenAuthMethod;
  /** Scope asked for when neither the challenge nor the metadata says one. */
  scope?: string;
  /** Origins besides the issuer's own that its metadata may name endpoints at. */
  endpointOrigins: string[];
}

export interface Credentials {
  /** The file it came from ('' when built in memory). */
  file: string;
  entries: CredentialEntry[];
  /** The https URL of aop's Client ID Metadata Document, when it publishes one. */
  clientMetadataUrl?: string;
}

export const emptyCredentials: Credentials = { file: '', entries: [] };

/** ~/.config/aop/credentials, or $XDG_CONFIG_HOME/aop/credentials. */
export function defaultCredentialsPath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'aop', 'credentials');
}

const bad = (file: string, message: string, cause?: unknown): HandOffError => new HandOffError('ERR_AUTH_CREDENTIALS', `${file}: ${message}`, { cause });

function nameKey(n: string): string {
  return n.trim().toLowerCase().replace(/\.+$/, '');
}

/**
 * Read and check the credentials file. A missing file is no credentials unless `required` (it was
 * named on the command line). Throws ERR_AUTH_CREDENTIALS for a file others can read, bad YAML or a bad entry.
 */
export function loadCredentials(file: string, opts: { required?: boolean } = {}): Credentials {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !opts.required) return { file, entries: [] };
    throw bad(file, `cannot be read: ${(err as Error).message}`, err);
  }
  if (!st.isFile()) throw bad(file, 'is not a file');
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw bad(file, `holds secrets but others may read or write it (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 ${file}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    // The YAML error quotes lines of the file, which may hold a secret: only its position is shown.
    const pos = (err as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    throw bad(file, `is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`);
  }
  return parseCredentials(doc, file);
}

/** The checked form of a parsed credentials document (`{ credentials: [...], client_metadata_url? }`). */
export function parseCredentials(doc: unknown, file = 'credentials'): Credentials {
  if (doc === null || doc === undefined) return { file, entries: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw bad(file, 'must be a mapping with a `credentials:` list');
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'credentials' && k !== 'client_metadata_url') throw bad(file, `unknown key "${k.slice(0, 40)}" (credentials, client_metadata_url)`);
  const out: Credentials = { file, entries: [] };
  if (top.client_metadata_url !== undefined) {
    const u = top.client_metadata_url;
    if (typeof u !== 'string' || !/^https:\/\/[^/]+\/.+/.test(u)) throw bad(file, 'client_metadata_url must be an https URL with a path');
    out.clientMetadataUrl = u;
  }
  const list = top.credentials ?? [];
  if (!Array.isArray(list)) throw bad(file, '`credentials:` must be a list of entries');
  list.forEach((raw, i) => out.entries.push(parseEntry(raw, `${file}: entry ${i + 1}`)));
  return out;
}

const KEYS = new Set(['for', 'issuer', 'grant', 'client_id', 'client_secret', 'client_secret_file', 'private_key', 'private_key_file', 'algorithm', 'token_endpoint_auth_method', 'scope', 'endpoint_origins']);

function parseEntry(raw: unknown, where: string): CredentialEntry {
  const fail = (m: string): HandOffError => new HandOffError('ERR_AUTH_CREDENTIALS', `${where}: ${m}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('must be a mapping');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!KEYS.has(k)) throw fail(`unknown key "${k.slice(0, 40)}"`);
  const str = (k: string): string | undefined => {
    const v = r[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') throw fail(`${k} must be a non-empty string`);
    return v.trim();
  };
  const fromFile = (k: string): string | undefined => {
    const f = str(k);
    if (f === undefined) return undefined;
    try {
      return readFileSync(f, 'utf8').trim();
    } catch (err) {
      throw fail(`${k} ${f}: ${(err as Error).message}`);
    }
  };
  const name = str('for');
  if (name === undefined) throw fail('needs `for:` (an agent name or a zone, e.g. acme.agents)');
  const issuer = str('issuer');
  if (issuer !== undefined && !/^https?:\/\//.test(issuer)) throw fail('issuer must be an https URL');
  const clientSecret = str('client_secret') ?? fromFile('client_secret_file');
  const privateKey = str('private_key') ?? fromFile('private_key_file');
  if (clientSecret !== undefined && privateKey !== undefined) throw fail('has both a client secret and a private key: keep one');
  if (privateKey !== undefined && !privateKey.includes('-----BEGIN')) throw fail('private_key is not a PEM key');
  const method = str('token_endpoint_auth_method') as TokenAuthMethod | undefined;
  if (method !== undefined && !METHODS.includes(method)) throw fail(`token_endpoint_auth_method must be one of ${METHODS.join(', ')}`);
  if (method === 'private_key_jwt' && privateKey === undefined) throw fail('private_key_jwt needs private_key or private_key_file');
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && clientSecret === undefined) throw fail(`${method} needs client_secret or client_secret_file`);
  const grant = str('grant') ?? (clientSecret !== undefined || privateKey !== undefined ? 'client_credentials' : 'authorization_code');
  if (grant !== 'client_credentials' && grant !== 'authorization_code') throw fail('grant must be client_credentials or authorization_code');
  const clientId = str('client_id');
  if (grant === 'client_credentials' && (clientId === undefined || (clientSecret === undefined && privateKey === undefined))) {
    throw fail('the client_credentials grant needs client_id and client_secret (or private_key)');
  }
  const origins = r.endpoint_origins ?? [];
  if (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string')) throw fail('endpoint_origins must be a list of origins');
  const e: CredentialEntry = { for: nameKey(name), grant, endpointOrigins: (origins as string[]).map((o) => new URL(o).origin) };
  if (issuer !== undefined) e.issuer = issuer;
  if (clientId !== undefined) e.clientId = clientId;
  if (clientSecret !== undefined) e.clientSecret = clientSecret;
  if (privateKey !== undefined) e.privateKey = privateKey;
  const alg = str('algorithm');
  if (alg !== undefined) e.algorithm = alg;
  if (method !== undefined) e.method = method;
  else if (privateKey !== undefined) e.method = 'private_key_jwt';
  const scope = str('scope');
  if (scope !== undefined) e.scope = scope;
  // Secrets stay out of console.log and JSON.stringify of an entry.
  for (const k of ['clientSecret', 'privateKey'] as const) {
    if (e[k] !== undefined) Object.defineProperty(e, k, { enumerable: false });
  }
  return e;
}

/**
 * The entry for an agent: for its name, else for the longest zone above it; among those, one
 * whose issuer is `issuer` (or says none). Undefined when none matches.
 */
export function findCredential(c: Credentials, agent: string, issuer?: string): CredentialEntry | undefined {
  const name = nameKey(agent);
  let best: CredentialEntry | undefined;
  for (const e of c.entries) {
    if (!(name === e.for || name.endsWith(`.${e.for}`) || e.for === '')) continue;
    if (issuer !== undefined && e.issuer !== undefined && !sameIssuer(e.issuer, issuer)) continue;
    if (best === undefined || e.for.length > best.for.length || (e.for.length === best.for.length && e.issuer !== undefined && best.issuer === undefined)) best = e;
  }
  return best;
}

/** Issuer identifiers compared as URLs, one trailing slash aside. */
export function sameIssuer(a: string, b: string): boolean {
  const norm = (s: string): string => {
    try {
      return new URL(s).href.replace(/\/$/, '');
    } catch {
      return s.replace(/\/$/, '');
    }
  };
  return norm(a) === norm(b);
}
