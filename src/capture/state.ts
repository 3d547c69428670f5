/** Shared reader state: frame numbering, interfaces, sections, running file statistics, error positions. */

import { A } from '../anomalies/registry.js';
import type { AnomalyRecorder } from '../anomalies/recorder.js';
import { CaptureError, type CaptureErrorCode, type CapturePosition } from '../util/errors.js';
import { Frame, RecordKind, type CaptureInterface, type CaptureSection } from './frame.js';

/** Called once per frame; `buf` and `frame` are reused and valid only during the call. */
export type FrameSink = (frame: Frame, buf: Uint8Array) => void;

/** Largest captured length accepted for one record: Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD. */
export const MAX_RECORD_CAPLEN = 262144;

/** A recoverable problem (the reader went on, or stopped at a cut end): anomaly code, place, text. */
export interface CaptureWarning {
  code: number;
  position: CapturePosition;
  detail: string;
}

/** Running facts over all packets, updated in the hot loop with numbers only. */
export class CaptureStats {
  packets = 0;
  /** Non-packet records that still take a frame number (custom blocks, journal exports). */
  otherRecords = 0;
  /** Sum of on-the-wire lengths (capinfos "data size"). */
  wireBytes = 0;
  capturedBytes = 0;
  minCapLen = -1;
  maxCapLen = -1;
  /** Packets whose captured length is below the wire length. */
  cutPackets = 0;
  /** Records with a timestamp (packets and journal entries) folded into the times below. */
  timedRecords = 0;
  earliestSec = 0;
  earliestNsec = 0;
  earliestIface = -1;
  latestSec = 0;
  latestNsec = 0;
  latestIface = -1;
  prevSec = 0;
  prevNsec = 0;
  strictTimeOrder = true;
}

export class ReaderState {
  readonly frame = new Frame();
  readonly interfaces: CaptureInterface[] = [];
  readonly sections: CaptureSection[] = [];
  readonly stats = new CaptureStats();
  /** Blocks seen by kind (pcapng), e.g. { SHB: 1, IDB: 2, EPB: 100 }. */
  readonly blockCounts: Record<string, number> = {};
  /** Stream offset of the record being parsed, for error positions. */
  recordOffset = 0;
  /** Recoverable problems, one line each, in the order found. */
  readonly warnings: CaptureWarning[] = [];

  readonly file: string;
  readonly anomalies: AnomalyRecorder;
  private readonly sink: FrameSink;

  constructor(file: string, sink: FrameSink, anomalies: AnomalyRecorder) {
    this.file = file;
    this.sink = sink;
    this.anomalies = anomalies;
  }

  /** Frame number the next record will get. */
  get nextFrame(): number {
    return this.stats.packets + this.stats.otherRecords + 1;
  }

  countBlock(kind: string): void {
    this.blockCounts[kind] = (this.blockCounts[kind] ?? 0) + 1;
  }

  error(code: CaptureErrorCode, detail: string, offset = this.recordOffset): CaptureError {
    return new CaptureError(code, detail, { file: this.file, offset, frame: this.nextFrame });
  }

  /** Records a recoverable anomaly that deserves a line of its own on stderr. */
  warn(code: number, offset: number, detail: string): void {
    const frame = this.nextFrame;
    this.anomalies.record(code, frame);
    this.warnings.push({ code, position: { file: this.file, offset, frame }, detail });
  }

  /** Numbers the prepared frame, folds it into the statistics and hands it to the sink. */
  emit(buf: Uint8Array): void {
    const f = this.frame;
    const s = this.stats;
    f.number = this.nextFrame;
    if (f.kind !== RecordKind.Packet) {
      // Timed non-packet records (journal entries) belong to the capture's time span, as in capinfos.
      s.otherRecords++;
      if (f.hasTs) this.foldTime(f);
      this.sink(f, buf);
      return;
    }
    s.packets++;
    s.wireBytes += f.wireLen;
    s.capturedBytes += f.capLen;
    if (s.minCapLen < 0 || f.capLen < s.minCapLen) s.minCapLen = f.capLen;
    if (f.capLen > s.maxCapLen) s.maxCapLen = f.capLen;
    if (f.capLen < f.wireLen) s.cutPackets++;
    this.interfaces[f.interfaceId]!.packets++;
    if (f.hasTs) this.foldTime(f);
    this.sink(f, buf);
  }

  private foldTime(f: Frame): void {
    const s = this.stats;
    const sec = f.tsSec;
    const nsec = f.tsNsec;
    if (s.timedRecords === 0) {
      s.earliestSec = s.latestSec = sec;
      s.earliestNsec = s.latestNsec = nsec;
      s.earliestIface = s.latestIface = f.interfaceId;
    } else {
      if (sec < s.prevSec || (sec === s.prevSec && nsec < s.prevNsec)) {
        s.strictTimeOrder = false;
        this.anomalies.record(A.CaptureTimeWentBackwards, f.number);
      }
      if (sec < s.earliestSec || (sec === s.earliestSec && nsec < s.earliestNsec)) {
        s.earliestSec = sec;
        s.earliestNsec = nsec;
        s.earliestIface = f.interfaceId;
      }
      if (sec > s.latestSec || (sec === s.latestSec && nsec > s.latestNsec)) {
        s.latestSec = sec;
        s.latestNsec = nsec;
        s.latestIface = f.interfaceId;
      }
    }
    s.prevSec = sec;
    s.prevNsec = nsec;
    s.timedRecords++;
  }
}

/** Parses whole records out of a window of the chunk buffer (see reader.ts for the driver). */
export interface RecordParser {
  /**
   * Parses every whole record in `buf[pos, end)`; `base` is the stream offset of `buf[0]`.
   * Returns the position after the last whole record.
   */
  parse(buf: Uint8Array, pos: number, end: number, base: number): number;
  /** Total bytes the record at the returned position needs (already validated against the caps), or 0. */
  need: number;
  /** The input ended with `buf[pos, end)` unparsed (end > pos): a cut record. */
  finish(buf: Uint8Array, pos: number, end: number, base: number): void;
}
