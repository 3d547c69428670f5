/**
 * Transport decoders (src/decode/transport/tcp.ts, udp.ts): the four kinds of tests of architecture §7.
 * The tshark lines above known-good frames come from `tshark -o teredo.heuristic_teredo:TRUE -r <file>` on
 * that exact frame written alone to a pcapng (frame number and time columns left out, column padding collapsed).
 */

import { describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../../src/anomalies/recorder.js';
import { allAnomalies, anomalyDef } from '../../../src/anomalies/registry.js';
import { Frame } from '../../../src/capture/frame.js';
import { dissect, LinkType } from '../../../src/decode/dissect.js';
import { Layer, layerName } from '../../../src/decode/layers.js';
import { PacketView } from '../../../src/decode/packet-view.js';
import { LayerFlag, Status } from '../../../src/decode/status.js';
import { TcpFlags, tcpAck, tcpDstPort, tcpFlags, tcpSeq, tcpSrcPort, tcpWindow } from '../../../src/decode/transport/tcp.js';
import { udpDstPort, udpLength, udpSrcPort } from '../../../src/decode/transport/udp.js';
import { ascii, concat, EtherType, ethernet, fromHex, ipv4, ipv6, Prng, Proto, tcp, TcpFlag, u16, udp } from '../../helpers/build.js';

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
const tcp4 = (seg: Uint8Array) => eth4(ipv4({ ...V4, protocol: Proto.TCP }, seg));
const udp4 = (dgram: Uint8Array) => eth4(ipv4({ ...V4, protocol: Proto.UDP }, dgram));

/** MSS 1460, NOP, window scale 8, SACK permitted, timestamps: 20 bytes of options, data offset 10. */
const SYN_OPTIONS = fromHex('020405b4 01 030308 0402 080a 0001e240 00000000');
const SYN = tcp4(tcp(V4, { sport: 49750, dport: 3389, seq: 0x1a2b3c4d, flags: TcpFlag.SYN, window: 64240, options: SYN_OPTIONS }));
const TCP6_DATA = eth6(ipv6({ ...V6, nextHeader: Proto.TCP },
  tcp(V6, { sport: 50123, dport: 50321, seq: 1000, ack: 2000, flags: TcpFlag.PSH | TcpFlag.ACK, window: 512 }, ascii('opaque bytes'))));
const UDP4 = udp4(udp(V4, 49152, 50000, ascii('ping-udp-payload')));
const UDP6 = eth6(ipv6({ ...V6, nextHeader: Proto.UDP }, udp(V6, 50001, 50002, ascii('datagram over ipv6'))));

/** A TLS application-data record: where decoding went on after the TCP header, TLS is located on port 443. */
const TLS_RECORD = fromHex('17 0303 0005 0102030405');
const withOptions = (options: Uint8Array) => tcp4(tcp(V4, { sport: 50000, dport: 443, flags: TcpFlag.ACK | TcpFlag.PSH, options }, TLS_RECORD));

/** Offsets in an Ethernet/IPv4 frame: the transport header starts at 34. */
const T4 = 34;

describe('TCP: known good', () => {
  // 192.0.2.10 → 198.51.100.20 TCP 74 49750 → 3389 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 WS=256 SACK_PERM TSval=123456 TSecr=0
  it('decodes a SYN with MSS, NOP, window scale, SACK permitted and timestamps: no note', () => {
    const d = decode(SYN);
    expect(d.rows).toEqual([row('eth', 0, 14, 74), row('ipv4', 14, 34, 74), row('tcp', 34, 74, 74)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Tcp);
    expect([tcpSrcPort(d.v, i), tcpDstPort(d.v, i), tcpSeq(d.v, i), tcpAck(d.v, i), tcpWindow(d.v, i)]).toEqual([49750, 3389, 0x1a2b3c4d, 0, 64240]);
    expect(tcpFlags(d.v, i)).toBe(TcpFlags.SYN);
  });

  // 2001:db8:1::10 → 2001:db8:2::20 TCP 86 50123 → 50321 [PSH, ACK] Seq=1 Ack=1 Win=512 Len=12
  it('decodes TCP over IPv6 with an opaque payload: no application layer is invented', () => {
    const d = decode(TCP6_DATA);
    expect(d.rows).toEqual([row('eth', 0, 14, 86), row('ipv6', 14, 54, 86), row('tcp', 54, 74, 86)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Tcp);
    expect([tcpSrcPort(d.v, i), tcpDstPort(d.v, i), tcpSeq(d.v, i), tcpAck(d.v, i), tcpWindow(d.v, i)]).toEqual([50123, 50321, 1000, 2000, 512]);
    expect(tcpFlags(d.v, i)).toBe(TcpFlags.PSH | TcpFlags.ACK);
  });

  it('reads all eight flag bits', () => {
    const d = decode(patched(SYN, T4 + 13, 0xff));
    expect(tcpFlags(d.v, d.v.find(Layer.Tcp))).toBe(
      TcpFlags.CWR | TcpFlags.ECE | TcpFlags.URG | TcpFlags.ACK | TcpFlags.PSH | TcpFlags.RST | TcpFlags.SYN | TcpFlags.FIN);
  });
});

describe('TCP: options walked safely', () => {
  const good: [string, string][] = [
    ['NOPs then window scale', '01 01 01 030308 00 00 00'],
    ['EOL ends the walk: the bad option after it is never read', '020405b4 00 0200 01'],
    ['an option exactly filling the header', '080a 00000001 00000002 0101'],
  ];
  for (const [name, hex] of good) {
    it(`${name}: no note`, () => {
      const d = decode(withOptions(fromHex(hex)));
      expect(d.v.status).toBe(Status.Ok);
      expect(d.ids).toEqual([]);
      expect(d.kinds).toEqual(['eth', 'ipv4', 'tcp', 'tls']);
    });
  }

  const bad: [string, string][] = [
    ['length 0 (would loop forever)', '0200 0000'],
    ['length 1', '01 0801 00'],
    ['length running past the data offset', '080a 0000 0000 0000'],
    ['a kind byte with no room for its length', '01 01 01 03'],
    ['a bad option after good ones', '020405b4 01 01 1b 20'],
  ];
  for (const [name, hex] of bad) {
    it(`${name}: tcp.bad_option_length noted once, decoding goes on`, () => {
      const d = decode(withOptions(fromHex(hex)));
      expect(d.v.status).toBe(Status.Ok);
      expect(d.ids).toEqual(['tcp.bad_option_length']);
      expect(d.v.noteCount).toBe(1);
      const hlen = 20 + fromHex(hex).length;
      expect(d.rows.slice(2)).toEqual([row('tcp', T4, T4 + hlen, T4 + hlen + 10), row('tls', T4 + hlen, T4 + hlen, T4 + hlen + 10)]);
    });
  }
});

describe('TCP: malformed', () => {
  for (let offset = 0; offset < 5; offset++) {
    it(`data offset ${offset} (< 5): tcp.data_offset_too_small, the TCP layer is not pushed`, () => {
      const d = decode(patched(SYN, T4 + 12, offset << 4));
      expect(d.v.status).toBe(Status.Malformed);
      expect(d.stop).toBe('tcp.data_offset_too_small');
      expect(d.ids).toEqual(['tcp.data_offset_too_small']);
      expect(d.kinds).toEqual(['eth', 'ipv4']);
      expect(d.v.stopLayer).toBe(Layer.Tcp);
    });
  }

  it('data offset past the end of the segment (whole frame): tcp.data_offset_too_small', () => {
    // 40 bytes of TCP in the IP payload, data offset 11 (44 bytes).
    const d = decode(patched(SYN, T4 + 12, 11 << 4));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['tcp.data_offset_too_small']);
    expect(d.kinds).toEqual(['eth', 'ipv4']);
  });

  it('data offset past the end of a snaplen-cut segment: Truncated, tcp.header_short', () => {
    const d = decode(SYN, { capLen: 70, wireLen: SYN.length });
    expect(d.v.status).toBe(Status.Truncated);
    expect(d.ids).toEqual(['tcp.header_short']);
  });

  it('fewer than 20 bytes inside the IP total length (whole frame): Malformed, tcp.header_short', () => {
    const seg = tcp(V4, { sport: 1, dport: 2, flags: TcpFlag.ACK });
    const frame = eth4(ipv4({ ...V4, protocol: Proto.TCP, totalLength: 20 + 12 }, seg));
    const d = decode(frame);
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['tcp.header_short']);
    expect(d.kinds).toEqual(['eth', 'ipv4']);
  });
});

describe('TCP: truncation sweep', () => {
  it('SYN with 20 bytes of options: every prefix is Truncated', () => sweep(SYN, () => false));
  it('TCP/IPv6 with payload: Truncated until the TCP header is complete, then Ok (the payload is opaque)', () =>
    sweep(TCP6_DATA, (n) => n >= 74));
  it('TCP with a TLS record on 443: Ok from the TCP header on, whether the record is located or not', () =>
    sweep(withOptions(fromHex('0101 030308')), (n) => n >= T4 + 28));
});

describe('TCP: clamping', () => {
  it('Ethernet padding and FCS after the IP total length are not TCP payload (no TLS is found in them)', () => {
    // A bare ACK to 443 padded with bytes that look like a TLS record header, then a 4-byte FCS.
    const ack = tcp4(tcp(V4, { sport: 50000, dport: 443, flags: TcpFlag.ACK }));
    const frame = concat(ack, fromHex('16 0301 0001 00'), fromHex('deadbeef'));
    const d = decode(frame, { fcsLen: 4 });
    expect(d.rows).toEqual([row('eth', 0, 14, 60), row('ipv4', 14, 34, 54), row('tcp', 34, 54, 54)]);
    expect(d.ids).toEqual([]);
  });

  it('bytes after the IP total length do not reach the TCP payload', () => {
    const seg = tcp(V4, { sport: 50000, dport: 443, flags: TcpFlag.ACK | TcpFlag.PSH }, TLS_RECORD);
    const frame = concat(eth4(ipv4({ ...V4, protocol: Proto.TCP }, seg)), new Uint8Array(20).fill(0x17));
    const d = decode(frame);
    expect(d.rows.slice(2)).toEqual([row('tcp', 34, 54, 64), row('tls', 54, 54, 64)]);
  });
});

describe('UDP: known good', () => {
  // 192.0.2.10 → 198.51.100.20 UDP 58 49152 → 50000 Len=16
  it('decodes UDP over IPv4', () => {
    const d = decode(UDP4);
    expect(d.rows).toEqual([row('eth', 0, 14, 58), row('ipv4', 14, 34, 58), row('udp', 34, 42, 58)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Udp);
    expect([udpSrcPort(d.v, i), udpDstPort(d.v, i), udpLength(d.v, i)]).toEqual([49152, 50000, 24]);
  });

  // 2001:db8:1::10 → 2001:db8:2::20 UDP 80 50001 → 50002 Len=18
  it('decodes UDP over IPv6', () => {
    const d = decode(UDP6);
    expect(d.rows).toEqual([row('eth', 0, 14, 80), row('ipv6', 14, 54, 80), row('udp', 54, 62, 80)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    const i = d.v.find(Layer.Udp);
    expect([udpSrcPort(d.v, i), udpDstPort(d.v, i), udpLength(d.v, i)]).toEqual([50001, 50002, 26]);
  });

  // 192.0.2.10 → 198.51.100.20 UDP 42 50000 → 53 Len=0
  it('an empty datagram (length 8) decodes Ok with nothing after it', () => {
    const d = decode(udp4(udp(V4, 50000, 53, new Uint8Array(0))));
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 42)]);
    expect(d.v.status).toBe(Status.Ok);
  });
});

describe('UDP: malformed and lengths', () => {
  for (let len = 0; len < 8; len++) {
    it(`length ${len} (< 8): Malformed, udp.length_too_small, the UDP layer is not pushed`, () => {
      const d = decode(patched(UDP4, T4 + 4, ...u16(len)));
      expect(d.v.status).toBe(Status.Malformed);
      expect(d.ids).toEqual(['udp.length_too_small']);
      expect(d.kinds).toEqual(['eth', 'ipv4']);
      expect(d.v.stopLayer).toBe(Layer.Udp);
    });
  }

  it('length larger than the IP payload (whole frame): udp.length_exceeds_ip noted, clamped to the IP payload', () => {
    const d = decode(patched(UDP4, T4 + 4, ...u16(24 + 10)));
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual(['udp.length_exceeds_ip']);
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 58), row('udp', 34, 42, 58, LayerFlag.Truncated)]);
  });

  it('length larger than the IP payload, inside the IPv6 payload length: noted and clamped', () => {
    const d = decode(patched(UDP6, 54 + 4, ...u16(26 + 1)));
    expect(d.ids).toEqual(['udp.length_exceeds_ip']);
    expect(d.rows[2]).toEqual(row('udp', 54, 62, 80, LayerFlag.Truncated));
  });

  it('length smaller than the IP payload: the datagram ends where its length says, no note', () => {
    const d = decode(patched(UDP4, T4 + 4, ...u16(8 + 4)));
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 58), row('udp', 34, 42, 46)]);
  });

  it('a snaplen cut inside the datagram is not an anomaly: UDP is flagged TRUNCATED and ends at the capture', () => {
    const d = decode(UDP4, { capLen: 50, wireLen: UDP4.length });
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 50, LayerFlag.Truncated), row('udp', 34, 42, 50, LayerFlag.Truncated)]);
  });

  it('fewer than 8 bytes inside the IP total length (whole frame): Malformed, udp.header_short', () => {
    const frame = eth4(ipv4({ ...V4, protocol: Proto.UDP, totalLength: 20 + 6 }, udp(V4, 1, 2, new Uint8Array(0))));
    const d = decode(frame);
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['udp.header_short']);
    expect(d.kinds).toEqual(['eth', 'ipv4']);
  });
});

describe('UDP: truncation sweep', () => {
  it('UDP/IPv4: Truncated until the UDP header is complete, then Ok', () => sweep(UDP4, (n) => n >= 42));
  it('UDP/IPv6: Truncated until the UDP header is complete, then Ok', () => sweep(UDP6, (n) => n >= 62));
});

describe('UDP: clamping', () => {
  it('Ethernet padding after a short datagram is not payload (the located DNS message ends with the datagram)', () => {
    const dns = fromHex('1234 0100 0001 0000 0000 0000 00 0001 0001'); // 17 bytes: query for the root
    const frame = concat(udp4(udp(V4, 50000, 53, dns)), new Prng(3).bytes(60 - 59));
    expect(frame.length).toBe(60);
    const d = decode(frame);
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 59), row('udp', 34, 42, 59), row('dns', 42, 42, 59)]);
  });

  it('bytes between the UDP length and the IP payload end stay out of the located application layer', () => {
    const dns = fromHex('1234 0100 0001 0000 0000 0000 00 0001 0001');
    const dgram = concat(udp(V4, 50000, 53, dns), ascii('trailer'));
    const d = decode(udp4(dgram));
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 66), row('udp', 34, 42, 59), row('dns', 42, 42, 59)]);
    expect(d.ids).toEqual([]);
  });
});

describe('UDP in the first fragment of a datagram', () => {
  it('takes a UDP length past the fragment as the rest to come, not a lie (no udp.length_exceeds_ip)', () => {
    const whole = udp(V4, 40000, 9, new Prng(21).bytes(400));
    const frag = ethernet(MAC_S, MAC_C, EtherType.IPv4, ipv4({ ...V4, protocol: Proto.UDP, flags: 1, id: 7 }, whole.subarray(0, 200)));
    const d = decode(frag);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    const u = d.v.find(Layer.Udp);
    expect(d.v.end[u]! - d.v.start[u]!).toBe(200);
    expect(d.v.flags[u]! & LayerFlag.Truncated).toBe(LayerFlag.Truncated);
    // The same datagram not fragmented but cut short by a lying IP length is still a lie.
    const lie = ethernet(MAC_S, MAC_C, EtherType.IPv4, ipv4({ ...V4, protocol: Proto.UDP }, whole.subarray(0, 200)));
    expect(decode(lie).ids).toEqual(['udp.length_exceeds_ip']);
  });
});
