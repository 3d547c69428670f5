/** IP-HTTPS inner IPv6 packets from a NULL-cipher TLS connection (MS-IPHTTPS §3.1.5.3, §3.2.5.2; RFC 5246 §6.2; protocols §1.2–1.4). */

import { EXAMPLE_FRAMES } from '../anomalies/recorder.js';
import { A, anomalyDef } from '../anomalies/registry.js';
import { u16be } from '../util/bytes.js';
import type { AppAnomaly } from './http.js';
import { withRoom } from './stream.js';
import { TcpReassembler, type ReassemblyBudget, type TcpReassemblyStats } from './tcp-reassembly.js';

/** Record content types read here (RFC 5246 §6.2.1); 24 (heartbeat) never occurs on IP-HTTPS and is not accepted. */
const ContentType = { ChangeCipherSpec: 20, ApplicationData: 23 } as const;
const RECORD_HEADER = 5;
/** TLSCiphertext.length may not exceed 2^14 + 2048 (RFC 5246 §6.2.3). */
export const MAX_FRAGMENT = 16384 + 2048;
/** A candidate record header is judged with the header of the record after it, so the scan window holds both. */
const RECORD_SCAN_LIMIT = RECORD_HEADER + MAX_FRAGMENT + RECORD_HEADER;

const IPV6_HEADER = 40;
/** The largest packet a payload length allows. */
const MAX_PACKET = IPV6_HEADER + 65535;
/** The version nibble and the payload length are in the first 6 bytes of an IPv6 header (RFC 8200 §3). */
const IPV6_LENGTH_END = 6;
/** With the next header (byte 6): what a resynchronising scan judges. */
const IPV6_PEEK = 7;
/** The IP-HTTPS link MTU (MS-IPHTTPS §3.1.5.2, §3.2.3.1). */
const LINK_MTU = 1280;
/** A candidate packet and the header after it. */
const PACKET_SCAN_LIMIT = MAX_PACKET + IPV6_PEEK;
/**
 * Next headers an IP-HTTPS link carries (protocols §2.5): hop-by-hop 0, TCP 6, UDP 17 (IKE, AuthIP), routing
 * 43, fragment 44, ESP 50, AH 51, ICMPv6 58 (ND), no next header 59, destination options 60.
 */
export const KNOWN_NEXT_HEADER = new Uint8Array(256);
for (const nh of [0, 6, 17, 43, 44, 50, 51, 58, 59, 60]) KNOWN_NEXT_HEADER[nh] = 1;

/** The HTTP head of a direction is given up after this many bytes without its empty line. */
const HEAD_LIMIT = 8192;
/** How each direction's HTTP head starts (MS-IPHTTPS §3.1.5.2, §3.2.5.1). */
const CLIENT_HEAD = Uint8Array.from('POST ', (c) => c.charCodeAt(0));
const SERVER_HEAD = Uint8Array.from('HTTP/', (c) => c.charCodeAt(0));
const CR = 13;
const LF = 10;

/** First code of the iphttps range (420–449) in the registry: per-id note counts are indexed from it. */
const FIRST_CODE = A.IpHttpsTcpGap;
const CODE_RANGE = 30;

const EMPTY = new Uint8Array(0);

/** What a direction's plaintext is being read as. */
const Plain = { Head: 0, Packets: 1, Scan: 2 } as const;
type PlainMode = (typeof Plain)[keyof typeof Plain];

/**
 * Receives the inner IPv6 packets of a tunnel, one call each.
 *
 * The packet is b[start, end), the whole packet (40 + payload length bytes). `b` is the buffer that delivered
 * it in one piece (the caller's, the reassembler's copy of a held segment, or a scan window), or the direction's
 * assembly buffer when it came in pieces; `frames` is reused. With `stable`, `b` is the caller's buffer or the
 * reassembler's copy, which the tunnel never writes: it stays as it is for as long as the caller keeps its own
 * buffer unchanged. Otherwise `b` is the tunnel's own (a scan window or the assembly buffer), which the next
 * packet overwrites. A sink copies what it keeps beyond that.
 */
export interface InnerPacketSink {
  /**
   * `frames`: the outer frames that delivered the packet's bytes, ascending, unique. `lastFrame`: the frame that
   * delivered its last byte, the packet's time (protocols §1.3 step 4).
   */
  packet(b: Uint8Array, start: number, end: number, fromClient: boolean, frames: readonly number[], lastFrame: number, stable: boolean): void;
}

export interface IpHttpsDirectionStats {
  /** Inner IPv6 packets emitted, and their bytes. */
  packets: number;
  bytes: number;
  /** Frame that delivered the end of this direction's HTTP head; −1 until seen. */
  headFrame: number;
  /** Frame that completed this direction's first inner packet (evidence of the IPv6 framing); −1 until one. */
  firstPacketFrame: number;
  /** TLS record headers read in step. */
  records: number;
  /** Times the record layer had to look for a record header, and the TCP stream bytes it skipped. */
  tlsResyncs: number;
  tlsSkippedBytes: number;
  /** Times the plaintext had to look for an IPv6 header, and the plaintext bytes that became no packet and no complete head. */
  ipv6Resyncs: number;
  ipv6SkippedBytes: number;
  /** TCP reassembly of this direction: gaps and lostBytes count the bytes missing from the capture. */
  readonly tcp: TcpReassemblyStats;
}

export interface IpHttpsStats {
  readonly client: IpHttpsDirectionStats;
  readonly server: IpHttpsDirectionStats;
}

/**
 * A bounded byte queue that remembers which frame delivered each byte (as runs), for the bytes a direction
 * must hold: a record header or IPv6 header split across deliveries, or a window being scanned.
 */
export class FramedBytes {
  readonly limit: number;
  /** The held bytes are data[head, head + length). */
  data: Uint8Array = EMPTY;
  head = 0;
  private tail = 0;
  /** Stream offset of data[head]: run positions are stream offsets, so consuming does not move them. */
  private base = 0;
  private readonly runAt: number[] = [];
  private readonly runFrame: number[] = [];
  /** First run that still covers held bytes; earlier ones are pruned in batches. */
  private runFirst = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get length(): number {
    return this.tail - this.head;
  }

  /** Appends as much of buf[start, end) as fits; returns the bytes taken. */
  append(buf: Uint8Array, start: number, end: number, frame: number): number {
    const n = Math.min(end - start, this.limit - this.length);
    if (n <= 0) return 0;
    this.reserve(n);
    const d = this.data;
    for (let i = 0; i < n; i++) d[this.tail + i] = buf[start + i]!;
    const last = this.runAt.length - 1;
    if (last < this.runFirst || this.runFrame[last] !== frame) {
      this.runAt.push(this.base + this.length);
      this.runFrame.push(frame);
    }
    this.tail += n;
    return n;
  }

  consume(n: number): void {
    if (n >= this.length) {
      this.clear();
      return;
    }
    this.head += n;
    this.base += n;
    while (this.runFirst + 1 < this.runAt.length && this.runAt[this.runFirst + 1]! <= this.base) this.runFirst++;
    if (this.runFirst >= 64 && this.runFirst * 2 >= this.runAt.length) {
      this.runAt.splice(0, this.runFirst);
      this.runFrame.splice(0, this.runFirst);
      this.runFirst = 0;
    }
  }

  clear(): void {
    this.base += this.length;
    this.head = this.tail = 0;
    this.runAt.length = 0;
    this.runFrame.length = 0;
    this.runFirst = 0;
  }

  /** Index of the run holding held byte `pos`, searching forward from run `from` (−1: from the first). */
  runOf(pos: number, from: number): number {
    const at = this.base + pos;
    let i = from < this.runFirst ? this.runFirst : from;
    while (i + 1 < this.runAt.length && this.runAt[i + 1]! <= at) i++;
    return i;
  }

  /** Held position just after run `i`. */
  runEnd(i: number): number {
    return i + 1 < this.runAt.length ? this.runAt[i + 1]! - this.base : this.length;
  }

  frameOf(i: number): number {
    return this.runFrame[i]!;
  }

  /** Room for `n` more bytes: compacts first, grows (doubling, up to the limit) only if needed. */
  private reserve(n: number): void {
    if (this.tail + n <= this.data.length) return;
    this.data = withRoom(this.data, this.head, this.tail, n, this.limit, 256);
    this.tail -= this.head;
    this.head = 0;
  }
}

/** One direction: its TCP reassembly, record layer and plaintext reader. */
class Direction {
  readonly fromClient: boolean;
  readonly tcp: TcpReassembler;
  readonly stats: IpHttpsDirectionStats;
  // Record layer.
  /** Looking for a record header: true from the start, because the tunnel joins mid-handshake. */
  scanning = true;
  /** A record header was found once. */
  synced = false;
  /** This direction sent ChangeCipherSpec: its later records end with a MAC, and application data is plaintext. */
  ccs = false;
  /** Bytes were lost before ChangeCipherSpec was seen, so it may have been among them. */
  ccsMayBeLost = false;
  /** Bytes of the current record's fragment still to come, and how many of them are plaintext (the rest is MAC or skipped). */
  recLeft = 0;
  plainLeft = 0;
  /** A record header split across deliveries (fewer than 5 bytes), or the window being scanned. */
  readonly records = new FramedBytes(RECORD_SCAN_LIMIT);
  // Plaintext.
  plain: PlainMode = Plain.Head;
  /** Head bytes read, and how much of "\r\n\r\n" was just seen (0–4). */
  headLen = 0;
  crlf = 0;
  /** An IPv6 header split across deliveries (fewer than 6 bytes), or the window being scanned. */
  readonly pending = new FramedBytes(PACKET_SCAN_LIMIT);
  /** Length of the packet being read (0: at a packet boundary) and its bytes so far. */
  pktLen = 0;
  pktHave = 0;
  /**
   * A packet that comes in several deliveries is assembled in pkt[0, pktLen), with the frames of its bytes:
   * both are reused from packet to packet (the sink copies what it keeps), pkt grown to the largest packet.
   */
  pkt: Uint8Array = EMPTY;
  readonly pktFrames: number[] = [];

  constructor(fromClient: boolean, tcp: TcpReassembler) {
    this.fromClient = fromClient;
    this.tcp = tcp;
    this.stats = {
      packets: 0, bytes: 0, headFrame: -1, firstPacketFrame: -1, records: 0, tlsResyncs: 0, tlsSkippedBytes: 0, ipv6Resyncs: 0, ipv6SkippedBytes: 0, tcp: tcp.stats,
    };
  }
}

const byNumber = (a: number, b: number): number => a - b;

/** Sorts frame numbers and drops repeats, in place. Out-of-order delivery can put an older frame after a newer one. */
function ascendingUnique(frames: number[]): number[] {
  // In-order delivery, the usual case, leaves them ascending and unique already: no sort.
  let k = 1;
  while (k < frames.length && frames[k - 1]! < frames[k]!) k++;
  if (k >= frames.length) return frames;
  frames.sort(byNumber);
  let n = 0;
  for (let i = 0; i < frames.length; i++) if (n === 0 || frames[n - 1] !== frames[i]) frames[n++] = frames[i]!;
  frames.length = n;
  return frames;
}

/**
 * Scan for an IPv6 header in a resynchronising window.
 *
 * Accept when: version 6 and a next header IP-HTTPS carries (KNOWN_NEXT_HEADER), and the header that
 * follows the packet (at 40 + payload length) is version 6 with a known next header and a payload that
 * fits the 1280-byte MTU.
 * Reject when: anything else; the scan moves on by one byte.
 *
 * Why two headers: in random bytes (ESP ciphertext) one header passes the first test about once in 400
 * positions; the pair about once in 10^7, so a resync almost never starts inside a packet.
 */
function ipv6Like(b: Uint8Array, at: number): boolean {
  return b[at]! >> 4 === 6 && KNOWN_NEXT_HEADER[b[at + 6]!] === 1;
}

/**
 * The first accepted candidate (≥ 0), or ~q when the candidate at q cannot be judged before more bytes come.
 * At the end of the capture (`final`) nothing more comes: a candidate whose packet ends exactly where the
 * bytes end and fits the MTU is accepted, and any other that cannot be judged is rejected.
 */
function findPacket(w: FramedBytes, final: boolean): number {
  const b = w.data;
  const h = w.head;
  const n = w.length;
  for (let q = 0; ; q++) {
    if (n - q < IPV6_PEEK) return ~q;
    if (!ipv6Like(b, h + q)) continue;
    const next = q + IPV6_HEADER + u16be(b, h + q + 4);
    if (n - next < IPV6_PEEK) {
      if (!final) return ~q;
      if (next === n && next - q <= LINK_MTU) return q;
      continue;
    }
    if (ipv6Like(b, h + next) && u16be(b, h + next + 4) <= LINK_MTU - IPV6_HEADER) return q;
  }
}

/**
 * The inner IPv6 packets of one IP-HTTPS connection whose ServerHello chose a NULL cipher suite.
 *
 * Fed with every TCP payload segment from the ServerHello's on, each direction is reassembled
 * (tcp-reassembly.ts), cut into TLS records, and the plaintext of its application data after
 * ChangeCipherSpec (the fragment minus the MAC, RFC 5246 §6.2.3.1) is read as the HTTP head, then as
 * IPv6 packets back to back, each delimited by its payload length (MS-IPHTTPS §3.1.5.3, §3.2.5.2.2).
 * Records before ChangeCipherSpec, and handshake and alert records after it, are skipped.
 *
 * After a TCP gap or an implausible record header the record layer scans for a plausible header
 * (type 20–23, version 3.0–3.3, length ≤ 2^14 + 2048, and room for the MAC once protected) that is
 * followed by another one; after lost plaintext or a packet that is not version 6 the plaintext is
 * scanned for an IPv6 header (see ipv6Like). Skipped bytes are counted.
 *
 * Memory per direction is bounded: the reassembly window (and the shared budget), one record scan window
 * (18 KiB), one plaintext scan window (64 KiB), and one packet assembly buffer (at most 64 KiB + 40).
 * No buffer is allocated per packet: each goes to the sink as a view (see InnerPacketSink).
 */
export class IpHttpsTunnel {
  readonly stats: IpHttpsStats;
  /** Oddities with their frame: at most EXAMPLE_FRAMES (5) per id, as the recorder keeps. */
  readonly anomalies: AppAnomaly[] = [];
  private readonly macLength: number;
  private readonly sink: InnerPacketSink;
  private readonly client: Direction;
  private readonly server: Direction;
  private readonly noted = new Uint8Array(CODE_RANGE);
  /** The frames of a packet that came in one delivery: one frame, reused. */
  private readonly oneFrame = [0];

  /**
   * `midstream`: the handshake is not in the capture (iphttps-probe.ts recognised the tunnel): both directions are past
   * ChangeCipherSpec and their HTTP heads, so application data is read as IPv6 packets from the first record on.
   */
  constructor(macLength: number, sink: InnerPacketSink, budget: ReassemblyBudget, midstream = false) {
    this.macLength = macLength;
    this.sink = sink;
    this.client = this.direction(true, budget);
    this.server = this.direction(false, budget);
    this.stats = { client: this.client.stats, server: this.server.stats };
    if (midstream) {
      for (const d of [this.client, this.server]) {
        d.ccs = true;
        d.plain = Plain.Packets;
      }
    }
  }

  /** TCP payload buf[start, end) of one direction; `seq` is the sequence number of buf[start]. */
  feed(fromClient: boolean, seq: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    const d = fromClient ? this.client : this.server;
    const t = d.tcp.stats;
    const windowOverflows = t.windowOverflows;
    const budgetOverflows = t.budgetOverflows;
    d.tcp.add(seq, buf, start, end, frame);
    if (t.windowOverflows !== windowOverflows) this.note(A.IpHttpsReassemblyWindowFull, frame);
    if (t.budgetOverflows !== budgetOverflows) this.note(A.IpHttpsReassemblyBudgetExhausted, frame);
  }

  /**
   * End of the capture: held segments are delivered (their holes declared gaps), pending scans are settled
   * with the bytes that came, and whatever is left half-read is dropped and counted.
   */
  finish(frame: number): void {
    this.finishDirection(this.client, frame);
    this.finishDirection(this.server, frame);
  }

  private direction(fromClient: boolean, budget: ReassemblyBudget): Direction {
    const d: Direction = new Direction(fromClient, new TcpReassembler(
      (buf, start, end, frame) => this.recordBytes(d, buf, start, end, frame),
      (_lost, frame) => this.tcpGap(d, frame),
      budget,
    ));
    return d;
  }

  private finishDirection(d: Direction, frame: number): void {
    d.tcp.finish(frame);
    if (d.scanning) this.scanRecords(d, frame, true);
    if (d.plain === Plain.Scan) this.scanPackets(d, frame, true);
    d.stats.tlsSkippedBytes += d.records.length;
    d.records.clear();
    if (!d.ccs && d.tcp.stats.delivered > 0) this.note(A.IpHttpsChangeCipherSpecMissing, frame);
    const cut = d.plain === Plain.Head ? d.headLen : d.plain === Plain.Packets ? d.pktHave + d.pending.length : 0;
    if (cut > 0) this.note(A.IpHttpsStreamEndsMidPacket, frame);
    d.stats.ipv6SkippedBytes += cut + (d.plain === Plain.Scan ? d.pending.length : 0);
    d.pending.clear();
    d.pkt = EMPTY;
    d.pktLen = d.pktHave = d.headLen = 0;
  }

  private note(code: number, frame: number): void {
    const slot = code - FIRST_CODE;
    if (this.noted[slot]! >= EXAMPLE_FRAMES) return;
    this.noted[slot]!++;
    this.anomalies.push({ code, id: anomalyDef(code).id, frame });
  }

  // ---- Record layer (RFC 5246 §6.2.1: type(1) version(2) length(2) fragment) ----

  /** In-order TCP bytes of one direction (the reassembler's deliver). */
  private recordBytes(d: Direction, buf: Uint8Array, start: number, end: number, frame: number): void {
    const held = d.records;
    let p = start;
    while (p < end) {
      if (d.scanning) {
        p += held.append(buf, p, end, frame);
        this.scanRecords(d, frame, false);
      } else if (d.recLeft > 0) {
        const n = Math.min(d.recLeft, end - p);
        this.body(d, buf, p, p + n, frame);
        p += n;
      } else if (held.length === 0 && end - p >= RECORD_HEADER) {
        // The usual case: the header is whole in this delivery and is read in place.
        if (this.header(d, buf, p, frame)) p += RECORD_HEADER;
        else this.lostPlace(d, frame); // the next pass appends the bytes from p to the scan window
      } else {
        p += held.append(buf, p, Math.min(end, p + RECORD_HEADER - held.length), frame);
        if (held.length < RECORD_HEADER) return;
        if (this.header(d, held.data, held.head, frame)) held.clear();
        else this.lostPlace(d, frame); // the held header starts the scan window
      }
    }
  }

  /**
   * 0: a plausible record header; 1: not one; 2: a plausible header whose record is too short for its MAC.
   * Versions 3.0–3.3 only: TLS 1.3 records carry 3.3 too (RFC 8446 §5.1), so 3.4 never appears here.
   */
  private judge(d: Direction, b: Uint8Array, at: number): number {
    const type = b[at]!;
    if (type < ContentType.ChangeCipherSpec || type > ContentType.ApplicationData || b[at + 1] !== 3 || b[at + 2]! > 3) return 1;
    const len = u16be(b, at + 3);
    if (len > MAX_FRAGMENT) return 1;
    return this.isProtected(d, type) && len < this.macLength ? 2 : 0;
  }

  /**
   * After ChangeCipherSpec every record ends with the MAC (RFC 5246 §6.2.3.1). Application data can only
   * follow ChangeCipherSpec (RFC 5246 §7.1), so one seen after lost bytes means the ChangeCipherSpec was lost.
   */
  private isProtected(d: Direction, type: number): boolean {
    return d.ccs || (type === ContentType.ApplicationData && d.ccsMayBeLost);
  }

  /** Reads a record header at b[at]; false when it is not a plausible one. */
  private header(d: Direction, b: Uint8Array, at: number, frame: number): boolean {
    const verdict = this.judge(d, b, at);
    if (verdict !== 0) {
      if (verdict === 2) this.note(A.IpHttpsRecordShorterThanMac, frame);
      return false;
    }
    const type = b[at]!;
    const len = u16be(b, at + 3);
    d.stats.records++;
    if (type === ContentType.ApplicationData && this.isProtected(d, type)) {
      d.ccs = true;
      d.plainLeft = len - this.macLength;
    } else {
      d.plainLeft = 0;
    }
    // From the ChangeCipherSpec record on, this direction's records are protected.
    if (type === ContentType.ChangeCipherSpec) d.ccs = true;
    d.recLeft = len;
    return true;
  }

  private body(d: Direction, b: Uint8Array, start: number, end: number, frame: number): void {
    d.recLeft -= end - start;
    if (d.plainLeft === 0) return;
    const n = Math.min(d.plainLeft, end - start);
    d.plainLeft -= n;
    this.plainBytes(d, b, start, start + n, frame);
  }

  /** The record layer lost its place at a record boundary: scan from here; the plaintext lost its place too. */
  private lostPlace(d: Direction, frame: number): void {
    d.scanning = true;
    d.recLeft = d.plainLeft = 0;
    if (!d.ccs) d.ccsMayBeLost = true;
    d.stats.tlsResyncs++;
    this.note(A.IpHttpsTlsResync, frame);
    this.plainLost(d, frame);
  }

  /** A TCP gap (its size is in the reassembly stats). */
  private tcpGap(d: Direction, frame: number): void {
    this.note(A.IpHttpsTcpGap, frame);
    // Held bytes (a split header, or a scan window) cannot be joined to what follows the gap.
    d.stats.tlsSkippedBytes += d.records.length;
    d.records.clear();
    if (!d.scanning) this.lostPlace(d, frame);
    else if (!d.ccs) d.ccsMayBeLost = true;
  }

  /**
   * Scan for a record header in the window.
   *
   * Accept when: judge() finds a plausible header at q, and another plausible header right after its record;
   * or, at the end of the capture (`final`), its record ends exactly where the bytes end.
   * Reject when: anything else; the scan moves on by one byte.
   *
   * Why two headers: one plausible header occurs by chance about once in 4 × 10^6 random positions; a
   * chained pair practically never, while real records always chain.
   */
  private scanRecords(d: Direction, frame: number, final: boolean): void {
    const w = d.records;
    for (;;) {
      const found = this.findRecord(d, final);
      const skip = found >= 0 ? found : ~found;
      if (skip > 0) {
        d.stats.tlsSkippedBytes += skip;
        w.consume(skip);
        if (!d.ccs) d.ccsMayBeLost = true;
      }
      if (found < 0) return;
      d.scanning = false;
      if (!d.synced) {
        d.synced = true;
        // The tunnel should start at a record boundary (the ServerHello's segment); bytes skipped to find one are a resync.
        if (d.stats.tlsSkippedBytes > 0) {
          d.stats.tlsResyncs++;
          this.note(A.IpHttpsTlsResync, frame);
        }
      }
      if (!this.replayRecords(d)) return;
    }
  }

  /** The first accepted candidate (≥ 0), or ~q when the candidate at q cannot be judged before more bytes come. */
  private findRecord(d: Direction, final: boolean): number {
    const w = d.records;
    const b = w.data;
    const h = w.head;
    const n = w.length;
    for (let q = 0; ; q++) {
      if (n - q < RECORD_HEADER) return ~q;
      if (this.judge(d, b, h + q) !== 0) continue;
      const next = q + RECORD_HEADER + u16be(b, h + q + 3);
      if (n - next < RECORD_HEADER) {
        if (!final) return ~q;
        if (next === n) return q;
        continue;
      }
      if (this.judge(d, b, h + next) === 0) return q;
    }
  }

  /**
   * Reads the window, which now starts at a record header, as records (each byte with the frame that
   * delivered it). Leaves a split header held; returns true when the place was lost again (scan once more).
   */
  private replayRecords(d: Direction): boolean {
    const w = d.records;
    let pos = 0;
    let run = -1;
    while (pos < w.length) {
      run = w.runOf(pos, run);
      const frame = w.frameOf(run);
      if (d.recLeft > 0) {
        const n = Math.min(d.recLeft, w.runEnd(run) - pos);
        this.body(d, w.data, w.head + pos, w.head + pos + n, frame);
        pos += n;
      } else if (w.length - pos < RECORD_HEADER) {
        break;
      } else if (this.header(d, w.data, w.head + pos, frame)) {
        pos += RECORD_HEADER;
      } else {
        w.consume(pos);
        this.lostPlace(d, frame);
        return true;
      }
    }
    w.consume(pos);
    return false;
  }

  // ---- Plaintext: the HTTP head, then IPv6 packets back to back ----

  private plainBytes(d: Direction, b: Uint8Array, start: number, end: number, frame: number): void {
    let p = start;
    while (p < end) {
      if (d.plain === Plain.Head) {
        p = this.head(d, b, p, end, frame);
      } else if (d.plain === Plain.Scan) {
        p += d.pending.append(b, p, end, frame);
        this.scanPackets(d, frame, false);
      } else {
        p = this.packets(d, b, p, end, frame);
      }
    }
  }

  /** Skips the HTTP head up to its empty line (protocols §1.3 step 1); returns where it stopped. */
  private head(d: Direction, b: Uint8Array, start: number, end: number, frame: number): number {
    const prefix = d.fromClient ? CLIENT_HEAD : SERVER_HEAD;
    let p = start;
    while (p < end) {
      const c = b[p]!;
      if (d.headLen < prefix.length && c !== prefix[d.headLen]) {
        this.note(A.IpHttpsHttpHeadMissing, frame);
        d.plain = Plain.Packets;
        // No head: this byte may start a packet, unless a few bytes already looked like a head.
        if (d.headLen > 0) this.startScan(d, d.headLen, frame);
        return p;
      }
      p++;
      d.headLen++;
      d.crlf = c === CR ? (d.crlf === 2 ? 3 : 1) : c === LF && (d.crlf & 1) === 1 ? d.crlf + 1 : 0;
      if (d.crlf === 4) {
        d.stats.headFrame = frame;
        d.plain = Plain.Packets;
        return p;
      }
      if (d.headLen >= HEAD_LIMIT) {
        this.note(A.IpHttpsHttpHeadTooLong, frame);
        d.plain = Plain.Packets;
        this.startScan(d, d.headLen, frame);
        return p;
      }
    }
    return p;
  }

  /** Reads packets from b[start, end) at a packet boundary or inside a packet; returns where it stopped. */
  private packets(d: Direction, b: Uint8Array, start: number, end: number, frame: number): number {
    const held = d.pending;
    let p = start;
    while (p < end) {
      if (d.pktLen > 0) {
        p += this.fill(d, b, p, end, frame);
      } else if (held.length === 0 && end - p >= IPV6_LENGTH_END) {
        if (!this.begin(d, b, p, frame)) {
          this.startScan(d, 0, frame); // the caller appends the bytes from p to the scan window
          return p;
        }
      } else {
        p += held.append(b, p, Math.min(end, p + IPV6_LENGTH_END - held.length), frame);
        if (held.length < IPV6_LENGTH_END) return p;
        if (this.replayPackets(d, frame)) return p;
      }
    }
    return p;
  }

  /** Starts a packet whose header is at b[at] (6 bytes there); false when it is not IPv6. */
  private begin(d: Direction, b: Uint8Array, at: number, frame: number): boolean {
    if (b[at]! >> 4 !== 6) return false;
    d.pktLen = IPV6_HEADER + u16be(b, at + 4);
    d.pktHave = 0;
    if (d.pktLen > LINK_MTU) this.note(A.IpHttpsInnerPacketOverMtu, frame);
    return true;
  }

  /** Adds bytes of the current packet from b[start, end); emits it when whole; returns the bytes taken. */
  private fill(d: Direction, b: Uint8Array, start: number, end: number, frame: number): number {
    const need = d.pktLen - d.pktHave;
    if (d.pktHave === 0 && end - start >= need) {
      // The usual case: the whole packet in one delivery, handed out in place.
      d.pktLen = 0;
      this.oneFrame[0] = frame;
      // Stable unless b is one of this direction's own scan windows (the caller's buffer or a reassembler copy otherwise).
      this.deliverPacket(d, b, start, start + need, this.oneFrame, frame, b !== d.records.data && b !== d.pending.data);
      return need;
    }
    const frames = d.pktFrames;
    if (d.pktHave === 0) {
      if (d.pkt.length < d.pktLen) d.pkt = withRoom(d.pkt, 0, 0, d.pktLen, MAX_PACKET, LINK_MTU);
      // Cut to this frame rather than emptied: V8 frees the storage of an array whose length is set to 0.
      frames[0] = frame;
      if (frames.length !== 1) frames.length = 1;
    } else if (frames[frames.length - 1] !== frame) {
      // Consecutive pieces from one frame (several records in one segment) add it once, keeping the list short.
      frames.push(frame);
    }
    const n = Math.min(need, end - start);
    d.pkt.set(b.subarray(start, start + n), d.pktHave);
    d.pktHave += n;
    if (d.pktHave === d.pktLen) {
      const len = d.pktLen;
      d.pktLen = d.pktHave = 0;
      this.deliverPacket(d, d.pkt, 0, len, ascendingUnique(frames), frame, false);
    }
    return n;
  }

  private deliverPacket(d: Direction, b: Uint8Array, start: number, end: number, frames: readonly number[], lastFrame: number, stable: boolean): void {
    if (d.stats.packets === 0) d.stats.firstPacketFrame = lastFrame;
    d.stats.packets++;
    d.stats.bytes += end - start;
    this.sink.packet(b, start, end, d.fromClient, frames, lastFrame, stable);
  }

  /**
   * The plaintext lost its place: from here on it is scanned. `dropped` bytes already read (a broken head)
   * are counted as skipped, and so is a packet half read.
   */
  private startScan(d: Direction, dropped: number, frame: number): void {
    d.stats.ipv6SkippedBytes += dropped + d.pktHave;
    d.pktLen = d.pktHave = 0;
    if (d.plain === Plain.Scan) return;
    d.plain = Plain.Scan;
    d.stats.ipv6Resyncs++;
    this.note(A.IpHttpsIpv6Resync, frame);
  }

  /** Plaintext bytes were lost (a TCP gap or a record layer resync): what is held cannot be joined to what follows. */
  private plainLost(d: Direction, frame: number): void {
    // Nothing read yet: the head may still come whole.
    if (d.plain === Plain.Head && d.headLen === 0) return;
    const dropped = (d.plain === Plain.Head ? d.headLen : 0) + d.pending.length;
    d.pending.clear();
    this.startScan(d, dropped, frame);
  }

  private scanPackets(d: Direction, frame: number, final: boolean): void {
    const w = d.pending;
    for (;;) {
      const found = findPacket(w, final);
      const skip = found >= 0 ? found : ~found;
      if (skip > 0) {
        d.stats.ipv6SkippedBytes += skip;
        w.consume(skip);
      }
      if (found < 0) return;
      d.plain = Plain.Packets;
      if (!this.replayPackets(d, frame)) return;
    }
  }

  /**
   * Reads the held plaintext, which now starts at a packet boundary, as packets (each byte with the frame
   * that delivered it). Leaves a split header held; returns true when the place was lost again.
   */
  private replayPackets(d: Direction, frame: number): boolean {
    const w = d.pending;
    let pos = 0;
    let run = -1;
    while (pos < w.length) {
      run = w.runOf(pos, run);
      if (d.pktLen > 0) {
        pos += this.fill(d, w.data, w.head + pos, w.head + w.runEnd(run), w.frameOf(run));
      } else if (w.length - pos < IPV6_LENGTH_END) {
        break;
      } else if (!this.begin(d, w.data, w.head + pos, w.frameOf(run))) {
        w.consume(pos);
        this.startScan(d, 0, frame);
        return true;
      }
    }
    w.consume(pos);
    return false;
  }
}
