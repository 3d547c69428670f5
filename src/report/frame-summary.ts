/** One line per frame, like tshark's summary: number, time, source → destination, layer stack, key fields. */

import { anomalyDef } from '../anomalies/registry.js';
import type { Frame } from '../capture/frame.js';
import { ahSeq, ahSpi } from '../decode/ipsec/ah.js';
import { espSeq, espSpi } from '../decode/ipsec/esp.js';
import { Layer, layerName } from '../decode/layers.js';
import { vlanId } from '../decode/link/ethernet.js';
import { icmpCode, icmpType } from '../decode/net/icmp.js';
import { ipv4Dst, ipv4Src } from '../decode/net/ipv4.js';
import { ipv6SrcAt } from '../decode/net/ipv6.js';
import type { PacketView } from '../decode/packet-view.js';
import { LayerFlag, Status } from '../decode/status.js';
import { tcpAck, tcpDstPort, tcpFlags, tcpSeq, tcpSrcPort, tcpWindow } from '../decode/transport/tcp.js';
import { udpDstPort, udpSrcPort } from '../decode/transport/udp.js';
import { hex32, u16be } from '../util/bytes.js';
import { ipv4Text, ipv6Text } from './format.js';

const ICMPV6_TYPES: Record<number, string> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem',
  128: 'Echo (ping) request', 129: 'Echo (ping) reply', 130: 'Multicast Listener Query', 131: 'Multicast Listener Report',
  133: 'Router Solicitation', 134: 'Router Advertisement', 135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement',
  137: 'Redirect', 143: 'Multicast Listener Report Message v2',
};

const ICMP_TYPES: Record<number, string> = {
  0: 'Echo (ping) reply', 3: 'Destination unreachable', 4: 'Source quench', 5: 'Redirect', 8: 'Echo (ping) request',
  11: 'Time-to-live exceeded', 12: 'Parameter problem',
};

const TCP_FLAG_NAMES: [number, string][] = [[0x01, 'FIN'], [0x02, 'SYN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR']];


/** The IP layer whose addresses the line shows: the innermost one that is not quoted inside an ICMP error. */
function addressLayer(v: PacketView): number {
  for (let i = v.count - 1; i >= 0; i--) {
    const k = v.kind[i];
    if ((k === Layer.Ipv4 || k === Layer.Ipv6) && (v.flags[i]! & LayerFlag.Quoted) === 0) return i;
  }
  return -1;
}

export function endpoints(v: PacketView): [string, string] {
  const i = addressLayer(v);
  if (i < 0) return ['', ''];
  if (v.kind[i] === Layer.Ipv4) return [ipv4Text(ipv4Src(v, i)), ipv4Text(ipv4Dst(v, i))];
  const at = ipv6SrcAt(v, i);
  return [ipv6Text(v.buf, at), ipv6Text(v.buf, at + 16)];
}

/** Layer names joined with '·', VLAN ids and heuristic finds marked. */
export function stackText(v: PacketView): string {
  const parts: string[] = [];
  for (let i = 0; i < v.count; i++) {
    let name = layerName(v.kind[i]!);
    if (v.kind[i] === Layer.Vlan || v.kind[i] === Layer.QinQ) name += ` ${vlanId(v, i)}`;
    if ((v.flags[i]! & LayerFlag.Heuristic) !== 0) name += '?';
    parts.push(name);
  }
  return parts.join('·');
}

/** Key fields of the innermost layers that have them, as tshark's Info column would give them. */
export function infoText(v: PacketView): string {
  const out: string[] = [];
  for (let i = 0; i < v.count; i++) {
    if ((v.flags[i]! & LayerFlag.Quoted) !== 0) continue;
    switch (v.kind[i]) {
      case Layer.Tcp: {
        const flags = TCP_FLAG_NAMES.filter(([bit]) => (tcpFlags(v, i) & bit) !== 0).map(([, n]) => n).join(', ');
        const len = v.end[i]! - v.hdrEnd[i]!;
        const ack = (tcpFlags(v, i) & 0x10) !== 0 ? ` Ack=${tcpAck(v, i)}` : '';
        out.push(`${tcpSrcPort(v, i)} → ${tcpDstPort(v, i)} [${flags}] Seq=${tcpSeq(v, i)}${ack} Win=${tcpWindow(v, i)} Len=${len}`);
        break;
      }
      case Layer.Udp:
        out.push(`${udpSrcPort(v, i)} → ${udpDstPort(v, i)} Len=${v.end[i]! - v.hdrEnd[i]!}`);
        break;
      case Layer.Esp:
        out.push(`ESP SPI=${hex32(espSpi(v, i))} Seq=${espSeq(v, i)} Len=${v.end[i]! - v.hdrEnd[i]!}`);
        break;
      case Layer.Ah:
        out.push(`AH SPI=${hex32(ahSpi(v, i))}${v.hdrEnd[i]! - v.start[i]! >= 12 ? ` Seq=${ahSeq(v, i)}` : ''}`);
        break;
      case Layer.Icmpv6: {
        const t = icmpType(v, i);
        out.push(`${ICMPV6_TYPES[t] ?? `ICMPv6 type ${t}`}${icmpCode(v, i) !== 0 ? ` (code ${icmpCode(v, i)})` : ''}`);
        break;
      }
      case Layer.Icmp: {
        const t = icmpType(v, i);
        out.push(`${ICMP_TYPES[t] ?? `ICMP type ${t}`}${icmpCode(v, i) !== 0 ? ` (code ${icmpCode(v, i)})` : ''}`);
        break;
      }
      case Layer.UdpEncap:
        if (v.hdrEnd[i]! - v.start[i]! === 1) out.push('NAT-keepalive');
        break;
      case Layer.Teredo: {
        const ip6 = i + 1 < v.count && v.kind[i + 1] === Layer.Ipv6 ? v.start[i + 1]! : -1;
        if (ip6 >= 0 && v.buf[ip6 + 6] === 59 && u16be(v.buf, ip6 + 4) === 0) out.push('Teredo bubble');
        break;
      }
      case Layer.Isakmp: out.push('ISAKMP'); break;
      case Layer.Tls: out.push('TLS record'); break;
      case Layer.Dns: out.push('DNS'); break;
      case Layer.Tpkt: out.push('TPKT (RDP)'); break;
      case Layer.DceRpc: out.push('DCE/RPC'); break;
      case Layer.Http: out.push('HTTP'); break;
      default: break;
    }
  }
  return out.slice(-2).join(' · ');
}

/** "[|tcp]" when the capture ran out inside a header (tcpdump's mark), "[malformed: id]", "[unsupported: id]". */
export function stopText(v: PacketView): string {
  if (v.status === Status.Ok) return '';
  const id = v.anomaly ? anomalyDef(v.anomaly).id : '';
  if (v.status === Status.Truncated) return `[|${layerName(v.stopLayer)}]`;
  return `[${v.status === Status.Malformed ? 'malformed' : 'unsupported'}${id ? `: ${id}` : ''}]`;
}

/**
 * One packet-list line. A packet carried inside another frame (IPv6 inside IP-HTTPS) is numbered `number` ("60.1")
 * and its stack continues `stackPrefix`, the layers that carried it.
 */
export function frameSummary(v: PacketView, f: Frame, time: string, inner: { number: string; stackPrefix: string } | null = null): string {
  const [src, dst] = endpoints(v);
  const addr = src ? `${src} → ${dst}` : '—';
  const tail = [infoText(v), stopText(v)].filter((s) => s.length > 0).join(' ');
  const stack = inner ? `${inner.stackPrefix}·${stackText(v)}` : stackText(v);
  return `${(inner?.number ?? String(f.number)).padStart(6)} ${time} ${addr}  ${stack}  ${f.wireLen}  ${tail}`.trimEnd();
}
