/** PacketView: the one reused layer table of the frame being decoded (architecture §3). */

import type { AnomalyRecorder } from '../anomalies/recorder.js';
import { A } from '../anomalies/registry.js';
import { Layer } from './layers.js';
import { LayerFlag, Status } from './status.js';

/** Layers one frame may hold: link + 4 tunnels × (IP, extension headers, UDP, Teredo) + transport + app. */
export const MAX_LAYERS = 32;
/** Non-stopping anomalies kept per frame (the recorder counts them all). */
const MAX_NOTES = 8;
const EMPTY = new Uint8Array(0);

/**
 * One instance serves every frame: a table of numbers, not a tree of objects. `buf` is the reader's
 * chunk buffer and is valid only until the next frame; offsets are absolute indexes into it.
 */
export class PacketView {
  buf: Uint8Array = EMPTY;
  /** Wireshark frame number. */
  frame = 0;
  linkType = 0;
  capLen = 0;
  wireLen = 0;
  /** First data byte of the frame in `buf`. */
  dataStart = 0;
  /** End of what was captured (FCS already removed). Limits below it were declared by a header. */
  captureEnd = 0;
  count = 0;
  readonly kind = new Uint8Array(MAX_LAYERS);
  readonly start = new Int32Array(MAX_LAYERS);
  /** End of the layer's own header: its payload starts here. */
  readonly hdrEnd = new Int32Array(MAX_LAYERS);
  /** End of the layer with its payload (exclusive), clamped to what was captured. */
  readonly end = new Int32Array(MAX_LAYERS);
  readonly flags = new Uint8Array(MAX_LAYERS);
  status: Status = Status.Ok;
  /** Layer kind being decoded when decoding stopped, where, and the anomaly that says why (0: none). */
  stopLayer = 0;
  stopAt = -1;
  anomaly = 0;
  readonly notes = new Uint16Array(MAX_NOTES);
  noteCount = 0;
  /** Where the next layer starts and ends: set by a decoder that returns a next kind. */
  nextAt = 0;
  nextEnd = 0;
  /** Tunnel depth (0 outside any tunnel) and ICMP-quote depth (0 outside a quoted packet). */
  depth = 0;
  quote = 0;
  private readonly anomalies: AnomalyRecorder;

  constructor(anomalies: AnomalyRecorder) {
    this.anomalies = anomalies;
  }

  /** Prepares the view for a new frame. `fcsLen` bytes of frame check sequence are left out. */
  reset(buf: Uint8Array, frame: number, linkType: number, dataStart: number, capLen: number, wireLen: number, fcsLen: number): void {
    this.buf = buf;
    this.frame = frame;
    this.linkType = linkType;
    this.capLen = capLen;
    this.wireLen = wireLen;
    this.dataStart = dataStart;
    // The FCS is at the end of the frame on the wire; strip it only when it was captured.
    const fcs = fcsLen > 0 && capLen === wireLen && capLen >= fcsLen ? fcsLen : 0;
    this.captureEnd = dataStart + capLen - fcs;
    this.count = 0;
    this.status = Status.Ok;
    this.stopLayer = 0;
    this.stopAt = -1;
    this.anomaly = 0;
    this.noteCount = 0;
    this.depth = 0;
    this.quote = 0;
  }

  /** True when the frame on the wire was longer than what was captured (snaplen). */
  get cut(): boolean {
    return this.capLen < this.wireLen;
  }

  /** Appends a layer; returns its index, or −1 when the table is full (decoding then stops). */
  push(kind: number, start: number, hdrEnd: number, end: number, flags: number): number {
    const i = this.count;
    if (i >= MAX_LAYERS) {
      this.stop(kind, start, Status.Malformed, A.DecodeTooManyLayers);
      return -1;
    }
    this.kind[i] = kind;
    this.start[i] = start;
    this.hdrEnd[i] = hdrEnd;
    this.end[i] = end;
    this.flags[i] = flags | (this.depth > 0 ? LayerFlag.Tunnelled : 0) | (this.quote > 0 ? LayerFlag.Quoted : 0);
    this.count = i + 1;
    return i;
  }

  /**
   * Stops decoding: records which layer could not be decoded, where, why. Inside an ICMP quote, running
   * out of bytes is normal (errors quote only the start of the offending packet), so it is neither a
   * status nor an anomaly there; `stopLayer` still says how far the quote went.
   */
  stop(kind: number, at: number, status: Status, anomaly: number): typeof Layer.None {
    this.stopLayer = kind;
    this.stopAt = at;
    if (this.quote > 0 && status === Status.Truncated) return Layer.None;
    this.status = status;
    this.anomaly = anomaly;
    if (anomaly !== 0) this.anomalies.record(anomaly, this.frame);
    return Layer.None;
  }

  /** Records an anomaly that does not stop decoding (bad checksum, odd option). */
  note(anomaly: number): void {
    if (this.noteCount < MAX_NOTES) this.notes[this.noteCount++] = anomaly;
    this.anomalies.record(anomaly, this.frame);
  }

  /**
   * A header did not fit before `end`. Truncated when the capture ran out: the snaplen cut the frame,
   * or the header sits in an ICMP quote (which holds only the start of a packet). Malformed when a
   * parent's length ended it early, or the whole frame was captured and is simply too short.
   */
  shortfall(end: number): Status {
    if (this.quote > 0) return Status.Truncated;
    return end >= this.captureEnd && this.cut ? Status.Truncated : Status.Malformed;
  }

  /** Sets where the next layer lies and returns its kind (for the dissect loop). */
  next(kind: number, at: number, end: number): number {
    this.nextAt = at;
    this.nextEnd = end;
    return kind;
  }

  /** Index of the last layer of `kind`, or −1. */
  find(kind: number): number {
    for (let i = this.count - 1; i >= 0; i--) if (this.kind[i] === kind) return i;
    return -1;
  }
}
