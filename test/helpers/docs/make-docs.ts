/** `npm run docs`: regenerates the generated documentation pages. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { anomaliesMarkdown } from './anomalies-doc.js';
import { VERDICTS_DOC, verdictsMarkdown } from './verdicts-doc.js';

writeFileSync('docs/anomalies.md', anomaliesMarkdown());
console.log('wrote docs/anomalies.md');
// docs/verdicts.md shows what the built command line prints: build it from the current sources first.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
writeFileSync(VERDICTS_DOC, await verdictsMarkdown());
console.log(`wrote ${VERDICTS_DOC}`);
