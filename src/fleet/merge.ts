/**
 * Issue 16 item 3: both sides and across files. One row per pair of clients over every capture of the run, and one
 * row per session seen in more than one capture (the same addresses and ports, or the same SPIs, overlapping in
 * time); when two captures of the same traffic disagree on its protection (ESP leaves one client, plaintext arrives
 * at the other), that disagreement is itself a finding.
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

/** When a side's traffic was seen, earliest to latest (a capture's clock may step back), or null when unknown. */
function span(s: Side): [number, number] | null {
  if (s.firstSec === null || s.lastSec === null) return null;
  return s.firstSec <= s.lastSec ? [s.firstSec, s.lastSec] : [s.lastSec, s.firstSec];
}

/** Each side starts at most CLOCK_SKEW_SEC after the other ends; a side with no known time overlaps nothing. */
function overlap(x: Side, y: Side): boolean {
  const a = span(x);
  const b = span(y);
  return a !== null && b !== null && a[0] <= b[1] + CLOCK_SKEW_SEC && b[0] <= a[1] + CLOCK_SKEW_SEC;
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

/**
 * SPIs below 256 name no SA: 0 never appears on the wire and 1–255 are reserved by IANA (RFC 4303 §2.1, RFC 4302
 * §2.4), so a capture that shows one proves nothing about which traffic it is.
 */
const FIRST_SA_SPI = 256;

/** Union-find over side indices: each set is one row. */
class Groups {
  private readonly parent: number[];

  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }

  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r]!;
    // Path compression: later finds are one step.
    while (this.parent[i] !== r) [this.parent[i], i] = [r, this.parent[i]!];
    return r;
  }

  union(i: number, j: number): void {
    this.parent[this.find(i)] = this.find(j);
  }

  /** The sets, each as the indices it holds. */
  sets(): number[][] {
    const out = new Map<number, number[]>();
    this.parent.forEach((_, i) => {
      const r = this.find(i);
      const g = out.get(r);
      if (g) g.push(i);
      else out.set(r, [i]);
    });
    return [...out.values()];
  }
}

/** Indices of `sides` by each of their keys (a side may have several keys, or none). */
function byKey(sides: Side[], keysOf: (s: Side) => Iterable<string | number>): Map<string | number, number[]> {
  const out = new Map<string | number, number[]>();
  sides.forEach((s, i) => {
    for (const k of keysOf(s)) {
      const g = out.get(k);
      if (g) g.push(i);
      else out.set(k, [i]);
    }
  });
  return out;
}

/**
 * `members` in groups chained by overlap in time (each overlaps another of its group: a long session seen in pieces
 * stays one). Sorted by start, a side overlaps one of the group so far exactly when it starts within the skew of the
 * latest end: one pass, whatever the number of sides.
 */
function timeClusters(members: number[], sides: Side[]): number[][] {
  const clusters: number[][] = [];
  const known: [number, [number, number]][] = [];
  for (const i of members) {
    const t = span(sides[i]!);
    if (t === null) clusters.push([i]);
    else known.push([i, t]);
  }
  known.sort((x, y) => x[1][0] - y[1][0]);
  let current: number[] = [];
  let end = -Infinity;
  for (const [i, [first, last]] of known) {
    if (current.length === 0 || first > end + CLOCK_SKEW_SEC) clusters.push(current = []);
    current.push(i);
    end = Math.max(end, last);
  }
  return clusters;
}

/**
 * Joins the sides that show one SA: the same SPI (an SA's SPI is chosen by its receiver, RFC 4303 §2.1, and both
 * directions' SPIs travel in the clear, so every capture of the traffic shows both), at times chained by overlap (a
 * receiver may choose the same SPI again for a later SA), from two files or more: within one file, two records that
 * share an SPI are two SAs whose receivers happened to pick the same value. The addresses do not matter: a
 * pseudonymised capture, or a translator on the path, shows the same SA between other addresses.
 */
function joinBySpi(sides: Side[], groups: Groups): void {
  for (const members of byKey(sides, (s) => s.spis.filter((spi) => spi >= FIRST_SA_SPI)).values()) {
    for (const c of timeClusters(members, sides)) {
      if (new Set(c.map((i) => sides[i]!.fileIndex)).size > 1) for (const i of c.slice(1)) groups.union(c[0]!, i);
    }
  }
}

function sessionKey(s: Side): string {
  return `${s.protocol ?? ''} ${unordered(endpointKey(s.a, s.aPort), endpointKey(s.b, s.bPort))}`;
}

/**
 * `sides`: every reported verdict of every file. Pairs: one row per two clients (their addresses) over all files,
 * joined with the pairs of other files that show the same SAs. Sessions: one row per session that more than one file
 * shows (same protocol, addresses and ports, or the same SAs, overlapping in time); a session seen in one file only is
 * that file's row alone.
 */
export function mergeAcrossFiles(sides: Side[]): { pairs: Merged[]; sessions: Merged[] } {
  const rows = (kind: 'session' | 'pair'): Merged[] => {
    const own = sides.filter((s) => s.kind === kind);
    const groups = new Groups(own.length);
    for (const members of byKey(own, (s) => [kind === 'pair' ? unordered(s.a, s.b) : sessionKey(s)]).values()) {
      // A pair is one row whenever its sides were captured; a session, only the sides that overlap in time.
      for (const c of kind === 'pair' ? [members] : timeClusters(members, own)) for (const i of c.slice(1)) groups.union(c[0]!, i);
    }
    joinBySpi(own, groups);
    return groups.sets()
      .map((g) => g.map((i) => own[i]!).sort(byInput))
      .filter((g) => kind === 'pair' || new Set(g.map((s) => s.fileIndex)).size > 1)
      .map((g) => merged(kind, g));
  };
  // Rows in the order their first side was reported.
  const order = (x: Merged, y: Merged): number => byInput(x.sides[0]!, y.sides[0]!);
  return { pairs: rows('pair').sort(order), sessions: rows('session').sort(order) };
}
