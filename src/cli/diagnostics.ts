/** One-line diagnostics on stderr: file, byte offset, frame number, message. */

import type { CaptureResult } from '../capture/open.js';
import { escapeTerminal } from '../report/format.js';

export type Writer = (line: string) => void;

/** Prints the warnings and the fatal error of one input. */
export function reportCaptureProblems(r: CaptureResult, err: Writer): void {
  for (const w of r.warnings) {
    err(`da-audit: warning: ${escapeTerminal(r.file)}: byte offset ${w.position.offset}, frame ${w.position.frame}: ${w.detail}`);
  }
  if (r.error) {
    const p = r.error.position;
    const kept = r.stats.packets + r.stats.otherRecords;
    err(`da-audit: error: ${escapeTerminal(r.file)}: byte offset ${p.offset}, frame ${p.frame}: ${r.error.detail}` +
      (kept > 0 ? ` (${kept} frame(s) before it were read)` : ''));
  }
}
