/**
 * Teredo (src/decode/tunnel/teredo.ts), the Teredo probe off port 3544 (looksLikeTeredo in
 * src/decode/app-locate.ts) and the tunnel depth cap (enterTunnel): the four kinds of tests of architecture §7.
 * The tshark lines above known-good frames come from `tshark -o teredo.heuristic_teredo:TRUE -r <file>` on
 * that exact frame written alone to a pcapng (frame number and time columns left out, column padding collapsed).
 */

import { describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../../src/anomalies/recorder.js';
import { allAnomalies, anomalyDef } from '../../../src/anomalies/registry.js';
import { Frame } from '../../../src/capture/frame.js';
import { dissect, LinkType } from '../../../src/decode/dissect.js';
import { espSpi } from '../../../src/decode/ipsec/esp.js';
import { Layer, layerName } from '../../../src/decode/layers.js';
import { MAX_TUNNEL_DEPTH } from '../../../src/decode/net/ip-common.js';
import { PacketView } from '../../../src/decode/packet-view.js';
import { LayerFlag, Status } from '../../../src/decode/status.js';
import { teredoOrigin, teredoOriginPort } from '../../../src/decode/tunnel/teredo.js';
import {
  ascii, concat, esp, EtherType, ethernet, fromHex, icmpv6, ip6, ipv4, ipv6, Prng, Proto, teredoAddress, teredoAuth, teredoOrigin as teredoOriginIndicator, u16, udp,
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
/** The DirectAccess server is the Teredo server; the client sits behind a NAT that maps it to 198.51.100.20:40000. */
const SERVER = '203.0.113.1';
const CLIENT = '192.168.1.10';
const PEER = '192.0.2.77';
const TC = teredoAddress(SERVER, 40000, '198.51.100.20');
const TP = teredoAddress(SERVER, 50000, PEER);
const NATIVE = '2001:db8::1';
const { T, H, U } = { T: LayerFlag.Tunnelled, H: LayerFlag.Heuristic, U: LayerFlag.Truncated };

/** Ethernet / IPv4 / UDP `sport` → `dport` carrying `payload`. */
function overUdp(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return ethernet(MAC_S, MAC_C, EtherType.IPv4, ipv4({ src, dst, protocol: Proto.UDP }, udp({ src, dst }, sport, dport, payload)));
}
const toServer = (payload: Uint8Array) => overUdp(CLIENT, SERVER, 40000, 3544, payload);
const fromServer = (payload: Uint8Array) => overUdp(SERVER, CLIENT, 3544, 40000, payload);
const toPeer = (payload: Uint8Array) => overUdp(CLIENT, PEER, 40000, 50000, payload);

const echo = (src: string, dst: string, type: number) => ipv6({ src, dst, nextHeader: Proto.ICMPv6 },
  icmpv6({ src, dst }, type, 0, concat(u16(0x0042), u16(7), ascii('teredo!!'))));
/** Echo request from the Teredo client to a native host, through the server (the RFC 4380 §5.2.9 ping test): 56 bytes. */
const PING = echo(TC, NATIVE, 128);
const PONG = echo(NATIVE, TC, 129);
/** Router solicitation from the client's link-local address (qualification): 48 bytes. */
const RS = ipv6({ src: 'fe80::ffff:ffff:fffe', dst: 'ff02::2', nextHeader: Proto.ICMPv6, hopLimit: 255 },
  icmpv6({ src: 'fe80::ffff:ffff:fffe', dst: 'ff02::2' }, 133, 0, new Uint8Array(4)));
/** Router advertisement to the client's link-local address: 56 bytes. */
const RA = ipv6({ src: 'fe80::8000:f227:bec:1', dst: 'fe80::ffff:ffff:fffe', nextHeader: Proto.ICMPv6, hopLimit: 255 },
  icmpv6({ src: 'fe80::8000:f227:bec:1', dst: 'fe80::ffff:ffff:fffe' }, 134, 0, fromHex('40 00 0708 00000000 00000000')));
const bubble = (src: string, dst: string) => ipv6({ src, dst, nextHeader: Proto.NoNext }, new Uint8Array(0));
const NONCE = fromHex('a1a2a3a4a5a6a7a8');

const NONE = toServer(PING);
const ORIGIN = fromServer(concat(teredoOriginIndicator(50000, PEER), PONG));
const AUTH = toServer(concat(teredoAuth(new Uint8Array(0), new Uint8Array(0), NONCE), RS));
const AUTH_ID = toServer(concat(teredoAuth(ascii('cli'), fromHex('01020304'), NONCE), RS));
const BOTH = fromServer(concat(teredoAuth(new Uint8Array(0), new Uint8Array(0), NONCE), teredoOriginIndicator(40000, '198.51.100.20'), RA));
const BUBBLE = toServer(bubble(TC, TP));
const BUBBLE_ORIGIN = overUdp(SERVER, PEER, 3544, 50000, concat(teredoOriginIndicator(40000, '198.51.100.20'), bubble(TC, TP)));

/** Client to peer on the NAT-mapped ports: IPsec (ESP) between two DirectAccess clients, inside Teredo. */
const H_ESP = toPeer(ipv6({ src: TC, dst: TP, nextHeader: Proto.ESP }, esp(0x3e8a5b21, 4, new Prng(21).bytes(48))));
const H_UDP = toPeer(ipv6({ src: TC, dst: TP, nextHeader: Proto.UDP }, udp({ src: TC, dst: TP }, 49800, 49801, ascii('peer data'))));
const H_ORIGIN = overUdp(PEER, CLIENT, 50000, 40000, concat(teredoOriginIndicator(50000, PEER), echo(TP, TC, 128)));
const H_BUBBLE = toPeer(bubble(TC, TP));

/** Offsets: the UDP payload (Teredo) starts at 42. */
const P = 42;

describe('Teredo on port 3544: known good', () => {
  // 2001:0:cb00:7101:8000:63bf:39cc:9beb → 2001:db8::1 Teredo 98 Direct IPv6 Connectivity Test id=0x0042, seq=7, hop limit=64
  it('no indicator: the IPv6 packet starts right after UDP', () => {
    const d = decode(NONE);
    expect(d.rows).toEqual([
      row('eth', 0, 14, 98), row('ipv4', 14, 34, 98), row('udp', 34, 42, 98), row('teredo', P, P, 98),
      row('ipv6', P, P + 40, 98, T), row('icmpv6', P + 40, P + 48, 98, T),
    ]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    expect(teredoOrigin(d.v, d.v.find(Layer.Teredo))).toBe(-1);
    expect(d.v.depth).toBe(1);
  });

  // 2001:db8::1 → 2001:0:cb00:7101:8000:63bf:39cc:9beb ICMPv6 106 Echo (ping) reply id=0x0042, seq=7, hop limit=64
  it('origin indicator: 8 bytes, port and IPv4 de-obfuscated', () => {
    const d = decode(ORIGIN);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P + 8, 106), row('ipv6', P + 8, P + 48, 106, T), row('icmpv6', P + 48, P + 56, 106, T)]);
    expect(d.ids).toEqual([]);
    const o = teredoOrigin(d.v, d.v.find(Layer.Teredo));
    expect(o - AT).toBe(P);
    expect(teredoOriginPort(d.v, o)).toBe(50000);
    expect(Array.from(d.v.buf.subarray(o + 4, o + 8), (x) => x ^ 0xff).join('.')).toBe(PEER);
  });

  // fe80::ffff:ffff:fffe → ff02::2 ICMPv6 103 Router Solicitation
  it('authentication indicator (no client id, no auth value): 13 bytes, no origin', () => {
    const d = decode(AUTH);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P + 13, 103), row('ipv6', P + 13, P + 53, 103, T), row('icmpv6', P + 53, P + 57, 103, T)]);
    expect(d.ids).toEqual([]);
    expect(teredoOrigin(d.v, d.v.find(Layer.Teredo))).toBe(-1);
  });

  // fe80::ffff:ffff:fffe → ff02::2 ICMPv6 110 Router Solicitation
  it('authentication indicator with a 3-byte client id and a 4-byte auth value: 20 bytes', () => {
    const d = decode(AUTH_ID);
    expect(d.rows.slice(3, 5)).toEqual([row('teredo', P, P + 20, 110), row('ipv6', P + 20, P + 60, 110, T)]);
    expect(d.kinds.at(-1)).toBe('icmpv6');
    expect(d.ids).toEqual([]);
  });

  // fe80::8000:f227:bec:1 → fe80::ffff:ffff:fffe ICMPv6 119 Router Advertisement
  it('both indicators: authentication first, then origin', () => {
    const d = decode(BOTH);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P + 21, 119), row('ipv6', P + 21, P + 61, 119, T), row('icmpv6', P + 61, P + 65, 119, T)]);
    expect(d.ids).toEqual([]);
    const o = teredoOrigin(d.v, d.v.find(Layer.Teredo));
    expect(o - AT).toBe(P + 13);
    expect(teredoOriginPort(d.v, o)).toBe(40000);
  });

  // 2001:0:cb00:7101:8000:63bf:39cc:9beb → 2001:0:cb00:7101:8000:3caf:3fff:fdb2 IPv6 82 IPv6 no next header
  it('bubble: IPv6 with next header 59 and no payload, Ok', () => {
    const d = decode(BUBBLE);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P, 82), row('ipv6', P, P + 40, 82, T)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
  });

  // 2001:0:cb00:7101:8000:63bf:39cc:9beb → 2001:0:cb00:7101:8000:3caf:3fff:fdb2 IPv6 90 IPv6 no next header
  it('bubble with an origin indicator (relayed by the server)', () => {
    const d = decode(BUBBLE_ORIGIN);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P + 8, 90), row('ipv6', P + 8, P + 48, 90, T)]);
    expect(d.ids).toEqual([]);
    expect(teredoOriginPort(d.v, teredoOrigin(d.v, d.v.find(Layer.Teredo)))).toBe(40000);
  });

  it('either UDP port may be 3544 (the flag is 0, not HEURISTIC, both ways)', () => {
    expect(decode(NONE).rows[3]!.flags).toBe(0);
    expect(decode(ORIGIN).rows[3]!.flags).toBe(0);
  });
});

describe('Teredo on port 3544: malformed', () => {
  it('a bubble that carries bytes after its header: teredo.bubble_with_payload noted, IPv6 ends after 40 bytes', () => {
    const d = decode(toServer(concat(bubble(TC, TP), ascii('8 bytes!'))));
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual(['teredo.bubble_with_payload']);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P, 90), row('ipv6', P, P + 40, 82, T)]);
  });

  it('next header 59 with a payload length is not a bubble: no bubble note', () => {
    const frame = toServer(ipv6({ src: TC, dst: TP, nextHeader: Proto.NoNext }, ascii('8 bytes!')));
    expect(decode(frame).ids).toEqual([]);
  });

  it('authentication indicator whose client id length runs past the datagram: Malformed, teredo.indicator_short', () => {
    const d = decode(patched(AUTH, P + 2, 200));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['teredo.indicator_short']);
    expect(d.kinds).toEqual(['eth', 'ipv4', 'udp']);
  });

  it('authentication indicator whose auth value length runs past the datagram: Malformed, teredo.indicator_short', () => {
    const d = decode(patched(AUTH, P + 3, 100));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['teredo.indicator_short']);
  });

  it('authentication indicator cut by the snaplen: Truncated, teredo.indicator_short', () => {
    const d = decode(AUTH, { capLen: P + 10, wireLen: AUTH.length });
    expect(d.v.status).toBe(Status.Truncated);
    expect(d.ids).toEqual(['teredo.indicator_short']);
  });

  it('origin indicator in a datagram too short for it: Malformed, teredo.indicator_short', () => {
    const d = decode(fromServer(fromHex('0000 63bf 39cc')));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['teredo.indicator_short']);
  });

  it('three bytes of an authentication indicator: Malformed, teredo.indicator_short', () => {
    expect(decode(toServer(fromHex('0001 00'))).ids).toEqual(['teredo.indicator_short']);
  });

  it('not IPv6 where the IPv6 packet should start: Malformed, teredo.bad_inner_ipv6', () => {
    const d = decode(patched(NONE, P, 0x45));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['teredo.bad_inner_ipv6']);
    expect(d.kinds).toEqual(['eth', 'ipv4', 'udp', 'teredo']);
    expect(d.v.stopLayer).toBe(Layer.Teredo);
  });

  it('not IPv6 after an origin indicator: teredo.bad_inner_ipv6', () => {
    expect(decode(patched(ORIGIN, P + 8, 0x00)).ids).toEqual(['teredo.bad_inner_ipv6']);
  });

  it('an indicator type other than 00 00 / 00 01 is not an indicator: teredo.bad_inner_ipv6', () => {
    expect(decode(patched(ORIGIN, P + 1, 0x02)).ids).toEqual(['teredo.bad_inner_ipv6']);
    expect(decode(patched(AUTH, P + 1, 0x02)).ids).toEqual(['teredo.bad_inner_ipv6']);
  });

  it('fewer than 40 bytes of IPv6 on 3544 (whole frame): Malformed, ipv6.header_short', () => {
    const d = decode(toServer(PING.subarray(0, 30)));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['ipv6.header_short']);
  });
});

describe('Teredo on port 3544: truncation sweep', () => {
  // Ok where the UDP payload is empty (42), where only indicators were captured, and once the inner headers are in.
  it('no indicator', () => sweep(NONE, (n) => n === P || n >= P + 48));
  it('origin indicator', () => sweep(ORIGIN, (n) => n === P || n === P + 8 || n >= P + 56));
  it('authentication indicator', () => sweep(AUTH, (n) => n === P || n === P + 13 || n >= P + 57));
  it('authentication indicator with client id and auth value', () => sweep(AUTH_ID, (n) => n === P || n === P + 20 || n >= P + 64));
  it('both indicators', () => sweep(BOTH, (n) => n === P || n === P + 13 || n === P + 21 || n >= P + 65));
  it('bubble', () => sweep(BUBBLE, (n) => n === P));
  it('bubble with origin indicator', () => sweep(BUBBLE_ORIGIN, (n) => n === P || n === P + 8));
});

describe('Teredo on port 3544: clamping', () => {
  it('Ethernet padding after an indicator-only datagram is not taken for the IPv6 packet', () => {
    const small = toServer(fromHex('0000 63bf 39cc 9beb')); // an origin indicator alone: 50 bytes
    const d = decode(concat(small, new Uint8Array(10).fill(0x60)));
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 50), row('udp', 34, 42, 50), row('teredo', P, P + 8, 50)]);
    expect(d.v.status).toBe(Status.Ok);
  });

  it('bytes after the UDP length stay out of the tunnel: no bubble-with-payload note, IPv6 ends with the datagram', () => {
    const dgram = concat(udp({ src: CLIENT, dst: SERVER }, 40000, 3544, bubble(TC, TP)), ascii('trailing'));
    const d = decode(ethernet(MAC_S, MAC_C, EtherType.IPv4, ipv4({ src: CLIENT, dst: SERVER, protocol: Proto.UDP }, dgram)));
    expect(d.ids).toEqual([]);
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 82), row('teredo', P, P, 82), row('ipv6', P, P + 40, 82, T)]);
  });
});

describe('Teredo off port 3544 (heuristic): accepted', () => {
  // 2001:0:cb00:7101:8000:63bf:39cc:9beb → 2001:0:cb00:7101:8000:3caf:3fff:fdb2 ESP 138 ESP (SPI=0x3e8a5b21)
  it('ESP between two Teredo clients on their mapped ports: flagged HEURISTIC, decoded down to ESP', () => {
    const d = decode(H_ESP);
    expect(d.rows.slice(2)).toEqual([row('udp', 34, 42, 138), row('teredo', P, P, 138, H), row('ipv6', P, P + 40, 138, T), row('esp', P + 40, P + 48, 138, T)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    expect(espSpi(d.v, d.v.find(Layer.Esp))).toBe(0x3e8a5b21);
  });

  // 2001:0:cb00:7101:8000:63bf:39cc:9beb → 2001:0:cb00:7101:8000:3caf:3fff:fdb2 UDP 99 49800 → 49801 Len=9
  it('UDP inside', () => {
    const d = decode(H_UDP);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P, 99, H), row('ipv6', P, P + 40, 99, T), row('udp', P + 40, P + 48, 99, T)]);
  });

  // 2001:0:cb00:7101:8000:3caf:3fff:fdb2 → 2001:0:cb00:7101:8000:63bf:39cc:9beb ICMPv6 106 Echo (ping) request id=0x0042, seq=7, hop limit=64
  it('with an origin indicator', () => {
    const d = decode(H_ORIGIN);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P + 8, 106, H), row('ipv6', P + 8, P + 48, 106, T), row('icmpv6', P + 48, P + 56, 106, T)]);
    expect(teredoOriginPort(d.v, teredoOrigin(d.v, 3))).toBe(50000);
  });

  // 2001:0:cb00:7101:8000:63bf:39cc:9beb → 2001:0:cb00:7101:8000:3caf:3fff:fdb2 IPv6 82 IPv6 no next header
  it('a bubble', () => {
    const d = decode(H_BUBBLE);
    expect(d.rows.slice(3)).toEqual([row('teredo', P, P, 82, H), row('ipv6', P, P + 40, 82, T)]);
    expect(d.v.status).toBe(Status.Ok);
  });

  it('one Teredo address is enough (source or destination)', () => {
    for (const [src, dst] of [[NATIVE, TC], [TC, NATIVE]] as const) {
      const d = decode(toPeer(echo(src, dst, 128)));
      expect(d.kinds, `${src} → ${dst}`).toEqual(['eth', 'ipv4', 'udp', 'teredo', 'ipv6', 'icmpv6']);
      expect(d.rows[3]!.flags).toBe(H);
    }
  });

  for (const nh of [0, 6, 17, 43, 44, 50, 51, 58, 59, 60]) {
    it(`next header ${nh} is accepted`, () => {
      const d = decode(toPeer(ipv6({ src: TC, dst: TP, nextHeader: nh }, new Uint8Array(24))));
      expect(d.rows[3]).toEqual(row('teredo', P, P, 106, H));
      expect(d.rows[4]).toEqual(row('ipv6', P, P + 40, 106, T));
    });
  }

  it('a snaplen cut after the inner IPv6 header still finds the tunnel (the length is checked against UDP, as tshark does)', () => {
    const d = decode(H_ESP, { capLen: 100, wireLen: H_ESP.length });
    expect(d.rows.slice(2)).toEqual([
      row('udp', 34, 42, 100, U), row('teredo', P, P, 100, H), row('ipv6', P, P + 40, 100, T | U), row('esp', P + 40, P + 48, 100, T),
    ]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
  });
});

describe('Teredo off port 3544 (heuristic): rejected look-alikes stay plain UDP', () => {
  const plainUdp = (frame: Uint8Array, why: string) => {
    const d = decode(frame);
    expect(d.kinds, why).toEqual(['eth', 'ipv4', 'udp']);
    expect(d.v.status, why).toBe(Status.Ok);
    expect(d.ids, why).toEqual([]);
  };
  const LEN = P + 4; // IPv6 payload length (2 bytes) in H_UDP

  it('payload length one more or one less than the datagram holds', () => {
    plainUdp(patched(H_UDP, LEN, 0, 17 + 1), 'one more');
    plainUdp(patched(H_UDP, LEN, 0, 17 - 1), 'one less');
    plainUdp(patched(H_UDP, LEN, 1, 17), '256 more');
  });

  it('payload length wrong after an origin indicator', () => plainUdp(patched(H_ORIGIN, P + 8 + 5, 17), 'origin, +1'));

  it('a snaplen cut does not relax the length check: the length must still match the datagram on the wire', () => {
    const d = decode(patched(H_ESP, LEN + 1, 48 + 8 + 1), { capLen: 100, wireLen: H_ESP.length });
    expect(d.kinds).toEqual(['eth', 'ipv4', 'udp']);
  });

  it('no 2001:0::/32 address', () => {
    for (const [src, dst] of [['2001:db8::5', '2001:db8::6'], ['2001:1::5', '2001:1::6'], ['2002:c000:20a::1', '2001:100::6'], ['3ffe:831f::1', '3ffe:831f::2']]) {
      plainUdp(toPeer(echo(src!, dst!, 128)), `${src} → ${dst}`);
    }
  });

  it('the Teredo prefix must be exact: each of its four bytes, patched', () => {
    for (let k = 0; k < 4; k++) {
      const frame = patched(toPeer(echo(TC, NATIVE, 128)), P + 8 + k, ip6(TC)[k]! ^ 0x10);
      plainUdp(frame, `byte ${k}`);
    }
  });

  for (const nh of [4, 41, 135, 139, 253]) {
    it(`unknown next header ${nh}`, () => plainUdp(toPeer(ipv6({ src: TC, dst: TP, nextHeader: nh }, new Uint8Array(24))), `nh ${nh}`));
  }

  it('a version nibble other than 6', () => {
    plainUdp(patched(H_UDP, P, 0x40), 'version 4');
    plainUdp(patched(H_UDP, P, 0x70), 'version 7');
  });

  it('fewer than 40 bytes', () => plainUdp(toPeer(H_UDP.subarray(P, P + 39)), '39 bytes'));
});

describe('Teredo off port 3544 (heuristic): truncation sweep', () => {
  // Before the inner IPv6 header is captured the probe cannot decide: plain UDP, Ok. After it, the tunnel is found.
  it('ESP inside', () => sweep(H_ESP, (n) => (n >= P && n < P + 40) || n >= P + 48));
  it('UDP inside', () => sweep(H_UDP, (n) => (n >= P && n < P + 40) || n >= P + 48));
  it('with an origin indicator', () => sweep(H_ORIGIN, (n) => (n >= P && n < P + 48) || n >= P + 56));
  it('a bubble', () => sweep(H_BUBBLE, (n) => n >= P));
});

describe('tunnel depth cap', () => {
  /** `levels` Teredo tunnels on 3544, one inside the other, around a bubble. */
  function nested(levels: number): Uint8Array {
    let inner = bubble(TC, TP);
    for (let i = 1; i < levels; i++) inner = ipv6({ src: TC, dst: TP, nextHeader: Proto.UDP }, udp({ src: TC, dst: TP }, 40000, 3544, inner));
    return toServer(inner);
  }

  it(`${MAX_TUNNEL_DEPTH} nested Teredo tunnels decode Ok`, () => {
    const d = decode(nested(MAX_TUNNEL_DEPTH));
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
    expect(d.kinds.filter((k) => k === 'teredo')).toHaveLength(MAX_TUNNEL_DEPTH);
    expect(d.kinds.at(-1)).toBe('ipv6');
    expect(d.v.depth).toBe(MAX_TUNNEL_DEPTH);
    // Every layer after the first Teredo is tunnelled; the first Teredo itself is not.
    const first = d.kinds.indexOf('teredo');
    const tunnelled = d.rows.map((r) => (r.flags & T) !== 0);
    expect(tunnelled).toEqual(d.rows.map((_, i) => i > first));
  });

  it(`${MAX_TUNNEL_DEPTH + 1} nested: Malformed, tunnel.depth_exceeded, stopped at the innermost Teredo`, () => {
    const d = decode(nested(MAX_TUNNEL_DEPTH + 1));
    expect(d.v.status).toBe(Status.Malformed);
    expect(d.ids).toEqual(['tunnel.depth_exceeded']);
    expect(d.kinds.filter((k) => k === 'teredo')).toHaveLength(MAX_TUNNEL_DEPTH + 1);
    expect(d.kinds.at(-1)).toBe('teredo');
    expect(d.v.stopLayer).toBe(Layer.Ipv6);
  });
});
