/** Linux cooked capture headers: SLL (LINKTYPE_LINUX_SLL, 16 bytes) and SLL2 (LINKTYPE_LINUX_SLL2, 20 bytes). */

import { A } from '../../anomalies/registry.js';
import { u16be } from '../../util/bytes.js';
import { Layer } from '../layers.js';
import { kindForEtherType } from '../next.js';
import type { PacketView } from '../packet-view.js';
import { Status } from '../status.js';

/** SLL: packet type(2) ARPHRD(2) address length(2) address(8) protocol(2). */
export function decodeSll(v: PacketView, at: number, end: number): number {
  if (end - at < 16) return v.stop(Layer.Sll, at, v.shortfall(end), A.SllHeaderShort);
  return follow(v, Layer.Sll, u16be(v.buf, at + 14), at, at + 16, end);
}

/** SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8). */
export function decodeSll2(v: PacketView, at: number, end: number): number {
  if (end - at < 20) return v.stop(Layer.Sll2, at, v.shortfall(end), A.SllHeaderShort);
  return follow(v, Layer.Sll2, u16be(v.buf, at), at, at + 20, end);
}

function follow(v: PacketView, kind: number, protocol: number, at: number, hdrEnd: number, end: number): number {
  if (v.push(kind, at, hdrEnd, end, 0) < 0) return Layer.None;
  const next = kindForEtherType(protocol);
  if (next === Layer.None) return v.stop(kind, at, Status.Unsupported, A.SllUnsupportedProtocol);
  return v.next(next, hdrEnd, end);
}
