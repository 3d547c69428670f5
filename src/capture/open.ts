/** Opens a capture (file, '-' for stdin, gzip or not), sniffs its format and streams every record to a sink. */

import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { AnomalyRecorder } from '../anomalies/recorder.js';
import { A } from '../anomalies/registry.js';
import { u32be } from '../util/bytes.js';
import { CaptureError, CaptureErrorCode } from '../util/errors.js';
import type { CaptureInterface, CaptureSection } from './frame.js';
import { isPcapMagic, PcapParser, type PcapHeader } from './pcap.js';
import { BlockType, PcapngParser, type InterfaceStatistics, type NameEntry } from './pcapng.js';
import { GzipDataError, GzipTrailingDataError, GzipTruncatedError, openSource, type ByteSource, type Compression } from './source.js';
import { ReaderState, type CaptureStats, type CaptureWarning, type FrameSink, type RecordParser } from './state.js';

export type { FrameSink } from './state.js';

/**
 * Thrown by a sink to stop reading early (e.g. `decode --count`): readCapture ends normally, with the
 * statistics of the frames delivered so far.
 */
export class StopReading extends Error {
  constructor() {
    super('stop reading');
  }
}

/** Size of the one reused read buffer; it grows only for a record larger than itself. */
export const CHUNK_SIZE = 1 << 20;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface ReadOptions {
  /** Compute the SHA-256 of the raw input in the same pass (default true). */
  hash?: boolean;
  /**
   * Whether a large regular file may be hashed on a thread of its own, beside the parse (default true). A fleet run
   * that already reads a capture on every core it was given (--jobs) says false: there the thread would take a core
   * from another capture, and the hash is computed in the reading thread, from the bytes it reads anyway.
   */
  hashThread?: boolean;
  /** Read buffer size in bytes (tests use tiny chunks to exercise records that straddle reads). */
  chunkSize?: number;
  /** Stream used for the path '-' (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /**
   * Called once before the first frame with the result being filled in: its `interfaces` and
   * `sections` grow as the reader meets them, so a sink can look up a frame's interface.
   */
  onStart?: (live: CaptureResult) => void;
  /** Where to count anomalies (default: a new recorder); the decoder shares it to give one list per capture. */
  anomalies?: AnomalyRecorder;
}

/** Everything the reader learnt about one input, including how far it got. */
export interface CaptureResult {
  file: string;
  format: CaptureFormat | null;
  compression: Compression;
  /** Classic pcap only. */
  pcapHeader: PcapHeader | null;
  sections: CaptureSection[];
  interfaces: CaptureInterface[];
  stats: CaptureStats;
  blockCounts: Record<string, number>;
  names: NameEntry[];
  interfaceStats: Map<number, InterfaceStatistics>;
  secretsTypes: number[];
  anomalies: AnomalyRecorder;
  warnings: CaptureWarning[];
  /** The fatal problem that stopped reading, if any; every frame before it was delivered. */
  error: CaptureError | null;
  /** SHA-256 of the raw input (as stored), or null when not requested or not obtainable. */
  sha256: string | null;
  /**
   * What the SHA-256 covers: the whole input, or only the bytes read (a stream, such as standard input or a
   * pipe, whose reading stopped at a fatal error or early: it is never read on just to hash it, as it may not end).
   */
  sha256Covers: 'whole input' | 'bytes read' | null;
  /** Raw input bytes (compressed size for gzip). */
  fileBytes: number;
}

/** What is said of a capture format da-audit recognises but does not read. */
export function unsupportedText(format: string): string {
  return `${format} is not supported; convert it to pcapng first (e.g. editcap -F pcapng)`;
}

/** Names of capture formats we recognise but do not read (from at least 8 bytes), for a helpful error. */
export function otherFormat(b: Uint8Array): string | null {
  const ascii = (n: number): string => String.fromCharCode(...b.subarray(0, n));
  if (b.length >= 8 && ascii(8) === 'snoop\0\0\0') return 'Sun snoop';
  if (b.length >= 4 && ascii(4) === 'GMBU') return 'Microsoft Network Monitor 2.x';
  if (b.length >= 4 && ascii(4) === 'RTSS') return 'Microsoft Network Monitor 1.x';
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd-compressed data';
  if (b.length >= 4 && b[0] === 0x04 && b[1] === 0x22 && b[2] === 0x4d && b[3] === 0x18) return 'LZ4-compressed data';
  return null;
}

function ioMessage(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'is a directory, not a capture file';
    default: return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Reads the capture at `path` and calls `sink` once per frame, in file order. Never throws for
 * problems with the input: they come back in `error` (fatal) and `warnings`, with every frame read
 * before them already delivered.
 */
export async function readCapture(path: string, sink: FrameSink, options: ReadOptions = {}): Promise<CaptureResult> {
  const withHash = options.hash ?? true;
  const st = new ReaderState(path, sink, options.anomalies ?? new AnomalyRecorder());
  const result: CaptureResult = {
    file: path, format: null, compression: 'none', pcapHeader: null, sections: st.sections, interfaces: st.interfaces,
    stats: st.stats, blockCounts: st.blockCounts, names: [], interfaceStats: new Map(), secretsTypes: [],
    anomalies: st.anomalies, warnings: st.warnings, error: null, sha256: null, sha256Covers: null, fileBytes: 0,
  };
  options.onStart?.(result);
  let opened;
  try {
    opened = await openSource(path, !withHash ? 'none' : options.hashThread === false ? 'in-pass' : 'own-thread', options.stdin);
  } catch (e) {
    result.error = new CaptureError(CaptureErrorCode.Io, `cannot open: ${ioMessage(e)}`, { file: path, offset: 0, frame: 1 });
    return result;
  }
  result.compression = opened.compression;
  const { source, tap } = opened;
  const picked: { parser: RecordParser | null } = { parser: null };
  try {
    await stream(source, st, result, options.chunkSize ?? CHUNK_SIZE, picked);
  } catch (e) {
    if (!(e instanceof StopReading)) result.error = toCaptureError(e, st);
  }
  const parser = picked.parser;
  if (parser instanceof PcapParser) result.pcapHeader = parser.header;
  if (parser instanceof PcapngParser) {
    result.names = parser.names;
    result.interfaceStats = parser.interfaceStats;
    result.secretsTypes = parser.secretsTypes;
  }
  // Reading stops at a fatal error: what follows may never end (/dev/zero, `yes |`), so it is not read to hash it.
  await source.close().catch(() => undefined);
  result.fileBytes = tap.bytes;
  if (withHash) {
    if (tap.whole) {
      result.sha256 = await tap.digest();
      result.sha256Covers = 'whole input';
    } else if (opened.regularFileBytes >= 0) {
      // A regular file has an end: hash it as stored, up to the size it had when opened.
      result.sha256 = await hashFile(path, opened.regularFileBytes);
      result.sha256Covers = result.sha256 === null ? null : 'whole input';
    } else {
      result.sha256 = await tap.digest();
      result.sha256Covers = 'bytes read';
    }
  }
  return result;
}

function toCaptureError(e: unknown, st: ReaderState): CaptureError {
  if (e instanceof CaptureError) return e;
  return st.error(CaptureErrorCode.Io, `read failed: ${ioMessage(e)}`);
}

/**
 * Why two buffers: reading a chunk is a copy out of the page cache on a libuv thread, and with one buffer
 * the main thread sits idle during every read, then parses while the disk side waits. Here the next chunk
 * is read into the other buffer while this one is parsed. The record cut at the end of a chunk is copied
 * into head room kept in front of the next chunk; only a cut record longer than the head room grows both
 * buffers (doubling, so a record of the largest allowed size costs a few allocations, once).
 */
const HEAD_ROOM = 64 * 1024;

async function stream(source: ByteSource, st: ReaderState, result: CaptureResult, chunkSize: number,
  picked: { parser: RecordParser | null }): Promise<void> {
  const chunk = Math.max(chunkSize, 64);
  let room = Math.min(chunk, HEAD_ROOM);
  let cur = new Uint8Array(room + chunk);
  let other = new Uint8Array(room + chunk);
  // The bytes not parsed yet are cur[pos, end); base is the stream offset of cur[0].
  let pos = room;
  let end = room;
  let base = -room;
  // Gzip problems end the input like its end would; they are raised once every byte before them is parsed.
  const gz = { cut: false, trailing: null as GzipTrailingDataError | null, corrupt: null as GzipDataError | null };
  const fill = async (into: Uint8Array, at: number, max: number): Promise<number> => {
    try {
      return await source.read(into, at, max);
    } catch (e) {
      if (e instanceof GzipTruncatedError) gz.cut = true;
      else if (e instanceof GzipTrailingDataError) gz.trailing = e;
      else if (e instanceof GzipDataError) gz.corrupt = e;
      else throw e;
      return 0;
    }
  };
  // Sniff: the longest magic we look at is 8 bytes.
  while (end - pos < 8) {
    const n = await fill(cur, end, cur.length - end);
    if (n === 0) break;
    end += n;
  }
  if (end === pos) {
    if (gz.corrupt !== null) throw gzipError(st, gz.corrupt, 0);
    if (gz.cut) throw st.error(CaptureErrorCode.Gzip, 'gzip stream ends before any data', 0);
    throw st.error(CaptureErrorCode.Empty, 'file is empty', 0);
  }
  const parser = pickParser(cur.subarray(pos, end), st, result);
  picked.parser = parser;
  const ended = (): boolean => gz.cut || gz.trailing !== null || gz.corrupt !== null;
  let pending: Promise<number> | null = ended() ? null : fill(other, room, chunk);
  try {
    for (;;) {
      pos = parser.parse(cur, pos, end, base);
      if (pending === null) break;
      const n = await pending;
      pending = null;
      if (n === 0) break;
      // The new bytes are other[room, room + n); the cut record cur[pos, end) goes right in front of them.
      const rest = end - pos;
      let next = other;
      let at = room;
      if (rest > room) {
        // Parsers check a record's length against the caps before they ask for it (need), so this is bounded.
        while (room < rest || room < parser.need) room *= 2;
        next = new Uint8Array(room + chunk);
        next.set(other.subarray(at, at + n), room);
        at = room;
      }
      next.set(cur.subarray(pos, end), at - rest);
      base += end - at;
      other = next === other ? cur : new Uint8Array(room + chunk);
      cur = next;
      pos = at - rest;
      end = at + n;
      if (!ended()) pending = fill(other, room, chunk);
    }
  } finally {
    // A read still running when the parse stopped (an error, or the sink's StopReading) must end before the caller reads on.
    if (pending !== null) await pending.catch(() => 0);
  }
  if (gz.corrupt !== null) throw gzipError(st, gz.corrupt, base + pos, base + end);
  if (gz.cut) st.warn(A.CaptureGzipTruncated, base + end, 'gzip stream ends before its end marker');
  if (gz.trailing !== null) {
    st.warn(A.CaptureGzipTrailingData, base + end, `bytes after the end of the gzip stream (from compressed byte offset ${gz.trailing.rawOffset}) were ignored`);
  }
  if (end > pos) parser.finish(cur, pos, end, base);
}

function pickParser(head: Uint8Array, st: ReaderState, result: CaptureResult): RecordParser {
  if (head.length >= 4) {
    const magic = u32be(head, 0);
    if (isPcapMagic(magic)) {
      result.format = 'pcap';
      return new PcapParser(st);
    }
    if (magic === BlockType.SHB) {
      result.format = 'pcapng';
      return new PcapngParser(st);
    }
  }
  const other = otherFormat(head);
  if (other) throw st.error(CaptureErrorCode.UnsupportedFormat, unsupportedText(other), 0);
  if (head.length < 4) throw st.error(CaptureErrorCode.BadMagic, `file is only ${head.length} byte(s) long, too short for a capture header`, 0);
  let hex = '';
  for (let i = 0; i < 4; i++) hex += head[i]!.toString(16).padStart(2, '0');
  throw st.error(CaptureErrorCode.BadMagic, `not a pcap or pcapng file (starts with 0x${hex})`, 0);
}

/**
 * The error for corrupt gzip data, placed at the record it cut (`offset`): every record before it was parsed.
 * The message also says how many bytes decompressed cleanly and where in the compressed file zlib stopped.
 */
function gzipError(st: ReaderState, e: GzipDataError, offset: number, decompressed = offset): CaptureError {
  return st.error(CaptureErrorCode.Gzip,
    `gzip data is corrupt at compressed byte offset ${e.rawOffset}, after ${decompressed} decompressed bytes: ${e.message}`, offset);
}

/** Hashes the first `size` bytes of a regular file (its size when opened) when the streaming pass did not see all of it. */
async function hashFile(path: string, size: number): Promise<string | null> {
  try {
    const fh = await open(path, 'r');
    try {
      const h = createHash('sha256');
      const chunk = new Uint8Array(1 << 20);
      for (let left = size; left > 0; ) {
        const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, left), null);
        if (bytesRead === 0) break;
        h.update(chunk.subarray(0, bytesRead));
        left -= bytesRead;
      }
      return h.digest('hex');
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}
