/**
 * Issue 16 item 5: `--format csv`: RFC 4180 (CRLF line ends, a field with a comma or quote quoted, quotes doubled),
 * and safe to open in a spreadsheet: a cell that starts with = + - @ TAB or CR, which Excel, LibreOffice and Google
 * Sheets would run as a formula (OWASP "CSV injection"), gets a leading apostrophe; control characters are shown
 * as escapes (\n), as in every other medium.
 */

import { escapeCsv } from './format.js';
import { ROW_FIELDS, type Row, type RowValue } from './rows.js';

/** One cell: lists joined by spaces, null empty, the text escaped as every CSV da-audit writes (format.ts escapeCsv). */
export function csvCell(v: RowValue): string {
  return escapeCsv(v === null ? '' : Array.isArray(v) ? v.join(' ') : String(v));
}

export function csvHeader(): string {
  return `${ROW_FIELDS.join(',')}\r\n`;
}

export function csvLine(row: Row): string {
  return `${ROW_FIELDS.map((f) => csvCell(row[f])).join(',')}\r\n`;
}
