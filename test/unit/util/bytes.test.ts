/** Byte helpers (src/util/bytes.ts): hex of a range, as every report and key prints bytes, and byte equality. */

import { describe, expect, it } from 'vitest';
import { hex, sameBytes } from '../../../src/util/bytes.js';

describe('hex', () => {
  const b = Uint8Array.of(0x00, 0x0f, 0xa0, 0xff, 0x12);

  it('gives two lower-case digits per byte of the range', () => {
    expect(hex(b)).toBe('000fa0ff12');
    expect(hex(b, 1, 4)).toBe('0fa0ff');
    expect(hex(Uint8Array.from({ length: 256 }, (_, i) => i))).toBe(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''));
  });

  it('reads a view at its own offset, not from the start of its buffer', () => {
    const view = new Uint8Array(b.buffer, 2, 2);
    expect(hex(view)).toBe('a0ff');
    expect(hex(view, 1)).toBe('ff');
  });

  it('clamps the range to the array and gives "" for an empty one', () => {
    expect(hex(b, 3, 99)).toBe('ff12');
    expect(hex(b, -2, 1)).toBe('00');
    expect(hex(b, 4, 2)).toBe('');
    expect(hex(new Uint8Array(0))).toBe('');
  });
});

describe('sameBytes', () => {
  it('is true only for the same length and the same bytes, wherever each view starts in its buffer', () => {
    const buf = Uint8Array.of(9, 1, 2, 3, 1, 2, 3);
    expect(sameBytes(buf.subarray(1, 4), buf.subarray(4, 7))).toBe(true);
    expect(sameBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(sameBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).toBe(false);
    expect(sameBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
