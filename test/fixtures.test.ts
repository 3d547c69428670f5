/** The committed fixtures are exactly what the builder makes (`npm run fixtures` regenerates them). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures, fixturesReadme } from './helpers/fixtures/catalog.js';
import { FIXTURES } from './helpers/inputs.js';

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [relative(FIXTURES, p)];
  });
}

describe('fixtures', () => {
  for (const f of fixtures) {
    it(`${f.path} matches its builder byte for byte`, () => {
      const committed = new Uint8Array(readFileSync(join(FIXTURES, f.path)));
      expect(Buffer.compare(Buffer.from(committed), Buffer.from(f.build()))).toBe(0);
    });
  }

  it('fixtures/README.md lists every file and is up to date', () => {
    expect(readFileSync(join(FIXTURES, 'README.md'), 'utf8')).toBe(fixturesReadme());
  });

  it('holds no file the catalog does not know', () => {
    const known = new Set([...fixtures.map((f) => f.path), 'README.md']);
    expect(listFiles(FIXTURES).filter((p) => !known.has(p))).toEqual([]);
  });

  it('keeps every fixture small (≤ 200 KB)', () => {
    for (const f of fixtures) expect(f.build().length, f.path).toBeLessThanOrEqual(200 * 1024);
  });
});
