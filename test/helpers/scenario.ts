/** Scenario builder: DirectAccess traffic told as a story, written as a netsh trace + etl2pcapng pcapng (protocols.md §1–§5, §6.4; test fixtures). */

import { MemorySink, PcapngWriter, type SectionOptions } from '../../src/capture/writer.js';
import {
  ascii, concat, EtherType, ethernet, icmpv6, ip4, ip6, ipv4, ipv6, Prng, Proto, tcp as tcpSegment, TcpFlag, teredoAuth, teredoOrigin, u16, u32,
  udp as udpDatagram, type Bytes, type Endpoints,
} from './build.js';
import {
  authipMainMode, authipQuickMode, dnsMessage, DnsType, ikev1MamieOffer, ikev2Exchange, mcsConnectInitial, mcsConnectResponse, mcsDomainSetup, rdpConnectionConfirm,
  rdpConnectionRequest, rdpEncrypted, rdpFastPath, RdpProtocol, rdpSecurityExchange, routerAdvertisementBody, routerSolicitationBody,
  tls12Handshake, TlsProtection, withReplacedName, type AuthipOutcome, type DnsAnswer, type IkeStep,
} from './scenario-content.js';
import { CLIENT_CERT_DER, ContentType, ipHttpsRequest, ipHttpsResponse, NULL_MAC, SERVER_CERT_DER } from './tls-build.js';

/** A TLS record header: type, version, length (RFC 5246 §6.2.1). */
const RECORD_HEADER = 5;

// --- interfaces and links -------------------------------------------------------------------------------

/** A capture interface as etl2pcapng writes it: link type, "eth:N" / "mbb:N" name, snaplen 65535. */
export interface Iface {
  readonly id: number;
  readonly linkType: number;
  readonly name: string;
}

/** Carries one IP packet (IPv4 or IPv6 bytes); `outbound` is true when the capturing host sends it. */
export interface Link {
  /** Largest IP packet the path takes (TCP's MSS is derived from it). */
  readonly mtu: number;
  /** One-way delay, in µs, that a reply waits on this path. */
  readonly latency: number;
  carry(ip: Bytes, outbound: boolean): void;
}

export interface HostPort {
  address: string;
  port: number;
}

function isV6(a: string): boolean {
  return a.includes(':');
}

/** Multicast destinations map to 33:33:… (RFC 2464 §7) and 01:00:5e:… (RFC 1112 §6.4). */
function multicastMac(ip: Bytes): string | null {
  const hex = (b: number): string => b.toString(16).padStart(2, '0');
  if (ip[0]! >> 4 === 6 && ip[24] === 0xff) return ['33', '33', hex(ip[36]!), hex(ip[37]!), hex(ip[38]!), hex(ip[39]!)].join(':');
  if (ip[0]! >> 4 === 4 && (ip[16]! & 0xf0) === 0xe0) return ['01', '00', '5e', hex(ip[17]! & 0x7f), hex(ip[18]!), hex(ip[19]!)].join(':');
  return null;
}

class EthernetLink implements Link {
  readonly mtu = 1500;
  readonly latency: number;
  private readonly s: Scenario;
  private readonly iface: Iface;
  private readonly mac: string;
  private readonly peerMac: string;

  constructor(s: Scenario, iface: Iface, o: { mac: string; peerMac: string; latency?: number }) {
    this.s = s;
    this.iface = iface;
    this.mac = o.mac;
    this.peerMac = o.peerMac;
    this.latency = o.latency ?? 12_000;
  }

  carry(ip: Bytes, outbound: boolean): void {
    const type = ip[0]! >> 4 === 6 ? EtherType.IPv6 : EtherType.IPv4;
    const group = multicastMac(ip);
    const frame = outbound ? ethernet(group ?? this.peerMac, this.mac, type, ip) : ethernet(group ?? this.mac, this.peerMac, type, ip);
    this.s.write(this.iface, frame, outbound);
  }
}

class RawLink implements Link {
  readonly mtu: number;
  readonly latency: number;
  private readonly s: Scenario;
  private readonly iface: Iface;

  constructor(s: Scenario, iface: Iface, o: { mtu?: number; latency?: number }) {
    this.s = s;
    this.iface = iface;
    this.mtu = o.mtu ?? 1280;
    this.latency = o.latency ?? 30_000;
  }

  carry(ip: Bytes, outbound: boolean): void {
    this.s.write(this.iface, ip, outbound);
  }
}

export interface TeredoOptions {
  /** The client's own address and port (behind a NAT: the private ones). */
  client: HostPort;
  /** The Teredo server (port 3544) or a peer/relay on its mapped port. */
  remote: HostPort;
  /** An authentication indicator with this nonce on every packet (qualification, RFC 4380 §5.1.1, §5.2.1). */
  authNonce?: Bytes;
  /** An origin indication on inbound packets: the mapped address (from the server) or a peer's (RFC 4380 §5.2.3). */
  origin?: HostPort;
}

/** IPv6 in UDP/IPv4 (RFC 4380 §5.1.1): [authentication indicator] [origin indication] IPv6. */
export class TeredoLink implements Link {
  readonly mtu = 1280;
  readonly latency: number;
  private readonly s: Scenario;
  private readonly over: Link;
  private readonly o: TeredoOptions;

  constructor(s: Scenario, over: Link, o: TeredoOptions) {
    this.s = s;
    this.over = over;
    this.o = o;
    this.latency = over.latency;
  }

  /** The same path with other indicators (for the qualification or a relayed bubble). */
  with(o: Pick<TeredoOptions, 'authNonce' | 'origin'>): TeredoLink {
    return new TeredoLink(this.s, this.over, { ...this.o, ...o });
  }

  carry(ip: Bytes, outbound: boolean): void {
    const { client, remote } = this.o;
    const parts: Bytes[] = [];
    if (this.o.authNonce) parts.push(teredoAuth(new Uint8Array(0), new Uint8Array(0), this.o.authNonce));
    if (this.o.origin && !outbound) parts.push(teredoOrigin(this.o.origin.port, this.o.origin.address));
    parts.push(ip);
    const [from, to] = outbound ? [client, remote] : [remote, client];
    const ep = { src: from.address, dst: to.address };
    this.over.carry(this.s.ip(ep.src, ep.dst, Proto.UDP, udpDatagram(ep, from.port, to.port, concat(...parts))), outbound);
  }
}

/** IPv6 directly in IPv4, protocol 41: 6to4 (RFC 3056) and ISATAP (RFC 5214) alike; the inner addresses tell them apart. */
class Proto41Link implements Link {
  readonly mtu = 1480;
  readonly latency: number;
  private readonly s: Scenario;
  private readonly over: Link;
  private readonly local: string;
  private readonly remote: string;

  constructor(s: Scenario, over: Link, o: { local: string; remote: string }) {
    this.s = s;
    this.over = over;
    this.local = o.local;
    this.remote = o.remote;
    this.latency = over.latency;
  }

  carry(ip: Bytes, outbound: boolean): void {
    const [src, dst] = outbound ? [this.local, this.remote] : [this.remote, this.local];
    this.over.carry(this.s.ip(src, dst, Proto.IPv6, ip), outbound);
  }
}

export interface IpHttpsOptions {
  client: HostPort;
  server: HostPort;
  /** The suite the server picks: 0x003B / 0x0002 (NULL, the IPv6 stays readable) or an AES-GCM suite (records are random bytes). */
  suite: number;
  /** What the ClientHello offers; default just `suite`. */
  offered?: number[];
  sni?: string;
  /** MS-IPHTTPS §3.2.1: 'certificates' sends CertificateRequest and the client's Certificate and CertificateVerify. */
  authMode: 'certificates' | 'none';
  uri?: string;
  host?: string;
  /** The server's certificate (DER); default CN=da.contoso.example. */
  serverCertificate?: Bytes;
  /** Also write every inner packet as it is on this link (the capture of the IP-HTTPS tunnel interface). */
  mirror?: Link;
  /**
   * An HTTP proxy between the client and the server (MS-IPHTTPS §4.1): the TCP connection goes to the proxy, the
   * client asks `CONNECT <host>:<server port>` and the proxy answers `200 Connection established`; TLS follows.
   */
  proxy?: HostPort;
}

/**
 * IP-HTTPS (MS-IPHTTPS §3.1.5): one TCP connection to the server carrying TLS; after the handshake the client
 * POSTs with Content-Length 2^64−1 and the server answers 200 OK, then each direction's IPv6 packets follow as
 * one byte stream of application-data records. Opened on first use.
 */
export class IpHttpsLink implements Link {
  readonly mtu = 1280;
  readonly latency: number;
  private readonly s: Scenario;
  private readonly o: IpHttpsOptions;
  private readonly conn: TcpConnection;
  private readonly tls: TlsProtection;
  private opened = false;
  /** Packets held by `batch`, per direction, and which direction spoke first. */
  private pending: { out: InnerRecord[]; in: InnerRecord[]; firstOutbound: boolean | null } | null = null;

  constructor(s: Scenario, over: Link, o: IpHttpsOptions) {
    this.s = s;
    this.o = o;
    this.latency = over.latency;
    const to = o.proxy ?? o.server;
    this.conn = new TcpConnection(s, { client: o.client.address, server: to.address, sport: o.client.port, dport: to.port, via: over });
    this.tls = new TlsProtection(o.suite, s.seed(0x1e7));
  }

  /** TCP handshake, TLS handshake, the POST and the 200 OK. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.handshake(null);
  }

  /**
   * The link not coming up (MS-IPHTTPS §3.1.2.1; protocols.md §7 row 1): after the ClientHello the server sends a
   * fatal handshake_failure alert and closes, or resets the connection; or, after the whole handshake and the POST,
   * it answers an HTTP status other than 200 and closes.
   */
  fail(how: 'alert' | 'reset' | [status: number, reason: string]): void {
    this.opened = true;
    if (Array.isArray(how)) {
      this.handshake(how);
      this.conn.close('fin', false);
      return;
    }
    this.conn.open();
    const hello = this.flights()[0]!;
    this.s.label('tls-1', () => this.conn.send(hello.fromClient, hello.bytes));
    if (how === 'alert') {
      // RFC 5246 §7.2: a plaintext alert record, level fatal (2), handshake_failure (40).
      this.s.label('alert', () => this.conn.send(false, Uint8Array.of(ContentType.Alert, 3, 3, 0, 2, 2, 40)));
      this.conn.close('fin', false);
    } else this.s.label('reset', () => this.conn.close('rst', false));
  }

  private flights(): ReturnType<typeof tls12Handshake> {
    const o = this.o;
    return tls12Handshake({
      suite: o.suite, offered: o.offered, sni: o.sni, serverCertificate: o.serverCertificate ?? SERVER_CERT_DER,
      clientCertificate: o.authMode === 'certificates' ? CLIENT_CERT_DER : undefined,
    }, this.tls, new Prng(this.s.seed(0x7f1)));
  }

  /** The TCP and TLS handshakes, the POST and the server's answer (200 OK unless `status`). */
  private handshake(status: [number, string] | null): void {
    const o = this.o;
    this.conn.open();
    if (o.proxy) {
      // RFC 9110 §9.3.6: the target in authority form; the proxy's 2xx turns the connection into a tunnel.
      const target = `${o.host ?? o.sni ?? o.server.address}:${o.server.port}`;
      this.s.label('proxy-connect', () => this.conn.send(true, ascii(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nProxy-Connection: Keep-Alive\r\n\r\n`)));
      this.s.label('proxy-established', () => this.conn.send(false, ascii('HTTP/1.1 200 Connection established\r\n\r\n')));
    }
    const flights = this.flights();
    // Each flight is labelled (tls-1 … tls-4, http-request, http-response) so tests can find its frames.
    flights.forEach((f, i) => this.s.label(`tls-${i + 1}`, () => this.conn.send(f.fromClient, f.bytes)));
    const request = ascii(ipHttpsRequest(o.uri ?? '/IPHTTPS', o.host ?? o.sni ?? o.server.address));
    this.s.label('http-request', () => this.conn.send(true, this.tls.protect(ContentType.ApplicationData, request, true)));
    const response = ascii(ipHttpsResponse(this.s.httpDate(), status ?? undefined));
    this.s.label('http-response', () => this.conn.send(false, this.tls.protect(ContentType.ApplicationData, response, false)));
  }

  carry(ip: Bytes, outbound: boolean): void {
    this.open();
    const record: InnerRecord = { length: ip.length, bytes: ip, outbound, labels: this.s.activeLabels(), frames: [], lastByteFrame: 0 };
    this.s.inner.push(record);
    if (this.o.mirror && outbound) this.o.mirror.carry(ip, true);
    if (this.pending) {
      this.pending.firstOutbound ??= outbound;
      (outbound ? this.pending.out : this.pending.in).push(record);
    } else this.sendPackets(outbound, [record]);
    if (this.o.mirror && !outbound) this.o.mirror.carry(ip, false);
  }

  /**
   * Sends packets as application-data records (`records` of equal share of their bytes; default one) in one TCP
   * send, and notes in each packet's record which data frames carried its bytes (not record headers or MACs).
   */
  private sendPackets(outbound: boolean, packets: InnerRecord[], o: { segments?: number; records?: number } = {}): void {
    const plain = concat(...packets.map((p) => p.bytes));
    const size = Math.ceil(plain.length / (o.records ?? 1));
    const records: Bytes[] = [];
    for (let at = 0; at < plain.length; at += size) records.push(this.tls.protect(ContentType.ApplicationData, plain.subarray(at, at + size), outbound));
    const stream = concat(...records);
    const before = this.s.frames.length;
    this.conn.send(outbound, stream, { segments: o.segments });
    // The sender's segments, in order; the peer's ACKs go the other way.
    const data = this.s.frames.slice(before).filter((f) => f.outbound === outbound);
    const chunk = o.segments ? Math.ceil(stream.length / o.segments) : this.conn.mss;
    // RFC 5246 §6.2.3: a NULL suite's record is header, plaintext, MAC; an AEAD one's header, nonce (8), ciphertext, tag.
    const prefix = NULL_MAC[this.o.suite] !== undefined ? 0 : 8;
    const perRecord = records[0]!.length - Math.min(size, plain.length);
    const streamAt = (x: number): number => Math.floor(x / size) * perRecord + RECORD_HEADER + prefix + x;
    let at = 0;
    for (const p of packets) {
      const carried = new Set<number>();
      for (let x = at; x < at + p.length; x = (Math.floor(x / size) + 1) * size) {
        const end = Math.min(at + p.length, (Math.floor(x / size) + 1) * size) - 1;
        for (let i = Math.floor(streamAt(x) / chunk); i <= Math.floor(streamAt(end) / chunk); i++) carried.add(data[i]!.number);
      }
      p.frames.push(...[...carried].sort((a, b) => a - b));
      p.lastByteFrame = data[Math.floor(streamAt(at + p.length - 1) / chunk)]!.number;
      at += p.length;
    }
  }

  /**
   * Packets sent inside `fn` share one application-data record per direction (the stream has no packet
   * boundaries, MS-IPHTTPS §3.1.5.3) — or `records` records of equal share, so a packet may straddle two —
   * written when `fn` returns, in `segments` TCP segments each; the direction that spoke first goes first.
   */
  batch(fn: () => void, o: { segments?: number; records?: number } = {}): void {
    this.open();
    this.pending = { out: [], in: [], firstOutbound: null };
    fn();
    const p = this.pending;
    this.pending = null;
    for (const outbound of p.firstOutbound === false ? [false, true] : [true, false]) {
      const list = outbound ? p.out : p.in;
      if (list.length > 0) this.sendPackets(outbound, list, o);
    }
  }

  /** close_notify, then FIN (or RST) from the client. */
  close(how: 'fin' | 'rst' = 'fin'): void {
    this.conn.send(true, this.tls.protect(ContentType.Alert, Uint8Array.of(1, 0), true));
    this.conn.close(how);
  }
}

// --- protections ------------------------------------------------------------------------------------------

/** Wraps a transport segment into an IP payload; `forward` is true for packets from the session's initiator. */
export interface Protection {
  wrap(segment: Bytes, proto: number, forward: boolean, ep: Endpoints): { nextHeader: number; payload: Bytes };
  /** Bytes added per packet at most (so segments stay under the MTU). */
  readonly overhead: number;
}

export const clear: Protection = {
  overhead: 0,
  wrap: (segment, proto) => ({ nextHeader: proto, payload: segment }),
};

/** The two SAs of a connection (one per direction), with their sequence counters (RFC 4303 §3.3.3). */
class SaPair {
  readonly spi: number;
  readonly reverseSpi: number;
  private readonly seq = { forward: 0, back: 0 };
  readonly rng: Prng;

  constructor(spi: number, reverseSpi: number | undefined) {
    this.spi = spi;
    this.reverseSpi = reverseSpi ?? (spi + 0x01010101) >>> 0;
    this.rng = new Prng(spi);
  }

  next(forward: boolean): { spi: number; seq: number } {
    return forward ? { spi: this.spi, seq: ++this.seq.forward } : { spi: this.reverseSpi, seq: ++this.seq.back };
  }
}

export interface AhOptions {
  spi: number;
  /** SPI of the responder's SA; default derived from `spi`. */
  reverseSpi?: number;
  /** 12 (HMAC-SHA1-96) or 16 (HMAC-SHA256-128). */
  icv?: 12 | 16;
}

/** AH (RFC 4302 §2): the segment follows in clear; the ICV is padded to 8 bytes on IPv6, 4 on IPv4 (§2.6). */
export function ah(o: AhOptions): Protection {
  const sa = new SaPair(o.spi, o.reverseSpi);
  const icv = o.icv ?? 12;
  return {
    overhead: 12 + icv + 4,
    wrap: (segment, proto, forward, ep) => {
      const align = isV6(ep.src) ? 8 : 4;
      const field = icv + ((align - ((12 + icv) % align)) % align);
      const { spi, seq } = sa.next(forward);
      return { nextHeader: Proto.AH, payload: concat(Uint8Array.of(proto, (12 + field) / 4 - 2, 0, 0), u32(spi), u32(seq), sa.rng.bytes(icv), new Uint8Array(field - icv), segment) };
    },
  };
}

export interface EspOptions {
  spi: number;
  reverseSpi?: number;
  /**
   * 'aes-cbc' (16-byte IV, 16-byte blocks) and 'aes-gcm' (8-byte IV, 16-byte ICV): random bytes of the right
   * length. 'null': RFC 2410, the segment in clear with padding, pad length, next header and an ICV.
   * 'null-gmac': ENCR_NULL_AUTH_AES_GMAC (RFC 4543): an 8-byte IV before the clear segment, 16-byte ICV.
   */
  cipher?: 'aes-cbc' | 'aes-gcm' | 'null' | 'null-gmac';
  /** ICV bytes for 'aes-cbc' and 'null': 12 (HMAC-SHA1-96, default) or 16 (HMAC-SHA256-128). */
  icv?: 12 | 16;
  /** In UDP 4500 (RFC 3948 §2.1), as after NAT detection. */
  udpEncap?: boolean;
}

/** ESP (RFC 4303 §2) in transport mode, so the inner TCP/UDP checksum covers the outer addresses. */
export function esp(o: EspOptions): Protection {
  const sa = new SaPair(o.spi, o.reverseSpi);
  const cipher = o.cipher ?? 'aes-cbc';
  const icv = cipher === 'aes-gcm' || cipher === 'null-gmac' ? 16 : o.icv ?? 12;
  return {
    overhead: 8 + 16 + 15 + 2 + icv + (o.udpEncap ? 8 : 0),
    wrap: (segment, proto, forward, ep) => {
      const { spi, seq } = sa.next(forward);
      let body: Bytes;
      if (cipher === 'aes-cbc') body = sa.rng.bytes(16 + Math.ceil((segment.length + 2) / 16) * 16 + icv);
      else if (cipher === 'aes-gcm') body = sa.rng.bytes(8 + Math.ceil((segment.length + 2) / 4) * 4 + icv);
      else {
        // RFC 4303 §2.4: pad with 1, 2, 3, … so that pad length and next header end on a 4-byte boundary.
        const padLen = (4 - ((segment.length + 2) % 4)) % 4;
        const iv = cipher === 'null-gmac' ? concat(u32(0), u32(seq)) : new Uint8Array(0);
        body = concat(iv, segment, Uint8Array.from({ length: padLen }, (_, i) => i + 1), Uint8Array.of(padLen, proto), sa.rng.bytes(icv));
      }
      const packet = concat(u32(spi), u32(seq), body);
      if (!o.udpEncap) return { nextHeader: Proto.ESP, payload: packet };
      return { nextHeader: Proto.UDP, payload: udpDatagram(ep, 4500, 4500, packet) };
    },
  };
}

// --- TCP ----------------------------------------------------------------------------------------------

export interface TcpConnectionOptions {
  client: string;
  server: string;
  sport: number;
  dport: number;
  via: Link;
  protect?: Protection;
}

/** One side's TCP bytes: `c` from the client (initiator), `s` from the server. */
export type Payload = { c: Bytes } | { s: Bytes };

/**
 * A TCP connection (RFC 9293) with real sequence and acknowledgement numbers: SYN, SYN-ACK, ACK; data cut at
 * the MSS; a pure ACK for every second unacknowledged segment (delayed ACK, RFC 1122 §4.2.3.2); FIN both
 * ways or RST.
 */
export class TcpConnection {
  private readonly s: Scenario;
  private readonly o: TcpConnectionOptions;
  private readonly protect: Protection;
  /** Next sequence number each side sends. */
  private readonly next = { client: 0, server: 0 };
  /** Segments each side received and has not acknowledged yet. */
  private readonly unacked = { client: 0, server: 0 };
  private lastSender: boolean | null = null;
  readonly mss: number;

  constructor(s: Scenario, o: TcpConnectionOptions) {
    this.s = s;
    this.o = o;
    this.protect = o.protect ?? clear;
    this.next.client = s.rng.next();
    this.next.server = s.rng.next();
    this.mss = o.via.mtu - (isV6(o.client) ? 60 : 40);
  }

  private segment(fromClient: boolean, flags: number, data: Bytes = new Uint8Array(0), o: { seq?: number } = {}): void {
    if (this.lastSender !== null && this.lastSender !== fromClient) this.s.advance(this.o.via.latency);
    this.lastSender = fromClient;
    const me = fromClient ? 'client' : 'server';
    const peer = fromClient ? 'server' : 'client';
    const ep = fromClient ? { src: this.o.client, dst: this.o.server } : { src: this.o.server, dst: this.o.client };
    const syn = (flags & TcpFlag.SYN) !== 0;
    // MSS, NOP, window scale 8, NOP, NOP, SACK permitted: what Windows puts in a SYN.
    const options = syn ? concat(u16(0x0204), u16(this.mss), Uint8Array.of(1, 3, 3, 8, 1, 1, 4, 2)) : undefined;
    const seg = tcpSegment(ep, {
      sport: fromClient ? this.o.sport : this.o.dport, dport: fromClient ? this.o.dport : this.o.sport,
      seq: o.seq ?? this.next[me], ack: (flags & TcpFlag.ACK) !== 0 ? this.next[peer] : 0, flags, window: syn ? 64240 : 1026, options,
    }, data);
    if (o.seq !== undefined) {
      // A SYN sent again, or a RST with a sequence number of its own: the connection's state does not move.
      this.s.send(ep.src, ep.dst, ...this.wrapped(seg, fromClient, ep), this.o.via);
      return;
    }
    this.next[me] = (this.next[me] + data.length + (syn || (flags & TcpFlag.FIN) !== 0 ? 1 : 0)) >>> 0;
    if ((flags & TcpFlag.ACK) !== 0) this.unacked[me] = 0;
    if (data.length > 0) this.unacked[peer]++;
    this.s.send(ep.src, ep.dst, ...this.wrapped(seg, fromClient, ep), this.o.via);
  }

  private wrapped(seg: Bytes, fromClient: boolean, ep: Endpoints): [number, Bytes] {
    const w = this.protect.wrap(seg, Proto.TCP, fromClient, ep);
    return [w.nextHeader, w.payload];
  }

  /**
   * A SYN that gets no SYN-ACK: sent, then retransmitted `retransmissions` times with the same sequence number
   * after 1, 2, 4, … s (RFC 6298 §5.5, §5.7). Returns the first SYN as an IP packet (for an ICMPv6 error to quote).
   */
  attempt(retransmissions = 0): Bytes {
    const isn = this.next.client;
    this.segment(true, TcpFlag.SYN);
    const syn = this.s.lastSent!;
    for (let k = 0; k < retransmissions; k++) {
      this.s.advance(1_000_000 * 2 ** k);
      this.segment(true, TcpFlag.SYN, undefined, { seq: isn });
    }
    return syn;
  }

  /** The server refuses a SYN: RST-ACK with sequence 0 acknowledging the SYN (RFC 9293 §3.10.7.1, CLOSED state). */
  refuse(): void {
    this.segment(false, TcpFlag.RST | TcpFlag.ACK, undefined, { seq: 0 });
  }

  /**
   * The server's SYN-ACK arrives after the client gave up on its `attempt`: the client's connection is CLOSED, so
   * it answers with a RST whose sequence number is the SYN-ACK's acknowledgement (RFC 9293 §3.10.7.1).
   */
  lateSynAck(): void {
    this.segment(false, TcpFlag.SYN | TcpFlag.ACK);
    this.segment(true, TcpFlag.RST, undefined, { seq: this.next.client });
  }

  open(): this {
    this.segment(true, TcpFlag.SYN);
    this.segment(false, TcpFlag.SYN | TcpFlag.ACK);
    this.segment(true, TcpFlag.ACK);
    return this;
  }

  /** Sends `data` from one side in segments of at most the MSS (less the protection's overhead), or in exactly `segments` pieces. */
  send(fromClient: boolean, data: Bytes, o: { segments?: number } = {}): this {
    const size = o.segments ? Math.ceil(data.length / o.segments) : this.mss - this.protect.overhead;
    for (let at = 0; at < data.length; at += size) {
      const last = at + size >= data.length;
      this.segment(fromClient, TcpFlag.ACK | (last ? TcpFlag.PSH : 0), data.subarray(at, Math.min(data.length, at + size)));
      const peer = fromClient ? 'server' : 'client';
      if (this.unacked[peer] >= 2) this.segment(!fromClient, TcpFlag.ACK);
    }
    return this;
  }

  /** FIN from the closer, FIN from the peer, last ACK; or one RST-ACK. */
  close(how: 'fin' | 'rst' = 'fin', byClient = true): void {
    if (how === 'rst') {
      this.segment(byClient, TcpFlag.RST | TcpFlag.ACK);
      return;
    }
    this.segment(byClient, TcpFlag.FIN | TcpFlag.ACK);
    this.segment(!byClient, TcpFlag.FIN | TcpFlag.ACK);
    this.segment(byClient, TcpFlag.ACK);
  }
}

// --- the scenario -----------------------------------------------------------------------------------------

export interface ScenarioOptions {
  /** Capture start, seconds since 1970. */
  t0: number;
  /** Addresses of the capturing host: what they send is outbound (EPB flags 2), the rest inbound (1). */
  local: string[];
  seed?: number;
  /** Section header options; etl2pcapng writes none. */
  section?: SectionOptions;
  /** Time between two frames of one side, µs (default 150). */
  gap?: number;
}

export interface SessionOptions {
  from: string;
  to: string;
  /** Default: an ephemeral port (49152–65535) from the seed. */
  sport?: number;
  dport: number;
  via: Link;
  protect?: Protection;
}

export interface TcpSessionOptions extends SessionOptions {
  payloads: Payload[];
  /** How the session ends: FIN both ways (default), an RST from the client, or still open. */
  close?: 'fin' | 'rst' | 'open';
}

export interface RemoteAssistanceOptions {
  /** The helper (RDP client) and the user helped (RDP server, listening) (MS-RA §3.1.5, §3.2.5). */
  expert: string;
  novice: string;
  /** A dynamic port ≥ 49152, or 3389. */
  port: number;
  via: Link;
  protect?: Protection;
  /** What the novice selects from the expert's request: TLS, or Standard RDP Security (RC4 inside RDP). */
  selected: 'tls' | 'rdp';
  cookie?: string;
  /** Data PDUs from the novice after the connection start (default 6). */
  updates?: number;
  close?: 'fin' | 'rst' | 'open';
}

/** The cookie pair (initiator and responder SPIs) that names an AuthIP Main Mode SA (MS-AIPS §2.2.1). */
export interface AuthipCookies {
  ispi: Bytes;
  rspi: Bytes;
}

/** What the scenario wrote in one frame: the ledger tests compute their expectations from. */
export interface FrameRecord {
  /** Frame number (1-based, as Wireshark counts). */
  number: number;
  iface: number;
  /** Bytes on the wire (the whole frame). */
  length: number;
  /** Timestamp: seconds since 1970 and nanoseconds (whole microseconds, the interfaces' resolution). */
  sec: number;
  nsec: number;
  outbound: boolean;
  /** The labels active when the frame was written (see `label`). */
  labels: string[];
}

/** An IPv6 packet carried inside IP-HTTPS (it has no frame of its own on the NIC). */
export interface InnerRecord {
  length: number;
  /** The packet itself, as it went into the tunnel. */
  bytes: Bytes;
  /** The frames on the NIC that carried its bytes (not record headers or MACs), ascending. */
  frames: number[];
  /** The frame that carried its last byte (in stream order): its time is the packet's (protocols.md §1.3 step 4). */
  lastByteFrame: number;
  outbound: boolean;
  labels: string[];
}

/**
 * A capture told as a story. TCP state is honest (handshake, sequence and acknowledgement numbers, delayed ACKs,
 * FIN or RST), every checksum is computed by the builders, time advances deterministically and every random
 * byte comes from a fixed seed.
 *
 *   const s = new Scenario({ t0, local: ['192.168.1.20', 'fe80::a'] });
 *   const nic = s.ethernetLink(s.interface('ethernet', 12), { mac, peerMac });
 *   const tunnel = s.rawLink(s.interface('raw', 23));
 *   const link = s.ipHttps(nic, { client, server, suite: 0x003b, authMode: 'certificates', mirror: tunnel });
 *   s.authip({ initiator: A, responder: B, via: link, realm, spn });
 *   s.remoteAssistance({ expert: A, novice: B, port: 49750, via: link, protect: esp({ spi: 0x1a2b3c4d }) });
 *   s.tcpSession({ from: A, to: B, dport: 49751, via: link, protect: esp({ spi: 0x2b3c4d5e, cipher: 'null' }),
 *     payloads: [{ c: request }, { s: reply }] });
 *   fixture = s.bytes();   // s.frames: what was written, frame by frame, with the labels given by s.label()
 *
 * Links carry IP packets and compose (Teredo, 6to4/ISATAP and IP-HTTPS wrap an IPv6 packet and hand the
 * carrier to another link); protections wrap a transport segment between two endpoints (clear, AH,
 * ESP-NULL, encrypted ESP, each optionally in UDP 4500).
 */
export class Scenario {
  readonly rng: Prng;
  /** Every frame written, in order. */
  readonly frames: FrameRecord[] = [];
  /** Every IPv6 packet sent through an IP-HTTPS link, in order. */
  readonly inner: InnerRecord[] = [];
  /** The IP packet most recently handed to a link (e.g. for an ICMPv6 error to quote). */
  lastSent: Bytes | null = null;
  private labels: string[] = [];
  private readonly baseSeed: number;
  private readonly sink = new MemorySink();
  private readonly w: PcapngWriter;
  private readonly t0: number;
  private readonly gap: number;
  private readonly local: Set<string>;
  /** Microseconds since t0. */
  private us = 0;
  private ipId: number;
  private readonly ifaces: Iface[] = [];

  constructor(o: ScenarioOptions) {
    this.baseSeed = o.seed ?? 2025;
    this.rng = new Prng(this.baseSeed);
    this.t0 = o.t0;
    this.gap = o.gap ?? 150;
    this.local = new Set(o.local.map(key));
    this.ipId = 0x1000 + this.rng.int(0x4000);
    this.w = new PcapngWriter(this.sink.write);
    this.w.section(o.section ?? {});
  }

  /** A seed derived from the scenario's, for a component that needs its own random stream. */
  seed(salt: number): number {
    return (this.baseSeed * 2654435761 + salt) >>> 0;
  }

  // --- capture ---

  /**
   * An interface as etl2pcapng names it ([E2P] main.c): Ethernet "eth:<IfIndex>", raw IP (link type 101)
   * "mbb:<IfIndex>"; "LWF over IfIndex <miniport>" when a filter driver sits on another index.
   */
  interface(kind: 'ethernet' | 'raw', ifIndex: number, miniport = ifIndex): Iface {
    if (this.frames.length > 0) throw new Error('etl2pcapng writes every interface before the first packet');
    const linkType = kind === 'ethernet' ? 1 : 101;
    const name = `${kind === 'ethernet' ? 'eth' : 'mbb'}:${ifIndex}`;
    const id = this.w.interface({ linkType, snaplen: 65535, name, description: miniport !== ifIndex ? `LWF over IfIndex ${miniport}` : undefined });
    const iface = { id, linkType, name };
    this.ifaces.push(iface);
    return iface;
  }

  /** Writes one frame: flags option (direction) then the "PID=… TID=…" comment, in etl2pcapng's order. */
  write(iface: Iface, frame: Bytes, outbound: boolean): void {
    const sec = this.t0 + Math.floor(this.us / 1_000_000);
    const nsec = (this.us % 1_000_000) * 1000;
    this.frames.push({ number: this.frames.length + 1, iface: iface.id, length: frame.length, sec, nsec, outbound, labels: this.activeLabels() });
    const pid = outbound ? 1100 + 4 * (iface.id + 1) : 4;
    const tid = 2000 + 4 * this.rng.int(500);
    const flags = new Uint8Array(4);
    new DataView(flags.buffer).setUint32(0, outbound ? 2 : 1, true);
    this.w.packet({ sec, nsec }, frame, { iface: iface.id, extraOptions: [{ code: 2, value: flags }, { code: 1, value: `PID=${pid} TID=${tid}` }] });
    this.advance(this.gap);
  }

  /** An Interface Statistics Block (pcapng §4.6), as a capture tool writes one when it stops: packets received and dropped. */
  statistics(iface: Iface, received: number, dropped: number): void {
    const sec = this.t0 + Math.floor(this.us / 1_000_000);
    this.w.interfaceStatistics(iface.id, { sec, nsec: (this.us % 1_000_000) * 1000 }, BigInt(received), BigInt(dropped));
  }

  /** Runs `fn` with `name` added to the labels of every frame it writes. */
  label<T>(name: string, fn: () => T): T {
    this.labels.push(name);
    try {
      return fn();
    } finally {
      this.labels.pop();
    }
  }

  /** The same link, labelling every frame it carries (e.g. the carrier of a tunnel). */
  labelled(link: Link, name: string): Link {
    return { mtu: link.mtu, latency: link.latency, carry: (ip, outbound) => this.label(name, () => link.carry(ip, outbound)) };
  }

  /** Frames carrying every one of `labels`. */
  framesWith(...labels: string[]): FrameRecord[] {
    return this.frames.filter((f) => labels.every((l) => f.labels.includes(l)));
  }

  /** IPv6 packets sent through IP-HTTPS under every one of `labels`. */
  innerWith(...labels: string[]): InnerRecord[] {
    return this.inner.filter((p) => labels.every((l) => p.labels.includes(l)));
  }

  /** The labels in force now. */
  activeLabels(): string[] {
    return [...this.labels];
  }

  /** Lets time pass (µs). */
  advance(us: number): void {
    this.us += us;
  }

  /** Lets time pass (ms). */
  wait(ms: number): void {
    this.advance(Math.round(ms * 1000));
  }

  /** The current time as an HTTP date (RFC 9110 §5.6.7). */
  httpDate(): string {
    return new Date(this.t0 * 1000 + Math.floor(this.us / 1000)).toUTCString();
  }

  isLocal(address: string): boolean {
    return this.local.has(key(address));
  }

  /** An IPv4 (DF set, Windows TTL 128) or IPv6 (hop limit 128) packet. */
  ip(src: string, dst: string, nextHeader: number, payload: Bytes, hopLimit = 128): Bytes {
    if (isV6(src)) return ipv6({ src, dst, nextHeader, hopLimit }, payload);
    this.ipId = (this.ipId + 1) & 0xffff;
    return ipv4({ src, dst, protocol: nextHeader, ttl: hopLimit, id: this.ipId, flags: 2 }, payload);
  }

  /** Builds the IP packet and hands it to the link, outbound when the capturing host sends it. */
  send(src: string, dst: string, nextHeader: number, payload: Bytes, via: Link, hopLimit?: number): void {
    const ip = this.ip(src, dst, nextHeader, payload, hopLimit);
    this.lastSent = ip;
    via.carry(ip, this.isLocal(src));
  }

  /** The capture, as pcapng bytes. */
  bytes(): Uint8Array {
    return this.sink.bytes();
  }

  // --- links ---

  ethernetLink(iface: Iface, o: { mac: string; peerMac: string; latency?: number }): Link {
    return new EthernetLink(this, iface, o);
  }

  /** Raw IP (the IP-HTTPS tunnel interface: MTU 1280). */
  rawLink(iface: Iface, o: { mtu?: number; latency?: number } = {}): Link {
    return new RawLink(this, iface, o);
  }

  teredo(over: Link, o: TeredoOptions): TeredoLink {
    return new TeredoLink(this, over, o);
  }

  /** 6to4 (RFC 3056): IPv4 protocol 41 between the client and a relay. */
  sixToFour(over: Link, o: { local: string; remote: string }): Link {
    return new Proto41Link(this, over, o);
  }

  /** ISATAP (RFC 5214): IPv4 protocol 41 between the client and the ISATAP router. */
  isatap(over: Link, o: { local: string; remote: string }): Link {
    return new Proto41Link(this, over, o);
  }

  ipHttps(over: Link, o: IpHttpsOptions): IpHttpsLink {
    return new IpHttpsLink(this, over, o);
  }

  // --- transport ---

  /** A client port from the dynamic range (RFC 6335 §6), from the seed. */
  ephemeralPort(): number {
    return 49152 + this.rng.int(16384);
  }

  /** A TCP connection to drive by hand (open, send, close), e.g. to batch part of it inside IP-HTTPS. */
  tcp(o: TcpConnectionOptions): TcpConnection {
    return new TcpConnection(this, o);
  }

  /** A whole TCP session: handshake, the payloads in order, then FIN (or RST, or left open). */
  tcpSession(o: TcpSessionOptions): TcpConnection {
    const conn = new TcpConnection(this, { client: o.from, server: o.to, sport: o.sport ?? this.ephemeralPort(), dport: o.dport, via: o.via, protect: o.protect });
    conn.open();
    for (const p of o.payloads) {
      if ('c' in p) conn.send(true, p.c);
      else conn.send(false, p.s);
    }
    if ((o.close ?? 'fin') !== 'open') conn.close(o.close === 'rst' ? 'rst' : 'fin');
    return conn;
  }

  /** UDP datagrams between two endpoints, replies after the path's latency. */
  udp(o: SessionOptions & { payloads: Payload[] }): void {
    const sport = o.sport ?? this.ephemeralPort();
    const protect = o.protect ?? clear;
    let last: boolean | null = null;
    for (const p of o.payloads) {
      const fromClient = 'c' in p;
      if (last !== null && last !== fromClient) this.advance(o.via.latency);
      last = fromClient;
      const ep = fromClient ? { src: o.from, dst: o.to } : { src: o.to, dst: o.from };
      const w = protect.wrap(udpDatagram(ep, fromClient ? sport : o.dport, fromClient ? o.dport : sport, 'c' in p ? p.c : p.s), Proto.UDP, fromClient, ep);
      this.send(ep.src, ep.dst, w.nextHeader, w.payload, o.via);
    }
  }

  icmpv6(o: { from: string; to: string; type: number; code?: number; body: Bytes; via: Link; hopLimit?: number }): void {
    const ep = { src: o.from, dst: o.to };
    this.send(o.from, o.to, Proto.ICMPv6, icmpv6(ep, o.type, o.code ?? 0, o.body), o.via, o.hopLimit);
  }

  // --- stories ---

  /**
   * A name lookup answered (RFC 1035 DNS to port 53; RFC 4795 LLMNR: query to ff02::1:3 / 224.0.0.252, unicast
   * answer; RFC 6762 mDNS: query and answer to ff02::fb / 224.0.0.251 from port 5353). DNS and LLMNR ask once per record type.
   */
  nameLookup(o: { protocol: 'dns' | 'llmnr' | 'mdns'; client: string; responder: string; via: Link; name: string; a?: string[]; aaaa?: string[]; ttl?: number }): void {
    const types = (['A', 'AAAA'] as const).filter((t) => (t === 'A' ? o.a : o.aaaa) !== undefined);
    const answersOf = (type: 'A' | 'AAAA'): DnsAnswer[] => (type === 'A' ? o.a : o.aaaa)!.map((address) => ({ name: o.name, type, address, ttl: o.ttl }));
    const v6 = isV6(o.client);
    if (o.protocol === 'mdns') {
      // One query for both types, one multicast answer (RFC 6762 §5.3, §6).
      const group = v6 ? 'ff02::fb' : '224.0.0.251';
      const query = dnsMessage({ id: 0, flags: 0, questions: types.map((t) => ({ name: o.name, type: DnsType[t] })) });
      this.send(o.client, group, Proto.UDP, udpDatagram({ src: o.client, dst: group }, 5353, 5353, query), o.via, 255);
      this.advance(o.via.latency);
      const ep = { src: o.responder, dst: group };
      const answers = types.flatMap(answersOf);
      this.send(ep.src, ep.dst, Proto.UDP, udpDatagram(ep, 5353, 5353, dnsMessage({ id: 0, flags: 0x8400, answers, cacheFlush: true })), o.via, 255);
      return;
    }
    for (const type of types) {
      const questions = [{ name: o.name, type: DnsType[type] }];
      const answers = answersOf(type);
      const id = this.rng.int(0x10000);
      if (o.protocol === 'dns') {
        const query = dnsMessage({ id, flags: 0x0100, questions });
        this.udp({ from: o.client, to: o.responder, dport: 53, via: o.via, payloads: [{ c: query }, { s: dnsMessage({ id, flags: 0x8180, questions, answers }) }] });
        continue;
      }
      // LLMNR: a multicast query with TTL / hop limit 1, so it stays on the link (RFC 4795 §2.5), and a unicast answer.
      const sport = this.ephemeralPort();
      const group = v6 ? 'ff02::1:3' : '224.0.0.252';
      this.send(o.client, group, Proto.UDP, udpDatagram({ src: o.client, dst: group }, sport, 5355, dnsMessage({ id, flags: 0, questions })), o.via, 1);
      this.advance(o.via.latency);
      const ep = { src: o.responder, dst: o.client };
      this.send(ep.src, ep.dst, Proto.UDP, udpDatagram(ep, 5355, sport, dnsMessage({ id, flags: 0x8000, questions, answers })), o.via);
    }
  }

  /** An ICMPv6 echo request and its reply (RFC 4443 §4.1–4.2): same identifier, sequence number and data. */
  ping(o: { from: string; to: string; via: Link; bytes?: number }): void {
    const body = concat(u16(1), u16(1 + this.rng.int(1000)), this.rng.bytes(o.bytes ?? 32));
    this.icmpv6({ from: o.from, to: o.to, type: 128, body, via: o.via });
    this.advance(o.via.latency);
    this.icmpv6({ from: o.to, to: o.from, type: 129, body, via: o.via });
  }

  /** Router Solicitation to ff02::2 and the Router Advertisement with the prefix (RFC 4861 §6.3.7, §6.2.6), hop limit 255. */
  routerDiscovery(o: { client: string; router: string; via: Link; prefix: string; length: number; mtu?: number; routerLifetime?: number }): void {
    this.icmpv6({ from: o.client, to: 'ff02::2', type: 133, body: routerSolicitationBody(), via: o.via, hopLimit: 255 });
    this.advance(o.via.latency);
    this.icmpv6({ from: o.router, to: o.client, type: 134, body: routerAdvertisementBody(o), via: o.via, hopLimit: 255 });
  }

  /**
   * Teredo qualification (RFC 4380 §5.2.1) through `server` (a Teredo link to port 3544): an RS from the
   * client's link-local with an authentication indicator, the server's RA with the same nonce, the origin
   * indication (the client's mapped address) and the Teredo prefix 2001:0:<server IPv4>::/64.
   */
  teredoQualification(o: { server: TeredoLink; serverAddress: string; mapped: HostPort }): void {
    const nonce = this.rng.bytes(8);
    const clientLl = 'fe80::8000:ffff:ffff:fffe';
    const serverLl = 'fe80::8000:f227:bec4:2f7c';
    const v4 = ip4(o.serverAddress);
    const prefix = `2001:0:${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}::`;
    this.icmpv6({ from: clientLl, to: 'ff02::2', type: 133, body: routerSolicitationBody(), via: o.server.with({ authNonce: nonce }), hopLimit: 255 });
    this.advance(o.server.latency);
    this.icmpv6({ from: serverLl, to: clientLl, type: 134, body: routerAdvertisementBody({ prefix, length: 64 }),
      via: o.server.with({ authNonce: nonce, origin: o.mapped }), hopLimit: 255 });
  }

  /** A bubble (RFC 4380 §2.8): an IPv6 header, next header 59, no payload. */
  bubble(o: { from: string; to: string; via: Link }): void {
    this.send(o.from, o.to, Proto.NoNext, new Uint8Array(0), o.via, 255);
  }

  /**
   * AuthIP Main Mode with Kerberos between two hosts on UDP 500 (MS-AIPS §4.1), optionally with the parallel IKEv1
   * offer (§3.2.4). Returns the cookies, for a later Quick Mode under the same Main Mode SA.
   */
  authip(o: { initiator: string; responder: string; via: Link; realm: string; spn: string; outcome?: AuthipOutcome; notifyStatus?: number; ikev1Offer?: boolean }): AuthipCookies {
    const ispi = this.rng.bytes(8);
    const rspi = this.rng.bytes(8);
    if (o.ikev1Offer) this.udp({ from: o.initiator, to: o.responder, sport: 500, dport: 500, via: o.via, payloads: [{ c: ikev1MamieOffer(this.rng.bytes(8)) }] });
    const steps = authipMainMode({ ispi, rspi, realm: o.realm, spn: o.spn, outcome: o.outcome ?? 'complete', notifyStatus: o.notifyStatus, rng: new Prng(this.seed(0xa17)) });
    this.ike(o.initiator, o.responder, o.via, steps);
    return { ispi, rspi };
  }

  /** Another AuthIP Quick Mode (0xF4, encrypted) under an earlier Main Mode, e.g. to rekey the ESP SAs (MS-AIPS §3.8). */
  authipQuickMode(o: { initiator: string; responder: string; via: Link; cookies: AuthipCookies }): void {
    const steps = authipQuickMode({ ...o.cookies, messageId: 1 + this.rng.int(0x7fffffff), rng: new Prng(this.seed(0xa18)) });
    this.ike(o.initiator, o.responder, o.via, steps);
  }

  /** IKE_SA_INIT on UDP 500 and IKE_AUTH (on 4500 behind the non-ESP marker when `natT`) (RFC 7296 §1.2, §2.23). */
  ikev2(o: { initiator: string; responder: string; via: Link; natT?: boolean }): void {
    this.ike(o.initiator, o.responder, o.via, ikev2Exchange({ ispi: this.rng.bytes(8), rspi: this.rng.bytes(8), natT: o.natT ?? false, rng: new Prng(this.seed(0x1e2)) }));
  }

  private ike(initiator: string, responder: string, via: Link, steps: IkeStep[]): void {
    let last: boolean | null = null;
    for (const step of steps) {
      if (last !== null) this.advance(last !== step.fromInitiator ? via.latency : 1_000_000);
      last = step.fromInitiator;
      const ep = step.fromInitiator ? { src: initiator, dst: responder } : { src: responder, dst: initiator };
      const port = step.natT ? 4500 : 500;
      const datagram = udpDatagram(ep, port, port, step.natT ? concat(u32(0), step.bytes) : step.bytes);
      this.label(`ike-${port}`, () => this.send(ep.src, ep.dst, Proto.UDP, datagram, via));
    }
  }

  /**
   * A Remote Assistance session (protocols.md §5.4): the expert connects to the novice; X.224 Connection Request
   * with `Cookie: mstshash=` and RDP_NEG_REQ (TLS | Standard RDP Security), Connection Confirm with the selected
   * protocol; then, under TLS, a TLS 1.2 handshake and encrypted records; under Standard RDP Security, MCS
   * Connect Initial / Response (CS_NET naming "remdesk"), Erect Domain, Attach User and the Channel Joins in clear,
   * then the Security Exchange, the encrypted Client Info PDU and encrypted fast-path updates.
   */
  remoteAssistance(o: RemoteAssistanceOptions): TcpConnection {
    const rng = new Prng(this.seed(o.port));
    const selected = o.selected === 'tls' ? RdpProtocol.Tls : RdpProtocol.Rdp;
    const payloads: Payload[] = [
      { c: rdpConnectionRequest(o.cookie ?? 'expert', RdpProtocol.Tls | RdpProtocol.Rdp) },
      { s: rdpConnectionConfirm(selected) },
    ];
    const updates = o.updates ?? 6;
    if (o.selected === 'tls') {
      const tls = new TlsProtection(0xc030, this.seed(o.port + 1));
      // The novice's self-signed RDP certificate names the novice: our client certificate, renamed.
      const novice = withReplacedName(CLIENT_CERT_DER, 'client1.corp', 'client2.corp');
      for (const f of tls12Handshake({ suite: 0xc030, offered: [0xc030, 0xc02f, 0x009d, 0x009c], serverCertificate: novice }, tls, rng)) {
        payloads.push(f.fromClient ? { c: f.bytes } : { s: f.bytes });
      }
      payloads.push({ c: tls.protect(ContentType.ApplicationData, rng.bytes(420), true) }, { s: tls.protect(ContentType.ApplicationData, rng.bytes(310), false) });
      for (let i = 0; i < updates; i++) payloads.push({ s: tls.protect(ContentType.ApplicationData, rng.bytes(200 + rng.int(1000)), false) });
      payloads.push({ c: tls.protect(ContentType.ApplicationData, rng.bytes(60), true) });
    } else {
      const channels = ['remdesk', 'rdpsnd', 'cliprdr'];
      payloads.push(
        { c: mcsConnectInitial({ clientName: 'EXPERT', channels, selected }) },
        { s: mcsConnectResponse({ channels: channels.length, selected, rng }) },
        ...mcsDomainSetup(channels.length).map((f): Payload => (f.fromClient ? { c: f.bytes } : { s: f.bytes })),
        { c: rdpSecurityExchange(rng) },
        { c: rdpEncrypted(rng, 330, true) },
        { s: rdpEncrypted(rng, 180, false, true) },
      );
      for (let i = 0; i < updates; i++) payloads.push({ s: rdpFastPath(rng, 200 + rng.int(1000)) });
      payloads.push({ c: rdpFastPath(rng, 24) });
    }
    return this.tcpSession({ from: o.expert, to: o.novice, dport: o.port, via: o.via, protect: o.protect, payloads, close: o.close });
  }
}

/** Address key for comparisons: IPv6 as its bytes in hex (one text per address), IPv4 as written. */
function key(address: string): string {
  return isV6(address) ? Buffer.from(ip6(address)).toString('hex') : address;
}
