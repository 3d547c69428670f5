/** Turns each decoded frame into flow updates: one flow per IP/transport pair, inner flows linked to their carrier. */

import type { Frame } from '../capture/frame.js';
import { ahSpi } from '../decode/ipsec/ah.js';
import { espSeq, espSpi } from '../decode/ipsec/esp.js';
import { Layer } from '../decode/layers.js';
import { icmpType } from '../decode/net/icmp.js';
import { ipv4Protocol, ipv4SrcAt } from '../decode/net/ipv4.js';
import { ipv6NextHeader, ipv6SrcAt } from '../decode/net/ipv6.js';
import type { PacketView } from '../decode/packet-view.js';
import { LayerFlag } from '../decode/status.js';
import { tcpFlags } from '../decode/transport/tcp.js';
import { u16be, u32be } from '../util/bytes.js';
import { Flow, FlowFinish, icmpTypeBit, TunnelKindBit } from './flow.js';
import { SaStats } from './sa.js';
import { FlowKeyBuilder } from './flow-key.js';
import { FlowTable } from './flow-table.js';

/** SAs tracked per flow (each keeps up to 33 KiB of samples); the packets of more are counted in the flow (sasNotTracked), not judged. */
export const MAX_SAS_PER_FLOW = 64;
/** Frames kept per flow of the packets of SAs not tracked. */
const NOT_TRACKED_FRAMES = 5;
/** ICMP errors kept per flow. */
const MAX_ICMP_ERRORS = 16;
/** Entries of the copy detector: direct-mapped, a power of two (copies arrive close together). */
const COPY_SLOTS = 4096;
/** Two records of one packet on two interfaces are copies only when at most this far apart in time (seconds). */
const COPY_WINDOW_SEC = 1;
/** Bytes after the IP header that the copy fingerprint covers: TCP sequence/ack/flags/checksum, ESP SPI/sequence/IV, … */
const COPY_PAYLOAD_BYTES = 32;

export interface FlowOptions {
  /** Live flows at most (default 1,000,000). */
  maxFlows: number;
  /** Idle time after which a flow is finished, in capture seconds (default 1800; 0 = never). */
  idleSec: number;
  /** SAs tracked per flow (default MAX_SAS_PER_FLOW). */
  maxSasPerFlow?: number;
}

export const DEFAULT_FLOW_OPTIONS: FlowOptions = { maxFlows: 1_000_000, idleSec: 1800, maxSasPerFlow: MAX_SAS_PER_FLOW };

/** What the tracker tells its consumer about each transport layer it has put into a flow. */
export interface TransportEvent {
  flow: Flow;
  /** The packet travels from the flow's originator. */
  fromOrig: boolean;
  /** Layer indexes in the PacketView: the IP layer and its transport (or −1). */
  ip: number;
  transport: number;
}

const IP_EXTENSIONS = (1 << Layer.Ipv6HopByHop) | (1 << Layer.Ipv6Routing) | (1 << Layer.Ipv6Fragment) | (1 << Layer.Ipv6DstOpts);

function isExtension(kind: number): boolean {
  return kind < 31 && ((IP_EXTENSIONS >>> kind) & 1) === 1;
}

/** Bits of Flow.historyBits: the letter's index in HISTORY, plus 8 for the responder. */
const HISTORY = 'SHADFR';

export class FlowTracker {
  readonly table: FlowTable<Flow>;
  private readonly kb = new FlowKeyBuilder();
  private readonly addresses = new AddressSlab();
  private nextId = 0;
  private readonly onTransport: (e: TransportEvent, v: PacketView, f: Frame) => void;
  private readonly event: TransportEvent = { flow: null as unknown as Flow, fromOrig: true, ip: -1, transport: -1 };
  /**
   * Set while the capture has more than one interface. A pcapng written on several interfaces at once (netsh
   * trace, pktmon) holds many packets twice; Wireshark shows both, but counting both would double every
   * packet count and SA histogram. A packet is a copy when the same flow had a packet with the same
   * fingerprint on another interface within COPY_WINDOW_SEC; retransmissions on one interface still count.
   */
  checkCopies = false;
  /** Packets found to be copies, over all flows. */
  copies = 0;
  /** Per slot: fingerprint, flow id + 1, interface id; and the second of the packet apart (it may pass 2^31). */
  private readonly copySeen = new Int32Array(COPY_SLOTS * 3);
  private readonly copySec = new Float64Array(COPY_SLOTS);

  private readonly maxSasPerFlow: number;

  constructor(options: FlowOptions, onFinish: (flow: Flow) => void, onTransport: (e: TransportEvent, v: PacketView, f: Frame) => void) {
    this.onTransport = onTransport;
    this.maxSasPerFlow = options.maxSasPerFlow ?? MAX_SAS_PER_FLOW;
    this.table = new FlowTable<Flow>(options.maxFlows, options.idleSec, (flow, why) => {
      flow.finish = why === 'evicted' ? FlowFinish.Evicted : why === 'expired' ? FlowFinish.Expired : FlowFinish.End;
      onFinish(flow);
    });
  }

  get flowsCreated(): number {
    return this.nextId;
  }

  /**
   * Updates the flows of one decoded frame. A packet taken out of a tunnel the decoder cannot enter by
   * itself (the IPv6 inside IP-HTTPS) comes with its carrier flow and how it was carried.
   */
  onPacket(v: PacketView, f: Frame, carrier = -1, carrierKind = ''): void {
    if (f.hasTs) this.table.expire(f.tsSec);
    let parent = carrier;
    let carriedBy = carrierKind;
    let i = 0;
    while (i < v.count) {
      const kind = v.kind[i]!;
      if ((v.flags[i]! & LayerFlag.Quoted) !== 0) break;
      if (kind !== Layer.Ipv4 && kind !== Layer.Ipv6) {
        i++;
        continue;
      }
      // The transport of this IP layer: skip extension headers and AH (AH protects, it does not carry).
      let t = i + 1;
      while (t < v.count && isExtension(v.kind[t]!)) t++;
      let ah = -1;
      if (t < v.count && v.kind[t] === Layer.Ah) {
        ah = t++;
        while (t < v.count && isExtension(v.kind[t]!)) t++;
      }
      const transport = t < v.count ? t : -1;
      const flow = this.flowFor(v, f, i, transport, parent, carriedBy);
      if (this.checkCopies && parent === carrier && this.isCopy(flow, v, f, i)) {
        // The outermost flow decides: a copy's tunnelled packets and application bytes are copies too.
        flow.copies++;
        flow.copyBytes += f.wireLen;
        this.copies++;
        this.touch(flow, f);
        return;
      }
      const fromOrig = this.kb.reversed === flow.origIsSecond;
      this.count(flow, fromOrig, v, f, i, transport);
      if (ah >= 0) {
        flow.ahPackets++;
        this.sa(flow, 'ah', ahSpi(v, ah) | 0, fromOrig, -1, f, false, v.end[ah]! - v.start[ah]!);
      }
      this.event.flow = flow;
      this.event.fromOrig = fromOrig;
      this.event.ip = i;
      this.event.transport = transport;
      this.onTransport(this.event, v, f);
      parent = flow.id;
      if (transport < 0) break;
      const tk = v.kind[transport]!;
      if (tk === Layer.Ipv4 || tk === Layer.Ipv6) {
        // IP directly in IP: 6to4 / ISATAP / 6in4 (IPv6 in IPv4), IP-in-IP, 4in6, IPv6-in-IPv6.
        carriedBy = kind === Layer.Ipv4 ? (tk === Layer.Ipv6 ? 'proto41' : 'ipip') : tk === Layer.Ipv4 ? '4in6' : 'ip6ip6';
        if (carriedBy === 'proto41') flow.tunnelKinds |= protocol41Kind(v.buf, ipv6SrcAt(v, transport));
        i = transport;
        continue;
      }
      if (tk === Layer.Udp && transport + 1 < v.count && v.kind[transport + 1] === Layer.Teredo) carriedBy = 'teredo';
      i = transport + 1;
    }
  }

  /** Finishes every live flow (end of capture). */
  finishAll(): void {
    this.table.finishAll();
  }

  private flowFor(v: PacketView, f: Frame, ip: number, transport: number, parent: number, carriedBy: string): Flow {
    const b = v.buf;
    const tk = transport >= 0 ? v.kind[transport]! : Layer.None;
    let proto: number;
    let sport = 0;
    let dport = 0;
    switch (tk) {
      case Layer.Tcp: proto = 6; sport = u16be(b, v.start[transport]!); dport = u16be(b, v.start[transport]! + 2); break;
      case Layer.Udp: proto = 17; sport = u16be(b, v.start[transport]!); dport = u16be(b, v.start[transport]! + 2); break;
      case Layer.Icmp: proto = 1; break;
      case Layer.Icmpv6: proto = 58; break;
      case Layer.Esp: proto = 50; break;
      case Layer.Ipv6: proto = 41; break;
      case Layer.Ipv4: proto = 4; break;
      default: proto = v.kind[ip] === Layer.Ipv4 ? ipv4Protocol(v, ip) : ipv6NextHeader(v, ip);
    }
    const kb = this.kb;
    const family = v.kind[ip] === Layer.Ipv4 ? 4 : 6;
    if (family === 4) kb.setIpv4(b, ipv4SrcAt(v, ip), ipv4SrcAt(v, ip) + 4, sport, dport, proto, parent);
    else kb.setIpv6(b, ipv6SrcAt(v, ip), ipv6SrcAt(v, ip) + 16, sport, dport, proto, parent);
    const live = this.table.get(kb);
    if (live) return live;
    // A flow that opens with a SYN-ACK is seen from its responder: flip it (history gets '^').
    const flipped = tk === Layer.Tcp && (tcpFlags(v, transport) & 0x12) === 0x12;
    const src = this.addresses.take(v, ip, true);
    const dst = this.addresses.take(v, ip, false);
    const flow = new Flow(this.nextId++, parent, family, proto, flipped ? dst : src, flipped ? src : dst,
      flipped ? dport : sport, flipped ? sport : dport, flipped ? !kb.reversed : kb.reversed, carriedBy,
      f.number, f.tsSec, f.tsNsec);
    if (flipped) flow.history = '^';
    this.table.add(kb, flow);
    return flow;
  }

  /** The flow was seen in this frame (a copy too: its frames span every record of it). */
  private touch(flow: Flow, f: Frame): void {
    flow.lastFrame = f.number;
    if (f.hasTs && (f.tsSec > flow.lastSec || (f.tsSec === flow.lastSec && f.tsNsec > flow.lastNsec))) {
      flow.lastSec = f.tsSec;
      flow.lastNsec = f.tsNsec;
    }
    flow.interfaces |= interfaceBit(f);
  }

  private count(flow: Flow, fromOrig: boolean, v: PacketView, f: Frame, ip: number, transport: number): void {
    this.touch(flow, f);
    const payload = transport >= 0 ? v.end[transport]! - v.hdrEnd[transport]! : 0;
    if (fromOrig) {
      flow.origPackets++;
      flow.origBytes += f.wireLen;
      flow.origPayload += payload;
    } else {
      flow.respPackets++;
      flow.respBytes += f.wireLen;
      flow.respPayload += payload;
    }
    if (transport < 0) return;
    const tk = v.kind[transport]!;
    if (tk === Layer.Tcp) this.tcp(flow, fromOrig, v, transport, payload, f.number);
    else if (tk === Layer.Esp) this.esp(flow, fromOrig, v, ip, transport, f);
    else if (tk === Layer.Udp && transport + 2 < v.count && v.kind[transport + 1] === Layer.UdpEncap && v.kind[transport + 2] === Layer.Esp) {
      this.esp(flow, fromOrig, v, ip, transport + 2, f);
    } else if (tk === Layer.Icmp || tk === Layer.Icmpv6) this.icmp(flow, fromOrig, v, transport, f);
    if (flow.appLayer === 0) {
      for (let k = transport + 1; k < v.count; k++) {
        const kind = v.kind[k]!;
        if (kind >= Layer.Dns || kind === Layer.Isakmp || kind === Layer.Teredo || kind === Layer.UdpEncap) {
          flow.appLayer = kind;
          break;
        }
      }
    }
  }

  /**
   * Whether this packet repeats one the flow had on another interface a moment ago. The fingerprint leaves out
   * the TTL / hop limit and the IPv4 header checksum, which a router between two capture points changes.
   */
  private isCopy(flow: Flow, v: PacketView, f: Frame, ip: number): boolean {
    const b = v.buf;
    const start = v.start[ip]!;
    const from = v.hdrEnd[ip]!;
    const end = Math.min(v.end[ip]!, from + COPY_PAYLOAD_BYTES);
    let h = Math.imul(0x811c9dc5 ^ flow.id, 0x01000193) ^ (v.end[ip]! - start);
    // IPv4: version, IHL, TOS, total length; identification, fragment. IPv6: version, class, flow label; payload length, next header.
    h = Math.imul(h ^ u32be(b, start), 0x01000193);
    h = Math.imul(h ^ (v.kind[ip] === Layer.Ipv4 ? u32be(b, start + 4) : u16be(b, start + 4) << 8 | b[start + 6]!), 0x01000193);
    let k = from;
    for (; k + 4 <= end; k += 4) {
      h = Math.imul(h ^ u32be(b, k), 0x01000193);
      h ^= h >>> 15;
    }
    for (; k < end; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
    const slot = h & (COPY_SLOTS - 1);
    const at = slot * 3;
    const seen = this.copySeen;
    const sec = f.hasTs ? f.tsSec : 0;
    if (seen[at] === h && seen[at + 1] === flow.id + 1 && seen[at + 2] !== f.interfaceId
      && Math.abs(sec - this.copySec[slot]!) <= COPY_WINDOW_SEC) return true;
    seen[at] = h;
    seen[at + 1] = flow.id + 1;
    seen[at + 2] = f.interfaceId;
    this.copySec[slot] = sec;
    return false;
  }

  /** TCP history letters [Zeek conn.log]: S SYN, H SYN-ACK, A pure ACK, D data, F FIN, R RST; originator upper case. */
  private tcp(flow: Flow, fromOrig: boolean, v: PacketView, t: number, payload: number, frame: number): void {
    const flags = tcpFlags(v, t);
    const syn = (flags & 0x02) !== 0;
    const ack = (flags & 0x10) !== 0;
    if (syn && !ack && flow.synFrame === 0) flow.synFrame = frame;
    if (syn && ack && flow.synAckFrame === 0) flow.synAckFrame = frame;
    if ((flags & 0x04) !== 0 && flow.rstFrame === 0) flow.rstFrame = frame;
    if ((flags & 0x01) !== 0 && flow.finFrame === 0) flow.finFrame = frame;
    if (payload > 0) {
      if (fromOrig && flow.origDataFrame === 0) flow.origDataFrame = frame;
      if (!fromOrig && flow.respDataFrame === 0) flow.respDataFrame = frame;
    }
    const letter = syn ? (ack ? 1 : 0) : (flags & 0x04) !== 0 ? 5 : (flags & 0x01) !== 0 ? 4 : payload > 0 ? 3 : ack ? 2 : -1;
    if (letter < 0) return;
    const bit = 1 << (letter + (fromOrig ? 0 : 8));
    if ((flow.historyBits & bit) !== 0) return;
    flow.historyBits |= bit;
    const ch = HISTORY[letter]!;
    flow.history += fromOrig ? ch : ch.toLowerCase();
  }

  /** ESP directly in IP (`ip`), or in UDP 4500: counts the SA and samples it for the ESP-NULL test. */
  private esp(flow: Flow, fromOrig: boolean, v: PacketView, ip: number, e: number, f: Frame): void {
    const start = v.start[e]!;
    const end = v.end[e]!;
    // Complete unless the snaplen cut the frame inside this ESP packet.
    const complete = !(v.cut && end >= v.captureEnd) && (v.flags[ip]! & LayerFlag.Truncated) === 0;
    const sa = this.sa(flow, 'esp', espSpi(v, e) | 0, fromOrig, espSeq(v, e), f, !complete, end - start);
    if (sa === null) return;
    if (sa.sampled) return;
    const want = sa.wantsSample(complete);
    sa.sampleEsp(v.buf, start, end, complete, f.number, v.kind[ip] === Layer.Ipv4 ? 4 : 6,
      want ? this.addresses.take(v, ip, true) : null, want ? this.addresses.take(v, ip, false) : null, v.kind[e - 1] === Layer.UdpEncap);
  }

  /**
   * The SA of this packet, counted. `spi` is the SPI as int32: read as unsigned, half of all SPIs (those ≥ 2^31)
   * would be doubles, boxed on the heap on every call that is not inlined. SaStats keeps it unsigned, for display.
   */
  private sa(flow: Flow, protocol: 'esp' | 'ah', spi: number, fromOrig: boolean, seq: number, f: Frame, cut: boolean, bytes: number): SaStats | null {
    let list = flow.sas;
    if (list === null) list = flow.sas = [];
    let sa: SaStats | undefined;
    for (let k = 0; k < list.length; k++) {
      if ((list[k]!.spi | 0) === spi && list[k]!.protocol === protocol && list[k]!.fromOrig === fromOrig) {
        sa = list[k];
        break;
      }
    }
    if (!sa) {
      if (list.length >= this.maxSasPerFlow) {
        const lost = flow.sasNotTracked ??= { packets: 0, frames: [] };
        lost.packets++;
        if (lost.frames.length < NOT_TRACKED_FRAMES) lost.frames.push(f.number);
        return null;
      }
      sa = new SaStats(protocol, spi >>> 0, fromOrig, f.number, seq);
      list.push(sa);
    }
    sa.packets++;
    sa.bytes += bytes;
    sa.lastFrame = f.number;
    sa.lastSeq = seq;
    if (cut) sa.cutPackets++;
    return sa;
  }

  /** ICMP types seen; an error's quoted packet is matched to its flow, which records the error. */
  private icmp(flow: Flow, fromOrig: boolean, v: PacketView, t: number, f: Frame): void {
    const type = icmpType(v, t);
    flow.icmpTypes |= icmpTypeBit(type);
    const q = t + 1;
    if (q >= v.count || (v.flags[q]! & LayerFlag.Quoted) === 0) return;
    const qk = v.kind[q]!;
    if (qk !== Layer.Ipv4 && qk !== Layer.Ipv6) return;
    let qt = q + 1;
    while (qt < v.count && (isExtension(v.kind[qt]!) || v.kind[qt] === Layer.Ah)) qt++;
    const b = v.buf;
    let proto = qk === Layer.Ipv4 ? ipv4Protocol(v, q) : ipv6NextHeader(v, q);
    let sport = 0;
    let dport = 0;
    if (qt < v.count && (v.kind[qt] === Layer.Tcp || v.kind[qt] === Layer.Udp)) {
      proto = v.kind[qt] === Layer.Tcp ? 6 : 17;
      sport = u16be(b, v.start[qt]!);
      dport = u16be(b, v.start[qt]! + 2);
    } else if (qt < v.count && v.kind[qt] === Layer.Esp) proto = 50;
    else if (qt < v.count && (v.kind[qt] === Layer.Icmp || v.kind[qt] === Layer.Icmpv6)) proto = qk === Layer.Ipv4 ? 1 : 58;
    const kb = this.kb;
    if (qk === Layer.Ipv4) kb.setIpv4(b, ipv4SrcAt(v, q), ipv4SrcAt(v, q) + 4, sport, dport, proto, flow.parent);
    else kb.setIpv6(b, ipv6SrcAt(v, q), ipv6SrcAt(v, q) + 16, sport, dport, proto, flow.parent);
    const quoted = this.table.get(kb);
    if (!quoted) return;
    const errors = quoted.icmpErrors ?? (quoted.icmpErrors = []);
    if (errors.length >= MAX_ICMP_ERRORS) return;
    // The quoted packet travelled from its source; the error goes back to that source.
    const quotedFromOrig = kb.reversed === quoted.origIsSecond;
    // The quoted packet starts after the 8-byte ICMP header, so its 32-bit parameter is in the capture.
    errors.push({
      frame: f.number, version: qk === Layer.Ipv4 ? 4 : 6, type, code: v.buf[v.start[t]! + 1]!, param: u32be(v.buf, v.start[t]! + 4), towardsOrig: quotedFromOrig,
      sender: fromOrig ? flow.origAddr : flow.respAddr,
    });
  }
}

/** Bit of Flow.interfaces for the frame's interface (ids 0–30; bit 31 for every higher one). */
function interfaceBit(f: Frame): number {
  return f.interfaceId < 31 ? 1 << f.interfaceId : 1 << 31;
}

/**
 * What IPv4 protocol 41 carries, from the inner addresses (RFC 3056 §2, RFC 5214 §6.1): 6to4 when one
 * is in 2002::/16, ISATAP when one has the 0:5efe / 200:5efe interface id, otherwise configured 6in4.
 */
function protocol41Kind(b: Uint8Array, src: number): number {
  let kind = 0;
  for (let at = src; at <= src + 16; at += 16) {
    if (b[at] === 0x20 && b[at + 1] === 0x02) kind |= TunnelKindBit.SixToFour;
    else if ((b[at + 8] === 0 || b[at + 8] === 2) && b[at + 9] === 0 && b[at + 10] === 0x5e && b[at + 11] === 0xfe) kind |= TunnelKindBit.Isatap;
  }
  return kind === 0 ? TunnelKindBit.Other : kind;
}

/** Addresses per slab: a slab is 32 addresses, 16 flows. */
const SLAB_ADDRESSES = 32;

/**
 * The 16-byte addresses a flow (or an ESP sample) keeps, as views into small shared slabs.
 *
 * Why: a Uint8Array of its own is three heap objects (the view, its ArrayBuffer, the bytes); a view into a
 * slab is one. With the bound of a million live flows that is four objects fewer per flow for every major
 * GC to mark, and about 250 bytes less per flow. A slab is freed when none of its addresses is referenced
 * any more; it is small (512 bytes) so that a few long-kept flows cannot pin much memory.
 */
class AddressSlab {
  private slab = new Uint8Array(0);
  private used = SLAB_ADDRESSES;

  /** The source or destination address (IPv4 mapped) of the IP layer `ip`. */
  take(v: PacketView, ip: number, source: boolean): Uint8Array {
    if (this.used === SLAB_ADDRESSES) {
      this.slab = new Uint8Array(SLAB_ADDRESSES * 16);
      this.used = 0;
    }
    const out = new Uint8Array(this.slab.buffer, this.used++ * 16, 16);
    const b = v.buf;
    if (v.kind[ip] === Layer.Ipv4) {
      out[10] = 0xff;
      out[11] = 0xff;
      const at = ipv4SrcAt(v, ip) + (source ? 0 : 4);
      for (let i = 0; i < 4; i++) out[12 + i] = b[at + i]!;
    } else {
      const at = ipv6SrcAt(v, ip) + (source ? 0 : 16);
      for (let i = 0; i < 16; i++) out[i] = b[at + i]!;
    }
    return out;
  }
}
