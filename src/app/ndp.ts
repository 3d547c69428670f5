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
    if (buf[at] === 3 && len === 32) {
      out.push({
        frame,
        length: buf[at + 2]!,
        onLink: (buf[at + 3]! & 0x80) !== 0,
        autonomous: (buf[at + 3]! & 0x40) !== 0,
        validLifetime: u32be(buf, at + 4),
        preferredLifetime: u32be(buf, at + 8),
        prefix: buf.slice(at + 16, at + 32),
      });
    }
    at += len;
  }
  return out;
}

/** Router lifetime of an RA, in seconds (0: not a default router). */
export function raRouterLifetime(buf: Uint8Array, start: number): number {
  return u16be(buf, start + 6);
}

/** Target address offset of a Neighbor Solicitation or Advertisement (after the 8-byte header). */
export function ndTargetAt(start: number): number {
  return start + 8;
}
