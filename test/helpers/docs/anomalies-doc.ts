/** docs/anomalies.md, generated from the anomaly registry (src/anomalies/registry.ts). */

import { allAnomalies } from '../../../src/anomalies/registry.js';

export function anomaliesMarkdown(): string {
  const lines = [
    '# Anomalies',
    '',
    'Generated from `src/anomalies/registry.ts` by `npm run docs`; `test/docs.test.ts` fails when this file is stale.',
    '',
    'An anomaly is something odd in the capture or a packet. It is counted per capture (with the first',
    'frames where it was seen) and shown by every command; it never stops the analysis. Ids are stable:',
    'they are deprecated, never renamed. Kinds: *truncated* (the capture ran out), *malformed* (a header',
    'contradicts itself), *unsupported* (valid but not decoded), *suspicious* (valid but worth a look).',
    '',
    '| Id | Layer | Kind | Severity | Meaning |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const a of allAnomalies()) lines.push(`| \`${a.id}\` | ${a.layer} | ${a.kind} | ${a.severity} | ${a.text.replace(/\|/g, '\\|')} |`);
  lines.push('');
  return lines.join('\n');
}
