/** The diagnostic lines of one capture (docs/cli.md): file, byte offset, frame number, what happened. */

import type { CaptureResult } from '../capture/open.js';
import { escapeTerminal } from './format.js';

/** The warnings, then the fatal error, of one input, as printed on stderr. */
export function captureProblemLines(r: CaptureResult): string[] {
  const lines: string[] = [];
  for (const w of r.warnings) {
    lines.push(`da-audit: warning: ${escapeTerminal(r.file)}: byte offset ${w.position.offset}, frame ${w.position.frame}: ${w.detail}`);
  }
  if (r.error) {
    const p = r.error.position;
    const kept = r.stats.packets + r.stats.otherRecords;
    lines.push(`da-audit: error: ${escapeTerminal(r.file)}: byte offset ${p.offset}, frame ${p.frame}: ${r.error.detail}` +
      (kept > 0 ? ` (${kept} frame(s) before it were read)` : ''));
  }
  return lines;
}
