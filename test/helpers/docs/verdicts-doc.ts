/**
 * docs/verdicts.md, generated from the hand-written test/helpers/docs/verdicts-template.md: every example output
 * in it is da-audit's own, made by running the built command line in-process (dist/cli/main.js, the module
 * bin/da-audit.js runs; build it first with npm run build) on the fixtures, so the page cannot drift from the
 * code; test/docs.test.ts fails when it is stale. (The build of dist/tools cannot run the CLI itself: src/version.ts
 * reads package.json next to the build directory.)
 *
 * Directives of the template, each alone on a line (HTML comments, so the template reads as Markdown too):
 * - `<!-- report: verify --format md <capture> -->`: the command, its Markdown report (headings moved down
 *   three levels to sit under the example) and its exit code;
 * - `<!-- json: verify --format json <capture> | <filter> -->`: an excerpt of the JSON report, shown as the jq
 *   command that gives it; `<filter>` is `.path[0].to.value` optionally followed by `| {key, key}`;
 * - `<!-- exit: verify [options] <capture> -->`: the command and its exit code only;
 * - `<!-- codes -->`: every reason code of src/classify/reasons.ts, with what it means, the evidence that raises it
 *   and an example: the first statement with that code that verify prints for the fixtures of CODE_EXAMPLE_FIXTURES.
 *
 * Fenced blocks ```tshark (one command), then ```shows (lines its output contains, in order) and optionally
 * ```lacks (text no line of its output contains) become a shell block and text blocks; the docs test runs each
 * command and checks both (tsharkChecks).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Main = (typeof import('../../../src/cli/main.js'))['main'];

export const VERDICTS_TEMPLATE = 'test/helpers/docs/verdicts-template.md';
export const VERDICTS_DOC = 'docs/verdicts.md';

interface CliRun {
  out: string;
  err: string;
  code: number;
}

let cli: Promise<Main> | null = null;

/** Runs `da-audit <args>` in-process, collecting stdout, stderr and the exit code. */
async function runCli(args: string[]): Promise<CliRun> {
  cli ??= import(pathToFileURL(resolve('dist/cli/main.js')).href).then((m: { main: Main }) => m.main);
  const main = await cli;
  const out: string[] = [];
  const err: string[] = [];
  const line = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);
  const code = await main(args, { out: (s) => out.push(line(s)), err: (s) => err.push(line(s)) });
  return { out: out.join(''), err: err.join(''), code };
}

const EXIT_MEANING: Record<number, string> = {
  0: 'nothing at or above the failure threshold',
  1: 'a verdict at or above the failure threshold',
  2: 'usage error',
  3: 'input problem',
  4: 'internal error',
  5: 'incomplete: something that could carry client traffic was not seen or not judged',
};

function exitLine(code: number): string {
  return `Exit code: **${code}** (${EXIT_MEANING[code] ?? 'unknown'}).`;
}

function shell(command: string): string[] {
  return ['```sh', command, '```'];
}

function stderrBlock(err: string): string[] {
  return err === '' ? [] : ['', 'On standard error:', '', '```text', err.trimEnd(), '```'];
}

function split(args: string): string[] {
  return args.trim().split(/\s+/);
}

/** A report's Markdown moved under an example: `#` becomes `####`, `##` becomes `#####`. */
function demote(markdown: string): string[] {
  return markdown.trimEnd().split('\n').map((l) => (l.startsWith('#') ? `###${l}` : l));
}

async function report(args: string): Promise<string[]> {
  const argv = split(args);
  if (!argv.includes('md')) throw new Error(`report directive without --format md: ${args}`);
  const r = await runCli(argv);
  return [...shell(`npx da-audit ${args.trim()}`), '', ...demote(r.out), ...stderrBlock(r.err), '', exitLine(r.code)];
}

/** Evaluates the small jq subset the template uses: `.a[0].b` and `.a[0].b | {k1, k2}`. */
function jqLike(doc: unknown, filter: string): unknown {
  const m = /^(\.[A-Za-z0-9_.[\]]*?)\s*(?:\|\s*\{([A-Za-z0-9_,\s]+)\})?$/.exec(filter.trim());
  if (!m) throw new Error(`unsupported JSON filter: ${filter}`);
  let v: unknown = doc;
  for (const step of m[1]!.slice(1).split(/\.|(?=\[)/).filter((s) => s !== '')) {
    const index = /^\[(\d+)\]$/.exec(step);
    const next = index ? (v as unknown[])[Number(index[1])] : (v as Record<string, unknown>)[step];
    if (next === undefined) throw new Error(`JSON filter ${filter}: nothing at ${step}`);
    v = next;
  }
  if (m[2] === undefined) return v;
  const out: Record<string, unknown> = {};
  for (const k of m[2].split(',').map((s) => s.trim())) {
    if (!(k in (v as Record<string, unknown>))) throw new Error(`JSON filter ${filter}: no key ${k}`);
    out[k] = (v as Record<string, unknown>)[k];
  }
  return out;
}

async function json(spec: string): Promise<string[]> {
  const bar = spec.indexOf('|');
  if (bar < 0) throw new Error(`json directive without a filter: ${spec}`);
  const args = spec.slice(0, bar).trim();
  const filter = spec.slice(bar + 1).trim();
  const argv = split(args);
  if (!argv.includes('json')) throw new Error(`json directive without --format json: ${spec}`);
  const r = await runCli(argv);
  const value = jqLike(JSON.parse(r.out), filter);
  return [...shell(`npx da-audit ${args} | jq '${filter}'`), '', '```json', JSON.stringify(value, null, 2), '```', ...stderrBlock(r.err)];
}

async function exit(args: string): Promise<string[]> {
  const r = await runCli(split(args));
  return [...shell(`npx da-audit ${args.trim()} > /dev/null; echo $?`), '', '```text', String(r.code), '```', ...stderrBlock(r.err)];
}

/** One tshark command of the page and what its output must show. */
export interface TsharkCheck {
  command: string;
  shows: string[];
  lacks: string[];
}

interface Fence {
  info: string;
  body: string[];
  start: number;
  end: number;
}

function fences(lines: string[]): Fence[] {
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] !== '```') j++;
    if (j >= lines.length) throw new Error(`${VERDICTS_TEMPLATE}: unclosed fence at line ${i + 1}`);
    out.push({ info: open[1]!, body: lines.slice(i + 1, j), start: i, end: j });
    i = j;
  }
  return out;
}

function template(): string[] {
  return readFileSync(VERDICTS_TEMPLATE, 'utf8').split('\n');
}

/** The tshark commands of the template, each with the lines it must show and the text it must not. */
export function tsharkChecks(): TsharkCheck[] {
  const fs = fences(template());
  const out: TsharkCheck[] = [];
  fs.forEach((f, k) => {
    if (f.info !== 'tshark') return;
    if (f.body.length !== 1) throw new Error(`${VERDICTS_TEMPLATE}: a tshark block holds one command (line ${f.start + 1})`);
    const shows = fs[k + 1]?.info === 'shows' ? fs[k + 1]!.body : [];
    const lacks = fs[k + 1]?.info === 'shows' && fs[k + 2]?.info === 'lacks' ? fs[k + 2]!.body : [];
    if (shows.length === 0) throw new Error(`${VERDICTS_TEMPLATE}: tshark block at line ${f.start + 1} has no shows block after it`);
    out.push({ command: f.body[0]!, shows, lacks });
  });
  return out;
}

/** Whitespace-insensitive: tshark aligns with spaces and separates fields with tabs. */
export function normalize(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

/** What is wrong with `output` for this check ('' when it shows every line, in order, and lacks the rest). */
export function checkOutput(c: TsharkCheck, output: string): string {
  const lines = output.split('\n').map(normalize);
  let from = 0;
  for (const want of c.shows.map(normalize)) {
    const at = lines.findIndex((l, i) => i >= from && l.includes(want));
    if (at < 0) return `no line (at or after line ${from + 1}) contains: ${want}`;
    from = at;
  }
  for (const bad of c.lacks.map(normalize)) {
    const at = lines.findIndex((l) => l.includes(bad));
    if (at >= 0) return `line ${at + 1} contains what it should not: ${bad}`;
  }
  return '';
}

/** The fixtures whose verify reports give the examples of the reason codes, in this order. */
const CODE_EXAMPLE_FIXTURES = /^(sample|verify|trust|iphttps|da)-.*\.pcapng$/;

interface Statement {
  code: string;
  text: string;
  frames: number[];
}

/** Every coded statement of a verify JSON report: reasons, notes, causes, negotiations, SA judgements, coverage, assumptions, links. */
function statementsOf(file: Record<string, unknown>): Statement[] {
  const records = [...(file['sessions'] as Record<string, unknown>[]), ...(file['pairs'] as Record<string, unknown>[])];
  return [
    ...(file['assumptions'] as Statement[]),
    ...records.flatMap((r) => [...(r['reasons'] as Statement[]), ...(r['notes'] as Statement[]),
      ...(r['negotiations'] as { reason: Statement }[]).map((n) => n.reason)]),
    ...(file['esp'] as { reasons: Statement[] }[]).flatMap((e) => e.reasons),
    ...(file['coverage'] as Statement[]),
    ...(file['link'] as Statement[]),
  ];
}

/** The `<!-- codes -->` directive: one entry per reason code, from the registry, with an example from the fixtures. */
async function codes(): Promise<string[]> {
  const { REASONS } = await import(pathToFileURL(resolve('dist/classify/reasons.js')).href) as typeof import('../../../src/classify/reasons.js');
  const { explainLines } = await import(pathToFileURL(resolve('dist/report/explain.js')).href) as typeof import('../../../src/report/explain.js');
  const examples = new Map<string, { fixture: string; s: Statement }>();
  for (const name of readdirSync('fixtures/captures').filter((n) => CODE_EXAMPLE_FIXTURES.test(n)).sort()) {
    const run = await runCli(['verify', '--format', 'json', `fixtures/captures/${name}`]);
    const doc = JSON.parse(run.out) as { files: Record<string, unknown>[] };
    for (const s of statementsOf(doc.files[0]!)) if (!examples.has(s.code)) examples.set(s.code, { fixture: name, s });
  }
  const out: string[] = [];
  for (const code of Object.keys(REASONS)) {
    out.push(...explainLines(code as keyof typeof REASONS));
    const ex = examples.get(code);
    out.push(ex ? `**Example** (\`${ex.fixture}\`, frames ${ex.s.frames.join(', ') || '—'}):` : '**Example:** no fixture shows it; the unit tests of src/rules and src/classify raise it.', '');
    if (ex) out.push(`> ${ex.s.text.replace(/\n/g, ' ')}`, '');
  }
  return out;
}

export async function verdictsMarkdown(): Promise<string> {
  const lines = template();
  const out: string[] = [];
  const blocks = new Map(fences(lines).map((f) => [f.start, f]));
  for (let i = 0; i < lines.length; i++) {
    const fence = blocks.get(i);
    if (fence) {
      if (fence.info === 'tshark') out.push('```sh', ...fence.body, '```');
      else if (fence.info === 'shows') out.push('', 'It shows, among other lines:', '', '```text', ...fence.body, '```');
      else if (fence.info === 'lacks') out.push('', 'and no line containing:', '', '```text', ...fence.body, '```');
      else out.push(...lines.slice(fence.start, fence.end + 1));
      i = fence.end;
      continue;
    }
    const line = lines[i]!;
    if (line === '<!-- codes -->') {
      out.push(...await codes());
      continue;
    }
    const d = /^<!-- (report|json|exit): (.+) -->$/.exec(line);
    if (!d) {
      out.push(line);
      continue;
    }
    const [, kind, spec] = d;
    out.push(...(kind === 'report' ? await report(spec!) : kind === 'json' ? await json(spec!) : await exit(spec!)));
  }
  return out.join('\n');
}
