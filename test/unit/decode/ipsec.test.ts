/**
 * IPsec decoders (src/decode/ipsec/esp.ts, ah.ts) and the UDP-encapsulation / ISAKMP locating of
 * src/decode/app-locate.ts (RFC 3948 on port 4500, ISAKMP on 500): the four kinds of tests of architecture §7.
 * The tshark lines above known-good frames come from `tshark -o teredo.heuristic_teredo:TRUE -r <file>` on
 * that exact frame written alone to a pcapng (frame number and time columns left out, column padding collapsed).
 */

import { describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../../src/anomalies/recorder.js';
import { allAnomalies, anomalyDef } from '../../../src/anomalies/registry.js';
import { Frame } from '../../../src/capture/frame.js';
import { dissect, LinkType } from '../../../src/decode/dissect.js';
import { ahIcvLength, ahNextHeader, ahSeq, ahSpi } from '../../../src/decode/ipsec/ah.js';
import { espSeq, espSpi } from '../../../src/decode/ipsec/esp.js';
import { Layer, layerName } from '../../../src/decode/layers.js';
import { PacketView } from '../../../src/decode/packet-view.js';
import { LayerFlag, Status } from '../../../src/decode/status.js';
import { tcpDstPort } from '../../../src/decode/transport/tcp.js';
import { udpDstPort } from '../../../src/decode/transport/udp.js';
import {
  ah, ascii, concat, EtherType, ethernet, fromHex, icmpv6, ipv4, ipv6, isakmpHeader, Prng, Proto, esp, tcp, TcpFlag, u16, u32, udp,
} from '../../helpers/build.js';

// ---- Local decode helper (test/helpers/decode.ts did not exist when these tests were started) ----

/** The frame is copied to offset AT of a buffer filled with 0xEE: offsets must be absolute, bytes past the capture are junk. */
const AT = 10;
interface Row { kind: string; start: number; hdrEnd: number; end: number; flags: number }
const row = (kind: string, start: number, hdrEnd: number, end: number, flags = 0): Row => ({ kind, start, hdrEnd, end, flags });
const KIND_OF = new Map(allAnomalies().map((d) => [d.id, d.kind]));

function decode(bytes: Uint8Array, o: { capLen?: number; wireLen?: number; fcsLen?: number } = {}) {
  const capLen = o.capLen ?? bytes.length;
  const buf = new Uint8Array(AT + capLen + 8).fill(0xee);
  buf.set(bytes.subarray(0, capLen), AT);
  const f = new Frame();
  f.number = 1;
  f.linkType = LinkType.Ethernet;
  f.dataStart = AT;
  f.capLen = capLen;
  f.wireLen = o.wireLen ?? bytes.length;
  f.fcsLen = o.fcsLen ?? 0;
  const recorder = new AnomalyRecorder();
  const v = new PacketView(recorder);
  dissect(v, f, buf);
  const rows: Row[] = Array.from({ length: v.count }, (_, i) => row(layerName(v.kind[i]!), v.start[i]! - AT, v.hdrEnd[i]! - AT, v.end[i]! - AT, v.flags[i]!));
  return { v, rows, kinds: rows.map((r) => r.kind), ids: recorder.list().map((a) => a.def.id), stop: v.anomaly === 0 ? '' : anomalyDef(v.anomaly).id };
}

/**
 * Truncation sweep: every prefix 0..n−1 as a snaplen cut. The status is Ok exactly where `ok(prefix)` and
 * Truncated elsewhere; nothing throws; every layer lies inside the prefix; the layers are a prefix of the whole
 * frame's; only truncated-kind anomalies; a Truncated cut records just its stop anomaly, and an Ok cut shows
 * the cut with a TRUNCATED layer.
 */
function sweep(frame: Uint8Array, ok: (prefix: number) => boolean): void {
  const whole = decode(frame);
  expect(whole.v.status).toBe(Status.Ok);
  for (let n = 0; n < frame.length; n++) {
    const d = decode(frame, { capLen: n, wireLen: frame.length });
    const at = `prefix ${n}/${frame.length}`;
    expect(d.v.status, `${at} [${d.ids}]`).toBe(ok(n) ? Status.Ok : Status.Truncated);
    for (const r of d.rows) expect(r.start <= r.hdrEnd && r.hdrEnd <= r.end && r.end <= n, `${at}: ${JSON.stringify(r)}`).toBe(true);
    expect(d.kinds, at).toEqual(whole.kinds.slice(0, d.kinds.length));
    expect(d.ids.filter((id) => KIND_OF.get(id) !== 'truncated'), at).toEqual([]);
    if (d.v.status === Status.Ok) expect(d.rows.some((r) => (r.flags & LayerFlag.Truncated) !== 0), at).toBe(true);
    else expect(d.ids, at).toEqual([d.stop]);
  }
}

function patched(bytes: Uint8Array, at: number, ...values: number[]): Uint8Array {
  const out = bytes.slice();
  out.set(values, at);
  return out;
}

// ---- Frames ----

const MAC_C = '00:15:5d:01:02:03';
const MAC_S = '00:15:5d:0a:0b:0c';
const V4 = { src: '192.0.2.10', dst: '198.51.100.20' };
const V6 = { src: '2001:db8:1::10', dst: '2001:db8:2::20' };
const eth4 = (ip: Uint8Array) => ethernet(MAC_S, MAC_C, EtherType.IPv4, ip);
const eth6 = (ip: Uint8Array) => ethernet(MAC_S, MAC_C, EtherType.IPv6, ip);
const over4 = (protocol: number, payload: Uint8Array) => eth4(ipv4({ ...V4, protocol }, payload));
const over6 = (nextHeader: number, payload: Uint8Array) => eth6(ipv6({ ...V6, nextHeader }, payload));
const udp4 = (sport: number, dport: number, payload: Uint8Array) => over4(Proto.UDP, udp(V4, sport, dport, payload));

const SPI = 0x8c2d3e4f;
const ESP4 = over4(Proto.ESP, esp(SPI, 7, new Prng(7).bytes(48)));
const ESP6 = over6(Proto.ESP, esp(0x5a3c00f1, 1, new Prng(8).bytes(40)));

/** TPKT + X.224 data TPDU: located on TCP 3389, so decoding visibly went on through AH and TCP. */
const TPKT_DATA = fromHex('0300000b 02f080 01020304');
/** DNS query for example.com A (29 bytes). */
const DNS_QUERY = fromHex('1234 0100 0001 0000 0000 0000 076578616d706c6503636f6d00 0001 0001');
const ECHO6 = icmpv6(V6, 128, 0, concat(u16(0x4242), u16(1), ascii('abcdefgh')));
const tcp6 = tcp(V6, { sport: 50000, dport: 3389, seq: 100, ack: 200, flags: TcpFlag.ACK | TcpFlag.PSH }, TPKT_DATA);
/** HMAC-SHA1-96 (12-byte ICV, 24-byte AH) over TCP; HMAC-SHA256-128 (16-byte ICV, 28-byte AH) over UDP; 12-byte over ICMPv6. */
const AH6_TCP = over6(Proto.AH, ah(Proto.TCP, 0x1001, 3, 12, tcp6));
const AH6_UDP = over6(Proto.AH, ah(Proto.UDP, 0x1002, 4, 16, udp(V6, 50000, 53, DNS_QUERY)));
const AH6_ICMP = over6(Proto.AH, ah(Proto.ICMPv6, 0x1003, 5, 12, ECHO6));
const AH4_TCP = over4(Proto.AH, ah(Proto.TCP, 0x2001, 9, 12, tcp(V4, { sport: 50000, dport: 3389, flags: TcpFlag.ACK | TcpFlag.PSH }, TPKT_DATA)));
/** AH payload length 0: an 8-byte header (next header, length, reserved, SPI), TCP right after it. */
const AH6_LEN0 = over6(Proto.AH, concat(Uint8Array.of(Proto.TCP, 0, 0, 0), u32(0x1004), tcp6));

const IKE_SPI_I = fromHex('0102030405060708');
const IKE_SPI_R = fromHex('1112131415161718');
/** IKEv2 IKE_SA_INIT request with one Nonce payload (type 40, 16 bytes of nonce). */
const IKE_SA_INIT = isakmpHeader({ ispi: IKE_SPI_I, nextPayload: 40, version: 0x20, exchange: 34, flags: 0x08 },
  concat(fromHex('00 00 0014'), new Prng(40).bytes(16)));
/** IKEv2 INFORMATIONAL request with one Encrypted and Authenticated payload (type 46, 32 opaque bytes). */
const IKE_INFO = isakmpHeader({ ispi: IKE_SPI_I, rspi: IKE_SPI_R, nextPayload: 46, version: 0x20, exchange: 37, flags: 0x08, messageId: 2 },
  concat(fromHex('00 00 0024'), new Prng(46).bytes(32)));
const KEEPALIVE = udp4(4500, 4500, Uint8Array.of(0xff));
const IKE_4500 = udp4(4500, 4500, concat(u32(0), IKE_INFO));
const ESP_4500 = udp4(4500, 4500, esp(SPI, 9, new Prng(9).bytes(40)));
const IKE_500 = udp4(500, 500, IKE_SA_INIT);

describe('ESP: known good', () => {
  // 192.0.2.10 → 198.51.100.20 ESP 90 ESP (SPI=0x8c2d3e4f)
  it('ESP over IPv4: SPI, sequence, and the payload from byte 8 to the end of the IP payload', () => {
    const d = decode(ESP4);
    expect(d.rows).toEqual([row('eth', 0, 14, 90), row('ipv4', 14, 34, 90), row('esp', 34, 42, 90)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Esp);
    expect([espSpi(d.v, i), espSeq(d.v, i)]).toEqual([SPI, 7]);
  });

  // 2001:db8:1::10 → 2001:db8:2::20 ESP 102 ESP (SPI=0x5a3c00f1)
  it('ESP over IPv6', () => {
    const d = decode(ESP6);
    expect(d.rows).toEqual([row('eth', 0, 14, 102), row('ipv6', 14, 54, 102), row('esp', 54, 62, 102)]);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Esp);
    expect([espSpi(d.v, i), espSeq(d.v, i)]).toEqual([0x5a3c00f1, 1]);
  });

  // 192.0.2.10 → 198.51.100.20 ESP 58 ESP (SPI=0xfedcba98)
  it('reads an SPI with the top bit set as an unsigned number', () => {
    const d = decode(over4(Proto.ESP, esp(0xfedcba98, 0xfffffffe, new Uint8Array(16))));
    const i = d.v.find(Layer.Esp);
    expect([espSpi(d.v, i), espSeq(d.v, i)]).toEqual([0xfedcba98, 0xfffffffe]);
  });
});

describe('ESP: malformed', () => {
  it('SPI 0 is noted (esp.spi_zero) and the layer is still decoded', () => {
    const d = decode(over4(Proto.ESP, esp(0, 1, new Prng(1).bytes(24))));
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual(['esp.spi_zero']);
    expect(d.rows[2]).toEqual(row('esp', 34, 42, 66));
  });

  it('a non-zero SPI byte anywhere clears the note', () => {
    for (let k = 0; k < 4; k++) expect(decode(patched(over4(Proto.ESP, esp(0, 1, new Uint8Array(8))), 34 + k, 1)).ids).toEqual([]);
  });

  it('fewer than 8 bytes inside the IP total length (whole frame): Malformed, esp.header_short', () => {
    const d = decode(eth4(ipv4({ ...V4, protocol: Proto.ESP, totalLength: 20 + 5 }, esp(SPI, 1, new Uint8Array(8)))));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['esp.header_short']);
    expect(d.kinds).toEqual(['eth', 'ipv4']);
  });
});

describe('ESP: truncation sweep', () => {
  it('ESP/IPv4: Truncated until SPI and sequence are in, then Ok', () => sweep(ESP4, (n) => n >= 42));
  it('ESP/IPv6: Truncated until SPI and sequence are in, then Ok', () => sweep(ESP6, (n) => n >= 62));
});

describe('ESP: clamping', () => {
  it('Ethernet padding and FCS are not ESP payload (the ICV ends with the IP packet)', () => {
    const small = over4(Proto.ESP, esp(SPI, 2, new Prng(2).bytes(12))); // 14 + 20 + 20 = 54
    const d = decode(concat(small, new Uint8Array(6).fill(0x5a), fromHex('01020304')), { fcsLen: 4 });
    expect(d.rows).toEqual([row('eth', 0, 14, 60), row('ipv4', 14, 34, 54), row('esp', 34, 42, 54)]);
  });
});

describe('AH: known good', () => {
  // 2001:db8:1::10 → 2001:db8:2::20 COTP 109 DT TPDU (0) EOT
  it('12-byte ICV protecting TCP over IPv6: TCP and its application are decoded after the 24-byte AH', () => {
    const d = decode(AH6_TCP);
    expect(d.rows).toEqual([
      row('eth', 0, 14, 109), row('ipv6', 14, 54, 109), row('ah', 54, 78, 109), row('tcp', 78, 98, 109), row('tpkt', 98, 98, 109),
    ]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Ah);
    expect([ahNextHeader(d.v, i), ahSpi(d.v, i), ahSeq(d.v, i), ahIcvLength(d.v, i)]).toEqual([Proto.TCP, 0x1001, 3, 12]);
    expect(tcpDstPort(d.v, d.v.find(Layer.Tcp))).toBe(3389);
  });

  // 2001:db8:1::10 → 2001:db8:2::20 DNS 119 Standard query 0x1234 A example.com
  it('16-byte ICV protecting UDP over IPv6: a 28-byte AH, then UDP and DNS', () => {
    const d = decode(AH6_UDP);
    expect(d.rows).toEqual([
      row('eth', 0, 14, 119), row('ipv6', 14, 54, 119), row('ah', 54, 82, 119), row('udp', 82, 90, 119), row('dns', 90, 90, 119),
    ]);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Ah);
    expect([ahNextHeader(d.v, i), ahSpi(d.v, i), ahSeq(d.v, i), ahIcvLength(d.v, i)]).toEqual([Proto.UDP, 0x1002, 4, 16]);
    expect(udpDstPort(d.v, d.v.find(Layer.Udp))).toBe(53);
  });

  // 2001:db8:1::10 → 2001:db8:2::20 ICMPv6 94 Echo (ping) request id=0x4242, seq=1, hop limit=64
  it('12-byte ICV protecting ICMPv6: the checksum verifies over the IPv6 pseudo-header (no note)', () => {
    const d = decode(AH6_ICMP);
    expect(d.rows).toEqual([row('eth', 0, 14, 94), row('ipv6', 14, 54, 94), row('ah', 54, 78, 94), row('icmpv6', 78, 86, 94)]);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Ah);
    expect([ahNextHeader(d.v, i), ahIcvLength(d.v, i)]).toEqual([Proto.ICMPv6, 12]);
  });

  it('a corrupted ICMPv6 checksum after AH is noted (so the check above is real)', () => {
    expect(decode(patched(AH6_ICMP, 78 + 2, AH6_ICMP[78 + 2]! ^ 0x01)).ids).toEqual(['icmpv6.bad_checksum']);
  });

  // 192.0.2.10 → 198.51.100.20 COTP 89 DT TPDU (0) EOT
  it('12-byte ICV protecting TCP over IPv4', () => {
    const d = decode(AH4_TCP);
    expect(d.rows).toEqual([
      row('eth', 0, 14, 89), row('ipv4', 14, 34, 89), row('ah', 34, 58, 89), row('tcp', 58, 78, 89), row('tpkt', 78, 78, 89),
    ]);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Ah);
    expect([ahSpi(d.v, i), ahSeq(d.v, i), ahIcvLength(d.v, i)]).toEqual([0x2001, 9, 12]);
  });

  // 2001:db8:1::10 → 2001:db8:2::20 AH 78 IPv6 no next header
  it('next header 59 (no next header): AH is the last layer, Ok', () => {
    const d = decode(over6(Proto.AH, ah(Proto.NoNext, 0x1005, 1, 12, new Uint8Array(0))));
    expect(d.rows.slice(2)).toEqual([row('ah', 54, 78, 78)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
  });
});

describe('AH: malformed', () => {
  // 2001:db8:1::10 → 2001:db8:2::20 COTP 93 DT TPDU (0) EOT
  it('payload length 0: noted (ah.length_too_small), then followed after 8 bytes as Wireshark does', () => {
    const d = decode(AH6_LEN0);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual(['ah.length_too_small']);
    expect(d.rows.slice(2)).toEqual([row('ah', 54, 62, 93), row('tcp', 62, 82, 93), row('tpkt', 82, 82, 93)]);
    const i = d.v.find(Layer.Ah);
    expect([ahSpi(d.v, i), ahIcvLength(d.v, i)]).toEqual([0x1004, 0]);
  });

  // 2001:db8:1::10 → 2001:db8:2::20 COTP 97 DT TPDU (0) EOT
  it('payload length 1 is a 12-byte AH with no ICV: no note', () => {
    const d = decode(over6(Proto.AH, ah(Proto.TCP, 0x1006, 1, 0, tcp6)));
    expect(d.ids).toEqual([]);
    expect(d.rows[2]).toEqual(row('ah', 54, 66, 109 - 12));
    expect(ahIcvLength(d.v, 2)).toBe(0);
  });

  it('AH longer than its parent (whole frame): Malformed, ah.length_past_end', () => {
    const frame = over6(Proto.AH, ah(Proto.NoNext, 0x1005, 1, 12, new Uint8Array(0)));
    const d = decode(patched(frame, 54 + 1, 10)); // (10 + 2) × 4 = 48 bytes in a 24-byte payload
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['ah.length_past_end']);
    expect(d.kinds).toEqual(['eth', 'ipv6']);
  });

  it('AH longer than a snaplen-cut parent: Truncated, ah.header_short', () => {
    const d = decode(AH6_TCP, { capLen: 70, wireLen: AH6_TCP.length });
    expect(d.v.status).toBe(Status.Truncated);
    expect(d.ids).toEqual(['ah.header_short']);
  });

  it('fewer than 8 bytes inside the IPv6 payload length (whole frame): Malformed, ah.header_short', () => {
    const d = decode(eth6(ipv6({ ...V6, nextHeader: Proto.AH, payloadLength: 6 }, ah(Proto.NoNext, 1, 1, 12, new Uint8Array(0)))));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['ah.header_short']);
    expect(d.kinds).toEqual(['eth', 'ipv6']);
  });
});

describe('AH: truncation sweep', () => {
  it('AH/IPv6 + TCP: Truncated until the TCP header is in, then Ok', () => sweep(AH6_TCP, (n) => n >= 98));
  it('AH/IPv6 + UDP: Truncated until the UDP header is in, then Ok', () => sweep(AH6_UDP, (n) => n >= 90));
  it('AH/IPv4 + TCP: Truncated until the TCP header is in, then Ok', () => sweep(AH4_TCP, (n) => n >= 78));
  // The checksum of a cut message cannot be judged. The TRUNCATED flag sits on the IPv6 layer, not on AH, so
  // ICMPv6 must look past AH to the enclosing IP layer: a check of the layer just before it noted
  // icmpv6.bad_checksum on every cut prefix here.
  it('AH/IPv6 + ICMPv6: Truncated until the ICMPv6 header is in, then Ok, with no checksum note', () =>
    sweep(AH6_ICMP, (n) => n >= 86));
});

describe('AH: clamping', () => {
  it('bytes after the IPv6 payload length do not reach the protected UDP datagram', () => {
    const frame = concat(AH6_UDP, new Uint8Array(12).fill(0xaa));
    const d = decode(frame);
    expect(d.rows.slice(1)).toEqual([row('ipv6', 14, 54, 119), row('ah', 54, 82, 119), row('udp', 82, 90, 119), row('dns', 90, 90, 119)]);
    expect(d.ids).toEqual([]);
  });
});

describe('UDP encapsulation on 4500 and ISAKMP on 500: known good', () => {
  // 192.0.2.10 → 198.51.100.20 UDPENCAP 43 NAT-keepalive
  it('NAT keepalive: one 0xFF byte', () => {
    const d = decode(KEEPALIVE);
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 43), row('udpencap', 42, 43, 43)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
  });

  // 192.0.2.10 → 198.51.100.20 ISAKMP 110 INFORMATIONAL MID=02 Initiator Request
  it('non-ESP marker then ISAKMP: a 4-byte encapsulation header, ISAKMP located after it', () => {
    const d = decode(IKE_4500);
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 110), row('udpencap', 42, 46, 110), row('isakmp', 46, 46, 110)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
  });

  // 192.0.2.10 → 198.51.100.20 ESP 90 ESP (SPI=0x8c2d3e4f)
  it('ESP in UDP: an empty encapsulation header, then ESP from the first payload byte', () => {
    const d = decode(ESP_4500);
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 90), row('udpencap', 42, 42, 90), row('esp', 42, 50, 90)]);
    expect(d.v.status).toBe(Status.Ok);
    const i = d.v.find(Layer.Esp);
    expect([espSpi(d.v, i), espSeq(d.v, i)]).toEqual([SPI, 9]);
  });

  it('port 4500 on either side is enough (a NAT-mapped client port on the other)', () => {
    for (const [s, p] of [[4500, 61000], [61000, 4500]] as const) {
      expect(decode(udp4(s, p, esp(SPI, 9, new Prng(9).bytes(40)))).kinds).toEqual(['eth', 'ipv4', 'udp', 'udpencap', 'esp']);
    }
  });

  // 192.0.2.10 → 198.51.100.20 ISAKMP 90 IKE_SA_INIT MID=00 Initiator Request
  it('ISAKMP on UDP 500 is located without a marker', () => {
    const d = decode(IKE_500);
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 90), row('isakmp', 42, 42, 90)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
  });

  // 192.0.2.10 → 198.51.100.20 ISAKMP 46
  it('the non-ESP marker alone: the encapsulation header and nothing after it', () => {
    const d = decode(udp4(4500, 4500, u32(0)));
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 46), row('udpencap', 42, 46, 46)]);
    expect(d.v.status).toBe(Status.Ok);
  });

  it('an empty datagram on 4500 has no encapsulation layer', () => {
    const d = decode(udp4(4500, 4500, new Uint8Array(0)));
    expect(d.kinds).toEqual(['eth', 'ipv4', 'udp']);
    expect(d.v.status).toBe(Status.Ok);
  });
});

describe('UDP encapsulation: look-alikes and malformed', () => {
  it('one byte other than 0xFF is not a keepalive: ESP too short (whole frame), esp.header_short', () => {
    const d = decode(udp4(4500, 4500, Uint8Array.of(0x00)));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['esp.header_short']);
    expect(d.kinds).toEqual(['eth', 'ipv4', 'udp', 'udpencap']);
  });

  it('two 0xFF bytes are not a keepalive either', () => {
    const d = decode(udp4(4500, 4500, Uint8Array.of(0xff, 0xff)));
    expect(d.ids).toEqual(['esp.header_short']);
  });

  it('0xFF off port 4500 is just a UDP payload', () => {
    expect(decode(udp4(4501, 4502, Uint8Array.of(0xff))).kinds).toEqual(['eth', 'ipv4', 'udp']);
  });

  it('three zero bytes are not a non-ESP marker: ESP too short', () => {
    expect(decode(udp4(4500, 4500, Uint8Array.of(0, 0, 0))).ids).toEqual(['esp.header_short']);
  });

  it('a non-zero byte anywhere in the first four makes it ESP, not IKE', () => {
    for (let k = 0; k < 4; k++) {
      const d = decode(patched(IKE_4500, 42 + k, 1));
      expect(d.kinds, `byte ${k}`).toEqual(['eth', 'ipv4', 'udp', 'udpencap', 'esp']);
      expect(d.rows[3], `byte ${k}`).toEqual(row('udpencap', 42, 42, 110));
    }
  });
});

describe('UDP encapsulation and ISAKMP: truncation sweep', () => {
  it('keepalive: Truncated until the UDP header is in', () => sweep(KEEPALIVE, (n) => n >= 42));
  // At 43–45 bytes the payload is too short to be a marker, so it is taken for ESP and found short.
  it('IKE on 4500: Ok at the UDP header, Truncated inside the marker, Ok from the marker on', () =>
    sweep(IKE_4500, (n) => n === 42 || n >= 46));
  it('ESP in UDP: Ok at the UDP header, Truncated inside SPI/sequence, then Ok', () => sweep(ESP_4500, (n) => n === 42 || n >= 50));
  it('ISAKMP on 500: Ok from the UDP header on', () => sweep(IKE_500, (n) => n >= 42));
});

describe('UDP encapsulation: clamping', () => {
  it('ESP in UDP ends where the UDP length says, not at the IP payload end', () => {
    const dgram = concat(udp(V4, 4500, 4500, esp(SPI, 9, new Prng(9).bytes(40))), new Uint8Array(6).fill(0xff));
    const d = decode(over4(Proto.UDP, dgram));
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 96), row('udp', 34, 42, 90), row('udpencap', 42, 42, 90), row('esp', 42, 50, 90)]);
  });

  it('a keepalive padded by Ethernet stays one byte (padding is not taken for ESP)', () => {
    const d = decode(concat(KEEPALIVE, new Uint8Array(60 - 43)));
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 43), row('udp', 34, 42, 43), row('udpencap', 42, 43, 43)]);
    expect(d.ids).toEqual([]);
  });
});
