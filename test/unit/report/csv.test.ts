/** report/csv.ts: RFC 4180 quoting and the neutralised formula starts (OWASP "CSV injection"), cell by cell. */
import { describe, expect, it } from 'vitest';
import { csvCell, csvHeader, csvLine } from '../../../src/report/csv.js';
import { EMPTY_ROW, ROW_FIELDS } from '../../../src/report/rows.js';

describe('csvCell', () => {
  it('puts an apostrophe before every character a spreadsheet reads as the start of a formula', () => {
    expect(['=SUM(A1)', '+1', '-1', '@cmd'].map(csvCell)).toEqual(["'=SUM(A1)", "'+1", "'-1", "'@cmd"]);
    // A leading tab or carriage return is shown as its escape, which no spreadsheet reads as a formula.
    expect(['\tx', '\rx'].map(csvCell)).toEqual(['\\tx', '\\rx']);
  });

  it('quotes a field with a comma or a quote, doubling its quotes; shows control characters as escapes; leaves others as they are', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    // A line break is shown as the escape \n (as in every medium), so a row stays one line.
    expect(csvCell('two\nlines')).toBe('two\\nlines');
    expect(csvCell('=a,"b"')).toBe('"\'=a,""b"""');
    expect(csvCell('fe80::1')).toBe('fe80::1');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('writes null as an empty cell, numbers as digits, lists joined by spaces', () => {
    expect([csvCell(null), csvCell(0), csvCell(49802), csvCell([1, 2, 4]), csvCell(['ipsec.none', 'tcp.refused']), csvCell([])]).toEqual(['', '0', '49802', '1 2 4', 'ipsec.none tcp.refused', '']);
  });

  it('ends every line with CRLF and writes the fields in ROW_FIELDS order', () => {
    expect(csvHeader()).toBe(`${ROW_FIELDS.join(',')}\r\n`);
    const line = csvLine({ ...EMPTY_ROW, record: 'skipped', file: '-', detail: 'empty file' });
    expect(line).toBe(`skipped,'-${','.repeat(ROW_FIELDS.length - 2)}empty file\r\n`);
  });
});
