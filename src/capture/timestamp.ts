/** Exact (seconds, nanoseconds) from capture timestamps: pcapng §4.2 if_tsresol, pcap µs/ns. */

/**
 * A timestamp resolution: ticks per second is `base ** exponent` (base 10 or 2),
 * from pcapng's if_tsresol (MSB 0 → 10^-n, MSB 1 → 2^-n) or the pcap magic.
 */
export interface TsResolution {
  readonly base: 10 | 2;
  readonly exponent: number;
}

export const MICROSECONDS: TsResolution = { base: 10, exponent: 6 };
export const NANOSECONDS: TsResolution = { base: 10, exponent: 9 };

/** Output of {@link splitTicks}; one instance is reused per reader. */
export interface SecNsec {
  sec: number;
  nsec: number;
}

const TWO_16 = 65536;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Splits a 64-bit tick count `high * 2^32 + low` at resolution `res` into whole seconds and
 * nanoseconds, exactly (floor of the fraction, as Wireshark's pcapng reader computes it).
 *
 * Why no BigInt on the common paths: this runs once per packet. Decimal resolutions up to 10^-9
 * use long division in 16-bit limbs (every intermediate stays below 2^53); binary resolutions up
 * to 2^-32 use shifts, and 10^9 = 1953125 · 2^9 keeps the fraction product below 2^53. Exotic
 * resolutions (finer than 10^-9 or 2^-32) fall back to BigInt.
 */
export function splitTicks(high: number, low: number, res: TsResolution, out: SecNsec): void {
  if (high < 0x200000 && res.base === 10 && res.exponent <= 9) {
    // Ticks below 2^53 are exact as a double: one division, corrected by one step for rounding.
    const d = POW10[res.exponent]!;
    const ticks = high * 4294967296 + low;
    let q = Math.floor(ticks / d);
    let r = ticks - q * d;
    if (r < 0) { q--; r += d; } else if (r >= d) { q++; r -= d; }
    out.sec = q;
    out.nsec = r * POW10[9 - res.exponent]!;
    return;
  }
  splitTicksSlow(high, low, res, out);
}

function splitTicksSlow(high: number, low: number, res: TsResolution, out: SecNsec): void {
  if (res.base === 10 && res.exponent <= 9) {
    const d = POW10[res.exponent]!;
    let r = high >>> 16;
    const q3 = Math.floor(r / d);
    r -= q3 * d;
    r = r * TWO_16 + (high & 0xffff);
    const q2 = Math.floor(r / d);
    r -= q2 * d;
    r = r * TWO_16 + (low >>> 16);
    const q1 = Math.floor(r / d);
    r -= q1 * d;
    r = r * TWO_16 + (low & 0xffff);
    const q0 = Math.floor(r / d);
    r -= q0 * d;
    out.sec = ((q3 * TWO_16 + q2) * TWO_16 + q1) * TWO_16 + q0;
    out.nsec = r * POW10[9 - res.exponent]!;
    return;
  }
  if (res.base === 2 && res.exponent <= 32) {
    const n = res.exponent;
    const ticksPerSec = 2 ** n;
    // high * 2^(32-n) has at most 32 significant bits, so it is exact as a double.
    out.sec = high * 2 ** (32 - n) + Math.floor(low / ticksPerSec);
    const frac = n === 32 ? low : low % ticksPerSec;
    // frac * 10^9 / 2^n = frac * 1953125 / 2^(n-9); frac * 1953125 < 2^53.
    out.nsec = n >= 9 ? Math.floor((frac * 1953125) / 2 ** (n - 9)) : frac * 1953125 * 2 ** (9 - n);
    return;
  }
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  const perSec = BigInt(res.base) ** BigInt(res.exponent);
  out.sec = Number(ticks / perSec);
  out.nsec = Number(((ticks % perSec) * 1_000_000_000n) / perSec);
}

/** Ticks of `res` as a display string, e.g. "nanoseconds (9)" / "2^-8 s (binary 8)". */
export function describeResolution(res: TsResolution): string {
  if (res.base === 10) {
    const names: Record<number, string> = { 0: 'seconds', 3: 'milliseconds', 6: 'microseconds', 9: 'nanoseconds' };
    const name = names[res.exponent];
    return name ? `${name} (10^-${res.exponent})` : `10^-${res.exponent} s`;
  }
  return `2^-${res.exponent} s (binary)`;
}

/** Compares two (sec, nsec) pairs. */
export function compareTs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? aSec - bSec : aNsec - bNsec;
}

/** Exact difference a − b as (sec, nsec), nsec in [0, 1e9). */
export function subtractTs(aSec: number, aNsec: number, bSec: number, bNsec: number): SecNsec {
  let sec = aSec - bSec;
  let nsec = aNsec - bNsec;
  if (nsec < 0) {
    nsec += 1_000_000_000;
    sec -= 1;
  }
  return { sec, nsec };
}

