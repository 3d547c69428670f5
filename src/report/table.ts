/** Terminal tables (cli-table3) with fixed styling: no colours, so output is stable and pipe-friendly. */

import Table from 'cli-table3';
import { escapeTerminal } from './format.js';

/** A cell: a value, or several lines (each escaped on its own, then laid out one per line). */
export type Cell = string | number | boolean | null | undefined | readonly string[];

function cell(v: Cell): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((line) => escapeTerminal(line)).join('\n');
  return escapeTerminal(String(v));
}

/** A two-column "field | value" table. Rows with an undefined value are left out. */
export function keyValueTable(rows: [string, Cell][]): string {
  const t = new Table({ style: { head: [], border: [], compact: true }, wordWrap: true, colWidths: [26, 78] });
  for (const [k, v] of rows) if (v !== undefined) t.push([k, cell(v)]);
  return t.toString();
}

/** A table with a header row. */
export function gridTable(head: string[], rows: Cell[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: false }, wordWrap: true });
  for (const r of rows) t.push(r.map(cell));
  return t.toString();
}
