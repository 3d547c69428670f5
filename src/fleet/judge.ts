/** Issue 16 item 2: one capture → its verify report and diagnostics, as plain data (what a worker thread posts back). */

import { analyze, type Analysis, type AnalyzeOptions } from '../analyze.js';
import { captureProblemLines } from '../report/capture-problems.js';
import { isoTime } from '../report/format.js';
import { buildVerify, type VerifyReport } from '../report/verify.js';
import type { VerdictRecord } from '../rules/types.js';

/** Capture time of a verdict record: from the first packet of its first flow to the last packet of its last. */
export interface RecordTime {
  first: string | null;
  last: string | null;
  /** Seconds since the epoch, for the --since/--until filters (null: no flow known). */
  firstSec: number | null;
  lastSec: number | null;
}

export interface FileResult {
  path: string;
  /** null when da-audit failed on this file (internalError says how). */
  report: VerifyReport | null;
  /** Per record of report.sessions / report.pairs, same order. */
  times: { sessions: RecordTime[]; pairs: RecordTime[] };
  /** The warning and error lines of this capture, as the CLI prints them on stderr. */
  diagnostics: string[];
  /** The capture could not be read to its end (an error, a warning, or a status other than complete). */
  damaged: boolean;
  internalError: string | null;
}

function recordTime(a: Analysis, r: VerdictRecord): RecordTime {
  let first: [number, number] | null = null;
  let last: [number, number] | null = null;
  for (const id of r.flows) {
    const f = a.byId.get(id)?.flow;
    if (!f) continue;
    if (first === null || f.firstSec < first[0] || (f.firstSec === first[0] && f.firstNsec < first[1])) first = [f.firstSec, f.firstNsec];
    if (last === null || f.lastSec > last[0] || (f.lastSec === last[0] && f.lastNsec > last[1])) last = [f.lastSec, f.lastNsec];
  }
  return {
    first: first ? isoTime(first[0], first[1]) : null, last: last ? isoTime(last[0], last[1]) : null,
    firstSec: first ? first[0] + first[1] / 1e9 : null, lastSec: last ? last[0] + last[1] / 1e9 : null,
  };
}

export async function judgeFile(path: string, options: AnalyzeOptions): Promise<FileResult> {
  try {
    const a = await analyze(path, options);
    const report = buildVerify(a);
    return {
      path, report,
      times: { sessions: a.verdicts.sessions.map((r) => recordTime(a, r)), pairs: a.verdicts.pairs.map((r) => recordTime(a, r)) },
      diagnostics: captureProblemLines(a.capture),
      damaged: a.capture.error !== null || a.capture.warnings.length > 0 || report.status !== 'complete',
      internalError: null,
    };
  } catch (e) {
    return internalFailure(path, e instanceof Error ? e.message : String(e));
  }
}

/** A file da-audit could not judge because of itself (an exception, a worker that died): exit 4, the others still judged. */
export function internalFailure(path: string, message: string): FileResult {
  return { path, report: null, times: { sessions: [], pairs: [] }, diagnostics: [], damaged: false, internalError: message };
}
