/** `da-audit explain` (issue "Troubleshooting" item 4): the same text as docs/verdicts.md, from one source. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REASONS } from '../../src/classify/reasons.js';
import { REMEDIES } from '../../src/rules/remedies.js';
import { cli } from '../helpers/cli.js';
import { ROOT } from '../helpers/inputs.js';

const doc = readFileSync(join(ROOT, 'docs/verdicts.md'), 'utf8');

describe('da-audit explain', () => {
  it('prints a code\'s entry exactly as docs/verdicts.md has it, with the fix, its variants and the checks', () => {
    for (const code of ['iphttps.auth_none', 'icmpv6.admin_prohibited', 'authip.notify', 'esp.ciphertext']) {
      const r = cli(['explain', code]);
      expect(r.code).toBe(0);
      expect(doc).toContain(r.stdout);
      expect(r.stdout.startsWith(`### \`${code}\`\n`)).toBe(true);
      const remedy = REMEDIES[code as keyof typeof REMEDIES];
      if (remedy) {
        expect(r.stdout).toContain(`**Fix:** ${remedy.fix}`);
        for (const v of remedy.variants ?? []) expect(r.stdout).toContain(v.fix);
        for (const c of remedy.confirm) expect(r.stdout).toContain(c);
      } else expect(r.stdout).not.toContain('**Fix');
    }
  });

  it('without a code lists every code once, with its kind', () => {
    const r = cli(['explain']);
    const listed = r.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2));
    expect(listed).toEqual(Object.entries(REASONS).map(([code, spec]) => [code, spec.kind]));
  });

  it('an unknown code is a usage error naming the codes of its family; hostile text is escaped', () => {
    const r = cli(['explain', 'tcp.nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no reason code tcp.nope; codes of tcp: tcp.established,');
    const hostile = cli(['explain', '\x1b]0;pwned\x07x']);
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).not.toMatch(/[\x1b\x07]/);
  });
});
