/** Fixed-seed fuzz slice 2 of 2 (docs/reliability.md). */
import { it } from 'vitest';
import { fuzzSlice, SLICE_RUNS } from './slice.js';

it(`${SLICE_RUNS} mutated fixtures through the CLI, seed 17002: no crash, no invalid JSON, no exit 0 on a damaged capture`, () => fuzzSlice(17002), 240_000);
