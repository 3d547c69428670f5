/** The capture arguments of `info` and `summary`: files, folders (their captures, by magic) and '-', with a line for each file skipped. */

import { expandInputs, type Inputs } from '../fleet/inputs.js';
import { escapeTerminal } from '../report/format.js';
import type { Writer } from './diagnostics.js';

/** Expands folders; prints one line per skipped file (not an error) and per unusable argument (an error, exit 3 for the caller). */
export async function captureInputs(args: string[], err: Writer): Promise<Inputs> {
  const inputs = await expandInputs(args, null, () => '');
  for (const s of inputs.skipped) err(`da-audit: skipped: ${escapeTerminal(s.path)}: ${s.reason}`);
  for (const p of inputs.problems) err(`da-audit: error: ${escapeTerminal(p)}`);
  return inputs;
}
