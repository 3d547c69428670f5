/** Issue 16 item 1: command-line inputs (files, folders, --files-from lists, '-') → the captures to judge, in input order, and the files skipped. */

import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { otherFormat, unsupportedText } from '../capture/open.js';
import { isPcapMagic } from '../capture/pcap.js';
import { openSource } from '../capture/source.js';
import { BlockType } from '../capture/pcapng.js';
import { u32be } from '../util/bytes.js';

/** A file found in a folder that is not a capture: listed, never judged. */
export interface Skipped {
  path: string;
  reason: string;
}

export interface Inputs {
  /** Paths to judge, in the order given (a folder's captures sorted by name, depth first); '-' is standard input. */
  captures: string[];
  skipped: Skipped[];
  /** Arguments that could not be used at all (a missing --files-from list, an unreadable folder): one line each. */
  problems: string[];
}

/** Bytes read to tell what a file is: a pcap or pcapng magic takes 4, a format named by otherFormat up to 8. */
const SNIFF_BYTES = 8;

/** What the first bytes of a file (decompressed when it is gzip) say it is: a capture, or why it is not one. */
export function sniff(head: Uint8Array): { capture: true } | { capture: false; reason: string } {
  const other = otherFormat(head);
  if (other !== null) return { capture: false, reason: unsupportedText(other) };
  if (head.length < 4) return { capture: false, reason: head.length === 0 ? 'empty file' : `only ${head.length} byte(s) long` };
  const magic = u32be(head, 0);
  if (isPcapMagic(magic) || magic === BlockType.SHB) return { capture: true };
  return { capture: false, reason: 'not a pcap or pcapng file (unknown magic)' };
}

/**
 * Reads the first 4 bytes through the reader's own source (capture/source.ts), so that a gzip file is judged as
 * the reader will read it: several members, a cut stream or bytes after the end are the reader's business (a
 * damaged capture, judged and reported as such), not a reason to skip it.
 */
async function sniffFile(path: string): Promise<{ capture: true } | { capture: false; reason: string }> {
  const { source, compression } = await openSource(path, 'none');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    let n = 0;
    try {
      for (let got = -1; got !== 0 && n < head.length; n += got) got = await source.read(head, n, head.length - n);
    } catch {
      // A gzip error before the first 4 bytes: nothing in it can be read. After them the magic decides, and the damage
      // is the reader's business.
      if (n < 4) return { capture: false, reason: 'gzip data that cannot be inflated' };
    }
    const r = sniff(head.subarray(0, n));
    return r.capture || compression === 'none' ? r : { capture: false, reason: `gzip-compressed, but not a capture inside (${r.reason})` };
  } finally {
    await source.close().catch(() => undefined);
  }
}

function errText(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

/**
 * Expands the arguments. A named file (an argument or a line of a --files-from list) is judged whatever it holds,
 * as before (a non-capture is an input problem, exit 3); inside a folder, only files whose first bytes are a pcap,
 * pcapng or gzip-compressed capture are judged, the others are skipped. Symbolic links to folders are followed once
 * (a folder met again through a loop is not entered again).
 */
export async function expandInputs(args: string[], filesFrom: string | null, readStdin: () => string): Promise<Inputs> {
  const out: Inputs = { captures: [], skipped: [], problems: [] };
  const seenDirs = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    let real: string;
    let names: string[];
    try {
      real = realpathSync(dir);
      names = readdirSync(dir);
    } catch (e) {
      out.problems.push(`cannot read folder ${dir}: ${errText(e)}`);
      return;
    }
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    // Code-unit order, not the locale's: the same folder gives the same order on every machine.
    names.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    for (const name of names) {
      const p = join(dir, name);
      let st;
      try {
        st = statSync(p);
      } catch (e) {
        out.skipped.push({ path: p, reason: errText(e) });
        continue;
      }
      if (st.isDirectory()) await walk(p);
      else if (!st.isFile()) out.skipped.push({ path: p, reason: 'not a regular file' });
      else {
        try {
          const s = await sniffFile(p);
          if (s.capture) out.captures.push(p);
          else out.skipped.push({ path: p, reason: s.reason });
        } catch (e) {
          out.skipped.push({ path: p, reason: errText(e) });
        }
      }
    }
  };
  const named = async (p: string): Promise<void> => {
    let dir = false;
    try {
      dir = p !== '-' && statSync(p).isDirectory();
    } catch {
      // Missing or unreadable: the reader says why, with its usual error line (exit 3).
    }
    if (dir) await walk(p);
    else out.captures.push(p);
  };
  for (const a of args) await named(a);
  if (filesFrom !== null) {
    let text: string | null = null;
    try {
      text = filesFrom === '-' ? readStdin() : readFileSync(filesFrom, 'utf8');
    } catch (e) {
      out.problems.push(`cannot read the list ${filesFrom}: ${errText(e)}`);
    }
    // One path per line, as `find … > list` writes it; a trailing CR (a list saved on Windows) is not part of the name.
    for (const line of text?.split('\n') ?? []) {
      const p = line.replace(/\r$/, '');
      if (p !== '') await named(p);
    }
  }
  return out;
}
