/** Byte sources for the capture reader: a file, standard input, or a gzip stream over either (RFC 1952). */

import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';

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

/** Signals that a gzip stream stopped before its end marker (zlib "unexpected end of file"). */
export class GzipTruncatedError extends Error {
  constructor() {
    super('gzip stream ends early');
  }
}

/** Signals corrupt gzip data. */
export class GzipDataError extends Error {}

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
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.it.next();
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'Z_BUF_ERROR') throw new GzipTruncatedError();
        if (typeof code === 'string' && code.startsWith('Z_')) throw new GzipDataError((e as Error).message);
        throw e;
      }
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
}

/** Opens `path` ('-' for standard input) and wraps it in a gunzip stream when it starts with the gzip magic. */
export async function openSource(path: string, withHash: boolean, stdin: NodeJS.ReadableStream = process.stdin): Promise<OpenedSource> {
  const tap = new RawTap(withHash);
  if (path === '-') return openStream(stdin, tap);
  const fh = await open(path, 'r');
  try {
    const info = await fh.stat();
    if (withHash && info.isFile() && info.size >= WORKER_HASH_MIN_BYTES) tap.hashInWorker(path);
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
    if (!isGzip(head.subarray(0, bytesRead))) return { source: new FileSource(fh, tap), compression: 'none', tap };
    const raw = fh.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 });
    return gunzipOver(raw[Symbol.asyncIterator](), tap, async () => {
      raw.destroy();
      await fh.close();
    });
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
  const replay = replayThen(head, it);
  const first = head.length > 0 ? Buffer.concat(head) : new Uint8Array(0);
  const close = async (): Promise<void> => {
    await it.return?.();
  };
  if (!isGzip(first)) return { source: new IteratorSource(tapped(replay, tap), close), compression: 'none', tap };
  return gunzipOver(replay, tap, close);
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

function gunzipOver(raw: AsyncIterator<Uint8Array>, tap: RawTap, closeRaw: () => Promise<void>): OpenedSource {
  const rawStream = Readable.from({ [Symbol.asyncIterator]: () => tapped(raw, tap) }, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  rawStream.on('error', (e) => gunzip.destroy(e));
  rawStream.pipe(gunzip);
  const source = new IteratorSource(gunzip[Symbol.asyncIterator](), async () => {
    gunzip.destroy();
    rawStream.destroy();
    await closeRaw();
  });
  return { source, compression: 'gzip', tap };
}
