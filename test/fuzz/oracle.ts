/**
 * Runs one input through the CLI's own main() in-process and judges the run (docs/reliability.md): no exception
 * escapes, no internal error, JSON output parses, a capture-level problem never exits 0, nor 1 unless verify reports a
 * finding in what was read (a finding outranks it; else it exits 3), and the run
 * stays within its time and memory bounds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';

/** The command lines the harness rotates through; `{in}` and `{out}` are the input and output paths. */
export const COMMANDS: readonly (readonly string[])[] = [
  ['info', '-f', 'json', '{in}'],
  ['summary', '-f', 'json', '{in}'],
  ['verify', '-f', 'json', '{in}'],
  ['decode', '-f', 'jsonl', '{in}'],
  ['extract', '{in}', '-o', '{out}'],
  ['verify', '{in}'],
  ['summary', '-f', 'md', '--max-flows', '4', '--flow-idle', '1', '{in}'],
];

export interface Verdict {
  /** null: the run was fine; else the kind of problem (stable, used to group and minimise findings). */
  problem: string | null;
  detail: string;
  code: number;
  ms: number;
}

/** Codes a run on any input may end with: every documented code but usage (the command lines are valid) and internal. */
const RUN_CODES = new Set<number>(Object.values(ExitCode).filter((c) => c !== ExitCode.Usage && c !== ExitCode.Internal));

/** A capture problem line on stderr (diagnostics.ts): such a run must exit 3. */
const CAPTURE_PROBLEM = /^da-audit: (error|warning): .*: byte offset \d+, frame \d+: /m;

export interface Limits {
  /** Wall time per run beyond which the run is a finding. */
  ms: number;
  /** Resident memory beyond which the run is a finding. */
  rssBytes: number;
}

export const DEFAULT_LIMITS: Limits = { ms: 2000, rssBytes: 1536 * 1024 * 1024 };

/** Writes `bytes` to `dir`/input and runs command `which` on it. */
export async function runOne(dir: string, bytes: Uint8Array, which: number, limits: Limits = DEFAULT_LIMITS): Promise<Verdict> {
  const input = join(dir, 'input');
  writeFileSync(input, bytes);
  const argv = COMMANDS[which % COMMANDS.length]!.map((a) => (a === '{in}' ? input : a === '{out}' ? join(dir, 'out.pcapng') : a));
  let stdout = '';
  let stderr = '';
  const io = { out: (s: string) => { stdout += s.endsWith('\n') ? s : `${s}\n`; }, err: (s: string) => { stderr += s.endsWith('\n') ? s : `${s}\n`; } };
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(argv, io);
  } catch (e) {
    return { problem: 'exception', detail: `${argv[0]}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, code: -1, ms: performance.now() - t0 };
  }
  const ms = performance.now() - t0;
  const verdict = (problem: string | null, detail = ''): Verdict => ({ problem, detail, code, ms });
  if (code === 4 || /internal error/.test(stderr)) return verdict('internal-error', `${argv[0]}: ${stderr.trim()}`);
  if (stdout.includes('internal.decoder_exception')) return verdict('decoder-exception', argv[0]!);
  if (argv.includes('json')) {
    try {
      JSON.parse(stdout);
    } catch {
      return verdict('invalid-json', `${argv[0]}: ${stdout.slice(0, 200)}`);
    }
  }
  if (argv.includes('jsonl')) {
    for (const line of stdout.split('\n')) {
      if (line === '') continue;
      try {
        JSON.parse(line);
      } catch {
        return verdict('invalid-json', `decode: ${line.slice(0, 200)}`);
      }
    }
  }
  // A damaged capture exits 3 (or a code that outranks it: 1 only with a finding reported from what was read), never 0.
  const finding = argv[0] === 'verify' && /"result": "findings"|FINDINGS: traffic between clients/.test(stdout);
  if (CAPTURE_PROBLEM.test(stderr) && code < ExitCode.Input && !(code === ExitCode.Findings && finding)) return verdict('capture-problem-below-exit-3', `${argv[0]} exited ${code}: ${stderr.trim().split('\n')[0]}`);
  if (!RUN_CODES.has(code)) return verdict('unexpected-exit-code', `${argv[0]} exited ${code}: ${stderr.trim()}`);
  if (ms > limits.ms) return verdict('slow', `${argv[0]} took ${ms.toFixed(0)} ms`);
  const rss = process.memoryUsage.rss();
  if (rss > limits.rssBytes) return verdict('memory', `${argv[0]}: rss ${(rss / 2 ** 20).toFixed(0)} MiB`);
  return verdict(null);
}
