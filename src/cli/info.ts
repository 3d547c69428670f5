/** `da-audit info`: the facts of each capture file, like capinfos. */

import { readCapture } from '../capture/open.js';
import { buildInfo } from '../report/info.js';
import { renderInfoJson, renderInfoTable } from '../report/info-render.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode, worst } from './exit-codes.js';
import { captureInputs } from './inputs.js';

export interface InfoOptions {
  format: 'table' | 'json';
  strict: boolean;
  /** Columns tables must fit (Infinity: no limit); see tableWidth. */
  width: number;
}

export async function runInfo(files: string[], opts: InfoOptions, out: Writer, err: Writer): Promise<ExitCode> {
  const reports = [];
  const inputs = await captureInputs(files, err);
  let code: ExitCode = inputs.problems.length > 0 ? ExitCode.Input : ExitCode.Ok;
  for (const file of inputs.captures) {
    const result = await readCapture(file, () => undefined);
    reportCaptureProblems(result, err);
    const report = buildInfo(result);
    reports.push(report);
    // Any warning line (cut short, bytes after the gzip stream) means the input is damaged: exit 3, as for an error.
    if (report.status !== 'complete' || report.warnings.length > 0) code = worst(code, ExitCode.Input);
    if (opts.strict && report.anomalies.some((a) => a.id.startsWith('capture.'))) code = worst(code, ExitCode.Input);
  }
  out(opts.format === 'json' ? renderInfoJson(reports) : renderInfoTable(reports, opts.width));
  return code;
}
