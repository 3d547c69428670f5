/** TcpReassembler and ReassemblyBudget (src/app/tcp-reassembly.ts; RFC 9293 §3.10.7.4): order, retransmissions, the window, the budget, gaps, wrap-around. */

import { describe, expect, it } from 'vitest';
import { HELD_PIECE_OVERHEAD, ReassemblyBudget, TcpReassembler } from '../../../src/app/tcp-reassembly.js';
import { Prng } from '../../helpers/build.js';

const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

interface Event {
  kind: 'data' | 'gap';
  /** data: the delivered bytes (copied at delivery); gap: empty. */
  bytes: number[];
  /** data: the buffer handed over, to check zero-copy delivery. */
  buf: Uint8Array | null;
  start: number;
  end: number;
  lost: number;
  frame: number;
}

/** A reassembler that records every delivery and gap in order. */
function recorder(budget = new ReassemblyBudget(), maxWindow?: number) {
  const events: Event[] = [];
  const r = new TcpReassembler(
    (buf, start, end, frame) => events.push({ kind: 'data', bytes: Array.from(buf.subarray(start, end)), buf, start, end, lost: 0, frame }),
    (lost, frame) => events.push({ kind: 'gap', bytes: [], buf: null, start: 0, end: 0, lost, frame }),
    budget,
    maxWindow,
  );
  const data = () => events.filter((e) => e.kind === 'data').flatMap((e) => e.bytes);
  const summary = () => events.map((e) => (e.kind === 'gap' ? `gap ${e.lost} @${e.frame}` : `${e.bytes.length} @${e.frame}`));
  return { r, events, data, summary, budget };
}

describe('TcpReassembler: in order', () => {
  it('delivers in-order bytes at once as a range of the caller\'s own buffer (zero-copy)', () => {
    const { r, events } = recorder();
    const seg = Uint8Array.of(0xaa, 1, 2, 3, 0xbb);
    r.add(1000, seg, 1, 4, 5);
    expect(events).toHaveLength(1);
    expect(events[0]!.buf).toBe(seg);
    expect([events[0]!.start, events[0]!.end, events[0]!.frame]).toEqual([1, 4, 5]);
    r.add(1003, seg, 0, 2, 6);
    expect(events[1]!.buf).toBe(seg);
    expect(events[1]!.bytes).toEqual([0xaa, 1]);
    expect(r.stats).toEqual({ delivered: 5, retransmittedBytes: 0, outOfOrderSegments: 0, gaps: 0, lostBytes: 0, windowOverflows: 0, budgetOverflows: 0 });
    expect(r.buffered).toBe(0);
  });

  it('an empty segment (a SYN) does not fix the start; an end past the buffer is clamped', () => {
    const { r, data, events } = recorder();
    r.add(500, new Uint8Array(0), 0, 0, 1);
    r.add(501, range(0, 3), 0, 99, 2);
    expect(data()).toEqual([0, 1, 2]);
    expect(events.map((e) => e.kind)).toEqual(['data']);
  });

  it('the first segment with data fixes the start: earlier bytes count as retransmitted', () => {
    const { r, data } = recorder();
    r.add(100, range(0, 4), 0, 4, 1);
    r.add(90, range(0, 10), 0, 10, 2);
    expect(data()).toEqual([0, 1, 2, 3]);
    expect(r.stats.retransmittedBytes).toBe(10);
  });
});

describe('TcpReassembler: retransmissions and overlaps', () => {
  it('drops exact retransmissions and delivers only the new tail of an overlapping segment, from the caller\'s buffer', () => {
    const { r, events, data } = recorder();
    r.add(10, range(0, 4), 0, 4, 1);
    r.add(10, range(0, 4), 0, 4, 2); // exact retransmission
    const overlap = range(2, 5); // bytes 2..6: 2, 3 again, 4..6 new
    r.add(12, overlap, 0, 5, 3);
    expect(data()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(events.map((e) => e.frame)).toEqual([1, 3]);
    expect(events[1]!.buf).toBe(overlap);
    expect([events[1]!.start, events[1]!.end]).toEqual([2, 5]);
    expect(r.stats.retransmittedBytes).toBe(6);
    expect(r.stats.delivered).toBe(7);
  });
});

describe('TcpReassembler: out of order', () => {
  it('holds copies of later segments, sorted, and delivers them with their own frames when the hole fills', () => {
    const { r, summary, data, events } = recorder();
    r.add(0, range(0, 10), 0, 10, 1);
    const third = range(30, 10);
    r.add(30, third, 0, 10, 2);
    r.add(20, range(20, 10), 0, 10, 3);
    third.fill(0); // the caller's buffer: it must have been copied
    expect(summary()).toEqual(['10 @1']);
    expect(r.buffered).toBe(20 + 2 * HELD_PIECE_OVERHEAD);
    r.add(10, range(10, 10), 0, 10, 4);
    expect(summary()).toEqual(['10 @1', '10 @4', '10 @3', '10 @2']);
    expect(data()).toEqual(Array.from(range(0, 40)));
    expect(events[3]!.buf).not.toBe(third);
    expect(r.stats.outOfOrderSegments).toBe(2);
    expect(r.stats.delivered).toBe(40);
    expect(r.buffered).toBe(0);
  });

  it('keeps overlapping out-of-order bytes once: only the holes of a new segment are copied', () => {
    const budget = new ReassemblyBudget();
    const { r, summary, data } = recorder(budget);
    r.add(0, range(0, 10), 0, 10, 1);
    r.add(20, range(20, 5), 0, 5, 2); // [20, 25)
    r.add(30, range(30, 5), 0, 5, 3); // [30, 35)
    r.add(15, range(15, 25), 0, 25, 4); // [15, 40): holes [15,20) [25,30) [35,40)
    expect(r.buffered).toBe(25 + 5 * HELD_PIECE_OVERHEAD);
    expect(budget.used).toBe(r.buffered);
    expect(r.stats.retransmittedBytes).toBe(10);
    r.add(22, range(22, 10), 0, 10, 5); // all held already
    expect(r.stats.retransmittedBytes).toBe(20);
    r.add(10, range(10, 5), 0, 5, 6);
    expect(summary()).toEqual(['10 @1', '5 @6', '5 @4', '5 @2', '5 @4', '5 @3', '5 @4']);
    expect(data()).toEqual(Array.from(range(0, 40)));
    expect(budget.used).toBe(0);
  });

  it('trims held bytes that an in-order segment already delivered', () => {
    const { r, summary, data } = recorder();
    r.add(0, range(0, 10), 0, 10, 1);
    r.add(15, range(15, 10), 0, 10, 2); // held [15, 25)
    r.add(10, range(10, 8), 0, 8, 3); // [10, 18): covers 15..17 of the held piece
    expect(summary()).toEqual(['10 @1', '8 @3', '7 @2']);
    expect(data()).toEqual(Array.from(range(0, 25)));
    expect(r.stats.retransmittedBytes).toBe(3);
  });
});

describe('TcpReassembler: gaps', () => {
  it('finish() declares each remaining hole a gap (with the finish frame) before delivering what follows it', () => {
    const { r, summary, data } = recorder();
    r.add(0, range(0, 10), 0, 10, 1);
    r.add(15, range(15, 5), 0, 5, 2);
    r.add(30, range(30, 5), 0, 5, 3);
    r.finish(99);
    expect(summary()).toEqual(['10 @1', 'gap 5 @99', '5 @2', 'gap 10 @99', '5 @3']);
    expect(data()).toEqual([...range(0, 10), ...range(15, 5), ...range(30, 5)]);
    expect(r.stats).toMatchObject({ gaps: 2, lostBytes: 15, delivered: 20 });
    r.add(12, range(12, 3), 0, 3, 100); // the lost bytes arriving after all: too late, dropped
    expect(r.stats.retransmittedBytes).toBe(3);
    expect(r.buffered).toBe(0);
  });

  it('a full window gives up the first hole: skip to the earliest held byte, report the loss, deliver on', () => {
    const max = 2 * (10 + HELD_PIECE_OVERHEAD);
    const { r, summary } = recorder(new ReassemblyBudget(), max);
    r.add(0, range(0, 10), 0, 10, 1);
    r.add(20, range(20, 10), 0, 10, 2);
    r.add(40, range(40, 10), 0, 10, 3);
    expect(r.buffered).toBe(max);
    r.add(60, range(60, 10), 0, 10, 4); // no room: the hole [10, 20) is given up
    expect(summary()).toEqual(['10 @1', 'gap 10 @4', '10 @2']);
    expect(r.stats).toMatchObject({ windowOverflows: 1, budgetOverflows: 0, gaps: 1, lostBytes: 10 });
    expect(r.buffered).toBe(max); // [40, 50) and [60, 70) held
    r.add(30, range(30, 10), 0, 10, 5);
    expect(summary().slice(3)).toEqual(['10 @5', '10 @3']);
    r.finish(6);
    expect(summary().slice(5)).toEqual(['gap 10 @6', '10 @4']);
  });

  it('a segment bigger than the whole window is delivered after a gap up to it', () => {
    const { r, summary } = recorder(new ReassemblyBudget(), 100);
    r.add(0, range(0, 10), 0, 10, 1);
    r.add(50, range(0, 200), 0, 200, 2);
    expect(summary()).toEqual(['10 @1', 'gap 40 @2', '200 @2']);
    expect(r.stats.windowOverflows).toBe(1);
  });

  it('shares one budget: a reassembler refused room declares a gap, and the budget returns to 0 when all is delivered', () => {
    const budget = new ReassemblyBudget(200);
    const a = recorder(budget);
    const b = recorder(budget);
    a.r.add(0, range(0, 1), 0, 1, 1);
    b.r.add(0, range(0, 1), 0, 1, 2);
    a.r.add(10, range(10, 100), 0, 100, 3); // held by a: 164 units
    expect(budget.used).toBe(100 + HELD_PIECE_OVERHEAD);
    b.r.add(10, range(10, 50), 0, 50, 4); // 114 more would exceed 200; b holds nothing, so it skips to this segment
    expect(b.summary()).toEqual(['1 @2', 'gap 9 @4', '50 @4']);
    expect(b.r.stats).toMatchObject({ budgetOverflows: 1, windowOverflows: 0, gaps: 1, lostBytes: 9 });
    expect(budget.exhausted).toBe(1);
    expect(budget.used).toBe(100 + HELD_PIECE_OVERHEAD);
    a.r.add(1, range(1, 9), 0, 9, 5);
    expect(a.data()).toEqual(Array.from(range(0, 110)));
    expect(budget.used).toBe(0);
    expect(budget.peak).toBe(100 + HELD_PIECE_OVERHEAD);
  });

  it('a refused reassembler first gives up its own held pieces, earliest first', () => {
    const budget = new ReassemblyBudget(2 * (10 + HELD_PIECE_OVERHEAD));
    const { r, summary } = recorder(budget);
    r.add(0, range(0, 10), 0, 10, 1);
    r.add(20, range(20, 10), 0, 10, 2);
    r.add(40, range(40, 10), 0, 10, 3);
    r.add(60, range(60, 10), 0, 10, 4);
    expect(summary()).toEqual(['10 @1', 'gap 10 @4', '10 @2']);
    expect(r.stats).toMatchObject({ budgetOverflows: 1, windowOverflows: 0 });
    expect(budget.used).toBe(2 * (10 + HELD_PIECE_OVERHEAD));
  });
});

describe('TcpReassembler: sequence numbers wrap at 2^32', () => {
  it('in order, out of order and retransmitted across the wrap', () => {
    const { r, summary, data } = recorder();
    const isn = 0xfffffff8;
    r.add(isn, range(0, 4), 0, 4, 1); // ..fffb
    r.add((isn + 12) >>> 0, range(12, 4), 0, 4, 2); // 4, past the wrap, out of order
    r.add((isn + 4) >>> 0, range(4, 8), 0, 8, 3); // fffffffc .. 3: crosses 2^32, fills the hole
    r.add(isn, range(0, 16), 0, 16, 4); // a retransmission of everything
    expect(summary()).toEqual(['4 @1', '8 @3', '4 @2']);
    expect(data()).toEqual(Array.from(range(0, 16)));
    expect(r.stats.retransmittedBytes).toBe(16);
  });

  it('a segment "before" the start by less than 2^31 is old, not far ahead', () => {
    const { r } = recorder();
    r.add(5, range(0, 4), 0, 4, 1);
    r.add(0xfffffff0, range(0, 4), 0, 4, 2);
    expect(r.stats).toMatchObject({ outOfOrderSegments: 0, retransmittedBytes: 4 });
    expect(r.buffered).toBe(0);
  });
});

describe('TcpReassembler: any input', () => {
  /**
   * A source stream cut into segments, shuffled, duplicated, partly dropped; sequence numbers start near
   * 2^32. Whatever the window and the budget: every delivered byte is the source byte at its position,
   * deliveries and gaps tile the stream, memory stays within both bounds at every step, and after finish()
   * the stream has reached the end of the furthest segment.
   */
  it('delivers only source bytes at their positions, within the bounds', () => {
    const seen = { outOfOrderSegments: 0, windowOverflows: 0, budgetOverflows: 0, gaps: 0, retransmittedBytes: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      const rng = new Prng(seed);
      const n = 2000 + rng.int(20000);
      const source = rng.bytes(n);
      const isn = (0xffffffff - rng.int(30000)) >>> 0;
      const maxWindow = [64, 300, 2000, 256 * 1024][seed % 4]!;
      const budget = new ReassemblyBudget([150, 1000, 16 * 1024 * 1024][seed % 3]);
      let pos = 0;
      let lost = 0;
      let ok = true;
      const r = new TcpReassembler(
        (buf, start, end) => {
          for (let i = start; i < end; i++) if (buf[i] !== source[pos + i - start]) ok = false;
          pos += end - start;
        },
        (n) => {
          expect(n).toBeGreaterThan(0);
          lost += n;
          pos += n;
        },
        budget,
        maxWindow,
      );
      const segs: [number, number][] = [];
      for (let at = 0; at < n;) {
        const len = 1 + rng.int(1500);
        segs.push([at, Math.min(n, at + len)]);
        at += len;
      }
      const order = segs.slice(1).filter(() => rng.int(10) !== 0); // some never captured
      for (let i = order.length - 1; i > 0; i--) {
        if (rng.int(3) !== 0) continue; // partly shuffled
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const feed = [segs[0]!, ...order.flatMap((s) => (rng.int(8) === 0 ? [s, [Math.max(0, s[0] - 7), s[1]] as [number, number]] : [s]))];
      let furthest = 0;
      for (const [i, [from, to]] of feed.entries()) {
        r.add((isn + from) >>> 0, source, from, to, i + 1);
        furthest = Math.max(furthest, to);
        expect(r.buffered).toBeLessThanOrEqual(maxWindow);
        expect(budget.used).toBeLessThanOrEqual(budget.maxBytes);
      }
      r.finish(feed.length + 1);
      expect(ok).toBe(true);
      expect(pos).toBe(furthest);
      expect(r.stats.delivered + r.stats.lostBytes).toBe(furthest);
      expect(r.stats.lostBytes).toBe(lost);
      expect(r.buffered).toBe(0);
      expect(budget.used).toBe(0);
      expect(budget.peak).toBeLessThanOrEqual(budget.maxBytes);
      for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += r.stats[k];
    }
    // The sweep reached every path: reordering, both bounds, gaps and retransmissions.
    for (const v of Object.values(seen)) expect(v).toBeGreaterThan(0);
  });

  it('with room enough, loses exactly the bytes no segment carried', () => {
    const rng = new Prng(77);
    const source = rng.bytes(30000);
    const { r, data } = recorder();
    const covered = new Uint8Array(source.length);
    const segs: [number, number][] = [];
    for (let at = 0; at < source.length;) {
      const len = 1 + rng.int(1400);
      segs.push([at, Math.min(source.length, at + len)]);
      at += len;
    }
    const kept = [segs[0]!, ...segs.slice(1).filter(() => rng.int(6) !== 0).reverse()];
    for (const [i, [from, to]] of kept.entries()) {
      r.add(from, source, from, to, i + 1);
      covered.fill(1, from, to);
    }
    r.finish(999);
    const end = Math.max(...kept.map((s) => s[1]));
    const missing = covered.subarray(0, end).filter((c) => c === 0).length;
    expect(missing).toBeGreaterThan(0);
    expect(r.stats.lostBytes).toBe(missing);
    expect(data()).toEqual(Array.from(source.subarray(0, end)).filter((_, i) => covered[i] === 1));
  });
});
