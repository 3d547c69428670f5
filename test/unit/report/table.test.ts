/** Terminal tables (src/report/table.ts): fitted to a width budget without losing a character, unchanged when they fit. */

import Table from 'cli-table3';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { escapeTerminal } from '../../../src/report/format.js';
import { gridTable, keyValueTable, paragraph, tableWidth, type Cell } from '../../../src/report/table.js';
import { cli } from '../../helpers/cli.js';

const HEAD = ['Verdict', 'Endpoints', 'Service', 'Protection path', 'Why', 'Frames'];

/** A row as verify writes them: addresses, a long path, several lines of prose, a frame list, and a hostile name. */
function wideRow(i: number): string[][] {
  return [
    ['CLEAR'],
    [`2001:db8:1:1000:8d4:1c2b:3a4d:5e6${i} port 59955`, `→ fe80::a1b2:c3d4:e5f6:789 port 49812 (evil\x1b[2J\u202e名前${i}.corp.contoso.example)`, 'tcp'],
    ['remote-assistance', '(established)'],
    [`ipv4 → tcp/443 tls(TLS_RSA_WITH_NULL_SHA256) ip-https → ipv6 fe80:: → esp (SPI 0x1a2b3c4${i} A→B: ciphertext; SPI 0x5e6f7a8b B→A: ciphertext)`],
    [
      `38 packet(s) of this TCP session travel without IPsec (frames 101–18${i})`,
      'note: RDP itself negotiated Standard RDP Security (RC4 inside RDP, frame 111): that is not IPsec, and does not change the verdict',
      `a token without spaces: ${'0123456789abcdef'.repeat(6)}${i}`,
    ],
    [`first 101, last 184; deciding ${Array.from({ length: 30 }, (_, k) => 101 + 3 * k + i).join(', ')}`],
  ];
}

const ROWS = [wideRow(1), wideRow(2), wideRow(3)];

/** What each cell shows once escaped, as the table must carry it. */
function shown(cell: string[]): string {
  return cell.map(escapeTerminal).join('\n');
}

function lines(table: string): string[] {
  return table.split('\n');
}

/**
 * The text of every cell, read back from the drawn table: the pieces of one column between two
 * horizontal rules, joined. Whitespace is dropped, since wrapping may turn a space into a line break.
 */
function cellsOf(table: string): string[][] {
  const rows: string[][] = [];
  let current: string[] | null = null;
  for (const line of lines(table)) {
    if (!line.startsWith('│')) {
      if (current) rows.push(current);
      current = null;
      continue;
    }
    const pieces = line.slice(1, -1).split('│');
    current ??= pieces.map(() => '');
    pieces.forEach((p, i) => (current![i] += p.replace(/\s+/g, '')));
  }
  return rows;
}

const compact = (text: string): string => text.replace(/\s+/g, '');

describe('gridTable', () => {
  it('leaves a table that fits as cli-table3 draws it without widths, byte for byte', () => {
    const head = ['Flow', 'SPI', 'Judgement'];
    const rows = [['12', '0x1a2b3c4d', 'encrypted'], ['13', '0x5e6f7a8b', ['NULL encryption', '', 'ICV 12 bytes']], ['14', '', '→ wide: 名前']];
    const plain = new Table({ head, style: { head: [], border: [], compact: false }, wordWrap: true });
    for (const r of rows) plain.push(r.map((c) => (Array.isArray(c) ? c.join('\n') : c)) as string[]);
    const natural = plain.toString();
    const width = Math.max(...lines(natural).map((l) => stringWidth(l)));
    for (const budget of [width, 160, Infinity]) expect(gridTable(head, rows, budget)).toBe(natural);
  });

  it('draws a long table in chunks that join into what cli-table3 draws in one piece, byte for byte', () => {
    // 700 rows, some of two lines: more than three chunks of lines, with a chunk boundary inside a row.
    const head = ['Frame', 'Exchange'];
    const rows = Array.from({ length: 700 }, (_, i) => [String(i + 1), i % 7 === 3 ? ['Main Mode (clear)', `notify ${i}`] : `Quick Mode ${i}`]);
    const plain = new Table({ head, style: { head: [], border: [], compact: false }, wordWrap: true });
    for (const r of rows) plain.push(r.map((c) => (Array.isArray(c) ? c.join('\n') : c)) as string[]);
    expect(gridTable(head, rows, Infinity)).toBe(plain.toString());
    const kv = keyValueTable(rows.map(([k, v]) => [k as string, v as Cell]), 160);
    expect(lines(kv)).toHaveLength(2 + rows.length + rows.filter((r) => Array.isArray(r[1])).length);
    expect(new Set(lines(kv).map((l) => stringWidth(l))).size).toBe(1);
    expect(cellsOf(kv)).toEqual([[rows.map((r) => r[0]).join(''), compact(rows.map((r) => (Array.isArray(r[1]) ? r[1].join('') : r[1])).join(''))]]);
  });

  for (const budget of [80, 120, 160]) {
    it(`fits a wide table into ${budget} columns and keeps every character of every cell`, () => {
      expect(stringWidth(lines(gridTable(HEAD, ROWS, Infinity))[0]!)).toBeGreaterThan(300);
      const table = gridTable(HEAD, ROWS, budget);
      for (const line of lines(table)) expect(stringWidth(line), line).toBeLessThanOrEqual(budget);
      expect(cellsOf(table)).toEqual([HEAD, ...ROWS.map((r) => r.map(shown))].map((r) => r.map(compact)));
      // Nothing was truncated, and we add no colours.
      expect(table).not.toContain('…');
      expect(table).not.toContain('\x1b');
    });
  }

  it('keeps escapes, IPv6 addresses and frame numbers whole where there is room', () => {
    const table = gridTable(HEAD, ROWS, 160);
    for (const i of [1, 2, 3]) {
      expect(table).toContain(`2001:db8:1:1000:8d4:1c2b:3a4d:5e6${i}`);
      for (let k = 0; k < 30; k++) expect(table).toMatch(new RegExp(`[ ,]${101 + 3 * k + i}(,|\\s)`));
    }
    expect(table).toContain('fe80::a1b2:c3d4:e5f6:789');
    expect(table.match(/\\x1b/g)).toHaveLength(3);
    expect(table.match(/\\u202e/g)).toHaveLength(3);
  });

  it('cuts a word longer than its column after a separator where it can, never inside an escape', () => {
    const hostile = `${'evil\\x1b'.repeat(10)}:${'\\u202e'.repeat(10)}`;
    const table = gridTable(['Name', 'Value'], [['x', `${'evil\x1b'.repeat(10)}:${'\u202e'.repeat(10)}`]], 30);
    for (const line of lines(table)) expect(stringWidth(line)).toBeLessThanOrEqual(30);
    expect(cellsOf(table)[1]).toEqual(['x', hostile]);
    expect(table.match(/\\x1b/g)).toHaveLength(10);
    expect(table.match(/\\u202e/g)).toHaveLength(10);
  });

  it('keeps each column at least as wide as its header word, at least 6, when the budget is smaller', () => {
    const table = gridTable(['Verdict', 'Confidence'], [['x'.repeat(50), 'y'.repeat(50)]], 10);
    expect(lines(table)[1]).toBe('│ Verdict │ Confidence │');
    expect(cellsOf(table)).toEqual([['Verdict', 'Confidence'], ['x'.repeat(50), 'y'.repeat(50)]]);
  });

  it('drops whitespace where a line breaks, and adds no blank line for trailing whitespace', () => {
    const table = gridTable(['Name', 'Value'], [['x', `${'word '.repeat(5)}      `], ['y', '   leading and trailing   ']], 20);
    expect(lines(table).filter((l) => /^│ +│ +│$/.test(l))).toEqual([]);
    expect(cellsOf(table)).toEqual([['Name', 'Value'], ['x', 'word'.repeat(5)], ['y', 'leadingandtrailing']]);
    for (const line of lines(table)) expect(stringWidth(line)).toBeLessThanOrEqual(20);
  });

  it('counts wide characters by their display width', () => {
    const table = gridTable(['Name'], [['名前'.repeat(40)]], 40);
    for (const line of lines(table)) expect(stringWidth(line)).toBeLessThanOrEqual(40);
    expect(cellsOf(table)[1]).toEqual(['名前'.repeat(40)]);
  });
});

describe('keyValueTable', () => {
  const rows: [string, string][] = [
    ['SHA-256', 'adcfa2dabb239d11576e9c7aaec4a563cf1d4cebe06674d0f5a5831c53cb695c'],
    ['Verdicts', '1 encrypted, 0 integrity-only, 2 clear, 0 failed, 0 inconclusive'],
    ['Decryption secrets blocks', 'a value long enough to wrap at every budget under test, since it runs well past eighty columns'],
  ];

  it('keeps its 26 + 78 columns when they fit, wrapped as cli-table3 wraps them', () => {
    const more: [string, Cell][] = [...rows, ['Lines', ['one', '', '  indented', 'x '.repeat(50)]], ['Empty', ''], ['Left out', undefined]];
    const fixed = new Table({ style: { head: [], border: [], compact: true }, wordWrap: true, colWidths: [26, 78] });
    for (const [k, v] of more) if (v !== undefined) fixed.push([k, Array.isArray(v) ? v.join('\n') : String(v)]);
    expect(keyValueTable(more, 160)).toBe(fixed.toString());
    expect(keyValueTable(more, 107)).toBe(fixed.toString());
    expect(keyValueTable(more, Infinity)).toBe(fixed.toString());
  });

  for (const budget of [60, 80, 100]) {
    it(`narrows to ${budget} columns, the value column first, keeping every character`, () => {
      const table = keyValueTable(rows, budget);
      for (const line of lines(table)) expect(stringWidth(line), line).toBeLessThanOrEqual(budget);
      // Compact: no rules between rows, so each column reads back as one text.
      expect(cellsOf(table)).toEqual([[0, 1].map((i) => compact(rows.map((r) => r[i]).join('')))]);
      expect(table).toContain(rows[0]![1].slice(0, 39)); // the hash is cut only where the column ends
    });
  }
});

describe('paragraph', () => {
  const note = 'A tunnelled packet counts twice: in its carrier\'s row (IP-HTTPS, Teredo, 6to4, ISATAP) and in the row of what it carries.';

  it('leaves a line that fits as it is', () => {
    expect(paragraph(note, 160, '  ')).toBe(`  ${note}`);
    expect(paragraph(note, Infinity, '')).toBe(note);
  });

  it('wraps at spaces, indenting the lines after the first, and keeps every word', () => {
    const text = paragraph(note, 60, '  ');
    for (const line of lines(text)) expect(stringWidth(line)).toBeLessThanOrEqual(60);
    expect(lines(text)[0]).toMatch(/^ {2}A tunnelled/);
    for (const line of lines(text).slice(1)) expect(line).toMatch(/^ {4}\S/);
    expect(text.split(/\s+/).filter(Boolean)).toEqual(note.split(' '));
  });
});

describe('tableWidth', () => {
  const pipe = { isTTY: false };

  it('takes --width first, 0 meaning no limit', () => {
    expect(tableWidth(100, { isTTY: true, columns: 80 }, { COLUMNS: '120' })).toBe(100);
    expect(tableWidth(0, { isTTY: true, columns: 80 }, { COLUMNS: '120' })).toBe(Infinity);
  });

  it('then the terminal width when stdout is a terminal', () => {
    expect(tableWidth(undefined, { isTTY: true, columns: 93 }, { COLUMNS: '120' })).toBe(93);
  });

  it('then COLUMNS when it is a positive whole number, else 160', () => {
    expect(tableWidth(undefined, pipe, { COLUMNS: '120' })).toBe(120);
    expect(tableWidth(undefined, { isTTY: true, columns: 0 }, { COLUMNS: '100' })).toBe(100);
    for (const bad of ['0', '-80', '80.5', 'wide', '', ' 80']) expect(tableWidth(undefined, pipe, { COLUMNS: bad }), bad).toBe(160);
    expect(tableWidth(undefined, pipe, {})).toBe(160);
  });
});

describe('da-audit tables and the width budget', () => {
  const SAMPLE = 'fixtures/captures/sample-directaccess.pcapng';
  const widest = (text: string): number => Math.max(...lines(text).map((l) => stringWidth(l)));

  // verify's tables are its --details report (the default one is checked in test/cli/verify-brief.test.ts).
  for (const [command, ...extra] of [['info'], ['summary'], ['verify', '--details']] as [string, ...string[]][]) {
    it(`${command}: 160 columns by default, COLUMNS through a pipe, and --width (before or after the command)`, () => {
      expect(widest(cli([command, ...extra, SAMPLE]).stdout)).toBeLessThanOrEqual(160);
      expect(widest(cli([command, ...extra, SAMPLE], undefined, { COLUMNS: '100' }).stdout)).toBeLessThanOrEqual(100);
      expect(widest(cli(['--width', '90', command, ...extra, SAMPLE], undefined, { COLUMNS: '200' }).stdout)).toBeLessThanOrEqual(90);
      expect(widest(cli([command, ...extra, '--width', '80', SAMPLE]).stdout)).toBeLessThanOrEqual(80);
    });
  }

  it('--width 0 draws every table at its natural width, one line per cell line', () => {
    const wide = cli(['--width', '0', 'verify', '--details', SAMPLE]);
    expect(wide.code).toBe(1);
    expect(widest(wide.stdout)).toBeGreaterThan(300);
    expect(wide.stdout).toMatch(/│ CLEAR +│ 2001:db8:1:1000:8d4:1c2b:3a4d:5e6f port \d+ +│ remote-assistance │ ipv6 ip-https → tcp → no IPsec │/);
  });

  it('rejects a width that is not a whole number with a usage error', () => {
    for (const bad of ['-1', 'wide', '8.5']) expect(cli(['--width', bad, 'info', SAMPLE]).code, bad).toBe(2);
  });

  it('lists --width in each command\'s help', () => {
    expect(cli(['verify', '--help']).stdout).toContain('--width <columns>');
  });
});
