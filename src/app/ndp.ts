/** IPv6 Neighbor Discovery (RFC 4861 §4): Router Advertisement prefixes, Neighbor Solicitation/Advertisement targets. */

import { u16be, u32be } from '../util/bytes.js';

/** A Prefix Information option of a Router Advertisement (RFC 4861 §4.6.2). */
export interface AdvertisedPrefix {
  frame: number;
  prefix: Uint8Array;
  length: number;
  onLink: boolean;
  autonomous: boolean;
  validLifetime: number;
  preferredLifetime: number;
}

/** Options start 16 bytes into an RA (after type, code, checksum, hop limit, flags, lifetimes, timers). */
const RA_OPTIONS = 16;
/** Options allowed per message before we stop reading them (a loop guard). */
const MAX_OPTIONS = 64;

/**
 * Prefix options of the Router Advertisement at buf[start, end) (the ICMPv6 message). Options are
 * type(1) length(1, in 8-octet units, never 0) data; a zero length ends the walk (RFC 4861 §4.6).
 */
export function raPrefixes(buf: Uint8Array, start: number, end: number, frame: number): AdvertisedPrefix[] {
  const out: AdvertisedPrefix[] = [];
  let at = start + RA_OPTIONS;
  for (let n = 0; n < MAX_OPTIONS && end - at >= 2; n++) {
    const len = buf[at + 1]! * 8;
    if (len === 0 || at + len > end) break;
    // Prefix lengths range from 0 to 128 (RFC 4861 §4.6.2); an option with a longer one is malformed and not read.
    // Kept, it reached ip6addr as "…/200" when the prefix was learnt as the IP-HTTPS prefix: a throw, exit 4.
    if (buf[at] === 3 && len === 32 && buf[at + 2]! <= 128) {
      const length = buf[at + 2]!;
      out.push({
        frame,
        length,
        onLink: (buf[at + 3]! & 0x80) !== 0,
        autonomous: (buf[at + 3]! & 0x40) !== 0,
        validLifetime: u32be(buf, at + 4),
        preferredLifetime: u32be(buf, at + 8),
        prefix: prefixBits(buf, at + 16, length),
      });
    }
    at += len;
  }
  return out;
}

/**
 * A copy of the 16 prefix bytes at `at` with the bits after `length` cleared: they are reserved, "MUST be initialized
 * to zero by the sender and ignored by the receiver" (RFC 4861 §4.6.2), so 2001:db8::1/64 is 2001:db8::/64.
 */
function prefixBits(buf: Uint8Array, at: number, length: number): Uint8Array {
  const prefix = buf.slice(at, at + 16);
  let whole = length >>> 3;
  if ((length & 7) !== 0) prefix[whole++]! &= (0xff << (8 - (length & 7))) & 0xff;
  prefix.fill(0, whole);
  return prefix;
}

/** Router lifetime of the RA at buf[start, end), in seconds (0: not a default router); -1 when the header is cut before it. */
export function raRouterLifetime(buf: Uint8Array, start: number, end: number): number {
  // It was read without an end: a cut RA read past it, and bytes that are not there became 0, "not a default router".
  if (end - start < 8) return -1;
  return u16be(buf, start + 6);
}

/**
 * Target address offset of the Neighbor Solicitation or Advertisement at [start, end) (after the 8-byte header);
 * -1 when the 16-byte target does not fit, so a caller cannot read an address past the end.
 */
export function ndTargetAt(start: number, end: number): number {
  return end - start < 24 ? -1 : start + 8;
}
