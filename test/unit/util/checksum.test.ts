/** Internet checksum helpers (src/util/checksum.ts; RFC 1071): sums checked against the word-by-word definition and RFC 1071's example. */

import { describe, expect, it } from 'vitest';
import { foldComplement, onesSum } from '../../../src/util/checksum.js';

/** RFC 1071 §4.1 as written: add 16-bit big-endian words, a last odd byte padded with zero. */
function wordByWord(b: Uint8Array, start: number, end: number, sum: number): number {
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  return sum;
}

/** A deterministic byte pattern (xorshift), so a failure repeats. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('onesSum', () => {
  it('gives RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 2ddf0, folds to ddf2', () => {
    const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(onesSum(b, 0, 8, 0)).toBe(0x2ddf0);
    expect(foldComplement(onesSum(b, 0, 8, 0))).toBe(~0xddf2 & 0xffff);
  });

  it('matches the word-by-word sum for every start and length up to 70 bytes, odd ones included', () => {
    const b = bytes(80, 7);
    for (let start = 0; start < 8; start++) {
      for (let end = start; end <= start + 70; end++) expect(onesSum(b, start, end, 5), `[${start}, ${end})`).toBe(wordByWord(b, start, end, 5));
    }
  });

  it('stays exact on a 64 KiB range of 0xff bytes (the largest sums an IP packet gives)', () => {
    const b = new Uint8Array(65536).fill(0xff);
    expect(onesSum(b, 0, b.length, 0)).toBe(32768 * 0xffff);
    expect(onesSum(b, 1, b.length, 0)).toBe(wordByWord(b, 1, b.length, 0));
  });

  it('adds nothing for an empty range, and pads a lone byte as the high half', () => {
    const b = Uint8Array.of(0xab);
    expect(onesSum(b, 0, 0, 9)).toBe(9);
    expect(onesSum(b, 0, 1, 0)).toBe(0xab00);
  });
});

describe('foldComplement', () => {
  it('is 0 for a range that carries its own correct checksum (an IPv4 header)', () => {
    // RFC 791 header: 45 00 0073 0000 4000 40 11 [b861] c0a8 0001 c0a8 00c7.
    const h = Uint8Array.of(0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7);
    expect(foldComplement(onesSum(h, 0, 20, 0))).toBe(0);
    h[11] ^= 1;
    expect(foldComplement(onesSum(h, 0, 20, 0))).not.toBe(0);
  });
});
