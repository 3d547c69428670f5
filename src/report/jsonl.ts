/** Issue 16 item 5: `--format jsonl`: one JSON object per line (rows.ts), so a SIEM reads verdicts as they come. */

import { ROW_FIELDS, type Row } from './rows.js';

/** One line (no newline); keys in ROW_FIELDS order. JSON.stringify escapes every control character a packet may carry. */
export function jsonlLine(row: Row): string {
  const ordered: Record<string, unknown> = {};
  for (const f of ROW_FIELDS) ordered[f] = row[f];
  return JSON.stringify(ordered);
}
