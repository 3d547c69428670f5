/**
 * Issue 16 item 5: `--format csv`: RFC 4180 (CRLF line ends, a field with a comma, quote, CR or LF quoted, quotes
 * doubled), and safe to open in a spreadsheet: a cell that starts with = + - @ TAB or CR, which Excel, LibreOffice
 * and Google Sheets would run as a formula (OWASP "CSV injection"), gets a leading apostrophe.
 */

import { ROW_FIELDS, type Row, type RowValue } from './rows.js';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: RowValue): string {
  let text = v === null ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${ROW_FIELDS.join(',')}\r\n`;
}

export function csvLine(row: Row): string {
  return `${ROW_FIELDS.map((f) => csvCell(row[f])).join(',')}\r\n`;
}
