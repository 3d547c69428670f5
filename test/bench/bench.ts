/**
 * `npm run bench`: throughput and peak RSS of the capture reader and of the whole pipeline (issues 2, 3, 4 and 6).
 *
 * Builds deterministic captures in a temporary folder (gen.ts) and measures every run in a fresh child process
 * (read-one.js), so that its peak RSS is its own; the code under test runs from a copy in that folder (see
 * prepareFolder). Groups of measurements:
 *
 *   reader   the reader alone on a classic pcap of each --sizes and its pcapng twin (same packets), SHA-256 on
 *            (the default) and off; a plain record walk; pcap-parser's iteration and `tshark -q -z io,phs` on the
 *            same classic file, as ratios (issue 2)
 *   decode   reader + decoder per packet, as `da-audit decode` runs them, and reader + decoder + flow tracker
 *            (no application layer), on the same classic files (issue 3)
 *   summary  analyze() as `da-audit summary` calls it, on the same classic files; the real command (--format json)
 *            and `tshark -q -z conv,…` timed once on the ratio file (issue 4)
 *   iphttps  analyze() on an IP-HTTPS capture (TLS_RSA_WITH_NULL_SHA256, IPv6 inside) of each --iphttps-sizes, the
 *            inner packets and flows checked against the generator's counts; the real command on the largest size,
 *            tshark on the smallest (issue 6)
 *   flows    analyze() on a capture of --flows distinct flows, more than the default bound of 1,000,000 live flows,
 *            at that bound and at --cli-max-flows; the real command with --max-flows, checked for its evictions line
 *            (issue 4)
 *   fleet    the real `verify --format jsonl` on a folder of --fleet-files captures of --fleet-size MiB (copies of one
 *            mixed capture), --jobs 1 against --jobs 2, interleaved: the time ratio of the medians (target ≤ 0.55 on 2
 *            cores), CPU seconds and peak RSS of the whole process (GNU time, when installed), every output compared
 *            byte for byte, and beside them two independent processes on half the captures each (what the cores
 *            allow at all); then the memory per worker: --jobs 2 on two 1 GiB captures at once, less the main thread's
 *            own peak (the same command on a capture of one packet), halved (target < 100 MB); and `verify` on one
 *            1 GiB capture as a user runs it (issue 16)
 *
 * Options:
 *   --only a,b                 groups to run (default all: reader,decode,summary,iphttps,flows,fleet)
 *   --sizes 100,1024[,3072]    mixed-capture sizes in MiB (default 100,1024); ratios and targets use 1024, or the largest
 *   --iphttps-sizes 100,1024   IP-HTTPS capture sizes in MiB (default 100,1024); targets use the largest
 *   --flows N                  distinct flows in the flow-count capture (default 1,250,000)
 *   --cli-max-flows N          --max-flows given to the real command on that capture (default 250,000)
 *   --fleet-files N            captures in the fleet folder (default 8)
 *   --fleet-size MiB           size of each (default 128)
 *   --runs N                   child runs per reader and fleet measurement, median and best reported (default 5);
 *                              pipeline measurements take min(N, 3)
 *   --tshark-size MiB          mixed-capture size for the tshark comparisons (default: the ratio size)
 *   --no-tshark, --no-pcap-parser, --no-cli   skip those comparisons (for the real command, src/ is built into the
 *                              temporary folder with `tsc -p tsconfig.json`, as `npm run build` does)
 *   --json PATH                also write every raw measurement as JSON
 *   --keep                     keep the temporary folder (its path is printed)
 *
 * Every figure comes with the 1-minute load average taken just before its runs: the machine may be shared.
 * Not a CI gate: it prints figures and whether each target is met, and exits 0 unless a measurement failed or
 * a count disagrees (packets against the generator, inner IP-HTTPS packets, flows, evictions). Each measurement
 * also prints one line on stderr as it finishes. A failed tshark run is reported and the run goes on (exit 1).
 */

import { spawnSync } from 'node:child_process';
import {
  closeSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateFlows, generateIpHttps, generatePair, IPHTTPS_KIND_NAMES, KIND_NAMES, type GeneratedFlows, type GeneratedIpHttps,
  type GeneratedPair,
} from './gen.js';
import type { ReadOneResult } from './read-one.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/tools/test/bench → the project root, where bin/da-audit.js and tsconfig.json are. */
const ROOT = join(here, '..', '..', '..', '..');
const MiB = 1024 * 1024;

/** Targets from the issues. */
const TARGET_READER_PPS = 8e6;
const TARGET_VS_PCAP_PARSER = 10;
const TARGET_DECODE_PPS = 5e6;
const TARGET_SUMMARY_PPS = 3e6;
const TARGET_IPHTTPS_PPS = 1.5e6;
const TARGET_RSS_BYTES = 100e6;
const DEFAULT_MAX_FLOWS = 1_000_000;
/** "Flat": peak RSS may not grow by more than this from the smallest to the largest file. */
const FLAT_TOLERANCE_MIB = 5;

const GROUPS = ['reader', 'decode', 'summary', 'iphttps', 'flows', 'fleet'] as const;
/** Issue 16: --jobs 2 takes at most this share of the time of --jobs 1 on a 2-core machine (≥ 1.8× scaling). */
const TARGET_FLEET_RATIO = 0.55;
type Group = (typeof GROUPS)[number];

interface Options {
  only: Set<Group>;
  sizes: number[];
  iphttpsSizes: number[];
  flows: number;
  cliMaxFlows: number;
  fleetFiles: number;
  fleetSize: number;
  runs: number;
  tsharkSize: number | null;
  tshark: boolean;
  pcapParser: boolean;
  cli: boolean;
  json: string | null;
  keep: boolean;
}

function sizeList(v: string, flag: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`${flag} takes positive whole MiB values`);
  return [...new Set(xs)].sort((a, b) => a - b);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    only: new Set(GROUPS), sizes: [100, 1024], iphttpsSizes: [100, 1024], flows: 1_250_000, cliMaxFlows: 250_000, fleetFiles: 8, fleetSize: 128, runs: 5,
    tsharkSize: null, tshark: true, pcapParser: true, cli: true, json: null, keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const whole = (): number => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} takes a positive whole number`);
      return n;
    };
    if (a === '--only') {
      const gs = value().split(',').map((s) => s.trim());
      for (const g of gs) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only: unknown group ${g} (${GROUPS.join(', ')})`);
      o.only = new Set(gs as Group[]);
    } else if (a === '--sizes') o.sizes = sizeList(value(), a);
    else if (a === '--iphttps-sizes') o.iphttpsSizes = sizeList(value(), a);
    else if (a === '--flows') o.flows = whole();
    else if (a === '--cli-max-flows') o.cliMaxFlows = whole();
    else if (a === '--fleet-files') o.fleetFiles = whole();
    else if (a === '--fleet-size') o.fleetSize = whole();
    else if (a === '--runs') o.runs = whole();
    else if (a === '--tshark-size') o.tsharkSize = Number(value());
    else if (a === '--no-tshark') o.tshark = false;
    else if (a === '--no-pcap-parser') o.pcapParser = false;
    else if (a === '--no-cli') o.cli = false;
    else if (a === '--json') o.json = value();
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown option ${a} (see the header of test/bench/bench.ts)`);
  }
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

function load1(): number {
  return os.loadavg()[0]!;
}

/** One child measurement, plus the child's whole wall-clock time (process start to exit). */
interface Run extends ReadOneResult {
  wallSeconds: number;
}

/**
 * The code under test runs from copies in the temporary folder, not from dist/. Why: dist/ belongs to the working
 * tree, and a build there (npm run build, fixtures, docs, another bench) while a child starts makes it load a mix of
 * old and new modules (seen: "does not provide an export named …"). The folder gets the project's package.json (ESM,
 * version) and a link to its node_modules, so the copies resolve their imports as they would in place.
 */
function prepareFolder(tmp: string): void {
  copyFileSync(join(ROOT, 'package.json'), join(tmp, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
}

/** Copies dist/tools (this script and read-one.js, built together by `npm run bench`); returns the copy of read-one.js. */
function snapshotTools(tmp: string): string {
  cpSync(join(here, '..', '..'), join(tmp, 'tools'), { recursive: true });
  return join(tmp, 'tools', 'test', 'bench', 'read-one.js');
}

/** Builds src/ as `npm run build` does, into the temporary folder, with bin/da-audit.js beside it; returns that bin. */
function buildCli(tmp: string): string {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const p = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json'), '--outDir', join(tmp, 'dist'), '--declaration', 'false', '--sourceMap', 'false'],
    { encoding: 'utf8', cwd: ROOT });
  if (p.status !== 0) throw new Error(`tsc -p tsconfig.json failed: ${p.stdout}${p.stderr}`);
  mkdirSync(join(tmp, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'da-audit.js'), join(tmp, 'bin', 'da-audit.js'));
  return join(tmp, 'bin', 'da-audit.js');
}

/** read-one.js to run: the snapshot's copy, set in main(). */
let readOneScript = '';

function readOne(file: string, mode: string, extra: string[] = []): Run {
  const t0 = performance.now();
  const p = spawnSync(process.execPath, ['--no-deprecation', '--expose-gc', readOneScript, file, mode, ...extra], { encoding: 'utf8', maxBuffer: 1 << 20 });
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

/** A capture file to measure and what its generator says about it. */
interface Input {
  workload: 'mixed' | 'iphttps' | 'flows';
  format: 'pcap' | 'pcapng';
  file: string;
  sizeMiB: number;
  bytes: number;
  packets: number;
  sha256: string;
}

/** Median over `runs` child runs (by in-process time); peak RSS is the largest seen. */
interface Measure extends Omit<Input, 'file' | 'sha256'> {
  label: string;
  mode: string;
  /** Median and best (least) in-process time over the runs, and the median child CPU time (all threads). */
  seconds: number;
  bestSeconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  /** 1-minute load average just before the first run. */
  load: number;
  runs: Run[];
}

/**
 * Runs `mode` (with read-one's `extra` arguments) on the input `runs` times, checking the packet count, the SHA-256
 * when computed, and `check` per run.
 */
function measure(label: string, input: Input, mode: string, runs: number, check: (r: Run) => void = () => undefined, extra: string[] = []): Measure {
  warm(input.file);
  const load = load1();
  const rs: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = readOne(input.file, mode, extra);
    if (r.packets !== input.packets) throw new Error(`${label} on ${input.file}: ${r.packets} packets, the generator wrote ${input.packets}`);
    if (r.sha256 !== null && r.sha256 !== input.sha256) throw new Error(`${label} on ${input.file}: SHA-256 ${r.sha256} differs from the generator's`);
    check(r);
    rs.push(r);
  }
  const { file: _file, sha256: _sha, ...rest } = input;
  const m: Measure = {
    ...rest, label, mode, seconds: median(rs.map((r) => r.seconds)), bestSeconds: Math.min(...rs.map((r) => r.seconds)),
    wallSeconds: median(rs.map((r) => r.wallSeconds)), cpuSeconds: median(rs.map((r) => r.cpuSeconds)),
    maxRssKiB: Math.max(...rs.map((r) => r.maxRssKiB)), load, runs: rs,
  };
  progress(`${label}, ${input.workload} ${input.format}${input.workload === 'flows' ? '' : ` ${input.sizeMiB} MiB`}: ${mpps(m.packets, m.seconds)} packets/s median, ` +
    `${mpps(m.packets, m.bestSeconds)} best, peak RSS ${mib(m.maxRssKiB)} MiB, load ${load.toFixed(2)}`);
  return m;
}

/**
 * Reads the file once so the runs find it in the page cache. Why, though it was just written: on the VM these figures
 * come from, files leave the page cache with 22 GB of memory free (a 1 GiB capture read many times took 2 s to read
 * again 100 minutes later, against 0.15 s from the cache), and a run that reads from disk measures the disk.
 */
function warm(file: string): void {
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(8 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * One line on stderr per finished measurement. Why: the tables come at the end of a run that can take an hour,
 * and a run cut short (a comparison killed from outside, say) should still leave its figures behind.
 */
function progress(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Problems that did not stop the run (a comparison that failed): listed at the end, and the exit code is 1. */
const failures: string[] = [];

function pairInputs(g: GeneratedPair): Record<'pcap' | 'pcapng', Input> {
  const common = { workload: 'mixed' as const, sizeMiB: g.sizeMiB, packets: g.packets };
  return {
    pcap: { ...common, format: 'pcap', file: g.pcap, bytes: g.pcapBytes, sha256: g.pcapSha256 },
    pcapng: { ...common, format: 'pcapng', file: g.pcapng, bytes: g.pcapngBytes, sha256: g.pcapngSha256 },
  };
}

/** An external command timed by wall clock, once. */
interface Timed {
  what: string;
  workload: Input['workload'];
  sizeMiB: number;
  packets: number;
  wallSeconds: number;
  load: number;
  /** What the command's output showed that matters here (the evictions line), or why it failed. */
  note: string;
  failed: boolean;
}

/** `tshark -q -z <stats> -r file` plus `-z io,stat,0`, whose frame count is checked against the generator's. */
function tshark(input: Input, stats: string[]): Timed {
  warm(input.file);
  const load = load1();
  const t0 = performance.now();
  const p = spawnSync('tshark', ['-q', ...stats.flatMap((s) => ['-z', s]), '-z', 'io,stat,0', '-r', input.file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const wallSeconds = (performance.now() - t0) / 1000;
  const what = `tshark -q ${stats.map((s) => `-z ${s}`).join(' ')}`;
  const t: Timed = { what, workload: input.workload, sizeMiB: input.sizeMiB, packets: input.packets, wallSeconds, load, note: '', failed: false };
  if (p.status !== 0) {
    // A comparison, not our code: say so and go on with the run.
    const why = p.error ? p.error.message : p.signal ? `killed by ${p.signal}` : `exit ${p.status}`;
    t.failed = true;
    t.note = `FAILED after ${wallSeconds.toFixed(0)} s (${why})`;
    failures.push(`${what} on ${input.file}: ${t.note}; stderr: ${p.stderr.trim().split('\n').pop() ?? ''}`);
  } else {
    // io,stat has no row for a capture lasting 0 s; io,phs then counts the frames on its top line.
    const m = /\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|\s*(\d+)\s*\|/.exec(p.stdout) ?? /^eth\s+frames:(\d+)/m.exec(p.stdout);
    const frames = m ? Number(m[1]) : -1;
    if (frames !== input.packets) throw new Error(`tshark counted ${frames} frames in ${input.file}, the generator wrote ${input.packets}`);
  }
  progress(`${what}, ${input.workload}${input.workload === 'flows' ? '' : ` ${input.sizeMiB} MiB`}: ${t.failed ? t.note : `${wallSeconds.toFixed(2)} s`}, load ${load.toFixed(2)}`);
  return t;
}

/** `node bin/da-audit.js summary [args] file` (the `bin` buildCli made), timed by wall clock; returns its stdout too. */
function cliSummary(bin: string, input: Input, args: string[]): Timed & { stdout: string } {
  warm(input.file);
  const load = load1();
  const t0 = performance.now();
  const p = spawnSync(process.execPath, [bin, 'summary', ...args, input.file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`da-audit summary ${args.join(' ')} ${input.file} exited ${p.status ?? p.signal}: ${p.stderr}`);
  const what = `da-audit summary${args.map((a) => ` ${a}`).join('')}`;
  progress(`${what}, ${input.workload}${input.workload === 'flows' ? '' : ` ${input.sizeMiB} MiB`}: ${wallSeconds.toFixed(2)} s, load ${load.toFixed(2)}`);
  return { what, workload: input.workload, sizeMiB: input.sizeMiB, packets: input.packets, wallSeconds, load, note: '', failed: false, stdout: p.stdout };
}

/** One run of the real `verify --format jsonl`: wall clock, CPU seconds and peak RSS (GNU time, when installed). */
interface VerifyRun {
  /** What was run, for the tables: "--jobs 2 fleet/" … */
  what: string;
  jobs: number | null;
  wallSeconds: number;
  /** User + system CPU seconds of the whole process, every thread (GNU time), or null. */
  cpuSeconds: number | null;
  maxRssKiB: number | null;
  load: number;
  stdout: string;
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = ((): boolean => {
  try {
    return statSync(GNU_TIME).isFile();
  } catch {
    return false;
  }
})();

function verifyRun(bin: string, what: string, jobs: number | null, inputs: string[]): VerifyRun {
  const args = [bin, 'verify', '--format', 'jsonl', ...(jobs === null ? [] : ['--jobs', String(jobs)]), ...inputs];
  const load = load1();
  const t0 = performance.now();
  const p = hasGnuTime
    ? spawnSync(GNU_TIME, ['-f', 'maxrss %M cpu %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const wallSeconds = (performance.now() - t0) / 1000;
  // verify exits 1 on findings (the mixed capture holds clear traffic between clients) and 5 when a capture shows too
  // little to judge (the capture of one packet); 2, 3 and 4 are failures.
  if (p.status === null || (p.status >= 2 && p.status <= 4)) throw new Error(`da-audit verify ${what} exited ${p.status ?? p.signal}: ${p.stderr}`);
  const t = /maxrss (\d+) cpu ([\d.]+) ([\d.]+)/.exec(p.stderr);
  progress(`verify ${what}: ${wallSeconds.toFixed(2)} s, load ${load.toFixed(2)}`);
  return {
    what, jobs, wallSeconds, cpuSeconds: t ? Number(t[2]) + Number(t[3]) : null, maxRssKiB: t ? Number(t[1]) : null, load, stdout: p.stdout,
  };
}

/**
 * The machine's own ceiling for two cores on this work: two independent processes, each `verify --jobs 1` on half of
 * the captures, started together; the wall clock until both end. Nothing is shared between them (no worker threads,
 * no common V8 platform or thread pool), so what they gain over one process is what the cores themselves allow.
 */
function twoProcessRun(bin: string, captures: string[]): { wallSeconds: number; load: number } {
  const half = Math.ceil(captures.length / 2);
  const quote = (x: string): string => `'${x.replace(/'/g, "'\\''")}'`;
  const one = (files: string[]): string => [process.execPath, bin, 'verify', '--format', 'jsonl', '--jobs', '1', ...files].map(quote).join(' ');
  const script = `${one(captures.slice(0, half))} > /dev/null & a=$!; ${one(captures.slice(half))} > /dev/null & b=$!; ` +
    // verify exits 1 on findings (the mixed capture has them); 2, 3 and 4 are failures.
    'wait $a; x=$?; wait $b; y=$?; for c in $x $y; do case $c in 0|1|5) ;; *) exit $c;; esac; done';
  const load = load1();
  const t0 = performance.now();
  const p = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`two processes of verify --jobs 1 failed (${p.status ?? p.signal}): ${p.stderr}`);
  progress(`two processes of verify --jobs 1 on half the captures each: ${wallSeconds.toFixed(2)} s, load ${load.toFixed(2)}`);
  return { wallSeconds, load };
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
function mb(kib: number): string {
  return ((kib * 1024) / 1e6).toFixed(1);
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

const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/** Largest growth of peak RSS, MiB, from the smallest to the largest size, over the series named by `keys` ("label|format"). */
function rssGrowth(ms: Measure[], keys: string[]): { small: number; large: number; worst: number } | null {
  const sizes = [...new Set(ms.map((x) => x.sizeMiB))].sort((a, b) => a - b);
  if (sizes.length < 2) return null;
  const small = sizes[0]!;
  const large = sizes[sizes.length - 1]!;
  let worst = -Infinity;
  for (const k of keys) {
    const a = ms.find((x) => `${x.label}|${x.format}` === k && x.sizeMiB === small);
    const b = ms.find((x) => `${x.label}|${x.format}` === k && x.sizeMiB === large);
    if (a && b) worst = Math.max(worst, (b.maxRssKiB - a.maxRssKiB) / 1024);
  }
  return { small, large, worst };
}

// ---- main -------------------------------------------------------------------------------------

function main(): number {
  const o = parseArgs(process.argv.slice(2));
  const m = machine();
  const ratioSize = o.sizes.includes(1024) ? 1024 : o.sizes[o.sizes.length - 1]!;
  const tsharkSize = o.tsharkSize ?? ratioSize;
  const useTshark = o.tshark && m.tshark !== null;
  const pipelineRuns = Math.min(o.runs, 3);
  const wants = (g: Group): boolean => o.only.has(g);
  const tmp = mkdtempSync(join(os.tmpdir(), 'da-audit-bench-'));
  log('# da-audit benchmark');
  log();
  log(`Machine: ${m.cpu}, ${m.cores} logical CPUs, ${m.ramGiB.toFixed(1)} GiB RAM, ${m.os}, Node ${m.node}`);
  log(`tshark:  ${m.tshark ?? 'not installed'}`);
  log(`Files:   ${tmp}${o.keep ? ' (kept)' : ' (deleted at the end)'}; ${o.runs} run(s) per reader and fleet measurement, ${pipelineRuns} per pipeline one`);
  log(`Groups:  ${[...o.only].join(', ')}`);
  log(`Load:    ${loadavg()} at start (other work on the machine skews every figure; compare median with best)`);
  log();

  const pairs: GeneratedPair[] = [];
  const ipHttpsGens: GeneratedIpHttps[] = [];
  let flowsGen: GeneratedFlows | null = null;
  const fleet: VerifyRun[] = [];
  const twoProcesses: { wallSeconds: number; load: number }[] = [];
  const workers: { alone: VerifyRun | null; two: VerifyRun[]; single: VerifyRun[]; packets: number } = { alone: null, two: [], single: [], packets: 0 };
  const readers: Measure[] = [];
  const walks: Measure[] = [];
  const pipeline: Measure[] = [];
  const timed: Timed[] = [];
  let baseline: Run | null = null;
  let parser: Measure | null = null;
  let bin: string | null = null;
  const cli = (input: Input, args: string[]): (Timed & { stdout: string }) | null => {
    if (!o.cli) return null;
    bin ??= buildCli(tmp);
    const t = cliSummary(bin, input, args);
    timed.push(t);
    return t;
  };
  try {
    prepareFolder(tmp);
    readOneScript = snapshotTools(tmp);
    if (wants('reader') || wants('decode') || wants('summary')) {
      // A one-packet capture for tshark's start-up time.
      const tiny = pairInputs(generatePair(tmp, 0)).pcap;
      let tsharkStartup: Timed | null = null;
      for (const size of o.sizes) {
        const g = generatePair(tmp, size);
        pairs.push(g);
        (globalThis as { gc?: () => void }).gc?.();
        log(`generated ${g.sizeMiB} MiB mixed: ${fmtInt(g.packets)} packets, mean frame ${g.meanFrame.toFixed(0)} B, ` +
          `pcap ${fmtInt(g.pcapBytes)} B, pcapng ${fmtInt(g.pcapngBytes)} B, in ${g.seconds.toFixed(1)} s`);
        const inputs = pairInputs(g);
        if (wants('reader')) {
          baseline ??= readOne(g.pcap, 'baseline');
          for (const format of ['pcap', 'pcapng'] as const) {
            readers.push(measure('reader (hash)', inputs[format], 'reader', o.runs));
            readers.push(measure('reader (no hash)', inputs[format], 'reader-nohash', o.runs));
          }
          walks.push(measure('plain record walk', inputs.pcap, 'walk', o.runs));
          if (size === ratioSize && o.pcapParser) parser = measure('pcap-parser', inputs.pcap, 'pcap-parser', Math.min(o.runs, 3));
        }
        if (wants('decode')) {
          for (const format of ['pcap', 'pcapng'] as const) pipeline.push(measure('decode', inputs[format], 'decode', pipelineRuns));
          pipeline.push(measure('decode + flows', inputs.pcap, 'track', pipelineRuns));
        }
        if (wants('summary')) pipeline.push(measure('summary', inputs.pcap, 'summary', pipelineRuns));
        if (size === tsharkSize && useTshark && (wants('reader') || wants('summary'))) {
          tsharkStartup = tshark(tiny, ['io,phs']);
          if (wants('reader')) timed.push(tshark(inputs.pcap, ['io,phs']));
          if (wants('summary')) timed.push(tshark(inputs.pcap, ['conv,ip', 'conv,ipv6', 'conv,tcp', 'conv,udp']));
        }
        // JSON, not the table: the table of this mix has about 21,000 lines (17,000 of them IKE/AuthIP messages, at
        // most 64 kept per negotiation), which cli-table3 takes some 15 s to lay out whatever the capture's size;
        // docs/performance.md gives the table's figures apart.
        if (size === ratioSize && wants('summary')) cli(inputs.pcap, ['--format', 'json']);
        if (!o.keep) {
          unlinkSync(g.pcap);
          unlinkSync(g.pcapng);
        }
      }
      if (tsharkStartup) timed.push({ ...tsharkStartup, what: 'tshark start-up (tiny file)' });
    }
    if (wants('iphttps')) {
      for (const size of o.iphttpsSizes) {
        const g = generateIpHttps(tmp, size);
        ipHttpsGens.push(g);
        log(`generated ${g.sizeMiB} MiB IP-HTTPS: ${fmtInt(g.packets)} packets carrying ${fmtInt(g.innerPackets)} IPv6 packets, ` +
          `mean frame ${g.meanFrame.toFixed(0)} B, ${fmtInt(g.bytes)} B, in ${g.seconds.toFixed(1)} s`);
        const input: Input = { workload: 'iphttps', format: 'pcap', file: g.path, sizeMiB: size, bytes: g.bytes, packets: g.packets, sha256: g.sha256 };
        pipeline.push(measure('decode', input, 'decode', pipelineRuns));
        pipeline.push(measure('summary', input, 'summary', pipelineRuns, (r) => {
          // The inner decoding is real work, not a no-op: every IPv6 packet the generator put in must come out, in its flows.
          if (r.innerPackets !== g.innerPackets) throw new Error(`IP-HTTPS: ${r.innerPackets} inner packets, the generator wrote ${g.innerPackets}`);
          if (r.innerFlows !== g.innerFlows) throw new Error(`IP-HTTPS: ${r.innerFlows} inner flows, the generator made ${g.innerFlows}`);
        }));
        // tshark on the smallest size only: reassembling and dissecting the TLS streams, it had read 92 % of the 1 GiB
        // capture after 69 minutes on the 2-vCPU machine of docs/performance.md (3.3 GB RSS), and slowing down.
        if (size === o.iphttpsSizes[0] && useTshark) timed.push(tshark(input, ['conv,ip', 'conv,ipv6', 'conv,tcp', 'conv,udp']));
        if (size === o.iphttpsSizes[o.iphttpsSizes.length - 1]) cli(input, []);
        if (!o.keep) unlinkSync(g.path);
      }
    }
    if (wants('flows')) {
      const g = generateFlows(tmp, o.flows);
      flowsGen = g;
      log(`generated ${fmtInt(g.flows)} flows: ${fmtInt(g.packets)} packets, ${fmtInt(g.bytes)} B, in ${g.seconds.toFixed(1)} s`);
      const input: Input = { workload: 'flows', format: 'pcap', file: g.path, sizeMiB: 0, bytes: g.bytes, packets: g.packets, sha256: g.sha256 };
      // analyze() at the default bound and at the one given to the real command: peak RSS follows the bound, not the
      // number of flows in the capture, and every flow over the bound is counted as evicted.
      const bounded = (bound: number) => (r: Run): void => {
        const s = r.flowStats!;
        const live = Math.min(g.flows, bound);
        if (s.created !== g.flows || s.peakLive !== live || s.evictions !== g.flows - live || s.maxFlows !== bound) {
          throw new Error(`flows: ${JSON.stringify(s)}; expected ${g.flows} created, ${live} at most live, ${g.flows - live} evicted`);
        }
      };
      pipeline.push(measure('summary', input, 'summary', pipelineRuns, bounded(DEFAULT_MAX_FLOWS)));
      if (o.cliMaxFlows !== DEFAULT_MAX_FLOWS) {
        pipeline.push(measure(`summary, bound ${fmtInt(o.cliMaxFlows)}`, input, 'summary', pipelineRuns, bounded(o.cliMaxFlows), [String(o.cliMaxFlows)]));
      }
      const t = cli(input, ['--max-flows', String(o.cliMaxFlows)]);
      if (t) {
        const evicted = Math.max(0, g.flows - o.cliMaxFlows);
        const line = /Evicted \(live-flow[^│]*│\s*([\d,]+) \(bound ([\d,]+)/s.exec(t.stdout);
        const shown = line ? Number(line[1]!.replace(/,/g, '')) : 0;
        if (shown !== evicted) throw new Error(`da-audit summary --max-flows ${o.cliMaxFlows}: evictions line shows ${shown}, expected ${evicted}`);
        t.note = `"Evicted (live-flow bound reached): ${fmtInt(shown)} (bound ${line ? line[2] : '?'} live flows)"`;
      }
      if (!o.keep) unlinkSync(g.path);
    }
    if (wants('fleet')) {
      const g = generatePair(tmp, o.fleetSize, 0xf1ee7);
      const folder = join(tmp, 'fleet');
      mkdirSync(folder);
      // Copies, not links: each capture is its own file, read from the page cache like the others (warmed below).
      for (let i = 0; i < o.fleetFiles; i++) copyFileSync(g.pcap, join(folder, `capture-${i}.pcap`));
      unlinkSync(g.pcapng);
      if (!o.keep) unlinkSync(g.pcap);
      log(`generated fleet: ${o.fleetFiles} × ${g.sizeMiB} MiB mixed (${fmtInt(g.packets)} packets each), in ${g.seconds.toFixed(1)} s`);
      bin ??= buildCli(tmp);
      for (let i = 0; i < o.fleetFiles; i++) warm(join(folder, `capture-${i}.pcap`));
      // Interleaved, so that a burst of other work on the machine falls on both alike; --runs of each, as the machine's
      // speed changes by a third from one minute to the next (docs/performance.md, "Machine").
      const captures = Array.from({ length: o.fleetFiles }, (_, i) => join(folder, `capture-${i}.pcap`));
      for (let r = 0; r < o.runs; r++) {
        for (const jobs of [1, 2]) fleet.push(verifyRun(bin, `--jobs ${jobs}, ${o.fleetFiles} × ${o.fleetSize} MiB`, jobs, [folder]));
        twoProcesses.push(twoProcessRun(bin, captures));
      }
      if (fleet.some((f) => f.stdout !== fleet[0]!.stdout)) throw new Error('fleet: verify --jobs 2 printed something else than --jobs 1');
      if (!o.keep) rmSync(folder, { recursive: true, force: true });

      // Memory per worker: two workers, each on a 1 GiB capture at once, against the main thread alone.
      const dir = join(tmp, 'workers');
      mkdirSync(dir);
      const big = generatePair(dir, 1024, 0xf1ee7);
      const tiny = generatePair(dir, 0, 0xf1ee7);
      log(`generated for the memory per worker: ${big.sizeMiB} MiB mixed as pcap and pcapng (${fmtInt(big.packets)} packets each), in ${big.seconds.toFixed(1)} s`);
      warm(big.pcap);
      warm(big.pcapng);
      workers.alone = verifyRun(bin, '--jobs 1, a capture of one packet (the main thread alone)', 1, [tiny.pcap]);
      for (let r = 0; r < pipelineRuns; r++) {
        workers.two.push(verifyRun(bin, `--jobs 2, two captures of ${big.sizeMiB} MiB`, 2, [big.pcap, big.pcapng]));
        workers.single.push(verifyRun(bin, `one capture of ${big.sizeMiB} MiB (default --jobs)`, null, [big.pcap]));
      }
      workers.packets = big.packets;
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (!o.keep) rmSync(tmp, { recursive: true, force: true });
  }

  const g0 = pairs[pairs.length - 1];
  if (g0) {
    log();
    log(`Mixed capture: ${g0.flows} flows, ${g0.templates} template packets; mix of the ${g0.sizeMiB} MiB file:`);
    log(KIND_NAMES.map((n, i) => `${n} ${((100 * g0.perKind[i]!) / g0.packets).toFixed(0)}%`).join(', '));
  }
  const h0 = ipHttpsGens[ipHttpsGens.length - 1];
  if (h0) {
    log();
    log(`IP-HTTPS capture: ${h0.connections} connections, ${h0.innerFlows} inner flows expected; segments of the ${h0.sizeMiB} MiB file ` +
      `(handshakes aside): ${IPHTTPS_KIND_NAMES.map((n, i) => `${n} ${((100 * h0.perKind[i]!) / h0.packets).toFixed(0)}%`).join(', ')}`);
  }

  if (readers.length > 0) {
    log();
    log('## Reader alone (sink counts packets and sums capLen; "speed ÷ walk" = packets/s relative to the plain walk on the same size)');
    log();
    // Time relative to the plain walk of the same size: steadier than absolute figures on a busy machine.
    const vsWalk = (x: Measure): string => {
      const w = walks.find((y) => y.sizeMiB === x.sizeMiB);
      return w ? `${(w.seconds / x.seconds).toFixed(2)}` : '';
    };
    const rows = [...readers, ...walks, ...(parser ? [parser] : [])].map((x) => [
      `${x.label}`, x.format, `${x.sizeMiB}`, fmtInt(x.packets), mpps(x.packets, x.seconds), mpps(x.packets, x.bestSeconds),
      mibps(x.bytes, x.seconds), x.seconds.toFixed(3), vsWalk(x), mib(x.maxRssKiB), x.load.toFixed(2),
    ]);
    log(table(['reader', 'format', 'MiB', 'packets', 'packets/s (median)', 'packets/s (best)', 'MiB/s (median)', 'seconds (median)',
      'speed ÷ walk', 'peak RSS MiB', 'load'], rows));
    if (baseline) log(`\nNode baseline (reader module loaded, nothing read): peak RSS ${mib(baseline.maxRssKiB)} MiB.`);
  }

  if (pipeline.length > 0) {
    log();
    log('## Pipeline ("µs/packet" is the median in-process time per packet; CPU counts every thread of the child)');
    log();
    const rows = pipeline.map((x) => [
      x.label, x.workload === 'flows' ? `flows (${fmtInt(flowsGen!.flows)})` : x.workload, x.format, x.workload === 'flows' ? '—' : `${x.sizeMiB}`,
      fmtInt(x.packets), mpps(x.packets, x.seconds), mpps(x.packets, x.bestSeconds), mibps(x.bytes, x.seconds), x.seconds.toFixed(3),
      ((x.seconds / x.packets) * 1e6).toFixed(3), x.cpuSeconds.toFixed(2), mib(x.maxRssKiB), x.load.toFixed(2),
    ]);
    log(table(['stage', 'capture', 'format', 'MiB', 'packets', 'packets/s (median)', 'packets/s (best)', 'MiB/s (median)', 'seconds (median)',
      'µs/packet', 'CPU s', 'peak RSS MiB', 'load'], rows));
    const summaries = pipeline.filter((x) => x.mode === 'summary');
    for (const x of summaries) {
      const r = x.runs[0]!;
      const s = r.flowStats!;
      log(`- ${x.label}, ${x.workload}${x.workload === 'flows' ? '' : ` ${x.sizeMiB} MiB`}: ${fmtInt(s.created)} flows, peak ${fmtInt(s.peakLive)} live ` +
        `(bound ${fmtInt(s.maxFlows)}), ${fmtInt(s.evictions)} evicted, ${fmtInt(s.retained)} kept, ${fmtInt(s.summarizedOnly)} only counted; ` +
        `heap after GC ${mib(r.heapAfterGcBytes! / 1024)} MiB (peak RSS ${mib(x.maxRssKiB)} MiB)` +
        `${r.innerPackets ? `; ${fmtInt(r.innerPackets)} IPv6 packets out of IP-HTTPS in ${fmtInt(r.innerFlows!)} inner flows` : ''}`);
    }
  }

  if (timed.length > 0) {
    log();
    log('## Whole commands (wall clock, one run each)');
    log();
    const ours = (t: Timed): Measure | undefined => pipeline.find((x) => x.mode === 'summary' && x.workload === t.workload && x.sizeMiB === t.sizeMiB);
    log(table(['command', 'capture', 'MiB', 'packets', 'seconds', 'packets/s', 'load', 'note'], timed.map((t) => {
      const s = ours(t);
      const note = t.note || (t.what.startsWith('tshark -q -z conv') && s ? `analyze() ${s.wallSeconds.toFixed(2)} s as a whole child process` : '');
      return [t.what, t.workload, t.workload === 'flows' ? '—' : `${t.sizeMiB}`, fmtInt(t.packets), t.wallSeconds.toFixed(2),
        mpps(t.packets, t.wallSeconds), t.load.toFixed(2), note];
    })));
  }

  if (fleet.length > 0) {
    log();
    log(`## Fleet (verify --format jsonl on ${o.fleetFiles} captures of ${o.fleetSize} MiB; every output the same byte for byte)`);
    log();
    const runRow = (f: VerifyRun, bytes: number | null): string[] => [
      f.what, f.wallSeconds.toFixed(2), f.cpuSeconds === null ? 'n/a' : f.cpuSeconds.toFixed(2), bytes === null ? '—' : mibps(bytes, f.wallSeconds),
      f.maxRssKiB === null ? 'n/a' : mib(f.maxRssKiB), f.load.toFixed(2),
    ];
    const head = ['run', 'seconds', 'CPU seconds (all threads)', 'MiB/s', 'peak RSS MiB (whole process)', 'load'];
    log(table(head, fleet.map((f) => runRow(f, o.fleetFiles * o.fleetSize * MiB))));
    log();
    log(`Two processes, each \`verify --jobs 1\` on half of the captures, started together (the machine's own ceiling): ${twoProcesses.map((t) => `${t.wallSeconds.toFixed(2)} s`).join(', ')}.`);
    if (workers.alone) {
      log();
      log('## Memory per worker (1 GiB captures)');
      log();
      log(table(head, [workers.alone, ...workers.two, ...workers.single].map((f) => runRow(f, f === workers.alone ? null : (f.jobs === 2 ? 2 : 1) * 1024 * MiB))));
    }
  }

  if (readers.length > 0) {
    log();
    log('## Ratios (same classic file; >1 means ours is faster)');
    log();
    const ours = (label: string, size: number): Measure => readers.find((x) => x.label === label && x.format === 'pcap' && x.sizeMiB === size)!;
    const ratioRows: string[][] = [];
    if (parser) {
      for (const label of ['reader (hash)', 'reader (no hash)']) {
        const r = ours(label, ratioSize);
        ratioRows.push([`${label} vs pcap-parser`, `${ratioSize}`, mpps(r.packets, r.seconds), mpps(parser.packets, parser.seconds),
          `${(parser.seconds / r.seconds).toFixed(1)}×`, 'in-process read time']);
      }
    }
    const phs = timed.find((t) => t.what === 'tshark -q -z io,phs' && !t.failed);
    const startup = timed.find((t) => t.what.startsWith('tshark start-up') && !t.failed);
    if (phs) {
      for (const label of ['reader (hash)', 'reader (no hash)']) {
        const r = ours(label, phs.sizeMiB);
        ratioRows.push([`${label} vs tshark io,phs`, `${phs.sizeMiB}`, `${r.wallSeconds.toFixed(2)} s`, `${phs.wallSeconds.toFixed(2)} s`,
          `${(phs.wallSeconds / r.wallSeconds).toFixed(1)}×`, `whole-process wall clock; tshark start-up alone ${startup ? startup.wallSeconds.toFixed(2) : '?'} s`]);
      }
    }
    if (ratioRows.length > 0) log(table(['comparison', 'MiB', 'ours', 'theirs', 'ratio', 'timed as'], ratioRows));
    else log('(no comparison run)');
  }

  log();
  log('## Targets (medians)');
  log();
  const tRows: string[][] = [];
  if (readers.length > 0) {
    const ours = (label: string): Measure => readers.find((x) => x.label === label && x.format === 'pcap' && x.sizeMiB === ratioSize)!;
    for (const label of ['reader (hash)', 'reader (no hash)']) {
      const r = ours(label);
      tRows.push([`2: reader ≥ 8 M packets/s, classic ${ratioSize} MiB, ${label}`, mpps(r.packets, r.seconds), verdict(r.packets / r.seconds >= TARGET_READER_PPS)]);
    }
    if (parser) {
      for (const label of ['reader (hash)', 'reader (no hash)']) {
        const x = parser.seconds / ours(label).seconds;
        tRows.push([`2: reader ≥ 10× pcap-parser, ${label}`, `${x.toFixed(1)}×`, verdict(x >= TARGET_VS_PCAP_PARSER)]);
      }
    }
    const peak = Math.max(...readers.map((x) => x.maxRssKiB));
    tRows.push(['2: reader peak RSS < 100 MB (all reader runs)', `${mib(peak)} MiB = ${mb(peak)} MB`, verdict(peak * 1024 < TARGET_RSS_BYTES)]);
    const g = rssGrowth(readers, ['reader (hash)|pcap', 'reader (no hash)|pcap', 'reader (hash)|pcapng', 'reader (no hash)|pcapng']);
    if (g) tRows.push([`2: reader RSS flat ${g.small} → ${g.large} MiB (growth ≤ ${FLAT_TOLERANCE_MIB} MiB)`, `worst growth ${g.worst.toFixed(1)} MiB`, verdict(g.worst <= FLAT_TOLERANCE_MIB)]);
  }
  const mixed = pipeline.filter((x) => x.workload === 'mixed');
  const pipelineTargets = (issue: string, label: string, ms: Measure[], size: number, pps: number): void => {
    const x = ms.find((y) => y.label === label && y.format === 'pcap' && y.sizeMiB === size);
    if (!x) return;
    tRows.push([`${issue}: ${label} ≥ ${pps / 1e6} M packets/s, ${x.workload} classic ${size} MiB`, mpps(x.packets, x.seconds),
      verdict(x.packets / x.seconds >= pps)]);
    const peak = Math.max(...ms.filter((y) => y.label === label && y.format === 'pcap').map((y) => y.maxRssKiB));
    tRows.push([`${issue}: ${label} peak RSS < 100 MB (${x.workload}, every size)`, `${mib(peak)} MiB = ${mb(peak)} MB`, verdict(peak * 1024 < TARGET_RSS_BYTES)]);
    const g = rssGrowth(ms.filter((y) => y.label === label), [`${label}|pcap`]);
    if (g) tRows.push([`${issue}: ${label} RSS flat ${g.small} → ${g.large} MiB (growth ≤ ${FLAT_TOLERANCE_MIB} MiB)`, `growth ${g.worst.toFixed(1)} MiB`, verdict(g.worst <= FLAT_TOLERANCE_MIB)]);
  };
  pipelineTargets('3', 'decode', mixed, ratioSize, TARGET_DECODE_PPS);
  pipelineTargets('4', 'summary', mixed, ratioSize, TARGET_SUMMARY_PPS);
  for (const x of pipeline.filter((y) => y.workload === 'flows')) {
    const s = x.runs[0]!.flowStats!;
    // Fewer flows than the bound prove nothing about it: say so rather than "met".
    tRows.push([`4: ${fmtInt(s.created)} distinct flows stay within the bound (${fmtInt(s.maxFlows)} live)`,
      `peak ${fmtInt(s.peakLive)} live, ${fmtInt(s.evictions)} evicted; heap after GC ${mib(x.runs[0]!.heapAfterGcBytes! / 1024)} MiB, peak RSS ${mib(x.maxRssKiB)} MiB`,
      s.created <= s.maxFlows ? 'not shown (--flows ≤ the bound)' : verdict(s.peakLive <= s.maxFlows)]);
  }
  // Met whenever shown: the run stops with an error when the evictions line is missing or wrong.
  const flowsCmd = timed.find((x) => x.workload === 'flows');
  if (flowsCmd) tRows.push([`4: the real command reports the evictions (--max-flows ${fmtInt(o.cliMaxFlows)})`, flowsCmd.note, 'met']);
  const ipHttpsSize = o.iphttpsSizes[o.iphttpsSizes.length - 1]!;
  pipelineTargets('6', 'summary', pipeline.filter((x) => x.workload === 'iphttps'), ipHttpsSize, TARGET_IPHTTPS_PPS);
  if (fleet.length > 0) {
    const wall = (jobs: number): number[] => fleet.filter((f) => f.jobs === jobs).map((f) => f.wallSeconds);
    const ratio = median(wall(2)) / median(wall(1));
    tRows.push([`16: verify --jobs 2 ≤ ${TARGET_FLEET_RATIO}× the time of --jobs 1 (${o.fleetFiles} × ${o.fleetSize} MiB, ${m.cores} logical CPUs)`,
      `${ratio.toFixed(2)}× (medians ${median(wall(2)).toFixed(2)} / ${median(wall(1)).toFixed(2)} s; best ${Math.min(...wall(2)).toFixed(2)} / ${Math.min(...wall(1)).toFixed(2)} s)`,
      verdict(ratio <= TARGET_FLEET_RATIO)]);
    const ceiling = median(twoProcesses.map((t) => t.wallSeconds)) / median(wall(1));
    tRows.push(['16: the same with two independent processes on half the captures each (the cores\' own ceiling, no target)', `${ceiling.toFixed(2)}×`, '—']);
  }
  const alone = workers.alone?.maxRssKiB ?? null;
  const two = workers.two.map((f) => f.maxRssKiB).filter((x): x is number => x !== null);
  if (alone !== null && two.length > 0) {
    // The whole process less the main thread's own footprint (the same command on a capture of one packet), per worker.
    const perWorker = (median(two) - alone) / 2;
    tRows.push([`16: peak RSS per worker < 100 MB, verify on a 1 GiB capture ((whole process − main thread ${mib(alone)} MiB) / 2 workers)`,
      `${mib(perWorker)} MiB = ${mb(perWorker)} MB`, verdict(perWorker * 1024 < TARGET_RSS_BYTES)]);
  }
  if (workers.single.length > 0) {
    const x = workers.single;
    tRows.push([`16: verify on one 1 GiB capture, no slower than before (docs/performance.md)`,
      `${median(x.map((f) => f.wallSeconds)).toFixed(2)} s, ${mpps(workers.packets, median(x.map((f) => f.wallSeconds)))} packets/s; peak RSS ${mib(median(x.map((f) => f.maxRssKiB ?? 0)))} MiB`,
      'a figure: compared in docs/performance.md']);
  }
  if (tRows.length > 0) log(table(['target (issue)', 'measured', 'verdict'], tRows));
  log(`\nLoad: ${loadavg()} at the end.`);

  if (o.json) {
    writeFileSync(o.json, `${JSON.stringify({ machine: m, options: { ...o, only: [...o.only] }, generated: { pairs, ipHttps: ipHttpsGens, flows: flowsGen },
      readers, walks, baseline, pcapParser: parser, pipeline, commands: timed }, null, 2)}\n`);
    log(`\nraw measurements written to ${o.json}`);
  }
  if (failures.length > 0) {
    log('\nFailed (the run went on without them):');
    for (const f of failures) log(`- ${f}`);
  }
  if (o.keep) {
    const kept = [...pairs.map((g) => g.pcap), ...ipHttpsGens.map((g) => g.path), ...(flowsGen ? [flowsGen.path] : [])];
    log(`\nfiles kept in ${tmp}: ${kept.map((f) => `${f} (${fmtInt(statSync(f).size)} B)`).join(', ')}`);
  }
  return failures.length > 0 ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
