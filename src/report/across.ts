/** Issue 16 item 3: the verdicts across files (fleet/merge.ts) as report sections, JSONL/CSV rows and JSON. */

import { reason, type Reason, type ReasonCode } from '../classify/reasons.js';
import type { Verdict } from '../rules/types.js';
import { hex32 } from '../util/bytes.js';
import { EMPTY_ROW, type Row } from './rows.js';
import type { Section } from './sections.js';

/** One verdict of one file, as much of it as merging needs (kept for every file of a long run: small). */
export interface Side {
  /** Position of the file in the input order, and its path. */
  fileIndex: number;
  file: string;
  kind: 'session' | 'pair';
  verdict: Verdict;
  a: string;
  b: string;
  aPort: number | null;
  bPort: number | null;
  protocol: string | null;
  /** The SPIs of the SAs that carry the verdict's traffic (RecordJson.spis): sides that share one are the same traffic. */
  spis: number[];
  firstSec: number | null;
  lastSec: number | null;
  firstTime: string | null;
  lastTime: string | null;
  frames: { first: number; last: number; deciding: number[] };
  reasons: string[];
}

export interface Disagreement {
  /** The side that saw the traffic protected (encrypted or integrity-only), and the side that saw it in clear. */
  protectedSide: Side;
  clearSide: Side;
}

export interface Merged {
  kind: 'session' | 'pair';
  /** The endpoints of the first side; a side merged by its SPIs may show other addresses (its own are in the side). */
  a: string;
  b: string;
  aPort: number | null;
  bPort: number | null;
  protocol: string | null;
  /** The worst verdict of any side (VERDICT_ORDER); `clear` when the sides disagree. */
  verdict: Verdict;
  /** Every side, in input order of the files, then by first frame. */
  sides: Side[];
  disagreements: Disagreement[];
}

/** The code of a disagreement between two captures of the same traffic (docs/cli.md "Across files"). */
export const SIDES_DISAGREE = 'fleet.sides_disagree' satisfies ReasonCode;

function frames(s: Side): string {
  return `frames ${s.frames.first}–${s.frames.last}${s.frames.deciding.length > 0 ? `, deciding ${s.frames.deciding.slice(0, 8).join(', ')}` : ''}`;
}

function endpointText(address: string, port: number | null): string {
  return `${address}${port !== null ? ` port ${port}` : ''}`;
}

/** The same two endpoints, whichever is `a`. */
function sameEndpoints(s: Side, m: Merged): boolean {
  const x = [endpointText(s.a, s.aPort), endpointText(s.b, s.bPort)];
  const y = [endpointText(m.a, m.aPort), endpointText(m.b, m.bPort)];
  return (x[0] === y[0] && x[1] === y[1]) || (x[0] === y[1] && x[1] === y[0]);
}

/**
 * "file: verdict, frames 1–38, deciding 4": every side cites its file and frames. A side whose file shows the traffic
 * under other addresses than the row's (it joined the row by its SPIs) names them and its SPIs:
 * "file: verdict, seen as A ↔ B, SPI 0x…, 0x…, frames …".
 */
export function sideText(s: Side, m: Merged): string {
  const own = sameEndpoints(s, m) ? '' : `seen as ${endpointText(s.a, s.aPort)} ↔ ${endpointText(s.b, s.bPort)}${s.spis.length > 0 ? `, SPI ${s.spis.map(hex32).join(', ')}` : ''}, `;
  return `${s.file}: ${s.verdict}, ${own}${frames(s)}`;
}

/** The disagreement as its coded statement (its frames are in two files, so they are named in the facts only). */
export function disagreementReason(d: Disagreement): Reason {
  return reason(SIDES_DISAGREE, {
    protectedFile: d.protectedSide.file, protectedVerdict: d.protectedSide.verdict, protectedFrames: frames(d.protectedSide),
    clearFile: d.clearSide.file, clearFrames: frames(d.clearSide),
  }, []);
}

export function disagreementText(d: Disagreement): string {
  return disagreementReason(d).text;
}

function endpoints(m: Merged): string[] {
  return [endpointText(m.a, m.aPort), `↔ ${endpointText(m.b, m.bPort)}`, ...(m.protocol ? [m.protocol] : [])];
}

function mergedRow(m: Merged): (string | string[])[] {
  return [m.verdict.toUpperCase(), endpoints(m), m.sides.map((s) => sideText(s, m)), m.disagreements.length > 0 ? m.disagreements.map(disagreementText) : 'none'];
}

export function acrossSections(pairs: Merged[], sessions: Merged[]): Section[] {
  const head = ['Verdict', 'Endpoints', 'Seen in', 'Disagreement between the sides'];
  return [
    { title: 'Client pairs across all files (one row per two clients)', head, rows: pairs.map(mergedRow), empty: 'no traffic between DirectAccess clients in any file' },
    { title: 'Sessions seen in more than one file (the same addresses and ports, or the same SPIs, overlapping in time)', head, rows: sessions.map(mergedRow), empty: 'none' },
  ];
}

/** One JSONL/CSV row per merged pair or session: `detail` cites every side's file and frames. */
export function acrossRow(m: Merged): Row {
  const times = m.sides.flatMap((s) => [s.firstTime, s.lastTime]).filter((t): t is string => t !== null).sort();
  const disagree = m.disagreements.length > 0;
  return {
    ...EMPTY_ROW, record: m.kind === 'pair' ? 'fleet-pair' : 'fleet-session', kind: m.kind, verdict: m.verdict,
    a: m.a, aPort: m.aPort, b: m.b, bPort: m.bPort, protocol: m.protocol, reasons: disagree ? [SIDES_DISAGREE] : [], cause: disagree ? SIDES_DISAGREE : null,
    spis: [...new Set(m.sides.flatMap((s) => s.spis))].sort((x, y) => x - y).map(hex32),
    firstTime: times[0] ?? null, lastTime: times[times.length - 1] ?? null,
    detail: [...m.sides.map((s) => sideText(s, m)), ...m.disagreements.map(disagreementText)].join(' | '),
  };
}

/** JSON `run.acrossFiles`. */
export function acrossJson(pairs: Merged[], sessions: Merged[]): object {
  const side = (s: Side): object => ({
    file: s.file, verdict: s.verdict, a: s.a, aPort: s.aPort, b: s.b, bPort: s.bPort, spis: s.spis.map(hex32), frames: s.frames, firstTime: s.firstTime, lastTime: s.lastTime, reasons: s.reasons,
  });
  const one = (m: Merged): object => ({
    kind: m.kind, verdict: m.verdict, a: m.a, aPort: m.aPort, b: m.b, bPort: m.bPort, protocol: m.protocol, sides: m.sides.map(side),
    disagreements: m.disagreements.map((d) => ({ code: SIDES_DISAGREE, text: disagreementText(d), protected: side(d.protectedSide), clear: side(d.clearSide) })),
  });
  return { pairs: pairs.map(one), sessions: sessions.map(one) };
}
