// Where the package's bundled files are, from both src/ (tests) and dist/ (installed).

import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const packageRoot = path.resolve(here, '..', '..');
export const bundledZonesDir = path.join(packageRoot, 'zones');
