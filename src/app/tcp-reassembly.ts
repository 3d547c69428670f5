/** TCP reassembly of one direction with a bounded out-of-order window (RFC 9293 §3.10.7.4 segment processing order; architecture §9). */

/**
 * Budget units charged for each held piece on top of its bytes (the piece object and its array header), so
 * that a flood of one-byte out-of-order segments is bounded by count as well as by bytes.
 */
export const HELD_PIECE_OVERHEAD = 64;

/** Bytes of out-of-order segments held at once for the whole capture. */
const DEFAULT_REASSEMBLY_BUDGET = 16 * 1024 * 1024;

/**
 * Memory shared by all reassemblers of one capture: each out-of-order piece is charged here while it is
 * held, so the bytes buffered for the whole capture never exceed `maxBytes` however many connections
 * reorder at once. A reassembler refused room declares a gap instead of waiting.
 */
export class ReassemblyBudget {
  readonly maxBytes: number;
  /** Units held now (bytes plus {@link HELD_PIECE_OVERHEAD} per piece). */
  used = 0;
  /** Most units ever held at once. */
  peak = 0;
  /** Requests refused because the bound was hit. */
  exhausted = 0;

  constructor(maxBytes = DEFAULT_REASSEMBLY_BUDGET) {
    this.maxBytes = maxBytes;
  }

  /** Takes `n` units if they fit under the bound. */
  take(n: number): boolean {
    if (this.used + n > this.maxBytes) {
      this.exhausted++;
      return false;
    }
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

export interface TcpReassemblyStats {
  /** Bytes delivered in sequence order. */
  delivered: number;
  /** Bytes that arrived again after they were delivered or held (retransmissions, overlaps); dropped. */
  retransmittedBytes: number;
  /** Segments that started beyond the next expected byte. */
  outOfOrderSegments: number;
  /** Holes given up on (window or budget full, or the end of the capture). */
  gaps: number;
  /** Bytes skipped by those gaps. */
  lostBytes: number;
  /** Gaps forced because this direction's window was full. */
  windowOverflows: number;
  /** Gaps forced because the capture's shared budget was used up. */
  budgetOverflows: number;
}

/** A held out-of-order run: its stream offset, a copy of its bytes, the frame that carried them. */
interface Piece {
  off: number;
  bytes: Uint8Array;
  frame: number;
}

/**
 * One direction of one TCP connection, put back in sequence order.
 *
 * - The first call that carries bytes fixes the start (a SYN's empty segment fixes nothing); anything
 *   before it counts as a retransmission.
 * - In-order bytes go to `deliver` at once, as a range of the caller's own buffer: nothing is copied
 *   or allocated for them, so `deliver` must copy what it keeps.
 * - Bytes already delivered or held are trimmed away (counted in `retransmittedBytes`).
 * - Bytes beyond the next expected one are copied into a window of pieces sorted by offset, each
 *   byte held once, and delivered (from the copy, with the frame that carried them) when the hole
 *   before them fills.
 * - When the window (`maxWindow` units) or the shared budget would overflow, the hole is given up: the
 *   stream skips to the earliest held byte (or to the new segment when nothing is held), `onGap` is
 *   told how many bytes were lost, and delivery goes on. `finish` does the same for holes left at the
 *   end of the capture.
 * - Sequence numbers wrap at 2^32; they are compared as signed 32-bit differences (RFC 9293 §3.4), and
 *   positions are kept as stream offsets, which do not wrap.
 *
 * Callbacks must not call back into the reassembler.
 */
export class TcpReassembler {
  readonly stats: TcpReassemblyStats = {
    delivered: 0, retransmittedBytes: 0, outOfOrderSegments: 0, gaps: 0, lostBytes: 0, windowOverflows: 0, budgetOverflows: 0,
  };
  readonly maxWindow: number;
  private readonly deliver: (buf: Uint8Array, start: number, end: number, frame: number) => void;
  private readonly onGap: (lostBytes: number, frame: number) => void;
  private readonly budget: ReassemblyBudget;
  private started = false;
  /** Sequence number (as int32) and stream offset of the next expected byte. */
  private nextSeq = 0;
  private nextOff = 0;
  /** Held pieces, sorted by offset, never overlapping, all beyond nextOff. */
  private readonly pieces: Piece[] = [];
  private held = 0;
  /** Result of measureHoles(): bytes and pieces a segment would add to the window. */
  private holeBytes = 0;
  private holePieces = 0;

  constructor(
    deliver: (buf: Uint8Array, start: number, end: number, frame: number) => void,
    onGap: (lostBytes: number, frame: number) => void,
    budget: ReassemblyBudget,
    maxWindow = 256 * 1024,
  ) {
    this.deliver = deliver;
    this.onGap = onGap;
    this.budget = budget;
    this.maxWindow = maxWindow;
  }

  /** Units held in the out-of-order window now (bytes plus {@link HELD_PIECE_OVERHEAD} per piece). */
  get buffered(): number {
    return this.held;
  }

  /** Adds buf[start, end), whose first byte has sequence number `seq`, carried by `frame`. */
  add(seq: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    if (end > buf.length) end = buf.length;
    if (start < 0) start = 0;
    if (start >= end) return;
    // Kept as int32 (the same 32 bits), as StreamBuffer does: only differences are compared.
    seq |= 0;
    if (!this.started) {
      this.started = true;
      this.nextSeq = seq;
    }
    let off = this.nextOff + ((seq - this.nextSeq) | 0);
    if (off + (end - start) <= this.nextOff) {
      this.stats.retransmittedBytes += end - start;
      return;
    }
    if (off < this.nextOff) {
      this.stats.retransmittedBytes += this.nextOff - off;
      start += this.nextOff - off;
      off = this.nextOff;
    }
    if (off === this.nextOff) {
      this.inOrder(buf, start, end, frame);
      return;
    }
    this.stats.outOfOrderSegments++;
    this.hold(off, buf, start, end, frame);
  }

  /** End of the capture: the holes before held pieces are declared gaps and everything held is delivered. */
  finish(frame: number): void {
    while (this.pieces.length > 0) {
      this.skipTo(this.pieces[0]!.off, frame);
      this.drain();
    }
  }

  private inOrder(buf: Uint8Array, start: number, end: number, frame: number): void {
    this.advance(end - start);
    this.stats.delivered += end - start;
    this.deliver(buf, start, end, frame);
    // `held` rather than pieces.length: the count is on this object, the array's length on another (a cache line less per segment).
    if (this.held > 0) this.drain();
  }

  private advance(n: number): void {
    this.nextOff += n;
    this.nextSeq = (this.nextSeq + n) | 0;
  }

  /** Gives up the hole before `target`. */
  private skipTo(target: number, frame: number): void {
    const lost = target - this.nextOff;
    this.stats.gaps++;
    this.stats.lostBytes += lost;
    this.advance(lost);
    this.onGap(lost, frame);
  }

  /** Delivers the held pieces that now start at or before the next expected byte, trimming what was already delivered. */
  private drain(): void {
    const pieces = this.pieces;
    let i = 0;
    while (i < pieces.length && pieces[i]!.off <= this.nextOff) {
      const p = pieces[i++]!;
      const end = p.off + p.bytes.length;
      if (end <= this.nextOff) {
        this.stats.retransmittedBytes += p.bytes.length;
        continue;
      }
      const from = this.nextOff - p.off;
      this.stats.retransmittedBytes += from;
      this.advance(end - this.nextOff);
      this.stats.delivered += p.bytes.length - from;
      this.deliver(p.bytes, from, p.bytes.length, p.frame);
    }
    if (i === 0) return;
    for (let k = 0; k < i; k++) {
      const cost = pieces[k]!.bytes.length + HELD_PIECE_OVERHEAD;
      this.held -= cost;
      this.budget.give(cost);
    }
    pieces.splice(0, i);
  }

  /** An out-of-order segment starting at stream offset `off` > nextOff. */
  private hold(off: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    for (;;) {
      const stop = off + (end - start);
      this.measureHoles(off, stop);
      if (this.holeBytes === 0) {
        this.stats.retransmittedBytes += end - start;
        return;
      }
      const cost = this.holeBytes + this.holePieces * HELD_PIECE_OVERHEAD;
      const fits = this.held + cost <= this.maxWindow;
      if (fits && this.budget.take(cost)) {
        this.held += cost;
        this.stats.retransmittedBytes += end - start - this.holeBytes;
        this.fillHoles(off, stop, buf, start, frame);
        return;
      }
      if (fits) this.stats.budgetOverflows++;
      else this.stats.windowOverflows++;
      // Give up the first hole: skip to the earliest byte we have, held or new, and deliver from there.
      // Each round delivers at least one piece or makes the segment in order, so the loop ends.
      const first = this.pieces.length > 0 ? this.pieces[0]!.off : off;
      this.skipTo(first < off ? first : off, frame);
      this.drain();
      if (off <= this.nextOff) {
        // The segment has bytes in a hole (holeBytes > 0), so the delivered run stops inside it: stop > nextOff.
        this.stats.retransmittedBytes += this.nextOff - off;
        this.inOrder(buf, start + (this.nextOff - off), end, frame);
        return;
      }
    }
  }

  /** Index of the first piece ending after `off`. */
  private firstEndingAfter(off: number): number {
    const pieces = this.pieces;
    let lo = 0;
    let hi = pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const p = pieces[mid]!;
      if (p.off + p.bytes.length <= off) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Sets holeBytes and holePieces: the parts of [off, stop) not held yet. */
  private measureHoles(off: number, stop: number): void {
    let bytes = 0;
    let count = 0;
    let cursor = off;
    for (let i = this.firstEndingAfter(off); i < this.pieces.length && cursor < stop; i++) {
      const p = this.pieces[i]!;
      if (p.off >= stop) break;
      if (p.off > cursor) {
        bytes += p.off - cursor;
        count++;
      }
      cursor = p.off + p.bytes.length;
    }
    if (cursor < stop) {
      bytes += stop - cursor;
      count++;
    }
    this.holeBytes = bytes;
    this.holePieces = count;
  }

  /** Copies the parts of [off, stop) not held yet into new pieces (buf[start] is the byte at `off`). */
  private fillHoles(off: number, stop: number, buf: Uint8Array, start: number, frame: number): void {
    const pieces = this.pieces;
    let cursor = off;
    let i = this.firstEndingAfter(off);
    while (cursor < stop) {
      const next = i < pieces.length && pieces[i]!.off < stop ? pieces[i]! : null;
      const holeEnd = next === null ? stop : next.off;
      if (holeEnd > cursor) {
        pieces.splice(i, 0, { off: cursor, bytes: buf.slice(start + (cursor - off), start + (holeEnd - off)), frame });
        i++;
      }
      if (next === null) return;
      cursor = next.off + next.bytes.length;
      i++;
    }
  }
}
