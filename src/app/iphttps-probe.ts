/** Mid-stream IP-HTTPS (protocols §1.3, §1.4, §1.6; MS-IPHTTPS §3.1.5.3): a NULL-cipher tunnel recognised from its records when its handshake is not in the capture. */

import { u16be } from '../util/bytes.js';
import { FramedBytes, KNOWN_NEXT_HEADER, MAX_FRAGMENT } from './iphttps.js';

/**
 * Consecutive application-data records of one direction that must each carry whole IPv6 packets ending exactly
 * one MAC before the record's end. Random record content passes one such test about once in 10^6 records, so three
 * in a row never come from ordinary HTTPS.
 */
export const PROBE_RECORDS = 3;
/** The MACs a NULL suite appends (RFC 5246 §6.2.3.1): HMAC-MD5, HMAC-SHA1, HMAC-SHA256. */
const MD5 = 16;
const SHA1 = 20;
const SHA256 = 32;
const RECORD_HEADER = 5;
const IPV6_HEADER = 40;
/** Version, payload length and next header of an IPv6 header (RFC 8200 §3). */
const IPV6_PEEK = 7;
/** After a packet, fewer bytes than this left in the record cannot hold another packet and its MAC. */
const ROOM_FOR_PACKET = IPV6_HEADER + MD5;
/**
 * Bytes a direction holds while its records are being proved, so that the packets in them can be handed to the
 * tunnel once it is accepted: room for several of the largest records. Over it, the oldest records are dropped.
 */
export const PROBE_WINDOW = 128 * 1024;
/** Records after the last agreeing one that may not agree (a packet split across records) before the held bytes are let go. */
const MAX_MISSES = 4;

/** Where the walk of a direction stands: looking for a record header, or at a record or a packet header to come. */
const Walk = { Scan: 0, Record: 1, Packet: 2 } as const;
type WalkState = (typeof Walk)[keyof typeof Walk];

/** One direction: an in-place walk of its records (no copy), and the held bytes of the records being proved. */
class ProbeDirection {
  started = false;
  /** Sequence number (int32) of the next byte expected in order. */
  nextSeq = 0;
  /** A capture usually starts at a segment boundary, and a segment usually at a record: the first bytes are read as a record header. */
  state: WalkState = Walk.Record;
  /** Bytes before the next record or packet header. */
  toPoint = 0;
  /** A header split across segments: its first bytes (made the first time one is split: most connections never need it). */
  carry: Uint8Array | null = null;
  carryLen = 0;
  /** The record being walked: its length, the fragment offset of the packet header to read, its header's sequence number and frame. */
  recLen = 0;
  recOff = 0;
  recSeq = 0;
  recFrame = 0;
  /** The agreeing records of the run under way (their header frames; made at the first one), and the MAC they agree on. */
  run: number[] | null = null;
  mac = 0;
  /** Agreeing records among the held bytes, and records that disagreed since the last agreeing one. */
  agreedHeld = 0;
  misses = 0;
  /** Held bytes from a record header on, and the sequence number of their first byte. */
  held: FramedBytes | null = null;
  heldSeq = 0;
  /** Offset in the segment being walked of the record header the held bytes start at (−1: none there). */
  holdFrom = -1;
  /**
   * When that header was split across segments: its first bytes, which came before this segment (kept in
   * `header`), and the frame that brought them.
   */
  headerBefore = 0;
  header: Uint8Array | null = null;
  lastFrame = 0;
}

/** A direction's held bytes in frame order: the next run to replay. */
interface Replaying {
  d: ProbeDirection;
  fromOrig: boolean;
  pos: number;
  run: number;
}

/**
 * Looks at a TCP connection joined without its TLS handshake and decides whether it is a NULL-cipher IP-HTTPS
 * tunnel (protocols §1.6, "record sizes").
 *
 * Accept when: one direction has PROBE_RECORDS consecutive application-data records (type 23, version 3.x) whose
 * plaintext is one or more IPv6 packets (version 6, a next header IP-HTTPS carries) back to back, the last ending
 * exactly 16, 20 or 32 bytes (the MAC) before the record's end, all with the same MAC.
 * Reject when: anything else; an application-data record that does not agree starts the count again (handshake,
 * alert and ChangeCipherSpec records neither count nor break it).
 *
 * Each direction is walked in place, segment by segment, from record header to record header (a header split
 * across segments is carried over). After a lost segment, and when the capture starts inside a record, it scans for
 * the next plausible record header. The bytes from the first agreeing record on are held (bounded by PROBE_WINDOW)
 * so that, once accepted, the tunnel reads the packets that proved it too. Memory: about 500 bytes per connection (two
 * directions' state, a 7-byte carry each once a header is split) and, while a direction is being proved, its held
 * bytes; nothing is allocated per segment.
 */
export class IpHttpsProbe {
  /** The MAC length learnt (0 until accepted). */
  macLength = 0;
  accepted = false;
  /** The frames of the record headers that proved it. */
  readonly proof: number[] = [];
  /** Application-data records whose plaintext was not IPv6 packets, and the frame of the first. */
  opaqueRecords = 0;
  opaqueFrame = 0;
  /** Held bytes let go before acceptance (the window overflowed, or the records stopped agreeing). */
  droppedBytes = 0;
  private readonly orig = new ProbeDirection();
  private readonly resp = new ProbeDirection();

  /** Bytes are held (their frames may become the frames of inner packets). */
  get holding(): boolean {
    return this.orig.held !== null || this.resp.held !== null;
  }

  /**
   * TCP payload buf[start, end) from the originator or the responder; `seq` is the sequence number of buf[start].
   * Returns true when this segment made the probe accept: see replay.
   */
  feed(fromOrig: boolean, seq: number, buf: Uint8Array, start: number, end: number, frame: number): boolean {
    if (this.accepted) return false;
    const d = fromOrig ? this.orig : this.resp;
    seq |= 0;
    if (!d.started) {
      d.started = true;
      d.nextSeq = seq;
    }
    const ahead = (seq - d.nextSeq) | 0;
    if (ahead > 0) this.lost(d);
    else if (ahead < 0) {
      // Bytes seen already (a retransmission): only the new tail, if any, is walked.
      if (end - start <= -ahead) return false;
      start -= ahead;
      seq = d.nextSeq;
    }
    d.nextSeq = (seq + (end - start)) | 0;
    d.holdFrom = -1;
    d.headerBefore = 0;
    this.walk(d, seq, buf, start, end, frame);
    if (this.accepted) return true;
    if (d.held !== null || d.holdFrom >= 0) this.hold(d, buf, d.holdFrom >= 0 ? d.holdFrom : start, end, frame);
    d.lastFrame = frame;
    return false;
  }

  /**
   * Once accepted: hands the held bytes of both directions to `into` (the tunnel), as the segments that delivered
   * them, in frame order (so inner packets come out in capture order), then the segment that made the probe accept
   * (the arguments of that feed call).
   */
  replay(into: { feed(fromOrig: boolean, seq: number, buf: Uint8Array, start: number, end: number, frame: number): void },
    fromOrig: boolean, seq: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    const a: Replaying = { d: this.orig, fromOrig: true, pos: 0, run: -1 };
    const b: Replaying = { d: this.resp, fromOrig: false, pos: 0, run: -1 };
    for (;;) {
      const fa = nextRunFrame(a);
      const fb = nextRunFrame(b);
      if (fa < 0 && fb < 0) break;
      const r = fb < 0 || (fa >= 0 && fa <= fb) ? a : b;
      const w = r.d.held!;
      const stop = w.runEnd(r.run);
      into.feed(r.fromOrig, (r.d.heldSeq + r.pos) | 0, w.data, w.head + r.pos, w.head + stop, w.frameOf(r.run));
      r.pos = stop;
    }
    this.orig.held = this.resp.held = null;
    const d = fromOrig ? this.orig : this.resp;
    const from = d.holdFrom >= 0 ? d.holdFrom : start;
    if (d.headerBefore > 0) into.feed(fromOrig, (seq - d.headerBefore) | 0, d.header!, 0, d.headerBefore, d.lastFrame);
    into.feed(fromOrig, (seq + (from - start)) | 0, buf, from, end, frame);
  }

  /** A lost segment or an implausible record header: held bytes cannot be joined to what follows; scan for a record header. */
  private lost(d: ProbeDirection): void {
    this.letGo(d);
    d.state = Walk.Scan;
    d.carryLen = 0;
    endRun(d);
  }

  private letGo(d: ProbeDirection): void {
    if (d.held !== null) this.droppedBytes += d.held.length;
    d.held = null;
    d.holdFrom = -1;
    d.headerBefore = 0;
    d.agreedHeld = 0;
    d.misses = 0;
  }

  private walk(d: ProbeDirection, seq: number, b: Uint8Array, start: number, end: number, frame: number): void {
    let p = start;
    while (p < end && !this.accepted) {
      if (d.state === Walk.Scan) {
        const q = findRecordHeader(b, p, end);
        if (q < 0) return;
        d.state = Walk.Record;
        d.toPoint = 0;
        p = q;
      }
      if (d.toPoint > 0) {
        const n = Math.min(d.toPoint, end - p);
        d.toPoint -= n;
        p += n;
        continue;
      }
      // At a header: read in place when it is whole here, else carried over from the segments that bring it.
      const need = d.state === Walk.Record ? RECORD_HEADER : IPV6_PEEK;
      let h = b;
      let at = p;
      if (d.carryLen > 0 || end - p < need) {
        const carry = d.carry ??= new Uint8Array(IPV6_PEEK);
        while (d.carryLen < need && p < end) carry[d.carryLen++] = b[p++]!;
        if (d.carryLen < need) return;
        h = carry;
        at = 0;
        d.carryLen = 0;
      } else {
        p += need;
      }
      const pointAt = p - need;
      // Each handler sets toPoint to the distance from this header's first byte to the next header (never below `need`).
      if (d.state === Walk.Record) this.recordHeader(d, h, at, Math.max(pointAt, start), start - pointAt, (seq + (pointAt - start)) | 0, frame);
      else this.packetHeader(d, h, at, frame);
      if ((d.state as WalkState) === Walk.Scan) p = Math.max(start, pointAt + 1);
      else d.toPoint -= need;
    }
  }

  /**
   * A record header at h[at]. `inSeg`: where it starts in the segment being walked (its start when it was carried
   * over); `before`: how many of its bytes came before this segment.
   */
  private recordHeader(d: ProbeDirection, h: Uint8Array, at: number, inSeg: number, before: number, seq: number, frame: number): void {
    if (!plausibleHeader(h, at)) {
      this.lost(d);
      return;
    }
    const type = h[at]!;
    const len = u16be(h, at + 3);
    d.recLen = len;
    d.recOff = 0;
    d.recSeq = seq;
    d.recFrame = frame;
    if (type === 23 && len >= ROOM_FOR_PACKET) {
      d.state = Walk.Packet;
      d.toPoint = RECORD_HEADER;
      if (d.held === null && d.holdFrom < 0) {
        d.holdFrom = inSeg;
        if (before > 0) {
          d.headerBefore = before;
          const header = d.header ??= new Uint8Array(RECORD_HEADER);
          for (let i = 0; i < before; i++) header[i] = h[at + i]!;
        }
      }
      return;
    }
    if (type === 23) this.disagree(d, frame);
    d.state = Walk.Record;
    d.toPoint = RECORD_HEADER + len;
  }

  /** An IPv6 header expected at fragment offset d.recOff, its first bytes at h[at]. */
  private packetHeader(d: ProbeDirection, h: Uint8Array, at: number, frame: number): void {
    const rest = d.recLen - d.recOff;
    d.state = Walk.Record;
    d.toPoint = rest;
    if (h[at]! >> 4 !== 6 || KNOWN_NEXT_HEADER[h[at + 6]!] !== 1) {
      this.disagree(d, frame);
      return;
    }
    const len = IPV6_HEADER + u16be(h, at + 4);
    const left = rest - len;
    if (left >= ROOM_FOR_PACKET) {
      d.recOff += len;
      d.state = Walk.Packet;
      d.toPoint = len;
    } else if (left === MD5 || left === SHA1 || left === SHA256) {
      this.agree(d, left);
    } else {
      this.disagree(d, frame);
    }
  }

  private agree(d: ProbeDirection, mac: number): void {
    const run = d.run ??= [];
    if (run.length > 0 && mac !== d.mac) endRun(d);
    d.mac = mac;
    run.push(d.recFrame);
    d.misses = 0;
    if (d.held !== null || d.holdFrom >= 0) d.agreedHeld++;
    if (run.length < PROBE_RECORDS) return;
    this.accepted = true;
    this.macLength = mac;
    for (const f of run) this.proof.push(f);
  }

  /** An application-data record that is not IPv6 packets and a MAC. Held bytes survive a few (packets split across records). */
  private disagree(d: ProbeDirection, frame: number): void {
    this.opaqueRecords++;
    if (this.opaqueFrame === 0) this.opaqueFrame = frame;
    endRun(d);
    if ((d.held !== null || d.holdFrom >= 0) && (d.agreedHeld === 0 || ++d.misses > MAX_MISSES)) this.letGo(d);
  }

  /** Adds buf[start, end) to the held bytes, letting the oldest records go when they do not fit. */
  private hold(d: ProbeDirection, buf: Uint8Array, start: number, end: number, frame: number): void {
    let w = d.held;
    if (w === null) {
      w = d.held = new FramedBytes(PROBE_WINDOW);
      d.heldSeq = (d.nextSeq - (end - start) - d.headerBefore) | 0;
      if (d.headerBefore > 0) w.append(d.header!, 0, d.headerBefore, d.lastFrame);
    }
    if (w.length + (end - start) > w.limit) {
      // Cut at the current record's header, or drop everything when even that does not leave room.
      const cut = Math.min((d.recSeq - d.heldSeq) | 0, w.length);
      if (cut <= 0 || w.length - cut + (end - start) > w.limit) {
        this.letGo(d);
        return;
      }
      this.droppedBytes += cut;
      w.consume(cut);
      d.heldSeq = (d.heldSeq + cut) | 0;
    }
    w.append(buf, start, end, frame);
  }
}

/** The run of agreeing records under way ends (a guarded reset: setting an array's length is a runtime call even when it does not change). */
function endRun(d: ProbeDirection): void {
  if (d.run !== null && d.run.length !== 0) d.run.length = 0;
}

/** The frame of the next run of held bytes to replay, −1 when none is left. */
function nextRunFrame(r: Replaying): number {
  const w = r.d.held;
  if (w === null || r.pos >= w.length) return -1;
  r.run = w.runOf(r.pos, r.run);
  return w.frameOf(r.run);
}

/** Type 20–23, version 3.0–3.3, a length up to 2^14 + 2048: a record header TLS ≤ 1.2 could send (RFC 5246 §6.2.1). */
function plausibleHeader(b: Uint8Array, at: number): boolean {
  const type = b[at]!;
  return type >= 20 && type <= 23 && b[at + 1] === 3 && b[at + 2]! <= 3 && u16be(b, at + 3) <= MAX_FRAGMENT;
}

/**
 * Scan for a record header in b[from, end).
 *
 * Accept when: a plausible header (plausibleHeader) whose record is followed by another plausible header, or whose
 * record ends beyond the segment (judged at the next header by the walk).
 * Reject when: anything else; the scan moves on by one byte. One plausible header turns up by chance about once in
 * 4 × 10^6 random positions; a wrong pick is found out at the next header.
 */
function findRecordHeader(b: Uint8Array, from: number, end: number): number {
  for (let q = from; q + RECORD_HEADER <= end; q++) {
    if (!plausibleHeader(b, q)) continue;
    const next = q + RECORD_HEADER + u16be(b, q + 3);
    if (next + RECORD_HEADER <= end && !plausibleHeader(b, next)) continue;
    return q;
  }
  return -1;
}
