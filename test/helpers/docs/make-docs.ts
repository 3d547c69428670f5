/** `npm run docs`: regenerates the generated documentation pages. */
import { writeFileSync } from 'node:fs';
import { anomaliesMarkdown } from './anomalies-doc.js';

writeFileSync('docs/anomalies.md', anomaliesMarkdown());
console.log('wrote docs/anomalies.md');
