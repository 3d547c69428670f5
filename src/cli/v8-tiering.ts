/**
 * V8 tiering for a batch analysis (V8 flag --interrupt-budget; Node's v8.setFlagsFromString): set before the
 * command's modules run, so that TurboFan optimises only the functions that stay hot.
 *
 * With V8's default budget (66 KiB of bytecode run before a function is considered for optimisation), a verify run
 * over 8 captures of 128 MiB compiled 333 functions with TurboFan, 1.4 CPU seconds on background threads; most were
 * report and judgement code that runs a few thousand times. At 8× the budget it compiles 137, in 0.5 s, and the main
 * thread's time is the same (3.8 s): the per-packet functions reach the budget within the first milliseconds anyway.
 * A single capture does not notice; a fleet run on every core does, since each worker thread compiles its own code
 * on the cores the other workers need (docs/performance.md, "Fleet").
 */

import { setFlagsFromString } from 'node:v8';

/** V8's default --interrupt-budget (V8 11.3, Node 20), times 8. */
const INTERRUPT_BUDGET = 8 * 67_584;

/**
 * Measured on V8 11 (Node 20, the machines' version) only. V8 prints an error line for a flag it does not know,
 * and its tiering differs between versions, so elsewhere V8's own settings stay.
 */
export function tuneTiering(v8Version = process.versions.v8): boolean {
  if (!v8Version.startsWith('11.')) return false;
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  return true;
}
