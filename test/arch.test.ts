/** Data moves one way (architecture §0): a stage imports only from stages to its left, util/ and anomalies/. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/inputs.js';

/** analyze.ts wires capture…rules into one pass; reports, the evidence bundle, the fleet (many captures, worker threads) and the CLI consume its result. */
const STAGES = ['capture', 'decode', 'app', 'flow', 'classify', 'rules', 'analyze.ts', 'report', 'evidence', 'fleet', 'cli'];
const SHARED = new Set(['util', 'anomalies', 'version.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** First path segment under src/ ("capture", "util", "index.ts", …). */
function stageOf(file: string): string {
  return relative(join(ROOT, 'src'), file).split('/')[0]!.replace(/\.js$/, '.ts');
}

describe('architecture', () => {
  it('imports only leftwards', () => {
    const src = join(ROOT, 'src');
    const problems: string[] = [];
    for (const file of sources(src)) {
      const from = stageOf(file);
      const fromRank = STAGES.indexOf(from);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)) {
        const target = stageOf(join(file, '..', m[1]!));
        if (target === from || SHARED.has(target)) continue;
        const toRank = STAGES.indexOf(target);
        // The public entry point (index.ts) may import anything; shared modules nothing staged.
        if (fromRank === -1 && !SHARED.has(from)) continue;
        if (SHARED.has(from) || toRank === -1 || toRank > fromRank) problems.push(`${relative(ROOT, file)} imports ${m[1]} (${from} → ${target})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps util/bytes.ts the only place with shift-and-or byte reads', () => {
    const offenders: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      if (file.endsWith('util/bytes.ts')) continue;
      const text = readFileSync(file, 'utf8');
      if (/\[[^\]]+\]!? << (8|16|24)\) \| /.test(text)) offenders.push(relative(ROOT, file));
    }
    expect(offenders).toEqual([]);
  });
});
