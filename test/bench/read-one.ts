/**
 * One `npm run bench` measurement in a fresh process, so its peak RSS is its own (not the generator's or
 * another reader's): `node read-one.js <file> <mode> [max-flows]` prints one JSON line.
 *
 * Modes:
 *   reader         readCapture with the default SHA-256 of the input in the same pass
 *   reader-nohash  readCapture with { hash: false }
 *   walk           a plain classic-pcap record walk (1 MiB reused buffer, no checks): the floor
 *   pcap-parser    pcap-parser's bare iteration ('packet' events only)
 *   baseline       loads the reader module and reads nothing (Node's own RSS)
 *   decode         readCapture { hash: false } + dissectSafely per packet, as `da-audit decode` runs them
 *   track          decode + the flow tracker with no application layer (the flow stage alone)
 *   summary        analyze() as `da-audit summary` calls it (SHA-256 on, default bounds unless max-flows is
 *                  given; the report is left out: bench.ts times the real command for that); also counts
 *                  IP-HTTPS inner packets and flows
 */

import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import type { FlowStats } from '../../src/analyze.js';
import type { Frame } from '../../src/capture/frame.js';

// The project's modules are imported by the mode that uses them, not up front: loading the decoder, the
// flow stage and the rest of the pipeline costs about 11 MiB of RSS, which the reader modes (and the
// baseline) must not be charged for.

export interface ReadOneResult {
  mode: string;
  file: string;
  packets: number;
  /** Sum of captured lengths, so the sink's work cannot be optimised away (and as a cross-check). */
  capturedBytes: number;
  seconds: number;
  /** CPU time of this process (all threads, user + system) during the read, seconds: less sensitive to a busy machine than `seconds`. */
  cpuSeconds: number;
  /** Peak resident set size of this process, KiB (process.resourceUsage().maxRSS). */
  maxRssKiB: number;
  sha256: string | null;
  error: string | null;
  /** decode and track: layers decoded, summed over packets (a cross-check, and work that cannot be optimised away). */
  layers: number | null;
  /** track and summary: flows created, and the flow table's bound and counters (summary). */
  flows: number | null;
  flowStats: FlowStats | null;
  /** summary: IPv6 packets taken out of IP-HTTPS tunnels, and the flows they make. */
  innerPackets: number | null;
  innerFlows: number | null;
  /**
   * summary: JS heap in use after a full GC with the analysis still referenced, bytes: what the result holds. Why:
   * peak RSS also counts garbage V8 had not collected yet (it grows the old generation lazily), so on its own it
   * cannot tell memory that the bounds cap from memory that is merely late to be freed. Needs --expose-gc.
   */
  heapAfterGcBytes: number | null;
}

export const MODES = ['reader', 'reader-nohash', 'walk', 'pcap-parser', 'baseline', 'decode', 'track', 'summary'] as const;
export type Mode = (typeof MODES)[number];

type Measured = Omit<ReadOneResult, 'mode' | 'file' | 'maxRssKiB' | 'cpuSeconds' | 'layers' | 'flows' | 'flowStats' | 'innerPackets'
  | 'innerFlows' | 'heapAfterGcBytes'> & Partial<ReadOneResult>;

async function viaReader(file: string, hash: boolean): Promise<Measured> {
  const { readCapture } = await import('../../src/capture/open.js');
  // The running sum lives in a Float64Array: a closure variable above 2^31 would be re-boxed as a
  // HeapNumber on every update, and the sink's allocations would be charged to the reader.
  const acc = new Float64Array(2);
  const sink = (f: Frame): void => {
    acc[0]++;
    acc[1] += f.capLen;
  };
  const t0 = performance.now();
  const r = await readCapture(file, sink, { hash });
  const seconds = (performance.now() - t0) / 1000;
  const packets = acc[0]!;
  if (r.stats.packets !== packets) throw new Error(`stats.packets ${r.stats.packets} != sink calls ${packets}`);
  return { packets, capturedBytes: acc[1]!, seconds, sha256: r.sha256, error: r.error ? r.error.message : null };
}

/** The least a Node program can do per classic-pcap record: read the length, skip the record. */
async function walk(file: string): Promise<Measured> {
  const t0 = performance.now();
  const fh = await open(file, 'r');
  let buf = new Uint8Array(1 << 20);
  let pos = 24;
  let end = 0;
  let packets = 0;
  let captured = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, end, buf.length - end, null);
      if (bytesRead === 0) break;
      end += bytesRead;
      while (end - pos >= 16) {
        const incl = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0;
        if (end - pos < 16 + incl) break;
        packets++;
        captured += incl;
        pos += 16 + incl;
      }
      buf.copyWithin(0, pos, end);
      end -= pos;
      pos = 0;
      if (end === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
    }
  } finally {
    await fh.close();
  }
  return { packets, capturedBytes: captured, seconds: (performance.now() - t0) / 1000, sha256: null, error: null };
}

function viaPcapParser(file: string): Promise<Measured> {
  const require = createRequire(import.meta.url);
  const { parse } = require('pcap-parser') as { parse: (input: string) => EventEmitter };
  return new Promise((resolve) => {
    const acc = new Float64Array(2);
    const t0 = performance.now();
    const p = parse(file);
    let error: string | null = null;
    p.on('packet', (pkt: { header: { capturedLength: number } }) => {
      acc[0]++;
      acc[1] += pkt.header.capturedLength;
    });
    p.on('error', (e: Error) => {
      error = e.message;
    });
    p.on('end', () => resolve({ packets: acc[0]!, capturedBytes: acc[1]!, seconds: (performance.now() - t0) / 1000, sha256: null, error }));
  });
}

/** The decoder over every packet, as `da-audit decode` runs it minus the output; with `flows`, the flow tracker too. */
async function viaDecoder(file: string, flows: boolean): Promise<Measured> {
  const [{ AnomalyRecorder }, { RecordKind }, { readCapture }, { dissectSafely }, { PacketView }, { DEFAULT_FLOW_OPTIONS, FlowTracker }] = await Promise.all([
    import('../../src/anomalies/recorder.js'), import('../../src/capture/frame.js'), import('../../src/capture/open.js'),
    import('../../src/decode/dissect.js'), import('../../src/decode/packet-view.js'), import('../../src/flow/flow-tracker.js'),
  ]);
  const anomalies = new AnomalyRecorder();
  const view = new PacketView(anomalies);
  const acc = new Float64Array(2);
  // Finished flows are dropped and no application parser is called: this is the flow table and TCP tracking alone.
  const tracker = new FlowTracker(DEFAULT_FLOW_OPTIONS, () => undefined, () => undefined);
  const t0 = performance.now();
  const r = await readCapture(file, (f, buf) => {
    if (f.kind !== RecordKind.Packet) return;
    dissectSafely(view, f, buf);
    if (flows) tracker.onPacket(view, f);
    acc[0]++;
    acc[1] += view.count;
  }, { hash: false, anomalies });
  const seconds = (performance.now() - t0) / 1000;
  return {
    packets: acc[0]!, capturedBytes: r.stats.capturedBytes, seconds, sha256: null, error: r.error ? r.error.message : null,
    layers: acc[1]!, flows: flows ? tracker.flowsCreated : null,
  };
}

/** analyze() with the CLI's defaults (or `maxFlows`); inner packets are counted from the IP-HTTPS tunnels' statistics. */
async function viaSummary(file: string, maxFlows: number | undefined): Promise<Measured> {
  const { analyze } = await import('../../src/analyze.js');
  const t0 = performance.now();
  const a = await analyze(file, maxFlows === undefined ? {} : { maxFlows });
  const seconds = (performance.now() - t0) / 1000;
  let innerPackets = 0;
  let innerFlows = 0;
  for (const { flow } of a.flows) {
    if (flow.ipHttps !== null) innerPackets += flow.ipHttps.stats.client.packets + flow.ipHttps.stats.server.packets;
    if (flow.carriedBy === 'ip-https') innerFlows++;
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapAfterGcBytes = gc ? process.memoryUsage().heapUsed : null;
  const c = a.capture;
  return {
    packets: c.stats.packets, capturedBytes: c.stats.capturedBytes, seconds, sha256: c.sha256, error: c.error ? c.error.message : null,
    flows: a.flowStats.created, flowStats: a.flowStats, innerPackets, innerFlows, heapAfterGcBytes,
  };
}

async function main(): Promise<void> {
  const [file, mode, bound] = process.argv.slice(2) as [string | undefined, string | undefined, string | undefined];
  const maxFlows = bound === undefined ? undefined : Number(bound);
  if (!file || !mode || !(MODES as readonly string[]).includes(mode) || (maxFlows !== undefined && !(Number.isInteger(maxFlows) && maxFlows > 0 && mode === 'summary'))) {
    process.stderr.write(`usage: read-one <file> <${MODES.join('|')}> [max-flows, summary only]\n`);
    process.exit(2);
  }
  const c0 = process.cpuUsage();
  let r: Measured;
  switch (mode as Mode) {
    case 'reader': r = await viaReader(file, true); break;
    case 'reader-nohash': r = await viaReader(file, false); break;
    case 'walk': r = await walk(file); break;
    case 'pcap-parser': r = await viaPcapParser(file); break;
    case 'baseline':
      await import('../../src/capture/open.js');
      r = { packets: 0, capturedBytes: 0, seconds: 0, sha256: null, error: null };
      break;
    case 'decode': r = await viaDecoder(file, false); break;
    case 'track': r = await viaDecoder(file, true); break;
    case 'summary': r = await viaSummary(file, maxFlows); break;
  }
  const cpu = process.cpuUsage(c0);
  const out: ReadOneResult = {
    mode, file, layers: null, flows: null, flowStats: null, innerPackets: null, innerFlows: null, heapAfterGcBytes: null, ...r,
    cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
