/** Assertions shared by the link- and network-layer decoder tests: the truncation sweep and the bounds check. */

import { expect } from 'vitest';
import { allAnomalies, anomalyDef } from '../../../src/anomalies/registry.js';
import type { PacketView } from '../../../src/decode/packet-view.js';
import { Status, STATUS_NAMES } from '../../../src/decode/status.js';
import { decode, type DecodeOptions } from '../../helpers/decode.js';

const KIND_BY_ID = new Map(allAnomalies().map((d) => [d.id, d.kind]));

/** Problems with the offsets of `v`: every layer within [lo, hi], start ≤ hdrEnd ≤ end, and inside its parent. */
export function boundsProblems(v: PacketView, lo: number, hi: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < v.count; i++) {
    const s = v.start[i]!;
    const h = v.hdrEnd[i]!;
    const e = v.end[i]!;
    if (s < lo || e > hi) out.push(`layer ${i} [${s}, ${e}) outside [${lo}, ${hi}]`);
    if (!(s <= h && h <= e)) out.push(`layer ${i}: start ${s} hdrEnd ${h} end ${e} out of order`);
    if (i > 0 && e > v.end[i - 1]!) out.push(`layer ${i} ends at ${e}, past its parent's end ${v.end[i - 1]}`);
  }
  if (v.stopAt !== -1 && (v.stopAt < lo || v.stopAt > hi)) out.push(`stopAt ${v.stopAt} outside [${lo}, ${hi}]`);
  return out;
}

/** A non-stopping anomaly that a sweep expects on every prefix of at least `from` bytes. */
export interface SweepNote {
  id: string;
  from: number;
}

/**
 * Decodes every prefix 0..n−1 of `bytes` as a snaplen cut (capLen = prefix, wireLen = n) and asserts: nothing
 * throws; the status is Ok exactly for the prefixes in `okAt` and Truncated for all others (never Malformed);
 * every offset stays within the prefix; a Truncated frame records exactly one anomaly, of the truncated
 * family, and an Ok one none, besides the `notes` the uncut header carries anyway (such as an LSO length 0).
 */
export function sweep(bytes: Uint8Array, okAt: Iterable<number>, o: DecodeOptions & { notes?: SweepNote[] } = {}): void {
  const ok = new Set(okAt);
  const dataStart = o.dataStart ?? 0;
  for (let n = 0; n < bytes.length; n++) {
    const { v, ids } = decode(bytes, { ...o, capLen: n, wireLen: bytes.length });
    const want = ok.has(n) ? Status.Ok : Status.Truncated;
    const where = `prefix ${n}/${bytes.length}`;
    expect(STATUS_NAMES[v.status], `${where}: status (ids ${ids.join(',')})`).toBe(STATUS_NAMES[want]);
    expect(boundsProblems(v, dataStart, dataStart + n), where).toEqual([]);
    const expected = (o.notes ?? []).filter((x) => n >= x.from).map((x) => x.id);
    if (want === Status.Truncated) {
      const id = anomalyDef(v.anomaly).id;
      expect(KIND_BY_ID.get(id), `${where}: ${id}`).toBe('truncated');
      expected.push(id);
    }
    expect([...ids].sort(), where).toEqual(expected.sort());
  }
}

/** The integers lo..hi−1. */
export function range(lo: number, hi: number): number[] {
  return Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
}

/** The anomaly id of the code that stopped decoding ('' when none). */
export function stopId(v: PacketView): string {
  return v.anomaly === 0 ? '' : anomalyDef(v.anomaly).id;
}

/** A copy of `bytes` with the byte at `at` set to `value`. */
export function patched(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  out[at] = value;
  return out;
}

/** A copy of `bytes` with the IPv4 header at `ip` given a correct header checksum (after a patch). */
export function fixIpv4Checksum(bytes: Uint8Array, ip: number): Uint8Array {
  const out = bytes.slice();
  const ihl = (out[ip]! & 0x0f) * 4;
  out[ip + 10] = 0;
  out[ip + 11] = 0;
  let sum = 0;
  for (let i = ip; i < ip + ihl; i += 2) sum += (out[i]! << 8) | out[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  sum = ~sum & 0xffff;
  out[ip + 10] = sum >>> 8;
  out[ip + 11] = sum & 0xff;
  return out;
}

/** `bytes` followed by zero bytes up to `len` (Ethernet padding). */
export function padTo(bytes: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(Math.max(len, bytes.length));
  out.set(bytes);
  return out;
}
