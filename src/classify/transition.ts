/**
 * Transition technology of each flow, with reasons and frames (protocols.md §1.6 ranked IP-HTTPS signals,
 * §2.1–2.3): ip-https, teredo, 6to4, isatap, 6in4, ip-in-ip, native-ipv6, link-local, ipv4.
 */

import { IPHTTPS_CONTENT_LENGTH, IPHTTPS_SERVER, type HttpExchange } from '../app/http.js';
import { tunnelKindOf, type Flow } from '../flow/flow.js';
import { Layer } from '../decode/layers.js';
import { classifyAddress, AddressClass, type DaPrefixes } from './prefixes.js';

export type Transition = 'ip-https' | 'teredo' | '6to4' | 'isatap' | '6in4' | 'ip-in-ip' | 'native-ipv6' | 'link-local' | 'ipv4';
export type Confidence = 'certain' | 'likely' | 'possible';

export interface Reason {
  text: string;
  frames: number[];
}

export interface TransitionLabel {
  transition: Transition;
  confidence: Confidence;
  reasons: Reason[];
  /**
   * True when the technology was read from the addresses of IPv6 captured on the tunnel interface itself
   * (no carrier in the capture): the flow is tunnelled traffic, not a tunnel's outer flow.
   */
  byAddress?: boolean;
}

export interface TransitionContext {
  /** DirectAccess server names given by the user (--da-server), lower case. */
  daServers: string[];
  prefixes: DaPrefixes;
}

const NULL_SUITES = new Set([0x0001, 0x0002, 0x003b]);

function matchesServer(name: string | null | undefined, servers: string[]): boolean {
  if (!name) return false;
  const n = name.toLowerCase();
  return servers.some((s) => n === s || n.endsWith(`.${s}`) || (s.startsWith('*.') && n.endsWith(s.slice(1))));
}

/** IP-HTTPS signals on a TCP flow, strongest first (protocols.md §1.6). */
function ipHttpsReasons(flow: Flow, ctx: TransitionContext): { reasons: Reason[]; confidence: Confidence } | null {
  const reasons: Reason[] = [];
  let confidence: Confidence = 'possible';
  const tls = flow.tls?.facts ?? null;
  const http: HttpExchange | null = tls?.http ?? flow.http?.facts ?? null;
  const request = http?.request ?? null;
  const response = http?.response ?? null;
  if (request && request.ipHttps) {
    reasons.push({ text: `POST ${request.target} with Content-Length ${IPHTTPS_CONTENT_LENGTH} (the IP-HTTPS request, MS-IPHTTPS §3.1.5.2)`, frames: [request.frame] });
    confidence = 'certain';
  }
  // A NULL suite is not IP-HTTPS by itself (GridFTP, SCCP over TLS and test tools negotiate them too, protocols.md
  // §1.6): with IPv6 packets framed in its records it is certain; with port 443 alone, one more signal among two.
  const sh = tls?.serverHello ?? null;
  const inner = flow.ipHttps ? flow.ipHttps.stats.client.packets + flow.ipHttps.stats.server.packets : 0;
  if (sh && sh.nullCipher) {
    reasons.push({ text: `ServerHello chose ${sh.cipherSuiteName}, a NULL-encryption suite`, frames: [sh.frame] });
    if (inner > 0) {
      const firsts = [flow.ipHttps!.stats.client.firstPacketFrame, flow.ipHttps!.stats.server.firstPacketFrame].filter((x) => x > 0).sort((a, b) => a - b);
      reasons.push({ text: `the plaintext records carry IPv6 packets, framed as IP-HTTPS frames them (${inner} packet(s), MS-IPHTTPS §3.1.5.3)`, frames: firsts });
      confidence = 'certain';
    } else if (confidence !== 'certain' && !response?.ipHttps && flow.ipHttps && flow.ipHttps.stats.client.records + flow.ipHttps.stats.server.records > 0) {
      // Application data was read in clear, without the IP-HTTPS HTTP exchange and without IPv6: not an IP-HTTPS link.
      return null;
    }
  }
  if (flow.respPort === 443 && reasons.length > 0) reasons.push({ text: 'TCP port 443, where IP-HTTPS listens by default', frames: [flow.firstFrame] });
  if (response && response.ipHttps) {
    reasons.push({ text: `the server answered 200 OK with Server: ${IPHTTPS_SERVER} (HTTP.sys, as a DirectAccess server does)`, frames: [response.frame] });
    if (confidence === 'possible') confidence = 'likely';
  }
  const ch = tls?.clientHello ?? null;
  if (ch && ch.onlyNullSuites) {
    reasons.push({ text: 'the ClientHello offered only NULL-encryption suites (Windows 8+ IP-HTTPS clients)', frames: [ch.frame] });
    if (confidence === 'possible') confidence = 'likely';
  }
  if (ctx.daServers.length > 0) {
    if (ch && matchesServer(ch.sni, ctx.daServers)) {
      reasons.push({ text: `SNI ${ch.sni} is the DirectAccess server given by --da-server`, frames: [ch.frame] });
      if (confidence === 'possible') confidence = 'likely';
    }
    const cert = tls?.serverCertificate?.chain[0] ?? null;
    if (cert) {
      const names = [cert.subject.replace(/^.*CN=([^,\n]+).*$/s, '$1'), ...cert.subjectAltName.map((s) => s.replace(/^DNS:/, ''))];
      const hit = names.find((n) => matchesServer(n, ctx.daServers));
      if (hit) {
        reasons.push({ text: `the server certificate names ${hit}, the DirectAccess server given by --da-server`, frames: [tls!.serverCertificate!.frame] });
        if (confidence === 'possible') confidence = 'likely';
      }
    }
  }
  if (reasons.length === 0) return null;
  // One weak signal (a NULL suite, port 443, a name) is not enough: 'possible' needs a second one.
  if (confidence === 'possible' && reasons.length < 2) return null;
  return { reasons, confidence };
}

/** A tunnel recognised from its records, its handshake not in the capture (flow/app-dispatch.ts, app/iphttps-probe.ts). */
function inferredIpHttps(flow: Flow): TransitionLabel | null {
  const inferred = flow.ipHttpsInferred;
  if (inferred === null) return null;
  return {
    transition: 'ip-https', confidence: 'certain',
    reasons: [{
      text: `handshake not in the capture; NULL cipher inferred from frames ${inferred.frames.join(', ')}: TLS application data records each carrying whole IPv6 packets and a ${inferred.macLength}-byte MAC`,
      frames: inferred.frames,
    }],
  };
}

export function isNullSuite(suite: number): boolean {
  return NULL_SUITES.has(suite);
}

export function classifyTransition(flow: Flow, parent: Flow | null, ctx: TransitionContext): TransitionLabel {
  const first = [flow.firstFrame];
  if (flow.proto === 6) {
    const iphttps = ipHttpsReasons(flow, ctx);
    if (iphttps) return { transition: 'ip-https', ...iphttps };
    const inferred = inferredIpHttps(flow);
    if (inferred) return inferred;
  }
  if (flow.proto === 17 && flow.appLayer === Layer.Teredo) {
    const onPort = flow.origPort === 3544 || flow.respPort === 3544;
    return {
      transition: 'teredo', confidence: onPort ? 'certain' : 'likely',
      reasons: [{ text: onPort ? 'UDP port 3544 carrying IPv6 (RFC 4380)' : 'UDP carrying IPv6 with a Teredo (2001:0::/32) address and a matching length, off port 3544 (a peer or relay using the client\'s mapped port)', frames: first }],
    };
  }
  if (flow.proto === 41) {
    const kind = (tunnelKindOf(flow) || '6in4') as Transition;
    const what = kind === '6to4' ? 'inner addresses in 2002::/16 (RFC 3056)' : kind === 'isatap' ? 'an inner ISATAP interface id ::0:5efe:a.b.c.d (RFC 5214)' : 'inner addresses neither 6to4 nor ISATAP (configured 6in4, RFC 4213)';
    return { transition: kind, confidence: 'certain', reasons: [{ text: `IPv4 protocol 41 with ${what}`, frames: first }] };
  }
  if (flow.proto === 4) return { transition: 'ip-in-ip', confidence: 'certain', reasons: [{ text: 'IP-in-IP (protocol 4)', frames: first }] };
  if (flow.family === 6) {
    if (flow.carriedBy !== '' && parent) {
      const via = flow.carriedBy === 'teredo' ? 'teredo' : flow.carriedBy === 'proto41' ? ((tunnelKindOf(parent) || '6in4') as Transition) : flow.carriedBy === 'ip-https' ? 'ip-https' : 'ip-in-ip';
      return { transition: via, confidence: 'certain', reasons: [{ text: `carried inside flow ${parent.id} (${via})`, frames: first }] };
    }
    const a = classifyAddress(flow.origAddr, 0, ctx.prefixes);
    const b = classifyAddress(flow.respAddr, 0, ctx.prefixes);
    if (a === AddressClass.LinkLocal || b === AddressClass.LinkLocal) {
      return { transition: 'link-local', confidence: 'certain', reasons: [{ text: 'IPv6 link-local addresses (fe80::/10)', frames: first }] };
    }
    const hint = a === AddressClass.Teredo || b === AddressClass.Teredo ? 'teredo' : a === AddressClass.SixToFour || b === AddressClass.SixToFour ? '6to4'
      : a === AddressClass.Isatap || b === AddressClass.Isatap ? 'isatap' : a === AddressClass.IpHttps || b === AddressClass.IpHttps ? 'ip-https' : null;
    if (hint) {
      // Seen on the tunnel interface itself: no carrier in the capture, the address tells the technology.
      return { transition: hint, confidence: 'likely', byAddress: true, reasons: [{ text: `IPv6 with a ${hint} address, captured on the tunnel interface (no carrier in the capture)`, frames: first }] };
    }
    return { transition: 'native-ipv6', confidence: 'certain', reasons: [{ text: 'IPv6 not tunnelled', frames: first }] };
  }
  return { transition: 'ipv4', confidence: 'certain', reasons: [{ text: 'IPv4', frames: first }] };
}

