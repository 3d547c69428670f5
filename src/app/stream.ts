/** Bounded in-order byte buffer for one direction of a TCP connection (RFC 9293 §3.4 sequence numbers; architecture §9). */

const EMPTY = new Uint8Array(0);
/** First allocation: most handshakes and HTTP heads fit, so most flows never grow the buffer. */
const INITIAL_CAPACITY = 2048;

/**
 * Holds the bytes of one direction in sequence order, so that a TLS handshake or an HTTP head can span
 * TCP segments. It never reorders: what it holds is always a gap-free run of the stream.
 *
 * - The first call that carries bytes fixes the start (an empty segment such as a SYN fixes nothing:
 *   the SYN itself takes a sequence number, so its data would otherwise look like a gap).
 * - Bytes already held or already consumed (retransmissions, overlaps, keep-alive probes) are ignored;
 *   the new tail of an overlapping segment is appended.
 * - A segment that starts beyond the next expected sequence number sets `gap`; nothing more is
 *   appended after that, because the missing bytes can never be placed.
 * - At most `limit` bytes are held; bytes beyond it are dropped and `full` is set. Like `gap` it is
 *   final: once bytes were dropped, later bytes could not be joined to the held ones.
 * - Sequence numbers wrap at 2^32: positions are compared as signed 32-bit differences.
 * - `discard(n)` drops n bytes even before they arrive: the ones not held yet are passed over, not
 *   copied, when they come (a record whose body the reader does not need).
 *
 * Memory stays within `limit` bytes of data plus at most one (offset, frame) run per held byte.
 */
export class StreamBuffer {
  readonly limit: number;
  private data: Uint8Array = EMPTY;
  /** Held bytes are data[head, tail). */
  private head = 0;
  private tail = 0;
  private started = false;
  /** Sequence number of the next byte expected, as int32 (see add). */
  private nextSeq = 0;
  /** Stream offset (bytes since the start) of data[head]. */
  private base = 0;
  /** Runs of bytes delivered by one frame: stream offset of each run's first byte, and its frame. */
  private readonly runAt: number[] = [];
  private readonly runFrame: number[] = [];
  /** Index of the first run that still covers held bytes; earlier ones are pruned in batches. */
  private runFirst = 0;
  private gapSeen = false;
  private fullSeen = false;
  /** Bytes still to pass over as they arrive (see discard). */
  private skipLeft = 0;

  constructor(limit = 16384) {
    this.limit = limit;
  }

  /** Bytes held. */
  get length(): number {
    return this.tail - this.head;
  }

  /** True once a segment arrived beyond the next expected sequence number (a missing or reordered segment). */
  get gap(): boolean {
    return this.gapSeen;
  }

  /** True once bytes were dropped because `limit` bytes were held. */
  get full(): boolean {
    return this.fullSeen;
  }

  /** Adds buf[start, end), whose first byte has TCP sequence number `seq`, delivered by `frame`. */
  add(seq: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    if (end > buf.length) end = buf.length;
    if (start < 0) start = 0;
    if (this.gapSeen || this.fullSeen || start >= end) return;
    // Sequence numbers are kept as int32, the same 32 bits: only their differences are compared, and an unsigned
    // value >= 2^31 would be a heap-allocated double wherever it is passed or stored on this V8.
    seq |= 0;
    if (!this.started) {
      this.started = true;
      this.nextSeq = seq;
    }
    // Signed distance modulo 2^32: positive means the segment starts past what we hold.
    const ahead = (seq - this.nextSeq) | 0;
    if (ahead > 0) {
      this.gapSeen = true;
      return;
    }
    let from = start - ahead;
    if (from >= end) return;
    if (this.skipLeft > 0) {
      // Discarded already: base counts these bytes; only the sequence number moves on.
      const k = Math.min(this.skipLeft, end - from);
      this.skipLeft -= k;
      this.nextSeq = (this.nextSeq + k) | 0;
      from += k;
      if (from >= end) return;
    }
    let n = end - from;
    const room = this.limit - this.length;
    if (n > room) {
      n = room;
      this.fullSeen = true;
      if (n === 0) return;
    }
    this.reserve(n);
    this.data.set(buf.subarray(from, from + n), this.tail);
    const last = this.runFrame.length - 1;
    if (last < this.runFirst || this.runFrame[last] !== frame) {
      this.runAt.push(this.base + this.length);
      this.runFrame.push(frame);
    }
    this.tail += n;
    this.nextSeq = (this.nextSeq + n) | 0;
  }

  /** The held bytes: a view into the buffer, valid until the next add() or consume(). */
  bytes(): Uint8Array {
    return this.data.subarray(this.head, this.tail);
  }

  /** The frame that delivered the held byte at `offset`, or −1 outside the held bytes. */
  frameAt(offset: number): number {
    if (offset < 0 || offset >= this.length) return -1;
    const at = this.base + offset;
    // Last run starting at or before `at` (runs are in stream order).
    let lo = this.runFirst;
    let hi = this.runAt.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runAt[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return this.runFrame[lo]!;
  }

  /** Drops the first `n` held bytes (all of them when `n` ≥ length). */
  consume(n: number): void {
    if (!(n > 0)) return;
    if (n > this.length) n = this.length;
    this.head += n;
    this.base += n;
    if (this.head === this.tail) this.head = this.tail = 0;
    while (this.runFirst + 1 < this.runAt.length && this.runAt[this.runFirst + 1]! <= this.base) this.runFirst++;
    // Prune dead runs in batches so consume() stays cheap and the arrays stay bounded.
    if (this.runFirst >= 64 && this.runFirst * 2 >= this.runAt.length) {
      this.runAt.splice(0, this.runFirst);
      this.runFrame.splice(0, this.runFirst);
      this.runFirst = 0;
    }
  }

  /** True when a segment starting at sequence number `seq` would be appended right after what is held (nothing skipped or dropped). */
  isNext(seq: number): boolean {
    return !this.gapSeen && !this.fullSeen && this.skipLeft === 0 && (!this.started || (seq | 0) === this.nextSeq);
  }

  /** Drops the first `n` bytes of the stream from here: the held ones now, the rest as they arrive, without copying them. */
  discard(n: number): void {
    if (!(n > 0)) return;
    const held = this.length;
    this.consume(Math.min(n, held));
    if (n > held) {
      this.base += n - held;
      this.skipLeft += n - held;
    }
  }

  /** Makes room for `n` more bytes after the tail: compacts first, grows (doubling, up to `limit`) only if needed. */
  private reserve(n: number): void {
    if (this.tail + n <= this.data.length) return;
    this.data = withRoom(this.data, this.head, this.tail, n, this.limit, INITIAL_CAPACITY);
    this.tail -= this.head;
    this.head = 0;
  }
}

/**
 * The held bytes data[head, tail) moved to the front of an array with room for `n` more after them: the same
 * array compacted when that is enough, else a bigger one (doubling from `initial`, at most `limit`).
 */
export function withRoom(data: Uint8Array, head: number, tail: number, n: number, limit: number, initial: number): Uint8Array {
  const held = tail - head;
  if (held + n <= data.length) {
    data.copyWithin(0, head, tail);
    return data;
  }
  let cap = Math.max(data.length, initial);
  while (cap < held + n) cap *= 2;
  const grown = new Uint8Array(Math.min(cap, limit));
  grown.set(data.subarray(head, tail));
  return grown;
}
