/** Generated documentation is up to date. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anomaliesMarkdown } from './helpers/docs/anomalies-doc.js';

describe('generated docs', () => {
  it('docs/anomalies.md matches the registry (run npm run docs)', () => {
    expect(readFileSync('docs/anomalies.md', 'utf8')).toBe(anomaliesMarkdown());
  });
});
