/** report.html: one self-contained page (inline CSS and SVG, no script, no other origin), printable on A4. */

import { byteSize, escapeHtml } from '../report/format.js';
import type { Cell, Section } from '../report/sections.js';
import type { RecordJson, VerifyReport } from '../report/verify.js';
import { verifySections } from '../report/verify-render.js';
import { proofFrames, reasonCodes, type EvidenceDocument } from './document.js';
import type { DirectionMark } from './timeline.js';

const CSS = `
@page { size: A4; margin: 14mm; }
body { font: 10pt/1.35 system-ui, sans-serif; color: #111; max-width: 190mm; margin: 0 auto; padding: 8px; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.4em; border-bottom: 1px solid #999; } h3 { font-size: 11pt; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; table-layout: auto; }
th, td { border: 1px solid #bbb; padding: 2px 4px; vertical-align: top; text-align: left; overflow-wrap: break-word; }
th { background: #eee; }
code, .mono, pre { font-family: ui-monospace, monospace; font-size: 9pt; word-break: break-all; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 4px; }
.v-encrypted { color: #075; font-weight: bold; } .v-clear, .v-integrity-only { color: #b00; font-weight: bold; }
.v-failed, .v-inconclusive { color: #a60; font-weight: bold; }
figure { margin: .6em 0; break-inside: avoid; } figcaption { font-size: 9pt; }
svg { width: 100%; height: auto; }
@media print { h2 { break-after: avoid; } tr { break-inside: avoid; } }
`;

function cellHtml(v: Cell): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((line) => escapeHtml(line)).join('<br>');
  return escapeHtml(String(v));
}

/** The sections of the verify report (the same model the table and Markdown renderers use) as HTML tables. */
function sectionsHtml(sections: Section[]): string {
  return sections.map((s) => {
    const title = `<h3>${escapeHtml(s.title)}</h3>`;
    if (s.rows.length === 0) return `${title}<p><em>${escapeHtml(s.empty ?? 'none')}</em></p>`;
    const head = s.head === null ? '' : `<thead><tr>${s.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
    // The verdict column is coloured by verdict (its cells are the verdict in capitals, e.g. INTEGRITY-ONLY).
    const verdictColumn = s.head?.indexOf('Verdict') ?? -1;
    const cell = (c: Cell, i: number): string => (s.head === null && i === 0 ? `<th>${cellHtml(c)}</th>`
      : i === verdictColumn && typeof c === 'string' ? `<td class="v-${escapeHtml(c.toLowerCase())}">${cellHtml(c)}</td>` : `<td>${cellHtml(c)}</td>`);
    const rows = s.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`);
    return `${title}<table>${head}<tbody>${rows.join('')}</tbody></table>${(s.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('')}`;
  }).join('\n');
}

interface Mark {
  frame: number;
  lane: string;
  label: string;
  deciding: boolean;
}

const LANE_COLORS: Record<string, string> = { 'negotiation': '#06c', 'A → B': '#075', 'B → A': '#075', 'no IPsec': '#b60', 'evidence': '#333', 'deciding': '#c00' };
const WIDTH = 700;
const LEFT = 90;
const RIGHT = 20;
const LANE_HEIGHT = 50;
/** Markers drawn per lane at most; the caption lists every deciding frame in any case. */
const MAX_MARKS = 40;

/**
 * A timeline of one record on a frame-number axis, one lane each (when it has any marker): the negotiation messages;
 * per direction (A → B, B → A), the first and last packet of each IPsec SA; the first and last packet without IPsec;
 * the other evidence frames (first and last packet of the record); and its deciding frames (red). Each marker is
 * labelled with its frame number (its title says what it is); labels that would overlap are set on up to three rows.
 */
function timelineSvg(r: RecordJson, directions: DirectionMark[]): string {
  const marks: Mark[] = [];
  for (const n of r.negotiations) for (const f of n.frames) marks.push({ frame: f, lane: 'negotiation', label: `${n.protocol} (${n.outcome})`, deciding: false });
  for (const d of directions) marks.push({ frame: d.frame, lane: d.lane, label: d.label, deciding: false });
  const deciding = new Set(proofFrames(r));
  for (const e of r.evidence) if (!deciding.has(e.frame)) marks.push({ frame: e.frame, lane: 'evidence', label: e.what, deciding: false });
  for (const f of deciding) marks.push({ frame: f, lane: 'deciding', label: r.evidence.find((e) => e.frame === f)?.what ?? 'decides the verdict', deciding: true });
  if (marks.length === 0) return '<p><em>no frames to draw</em></p>';
  const lanes = Object.keys(LANE_COLORS).filter((l) => marks.some((m) => m.lane === l));
  const frames = marks.map((m) => m.frame);
  const lo = Math.min(...frames);
  const hi = Math.max(...frames);
  const x = (f: number): number => (hi === lo ? (LEFT + WIDTH - RIGHT) / 2 : LEFT + ((f - lo) / (hi - lo)) * (WIDTH - LEFT - RIGHT));
  const height = lanes.length * LANE_HEIGHT + 24;
  const out: string[] = [];
  for (const [i, lane] of lanes.entries()) {
    const y = 20 + i * LANE_HEIGHT + LANE_HEIGHT - 12;
    const color = LANE_COLORS[lane]!;
    out.push(`<text x="4" y="${y + 4}" font-size="11">${escapeHtml(lane)}</text>`, `<line x1="${LEFT}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}" stroke="#999"/>`);
    const lastX = [-Infinity, -Infinity, -Infinity];
    const inLane = marks.filter((m) => m.lane === lane).sort((a, b) => a.frame - b.frame);
    // One marker per frame; its title keeps every label (an SA's first packet may also be the record's first).
    const byFrame = new Map<number, Mark & { labels: string[] }>();
    for (const m of inLane) byFrame.set(m.frame, { ...m, labels: [...(byFrame.get(m.frame)?.labels ?? []), m.label] });
    const shown = [...byFrame.values()];
    for (const m of shown.slice(0, MAX_MARKS)) {
      const mx = x(m.frame);
      const row = Math.max(0, lastX.findIndex((lx) => mx - lx >= 30));
      lastX[row] = mx;
      out.push(`<g><title>frame ${m.frame}: ${escapeHtml(m.labels.join('; '))}</title>`
        + `<circle cx="${mx.toFixed(1)}" cy="${y}" r="${m.deciding ? 5 : 4}" fill="${color}"/>`
        + `<text x="${mx.toFixed(1)}" y="${y - 9 - row * 11}" font-size="10" text-anchor="middle" fill="${color}">${m.frame}</text></g>`);
    }
    if (shown.length > MAX_MARKS) out.push(`<text x="${WIDTH - RIGHT}" y="${y + 14}" font-size="10" text-anchor="end">and ${shown.length - MAX_MARKS} more</text>`);
  }
  out.push(`<text x="${LEFT}" y="${height - 2}" font-size="10">frame ${lo}</text>`, `<text x="${WIDTH - RIGHT}" y="${height - 2}" font-size="10" text-anchor="end">frame ${hi} (axis: frame number)</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="timeline of frames ${lo} to ${hi}">${out.join('')}</svg>`;
}

function recordTitle(r: RecordJson): string {
  const end = (e: RecordJson['a']): string => `${e.address}${e.port !== null ? ` port ${e.port}` : ''}${e.names.length > 0 ? ` (${e.names[0]})` : ''}`;
  return `${end(r.a)} ↔ ${end(r.b)}${r.protocol ? ` ${r.protocol}` : ''}`;
}

/** What to change and how to check it, for a verdict that is not encrypted (rules/remedies.ts, report/check.ts). */
function remedy(r: RecordJson): string {
  const fix = r.fix === null ? '' : `<p><strong>Fix</strong> (<code>${escapeHtml(r.fix.code)}</code>): ${escapeHtml(r.fix.text)}</p>`;
  const commands = r.check === null ? [] : [...r.check.tshark, ...r.check.windows];
  return `${fix}${commands.length === 0 ? '' : `<p><strong>Check</strong> in the capture, then on the client:</p><pre>${commands.map(escapeHtml).join('\n')}</pre>`}`;
}

function timelines(f: VerifyReport, directions: ReadonlyMap<RecordJson, DirectionMark[]>): string {
  const records = [...f.pairs, ...f.sessions];
  if (records.length === 0) return '';
  return `<h3>Timelines</h3><p>A is the first address named, B the second.</p>` + records.map((r) => `<figure><figcaption><span class="v-${r.verdict}">${escapeHtml(r.verdict.toUpperCase())}</span> ${r.kind} `
    + `${escapeHtml(recordTitle(r))} — reason ${escapeHtml(reasonCodes(r).join(', '))}; deciding frames ${proofFrames(r).join(', ')}</figcaption>${timelineSvg(r, directions.get(r) ?? [])}`
    + `${remedy(r)}</figure>`).join('\n');
}

/** `directions`: per record, the per-direction packets of its timeline (timeline.ts), which report.json does not hold. */
export function renderEvidenceHtml(doc: EvidenceDocument, directions: ReadonlyMap<RecordJson, DirectionMark[]>): string {
  const e = doc.evidence;
  const opts = Object.entries(e.options).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td class="mono">${escapeHtml(Array.isArray(v) ? (v.length > 0 ? v.join(', ') : '—') : String(v))}</td></tr>`);
  const inputs = e.inputs.map((i) => `<tr><td class="mono">inputs/${escapeHtml(i.name)}</td><td>${escapeHtml(byteSize(i.bytes))}</td><td class="mono">${escapeHtml(i.sha256)}</td><td>${i.capture.packets}</td><td>${escapeHtml(i.capture.status)}</td></tr>`);
  const files = doc.files.map((f) => `<section><h2>Encryption verdicts: ${escapeHtml(f.file)}</h2>${sectionsHtml(verifySections(f))}${timelines(f, directions)}</section>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>da-audit evidence: ${escapeHtml(doc.files.map((f) => f.file).join(', '))}</title><style>${CSS}</style></head>
<body><h1>Evidence bundle: ${escapeHtml(`${doc.tool.name} ${doc.tool.version}`)}</h1>
<p>${e.generated !== null ? `Generated ${escapeHtml(e.generated)}.` : 'No time recorded (run with --timestamp to record one).'} Frame numbers are Wireshark's; <code>recheck.md</code> gives the tshark command for every claim, <code>SHA256SUMS</code> the hash of every file.</p>
<h2>Options</h2><table><tbody>${opts.join('')}</tbody></table>
<h2>Inputs</h2><table><thead><tr><th>Name</th><th>Size</th><th>SHA-256</th><th>Packets</th><th>Status</th></tr></thead><tbody>${inputs.join('')}</tbody></table>
${files.join('\n')}
</body></html>
`;
}
