/**
 * Neighbor Discovery (src/app/ndp.ts; RFC 4861 §4.2–4.4, §4.6): Prefix Information options of a Router Advertisement,
 * its router lifetime, and the target of a Neighbor Solicitation. The four kinds of tests of architecture §7. The
 * tshark lines above known-good messages come from `tshark -n -r` on the ICMPv6 message sent alone in an
 * Ethernet/IPv6 frame (hop limit 255), written with PcapWriter (frame number and time columns left out). Every parse
 * reads a guarded buffer (./bounds.ts): a read outside [start, end) fails.
 */

import { describe, expect, it } from 'vitest';
import { ndTargetAt, raPrefixes, raRouterLifetime, type AdvertisedPrefix } from '../../../src/app/ndp.js';
import { concat, icmpv6, ip6, mac, ndOption, ndPrefixInformation, neighborSolicitation, routerAdvertisement, u16, u32, type Bytes } from '../../helpers/build.js';
import { routerAdvertisementBody } from '../../helpers/scenario-content.js';
import { LEAD, parseGuarded, patched, prefixes } from './bounds.js';

const FRAME = 16;
const prefixesOf = (b: Bytes, n = b.length, after = 0): AdvertisedPrefix[] => parseGuarded(b, (buf, s, e) => raPrefixes(buf, s, e, FRAME), n, after);
const lifetime = (b: Bytes, n = b.length, after = 0): number => parseGuarded(b, (buf, s, e) => raRouterLifetime(buf, s, e), n, after);
const target = (b: Bytes, n = b.length): number => parseGuarded(b, (_buf, s, e) => ndTargetAt(s, e), n);

const RA_EP = { src: 'fe80::1', dst: 'ff02::1' };
const SLLA = ndOption(1, mac('00:15:5d:0a:0b:0c'));
const MTU = ndOption(5, concat(u16(0), u32(1280)));
const PIO_A = ndPrefixInformation({ prefix: '2001:db8:1:1000::', length: 64 });
const PIO_B = ndPrefixInformation({ prefix: '2001:db8:1:2000::', length: 64, autonomous: false, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff });

// fe80::1 → ff02::1 ICMPv6 150 Router Advertisement from 00:15:5d:0a:0b:0c
const RA = routerAdvertisement(RA_EP, { routerLifetime: 1800 }, [SLLA, MTU, PIO_A, PIO_B]);
// fe80::1 → ff02::1 ICMPv6 110 Router Advertisement (the scenario builder's, as in the fixtures: a /64 and MTU 1280)
const RA_SCENARIO = icmpv6(RA_EP, 134, 0, routerAdvertisementBody({ prefix: '2001:db8:5::', length: 64, mtu: 1280 }));
// fe80::a → ff02::1:ff00:b ICMPv6 86 Neighbor Solicitation for fe80::b from 00:15:5d:01:02:03
const NS = neighborSolicitation({ src: 'fe80::a', dst: 'ff02::1:ff00:b' }, 'fe80::b', [ndOption(1, mac('00:15:5d:01:02:03'))]);

/** Offsets in RA: the router lifetime at 6, options from 16 (SLLA 16, MTU 24, PIO_A 32, PIO_B 64); in a PIO: length 1, prefix length 2, flags 3. */
const LIFETIME = 6;
const OPTIONS = 16;
const AT_A = 32;
const AT_B = 64;

const A: AdvertisedPrefix = { frame: FRAME, prefix: ip6('2001:db8:1:1000::'), length: 64, onLink: true, autonomous: true, validLifetime: 86_400, preferredLifetime: 14_400 };
const B: AdvertisedPrefix = { frame: FRAME, prefix: ip6('2001:db8:1:2000::'), length: 64, onLink: true, autonomous: false, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff };

/** An RA of just the 16-byte header and these options. */
const ra = (...options: Bytes[]): Bytes => routerAdvertisement(RA_EP, {}, options);

describe('raPrefixes / raRouterLifetime / ndTargetAt: known good', () => {
  it('an RA with source link-layer address, MTU and two Prefix Information options: both prefixes, every field', () => {
    expect(prefixesOf(RA)).toEqual([A, B]);
  });

  it('the prefix is a copy: it does not change when the packet buffer is reused', () => {
    const buf = RA.slice();
    const [p] = raPrefixes(buf, 0, buf.length, FRAME);
    buf.fill(0, AT_A + 16, AT_A + 32);
    expect(p!.prefix).toEqual(A.prefix);
  });

  it('the scenario builder\'s RA (the fixtures\' bytes): its /64, on-link and autonomous', () => {
    expect(prefixesOf(RA_SCENARIO)).toEqual([{ ...A, prefix: ip6('2001:db8:5::') }]);
  });

  it('the router lifetime, in seconds; 0 (not a default router) is a value, not absence', () => {
    expect(lifetime(RA)).toBe(1800);
    expect(lifetime(RA_SCENARIO)).toBe(1800);
    expect(lifetime(routerAdvertisement(RA_EP, { routerLifetime: 0 }))).toBe(0);
    expect(lifetime(routerAdvertisement(RA_EP, { routerLifetime: 0xffff }))).toBe(0xffff);
  });

  it('the target of a Neighbor Solicitation: 8 bytes in, at an absolute offset', () => {
    const at = target(NS);
    expect(at).toBe(LEAD + 8);
    expect(NS.subarray(at - LEAD, at - LEAD + 16)).toEqual(ip6('fe80::b'));
  });

  it('an RA without options has no prefixes', () => {
    expect(prefixesOf(ra())).toEqual([]);
  });
});

describe('truncation sweep: every prefix length, never a throw or a read past end', () => {
  it('raPrefixes: exactly the Prefix Information options wholly inside the prefix', () => {
    prefixes(RA, (b, s, e) => raPrefixes(b, s, e, FRAME)).forEach((got, n) => {
      expect(got, `prefix ${n}`).toEqual([A, B].filter((_, i) => [AT_A, AT_B][i]! + 32 <= n));
    });
  });

  it('raRouterLifetime: -1 until the 8 bytes that hold it are there', () => {
    prefixes(RA, (b, s, e) => raRouterLifetime(b, s, e)).forEach((got, n) => expect(got, `prefix ${n}`).toBe(n < 8 ? -1 : 1800));
  });

  it('ndTargetAt: -1 until the whole 16-byte target is there', () => {
    prefixes(NS, (_b, s, e) => ndTargetAt(s, e)).forEach((got, n) => expect(got, `prefix ${n}`).toBe(n < 24 ? -1 : LEAD + 8));
  });
});

describe('malformed: one field patched per check', () => {
  it('an option with length 0 ends the walk (RFC 4861 §4.6: nodes MUST silently discard such a packet), without looping', () => {
    expect(prefixesOf(patched(RA, OPTIONS + 1, 0))).toEqual([]);
    expect(prefixesOf(patched(RA, AT_B + 1, 0))).toEqual([A]);
    expect(prefixesOf(ra(new Uint8Array(8)))).toEqual([]);
  });

  it('an option longer than the message: the walk ends there, the prefixes before it are kept', () => {
    expect(prefixesOf(patched(RA, AT_B + 1, 5))).toEqual([A]);
    expect(prefixesOf(patched(RA, AT_B + 1, 255))).toEqual([A]);
    expect(prefixesOf(patched(RA, OPTIONS + 1, 13))).toEqual([]);
  });

  it('a Prefix Information option of another length than 4 units is not read; the walk goes on after it', () => {
    const long = ndOption(3, concat(PIO_A.subarray(2), new Uint8Array(8)));
    expect(long[1]).toBe(5);
    expect(prefixesOf(ra(long, PIO_B))).toEqual([B]);
    expect(prefixesOf(ra(ndOption(3, PIO_A.subarray(2, 24)), PIO_B))).toEqual([B]);
  });

  it('a prefix length above 128: the option is not read, the others are', () => {
    // RFC 4861 §4.6.2: "The value ranges from 0 to 128". Kept, it made ip6addr throw on "…/200" when the prefix was learnt.
    for (const len of [129, 200, 255]) expect(prefixesOf(patched(RA, AT_A + 2, len)), `length ${len}`).toEqual([B]);
    expect(prefixesOf(patched(RA, AT_A + 2, 128))).toEqual([{ ...A, length: 128 }, B]);
    expect(prefixesOf(patched(RA, AT_A + 2, 0))).toEqual([{ ...A, length: 0, prefix: new Uint8Array(16) }, B]);
  });

  it('bits after the prefix length are ignored (RFC 4861 §4.6.2: reserved, ignored by the receiver): they come back zero', () => {
    expect(prefixesOf(ra(ndPrefixInformation({ prefix: '2001:db8:1:1000::1', length: 64 })))).toEqual([A]);
    expect(prefixesOf(ra(ndPrefixInformation({ prefix: '2001:db8:1:1007::', length: 61 })))).toEqual([{ ...A, length: 61 }]);
    expect(prefixesOf(ra(ndPrefixInformation({ prefix: '2001:db8:1:1000::ffff', length: 128 })))).toEqual([{ ...A, length: 128, prefix: ip6('2001:db8:1:1000::ffff') }]);
  });

  it('L and A flags clear; reserved flag bits set: read as they are, reserved bits ignored', () => {
    expect(prefixesOf(patched(RA, AT_A + 3, 0x00))).toEqual([{ ...A, onLink: false, autonomous: false }, B]);
    expect(prefixesOf(patched(RA, AT_A + 3, 0x3f))).toEqual([{ ...A, onLink: false, autonomous: false }, B]);
  });

  it('at most 64 options are walked (a loop guard): a prefix in the 65th is not read', () => {
    const fill = (n: number): Bytes[] => Array.from({ length: n }, () => SLLA);
    expect(prefixesOf(ra(...fill(63), PIO_A))).toEqual([A]);
    expect(prefixesOf(ra(...fill(64), PIO_A))).toEqual([]);
  });

  it('a message shorter than the RA header: no prefixes, no lifetime', () => {
    expect(prefixesOf(RA.subarray(0, 15))).toEqual([]);
    expect(lifetime(RA.subarray(0, 7))).toBe(-1);
  });

  it('the lifetime field patched: read as it is', () => {
    expect(lifetime(patched(RA, LIFETIME, 0x12, 0x34))).toBe(0x1234);
  });
});

describe('clamping: bytes after end never change the result', () => {
  it('0xAA filler past end: same prefixes, lifetime and target, filler never read', () => {
    expect(prefixesOf(RA, RA.length, 64)).toEqual([A, B]);
    expect(lifetime(RA, RA.length, 64)).toBe(1800);
    expect(parseGuarded(NS, (_b, s, e) => ndTargetAt(s, e), NS.length, 64)).toBe(LEAD + 8);
  });

  it('a Prefix Information option past end (the end of the ICMPv6 message inside its IPv6 payload) is not read', () => {
    const tail = concat(RA.subarray(0, AT_B), PIO_B);
    expect(prefixesOf(tail, AT_B, 32)).toEqual([A]);
    expect(prefixesOf(tail, AT_B + 31)).toEqual([A]);
  });
});
