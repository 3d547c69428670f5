/** FlowKeyBuilder (src/flow/flow-key.ts): the canonical bidirectional key, smaller (address, port) first in unsigned order. */

import { describe, expect, it } from 'vitest';
import { FlowKeyBuilder } from '../../../src/flow/flow-key.js';
import { concat, ip4, ip6 } from '../../helpers/build.js';

function v4(src: string, dst: string, sport: number, dport: number): { key: number[]; reversed: boolean; hash: number } {
  const kb = new FlowKeyBuilder();
  const b = concat(ip4(src), ip4(dst));
  kb.setIpv4(b, 0, 4, sport, dport, 6, -1);
  return { key: [...kb.key], reversed: kb.reversed, hash: kb.hash };
}

function v6(src: string, dst: string, sport: number, dport: number): { key: number[]; reversed: boolean; hash: number } {
  const kb = new FlowKeyBuilder();
  const b = concat(ip6(src), ip6(dst));
  kb.setIpv6(b, 0, 16, sport, dport, 17, 4);
  return { key: [...kb.key], reversed: kb.reversed, hash: kb.hash };
}

describe('FlowKeyBuilder', () => {
  it('puts the smaller IPv4 address first in unsigned order, high bit set or not, and says when the packet is reversed', () => {
    const up = v4('10.0.0.1', '200.0.0.1', 50000, 443);
    const down = v4('200.0.0.1', '10.0.0.1', 443, 50000);
    expect(up.key).toEqual([0, 0, 0xffff, 0x0a000001, 0, 0, 0xffff, 0xc8000001 | 0, (50000 << 16) | 443, 6, 0]);
    expect([up.reversed, down.reversed]).toEqual([false, true]);
    expect(down.key).toEqual(up.key);
    expect(down.hash).toBe(up.hash);
    // Both above 2^31: still unsigned order (198.51.100.2 < 203.0.113.1).
    expect(v4('203.0.113.1', '198.51.100.2', 1, 2).reversed).toBe(true);
    expect(v4('127.255.255.255', '128.0.0.0', 1, 2).reversed).toBe(false);
  });

  it('puts the smaller IPv6 address first word by word in unsigned order; equal addresses go by port', () => {
    const a = v6('2001:db8::1', 'fe80::2', 500, 4500);
    const b = v6('fe80::2', '2001:db8::1', 4500, 500);
    expect([a.reversed, b.reversed]).toEqual([false, true]);
    expect(b.key).toEqual(a.key);
    expect(a.key.slice(8)).toEqual([(500 << 16) | 4500, 17, 5]);
    expect(v6('fe80::1:0:0:1', 'fe80::ffff:0:0:1', 1, 2).reversed).toBe(false);
    expect(v6('fe80::ffff:0:0:1', 'fe80::1:0:0:1', 1, 2).reversed).toBe(true);
    expect([v6('::1', '::1', 2, 1).reversed, v6('::1', '::1', 1, 2).reversed]).toEqual([true, false]);
  });
});
