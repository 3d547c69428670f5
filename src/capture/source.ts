/** Byte sources for the capture reader: a file, standard input, or a gzip stream over either (RFC 1952). */

import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';
import { u32le } from '../util/bytes.js';

/** Reads bytes into a caller-owned buffer; returns 0 at the end of the input. */
export interface ByteSource {
  read(into: Uint8Array, at: number, max: number): Promise<number>;
  close(): Promise<void>;
}

/** Compression of the input, detected by magic. */
export type Compression = 'none' | 'gzip';

/**
 * Counts and hashes the raw input bytes (the file as stored, compressed or not), so the SHA-256
 * matches `capinfos -H` / `sha256sum` and is computed in the same pass as the parse.
 */
export class RawTap {
  bytes = 0;
  /** True once the raw input has been read to its end. */
  complete = false;
  private hash: Hash | null;
  private external: Promise<string | null> | null = null;
  constructor(withHash: boolean) {
    this.hash = withHash ? createHash('sha256') : null;
  }
  /**
   * Hashes a large regular file on a worker thread instead. SHA-256 costs more than parsing (about
   * 0.75 s per GiB even with SHA-NI), so on a second core it runs beside the parse rather than before
   * each chunk of it; the file comes from the page cache either way.
   */
  hashInWorker(path: string): void {
    this.hash = null;
    this.external = hashInWorker(path);
  }
  update(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.hash) this.hash.update(chunk);
  }
  /** True when the digest will cover the whole input (read to its end, or hashed on its own). */
  get whole(): boolean {
    return this.complete || this.external !== null;
  }
  digest(): Promise<string | null> {
    if (this.external) return this.external;
    return Promise.resolve(this.hash ? this.hash.digest('hex') : null);
  }
}

/**
 * How the raw input is hashed: not at all, in the pass that reads it, or (a large regular file) on a thread of its own
 * beside the parse when a core is free for it.
 */
export type Hashing = 'none' | 'in-pass' | 'own-thread';

/** Files at least this large are hashed on a worker thread; below it the thread would cost more than it saves. */
const WORKER_HASH_MIN_BYTES = 32 * 1024 * 1024;

/** The worker's code (CommonJS, evaluated): stream the file through SHA-256, post the hex digest. */
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const h = require('node:crypto').createHash('sha256');
const fd = fs.openSync(workerData, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
fs.closeSync(fd);
parentPort.postMessage(h.digest('hex'));
`;

function hashInWorker(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const w = new Worker(HASH_WORKER, { eval: true, workerData: path });
    w.once('message', (digest: string) => resolve(digest));
    w.once('error', () => resolve(null));
    w.once('exit', () => resolve(null));
  });
}

/** Reads a file straight into the reader's buffer: no intermediate copies, no allocation per read. */
class FileSource implements ByteSource {
  private readonly fh: FileHandle;
  private readonly tap: RawTap;
  constructor(fh: FileHandle, tap: RawTap) {
    this.fh = fh;
    this.tap = tap;
  }
  async read(into: Uint8Array, at: number, max: number): Promise<number> {
    const { bytesRead } = await this.fh.read(into, at, max, null);
    if (bytesRead > 0) this.tap.update(into.subarray(at, at + bytesRead));
    else this.tap.complete = true;
    return bytesRead;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Signals that a gzip stream stopped before its end marker or trailer; everything decompressed before it was delivered. */
export class GzipTruncatedError extends Error {
  constructor() {
    super('gzip stream ends early');
  }
}

/** Signals corrupt gzip data (bad header, corrupt deflate data, CRC-32 or length mismatch); the output before it was delivered. */
export class GzipDataError extends Error {
  /** Offset in the compressed input where the problem was found. */
  readonly rawOffset: number;
  constructor(message: string, rawOffset: number) {
    super(message);
    this.rawOffset = rawOffset;
  }
}

/** Signals bytes after the last gzip member that do not start another member (gzip -dc: "trailing garbage ignored"). */
export class GzipTrailingDataError extends Error {
  readonly rawOffset: number;
  constructor(rawOffset: number) {
    super('data after the end of the gzip stream');
    this.rawOffset = rawOffset;
  }
}

/** Adapts an async iterator of chunks to {@link ByteSource}, keeping the unread rest of a chunk. */
class IteratorSource implements ByteSource {
  private pending: Uint8Array | null = null;
  private pendingAt = 0;
  private readonly it: AsyncIterator<Uint8Array>;
  private readonly onClose: () => Promise<void>;
  constructor(it: AsyncIterator<Uint8Array>, onClose: () => Promise<void>) {
    this.it = it;
    this.onClose = onClose;
  }
  async read(into: Uint8Array, at: number, max: number): Promise<number> {
    while (this.pending === null || this.pendingAt >= this.pending.length) {
      const r = await this.it.next();
      if (r.done) return 0;
      this.pending = r.value;
      this.pendingAt = 0;
    }
    const n = Math.min(max, this.pending.length - this.pendingAt);
    into.set(this.pending.subarray(this.pendingAt, this.pendingAt + n), at);
    this.pendingAt += n;
    return n;
  }
  close(): Promise<void> {
    return this.onClose();
  }
}

const SNIFF_BYTES = 4;

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export interface OpenedSource {
  source: ByteSource;
  compression: Compression;
  tap: RawTap;
  /** Size of a regular file when opened; -1 for streams (standard input, pipes, devices), which are read once. */
  regularFileBytes: number;
}

/**
 * Opens `path` ('-' for standard input) and wraps it in a gzip decoder when it starts with the gzip magic.
 * Anything that is not a regular file (a pipe given as a path, `<(…)`, a FIFO, /dev/stdin, a device) cannot
 * be read at an offset, so it is read as a stream, like standard input.
 */
export async function openSource(path: string, hashing: Hashing, stdin: NodeJS.ReadableStream = process.stdin): Promise<OpenedSource> {
  const tap = new RawTap(hashing !== 'none');
  if (path === '-') return openStream(stdin, tap);
  const fh = await open(path, 'r');
  try {
    const info = await fh.stat();
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!info.isFile()) {
      const raw = fh.createReadStream({ autoClose: false, highWaterMark: 1 << 20 });
      const opened = await openStream(raw, tap);
      const close = opened.source.close.bind(opened.source);
      opened.source.close = async () => {
        await close();
        raw.destroy();
        await fh.close();
      };
      return opened;
    }
    if (hashing === 'own-thread' && info.size >= WORKER_HASH_MIN_BYTES) tap.hashInWorker(path);
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
    if (!isGzip(head.subarray(0, bytesRead))) return { source: new FileSource(fh, tap), compression: 'none', tap, regularFileBytes: info.size };
    const raw = fh.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 });
    const source = new GzipSource(tapped(raw[Symbol.asyncIterator](), tap), async () => {
      raw.destroy();
      await fh.close();
    });
    return { source, compression: 'gzip', tap, regularFileBytes: info.size };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function openStream(stream: NodeJS.ReadableStream, tap: RawTap): Promise<OpenedSource> {
  const it = (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  // Sniff the magic without losing the bytes: keep the chunks read so far and replay them.
  const head: Uint8Array[] = [];
  let have = 0;
  while (have < SNIFF_BYTES) {
    const r = await it.next();
    if (r.done) break;
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    head.push(chunk);
    have += chunk.length;
  }
  const replay = tapped(replayThen(head, it), tap);
  const first = head.length > 0 ? Buffer.concat(head) : new Uint8Array(0);
  const close = async (): Promise<void> => {
    await it.return?.();
  };
  if (!isGzip(first)) return { source: new IteratorSource(replay, close), compression: 'none', tap, regularFileBytes: -1 };
  return { source: new GzipSource(replay, close), compression: 'gzip', tap, regularFileBytes: -1 };
}

async function* replayThen(head: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const c of head) yield c;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
  }
}

function tapped(it: AsyncIterator<Uint8Array>, tap: RawTap): AsyncIterator<Uint8Array> {
  return {
    async next() {
      const r = await it.next();
      if (r.done) tap.complete = true;
      else tap.update(r.value);
      return r;
    },
  };
}

// RFC 1952 §2.3.1 member header flags (FTEXT, bit 0, needs nothing).
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;

/**
 * Compressed bytes handed to zlib per write. Why so few: deflate expands at most 1032:1 and a write's output is
 * queued here until the reader takes it, so this bounds the memory one write can fill (a gzip bomb: ~16.5 MiB).
 */
const INFLATE_SLICE = 16 * 1024;
/**
 * zlib's output buffer. zlib hands over each full buffer at once, but drops the one it is filling when it meets
 * corrupt deflate data: at most this much output from before that point is lost. Smaller buffers lose less but
 * cost a thread-pool round trip each (16 KiB made a 98 MB gzip capture read 1.5 times slower than zlib's gunzip).
 */
const INFLATE_CHUNK = 64 * 1024;

/**
 * Decompresses gzip (RFC 1952) as a byte source, framing the members itself and leaving only the raw deflate
 * data to zlib. Why not zlib's gunzip: it checks the CRC-32 in the same call that produces the member's last
 * output and, on a mismatch or on bytes after the stream, throws that output away (up to its whole output
 * buffer, or all of a small file). Here every byte zlib decompressed is handed out before any problem is
 * raised, the trailer is checked separately, further members are read as `gzip -dc` reads them, and bytes
 * after the last member are reported without losing anything.
 */
class GzipSource implements ByteSource {
  private readonly raw: AsyncIterator<Uint8Array>;
  private readonly onClose: () => Promise<void>;
  /** The compressed chunk being consumed, and how far. */
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  private rawEnded = false;
  /** Compressed bytes consumed before `chunk`. */
  private chunkBase = 0;
  private stage: 'header' | 'body' | 'trailer' | 'end' = 'header';
  private members = 0;
  private inflate: InflateRaw | null = null;
  /** Decompressed output not yet handed out. */
  private readonly out: Buffer[] = [];
  private outAt = 0;
  /** Raised once everything decompressed before it has been handed out. */
  private failure: Error | null = null;
  private crc = 0;
  private size = 0;

  constructor(raw: AsyncIterator<Uint8Array>, onClose: () => Promise<void>) {
    this.raw = raw;
    this.onClose = onClose;
  }

  /**
   * Fills up to `max` bytes, decompressing as it goes: the reader parses once per read, so handing over one
   * 16 KiB zlib buffer at a time would make it run its loop 64 times per chunk. A pending problem is raised
   * only by the read after the one that returned the last bytes before it.
   */
  async read(into: Uint8Array, at: number, max: number): Promise<number> {
    let n = 0;
    for (;;) {
      const head = this.out[0];
      if (head !== undefined) {
        const k = Math.min(max - n, head.length - this.outAt);
        into.set(head.subarray(this.outAt, this.outAt + k), at + n);
        n += k;
        this.outAt += k;
        if (this.outAt === head.length) {
          this.out.shift();
          this.outAt = 0;
        }
        if (n === max) return n;
        continue;
      }
      if (n > 0 && (this.failure || this.stage === 'end')) return n;
      if (this.failure) {
        const f = this.failure;
        this.failure = null;
        this.stage = 'end';
        throw f;
      }
      if (this.stage === 'end') return 0;
      await this.step();
    }
  }

  close(): Promise<void> {
    this.inflate?.destroy();
    return this.onClose();
  }

  private get rawOffset(): number {
    return this.chunkBase + this.at;
  }

  /** Makes `chunk[at]` available; false at the end of the compressed input. */
  private async more(): Promise<boolean> {
    while (this.at >= this.chunk.length) {
      if (this.rawEnded) return false;
      const r = await this.raw.next();
      if (r.done) {
        this.rawEnded = true;
        return false;
      }
      this.chunkBase += this.chunk.length;
      this.chunk = r.value;
      this.at = 0;
    }
    return true;
  }

  private async byte(): Promise<number> {
    if (!(await this.more())) throw new GzipTruncatedError();
    return this.chunk[this.at++]!;
  }

  private fail(e: Error): void {
    this.failure = e;
    this.stage = 'end';
    this.inflate?.destroy();
    this.inflate = null;
  }

  /** Advances until output is queued, a problem is pending, or the input has ended. */
  private async step(): Promise<void> {
    try {
      if (this.stage === 'header') await this.header();
      else if (this.stage === 'body') await this.body();
      else if (this.stage === 'trailer') await this.trailer();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** Member header (RFC 1952 §2.3): magic, CM 8, flags, MTIME, XFL, OS, then the optional fields, skipped. */
  private async header(): Promise<void> {
    const start = this.rawOffset;
    if (this.members > 0) {
      // gzip -dc reads members one after another; anything else after a member is trailing data.
      if (!(await this.more())) {
        this.stage = 'end';
        return;
      }
      if (this.chunk[this.at] !== 0x1f) throw new GzipTrailingDataError(start);
    }
    const id1 = await this.byte();
    const id2 = await this.byte();
    if (id1 !== 0x1f || id2 !== 0x8b) {
      if (this.members > 0) throw new GzipTrailingDataError(start);
      throw new GzipDataError('not a gzip header', start);
    }
    const cm = await this.byte();
    if (cm !== 8) throw new GzipDataError(`unknown compression method ${cm}`, start);
    const flags = await this.byte();
    if ((flags & FRESERVED) !== 0) throw new GzipDataError(`reserved header flags 0x${flags.toString(16)} are set`, start);
    for (let i = 0; i < 6; i++) await this.byte(); // MTIME, XFL, OS
    if (flags & FEXTRA) {
      const lo = await this.byte();
      const xlen = lo + 256 * (await this.byte());
      for (let i = 0; i < xlen; i++) await this.byte();
    }
    if (flags & FNAME) while ((await this.byte()) !== 0);
    if (flags & FCOMMENT) while ((await this.byte()) !== 0);
    if (flags & FHCRC) for (let i = 0; i < 2; i++) await this.byte();
    this.members++;
    this.crc = 0;
    this.size = 0;
    const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK });
    // Flowing mode: zlib hands each output buffer over as it fills, before a later error can discard it.
    inflate.on('data', (b: Buffer) => {
      this.out.push(b);
      this.crc = crc32(b, this.crc);
      this.size = (this.size + b.length) >>> 0;
    });
    inflate.on('error', () => undefined);
    this.inflate = inflate;
    this.stage = 'body';
  }

  /** Feeds one slice of deflate data; zlib consumes less than it was given only when the deflate stream ended. */
  private async body(): Promise<void> {
    const inflate = this.inflate!;
    if (!(await this.more())) throw new GzipTruncatedError();
    const slice = this.chunk.subarray(this.at, Math.min(this.chunk.length, this.at + INFLATE_SLICE));
    const before = inflate.bytesWritten;
    const failed = await new Promise<Error | null>((resolve) => {
      const onError = (e: Error): void => resolve(e);
      inflate.once('error', onError);
      inflate.write(slice, () => {
        inflate.off('error', onError);
        resolve(null);
      });
    });
    if (failed) throw new GzipDataError(`corrupt deflate data (${failed.message})`, this.rawOffset);
    const used = inflate.bytesWritten - before;
    this.at += used;
    if (used < slice.length) {
      inflate.destroy();
      this.inflate = null;
      this.stage = 'trailer';
    }
  }

  /** Member trailer (RFC 1952 §2.3.1): CRC-32 and ISIZE (length mod 2^32) of the member's output, little-endian. */
  private async trailer(): Promise<void> {
    const at = this.rawOffset;
    const t = new Uint8Array(8);
    for (let i = 0; i < 8; i++) t[i] = await this.byte();
    const crc = u32le(t, 0);
    const size = u32le(t, 4);
    if (crc !== this.crc >>> 0) {
      throw new GzipDataError(`CRC-32 mismatch: the trailer says 0x${hex8(crc)}, the data gives 0x${hex8(this.crc >>> 0)}`, at);
    }
    if (size !== this.size) throw new GzipDataError(`length mismatch: the trailer says ${size} bytes, the data is ${this.size} (mod 2^32)`, at);
    this.stage = 'header';
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
