/** The library example of docs/architecture.md ("Library use") runs against the build and prints what the page says. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/inputs.js';
import { testTempDir } from './helpers/temp.js';

describe('docs/architecture.md library example', () => {
  it('runs with the package import pointed at dist/index.js, and prints the lines shown under it', () => {
    const page = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const library = page.slice(page.indexOf('## Library use'));
    const code = /```js\n([\s\S]*?)```/.exec(library)![1]!;
    const shown = /It prints:\n\n```text\n([\s\S]*?)```/.exec(library)![1]!;
    const script = join(testTempDir('da-audit-example-'), 'example.mjs');
    writeFileSync(script, code.replace("from 'da-pcap-audit'", `from '${pathToFileURL(resolve(ROOT, 'dist/index.js')).href}'`));
    const r = spawnSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(shown);
  });
});
