/** Generated documentation is up to date, and the tshark commands of docs/verdicts.md show what the page says. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anomaliesMarkdown } from './helpers/docs/anomalies-doc.js';
import { checkOutput, tsharkChecks, VERDICTS_DOC, verdictsMarkdown } from './helpers/docs/verdicts-doc.js';
import { HAVE_TSHARK } from './helpers/inputs.js';

describe('generated docs', () => {
  it('docs/anomalies.md matches the registry (run npm run docs)', () => {
    expect(readFileSync('docs/anomalies.md', 'utf8')).toBe(anomaliesMarkdown());
  });

  it('docs/verdicts.md is the template filled with what da-audit prints now (run npm run docs)', async () => {
    expect(readFileSync(VERDICTS_DOC, 'utf8')).toBe(await verdictsMarkdown());
  });
});

if (!HAVE_TSHARK) console.warn('tshark not found: the checks of the tshark commands in docs/verdicts.md are skipped (CI installs tshark, so they run there)');

describe.skipIf(!HAVE_TSHARK)('the tshark commands of docs/verdicts.md', () => {
  for (const c of tsharkChecks()) {
    it(c.command, () => {
      // `npx da-audit` on the page is bin/da-audit.js, built by the global setup.
      const command = c.command.replace(/^npx da-audit /, 'node bin/da-audit.js ');
      const r = spawnSync('bash', ['-c', `set -o pipefail; ${command}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(r.status, r.stderr).toBe(0);
      expect(checkOutput(c, r.stdout)).toBe('');
    });
  }
});
