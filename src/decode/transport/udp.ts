/** UDP (RFC 768): ports and length; clamps the payload to the length and dispatches by port. */

import { A } from '../../anomalies/registry.js';
import { u16be } from '../../util/bytes.js';
import { locateUdpApplication } from '../app-locate.js';
import { Layer } from '../layers.js';
import { inFirstFragment } from '../net/ip-common.js';
import type { PacketView } from '../packet-view.js';
import { LayerFlag, Status } from '../status.js';

/** src port(2) dst port(2) length(2) checksum(2). */
export function decodeUdp(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 8) return v.stop(Layer.Udp, at, v.shortfall(end), A.UdpHeaderShort);
  const declared = u16be(b, at + 4);
  if (declared < 8) return v.stop(Layer.Udp, at, Status.Malformed, A.UdpLengthTooSmall);
  let stop = at + declared;
  // Where the datagram ends on the wire: its declared end, unless the header lies (then the IP payload end).
  // The Teredo probe needs it: a snaplen cut must not hide a tunnel whose IPv6 header was captured.
  let wireStop = stop;
  let flags = 0;
  if (stop > end) {
    // Past the capture: cut by the snaplen (or quoted in ICMP). Past a first fragment: the rest comes later.
    // Past the IP payload otherwise: the header lies.
    if (v.quote === 0 && !(end >= v.captureEnd && v.cut) && !inFirstFragment(v)) {
      v.note(A.UdpLengthExceedsIp);
      wireStop = end;
    }
    stop = end;
    flags |= LayerFlag.Truncated;
  }
  if (v.push(Layer.Udp, at, at + 8, stop, flags) < 0) return Layer.None;
  return locateUdpApplication(v, u16be(b, at), u16be(b, at + 2), at + 8, stop, wireStop);
}

export function udpSrcPort(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]!);
}

export function udpDstPort(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]! + 2);
}

export function udpLength(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]! + 4);
}
