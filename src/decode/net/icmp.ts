/** ICMP (RFC 792) and ICMPv6 (RFC 4443, RFC 4861): type, code, checksum; errors carry the invoking packet. */

import { A } from '../../anomalies/registry.js';
import { u16be } from '../../util/bytes.js';
import { foldComplement, onesSum } from '../../util/checksum.js';
import { Layer } from '../layers.js';
import type { PacketView } from '../packet-view.js';
import { LayerFlag } from '../status.js';

/** ICMPv4 error types that quote the invoking IP header + 8 bytes: unreachable, quench, redirect, time exceeded, parameter problem. */
function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** type(1) code(1) checksum(2) rest of header(4), then data (the invoking packet for errors). */
export function decodeIcmp(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 8) return v.stop(Layer.Icmp, at, v.shortfall(end), A.IcmpHeaderShort);
  if (v.quote === 0 && isWholeMessage(v) && foldComplement(onesSum(b, at, end, 0)) !== 0) v.note(A.IcmpBadChecksum);
  if (v.push(Layer.Icmp, at, at + 8, end, 0) < 0) return Layer.None;
  if (isIcmpError(b[at]!) && v.quote === 0) {
    v.quote++;
    return v.next(Layer.Ipv4, at + 8, end);
  }
  return Layer.None;
}

/** ICMPv6 messages with a 4-byte body after type/code/checksum: errors (1–4) and echo (128, 129). */
function hasFixedBody(type: number): boolean {
  return type <= 4 || type === 128 || type === 129;
}

/** type(1) code(1) checksum(2), then (for errors) 4 bytes and as much of the invoking packet as fits in 1280. */
export function decodeIcmpv6(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 4) return v.stop(Layer.Icmpv6, at, v.shortfall(end), A.Icmpv6HeaderShort);
  const type = b[at]!;
  const hdr = hasFixedBody(type) ? 8 : 4;
  if (end - at < hdr) return v.stop(Layer.Icmpv6, at, v.shortfall(end), A.Icmpv6HeaderShort);
  const ip = enclosingIpv6(v);
  if (ip >= 0 && v.quote === 0 && isWholeMessage(v) && !checksumVerifies(v, ip, at, end)) v.note(A.Icmpv6BadChecksum);
  if (v.push(Layer.Icmpv6, at, at + hdr, end, 0) < 0) return Layer.None;
  if (type >= 1 && type <= 4 && v.quote === 0) {
    v.quote++;
    return v.next(Layer.Ipv6, at + 8, end);
  }
  return Layer.None;
}

/** The IPv6 header whose addresses form the pseudo-header: the last one before this layer. */
function enclosingIpv6(v: PacketView): number {
  for (let i = v.count - 1; i >= 0; i--) {
    if (v.kind[i] === Layer.Ipv6) return i;
    if (v.kind[i] === Layer.Ipv4) return -1;
  }
  return -1;
}

/**
 * True when [at, end) holds the whole message, so its checksum can be judged. It does not when the enclosing IP
 * packet was cut by the capture (the TRUNCATED flag sits on the IP layer, not on extension headers or AH after it),
 * or when it is the first fragment of a datagram (IPv4 MF, or an IPv6 Fragment header with M): the checksum covers
 * bytes that arrive in later fragments. Looking only at the layer just before ICMP missed both cases.
 */
function isWholeMessage(v: PacketView): boolean {
  for (let i = v.count - 1; i >= 0; i--) {
    if ((v.flags[i]! & (LayerFlag.Truncated | LayerFlag.Fragment)) !== 0) return false;
    if (v.kind[i] === Layer.Ipv4 || v.kind[i] === Layer.Ipv6) return true;
  }
  return true;
}

/**
 * Where the pseudo-header's destination is (RFC 8200 §8.1): the IPv6 destination, unless a Routing header with
 * segments left names the final one: the last address of type 0 and type 2 (RFC 6275 §6.4), Segment List[0] of
 * type 4 (RFC 8754 §2). Other types with segments left (RPL's compressed addresses) cannot be judged: −1.
 */
function pseudoDestination(v: PacketView, ip: number): number {
  const b = v.buf;
  let dst = v.start[ip]! + 24;
  for (let i = ip + 1; i < v.count; i++) {
    if (v.kind[i] !== Layer.Ipv6Routing) continue;
    const at = v.start[i]!;
    if (b[at + 3] === 0) continue;
    const type = b[at + 2]!;
    const final = type === 0 || type === 2 ? v.hdrEnd[i]! - 16 : type === 4 ? at + 8 : -1;
    if (final < at + 8 || final + 16 > v.hdrEnd[i]!) return -1;
    dst = final;
  }
  return dst;
}

/** RFC 4443 §2.3: the checksum covers the pseudo-header (source, destination, length, next header 58) and the message. */
function checksumVerifies(v: PacketView, ip: number, at: number, end: number): boolean {
  const b = v.buf;
  const src = v.start[ip]! + 8;
  const dst = pseudoDestination(v, ip);
  if (dst < 0) return true; // not judged
  let sum = onesSum(b, dst, dst + 16, onesSum(b, src, src + 16, 0));
  const len = end - at;
  sum += Math.floor(len / 0x10000) + (len & 0xffff) + 58;
  return foldComplement(onesSum(b, at, end, sum)) === 0;
}

export function icmpType(v: PacketView, i: number): number {
  return v.buf[v.start[i]!]!;
}

export function icmpCode(v: PacketView, i: number): number {
  return v.buf[v.start[i]! + 1]!;
}

/** For ICMPv6 Packet Too Big (type 2): the MTU. */
export function icmpv6Mtu(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]! + 6) + u16be(v.buf, v.start[i]! + 4) * 0x10000;
}
