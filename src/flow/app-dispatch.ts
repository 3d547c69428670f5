/**
 * Feeds each flow's packets to the application parsers it needs, until their facts are complete
 * (architecture §2): TLS and HTTP per TCP flow, ISAKMP and DNS per datagram, Router Advertisements.
 */

import type { AnomalyRecorder } from '../anomalies/recorder.js';
import { anomalyCodeOf } from '../anomalies/registry.js';
import { parseRpcBind } from '../app/dcerpc.js';
import { parseDnsMessage, type DnsMessageFacts, type NameProtocol } from '../app/dns.js';
import { parseRdpConfirm, parseRdpRequest } from '../app/rdp.js';
import { HttpSession } from '../app/http.js';
import { IpHttpsTunnel } from '../app/iphttps.js';
import { IpHttpsProbe } from '../app/iphttps-probe.js';
import { ReassemblyBudget } from '../app/tcp-reassembly.js';
import { IkeNegotiationTracker, type IkeMessageContext } from '../app/ike-negotiations.js';
import { IsakmpHeader, parseIsakmp } from '../app/isakmp.js';
import { NameMap } from '../app/names.js';
import { raPrefixes, type AdvertisedPrefix } from '../app/ndp.js';
import { TlsSession } from '../app/tls.js';
import type { Frame } from '../capture/frame.js';
import { Layer } from '../decode/layers.js';
import { icmpType } from '../decode/net/icmp.js';
import { Port } from '../decode/next.js';
import type { PacketView } from '../decode/packet-view.js';
import { tcpFlags, tcpSeq } from '../decode/transport/tcp.js';
import { hex, u16be } from '../util/bytes.js';
import type { Flow } from './flow.js';
import type { TransportEvent } from './flow-tracker.js';
import { InnerPacketQueue } from './inner-packet-queue.js';

/** Bounds on capture-wide lists, so a hostile capture cannot grow them without limit. */
const MAX_ADVERTISED_PREFIXES = 1000;
const MAX_DNS_MESSAGES = 5000;
const MAX_RPC_BINDS = 8;
const EMPTY = new Uint8Array(0);

/** Slots of the recent-IKE-message table (a power of two), and the bytes of a message its fingerprint covers. */
const RECENT_IKE = 4096;
const IKE_COPY_BYTES = 96;

/** Outer frames remembered per capture for the time of inner packets (only the most recent are looked up). */
const FRAME_TIMES = 4096;

/** A Router Advertisement prefix with who sent it. */
export interface RouterAdvertisement extends AdvertisedPrefix {
  /** Hex of the 16-byte source address (the router) and the flow it came on. */
  router: string;
  flowId: number;
}

/**
 * A TCP connection joined after its TLS handshake: TLS without a ClientHello (on 443, or located by the decoder), or
 * a connection whose start is not in the capture, on any port (a proxy's CONNECT tunnel), carrying a segment that
 * starts with a record header.
 */
function joinedTls(flow: Flow, b: Uint8Array, start: number, end: number): boolean {
  if (flow.tls !== null) return flow.tls.facts.clientHello === null;
  return flow.http === null && flow.synFrame === 0 && end - start >= 5 && b[start]! >= 20 && b[start]! <= 23 && b[start + 1] === 3 && b[start + 2]! <= 3;
}

export class AppDispatch {
  readonly ike: IkeNegotiationTracker;
  readonly names = new NameMap();
  readonly advertisedPrefixes: RouterAdvertisement[] = [];
  readonly dnsMessages: (DnsMessageFacts & { flowId: number })[] = [];
  /** Inner packets emitted by IP-HTTPS tunnels, drained by the pipeline after each outer frame. */
  readonly inner = new InnerPacketQueue();
  /** Every IP-HTTPS tunnel opened, so the pipeline can finish them at the end of the capture. */
  readonly tunnels: Flow[] = [];
  readonly budget: ReassemblyBudget;
  /** Ring of recent outer frames: number → time and interface, for the time of an inner packet's last byte. */
  private readonly frameNumbers = new Int32Array(FRAME_TIMES).fill(-1);
  private readonly frameSec = new Float64Array(FRAME_TIMES);
  private readonly frameNsec = new Float64Array(FRAME_TIMES);
  private readonly frameIface = new Int32Array(FRAME_TIMES);
  /** Recent IKE messages (hash of the bytes, length, flow id + 1; and time), to drop copies of one message seen on two paths. */
  private readonly recentIke = new Int32Array(RECENT_IKE * 3);
  private readonly recentIkeTime = new Float64Array(RECENT_IKE);
  /** The header and context of the ISAKMP message being dispatched (reused: the tracker copies what it keeps). */
  private readonly isakmpHeader = new IsakmpHeader();
  private readonly ikeContext: IkeMessageContext = { frame: 0, flowId: 0, src: EMPTY, dst: EMPTY, srcPort: 0, dstPort: 0, sec: 0, nsec: 0 };
  /** Application anomalies are folded into the capture's recorder. */
  private readonly anomalies: AnomalyRecorder;

  /** `ike`, `budget`: the negotiation tracker and the IP-HTTPS reassembly budget, with their bounds (tests give small ones). */
  constructor(anomalies: AnomalyRecorder, ike = new IkeNegotiationTracker(), budget = new ReassemblyBudget()) {
    this.anomalies = anomalies;
    this.ike = ike;
    this.budget = budget;
  }

  onTransport(e: TransportEvent, v: PacketView, f: Frame): void {
    const t = e.transport;
    if (t < 0) return;
    switch (v.kind[t]) {
      case Layer.Tcp: this.tcp(e.flow, e.fromOrig, v, t, f); break;
      case Layer.Udp: this.udp(e, v, t, f); break;
      case Layer.Icmpv6:
        if (icmpType(v, t) === 134) this.routerAdvertisement(e.flow, e.fromOrig, v, t, f);
        break;
      default: break;
    }
  }

  private tcp(flow: Flow, fromOrig: boolean, v: PacketView, t: number, f: Frame): void {
    const start = v.hdrEnd[t]!;
    const end = v.end[t]!;
    if (end <= start) return;
    // The sequence number of the first payload byte: a SYN consumes one. As int32 (the parsers compare differences
    // only): read as unsigned, a number >= 2^31 passed to them cost a heap-allocated double per segment.
    const seq = (tcpSeq(v, t) + ((tcpFlags(v, t) & 0x02) !== 0 ? 1 : 0)) | 0;
    if (flow.ipHttps !== null && flow.tlsDone) {
      // An IP-HTTPS tunnel past its handshake: every segment is tunnel bytes and nothing else (no RDP or RPC start,
      // no more TLS facts), so the tunnel is fed without reading the TLS session's state.
      this.feedTunnel(flow, flow.ipHttps, fromOrig, seq, v, start, end, f);
      return;
    }
    const b = v.buf;
    // The RDP connection start, on any port (Remote Assistance listens on a dynamic one): a TPKT.
    if (b[start] === 3 && b[start + 1] === 0 && (flow.rdp === null || flow.rdp.request === null || flow.rdp.confirm === null)) this.rdp(flow, fromOrig, v, start, end, f);
    // A DCE/RPC bind or alter_context (version 5.0 or 5.1, type 11 or 14): Offer Remote Assistance binds IRASrv.
    if (b[start] === 5 && b[start + 1]! <= 1 && (b[start + 2] === 11 || b[start + 2] === 14) && (flow.rpcBinds?.length ?? 0) < MAX_RPC_BINDS) {
      for (const bind of parseRpcBind(b, start, end, f.number)) (flow.rpcBinds ??= []).push(bind);
    }
    const app = t + 1 < v.count ? v.kind[t + 1]! : Layer.None;
    if (flow.tls === null) {
      // TLS on 443, or wherever a record or hello was located (IP-HTTPS may use another port, or a
      // proxy's CONNECT tunnel, in which case HTTP came first). After a CONNECT the client's next bytes are
      // the tunnel's (RFC 9110 §9.3.6): a handshake record starts TLS even on a port the decoder takes for HTTP (80).
      const afterConnect = fromOrig && flow.http?.facts.connect != null && b[start] === 22 && b[start + 1] === 3;
      if (app === Layer.Tls || afterConnect || (flow.http === null && (flow.origPort === Port.Https || flow.respPort === Port.Https))) flow.tls = new TlsSession();
      else if (flow.http === null && app === Layer.Http) flow.http = new HttpSession();
    }
    if (flow.tls !== null && !flow.tlsDone) {
      flow.tls.feed(fromOrig, seq, v.buf, start, end, f.number);
      flow.tlsAnomaliesCounted = this.fold(flow.tls.facts.anomalies, flow.tlsAnomaliesCounted);
      flow.tlsDone = flow.tls.done;
    }
    // IP-HTTPS with a NULL suite: from the ServerHello on, every segment also feeds the tunnel reader,
    // which finds the records itself and hands out the IPv6 packets inside (MS-IPHTTPS §3.1.5.3).
    const sh = flow.tls?.facts.serverHello ?? null;
    if (flow.ipHttps === null && sh !== null && sh.nullCipher && sh.macLength !== null) this.openTunnel(flow, sh.macLength, false);
    if (flow.ipHttps === null && sh === null && (flow.ipHttpsProbe !== null || joinedTls(flow, b, start, end))) {
      this.probe(flow, fromOrig, seq, v, start, end, f);
      return;
    }
    if (flow.ipHttps !== null) {
      this.feedTunnel(flow, flow.ipHttps, fromOrig, seq, v, start, end, f);
    } else if (flow.tls === null && flow.http !== null && !flow.http.done) {
      flow.http.feed(fromOrig, seq, v.buf, start, end, f.number);
      flow.httpAnomaliesCounted = this.fold(flow.http.facts.anomalies, flow.httpAnomaliesCounted);
    }
  }

  /**
   * A TLS connection joined after its handshake: its records are looked at until they prove a NULL-cipher IP-HTTPS
   * tunnel (app/iphttps-probe.ts); then the tunnel is opened and reads the held records and this segment.
   */
  private probe(flow: Flow, fromOrig: boolean, seq: number, v: PacketView, start: number, end: number, f: Frame): void {
    const probe = flow.ipHttpsProbe ??= new IpHttpsProbe();
    const accepted = probe.feed(fromOrig, seq, v.buf, start, end, f.number);
    // Held bytes become inner packets later: their frames' times must be known then.
    if (accepted || probe.holding) this.rememberFrame(f);
    if (!accepted) return;
    const tunnel = this.openTunnel(flow, probe.macLength, true);
    flow.ipHttpsInferred = { macLength: probe.macLength, frames: probe.proof.slice() };
    flow.dropProbe();
    // Everything on the connection is tunnel bytes from here on: the fast path in tcp().
    flow.tlsDone = true;
    probe.replay(tunnel, fromOrig, seq, v.buf, start, end, f.number);
    if (tunnel.anomalies.length !== flow.ipHttpsAnomaliesCounted) flow.ipHttpsAnomaliesCounted = this.fold(tunnel.anomalies, flow.ipHttpsAnomaliesCounted);
  }

  private feedTunnel(flow: Flow, tunnel: IpHttpsTunnel, fromOrig: boolean, seq: number, v: PacketView, start: number, end: number, f: Frame): void {
    this.rememberFrame(f);
    tunnel.feed(fromOrig, seq, v.buf, start, end, f.number);
    if (tunnel.anomalies.length !== flow.ipHttpsAnomaliesCounted) flow.ipHttpsAnomaliesCounted = this.fold(tunnel.anomalies, flow.ipHttpsAnomaliesCounted);
  }

  /**
   * A method of its own, not inline in tcp(): a function that creates a closure allocates its context on every
   * call, even on the paths that create none, which made every TCP segment cost 40 bytes of garbage.
   */
  private openTunnel(carrier: Flow, macLength: number, midstream: boolean): IpHttpsTunnel {
    const tunnel = carrier.ipHttps = new IpHttpsTunnel(macLength, {
      packet: (b, start, end, fromClient, frames, lastFrame, stable) => this.queueInner(carrier, b, start, end, fromClient, frames, lastFrame, stable),
    }, this.budget, midstream);
    this.tunnels.push(carrier);
    return tunnel;
  }

  /**
   * Ends every IP-HTTPS tunnel at the end of the capture: what its reorder windows still hold comes out.
   * `drain` runs after each tunnel, so the queue holds one tunnel's leftovers at a time, not all of them.
   */
  finishTunnels(lastFrame: number, drain: () => void): void {
    // Indexed: a tunnel found inside a drained packet joins the list and is finished in turn.
    for (let i = 0; i < this.tunnels.length; i++) {
      const flow = this.tunnels[i]!;
      flow.ipHttps!.finish(lastFrame);
      flow.ipHttpsAnomaliesCounted = this.fold(flow.ipHttps!.anomalies, flow.ipHttpsAnomaliesCounted);
      drain();
    }
  }

  private rememberFrame(f: Frame): void {
    const i = f.number % FRAME_TIMES;
    this.frameNumbers[i] = f.number;
    this.frameSec[i] = f.tsSec;
    this.frameNsec[i] = f.tsNsec;
    this.frameIface[i] = f.interfaceId;
  }

  /** The time of the frame that carried the packet's last byte (protocols.md §1.3 step 4), else the carrier's last time. */
  private queueInner(carrier: Flow, b: Uint8Array, start: number, end: number, fromClient: boolean, frames: readonly number[], lastFrame: number,
    stable: boolean): void {
    const i = lastFrame % FRAME_TIMES;
    const known = this.frameNumbers[i] === lastFrame;
    this.inner.push(
      carrier, b, start, end, stable, fromClient, frames, lastFrame,
      known ? this.frameSec[i]! : carrier.lastSec, known ? this.frameNsec[i]! : carrier.lastNsec, known ? this.frameIface[i]! : 0,
    );
  }

  private rdp(flow: Flow, fromOrig: boolean, v: PacketView, start: number, end: number, f: Frame): void {
    const facts = flow.rdp ?? { request: null, confirm: null };
    if (fromOrig && facts.request === null) facts.request = parseRdpRequest(v.buf, start, end, f.number);
    else if (!fromOrig && facts.confirm === null) facts.confirm = parseRdpConfirm(v.buf, start, end, f.number);
    if (facts.request !== null || facts.confirm !== null) flow.rdp = facts;
  }

  private udp(e: TransportEvent, v: PacketView, t: number, f: Frame): void {
    const flow = e.flow;
    for (let i = t + 1; i < v.count; i++) {
      const kind = v.kind[i]!;
      if (kind === Layer.Isakmp) {
        this.isakmp(e, v, t, i, f);
        return;
      }
      if (kind === Layer.Dns) {
        const port = flow.origPort === Port.Mdns || flow.respPort === Port.Mdns ? 'mdns'
          : flow.origPort === Port.Llmnr || flow.respPort === Port.Llmnr ? 'llmnr' : 'dns';
        this.dns(flow, v, i, f, port);
        return;
      }
    }
  }

  /**
   * One ISAKMP message: placed in its negotiation from the header, and parsed whole only if the negotiation
   * still keeps messages (ike-negotiations.ts). Its anomalies are counted when it is parsed.
   */
  private isakmp(e: TransportEvent, v: PacketView, t: number, i: number, f: Frame): void {
    const flow = e.flow;
    const start = v.start[i]!;
    const end = v.end[i]!;
    if (!this.isakmpHeader.read(v.buf, start, end)) return;
    flow.isakmpMessages++;
    if (this.isIkeCopy(v.buf, start, end, flow, f)) return;
    const ctx = this.ikeContext;
    ctx.frame = f.number;
    ctx.flowId = flow.id;
    ctx.src = e.fromOrig ? flow.origAddr : flow.respAddr;
    ctx.dst = e.fromOrig ? flow.respAddr : flow.origAddr;
    ctx.srcPort = u16be(v.buf, v.start[t]!);
    ctx.dstPort = u16be(v.buf, v.start[t]! + 2);
    ctx.sec = f.tsSec;
    ctx.nsec = f.tsNsec;
    const slot = this.ike.place(this.isakmpHeader, ctx);
    if (slot === null) return;
    const msg = parseIsakmp(v.buf, start, end, f.number)!;
    for (const id of msg.anomalies) this.foldId(id, f.number);
    this.ike.record(slot, msg, ctx);
  }

  /**
   * The same IKE message captured twice — on the tunnel interface and inside IP-HTTPS, or at two pktmon
   * components — is one message: seen again within a second on another flow, it is not added again. A copy on
   * the same flow is a retransmission, which the negotiation must see (an unanswered Main Mode #1 repeats).
   * Recent messages are remembered by their length and a hash of their first IKE_COPY_BYTES bytes (the header's
   * SPIs and message id, then payload that differs between any two messages) in a direct-mapped table (no
   * allocation per message).
   */
  private isIkeCopy(buf: Uint8Array, start: number, end: number, flow: Flow, f: Frame): boolean {
    let h = 0x811c9dc5;
    const stop = Math.min(end, start + IKE_COPY_BYTES);
    for (let k = start; k < stop; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
    const slot = h & (RECENT_IKE - 1);
    const now = f.tsSec + f.tsNsec / 1e9;
    const seen = this.recentIke;
    const at = slot * 3;
    if (seen[at] === h && seen[at + 1] === end - start && seen[at + 2] !== flow.id + 1 && Math.abs(now - this.recentIkeTime[slot]!) < 1) return true;
    seen[at] = h;
    seen[at + 1] = end - start;
    seen[at + 2] = flow.id + 1;
    this.recentIkeTime[slot] = now;
    return false;
  }

  private dns(flow: Flow, v: PacketView, i: number, f: Frame, protocol: NameProtocol): void {
    const msg = parseDnsMessage(v.buf, v.start[i]!, v.end[i]!, f.number, protocol);
    if (msg === null) {
      this.foldId('dns.malformed', f.number);
      return;
    }
    flow.dnsMessages++;
    for (const a of msg.answers) this.names.add(a.address, a.name, protocol, f.number);
    if (this.dnsMessages.length < MAX_DNS_MESSAGES) this.dnsMessages.push({ ...msg, flowId: flow.id });
  }

  private routerAdvertisement(flow: Flow, fromOrig: boolean, v: PacketView, t: number, f: Frame): void {
    const router = hex(fromOrig ? flow.origAddr : flow.respAddr);
    for (const p of raPrefixes(v.buf, v.start[t]!, v.end[t]!, f.number)) {
      if (this.advertisedPrefixes.length >= MAX_ADVERTISED_PREFIXES) return;
      this.advertisedPrefixes.push({ ...p, router, flowId: flow.id });
    }
  }

  /** Counts a session's anomalies from index `counted` on; returns how many are counted now. */
  private fold(list: readonly { code: number; frame: number }[], counted: number): number {
    for (let i = counted; i < list.length; i++) this.anomalies.record(list[i]!.code, list[i]!.frame);
    return list.length;
  }

  private foldId(id: string, frame: number): void {
    const code = anomalyCodeOf(id);
    if (code >= 0) this.anomalies.record(code, frame);
  }
}
