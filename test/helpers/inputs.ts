/** The inputs of the differential tests: our fixtures and the third-party corpus, plus tool detection. */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'fixtures');
/** The shared, read-only corpus of third-party captures (override with DA_AUDIT_CORPUS). */
export const CORPUS = process.env['DA_AUDIT_CORPUS'] ?? resolve(ROOT, '../shared/corpus');

export function haveCommand(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

export const HAVE_TSHARK = haveCommand('tshark');
export const HAVE_CAPINFOS = haveCommand('capinfos');
export const HAVE_CORPUS = existsSync(join(CORPUS, 'PROVENANCE.tsv'));

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(pcap|pcapng|gz|bin|snoop)$/.test(name)) out.push(p);
  }
  return out;
}

export interface Input {
  /** Short name for test titles: fixtures/… or corpus/… */
  name: string;
  path: string;
}

export function fixtureInputs(): Input[] {
  return walk(FIXTURES).map((p) => ({ name: relative(ROOT, p), path: p }));
}

export function corpusInputs(): Input[] {
  if (!HAVE_CORPUS) return [];
  const rows = readFileSync(join(CORPUS, 'PROVENANCE.tsv'), 'utf8').trim().split('\n').slice(1);
  return rows.map((r) => r.split('\t')[0]!).map((f) => ({ name: `corpus/${f}`, path: join(CORPUS, f) }));
}

export function allInputs(): Input[] {
  return [...fixtureInputs(), ...corpusInputs()];
}

/** Runs a command and returns its stdout (whatever the exit status: tshark exits 2 on cut-short files). */
export function run(cmd: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Parses "sec.frac" (any number of fraction digits, possibly ≥ 1 s as tshark prints a bad µs field) to exact ns. */
export function decimalToNs(text: string): bigint {
  const [s, f = ''] = text.split('.');
  const sec = BigInt(s!);
  if (f.length <= 9) return sec * 1_000_000_000n + BigInt(f.padEnd(9, '0') || '0');
  // More than 9 digits: tshark printed a nanosecond field ≥ 10^9 without carrying it.
  return sec * 1_000_000_000n + BigInt(f);
}

/** Runs a command asynchronously; resolves with its output whatever the exit status. */
export function runAsync(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => resolveRun({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status }));
  });
}

/** Maps `items` through `fn` with at most `limit` running at once, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
