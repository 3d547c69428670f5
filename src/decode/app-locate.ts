/**
 * Locates the application layer after UDP or TCP: its kind and offsets only. The bytes are parsed per
 * flow, until its facts are complete, by app/ (architecture §2, "Why app/ sits outside decode/").
 *
 * Port tables decide first; then probes, each with Accept and Reject rules, mark what they find HEURISTIC.
 */

import { u16be, u24be, u32be } from '../util/bytes.js';
import { Layer } from './layers.js';
import { kindForTcpPorts, kindForUdpPorts, Port } from './next.js';
import type { PacketView } from './packet-view.js';
import { LayerFlag } from './status.js';

/** Pushes a located (not parsed) application layer spanning [at, end); always the last layer. */
function locate(v: PacketView, kind: number, at: number, end: number, flags: number): number {
  v.push(kind, at, at, end, flags);
  return Layer.None;
}

/** `wireEnd`: where the datagram ends on the wire (past `end` when the capture cut it); only the Teredo probe uses it. */
export function locateUdpApplication(v: PacketView, sport: number, dport: number, at: number, end: number, wireEnd = end): number {
  const b = v.buf;
  const len = end - at;
  if (len <= 0) return Layer.None;
  if (sport === Port.IsakmpNatT || dport === Port.IsakmpNatT) {
    // RFC 3948 §2: one 0xFF byte is a NAT keepalive; four zero bytes (non-ESP marker) precede IKE;
    // anything else is an ESP packet starting with its (non-zero) SPI.
    if (len === 1 && b[at] === 0xff) {
      v.push(Layer.UdpEncap, at, end, end, 0);
      return Layer.None;
    }
    if (len >= 4 && u32be(b, at) === 0) {
      if (v.push(Layer.UdpEncap, at, at + 4, end, 0) < 0) return Layer.None;
      return len > 4 ? locate(v, Layer.Isakmp, at + 4, end, 0) : Layer.None;
    }
    if (v.push(Layer.UdpEncap, at, at, end, 0) < 0) return Layer.None;
    return v.next(Layer.Esp, at, end);
  }
  const kind = kindForUdpPorts(sport, dport);
  switch (kind) {
    case Layer.Teredo:
      return v.next(Layer.Teredo, at, end);
    case Layer.Dns:
      return len >= 12 ? locate(v, Layer.Dns, at, end, 0) : Layer.None;
    case Layer.Isakmp:
    case Layer.Ssdp:
    case Layer.Pnrp:
      return locate(v, kind, at, end, 0);
    default:
      return looksLikeTeredo(b, at, end, wireEnd) ? v.next(Layer.Teredo, at, end) : Layer.None;
  }
}

/**
 * Teredo between peers and relays uses the clients' mapped ports, not 3544 (RFC 4380 §5.2).
 * Accept when: an optional origin indicator (00 00, 8 bytes), then an IPv6 header (version 6) whose
 * payload length accounts for exactly the rest of the datagram, with a known next header and at least
 * one Teredo address (2001:0::/32). Reject when: anything else (the test is strict so that random
 * UDP payloads are not taken for IPv6).
 *
 * The rest of the datagram is measured to `wireEnd`, where it ends on the wire: when the snaplen cut it
 * after the IPv6 header, comparing with the captured bytes would reject every such packet (pktmon keeps
 * 128 bytes by default) and hide the tunnel; tshark's heuristic, too, compares with the reported length.
 */
export function looksLikeTeredo(b: Uint8Array, at: number, end: number, wireEnd = end): boolean {
  let p = at;
  if (end - p >= 8 && b[p] === 0 && b[p + 1] === 0) p += 8;
  if (end - p < 40 || b[p]! >> 4 !== 6) return false;
  if (40 + u16be(b, p + 4) !== wireEnd - p) return false;
  const nh = b[p + 6]!;
  if (!(nh === 6 || nh === 17 || nh === 58 || nh === 59 || nh === 50 || nh === 51 || nh === 0 || nh === 43 || nh === 44 || nh === 60)) return false;
  return isTeredoAddress(b, p + 8) || isTeredoAddress(b, p + 24);
}

function isTeredoAddress(b: Uint8Array, at: number): boolean {
  return b[at] === 0x20 && b[at + 1] === 0x01 && b[at + 2] === 0 && b[at + 3] === 0;
}

export function locateTcpApplication(v: PacketView, sport: number, dport: number, at: number, end: number): number {
  const b = v.buf;
  const len = end - at;
  switch (kindForTcpPorts(sport, dport)) {
    case Layer.Tls:
      // A record header: content type 20–24, version 3.x. Mid-record segments have no header to locate.
      return len >= 5 && b[at]! >= 20 && b[at]! <= 24 && b[at + 1] === 3 ? locate(v, Layer.Tls, at, end, 0) : Layer.None;
    case Layer.Tpkt:
      return isTpkt(b, at, end) ? locate(v, Layer.Tpkt, at, end, 0) : Layer.None;
    case Layer.DceRpc:
      return len >= 16 && b[at] === 5 && b[at + 1]! <= 1 ? locate(v, Layer.DceRpc, at, end, 0) : Layer.None;
    case Layer.Dns:
      return len >= 14 ? locate(v, Layer.Dns, at, end, 0) : Layer.None;
    case Layer.Http:
      return isHttp(b, at, end) ? locate(v, Layer.Http, at, end, 0) : Layer.None;
    default:
      // Remote Assistance listens on a dynamic port; IP-HTTPS may use another port than 443.
      if (isTpktConnection(b, at, end)) return locate(v, Layer.Tpkt, at, end, LayerFlag.Heuristic);
      if (isTlsHello(b, at, end)) return locate(v, Layer.Tls, at, end, LayerFlag.Heuristic);
      return Layer.None;
  }
}

/** TPKT (RFC 1006): version 3, reserved 0, length ≥ 7. */
function isTpkt(b: Uint8Array, at: number, end: number): boolean {
  return end - at >= 4 && b[at] === 3 && b[at + 1] === 0 && u16be(b, at + 2) >= 7;
}

/**
 * Accept when: TPKT whose length equals the segment, carrying an X.224 Connection Request (0xE0) or
 * Confirm (0xD0) — the start of an RDP connection (MS-RDPBCGR §2.2.1.1). Reject when: anything else.
 */
function isTpktConnection(b: Uint8Array, at: number, end: number): boolean {
  if (!isTpkt(b, at, end) || end - at < 7 || u16be(b, at + 2) !== end - at) return false;
  const code = b[at + 5]! & 0xf0;
  return code === 0xe0 || code === 0xd0;
}

/**
 * Accept when: a handshake record (22, version 3.x) whose first message is a ClientHello (1) or
 * ServerHello (2) with a handshake length that fits the record. Reject when: anything else.
 */
function isTlsHello(b: Uint8Array, at: number, end: number): boolean {
  if (end - at < 9 || b[at] !== 22 || b[at + 1] !== 3 || b[at + 2]! > 4) return false;
  const recordLen = u16be(b, at + 3);
  const type = b[at + 5];
  const hsLen = u24be(b, at + 6);
  return (type === 1 || type === 2) && hsLen + 4 <= recordLen;
}

const HTTP_STARTS = ['HTTP/', 'GET ', 'POST ', 'HEAD ', 'PUT ', 'CONNECT ', 'NOTIFY ', 'M-SEARCH ', 'SUBSCRIBE ', 'OPTIONS '];

function isHttp(b: Uint8Array, at: number, end: number): boolean {
  for (const s of HTTP_STARTS) {
    if (end - at < s.length) continue;
    let ok = true;
    for (let i = 0; i < s.length && ok; i++) ok = b[at + i] === s.charCodeAt(i);
    if (ok) return true;
  }
  return false;
}
