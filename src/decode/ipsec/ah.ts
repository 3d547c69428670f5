/** AH (RFC 4302 §2): next header, length, SPI, sequence, ICV; the protected payload is in clear and decoded further. */

import { A } from '../../anomalies/registry.js';
import { u32be } from '../../util/bytes.js';
import { Layer } from '../layers.js';
import { nextForIpv6 } from '../net/ipv6.js';
import type { PacketView } from '../packet-view.js';
import { Status } from '../status.js';

/**
 * next header(1) payload length(1) reserved(2) SPI(4) sequence(4) ICV. "Payload Length" is the AH
 * length in 32-bit words minus 2, so the header is (len + 2) × 4 bytes and the ICV (len − 1) × 4.
 */
export function decodeAh(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 8) return v.stop(Layer.Ah, at, v.shortfall(end), A.AhHeaderShort);
  let hlen = (b[at + 1]! + 2) * 4;
  if (hlen < 12) {
    // Length 0 declares an 8-byte AH with no room for the sequence number: follow it, as Wireshark does.
    v.note(A.AhLengthTooSmall);
    hlen = 8;
  }
  if (end - at < hlen) {
    const status = v.shortfall(end);
    return v.stop(Layer.Ah, at, status, status === Status.Truncated ? A.AhHeaderShort : A.AhLengthPastEnd);
  }
  if (v.push(Layer.Ah, at, at + hlen, end, 0) < 0) return Layer.None;
  return nextForIpv6(v, b[at]!, at + hlen, end);
}

export function ahNextHeader(v: PacketView, i: number): number {
  return v.buf[v.start[i]!]!;
}

export function ahSpi(v: PacketView, i: number): number {
  return u32be(v.buf, v.start[i]! + 4);
}

export function ahSeq(v: PacketView, i: number): number {
  return u32be(v.buf, v.start[i]! + 8);
}

/** ICV length in bytes (0 for a malformed 8-byte AH). */
export function ahIcvLength(v: PacketView, i: number): number {
  return Math.max(0, v.hdrEnd[i]! - v.start[i]! - 12);
}
