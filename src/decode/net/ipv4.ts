/** IPv4 (RFC 791): header, options walked safely, fragments, header checksum; clamps the payload to the total length. */

import { A } from '../../anomalies/registry.js';
import { u16be, u32be } from '../../util/bytes.js';
import { foldComplement, onesSum } from '../../util/checksum.js';
import { Layer } from '../layers.js';
import { IpProto, kindForProto } from '../next.js';
import type { PacketView } from '../packet-view.js';
import { LayerFlag, Status } from '../status.js';
import { enterTunnel, ipPayloadEnd } from './ip-common.js';

/** version/IHL(1) TOS(1) total length(2) id(2) flags/fragment offset(2) TTL(1) protocol(1) checksum(2) src(4) dst(4) options. */
export function decodeIpv4(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 20) return v.stop(Layer.Ipv4, at, v.shortfall(end), A.Ipv4HeaderShort);
  if (b[at]! >> 4 !== 4) return v.stop(Layer.Ipv4, at, Status.Malformed, A.Ipv4BadVersion);
  const ihl = (b[at]! & 0x0f) * 4;
  if (ihl < 20) return v.stop(Layer.Ipv4, at, Status.Malformed, A.Ipv4IhlTooSmall);
  if (end - at < ihl) return v.stop(Layer.Ipv4, at, v.shortfall(end), A.Ipv4HeaderShort);
  const total = u16be(b, at + 2);
  let flags = 0;
  let stop: number;
  if (total === 0) {
    // LSO: the sender's stack leaves the length for the NIC to fill in; the capture has the bytes.
    if (v.quote === 0) v.note(A.Ipv4TotalLengthZero);
    stop = end;
  } else {
    if (total < ihl) return v.stop(Layer.Ipv4, at, Status.Malformed, A.Ipv4TotalLengthTooSmall);
    stop = ipPayloadEnd(v, at + total, end, A.Ipv4TotalLengthExceedsFrame);
    if (stop < at + total) flags |= LayerFlag.Truncated;
  }
  const hdrEnd = at + ihl;
  if (foldComplement(onesSum(b, at, hdrEnd, 0)) !== 0 && u16be(b, at + 10) !== 0) v.note(A.Ipv4BadChecksum);
  if (ihl > 20) walkOptions(v, at + 20, hdrEnd);
  const frag = u16be(b, at + 6);
  const offset = frag & 0x1fff;
  const moreFragments = (frag & 0x2000) !== 0;
  if (offset !== 0 || moreFragments) flags |= LayerFlag.Fragment;
  if (v.push(Layer.Ipv4, at, hdrEnd, stop, flags) < 0) return Layer.None;
  // A later fragment carries the middle of a payload, not a header: nothing more to decode.
  if (offset !== 0) return Layer.None;
  return nextForProto(v, b[at + 9]!, hdrEnd, stop);
}

/** Options: EOL(0) ends, NOP(1) is one byte, others are type(1) length(2..) value. */
function walkOptions(v: PacketView, at: number, end: number): void {
  const b = v.buf;
  while (at < end) {
    const type = b[at]!;
    if (type === 0) return;
    if (type === 1) {
      at++;
      continue;
    }
    if (end - at < 2 || b[at + 1]! < 2 || at + b[at + 1]! > end) {
      v.note(A.Ipv4BadOption);
      return;
    }
    at += b[at + 1]!;
  }
}

/** IPv4 protocol → next layer. IPv6 extension-header numbers are not valid here. */
function nextForProto(v: PacketView, proto: number, at: number, end: number): number {
  switch (proto) {
    case IpProto.Tcp:
    case IpProto.Udp:
    case IpProto.Icmp:
    case IpProto.Esp:
    case IpProto.Ah:
    case IpProto.Icmpv6:
      return v.next(kindForProto(proto), at, end);
    case IpProto.Ipv6: // 6to4, ISATAP, 6in4 (RFC 4213)
    case IpProto.Ipv4: // IP-in-IP (RFC 2003)
      return enterTunnel(v, kindForProto(proto), at, end);
    default:
      return v.stop(Layer.Ipv4, at, Status.Unsupported, A.Ipv4UnknownProtocol);
  }
}

export function ipv4Protocol(v: PacketView, i: number): number {
  return v.buf[v.start[i]! + 9]!;
}

/** Offset of the 4-byte source address of the IPv4 layer `i` (destination at +4). */
export function ipv4SrcAt(v: PacketView, i: number): number {
  return v.start[i]! + 12;
}

export function ipv4Src(v: PacketView, i: number): number {
  return u32be(v.buf, ipv4SrcAt(v, i));
}

export function ipv4Dst(v: PacketView, i: number): number {
  return u32be(v.buf, ipv4SrcAt(v, i) + 4);
}

export function ipv4Ttl(v: PacketView, i: number): number {
  return v.buf[v.start[i]! + 8]!;
}
