/** fleet/merge.ts: rows across files (by addresses, or by shared SPIs), time overlap within the clock skew, and disagreements between the two sides. */
import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_SEC, mergeAcrossFiles, type Side } from '../../../src/fleet/merge.js';
import type { Verdict } from '../../../src/rules/types.js';

function side(fileIndex: number, kind: 'session' | 'pair', verdict: Verdict, firstSec: number, lastSec: number, o: Partial<Side> = {}): Side {
  return {
    fileIndex, file: `f${fileIndex}`, kind, verdict, a: 'fe80::1', b: 'fe80::2', aPort: kind === 'session' ? 50000 : null, bPort: kind === 'session' ? 3389 : null,
    protocol: kind === 'session' ? 'tcp' : null, spis: [], firstSec, lastSec, firstTime: null, lastTime: null, frames: { first: 1, last: 9, deciding: [4] }, reasons: [], ...o,
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

  describe('the same SPIs', () => {
    // Each file shows the SA pair between its own addresses (NAT, or another point of the path).
    const x = { a: '2002:c633:6414::1', b: '2001:0:cb00:710a::1', spis: [0x16161616, 0x16161617] };
    const y = { a: '2001:db8:1:1000::1', b: '2001:db8:1:1000::2', spis: [0x16161617, 0x16161616] };

    it('join sides of other addresses into one row (pairs and sessions), the row\'s endpoints from its first side', () => {
      const { pairs, sessions } = mergeAcrossFiles([
        side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'pair', 'clear', 5, 20, y),
        side(0, 'session', 'integrity-only', 0, 10, x), side(1, 'session', 'integrity-only', 5, 20, { ...y, aPort: 3389, bPort: 50000 }),
      ]);
      expect(pairs.map((p) => [p.a, p.b, p.verdict, p.sides.map((s) => [s.fileIndex, s.a, s.b]), p.disagreements.map((d) => [d.protectedSide.fileIndex, d.clearSide.fileIndex])])).toEqual([
        [x.a, x.b, 'clear', [[0, x.a, x.b], [1, y.a, y.b]], [[0, 1]]],
      ]);
      expect(sessions.map((s) => [s.a, s.aPort, s.b, s.bPort, s.verdict, s.sides.map((t) => t.fileIndex)])).toEqual([[x.a, 50000, x.b, 3389, 'integrity-only', [0, 1]]]);
    });

    it('one shared SPI is enough (one direction seen), and the join is transitive with the address key', () => {
      const { pairs } = mergeAcrossFiles([
        side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'pair', 'encrypted', 0, 10, { ...y, spis: [0x16161617] }),
        // Same addresses as file 1's side, no SPI: joins by the address key, and so the row.
        side(2, 'pair', 'clear', 0, 10, { a: y.b, b: y.a }),
      ]);
      expect(pairs.map((p) => [p.verdict, p.sides.map((s) => s.fileIndex)])).toEqual([['clear', [0, 1, 2]]]);
    });

    it('join along a chain of overlaps (each side within the skew of another), clocks that step back included', () => {
      const chain = mergeAcrossFiles([
        side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'pair', 'encrypted', 10 + CLOCK_SKEW_SEC, 700, y),
        // Far from file 0's side, within the skew of file 1's; its clock stepped back (last before first).
        side(2, 'pair', 'encrypted', 1200, 700 + CLOCK_SKEW_SEC, { a: 'fe80::7', b: 'fe80::8', spis: [0x16161616] }),
      ]);
      expect(chain.pairs.map((p) => p.sides.map((s) => s.fileIndex))).toEqual([[0, 1, 2]]);
    });

    it('never join beyond the clock skew (an SPI is chosen again for a later SA), within one file, or with no SPI in common', () => {
      const later = mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'pair', 'encrypted', 11 + CLOCK_SKEW_SEC, 900, y)]);
      expect(later.pairs.map((p) => p.sides.map((s) => s.fileIndex))).toEqual([[0], [1]]);
      const within = mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'pair', 'encrypted', 10 + CLOCK_SKEW_SEC, 900, y)]);
      expect(within.pairs.map((p) => p.sides.map((s) => s.fileIndex))).toEqual([[0, 1]]);
      const oneFile = mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, x), side(0, 'pair', 'encrypted', 0, 10, y)]);
      expect(oneFile.pairs.map((p) => p.sides.map((s) => s.fileIndex))).toEqual([[0], [0]]);
      const other = mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'pair', 'encrypted', 0, 10, { ...y, spis: [0x26262626] })]);
      expect(other.pairs).toHaveLength(2);
      // No time known: no overlap shown, no join.
      expect(mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'pair', 'encrypted', 0, 10, { ...y, firstSec: null, lastSec: null })]).pairs).toHaveLength(2);
    });

    it('SPI 0 and the reserved 1–255 join nothing', () => {
      for (const spi of [0, 1, 255]) {
        const r = mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, { ...x, spis: [spi] }), side(1, 'pair', 'clear', 0, 10, { ...y, spis: [spi] }),
          side(0, 'session', 'integrity-only', 0, 10, { ...x, spis: [spi] }), side(1, 'session', 'integrity-only', 0, 10, { ...y, spis: [spi] })]);
        expect([r.pairs.length, r.sessions.length]).toEqual([2, 0]);
      }
      // 256 is the first SPI an SA may carry.
      expect(mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, { ...x, spis: [256] }), side(1, 'pair', 'clear', 0, 10, { ...y, spis: [256] })]).pairs).toHaveLength(1);
    });

    it('a pair never joins a session of the same SPI', () => {
      const { pairs, sessions } = mergeAcrossFiles([side(0, 'pair', 'encrypted', 0, 10, x), side(1, 'session', 'integrity-only', 0, 10, y)]);
      expect([pairs.map((p) => p.sides.map((s) => s.kind)), sessions]).toEqual([[['pair']], []]);
    });
  });
});
