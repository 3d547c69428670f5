/** `da-audit decode`: one line (or one JSON object) per frame, like tshark's packet list. */

import { AnomalyRecorder } from '../anomalies/recorder.js';
import { Direction, RecordKind, type Frame } from '../capture/frame.js';
import { readCapture, StopReading, type CaptureResult } from '../capture/open.js';
import { dissectSafely } from '../decode/dissect.js';
import { tsharkLayerName } from '../decode/layers.js';
import { PacketView } from '../decode/packet-view.js';
import { escapeTerminal, fractionDigits, isoTime, secondsText } from '../report/format.js';
import { frameRecord } from '../report/frame-fields.js';
import { frameSummary } from '../report/frame-summary.js';
import { subtractTs } from '../capture/timestamp.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode } from './exit-codes.js';
import { OutputClosed } from './output.js';

export interface DecodeOptions {
  format: 'text' | 'jsonl';
  time: 'relative' | 'absolute';
  /** Print at most this many frames (0: all). */
  count: number;
  /** Print only this frame (0: all). */
  frame: number;
}

const KIND_NAMES: Record<number, string> = { [RecordKind.CustomBlock]: 'pcapng custom block', [RecordKind.JournalExport]: 'systemd journal export entry' };

/**
 * Output is batched so a million-frame decode is not a million writes. When the output has failed (a closed
 * pipe, `| head -1`), the batch stops the reading: nobody is left to read the rest.
 */
class Batch {
  private lines: string[] = [];
  private size = 0;
  private readonly out: Writer;
  constructor(out: Writer) {
    this.out = out;
  }
  push(line: string): void {
    this.lines.push(line);
    this.size += line.length;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    const text = this.lines.join('\n') + '\n';
    const any = this.lines.length > 0;
    this.lines = [];
    this.size = 0;
    if (!any) return;
    try {
      this.out(text);
    } catch (e) {
      if (e instanceof OutputClosed) throw new StopReading();
      throw e;
    }
  }
}

export async function runDecode(file: string, opts: DecodeOptions, out: Writer, err: Writer): Promise<ExitCode> {
  const anomalies = new AnomalyRecorder();
  const view = new PacketView(anomalies);
  const batch = new Batch(out);
  let printed = 0;
  let t0Sec = -1;
  let t0Nsec = 0;
  let live: CaptureResult | null = null;
  const digitsOf = (f: Frame): number => {
    const iface = live?.interfaces[f.interfaceId];
    return iface ? fractionDigits(iface.tsResolution) : 6;
  };
  const timeOf = (f: Frame): string => {
    if (!f.hasTs) return opts.time === 'absolute' ? '-' : '-'.padStart(12);
    if (t0Sec < 0) {
      t0Sec = f.tsSec;
      t0Nsec = f.tsNsec;
    }
    const digits = digitsOf(f);
    if (opts.time === 'absolute') return isoTime(f.tsSec, f.tsNsec, digits);
    const d = subtractTs(f.tsSec, f.tsNsec, t0Sec, t0Nsec);
    const negative = d.sec < 0;
    const text = negative ? secondsText(-d.sec - 1, 1_000_000_000 - d.nsec) : secondsText(d.sec, d.nsec);
    return `${negative ? '-' : ''}${text.slice(0, text.length - (9 - digits))}`.padStart(12);
  };
  const result = await readCapture(file, (f, buf) => {
    if (opts.frame > 0 && f.number < opts.frame) return;
    const time = timeOf(f);
    if (f.kind !== RecordKind.Packet) {
      const what = KIND_NAMES[f.kind] ?? 'record';
      batch.push(opts.format === 'jsonl'
        ? JSON.stringify({ frame: f.number, record: what, time: f.hasTs ? isoTime(f.tsSec, f.tsNsec, 6) : null, capLen: f.capLen })
        : `${String(f.number).padStart(6)} ${time} (${what}, ${f.capLen} bytes)`);
    } else {
      dissectSafely(view, f, buf);
      if (opts.format === 'jsonl') {
        const rec = frameRecord(view, f, tsharkLayerName);
        batch.push(JSON.stringify({ ...rec, time: f.hasTs ? isoTime(f.tsSec, f.tsNsec, digitsOf(f)) : null,
          direction: f.direction === Direction.Inbound ? 'in' : f.direction === Direction.Outbound ? 'out' : null }));
      } else {
        batch.push(frameSummary(view, f, time));
      }
    }
    printed++;
    if ((opts.frame > 0 && f.number >= opts.frame) || (opts.count > 0 && printed >= opts.count)) throw new StopReading();
  }, { hash: false, onStart: (r) => { live = r; } });
  try {
    batch.flush();
  } catch (e) {
    // The output failed on the last lines: main reports it (or, for a closed pipe, ends quietly).
    if (!(e instanceof StopReading)) throw e;
  }
  reportCaptureProblems(result, err);
  if (opts.frame > 0 && printed === 0) {
    err(`da-audit: error: ${escapeTerminal(file)}: frame ${opts.frame} not found (the capture has ${result.stats.packets + result.stats.otherRecords} frames)`);
    return ExitCode.Usage;
  }
  return result.error || result.warnings.length > 0 ? ExitCode.Input : ExitCode.Ok;
}
