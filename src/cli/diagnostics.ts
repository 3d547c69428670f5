/** One-line diagnostics on stderr: file, byte offset, frame number, message. */

import type { CaptureResult } from '../capture/open.js';
import { captureProblemLines } from '../report/capture-problems.js';

export type Writer = (line: string) => void;

/** Prints the warnings and the fatal error of one input. */
export function reportCaptureProblems(r: CaptureResult, err: Writer): void {
  for (const line of captureProblemLines(r)) err(line);
}
