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

/** Groups whose members all overlap one another in time, as a chain (a long session seen in pieces stays one). */
function timeClusters(members: number[], sides: Side[]): number[][] {
  const sorted = [...members].sort((x, y) => (sides[x]!.firstSec ?? 0) - (sides[y]!.firstSec ?? 0));
  const clusters: number[][] = [];
  for (const i of sorted) {
    const last = clusters[clusters.length - 1];
    if (last && last.some((m) => overlap(sides[m]!, sides[i]!))) last.push(i);
    else clusters.push([i]);
  }
  return clusters;
}

/**
 * Joins sides of different files that show one SA: the same SPI (an SA's SPI is chosen by its receiver, RFC 4303
 * §2.1, and both directions' SPIs travel in the clear, so both captures of the traffic show both), at overlapping
 * times (a receiver may choose the same SPI again for a later SA). The addresses do not matter: NAT, or a capture at
 * another point of the path, shows the same SA between other addresses.
 */
function joinBySpi(sides: Side[], groups: Groups): void {
  for (const members of byKey(sides, (s) => s.spis.filter((spi) => spi >= FIRST_SA_SPI)).values()) {
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const [i, j] = [members[x]!, members[y]!];
        if (sides[i]!.fileIndex !== sides[j]!.fileIndex && overlap(sides[i]!, sides[j]!)) groups.union(i, j);
      }
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
