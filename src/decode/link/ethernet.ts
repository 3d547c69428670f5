/** Ethernet II and IEEE 802.3 with LLC/SNAP (IEEE 802.3 §3.2, RFC 1042), 802.1Q / 802.1ad tags (IEEE 802.1Q §9). */

import { A } from '../../anomalies/registry.js';
import { u16be } from '../../util/bytes.js';
import { Layer } from '../layers.js';
import { kindForEtherType } from '../next.js';
import type { PacketView } from '../packet-view.js';
import { LayerFlag, Status } from '../status.js';

/** Stacked tags beyond this are treated as a header loop. */
const MAX_VLAN_TAGS = 4;

/** Destination MAC(6), source MAC(6), EtherType or 802.3 length(2). */
export function decodeEthernet(v: PacketView, at: number, end: number): number {
  if (end - at < 14) return v.stop(Layer.Ethernet, at, v.shortfall(end), A.EthernetHeaderShort);
  const typeOrLen = u16be(v.buf, at + 12);
  if (typeOrLen >= 0x0600) {
    if (v.push(Layer.Ethernet, at, at + 14, end, 0) < 0) return Layer.None;
    return nextForEtherType(v, typeOrLen, at + 14, end);
  }
  // IEEE 802.3: the field is a length; LLC follows, and SNAP (AA AA 03 + OUI + EtherType) carries IP.
  const stop = at + 14 + typeOrLen < end ? at + 14 + typeOrLen : end;
  // The length is a declared length like IPv4's total length: when it runs past the captured bytes the
  // layer is flagged TRUNCATED (architecture §4.3), so readers can tell the clamped end from the declared one.
  const flags = at + 14 + typeOrLen > end ? LayerFlag.Truncated : 0;
  if (v.push(Layer.Ethernet, at, at + 14, stop, flags) < 0) return Layer.None;
  return v.next(Layer.LlcSnap, at + 14, stop);
}

/** LLC DSAP/SSAP/control, then SNAP OUI(3) and EtherType(2) when DSAP = SSAP = 0xAA. */
export function decodeLlcSnap(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 3) return v.stop(Layer.LlcSnap, at, v.shortfall(end), A.EthernetHeaderShort);
  if (b[at] !== 0xaa || b[at + 1] !== 0xaa || b[at + 2] !== 0x03) {
    v.push(Layer.LlcSnap, at, at + 3, end, 0);
    return v.stop(Layer.LlcSnap, at, Status.Unsupported, A.EthernetLlcNotSnap);
  }
  if (end - at < 8) return v.stop(Layer.LlcSnap, at, v.shortfall(end), A.EthernetHeaderShort);
  if (v.push(Layer.LlcSnap, at, at + 8, end, 0) < 0) return Layer.None;
  return nextForEtherType(v, u16be(b, at + 6), at + 8, end);
}

/** 802.1Q C-tag or 802.1ad S-tag (`kind`): TCI(2) = PCP(3) DEI(1) VID(12), then the inner EtherType(2). */
export function decodeVlan(v: PacketView, at: number, end: number, kind: number): number {
  if (end - at < 4) return v.stop(kind, at, v.shortfall(end), A.VlanHeaderShort);
  let tags = 0;
  for (let i = 0; i < v.count; i++) if (v.kind[i] === Layer.Vlan || v.kind[i] === Layer.QinQ) tags++;
  if (tags >= MAX_VLAN_TAGS) return v.stop(kind, at, Status.Malformed, A.VlanTooManyTags);
  if (v.push(kind, at, at + 4, end, 0) < 0) return Layer.None;
  return nextForEtherType(v, u16be(v.buf, at + 2), at + 4, end);
}

/** The 12-bit VLAN id of the tag at layer `i`. */
export function vlanId(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]!) & 0x0fff;
}

/** The EtherType that the tag at layer `i` (or the 802.1Q/802.1ad TPID before it) announces. */
function nextForEtherType(v: PacketView, type: number, at: number, end: number): number {
  const kind = kindForEtherType(type);
  if (kind === Layer.None) return v.stop(Layer.Ethernet, at, Status.Unsupported, A.EthernetUnknownEtherType);
  return v.next(kind, at, end);
}
