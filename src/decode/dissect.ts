/** The single decode loop: link type → layers, each decoder naming the next (architecture §2, §4). */

import { A } from '../anomalies/registry.js';
import type { Frame } from '../capture/frame.js';
import { decodeAh } from './ipsec/ah.js';
import { decodeEsp } from './ipsec/esp.js';
import { Layer } from './layers.js';
import { decodeEthernet, decodeLlcSnap, decodeVlan } from './link/ethernet.js';
import { decodeLoopback } from './link/loopback.js';
import { decodeSll, decodeSll2 } from './link/sll.js';
import { decodeIcmp, decodeIcmpv6 } from './net/icmp.js';
import { decodeIpv4 } from './net/ipv4.js';
import { decodeIpv6, decodeIpv6Extension } from './net/ipv6.js';
import type { PacketView } from './packet-view.js';
import { Status } from './status.js';
import { decodeTcp } from './transport/tcp.js';
import { decodeUdp } from './transport/udp.js';
import { decodeTeredo } from './tunnel/teredo.js';

/** LINKTYPE_* values the decoder starts from. */
export const LinkType = {
  Null: 0, Ethernet: 1, RawOpenBsd: 12, RawBsdOs: 14, Raw: 101, Loop: 108, LinuxSll: 113, Ipv4: 228, Ipv6: 229, LinuxSll2: 276,
} as const;

/** First layer for a link type; raw IP is told apart by its version nibble. */
function firstLayer(v: PacketView, linkType: number, at: number, end: number): number {
  switch (linkType) {
    case LinkType.Ethernet: return Layer.Ethernet;
    case LinkType.Null: return Layer.Null;
    case LinkType.Loop: return Layer.Loop;
    case LinkType.LinuxSll: return Layer.Sll;
    case LinkType.LinuxSll2: return Layer.Sll2;
    case LinkType.Ipv4: return Layer.Ipv4;
    case LinkType.Ipv6: return Layer.Ipv6;
    case LinkType.Raw:
    case LinkType.RawOpenBsd:
    case LinkType.RawBsdOs: {
      if (end - at < 1) return v.stop(Layer.Ipv4, at, Status.Truncated, A.Ipv4HeaderShort);
      const version = v.buf[at]! >> 4;
      if (version === 4) return Layer.Ipv4;
      if (version === 6) return Layer.Ipv6;
      return v.stop(Layer.None, at, Status.Malformed, A.RawBadIpVersion);
    }
    default:
      return v.stop(Layer.None, at, Status.Unsupported, A.LinkUnknownLinkType);
  }
}

/**
 * Decodes one frame into `v`. Never throws for packet content: problems end as `v.status` and an
 * anomaly. Every decoder checks its bounds first, pushes its layer and returns the next kind.
 */
export function dissect(v: PacketView, f: Frame, buf: Uint8Array): void {
  v.reset(buf, f.number, f.linkType, f.dataStart, f.capLen, f.wireLen, f.fcsLen);
  let at = f.dataStart;
  let end = v.captureEnd;
  let kind = firstLayer(v, f.linkType, at, end);
  while (kind !== Layer.None) {
    switch (kind) {
      case Layer.Ethernet: kind = decodeEthernet(v, at, end); break;
      case Layer.Vlan:
      case Layer.QinQ: kind = decodeVlan(v, at, end, kind); break;
      case Layer.LlcSnap: kind = decodeLlcSnap(v, at, end); break;
      case Layer.Null:
      case Layer.Loop: kind = decodeLoopback(v, at, end, kind); break;
      case Layer.Sll: kind = decodeSll(v, at, end); break;
      case Layer.Sll2: kind = decodeSll2(v, at, end); break;
      case Layer.Ipv4: kind = decodeIpv4(v, at, end); break;
      case Layer.Ipv6: kind = decodeIpv6(v, at, end); break;
      case Layer.Ipv6HopByHop:
      case Layer.Ipv6Routing:
      case Layer.Ipv6Fragment:
      case Layer.Ipv6DstOpts: kind = decodeIpv6Extension(v, kind, at, end); break;
      case Layer.Icmp: kind = decodeIcmp(v, at, end); break;
      case Layer.Icmpv6: kind = decodeIcmpv6(v, at, end); break;
      case Layer.Tcp: kind = decodeTcp(v, at, end); break;
      case Layer.Udp: kind = decodeUdp(v, at, end); break;
      case Layer.Esp: kind = decodeEsp(v, at, end); break;
      case Layer.Ah: kind = decodeAh(v, at, end); break;
      case Layer.Teredo: kind = decodeTeredo(v, at, end); break;
      default: kind = Layer.None;
    }
    at = v.nextAt;
    end = v.nextEnd;
  }
}

/** dissect() guarded for a long run: a thrown bug becomes the internal.decoder_exception anomaly (gopacket panicToError). */
export function dissectSafely(v: PacketView, f: Frame, buf: Uint8Array): void {
  try {
    dissect(v, f, buf);
  } catch {
    v.stop(v.count > 0 ? v.kind[v.count - 1]! : Layer.None, -1, Status.Malformed, A.InternalDecoderException);
  }
}
