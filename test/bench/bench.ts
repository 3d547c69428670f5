/**
 * `npm run bench`: throughput and peak RSS of the capture reader (issue 2, item 7).
 *
 * Builds, deterministically and in a temporary folder, a classic pcap of each requested size and
 * its pcapng twin (same packets) of DirectAccess-like traffic, then measures every reader run in a
 * fresh child process (read-one.js) so that its peak RSS is its own:
 *
 *   - our reader, SHA-256 in the same pass (the default) and with { hash: false }, pcap and pcapng;
 *   - a plain record walk (the floor for any Node reader on this machine);
 *   - pcap-parser's bare iteration, and `tshark -q -z io,phs`, on the same classic file, as ratios.
 *
 * Options:
 *   --sizes 100,1024[,3072]  classic-pcap sizes in MiB (default 100,1024); ratios use 1024 or the largest
 *   --runs N                 child runs per reader measurement, median and best reported (default 5)
 *   --tshark-size MiB        file size for the tshark comparison (default: same as the ratio file)
 *   --no-tshark, --no-pcap-parser   skip those comparisons
 *   --json PATH              also write every raw measurement as JSON
 *   --keep                   keep the temporary folder (its path is printed)
 *
 * Not a CI gate: it prints figures and whether each target of the issue is met, and exits 0
 * unless a measurement failed or two readers disagree on the packet count.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePair, KIND_NAMES, type GeneratedPair } from './gen.js';
import type { ReadOneResult } from './read-one.js';

const here = dirname(fileURLToPath(import.meta.url));
const READ_ONE = join(here, 'read-one.js');
const MiB = 1024 * 1024;

/** Targets from the issue. */
const TARGET_PPS = 8e6;
const TARGET_VS_PCAP_PARSER = 10;
const TARGET_RSS_BYTES = 100e6;
/** "Flat": the reader's peak RSS may not grow by more than this from the smallest to the largest file. */
const FLAT_TOLERANCE_MIB = 5;

interface Options {
  sizes: number[];
  runs: number;
  tsharkSize: number | null;
  tshark: boolean;
  pcapParser: boolean;
  json: string | null;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [100, 1024], runs: 5, tsharkSize: null, tshark: true, pcapParser: true, json: null, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes') o.sizes = value().split(',').map((s) => Number(s.trim()));
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--tshark-size') o.tsharkSize = Number(value());
    else if (a === '--no-tshark') o.tshark = false;
    else if (a === '--no-pcap-parser') o.pcapParser = false;
    else if (a === '--json') o.json = value();
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown option ${a} (see the header of test/bench/bench.ts)`);
  }
  if (o.sizes.length === 0 || o.sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error('--sizes takes positive whole MiB values');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs takes a positive whole number');
  o.sizes = [...new Set(o.sizes)].sort((a, b) => a - b);
  if (o.tsharkSize !== null && !o.sizes.includes(o.tsharkSize)) throw new Error('--tshark-size must be one of --sizes');
  return o;
}

interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
  tshark: string | null;
}

function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  const tv = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  const tshark = tv.status === 0 ? (tv.stdout.split('\n')[0] ?? '').trim() : null;
  return {
    cpu, cores: os.cpus().length, ramGiB: os.totalmem() / 1024 ** 3, node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`, tshark,
  };
}

/** One child measurement, plus the child's whole wall-clock time (process start to exit). */
interface Run extends ReadOneResult {
  wallSeconds: number;
}

function readOne(file: string, mode: string): Run {
  const t0 = performance.now();
  const p = spawnSync(process.execPath, ['--no-deprecation', READ_ONE, file, mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`read-one ${mode} ${file} failed (${p.status ?? p.signal}): ${p.stderr}`);
  const r = JSON.parse(p.stdout.trim().split('\n').pop()!) as ReadOneResult;
  if (r.error) throw new Error(`read-one ${mode} ${file}: ${r.error}`);
  return { ...r, wallSeconds };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median over `runs` child runs (by reader time); peak RSS is the largest seen. */
interface Measure {
  label: string;
  format: 'pcap' | 'pcapng';
  sizeMiB: number;
  fileBytes: number;
  packets: number;
  /** Median and best (least) reader time over the runs. */
  seconds: number;
  bestSeconds: number;
  wallSeconds: number;
  maxRssKiB: number;
  runs: Run[];
}

function measure(label: string, format: 'pcap' | 'pcapng', gen: GeneratedPair, mode: string, runs: number): Measure {
  const file = format === 'pcap' ? gen.pcap : gen.pcapng;
  const rs: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = readOne(file, mode);
    if (r.packets !== gen.packets) throw new Error(`${label} on ${file}: ${r.packets} packets, the generator wrote ${gen.packets}`);
    if (r.sha256 !== null && r.sha256 !== (format === 'pcap' ? gen.pcapSha256 : gen.pcapngSha256)) {
      throw new Error(`${label} on ${file}: SHA-256 ${r.sha256} differs from the generator's`);
    }
    rs.push(r);
  }
  return {
    label, format, sizeMiB: gen.sizeMiB, fileBytes: format === 'pcap' ? gen.pcapBytes : gen.pcapngBytes, packets: gen.packets,
    seconds: median(rs.map((r) => r.seconds)), bestSeconds: Math.min(...rs.map((r) => r.seconds)), wallSeconds: median(rs.map((r) => r.wallSeconds)),
    maxRssKiB: Math.max(...rs.map((r) => r.maxRssKiB)), runs: rs,
  };
}

interface Tshark {
  file: string;
  sizeMiB: number;
  packets: number;
  wallSeconds: number;
  /** Wall-clock time of the same command on a one-packet file: tshark's start-up cost. */
  startupSeconds: number;
}

/** `tshark -q -z io,phs -r file`, timed by wall clock; checks the frame count it reports. */
function tshark(file: string, sizeMiB: number, tinyFile: string): Tshark {
  const run = (f: string): { seconds: number; frames: number } => {
    const t0 = performance.now();
    const p = spawnSync('tshark', ['-q', '-z', 'io,phs', '-r', f], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    if (p.status !== 0) throw new Error(`tshark failed on ${f}: ${p.stderr}`);
    const m = /^eth\s+frames:(\d+)/m.exec(p.stdout);
    return { seconds, frames: m ? Number(m[1]) : -1 };
  };
  const startup = run(tinyFile);
  const r = run(file);
  return { file, sizeMiB, packets: r.frames, wallSeconds: r.seconds, startupSeconds: startup.seconds };
}

// ---- formatting -------------------------------------------------------------------------------

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
function mpps(packets: number, seconds: number): string {
  return `${(packets / seconds / 1e6).toFixed(2)} M`;
}
function mibps(bytes: number, seconds: number): string {
  return (bytes / MiB / seconds).toFixed(0);
}
function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}
function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [line(head), `| ${w.map((n, i) => (i === 0 ? '-'.repeat(n) : `${'-'.repeat(n - 1)}:`)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

function loadavg(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

function log(s = ''): void {
  process.stdout.write(`${s}\n`);
}

// ---- main -------------------------------------------------------------------------------------

function main(): number {
  const o = parseArgs(process.argv.slice(2));
  const m = machine();
  const ratioSize = o.sizes.includes(1024) ? 1024 : o.sizes[o.sizes.length - 1]!;
  const tsharkSize = o.tsharkSize ?? ratioSize;
  const tmp = mkdtempSync(join(os.tmpdir(), 'da-audit-bench-'));
  log('# da-audit capture reader benchmark');
  log();
  log(`Machine: ${m.cpu}, ${m.cores} logical CPUs, ${m.ramGiB.toFixed(1)} GiB RAM, ${m.os}, Node ${m.node}`);
  log(`tshark:  ${m.tshark ?? 'not installed'}`);
  log(`Files:   ${tmp}${o.keep ? ' (kept)' : ' (deleted at the end)'}; ${o.runs} run(s) per reader measurement`);
  log(`Load:    ${loadavg()} at start (other work on the machine skews every figure; compare median with best)`);
  log();

  const gens: GeneratedPair[] = [];
  const measures: Measure[] = [];
  const walks: Measure[] = [];
  let baseline: Run | null = null;
  let parser: Measure | null = null;
  let ts: Tshark | null = null;
  try {
    // A one-packet capture for tshark's start-up time.
    const tiny = generatePair(tmp, 0);
    for (const size of o.sizes) {
      const g = generatePair(tmp, size);
      gens.push(g);
      (globalThis as { gc?: () => void }).gc?.();
      log(`generated ${g.sizeMiB} MiB: ${fmtInt(g.packets)} packets, mean frame ${g.meanFrame.toFixed(0)} B, ` +
        `pcap ${fmtInt(g.pcapBytes)} B, pcapng ${fmtInt(g.pcapngBytes)} B, in ${g.seconds.toFixed(1)} s`);
      baseline ??= readOne(g.pcap, 'baseline');
      for (const format of ['pcap', 'pcapng'] as const) {
        measures.push(measure('reader (hash)', format, g, 'reader', o.runs));
        measures.push(measure('reader (no hash)', format, g, 'reader-nohash', o.runs));
      }
      walks.push(measure('plain record walk', 'pcap', g, 'walk', o.runs));
      if (size === ratioSize && o.pcapParser) parser = measure('pcap-parser', 'pcap', g, 'pcap-parser', Math.min(o.runs, 3));
      if (size === tsharkSize && o.tshark && m.tshark !== null) {
        ts = tshark(g.pcap, size, tiny.pcap);
        if (ts.packets !== g.packets) throw new Error(`tshark counted ${ts.packets} frames, the generator wrote ${g.packets}`);
      }
      if (!o.keep) {
        unlinkSync(g.pcap);
        unlinkSync(g.pcapng);
      }
    }
  } finally {
    if (!o.keep) rmSync(tmp, { recursive: true, force: true });
  }

  const g0 = gens[gens.length - 1]!;
  log();
  log(`Traffic: ${g0.flows} flows, ${g0.templates} template packets; mix of the ${g0.sizeMiB} MiB file:`);
  log(KIND_NAMES.map((n, i) => `${n} ${((100 * g0.perKind[i]!) / g0.packets).toFixed(0)}%`).join(', '));
  log();
  log('## Reader alone (sink counts packets and sums capLen; "speed ÷ walk" = packets/s relative to the plain walk on the same size)');
  log();
  // Time relative to the plain walk of the same size: steadier than absolute figures on a busy machine.
  const vsWalk = (x: Measure): string => {
    const w = walks.find((y) => y.sizeMiB === x.sizeMiB);
    return w ? `${(w.seconds / x.seconds).toFixed(2)}` : '';
  };
  const rows = [...measures, ...walks, ...(parser ? [parser] : [])].map((x) => [
    `${x.label}`, x.format, `${x.sizeMiB}`, fmtInt(x.packets), mpps(x.packets, x.seconds), mpps(x.packets, x.bestSeconds),
    mibps(x.fileBytes, x.seconds), x.seconds.toFixed(3), vsWalk(x), mib(x.maxRssKiB),
  ]);
  log(table(['reader', 'format', 'MiB', 'packets', 'packets/s (median)', 'packets/s (best)', 'MiB/s (median)', 'seconds (median)',
    'speed ÷ walk', 'peak RSS MiB'], rows));
  if (baseline) log(`\nNode baseline (reader module loaded, nothing read): peak RSS ${mib(baseline.maxRssKiB)} MiB.`);

  log();
  log('## Ratios (same classic file; >1 means ours is faster)');
  log();
  const ours = (label: string, size: number): Measure => measures.find((x) => x.label === label && x.format === 'pcap' && x.sizeMiB === size)!;
  const ratioRows: string[][] = [];
  if (parser) {
    for (const label of ['reader (hash)', 'reader (no hash)']) {
      const r = ours(label, ratioSize);
      ratioRows.push([`${label} vs pcap-parser`, `${ratioSize}`, mpps(r.packets, r.seconds), mpps(parser.packets, parser.seconds),
        `${(parser.seconds / r.seconds).toFixed(1)}×`, 'in-process read time']);
    }
  }
  if (ts) {
    for (const label of ['reader (hash)', 'reader (no hash)']) {
      const r = ours(label, ts.sizeMiB);
      ratioRows.push([`${label} vs tshark io,phs`, `${ts.sizeMiB}`, `${r.wallSeconds.toFixed(2)} s`, `${ts.wallSeconds.toFixed(2)} s`,
        `${(ts.wallSeconds / r.wallSeconds).toFixed(1)}×`, `whole-process wall clock; tshark start-up alone ${ts.startupSeconds.toFixed(2)} s`]);
    }
  }
  if (ratioRows.length > 0) log(table(['comparison', 'MiB', 'ours', 'theirs', 'ratio', 'timed as'], ratioRows));
  else log('(no comparison run)');

  log();
  log('## Targets (issue 2, item 7; medians)');
  log();
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const tRows: string[][] = [];
  for (const label of ['reader (hash)', 'reader (no hash)']) {
    const r = ours(label, ratioSize);
    const pps = r.packets / r.seconds;
    tRows.push([`≥ 8 M packets/s, classic ${ratioSize} MiB, ${label}`, mpps(r.packets, r.seconds), verdict(pps >= TARGET_PPS)]);
  }
  if (parser) {
    for (const label of ['reader (hash)', 'reader (no hash)']) {
      const x = parser.seconds / ours(label, ratioSize).seconds;
      tRows.push([`≥ 10× pcap-parser, ${label}`, `${x.toFixed(1)}×`, verdict(x >= TARGET_VS_PCAP_PARSER)]);
    }
  }
  const readerRss = measures.map((x) => x.maxRssKiB);
  const peak = Math.max(...readerRss);
  tRows.push(['peak RSS < 100 MB (all reader runs)', `${mib(peak)} MiB = ${((peak * 1024) / 1e6).toFixed(1)} MB`, verdict(peak * 1024 < TARGET_RSS_BYTES)]);
  if (o.sizes.length > 1) {
    const small = o.sizes[0]!;
    const large = o.sizes[o.sizes.length - 1]!;
    let worst = 0;
    for (const label of ['reader (hash)', 'reader (no hash)']) {
      for (const format of ['pcap', 'pcapng'] as const) {
        const a = measures.find((x) => x.label === label && x.format === format && x.sizeMiB === small)!;
        const b = measures.find((x) => x.label === label && x.format === format && x.sizeMiB === large)!;
        worst = Math.max(worst, (b.maxRssKiB - a.maxRssKiB) / 1024);
      }
    }
    tRows.push([`RSS flat ${small} → ${large} MiB (growth ≤ ${FLAT_TOLERANCE_MIB} MiB)`, `worst growth ${worst.toFixed(1)} MiB`,
      verdict(worst <= FLAT_TOLERANCE_MIB)]);
  }
  log(table(['target', 'measured', 'verdict'], tRows));
  log(`\nLoad: ${loadavg()} at the end.`);

  if (o.json) {
    writeFileSync(o.json, `${JSON.stringify({ machine: m, options: o, generated: gens, measures, walks, baseline, pcapParser: parser, tshark: ts }, null, 2)}\n`);
    log(`\nraw measurements written to ${o.json}`);
  }
  if (o.keep) log(`\nfiles kept in ${tmp}: ${gens.map((g) => `${g.pcap} (${fmtInt(statSync(g.pcap).size)} B)`).join(', ')}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
