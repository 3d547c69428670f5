/** A report as titled tables: one shape, rendered to the terminal (cli-table3) or to Markdown. */

import { escapeMarkdown, escapeTerminal } from './format.js';
import { gridTable, keyValueTable, paragraph, type Cell } from './table.js';

export type { Cell };

export interface Section {
  title: string;
  /** A key/value list (no head) or a table with a head row. */
  head: string[] | null;
  rows: Cell[][];
  /** Shown instead of an empty table. */
  empty?: string;
  /** Lines after the table. */
  notes?: string[];
}

function markdownCell(v: Cell): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((line) => escapeMarkdown(line)).join('<br>');
  return escapeMarkdown(String(v));
}

/** Terminal text: the heading, then each section's title and table, fitted to `width` columns (Infinity: no limit). */
export function renderSectionsTable(heading: string, sections: Section[], width: number): string {
  const out: string[] = [escapeTerminal(heading)];
  for (const s of sections) {
    out.push('', s.title);
    if (s.rows.length === 0) out.push(paragraph(s.empty ?? '(none)', width, '  '));
    else if (s.head === null) out.push(keyValueTable(s.rows.map((r) => [String(r[0] ?? ''), r[1]]), width));
    else out.push(gridTable(s.head, s.rows, width));
    for (const n of s.notes ?? []) out.push(paragraph(n, width, '  '));
  }
  return out.join('\n') + '\n';
}

export function renderSectionsMarkdown(heading: string, sections: Section[]): string {
  const out: string[] = [`# ${escapeMarkdown(heading)}`];
  for (const s of sections) {
    out.push('', `## ${escapeMarkdown(s.title)}`, '');
    if (s.rows.length === 0) {
      out.push(`_${escapeMarkdown(s.empty ?? 'none')}_`);
    } else {
      const head = s.head ?? ['Field', 'Value'];
      out.push(`| ${head.map(escapeMarkdown).join(' | ')} |`, `|${head.map(() => ' --- |').join('')}`);
      for (const r of s.rows) out.push(`| ${r.map(markdownCell).join(' | ')} |`);
    }
    for (const n of s.notes ?? []) out.push('', escapeMarkdown(n));
  }
  return out.join('\n') + '\n';
}
