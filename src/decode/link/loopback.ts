/** BSD loopback headers: LINKTYPE_NULL (family in the writer's byte order) and LINKTYPE_LOOP (network order). */

import { A } from '../../anomalies/registry.js';
import { u32be, u32le } from '../../util/bytes.js';
import { Layer } from '../layers.js';
import type { PacketView } from '../packet-view.js';
import { Status } from '../status.js';

/**
 * Address families that mean IPv6: 24 (NetBSD/OpenBSD/BSD/OS), 28 (FreeBSD), 30 (Darwin), 10 (Linux),
 * 23 (Windows, e.g. Npcap's loopback adapter). IPv4 is 2 everywhere.
 */
function familyKind(f: number): number {
  if (f === 2) return Layer.Ipv4;
  if (f === 24 || f === 28 || f === 30 || f === 10 || f === 23) return Layer.Ipv6;
  return Layer.None;
}

/**
 * 4-byte address family. The byte order is the writer's (NULL) or network order (LOOP), and files
 * moved between machines carry either, so both orders are tried: a family is a small number.
 */
export function decodeLoopback(v: PacketView, at: number, end: number, kind: typeof Layer.Null | typeof Layer.Loop): number {
  if (end - at < 4) return v.stop(kind, at, v.shortfall(end), A.NullHeaderShort);
  const le = u32le(v.buf, at);
  const be = u32be(v.buf, at);
  let next = familyKind(kind === Layer.Loop ? be : le);
  if (next === Layer.None) next = familyKind(kind === Layer.Loop ? le : be);
  if (v.push(kind, at, at + 4, end, 0) < 0) return Layer.None;
  if (next === Layer.None) return v.stop(kind, at, Status.Unsupported, A.NullUnknownFamily);
  return v.next(next, at + 4, end);
}
