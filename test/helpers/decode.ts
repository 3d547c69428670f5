/** Decode helper for unit tests: bytes → Frame → dissect() → the PacketView plus the anomaly ids recorded. */

import { AnomalyRecorder } from '../../src/anomalies/recorder.js';
import { Frame } from '../../src/capture/frame.js';
import { dissect } from '../../src/decode/dissect.js';
import { PacketView } from '../../src/decode/packet-view.js';

export interface DecodeOptions {
  /** LINKTYPE_* value; default 1 (Ethernet). */
  linkType?: number;
  /** Bytes captured; default the whole of `bytes`. The buffer handed to dissect holds only these. */
  capLen?: number;
  /** Bytes on the wire; default `bytes.length` (so capLen < wireLen is a snaplen cut). */
  wireLen?: number;
  /** FCS bytes at the end of the frame (0 none); default 0. */
  fcsLen?: number;
  /** Offset of the frame in the buffer handed to dissect (tests absolute offsets); default 0. */
  dataStart?: number;
  /** Frame number; default 1. */
  frame?: number;
}

export interface Decoded {
  v: PacketView;
  /** Ids (`layer.snake_case`) of every anomaly recorded for the frame, in code order, once each. */
  ids: string[];
  recorder: AnomalyRecorder;
  /** The buffer handed to dissect (dataStart filler bytes, then the first capLen bytes of the frame). */
  buf: Uint8Array;
  frame: Frame;
}

/**
 * Decodes `bytes` as one frame. Only the first `capLen` bytes are copied into the buffer, so a decoder
 * that read past the capture would see `undefined`, not the rest of the frame.
 */
export function decode(bytes: Uint8Array, o: DecodeOptions = {}): Decoded {
  const capLen = o.capLen ?? bytes.length;
  const wireLen = o.wireLen ?? bytes.length;
  const dataStart = o.dataStart ?? 0;
  if (capLen > bytes.length) throw new Error(`capLen ${capLen} > ${bytes.length} bytes`);
  const buf = new Uint8Array(dataStart + capLen).fill(0xee, 0, dataStart);
  buf.set(bytes.subarray(0, capLen), dataStart);
  const frame = new Frame();
  frame.number = o.frame ?? 1;
  frame.linkType = o.linkType ?? 1;
  frame.capLen = capLen;
  frame.wireLen = wireLen;
  frame.fcsLen = o.fcsLen ?? 0;
  frame.dataStart = dataStart;
  const recorder = new AnomalyRecorder();
  const v = new PacketView(recorder);
  dissect(v, frame, buf);
  return { v, ids: recorder.list().map((a) => a.def.id), recorder, buf, frame };
}

/** One row of the layer table, for toEqual() assertions. `kind` is the Layer number. */
export interface LayerRow {
  kind: number;
  start: number;
  hdrEnd: number;
  end: number;
  flags: number;
}

export function layers(v: PacketView): LayerRow[] {
  const rows: LayerRow[] = [];
  for (let i = 0; i < v.count; i++) rows.push({ kind: v.kind[i]!, start: v.start[i]!, hdrEnd: v.hdrEnd[i]!, end: v.end[i]!, flags: v.flags[i]! });
  return rows;
}

/** The layer kinds in order. */
export function kinds(v: PacketView): number[] {
  return Array.from(v.kind.subarray(0, v.count));
}
