/** Packet builders for tests, fixtures and the benchmark: they compute lengths and checksums. */

export type Bytes = Uint8Array;

export function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u16(v: number): Bytes {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

export function u32(v: number): Bytes {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function u16le(v: number): Bytes {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

export function u32le(v: number): Bytes {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

export function ascii(s: string): Bytes {
  return new TextEncoder().encode(s);
}

/** Bytes from hex text; whitespace and `#` comments are ignored. */
export function fromHex(text: string): Bytes {
  const clean = text.replace(/#.*$/gm, '').replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error('odd number of hex digits');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Parses "a.b.c.d" into 4 bytes. */
export function ip4(text: string): Bytes {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${text}`);
  return Uint8Array.from(parts);
}

/** Parses an IPv6 address (with :: and an optional dotted tail) into 16 bytes. */
export function ip6(text: string): Bytes {
  let head = text;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ip4(dotted[1]!);
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    head = text.slice(0, -dotted[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').filter((x) => x.length > 0).map((x) => parseInt(x, 16)) : []);
  const l = groups(left);
  const r = [...groups(right), ...tail];
  const fill = right === undefined ? [] : new Array(8 - l.length - r.length).fill(0);
  const all = right === undefined ? [...l, ...tail] : [...l, ...fill, ...r];
  if (all.length !== 8) throw new Error(`bad IPv6 ${text}`);
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = (g >>> 8) & 0xff;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function mac(text: string): Bytes {
  return Uint8Array.from(text.split(':').map((x) => parseInt(x, 16)));
}

/** Internet checksum (RFC 1071) over the given parts. */
export function inetChecksum(...parts: Bytes[]): number {
  let sum = 0;
  let odd = false;
  let carry = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (!odd) carry = p[i]! << 8;
      else sum += carry | p[i]!;
      odd = !odd;
    }
  }
  if (odd) sum += carry;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export const EtherType = { IPv4: 0x0800, IPv6: 0x86dd, VLAN: 0x8100, QinQ: 0x88a8, ARP: 0x0806 } as const;
export const Proto = { HopByHop: 0, ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPv6: 41, Routing: 43, Fragment: 44, ESP: 50, AH: 51, ICMPv6: 58, NoNext: 59, DstOpts: 60 } as const;

export function ethernet(dst: string, src: string, etherType: number, payload: Bytes): Bytes {
  return concat(mac(dst), mac(src), u16(etherType), payload);
}

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  ttl?: number;
  id?: number;
  flags?: number;
  fragmentOffset?: number;
  options?: Bytes;
  /** Override the total length field (for malformed packets). */
  totalLength?: number;
}

export function ipv4(o: Ipv4Options, payload: Bytes): Bytes {
  const opts = o.options ?? new Uint8Array(0);
  const ihl = 5 + Math.ceil(opts.length / 4);
  const hdr = new Uint8Array(ihl * 4);
  hdr[0] = 0x40 | ihl;
  const total = o.totalLength ?? hdr.length + payload.length;
  hdr.set(u16(total), 2);
  hdr.set(u16(o.id ?? 0x1234), 4);
  hdr.set(u16(((o.flags ?? 0) << 13) | (o.fragmentOffset ?? 0)), 6);
  hdr[8] = o.ttl ?? 64;
  hdr[9] = o.protocol;
  hdr.set(ip4(o.src), 12);
  hdr.set(ip4(o.dst), 16);
  hdr.set(opts, 20);
  hdr.set(u16(inetChecksum(hdr)), 10);
  return concat(hdr, payload);
}

export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  payloadLength?: number;
}

export function ipv6(o: Ipv6Options, payload: Bytes): Bytes {
  const hdr = new Uint8Array(40);
  const tc = o.trafficClass ?? 0;
  const fl = o.flowLabel ?? 0;
  hdr.set(u32(((6 << 28) | (tc << 20) | fl) >>> 0), 0);
  hdr.set(u16(o.payloadLength ?? payload.length), 4);
  hdr[6] = o.nextHeader;
  hdr[7] = o.hopLimit ?? 64;
  hdr.set(ip6(o.src), 8);
  hdr.set(ip6(o.dst), 24);
  return concat(hdr, payload);
}

/** Pseudo-header for the TCP/UDP/ICMPv6 checksum of an IPv4 or IPv6 packet. */
export function pseudoHeader(src: string, dst: string, protocol: number, length: number): Bytes {
  if (src.includes(':')) return concat(ip6(src), ip6(dst), u32(length), Uint8Array.of(0, 0, 0, protocol));
  return concat(ip4(src), ip4(dst), Uint8Array.of(0, protocol), u16(length));
}

export interface Endpoints {
  src: string;
  dst: string;
}

export function udp(ep: Endpoints, sport: number, dport: number, payload: Bytes): Bytes {
  const seg = concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
  let sum = inetChecksum(pseudoHeader(ep.src, ep.dst, Proto.UDP, seg.length), seg);
  if (sum === 0) sum = 0xffff;
  seg.set(u16(sum), 6);
  return seg;
}

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export interface TcpOptions {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: Bytes;
}

export function tcp(ep: Endpoints, o: TcpOptions, payload: Bytes = new Uint8Array(0)): Bytes {
  const opts = o.options ?? new Uint8Array(0);
  const hlen = 20 + Math.ceil(opts.length / 4) * 4;
  const hdr = new Uint8Array(hlen);
  hdr.set(u16(o.sport), 0);
  hdr.set(u16(o.dport), 2);
  hdr.set(u32(o.seq ?? 0), 4);
  hdr.set(u32(o.ack ?? 0), 8);
  hdr[12] = (hlen / 4) << 4;
  hdr[13] = o.flags;
  hdr.set(u16(o.window ?? 65535), 14);
  hdr.set(opts, 20);
  const seg = concat(hdr, payload);
  seg.set(u16(inetChecksum(pseudoHeader(ep.src, ep.dst, Proto.TCP, seg.length), seg)), 16);
  return seg;
}

export function icmpv6(ep: Endpoints, type: number, code: number, body: Bytes): Bytes {
  const msg = concat(Uint8Array.of(type, code, 0, 0), body);
  msg.set(u16(inetChecksum(pseudoHeader(ep.src, ep.dst, Proto.ICMPv6, msg.length), msg)), 2);
  return msg;
}

/** Neighbor Discovery option (RFC 4861 §4.6): type, length in 8-octet units, `data` zero-padded to a multiple of 8; `units` overrides the length field. */
export function ndOption(type: number, data: Bytes, units?: number): Bytes {
  const size = Math.ceil((2 + data.length) / 8) * 8;
  const out = new Uint8Array(size);
  out[0] = type;
  out[1] = units ?? size / 8;
  out.set(data, 2);
  return out;
}

export interface NdPrefixInformation {
  prefix: string;
  length: number;
  onLink?: boolean;
  autonomous?: boolean;
  validLifetime?: number;
  preferredLifetime?: number;
}

/** Prefix Information option (RFC 4861 §4.6.2): prefix length, L and A flags, valid and preferred lifetimes, reserved, prefix. */
export function ndPrefixInformation(o: NdPrefixInformation): Bytes {
  const flags = (o.onLink ?? true ? 0x80 : 0) | (o.autonomous ?? true ? 0x40 : 0);
  return ndOption(3, concat(Uint8Array.of(o.length, flags), u32(o.validLifetime ?? 86_400), u32(o.preferredLifetime ?? 14_400), u32(0), ip6(o.prefix)));
}

export interface RouterAdvertisementFields {
  curHopLimit?: number;
  /** M, O, … bits (RFC 4861 §4.2, RFC 5175). */
  flags?: number;
  routerLifetime?: number;
  reachableTime?: number;
  retransTimer?: number;
}

/** Router Advertisement (RFC 4861 §4.2) as a whole ICMPv6 message (type 134, checksum computed) with `options` after the 16-byte header. */
export function routerAdvertisement(ep: Endpoints, o: RouterAdvertisementFields, options: Bytes[] = []): Bytes {
  const body = concat(Uint8Array.of(o.curHopLimit ?? 64, o.flags ?? 0), u16(o.routerLifetime ?? 1800), u32(o.reachableTime ?? 0), u32(o.retransTimer ?? 0), ...options);
  return icmpv6(ep, 134, 0, body);
}

/** Neighbor Solicitation (RFC 4861 §4.3): type 135, reserved, target address, options. */
export function neighborSolicitation(ep: Endpoints, target: string, options: Bytes[] = []): Bytes {
  return icmpv6(ep, 135, 0, concat(u32(0), ip6(target), ...options));
}

/** A deterministic pseudo-random byte generator (xorshift32), for reproducible fixtures. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  bytes(n: number): Bytes {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
  int(maxExclusive: number): number {
    return this.next() % maxExclusive;
  }
}

/** An 802.1Q (or 802.1ad with tpid 0x88a8) tag: TCI then the inner EtherType; the outer EtherType is the TPID. */
export function vlanTag(vid: number, innerType: number, pcp = 0): Bytes {
  return concat(u16(((pcp & 7) << 13) | (vid & 0x0fff)), u16(innerType));
}

/** An IEEE 802.3 frame with LLC/SNAP carrying `etherType` (length field instead of an EtherType). */
export function ethernet8023Snap(dst: string, src: string, etherType: number, payload: Bytes): Bytes {
  const llc = concat(Uint8Array.of(0xaa, 0xaa, 0x03, 0, 0, 0), u16(etherType), payload);
  return concat(mac(dst), mac(src), u16(llc.length), llc);
}

/** BSD loopback header: 4-byte address family in the given byte order. */
export function loopback(family: number, payload: Bytes, littleEndian = true): Bytes {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, family, littleEndian);
  return concat(h, payload);
}

/** Linux cooked capture v1 (16 bytes). */
export function sll(protocol: number, payload: Bytes, packetType = 0): Bytes {
  return concat(u16(packetType), u16(1), u16(6), Uint8Array.of(2, 0, 0, 0, 0, 1, 0, 0), u16(protocol), payload);
}

/** Linux cooked capture v2 (20 bytes). */
export function sll2(protocol: number, payload: Bytes, ifindex = 2): Bytes {
  return concat(u16(protocol), u16(0), u32(ifindex), u16(1), Uint8Array.of(0, 6), Uint8Array.of(2, 0, 0, 0, 0, 1, 0, 0), payload);
}

/** IPv6 Hop-by-Hop or Destination Options header padded with PadN to `(lenUnits + 1) * 8` bytes. */
export function ipv6Options(nextHeader: number, lenUnits = 0): Bytes {
  const h = new Uint8Array((lenUnits + 1) * 8);
  h[0] = nextHeader;
  h[1] = lenUnits;
  h[2] = 1; // PadN
  h[3] = h.length - 4;
  return h;
}

/** IPv6 Routing header, type 0 style, with `addresses` 16-byte entries. */
export function ipv6Routing(nextHeader: number, addresses: string[], routingType = 0): Bytes {
  const h = new Uint8Array(8 + 16 * addresses.length);
  h[0] = nextHeader;
  h[1] = addresses.length * 2;
  h[2] = routingType;
  h[3] = addresses.length;
  addresses.forEach((a, i) => h.set(ip6(a), 8 + 16 * i));
  return h;
}

/** IPv6 Fragment header. `offset` is in 8-octet units. */
export function ipv6Fragment(nextHeader: number, offset: number, more: boolean, id: number): Bytes {
  return concat(Uint8Array.of(nextHeader, 0), u16((offset << 3) | (more ? 1 : 0)), u32(id));
}

/** ESP: SPI, sequence, then an opaque body (ciphertext, or a plaintext payload + trailer + ICV). */
export function esp(spi: number, seq: number, body: Bytes): Bytes {
  return concat(u32(spi), u32(seq), body);
}

/**
 * ESP-NULL body (RFC 2410 + RFC 4303 §2.4–2.8): the plaintext payload, padding 1, 2, 3… to a 4-byte
 * boundary, pad length, next header, and an ICV of `icvLen` pseudo-random bytes.
 */
export function espNullBody(payload: Bytes, nextHeader: number, icvLen: number, seed = 1, extraPad = 0): Bytes {
  const padLen = ((4 - ((payload.length + 2) % 4)) % 4) + extraPad;
  const pad = Uint8Array.from({ length: padLen }, (_, i) => i + 1);
  return concat(payload, pad, Uint8Array.of(padLen, nextHeader), new Prng(seed).bytes(icvLen));
}

/** AH with an ICV of `icvLen` bytes (a multiple of 4): header length field = (12 + icv) / 4 − 2. */
export function ah(nextHeader: number, spi: number, seq: number, icvLen: number, payload: Bytes): Bytes {
  const len = (12 + icvLen) / 4 - 2;
  return concat(Uint8Array.of(nextHeader, len, 0, 0), u32(spi), u32(seq), new Prng(spi).bytes(icvLen), payload);
}

/** Teredo origin indicator (RFC 4380 §5.1.1): port and IPv4 obfuscated by XOR. */
export function teredoOrigin(port: number, ipv4: string): Bytes {
  const a = ip4(ipv4).map((x) => x ^ 0xff);
  return concat(Uint8Array.of(0, 0), u16(port ^ 0xffff), a);
}

/** Teredo authentication indicator with the given client id and auth value, nonce and confirmation byte. */
export function teredoAuth(clientId: Bytes, authValue: Bytes, nonce: Bytes = new Uint8Array(8)): Bytes {
  return concat(Uint8Array.of(0, 1, clientId.length, authValue.length), clientId, authValue, nonce, Uint8Array.of(0));
}

/**
 * A Teredo address (RFC 4380 §4): 2001:0000, server IPv4, flags, client port and IPv4 obfuscated.
 */
export function teredoAddress(server: string, clientPort: number, clientIpv4: string, flags = 0x8000): string {
  const s = ip4(server);
  const c = ip4(clientIpv4).map((x) => x ^ 0xff);
  const g = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
  return `2001:0:${g(s[0]!, s[1]!)}:${g(s[2]!, s[3]!)}:${flags.toString(16)}:${(clientPort ^ 0xffff).toString(16)}:${g(c[0]!, c[1]!)}:${g(c[2]!, c[3]!)}`;
}

/** ICMPv4 message with checksum. */
export function icmp(type: number, code: number, rest: Bytes, body: Bytes = new Uint8Array(0)): Bytes {
  const msg = concat(Uint8Array.of(type, code, 0, 0), rest, body);
  msg.set(u16(inetChecksum(msg)), 2);
  return msg;
}

/** ISAKMP header (RFC 2408 §3.1 / MS-AIPS §2.2.1) followed by `payloads` (already encoded). */
export function isakmpHeader(o: { ispi: Bytes; rspi?: Bytes; nextPayload: number; version?: number; exchange: number; flags?: number; messageId?: number }, payloads: Bytes): Bytes {
  return concat(o.ispi, o.rspi ?? new Uint8Array(8), Uint8Array.of(o.nextPayload, o.version ?? 0x10, o.exchange, o.flags ?? 0),
    u32(o.messageId ?? 0), u32(28 + payloads.length), payloads);
}

/** DNS query (RFC 1035 §4.1): header with one question for `name` (dotted), type `qtype`, class IN. */
export function dnsQuery(id: number, name: string, qtype = 1): Bytes {
  const labels = name.split('.').filter((l) => l.length > 0).map((l) => concat(Uint8Array.of(l.length), ascii(l)));
  return concat(u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), ...labels, Uint8Array.of(0), u16(qtype), u16(1));
}

/** A DNS message over TCP (RFC 1035 §4.2.2): its length in two bytes, then the message. */
export function dnsOverTcp(message: Bytes): Bytes {
  return concat(u16(message.length), message);
}

/** TLS record (RFC 8446 §5.1): content type, legacy version, length, fragment. */
export function tlsRecord(contentType: number, version: number, fragment: Bytes): Bytes {
  return concat(Uint8Array.of(contentType), u16(version), u16(fragment.length), fragment);
}

/** TLS handshake message (RFC 8446 §4): type, 24-bit length, body. */
export function tlsHandshake(type: number, body: Bytes): Bytes {
  return concat(Uint8Array.of(type, (body.length >>> 16) & 0xff), u16(body.length & 0xffff), body);
}

/** A minimal TLS 1.2 ClientHello body: random, empty session id, the given suites, null compression, no extensions. */
export function tlsClientHelloBody(random: Bytes, suites: number[] = [0xc02f, 0x002f]): Bytes {
  return concat(u16(0x0303), random, Uint8Array.of(0), u16(suites.length * 2), ...suites.map(u16), Uint8Array.of(1, 0));
}

/** TPKT (RFC 1006 §6): version 3, reserved, length including these 4 bytes, then the X.224 TPDU. */
export function tpkt(tpdu: Bytes): Bytes {
  return concat(Uint8Array.of(3, 0), u16(4 + tpdu.length), tpdu);
}

/** X.224 Connection Request TPDU (ITU-T X.224 §13.3) carrying `userData` (an RDP cookie and negotiation request). */
export function x224ConnectionRequest(userData: Bytes, code = 0xe0): Bytes {
  return concat(Uint8Array.of(6 + userData.length, code, 0, 0, 0, 0, 0), userData);
}

/** X.224 Connection Confirm TPDU (ITU-T X.224 §13.4; MS-RDPBCGR §2.2.1.2): LI, CC, dst-ref 0, src-ref, class 0, then `userData` (RDP_NEG_RSP or RDP_NEG_FAILURE). */
export function x224ConnectionConfirm(userData: Bytes, srcRef = 0x1234): Bytes {
  return concat(Uint8Array.of(6 + userData.length, 0xd0, 0, 0), u16(srcRef), Uint8Array.of(0), userData);
}

/** RDP negotiation types (MS-RDPBCGR §2.2.1.1.1, §2.2.1.2.1, §2.2.1.2.2). */
export const RdpNeg = { Request: 1, Response: 2, Failure: 3 } as const;

/** RDP_NEG_REQ / RDP_NEG_RSP / RDP_NEG_FAILURE: type, flags, length (LE, 8 unless overridden), protocols or failure code (LE). */
export function rdpNegotiation(type: number, flags: number, value: number, length = 8): Bytes {
  return concat(Uint8Array.of(type, flags), u16le(length), u32le(value));
}

/** A DCE/RPC syntax identifier (C706 §12.6.3.1 p_syntax_id_t): interface UUID and version (major in the low 16 bits, minor in the high). */
export interface RpcSyntax {
  uuid: string;
  version: number;
}

/** Transfer syntaxes Windows offers in a bind (MS-RPCE §2.2.4.12, §3.3.1.5.3). */
export const RpcTransfer = {
  NDR: { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2 },
  NDR64: { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', version: 1 },
  /** Bind time feature negotiation (MS-RPCE §3.3.1.5.3): security context multiplexing and keep connection on orphan. */
  BindTimeFeatures: { uuid: '6cb71c2c-9812-4540-0300-000000000000', version: 1 },
} as const;

/** A UUID in DCE wire form: the first three fields in the PDU's byte order, the last eight bytes as written. */
export function rpcUuid(text: string, littleEndian = true): Bytes {
  const h = text.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(h)) throw new Error(`bad UUID ${text}`);
  const d1 = parseInt(h.slice(0, 8), 16);
  const d2 = parseInt(h.slice(8, 12), 16);
  const d3 = parseInt(h.slice(12, 16), 16);
  return concat(littleEndian ? u32le(d1) : u32(d1), littleEndian ? u16le(d2) : u16(d2), littleEndian ? u16le(d3) : u16(d3), fromHex(h.slice(16)));
}

export interface RpcBindOptions {
  /** Presentation context items: an abstract syntax and its transfer syntaxes. */
  contexts: { abstract: RpcSyntax; transfers: RpcSyntax[] }[];
  /** 11 bind (default), 14 alter_context. */
  ptype?: number;
  /** Data representation big-endian (drep[0] = 0x00) instead of little-endian (0x10). */
  bigEndian?: boolean;
  callId?: number;
  /** Overrides n_context_elem (malformed cases). */
  count?: number;
  /** Overrides frag_length (malformed cases). */
  fragLength?: number;
  /** An auth verifier: sec_trailer (auth type, level 6 privacy, no padding, context 0) then these auth_value bytes (C706 §13.2.6.1). */
  authValue?: Bytes;
  /** auth_type of the sec_trailer; default 10, RPC_C_AUTHN_WINNT (NTLM; MS-RPCE §2.2.1.1.7). */
  authType?: number;
}

/**
 * DCE/RPC connection-oriented bind or alter_context PDU (C706 §12.6.3.1, §12.6.4.3): common header (version 5.0,
 * PFC_FIRST_FRAG | PFC_LAST_FRAG, drep, frag_length, auth_length, call_id), max_xmit/recv 5840, assoc_group 0,
 * the context list, then the auth verifier when given.
 */
export function rpcBind(o: RpcBindOptions): Bytes {
  const le = !o.bigEndian;
  const w16 = (v: number): Bytes => (le ? u16le(v) : u16(v));
  const w32 = (v: number): Bytes => (le ? u32le(v) : u32(v));
  const syntax = (s: RpcSyntax): Bytes => concat(rpcUuid(s.uuid, le), w32(s.version));
  const items = o.contexts.map((c, i) => concat(w16(i), Uint8Array.of(c.transfers.length, 0), syntax(c.abstract), ...c.transfers.map(syntax)));
  const body = concat(w16(5840), w16(5840), w32(0), Uint8Array.of(o.count ?? o.contexts.length, 0, 0, 0), ...items);
  const auth = o.authValue === undefined ? new Uint8Array(0) : concat(Uint8Array.of(o.authType ?? 10, 6, 0, 0), w32(0), o.authValue);
  const authLen = o.authValue?.length ?? 0;
  const fragLength = o.fragLength ?? 16 + body.length + auth.length;
  const header = concat(Uint8Array.of(5, 0, o.ptype ?? 11, 0x03, le ? 0x10 : 0x00, 0, 0, 0), w16(fragLength), w16(authLen), w32(o.callId ?? 2));
  return concat(header, body, auth);
}
