/** IPv6/IPv4 address classes compared on bytes (protocols.md §2.4; RFC 4291, 4193, 4380, 3056, 5214, 6052). */

import ip6addr from 'ip6addr';
import { u16be } from '../util/bytes.js';

export const AddressClass = {
  Unspecified: 'unspecified',
  Loopback: 'loopback',
  Ipv4: 'ipv4',
  Nat64WellKnown: 'nat64-well-known',
  LinkLocal: 'link-local',
  SiteLocal: 'site-local',
  UniqueLocal: 'unique-local',
  Multicast: 'multicast',
  Teredo: 'teredo',
  SixToFour: '6to4',
  Isatap: 'isatap',
  IpHttps: 'ip-https',
  Nat64: 'nat64',
  DirectAccess: 'directaccess',
  Documentation: 'documentation',
  Global: 'global',
  Other: 'other',
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

/** A prefix as bytes and a length, for byte comparisons (no address objects in the hot path). */
export interface BytePrefix {
  bytes: Uint8Array;
  length: number;
  /** Where it came from: 'option' (typed by the user) or 'router-advertisement frame N'. */
  source: string;
  text: string;
}

/** Parses "2001:db8:1:1000::/64" (what a user types) with ip6addr into a byte prefix. */
export function parsePrefix(text: string, source = 'option'): BytePrefix {
  const cidr = ip6addr.createCIDR(text);
  const length = cidr.prefixLength('v6');
  // ip6addr writes an IPv4 address as 4 bytes; store every prefix as 16 (IPv4 mapped, /96 + length).
  const raw = new Uint8Array(cidr.address().toBuffer());
  const bytes = new Uint8Array(16);
  let bits = length;
  if (raw.length === 4) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    bytes.set(raw, 12);
    bits = 96 + length;
  } else bytes.set(raw);
  return { bytes, length: bits, source, text: cidr.toString() };
}

export function inPrefix(a: Uint8Array, at: number, p: BytePrefix): boolean {
  const whole = p.length >>> 3;
  for (let i = 0; i < whole; i++) if (a[at + i] !== p.bytes[i]) return false;
  const rest = p.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[at + whole]! & mask) === (p.bytes[whole]! & mask);
}

/** The user's and the capture's DirectAccess prefixes. */
export interface DaPrefixes {
  ipHttps: BytePrefix[];
  nat64: BytePrefix[];
  directAccess: BytePrefix[];
}

export const NO_PREFIXES: DaPrefixes = { ipHttps: [], nat64: [], directAccess: [] };

function isIpv4Mapped(a: Uint8Array, at: number): boolean {
  for (let i = 0; i < 10; i++) if (a[at + i] !== 0) return false;
  return a[at + 10] === 0xff && a[at + 11] === 0xff;
}

/** ISATAP interface identifier: 00-00-5E-FE or 02-00-5E-FE, then the IPv4 address (RFC 5214 §6.1). */
export function hasIsatapId(a: Uint8Array, at: number): boolean {
  return (a[at + 8] === 0x00 || a[at + 8] === 0x02) && a[at + 9] === 0x00 && a[at + 10] === 0x5e && a[at + 11] === 0xfe;
}

/** Classifies the 16-byte address at `a[at]`; first match wins, in the order of protocols.md §2.4. */
export function classifyAddress(a: Uint8Array, at: number, da: DaPrefixes = NO_PREFIXES): AddressClass {
  const b0 = a[at]!;
  const b1 = a[at + 1]!;
  if (b0 === 0) {
    let zero = true;
    for (let i = 1; i < 15; i++) if (a[at + i] !== 0) zero = false;
    if (zero && a[at + 15] === 0) return AddressClass.Unspecified;
    if (zero && a[at + 15] === 1) return AddressClass.Loopback;
    if (isIpv4Mapped(a, at)) return AddressClass.Ipv4;
    if (b1 === 0x64 && a[at + 2] === 0xff && a[at + 3] === 0x9b) return AddressClass.Nat64WellKnown;
  }
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return AddressClass.LinkLocal;
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return AddressClass.SiteLocal;
  for (const p of da.ipHttps) if (inPrefix(a, at, p)) return AddressClass.IpHttps;
  for (const p of da.nat64) if (inPrefix(a, at, p)) return AddressClass.Nat64;
  if ((b0 & 0xfe) === 0xfc) return hasIsatapId(a, at) ? AddressClass.Isatap : AddressClass.UniqueLocal;
  if (b0 === 0xff) return AddressClass.Multicast;
  if (b0 === 0x20 && b1 === 0x01 && a[at + 2] === 0 && a[at + 3] === 0) return AddressClass.Teredo;
  if (b0 === 0x20 && b1 === 0x02) return AddressClass.SixToFour;
  if (hasIsatapId(a, at)) return AddressClass.Isatap;
  for (const p of da.directAccess) if (inPrefix(a, at, p)) return AddressClass.DirectAccess;
  if (b0 === 0x20 && b1 === 0x01 && a[at + 2] === 0x0d && a[at + 3] === 0xb8) return AddressClass.Documentation;
  if ((b0 & 0xe0) === 0x20) return AddressClass.Global;
  return AddressClass.Other;
}

/** Teredo address facts (RFC 4380 §4): server IPv4, flags, client's mapped port and IPv4 (de-obfuscated). */
export interface TeredoFacts {
  server: string;
  flags: number;
  cone: boolean;
  clientPort: number;
  clientIpv4: string;
}

export function teredoFacts(a: Uint8Array, at: number): TeredoFacts {
  const flags = u16be(a, at + 8);
  return {
    server: `${a[at + 4]}.${a[at + 5]}.${a[at + 6]}.${a[at + 7]}`,
    flags,
    cone: (flags & 0x8000) !== 0,
    clientPort: u16be(a, at + 10) ^ 0xffff,
    clientIpv4: `${a[at + 12]! ^ 0xff}.${a[at + 13]! ^ 0xff}.${a[at + 14]! ^ 0xff}.${a[at + 15]! ^ 0xff}`,
  };
}

/** The IPv4 address embedded in a 6to4 address (bytes 2–5) or an ISATAP interface id (bytes 12–15). */
export function embeddedIpv4(a: Uint8Array, at: number, cls: AddressClass): string | null {
  if (cls === AddressClass.SixToFour) return `${a[at + 2]}.${a[at + 3]}.${a[at + 4]}.${a[at + 5]}`;
  if (hasIsatapId(a, at)) return `${a[at + 12]}.${a[at + 13]}.${a[at + 14]}.${a[at + 15]}`;
  return null;
}
