/** Test helpers: read a capture (bytes or path) and collect a copy of every frame's facts. */

import { Readable } from 'node:stream';
import { readCapture, type CaptureResult, type ReadOptions } from '../../src/capture/open.js';
import type { Frame } from '../../src/capture/frame.js';

export interface FrameFacts {
  number: number;
  kind: number;
  hasTs: boolean;
  sec: number;
  nsec: number;
  capLen: number;
  wireLen: number;
  interfaceId: number;
  linkType: number;
  fcsLen: number;
  direction: number;
  epbFlags: number;
  packetIdHigh: number;
  packetIdLow: number;
  commentCount: number;
  fileOffset: number;
  data: Uint8Array;
}

function facts(f: Frame, buf: Uint8Array): FrameFacts {
  return {
    number: f.number, kind: f.kind, hasTs: f.hasTs, sec: f.tsSec, nsec: f.tsNsec, capLen: f.capLen, wireLen: f.wireLen,
    interfaceId: f.interfaceId, linkType: f.linkType, fcsLen: f.fcsLen, direction: f.direction, epbFlags: f.epbFlags,
    packetIdHigh: f.packetIdHigh, packetIdLow: f.packetIdLow, commentCount: f.commentCount, fileOffset: f.fileOffset,
    data: buf.slice(f.dataStart, f.dataStart + f.capLen),
  };
}

export interface ReadOutcome {
  frames: FrameFacts[];
  result: CaptureResult;
}

/** Reads a file (or '-' with options.stdin) and copies every frame. */
export async function readPath(path: string, options: ReadOptions = {}): Promise<ReadOutcome> {
  const frames: FrameFacts[] = [];
  const result = await readCapture(path, (f, buf) => frames.push(facts(f, buf)), options);
  return { frames, result };
}

/** Reads capture bytes through the stdin path, in chunks of `streamChunk` bytes. */
export async function readBytes(bytes: Uint8Array, options: ReadOptions & { streamChunk?: number } = {}): Promise<ReadOutcome> {
  const step = options.streamChunk ?? 65536;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += step) chunks.push(Buffer.from(bytes.subarray(i, i + step)));
  return readPath('-', { ...options, stdin: Readable.from(chunks) });
}
