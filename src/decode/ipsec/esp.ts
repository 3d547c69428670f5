/** ESP (RFC 4303 §2): SPI and sequence number; the rest is opaque here (ESP-NULL is judged per SA, later). */

import { A } from '../../anomalies/registry.js';
import { u32be } from '../../util/bytes.js';
import { Layer } from '../layers.js';
import type { PacketView } from '../packet-view.js';

/** SPI(4) sequence number(4), then payload, padding, pad length, next header and ICV. */
export function decodeEsp(v: PacketView, at: number, end: number): number {
  if (end - at < 8) return v.stop(Layer.Esp, at, v.shortfall(end), A.EspHeaderShort);
  // SPI 0 is reserved for local use and must not be sent (RFC 4303 §2.1).
  if (u32be(v.buf, at) === 0) v.note(A.EspSpiZero);
  v.push(Layer.Esp, at, at + 8, end, 0);
  return Layer.None;
}

export function espSpi(v: PacketView, i: number): number {
  return u32be(v.buf, v.start[i]!);
}

export function espSeq(v: PacketView, i: number): number {
  return u32be(v.buf, v.start[i]! + 4);
}
