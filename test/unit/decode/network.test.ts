/**
 * Network-layer decoders (src/decode/net/*): IPv4 with options and fragments, IPv6 with its extension-header chain,
 * IP tunnels (6to4/ISATAP/6in4, IP-in-IP, 4in6) and their depth cap, ICMPv4 and ICMPv6 with the quoted packet of
 * an error. The four kinds of tests of architecture §7, over Ethernet frames.
 */

import { describe, expect, it } from 'vitest';
import { A, anomalyDef } from '../../../src/anomalies/registry.js';
import { LinkType } from '../../../src/decode/dissect.js';
import { Layer } from '../../../src/decode/layers.js';
import { icmpCode, icmpType, icmpv6Mtu } from '../../../src/decode/net/icmp.js';
import { ipv4Dst, ipv4Protocol, ipv4Src, ipv4Ttl } from '../../../src/decode/net/ipv4.js';
import { ipv6HopLimit, ipv6NextHeader, ipv6SrcAt } from '../../../src/decode/net/ipv6.js';
import { LayerFlag, Status } from '../../../src/decode/status.js';
import { tcpDstPort, tcpSrcPort } from '../../../src/decode/transport/tcp.js';
import { udpDstPort, udpSrcPort } from '../../../src/decode/transport/udp.js';
import {
  ascii, concat, EtherType, ethernet, fromHex, icmp, icmpv6, ip6, ipv4, ipv6, ipv6Fragment, ipv6Options, ipv6Routing, mac, Prng, Proto,
  tcp, TcpFlag, u16, u32, udp,
} from '../../helpers/build.js';
import { decode, layers, type LayerRow } from '../../helpers/decode.js';
import { boundsProblems, fixIpv4Checksum, padTo, patched, range, stopId, sweep } from './sweep.js';

const MAC_A = '02:00:5e:00:00:0a';
const MAC_B = '02:00:5e:00:00:0b';
const V4 = { src: '192.0.2.1', dst: '198.51.100.2' };
const V4R = { src: V4.dst, dst: V4.src };
const V6 = { src: '2001:db8::1', dst: '2001:db8::2' };
const V6R = { src: V6.dst, dst: V6.src };

const eth4 = (ip: Uint8Array): Uint8Array => ethernet(MAC_B, MAC_A, EtherType.IPv4, ip);
const eth6 = (ip: Uint8Array): Uint8Array => ethernet(MAC_B, MAC_A, EtherType.IPv6, ip);

const HELLO = ascii('hello');
/** IPv4/UDP 40000 → 50000 "hello": 20 + 8 + 5 = 33 bytes. */
const IP4 = ipv4({ ...V4, protocol: Proto.UDP }, udp(V4, 40000, 50000, HELLO));
/** IPv6/UDP 40000 → 50000 "hello": 40 + 8 + 5 = 53 bytes. */
const IP6 = ipv6({ ...V6, nextHeader: Proto.UDP }, udp(V6, 40000, 50000, HELLO));
/** The 32 data bytes of a Windows ping. */
const PING = ascii('abcdefghijklmnopqrstuvwabcdefghi');
/** An ICMP echo request of 48 bytes (40 of data), and the ICMPv6 one: split into fragments below. */
const ECHO4_48 = icmp(8, 0, concat(u16(0x0001), u16(0x0042)), concat(PING, ascii('jklmnopq')));
const ECHO6_48 = icmpv6(V6, 128, 0, concat(u16(0x0001), u16(0x0042), PING, ascii('jklmnopq')));
/** A TCP SYN with MSS, NOP, NOP, SACK-permitted (28 bytes) inside IPv4 (48 bytes). */
const SYN4 = ipv4({ ...V4, protocol: Proto.TCP, ttl: 1 },
  tcp(V4, { sport: 49500, dport: 3389, seq: 0x01020304, flags: TcpFlag.SYN, options: Uint8Array.of(2, 4, 5, 0xb4, 1, 1, 4, 2) }));
/** An IPv6 TCP segment with 1400 bytes of data (1460 bytes). */
const BIG6 = ipv6({ ...V6, nextHeader: Proto.TCP }, tcp(V6, { sport: 49500, dport: 443, seq: 7, ack: 9, flags: TcpFlag.ACK | TcpFlag.PSH }, new Uint8Array(1400)));
const LSO_DATA = ascii('x'.repeat(1000));
/** Hop-by-Hop with a Router Alert (MLD) option: next header 58, length 0, RA 0, PadN 0. */
const HBH_RA = fromHex('3a 00 05 02 0000 01 00');

/** Wraps `inner` (an IPv4 or IPv6 packet) in `n` alternating IP-in-IP tunnels: 4in6, 6in4, 4in6, … */
function nest(inner: Uint8Array, n: number): Uint8Array {
  let p = inner;
  for (let i = 0; i < n; i++) p = p[0]! >> 4 === 4 ? ipv6({ ...V6, nextHeader: Proto.IPIP }, p) : ipv4({ ...V4, protocol: Proto.IPv6 }, p);
  return p;
}
const ethIp = (ip: Uint8Array): Uint8Array => (ip[0]! >> 4 === 4 ? eth4(ip) : eth6(ip));

/** Known-good frames (all Ethernet). */
const K = {
  v4opts: eth4(ipv4({ ...V4, protocol: Proto.UDP, options: Uint8Array.of(1, 0x94, 4, 0, 0, 1, 0) }, udp(V4, 40000, 50000, HELLO))),
  v4frag1: eth4(ipv4({ ...V4, protocol: Proto.ICMP, id: 0x4242, flags: 1 }, ECHO4_48.subarray(0, 24))),
  v4frag2: eth4(ipv4({ ...V4, protocol: Proto.ICMP, id: 0x4242, fragmentOffset: 3 }, ECHO4_48.subarray(24))),
  v4lso: eth4(ipv4({ ...V4, protocol: Proto.TCP, totalLength: 0 }, tcp(V4, { sport: 49500, dport: 50000, seq: 1, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH }, LSO_DATA))),
  v6ext: eth6(ipv6({ ...V6, nextHeader: Proto.HopByHop }, concat(
    ipv6Options(Proto.DstOpts), ipv6Options(Proto.Routing, 1), ipv6Routing(Proto.Fragment, ['2001:db8::99'], 2),
    ipv6Fragment(Proto.DstOpts, 0, false, 0x1234), ipv6Options(Proto.UDP), udp(V6, 40000, 50000, HELLO)))),
  v6frag1: eth6(ipv6({ ...V6, nextHeader: Proto.Fragment }, concat(ipv6Fragment(Proto.ICMPv6, 0, true, 0xabcd), ECHO6_48.subarray(0, 24)))),
  v6frag2: eth6(ipv6({ ...V6, nextHeader: Proto.Fragment }, concat(ipv6Fragment(Proto.ICMPv6, 3, false, 0xabcd), ECHO6_48.subarray(24)))),
  v6lso: eth6(ipv6({ ...V6, nextHeader: Proto.TCP, payloadLength: 0 }, tcp(V6, { sport: 49500, dport: 50000, seq: 1, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH }, LSO_DATA))),
  sixToFour: eth4(ipv4({ src: '192.0.2.1', dst: '192.88.99.1', protocol: Proto.IPv6 },
    ipv6({ src: '2002:c000:201::1', dst: '2001:db8::2', nextHeader: Proto.UDP }, udp({ src: '2002:c000:201::1', dst: '2001:db8::2' }, 40000, 50000, HELLO)))),
  isatap: eth4(ipv4({ ...V4, protocol: Proto.IPv6 },
    ipv6({ src: 'fe80::5efe:c000:201', dst: 'fe80::5efe:c633:6402', nextHeader: Proto.UDP }, udp({ src: 'fe80::5efe:c000:201', dst: 'fe80::5efe:c633:6402' }, 40000, 50000, HELLO)))),
  sixIn4: eth4(ipv4({ ...V4, protocol: Proto.IPv6 }, IP6)),
  ipip: eth4(ipv4({ src: '203.0.113.1', dst: '203.0.113.2', protocol: Proto.IPIP }, IP4)),
  fourIn6: eth6(ipv6({ ...V6, nextHeader: Proto.IPIP }, IP4)),
  sixIn6: eth6(ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::2', nextHeader: Proto.IPv6 }, IP6)),
  depth4: ethIp(nest(IP4, 4)),
  echo: eth4(ipv4({ ...V4, protocol: Proto.ICMP }, icmp(8, 0, concat(u16(0x0001), u16(0x0042)), PING))),
  echoReply: eth4(ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(0, 0, concat(u16(0x0001), u16(0x0042)), PING))),
  portUnreach: eth4(ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(3, 3, u32(0), IP4))),
  ttlExceeded: eth4(ipv4({ src: '203.0.113.254', dst: V4.src, protocol: Proto.ICMP }, icmp(11, 0, u32(0), SYN4.subarray(0, 28)))),
  errorInError: eth4(ipv4({ src: '203.0.113.254', dst: V4.dst, protocol: Proto.ICMP },
    icmp(3, 1, u32(0), ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(3, 3, u32(0), IP4))))),
  echo6: eth6(ipv6({ ...V6, nextHeader: Proto.ICMPv6 }, icmpv6(V6, 128, 0, concat(u16(0x0001), u16(0x0042), PING)))),
  ns: ethernet('33:33:ff:00:00:02', MAC_A, EtherType.IPv6, ipv6({ src: V6.src, dst: 'ff02::1:ff00:2', nextHeader: Proto.ICMPv6, hopLimit: 255 },
    icmpv6({ src: V6.src, dst: 'ff02::1:ff00:2' }, 135, 0, concat(u32(0), ip6(V6.dst), Uint8Array.of(1, 1), mac(MAC_A))))),
  mld: ethernet('33:33:00:00:00:16', MAC_A, EtherType.IPv6, ipv6({ src: 'fe80::1', dst: 'ff02::16', nextHeader: Proto.HopByHop, hopLimit: 1 },
    concat(HBH_RA, icmpv6({ src: 'fe80::1', dst: 'ff02::16' }, 143, 0, concat(u16(0), u16(1), Uint8Array.of(4, 0, 0, 0), ip6('ff02::1:ff00:1')))))),
  unreach6: eth6(ipv6({ ...V6R, nextHeader: Proto.ICMPv6 }, icmpv6(V6R, 1, 4, concat(u32(0), IP6)))),
  tooBig: eth6(ipv6({ src: '2001:db8:ffff::1', dst: V6.src, nextHeader: Proto.ICMPv6 },
    icmpv6({ src: '2001:db8:ffff::1', dst: V6.src }, 2, 0, concat(u32(1280), BIG6.subarray(0, 100))))),
};

const row = (kind: number, start: number, hdrEnd: number, end: number, flags = 0): LayerRow => ({ kind, start, hdrEnd, end, flags });
const ETH = (end: number): LayerRow => row(Layer.Ethernet, 0, 14, end);
const T = LayerFlag.Tunnelled;
const Q = LayerFlag.Quoted;
const F = LayerFlag.Fragment;
const TR = LayerFlag.Truncated;

/** Decoded to the end: status Ok, nothing stopped it, and exactly the notes `ids` (default none). */
function expectOk(d: ReturnType<typeof decode>, ids: string[] = []): void {
  expect(d.v.status).toBe(Status.Ok);
  expect(d.v.anomaly).toBe(0);
  expect(d.ids).toEqual(ids);
}

/** Decoding stopped with `status` at layer `layer`, offset `at`, for the anomaly `id` (and no other). */
function expectStop(d: ReturnType<typeof decode>, status: Status, layer: number, at: number, id: string): void {
  expect(d.v.status).toBe(status);
  expect(d.v.stopLayer).toBe(layer);
  expect(d.v.stopAt).toBe(at);
  expect(stopId(d.v)).toBe(id);
  expect(d.ids).toEqual([id]);
}

const id = (code: number): string => anomalyDef(code).id;
const addr6 = (d: ReturnType<typeof decode>, i: number): Uint8Array => d.buf.subarray(ipv6SrcAt(d.v, i), ipv6SrcAt(d.v, i) + 32);

describe('IPv4', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 55 40000 → 50000 Len=5
  it('walks options (NOP, Router Alert, NOP, EOL): IHL 7, payload after the 28-byte header', () => {
    const d = decode(K.v4opts);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(55), row(Layer.Ipv4, 14, 42, 55), row(Layer.Udp, 42, 50, 55)]);
    expect([ipv4Src(d.v, 1), ipv4Dst(d.v, 1), ipv4Protocol(d.v, 1), ipv4Ttl(d.v, 1)]).toEqual([0xc0000201, 0xc6336402, 17, 64]);
    expect([udpSrcPort(d.v, 2), udpDstPort(d.v, 2)]).toEqual([40000, 50000]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 IPv4 58 Fragmented IP protocol (proto=ICMP 1, off=0, ID=4242)
  it('first fragment (MF, offset 0): flagged Fragment, headers decoded further, no checksum note for the partial ICMP', () => {
    const d = decode(K.v4frag1);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(58), row(Layer.Ipv4, 14, 34, 58, F), row(Layer.Icmp, 34, 42, 58)]);
    expect(icmpType(d.v, 2)).toBe(8);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 IPv4 58 Fragmented IP protocol (proto=ICMP 1, off=24, ID=4242)
  it('later fragment (offset 3 × 8): flagged Fragment, its payload is not decoded, status Ok', () => {
    const d = decode(K.v4frag2);
    expectOk(d);
    expect(d.v.stopAt).toBe(-1);
    expect(layers(d.v)).toEqual([ETH(58), row(Layer.Ipv4, 14, 34, 58, F)]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 TCP 1054 49500 → 50000 [PSH, ACK] Seq=1 Ack=1 Win=65535 Len=1000
  it('total length 0 (LSO): length taken from the capture, ipv4.total_length_zero noted, status Ok', () => {
    const d = decode(K.v4lso);
    expectOk(d, [id(A.Ipv4TotalLengthZero)]);
    expect(layers(d.v)).toEqual([ETH(1054), row(Layer.Ipv4, 14, 34, 1054), row(Layer.Tcp, 34, 54, 1054)]);
    expect([tcpSrcPort(d.v, 2), tcpDstPort(d.v, 2)]).toEqual([49500, 50000]);
  });

  it('truncation sweep', () => {
    sweep(K.v4opts, range(50, 55));
    sweep(K.v4frag1, range(42, 58));
    sweep(K.v4frag2, range(34, 58));
    // The LSO note is a fact of the header, not of the cut: it is there as soon as the IPv4 header is.
    sweep(K.v4lso, range(54, 1054), { notes: [{ id: id(A.Ipv4TotalLengthZero), from: 34 }] });
  });

  it('a declared length past the cut flags the layer Truncated, without an anomaly', () => {
    const d = decode(K.v4opts, { capLen: 52 });
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(52), row(Layer.Ipv4, 14, 42, 52, TR), row(Layer.Udp, 42, 50, 52, TR)]);
  });

  it('version not 4 is malformed (ipv4.bad_version)', () => {
    expectStop(decode(patched(K.v4opts, 14, 0x57)), Status.Malformed, Layer.Ipv4, 14, id(A.Ipv4BadVersion));
  });

  it('IHL below 5 is malformed (ipv4.ihl_too_small)', () => {
    for (const b of [0x40, 0x44]) expectStop(decode(fixIpv4Checksum(patched(K.v4opts, 14, b), 14)), Status.Malformed, Layer.Ipv4, 14, id(A.Ipv4IhlTooSmall));
  });

  it('IHL past the end of a whole frame is malformed (ipv4.header_short), not truncated', () => {
    const d = decode(patched(K.v4opts, 14, 0x4f)); // 60-byte header, 41 bytes of packet
    expectStop(d, Status.Malformed, Layer.Ipv4, 14, id(A.Ipv4HeaderShort));
    expect(d.v.count).toBe(1);
  });

  it('total length below IHL × 4 is malformed (ipv4.total_length_too_small)', () => {
    // 27 < 28 (IHL 7): above the 20-byte minimum, so the check must use the IHL.
    for (const total of [1, 19, 27]) {
      const bad = fixIpv4Checksum(patched(patched(K.v4opts, 16, 0), 17, total), 14);
      expectStop(decode(bad), Status.Malformed, Layer.Ipv4, 14, id(A.Ipv4TotalLengthTooSmall));
    }
    // = IHL × 4 is accepted: an empty payload (where the UDP header then does not fit).
    const empty = decode(fixIpv4Checksum(patched(K.v4opts, 17, 28), 14));
    expect(stopId(empty.v)).toBe(id(A.UdpHeaderShort));
    expect(layers(empty.v)).toEqual([ETH(55), row(Layer.Ipv4, 14, 42, 42)]);
  });

  it('total length past the end of a whole frame: ipv4.total_length_exceeds_frame, clamped, flagged Truncated, decoded on', () => {
    const d = decode(fixIpv4Checksum(patched(K.v4opts, 17, 42), 14)); // 41 bytes there
    expectOk(d, [id(A.Ipv4TotalLengthExceedsFrame)]);
    expect(layers(d.v)).toEqual([ETH(55), row(Layer.Ipv4, 14, 42, 55, TR), row(Layer.Udp, 42, 50, 55)]);
  });

  it('a bad header checksum is noted (ipv4.bad_checksum), decoding goes on; checksum 0 (offload) is not noted', () => {
    const d = decode(patched(K.v4opts, 25, K.v4opts[25]! ^ 0x01));
    expectOk(d, [id(A.Ipv4BadChecksum)]);
    expect(d.v.count).toBe(3);
    expectOk(decode(patched(patched(K.v4opts, 24, 0), 25, 0)));
  });

  it('walks options element by element: a bad option length is noted (ipv4.bad_option), decoding goes on', () => {
    const withOptions = (o: number[]): Uint8Array => eth4(ipv4({ ...V4, protocol: Proto.UDP, options: Uint8Array.from(o) }, udp(V4, 40000, 50000, HELLO)));
    for (const o of [
      [0x94, 1, 0, 0], // length below 2
      [0x94, 0, 0, 0], // length 0: would never advance
      [1, 0x94, 8, 0], // runs past the 4 option bytes
      [0x94, 5, 0, 0], // by one byte
      [1, 1, 1, 0x94], // type in the last byte, no room for its length
    ]) {
      const d = decode(withOptions(o));
      expectOk(d, [id(A.Ipv4BadOption)]);
      expect(layers(d.v)).toEqual([ETH(51), row(Layer.Ipv4, 14, 38, 51), row(Layer.Udp, 38, 46, 51)]);
    }
    // Everything after EOL is padding; options that fill the header exactly are fine.
    expectOk(decode(withOptions([0, 0x94, 1, 0])));
    expectOk(decode(withOptions([0x94, 4, 0, 0])));
    expectOk(decode(withOptions([1, 1, 1, 1])));
  });

  it('a protocol it does not follow is unsupported (ipv4.unknown_protocol), at the payload', () => {
    // GRE, and IPv6 extension-header numbers, which are not IPv4 protocols.
    for (const proto of [47, 0, 43, 44, 59, 60, 132]) {
      const d = decode(fixIpv4Checksum(patched(K.v4opts, 23, proto), 14));
      expectStop(d, Status.Unsupported, Layer.Ipv4, 42, id(A.Ipv4UnknownProtocol));
      expect(layers(d.v)).toEqual([ETH(55), row(Layer.Ipv4, 14, 42, 55)]);
    }
  });

  it('clamps to the total length: Ethernet padding and an FCS stay out of the IPv4 payload', () => {
    const padded = concat(padTo(K.v4opts, 60), Uint8Array.of(1, 2, 3, 4));
    for (const fcsLen of [0, 4]) {
      const d = decode(padded, { fcsLen });
      expectOk(d);
      expect(layers(d.v)).toEqual([ETH(fcsLen === 4 ? 60 : 64), row(Layer.Ipv4, 14, 42, 55), row(Layer.Udp, 42, 50, 55)]);
    }
    // Raw IP with trailing bytes.
    const raw = decode(concat(IP4, new Uint8Array(7)), { linkType: LinkType.Raw });
    expectOk(raw);
    expect(layers(raw.v)).toEqual([row(Layer.Ipv4, 0, 20, 33), row(Layer.Udp, 20, 28, 33)]);
  });
});

describe('IPv6 and its extension headers', () => {
  // 1   0.000000  2001:db8::1 → 2001:db8::99 UDP 131 40000 → 50000 Len=5
  it('walks Hop-by-Hop · Destination Options (16 bytes) · Routing (type 2) · Fragment (atomic) · Destination Options · UDP', () => {
    const d = decode(K.v6ext);
    expectOk(d);
    expect(layers(d.v)).toEqual([
      ETH(131), row(Layer.Ipv6, 14, 54, 131), row(Layer.Ipv6HopByHop, 54, 62, 131), row(Layer.Ipv6DstOpts, 62, 78, 131),
      row(Layer.Ipv6Routing, 78, 102, 131), row(Layer.Ipv6Fragment, 102, 110, 131), // offset 0, M 0: not a fragment
      row(Layer.Ipv6DstOpts, 110, 118, 131), row(Layer.Udp, 118, 126, 131),
    ]);
    expect([ipv6NextHeader(d.v, 1), ipv6HopLimit(d.v, 1)]).toEqual([Proto.HopByHop, 64]);
    expect(addr6(d, 1)).toEqual(concat(ip6(V6.src), ip6(V6.dst)));
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  IPv6 86 IPv6 fragment (off=0 more=y ident=0x0000abcd nxt=58)
  it('first fragment (offset 0, M): the Fragment header flagged Fragment, ICMPv6 decoded, its checksum not judged', () => {
    const d = decode(K.v6frag1);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(86), row(Layer.Ipv6, 14, 54, 86), row(Layer.Ipv6Fragment, 54, 62, 86, F), row(Layer.Icmpv6, 62, 70, 86)]);
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  IPv6 86 IPv6 fragment (off=24 more=n ident=0x0000abcd nxt=58)
  it('later fragment (offset 3 × 8): stops after the Fragment header, status Ok', () => {
    const d = decode(K.v6frag2);
    expectOk(d);
    expect(d.v.stopAt).toBe(-1);
    expect(layers(d.v)).toEqual([ETH(86), row(Layer.Ipv6, 14, 54, 86), row(Layer.Ipv6Fragment, 54, 62, 86, F)]);
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  IPv6 1074 [Malformed Packet]
  // (tshark takes payload length 0 literally; da-audit takes the length from the capture, as for IPv4 LSO.)
  it('payload length 0 with a next header (LSO): length from the capture, ipv6.payload_length_zero noted', () => {
    const d = decode(K.v6lso);
    expectOk(d, [id(A.Ipv6PayloadLengthZero)]);
    expect(layers(d.v)).toEqual([ETH(1074), row(Layer.Ipv6, 14, 54, 1074), row(Layer.Tcp, 54, 74, 1074)]);
  });

  it('payload length 0 is not LSO when nothing follows (next header 59, or no bytes)', () => {
    const none = decode(padTo(eth6(ipv6({ ...V6, nextHeader: Proto.NoNext }, new Uint8Array(0))), 60));
    expectOk(none);
    expect(layers(none.v)).toEqual([ETH(60), row(Layer.Ipv6, 14, 54, 54)]);
  });

  it('a jumbogram (payload length 0, Hop-by-Hop with a Jumbo Payload option) is decoded from the capture, without an LSO note', () => {
    const jumbo = fromHex('11 00 c2 04 00 01 00 00'); // next header UDP, Jumbo Payload option (length 65536: what the option says)
    const d = decode(eth6(ipv6({ ...V6, nextHeader: Proto.HopByHop, payloadLength: 0 }, concat(jumbo, udp(V6, 40000, 50000, HELLO)))));
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(75), row(Layer.Ipv6, 14, 54, 75), row(Layer.Ipv6HopByHop, 54, 62, 75), row(Layer.Udp, 62, 70, 75)]);
  });

  it('truncation sweep (inside an extension header: ipv6.extension_header_short, truncated)', () => {
    sweep(K.v6ext, range(126, 131));
    sweep(K.v6frag1, range(70, 86));
    sweep(K.v6frag2, range(62, 86));
    sweep(K.v6lso, range(74, 1074), { notes: [{ id: id(A.Ipv6PayloadLengthZero), from: 55 }] });
    expect(stopId(decode(K.v6ext, { capLen: 60 }).v)).toBe(id(A.Ipv6ExtensionHeaderShort));
    expect(stopId(decode(K.v6ext, { capLen: 55 }).v)).toBe(id(A.Ipv6ExtensionHeaderShort));
  });

  it('version not 6 is malformed (ipv6.bad_version)', () => {
    expectStop(decode(patched(K.v6ext, 14, 0x40)), Status.Malformed, Layer.Ipv6, 14, id(A.Ipv6BadVersion));
  });

  it('a whole frame shorter than the 40-byte header is malformed (ipv6.header_short)', () => {
    expectStop(decode(K.v6ext.subarray(0, 53)), Status.Malformed, Layer.Ipv6, 14, id(A.Ipv6HeaderShort));
  });

  it('payload length past the end of a whole frame: ipv6.payload_length_exceeds_frame, clamped, flagged Truncated, decoded on', () => {
    const d = decode(patched(K.v6ext, 19, 78)); // 77 bytes there
    expectOk(d, [id(A.Ipv6PayloadLengthExceedsFrame)]);
    expect(layers(d.v)[1]).toEqual(row(Layer.Ipv6, 14, 54, 131, TR));
    expect(d.v.count).toBe(8);
  });

  it('payload length past the cut flags the layer Truncated without an anomaly', () => {
    const d = decode(K.v6ext, { capLen: 128 });
    expectOk(d);
    expect(layers(d.v)[1]).toEqual(row(Layer.Ipv6, 14, 54, 128, TR));
  });

  /** IPv6 · Destination Options (8) · UDP "hello": 14 + 40 + 8 + 13 = 75 bytes. */
  const DST = eth6(ipv6({ ...V6, nextHeader: Proto.DstOpts }, concat(ipv6Options(Proto.UDP), udp(V6, 40000, 50000, HELLO))));

  it('an extension header longer than the payload length allows is malformed (ipv6.extension_header_past_end)', () => {
    // The header's own length runs past the payload ((3 + 1) × 8 = 32 > 21 bytes).
    const long = decode(patched(DST, 55, 3));
    expectStop(long, Status.Malformed, Layer.Ipv6DstOpts, 54, id(A.Ipv6ExtensionHeaderPastEnd));
    expect(layers(long.v)).toEqual([ETH(75), row(Layer.Ipv6, 14, 54, 75)]);
    // The payload length ends the chain inside the header: 4 bytes (< 8), and 1 byte (< the 2 that hold the length).
    for (const pl of [4, 1]) {
      const d = decode(patched(DST, 19, pl));
      expectStop(d, Status.Malformed, Layer.Ipv6DstOpts, 54, id(A.Ipv6ExtensionHeaderPastEnd));
      expect(layers(d.v)).toEqual([ETH(75), row(Layer.Ipv6, 14, 54, 54 + pl)]);
      // Still malformed when the snaplen also cut the frame, later: the payload length ended the header, not the capture.
      const cut = decode(patched(DST, 19, pl), { capLen: 70, wireLen: 75 });
      expectStop(cut, Status.Malformed, Layer.Ipv6DstOpts, 54, id(A.Ipv6ExtensionHeaderPastEnd));
    }
  });

  it('eight extension headers are fine; a ninth is a header loop (ipv6.too_many_extension_headers)', () => {
    const chain = (n: number): Uint8Array => {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < n; i++) parts.push(ipv6Options(i === n - 1 ? Proto.UDP : Proto.DstOpts));
      return eth6(ipv6({ ...V6, nextHeader: Proto.DstOpts }, concat(...parts, udp(V6, 40000, 50000, HELLO))));
    };
    const eight = decode(chain(8));
    expectOk(eight);
    expect(eight.v.count).toBe(11);
    expect(eight.v.kind[10]).toBe(Layer.Udp);
    const nine = decode(chain(9));
    expectStop(nine, Status.Malformed, Layer.Ipv6DstOpts, 54 + 8 * 8, id(A.Ipv6TooManyExtensionHeaders));
    expect(nine.v.count).toBe(10);
  });

  it('a Hop-by-Hop header that is not first is noted (ipv6.hop_by_hop_not_first) and decoded on', () => {
    const d = decode(eth6(ipv6({ ...V6, nextHeader: Proto.DstOpts }, concat(ipv6Options(Proto.HopByHop), ipv6Options(Proto.UDP), udp(V6, 40000, 50000, HELLO)))));
    expectOk(d, [id(A.Ipv6HopByHopNotFirst)]);
    expect(layers(d.v)).toEqual([
      ETH(83), row(Layer.Ipv6, 14, 54, 83), row(Layer.Ipv6DstOpts, 54, 62, 83), row(Layer.Ipv6HopByHop, 62, 70, 83), row(Layer.Udp, 70, 78, 83),
    ]);
  });

  it('a next header it does not follow is unsupported (ipv6.unknown_next_header), after the IPv6 header or an extension', () => {
    for (const nh of [135, 253, 47]) {
      const d = decode(patched(DST, 20, nh));
      expectStop(d, Status.Unsupported, Layer.Ipv6, 54, id(A.Ipv6UnknownNextHeader));
      expect(layers(d.v)).toEqual([ETH(75), row(Layer.Ipv6, 14, 54, 75)]);
      const after = decode(patched(DST, 54, nh));
      expectStop(after, Status.Unsupported, Layer.Ipv6, 62, id(A.Ipv6UnknownNextHeader));
      expect(after.v.count).toBe(3);
    }
  });

  it('next header 59 (no next header) ends decoding with status Ok', () => {
    const d = decode(patched(DST, 54, Proto.NoNext));
    expectOk(d);
    expect(d.v.stopAt).toBe(-1);
    expect(layers(d.v)).toEqual([ETH(75), row(Layer.Ipv6, 14, 54, 75), row(Layer.Ipv6DstOpts, 54, 62, 75)]);
  });

  it('clamps to the payload length: padding and an FCS stay out of the extension headers and UDP', () => {
    const short = eth6(ipv6({ ...V6, nextHeader: Proto.DstOpts }, concat(ipv6Options(Proto.UDP), udp(V6, 40000, 50000, new Uint8Array(0))))); // 70
    const d = decode(concat(padTo(short, 72), Uint8Array.of(9, 9, 9, 9)), { fcsLen: 4 });
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(72), row(Layer.Ipv6, 14, 54, 70), row(Layer.Ipv6DstOpts, 54, 62, 70), row(Layer.Udp, 62, 70, 70)]);
  });
});

describe('IP tunnels', () => {
  const ipv6Udp = (at: number, end: number, flags: number): LayerRow[] => [row(Layer.Ipv6, at, at + 40, end, flags), row(Layer.Udp, at + 40, at + 48, end, flags)];

  // 1   0.000000 2002:c000:201::1 → 2001:db8::2  UDP 87 40000 → 50000 Len=5
  it('6to4 (IPv4 protocol 41, 2002::/16 source): the inner layers are flagged Tunnelled', () => {
    const d = decode(K.sixToFour);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(87), row(Layer.Ipv4, 14, 34, 87), ...ipv6Udp(34, 87, T)]);
    expect(ipv4Protocol(d.v, 1)).toBe(41);
    expect(addr6(d, 2).subarray(0, 16)).toEqual(ip6('2002:c000:201::1'));
  });

  // 1   0.000000 fe80::5efe:c000:201 → fe80::5efe:c633:6402 UDP 87 40000 → 50000 Len=5
  it('ISATAP (IPv4 protocol 41, ::5efe:a.b.c.d interface ids)', () => {
    const d = decode(K.isatap);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(87), row(Layer.Ipv4, 14, 34, 87), ...ipv6Udp(34, 87, T)]);
    expect(addr6(d, 2)).toEqual(concat(ip6('fe80::5efe:c000:201'), ip6('fe80::5efe:c633:6402')));
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 87 40000 → 50000 Len=5
  it('6in4 (IPv4 protocol 41, native addresses)', () => {
    const d = decode(K.sixIn4);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(87), row(Layer.Ipv4, 14, 34, 87), ...ipv6Udp(34, 87, T)]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 67 40000 → 50000 Len=5
  it('IPv4-in-IPv4 (protocol 4)', () => {
    const d = decode(K.ipip);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(67), row(Layer.Ipv4, 14, 34, 67), row(Layer.Ipv4, 34, 54, 67, T), row(Layer.Udp, 54, 62, 67, T)]);
    expect([ipv4Src(d.v, 1), ipv4Src(d.v, 2)]).toEqual([0xcb007101, 0xc0000201]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 87 40000 → 50000 Len=5
  it('IPv4-in-IPv6 (4in6, next header 4)', () => {
    const d = decode(K.fourIn6);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(87), row(Layer.Ipv6, 14, 54, 87), row(Layer.Ipv4, 54, 74, 87, T), row(Layer.Udp, 74, 82, 87, T)]);
    expect(ipv6NextHeader(d.v, 1)).toBe(Proto.IPIP);
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 107 40000 → 50000 Len=5
  it('IPv6-in-IPv6 (next header 41)', () => {
    const d = decode(K.sixIn6);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(107), row(Layer.Ipv6, 14, 54, 107), ...ipv6Udp(54, 107, T)]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 167 40000 → 50000 Len=5
  it('four nested tunnels (6in4, 4in6, 6in4, 4in6) are decoded: the cap of 4 is inclusive', () => {
    const d = decode(K.depth4);
    expectOk(d);
    expect(layers(d.v)).toEqual([
      ETH(167), row(Layer.Ipv4, 14, 34, 167), row(Layer.Ipv6, 34, 74, 167, T), row(Layer.Ipv4, 74, 94, 167, T),
      row(Layer.Ipv6, 94, 134, 167, T), row(Layer.Ipv4, 134, 154, 167, T), row(Layer.Udp, 154, 162, 167, T),
    ]);
  });

  it('a fifth nested tunnel is a header loop (tunnel.depth_exceeded), where the fifth inner packet starts', () => {
    const d = decode(ethIp(nest(IP4, 5)));
    expectStop(d, Status.Malformed, Layer.Ipv4, 174, id(A.TunnelDepthExceeded));
    expect(d.v.count).toBe(6);
    const six = decode(ethIp(nest(IP6, 5))); // the same through IPv6-first nesting
    expectStop(six, Status.Malformed, Layer.Ipv6, 14 + 20 + 40 + 20 + 40 + 20, id(A.TunnelDepthExceeded));
    expect(six.v.count).toBe(6);
  });

  it('truncation sweep', () => {
    sweep(K.sixToFour, range(82, 87));
    sweep(K.isatap, range(82, 87));
    sweep(K.sixIn4, range(82, 87));
    sweep(K.ipip, range(62, 67));
    sweep(K.fourIn6, range(82, 87));
    sweep(K.sixIn6, range(102, 107));
    sweep(K.depth4, range(162, 167));
  });

  it('the inner packet is checked like any other: a bad inner version is malformed', () => {
    expectStop(decode(patched(K.sixIn4, 34, 0x40)), Status.Malformed, Layer.Ipv6, 34, id(A.Ipv6BadVersion));
    expectStop(decode(fixIpv4Checksum(patched(K.fourIn6, 54, 0x44), 54)), Status.Malformed, Layer.Ipv4, 54, id(A.Ipv4IhlTooSmall));
  });

  it('a tunnelled packet in the first fragment of the outer datagram runs past it without an anomaly', () => {
    // 6in4 and 4in6, fragmented on the outer path: the fragment holds the inner header and 16 bytes of its ICMP.
    const inner6 = ipv6({ ...V6, nextHeader: Proto.ICMPv6 }, ECHO6_48); // 88 bytes
    const d6 = decode(eth4(ipv4({ ...V4, protocol: Proto.IPv6, flags: 1 }, inner6.subarray(0, 56))));
    expectOk(d6);
    expect(layers(d6.v)).toEqual([ETH(90), row(Layer.Ipv4, 14, 34, 90, F), row(Layer.Ipv6, 34, 74, 90, T | TR), row(Layer.Icmpv6, 74, 82, 90, T)]);
    const inner4 = ipv4({ ...V4, protocol: Proto.ICMP }, ECHO4_48); // 68 bytes
    const d4 = decode(eth6(ipv6({ ...V6, nextHeader: Proto.Fragment }, concat(ipv6Fragment(Proto.IPIP, 0, true, 7), inner4.subarray(0, 40)))));
    expectOk(d4);
    expect(layers(d4.v)).toEqual([
      ETH(102), row(Layer.Ipv6, 14, 54, 102), row(Layer.Ipv6Fragment, 54, 62, 102, F), row(Layer.Ipv4, 62, 82, 102, T | TR), row(Layer.Icmp, 82, 90, 102, T),
    ]);
    // Without the fragment flag the same lengths are a lie, and noted.
    expectOk(decode(eth4(ipv4({ ...V4, protocol: Proto.IPv6 }, inner6.subarray(0, 56)))), [id(A.Ipv6PayloadLengthExceedsFrame)]);
  });

  it('clamps the inner packet to the outer length: an inner length past it is noted, trailing bytes stay out', () => {
    const long = decode(patched(K.sixIn4, 39, 14)); // inner payload length 14 > the 13 the outer IPv4 carries
    expectOk(long, [id(A.Ipv6PayloadLengthExceedsFrame)]);
    expect(layers(long.v)).toEqual([ETH(87), row(Layer.Ipv4, 14, 34, 87), row(Layer.Ipv6, 34, 74, 87, T | TR), row(Layer.Udp, 74, 82, 87, T)]);
    const trailer = decode(concat(K.ipip, new Uint8Array(9)));
    expectOk(trailer);
    expect(layers(trailer.v)).toEqual([ETH(76), row(Layer.Ipv4, 14, 34, 67), row(Layer.Ipv4, 34, 54, 67, T), row(Layer.Udp, 54, 62, 67, T)]);
  });
});

describe('ICMPv4', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 ICMP 74 Echo (ping) request  id=0x0001, seq=66/16896, ttl=64
  it('echo request: an 8-byte header, the data is not a layer', () => {
    const d = decode(K.echo);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(74), row(Layer.Ipv4, 14, 34, 74), row(Layer.Icmp, 34, 42, 74)]);
    expect([icmpType(d.v, 2), icmpCode(d.v, 2)]).toEqual([8, 0]);
  });

  // 1   0.000000 198.51.100.2 → 192.0.2.1    ICMP 74 Echo (ping) reply    id=0x0001, seq=66/16896, ttl=64
  it('echo reply', () => {
    const d = decode(K.echoReply);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(74), row(Layer.Ipv4, 14, 34, 74), row(Layer.Icmp, 34, 42, 74)]);
    expect(icmpType(d.v, 2)).toBe(0);
  });

  // 1   0.000000 198.51.100.2 → 192.0.2.1    ICMP 75 Destination unreachable (Port unreachable)
  it('port unreachable quoting the whole IPv4/UDP datagram: quoted layers flagged Quoted', () => {
    const d = decode(K.portUnreach);
    expectOk(d);
    expect(layers(d.v)).toEqual([
      ETH(75), row(Layer.Ipv4, 14, 34, 75), row(Layer.Icmp, 34, 42, 75), row(Layer.Ipv4, 42, 62, 75, Q), row(Layer.Udp, 62, 70, 75, Q),
    ]);
    expect([icmpType(d.v, 2), icmpCode(d.v, 2)]).toEqual([3, 3]);
    expect([ipv4Src(d.v, 1), ipv4Src(d.v, 3)]).toEqual([0xc6336402, 0xc0000201]);
    expect(udpDstPort(d.v, 4)).toBe(50000);
  });

  // 1   0.000000 203.0.113.254 → 192.0.2.1    ICMP 70 Time-to-live exceeded (Time to live exceeded in transit)
  it('time exceeded quoting IPv4 + 8 bytes of TCP: the cut inside the quote is neither a status nor an anomaly', () => {
    const d = decode(K.ttlExceeded);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(70), row(Layer.Ipv4, 14, 34, 70), row(Layer.Icmp, 34, 42, 70), row(Layer.Ipv4, 42, 62, 70, Q | TR)]);
    expect(d.v.stopLayer).toBe(Layer.Tcp); // how far the quote went
    expect(d.v.stopAt).toBe(62);
    expect(ipv4Ttl(d.v, 3)).toBe(1);
  });

  // 1   0.000000 203.0.113.254 → 198.51.100.2 ICMP 103 Destination unreachable (Host unreachable)
  it('an error quoting an error: the quoted ICMP is decoded, its own quote is not entered', () => {
    const d = decode(K.errorInError);
    expectOk(d);
    expect(d.v.stopAt).toBe(-1);
    expect(layers(d.v)).toEqual([
      ETH(103), row(Layer.Ipv4, 14, 34, 103), row(Layer.Icmp, 34, 42, 103), row(Layer.Ipv4, 42, 62, 103, Q), row(Layer.Icmp, 62, 70, 103, Q),
    ]);
  });

  it('truncation sweep (Ok once the ICMP header is in: the data and the quote may be cut anywhere)', () => {
    sweep(K.echo, range(42, 74));
    sweep(K.echoReply, range(42, 74));
    sweep(K.portUnreach, range(42, 75));
    sweep(K.ttlExceeded, range(42, 70));
    sweep(K.errorInError, range(42, 103));
  });

  it('an ICMP message shorter than 8 bytes in a whole frame is malformed (icmp.header_short)', () => {
    const d = decode(eth4(ipv4({ ...V4, protocol: Proto.ICMP }, Uint8Array.of(8, 0, 0xf7, 0xff, 0, 0, 0))));
    expectStop(d, Status.Malformed, Layer.Icmp, 34, id(A.IcmpHeaderShort));
    // The IPv4 total length ends it, not the capture: malformed also in a frame the snaplen cut further on.
    const short = ipv4({ ...V4, protocol: Proto.ICMP, totalLength: 24 }, icmp(8, 0, u32(0), PING));
    const cut = decode(eth4(short), { capLen: 50, wireLen: 14 + short.length });
    expectStop(cut, Status.Malformed, Layer.Icmp, 34, id(A.IcmpHeaderShort));
  });

  it('a bad checksum is noted (icmp.bad_checksum), decoding goes on', () => {
    const d = decode(patched(K.echo, 37, K.echo[37]! ^ 0x10));
    expectOk(d, [id(A.IcmpBadChecksum)]);
    expect(d.v.count).toBe(3);
    // A data byte counts too.
    expectOk(decode(patched(K.echo, 60, 0)), [id(A.IcmpBadChecksum)]);
    const err = decode(patched(K.portUnreach, 45, K.portUnreach[45]! ^ 0x01)); // a quoted byte (outer checksum covers it)
    expect(err.ids).toContain(id(A.IcmpBadChecksum));
  });

  it('the checksum of a quoted ICMP message is not judged', () => {
    const inner = icmp(3, 3, u32(0), IP4);
    inner[2] ^= 0xff;
    const d = decode(eth4(ipv4({ src: '203.0.113.254', dst: V4.dst, protocol: Proto.ICMP }, icmp(3, 1, u32(0), ipv4({ ...V4R, protocol: Proto.ICMP }, inner)))));
    expectOk(d);
    expect(d.v.count).toBe(5);
  });

  it('a quoted header that is not IPv4 is malformed (ipv4.bad_version): only running out of bytes is normal in a quote', () => {
    const d = decode(eth4(ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(3, 3, u32(0), new Uint8Array(28).fill(0x55)))));
    expectStop(d, Status.Malformed, Layer.Ipv4, 42, id(A.Ipv4BadVersion));
    expect(layers(d.v)).toEqual([ETH(70), row(Layer.Ipv4, 14, 34, 70), row(Layer.Icmp, 34, 42, 70)]);
  });

  it('an error with an empty or short quote is Ok with no anomaly (the quote simply ends)', () => {
    for (const quote of [new Uint8Array(0), IP4.subarray(0, 12)]) {
      const d = decode(eth4(ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(3, 3, u32(0), quote))));
      expectOk(d);
      expect(d.v.stopLayer).toBe(Layer.Ipv4);
      expect(d.v.stopAt).toBe(42);
      expect(d.v.count).toBe(3);
    }
  });

  it('a quoted IPv4 with total length 0 or past the quote is not noted (it is only the start of a packet)', () => {
    const lso = ipv4({ ...V4, protocol: Proto.UDP, totalLength: 0 }, udp(V4, 40000, 50000, HELLO));
    const d0 = decode(eth4(ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(3, 3, u32(0), lso))));
    expectOk(d0);
    expect(layers(d0.v)[3]).toEqual(row(Layer.Ipv4, 42, 62, 75, Q));
    const big = ipv4({ ...V4, protocol: Proto.UDP, totalLength: 1500 }, udp(V4, 40000, 50000, HELLO));
    const d1 = decode(eth4(ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(3, 3, u32(0), big))));
    expectOk(d1);
    expect(layers(d1.v)[3]).toEqual(row(Layer.Ipv4, 42, 62, 75, Q | TR));
  });

  it('clamps the ICMP message to the IPv4 total length: trailing bytes do not extend the quote', () => {
    // The quote holds only the 20-byte IPv4 header of a 33-byte datagram; 20 trailing bytes follow the frame's IPv4.
    const d = decode(concat(eth4(ipv4({ ...V4R, protocol: Proto.ICMP }, icmp(3, 3, u32(0), IP4.subarray(0, 20)))), new Uint8Array(20)));
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(82), row(Layer.Ipv4, 14, 34, 62), row(Layer.Icmp, 34, 42, 62), row(Layer.Ipv4, 42, 62, 62, Q | TR)]);
  });
});

describe('ICMPv6', () => {
  // 1   0.000000  2001:db8::1 → 2001:db8::2  ICMPv6 94 Echo (ping) request id=0x0001, seq=66, hop limit=64
  it('echo request: an 8-byte header, checksum over the pseudo-header verifies', () => {
    const d = decode(K.echo6);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(94), row(Layer.Ipv6, 14, 54, 94), row(Layer.Icmpv6, 54, 62, 94)]);
    expect([icmpType(d.v, 2), icmpCode(d.v, 2)]).toEqual([128, 0]);
  });

  // 1   0.000000  2001:db8::1 → ff02::1:ff00:2 ICMPv6 86 Neighbor Solicitation for 2001:db8::2 from 02:00:5e:00:00:0a
  it('neighbor solicitation: a 4-byte header (type, code, checksum); the rest is its body', () => {
    const d = decode(K.ns);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(86), row(Layer.Ipv6, 14, 54, 86), row(Layer.Icmpv6, 54, 58, 86)]);
    expect(icmpType(d.v, 2)).toBe(135);
    expect(ipv6HopLimit(d.v, 1)).toBe(255);
  });

  // 1   0.000000      fe80::1 → ff02::16     ICMPv6 90 Multicast Listener Report Message v2
  it('MLDv2 report after a Hop-by-Hop Router Alert: the checksum is judged after the extension header', () => {
    const d = decode(K.mld);
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(90), row(Layer.Ipv6, 14, 54, 90), row(Layer.Ipv6HopByHop, 54, 62, 90), row(Layer.Icmpv6, 62, 66, 90)]);
    expect(icmpType(d.v, 3)).toBe(143);
    expectOk(decode(patched(K.mld, 70, 1)), [id(A.Icmpv6BadChecksum)]);
  });

  // 1   0.000000  2001:db8::2 → 2001:db8::1  ICMPv6 115 Destination Unreachable (Port unreachable)
  it('destination unreachable quoting the whole IPv6/UDP packet: quoted layers flagged Quoted', () => {
    const d = decode(K.unreach6);
    expectOk(d);
    expect(layers(d.v)).toEqual([
      ETH(115), row(Layer.Ipv6, 14, 54, 115), row(Layer.Icmpv6, 54, 62, 115), row(Layer.Ipv6, 62, 102, 115, Q), row(Layer.Udp, 102, 110, 115, Q),
    ]);
    expect([icmpType(d.v, 2), icmpCode(d.v, 2)]).toEqual([1, 4]);
    expect(addr6(d, 3)).toEqual(concat(ip6(V6.src), ip6(V6.dst)));
  });

  // 1   0.000000 2001:db8:ffff::1 → 2001:db8::1  ICMPv6 162 Packet Too Big
  it('packet too big (MTU 1280) quoting the first 100 bytes of a 1460-byte packet: quoted IPv6 Quoted and Truncated, no anomaly', () => {
    const d = decode(K.tooBig);
    expectOk(d);
    expect(layers(d.v)).toEqual([
      ETH(162), row(Layer.Ipv6, 14, 54, 162), row(Layer.Icmpv6, 54, 62, 162), row(Layer.Ipv6, 62, 102, 162, Q | TR), row(Layer.Tcp, 102, 122, 162, Q),
    ]);
    expect(icmpv6Mtu(d.v, 2)).toBe(1280);
    expect(tcpDstPort(d.v, 4)).toBe(443);
  });

  it('truncation sweep (no checksum note for a cut message, also after an extension header or a Fragment header)', () => {
    sweep(K.echo6, range(62, 94));
    sweep(K.ns, range(58, 86));
    sweep(K.mld, range(66, 90));
    sweep(K.unreach6, range(62, 115));
    sweep(K.tooBig, range(62, 162));
  });

  it('shorter than 4 bytes, or than 8 for errors and echo, in a whole frame is malformed (icmpv6.header_short)', () => {
    for (const body of [Uint8Array.of(128), Uint8Array.of(128, 0, 0), Uint8Array.of(128, 0, 0, 0, 0, 0), Uint8Array.of(1, 4, 0, 0, 0, 0, 0)]) {
      const d = decode(eth6(ipv6({ ...V6, nextHeader: Proto.ICMPv6 }, body)));
      expectStop(d, Status.Malformed, Layer.Icmpv6, 54, id(A.Icmpv6HeaderShort));
    }
    // A 4-byte message of a type without the fixed 4-byte body (router solicitation without options) is whole.
    const rs = decode(eth6(ipv6({ ...V6, nextHeader: Proto.ICMPv6 }, icmpv6(V6, 133, 0, new Uint8Array(0)))));
    expectOk(rs);
    expect(layers(rs.v)[2]).toEqual(row(Layer.Icmpv6, 54, 58, 58));
  });

  it('a bad checksum is noted (icmpv6.bad_checksum), decoding goes on; the pseudo-header addresses count', () => {
    expectOk(decode(patched(K.echo6, 57, K.echo6[57]! ^ 0x01)), [id(A.Icmpv6BadChecksum)]);
    expectOk(decode(patched(K.echo6, 93, 0)), [id(A.Icmpv6BadChecksum)]); // last data byte
    expectOk(decode(patched(K.echo6, 37, 0x22)), [id(A.Icmpv6BadChecksum)]); // source address (no IPv6 header checksum)
    expectOk(decode(patched(K.echo6, 53, 0x03)), [id(A.Icmpv6BadChecksum)]); // destination address
  });

  // RFC 8200 §8.1: with a Routing header, the pseudo-header holds the final destination, not the next hop.
  it('the checksum behind a Routing header is taken over the final destination (types 0, 2 and 4), not the next hop', () => {
    const hop = '2001:db8::77';
    const final = V6.dst;
    const routed = (type: number, sumOver: string, segmentsLeft = 1): Uint8Array => {
      const rh = ipv6Routing(Proto.ICMPv6, [final], type);
      rh[3] = segmentsLeft;
      return eth6(ipv6({ src: V6.src, dst: segmentsLeft === 0 ? final : hop, nextHeader: Proto.Routing }, concat(rh, icmpv6({ src: V6.src, dst: sumOver }, 128, 0, PING))));
    };
    for (const type of [0, 2, 4]) {
      expectOk(decode(routed(type, final)));
      expectOk(decode(routed(type, hop)), [id(A.Icmpv6BadChecksum)]);
    }
    // No segments left: the IPv6 destination is already the final one.
    expectOk(decode(routed(0, final, 0)));
    // RPL (type 3) compresses its addresses: the final destination is not read, the checksum not judged.
    expectOk(decode(routed(3, hop)));
  });

  it('a quoted header that is not IPv6 is malformed (ipv6.bad_version)', () => {
    const d = decode(eth6(ipv6({ ...V6R, nextHeader: Proto.ICMPv6 }, icmpv6(V6R, 1, 4, concat(u32(0), IP4, new Uint8Array(8))))));
    expectStop(d, Status.Malformed, Layer.Ipv6, 62, id(A.Ipv6BadVersion));
  });

  it('a quoted IPv6 with payload length 0 is not noted as LSO', () => {
    const lso = ipv6({ ...V6, nextHeader: Proto.UDP, payloadLength: 0 }, udp(V6, 40000, 50000, HELLO));
    const d = decode(eth6(ipv6({ ...V6R, nextHeader: Proto.ICMPv6 }, icmpv6(V6R, 1, 4, concat(u32(0), lso)))));
    expectOk(d);
    expect(layers(d.v).map((r) => r.kind)).toEqual([Layer.Ethernet, Layer.Ipv6, Layer.Icmpv6, Layer.Ipv6, Layer.Udp]);
  });

  it('clamps to the payload length: padding and an FCS stay out of the message (its checksum still verifies)', () => {
    const small = eth6(ipv6({ ...V6, nextHeader: Proto.ICMPv6 }, icmpv6(V6, 128, 0, concat(u16(1), u16(2))))); // 62 bytes
    const d = decode(concat(small, new Uint8Array(6).fill(0xaa), Uint8Array.of(1, 2, 3, 4)), { fcsLen: 4 });
    expectOk(d);
    expect(layers(d.v)).toEqual([ETH(68), row(Layer.Ipv6, 14, 54, 62), row(Layer.Icmpv6, 54, 62, 62)]);
  });
});

describe('property: mutated network-layer frames never throw and stay in bounds', () => {
  it('2000 mutations of each known-good frame (1–4 random bytes changed, sometimes cut)', () => {
    for (const [name, frame] of Object.entries(K)) {
      const rng = new Prng(0xdec0de + frame.length);
      for (let i = 0; i < 2000; i++) {
        const bytes = frame.slice();
        // Mostly the network layer and beyond (the link layer has its own property test).
        for (let m = 1 + rng.int(4); m > 0; m--) bytes[14 + rng.int(bytes.length - 14)] = rng.next() & 0xff;
        const capLen = rng.int(3) === 0 ? rng.int(bytes.length + 1) : bytes.length;
        const dataStart = rng.int(12);
        const { v } = decode(bytes, { capLen, wireLen: bytes.length, dataStart });
        expect(boundsProblems(v, dataStart, dataStart + capLen), `${name} case ${i}`).toEqual([]);
        if (v.status !== Status.Ok) expect(v.anomaly, `${name} case ${i}`).not.toBe(0);
      }
    }
  });

  it('2000 random byte strings after a valid IPv4 or IPv6 header (random protocol / next header)', () => {
    const rng = new Prng(0x1dea);
    for (let i = 0; i < 2000; i++) {
      const body = rng.bytes(rng.int(120));
      const six = rng.int(2) === 0;
      const ip = six ? ipv6({ ...V6, nextHeader: rng.int(256) }, body) : ipv4({ ...V4, protocol: rng.int(256) }, body);
      const frame = six ? eth6(ip) : eth4(ip);
      const capLen = rng.int(4) === 0 ? rng.int(frame.length + 1) : frame.length;
      const { v } = decode(frame, { capLen, wireLen: frame.length });
      expect(boundsProblems(v, 0, capLen), `case ${i}`).toEqual([]);
    }
  });
});

// The ids above come from anomalyDef(code).id; pin them too, since ids are stable forever (registry.ts).
it('the anomaly ids these tests expect are the registry\'s', () => {
  expect([
    A.Ipv4HeaderShort, A.Ipv4BadVersion, A.Ipv4IhlTooSmall, A.Ipv4TotalLengthTooSmall, A.Ipv4TotalLengthExceedsFrame, A.Ipv4BadChecksum,
    A.Ipv4BadOption, A.Ipv4UnknownProtocol, A.Ipv4TotalLengthZero, A.Ipv6HeaderShort, A.Ipv6BadVersion, A.Ipv6PayloadLengthExceedsFrame,
    A.Ipv6ExtensionHeaderShort, A.Ipv6ExtensionHeaderPastEnd, A.Ipv6TooManyExtensionHeaders, A.Ipv6HopByHopNotFirst,
    A.Ipv6UnknownNextHeader, A.Ipv6PayloadLengthZero, A.IcmpHeaderShort, A.Icmpv6HeaderShort, A.IcmpBadChecksum, A.Icmpv6BadChecksum,
    A.TunnelDepthExceeded,
  ].map(id)).toEqual([
    'ipv4.header_short', 'ipv4.bad_version', 'ipv4.ihl_too_small', 'ipv4.total_length_too_small', 'ipv4.total_length_exceeds_frame',
    'ipv4.bad_checksum', 'ipv4.bad_option', 'ipv4.unknown_protocol', 'ipv4.total_length_zero', 'ipv6.header_short', 'ipv6.bad_version',
    'ipv6.payload_length_exceeds_frame', 'ipv6.extension_header_short', 'ipv6.extension_header_past_end', 'ipv6.too_many_extension_headers',
    'ipv6.hop_by_hop_not_first', 'ipv6.unknown_next_header', 'ipv6.payload_length_zero', 'icmp.header_short', 'icmpv6.header_short',
    'icmp.bad_checksum', 'icmpv6.bad_checksum', 'tunnel.depth_exceeded',
  ]);
});
