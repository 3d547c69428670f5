/** One decoded frame as plain data: layers, addresses, ports, IPsec ids, with tshark field names (decode --format jsonl). */

import type { Frame } from '../capture/frame.js';
import { anomalyDef } from '../anomalies/registry.js';
import { ahSpi, ahSeq } from '../decode/ipsec/ah.js';
import { espSeq, espSpi } from '../decode/ipsec/esp.js';
import { Layer, layerName } from '../decode/layers.js';
import { vlanId } from '../decode/link/ethernet.js';
import { icmpCode, icmpType } from '../decode/net/icmp.js';
import { ipv4Dst, ipv4Protocol, ipv4Src } from '../decode/net/ipv4.js';
import { ipv6NextHeader, ipv6SrcAt } from '../decode/net/ipv6.js';
import type { PacketView } from '../decode/packet-view.js';
import { LayerFlag, Status, STATUS_NAMES } from '../decode/status.js';
import { tcpDstPort, tcpSrcPort } from '../decode/transport/tcp.js';
import { udpDstPort, udpSrcPort } from '../decode/transport/udp.js';
import { hex32 } from '../util/bytes.js';
import { ipv4Text, ipv6Text } from './format.js';

export interface LayerRecord {
  layer: string;
  /** Offsets from the first byte of the frame. */
  start: number;
  headerEnd: number;
  end: number;
  flags: string[];
}

/** Field values by tshark field name, one entry per occurrence, outermost first (like `tshark -T fields -E occurrence=a`). */
export type FieldMap = Record<string, (string | number)[]>;

export interface FrameRecord {
  frame: number;
  interface: number;
  linkType: number;
  capLen: number;
  wireLen: number;
  layers: LayerRecord[];
  /** Layer names joined by ':' as tshark's frame.protocols spells them, for the layers we decode. */
  stack: string;
  fields: FieldMap;
  status: string;
  stop: { layer: string; status: string; offset: number; anomaly: string | null } | null;
  anomalies: string[];
}

const FLAG_NAMES: [number, string][] = [
  [LayerFlag.Truncated, 'truncated'], [LayerFlag.Heuristic, 'heuristic'], [LayerFlag.Quoted, 'quoted'],
  [LayerFlag.Fragment, 'fragment'], [LayerFlag.Tunnelled, 'tunnelled'],
];

function add(m: FieldMap, name: string, value: string | number): void {
  (m[name] ??= []).push(value);
}


/** The fields of every layer in `v`, named as tshark names them. */
export function frameFields(v: PacketView): FieldMap {
  const m: FieldMap = {};
  const b = v.buf;
  for (let i = 0; i < v.count; i++) {
    switch (v.kind[i]) {
      case Layer.Vlan: add(m, 'vlan.id', vlanId(v, i)); break;
      case Layer.QinQ: add(m, 'ieee8021ad.id', vlanId(v, i)); break;
      case Layer.Ipv4:
        add(m, 'ip.src', ipv4Text(ipv4Src(v, i)));
        add(m, 'ip.dst', ipv4Text(ipv4Dst(v, i)));
        add(m, 'ip.proto', ipv4Protocol(v, i));
        break;
      case Layer.Ipv6:
        add(m, 'ipv6.src', ipv6Text(b, ipv6SrcAt(v, i)));
        add(m, 'ipv6.dst', ipv6Text(b, ipv6SrcAt(v, i) + 16));
        add(m, 'ipv6.nxt', ipv6NextHeader(v, i));
        break;
      case Layer.Tcp:
        add(m, 'tcp.srcport', tcpSrcPort(v, i));
        add(m, 'tcp.dstport', tcpDstPort(v, i));
        break;
      case Layer.Udp:
        add(m, 'udp.srcport', udpSrcPort(v, i));
        add(m, 'udp.dstport', udpDstPort(v, i));
        break;
      case Layer.Esp:
        add(m, 'esp.spi', hex32(espSpi(v, i)));
        add(m, 'esp.sequence', espSeq(v, i));
        break;
      case Layer.Ah:
        add(m, 'ah.spi', hex32(ahSpi(v, i)));
        if (v.hdrEnd[i]! - v.start[i]! >= 12) add(m, 'ah.sequence', ahSeq(v, i));
        break;
      case Layer.Icmp:
        add(m, 'icmp.type', icmpType(v, i));
        add(m, 'icmp.code', icmpCode(v, i));
        break;
      case Layer.Icmpv6:
        add(m, 'icmpv6.type', icmpType(v, i));
        add(m, 'icmpv6.code', icmpCode(v, i));
        break;
      case Layer.Teredo: add(m, 'teredo', 1); break;
      default: break;
    }
  }
  return m;
}

/** The whole frame record, JSON-ready. */
export function frameRecord(v: PacketView, f: Frame, tsharkNames: (kind: number) => string): FrameRecord {
  const layers: LayerRecord[] = [];
  const base = v.dataStart;
  for (let i = 0; i < v.count; i++) {
    const fl = v.flags[i]!;
    layers.push({
      layer: layerName(v.kind[i]!), start: v.start[i]! - base, headerEnd: v.hdrEnd[i]! - base, end: v.end[i]! - base,
      flags: FLAG_NAMES.filter(([bit]) => (fl & bit) !== 0).map(([, n]) => n),
    });
  }
  const stack: string[] = [];
  for (let i = 0; i < v.count; i++) stack.push(tsharkNames(v.kind[i]!));
  const stopped = v.stopAt >= 0 && v.stopLayer !== Layer.None;
  return {
    frame: f.number,
    interface: f.interfaceId,
    linkType: f.linkType,
    capLen: f.capLen,
    wireLen: f.wireLen,
    layers,
    stack: stack.join(':'),
    fields: frameFields(v),
    status: STATUS_NAMES[v.status],
    stop: stopped && (v.status !== Status.Ok || v.quote > 0)
      ? { layer: layerName(v.stopLayer), status: STATUS_NAMES[v.status], offset: v.stopAt - base, anomaly: v.anomaly ? anomalyDef(v.anomaly).id : null }
      : null,
    anomalies: Array.from(v.notes.subarray(0, v.noteCount), (c) => anomalyDef(c).id).concat(v.anomaly ? [anomalyDef(v.anomaly).id] : []),
  };
}
