/** Display strings: times, sizes, and escaping of packet-derived text; the only place they are built. */

import type { TsResolution } from '../capture/timestamp.js';
import { u16be } from '../util/bytes.js';

/** Decimal digits that show a timestamp of resolution `res` without rounding (capped at ns). */
export function fractionDigits(res: TsResolution): number {
  return Math.min(9, res.exponent);
}

/** ISO 8601 UTC, e.g. 2026-11-26T06:37:06.123456Z, with `digits` fraction digits (truncated, never rounded). */
export function isoTime(sec: number, nsec: number, digits = 9): string {
  const date = new Date(sec * 1000);
  if (Number.isNaN(date.getTime())) return `${sec}.${String(nsec).padStart(9, '0')}s since 1970`;
  const whole = date.toISOString().slice(0, 19);
  if (digits <= 0) return `${whole}Z`;
  return `${whole}.${String(nsec).padStart(9, '0').slice(0, digits)}Z`;
}

/** Exact seconds as text, e.g. "12.000345000". */
export function secondsText(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/** "1,234,567" */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1,234,567 bytes (1.2 MB)" */
export function byteSize(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${count(n)} bytes (${v.toFixed(1)} ${units[u]})`;
}

/**
 * Makes packet- or file-derived text safe for a terminal or a plain-text table: control characters
 * (C0, DEL, C1), line and paragraph separators and bidirectional overrides become visible escapes
 * such as `\n` or `\u202e`, so a hostile name cannot move the cursor, fake a line or reorder text.
 */
export function escapeTerminal(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out;
}

/** The SHA-256 as shown in tables, saying so when it covers only the bytes read (a stream that stopped early). */
export function sha256Text(sha256: string | null, covers: 'whole input' | 'bytes read' | null, bytes: number): string | null {
  if (sha256 === null) return null;
  return covers === 'bytes read' ? `${sha256} (of the ${count(bytes)} bytes read, not the whole input)` : sha256;
}

/** Dotted-quad text of an IPv4 address given as an unsigned 32-bit number. */
export function ipv4Text(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/**
 * RFC 5952 text of the 16-byte IPv6 address at `buf[off]`: lower case, no leading zeros, the longest
 * run of two or more zero groups (the first on a tie) as "::", and IPv4-mapped addresses as
 * ::ffff:a.b.c.d. (ip6addr, which parses what users type, also shortens a single zero group, which
 * §4.2.2 forbids and tshark does not do; so printing is done here.)
 */
export function ipv6Text(buf: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(u16be(buf, off + 2 * i));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Text of a 16-byte address: dotted quad for IPv4-mapped, RFC 5952 otherwise. */
export function addressText(a: Uint8Array): string {
  let mapped = a[10] === 0xff && a[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (a[i] !== 0) mapped = false;
  return mapped ? `${a[12]}.${a[13]}.${a[14]}.${a[15]}` : ipv6Text(a, 0);
}

/**
 * Escapes text for a Markdown table cell: pipes, backticks, angle brackets, and control characters. GitHub-style
 * Markdown also turns bare `http://…`, `www.…` and `user@host` into links: a backslash before `:`, `.` or `@` there
 * keeps a hostile name from becoming one.
 */
export function escapeMarkdown(text: string): string {
  return escapeTerminal(text).replace(/[|`*_<>[\]\\]/g, (c) => `\\${c}`)
    .replace(/:\/\//g, '\\://').replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}\\.`).replace(/@/g, '\\@');
}

/** Escapes text for HTML text and attribute values, after making control characters visible (escapeTerminal). */
export function escapeHtml(text: string): string {
  return escapeTerminal(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * One CSV field (RFC 4180), control characters made visible (escapeTerminal): quoted when it holds a comma, quote or line break, and, against formula injection
 * (OWASP "CSV Injection"), a leading `=`, `+`, `-`, `@`, tab or carriage return is preceded by `'` so that a
 * spreadsheet shows it as text.
 */
export function escapeCsv(text: string): string {
  const visible = escapeTerminal(text);
  const plain = /^[=+\-@\t\r]/.test(visible) ? `'${visible}` : visible;
  return /[",\r\n]/.test(plain) ? `"${plain.replace(/"/g, '""')}"` : plain;
}

/** A POSIX shell word: as is when it holds only characters the shell takes literally, else single-quoted, with any single quote closed, escaped and reopened (nothing inside is expanded). */
export function shellQuote(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
