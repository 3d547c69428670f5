/** Fixed-seed fuzz slice 1 of 2 (docs/reliability.md). */
import { it } from 'vitest';
import { fuzzSlice, SLICE_RUNS } from './slice.js';

it(`${SLICE_RUNS} mutated fixtures through the CLI, seed 17001: no crash, no invalid JSON, no exit 0 on a damaged capture`, () => fuzzSlice(17001), 240_000);
