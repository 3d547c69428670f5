/** Flow table: open addressing over typed arrays, dense slots, LRU order for idle expiry and eviction (architecture §3, §5.6). */

import { KEY_WORDS, type FlowKeyBuilder } from './flow-key.js';

/** A slot's record, in 32-bit words: its hash, its LRU links, then its key (56 bytes, as the four arrays it replaced took). */
const HASH = 0;
const PREV = 1;
const NEXT = 2;
const KEY = 3;
const RECORD = KEY + KEY_WORDS;

/**
 * Why typed arrays: the per-packet path hashes the key, probes `index`, and compares words in place,
 * with no string keys and no Map; the only allocation is the caller's one object when a flow is new.
 * Linear probing with backward-shift deletion keeps the table free of tombstones.
 *
 * Why this layout: a lookup misses the cache at every array it reads, since the flows it finds are spread
 * over the whole table. A probe position holds the slot and its hash side by side, so a probe reads one
 * line; a slot's hash, LRU links and key are one record of 56 bytes, so a hit reads one or two more lines
 * (kept in four arrays, they cost a miss each).
 */
export class FlowTable<T extends { lastSec: number }> {
  /** Live flows at most; a new flow beyond it evicts the least recently active one. */
  readonly maxFlows: number;
  /** A flow idle this long (capture time) is finished; 0 disables expiry. */
  readonly idleSec: number;
  private cap = 0; // slot capacity (flows)
  private mask = 0; // hash table size − 1
  /** Per hash position: slot + 1 (0 empty), then that slot's hash. */
  private index = new Int32Array(0);
  /** Per slot: a record of RECORD words (HASH, PREV, NEXT, KEY…). LRU list: head = most recent. */
  private records = new Int32Array(0);
  private items: (T | null)[] = [];
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
    const r = this.records;
    const base = slot * RECORD;
    r[base + HASH] = kb.hash;
    for (let i = 0; i < KEY_WORDS; i++) r[base + KEY + i] = k[i]!;
    this.items[slot] = item;
    this.place(slot, kb.hash);
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
    const index = this.index;
    const r = this.records;
    const mask = this.mask;
    let pos = h & mask;
    for (;;) {
      const s = index[2 * pos]! - 1;
      if (s < 0) return -1;
      if (index[2 * pos + 1] === h) {
        // All KEY_WORDS (11) words, those most likely to differ first: the address tails, the ports, then the rest.
        const b = s * RECORD + KEY;
        if (r[b + 3] === k[3] && r[b + 7] === k[7] && r[b + 8] === k[8] && r[b + 9] === k[9] && r[b + 10] === k[10]
          && r[b] === k[0] && r[b + 1] === k[1] && r[b + 2] === k[2] && r[b + 4] === k[4] && r[b + 5] === k[5]
          && r[b + 6] === k[6]) return s;
      }
      pos = (pos + 1) & mask;
    }
  }

  /** Puts slot `slot` at the first free position from its hash's home. */
  private place(slot: number, hash: number): void {
    const index = this.index;
    let pos = hash & this.mask;
    while (index[2 * pos] !== 0) pos = (pos + 1) & this.mask;
    index[2 * pos] = slot + 1;
    index[2 * pos + 1] = hash;
  }

  private remove(slot: number, why: 'evicted' | 'expired' | 'end'): void {
    const item = this.items[slot]!;
    const index = this.index;
    const mask = this.mask;
    // Find the hash position of this slot, then delete with backward shift (no tombstones).
    let pos = this.records[slot * RECORD + HASH]! & mask;
    while (index[2 * pos] !== slot + 1) pos = (pos + 1) & mask;
    let hole = pos;
    let j = pos;
    for (;;) {
      j = (j + 1) & mask;
      if (index[2 * j] === 0) break;
      const home = index[2 * j + 1]! & mask;
      // Move the entry at j into the hole if its home position does not lie cyclically in (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        index[2 * hole] = index[2 * j]!;
        index[2 * hole + 1] = index[2 * j + 1]!;
        hole = j;
      }
    }
    index[2 * hole] = 0;
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
    const r = this.records;
    r[slot * RECORD + PREV] = -1;
    r[slot * RECORD + NEXT] = this.head;
    if (this.head >= 0) r[this.head * RECORD + PREV] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }

  private unlink(slot: number): void {
    const r = this.records;
    const p = r[slot * RECORD + PREV]!;
    const n = r[slot * RECORD + NEXT]!;
    if (p >= 0) r[p * RECORD + NEXT] = n;
    else this.head = n;
    if (n >= 0) r[n * RECORD + PREV] = p;
    else this.tail = p;
  }

  /** Grows slot storage to `cap` flows and rehashes into a table of at least twice that many positions. */
  private grow(cap: number): void {
    const oldCap = this.cap;
    if (cap <= oldCap) return;
    const records = new Int32Array(cap * RECORD);
    records.set(this.records);
    let size = 1;
    while (size < cap * 2) size *= 2;
    this.records = records;
    this.index = new Int32Array(size * 2);
    this.mask = size - 1;
    for (let s = 0; s < this.used; s++) {
      if (this.items[s] === null || this.items[s] === undefined) continue;
      this.place(s, records[s * RECORD + HASH]!);
    }
    this.cap = cap;
    this.items.length = cap;
    for (let s = oldCap; s < cap; s++) this.items[s] = null;
  }
}
