/** Issue 16 item 8: one updating progress line on a terminal's stderr: captures done / total, MB/s, ETA, the file being read. */

import { statSync } from 'node:fs';

/** Fewer redraws than events: a thousand small captures must not flood the terminal. */
const REDRAW_MS = 200;

export class Progress {
  private readonly write: (raw: string) => void;
  private readonly sizes: number[];
  private readonly total: number;
  private readonly totalBytes: number;
  private readonly t0 = Date.now();
  private done = 0;
  private doneBytes = 0;
  private current = '';
  /** When the line was last drawn (ms), and whether it is on the screen now. */
  private drawn = 0;
  private shown = false;

  /** `write` takes raw text (no newline is added); `paths` are the captures in input order. */
  constructor(paths: string[], write: (raw: string) => void) {
    this.write = write;
    this.total = paths.length;
    this.sizes = paths.map((p) => {
      try {
        return p === '-' ? 0 : statSync(p).size;
      } catch {
        return 0;
      }
    });
    this.totalBytes = this.sizes.reduce((x, y) => x + y, 0);
  }

  started(name: string): void {
    this.current = name;
    this.draw(false);
  }

  settled(index: number): void {
    this.done++;
    this.doneBytes += this.sizes[index] ?? 0;
    this.draw(this.done === this.total);
  }

  /** Removes the line, so that what follows on stderr starts on a clean line. */
  clear(): void {
    if (this.shown) this.write('\r\x1b[K');
    this.shown = false;
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.drawn < REDRAW_MS) return;
    this.drawn = now;
    this.shown = true;
    this.write(`\r\x1b[K${progressLine(this.done, this.total, this.doneBytes, this.totalBytes, (now - this.t0) / 1000, this.current)}`);
  }
}

/** The text of the line, e.g. "12/40 captures, 85.3 MB/s, ETA 0:42, capture-13.pcapng". The file name is a user's path: control characters are shown as '?'. */
export function progressLine(done: number, total: number, doneBytes: number, totalBytes: number, seconds: number, current: string): string {
  const rate = seconds > 0 ? doneBytes / seconds : 0;
  const left = rate > 0 ? Math.round((totalBytes - doneBytes) / rate) : null;
  const eta = left === null ? '--:--' : `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  const name = current.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const shown = name.length > 60 ? `…${name.slice(-59)}` : name;
  return `${done}/${total} captures, ${(rate / 1e6).toFixed(1)} MB/s, ETA ${eta}, ${shown}`;
}
