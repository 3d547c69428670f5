/** Buffers for the app-parser tests: they hold only what a parser may read, and note every index read outside [start, end). */

import { expect } from 'vitest';

/** Where a message starts in a guarded buffer: a parser must use absolute offsets, never 0. */
export const LEAD = 7;

export interface Guarded {
  /** A Proxy over the bytes: index reads outside [start, end) are noted in `outside` (and still answered). */
  buf: Uint8Array;
  start: number;
  end: number;
  /** Every index read outside [start, end), in order. */
  outside: number[];
}

/**
 * `bytes` at offset LEAD of a buffer of exactly LEAD + n + `after` bytes, with `end` after the first `n`: 0xEE before
 * start; after end, the rest of `bytes` (as far as `after` reaches), then 0xAA filler. With `after` 0 (the default)
 * nothing past the prefix exists, so a read past `end` gives `undefined`; in any case the Proxy notes it. Methods
 * (slice, subarray) and `buffer` come from the real array, so Buffer views still work.
 */
export function guarded(bytes: Uint8Array, n = bytes.length, after = 0): Guarded {
  if (n > bytes.length) throw new Error(`prefix ${n} > ${bytes.length} bytes`);
  const raw = new Uint8Array(LEAD + n + after).fill(0xee, 0, LEAD).fill(0xaa, LEAD);
  raw.set(bytes.subarray(0, n + after), LEAD);
  const start = LEAD;
  const end = LEAD + n;
  const outside: number[] = [];
  const buf = new Proxy(raw, {
    get(target, key) {
      if (typeof key === 'string' && /^-?\d+$/.test(key)) {
        const i = Number(key);
        if (i < start || i >= end) outside.push(i);
        return target[i];
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { buf, start, end, outside };
}

/**
 * Runs `parse` on a guarded copy of `bytes` with `end` after the first `n` (and `after` bytes past it: the rest of
 * `bytes`, then 0xAA filler) and asserts that it read nothing outside [start, end). Returns what it returned.
 */
export function parseGuarded<T>(bytes: Uint8Array, parse: (b: Uint8Array, start: number, end: number) => T, n = bytes.length, after = 0): T {
  const g = guarded(bytes, n, after);
  const result = parse(g.buf, g.start, g.end);
  expect(g.outside, `prefix ${n}/${bytes.length}: indexes read outside [${g.start}, ${g.end})`).toEqual([]);
  return result;
}

/** The results of `parse` on every prefix 0..n−1 of `bytes` (guarded: nothing read past the prefix; a throw fails the test). */
export function prefixes<T>(bytes: Uint8Array, parse: (b: Uint8Array, start: number, end: number) => T): T[] {
  return Array.from({ length: bytes.length }, (_, n) => parseGuarded(bytes, parse, n));
}

/** A copy of `bytes` with `values` written from `at` on. */
export function patched(bytes: Uint8Array, at: number, ...values: number[]): Uint8Array {
  const out = bytes.slice();
  out.set(values, at);
  return out;
}
