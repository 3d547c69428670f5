/** Internet checksum (RFC 1071): one's-complement sums over byte ranges, for verifying received headers. */

import { u16be } from './bytes.js';

/** Adds the 16-bit big-endian words of buf[start, end) to `sum` (an odd last byte is padded with zero). */
export function onesSum(buf: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  // Sum in a plain number: 2^53 / 2^16 words before any overflow is far beyond a packet.
  for (; i + 1 < end; i += 2) sum += u16be(buf, i);
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it: 0 means the checksum verifies. */
export function foldComplement(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
