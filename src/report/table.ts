/** Terminal tables (cli-table3) and the lines around them, fitted to a width; no colours, so output is stable and pipe-friendly. */

import Table from 'cli-table3';
// The measure cli-table3 itself uses (same major version), so our column widths and its layout agree.
import stringWidthOf from 'string-width';
import { escapeTerminal } from './format.js';

/** A cell: a value, or several lines (each escaped on its own, then laid out one per line). */
export type Cell = string | number | boolean | null | undefined | readonly string[];

function cell(v: Cell): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((line) => escapeTerminal(line)).join('\n');
  return escapeTerminal(String(v));
}

/** Used when neither --width, a terminal nor $COLUMNS gives a width: wide reports stay readable in a log or a pager. */
const DEFAULT_WIDTH = 160;

/** Narrowest content a shrunk column gets: room for the longest escape (`\u202e`) and a short word. */
const MIN_COLUMN = 6;

/** Longest word kept whole while there is room: an IPv6 address as text (so it stays copyable into a display filter). */
const WHOLE_WORD = 39;

/** Per column: one space of padding each side, and its left border (the table adds one right border). */
const COLUMN_OVERHEAD = 3;

/** Lines drawn by one cli-table3 table (see draw). */
const CHUNK_LINES = 200;

/** Content widths (padding excluded) of the key and value columns of a key/value table when there is room. */
const KEY_VALUE_WIDTHS = [24, 76];

/**
 * The width tables must fit, in columns: `--width` (0 = no limit), else the terminal's width when
 * stdout is one, else $COLUMNS when it is a positive whole number, else 160. Infinity is no limit.
 */
export function tableWidth(
  option: number | undefined,
  stdout: { isTTY?: boolean; columns?: number } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (option !== undefined) return option === 0 ? Infinity : option;
  if (stdout.isTTY && stdout.columns !== undefined && stdout.columns > 0) return stdout.columns;
  const columns = env['COLUMNS'];
  if (columns !== undefined && /^\d+$/.test(columns) && Number(columns) > 0) return Number(columns);
  return DEFAULT_WIDTH;
}

/** A key/value table ("field | value"), values wrapped in their column. Rows with an undefined value are left out. */
export function keyValueTable(rows: [string, Cell][], width: number): string {
  const body = rows.filter(([, v]) => v !== undefined).map(([k, v]) => [k, cell(v)]);
  const words = [0, 1].map((i) => body.reduce((max, r) => Math.max(max, longestWord(r[i]!)), 0));
  const floors = [Math.max(MIN_COLUMN, words[0]!), MIN_COLUMN];
  const widths = fitColumns(KEY_VALUE_WIDTHS, words, floors, width) ?? KEY_VALUE_WIDTHS;
  return draw([], body.map((r) => r.map((text, i) => wrap(text, widths[i]!))), widths, false);
}

/** A table with a header row; as wide as its content when that fits `width`, else wrapped to fit. */
export function gridTable(head: string[], rows: Cell[][], width: number): string {
  const body = rows.map((r) => r.map(cell));
  const natural = head.map((h, i) => body.reduce((max, r) => Math.max(max, textWidth(r[i] ?? '')), textWidth(h)));
  const words = head.map((h, i) => body.reduce((max, r) => Math.max(max, longestWord(r[i] ?? '')), longestWord(h)));
  const floors = head.map((h) => Math.max(MIN_COLUMN, longestWord(h)));
  const widths = fitColumns(natural, words, floors, width);
  const lay = (r: string[]): string[][] => r.map((text, i) => (widths === null ? text.split('\n') : wrap(text, widths[i]!)));
  return draw(lay(head), body.map(lay), widths ?? natural, true);
}

/**
 * A line of prose between tables (a note, an error), `indent`ed and wrapped at spaces to fit `width`
 * as table cells are; lines after the first are indented two more, so that each note stands out.
 */
export function paragraph(text: string, width: number, indent: string): string {
  if (indent.length + displayWidth(text) <= width) return indent + text;
  const lines = wrap(text, Math.max(MIN_COLUMN, width - indent.length - 2));
  return lines.map((line, i) => (i === 0 ? indent : `${indent}  `) + line).join('\n');
}

/**
 * `first` then `text` wrapped at spaces to `width`, later lines indented by `rest`. Words are never cut, so an
 * address or a command stays whole (and copyable) even when it is wider than the line; a no-break space holds
 * two words on one line (it is printed as a plain space).
 */
export function hangingParagraph(text: string, width: number, first: string, rest: string): string {
  const lines: string[] = [];
  let line = first;
  let lineWidth = displayWidth(first);
  let empty = true;
  for (const word of text.split(/[ \t\n]+/).filter((w) => w !== '').map((w) => w.replace(/\u00a0/g, ' '))) {
    const w = displayWidth(word);
    if (!empty && lineWidth + 1 + w > width) {
      lines.push(line);
      line = rest + word;
      lineWidth = displayWidth(rest) + w;
    } else {
      line += (empty ? '' : ' ') + word;
      lineWidth += (empty ? 0 : 1) + w;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/**
 * Content widths that fit a table into `width` columns, or null when the natural widths fit as they
 * are. The widest columns give way first (water-filling), each down to its longest word (up to
 * WHOLE_WORD); if that is not enough, further down to its floor: its header's longest word, at least
 * MIN_COLUMN. When even the floors do not fit, the table keeps them and is wider than asked: a column
 * too narrow for its own header is less readable than a long line.
 */
function fitColumns(natural: number[], words: number[], floors: number[], width: number): number[] | null {
  const room = width - natural.length * COLUMN_OVERHEAD - 1;
  if (sum(natural) <= room) return null;
  const whole = natural.map((w, i) => Math.min(w, Math.max(floors[i]!, Math.min(words[i]!, WHOLE_WORD))));
  // When whole words do not fit, the columns with the longest words give way first, down to the floors.
  return sum(whole) <= room ? waterFill(natural, whole, room) : waterFill(whole, floors, room);
}

/** Content widths summing to `room` (or to the floors, if more): every column cut to one level, none below its floor. */
function waterFill(natural: number[], floors: number[], room: number): number[] {
  const at = (level: number): number[] => natural.map((w, i) => Math.max(Math.min(w, floors[i]!), Math.min(w, level)));
  let level = Math.max(...natural);
  while (level > 0 && sum(at(level)) > room) level--;
  const widths = at(level);
  // A whole level is too much; the columns that level cut share what is left, one column each, from the left.
  let spare = room - sum(widths);
  for (let i = 0; i < widths.length && spare > 0; i++) {
    if (widths[i] === level && natural[i]! > level) {
      widths[i]!++;
      spare--;
    }
  }
  return widths;
}

/**
 * Draws cells already laid out in lines of at most their column's width. cli-table3 0.6.5 spends
 * time quadratic in a cell's length on each line it draws of a multi-line cell (a debug preview;
 * cli-table3 issue #68, pull request #362): wrapped by cli-table3, the sample's verify report took
 * a second to draw and a hundred verbose rows a minute. So each line is a table row of its own,
 * drawn compact, and the rules a grid has between rows are put back here.
 *
 * Its layout is also quadratic in the number of rows (every cell looks for row spans in all the rows
 * above it): 30,000 lines took 27 s. So the lines are drawn CHUNK_LINES at a time with the same column
 * widths, and the chunks' bodies joined between the first chunk's top and bottom borders.
 */
function draw(head: string[][], rows: string[][][], widths: number[], ruled: boolean): string {
  const options = { colWidths: widths.map((w) => w + COLUMN_OVERHEAD - 1), style: { head: [], border: [], compact: true } };
  const heights = rows.map((r) => Math.max(1, ...r.map((lines) => lines.length)));
  const lines: string[][] = [];
  rows.forEach((r, k) => {
    for (let line = 0; line < heights[k]!; line++) lines.push(r.map((cellLines) => cellLines[line] ?? ''));
  });
  const first = new Table({ ...options, head: head.map((cellLines) => cellLines.join('\n')) });
  first.push(...lines.slice(0, CHUNK_LINES));
  const drawn = first.toString().split('\n');
  const bottom = drawn.pop()!;
  for (let at = CHUNK_LINES; at < lines.length; at += CHUNK_LINES) {
    const chunk = new Table(options);
    chunk.push(...lines.slice(at, at + CHUNK_LINES));
    drawn.push(...chunk.toString().split('\n').slice(1, -1));
  }
  drawn.push(bottom);
  if (!ruled) return drawn.join('\n');
  // Compact mode draws one rule, under the head; a grid has the same rule between rows.
  const headHeight = Math.max(1, ...head.map((lines) => lines.length));
  const rule = drawn[1 + headHeight]!;
  const out = drawn.slice(0, 2 + headHeight);
  let next = out.length;
  heights.forEach((h, k) => {
    if (k > 0) out.push(rule);
    out.push(...drawn.slice(next, next + h));
    next += h;
  });
  out.push(...drawn.slice(next));
  return out.join('\n');
}

/**
 * Lines of `text` no wider than `width`, broken at whitespace (which a break drops) as cli-table3's
 * word wrap breaks them, blank lines dropped as it does; but a word wider than the column is cut
 * first, where cli-table3 would truncate it with "…" (an address or a hash would lose characters).
 */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const source of breakLongWords(text, width).split('\n')) {
    if (!/\S/.test(source)) continue;
    const parts = source.split(/(\s+)/);
    let line = '';
    let lineWidth = 0;
    for (let i = 0; i < parts.length; i += 2) {
      const word = parts[i]!;
      const space = i > 0 ? parts[i - 1]! : '';
      const w = displayWidth(word);
      if (lineWidth + space.length + w > width) {
        if (lineWidth > 0) lines.push(line);
        line = word;
        lineWidth = w;
      } else {
        line += space + word;
        lineWidth += space.length + w;
      }
    }
    // Empty when the line's trailing whitespace was what did not fit.
    if (line !== '') lines.push(line);
  }
  return lines;
}

/** Cuts the words of `text` wider than `width` into pieces on lines of their own. */
function breakLongWords(text: string, width: number): string {
  return text.split('\n').map((line) => line.split(/(\s+)/)
    .map((part, i) => (i % 2 === 0 && displayWidth(part) > width ? breakWord(part, width) : part)).join('')).join('\n');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Characters after which an address, a list or a path reads well when cut. */
const SEPARATOR = /^[,;:/.\-=)\]]$/;

/** Pieces of `word` at most `width` wide, cut after a separator in the second half of a piece if there is one, never inside an escape. */
function breakWord(word: string, width: number): string {
  const units: string[] = [];
  // An escape written by escapeTerminal (\n, \\, \xHH, \uHHHH) is one unit, so `\x1b` is never cut; other text is cut between graphemes.
  for (const [run] of word.matchAll(/\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[\s\S])?|[^\\]+/g)) {
    if (run.startsWith('\\')) units.push(run);
    else for (const { segment } of graphemes.segment(run)) units.push(segment);
  }
  const pieces: string[] = [];
  let piece: string[] = [];
  let pieceWidth = 0;
  for (const unit of units) {
    const w = displayWidth(unit);
    while (piece.length > 0 && pieceWidth + w > width) {
      let cut = piece.length;
      for (let j = piece.length - 1, upTo = pieceWidth; j > 0 && 2 * upTo > width; upTo -= displayWidth(piece[j]!), j--) {
        if (SEPARATOR.test(piece[j]!)) {
          cut = j + 1;
          break;
        }
      }
      pieces.push(piece.slice(0, cut).join(''));
      piece = piece.slice(cut);
      pieceWidth = displayWidth(piece.join(''));
    }
    piece.push(unit);
    pieceWidth += w;
  }
  pieces.push(piece.join(''));
  return pieces.join('\n');
}

/** Display width of the widest line of `text`, as cli-table3 measures it. */
function textWidth(text: string): number {
  return text.split('\n').reduce((max, line) => Math.max(max, displayWidth(line)), 0);
}

function longestWord(text: string): number {
  return text.split(/\s+/).reduce((max, w) => Math.max(max, displayWidth(w)), 0);
}

/** string-width, which builds its ANSI and emoji patterns on every call, skipped for printable ASCII (one column a character). */
function displayWidth(text: string): number {
  return /^[\x20-\x7e]*$/.test(text) ? text.length : stringWidthOf(text);
}

function sum(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
