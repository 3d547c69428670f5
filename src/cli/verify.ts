/** `da-audit verify`: was each client-to-client session encrypted by IPsec? Exit 0 only when every judged one was. */

import { analyze, type AnalyzeOptions } from '../analyze.js';
import { buildVerify } from '../report/verify.js';
import { renderVerifyJson, renderVerifyMarkdown, renderVerifyTable } from '../report/verify-render.js';
import { verify } from '../rules/verdicts.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode, worst } from './exit-codes.js';

export interface VerifyOptions {
  format: 'table' | 'json' | 'md';
  strict: boolean;
  /** Columns tables must fit (Infinity: no limit); see tableWidth. */
  width: number;
  raPorts: number[];
  analyze: AnalyzeOptions;
}

export async function runVerify(files: string[], opts: VerifyOptions, out: Writer, err: Writer): Promise<ExitCode> {
  const reports = [];
  let code: ExitCode = ExitCode.Ok;
  for (const file of files) {
    const analysis = await analyze(file, opts.analyze);
    reportCaptureProblems(analysis.capture, err);
    const result = verify({
      flows: analysis.flows, negotiations: analysis.negotiations, prefixes: analysis.prefixes,
      service: { raPorts: opts.raPorts }, flowById: (id) => analysis.byId.get(id),
    });
    const report = buildVerify(analysis, result);
    reports.push(report);
    // clear or integrity-only: the connection security rule was not met (exit 1); --strict: so is any failed or inconclusive.
    const t = report.totals;
    if (t.clear + t['integrity-only'] > 0 || (opts.strict && t.failed + t.inconclusive > 0)) code = worst(code, ExitCode.Findings);
    if (analysis.capture.error !== null || analysis.capture.warnings.length > 0 || report.status !== 'complete') code = worst(code, ExitCode.Input);
  }
  out(opts.format === 'json' ? renderVerifyJson(reports) : opts.format === 'md' ? renderVerifyMarkdown(reports) : renderVerifyTable(reports, opts.width));
  return code;
}
