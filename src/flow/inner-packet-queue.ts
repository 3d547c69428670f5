/** The IPv6 packets taken out of IP-HTTPS (MS-IPHTTPS §3.1.5.3), held from the outer frame that released them until the pipeline drains them. */

import { withRoom } from '../app/stream.js';
import type { Flow } from './flow.js';

/**
 * One queued packet: its bytes are `buf[start, end)`, the queue's arena or the tunnel's stable buffer. The object
 * and its `frames` are reused for later packets, so both are valid only until the drain that hands them out returns.
 */
export class QueuedInnerPacket {
  /** The IP-HTTPS flow that carried it. */
  carrier: Flow;
  buf: Uint8Array;
  start = 0;
  end = 0;
  fromClient = false;
  /** The outer frames that delivered its bytes, ascending, unique; `lastFrame` delivered its last byte. */
  readonly frames: number[] = [];
  lastFrame = 0;
  /** Time and interface of the outer frame that delivered its last byte. */
  sec = 0;
  nsec = 0;
  interfaceId = 0;

  constructor(carrier: Flow, buf: Uint8Array) {
    this.carrier = carrier;
    this.buf = buf;
  }
}

const EMPTY = new Uint8Array(0);

/** Room for the packets one outer frame usually releases; the arena doubles when they need more. */
const INITIAL_ARENA = 64 * 1024;

/**
 * A FIFO of inner packets that allocates no buffer and no record per packet once warm. A packet in a stable
 * buffer (the outer frame's, which outlives the drain: see InnerPacketSink) is kept where it is; the others are
 * copied back to back into one arena. Metadata goes into slot objects kept from drain to drain. The pipeline
 * drains the queue after every outer frame (and after each tunnel's end of capture), so the arena holds at most
 * what one frame or one tunnel's finish releases.
 */
export class InnerPacketQueue {
  /** Packet bytes, back to back from 0; replaced by a bigger copy when a packet does not fit. */
  private arena: Uint8Array = new Uint8Array(INITIAL_ARENA);
  private used = 0;
  private readonly slots: QueuedInnerPacket[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  /**
   * Queues b[start, end): in place when `stable` (b stays unchanged until the drain), else a copy. `frames` is
   * copied: the caller may change it as soon as this returns.
   */
  push(
    carrier: Flow, b: Uint8Array, start: number, end: number, stable: boolean, fromClient: boolean, frames: readonly number[], lastFrame: number,
    sec: number, nsec: number, interfaceId: number,
  ): void {
    const q = this.count < this.slots.length ? this.slots[this.count]! : this.newSlot(carrier);
    this.count++;
    q.carrier = carrier;
    if (stable) {
      q.buf = b;
      q.start = start;
      q.end = end;
    } else {
      const n = end - start;
      if (this.used + n > this.arena.length) this.arena = withRoom(this.arena, 0, this.used, n, Infinity, INITIAL_ARENA);
      // The subarray is a short-lived view, not a buffer; a byte loop would avoid it but copies several times slower.
      this.arena.set(b.subarray(start, end), this.used);
      // A slot keeps the arena it was copied into: after a grow, the old one still holds its bytes.
      q.buf = this.arena;
      q.start = this.used;
      q.end = this.used += n;
    }
    q.fromClient = fromClient;
    // Overwritten in place and cut to length, never emptied: V8 frees the storage of an array set to length 0.
    const f = q.frames;
    for (let i = 0; i < frames.length; i++) f[i] = frames[i]!;
    if (f.length !== frames.length) f.length = frames.length; // setting a length is a runtime call, even to the same value
    q.lastFrame = lastFrame;
    q.sec = sec;
    q.nsec = nsec;
    q.interfaceId = interfaceId;
  }

  /**
   * Hands each packet to `each` in queue order, then empties the queue (and lets go of the buffers it pointed to).
   * Packets queued by `each` itself (a tunnel inside a tunnel) are handed out in the same drain.
   */
  drain(each: (p: QueuedInnerPacket) => void): void {
    for (let k = 0; k < this.count; k++) each(this.slots[k]!);
    for (let k = 0; k < this.count; k++) this.slots[k]!.buf = EMPTY;
    this.count = 0;
    this.used = 0;
  }

  private newSlot(carrier: Flow): QueuedInnerPacket {
    const q = new QueuedInnerPacket(carrier, EMPTY);
    this.slots.push(q);
    return q;
  }
}
