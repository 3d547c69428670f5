/** `da-audit verify`: was each client-to-client session encrypted by IPsec? Exit 0 only when every judged one was. */

import { analyze, type AnalyzeOptions } from '../analyze.js';
import { buildVerify, type VerifyReport } from '../report/verify.js';
import { renderVerifyJson, renderVerifyMarkdown, renderVerifyTable } from '../report/verify-render.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode, worst } from './exit-codes.js';

export interface VerifyOptions {
  format: 'table' | 'json' | 'md';
  strict: boolean;
  /** Columns tables must fit (Infinity: no limit); see tableWidth. */
  width: number;
  /** The full evidence (every reason, path and ESP SA) instead of the report to scan. */
  details: boolean;
  /** Colour the verdict words (terminal format only). */
  colour: boolean;
  analyze: AnalyzeOptions;
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

export async function runVerify(files: string[], opts: VerifyOptions, out: Writer, err: Writer): Promise<ExitCode> {
  const reports = [];
  let code: ExitCode = ExitCode.Ok;
  for (const file of files) {
    const analysis = await analyze(file, opts.analyze);
    reportCaptureProblems(analysis.capture, err);
    const report = buildVerify(analysis);
    reports.push(report);
    code = worst(code, verdictExitCode(report, opts.strict, analysis.capture.error !== null || analysis.capture.warnings.length > 0));
  }
  out(opts.format === 'json' ? renderVerifyJson(reports)
    : opts.format === 'md' ? renderVerifyMarkdown(reports, opts.details)
      : renderVerifyTable(reports, { width: opts.width, details: opts.details, colour: opts.colour }));
  return code;
}
