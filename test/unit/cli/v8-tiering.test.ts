/** src/cli/v8-tiering.ts: the tuned tiering applies to the V8 it was measured on, and never makes V8 complain. */

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tuneTiering } from '../../../src/cli/v8-tiering.js';
import { ROOT } from '../../helpers/inputs.js';

describe('tuneTiering', () => {
  it('leaves other V8 versions to their own tiering', () => {
    expect(tuneTiering('12.4.254.21-node.19')).toBe(false);
    expect(tuneTiering('10.2.154.26-node.26')).toBe(false);
  });
  it('sets the budget on the V8 of Node 20 without a word on stderr (V8 prints an error for a flag it does not know)', () => {
    const module = pathToFileURL(join(ROOT, 'dist/cli/v8-tiering.js')).href;
    const p = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(module)}); console.log(m.tuneTiering('11.3.244.8'))`], { encoding: 'utf8' });
    expect([p.stdout.trim(), p.stderr]).toEqual(['true', '']);
  });
});
