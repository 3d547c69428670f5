/** FlowTable (src/flow/flow-table.ts): lookup, LRU eviction, idle expiry, deletion under collisions, growth — checked against a plain model. */

import { describe, expect, it } from 'vitest';
import { FlowKeyBuilder } from '../../../src/flow/flow-key.js';
import { FlowTable } from '../../../src/flow/flow-table.js';

interface Item {
  name: number;
  lastSec: number;
}

/** The key of flow `n` (10.0.x.y → 10.1.0.1, port n), with its hash replaced by `hash` when given (to force collisions). */
function keyOf(n: number, hash?: number): FlowKeyBuilder {
  const kb = new FlowKeyBuilder();
  const b = Uint8Array.of(10, 0, (n >> 8) & 0xff, n & 0xff, 10, 1, 0, 1);
  kb.setIpv4(b, 0, 4, 1024 + (n % 60000), 443, 6, -1);
  if (hash !== undefined) kb.hash = hash;
  return kb;
}

function table(maxFlows: number, idleSec = 0): { t: FlowTable<Item>; finished: [number, string][] } {
  const finished: [number, string][] = [];
  const t = new FlowTable<Item>(maxFlows, idleSec, (item, why) => finished.push([item.name, why]));
  return { t, finished };
}

/** xorshift32: a repeatable sequence of operations. */
function prng(seed: number): () => number {
  let x = seed | 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

describe('FlowTable', () => {
  it('finds what was added, and nothing else', () => {
    const { t } = table(10);
    const a = { name: 1, lastSec: 0 };
    t.add(keyOf(1), a);
    expect(t.get(keyOf(1))).toBe(a);
    expect(t.get(keyOf(2))).toBeNull();
    expect(t.live).toBe(1);
  });

  it('evicts the least recently used flow when full: a lookup makes a flow recent', () => {
    const { t, finished } = table(3);
    for (const n of [1, 2, 3]) t.add(keyOf(n), { name: n, lastSec: 0 });
    t.get(keyOf(1));
    t.add(keyOf(4), { name: 4, lastSec: 0 });
    expect(finished).toEqual([[2, 'evicted']]);
    expect([t.evictions, t.live, t.peakLive]).toEqual([1, 3, 3]);
    expect([1, 2, 3, 4].map((n) => t.get(keyOf(n))?.name ?? null)).toEqual([1, null, 3, 4]);
  });

  it('expires flows idle longer than idleSec, least recent first, and finishes the rest at the end', () => {
    const { t, finished } = table(10, 10);
    const a = { name: 1, lastSec: 0 };
    const b = { name: 2, lastSec: 5 };
    t.add(keyOf(1), a);
    t.add(keyOf(2), b);
    t.expire(12);
    expect(finished).toEqual([[1, 'expired']]);
    t.expire(16);
    expect(finished).toEqual([[1, 'expired'], [2, 'expired']]);
    expect(t.expirations).toBe(2);
    t.add(keyOf(3), { name: 3, lastSec: 16 });
    t.add(keyOf(4), { name: 4, lastSec: 16 });
    t.get(keyOf(3));
    t.finishAll();
    expect(finished.slice(2)).toEqual([[4, 'end'], [3, 'end']]);
    expect(t.live).toBe(0);
  });

  it('with idleSec 0 never expires', () => {
    const { t, finished } = table(10, 0);
    t.add(keyOf(1), { name: 1, lastSec: 0 });
    t.expire(1e9);
    expect(finished).toEqual([]);
  });

  it('agrees with a model over 20,000 random lookups, adds, evictions and expiries whose hashes collide on purpose', () => {
    // Eight hash values, one home position, for 200 keys: one long probe run. Expiry removes flows from anywhere
    // in it, several at a time, so lookups only find what lies beyond a removed entry if deletion shifts it back.
    const idleSec = 30;
    const { t, finished } = table(40, idleSec);
    const hashOf = (n: number): number => ((n % 8) * 0x1000) | 0;
    const model: Item[] = []; // most recent first
    const next = prng(0x5eed);
    let evicted = 0;
    let expired = 0;
    let now = 0;
    for (let op = 0; op < 20_000; op++) {
      // Four lookups a second (the table fills and evicts), and now and then a quiet spell of up to 45 s (many expire at once).
      now += op % 4 === 0 ? 1 : 0;
      if (next() % 500 === 0) now += next() % 46;
      t.expire(now);
      while (model.length > 0 && model.at(-1)!.lastSec < now - idleSec) {
        expect(finished[evicted + expired], `op ${op}`).toEqual([model.pop()!.name, 'expired']);
        expired++;
      }
      const n = next() % 200;
      const found = t.get(keyOf(n, hashOf(n)));
      const at = model.findIndex((m) => m.name === n);
      expect(found, `op ${op}, key ${n}`).toBe(at < 0 ? null : model[at]);
      if (at >= 0) {
        const [item] = model.splice(at, 1);
        item!.lastSec = now;
        model.unshift(item!);
        continue;
      }
      const gone = model.length >= 40 ? model.pop()! : null;
      const item = { name: n, lastSec: now };
      t.add(keyOf(n, hashOf(n)), item);
      if (gone !== null) {
        expect(finished[evicted + expired], `op ${op}`).toEqual([gone.name, 'evicted']);
        evicted++;
      }
      model.unshift(item);
    }
    expect([t.live, t.evictions, t.expirations]).toEqual([model.length, evicted, expired]);
    // Both kinds of removal happened often (15,497 evictions and 614 expiries with this seed).
    expect([evicted > 10_000, expired > 500]).toEqual([true, true]);
    for (const m of model) expect(t.get(keyOf(m.name, hashOf(m.name)))).toBe(m);
  });

  it('keeps every flow through growth from 1,024 slots to 4,096', () => {
    const { t } = table(5000);
    const items: Item[] = [];
    for (let n = 0; n < 3000; n++) {
      items.push({ name: n, lastSec: 0 });
      t.add(keyOf(n), items[n]!);
    }
    expect(t.live).toBe(3000);
    for (let n = 0; n < 3000; n++) expect(t.get(keyOf(n))).toBe(items[n]);
    expect(t.get(keyOf(3000))).toBeNull();
  });
});
