/** Teredo (RFC 4380 §5.1.1): optional authentication and origin indicators, then an IPv6 packet (or a bubble). */

import { A } from '../../anomalies/registry.js';
import { u16be } from '../../util/bytes.js';
import { Layer } from '../layers.js';
import { enterTunnel } from '../net/ip-common.js';
import { Port } from '../next.js';
import type { PacketView } from '../packet-view.js';
import { LayerFlag, Status } from '../status.js';

/**
 * Authentication indicator: 00 01, client id length(1), auth value length(1), client id, auth value,
 * nonce(8), confirmation(1). Origin indicator: 00 00, obfuscated port(2), obfuscated IPv4(4).
 * If both are present, authentication comes first.
 */
export function decodeTeredo(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  let p = at;
  let origin = -1;
  if (end - p >= 2 && b[p] === 0 && b[p + 1] === 1) {
    if (end - p < 4) return v.stop(Layer.Teredo, at, v.shortfall(end), A.TeredoIndicatorShort);
    const size = 4 + b[p + 2]! + b[p + 3]! + 8 + 1;
    if (end - p < size) return v.stop(Layer.Teredo, at, v.shortfall(end), A.TeredoIndicatorShort);
    p += size;
  }
  if (end - p >= 2 && b[p] === 0 && b[p + 1] === 0) {
    if (end - p < 8) return v.stop(Layer.Teredo, at, v.shortfall(end), A.TeredoIndicatorShort);
    origin = p;
    p += 8;
  }
  const udp = v.count - 1;
  const onPort = udp >= 0 && v.kind[udp] === Layer.Udp && (u16be(b, v.start[udp]!) === Port.Teredo || u16be(b, v.start[udp]! + 2) === Port.Teredo);
  if (v.push(Layer.Teredo, at, p, end, onPort ? 0 : LayerFlag.Heuristic) < 0) return Layer.None;
  if (end === p && (origin >= 0 || p > at)) return Layer.None; // indicators alone
  if (end - p < 40) return v.stop(Layer.Ipv6, p, v.shortfall(end), A.Ipv6HeaderShort);
  if (b[p]! >> 4 !== 6) return v.stop(Layer.Teredo, p, Status.Malformed, A.TeredoBadInnerIpv6);
  // A bubble is an IPv6 header with no next header and an empty payload (RFC 4380 §2.8).
  if (b[p + 6] === 59 && u16be(b, p + 4) === 0 && end - p > 40) v.note(A.TeredoBubbleWithPayload);
  return enterTunnel(v, Layer.Ipv6, p, end);
}

/** Offset of the origin indicator inside the Teredo layer `i`, or −1. */
export function teredoOrigin(v: PacketView, i: number): number {
  const b = v.buf;
  let p = v.start[i]!;
  const hdrEnd = v.hdrEnd[i]!;
  if (hdrEnd - p >= 4 && b[p] === 0 && b[p + 1] === 1) p += 4 + b[p + 2]! + b[p + 3]! + 9;
  return hdrEnd - p >= 8 && b[p] === 0 && b[p + 1] === 0 ? p : -1;
}

/** The origin indicator's port and IPv4, de-obfuscated (XOR 0xFFFF / 0xFFFFFFFF). */
export function teredoOriginPort(v: PacketView, origin: number): number {
  return u16be(v.buf, origin + 2) ^ 0xffff;
}
