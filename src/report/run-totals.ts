/** Issue 16 item 4: the totals of one run over every file (verdicts by kind, files read / damaged / skipped), as a report section. */

import type { Verdict } from '../rules/types.js';
import type { Section } from './sections.js';

export interface RunTotals {
  /** Verdicts reported (after the filters), by kind. */
  verdicts: Record<Verdict, number>;
  files: {
    /** Captures judged and read to their end. */
    read: number;
    /** Captures judged but not read to their end (an error or warning line): their verdicts cover what was read. */
    damaged: number;
    /** Files found in folders that are not captures: never judged. */
    skipped: number;
    /** Captures da-audit failed on (an internal error, exit 4). */
    failed: number;
  };
}

export function totalsSection(t: RunTotals, skipped: { path: string; reason: string }[]): Section[] {
  const v = t.verdicts;
  const sections: Section[] = [{
    title: 'Totals (all files of this run)', head: null, rows: [
      ['Verdicts', `${v.encrypted} encrypted, ${v['integrity-only']} integrity-only, ${v.clear} clear, ${v.failed} failed, ${v.inconclusive} inconclusive`],
      ['Files', `${t.files.read} read, ${t.files.damaged} damaged, ${t.files.skipped} skipped${t.files.failed > 0 ? `, ${t.files.failed} failed (internal error)` : ''}`],
    ],
  }];
  if (skipped.length > 0) sections.push({ title: 'Skipped (not captures, never judged)', head: ['File', 'Why'], rows: skipped.map((s) => [s.path, s.reason]) });
  return sections;
}
