/** Canonical bidirectional flow key in 11 32-bit words: addresses (IPv4 as ::ffff:a.b.c.d), ports, protocol, parent. */

import { u32be } from '../util/bytes.js';

/** Words per key: 4 + 4 address words, ports, protocol, parent flow id. */
export const KEY_WORDS = 11;

/**
 * Builds keys for the packet being processed into one reused scratch array (no allocation per packet).
 * After `set*()`, `key` holds the canonical key (smaller (address, port) first) and `reversed` says
 * whether the packet travels from the second endpoint to the first [Zeek IPBasedConnKey, gopacket FastHash].
 *
 * Why signed words: on this V8 (no pointer compression) small integers are 32-bit signed, so an unsigned
 * word ≥ 2^31 is a double wherever it travels, and the hash (a property) would live in a HeapNumber box.
 * Read, stored and hashed as int32, every word stays an integer register value (read as unsigned, the
 * addresses cost a HeapNumber per packet); the table only compares words for equality. Which endpoint
 * comes first is still decided in unsigned order.
 */
/** A big-endian 32-bit word as int32 (see the class comment). */
function word(b: Uint8Array, at: number): number {
  return u32be(b, at) | 0;
}

/** Positive when int32 word `a` is greater than `b` taken as unsigned: flipping the sign bit maps unsigned order onto signed. */
function order(a: number, b: number): number {
  return (a ^ SIGN_BIT) - (b ^ SIGN_BIT);
}

const SIGN_BIT = 0x80000000 | 0;

export class FlowKeyBuilder {
  readonly key = new Int32Array(KEY_WORDS);
  reversed = false;
  /** Hash of the key words (int32): see finish(). */
  hash = 0;

  /** IPv6 addresses at `src`/`dst` in `b` (16 bytes each). */
  setIpv6(b: Uint8Array, src: number, dst: number, sport: number, dport: number, proto: number, parent: number): void {
    const s0 = word(b, src), s1 = word(b, src + 4), s2 = word(b, src + 8), s3 = word(b, src + 12);
    const d0 = word(b, dst), d1 = word(b, dst + 4), d2 = word(b, dst + 8), d3 = word(b, dst + 12);
    const c = s0 !== d0 ? order(s0, d0) : s1 !== d1 ? order(s1, d1) : s2 !== d2 ? order(s2, d2) : s3 !== d3 ? order(s3, d3) : sport - dport;
    const k = this.key;
    if (c > 0) {
      k[0] = d0; k[1] = d1; k[2] = d2; k[3] = d3; k[4] = s0; k[5] = s1; k[6] = s2; k[7] = s3;
      k[8] = (dport << 16) | sport;
    } else {
      k[0] = s0; k[1] = s1; k[2] = s2; k[3] = s3; k[4] = d0; k[5] = d1; k[6] = d2; k[7] = d3;
      k[8] = (sport << 16) | dport;
    }
    this.finish(c > 0, proto, parent);
  }

  /**
   * IPv4 addresses at `srcAt`/`dstAt` in `b` (4 bytes each); stored IPv4-mapped so one table serves both families.
   * Read here rather than passed in: an address ≥ 128.0.0.0 passed as a number would cross the call as a boxed double.
   */
  setIpv4(b: Uint8Array, srcAt: number, dstAt: number, sport: number, dport: number, proto: number, parent: number): void {
    const src = word(b, srcAt);
    const dst = word(b, dstAt);
    const c = src !== dst ? order(src, dst) : sport - dport;
    const k = this.key;
    k[0] = 0; k[1] = 0; k[2] = 0xffff; k[4] = 0; k[5] = 0; k[6] = 0xffff;
    if (c > 0) {
      k[3] = dst; k[7] = src;
      k[8] = (dport << 16) | sport;
    } else {
      k[3] = src; k[7] = dst;
      k[8] = (sport << 16) | dport;
    }
    this.finish(c > 0, proto, parent);
  }

  private finish(swap: boolean, proto: number, parent: number): void {
    const k = this.key;
    k[9] = proto;
    k[10] = parent + 1;
    this.reversed = swap;
    // Each word times its own odd constant, summed, then the murmur3 finalizer (fmix32). Why not a chained hash
    // (FNV): each of its 11 steps waits for the one before (an imul's latency each); these multiplies do not depend
    // on each other, so the CPU runs them side by side. The table compares every word, so the hash only spreads.
    let h = (Math.imul(k[0]!, 0x9e3779b1) + Math.imul(k[1]!, 0x85ebca77)) | 0;
    h = (h + Math.imul(k[2]!, 0xc2b2ae3d) + Math.imul(k[3]!, 0x27d4eb2f)) | 0;
    h = (h + Math.imul(k[4]!, 0x165667b1) + Math.imul(k[5]!, 0xd3a2646d)) | 0;
    h = (h + Math.imul(k[6]!, 0xfd7046c5) + Math.imul(k[7]!, 0xb55a4f09)) | 0;
    h = (h + Math.imul(k[8]!, 0x7feb352d) + Math.imul(k[9]!, 0x846ca68b) + Math.imul(k[10]!, 0x2c1b3c6d)) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    this.hash = h;
  }
}
