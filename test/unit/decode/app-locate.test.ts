/**
 * Application locating after TCP and UDP (src/decode/app-locate.ts): port tables first, then the probes that
 * mark what they find HEURISTIC; look-alikes must not be located. The four kinds of tests of architecture §7.
 * The tshark lines above known-good frames come from `tshark -o teredo.heuristic_teredo:TRUE -r <file>` on
 * that exact frame written alone to a pcapng (frame number and time columns left out, column padding collapsed).
 */

import { describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../../src/anomalies/recorder.js';
import { allAnomalies, anomalyDef } from '../../../src/anomalies/registry.js';
import { Frame } from '../../../src/capture/frame.js';
import { dissect, LinkType } from '../../../src/decode/dissect.js';
import { layerName } from '../../../src/decode/layers.js';
import { PacketView } from '../../../src/decode/packet-view.js';
import { LayerFlag, Status } from '../../../src/decode/status.js';
import {
  ascii, concat, dnsQuery, EtherType, ethernet, fromHex, ipv4, Prng, Proto, tcp, TcpFlag, tlsClientHelloBody, tlsHandshake, tlsRecord,
  tpkt, u16, udp, x224ConnectionRequest,
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
const BACK = { src: V4.dst, dst: V4.src };
const H = LayerFlag.Heuristic;

/** Client → server TCP segment (PSH, ACK) carrying `payload`. */
function tcpTo(sport: number, dport: number, payload: Uint8Array, ep = V4): Uint8Array {
  const seg = tcp(ep, { sport, dport, seq: 1, ack: 1, flags: TcpFlag.PSH | TcpFlag.ACK }, payload);
  return ethernet(MAC_S, MAC_C, EtherType.IPv4, ipv4({ ...ep, protocol: Proto.TCP }, seg));
}
const tcpFrom = (sport: number, dport: number, payload: Uint8Array) => tcpTo(sport, dport, payload, BACK);
function udpTo(sport: number, dport: number, payload: Uint8Array, ep = V4): Uint8Array {
  return ethernet(MAC_S, MAC_C, EtherType.IPv4, ipv4({ ...ep, protocol: Proto.UDP }, udp(ep, sport, dport, payload)));
}
/** The application payload starts at 54 after Ethernet/IPv4/TCP and at 42 after Ethernet/IPv4/UDP. */
const T = 54;
const U = 42;

const CLIENT_HELLO = tlsRecord(22, 0x0301, tlsHandshake(1, tlsClientHelloBody(new Prng(443).bytes(32))));
const SERVER_HELLO = tlsRecord(22, 0x0303, tlsHandshake(2, concat(u16(0x0303), new Prng(444).bytes(32), Uint8Array.of(0), u16(0xc02f), Uint8Array.of(0))));
const APP_DATA = tlsRecord(23, 0x0303, new Prng(23).bytes(40));
/** Cookie and RDP negotiation request (TLS | CredSSP) of an RDP client's first packet. */
const RDP_CR = tpkt(x224ConnectionRequest(concat(ascii('Cookie: mstshash=helpdesk\r\n'), fromHex('01 00 0800 03000000'))));
/** Connection Confirm with an RDP negotiation response (CredSSP chosen). */
const RDP_CC = tpkt(x224ConnectionRequest(fromHex('02 1f 0800 02000000'), 0xd0));
const TPKT_DT = tpkt(fromHex('02 f0 80 7f65 8201 0a'));
/** DCE/RPC connection-oriented bind (version 5.0, PTYPE 11) to the endpoint mapper, NDR transfer syntax: 72 bytes. */
const RPC_BIND = fromHex(`05 00 0b 03 10000000 4800 0000 01000000
  d016 d016 00000000 01 000000
  0000 01 00 0883afe11f5dc91191a408002b14a0fa 0300 0000 045d888aeb1cc9119fe808002b104860 02000000`);
const QUERY = dnsQuery(0x1234, 'isatap.corp.example');
const HTTP_GET = ascii('GET /IPHTTPS HTTP/1.1\r\nHost: da.example.com\r\n\r\n');

const TLS_443 = tcpTo(50000, 443, CLIENT_HELLO);
const TLS_HEUR = tcpTo(50000, 8443, CLIENT_HELLO);
const RDP_3389 = tcpTo(50000, 3389, RDP_CR);
const RDP_DYN = tcpTo(50000, 49852, RDP_CR);
const RPC_135 = tcpTo(50000, 135, RPC_BIND);
const DNS_53 = udpTo(50000, 53, QUERY);
const HTTP_80 = tcpTo(50000, 80, HTTP_GET);

/** The located application layer (the last row) of a frame. */
const app = (frame: Uint8Array, o = {}) => decode(frame, o).rows.at(-1)!;
/** `frame` decodes Ok down to its TCP or UDP layer and nothing is located after it. */
function notLocated(frame: Uint8Array, why: string): void {
  const d = decode(frame);
  expect(d.kinds, why).toHaveLength(3);
  expect(d.kinds.slice(0, 2), why).toEqual(['eth', 'ipv4']);
  expect(['tcp', 'udp'], why).toContain(d.kinds[2]);
  expect(d.v.status, why).toBe(Status.Ok);
  expect(d.ids, why).toEqual([]);
}

describe('TLS', () => {
  // 192.0.2.10 → 198.51.100.20 TLSv1 106 Client Hello
  it('a record header on 443 is located: the whole segment, not heuristic', () => {
    const d = decode(TLS_443);
    expect(d.rows.slice(2)).toEqual([row('tcp', 34, T, 106), row('tls', T, T, 106)]);
    expect(d.v.status).toBe(Status.Ok);
    expect(d.ids).toEqual([]);
  });

  // 198.51.100.20 → 192.0.2.10 TLSv1.2 99 Application Data
  it('on the server side too (source port 443)', () => expect(app(tcpFrom(443, 50000, APP_DATA))).toEqual(row('tls', T, T, 99)));

  it('content types 20 to 24 with major version 3 are record headers', () => {
    for (const type of [20, 21, 22, 23, 24]) {
      expect(app(tcpTo(50000, 443, tlsRecord(type, 0x0303, new Uint8Array(8)))).kind, `type ${type}`).toBe('tls');
    }
  });

  it('a segment from the middle of a record is not located', () => {
    notLocated(tcpTo(50000, 443, new Prng(5).bytes(120).map((x, i) => (i === 0 ? 0x8a : x))), 'continuation bytes');
  });

  it('look-alikes on 443: content type 19 or 25, major version other than 3, fewer than 5 bytes', () => {
    notLocated(tcpTo(50000, 443, tlsRecord(19, 0x0303, new Uint8Array(8))), 'type 19');
    notLocated(tcpTo(50000, 443, tlsRecord(25, 0x0303, new Uint8Array(8))), 'type 25');
    notLocated(tcpTo(50000, 443, tlsRecord(23, 0x0203, new Uint8Array(8))), 'version 2.3');
    notLocated(tcpTo(50000, 443, tlsRecord(23, 0x0403, new Uint8Array(8))), 'version 4.3');
    notLocated(tcpTo(50000, 443, fromHex('17 0303 00')), '4 bytes');
  });

  // 192.0.2.10 → 198.51.100.20 TLSv1 106 Client Hello
  it('a ClientHello on another port is located by the probe, flagged HEURISTIC', () => {
    expect(app(TLS_HEUR)).toEqual(row('tls', T, T, 106, H));
  });

  // 198.51.100.20 → 192.0.2.10 TLSv1.2 101 Server Hello
  it('a ServerHello from another port too', () => {
    expect(app(tcpFrom(8443, 50000, SERVER_HELLO))).toEqual(row('tls', T, T, T + SERVER_HELLO.length, H));
  });

  it('probe look-alikes: not a handshake, not a hello, a hello longer than its record, a bad version, fewer than 9 bytes', () => {
    notLocated(tcpTo(50000, 8443, APP_DATA), 'application data');
    notLocated(tcpTo(50000, 8443, tlsRecord(22, 0x0303, tlsHandshake(11, new Uint8Array(20)))), 'certificate');
    const long = CLIENT_HELLO.slice();
    long[8] = long[8]! + 1; // handshake length one more than the record leaves
    notLocated(tcpTo(50000, 8443, long), 'handshake longer than record');
    notLocated(tcpTo(50000, 8443, patched(CLIENT_HELLO, 1, 2)), 'major version 2');
    notLocated(tcpTo(50000, 8443, patched(CLIENT_HELLO, 2, 5)), 'minor version 5');
    notLocated(tcpTo(50000, 8443, CLIENT_HELLO.subarray(0, 8)), '8 bytes');
  });

  it('the probe accepts the exact boundary: handshake length + 4 equal to the record length', () => {
    expect(CLIENT_HELLO.length).toBe(5 + 4 + ((CLIENT_HELLO[6]! << 16) | (CLIENT_HELLO[7]! << 8) | CLIENT_HELLO[8]!));
    expect(app(TLS_HEUR).kind).toBe('tls');
  });
});

describe('TPKT / X.224 (RDP, Remote Assistance)', () => {
  // 192.0.2.10 → 198.51.100.20 RDP 100 Cookie: mstshash=helpdesk, Negotiate Request
  it('a Connection Request on 3389 is located, not heuristic', () => {
    expect(app(RDP_3389)).toEqual(row('tpkt', T, T, 100));
  });

  // 192.0.2.10 → 198.51.100.20 T.125 66
  it('any TPKT on 3389 is located (here an X.224 data TPDU)', () => expect(app(tcpTo(50000, 3389, TPKT_DT)).kind).toBe('tpkt'));

  // 192.0.2.10 → 198.51.100.20 TCP 100 50000 → 49852 [PSH, ACK] Seq=1 Ack=1 Win=65535 Len=46
  it('a Connection Request on a dynamic port (Remote Assistance) is located by the probe, flagged HEURISTIC', () => {
    const d = decode(RDP_DYN);
    expect(d.rows.slice(2)).toEqual([row('tcp', 34, T, 100), row('tpkt', T, T, 100, H)]);
  });

  // 198.51.100.20 → 192.0.2.10 TCP 73 49852 → 50000 [PSH, ACK] Seq=1 Ack=1 Win=65535 Len=19
  it('a Connection Confirm from a dynamic port too', () => {
    expect(app(tcpFrom(49852, 50000, RDP_CC))).toEqual(row('tpkt', T, T, T + RDP_CC.length, H));
  });

  it('look-alikes on 3389: version 2, reserved byte set, length below 7', () => {
    notLocated(tcpTo(50000, 3389, patched(TPKT_DT, 0, 2)), 'version 2');
    notLocated(tcpTo(50000, 3389, patched(TPKT_DT, 1, 1)), 'reserved 1');
    notLocated(tcpTo(50000, 3389, fromHex('0300 0006 0102')), 'length 6');
  });

  it('probe look-alikes: a data TPDU, a length other than the segment, a bad version or reserved byte', () => {
    notLocated(tcpTo(50000, 49852, TPKT_DT), 'X.224 data');
    notLocated(tcpTo(50000, 49852, concat(RDP_CR, Uint8Array.of(0))), 'one byte more than the TPKT length');
    notLocated(tcpTo(50000, 49852, RDP_CR.subarray(0, RDP_CR.length - 1)), 'one byte less');
    notLocated(tcpTo(50000, 49852, patched(RDP_CR, 0, 2)), 'version 2');
    notLocated(tcpTo(50000, 49852, patched(RDP_CR, 1, 1)), 'reserved 1');
    notLocated(tcpTo(50000, 49852, patched(RDP_CR, 5, 0xc0)), 'X.224 code 0xC0');
  });
});

describe('DCE/RPC', () => {
  // 192.0.2.10 → 198.51.100.20 DCERPC 126 Bind: call_id: 1, Fragment: Single, 1 context items: EPMv4 V3.0 (32bit NDR)
  it('a connection-oriented bind on 135 is located', () => expect(app(RPC_135)).toEqual(row('dcerpc', T, T, 126)));

  // 192.0.2.10 → 198.51.100.20 DCERPC 126 Bind: call_id: 1, Fragment: Single, 1 context items: EPMv4 V3.0 (32bit NDR)
  it('minor version 1 is accepted', () => expect(app(tcpTo(50000, 135, patched(RPC_BIND, 1, 1))).kind).toBe('dcerpc'));

  it('look-alikes on 135: version 4 (connectionless), minor version 2, fewer than 16 bytes', () => {
    notLocated(tcpTo(50000, 135, patched(RPC_BIND, 0, 4)), 'version 4');
    notLocated(tcpTo(50000, 135, patched(RPC_BIND, 1, 2)), 'minor 2');
    notLocated(tcpTo(50000, 135, RPC_BIND.subarray(0, 15)), '15 bytes');
  });

  it('a bind on another port is not located (no probe for DCE/RPC)', () => notLocated(tcpTo(50000, 49700, RPC_BIND), 'port 49700'));
});

describe('DNS, LLMNR, mDNS', () => {
  // 192.0.2.10 → 198.51.100.20 DNS 79 Standard query 0x1234 A isatap.corp.example
  it('a query on UDP 53 is located', () => {
    const d = decode(DNS_53);
    expect(d.rows.slice(2)).toEqual([row('udp', 34, U, 79), row('dns', U, U, 79)]);
  });

  // 192.0.2.10 → 224.0.0.251 MDNS 79 Standard query 0x1234 A isatap.corp.example, "QM" question
  it('mDNS on 5353', () => expect(app(udpTo(5353, 5353, QUERY, { src: V4.src, dst: '224.0.0.251' }))).toEqual(row('dns', U, U, 79)));

  // 192.0.2.10 → 224.0.0.252 LLMNR 79 Standard query 0x1234 A isatap.corp.example
  it('LLMNR on 5355', () => expect(app(udpTo(50000, 5355, QUERY, { src: V4.src, dst: '224.0.0.252' }))).toEqual(row('dns', U, U, 79)));

  // 198.51.100.20 → 192.0.2.10 DNS 79 Standard query 0x1234 A isatap.corp.example
  it('replies, by source port', () => expect(app(udpTo(53, 50000, QUERY, BACK)).kind).toBe('dns'));

  // 192.0.2.10 → 198.51.100.20 DNS 93 Standard query 0x1234 A isatap.corp.example
  it('DNS over TCP 53 (with its 2-byte length prefix)', () => {
    expect(app(tcpTo(50000, 53, concat(u16(QUERY.length), QUERY)))).toEqual(row('dns', T, T, 93));
  });

  it('look-alikes: fewer than 12 bytes on UDP, fewer than 14 on TCP, a query on another port', () => {
    notLocated(udpTo(50000, 53, QUERY.subarray(0, 11)), 'UDP 11 bytes');
    expect(app(udpTo(50000, 53, QUERY.subarray(0, 12))).kind).toBe('dns');
    notLocated(tcpTo(50000, 53, concat(u16(QUERY.length), QUERY).subarray(0, 13)), 'TCP 13 bytes');
    notLocated(udpTo(50000, 5354, QUERY), 'port 5354');
  });

  it('when both ports are known the lower one decides: DNS on 53 from Teredo port 3544 is DNS, not Teredo', () => {
    expect(decode(udpTo(3544, 53, QUERY)).kinds).toEqual(['eth', 'ipv4', 'udp', 'dns']);
  });
});

describe('HTTP, SSDP, PNRP', () => {
  // 192.0.2.10 → 198.51.100.20 HTTP 101 GET /IPHTTPS HTTP/1.1
  it('a request on 80 is located', () => expect(app(HTTP_80)).toEqual(row('http', T, T, 101)));

  it('a response from 80, and a NOTIFY on 2869', () => {
    expect(app(tcpFrom(80, 50000, ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))).kind).toBe('http');
    expect(app(tcpTo(50000, 2869, ascii('NOTIFY /upnp HTTP/1.1\r\n\r\n'))).kind).toBe('http');
  });

  it('every method the locator knows', () => {
    for (const m of ['GET', 'POST', 'HEAD', 'PUT', 'CONNECT', 'NOTIFY', 'M-SEARCH', 'SUBSCRIBE', 'OPTIONS']) {
      expect(app(tcpTo(50000, 80, ascii(`${m} / HTTP/1.1\r\n\r\n`))).kind, m).toBe('http');
    }
  });

  it('look-alikes on 80: lower case, no space after the method, no slash after HTTP, binary, a bare method', () => {
    notLocated(tcpTo(50000, 80, ascii('get / HTTP/1.1\r\n\r\n')), 'lower case');
    notLocated(tcpTo(50000, 80, ascii('GETX / HTTP/1.1\r\n\r\n')), 'GETX');
    notLocated(tcpTo(50000, 80, ascii('HTTP 1.1 200 OK\r\n')), 'HTTP without slash');
    notLocated(tcpTo(50000, 80, new Prng(80).bytes(64)), 'binary');
    notLocated(tcpTo(50000, 80, ascii('GET')), 'GET alone');
  });

  it('a request on another port is not located (no HTTP probe)', () => notLocated(tcpTo(50000, 8080, HTTP_GET), 'port 8080'));

  // 192.0.2.10 → 239.255.255.250 SSDP 136 M-SEARCH * HTTP/1.1
  it('SSDP on UDP 1900 and PNRP on UDP 3540 are located by port', () => {
    const msearch = ascii('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n');
    expect(app(udpTo(50000, 1900, msearch, { src: V4.src, dst: '239.255.255.250' }))).toEqual(row('ssdp', U, U, U + msearch.length));
    expect(app(udpTo(3540, 3540, new Prng(3540).bytes(20))).kind).toBe('pnrp');
  });
});

describe('malformed: one patched byte per probe check (nothing located, no anomaly)', () => {
  // Each entry: frame, offset in the application payload, value, and the transport.
  const checks: [string, Uint8Array, number, number, 'tcp' | 'udp'][] = [
    ['TLS on 443: content type', TLS_443, 0, 0x30, 'tcp'],
    ['TLS on 443: major version', TLS_443, 1, 0x01, 'tcp'],
    ['TLS probe: content type', TLS_HEUR, 0, 0x17, 'tcp'],
    ['TLS probe: handshake type', TLS_HEUR, 5, 0x0b, 'tcp'],
    ['TLS probe: handshake length', TLS_HEUR, 6, 0x01, 'tcp'],
    ['TPKT on 3389: version', RDP_3389, 0, 0x04, 'tcp'],
    ['TPKT probe: length', RDP_DYN, 3, RDP_CR[3]! + 1, 'tcp'],
    ['TPKT probe: X.224 code', RDP_DYN, 5, 0xf0, 'tcp'],
    ['DCE/RPC on 135: version', RPC_135, 0, 0x06, 'tcp'],
    ['DCE/RPC on 135: minor version', RPC_135, 1, 0x03, 'tcp'],
    ['HTTP on 80: method', HTTP_80, 3, 0x2f, 'tcp'],
  ];
  for (const [name, frame, off, value, transport] of checks) {
    it(name, () => {
      expect(decode(frame).kinds.length, 'the unpatched frame is located').toBe(4);
      notLocated(patched(frame, (transport === 'tcp' ? T : U) + off, value), name);
    });
  }
});

describe('truncation sweep', () => {
  it('TLS on 443', () => sweep(TLS_443, (n) => n >= T));
  it('TLS probe', () => sweep(TLS_HEUR, (n) => n >= T));
  it('TPKT on 3389', () => sweep(RDP_3389, (n) => n >= T));
  it('TPKT probe', () => sweep(RDP_DYN, (n) => n >= T));
  it('DCE/RPC on 135', () => sweep(RPC_135, (n) => n >= T));
  it('DNS on 53', () => sweep(DNS_53, (n) => n >= U));
  it('HTTP on 80', () => sweep(HTTP_80, (n) => n >= T));

  it('a cut segment is located from as many bytes as its check reads, and then ends at the cut', () => {
    const from: [Uint8Array, number, number][] = [[TLS_443, T, 5], [TLS_HEUR, T, 9], [RPC_135, T, 16], [DNS_53, U, 12], [HTTP_80, T, 4]];
    for (const [frame, at, need] of from) {
      const whole = decode(frame).rows.at(-1)!;
      for (let n = at; n < frame.length; n++) {
        const d = decode(frame, { capLen: n, wireLen: frame.length });
        if (n - at >= need) expect(d.rows.at(-1), `${whole.kind} at ${n}`).toEqual(row(whole.kind, at, at, n, whole.flags));
        else expect(d.kinds, `${whole.kind} at ${n}`).toHaveLength(3);
      }
    }
  });

  it('the TPKT probe needs the whole TPKT: a cut Connection Request is not located', () => {
    const d = decode(RDP_DYN, { capLen: RDP_DYN.length - 1, wireLen: RDP_DYN.length });
    expect(d.kinds).toEqual(['eth', 'ipv4', 'tcp']);
  });
});

describe('clamping', () => {
  it('Ethernet padding and FCS stay out of a located TLS record', () => {
    const alert = tcpTo(50000, 443, tlsRecord(21, 0x0303, fromHex('0100'))); // 54 + 7 = 61 bytes
    const d = decode(concat(alert, new Uint8Array(3).fill(0x16), fromHex('cafebabe')), { fcsLen: 4 });
    expect(d.rows.slice(1)).toEqual([row('ipv4', 14, 34, 61), row('tcp', 34, T, 61), row('tls', T, T, 61)]);
  });

  it('bytes after the IP total length do not spoil the TPKT probe (its length is compared with the segment, not the frame)', () => {
    const d = decode(concat(RDP_DYN, new Uint8Array(8).fill(0x03)));
    expect(d.rows.slice(2)).toEqual([row('tcp', 34, T, 100), row('tpkt', T, T, 100, H)]);
  });

  it('bytes after the UDP length stay out of a located DNS message', () => {
    const dgram = concat(udp(V4, 50000, 53, QUERY), new Uint8Array(9).fill(0xc0));
    const d = decode(ethernet(MAC_S, MAC_C, EtherType.IPv4, ipv4({ ...V4, protocol: Proto.UDP }, dgram)));
    expect(d.rows.slice(2)).toEqual([row('udp', 34, U, 79), row('dns', U, U, 79)]);
  });
});
