// `aop key generate NAME`: a new TSIG key in BIND's key-file format, as `tsig-keygen` writes it,
// for `aop serve --tsig-key`, `aop register --key` and `nsupdate -k`. The key itself comes from
// src/wire/tsig-key.ts; here the arguments and the report.

import type { Argv } from 'yargs';
import { algorithmLabel } from '../wire/tsig.js';
import { formatKeyFile, generateKey, writeKeyFile } from '../wire/tsig-key.js';
import { WireError } from '../wire/errors.js';

const ALGORITHMS = ['hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha224', 'hmac-sha1', 'hmac-md5'] as const;

export function keyCommand(y: Argv): Argv {
  return y.command('key', 'TSIG keys for signed updates and transfers: generate', (k) => k
    .command(
      'generate <name>',
      'Make a new random TSIG key in BIND\'s key-file format (as tsig-keygen): printed, or written to --out with mode 0600',
      (c) => c
        .positional('name', { type: 'string', demandOption: true, describe: 'Key name, e.g. writer-key (what --update-policy rules name)' })
        .option('algorithm', { alias: 'a', choices: ALGORITHMS, default: 'hmac-sha256' as (typeof ALGORITHMS)[number], describe: 'HMAC algorithm' })
        .option('out', { alias: 'o', type: 'string', describe: 'Write the key to FILE (mode 0600) instead of printing it' })
        .option('force', { type: 'boolean', default: false, describe: 'Replace an existing --out file (its old key stops working)' })
        .example('$0 key generate writer-key --out writer.key', 'a key file for aop serve --tsig-key, aop register --key and nsupdate -k')
        .example('$0 key generate xfr-key --algorithm hmac-sha512', 'print a key, for a secondary\'s config'),
      (a) => {
        try {
          const key = generateKey(a.name as string, a.algorithm);
          if (a.out === undefined) {
            process.stdout.write(formatKeyFile(key));
            return;
          }
          writeKeyFile(a.out, key, { force: a.force });
          process.stdout.write(`wrote key ${key.name} (${algorithmLabel(key.algorithm)}) to ${a.out}, mode 0600\n`);
        } catch (err) {
          process.stderr.write(`aop: ${(err as Error).message}\n`);
          process.exitCode = err instanceof WireError ? 1 : 10;
        }
      },
    )
    .demandCommand(1, 'Name a key command: generate; see aop key --help'));
}
