/** fleet/merge.ts: rows across files, time overlap within the clock skew, and disagreements between the two sides. */
import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_SEC, mergeAcrossFiles, type Side } from '../../../src/fleet/merge.js';
import type { Verdict } from '../../../src/rules/types.js';

function side(fileIndex: number, kind: 'session' | 'pair', verdict: Verdict, firstSec: number, lastSec: number, o: Partial<Side> = {}): Side {
  return {
    fileIndex, file: `f${fileIndex}`, kind, verdict, a: 'fe80::1', b: 'fe80::2', aPort: kind === 'session' ? 50000 : null, bPort: kind === 'session' ? 3389 : null,
    protocol: kind === 'session' ? 'tcp' : null, firstSec, lastSec, firstTime: null, lastTime: null, frames: { first: 1, last: 9, deciding: [4] }, reasons: [], ...o,
  };
}

describe('mergeAcrossFiles', () => {
  it('one pair row per two addresses, whichever is a, with the worst verdict', () => {
    const { pairs } = mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10), side(1, 'pair', 'failed', 1000, 1010, { a: 'fe80::2', b: 'fe80::1' }), side(2, 'pair', 'encrypted', 0, 5, { b: 'fe80::3' })]);
    expect(pairs.map((p) => [p.a, p.b, p.verdict, p.sides.map((s) => s.fileIndex)])).toEqual([['fe80::1', 'fe80::2', 'failed', [0, 1]], ['fe80::1', 'fe80::3', 'encrypted', [2]]]);
  });

  it('protected on one side, clear on the other, overlapping within the clock skew: a disagreement, verdict clear', () => {
    const p = side(0, 'pair', 'encrypted', 100, 200);
    const within = mergeAcrossFiles([p, side(1, 'pair', 'clear', 200 + CLOCK_SKEW_SEC, 900)]).pairs[0]!;
    expect(within.verdict).toBe('clear');
    expect(within.disagreements.map((d) => [d.protectedSide.fileIndex, d.clearSide.fileIndex])).toEqual([[0, 1]]);
    const beyond = mergeAcrossFiles([p, side(1, 'pair', 'clear', 201 + CLOCK_SKEW_SEC, 900)]).pairs[0]!;
    expect(beyond.disagreements).toEqual([]);
    // Integrity-only against clear disagrees too; two sides in one file never do.
    expect(mergeAcrossFiles([side(0, 'pair', 'integrity-only', 0, 10), side(1, 'pair', 'clear', 0, 10)]).pairs[0]!.disagreements).toHaveLength(1);
    expect(mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10), side(0, 'pair', 'clear', 0, 10)]).pairs[0]!.disagreements).toEqual([]);
  });

  it('a session row only when more than one file shows it, with the same ports, at an overlapping time', () => {
    const twoFiles = mergeAcrossFiles([side(0, 'session', 'clear', 0, 10), side(1, 'session', 'clear', 2, 12, { a: 'fe80::2', aPort: 3389, b: 'fe80::1', bPort: 50000 })]);
    expect(twoFiles.sessions.map((s) => s.sides.map((x) => x.fileIndex))).toEqual([[0, 1]]);
    expect(mergeAcrossFiles([side(0, 'session', 'clear', 0, 10), side(1, 'session', 'clear', 0, 10, { aPort: 50001 })]).sessions).toEqual([]);
    expect(mergeAcrossFiles([side(0, 'session', 'clear', 0, 10), side(1, 'session', 'clear', 10_000, 10_010)]).sessions).toEqual([]);
    expect(mergeAcrossFiles([side(0, 'session', 'clear', 0, 10)]).sessions).toEqual([]);
  });
});
