/** Which addresses are DirectAccess clients, and how client pairs are keyed (protocols.md §2.4, §8). */

import { AddressClass, classifyAddress, type DaPrefixes } from '../classify/prefixes.js';
import { hex } from '../util/bytes.js';

/**
 * Address classes a DirectAccess client uses to reach another client: link-local on the shared
 * IP-HTTPS link, the IP-HTTPS client prefix, Teredo, 6to4 and ISATAP. Corporate (DA prefix) and other
 * global addresses are servers reached through the DA server, not client-to-client traffic.
 */
const CLIENT_CLASSES = new Set<string>([AddressClass.LinkLocal, AddressClass.IpHttps, AddressClass.Teredo, AddressClass.SixToFour, AddressClass.Isatap]);

export function isClientAddress(a: Uint8Array, prefixes: DaPrefixes): boolean {
  return CLIENT_CLASSES.has(classifyAddress(a, 0, prefixes));
}

/** Key of an unordered address pair; with ports for a session (so one session seen on two interfaces counts once). */
export function pairKey(a: Uint8Array, b: Uint8Array): string {
  const x = hex(a);
  const y = hex(b);
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

export function sessionKey(proto: number, a: Uint8Array, ap: number, b: Uint8Array, bp: number): string {
  const x = `${hex(a)}.${ap}`;
  const y = `${hex(b)}.${bp}`;
  return `${proto}|${x < y ? `${x}|${y}` : `${y}|${x}`}`;
}

/** The class name shown in protection paths: "link-local", "teredo", … */
export function addressClassName(a: Uint8Array, prefixes: DaPrefixes): string {
  return classifyAddress(a, 0, prefixes);
}
