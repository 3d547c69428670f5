/**
 * Issue 16 item 5: the flat rows of `verify --format jsonl|csv`, one per verdict, per file and per skipped file, with
 * stable field names (docs/cli.md "JSONL and CSV"). One shape for both formats, so a column is never in one only.
 */

import type { RecordJson, VerifyReport } from './verify.js';

/** Column order of the CSV and key order of each JSON line. */
export const ROW_FIELDS = [
  'record', 'file', 'fileSha256', 'fileStatus', 'fileResult', 'kind', 'verdict', 'a', 'aPort', 'aNames', 'b', 'bPort', 'bNames', 'protocol', 'service',
  'state', 'reasons', 'cause', 'spis', 'firstFrame', 'lastFrame', 'decidingFrames', 'firstTime', 'lastTime', 'detail',
] as const;

export type RowField = (typeof ROW_FIELDS)[number];
export type RowValue = string | number | null | string[] | number[];
export type Row = Record<RowField, RowValue>;

/** Every field null: a row of one record kind fills in its own. */
export const EMPTY_ROW: Row = Object.fromEntries(ROW_FIELDS.map((f) => [f, null])) as Row;

/** The file's SHA-256 when it covers the file as stored (not when only the bytes read of a stream could be hashed). */
function fileSha256(report: VerifyReport): string | null {
  return report.sha256Covers === 'whole input' ? report.sha256 : null;
}

/** One verdict (a session or a pair of clients) of one file. */
export function verdictRow(report: VerifyReport, r: RecordJson, time: { first: string | null; last: string | null }): Row {
  return {
    ...EMPTY_ROW, record: 'verdict', file: report.file, fileSha256: fileSha256(report), fileStatus: report.status, fileResult: report.result, kind: r.kind, verdict: r.verdict,
    a: r.a.address, aPort: r.a.port, aNames: r.a.names, b: r.b.address, bPort: r.b.port, bNames: r.b.names, protocol: r.protocol, service: r.service.name,
    state: r.state, reasons: r.reasons.map((x) => x.code), cause: r.cause?.code ?? null, spis: r.spis,
    firstFrame: r.frames.first, lastFrame: r.frames.last, decidingFrames: r.frames.deciding, firstTime: time.first, lastTime: time.last,
  };
}

/** One file judged: how far it was read and what it adds up to (`detail`: its diagnostics). */
export function fileRow(report: VerifyReport, diagnostics: string[]): Row {
  return { ...EMPTY_ROW, record: 'file', file: report.file, fileSha256: fileSha256(report), fileStatus: report.status, fileResult: report.result, detail: diagnostics.length > 0 ? diagnostics.join(' | ') : null };
}

/** A file da-audit skipped (not a capture) or failed on (an internal error). */
export function otherFileRow(record: 'skipped' | 'internal-error', file: string, detail: string): Row {
  return { ...EMPTY_ROW, record, file, detail };
}
