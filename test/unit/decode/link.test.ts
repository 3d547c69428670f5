/**
 * Link-layer decoders (src/decode/link/*, and the link-type switch of dissect.ts): Ethernet II, 802.3 LLC/SNAP,
 * 802.1Q/802.1ad tags, BSD NULL/LOOP, Linux SLL/SLL2, raw IP. The four kinds of tests of architecture §7.
 */

import { describe, expect, it } from 'vitest';
import { anomalyDef, A } from '../../../src/anomalies/registry.js';
import { LinkType } from '../../../src/decode/dissect.js';
import { Layer } from '../../../src/decode/layers.js';
import { vlanId } from '../../../src/decode/link/ethernet.js';
import { ipv4Dst, ipv4Src } from '../../../src/decode/net/ipv4.js';
import { ipv6NextHeader } from '../../../src/decode/net/ipv6.js';
import { LayerFlag, Status } from '../../../src/decode/status.js';
import { udpDstPort, udpLength, udpSrcPort } from '../../../src/decode/transport/udp.js';
import {
  ascii, concat, EtherType, ethernet, ethernet8023Snap, ipv4, ipv6, loopback, Prng, Proto, sll, sll2, udp, vlanTag,
} from '../../helpers/build.js';
import { decode, layers, type LayerRow } from '../../helpers/decode.js';
import { boundsProblems, padTo, patched, range, stopId, sweep } from './sweep.js';

const MAC_A = '02:00:5e:00:00:0a';
const MAC_B = '02:00:5e:00:00:0b';
const V4 = { src: '192.0.2.1', dst: '198.51.100.2' };
const V6 = { src: '2001:db8::1', dst: '2001:db8::2' };

/** IPv4/UDP 40000 → 50000 "hello": 20 + 8 + 5 = 33 bytes. */
const IP4 = ipv4({ ...V4, protocol: Proto.UDP }, udp(V4, 40000, 50000, ascii('hello')));
/** IPv6/UDP 40000 → 50000 "hello": 40 + 8 + 5 = 53 bytes. */
const IP6 = ipv6({ ...V6, nextHeader: Proto.UDP }, udp(V6, 40000, 50000, ascii('hello')));

const row = (kind: number, start: number, hdrEnd: number, end: number, flags = 0): LayerRow => ({ kind, start, hdrEnd, end, flags });
/** Rows of IPv4/UDP (IP4) at `at`, ending at `at + 33`. */
const ip4Rows = (at: number, flags = 0): LayerRow[] => [row(Layer.Ipv4, at, at + 20, at + 33, flags), row(Layer.Udp, at + 20, at + 28, at + 33, flags)];
/** Rows of IPv6/UDP (IP6) at `at`, ending at `at + 53`. */
const ip6Rows = (at: number, flags = 0): LayerRow[] => [row(Layer.Ipv6, at, at + 40, at + 53, flags), row(Layer.Udp, at + 40, at + 48, at + 53, flags)];

const FCS = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);

/** Known-good frames, each with its link type (and FCS length). */
const K = {
  eth4: { linkType: LinkType.Ethernet, bytes: ethernet(MAC_B, MAC_A, EtherType.IPv4, IP4) },
  eth6: { linkType: LinkType.Ethernet, bytes: ethernet(MAC_B, MAC_A, EtherType.IPv6, IP6) },
  snap: { linkType: LinkType.Ethernet, bytes: ethernet8023Snap(MAC_B, MAC_A, EtherType.IPv4, IP4) },
  dot1q: { linkType: LinkType.Ethernet, bytes: ethernet(MAC_B, MAC_A, EtherType.VLAN, concat(vlanTag(100, EtherType.IPv4, 5), IP4)) },
  qinq: { linkType: LinkType.Ethernet, bytes: ethernet(MAC_B, MAC_A, EtherType.QinQ, concat(vlanTag(10, EtherType.VLAN, 3), vlanTag(20, EtherType.IPv6), IP6)) },
  tags4: {
    linkType: LinkType.Ethernet,
    bytes: ethernet(MAC_B, MAC_A, EtherType.QinQ, concat(vlanTag(1, EtherType.VLAN), vlanTag(2, 0x9100), vlanTag(3, EtherType.VLAN), vlanTag(4095, EtherType.IPv4), IP4)),
  },
  null4le: { linkType: LinkType.Null, bytes: loopback(2, IP4, true) },
  null4be: { linkType: LinkType.Null, bytes: loopback(2, IP4, false) },
  loop4: { linkType: LinkType.Loop, bytes: loopback(2, IP4, false) },
  loop6: { linkType: LinkType.Loop, bytes: loopback(24, IP6, false) },
  sll4: { linkType: LinkType.LinuxSll, bytes: sll(EtherType.IPv4, IP4) },
  sllVlan: { linkType: LinkType.LinuxSll, bytes: sll(EtherType.VLAN, concat(vlanTag(7, EtherType.IPv4), IP4), 4) },
  sll2v6: { linkType: LinkType.LinuxSll2, bytes: sll2(EtherType.IPv6, IP6) },
  raw4: { linkType: LinkType.Raw, bytes: IP4 },
  raw6: { linkType: LinkType.Raw, bytes: IP6 },
  raw12: { linkType: LinkType.RawOpenBsd, bytes: IP4 },
  raw14: { linkType: LinkType.RawBsdOs, bytes: IP6 },
  ipv4lt: { linkType: LinkType.Ipv4, bytes: IP4 },
  ipv6lt: { linkType: LinkType.Ipv6, bytes: IP6 },
  /** Padded to the 60-byte minimum, then a 4-byte FCS. */
  fcs: { linkType: LinkType.Ethernet, bytes: concat(padTo(ethernet(MAC_B, MAC_A, EtherType.IPv4, IP4), 60), FCS), fcsLen: 4 },
} as const;
/** NULL with every IPv6 family, in both byte orders. */
const NULL6_FAMILIES = [10, 23, 24, 28, 30] as const;
const null6 = (family: number, le: boolean) => loopback(family, IP6, le);

type Known = { linkType: number; bytes: Uint8Array; fcsLen?: number };
const run = (k: Known, extra: { capLen?: number; wireLen?: number; fcsLen?: number; dataStart?: number } = {}) =>
  decode(k.bytes, { linkType: k.linkType, ...(k.fcsLen !== undefined ? { fcsLen: k.fcsLen } : {}), ...extra });

/** Decoded to the end: status Ok, nothing stopped it, no anomaly recorded. */
function expectClean(d: ReturnType<typeof decode>): void {
  expect(d.v.status).toBe(Status.Ok);
  expect(d.v.anomaly).toBe(0);
  expect(d.v.stopAt).toBe(-1);
  expect(d.ids).toEqual([]);
}

/** Decoding stopped with `status` at layer `layer`, offset `at`, for exactly the anomaly `id`. */
function expectStop(d: ReturnType<typeof decode>, status: Status, layer: number, at: number, id: string): void {
  expect(d.v.status).toBe(status);
  expect(d.v.stopLayer).toBe(layer);
  expect(d.v.stopAt).toBe(at);
  expect(stopId(d.v)).toBe(id);
  expect(d.ids).toEqual([id]);
}

const id = (code: number): string => anomalyDef(code).id;

describe('Ethernet II', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 47 40000 → 50000 Len=5
  it('decodes Ethernet · IPv4 · UDP', () => {
    const d = run(K.eth4);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 47), ...ip4Rows(14)]);
    expect(ipv4Src(d.v, 1)).toBe(0xc0000201);
    expect(ipv4Dst(d.v, 1)).toBe(0xc6336402);
    expect([udpSrcPort(d.v, 2), udpDstPort(d.v, 2), udpLength(d.v, 2)]).toEqual([40000, 50000, 13]);
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 67 40000 → 50000 Len=5
  it('decodes Ethernet · IPv6 · UDP', () => {
    const d = run(K.eth6);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 67), ...ip6Rows(14)]);
    expect(ipv6NextHeader(d.v, 1)).toBe(Proto.UDP);
  });

  it('keeps offsets absolute in the chunk buffer (frame at dataStart 9)', () => {
    const d = run(K.eth4, { dataStart: 9 });
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 9, 23, 56), ...ip4Rows(23)]);
    expect(ipv4Src(d.v, 1)).toBe(0xc0000201);
  });

  it('truncation sweep: Truncated until the UDP header is complete, then Ok', () => {
    sweep(K.eth4.bytes, range(42, 47));
    sweep(K.eth6.bytes, range(62, 67));
    sweep(K.eth4.bytes, range(42, 47), { dataStart: 9 });
  });

  it('a frame captured whole but shorter than 14 bytes is malformed (eth.header_short)', () => {
    for (const n of [0, 1, 13]) {
      const d = decode(K.eth4.bytes.subarray(0, n));
      expectStop(d, Status.Malformed, Layer.Ethernet, 0, id(A.EthernetHeaderShort));
      expect(d.v.count).toBe(0);
    }
  });

  it('an EtherType it does not follow (ARP) is unsupported: eth.unknown_ethertype after the Ethernet layer', () => {
    const d = decode(patched(K.eth4.bytes, 13, 0x06)); // 0x0806
    expectStop(d, Status.Unsupported, Layer.Ethernet, 14, id(A.EthernetUnknownEtherType));
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 47)]);
  });
});

describe('IEEE 802.3 with LLC/SNAP', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 55 40000 → 50000 Len=5
  it('decodes Ethernet (802.3 length 41) · LLC/SNAP · IPv4 · UDP', () => {
    const d = run(K.snap);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 55), row(Layer.LlcSnap, 14, 22, 55), ...ip4Rows(22)]);
    expect(ipv4Src(d.v, 2)).toBe(0xc0000201);
  });

  it('truncation sweep (an 802.3 length past the cut flags the Ethernet layer Truncated)', () => {
    sweep(K.snap.bytes, range(50, 55));
    for (const n of [14, 30, 54]) {
      const { v } = decode(K.snap.bytes, { capLen: n });
      expect(v.end[0]).toBe(n);
      expect(v.flags[0]).toBe(LayerFlag.Truncated);
    }
  });

  it('LLC without SNAP is unsupported (eth.llc_not_snap), with the 3-byte LLC layer kept', () => {
    const d = decode(patched(K.snap.bytes, 14, 0x42));
    expectStop(d, Status.Unsupported, Layer.LlcSnap, 14, id(A.EthernetLlcNotSnap));
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 55), row(Layer.LlcSnap, 14, 17, 55)]);
    // SSAP and control are checked too.
    expect(stopId(decode(patched(K.snap.bytes, 15, 0x42)).v)).toBe(id(A.EthernetLlcNotSnap));
    expect(stopId(decode(patched(K.snap.bytes, 16, 0xf3)).v)).toBe(id(A.EthernetLlcNotSnap));
  });

  it('an 802.3 length too short for LLC or SNAP is malformed (eth.header_short), not truncated', () => {
    const two = decode(patched(K.snap.bytes, 13, 2));
    expectStop(two, Status.Malformed, Layer.LlcSnap, 14, id(A.EthernetHeaderShort));
    expect(layers(two.v)).toEqual([row(Layer.Ethernet, 0, 14, 16)]);
    const five = decode(patched(K.snap.bytes, 13, 5));
    expectStop(five, Status.Malformed, Layer.LlcSnap, 14, id(A.EthernetHeaderShort));
    expect(layers(five.v)).toEqual([row(Layer.Ethernet, 0, 14, 19)]);
    // The 802.3 length ends LLC, not the capture: malformed also when the snaplen cut the frame further on.
    const cut = decode(patched(K.snap.bytes, 13, 5), { capLen: 30 });
    expectStop(cut, Status.Malformed, Layer.LlcSnap, 14, id(A.EthernetHeaderShort));
  });

  it('an 802.3 length past the end of a whole frame is clamped to the frame and flagged Truncated', () => {
    const d = decode(patched(patched(K.snap.bytes, 12, 0x05), 13, 0xdc)); // 1500
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 55, LayerFlag.Truncated), row(Layer.LlcSnap, 14, 22, 55), ...ip4Rows(22)]);
  });

  it('a SNAP EtherType it does not follow is unsupported (eth.unknown_ethertype)', () => {
    const d = decode(patched(patched(K.snap.bytes, 20, 0x08), 21, 0x06));
    expect(d.v.status).toBe(Status.Unsupported);
    expect(stopId(d.v)).toBe(id(A.EthernetUnknownEtherType));
    expect(d.v.stopAt).toBe(22);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 55), row(Layer.LlcSnap, 14, 22, 55)]);
  });

  it('clamps to the 802.3 length: padding stays out of LLC and IP', () => {
    const ip = ipv4({ ...V4, protocol: Proto.UDP }, udp(V4, 40000, 50000, new Uint8Array(0))); // 28 bytes
    const d = decode(padTo(ethernet8023Snap(MAC_B, MAC_A, EtherType.IPv4, ip), 60)); // 14 + 8 + 28 = 50, padded to 60
    expectClean(d);
    expect(layers(d.v)).toEqual([
      row(Layer.Ethernet, 0, 14, 50), row(Layer.LlcSnap, 14, 22, 50), row(Layer.Ipv4, 22, 42, 50), row(Layer.Udp, 42, 50, 50),
    ]);
  });
});

describe('802.1Q and 802.1ad tags', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 51 40000 → 50000 Len=5
  it('decodes Ethernet · 802.1Q (PCP 5, VID 100) · IPv4 · UDP', () => {
    const d = run(K.dot1q);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 51), row(Layer.Vlan, 14, 18, 51), ...ip4Rows(18)]);
    expect(vlanId(d.v, 1)).toBe(100); // the PCP bits are masked off
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 75 40000 → 50000 Len=5
  it('decodes Ethernet · 802.1ad S-tag (VID 10) · 802.1Q C-tag (VID 20) · IPv6 · UDP', () => {
    const d = run(K.qinq);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 75), row(Layer.QinQ, 14, 18, 75), row(Layer.Vlan, 18, 22, 75), ...ip6Rows(22)]);
    expect([vlanId(d.v, 1), vlanId(d.v, 2)]).toEqual([10, 20]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 63 40000 → 50000 Len=5
  it('decodes 4 stacked tags (0x88a8, 0x8100, 0x9100, 0x8100): the cap is inclusive', () => {
    const d = run(K.tags4);
    expectClean(d);
    expect(layers(d.v)).toEqual([
      row(Layer.Ethernet, 0, 14, 63), row(Layer.QinQ, 14, 18, 63), row(Layer.Vlan, 18, 22, 63), row(Layer.Vlan, 22, 26, 63),
      row(Layer.Vlan, 26, 30, 63), ...ip4Rows(30),
    ]);
    expect([1, 2, 3, 4].map((i) => vlanId(d.v, i))).toEqual([1, 2, 3, 4095]);
  });

  it('truncation sweep', () => {
    sweep(K.dot1q.bytes, range(46, 51));
    sweep(K.qinq.bytes, range(70, 75));
    sweep(K.tags4.bytes, range(58, 63));
  });

  it('a 5th stacked tag is a header loop: malformed, vlan.too_many_tags, at the 5th tag', () => {
    for (const tpid of [EtherType.VLAN, EtherType.QinQ]) {
      const five = ethernet(MAC_B, MAC_A, EtherType.QinQ,
        concat(vlanTag(1, EtherType.VLAN), vlanTag(2, EtherType.VLAN), vlanTag(3, EtherType.VLAN), vlanTag(4, tpid), vlanTag(5, EtherType.IPv4), IP4));
      const d = decode(five);
      expectStop(d, Status.Malformed, tpid === EtherType.QinQ ? Layer.QinQ : Layer.Vlan, 30, id(A.VlanTooManyTags));
      expect(d.v.count).toBe(5);
    }
  });

  it('a whole frame that ends inside a tag is malformed (vlan.header_short)', () => {
    const d = decode(ethernet(MAC_B, MAC_A, EtherType.VLAN, Uint8Array.of(0x00, 0x64, 0x08)));
    expectStop(d, Status.Malformed, Layer.Vlan, 14, id(A.VlanHeaderShort));
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 17)]);
  });

  it('a tag announcing an EtherType it does not follow (LLDP) is unsupported (eth.unknown_ethertype)', () => {
    const d = decode(patched(patched(K.dot1q.bytes, 16, 0x88), 17, 0xcc));
    expect(d.v.status).toBe(Status.Unsupported);
    expect(stopId(d.v)).toBe(id(A.EthernetUnknownEtherType));
    expect(d.v.stopAt).toBe(18);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 51), row(Layer.Vlan, 14, 18, 51)]);
  });
});

describe('BSD loopback: NULL (LINKTYPE 0) and LOOP (LINKTYPE 108)', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 37 40000 → 50000 Len=5
  it('NULL, family 2 little-endian (the writer\'s order)', () => {
    const d = run(K.null4le);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Null, 0, 4, 37), ...ip4Rows(4)]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 37 40000 → 50000 Len=5
  it('NULL, family 2 big-endian (a file moved from another machine)', () => {
    const d = run(K.null4be);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Null, 0, 4, 37), ...ip4Rows(4)]);
  });

  // tshark 4.0 lines for NULL + IPv6 (the same in both byte orders):
  //   family 10 (Linux):    1   0.000000          N/A → N/A          N/A 57 Null/Loopback
  //   family 23 (Windows):  1   0.000000          N/A → N/A          IPX 57 [Malformed Packet]
  //   families 24, 28, 30:  1   0.000000  2001:db8::1 → 2001:db8::2  UDP 57 40000 → 50000 Len=5
  // tshark knows only the BSD values; da-audit also takes 10 and 23 (Npcap's loopback adapter writes 23).
  for (const family of NULL6_FAMILIES) {
    for (const le of [true, false]) {
      it(`NULL, family ${family} ${le ? 'little' : 'big'}-endian → IPv6`, () => {
        const bytes = null6(family, le);
        const d = decode(bytes, { linkType: LinkType.Null });
        expectClean(d);
        expect(layers(d.v)).toEqual([row(Layer.Null, 0, 4, 57), ...ip6Rows(4)]);
        sweep(bytes, range(52, 57), { linkType: LinkType.Null });
      });
    }
  }

  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 37 40000 → 50000 Len=5
  it('LOOP, family 2 in network order', () => {
    const d = run(K.loop4);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Loop, 0, 4, 37), ...ip4Rows(4)]);
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 57 40000 → 50000 Len=5
  it('LOOP, family 24 in network order', () => {
    const d = run(K.loop6);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Loop, 0, 4, 57), ...ip6Rows(4)]);
  });

  it('LOOP also accepts the family in little-endian order', () => {
    const d = decode(loopback(24, IP6, true), { linkType: LinkType.Loop });
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Loop, 0, 4, 57), ...ip6Rows(4)]);
  });

  it('truncation sweep', () => {
    sweep(K.null4le.bytes, range(32, 37), { linkType: LinkType.Null });
    sweep(K.null4be.bytes, range(32, 37), { linkType: LinkType.Null });
    sweep(K.loop4.bytes, range(32, 37), { linkType: LinkType.Loop });
    sweep(K.loop6.bytes, range(52, 57), { linkType: LinkType.Loop });
  });

  it('an unknown family is unsupported (null.unknown_family) in both byte orders, the 4-byte layer kept', () => {
    for (const [linkType, kind] of [[LinkType.Null, Layer.Null], [LinkType.Loop, Layer.Loop]] as const) {
      for (const family of [0, 1, 7, 0x86dd, 0x0200]) {
        for (const le of [true, false]) {
          const d = decode(loopback(family, IP4, le), { linkType });
          expectStop(d, Status.Unsupported, kind, 0, id(A.NullUnknownFamily));
          expect(layers(d.v)).toEqual([row(kind, 0, 4, 37)]);
        }
      }
    }
  });

  it('a whole frame shorter than 4 bytes is malformed (null.header_short)', () => {
    for (const linkType of [LinkType.Null, LinkType.Loop]) {
      const d = decode(Uint8Array.of(2, 0, 0), { linkType });
      expectStop(d, Status.Malformed, linkType === LinkType.Null ? Layer.Null : Layer.Loop, 0, id(A.NullHeaderShort));
    }
  });
});

describe('Linux cooked captures: SLL (113) and SLL2 (276)', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 49 40000 → 50000 Len=5
  it('SLL · IPv4 · UDP', () => {
    const d = run(K.sll4);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Sll, 0, 16, 49), ...ip4Rows(16)]);
  });

  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 53 40000 → 50000 Len=5
  it('SLL (outgoing) · 802.1Q · IPv4 · UDP', () => {
    const d = run(K.sllVlan);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Sll, 0, 16, 53), row(Layer.Vlan, 16, 20, 53), ...ip4Rows(20)]);
    expect(vlanId(d.v, 1)).toBe(7);
  });

  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 73 40000 → 50000 Len=5
  it('SLL2 · IPv6 · UDP', () => {
    const d = run(K.sll2v6);
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Sll2, 0, 20, 73), ...ip6Rows(20)]);
  });

  it('truncation sweep', () => {
    sweep(K.sll4.bytes, range(44, 49), { linkType: LinkType.LinuxSll });
    sweep(K.sllVlan.bytes, range(48, 53), { linkType: LinkType.LinuxSll });
    sweep(K.sll2v6.bytes, range(68, 73), { linkType: LinkType.LinuxSll2 });
  });

  it('a protocol it does not follow is unsupported (sll.unsupported_protocol), the header layer kept', () => {
    const one = decode(sll(0x0806, IP4), { linkType: LinkType.LinuxSll });
    expectStop(one, Status.Unsupported, Layer.Sll, 0, id(A.SllUnsupportedProtocol));
    expect(layers(one.v)).toEqual([row(Layer.Sll, 0, 16, 49)]);
    const two = decode(sll2(0x0806, IP4), { linkType: LinkType.LinuxSll2 });
    expectStop(two, Status.Unsupported, Layer.Sll2, 0, id(A.SllUnsupportedProtocol));
    expect(layers(two.v)).toEqual([row(Layer.Sll2, 0, 20, 53)]);
  });

  it('SLL reads the protocol at offset 14 and SLL2 at offset 0', () => {
    // Patching the other layout's protocol offset changes nothing.
    expectClean(decode(patched(K.sll4.bytes, 0, 0x86), { linkType: LinkType.LinuxSll }));
    expectClean(decode(patched(K.sll2v6.bytes, 14, 0x08), { linkType: LinkType.LinuxSll2 }));
  });

  it('a whole frame shorter than the header is malformed (sll.header_short)', () => {
    expectStop(decode(K.sll4.bytes.subarray(0, 15), { linkType: LinkType.LinuxSll }), Status.Malformed, Layer.Sll, 0, id(A.SllHeaderShort));
    expectStop(decode(K.sll2v6.bytes.subarray(0, 19), { linkType: LinkType.LinuxSll2 }), Status.Malformed, Layer.Sll2, 0, id(A.SllHeaderShort));
  });
});

describe('raw IP link types', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 33 40000 → 50000 Len=5   (LINKTYPE_RAW 101, IPv4)
  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 53 40000 → 50000 Len=5   (LINKTYPE_RAW 101, IPv6)
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 33 40000 → 50000 Len=5   (LINKTYPE 12, IPv4)
  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 53 40000 → 50000 Len=5   (LINKTYPE 14, IPv6)
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 33 40000 → 50000 Len=5   (LINKTYPE_IPV4 228)
  // 1   0.000000  2001:db8::1 → 2001:db8::2  UDP 53 40000 → 50000 Len=5   (LINKTYPE_IPV6 229)
  const cases = [
    ['raw4', K.raw4, 4], ['raw6', K.raw6, 6], ['raw12', K.raw12, 4], ['raw14', K.raw14, 6], ['ipv4lt', K.ipv4lt, 4], ['ipv6lt', K.ipv6lt, 6],
  ] as const;
  for (const [name, k, version] of cases) {
    it(`${name}: link type ${k.linkType} starts at IPv${version}`, () => {
      const d = run(k);
      expectClean(d);
      expect(layers(d.v)).toEqual(version === 4 ? ip4Rows(0) : ip6Rows(0));
      sweep(k.bytes, version === 4 ? range(28, 33) : range(48, 53), { linkType: k.linkType });
    });
  }

  it('101, 12 and 14 tell IPv4 from IPv6 by the version nibble (either on any of them)', () => {
    for (const linkType of [LinkType.Raw, LinkType.RawOpenBsd, LinkType.RawBsdOs]) {
      expect(layers(decode(IP6, { linkType }).v)).toEqual(ip6Rows(0));
      expect(layers(decode(IP4, { linkType }).v)).toEqual(ip4Rows(0));
    }
  });

  it('a version nibble other than 4 or 6 is malformed (raw.bad_ip_version), nothing decoded', () => {
    for (const linkType of [LinkType.Raw, LinkType.RawOpenBsd, LinkType.RawBsdOs]) {
      for (const first of [0x00, 0x15, 0x55, 0x75, 0xf6]) {
        const d = decode(patched(IP4, 0, first), { linkType });
        expectStop(d, Status.Malformed, Layer.None, 0, id(A.RawBadIpVersion));
        expect(d.v.count).toBe(0);
      }
    }
  });

  it('228 and 229 do not sniff: the other version is that header\'s bad_version', () => {
    expectStop(decode(IP6, { linkType: LinkType.Ipv4 }), Status.Malformed, Layer.Ipv4, 0, id(A.Ipv4BadVersion));
    // 40 bytes, so that the IPv6 header fits and its version is what fails.
    expectStop(decode(padTo(IP4, 40), { linkType: LinkType.Ipv6 }), Status.Malformed, Layer.Ipv6, 0, id(A.Ipv6BadVersion));
  });
});

describe('unknown link type', () => {
  it('is unsupported (link.unknown_linktype): counted, not decoded', () => {
    for (const linkType of [9, 105, 127, 147, 65535]) {
      const d = decode(K.eth4.bytes, { linkType });
      expectStop(d, Status.Unsupported, Layer.None, 0, id(A.LinkUnknownLinkType));
      expect(d.v.count).toBe(0);
    }
  });
});

describe('FCS and padding (clamping)', () => {
  // 1   0.000000    192.0.2.1 → 198.51.100.2 UDP 64 40000 → 50000 Len=5
  it('strips a 4-byte FCS when the frame was captured whole (fcsLen 4): Ethernet ends before it', () => {
    const d = run(K.fcs);
    expectClean(d);
    expect(d.v.captureEnd).toBe(60);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 60), ...ip4Rows(14)]);
  });

  it('keeps the last 4 bytes when fcsLen is 0 or unknown (−1); IP and UDP still end at their declared lengths', () => {
    for (const fcsLen of [0, -1]) {
      const d = run(K.fcs, { fcsLen });
      expectClean(d);
      expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 64), ...ip4Rows(14)]);
    }
  });

  it('does not strip an FCS that the snaplen cut off', () => {
    const d = run(K.fcs, { capLen: 62, wireLen: 64 });
    expectClean(d);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 62), ...ip4Rows(14)]);
  });

  it('truncation sweep of the frame with an FCS', () => {
    sweep(K.fcs.bytes, range(42, 64), { linkType: LinkType.Ethernet, fcsLen: 4 });
  });

  it('Ethernet padding stays out of IPv4, IPv6 and UDP', () => {
    const p4 = decode(padTo(K.eth4.bytes, 60));
    expectClean(p4);
    expect(layers(p4.v)).toEqual([row(Layer.Ethernet, 0, 14, 60), ...ip4Rows(14)]);
    const bare6 = ethernet(MAC_B, MAC_A, EtherType.IPv6, ipv6({ ...V6, nextHeader: Proto.NoNext }, new Uint8Array(0)));
    const p6 = decode(padTo(bare6, 60));
    expectClean(p6);
    expect(layers(p6.v)).toEqual([row(Layer.Ethernet, 0, 14, 60), row(Layer.Ipv6, 14, 54, 54)]);
  });

  it('an FCS does not leak into an IPv4 packet whose length comes from the capture (total length 0, LSO)', () => {
    const lso = ipv4({ ...V4, protocol: Proto.UDP, totalLength: 0 }, udp(V4, 40000, 50000, ascii('hello')));
    const d = decode(concat(ethernet(MAC_B, MAC_A, EtherType.IPv4, lso), FCS), { fcsLen: 4 });
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([id(A.Ipv4TotalLengthZero)]);
    expect(layers(d.v)).toEqual([row(Layer.Ethernet, 0, 14, 47), ...ip4Rows(14)]);
  });
});

describe('property: random bytes never throw and stay in bounds', () => {
  const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];

  it('2000 random byte strings per link type', () => {
    for (const linkType of LINK_TYPES) {
      const rng = new Prng(0x5eed0000 + linkType);
      for (let i = 0; i < 2000; i++) {
        const len = rng.int(160);
        const bytes = rng.bytes(len);
        const cut = rng.int(4) === 0;
        const capLen = cut ? rng.int(len + 1) : len;
        const wireLen = cut ? len + rng.int(64) : len;
        const fcsLen = [0, 4, -1][rng.int(3)]!;
        const dataStart = rng.int(12);
        const { v } = decode(bytes, { linkType, capLen, wireLen, fcsLen, dataStart });
        expect(boundsProblems(v, dataStart, dataStart + capLen), `link type ${linkType} case ${i}`).toEqual([]);
        if (v.status !== Status.Ok) expect(v.anomaly, `link type ${linkType} case ${i}`).not.toBe(0);
      }
    }
  });

  it('2000 mutations of each known-good frame (1–4 random bytes changed, sometimes cut)', () => {
    for (const [name, k] of Object.entries(K) as [string, Known][]) {
      const rng = new Prng(0xc0ffee + k.bytes.length);
      for (let i = 0; i < 2000; i++) {
        const bytes = k.bytes.slice();
        for (let m = 1 + rng.int(4); m > 0; m--) bytes[rng.int(bytes.length)] = rng.next() & 0xff;
        const capLen = rng.int(3) === 0 ? rng.int(bytes.length + 1) : bytes.length;
        const dataStart = rng.int(12);
        const { v } = decode(bytes, { linkType: k.linkType, capLen, wireLen: bytes.length, fcsLen: k.fcsLen ?? 0, dataStart });
        expect(boundsProblems(v, dataStart, dataStart + capLen), `${name} case ${i}`).toEqual([]);
        if (v.status !== Status.Ok) expect(v.anomaly, `${name} case ${i}`).not.toBe(0);
      }
    }
  });
});

// The ids above come from anomalyDef(code).id; pin them too, since ids are stable forever (registry.ts).
it('the link-layer anomaly ids are the registry\'s', () => {
  expect([
    A.LinkUnknownLinkType, A.EthernetHeaderShort, A.EthernetLlcNotSnap, A.EthernetUnknownEtherType, A.VlanHeaderShort, A.VlanTooManyTags,
    A.NullHeaderShort, A.NullUnknownFamily, A.SllHeaderShort, A.SllUnsupportedProtocol, A.RawBadIpVersion,
  ].map(id)).toEqual([
    'link.unknown_linktype', 'eth.header_short', 'eth.llc_not_snap', 'eth.unknown_ethertype', 'vlan.header_short', 'vlan.too_many_tags',
    'null.header_short', 'null.unknown_family', 'sll.header_short', 'sll.unsupported_protocol', 'raw.bad_ip_version',
  ]);
});
