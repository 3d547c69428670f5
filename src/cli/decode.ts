/** `da-audit decode`: one line (or one JSON object) per frame, like tshark's packet list, and per IPv6 packet inside IP-HTTPS. */

import { analyze } from '../analyze.js';
import { Direction, RecordKind, type Frame } from '../capture/frame.js';
import { StopReading, type CaptureResult } from '../capture/open.js';
import { tsharkLayerName } from '../decode/layers.js';
import { escapeTerminal, fractionDigits, isoTime, secondsText } from '../report/format.js';
import { frameRecord } from '../report/frame-fields.js';
import { frameSummary, stackText } from '../report/frame-summary.js';
import { subtractTs } from '../capture/timestamp.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode, worst } from './exit-codes.js';
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

/** Decodes each capture in turn; with several, each begins with a "# file" line (text) or carries `file` (JSON lines). */
export async function runDecode(files: string[], opts: DecodeOptions, out: Writer, err: Writer): Promise<ExitCode> {
  const batch = new Batch(out);
  let code: ExitCode = ExitCode.Ok;
  for (const file of files) {
    if (files.length > 1 && opts.format === 'text') batch.push(`# ${escapeTerminal(file)}`);
    code = worst(code, await decodeOne(file, files.length > 1 ? file : null, opts, batch, err));
  }
  try {
    batch.flush();
  } catch (e) {
    // The output failed on the last lines: main reports it (or, for a closed pipe, ends quietly).
    if (!(e instanceof StopReading)) throw e;
  }
  return code;
}

/**
 * One capture through the analysis pipeline, so that the IPv6 packets inside NULL-cipher IP-HTTPS are reassembled and
 * decoded too: each is printed under the outer frame that completed it, numbered "<outer frame>.<k>", its layer stack
 * the outer one continued by `iphttps` (MS-IPHTTPS §3.1.5.3).
 */
async function decodeOne(file: string, fileField: string | null, opts: DecodeOptions, batch: Batch, err: Writer): Promise<ExitCode> {
  let printed = 0;
  let done = false;
  let t0Sec = -1;
  let t0Nsec = 0;
  let live: CaptureResult | null = null;
  // The outer frame printed last, its layer stack and how many inner packets it completed so far.
  let outer = { number: 0, stack: '', inner: 0 };
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
  const json = (rec: object, f: Frame): string => JSON.stringify({
    ...(fileField !== null ? { file: fileField } : {}), ...rec, time: f.hasTs ? isoTime(f.tsSec, f.tsNsec, digitsOf(f)) : null,
    direction: f.direction === Direction.Inbound ? 'in' : f.direction === Direction.Outbound ? 'out' : null,
  });
  const shown = (n: number): boolean => opts.frame === 0 || n === opts.frame;
  const analysis = await analyze(file, {
    read: { hash: false, onStart: (r) => { live = r; } },
    onRecord: (f, _buf, view) => {
      // The frame asked for, or the count, was printed with its inner packets: nothing after it is needed.
      if (done || (opts.frame > 0 && f.number > opts.frame)) throw new StopReading();
      if (!shown(f.number)) return;
      const time = timeOf(f);
      if (view === null) {
        const what = KIND_NAMES[f.kind] ?? 'record';
        batch.push(opts.format === 'jsonl'
          ? JSON.stringify({ ...(fileField !== null ? { file: fileField } : {}), frame: f.number, record: what, time: f.hasTs ? isoTime(f.tsSec, f.tsNsec, 6) : null, capLen: f.capLen })
          : `${String(f.number).padStart(6)} ${time} (${what}, ${f.capLen} bytes)`);
      } else {
        outer = { number: f.number, stack: stackText(view), inner: 0 };
        batch.push(opts.format === 'jsonl' ? json(frameRecord(view, f, tsharkLayerName), f) : frameSummary(view, f, time));
      }
      printed++;
      if (opts.count > 0 && printed >= opts.count) done = true;
    },
    onInnerPacket: (_q, view, f) => {
      if (!shown(f.number)) return;
      // Packets completed when the capture ended (held for a hole) come after the last frame, under their own.
      const k = outer.number === f.number ? ++outer.inner : 1;
      const stack = `${outer.number === f.number ? outer.stack : '…·tls'}·iphttps`;
      batch.push(opts.format === 'jsonl'
        ? json({ ...frameRecord(view, f, tsharkLayerName), inner: k, outerStack: stack.replace(/·/g, ':') }, f)
        : frameSummary(view, f, timeOf(f), { number: `${f.number}.${k}`, stackPrefix: stack }));
    },
  });
  const result = analysis.capture;
  reportCaptureProblems(result, err);
  if (opts.frame > 0 && printed === 0) {
    err(`da-audit: error: ${escapeTerminal(file)}: frame ${opts.frame} not found (the capture has ${result.stats.packets + result.stats.otherRecords} frames)`);
    return ExitCode.Usage;
  }
  return result.error || result.warnings.length > 0 ? ExitCode.Input : ExitCode.Ok;
}
