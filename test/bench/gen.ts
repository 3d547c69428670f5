/**
 * Deterministic generator of a large classic pcap and its pcapng twin of DirectAccess-like traffic,
 * for `npm run bench` (issue 2, item 7).
 *
 * Building every packet with the builders would allocate several objects per packet, so a pool of
 * ~2000 template packets over ~1000 flows is built once with a fixed seed, each template is encoded
 * once through the real writers (PcapWriter / PcapngWriter), and the generation loop only copies the
 * encoded record into a large batch buffer and patches its timestamp and, so that flows progress
 * instead of replaying, its TCP or ESP sequence number (with an incremental checksum update). TCP
 * data segments are followed by the pure ACK that answers them. Same seed → same bytes.
 */

import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PcapngWriter, PcapWriter } from '../../src/capture/writer.js';
import {
  EtherType, Prng, Proto, TcpFlag, concat, ethernet, ipv4, ipv6, tcp, udp, u16, u32, type Bytes,
} from '../helpers/build.js';

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
    this.parts.push(c);
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
