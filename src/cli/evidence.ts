/** `da-audit evidence` writes the compliance evidence bundle; `da-audit verify-bundle` checks one and re-runs its analysis. */

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalyzeOptions } from '../analyze.js';
import { buildBundle, bundleNames, SIGNATURE, SUMS, BUNDLE_FILES } from '../evidence/bundle.js';
import type { EvidenceDocument } from '../evidence/document.js';
import { checkSignature, parseSums, sha256Hex, signText } from '../evidence/manifest.js';
import { escapeTerminal } from '../report/format.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode, worst } from './exit-codes.js';
import { ioText } from './output.js';
import { verdictExitCode } from './verify.js';

export interface EvidenceOptions {
  output: string;
  /** Record the time of the run (the bundle then differs from run to run). */
  timestamp: boolean;
  /** PEM Ed25519 private key file: sign SHA256SUMS into SHA256SUMS.sig. */
  sign: string | null;
  strict: boolean;
  analyze: AnalyzeOptions;
}

function readKey(path: string, err: Writer): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    err(`da-audit: error: cannot read the key ${escapeTerminal(path)}: ${ioText(e)}`);
    return null;
  }
}

export async function runEvidence(files: string[], opts: EvidenceOptions, err: Writer): Promise<ExitCode> {
  if (files.includes('-')) {
    err('da-audit: error: evidence needs capture files, not standard input: a reviewer must be able to hash and re-read each one');
    return ExitCode.Usage;
  }
  if (existsSync(opts.output) && !statSync(opts.output).isDirectory()) {
    err(`da-audit: error: ${escapeTerminal(opts.output)} exists and is not a folder`);
    return ExitCode.Usage;
  }
  const key = opts.sign === null ? null : readKey(opts.sign, err);
  if (opts.sign !== null && key === null) return ExitCode.Input;
  if (key !== null) {
    // Tried before the analysis, so that a wrong key is a usage error at once, not after a long run.
    try {
      signText(new Uint8Array(0), key);
    } catch (e) {
      err(`da-audit: error: cannot sign with ${escapeTerminal(opts.sign!)}: ${e instanceof Error ? e.message : String(e)}`);
      return ExitCode.Usage;
    }
  }
  const names = bundleNames(files);
  const bundle = await buildBundle(files.map((path, i) => ({ path, name: names[i]! })), opts.analyze, opts.timestamp ? new Date().toISOString() : null, key);
  let code: ExitCode = ExitCode.Ok;
  for (const [i, capture] of bundle.captures.entries()) {
    reportCaptureProblems(capture, err);
    code = worst(code, verdictExitCode(bundle.doc.files[i]!, opts.strict, capture.error !== null || capture.warnings.length > 0));
  }
  // A bundle must name what it read by its hash: without one (unreadable, a pipe read in part) nothing is written.
  const unhashed = bundle.captures.filter((c) => c.sha256Covers !== 'whole input');
  if (unhashed.length > 0) {
    for (const c of unhashed) err(`da-audit: error: ${escapeTerminal(c.file)}: not hashed as a whole; no bundle written`);
    return ExitCode.Input;
  }
  for (const m of bundle.missing) {
    err(`da-audit: error: inputs/${m.name}: frame ${m.frame} was not found again for evidence.pcapng (did the file change while it was read?)`);
    code = worst(code, ExitCode.Input);
  }
  try {
    mkdirSync(opts.output, { recursive: true });
    for (const [name, bytes] of bundle.files) writeFileSync(join(opts.output, name), bytes, name === 'recheck.sh' ? { mode: 0o755 } : {});
    // A signature left by an earlier run would not sign this SHA256SUMS.
    if (key === null) rmSync(join(opts.output, SIGNATURE), { force: true });
  } catch (e) {
    err(`da-audit: error: cannot write the bundle to ${escapeTerminal(opts.output)}: ${ioText(e)}; the bundle is incomplete`);
    // The bundle is what was asked for: when it cannot be written, that is the outcome (as for verify -o), whatever the verdicts.
    return ExitCode.Input;
  }
  const verdicts = bundle.doc.files.reduce((n, f) => n + f.sessions.length + f.pairs.length, 0);
  err(`da-audit: evidence bundle written to ${escapeTerminal(opts.output)}: ${bundle.files.size} files, ${verdicts} verdict(s); check it with: da-audit verify-bundle ${escapeTerminal(opts.output)} <capture...>`);
  return code;
}

/** SHA-256 of a file, streamed (a capture may be large). */
async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Paths where two JSON values differ ("files[0].pairs[1].verdict"), at most `max`. */
function jsonDifferences(a: unknown, b: unknown, path = '', max = 20, out: string[] = []): string[] {
  if (out.length >= max) return out;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path || '(top)'}: recorded ${JSON.stringify(a)}, now ${JSON.stringify(b)}`.slice(0, 300));
    return out;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const sub = Array.isArray(a) ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`;
    jsonDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub, max, out);
  }
  return out;
}

export interface VerifyBundleOptions {
  /** PEM Ed25519 public key file: SHA256SUMS.sig must be a valid signature of SHA256SUMS under it. */
  pubkey: string | null;
}

/**
 * Exit 3 when a file is missing or altered (a bundle file, the signature, a capture that is not one of the inputs),
 * 1 when re-running the analysis gives a different bundle, 0 when everything matches.
 */
export async function runVerifyBundle(dir: string, captures: string[], opts: VerifyBundleOptions, out: Writer, err: Writer): Promise<ExitCode> {
  const shown = escapeTerminal(dir);
  const altered: string[] = [];
  const read = (name: string): Buffer | null => {
    try {
      return readFileSync(join(dir, name));
    } catch (e) {
      altered.push(`${name}: cannot be read: ${ioText(e)}`);
      return null;
    }
  };
  const sumsBytes = read(SUMS);
  const sums = sumsBytes === null ? null : parseSums(sumsBytes.toString('utf8'));
  if (sumsBytes !== null && sums === null) altered.push(`${SUMS}: not in the format sha256sum writes`);
  for (const s of sums ?? []) {
    if (/^inputs\/[A-Za-z0-9._+-]+$/.test(s.name) && !s.name.startsWith('inputs/.')) continue;
    // Only the bundle's own files are read: a line naming another path (../…) is an alteration, not a file to open.
    if (!(BUNDLE_FILES as readonly string[]).includes(s.name)) {
      altered.push(`${escapeTerminal(s.name)}: not a file of an evidence bundle, listed in ${SUMS}`);
      continue;
    }
    const bytes = read(s.name);
    if (bytes !== null && sha256Hex(bytes) !== s.sha256) altered.push(`${s.name}: its SHA-256 is not the one in ${SUMS}`);
  }
  for (const name of BUNDLE_FILES) if (sums !== null && !sums.some((s) => s.name === name)) altered.push(`${name}: not listed in ${SUMS}`);
  if (opts.pubkey !== null && sumsBytes !== null) {
    const key = readKey(opts.pubkey, err);
    if (key === null) return ExitCode.Input;
    const sig = read(SIGNATURE);
    try {
      if (sig !== null && !checkSignature(sumsBytes, sig.toString('utf8'), key)) altered.push(`${SIGNATURE}: not a valid Ed25519 signature of ${SUMS} under ${escapeTerminal(opts.pubkey)}`);
    } catch (e) {
      err(`da-audit: error: cannot use the key ${escapeTerminal(opts.pubkey)}: ${e instanceof Error ? e.message : String(e)}`);
      return ExitCode.Usage;
    }
    if (sig !== null && altered.length === 0) out(`${SIGNATURE}: valid Ed25519 signature of ${SUMS}`);
  } else if (existsSync(join(dir, SIGNATURE))) {
    out(`${SIGNATURE}: present, not checked (give --pubkey with the signer's public key)`);
  }
  let doc: EvidenceDocument | null = null;
  if (altered.length === 0) {
    try {
      doc = JSON.parse(read('report.json')!.toString('utf8')) as EvidenceDocument;
    } catch {
      altered.push('report.json: not JSON');
    }
    for (const i of doc?.evidence.inputs ?? []) {
      if (!sums!.some((s) => s.name === `inputs/${i.name}` && s.sha256 === i.sha256)) altered.push(`inputs/${i.name}: report.json and ${SUMS} disagree on its SHA-256`);
    }
  }
  if (altered.length > 0 || doc === null) {
    for (const a of altered) err(`da-audit: error: ${shown}/${escapeTerminal(a)}`);
    return ExitCode.Input;
  }
  out(`${SUMS}: ${sums!.length - doc.evidence.inputs.length} bundle file(s) match`);
  // Captures given, else those placed in the bundle's inputs/ folder; each is matched to an input by its SHA-256.
  const paths = captures.length > 0 ? captures : doc.evidence.inputs.map((i) => join(dir, 'inputs', i.name)).filter((p) => existsSync(p));
  const found = new Map<string, string>();
  for (const p of paths) {
    let sha: string;
    try {
      sha = await hashFile(p);
    } catch (e) {
      err(`da-audit: error: ${escapeTerminal(p)}: cannot be read: ${ioText(e)}`);
      return ExitCode.Input;
    }
    const input = doc.evidence.inputs.find((i) => i.sha256 === sha);
    if (input === undefined) {
      err(`da-audit: error: ${escapeTerminal(p)}: its SHA-256 ${sha} is not that of any input of the bundle (altered, or another capture)`);
      return ExitCode.Input;
    }
    found.set(input.name, p);
    out(`inputs/${input.name}: SHA-256 matches (${escapeTerminal(p)})`);
  }
  const absent = doc.evidence.inputs.filter((i) => !found.has(i.name));
  if (absent.length > 0) {
    out(`analysis not re-run: no capture given for ${absent.map((i) => `inputs/${i.name}`).join(', ')}; only the manifest was checked`);
    return ExitCode.Ok;
  }
  let again;
  try {
    again = await buildBundle(doc.evidence.inputs.map((i) => ({ path: found.get(i.name)!, name: i.name })), doc.evidence.options, doc.evidence.generated, null);
  } catch (e) {
    // The manifest matched, so report.json is as written, by a da-audit whose options this one does not accept.
    err(`da-audit: error: ${shown}/report.json: its recorded options cannot be used: ${escapeTerminal(e instanceof Error ? e.message : String(e))}`);
    return ExitCode.Input;
  }
  let code: ExitCode = ExitCode.Ok;
  for (const name of BUNDLE_FILES) {
    const now = again.files.get(name)!;
    const before = readFileSync(join(dir, name));
    if (Buffer.compare(Buffer.from(now), before) === 0) continue;
    code = ExitCode.Findings;
    out(`${name}: DIFFERENT when the analysis is re-run`);
    if (name === 'report.json') for (const d of jsonDifferences(doc, again.doc)) out(`  ${escapeTerminal(d)}`);
  }
  out(code === ExitCode.Ok
    ? `re-run with the recorded options: every file identical (da-audit ${again.doc.tool.version})`
    : `re-run with the recorded options gives a different bundle (recorded by ${escapeTerminal(`${doc.tool.name} ${doc.tool.version}`)}, re-run by da-audit ${again.doc.tool.version})`);
  return code;
}
