/** Which addresses are DirectAccess clients, and how client pairs are keyed (protocols.md §2.4, §8). */

import { AddressClass, classifyAddress, type DaPrefixes } from '../classify/prefixes.js';
import type { ClassifiedFlow } from '../classify/classified-flow.js';
import { hex, u32be } from '../util/bytes.js';

/**
 * Address classes a DirectAccess client uses to reach another client: link-local on the shared
 * IP-HTTPS link, the IP-HTTPS client prefix, Teredo, 6to4 and ISATAP. Corporate (DA prefix) and other
 * global addresses are servers reached through the DA server, not client-to-client traffic.
 */
const CLIENT_CLASSES = new Set<string>([AddressClass.LinkLocal, AddressClass.IpHttps, AddressClass.Teredo, AddressClass.SixToFour, AddressClass.Isatap]);

export function isClientAddress(a: Uint8Array, prefixes: DaPrefixes): boolean {
  return CLIENT_CLASSES.has(classifyAddress(a, 0, prefixes));
}

/** IPv4 address (as a number) embedded in a 6to4 address 2002:WWXX:YYZZ::/48 (RFC 3056 §2). */
function sixToFourIpv4(a: Uint8Array): number {
  return u32be(a, 2);
}

/** The IPv4 address of an IPv4-mapped flow address (::ffff:a.b.c.d). */
function mappedIpv4(a: Uint8Array): number {
  return u32be(a, 12);
}

/**
 * The DirectAccess server's public IPv4 addresses, as the capture shows them. The server is the 6to4 relay, the
 * Teredo server and the IP-HTTPS server of its clients (protocols.md §2), so its 6to4 address (2002:<its IPv4>::)
 * is not a client's: traffic with it must not be judged as a client pair. Learnt from: the server side of
 * IP-HTTPS connections; the Teredo server embedded in Teredo addresses (RFC 4380 §4); and the IPv4 end of a 6to4
 * tunnel that relays IPv6 for a destination outside 2002::/16 (only a relay does that, RFC 3056 §5.3).
 */
export function daServerIpv4s(flows: readonly ClassifiedFlow[], byId: (id: number) => ClassifiedFlow | undefined, prefixes: DaPrefixes): Set<number> {
  const out = new Set<number>();
  for (const r of flows) {
    const f = r.flow;
    if (r.label.transition === 'ip-https' && f.family === 4 && f.parent < 0) out.add(mappedIpv4(f.origPort === 443 ? f.origAddr : f.respAddr));
    for (const a of [f.origAddr, f.respAddr]) {
      // The Teredo server's IPv4 is the second 32 bits of 2001:0000::/32 addresses.
      if (f.family === 6 && classifyAddress(a, 0, prefixes) === AddressClass.Teredo) out.add(u32be(a, 4));
    }
    if (f.family !== 6 || f.carriedBy !== 'proto41') continue;
    const carrier = byId(f.parent)?.flow;
    if (!carrier || carrier.family !== 4) continue;
    const sixToFour = [f.origAddr, f.respAddr].filter((a) => classifyAddress(a, 0, prefixes) === AddressClass.SixToFour);
    if (sixToFour.length !== 1) continue;
    // One end is 6to4 (the client, behind its own IPv4), the other is not: the other IPv4 end of the tunnel relays.
    const client = sixToFourIpv4(sixToFour[0]!);
    for (const v4 of [mappedIpv4(carrier.origAddr), mappedIpv4(carrier.respAddr)]) if (v4 !== client) out.add(v4);
  }
  return out;
}

/** A 6to4 address of one of the DirectAccess server's IPv4 addresses (see daServerIpv4s). */
export function isServerSixToFour(a: Uint8Array, servers: Set<number>, prefixes: DaPrefixes): boolean {
  return servers.size > 0 && classifyAddress(a, 0, prefixes) === AddressClass.SixToFour && servers.has(sixToFourIpv4(a));
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
