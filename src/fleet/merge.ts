/**
 * Issue 16 item 3: both sides and across files. One row per pair of clients over every capture of the run, and one
 * row per session seen in more than one capture (the same addresses and ports, overlapping in time); when two
 * captures of the same traffic disagree on its protection (ESP leaves one client, plaintext arrives at the other),
 * that disagreement is itself a finding.
 */

import type { Disagreement, Merged, Side } from '../report/across.js';
import { VERDICT_ORDER, type Verdict } from '../rules/types.js';

export type { Side };

/**
 * How far apart two captures' clocks may be and still show the same traffic: Kerberos, which AuthIP uses between
 * DirectAccess clients, rejects more than 5 minutes of skew (RFC 4120 §1.7, the Windows default), so two clients
 * that negotiated IPsec at all are within it.
 */
export const CLOCK_SKEW_SEC = 300;

const RANK = new Map<Verdict, number>(VERDICT_ORDER.map((v, i) => [v, i]));

function worst(sides: Side[]): Verdict {
  return sides.reduce<Verdict>((w, s) => (RANK.get(s.verdict)! < RANK.get(w)! ? s.verdict : w), 'encrypted');
}

function overlap(x: Side, y: Side): boolean {
  if (x.firstSec === null || x.lastSec === null || y.firstSec === null || y.lastSec === null) return false;
  return x.firstSec <= y.lastSec + CLOCK_SKEW_SEC && y.firstSec <= x.lastSec + CLOCK_SKEW_SEC;
}

const PROTECTED = new Set<Verdict>(['encrypted', 'integrity-only']);

/** Pairs of sides from different files, overlapping in time, one protected and the other clear. */
function disagreements(sides: Side[]): Disagreement[] {
  const out: Disagreement[] = [];
  for (const p of sides) {
    if (!PROTECTED.has(p.verdict)) continue;
    for (const c of sides) {
      if (c.verdict === 'clear' && c.fileIndex !== p.fileIndex && overlap(p, c)) out.push({ protectedSide: p, clearSide: c });
    }
  }
  return out;
}

function merged(kind: 'session' | 'pair', sides: Side[]): Merged {
  const s0 = sides[0]!;
  const d = disagreements(sides);
  return {
    kind, a: s0.a, b: s0.b, aPort: s0.aPort, bPort: s0.bPort, protocol: s0.protocol,
    verdict: d.length > 0 ? 'clear' : worst(sides), sides, disagreements: d,
  };
}

function endpointKey(address: string, port: number | null): string {
  return port === null ? address : `[${address}]:${port}`;
}

/** The same two endpoints whichever is `a`. */
function unordered(x: string, y: string): string {
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

function byInput(x: Side, y: Side): number {
  return x.fileIndex - y.fileIndex || x.frames.first - y.frames.first;
}

/** Groups whose members all overlap one another in time, as a chain (a long session seen in pieces stays one). */
function timeClusters(sides: Side[]): Side[][] {
  const sorted = [...sides].sort((x, y) => (x.firstSec ?? 0) - (y.firstSec ?? 0));
  const clusters: Side[][] = [];
  for (const s of sorted) {
    const last = clusters[clusters.length - 1];
    if (last && last.some((m) => overlap(m, s))) last.push(s);
    else clusters.push([s]);
  }
  return clusters;
}

/**
 * `sides`: every reported verdict of every file. Pairs: one row per two clients (their addresses), over all files.
 * Sessions: one row per session that more than one file shows (same protocol, addresses and ports, overlapping in
 * time); a session seen in one file only is that file's row alone.
 */
export function mergeAcrossFiles(sides: Side[]): { pairs: Merged[]; sessions: Merged[] } {
  const pairGroups = new Map<string, Side[]>();
  const sessionGroups = new Map<string, Side[]>();
  const add = (groups: Map<string, Side[]>, k: string, s: Side): void => {
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  };
  for (const s of sides) {
    if (s.kind === 'pair') add(pairGroups, unordered(s.a, s.b), s);
    else add(sessionGroups, `${s.protocol ?? ''} ${unordered(endpointKey(s.a, s.aPort), endpointKey(s.b, s.bPort))}`, s);
  }
  const pairs = [...pairGroups.values()].map((g) => merged('pair', g.sort(byInput)));
  const sessions: Merged[] = [];
  for (const g of sessionGroups.values()) {
    for (const c of timeClusters(g)) {
      if (new Set(c.map((s) => s.fileIndex)).size > 1) sessions.push(merged('session', c.sort(byInput)));
    }
  }
  // Rows in the order their first side was reported.
  const order = (x: Merged, y: Merged): number => byInput(x.sides[0]!, y.sides[0]!);
  return { pairs: pairs.sort(order), sessions: sessions.sort(order) };
}
