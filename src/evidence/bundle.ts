/** The compliance evidence bundle (issue 15): every file, built in memory from the inputs and the options, deterministically. */

import { basename } from 'node:path';
import { analyze, type AnalyzeOptions } from '../analyze.js';
import type { CaptureResult } from '../capture/open.js';
import { byteSize, escapeCsv, escapeMarkdown } from '../report/format.js';
import { buildInfo } from '../report/info.js';
import { buildVerify, verifyDocument, type RecordJson, type VerifyReport } from '../report/verify.js';
import { renderVerifyMarkdown } from '../report/verify-render.js';
import { proofFrames, reasonCodes, recordOptions, type EvidenceDocument, type InputJson } from './document.js';
import { renderEvidenceHtml } from './html.js';
import { sha256Hex, signText, sumsText } from './manifest.js';
import { copyFrames, type FrameRequest } from './packets.js';
import { recheckMarkdown, recheckScript } from './recheck.js';
import { directionMarks, type DirectionMark } from './timeline.js';

export interface BundleInput {
  path: string;
  /** The bundle name; see bundleNames. */
  name: string;
}

export interface Bundle {
  /** File name → bytes, in the order they are listed in SHA256SUMS. */
  files: Map<string, Uint8Array>;
  doc: EvidenceDocument;
  /** Deciding frames the second reading did not find. */
  missing: { name: string; frame: number }[];
  /** What reading each input met (its problems, its hash), in input order. */
  captures: CaptureResult[];
}

export const BUNDLE_FILES = ['report.json', 'report.md', 'report.html', 'verdicts.csv', 'evidence.pcapng', 'recheck.sh', 'recheck.md'] as const;
export const SUMS = 'SHA256SUMS';
export const SIGNATURE = 'SHA256SUMS.sig';

/**
 * Bundle names of the inputs: each file's own name with anything but letters, digits, `.`, `_`, `+` and `-` made `_`
 * (so it is safe unquoted in a shell, Markdown, HTML and SHA256SUMS), prefixed with its position when two clash.
 * The path as typed is not recorded: the bundle must not depend on where the captures lay.
 */
export function bundleNames(paths: string[]): string[] {
  const names: string[] = [];
  for (const [i, p] of paths.entries()) {
    const own = basename(p).replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '_') || 'capture';
    let name = own;
    for (let k = i + 1; names.includes(name); k++) name = `${k}-${own}`;
    names.push(name);
  }
  return names;
}

function csv(doc: EvidenceDocument): string {
  const head = ['file', 'kind', 'verdict', 'a', 'a_port', 'a_names', 'b', 'b_port', 'b_names', 'protocol', 'service', 'path', 'reason_codes', 'why', 'deciding_frames'];
  const rows = doc.files.flatMap((f) => [...f.sessions, ...f.pairs].map((r) => [
    f.file, r.kind, r.verdict, r.a.address, r.a.port ?? '', r.a.names.join(' '), r.b.address, r.b.port ?? '', r.b.names.join(' '),
    r.protocol ?? '', r.service.name, r.path, reasonCodes(r).join(' '), (r.cause ?? r.reasons[0])?.text ?? '', proofFrames(r).join(' '),
  ]));
  return [head, ...rows].map((row) => row.map((v) => escapeCsv(String(v))).join(',')).join('\r\n') + '\r\n';
}

/** report.md: the bundle's facts (tool, options, inputs), then the verify report as `verify --format md` and `--details` write it. */
function markdown(doc: EvidenceDocument): string {
  const e = doc.evidence;
  const opts = Object.entries(e.options).map(([k, v]) => `| ${k} | ${escapeMarkdown(Array.isArray(v) ? (v.length > 0 ? v.join(', ') : '—') : String(v))} |`);
  const inputs = e.inputs.map((i) => `| inputs/${i.name} | ${byteSize(i.bytes)} | \`${i.sha256}\` | ${i.capture.packets} |`);
  return [
    `# Evidence bundle: ${doc.tool.name} ${doc.tool.version}`, '',
    e.generated !== null ? `Generated ${e.generated}.` : 'No time recorded (run with --timestamp to record one).', '',
    '## Options', '', '| Option | Value |', '| --- | --- |', ...opts, '',
    '## Inputs', '', '| Name | Size | SHA-256 | Packets |', '| --- | --- | --- | --- |', ...inputs, '',
    // The report to scan (each verdict with its cause, fix and check), then the full evidence: as verify --format md writes them.
    renderVerifyMarkdown(doc.files, false), '# Full evidence', '', renderVerifyMarkdown(doc.files, true),
  ].join('\n');
}

const enc = new TextEncoder();

/** Analyses every input and lays out every file of the bundle. `signingKey`: a PEM Ed25519 private key, or null. */
export async function buildBundle(inputs: BundleInput[], options: AnalyzeOptions, timestamp: string | null, signingKey: string | null): Promise<Bundle> {
  const reports: VerifyReport[] = [];
  const requests: FrameRequest[] = [];
  const inputJson: InputJson[] = [];
  const captures: CaptureResult[] = [];
  const directions = new Map<RecordJson, DirectionMark[]>();
  for (const input of inputs) {
    const analysis = await analyze(input.path, options);
    // Named by its bundle name everywhere (the report, its tshark checks, the capture facts): never by the path typed.
    const named = { ...analysis, capture: { ...analysis.capture, file: input.name } };
    const report = buildVerify(named);
    // buildVerify keeps the order of the verdict records.
    const records = [...analysis.verdicts.sessions, ...analysis.verdicts.pairs];
    const judged = new Map(analysis.flows.map((f) => [f.flow.id, f]));
    [...report.sessions, ...report.pairs].forEach((r, k) => directions.set(r, directionMarks(judged, records[k]!)));
    const capture = buildInfo(named.capture);
    reports.push(report);
    captures.push(analysis.capture);
    inputJson.push({ name: input.name, bytes: analysis.capture.fileBytes, sha256: analysis.capture.sha256 ?? '', capture });
    const comments = new Map<number, string[]>();
    for (const r of [...report.sessions, ...report.pairs]) {
      const text = `${input.name} frame %d: ${r.kind} ${r.a.address}${r.a.port !== null ? ` port ${r.a.port}` : ''} ↔ ${r.b.address}${r.b.port !== null ? ` port ${r.b.port}` : ''}: verdict ${r.verdict}, reason ${reasonCodes(r).join(', ')}`;
      for (const n of proofFrames(r)) comments.set(n, [...(comments.get(n) ?? []), text.replace('%d', String(n))]);
    }
    requests.push({ path: input.path, name: input.name, capture: analysis.capture, comments });
  }
  const base = verifyDocument(reports) as Pick<EvidenceDocument, 'schemaVersion' | 'tool' | 'files'>;
  // Key order as a reader expects it: versions first, the bundle's facts, then the per-file reports.
  const doc: EvidenceDocument = {
    schemaVersion: base.schemaVersion, tool: base.tool, evidence: { generated: timestamp, options: recordOptions(options), inputs: inputJson }, files: base.files,
  };
  const packets = await copyFrames(requests);
  const content: Record<(typeof BUNDLE_FILES)[number], Uint8Array> = {
    'report.json': enc.encode(JSON.stringify(doc, null, 2) + '\n'),
    'report.md': enc.encode(markdown(doc)),
    'report.html': enc.encode(renderEvidenceHtml(doc, directions)),
    'verdicts.csv': enc.encode(csv(doc)),
    'evidence.pcapng': packets.bytes,
    'recheck.sh': enc.encode(recheckScript(doc)),
    'recheck.md': enc.encode(recheckMarkdown(doc)),
  };
  const files = new Map<string, Uint8Array>(BUNDLE_FILES.map((name) => [name, content[name]]));
  const sums = sumsText([
    ...[...files].map(([name, bytes]) => ({ name, sha256: sha256Hex(bytes) })),
    ...inputJson.map((i) => ({ name: `inputs/${i.name}`, sha256: i.sha256 })),
  ]);
  files.set(SUMS, enc.encode(sums));
  if (signingKey !== null) files.set(SIGNATURE, enc.encode(signText(enc.encode(sums), signingKey)));
  return { files, doc, missing: packets.missing, captures };
}
