/** Flow table: open addressing over typed arrays, dense slots, LRU order for idle expiry and eviction (architecture §3, §5.6). */

import { KEY_WORDS, type FlowKeyBuilder } from './flow-key.js';

/**
 * Why typed arrays: the per-packet path hashes the key, probes `slots`, and compares words in place,
 * with no string keys and no Map; the only allocation is the caller's one object when a flow is new.
 * Linear probing with backward-shift deletion keeps the table free of tombstones.
 */
export class FlowTable<T extends { lastSec: number }> {
  /** Live flows at most; a new flow beyond it evicts the least recently active one. */
  readonly maxFlows: number;
  /** A flow idle this long (capture time) is finished; 0 disables expiry. */
  readonly idleSec: number;
  private cap = 0; // slot capacity (flows)
  private mask = 0; // hash table size − 1
  private slots = new Int32Array(0); // hash position → slot + 1 (0 empty)
  private keys = new Int32Array(0); // slot → key words
  private hashes = new Int32Array(0);
  private items: (T | null)[] = [];
  private prev = new Int32Array(0); // LRU list: head = most recent
  private next = new Int32Array(0);
  private head = -1;
  private tail = -1;
  private free: number[] = [];
  private used = 0;
  live = 0;
  /** Flows pushed out because the table was full. */
  evictions = 0;
  /** Flows finished because they were idle longer than idleSec. */
  expirations = 0;
  peakLive = 0;
  /** The capture second expire() last looked at (NaN: never). */
  private expiredAtSec = NaN;
  private readonly onFinish: (item: T, why: 'evicted' | 'expired' | 'end') => void;

  constructor(maxFlows: number, idleSec: number, onFinish: (item: T, why: 'evicted' | 'expired' | 'end') => void) {
    this.maxFlows = Math.max(1, maxFlows);
    this.idleSec = idleSec;
    this.onFinish = onFinish;
    this.grow(Math.min(1024, this.maxFlows));
  }

  /** The live item for the builder's key, or null. Moves it to the front of the LRU order. */
  get(kb: FlowKeyBuilder): T | null {
    const slot = this.find(kb);
    if (slot < 0) return null;
    this.touch(slot);
    return this.items[slot]!;
  }

  /** Adds an item for the builder's key (which must not be live); evicts the oldest when full. */
  add(kb: FlowKeyBuilder, item: T): void {
    if (this.live >= this.maxFlows) {
      this.evictions++;
      this.remove(this.tail, 'evicted');
    }
    if (this.free.length === 0 && this.used >= this.cap) this.grow(Math.min(this.cap * 2, this.maxFlows));
    const slot = this.free.length > 0 ? this.free.pop()! : this.used++;
    const k = kb.key;
    const base = slot * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) this.keys[base + i] = k[i]!;
    this.hashes[slot] = kb.hash;
    this.items[slot] = item;
    let pos = kb.hash & this.mask;
    while (this.slots[pos] !== 0) pos = (pos + 1) & this.mask;
    this.slots[pos] = slot + 1;
    this.linkFront(slot);
    this.live++;
    if (this.live > this.peakLive) this.peakLive = this.live;
  }

  /**
   * Finishes every item idle since before `nowSec − idleSec` (oldest first). Looked at once per second of
   * capture time: within one second the limit does not move, and reading the least recent item on every packet
   * costs a cache miss (nothing else touches it).
   */
  expire(nowSec: number): void {
    if (this.idleSec <= 0 || nowSec === this.expiredAtSec) return;
    this.expiredAtSec = nowSec;
    const limit = nowSec - this.idleSec;
    while (this.tail >= 0 && this.items[this.tail]!.lastSec < limit) {
      this.expirations++;
      this.remove(this.tail, 'expired');
    }
  }

  /** Finishes every live item, least recent first. */
  finishAll(): void {
    while (this.tail >= 0) this.remove(this.tail, 'end');
  }

  private find(kb: FlowKeyBuilder): number {
    const k = kb.key;
    const h = kb.hash;
    const slots = this.slots;
    const hashes = this.hashes;
    const keys = this.keys;
    const mask = this.mask;
    let pos = h & mask;
    for (;;) {
      const s = slots[pos]! - 1;
      if (s < 0) return -1;
      if (hashes[s] === h) {
        // All KEY_WORDS (11) words, those most likely to differ first: the address tails, the ports, then the rest.
        const b = s * KEY_WORDS;
        if (keys[b + 3] === k[3] && keys[b + 7] === k[7] && keys[b + 8] === k[8] && keys[b + 9] === k[9] && keys[b + 10] === k[10]
          && keys[b] === k[0] && keys[b + 1] === k[1] && keys[b + 2] === k[2] && keys[b + 4] === k[4] && keys[b + 5] === k[5]
          && keys[b + 6] === k[6]) return s;
      }
      pos = (pos + 1) & mask;
    }
  }

  private remove(slot: number, why: 'evicted' | 'expired' | 'end'): void {
    const item = this.items[slot]!;
    // Find the hash position of this slot, then delete with backward shift (no tombstones).
    let pos = this.hashes[slot]! & this.mask;
    while (this.slots[pos] !== slot + 1) pos = (pos + 1) & this.mask;
    let hole = pos;
    let j = pos;
    for (;;) {
      j = (j + 1) & this.mask;
      const s = this.slots[j]! - 1;
      if (s < 0) break;
      const home = this.hashes[s]! & this.mask;
      // Move s into the hole if its home position does not lie cyclically in (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.slots[hole] = s + 1;
        hole = j;
      }
    }
    this.slots[hole] = 0;
    this.unlink(slot);
    this.items[slot] = null;
    this.free.push(slot);
    this.live--;
    this.onFinish(item, why);
  }

  private touch(slot: number): void {
    if (this.head === slot) return;
    this.unlink(slot);
    this.linkFront(slot);
  }

  private linkFront(slot: number): void {
    this.prev[slot] = -1;
    this.next[slot] = this.head;
    if (this.head >= 0) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  /** Grows slot storage to `cap` flows and rehashes into a table of at least twice that many positions. */
  private grow(cap: number): void {
    const oldCap = this.cap;
    if (cap <= oldCap) return;
    const keys = new Int32Array(cap * KEY_WORDS);
    keys.set(this.keys);
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    const prev = new Int32Array(cap);
    prev.set(this.prev);
    const next = new Int32Array(cap);
    next.set(this.next);
    let size = 1;
    while (size < cap * 2) size *= 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let s = 0; s < this.used; s++) {
      if (this.items[s] === null || this.items[s] === undefined) continue;
      let pos = hashes[s]! & mask;
      while (slots[pos] !== 0) pos = (pos + 1) & mask;
      slots[pos] = s + 1;
    }
    this.keys = keys;
    this.hashes = hashes;
    this.prev = prev;
    this.next = next;
    this.slots = slots;
    this.mask = mask;
    this.cap = cap;
    this.items.length = cap;
    for (let s = oldCap; s < cap; s++) this.items[s] = null;
  }
}
