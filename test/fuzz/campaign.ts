/** A fuzz campaign: seeds from fixtures/, a seeded mutator, the CLI oracle, and a minimiser for what it finds. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../helpers/build.js';
import { loadSeed, mutate, type Seed } from './mutate.js';
import { COMMANDS, DEFAULT_LIMITS, runOne, type Limits, type Verdict } from './oracle.js';

export interface Finding {
  run: number;
  problem: string;
  detail: string;
  command: number;
  seed: string;
  steps: string[];
  /** The input as found, and as minimised (same problem, same command). */
  input: Uint8Array;
  minimised: Uint8Array;
}

export interface CampaignOptions {
  seed: number;
  runs: number;
  /** fixtures/ (its captures/ and bad/ folders are the seeds). */
  fixtures: string;
  limits?: Limits;
  /** Called every `every` runs with the count so far. */
  progress?: (done: number, findings: number) => void;
  every?: number;
  /** Stop at the first finding (the CI slice: a finding fails the test at once). */
  stopAtFirst?: boolean;
  /** Called before each run with the run number and the path its input is written to (a watchdog's heartbeat). */
  beforeRun?: (run: number, inputPath: string) => void;
}

export interface CampaignResult {
  runs: number;
  seconds: number;
  findings: Finding[];
  /** Runs per problem kind (several runs may hit one bug). */
  byProblem: Record<string, number>;
  slowestMs: number;
  exitCodes: Record<number, number>;
}

export async function loadSeeds(fixtures: string): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const sub of ['captures', 'bad', 'regressions']) {
    let names: string[];
    try {
      names = readdirSync(join(fixtures, sub)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (!/\.(pcap|pcapng|gz|bin)$/.test(name)) continue;
      const path = join(fixtures, sub, name);
      seeds.push(await loadSeed(`${sub}/${name}`, path, new Uint8Array(readFileSync(path))));
    }
  }
  return seeds;
}

/**
 * Shrinks `input` while command `which` still shows `problem`: drops halves, then quarters, … of the bytes, then
 * cuts the tail, within a budget of runs (a minimised input is what a regression fixture keeps).
 */
export async function minimise(dir: string, input: Uint8Array, which: number, problem: string, limits: Limits, budget = 400): Promise<Uint8Array> {
  let best = input;
  let runs = 0;
  const still = async (b: Uint8Array): Promise<boolean> => {
    runs++;
    return (await runOne(dir, b, which, limits)).problem === problem;
  };
  for (let size = best.length >> 1; size >= 1 && runs < budget; size >>= 1) {
    for (let at = 0; at + size <= best.length && runs < budget; ) {
      const candidate = new Uint8Array(best.length - size);
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + size), at);
      if (await still(candidate)) best = candidate;
      else at += size;
    }
  }
  return best;
}

export async function campaign(opts: CampaignOptions): Promise<CampaignResult> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const seeds = await loadSeeds(opts.fixtures);
  const rng = new Prng(opts.seed);
  // Each run writes its input to a file: in memory (/dev/shm) where there is one, as opening a file on disk costs more than the run.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'da-audit-fuzz-'));
  const findings: Finding[] = [];
  const byProblem: Record<string, number> = {};
  const exitCodes: Record<number, number> = {};
  let slowestMs = 0;
  const t0 = performance.now();
  let run = 0;
  try {
    for (; run < opts.runs; run++) {
      const seed = seeds[rng.int(seeds.length)]!;
      const m = mutate(rng, seeds, seed);
      const which = rng.int(COMMANDS.length);
      opts.beforeRun?.(run, join(dir, 'input'));
      const v: Verdict = await runOne(dir, m.bytes, which, limits);
      exitCodes[v.code] = (exitCodes[v.code] ?? 0) + 1;
      if (v.ms > slowestMs) slowestMs = v.ms;
      if (v.problem !== null) {
        byProblem[v.problem] = (byProblem[v.problem] ?? 0) + 1;
        // One minimised example per kind of problem is enough to fix it; later runs only count.
        if (!findings.some((f) => f.problem === v.problem)) {
          const minimised = v.problem === 'slow' || v.problem === 'memory' ? m.bytes : await minimise(dir, m.bytes, which, v.problem, limits);
          findings.push({ run, problem: v.problem, detail: v.detail, command: which, seed: seed.name, steps: m.steps, input: m.bytes, minimised });
        }
        if (opts.stopAtFirst) {
          run++;
          break;
        }
      }
      if (opts.progress && (run + 1) % (opts.every ?? 10_000) === 0) opts.progress(run + 1, findings.length);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { runs: run, seconds: (performance.now() - t0) / 1000, findings, byProblem, slowestMs, exitCodes };
}
