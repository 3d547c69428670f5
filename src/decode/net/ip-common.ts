/** What IPv4 and IPv6 share: clamping a payload to its declared length, and entering a tunnel. */

import { A } from '../../anomalies/registry.js';
import type { PacketView } from '../packet-view.js';
import { Status } from '../status.js';

/** Tunnels nested deeper than this are a header loop. */
export const MAX_TUNNEL_DEPTH = 4;

/**
 * The end of an IP payload whose header declares it ends at `declared`, inside a parent that ends at
 * `end`. Shorter than declared is normal when the capture was cut (snaplen) or inside an ICMP quote;
 * otherwise the header lies about its length and `lengthAnomaly` is noted. Either way the decoder goes
 * on with the bytes that are there (etherparse's lax slices).
 */
export function ipPayloadEnd(v: PacketView, declared: number, end: number, lengthAnomaly: number): number {
  if (declared <= end) return declared;
  if (v.quote === 0 && !(end >= v.captureEnd && v.cut)) v.note(lengthAnomaly);
  return end;
}

/** Enters an IP-in-IP, 6to4/ISATAP, Teredo or 4in6 tunnel: one level deeper, at most MAX_TUNNEL_DEPTH. */
export function enterTunnel(v: PacketView, kind: number, at: number, end: number): number {
  if (v.depth >= MAX_TUNNEL_DEPTH) return v.stop(kind, at, Status.Malformed, A.TunnelDepthExceeded);
  v.depth++;
  return v.next(kind, at, end);
}
