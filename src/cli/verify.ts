/** `da-audit verify`: was each client-to-client session encrypted by IPsec? Exit 0 only when every judged one was. */

import { readFileSync } from 'node:fs';
import type { AnalyzeOptions } from '../analyze.js';
import type { Filters } from '../fleet/filters.js';
import { expandInputs } from '../fleet/inputs.js';
import type { FileResult, RecordTime } from '../fleet/judge.js';
import { judgeAll } from '../fleet/pool.js';
import { Progress } from '../fleet/progress.js';
import { recordMatches } from '../fleet/filters.js';
import { mergeAcrossFiles, type Side } from '../fleet/merge.js';
import { acrossJson, acrossRow, acrossSections } from '../report/across.js';
import { csvHeader, csvLine } from '../report/csv.js';
import { escapeTerminal } from '../report/format.js';
import { jsonlLine } from '../report/jsonl.js';
import { fileRow, otherFileRow, verdictRow } from '../report/rows.js';
import { totalsSection, type RunTotals } from '../report/run-totals.js';
import { renderSectionsMarkdown, renderSectionsTable } from '../report/sections.js';
import { countVerdicts, recordSpis, verifyDocument, type RecordJson, type VerifyReport } from '../report/verify.js';
import { renderVerifyMarkdown, renderVerifyTable } from '../report/verify-render.js';
import type { Verdict } from '../rules/types.js';
import type { Writer } from './diagnostics.js';
import { ExitCode, worst } from './exit-codes.js';
import { ioText, openOutputFile, OutputClosed, sameFile, type StdOutput } from './output.js';

export type VerifyFormat = 'table' | 'json' | 'md' | 'jsonl' | 'csv';

export interface VerifyOptions {
  format: VerifyFormat;
  strict: boolean;
  /** Columns tables must fit (Infinity: no limit); see tableWidth. */
  width: number;
  /** The full evidence (every reason, path and ESP SA) instead of the report to scan. */
  details: boolean;
  /** Colour the verdict words (terminal format only). */
  colour: boolean;
  analyze: AnalyzeOptions;
  /** Verdicts that make the exit code 1 (--fail-on). */
  failOn: Verdict[];
  /** Worker threads at most (--jobs). */
  jobs: number;
  /** --quiet: no report, no progress; problem lines and the exit code only. */
  quiet: boolean;
  /** -o FILE, or null for standard output. */
  output: string | null;
  /** --files-from LIST ('-': standard input), or null. */
  filesFrom: string | null;
  filters: Filters;
  /** The values in effect (command line over --config), recorded in the JSON report. */
  settings: Record<string, unknown>;
  /** Raw writes to a terminal's stderr for the progress line; null: no progress. */
  progress: ((raw: string) => void) | null;
}

/** The exit code one capture's verify report calls for (`evidence` uses it too). */
export function verdictExitCode(report: VerifyReport, strict: boolean, inputProblem: boolean): ExitCode {
  let code: ExitCode = ExitCode.Ok;
  // clear or integrity-only: the connection security rule was not met (exit 1); --strict: anything but "encrypted" is.
  if (report.result === 'findings' || (strict && report.result !== 'encrypted')) code = worst(code, ExitCode.Findings);
  // Something that could carry traffic between clients was not seen or not judged: never "all encrypted" (exit 5).
  if (report.result === 'incomplete') code = worst(code, ExitCode.Incomplete);
  if (inputProblem || report.status !== 'complete') code = worst(code, ExitCode.Input);
  return code;
}

/** A report as --format json/table/md shows it: only the reported (filtered) verdicts, counted again. */
function reported(r: FileResult, filters: Filters): VerifyReport {
  const report = r.report!;
  const sessions = report.sessions.filter((x, i) => recordMatches(filters, x, r.times.sessions[i]!));
  const pairs = report.pairs.filter((x, i) => recordMatches(filters, x, r.times.pairs[i]!));
  return { ...report, sessions, pairs, totals: countVerdicts([...sessions, ...pairs]) };
}

export async function runVerify(args: string[], opts: VerifyOptions, out: Writer, err: Writer): Promise<ExitCode> {
  if (opts.filesFrom === '-' && args.includes('-')) {
    err("da-audit: error: standard input cannot be both a capture ('-') and the --files-from list");
    return ExitCode.Usage;
  }
  const inputs = await expandInputs(args, opts.filesFrom, () => readFileSync(0, 'utf8'));
  let code: ExitCode = ExitCode.Ok;
  for (const p of inputs.problems) {
    err(`da-audit: error: ${escapeTerminal(p)}`);
    code = worst(code, ExitCode.Input);
  }
  let file: StdOutput | null = null;
  if (opts.output !== null) {
    const name = escapeTerminal(opts.output);
    if (inputs.captures.some((c) => sameFile(c, opts.output!))) {
      err(`da-audit: error: ${name} is an input capture; refusing to overwrite it (choose another -o)`);
      return ExitCode.Usage;
    }
    try {
      file = openOutputFile(opts.output);
    } catch (e) {
      err(`da-audit: error: cannot write ${name}: ${ioText(e)}`);
      return ExitCode.Usage;
    }
  }
  const target: Writer = opts.quiet && file === null ? () => undefined : (file?.write ?? out);
  // Once the output has failed (OutputClosed), later writes are dropped; main (standard output) or the end of this
  // function (-o) says how the run ends.
  let closed = false;
  const write: Writer = (s) => {
    if (closed) return;
    try {
      target(s);
    } catch (e) {
      if (!(e instanceof OutputClosed)) throw e;
      closed = true;
    }
  };
  const streaming = opts.format === 'jsonl' || opts.format === 'csv';
  const row = opts.format === 'csv' ? csvLine : jsonlLine;
  if (opts.format === 'csv') write(csvHeader());
  if (streaming) for (const s of inputs.skipped) write(row(otherFileRow('skipped', s.path, s.reason)));

  const totals: RunTotals = { verdicts: countVerdicts([]), files: { read: 0, damaged: 0, skipped: inputs.skipped.length, failed: 0 } };
  const reports: VerifyReport[] = [];
  const fileStatus: { file: string; status: string; result: string | null; damaged: boolean; error: string | null }[] = [];
  const progress = opts.progress && !opts.quiet && inputs.captures.length > 0 ? new Progress(inputs.captures, opts.progress) : null;
  const failOn = new Set<string>(opts.failOn);
  /** Every reported verdict of every file, kept small, for the rows across files. */
  const sides: Side[] = [];
  let judged = 0;

  const take = (r: FileResult): void => {
    if (r.diagnostics.length > 0 || r.report === null) progress?.clear();
    for (const line of r.diagnostics) err(line);
    if (r.report === null) {
      err(`da-audit: internal error: ${escapeTerminal(r.path)}: ${r.internalError ?? 'failed'}`);
      code = worst(code, ExitCode.Internal);
      totals.files.failed++;
      fileStatus.push({ file: r.path, status: 'internal-error', result: null, damaged: false, error: r.internalError });
      if (streaming) write(row(otherFileRow('internal-error', r.path, r.internalError ?? 'failed')));
      return;
    }
    const rep = reported(r, opts.filters);
    const fileIndex = judged++;
    const side = (x: RecordJson, t: RecordTime): Side => ({
      fileIndex, file: rep.file, kind: x.kind, verdict: x.verdict, a: x.a.address, b: x.b.address, aPort: x.a.port, bPort: x.b.port, protocol: x.protocol, spis: recordSpis(x),
      firstSec: t.firstSec, lastSec: t.lastSec, firstTime: t.first, lastTime: t.last, frames: x.frames, reasons: x.reasons.map((c) => c.code),
    });
    r.report.sessions.forEach((x, i) => {
      if (recordMatches(opts.filters, x, r.times.sessions[i]!)) sides.push(side(x, r.times.sessions[i]!));
    });
    r.report.pairs.forEach((x, i) => {
      if (recordMatches(opts.filters, x, r.times.pairs[i]!)) sides.push(side(x, r.times.pairs[i]!));
    });
    for (const [k, n] of Object.entries(rep.totals)) totals.verdicts[k as Verdict] += n;
    if (r.damaged) totals.files.damaged++;
    else totals.files.read++;
    fileStatus.push({ file: r.path, status: rep.status, result: rep.result, damaged: r.damaged, error: r.diagnostics.length > 0 ? r.diagnostics.join(' | ') : null });
    // A reported verdict named by --fail-on (default: clear or integrity-only); --strict: any result but "encrypted".
    if ([...rep.sessions, ...rep.pairs].some((x) => failOn.has(x.verdict)) || (opts.strict && rep.result !== 'encrypted')) code = worst(code, ExitCode.Findings);
    // Something that could carry traffic between clients was not seen or not judged: never "all encrypted" (exit 5).
    if (rep.result === 'incomplete') code = worst(code, ExitCode.Incomplete);
    if (r.damaged) code = worst(code, ExitCode.Input);
    if (streaming) {
      const report = r.report;
      report.sessions.forEach((x, i) => {
        if (recordMatches(opts.filters, x, r.times.sessions[i]!)) write(row(verdictRow(report, x, r.times.sessions[i]!)));
      });
      report.pairs.forEach((x, i) => {
        if (recordMatches(opts.filters, x, r.times.pairs[i]!)) write(row(verdictRow(report, x, r.times.pairs[i]!)));
      });
      write(row(fileRow(report, r.diagnostics)));
    } else {
      reports.push(rep);
    }
  };
  await judgeAll(inputs.captures, opts.analyze, opts.jobs, {
    started: (i) => progress?.started(inputs.captures[i]!),
    settled: (i) => progress?.settled(i),
    result: (_i, r) => take(r),
  });
  progress?.clear();

  // Across files: only with two files or more (a single capture's rows are its own).
  const across = judged > 1 ? mergeAcrossFiles(sides) : { pairs: [], sessions: [] };
  // A disagreement between the two sides makes the merged verdict clear: a finding like any clear verdict.
  if ([...across.pairs, ...across.sessions].some((m) => failOn.has(m.verdict))) code = worst(code, ExitCode.Findings);
  // One capture and nothing else: its Result section already says it all, so the table stays as it was.
  const single = judged === 1 && totals.files.skipped === 0 && totals.files.failed === 0 && inputs.problems.length === 0;
  const runSections = single ? [] : [...(judged > 1 ? acrossSections(across.pairs, across.sessions) : []), ...totalsSection(totals, inputs.skipped)];
  const runHeading = `All files of this run (${judged} judged)`;
  const run = {
    totals, files: fileStatus, skipped: inputs.skipped, ...(judged > 1 ? { acrossFiles: acrossJson(across.pairs, across.sessions) } : {}),
    settings: opts.settings, exitCode: code,
  };
  if (streaming) for (const m of [...across.pairs, ...across.sessions]) write(row(acrossRow(m)));
  if (opts.format === 'jsonl') write(JSON.stringify({ record: 'totals', ...totals, exitCode: code }));
  else if (opts.format === 'json') write(JSON.stringify({ ...verifyDocument(reports), run }, null, 2) + '\n');
  else if (opts.format === 'md') write(renderVerifyMarkdown(reports, opts.details) + (single ? '' : '\n' + renderSectionsMarkdown(runHeading, runSections)));
  else if (opts.format === 'table') write(renderVerifyTable(reports, { width: opts.width, details: opts.details, colour: opts.colour }) + (single ? '' : '\n' + renderSectionsTable(runHeading, runSections, opts.width)));

  if (file !== null) {
    const failure = await file.close();
    if (failure !== null) {
      err(`da-audit: error: cannot write ${escapeTerminal(opts.output!)}: ${ioText(failure)}; the output is incomplete`);
      return ExitCode.Input;
    }
  }
  return code;
}
