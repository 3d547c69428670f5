/** TCP (RFC 9293 §3.1): ports, sequence numbers, flags, window, options walked safely; locates the application layer. */

import { A } from '../../anomalies/registry.js';
import { u16be, u32be } from '../../util/bytes.js';
import { locateTcpApplication } from '../app-locate.js';
import { Layer } from '../layers.js';
import type { PacketView } from '../packet-view.js';
import { Status } from '../status.js';

export const TcpFlags = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** src port(2) dst port(2) seq(4) ack(4) data offset(4 bits) flags(12 bits) window(2) checksum(2) urgent(2) options. */
export function decodeTcp(v: PacketView, at: number, end: number): number {
  const b = v.buf;
  if (end - at < 20) return v.stop(Layer.Tcp, at, v.shortfall(end), A.TcpHeaderShort);
  const hlen = (b[at + 12]! >> 4) * 4;
  if (hlen < 20) return v.stop(Layer.Tcp, at, Status.Malformed, A.TcpDataOffsetTooSmall);
  if (end - at < hlen) {
    const status = v.shortfall(end);
    return v.stop(Layer.Tcp, at, status, status === Status.Truncated ? A.TcpHeaderShort : A.TcpDataOffsetTooSmall);
  }
  if (hlen > 20) walkOptions(v, at + 20, at + hlen);
  if (v.push(Layer.Tcp, at, at + hlen, end, 0) < 0) return Layer.None;
  if (end - at > hlen) return locateTcpApplication(v, u16be(b, at), u16be(b, at + 2), at + hlen, end);
  return Layer.None;
}

/** Options: EOL(0) ends, NOP(1) is one byte, others are kind(1) length(2..) data. */
function walkOptions(v: PacketView, at: number, end: number): void {
  const b = v.buf;
  while (at < end) {
    const kind = b[at]!;
    if (kind === 0) return;
    if (kind === 1) {
      at++;
      continue;
    }
    if (end - at < 2 || b[at + 1]! < 2 || at + b[at + 1]! > end) {
      v.note(A.TcpBadOptionLength);
      return;
    }
    at += b[at + 1]!;
  }
}

export function tcpSrcPort(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]!);
}

export function tcpDstPort(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]! + 2);
}

export function tcpSeq(v: PacketView, i: number): number {
  return u32be(v.buf, v.start[i]! + 4);
}

export function tcpAck(v: PacketView, i: number): number {
  return u32be(v.buf, v.start[i]! + 8);
}

/** The 8 flag bits (CWR … FIN). */
export function tcpFlags(v: PacketView, i: number): number {
  return v.buf[v.start[i]! + 13]!;
}

export function tcpWindow(v: PacketView, i: number): number {
  return u16be(v.buf, v.start[i]! + 14);
}
