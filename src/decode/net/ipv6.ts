/** IPv6 (RFC 8200 §3–§4): fixed header and the extension-header chain, capped and checked per element. */

import { A } from '../../anomalies/registry.js';
import { u16be } from '../../util/bytes.js';
import { Layer } from '../layers.js';
import { IpProto, kindForProto } from '../next.js';
import type { PacketView } from '../packet-view.js';
import { LayerFlag, Status } from '../status.js';
import { enterTunnel, ipPayloadEnd } from './ip-common.js';

/** Extension headers after one IPv6 header beyond this are a header loop. */
export const MAX_EXTENSION_HEADERS = 8;

/** version(4) TC(8) flow label(20), payload length(2), next header(1), hop limit(1), source(16), destination(16). */
export function decodeIpv6(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 40) return v.stop(Layer.Ipv6, at, v.shortfall(end), A.Ipv6HeaderShort);
  if (b[at]! >> 4 !== 6) return v.stop(Layer.Ipv6, at, Status.Malformed, A.Ipv6BadVersion);
  const payloadLength = u16be(b, at + 4);
  const nextHeader = b[at + 6]!;
  let stop: number;
  let flags = 0;
  if (payloadLength === 0 && nextHeader !== IpProto.NoNext) {
    // LSO (or a jumbogram without its option): the capture holds the payload the header does not count.
    // A jumbogram (RFC 2675) has payload length 0 and a Hop-by-Hop Jumbo Payload option: not LSO, so no
    // note, but its payload too is what was captured (clamping it to 0 made every jumbogram malformed).
    if (v.quote === 0 && end > at + 40 && nextHeader !== IpProto.HopByHop) v.note(A.Ipv6PayloadLengthZero);
    stop = end;
  } else {
    stop = ipPayloadEnd(v, at + 40 + payloadLength, end, A.Ipv6PayloadLengthExceedsFrame);
    if (stop < at + 40 + payloadLength) flags |= LayerFlag.Truncated;
  }
  if (v.push(Layer.Ipv6, at, at + 40, stop, flags) < 0) return Layer.None;
  return nextForIpv6(v, nextHeader, at + 40, stop);
}

/**
 * Hop-by-Hop (0), Routing (43) and Destination Options (60): next header(1), length in 8-octet units
 * not counting the first 8(1), data. Fragment (44): next header(1), reserved(1), offset(13) res(2) M(1), id(4).
 */
export function decodeIpv6Extension(v: PacketView, kind: number, at: number, end: number): number {
  const b = v.buf;
  let chain = 0;
  for (let i = v.count - 1; i >= 0 && v.kind[i] !== Layer.Ipv6; i--) chain++;
  if (chain >= MAX_EXTENSION_HEADERS) return v.stop(kind, at, Status.Malformed, A.Ipv6TooManyExtensionHeaders);
  if (kind === Layer.Ipv6HopByHop && (v.count === 0 || v.kind[v.count - 1] !== Layer.Ipv6)) v.note(A.Ipv6HopByHopNotFirst);
  // Past `end` is either the capture's end (truncated: extension_header_short) or the payload length's
  // (malformed: extension_header_past_end), also when not even the 2 bytes holding the length fit.
  const len = end - at < 2 ? 2 : kind === Layer.Ipv6Fragment ? 8 : (b[at + 1]! + 1) * 8;
  if (end - at < len) {
    const status = v.shortfall(end);
    return v.stop(kind, at, status, status === Status.Truncated ? A.Ipv6ExtensionHeaderShort : A.Ipv6ExtensionHeaderPastEnd);
  }
  let flags = 0;
  if (kind === Layer.Ipv6Fragment) {
    const offsetAndFlags = u16be(b, at + 2);
    if (offsetAndFlags >>> 3 !== 0 || (offsetAndFlags & 1) !== 0) flags |= LayerFlag.Fragment;
    if (v.push(kind, at, at + 8, end, flags) < 0) return Layer.None;
    // A later fragment carries the middle of a payload, not a header.
    if (offsetAndFlags >>> 3 !== 0) return Layer.None;
    return nextForIpv6(v, b[at]!, at + 8, end);
  }
  if (v.push(kind, at, at + len, end, flags) < 0) return Layer.None;
  return nextForIpv6(v, b[at]!, at + len, end);
}

/** IPv6 next header (also after AH) → next layer. */
export function nextForIpv6(v: PacketView, nextHeader: number, at: number, end: number): number {
  switch (nextHeader) {
    case IpProto.NoNext:
      return Layer.None;
    case IpProto.Ipv6: // IPv6-in-IPv6
    case IpProto.Ipv4: // 4in6 (RFC 2473)
      return enterTunnel(v, kindForProto(nextHeader), at, end);
    default: {
      const kind = kindForProto(nextHeader);
      if (kind === Layer.None) return v.stop(Layer.Ipv6, at, Status.Unsupported, A.Ipv6UnknownNextHeader);
      return v.next(kind, at, end);
    }
  }
}

export function ipv6NextHeader(v: PacketView, i: number): number {
  return v.buf[v.start[i]! + 6]!;
}

export function ipv6HopLimit(v: PacketView, i: number): number {
  return v.buf[v.start[i]! + 7]!;
}

/** Offset of the 16-byte source address of the IPv6 layer `i` (destination at +16). */
export function ipv6SrcAt(v: PacketView, i: number): number {
  return v.start[i]! + 8;
}
