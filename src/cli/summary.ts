/** `da-audit summary`: the DirectAccess picture of each capture. */

import { analyze, type AnalyzeOptions } from '../analyze.js';
import { buildSummary } from '../report/summary.js';
import { renderSummaryJson, renderSummaryMarkdown, renderSummaryTable } from '../report/summary-render.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode, worst } from './exit-codes.js';
import { captureInputs } from './inputs.js';

export interface SummaryOptions {
  format: 'table' | 'json' | 'md';
  strict: boolean;
  /** Columns tables must fit (Infinity: no limit); see tableWidth. */
  width: number;
  top: number;
  analyze: AnalyzeOptions;
}

export async function runSummary(files: string[], opts: SummaryOptions, out: Writer, err: Writer): Promise<ExitCode> {
  const reports = [];
  const inputs = await captureInputs(files, err);
  let code: ExitCode = inputs.problems.length > 0 ? ExitCode.Input : ExitCode.Ok;
  for (const file of inputs.captures) {
    const analysis = await analyze(file, opts.analyze);
    reportCaptureProblems(analysis.capture, err);
    const report = buildSummary(analysis, opts.top);
    reports.push(report);
    if (report.capture.status !== 'complete' || report.capture.warnings.length > 0) code = worst(code, ExitCode.Input);
    if (opts.strict && report.capture.anomalies.some((a) => a.id.startsWith('capture.'))) code = worst(code, ExitCode.Input);
  }
  out(opts.format === 'json' ? renderSummaryJson(reports) : opts.format === 'md' ? renderSummaryMarkdown(reports) : renderSummaryTable(reports, opts.width));
  return code;
}
