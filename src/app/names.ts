/** Address → names, learnt from DNS/LLMNR/mDNS answers and pcapng name-resolution blocks, used wherever addresses are shown. */

import { hex } from '../util/bytes.js';

export interface NameSource {
  name: string;
  /** 'dns', 'llmnr', 'mdns' or 'nrb' (written by the capture tool). */
  source: string;
  /** First frame that gave it; 0 for a name-resolution block. */
  frame: number;
}

/** Names kept per address, and addresses kept in all: both bounded against hostile captures. */
const MAX_NAMES_PER_ADDRESS = 8;
const MAX_ADDRESSES = 100_000;

export class NameMap {
  private readonly byAddress = new Map<string, NameSource[]>();

  /** Records that `address` (16 bytes, IPv4 mapped) is called `name`. */
  add(address: Uint8Array, name: string, source: string, frame: number): void {
    const key = hex(address);
    let list = this.byAddress.get(key);
    if (!list) {
      if (this.byAddress.size >= MAX_ADDRESSES) return;
      list = [];
      this.byAddress.set(key, list);
    }
    const clean = name.endsWith('.') ? name.slice(0, -1) : name;
    if (list.length >= MAX_NAMES_PER_ADDRESS || list.some((n) => n.name.toLowerCase() === clean.toLowerCase())) return;
    list.push({ name: clean, source, frame });
  }

  /** Names of an address, first learnt first. */
  names(address: Uint8Array): NameSource[] {
    return this.byAddress.get(hex(address)) ?? [];
  }

  /** The best single name: DNS first, then the capture tool's, then LLMNR, then mDNS. */
  name(address: Uint8Array): string | null {
    const list = this.names(address);
    if (list.length === 0) return null;
    const rank = (s: string): number => ['dns', 'nrb', 'llmnr', 'mdns'].indexOf(s);
    return [...list].sort((a, b) => rank(a.source) - rank(b.source))[0]!.name;
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** Every address with its names, as hex keys. */
  entries(): [string, NameSource[]][] {
    return [...this.byAddress.entries()];
  }
}
