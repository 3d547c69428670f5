/**
 * The role of every endpoint, decided once with the frames that show it (protocols.md §1.5–1.7, §2; RFC 4380 §4,
 * RFC 3056 §5, RFC 5214 §8): DirectAccess client, DA server, IP-HTTPS router address, Teredo server or relay, 6to4
 * relay, ISATAP router, intranet host, other. Sessions and pairs are judged only between two DA clients.
 */

import type { RouterAdvertisement } from '../flow/app-dispatch.js';
import { tunnelKindOf } from '../flow/flow.js';
import { addressFromHex, hex, u32be } from '../util/bytes.js';
import type { ClassifiedFlow } from './classified-flow.js';
import { AddressClass, classifyAddress, hasIsatapId, type DaPrefixes } from './prefixes.js';

export const ROLES = ['da-client', 'da-server', 'iphttps-router', 'teredo-server', 'teredo-relay', '6to4-relay', 'isatap-router', 'intranet-host', 'other'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleFact {
  role: Role;
  /** A plain sentence: why this role. */
  basis: string;
  frames: number[];
}

/** What an endpoint is: its address class (under the capture's prefixes) and its role. */
export interface EndpointFacts {
  address: Uint8Array;
  cls: AddressClass;
  role: Role;
}

/** 6to4 relay anycast address 192.88.99.1 (RFC 3068, deprecated by RFC 7526), as a number. */
const SIX_TO_FOUR_ANYCAST = 0xc0586301;

/** Addresses whose role is listed at most (a hostile capture cannot grow the list without limit). */
const MAX_LISTED = 100_000;

/** Roles that are facts about a host, strongest first: a later, weaker claim never overwrites a stronger one. */
const PRECEDENCE: Role[] = ['da-server', 'iphttps-router', 'isatap-router', 'teredo-server', '6to4-relay', 'teredo-relay', 'intranet-host', 'da-client', 'other'];

function ipv4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export class Roles {
  private readonly byAddress = new Map<string, RoleFact>();
  /** One EndpointFacts per address (up to MAX_LISTED), shared by the flows of that address. */
  private readonly endpoints = new Map<string, EndpointFacts>();
  private readonly prefixes: DaPrefixes;

  constructor(prefixes: DaPrefixes) {
    this.prefixes = prefixes;
  }

  /** Addresses seen but not listed, past MAX_LISTED. */
  notListed = 0;

  /** Records a role shown by the capture; the stronger of two claims on one address wins. */
  claim(address: Uint8Array, role: Role, basis: string, frames: number[]): void {
    const key = hex(address);
    const had = this.byAddress.get(key);
    if (had && PRECEDENCE.indexOf(had.role) <= PRECEDENCE.indexOf(role)) return;
    if (!had && this.byAddress.size >= MAX_LISTED) {
      this.notListed++;
      return;
    }
    this.byAddress.set(key, { role, basis, frames: frames.filter((x) => x > 0) });
  }

  /** Lists an endpoint seen in the capture with the role its address class gives, unless something stronger is known. */
  see(address: Uint8Array, frame: number): void {
    const fact = this.byClass(address);
    this.claim(address, fact.role, fact.basis, [frame]);
  }

  /** The role of an address: a claim from the capture, else what its address class says (protocols.md §2.4). */
  of(address: Uint8Array): RoleFact {
    return this.byAddress.get(hex(address)) ?? this.byClass(address);
  }

  /** What a flow's end is: its address, class and role; the same object for every flow of an address. */
  endpoint(address: Uint8Array): EndpointFacts {
    const key = hex(address);
    const known = this.endpoints.get(key);
    if (known) return known;
    const e = { address, cls: classifyAddress(address, 0, this.prefixes), role: this.of(address).role };
    if (this.endpoints.size < MAX_LISTED) this.endpoints.set(key, e);
    return e;
  }

  /** Every address with a claimed role, in address order. */
  entries(): { address: Uint8Array; fact: RoleFact }[] {
    return [...this.byAddress.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, fact]) => ({ address: addressFromHex(k), fact }));
  }

  /**
   * Client address classes: link-local on the shared IP-HTTPS link, the IP-HTTPS client prefix, Teredo and 6to4
   * (DirectAccess transition addresses). ISATAP, the DA and NAT64 prefixes and ULAs are intranet hosts: ISATAP is
   * intranet manage-out (protocols.md §2.3), never how a client on the Internet reaches another.
   */
  private byClass(address: Uint8Array): RoleFact {
    const cls = classifyAddress(address, 0, this.prefixes);
    switch (cls) {
      case AddressClass.LinkLocal: return hasIsatapId(address, 0)
        ? { role: 'intranet-host', basis: 'an ISATAP link-local address: an intranet host', frames: [] }
        : { role: 'da-client', basis: 'a link-local address on the tunnel link', frames: [] };
      case AddressClass.IpHttps: return { role: 'da-client', basis: 'an address in the IP-HTTPS client prefix', frames: [] };
      case AddressClass.Teredo: return { role: 'da-client', basis: 'a Teredo address (2001::/32)', frames: [] };
      case AddressClass.SixToFour: return { role: 'da-client', basis: 'a 6to4 address (2002::/16)', frames: [] };
      case AddressClass.Isatap: return { role: 'intranet-host', basis: 'an ISATAP address: an intranet host', frames: [] };
      case AddressClass.DirectAccess:
      case AddressClass.Nat64:
      case AddressClass.UniqueLocal:
      case AddressClass.SiteLocal: return { role: 'intranet-host', basis: `a ${cls} address`, frames: [] };
      default: return { role: 'other', basis: `a ${cls} address`, frames: [] };
    }
  }
}

/**
 * Decides the roles the capture shows. Accept as:
 * - DA server: the server end of an IP-HTTPS connection; the Teredo server a Teredo address embeds (the DA server
 *   is its clients' Teredo server, protocols.md §2.1); the IPv4 end of a 6to4 tunnel that relays for a destination
 *   outside 2002::/16 (only a relay does, RFC 3056 §5.3); and the 6to4 address of any of those IPv4 addresses.
 * - IP-HTTPS router: the source of a Router Advertisement on the IP-HTTPS link, and an address in the IP-HTTPS
 *   prefix or on the link that sends an ICMPv6 error about a packet that was not addressed to it (a router on the path).
 * - Teredo server: the UDP 3544 end of a Teredo tunnel. Teredo relay: the other end of a Teredo tunnel off 3544 that
 *   delivers native IPv6. ISATAP router: the source of a Router Advertisement over ISATAP. 6to4 relay: 192.88.99.1.
 * - DA client: the host that opens IP-HTTPS, Teredo or 6to4 tunnels (its IPv4), and by class (see Roles.byClass).
 */
export function decideRoles(flows: readonly ClassifiedFlow[], byId: (id: number) => ClassifiedFlow | undefined, prefixes: DaPrefixes, ras: readonly RouterAdvertisement[]): Roles {
  const roles = new Roles(prefixes);
  const serverV4 = new Map<number, { basis: string; frames: number[] }>();
  const addServer = (v4: number, basis: string, frames: number[]): void => {
    if (!serverV4.has(v4)) serverV4.set(v4, { basis, frames });
  };
  for (const r of flows) {
    const f = r.flow;
    const outer = f.parent < 0 && f.family === 4 && r.label.byAddress !== true;
    if (outer && r.label.transition === 'ip-https') {
      const [client, server] = f.origPort === 443 ? [f.respAddr, f.origAddr] : [f.origAddr, f.respAddr];
      const frames = [f.tls?.facts.serverHello?.frame ?? f.firstFrame];
      addServer(u32be(server, 12), `the server end of the IP-HTTPS connection of flow ${f.id}`, frames);
      roles.claim(client, 'da-client', `opens the IP-HTTPS connection of flow ${f.id}`, [f.firstFrame]);
    }
    if (outer && r.label.transition === 'teredo') {
      if (f.respPort === 3544 || f.origPort === 3544) {
        const [client, server] = f.respPort === 3544 ? [f.origAddr, f.respAddr] : [f.respAddr, f.origAddr];
        roles.claim(server, 'teredo-server', `the UDP 3544 end of the Teredo tunnel of flow ${f.id}`, [f.firstFrame]);
        roles.claim(client, 'da-client', `a Teredo client (flow ${f.id} to the Teredo server)`, [f.firstFrame]);
      }
    }
    if (f.family === 6) {
      for (const a of [f.origAddr, f.respAddr]) {
        // The Teredo server's IPv4 is bytes 4–7 of its clients' Teredo addresses (RFC 4380 §4).
        if (classifyAddress(a, 0, prefixes) === AddressClass.Teredo) addServer(u32be(a, 4), `the Teredo server named in Teredo address flows (flow ${f.id})`, [f.firstFrame]);
      }
      relayRoles(r, byId, prefixes, roles, addServer);
    }
  }
  for (const [v4, why] of serverV4) {
    const mapped = ipv4Mapped(v4);
    roles.claim(mapped, 'da-server', why.basis, why.frames);
    // The DA server's own 6to4 address, 2002:WWXX:YYZZ::WWXX:YYZZ (protocols.md §1.7).
    roles.claim(sixToFour(v4), 'da-server', `the 6to4 address of the DirectAccess server ${ipv4Text(v4)} (${why.basis})`, why.frames);
  }
  roles.claim(ipv4Mapped(SIX_TO_FOUR_ANYCAST), '6to4-relay', 'the 6to4 relay anycast address 192.88.99.1 (RFC 3068)', []);
  for (const ra of ras) {
    const carrier = byId(ra.flowId);
    const parent = carrier && carrier.flow.parent >= 0 ? byId(carrier.flow.parent) : undefined;
    const kind = parent ? (parent.flow.family === 4 && parent.flow.proto === 41 ? tunnelKindOf(parent.flow) : parent.label.transition) : '';
    const role: Role = kind === 'isatap' ? 'isatap-router' : kind === 'teredo' ? 'teredo-server' : 'iphttps-router';
    const router = addressFromHex(ra.router);
    roles.claim(router, role, `sent the Router Advertisement of frame ${ra.frame}`, [ra.frame]);
    // An ISATAP router's link-local address embeds its IPv4 (RFC 5214 §6.1): that end of the tunnel is the router too.
    if (role === 'isatap-router' && hasIsatapId(router, 0)) roles.claim(ipv4Mapped(u32be(router, 12)), role, `the IPv4 address of the ISATAP router that sent the Router Advertisement of frame ${ra.frame}`, [ra.frame]);
  }
  for (const r of flows) {
    const f = r.flow;
    if (f.proto !== 41 || f.family !== 4 || f.parent >= 0) continue;
    const kind = tunnelKindOf(f);
    // ISATAP is intranet manage-out (protocols.md §2.3): its hosts are intranet hosts. A 6to4 host is a client.
    for (const a of [f.origAddr, f.respAddr]) {
      if (kind === 'isatap') roles.claim(a, 'intranet-host', `an ISATAP host (protocol 41 flow ${f.id})`, [f.firstFrame]);
      else if (kind === '6to4') roles.claim(a, 'da-client', `a 6to4 host (protocol 41 flow ${f.id})`, [f.firstFrame]);
    }
  }
  routersFromErrors(flows, prefixes, roles);
  // Every other endpoint that could matter to DirectAccess, with the role of its address class.
  for (const r of flows) {
    const f = r.flow;
    if (f.family === 4 && r.label.transition === 'ipv4' && f.tls === null && f.sas === null && f.isakmpMessages === 0) continue;
    for (const a of [f.origAddr, f.respAddr]) {
      const cls = classifyAddress(a, 0, prefixes);
      if (cls !== AddressClass.Multicast && cls !== AddressClass.Unspecified && cls !== AddressClass.Loopback) roles.see(a, f.firstFrame);
    }
  }
  return roles;
}

/**
 * Relays: a 6to4 tunnel whose inner packets go to or come from a native (non-2002) address has a relay at its other
 * IPv4 end (RFC 3056 §5.3); that relay is, for DirectAccess clients, the DA server. A Teredo tunnel off port 3544
 * whose inner far end is native IPv6 ends at a Teredo relay (RFC 4380 §5.4).
 */
function relayRoles(r: ClassifiedFlow, byId: (id: number) => ClassifiedFlow | undefined, prefixes: DaPrefixes, roles: Roles,
  addServer: (v4: number, basis: string, frames: number[]) => void): void {
  const f = r.flow;
  const carrier = f.parent >= 0 ? byId(f.parent)?.flow : undefined;
  if (!carrier || carrier.family !== 4) return;
  const cls = [f.origAddr, f.respAddr].map((a) => classifyAddress(a, 0, prefixes));
  if (f.carriedBy === 'proto41') {
    if (tunnelKindOf(carrier) !== '6to4') return;
    const sixToFour = [f.origAddr, f.respAddr].filter((_, i) => cls[i] === AddressClass.SixToFour);
    if (sixToFour.length !== 1 || cls.some((c) => c === AddressClass.LinkLocal || c === AddressClass.Multicast || c === AddressClass.Isatap)) return;
    // The 6to4 host is the end whose IPv4 its address embeds (RFC 3056 §2); the other end relays.
    const client = u32be(sixToFour[0]!, 2);
    const ends = [u32be(carrier.origAddr, 12), u32be(carrier.respAddr, 12)];
    if (!ends.includes(client)) return;
    for (const v4 of ends) {
      if (v4 !== client) addServer(v4, `relays 6to4 for a native IPv6 address (flow ${f.id}, frame ${f.firstFrame})`, [f.firstFrame]);
    }
    return;
  }
  if (f.carriedBy === 'teredo' && carrier.origPort !== 3544 && carrier.respPort !== 3544) {
    const teredo = cls.indexOf(AddressClass.Teredo);
    const other = teredo === 0 ? 1 : 0;
    if (teredo < 0 || cls[other] === AddressClass.Teredo || cls[other] === AddressClass.LinkLocal) return;
    // The relay is the IPv4 end of the carrier that is not the Teredo client's mapped address.
    const clientV4 = (u32be(teredo === 0 ? f.origAddr : f.respAddr, 12) ^ 0xffffffff) >>> 0;
    for (const a of [carrier.origAddr, carrier.respAddr]) {
      if (u32be(a, 12) !== clientV4) roles.claim(a, 'teredo-relay', `delivers native IPv6 to a Teredo client (flow ${f.id}, frame ${f.firstFrame})`, [f.firstFrame]);
    }
  }
}

/**
 * An ICMPv6 error from an address that the quoted packet was not sent to comes from a router on the path (RFC 4443
 * §2.2): on the IP-HTTPS link that is the DirectAccess server, never a client.
 */
function routersFromErrors(flows: readonly ClassifiedFlow[], prefixes: DaPrefixes, roles: Roles): void {
  for (const r of flows) {
    const f = r.flow;
    for (const e of f.icmpErrors ?? []) {
      const quotedDst = e.towardsOrig ? f.respAddr : f.origAddr;
      if (e.version !== 6 || hex(e.sender) === hex(quotedDst)) continue;
      const cls = classifyAddress(e.sender, 0, prefixes);
      const role: Role = cls === AddressClass.IpHttps || cls === AddressClass.LinkLocal ? 'iphttps-router' : 'other';
      roles.claim(e.sender, role, `sent the ICMPv6 error of frame ${e.frame} about a packet addressed to another host: a router on the path`, [e.frame]);
    }
  }
}

function ipv4Mapped(v4: number): Uint8Array {
  const a = new Uint8Array(16);
  a[10] = 0xff;
  a[11] = 0xff;
  a[12] = v4 >>> 24;
  a[13] = (v4 >>> 16) & 255;
  a[14] = (v4 >>> 8) & 255;
  a[15] = v4 & 255;
  return a;
}

/** 2002:WWXX:YYZZ::WWXX:YYZZ, the 6to4 address Windows gives the host of an IPv4 address. */
function sixToFour(v4: number): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0x20;
  a[1] = 0x02;
  for (const at of [2, 12]) {
    a[at] = v4 >>> 24;
    a[at + 1] = (v4 >>> 16) & 255;
    a[at + 2] = (v4 >>> 8) & 255;
    a[at + 3] = v4 & 255;
  }
  return a;
}
