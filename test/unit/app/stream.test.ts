/** StreamBuffer (src/app/stream.ts; RFC 9293 §3.4 sequence numbers): in order, retransmissions, gaps, wrap-around, the limit. */

import { describe, expect, it } from 'vitest';
import { StreamBuffer } from '../../../src/app/stream.js';
import { Prng } from '../../helpers/build.js';

const bytes = (...v: number[]) => Uint8Array.from(v);
const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const held = (s: StreamBuffer) => Array.from(s.bytes());
/** Byte equality without vitest's element-by-element diffing (slow on 16 KiB arrays). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
const frames = (s: StreamBuffer) => Array.from({ length: s.length }, (_, i) => s.frameAt(i));

describe('StreamBuffer', () => {
  it('joins in-order segments and remembers the frame of every byte', () => {
    const s = new StreamBuffer();
    s.add(100, bytes(1, 2, 3), 0, 3, 7);
    s.add(103, bytes(4, 5), 0, 2, 8);
    s.add(105, bytes(6), 0, 1, 9);
    expect(s.length).toBe(6);
    expect(held(s)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(frames(s)).toEqual([7, 7, 7, 8, 8, 9]);
    expect(s.frameAt(-1)).toBe(-1);
    expect(s.frameAt(6)).toBe(-1);
    expect(s.gap).toBe(false);
    expect(s.full).toBe(false);
  });

  it('copies only buf[start, end), clamping an end past the buffer', () => {
    const s = new StreamBuffer();
    const buf = bytes(9, 9, 1, 2, 3, 9);
    s.add(0, buf, 2, 5, 1);
    buf.fill(0); // the buffer is the caller's: it must have been copied
    s.add(3, bytes(4, 5), 0, 10, 2);
    expect(held(s)).toEqual([1, 2, 3, 4, 5]);
  });

  it('an empty segment (a SYN) does not fix the start', () => {
    const s = new StreamBuffer();
    s.add(1000, bytes(), 0, 0, 1); // SYN: sequence number 1000, no data
    s.add(1001, bytes(1, 2), 0, 2, 3); // first data byte is ISN + 1
    expect(s.gap).toBe(false);
    expect(held(s)).toEqual([1, 2]);
  });

  it('ignores retransmissions and appends only the new tail of an overlapping segment', () => {
    const s = new StreamBuffer();
    s.add(10, range(0, 4), 0, 4, 1);
    s.add(10, range(0, 4), 0, 4, 2); // exact retransmission
    s.add(12, range(2, 4), 0, 4, 3); // bytes 2,3 again plus 4,5 new
    s.add(8, range(0xfe, 3), 0, 3, 4); // starts before the stream: old bytes and one held
    expect(held(s)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(frames(s)).toEqual([1, 1, 1, 1, 3, 3]);
    expect(s.gap).toBe(false);
  });

  it('ignores bytes already consumed', () => {
    const s = new StreamBuffer();
    s.add(0, range(0, 10), 0, 10, 1);
    s.consume(6);
    s.add(2, range(2, 10), 0, 10, 2); // bytes 2..11: 2..9 known, 10..11 new
    expect(held(s)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(frames(s)).toEqual([1, 1, 1, 1, 2, 2]);
  });

  it('an out-of-order segment (one beyond the next expected byte) sets gap; nothing is appended after it', () => {
    const s = new StreamBuffer();
    s.add(0, range(0, 4), 0, 4, 1);
    s.add(6, range(6, 2), 0, 2, 2); // bytes 4, 5 missing
    expect(s.gap).toBe(true);
    expect(held(s)).toEqual([0, 1, 2, 3]);
    s.add(4, range(4, 2), 0, 2, 3); // the late segment that would fill the hole
    s.add(4, range(4, 4), 0, 4, 4);
    expect(held(s)).toEqual([0, 1, 2, 3]);
    expect(s.length).toBe(4);
  });

  it('sequence numbers wrap at 2^32', () => {
    const s = new StreamBuffer();
    s.add(0xfffffffc, range(0, 4), 0, 4, 1);
    s.add(0, range(4, 4), 0, 4, 2);
    s.add(0xfffffffe, range(2, 8), 0, 8, 3); // retransmission across the wrap; new bytes at sequence 4, 5
    expect(held(s)).toEqual(Array.from(range(0, 10)));
    expect(frames(s)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
    s.add(7, range(0, 1), 0, 1, 4); // 7 is past the next expected (6): a gap, not a wrapped retransmission
    expect(s.gap).toBe(true);
  });

  it('distances are signed 32-bit: 2^31 − 1 behind is old, 2^31 − 1 ahead is a gap', () => {
    const s = new StreamBuffer();
    s.add(0x80000000, range(0, 2), 0, 2, 1);
    s.add(0x00000003, range(0, 2), 0, 2, 2); // 0x7FFFFFFF behind, i.e. old
    expect(s.gap).toBe(false);
    expect(s.length).toBe(2);
    s.add((0x80000002 + 0x7fffffff) >>> 0, range(0, 2), 0, 2, 3);
    expect(s.gap).toBe(true);
  });

  it('holds at most `limit` bytes: the rest is dropped, full is set, and later bytes are not joined on', () => {
    const s = new StreamBuffer(10);
    s.add(0, range(0, 8), 0, 8, 1);
    expect(s.full).toBe(false);
    s.add(8, range(8, 5), 0, 5, 2);
    expect(s.full).toBe(true);
    expect(held(s)).toEqual(Array.from(range(0, 10)));
    s.consume(4);
    s.add(13, range(13, 2), 0, 2, 3); // would follow the dropped bytes 10..12
    s.add(10, range(10, 3), 0, 3, 4);
    expect(held(s)).toEqual(Array.from(range(4, 6)));
  });

  it('exactly `limit` bytes is not full', () => {
    const s = new StreamBuffer(10);
    s.add(0, range(0, 10), 0, 10, 1);
    expect(s.full).toBe(false);
    expect(s.length).toBe(10);
  });

  it('the 16 KiB default bound: a 64 KiB segment keeps 16384 bytes in a buffer no larger', () => {
    const s = new StreamBuffer();
    const big = new Prng(5).bytes(65536);
    s.add(1, big, 0, big.length, 1);
    expect(s.limit).toBe(16384);
    expect(s.length).toBe(16384);
    expect(s.full).toBe(true);
    expect(same(s.bytes(), big.subarray(0, 16384))).toBe(true);
    expect(s.bytes().buffer.byteLength).toBeLessThanOrEqual(16384);
  });

  it('memory stays within the limit over a long stream read and consumed as it goes', () => {
    const s = new StreamBuffer(4096);
    const rng = new Prng(9);
    let seq = 0;
    let maxBuffer = 0;
    for (let i = 0; i < 2000; i++) {
      const seg = rng.bytes(1 + rng.int(1400));
      s.add(seq, seg, 0, seg.length, i + 1);
      seq += seg.length;
      maxBuffer = Math.max(maxBuffer, s.bytes().buffer.byteLength);
      expect(same(s.bytes(), seg)).toBe(true);
      s.consume(s.length);
    }
    expect(s.full).toBe(false);
    expect(maxBuffer).toBeLessThanOrEqual(4096);
  });

  it('consume drops from the front; frames follow; consuming more than held empties it', () => {
    const s = new StreamBuffer();
    for (let i = 0; i < 200; i++) s.add(i, bytes(i), 0, 1, 1000 + i); // 200 runs of one byte
    s.consume(150);
    expect(s.length).toBe(50);
    expect(held(s)).toEqual(Array.from({ length: 50 }, (_, i) => 150 + i));
    expect(frames(s)).toEqual(Array.from({ length: 50 }, (_, i) => 1150 + i));
    s.add(200, bytes(1, 2), 0, 2, 5000);
    expect(s.frameAt(50)).toBe(5000);
    s.consume(0);
    s.consume(-3);
    expect(s.length).toBe(52);
    s.consume(1000);
    expect(s.length).toBe(0);
    expect(s.frameAt(0)).toBe(-1);
    s.add(202, bytes(7), 0, 1, 6000);
    expect(held(s)).toEqual([7]);
    expect(s.frameAt(0)).toBe(6000);
  });

  it('discard drops held bytes now and passes over the rest as they arrive, retransmissions and frames included', () => {
    const s = new StreamBuffer();
    s.add(1000, range(0, 10), 0, 10, 1);
    s.discard(25); // 10 held, the next 15 still to come
    expect(s.length).toBe(0);
    s.add(1005, range(5, 10), 0, 10, 2); // a retransmission of 5 held bytes, then 5 to pass over
    expect(s.length).toBe(0);
    s.add(1015, range(15, 20), 0, 20, 3); // 10 more to pass over, then 10 kept
    expect(held(s)).toEqual(Array.from(range(25, 10)));
    expect(frames(s)).toEqual(Array(10).fill(3));
    s.add(1035, range(35, 2), 0, 2, 4);
    expect(frames(s).slice(-3)).toEqual([3, 4, 4]);
    s.discard(4); // all held now
    expect(held(s)).toEqual(Array.from(range(29, 8)));
    s.discard(0);
    s.discard(-1);
    expect(s.length).toBe(8);
    expect(s.gap).toBe(false);
    // A gap while passing over is still a gap.
    s.discard(20);
    s.add(1040, range(40, 5), 0, 5, 5);
    expect(s.gap).toBe(true);
  });

  it('isNext: any start before the first bytes, then only the next expected sequence number with nothing skipped', () => {
    const s = new StreamBuffer();
    expect([s.isNext(0), s.isNext(0xffffffff)]).toEqual([true, true]);
    s.add(0xfffffffe, range(0, 4), 0, 4, 1); // wraps
    expect([s.isNext(2), s.isNext(1), s.isNext(2 + 2 ** 32)]).toEqual([true, false, true]);
    s.discard(10); // 4 held, 6 to pass over
    expect(s.isNext(2)).toBe(false);
    s.add(2, range(4, 6), 0, 6, 2);
    expect(s.isNext(8)).toBe(true);
    s.add(20, range(0, 1), 0, 1, 3); // a gap
    expect(s.isNext(8)).toBe(false);
  });

  it('discard over a random stream: each segment yields exactly its bytes not discarded', () => {
    const rng = new Prng(7);
    const stream = rng.bytes(30000);
    const s = new StreamBuffer(4096);
    let sent = 0;
    let next = 0; // stream offset of the next byte to keep: every byte before it was read or discarded
    while (sent < stream.length) {
      const to = Math.min(stream.length, sent + 1 + rng.int(1500));
      s.add(0x7ffff000 + sent, stream, sent, to, sent);
      const from = Math.max(next, sent);
      expect(same(s.bytes(), stream.subarray(Math.min(from, to), to)), `segment ${sent}–${to}`).toBe(true);
      s.consume(s.length);
      next = Math.max(next, to);
      sent = to;
      if (rng.int(2) === 0) {
        const n = rng.int(3000);
        s.discard(n);
        next += n;
      }
    }
    expect(s.gap).toBe(false);
  });

  it('matches the original stream under random retransmissions and overlaps (no reordering)', () => {
    const rng = new Prng(42);
    const stream = rng.bytes(20000);
    const s = new StreamBuffer(8192);
    const isn = 0xffffd000; // wraps inside the stream
    let sent = 0;
    let consumed = 0;
    let frame = 0;
    while (sent < stream.length) {
      // Start at or before the next new byte (a retransmission reaches back up to 300 bytes), never after.
      const back = rng.int(3) === 0 ? Math.min(sent, rng.int(300)) : 0;
      const from = sent - back;
      const to = Math.min(stream.length, from + 1 + rng.int(1500));
      s.add((isn + from) >>> 0, stream, from, to, ++frame);
      sent = Math.max(sent, to);
      expect(s.gap).toBe(false);
      expect(same(s.bytes(), stream.subarray(consumed, Math.min(sent, consumed + 8192)))).toBe(true);
      const eat = rng.int(s.length + 1);
      s.consume(eat);
      consumed += eat;
      if (s.full) break;
    }
  });
});
