import { describe, expect, it } from 'vitest';
import { splitTicks, type TsResolution } from '../../../src/capture/timestamp.js';
import { Prng } from '../../helpers/build.js';

/** Reference: exact BigInt arithmetic, floor of the nanoseconds (Wireshark's pcapng reader). */
function reference(high: number, low: number, res: TsResolution): [number, number] {
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  const perSec = BigInt(res.base) ** BigInt(res.exponent);
  return [Number(ticks / perSec), Number(((ticks % perSec) * 1_000_000_000n) / perSec)];
}

const resolutions: TsResolution[] = [
  ...[0, 1, 3, 6, 9, 10, 12, 19].map((exponent) => ({ base: 10 as const, exponent })),
  ...[0, 1, 8, 9, 10, 20, 23, 24, 30, 32, 33, 48, 63].map((exponent) => ({ base: 2 as const, exponent })),
];

describe('splitTicks', () => {
  for (const res of resolutions) {
    it(`is exact at ${res.base}^-${res.exponent}`, () => {
      const rng = new Prng(res.base * 100 + res.exponent + 1);
      const out = { sec: 0, nsec: 0 };
      const edge = [[0, 0], [0, 1], [0xffffffff, 0xffffffff], [0x0018a5d0, 0x12345678], [1, 0], [0x7fffffff, 0xffffffff]];
      for (let i = 0; i < 2000; i++) {
        // Half the draws stay below 2^53 ticks (the fast path every µs stamp takes), half go anywhere.
        const [high, low] = i < edge.length ? edge[i]! : [i % 2 === 0 ? rng.next() & 0x1fffff : rng.next(), rng.next()];
        splitTicks(high!, low!, res, out);
        const [sec, nsec] = reference(high!, low!, res);
        // Seconds beyond 2^53 cannot be exact as numbers; real captures never get there.
        if (sec > Number.MAX_SAFE_INTEGER) continue;
        expect([out.sec, out.nsec]).toEqual([sec, nsec]);
      }
    });
  }

  it('reads a nanosecond pcapng stamp beyond 2^53 ticks exactly', () => {
    // 2025-11-26T07:00:00.123456789Z in ns = 1764140400123456789 (> 2^53): doubles alone would round it.
    const ticks = 1764140400123456789n;
    const out = { sec: 0, nsec: 0 };
    splitTicks(Number(ticks >> 32n), Number(ticks & 0xffffffffn), { base: 10, exponent: 9 }, out);
    expect(out).toEqual({ sec: 1764140400, nsec: 123456789 });
  });
});
