/** The fixed-seed fuzz slices CI runs (two files of 10,000 inputs each, so that two cores share them): nothing may be found. */
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from '../helpers/inputs.js';
import { campaign } from './campaign.js';
import { COMMANDS } from './oracle.js';

export const SLICE_RUNS = 10_000;

export async function fuzzSlice(seed: number): Promise<void> {
  const r = await campaign({ seed, runs: SLICE_RUNS, fixtures: resolve(ROOT, 'fixtures'), stopAtFirst: true });
  const found = r.findings.map((f) => `${f.problem} (run ${f.run}, ${COMMANDS[f.command]!.join(' ')}, seed file ${f.seed}, ${f.steps.join('; ')}): ${f.detail}; ` +
    `reproduce: npm run fuzz -- --seed ${seed} --runs ${f.run + 1}`);
  expect(found).toEqual([]);
  expect(r.runs).toBe(SLICE_RUNS);
  // The mutations reach every outcome: clean runs, findings (exit 1) and damaged input (exit 3).
  expect(Object.keys(r.exitCodes)).toEqual(expect.arrayContaining(['0', '1', '3']));
}
