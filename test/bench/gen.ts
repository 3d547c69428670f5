/**
 * Deterministic capture generators for `npm run bench`: the mixed DirectAccess capture (classic pcap and its
 * pcapng twin), an IP-HTTPS capture with a NULL cipher suite, and a capture of more flows than the flow bound.
 *
 * Building every packet with the builders would allocate several objects per packet, so each generator
 * builds a pool of template packets once with a fixed seed, encodes each once through the real writers
 * (PcapWriter / PcapngWriter), and its loop only copies encoded records into a large batch buffer and
 * patches what must move on per packet: the timestamp and, so that flows progress instead of replaying,
 * sequence numbers, addresses or ports (with an incremental checksum update, so tshark finds no bad
 * checksums). Same seed → same bytes.
 */

import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PcapngWriter, PcapWriter } from '../../src/capture/writer.js';
import {
  EtherType, Prng, Proto, TcpFlag, ascii, concat, ethernet, icmpv6, ipv4, ipv6, tcp, udp, u16, u32, type Bytes,
} from '../helpers/build.js';
import {
  ContentType, NULL_MAC, SERVER_CERT_DER, Suite, certificate, changeCipherSpec, clientHello, clientKeyExchange, finished, ipHttpsRequest,
  ipHttpsResponse, nullCipherAppData, pseudoMac, record, serverHello, serverHelloDone,
} from '../helpers/tls-build.js';

export const LINKTYPE_ETHERNET = 1;
/** First packet's time: 2024-01-15T08:00:00Z. */
const START_SEC = 1705305600;
const FLOWS = 1000;
const TEMPLATES_PER_FLOW = 2;
const BATCH = 8 << 20;

/** What a template packet is, for the traffic-mix summary. */
export const Kind = { IpHttps: 0, Proto41: 1, Teredo: 2, Esp: 3, Isakmp: 4 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
export const KIND_NAMES = ['IPv4 TCP/443 (IP-HTTPS)', 'IPv6-in-IPv4 (proto 41)', 'Teredo (UDP 3544)', 'IPv6 ESP', 'UDP 500 ISAKMP'];

interface Template {
  kind: Kind;
  data: Bytes;
  /** epb_flags direction: 1 inbound, 2 outbound. */
  dir: number;
  /**
   * Frame offset of a 32-bit big-endian counter that moves on with each use, so flows look alive
   * rather than replayed: the TCP sequence number of a data segment (advances by its payload), the
   * ESP sequence number (advances by 1), or the acknowledgement number of a pure ACK (set to its
   * data segment's next sequence number). -1 when none.
   */
  ctrAt: number;
  step: number;
  /** Frame offset of the TCP/UDP checksum covering the counter (updated incrementally, RFC 1624); -1 none. */
  sumAt: number;
  udpSum: boolean;
  /** For a TCP data segment: index of the pure ACK that answers it; -1 otherwise. */
  ackIdx: number;
  /** A pure ACK, written only right after its data segment. */
  isAck: boolean;
}

const CLIENT_MAC = '00:15:5d:0a:01:02';
const GATEWAY_MAC = '00:15:5d:ff:00:01';
const DA_IPHTTPS = '203.0.113.10';
const DA_TEREDO = '203.0.113.11';
const DA_6TO4 = '203.0.113.12';
const DA_V6 = '2001:db8:da::10';
// Header sizes for the counter offsets: Ethernet, IPv4 without options, IPv6, UDP.
const ETH = 14;
const IP4 = 20;
const IP6 = 40;
const UDP = 8;

function hex4(n: number): string {
  return (n & 0xffff).toString(16);
}

/** A size for a data packet's payload: mostly small, some medium, a tail of near-MTU segments. */
function payloadSize(r: Prng): number {
  const p = r.int(100);
  if (p < 45) return 16 + r.int(150);
  if (p < 80) return 200 + r.int(500);
  return 1000 + r.int(360);
}

/** TLS application-data record: 17 03 03 len, then opaque bytes. */
function tlsRecord(r: Prng, n: number): Bytes {
  const len = Math.max(n, 5) - 5;
  return concat(Uint8Array.of(0x17, 0x03, 0x03), u16(len), r.bytes(len));
}

/** ESP (RFC 4303): SPI, sequence, then ciphertext + ICV (random, 4-byte aligned). */
function esp(r: Prng, spi: number, n: number): Bytes {
  return concat(u32(spi), u32(1 + r.int(1 << 20)), r.bytes((Math.max(n, 24) + 3) & ~3));
}

/**
 * ISAKMP header (RFC 2408 §3.1): cookies, next payload, version 1.0, exchange (Main Mode,
 * Informational, Quick Mode, or AuthIP's 243/244), flags with the encryption bit, message id,
 * length; then the (encrypted, so opaque) payloads.
 */
function isakmp(r: Prng, n: number): Bytes {
  const body = r.bytes((Math.max(n, 36) - 28 + 7) & ~7);
  const exch = [2, 5, 32, 243, 244][r.int(5)]!;
  return concat(r.bytes(16), Uint8Array.of(8, 0x10, exch, 0x01), u32(r.next()), u32(28 + body.length), body);
}

function client4(r: Prng): string {
  return `198.51.100.${1 + r.int(254)}`;
}

interface Endpoints4or6 {
  src: string;
  dst: string;
}

function plain(kind: Kind, dir: number, data: Bytes): Template {
  return { kind, dir, data, ctrAt: -1, step: 0, sumAt: -1, udpSum: false, ackIdx: -1, isAck: false };
}

/**
 * A TCP data segment and the pure ACK that answers it, both wrapped by `wrap` (which says how many
 * bytes precede the TCP header). Returns the two templates; the caller links them.
 */
function tcpPair(r: Prng, kind: Kind, up: Endpoints4or6, down: Endpoints4or6, cport: number, sport: number,
  payload: Bytes, toServer: boolean, wrap: (toServer: boolean, seg: Bytes) => Bytes, tcpAt: number): [Template, Template] {
  const seqC = r.next();
  const seqS = r.next();
  const dataSeg = toServer
    ? tcp(up, { sport: cport, dport: sport, seq: seqC, ack: seqS, flags: TcpFlag.ACK | TcpFlag.PSH }, payload)
    : tcp(down, { sport, dport: cport, seq: seqS, ack: seqC, flags: TcpFlag.ACK | TcpFlag.PSH }, payload);
  const ackSeg = toServer
    ? tcp(down, { sport, dport: cport, seq: seqS, ack: (seqC + payload.length) >>> 0, flags: TcpFlag.ACK })
    : tcp(up, { sport: cport, dport: sport, seq: seqC, ack: (seqS + payload.length) >>> 0, flags: TcpFlag.ACK });
  const data: Template = {
    kind, dir: toServer ? 2 : 1, data: wrap(toServer, dataSeg),
    ctrAt: tcpAt + 4, step: payload.length, sumAt: tcpAt + 16, udpSum: false, ackIdx: -1, isAck: false,
  };
  const ack: Template = {
    kind, dir: toServer ? 1 : 2, data: wrap(!toServer, ackSeg),
    ctrAt: tcpAt + 8, step: 0, sumAt: tcpAt + 16, udpSum: false, ackIdx: -1, isAck: true,
  };
  return [data, ack];
}

function macs(up: boolean): [string, string] {
  return up ? [GATEWAY_MAC, CLIENT_MAC] : [CLIENT_MAC, GATEWAY_MAC];
}

function flowTemplates(r: Prng, flow: number): Template[] {
  const k = r.int(100);
  const cport = 49152 + r.int(16000);
  if (k < 35) {
    // IP-HTTPS: IPv6 inside TLS to the DA server on 443: a TLS record one way, a pure ACK back.
    const c = client4(r);
    const up = { src: c, dst: DA_IPHTTPS };
    const down = { src: DA_IPHTTPS, dst: c };
    const toServer = r.int(2) === 0;
    return tcpPair(r, Kind.IpHttps, up, down, cport, 443, tlsRecord(r, payloadSize(r)), toServer, (u, seg) => {
      const [dst, src] = macs(u);
      return ethernet(dst, src, EtherType.IPv4, ipv4({ ...(u ? up : down), protocol: Proto.TCP, id: flow }, seg));
    }, ETH + IP4);
  }
  const c = client4(r);
  if (k < 50) {
    // 6to4: IPv4 protocol 41 carrying IPv6: SMB over TCP 445, or ESP.
    const parts = c.split('.').map(Number);
    const v6c = `2002:${hex4((parts[0]! << 8) | parts[1]!)}:${hex4((parts[2]! << 8) | parts[3]!)}::1`;
    const v6s = '2002:cb00:710c::1';
    const wrap4 = (u: boolean, inner: Bytes): Bytes => {
      const [dst, src] = macs(u);
      return ethernet(dst, src, EtherType.IPv4, ipv4({ ...(u ? { src: c, dst: DA_6TO4 } : { src: DA_6TO4, dst: c }), protocol: Proto.IPv6 }, inner));
    };
    const up6 = { src: v6c, dst: v6s };
    const down6 = { src: v6s, dst: v6c };
    if (r.int(2) === 0) {
      // SMB 3 encrypted message: NetBIOS session header, SMB2 TRANSFORM_HEADER (0xFD 'SMB',
      // signature, nonce, original size, flags = encrypted, session id), ciphertext.
      const cipher = r.bytes(payloadSize(r));
      const le32 = (v: number): Bytes => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
      const smb = concat(Uint8Array.of(0, 0, 0, 0, 0xfd, 0x53, 0x4d, 0x42), r.bytes(32), le32(cipher.length),
        Uint8Array.of(0, 0, 1, 0), r.bytes(8), cipher);
      smb.set(u16(smb.length - 4), 2); // NetBIOS session length (fits 16 bits here)
      return tcpPair(r, Kind.Proto41, up6, down6, cport, 445, smb, r.int(2) === 0, (u, seg) =>
        wrap4(u, ipv6({ ...(u ? up6 : down6), nextHeader: Proto.TCP }, seg)), ETH + IP4 + IP6);
    }
    return [true, false].map((u) => ({
      ...plain(Kind.Proto41, u ? 2 : 1, wrap4(u, ipv6({ ...(u ? up6 : down6), nextHeader: Proto.ESP }, esp(r, (u ? 0x1000 : 0x1800) + flow, payloadSize(r))))),
      ctrAt: ETH + IP4 + IP6 + 4, step: 1,
    }));
  }
  if (k < 65) {
    // Teredo: IPv4 UDP to/from 3544 carrying IPv6: ESP to the DA server, and a few bubbles.
    const teredo = `2001:0:cb00:710b:8000:${hex4(~cport)}:${hex4(r.next())}:${hex4(r.next())}`;
    return [true, false].map((u) => {
      const ep6 = u ? { src: teredo, dst: DA_V6 } : { src: DA_V6, dst: teredo };
      const bubble = r.int(4) === 0;
      const inner = bubble
        ? ipv6({ ...ep6, nextHeader: Proto.NoNext }, new Uint8Array(0))
        : ipv6({ ...ep6, nextHeader: Proto.ESP }, esp(r, (u ? 0x2000 : 0x2800) + flow, payloadSize(r)));
      const ep4 = u ? { src: c, dst: DA_TEREDO } : { src: DA_TEREDO, dst: c };
      const seg = u ? udp(ep4, cport, 3544, inner) : udp(ep4, 3544, cport, inner);
      const [dst, src] = macs(u);
      const t = plain(Kind.Teredo, u ? 2 : 1, ethernet(dst, src, EtherType.IPv4, ipv4({ ...ep4, protocol: Proto.UDP }, seg)));
      return bubble ? t : { ...t, ctrAt: ETH + IP4 + UDP + IP6 + 4, step: 1, sumAt: ETH + IP4 + 6, udpSum: true };
    });
  }
  if (k < 90) {
    // Native IPv6 ESP: link-local (on-link peer) or global DA addresses; SPI + sequence + random payload.
    const linkLocal = r.int(2) === 0;
    const a = linkLocal ? `fe80::215:5dff:fe0a:${hex4(flow)}` : `2001:db8:da:1000::${hex4(flow)}`;
    const b = linkLocal ? `fe80::215:5dff:feff:${hex4(r.next())}` : DA_V6;
    return [true, false].map((u) => {
      const n = r.int(3) === 0 ? 40 + r.int(40) : payloadSize(r);
      const [dst, src] = macs(u);
      const ip = ipv6({ ...(u ? { src: a, dst: b } : { src: b, dst: a }), nextHeader: Proto.ESP, flowLabel: flow & 0xfffff },
        esp(r, (u ? 0x3000 : 0x4000) + flow, n));
      return { ...plain(Kind.Esp, u ? 2 : 1, ethernet(dst, src, EtherType.IPv6, ip)), ctrAt: ETH + IP6 + 4, step: 1 };
    });
  }
  // IKE / AuthIP on UDP 500, over IPv4 or IPv6.
  const v6 = r.int(2) === 0;
  const a = v6 ? `2001:db8:da:1000::${hex4(flow)}` : c;
  const b = v6 ? DA_V6 : DA_IPHTTPS;
  return [true, false].map((u) => {
    const ep = u ? { src: a, dst: b } : { src: b, dst: a };
    const seg = udp(ep, 500, 500, isakmp(r, 100 + r.int(500)));
    const ip = v6 ? ipv6({ ...ep, nextHeader: Proto.UDP }, seg) : ipv4({ ...ep, protocol: Proto.UDP }, seg);
    const [dst, src] = macs(u);
    return plain(Kind.Isakmp, u ? 2 : 1, ethernet(dst, src, v6 ? EtherType.IPv6 : EtherType.IPv4, ip));
  });
}

/** The template pool: 1000 flows × 2 packets, fixed seed. TCP data segments are linked to their ACK. */
export function buildTemplates(seed: number): Template[] {
  const r = new Prng(seed);
  const all: Template[] = [];
  for (let f = 0; f < FLOWS; f++) {
    const ts = flowTemplates(r, f);
    if (ts.length !== TEMPLATES_PER_FLOW) throw new Error('template count');
    if (ts[1]!.isAck) ts[0]!.ackIdx = all.length + 1;
    all.push(...ts);
  }
  return all;
}

function u32beAt(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function putU32be(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** RFC 1624 eqn. 3: the checksum after a 32-bit field changes from `m` to `m2`. */
function updatedSum(sum: number, m: number, m2: number, udpZero: boolean): number {
  let s = (~sum & 0xffff) + (~(m >>> 16) & 0xffff) + (m2 >>> 16) + (~m & 0xffff) + (m2 & 0xffff);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const out = ~s & 0xffff;
  return udpZero && out === 0 ? 0xffff : out;
}

/** A writer sink that collects chunks until taken, so one writer can encode many bare records. */
class Collect {
  private parts: Uint8Array[] = [];
  readonly out = (c: Uint8Array): void => {
    this.parts.push(c.slice()); // the writer reuses its buffer (see ByteSink)
  };
  take(): Bytes {
    const b = concat(...this.parts);
    this.parts = [];
    return b;
  }
}

/** Buffers output in one large array and writes it with fs.writeSync; hashes what it writes. */
class BatchFile {
  readonly fd: number;
  readonly buf = new Uint8Array(BATCH);
  at = 0;
  bytes = 0;
  private readonly hash = createHash('sha256');
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  /** Makes room for n bytes and returns the offset to write them at. */
  reserve(n: number): number {
    if (this.at + n > this.buf.length) this.flush();
    const at = this.at;
    this.at += n;
    this.bytes += n;
    return at;
  }
  put(b: Uint8Array): void {
    this.buf.set(b, this.reserve(b.length));
  }
  flush(): void {
    let off = 0;
    while (off < this.at) off += writeSync(this.fd, this.buf, off, this.at - off);
    this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
  }
  close(): string {
    this.flush();
    closeSync(this.fd);
    return this.hash.digest('hex');
  }
}

export interface GeneratedPair {
  sizeMiB: number;
  pcap: string;
  pcapng: string;
  packets: number;
  pcapBytes: number;
  pcapngBytes: number;
  pcapSha256: string;
  pcapngSha256: string;
  /** Mean frame (link-layer) length in bytes. */
  meanFrame: number;
  flows: number;
  templates: number;
  /** Packets per template kind, indexed by Kind. */
  perKind: number[];
  seconds: number;
}

function putU32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/**
 * Writes `<dir>/da-<size>M.pcap` (µs, little-endian, Ethernet) and `<dir>/da-<size>M.pcapng`
 * (one SHB, one Ethernet IDB at µs, EPBs with epb_flags direction) holding the same packet
 * sequence, until the classic file reaches `sizeMiB` MiB (at least one packet, so 0 gives a tiny file).
 */
export function generatePair(dir: string, sizeMiB: number, seed = 0xda2024): GeneratedPair {
  const t0 = performance.now();
  const templates = buildTemplates(seed);
  const zero = { sec: 0, nsec: 0 };
  // Encode every template once through the real writers; timestamps are patched per packet below.
  // Each writer's file header / SHB + IDB is taken first, then one bare record per template.
  const pc = new Collect();
  const pw = new PcapWriter(pc.out, { linkType: LINKTYPE_ETHERNET });
  const pcapHead = pc.take();
  const pcapRecs = templates.map((t) => {
    pw.packet(zero, t.data);
    return pc.take();
  });
  const nc = new Collect();
  const nw = new PcapngWriter(nc.out);
  nw.section({ application: 'da-audit bench generator', os: 'Windows 11 (synthetic)' });
  nw.interface({ linkType: LINKTYPE_ETHERNET, name: '\\Device\\NPF_{BENCH-0000-0000-0000-000000000001}' });
  const ngHead = nc.take();
  const ngRecs = templates.map((t) => {
    nw.packet(zero, t.data, { iface: 0, flags: t.dir });
    return nc.take();
  });
  const pcapPath = join(dir, `da-${sizeMiB}M.pcap`);
  const ngPath = join(dir, `da-${sizeMiB}M.pcapng`);
  const pf = new BatchFile(pcapPath);
  const nf = new BatchFile(ngPath);
  pf.put(pcapHead);
  nf.put(ngHead);
  const target = sizeMiB * 1024 * 1024;
  const n = templates.length;
  // Counter state per template (see Template.ctrAt), and the template's own value and checksum.
  const ctr = new Float64Array(n);
  const ctr0 = new Float64Array(n);
  const sum0 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = templates[i]!;
    if (t.ctrAt >= 0) ctr[i] = ctr0[i] = u32beAt(t.data, t.ctrAt);
    if (t.sumAt >= 0) sum0[i] = (t.data[t.sumAt]! << 8) | t.data[t.sumAt + 1]!;
  }
  const starts: number[] = [];
  for (let i = 0; i < n; i++) if (!templates[i]!.isAck) starts.push(i);
  const r = new Prng(seed ^ 0x5eed);
  const perKind = [0, 0, 0, 0, 0];
  let sec = START_SEC;
  let usec = 0;
  let packets = 0;
  let frameBytes = 0;
  const emit = (i: number): void => {
    if (usec >= 1_000_000) {
      sec += Math.floor(usec / 1_000_000);
      usec %= 1_000_000;
    }
    const t = templates[i]!;
    const pr = pcapRecs[i]!;
    const pAt = pf.reserve(pr.length);
    pf.buf.set(pr, pAt);
    putU32le(pf.buf, pAt, sec);
    putU32le(pf.buf, pAt + 4, usec);
    const nr = ngRecs[i]!;
    const nAt = nf.reserve(nr.length);
    nf.buf.set(nr, nAt);
    // EPB timestamp: 64-bit µs ticks split into high and low 32-bit words (exact below 2^53).
    const ticks = sec * 1_000_000 + usec;
    putU32le(nf.buf, nAt + 12, Math.floor(ticks / 4294967296));
    putU32le(nf.buf, nAt + 16, ticks % 4294967296);
    if (t.ctrAt >= 0) {
      const v = ctr[i]!;
      putU32be(pf.buf, pAt + 16 + t.ctrAt, v);
      putU32be(nf.buf, nAt + 28 + t.ctrAt, v);
      if (t.sumAt >= 0) {
        const sum = updatedSum(sum0[i]!, ctr0[i]!, v, t.udpSum);
        pf.buf[pAt + 16 + t.sumAt] = nf.buf[nAt + 28 + t.sumAt] = sum >>> 8;
        pf.buf[pAt + 16 + t.sumAt + 1] = nf.buf[nAt + 28 + t.sumAt + 1] = sum & 0xff;
      }
      if (!t.isAck) {
        ctr[i] = (v + t.step) >>> 0;
        if (t.ackIdx >= 0) ctr[t.ackIdx] = ctr[i]!;
      }
    }
    packets++;
    frameBytes += t.data.length;
    perKind[t.kind]!++;
  };
  do {
    // Bursty arrival: mostly back-to-back, sometimes a gap; always forward in time.
    const x = r.next();
    usec += (x & 3) === 0 ? 200 + ((x >>> 2) & 4095) : 1 + ((x >>> 2) & 63);
    const i = starts[r.next() % starts.length]!;
    emit(i);
    const a = templates[i]!.ackIdx;
    if (a >= 0) {
      usec += 20 + (r.next() & 127);
      emit(a);
    }
  } while (pf.bytes < target);
  const pcapSha256 = pf.close();
  const pcapngSha256 = nf.close();
  return {
    sizeMiB, pcap: pcapPath, pcapng: ngPath, packets, pcapBytes: pf.bytes, pcapngBytes: nf.bytes, pcapSha256, pcapngSha256,
    meanFrame: frameBytes / packets, flows: FLOWS, templates: n, perKind, seconds: (performance.now() - t0) / 1000,
  };
}

// ---- shared by the pipeline captures below ---------------------------------------------------------

/** Frame offsets of a TCP segment in Ethernet + IPv4 without options, and of its fields. */
const TCP_AT = ETH + IP4;
const SEQ_AT = TCP_AT + 4;
const ACK_AT = TCP_AT + 8;
const TCP_SUM_AT = TCP_AT + 16;
const TCP_PAYLOAD_AT = TCP_AT + 20;
const IP4_SUM_AT = ETH + 10;
const IP4_SRC_AT = ETH + 12;
const IP4_DST_AT = ETH + 16;
/** Bytes of a classic pcap record header, before the frame. */
const PCAP_REC = 16;

/** One's-complement sum of the 16-bit words of frame bytes [from, to); both even, so words align with the frame's. */
function wordSum(b: Uint8Array, f: number, from: number, to: number): number {
  let s = 0;
  for (let w = from; w < to; w += 2) s += (b[f + w]! << 8) | b[f + w + 1]!;
  return s;
}

/**
 * Writes `len` bytes of `v` big-endian at frame offset `at` and updates the checksums at `sums` that cover
 * them (RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), over every 16-bit word the bytes touch, so an odd offset
 * works too; every region checksummed here starts at an even frame offset).
 */
function patch(b: Uint8Array, f: number, at: number, len: number, v: number, sums: readonly number[]): void {
  const lo = at & ~1;
  const hi = (at + len + 1) & ~1;
  const before = wordSum(b, f, lo, hi);
  for (let i = len - 1, x = v; i >= 0; i--, x = Math.floor(x / 256)) b[f + at + i] = x & 0xff;
  const after = wordSum(b, f, lo, hi);
  for (const sumAt of sums) {
    let s = (~((b[f + sumAt]! << 8) | b[f + sumAt + 1]!) & 0xffff) + ((hi - lo) / 2) * 0xffff - before + after;
    while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
    const out = ~s & 0xffff;
    b[f + sumAt] = out >>> 8;
    b[f + sumAt + 1] = out & 0xff;
  }
}

/** The classic pcap record (µs, little-endian) of one frame, timestamp zero: patched when written. */
function pcapRecord(frame: Bytes): Bytes {
  const c = new Collect();
  const w = new PcapWriter(c.out, { linkType: LINKTYPE_ETHERNET });
  c.take();
  w.packet({ sec: 0, nsec: 0 }, frame);
  return c.take();
}

function pcapFileHeader(): Bytes {
  const c = new Collect();
  new PcapWriter(c.out, { linkType: LINKTYPE_ETHERNET });
  return c.take();
}

/** Writes a record at a time into a BatchFile, with a clock that only moves forward. */
class RecordOut {
  readonly file: BatchFile;
  sec = START_SEC;
  usec = 0;
  packets = 0;
  frameBytes = 0;
  constructor(path: string) {
    this.file = new BatchFile(path);
    this.file.put(pcapFileHeader());
  }
  wait(us: number): void {
    this.usec += us;
    if (this.usec >= 1_000_000) {
      this.sec += Math.floor(this.usec / 1_000_000);
      this.usec %= 1_000_000;
    }
  }
  /** Copies the record in and stamps it; returns the frame's offset in file.buf for patching. */
  put(rec: Bytes): number {
    const at = this.file.reserve(rec.length);
    const b = this.file.buf;
    b.set(rec, at);
    putU32le(b, at, this.sec);
    putU32le(b, at + 4, this.usec);
    this.packets++;
    this.frameBytes += rec.length - PCAP_REC;
    return at + PCAP_REC;
  }
}

/** A generated classic pcap of one of the pipeline workloads. */
export interface GeneratedCapture {
  path: string;
  /** MiB asked for (IP-HTTPS), or 0 (the flow-count capture, sized by its flows). */
  sizeMiB: number;
  packets: number;
  bytes: number;
  sha256: string;
  meanFrame: number;
  seconds: number;
}

// ---- IP-HTTPS with a NULL cipher suite (issue 6) ----------------------------------------------------

/**
 * IP-HTTPS clients (MS-IPHTTPS §3.1.5) to one DirectAccess server over IPv4 TCP/443. Each connection opens
 * with the TCP handshake, a TLS 1.2 handshake choosing TLS_RSA_WITH_NULL_SHA256, the client's POST and the
 * server's 200 OK; then each direction's IPv6 packets follow, each one the plaintext of an application-data
 * record followed by its 32-byte MAC (RFC 5246 §6.2.3.1). Inside: ESP on two SA pairs per client (the
 * DirectAccess infrastructure and intranet tunnels, to two server addresses) and ICMPv6 echo.
 */
const IPHTTPS_CONNS = 100;
const IPHTTPS_SUITE = Suite.RSA_WITH_NULL_SHA256;
const IPHTTPS_MAC = NULL_MAC[IPHTTPS_SUITE]!;
const IPHTTPS_SERVER = '203.0.113.10';
const IPHTTPS_DA_INFRA = '2001:db8:1::1';
const IPHTTPS_DA_INTRANET = '2001:db8:1::2';
/** Data segment templates per connection and direction (plus one pure ACK each). */
const IPHTTPS_TEMPLATES = 12;
const MSS = 1460;
const INNER_MTU = 1280;
/** Record header, then the inner IPv6 header and the ESP SPI: where an inner ESP sequence number sits in a record. */
const REC_ESP_SEQ = 5 + IP6 + 4;

/** What kind of record a template carries, for the traffic-mix summary. */
export const IPHTTPS_KIND_NAMES = ['one record, ESP', 'two records, ESP', 'one record split over two segments, ESP', 'one record, ICMPv6 echo',
  'pure ACK'];

interface TcpTemplate {
  rec: Bytes;
  conn: number;
  fromClient: boolean;
  /** TCP payload bytes: how far the sender's sequence number moves. */
  payload: number;
  /** Frame offsets of inner ESP sequence numbers, and the SA counter each takes its value from. */
  espAt: number[];
  espSa: number[];
  /** Inner packets whose last byte this segment carries. */
  inner: number;
  /** Inner flows those packets belong to (see innerFlowOf). */
  flows: number[];
  /** Index of the segment that must come right after (the second half of a split record); −1 none. */
  follow: number;
  kind: number;
}

export interface GeneratedIpHttps extends GeneratedCapture {
  connections: number;
  /** Inner IPv6 packets in the application data of all connections (the HTTP heads aside). */
  innerPackets: number;
  /** Inner flows the analyser should find: per connection, up to three (ESP to each server address, and the echo). */
  innerFlows: number;
  /** Segments per template kind (IPHTTPS_KIND_NAMES), the handshakes left out. */
  perKind: number[];
}

function innerPayloadSize(r: Prng): number {
  const n = payloadSize(r);
  return Math.min(n, INNER_MTU - IP6 - 8 - 16);
}

/** Splits a flight into segments of at most one MSS. */
function segments(bytes: Bytes): Bytes[] {
  const out: Bytes[] = [];
  for (let at = 0; at < bytes.length; at += MSS) out.push(bytes.subarray(at, Math.min(bytes.length, at + MSS)));
  return out;
}

/**
 * Writes `<dir>/iphttps-<size>M.pcap` (classic, µs, Ethernet) until it reaches `sizeMiB` MiB. The handshakes
 * are built with the TLS builders and written once; data segments come from templates whose TCP sequence and
 * acknowledgement numbers and inner ESP sequence numbers are patched per use (with the TCP checksum), so each
 * direction is one gap-free byte stream and every SA counts up.
 */
export function generateIpHttps(dir: string, sizeMiB: number, seed = 0x1b7795): GeneratedIpHttps {
  const t0 = performance.now();
  const r = new Prng(seed);
  const path = join(dir, `iphttps-${sizeMiB}M.pcap`);
  const out = new RecordOut(path);
  const b = out.file.buf;
  // Per connection: the next sequence number of each side (client 2c, server 2c + 1); per SA: the next ESP sequence number.
  const seq = new Float64Array(2 * IPHTTPS_CONNS);
  const saSeq = new Float64Array(4 * IPHTTPS_CONNS).fill(1);
  const templates: TcpTemplate[] = [];
  const acks: number[] = [];
  const starts: number[][] = [];
  const perKind = [0, 0, 0, 0, 0];
  let innerPackets = 0;
  const client4 = (c: number): string => `198.51.100.${1 + (c % 254)}`;
  const client6 = (c: number): string => `2001:db8:1:1000::${hex4(c + 1)}`;
  const cport = (c: number): number => 49152 + c * 7;
  const frame = (c: number, fromClient: boolean, o: { seq: number; ack: number; flags: number }, payload: Bytes): Bytes => {
    const ep = fromClient ? { src: client4(c), dst: IPHTTPS_SERVER } : { src: IPHTTPS_SERVER, dst: client4(c) };
    const seg = tcp(ep, { sport: fromClient ? cport(c) : 443, dport: fromClient ? 443 : cport(c), ...o }, payload);
    const [dst, src] = macs(fromClient);
    return ethernet(dst, src, EtherType.IPv4, ipv4({ ...ep, protocol: Proto.TCP, id: c }, seg));
  };

  // The handshakes, each connection in turn: SYN, SYN-ACK, ACK; the TLS flights; the POST and the 200 OK.
  const hello = record(ContentType.Handshake, clientHello({ suites: [IPHTTPS_SUITE, Suite.RSA_WITH_NULL_SHA], sni: 'da.contoso.example' }), 0x0301);
  const serverFlight = record(ContentType.Handshake, concat(serverHello({ suite: IPHTTPS_SUITE }), certificate([SERVER_CERT_DER]), serverHelloDone()));
  const protect = (type: number, plain: Bytes): Bytes => record(type, concat(plain, pseudoMac(IPHTTPS_MAC)));
  const clientFinish = concat(record(ContentType.Handshake, clientKeyExchange()), changeCipherSpec(), protect(ContentType.Handshake, finished()));
  const serverFinish = concat(changeCipherSpec(), protect(ContentType.Handshake, finished()));
  const post = protect(ContentType.ApplicationData, ascii(ipHttpsRequest('/IPHTTPS', 'da.contoso.example')));
  const ok = protect(ContentType.ApplicationData, ascii(ipHttpsResponse()));
  for (let c = 0; c < IPHTTPS_CONNS; c++) {
    const isn = [r.next(), r.next()];
    out.put(pcapRecord(frame(c, true, { seq: isn[0]!, ack: 0, flags: TcpFlag.SYN }, new Uint8Array(0))));
    out.wait(300);
    out.put(pcapRecord(frame(c, false, { seq: isn[1]!, ack: (isn[0]! + 1) >>> 0, flags: TcpFlag.SYN | TcpFlag.ACK }, new Uint8Array(0))));
    out.wait(300);
    seq[2 * c] = (isn[0]! + 1) >>> 0;
    seq[2 * c + 1] = (isn[1]! + 1) >>> 0;
    out.put(pcapRecord(frame(c, true, { seq: seq[2 * c]!, ack: seq[2 * c + 1]!, flags: TcpFlag.ACK }, new Uint8Array(0))));
    for (const [fromClient, flight] of [[true, hello], [false, serverFlight], [true, clientFinish], [false, serverFinish], [true, post], [false, ok]] as const) {
      const me = 2 * c + (fromClient ? 0 : 1);
      const peer = 2 * c + (fromClient ? 1 : 0);
      for (const s of segments(flight)) {
        out.wait(100 + r.int(300));
        out.put(pcapRecord(frame(c, fromClient, { seq: seq[me]!, ack: seq[peer]!, flags: TcpFlag.ACK | TcpFlag.PSH }, s)));
        seq[me] = (seq[me]! + s.length) >>> 0;
      }
    }
  }

  // Data templates. Sequence and acknowledgement numbers are 0 in the template; ESP sequence numbers too.
  // SA counters: 4c + 0/1 for the infrastructure and intranet SAs towards the server, 4c + 2/3 for those back; the SPI follows.
  const saOf = (c: number, toServer: boolean, which: number): number => 4 * c + which + (toServer ? 0 : 2);
  // Inner flows by address pair and protocol, both directions in one: ESP to the infrastructure (3c) and intranet (3c + 1)
  // server addresses, and ICMPv6 echo with the infrastructure address (3c + 2).
  const innerFlowOf = (c: number, which: number): number => 3 * c + which;
  const innerFlowSeen = new Uint8Array(3 * IPHTTPS_CONNS);
  const inner = (c: number, toServer: boolean, which: number): Bytes => {
    const daAddr = which === 0 ? IPHTTPS_DA_INFRA : IPHTTPS_DA_INTRANET;
    const ep = toServer ? { src: client6(c), dst: daAddr } : { src: daAddr, dst: client6(c) };
    const spi = 0x50000000 + saOf(c, toServer, which);
    return ipv6({ ...ep, nextHeader: Proto.ESP }, concat(u32(spi), u32(0), r.bytes((innerPayloadSize(r) + 3) & ~3)));
  };
  const addTemplate = (t: Omit<TcpTemplate, 'rec'>, payload: Bytes): number => {
    templates.push({ ...t, rec: pcapRecord(frame(t.conn, t.fromClient, { seq: 0, ack: 0, flags: TcpFlag.ACK | TcpFlag.PSH }, payload)) });
    return templates.length - 1;
  };
  for (let c = 0; c < IPHTTPS_CONNS; c++) {
    for (const fromClient of [true, false]) {
      const list: number[] = [];
      for (let k = 0; k < IPHTTPS_TEMPLATES; k++) {
        const p = r.int(100);
        const base = { conn: c, fromClient, follow: -1 };
        if (p < 60) {
          const sa = r.int(2);
          const rec = nullCipherAppData(inner(c, fromClient, sa), IPHTTPS_MAC);
          list.push(addTemplate({ ...base, payload: rec.length, espAt: [TCP_PAYLOAD_AT + REC_ESP_SEQ], espSa: [saOf(c, fromClient, sa)], inner: 1, flows: [innerFlowOf(c, sa)], kind: 0 }, rec));
        } else if (p < 75) {
          // Two packets in one segment (the sender coalesced two records), each fitting half a segment.
          let a = nullCipherAppData(inner(c, fromClient, 0), IPHTTPS_MAC);
          let z = nullCipherAppData(inner(c, fromClient, 1), IPHTTPS_MAC);
          while (a.length + z.length > MSS) {
            a = nullCipherAppData(inner(c, fromClient, 0), IPHTTPS_MAC);
            z = nullCipherAppData(inner(c, fromClient, 1), IPHTTPS_MAC);
          }
          list.push(addTemplate({ ...base, payload: a.length + z.length, espAt: [TCP_PAYLOAD_AT + REC_ESP_SEQ, TCP_PAYLOAD_AT + a.length + REC_ESP_SEQ],
            espSa: [saOf(c, fromClient, 0), saOf(c, fromClient, 1)], inner: 2, flows: [innerFlowOf(c, 0), innerFlowOf(c, 1)], kind: 1 }, concat(a, z)));
        } else if (p < 90) {
          // One record over two segments; the split falls after the ESP sequence number, which only the first one patches.
          const sa = r.int(2);
          const rec = nullCipherAppData(inner(c, fromClient, sa), IPHTTPS_MAC);
          const cut = REC_ESP_SEQ + 8 + r.int(rec.length - REC_ESP_SEQ - 9);
          const first = addTemplate({ ...base, payload: cut, espAt: [TCP_PAYLOAD_AT + REC_ESP_SEQ], espSa: [saOf(c, fromClient, sa)], inner: 0, flows: [], kind: 2 }, rec.subarray(0, cut));
          templates[first]!.follow = addTemplate({ ...base, payload: rec.length - cut, espAt: [], espSa: [], inner: 1, flows: [innerFlowOf(c, sa)], kind: 2 }, rec.subarray(cut));
          list.push(first);
        } else {
          const ep = fromClient ? { src: client6(c), dst: IPHTTPS_DA_INFRA } : { src: IPHTTPS_DA_INFRA, dst: client6(c) };
          const echo = icmpv6(ep, fromClient ? 128 : 129, 0, concat(u16(c), u16(k), r.bytes(56)));
          const rec = nullCipherAppData(ipv6({ ...ep, nextHeader: Proto.ICMPv6 }, echo), IPHTTPS_MAC);
          list.push(addTemplate({ ...base, payload: rec.length, espAt: [], espSa: [], inner: 1, flows: [innerFlowOf(c, 2)], kind: 3 }, rec));
        }
      }
      starts.push(list);
      acks.push(addTemplate({ conn: c, fromClient, payload: 0, espAt: [], espSa: [], inner: 0, flows: [], follow: -1, kind: 4 }, new Uint8Array(0)));
    }
  }
  // Pure ACKs carry no PSH.
  for (const a of acks) {
    const rec = templates[a]!.rec;
    patch(rec, PCAP_REC, TCP_AT + 13, 1, TcpFlag.ACK, [TCP_SUM_AT]);
  }

  const emit = (i: number): void => {
    const t = templates[i]!;
    const f = out.put(t.rec);
    const me = 2 * t.conn + (t.fromClient ? 0 : 1);
    const peer = 2 * t.conn + (t.fromClient ? 1 : 0);
    patch(b, f, SEQ_AT, 4, seq[me]!, [TCP_SUM_AT]);
    patch(b, f, ACK_AT, 4, seq[peer]!, [TCP_SUM_AT]);
    for (let k = 0; k < t.espAt.length; k++) {
      const sa = t.espSa[k]!;
      patch(b, f, t.espAt[k]!, 4, saSeq[sa]!, [TCP_SUM_AT]);
      saSeq[sa] = (saSeq[sa]! + 1) >>> 0;
    }
    seq[me] = (seq[me]! + t.payload) >>> 0;
    innerPackets += t.inner;
    for (const fl of t.flows) innerFlowSeen[fl] = 1;
    perKind[t.kind]!++;
  };
  const target = sizeMiB * 1024 * 1024;
  do {
    // Bursty arrival, as in the mixed capture; servers send a little more than clients.
    const x = r.next();
    out.wait((x & 3) === 0 ? 200 + ((x >>> 2) & 4095) : 1 + ((x >>> 2) & 63));
    const c = r.int(IPHTTPS_CONNS);
    const fromClient = r.int(5) < 2;
    const list = starts[2 * c + (fromClient ? 0 : 1)]!;
    let i = list[r.int(list.length)]!;
    emit(i);
    while (templates[i]!.follow >= 0) {
      out.wait(1 + (r.next() & 15));
      i = templates[i]!.follow;
      emit(i);
    }
    // Delayed ACK (RFC 9293 §3.8.6.3): the peer answers about every second segment.
    if (r.int(2) === 0) {
      out.wait(20 + (r.next() & 127));
      emit(acks[2 * c + (fromClient ? 1 : 0)]!);
    }
  } while (out.file.bytes < target);
  const sha256 = out.file.close();
  return {
    path, sizeMiB, packets: out.packets, bytes: out.file.bytes, sha256, meanFrame: out.frameBytes / out.packets,
    seconds: (performance.now() - t0) / 1000, connections: IPHTTPS_CONNS, innerPackets,
    innerFlows: innerFlowSeen.reduce((n, x) => n + x, 0), perKind,
  };
}

// ---- more live flows than the flow table may hold (issue 4) -----------------------------------------

export interface GeneratedFlows extends GeneratedCapture {
  flows: number;
}

/**
 * Writes `<dir>/flows-<n>.pcap`: `flows` distinct IPv4 TCP connection attempts to one server (SYN, then its
 * SYN-ACK), a client address and port each, all within a few seconds so none goes idle. Templates are
 * patched per flow: the client address (IPv4 and TCP checksums) and port (TCP checksum).
 */
export function generateFlows(dir: string, flows: number): GeneratedFlows {
  const t0 = performance.now();
  const path = join(dir, `flows-${flows}.pcap`);
  const out = new RecordOut(path);
  const b = out.file.buf;
  const server = '203.0.113.20';
  const ep = { src: '10.0.0.0', dst: server };
  const back = { src: server, dst: '10.0.0.0' };
  const syn = pcapRecord(ethernet(GATEWAY_MAC, CLIENT_MAC, EtherType.IPv4, ipv4({ ...ep, protocol: Proto.TCP },
    tcp(ep, { sport: 0, dport: 445, seq: 0x1000, flags: TcpFlag.SYN }))));
  const synAck = pcapRecord(ethernet(CLIENT_MAC, GATEWAY_MAC, EtherType.IPv4, ipv4({ ...back, protocol: Proto.TCP },
    tcp(back, { sport: 445, dport: 0, seq: 0x2000, ack: 0x1001, flags: TcpFlag.SYN | TcpFlag.ACK }))));
  const ipSums = [IP4_SUM_AT, TCP_SUM_AT];
  const tcpSum = [TCP_SUM_AT];
  for (let i = 0; i < flows; i++) {
    // 16 ports per address: 10.0.0.0 + i / 16, port 49152 + i % 16.
    const addr = 0x0a000000 + Math.floor(i / 16);
    const port = 49152 + (i % 16);
    let f = out.put(syn);
    patch(b, f, IP4_SRC_AT, 4, addr, ipSums);
    patch(b, f, TCP_AT, 2, port, tcpSum);
    out.wait(5);
    f = out.put(synAck);
    patch(b, f, IP4_DST_AT, 4, addr, ipSums);
    patch(b, f, TCP_AT + 2, 2, port, tcpSum);
    out.wait(7);
  }
  const sha256 = out.file.close();
  return {
    path, sizeMiB: 0, packets: out.packets, bytes: out.file.bytes, sha256, meanFrame: out.frameBytes / out.packets,
    seconds: (performance.now() - t0) / 1000, flows,
  };
}
