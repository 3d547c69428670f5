/** Standard output and error for the CLI: a write failure becomes a state with a documented exit code, never a crash. */

import { createWriteStream, openSync, statSync } from 'node:fs';
import type { Writer } from './diagnostics.js';

/** Thrown by a write after the output has failed, so that a long run (decode) stops instead of working for nobody. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed');
  }
}

/** errno code → a few words, for the one-line error. */
export function ioText(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT': return 'no such file or folder';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EISDIR': return 'is a folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EFBIG': return 'file too large';
    case 'EIO': return 'input/output error';
    case 'EPIPE': return 'the reader closed the pipe';
    default: return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Wraps a stream (process.stdout, process.stderr). Why not write to it directly: Node reports a closed
 * pipe (`| head -1`) or a full disk (`> /dev/full`) as an 'error' event after the write returned, and an
 * unhandled one ends the process with a stack trace and exit 1, the code of a finding.
 */
export class StdOutput {
  /** The first write failure, or null. */
  failure: NodeJS.ErrnoException | null = null;
  private readonly stream: NodeJS.WritableStream;
  private written = false;

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      this.failure ??= e;
    });
  }

  /** Writes one line (a newline is added when missing); throws OutputClosed once the output has failed. */
  readonly write: Writer = (s) => {
    if (this.failure) throw new OutputClosed();
    this.written = true;
    this.stream.write(s.endsWith('\n') ? s : `${s}\n`);
  };

  /** True when the reader went away: a closed pipe, which ends the run quietly. */
  get closed(): boolean {
    return this.failure?.code === 'EPIPE';
  }

  /**
   * Waits until everything written has left the process (or failed), then returns the failure, if any. Nothing
   * is written when nothing was (extract -o - writes the file itself): even an empty write fails on /dev/full.
   */
  async flush(): Promise<NodeJS.ErrnoException | null> {
    if (!this.failure && this.written) {
      await new Promise<void>((resolve) => {
        // A file stream calls back with the error before it emits 'error': take it from here.
        this.stream.write('', (e?: Error | null) => {
          if (e) this.failure ??= e as NodeJS.ErrnoException;
          resolve();
        });
      });
    }
    return this.failure;
  }

  /** For a file (-o): flushes, then closes it; returns the first failure, if any. */
  async close(): Promise<NodeJS.ErrnoException | null> {
    await this.flush();
    const file = this.stream as NodeJS.WritableStream & { destroy(): void };
    if (this.failure) file.destroy();
    else await new Promise<void>((resolve) => file.end(() => resolve()));
    return this.failure;
  }
}

/** True when `output` names the same file as `input` (also through a link): writing it would destroy the input. */
export function sameFile(input: string, output: string): boolean {
  if (input === '-' || output === '-') return false;
  try {
    const a = statSync(input);
    const b = statSync(output);
    return a.isFile() && a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/**
 * The report file of `-o FILE`, written like standard output (a failure is kept, then reported once). Opened here,
 * before any work, so a path that cannot be created is a usage error at once; throws the open error.
 */
export function openOutputFile(path: string): StdOutput {
  return new StdOutput(createWriteStream('', { fd: openSync(path, 'w') }));
}
