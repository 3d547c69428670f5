/** Flow: one object per conversation (counters, times, TCP history, tunnel parent, application facts) [Zeek conn.log]. */

import type { RpcBind } from '../app/dcerpc.js';
import type { HttpSession } from '../app/http.js';
import type { IpHttpsTunnel } from '../app/iphttps.js';
import type { IpHttpsProbe } from '../app/iphttps-probe.js';
import type { RdpFacts } from '../app/rdp.js';
import type { TlsSession } from '../app/tls.js';
import type { SaStats } from './sa.js';

/** An ICMP or ICMPv6 error that quoted a packet of this flow. */
export interface IcmpErrorFact {
  frame: number;
  version: 4 | 6;
  type: number;
  code: number;
  /** The 32 bits after the checksum: the MTU of an ICMPv6 Packet Too Big (RFC 4443 §3.2), the next-hop MTU in the low 16 of an ICMP fragmentation needed (RFC 1191 §4). */
  param: number;
  /** The error was sent towards the flow's originator (i.e. about its packet). */
  towardsOrig: boolean;
  /** Who sent the error (16 bytes, IPv4 mapped; shared with the ICMP flow, not copied): the peer itself, or a router on the path. */
  sender: Uint8Array;
}

export const FlowFinish = { Live: 0, Evicted: 1, Expired: 2, End: 3 } as const;

/**
 * Every field is initialised in the constructor with its final type (monomorphic shapes,
 * architecture §5.5); facts that may never appear are null until seen.
 */
export class Flow {
  // Field order is memory order (V8 lays fields out as declared): the fields every packet touches come first,
  // so they share two or three cache lines instead of being spread over the object's ten.
  readonly id: number;
  /** True when the originator is the second endpoint of the canonical key. */
  readonly origIsSecond: boolean;
  lastFrame: number;
  lastSec: number;
  lastNsec: number;
  /** Interfaces the flow was seen on, as bits (ids 0–30); bit 31 means "another one". */
  interfaces = 0;
  origPackets = 0;
  respPackets = 0;
  /** Frame bytes on the wire, as tshark's conversation statistics count them. */
  origBytes = 0;
  respBytes = 0;
  /** Transport payload bytes. */
  origPayload = 0;
  respPayload = 0;
  /** The first application layer located on this flow (a Layer kind), 0 when none. */
  appLayer = 0;
  /** IPsec SAs carried by this flow (ESP directly or in UDP 4500; AH), by SPI. */
  sas: SaStats[] | null = null;
  /** Letters already recorded, as bits per direction. */
  historyBits = 0;
  /** First frame with transport payload from each side. */
  origDataFrame = 0;
  respDataFrame = 0;
  /** Application sessions fed until their facts are complete (TCP only). */
  tls: TlsSession | null = null;
  /** `tls.done` as of the last segment fed to it: once true, the session is fed no more. */
  tlsDone = false;
  http: HttpSession | null = null;
  /** The IPv6 packets inside an IP-HTTPS connection with a NULL cipher suite (MS-IPHTTPS §3.1.5.3). */
  ipHttps: IpHttpsTunnel | null = null;
  ipHttpsAnomaliesCounted = 0;
  /** Id of the flow whose tunnel carries this one, or −1. */
  readonly parent: number;
  readonly family: 4 | 6;
  readonly proto: number;
  /** Originator and responder addresses, 16 bytes each (IPv4 as ::ffff:a.b.c.d). */
  readonly origAddr: Uint8Array;
  readonly respAddr: Uint8Array;
  readonly origPort: number;
  readonly respPort: number;
  /** How the carrier delivers this flow's IP packets: '' (not tunnelled), 'teredo', 'proto41', 'ipip', '4in6', 'ip-https'. */
  readonly carriedBy: string;
  firstFrame: number;
  firstSec: number;
  firstNsec: number;
  /** Zeek-style TCP history letters (uppercase: originator), '^' when the first packet was a SYN-ACK. */
  history = '';
  /** TCP: the first SYN seen (frame), the SYN-ACK, the first RST, the first FIN; 0 when not seen. */
  synFrame = 0;
  synAckFrame = 0;
  rstFrame = 0;
  finFrame = 0;
  /** Packets protected by AH (the payload is in clear). */
  ahPackets = 0;

  icmpErrors: IcmpErrorFact[] | null = null;
  /** ICMP(v6) message types seen in this flow, as bits (see icmpTypeBit). */
  icmpTypes = 0;
  /** For an IP-in-IP carrier (IPv4 protocol 41): what the inner addresses of its packets said, as TunnelKindBit bits. */
  tunnelKinds = 0;
  /** The RDP connection start (X.224 Connection Request / Confirm), when the flow carries one. */
  rdp: RdpFacts | null = null;
  /** DCE/RPC interfaces bound on this flow (Offer Remote Assistance binds IRASrv). */
  rpcBinds: RpcBind[] | null = null;
  /** How many of each session's anomalies were already counted. */
  tlsAnomaliesCounted = 0;
  httpAnomaliesCounted = 0;
  /** ISAKMP messages and DNS/LLMNR/mDNS messages parsed on this flow. */
  isakmpMessages = 0;
  dnsMessages = 0;
  finish: number = FlowFinish.Live;
  /** The facts few flows have (see FlowRare and the accessors below); null until one is set. */
  rare: FlowRare | null = null;

  constructor(id: number, parent: number, family: 4 | 6, proto: number, origAddr: Uint8Array, respAddr: Uint8Array,
    origPort: number, respPort: number, origIsSecond: boolean, carriedBy: string, frame: number, sec: number, nsec: number) {
    this.id = id;
    this.parent = parent;
    this.family = family;
    this.proto = proto;
    this.origAddr = origAddr;
    this.respAddr = respAddr;
    this.origPort = origPort;
    this.respPort = respPort;
    this.origIsSecond = origIsSecond;
    this.carriedBy = carriedBy;
    this.firstFrame = frame;
    this.lastFrame = frame;
    this.firstSec = sec;
    this.firstNsec = nsec;
    this.lastSec = sec;
    this.lastNsec = nsec;
  }

  get packets(): number {
    return this.origPackets + this.respPackets;
  }

  get bytes(): number {
    return this.origBytes + this.respBytes;
  }

  private get r(): FlowRare {
    return this.rare ??= new FlowRare();
  }

  /** Packets that repeat one of this flow's packets from another interface (one packet captured twice): not counted anywhere else. */
  get copies(): number {
    return this.rare?.copies ?? 0;
  }

  set copies(n: number) {
    this.r.copies = n;
  }

  get copyBytes(): number {
    return this.rare?.copyBytes ?? 0;
  }

  set copyBytes(n: number) {
    this.r.copyBytes = n;
  }

  /** A TLS connection joined without its handshake, being looked at for IP-HTTPS records (app/iphttps-probe.ts); null once decided or not needed. */
  get ipHttpsProbe(): IpHttpsProbe | null {
    return this.rare?.ipHttpsProbe ?? null;
  }

  set ipHttpsProbe(p: IpHttpsProbe | null) {
    if (p !== null || this.rare !== null) this.r.ipHttpsProbe = p;
  }

  /**
   * The handshake is not in the capture and `ipHttps` was opened because the records carry IPv6 packets and a MAC
   * of `macLength` bytes (a NULL suite); `frames`: the record headers that proved it.
   */
  get ipHttpsInferred(): { macLength: number; frames: number[] } | null {
    return this.rare?.ipHttpsInferred ?? null;
  }

  set ipHttpsInferred(i: { macLength: number; frames: number[] } | null) {
    this.r.ipHttpsInferred = i;
  }

  /**
   * Application-data records on a TLS connection joined without its handshake whose content is not plaintext IPv6
   * (encrypted, or not IP-HTTPS), and the frame of the first; null when none.
   */
  get tlsMidstream(): { records: number; firstFrame: number } | null {
    const r = this.rare;
    if (r === null) return null;
    // While the probe runs it keeps the count (no write per record here); dropProbe() moves it over.
    const p = r.ipHttpsProbe;
    if (p !== null && p.opaqueRecords > 0) return { records: p.opaqueRecords, firstFrame: p.opaqueFrame };
    return r.tlsMidstream;
  }

  /** Ends the look for IP-HTTPS records: what the probe counted stays in tlsMidstream, the probe (and the bytes it holds) goes. */
  dropProbe(): void {
    const r = this.rare;
    const p = r?.ipHttpsProbe ?? null;
    if (r === null || p === null) return;
    if (p.opaqueRecords > 0) r.tlsMidstream = { records: p.opaqueRecords, firstFrame: p.opaqueFrame };
    r.ipHttpsProbe = null;
  }

  /** ESP and AH packets of SAs beyond the bound per flow (not tracked, not judged), and their first frames (at most 5); null when none. */
  get sasNotTracked(): { packets: number; frames: number[] } | null {
    return this.rare?.sasNotTracked ?? null;
  }

  set sasNotTracked(l: { packets: number; frames: number[] } | null) {
    this.r.sasNotTracked = l;
  }
}

/**
 * Facts few flows have, in one object made when the first of them is set: every other flow pays one field for all of
 * them (at the bound of a million live flows, each field on Flow costs 8 MB).
 */
export class FlowRare {
  copies = 0;
  copyBytes = 0;
  ipHttpsProbe: IpHttpsProbe | null = null;
  ipHttpsInferred: { macLength: number; frames: number[] } | null = null;
  tlsMidstream: { records: number; firstFrame: number } | null = null;
  sasNotTracked: { packets: number; frames: number[] } | null = null;
}

/** What one protocol-41 packet's inner addresses say (RFC 3056 §2, RFC 5214 §6.1), as bits of Flow.tunnelKinds. */
export const TunnelKindBit = { SixToFour: 1, Isatap: 2, Other: 4 } as const;

/**
 * The kind of a protocol-41 carrier from every packet it carried, not its first: ISATAP when any packet was
 * ISATAP-addressed (an ISATAP host's first packet may go to a 6to4 or native address through its router), else
 * 6to4 when any was, else configured 6in4; '' for a flow that carries no IPv6 in IPv4.
 */
export function tunnelKindOf(flow: Flow): '' | '6to4' | 'isatap' | '6in4' {
  const k = flow.tunnelKinds;
  return k === 0 ? '' : (k & TunnelKindBit.Isatap) !== 0 ? 'isatap' : (k & TunnelKindBit.SixToFour) !== 0 ? '6to4' : '6in4';
}

/**
 * Bit for an ICMP(v6) type in Flow.icmpTypes: ICMPv6 errors 1–4 and ICMPv4 types 0–12 keep their
 * number; ICMPv6 informational types 128–146 map to 13–31.
 */
export function icmpTypeBit(type: number): number {
  if (type < 13) return 1 << type;
  if (type >= 128 && type <= 146) return (1 << (type - 115)) >>> 0;
  return 0;
}
