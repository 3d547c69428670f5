/** evidence.pcapng (draft-ietf-opsawg-pcapng): the deciding frames of every verdict, copied byte for byte from the inputs. */

import { readCapture, StopReading, type CaptureResult } from '../capture/open.js';
import { RecordKind } from '../capture/frame.js';
import { MemorySink, PcapngWriter } from '../capture/writer.js';
import { VERSION } from '../version.js';

/** One input: the frames wanted from it, each with the comments its copy carries (one per verdict it decides). */
export interface FrameRequest {
  /** The capture to read. */
  path: string;
  /** Its name in the bundle, written into the comments. */
  name: string;
  capture: CaptureResult;
  comments: Map<number, string[]>;
}

export interface CopiedFrames {
  bytes: Uint8Array;
  /** Frames wanted that the second reading did not deliver as packets (the input changed, or a non-packet record). */
  missing: { name: string; frame: number }[];
}

/**
 * Writes one section holding every interface of every input (so each copy keeps its link type, snaplen, timestamp
 * resolution and offset), then each wanted frame as an Enhanced Packet Block on its interface, in input then frame
 * order. Why a second reading: the analysis keeps no packet bytes, and reading again costs only the I/O; the frames
 * are few, so only they are copied.
 */
export async function copyFrames(requests: FrameRequest[]): Promise<CopiedFrames> {
  const sink = new MemorySink();
  const w = new PcapngWriter(sink.write);
  w.section({ application: `da-audit ${VERSION} evidence`, comments: [`the deciding frames of every verdict, from ${requests.map((r) => r.name).join(', ')}`] });
  // The first interface of each input in the written section.
  const base: number[] = [];
  let next = 0;
  for (const r of requests) {
    base.push(next);
    next += r.capture.interfaces.length;
    for (const i of r.capture.interfaces) {
      w.interface({
        linkType: i.linkType, snaplen: i.snaplen, tsResolution: i.tsResolution, ...(i.tsOffset !== 0 ? { tsOffset: i.tsOffset } : {}),
        ...(i.fcsLen > 0 ? { fcsLen: i.fcsLen } : {}),
        ...(i.name !== null ? { name: i.name } : {}), ...(i.description !== null ? { description: i.description } : {}),
        comments: [`interface ${i.id} of ${r.name}`],
      });
    }
  }
  const missing: CopiedFrames['missing'] = [];
  for (const [k, r] of requests.entries()) {
    const seen = new Set<number>();
    let last = 0;
    for (const n of r.comments.keys()) last = Math.max(last, n);
    await readCapture(r.path, (f, buf) => {
      const comments = r.comments.get(f.number);
      if (comments === undefined || f.kind !== RecordKind.Packet) return;
      seen.add(f.number);
      // The writer copies the bytes into its block before returning, as it must: the frame and buffer are reused.
      const tsOffset = r.capture.interfaces[f.interfaceId]?.tsOffset ?? 0;
      // An EPB always has a time: a Simple Packet Block's copy gets tick 0 (the interface's if_tsoffset) and says so.
      const said = f.hasTs ? comments : [...comments, 'the original (a Simple Packet Block) has no timestamp; tick 0 written'];
      const ts = f.hasTs ? { sec: f.tsSec, nsec: f.tsNsec } : { sec: tsOffset, nsec: 0 };
      w.packet(ts, buf.subarray(f.dataStart, f.dataStart + f.capLen), {
        iface: base[k]! + f.interfaceId, wireLen: f.wireLen, comments: said, ...(f.epbFlags >= 0 ? { flags: f.epbFlags } : {}),
      }, tsOffset);
      if (f.number >= last) throw new StopReading();
    }, { hash: false });
    for (const n of [...r.comments.keys()].sort((x, y) => x - y)) if (!seen.has(n)) missing.push({ name: r.name, frame: n });
  }
  return { bytes: sink.bytes(), missing };
}
