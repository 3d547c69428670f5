/**
 * The DirectAccess context of a capture, inferred when the user did not give it (protocols.md §1.7, §1.8, §7 rows 6
 * and 8): the IP-HTTPS client prefix, from Router Advertisements on the tunnel link, or else from the capturing
 * client's own address and its peer's AAAA answer in one /64 on the tunnel interface. Every inferred fact is an
 * assumption with its frames, which the report prints and `--iphttps-prefix` overrides.
 */

import type { NameMap } from '../app/names.js';
import type { CaptureInterface } from '../capture/frame.js';
import type { RouterAdvertisement } from '../flow/app-dispatch.js';
import type { Flow } from '../flow/flow.js';
import { hex, u16be } from '../util/bytes.js';
import type { ClassifiedFlow } from './classified-flow.js';
import { AddressClass, classifyAddress, inPrefix, parsePrefix, type BytePrefix, type DaPrefixes } from './prefixes.js';
import { reason, type Reason } from './reasons.js';

/** Link types of a tunnel interface as capture tools write it: raw IP (101), raw IPv4 (228), raw IPv6 (229). */
const TUNNEL_LINK_TYPES = new Set([101, 228, 229]);

/** A /64 that the client side of a tunnel recognised mid-stream sent from, with where it was first seen (analyze.ts). */
export interface SourcePrefix {
  /** The first 8 bytes of the source address. */
  bytes: Uint8Array;
  frame: number;
  flowId: number;
}

export interface DaContext {
  /** The user's prefixes, plus the IP-HTTPS prefixes learnt or assumed from the capture. */
  prefixes: DaPrefixes;
  /** Every inferred fact, coded, with its frames. */
  assumptions: Reason[];
}

/** Address classes an IP-HTTPS client prefix can have (not Teredo, 6to4, ISATAP, link-local, multicast). */
function mayBeIpHttps(a: Uint8Array, prefixes: DaPrefixes): boolean {
  const c = classifyAddress(a, 0, prefixes);
  return c === AddressClass.Global || c === AddressClass.UniqueLocal || c === AddressClass.Documentation;
}

function prefixText(bytes: Uint8Array, length: number, source: string): BytePrefix {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(u16be(bytes, i).toString(16));
  return parsePrefix(`${g.join(':')}/${length}`, source);
}

/** Whether the flow was captured on the IP-HTTPS link itself: inside an IP-HTTPS tunnel, or on a raw-IP interface. */
function onTunnelLink(f: Flow, interfaces: readonly CaptureInterface[]): boolean {
  if (f.carriedBy === 'ip-https') return true;
  if (f.parent >= 0) return false;
  return interfaces.some((i, k) => k < 31 && (f.interfaces & (1 << k)) !== 0 && TUNNEL_LINK_TYPES.has(i.linkType));
}

interface Candidate {
  bytes: Uint8Array;
  /** Addresses of the /64 seen on the tunnel link, with their first frame. */
  onLink: Map<string, number>;
  /** DNS answers naming an address of the /64: the peer's AAAA. */
  answers: { address: string; name: string; frame: number }[];
  /** ICMPv6 errors sent from an address of the /64 about packets addressed elsewhere: the prefix's router. */
  routerErrors: number[];
}

/**
 * Accept a /64 as the IP-HTTPS client prefix when: (1) an address in it is used on the tunnel link (the client's
 * own), (2) a DNS answer gives another address of the same /64 (the peer's AAAA: clients on one IP-HTTPS link share
 * the /64, MS-IPHTTPS §3.2.3.1), and (3) something else in the capture is DirectAccess: an ICMPv6 error from the
 * /64's router, or an IP-HTTPS connection. Reject: Teredo, 6to4, ISATAP and link-local addresses; a /64 seen only off
 * the tunnel link; a DNS answer that names only the client's own address.
 */
export function inferContext(flows: readonly ClassifiedFlow[], names: NameMap, ras: readonly RouterAdvertisement[], sources: readonly SourcePrefix[],
  byId: (id: number) => ClassifiedFlow | undefined, interfaces: readonly CaptureInterface[], given: DaPrefixes): DaContext {
  const assumptions: Reason[] = [];
  const learnt: BytePrefix[] = [];
  const seen = new Set<string>();
  for (const ra of ras) {
    const carrier = byId(ra.flowId)?.flow;
    if (!carrier || !onTunnelLink(carrier, interfaces)) continue;
    const cls = classifyAddress(ra.prefix, 0, given);
    if (cls !== AddressClass.Global && cls !== AddressClass.UniqueLocal && cls !== AddressClass.Documentation) continue;
    const key = `${hex(ra.prefix)}/${ra.length}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const p = prefixText(ra.prefix, ra.length, `router advertisement, frame ${ra.frame}`);
    learnt.push(p);
    assumptions.push(reason('context.ra_prefix', { prefix: p.text, frame: ra.frame }, [ra.frame]));
  }
  // A tunnel joined after its start has no Router Advertisement: the /64 its client sent from is the prefix
  // (MS-IPHTTPS §3.1.5.3: a client sends from its address on the IP-HTTPS link).
  if (given.ipHttps.length === 0) {
    for (const src of sources) {
      const a = new Uint8Array(16);
      a.set(src.bytes);
      if (learnt.some((r) => inPrefix(a, 0, r))) continue;
      const p = prefixText(a, 64, `source of the IPv6 the client sent into IP-HTTPS flow ${src.flowId}, frame ${src.frame}`);
      learnt.push(p);
      assumptions.push(reason('context.source_prefix', { prefix: p.text, flow: src.flowId, frame: src.frame }, [src.frame]));
    }
  }
  const known: DaPrefixes = { ...given, ipHttps: [...given.ipHttps, ...learnt] };
  if (known.ipHttps.length > 0) return { prefixes: known, assumptions };

  const candidates = new Map<string, Candidate>();
  const candidate = (a: Uint8Array): Candidate => {
    const key = hex(a, 0, 8);
    let c = candidates.get(key);
    if (!c) {
      const bytes = new Uint8Array(16);
      bytes.set(a.subarray(0, 8));
      candidates.set(key, c = { bytes, onLink: new Map(), answers: [], routerErrors: [] });
    }
    return c;
  };
  let ipHttpsFrame = 0;
  for (const r of flows) {
    const f = r.flow;
    if (r.label.transition === 'ip-https' && f.family === 4 && ipHttpsFrame === 0) ipHttpsFrame = f.firstFrame;
    if (f.family !== 6 || !onTunnelLink(f, interfaces)) continue;
    for (const a of [f.origAddr, f.respAddr]) {
      if (!mayBeIpHttps(a, given)) continue;
      const on = candidate(a).onLink;
      const k = hex(a);
      on.set(k, Math.min(on.get(k) ?? f.firstFrame, f.firstFrame));
    }
  }
  if (candidates.size === 0) return { prefixes: known, assumptions };
  for (const [key, list] of names.entries()) {
    const c = candidates.get(key.slice(0, 16));
    if (!c) continue;
    for (const n of list) if (n.source === 'dns' && n.frame > 0) c.answers.push({ address: key, name: n.name, frame: n.frame });
  }
  for (const r of flows) {
    const f = r.flow;
    for (const e of f.icmpErrors ?? []) {
      const c = candidates.get(hex(e.sender, 0, 8));
      const quotedDst = e.towardsOrig ? f.respAddr : f.origAddr;
      if (c && e.version === 6 && hex(e.sender) !== hex(quotedDst)) c.routerErrors.push(e.frame);
    }
  }
  const prefixes = [...known.ipHttps];
  for (const c of candidates.values()) {
    const peers = c.answers.filter((x) => ![...c.onLink.keys()].includes(x.address) || c.onLink.size > 1);
    if (c.onLink.size === 0 || peers.length === 0 || (c.routerErrors.length === 0 && ipHttpsFrame === 0)) continue;
    const own = [...c.onLink.entries()].sort((x, y) => x[1] - y[1])[0]!;
    const frames = [own[1], peers[0]!.frame, ...c.routerErrors.slice(0, 2), ...(c.routerErrors.length === 0 ? [ipHttpsFrame] : [])];
    const p = prefixText(c.bytes, 64, `assumed from frames ${frames.join(', ')}`);
    prefixes.push(p);
    assumptions.push(reason('context.assumed_prefix', {
      prefix: p.text, ownFrame: own[1], peerName: peers[0]!.name, peerFrame: peers[0]!.frame, routerFrames: c.routerErrors.slice(0, 3), ipHttpsFrame,
    }, frames));
  }
  return { prefixes: { ...known, ipHttps: prefixes }, assumptions };
}
