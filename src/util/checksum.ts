/** Internet checksum (RFC 1071): one's-complement sums over byte ranges, for verifying received headers. */

/**
 * Adds the 16-bit big-endian words of buf[start, end) to `sum` (an odd last byte is padded with zero).
 *
 * Why two sums: the bytes at even distance from `start` are the words' high halves, the others their low halves,
 * so the range sums to 256 × (sum of the high bytes) + (sum of the low bytes). Two int32 byte sums (below 2^31 for
 * any range shorter than 8 MiB) cost two loads and two adds per word, where reading each word costs a shift and
 * an or as well, and a running total that may pass 2^31 is kept as a double.
 */
export function onesSum(buf: Uint8Array, start: number, end: number, sum: number): number {
  let hi = 0;
  let lo = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    hi = (hi + buf[i]! + buf[i + 2]!) | 0;
    lo = (lo + buf[i + 1]! + buf[i + 3]!) | 0;
  }
  for (; i + 1 < end; i += 2) {
    hi = (hi + buf[i]!) | 0;
    lo = (lo + buf[i + 1]!) | 0;
  }
  if (i < end) hi = (hi + buf[i]!) | 0;
  return sum + hi * 256 + lo;
}

/** Folds a running sum to 16 bits and complements it: 0 means the checksum verifies. */
export function foldComplement(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
