/**
 * One measurement in a fresh process, so its peak RSS is its own (not the generator's or another
 * reader's): `node read-one.js <file> <mode>` prints one JSON line.
 *
 * Modes:
 *   reader         readCapture with the default SHA-256 of the input in the same pass
 *   reader-nohash  readCapture with { hash: false }
 *   walk           a plain classic-pcap record walk (1 MiB reused buffer, no checks): the floor
 *   pcap-parser    pcap-parser's bare iteration ('packet' events only)
 *   baseline       loads the reader module and reads nothing (Node's own RSS)
 */

import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { readCapture } from '../../src/capture/open.js';
import type { Frame } from '../../src/capture/frame.js';

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
}

export const MODES = ['reader', 'reader-nohash', 'walk', 'pcap-parser', 'baseline'] as const;
export type Mode = (typeof MODES)[number];

async function viaReader(file: string, hash: boolean): Promise<Omit<ReadOneResult, 'mode' | 'file' | 'maxRssKiB' | 'cpuSeconds'>> {
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
async function walk(file: string): Promise<Omit<ReadOneResult, 'mode' | 'file' | 'maxRssKiB' | 'cpuSeconds'>> {
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

function viaPcapParser(file: string): Promise<Omit<ReadOneResult, 'mode' | 'file' | 'maxRssKiB' | 'cpuSeconds'>> {
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

async function main(): Promise<void> {
  const [file, mode] = process.argv.slice(2) as [string | undefined, string | undefined];
  if (!file || !mode || !(MODES as readonly string[]).includes(mode)) {
    process.stderr.write(`usage: read-one <file> <${MODES.join('|')}>\n`);
    process.exit(2);
  }
  const c0 = process.cpuUsage();
  let r: Omit<ReadOneResult, 'mode' | 'file' | 'maxRssKiB' | 'cpuSeconds'>;
  switch (mode as Mode) {
    case 'reader': r = await viaReader(file, true); break;
    case 'reader-nohash': r = await viaReader(file, false); break;
    case 'walk': r = await walk(file); break;
    case 'pcap-parser': r = await viaPcapParser(file); break;
    case 'baseline': r = { packets: 0, capturedBytes: 0, seconds: 0, sha256: null, error: null }; break;
  }
  const cpu = process.cpuUsage(c0);
  const out: ReadOneResult = { mode, file, ...r, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
