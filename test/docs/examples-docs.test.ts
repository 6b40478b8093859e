// The examples of docs/, zones/README.md and the module READMEs run as written
// (test/helpers/doc-examples-run.ts).

import { runExamples } from '../helpers/doc-examples-run.js';

runExamples((file) => file !== 'README.md');
