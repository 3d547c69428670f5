/** What IPv4 and IPv6 share: clamping a payload to its declared length, and entering a tunnel. */

import { A } from '../../anomalies/registry.js';
import { Layer } from '../layers.js';
import type { PacketView } from '../packet-view.js';
import { LayerFlag, Status } from '../status.js';

/** Tunnels nested deeper than this are a header loop. */
export const MAX_TUNNEL_DEPTH = 4;

/**
 * The end of an IP payload whose header declares it ends at `declared`, inside a parent that ends at
 * `end`. Shorter than declared is normal when the capture was cut (snaplen), inside an ICMP quote, or in a first fragment;
 * otherwise the header lies about its length and `lengthAnomaly` is noted. Either way the decoder goes
 * on with the bytes that are there (etherparse's lax slices).
 */
export function ipPayloadEnd(v: PacketView, declared: number, end: number, lengthAnomaly: number): number {
  if (declared <= end) return declared;
  if (v.quote === 0 && !(end >= v.captureEnd && v.cut) && !inFirstFragment(v)) v.note(lengthAnomaly);
  return end;
}

/**
 * True when the header being decoded is carried in the first fragment of a datagram (a UDP header, or a
 * tunnelled packet of 6in4 / IP-in-IP fragmented on the outer path): its declared length then honestly
 * runs past this fragment, and noting `*_exceeds_*` for it was a false anomaly. Walks back to the
 * enclosing IP layer, past extension headers.
 */
export function inFirstFragment(v: PacketView): boolean {
  for (let i = v.count - 1; i >= 0; i--) {
    if ((v.flags[i]! & LayerFlag.Fragment) !== 0) return true;
    if (v.kind[i] === Layer.Ipv4 || v.kind[i] === Layer.Ipv6) return false;
  }
  return false;
}

/** Enters an IP-in-IP, 6to4/ISATAP, Teredo or 4in6 tunnel: one level deeper, at most MAX_TUNNEL_DEPTH. */
export function enterTunnel(v: PacketView, kind: number, at: number, end: number): number {
  if (v.depth >= MAX_TUNNEL_DEPTH) return v.stop(kind, at, Status.Malformed, A.TunnelDepthExceeded);
  v.depth++;
  return v.next(kind, at, end);
}
