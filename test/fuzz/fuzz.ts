/**
 * `npm run fuzz -- [--runs N] [--seed S] [--out DIR]`: a fuzz campaign over the fixtures through the CLI's main(),
 * printing the rate and a summary, and writing each finding (as found and minimised) to DIR (docs/reliability.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { campaign } from './campaign.js';
import { COMMANDS } from './oracle.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const runs = Number(flag('--runs', '100000'));
const seed = Number(flag('--seed', '1'));
const out = resolve(flag('--out', 'fuzz-findings'));
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--runs N] [--seed S] [--out DIR]\n');
  process.exit(2);
}

/**
 * A run that never returns (a loop in synchronous code) would stop the campaign without a word, and no timer on
 * this thread can fire meanwhile: a worker watches a heartbeat, and after HANG_MS in one run it keeps that run's
 * input, says so, and kills the process.
 */
const HANG_MS = 60_000;
const beat = new Float64Array(new SharedArrayBuffer(16));
const watchdog = new Worker(`
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', (input) => { workerData.input = input; });
const beat = new Float64Array(workerData.beat);
setInterval(() => {
  if (beat[0] > 0 && Date.now() - beat[0] > workerData.hangMs) {
    fs.mkdirSync(workerData.out, { recursive: true });
    fs.copyFileSync(workerData.input, workerData.out + '/hang-run' + beat[1] + '.bin');
    fs.writeSync(2, 'fuzz: run ' + beat[1] + ' has not returned in ' + workerData.hangMs + ' ms; its input is in ' + workerData.out + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 1000);
`, { eval: true, workerData: { beat: beat.buffer, hangMs: HANG_MS, out, input: '' } });
watchdog.unref();
let inputPath = '';

const started = Date.now();
const result = await campaign({
  seed, runs, fixtures: resolve('fixtures'), every: 10_000,
  beforeRun: (run, input) => {
    if (input !== inputPath) {
      inputPath = input;
      watchdog.postMessage(input);
    }
    beat[0] = Date.now();
    beat[1] = run;
  },
  progress: (done, found) => {
    const s = (Date.now() - started) / 1000;
    process.stderr.write(`fuzz: ${done} runs, ${(done / s).toFixed(0)}/s, ${found} finding(s), rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
  },
});
if (result.findings.length > 0) mkdirSync(out, { recursive: true });
for (const f of result.findings) {
  const base = join(out, `${f.problem}-run${f.run}`);
  writeFileSync(`${base}.bin`, f.input);
  writeFileSync(`${base}.min.bin`, f.minimised);
  writeFileSync(`${base}.txt`, `${f.problem}: ${f.detail}\ncommand: ${COMMANDS[f.command]!.join(' ')}\nseed file: ${f.seed}\nmutations: ${f.steps.join('; ')}\n`);
}
process.stdout.write(JSON.stringify({
  seed, runs: result.runs, seconds: Math.round(result.seconds), perSecond: Math.round(result.runs / result.seconds),
  slowestMs: Math.round(result.slowestMs), exitCodes: result.exitCodes, problems: result.byProblem,
  findings: result.findings.map((f) => ({ problem: f.problem, run: f.run, detail: f.detail, seed: f.seed, bytes: f.input.length, minimisedBytes: f.minimised.length })),
}, null, 2) + '\n');
process.exitCode = result.findings.length > 0 ? 1 : 0;
