// The examples of docs/, zones/README.md and the module READMEs run as written
// (test/helpers/doc-examples-run.ts).

import { runExamples } from '../helpers/doc-examples-run.js';

// With AOP_DOC set, test/docs/examples.test.ts runs the documents it names.
runExamples((file) => process.env.AOP_DOC === undefined && file !== 'README.md');
