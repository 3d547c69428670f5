/** InnerPacketQueue (src/flow/inner-packet-queue.ts; MS-IPHTTPS §3.1.5.3): stable packets in place, others copied into one arena, drained in order, slots reused without aliasing. */

import { describe, expect, it } from 'vitest';
import type { Flow } from '../../../src/flow/flow.js';
import { InnerPacketQueue, type QueuedInnerPacket } from '../../../src/flow/inner-packet-queue.js';
import { Prng } from '../../helpers/build.js';
import { flow } from '../../helpers/flows.js';

/** A queued packet as a consumer would keep it: copied, since the queue reuses its arena and slots. */
interface Drained {
  bytes: string;
  carrier: Flow;
  fromClient: boolean;
  frames: number[];
  lastFrame: number;
  sec: number;
  nsec: number;
  interfaceId: number;
}

function copyOf(q: QueuedInnerPacket): Drained {
  return {
    bytes: Buffer.from(q.buf.subarray(q.start, q.end)).toString('hex'), carrier: q.carrier, fromClient: q.fromClient, frames: [...q.frames],
    lastFrame: q.lastFrame, sec: q.sec, nsec: q.nsec, interfaceId: q.interfaceId,
  };
}

function drainAll(queue: InnerPacketQueue): Drained[] {
  const out: Drained[] = [];
  queue.drain((q) => out.push(copyOf(q)));
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('InnerPacketQueue', () => {
  const a = flow({ proto: 6 }).flow;
  const b = flow({ proto: 6 }).flow;

  it('queues copies of packets of several sizes, growing the arena past 64 KiB, and drains them in order with their frames and times', () => {
    const rng = new Prng(1);
    const queue = new InnerPacketQueue();
    // The largest inner packet twice (40 + 65535): the 64 KiB arena must double, then double again.
    const sizes = [40, 1280, 65575, 200, 65575, 41];
    const packets = sizes.map((n) => rng.bytes(n));
    // Each packet sits in the middle of a buffer the caller overwrites as soon as push returns.
    const scratch = new Uint8Array(70000);
    const frames = [3];
    packets.forEach((p, i) => {
      scratch.set(p, 17);
      frames[0] = 10 + i;
      if (i === 2) frames.push(11 + i, 12 + i);
      queue.push(i % 2 === 0 ? a : b, scratch, 17, 17 + p.length, false, i % 3 === 0, frames, frames[frames.length - 1]!, 1_764_140_400 + i, 1000 * i, i % 2);
      scratch.fill(0xee);
      frames.length = 1;
    });
    expect(queue.length).toBe(6);
    const got = drainAll(queue);
    expect(queue.length).toBe(0);
    expect(got).toEqual(packets.map((p, i) => ({
      bytes: hex(p), carrier: i % 2 === 0 ? a : b, fromClient: i % 3 === 0, frames: i === 2 ? [12, 13, 14] : [10 + i], lastFrame: i === 2 ? 14 : 10 + i,
      sec: 1_764_140_400 + i, nsec: 1000 * i, interfaceId: i % 2,
    })));
  });

  it('starts over after a drain: the arena and the slots are reused, and the later packets have their own bytes and frames', () => {
    const rng = new Prng(2);
    const queue = new InnerPacketQueue();
    const first = [rng.bytes(900), rng.bytes(1280), rng.bytes(60)];
    first.forEach((p, i) => queue.push(a, p, 0, p.length, false, true, [1, 2, 3], 3, 5, i, 0));
    const slots: QueuedInnerPacket[] = [];
    queue.drain((q) => slots.push(q));
    const second = [rng.bytes(48), rng.bytes(700)];
    second.forEach((p, i) => queue.push(b, p, 0, p.length, false, false, [9 + i], 9 + i, 6, i, 1));
    const starts: number[] = [];
    const again: QueuedInnerPacket[] = [];
    const got: Drained[] = [];
    queue.drain((q) => {
      starts.push(q.start);
      again.push(q);
      got.push(copyOf(q));
    });
    expect(got).toEqual(second.map((p, i) => ({ bytes: hex(p), carrier: b, fromClient: false, frames: [9 + i], lastFrame: 9 + i, sec: 6, nsec: i, interfaceId: 1 })));
    expect(starts).toEqual([0, 48]);
    expect(again).toEqual(slots.slice(0, 2));
    expect(again[0]).toBe(slots[0]);
    expect(again[1]).toBe(slots[1]);
  });

  it('keeps a packet in a stable buffer where it is, copies the others, and lets go of both buffers after the drain', () => {
    const queue = new InnerPacketQueue();
    const frame = new Prng(4).bytes(3000); // an outer frame's buffer: unchanged until the drain
    const scratch = new Uint8Array(500).fill(7); // a tunnel's own buffer: overwritten by its next packet
    queue.push(a, frame, 100, 1380, true, false, [1], 1, 0, 0, 0);
    queue.push(b, scratch, 0, 500, false, true, [1], 1, 0, 0, 0);
    scratch.fill(0);
    const seen: QueuedInnerPacket[] = [];
    const got: Drained[] = [];
    queue.drain((q) => {
      seen.push(q);
      got.push(copyOf(q));
      if (seen.length === 1) expect([q.buf, q.start, q.end]).toEqual([frame, 100, 1380]);
      else expect(q.buf).not.toBe(scratch);
    });
    expect(seen[0]!.buf).not.toBe(frame);
    expect(got.map((d) => d.bytes)).toEqual([hex(frame.subarray(100, 1380)), hex(new Uint8Array(500).fill(7))]);
    expect(seen.map((q) => q.buf.length)).toEqual([0, 0]);
  });

  it('two packets queued in one frame from the same reused frames list keep their own lists', () => {
    const queue = new InnerPacketQueue();
    const p = new Uint8Array(80).fill(1);
    const shared = [5, 6];
    queue.push(a, p, 0, 40, false, true, shared, 6, 0, 0, 0);
    shared[0] = 6;
    shared.length = 1;
    queue.push(a, p, 40, 80, false, true, shared, 6, 0, 0, 0);
    shared[0] = 99;
    const lists: (readonly number[])[] = [];
    queue.drain((q) => lists.push(q.frames));
    expect(lists).toEqual([[5, 6], [6]]);
    expect(lists[0]).not.toBe(lists[1]);
    expect(lists[0]).not.toBe(shared);
  });

  it('hands out a packet queued while draining (a tunnel inside a tunnel) in the same drain, even when that grows the arena', () => {
    const rng = new Prng(3);
    const queue = new InnerPacketQueue();
    const outer = rng.bytes(60000);
    queue.push(a, outer, 0, outer.length, false, true, [1], 1, 0, 0, 0);
    const got: Drained[] = [];
    queue.drain((q) => {
      got.push(copyOf(q));
      // The first packet carries the second: queued from the arena itself, past what the arena holds.
      if (got.length === 1) queue.push(b, q.buf, q.start + 1000, q.start + 11000, false, false, [1], 1, 0, 0, 0);
    });
    expect(got.map((d) => [d.bytes, d.carrier])).toEqual([[hex(outer), a], [hex(outer.subarray(1000, 11000)), b]]);
    expect(queue.length).toBe(0);
  });
});
