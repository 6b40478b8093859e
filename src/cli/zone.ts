// `aop zone ...`: zone-file tools. `check` loads and validates like named-checkzone.

import type { Argv } from 'yargs';
import path from 'node:path';
import { loadZoneFile, originFromFileName, ZoneLoadError } from '../zone/load.js';
import { parseName } from '../wire/name.js';

export function zoneCommand(y: Argv): Argv {
  return y.command('zone', 'Zone-file tools', (z) => z
    .command(
      'check <file>',
      'Load and validate a zone file; print its serial and size, or every fault as file:line:col: message',
      (c) => c
        .positional('file', { type: 'string', demandOption: true, describe: 'Zone file' })
        .option('origin', { type: 'string', describe: 'Zone origin (default: the file name without .zone)' })
        .example('$0 zone check zones/acme.agents.zone', 'check a bundled zone')
        .example('$0 zone check db.acme --origin acme.agents', 'name the origin explicitly'),
      (a) => {
        const file = a.file as string;
        let origin: string;
        try {
          origin = a.origin !== undefined ? parseName(a.origin.endsWith('.') ? a.origin : a.origin + '.') : originFromFileName(path.basename(file));
        } catch (err) {
          process.stderr.write(`aop: ${(err as Error).message}\n`);
          process.exit(1);
        }
        try {
          const zone = loadZoneFile(file, { origin });
          process.stdout.write(`zone ${zone.origin}: loaded serial ${zone.serial}, ${zone.size} records\n`);
        } catch (err) {
          if (err instanceof ZoneLoadError) {
            process.stderr.write(err.message.endsWith('\n') ? err.message : err.message + '\n');
            process.stderr.write(`zone ${origin}: not loaded due to errors\n`);
            process.exit(1);
          }
          throw err;
        }
      },
    )
    .demandCommand(1, 'Name a zone command; see aop zone --help'));
}
