/** Canonical bidirectional flow key in 11 u32 words: addresses (IPv4 as ::ffff:a.b.c.d), ports, protocol, parent. */

import { u32be } from '../util/bytes.js';

/** Words per key: 4 + 4 address words, ports, protocol, parent flow id. */
export const KEY_WORDS = 11;

/**
 * Builds keys for the packet being processed into one reused scratch array (no allocation per packet).
 * After `set*()`, `key` holds the canonical key (smaller (address, port) first) and `reversed` says
 * whether the packet travels from the second endpoint to the first [Zeek IPBasedConnKey, gopacket FastHash].
 */
export class FlowKeyBuilder {
  readonly key = new Uint32Array(KEY_WORDS);
  reversed = false;
  hash = 0;

  /** IPv6 addresses at `src`/`dst` in `b` (16 bytes each). */
  setIpv6(b: Uint8Array, src: number, dst: number, sport: number, dport: number, proto: number, parent: number): void {
    const s0 = u32be(b, src), s1 = u32be(b, src + 4), s2 = u32be(b, src + 8), s3 = u32be(b, src + 12);
    const d0 = u32be(b, dst), d1 = u32be(b, dst + 4), d2 = u32be(b, dst + 8), d3 = u32be(b, dst + 12);
    const c = s0 !== d0 ? s0 - d0 : s1 !== d1 ? s1 - d1 : s2 !== d2 ? s2 - d2 : s3 !== d3 ? s3 - d3 : sport - dport;
    this.fill(c > 0, s0, s1, s2, s3, d0, d1, d2, d3, sport, dport, proto, parent);
  }

  /** IPv4 addresses as unsigned 32-bit numbers; stored IPv4-mapped so one table serves both families. */
  setIpv4(src: number, dst: number, sport: number, dport: number, proto: number, parent: number): void {
    const c = src !== dst ? src - dst : sport - dport;
    this.fill(c > 0, 0, 0, 0xffff, src, 0, 0, 0xffff, dst, sport, dport, proto, parent);
  }

  private fill(swap: boolean, s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number,
    sport: number, dport: number, proto: number, parent: number): void {
    const k = this.key;
    if (swap) {
      k[0] = d0; k[1] = d1; k[2] = d2; k[3] = d3; k[4] = s0; k[5] = s1; k[6] = s2; k[7] = s3;
      k[8] = ((dport << 16) | sport) >>> 0;
    } else {
      k[0] = s0; k[1] = s1; k[2] = s2; k[3] = s3; k[4] = d0; k[5] = d1; k[6] = d2; k[7] = d3;
      k[8] = ((sport << 16) | dport) >>> 0;
    }
    k[9] = proto;
    k[10] = parent + 1;
    this.reversed = swap;
    // FNV-style mixing with Math.imul: cheap, and good enough for open addressing with a power-of-two table.
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_WORDS; i++) {
      h = Math.imul(h ^ k[i]!, 0x01000193);
      h ^= h >>> 15;
    }
    this.hash = h >>> 0;
  }
}

/** Whether the key's first address is IPv4-mapped (::ffff:0:0/96). */
export function keyIsIpv4(k: Uint32Array, at: number): boolean {
  return k[at] === 0 && k[at + 1] === 0 && k[at + 2] === 0xffff;
}

