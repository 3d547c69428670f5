/** `summary` report: the DirectAccess picture of a capture as plain JSON-ready data (schemaVersion 1). */

import type { Analysis, FlowResult } from '../analyze.js';
import { MAX_NEGOTIATIONS, type IkeNegotiation } from '../app/ike-negotiations.js';
import { AddressClass, teredoFacts, embeddedIpv4 } from '../classify/prefixes.js';
import type { Role, Roles } from '../classify/roles.js';
import { TRAFFIC_CLASSES } from '../classify/traffic-class.js';
import type { Flow } from '../flow/flow.js';
import { EspAfter, END_NOT_SEEN, endNotSeenReason } from '../rules/keying-outcome.js';
import { VERSION } from '../version.js';
import { addressFromHex, hex32 } from '../util/bytes.js';
import { addressText } from './format.js';
import { buildInfo, type InfoReport } from './info.js';

export const SUMMARY_SCHEMA_VERSION = 1;

export interface AddressRef {
  address: string;
  names: string[];
  class: string;
  /** The endpoint's role (classify/roles.ts), decided once for every report. */
  role: Role;
}

export interface ServerEndpoint {
  role: 'IP-HTTPS server' | 'Teredo server' | '6to4 relay' | 'ISATAP router' | 'IPv6-in-IPv4 peer';
  endpoint: AddressRef;
  port: number | null;
  /** TLS server name (SNI) the client asked for, and the certificate the server showed. */
  sni: string | null;
  certificate: { subject: string; issuer: string; subjectAltName: string[]; validFrom: string; validTo: string; frame: number } | null;
  cipherSuite: string | null;
  nullCipher: boolean | null;
  ipHttpsAuthMode: string | null;
  flows: number;
  firstFrame: number;
}

export interface ClientEndpoint {
  endpoint: AddressRef;
  /** The role in words: 'DirectAccess client', 'intranet host' or 'remote host' (infrastructure is listed with the servers). */
  role: string;
  /** How this address reaches the others: teredo, 6to4, isatap, ip-https, link-local, native-ipv6, ipv4. */
  transitions: string[];
  /** Facts embedded in the address: Teredo server and mapped address, 6to4 / ISATAP IPv4. */
  embedded: string | null;
  flows: number;
  packets: number;
  firstFrame: number;
}

export interface SaRow {
  protocol: 'ESP' | 'AH';
  spi: string;
  from: AddressRef;
  to: AddressRef;
  carriedBy: string;
  packets: number;
  bytes: number;
  firstFrame: number;
  lastFrame: number;
  flow: number;
}

export interface NegotiationRow {
  protocol: string;
  initiator: AddressRef & { port: number };
  responder: AddressRef & { port: number };
  initiatorSpi: string;
  responderSpi: string;
  exchanges: { frame: number; exchange: string; direction: string; encrypted: boolean; summary: string }[];
  authMethods: string[];
  outcome: string;
  reason: string;
  decidingFrames: number[];
  firstFrame: number;
  lastFrame: number;
}

export interface ConversationRow {
  flow: number;
  a: AddressRef & { port: number };
  b: AddressRef & { port: number };
  protocol: string;
  transition: string;
  class: string;
  packets: number;
  bytes: number;
  /** Records of this flow's packets on a second interface, not counted in packets and bytes. */
  copies: number;
  firstFrame: number;
  lastFrame: number;
}

export interface TransitionRow {
  flow: number;
  transition: string;
  confidence: string;
  client: AddressRef & { port: number };
  server: AddressRef & { port: number };
  reasons: { text: string; frames: number[] }[];
}

export interface SummaryReport {
  file: string;
  capture: InfoReport;
  prefixes: { ipHttps: { prefix: string; source: string }[]; directAccess: { prefix: string; source: string }[]; nat64: { prefix: string; source: string }[] };
  flowStats: Analysis['flowStats'];
  trafficClasses: { class: string; packets: number; bytes: number; flows: number }[];
  servers: ServerEndpoint[];
  clients: ClientEndpoint[];
  transitions: TransitionRow[];
  ipsecSas: SaRow[];
  negotiations: NegotiationRow[];
  /** ISAKMP messages counted but not tracked, because the capture has more negotiations than the bound. */
  negotiationBound: { bound: number; messagesNotTracked: number };
  topConversations: ConversationRow[];
  names: { address: string; names: { name: string; source: string; frame: number }[] }[];
}

const PROTOCOLS: Record<number, string> = { 1: 'icmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6-in-ipv4', 50: 'esp', 51: 'ah', 58: 'icmpv6' };

export function buildSummary(a: Analysis, topN = 10): SummaryReport {
  const ref = (addr: Uint8Array): AddressRef => {
    const e = a.roles.endpoint(addr);
    return { address: addressText(addr), names: a.names.names(addr).map((n) => n.name), class: e.cls, role: e.role };
  };
  const withPort = (addr: Uint8Array, port: number): AddressRef & { port: number } => ({ ...ref(addr), port });
  const flows = a.flows;
  const espAfter = new EspAfter(flows.map((r) => r.flow));
  return {
    file: a.capture.file,
    capture: buildInfo(a.capture),
    prefixes: {
      ipHttps: a.prefixes.ipHttps.map((p) => ({ prefix: p.text, source: p.source })),
      directAccess: a.prefixes.directAccess.map((p) => ({ prefix: p.text, source: p.source })),
      nat64: a.prefixes.nat64.map((p) => ({ prefix: p.text, source: p.source })),
    },
    flowStats: a.flowStats,
    trafficClasses: TRAFFIC_CLASSES.map((c) => ({ class: c, ...a.classes[c] })),
    servers: servers(flows, ref, a.roles),
    clients: clients(flows, ref, a),
    transitions: flows.filter((r) => r.flow.parent < 0 && r.label.byAddress !== true && ['ip-https', 'teredo', '6to4', 'isatap', '6in4', 'ip-in-ip'].includes(r.label.transition))
      .map((r) => ({
        flow: r.flow.id, transition: r.label.transition, confidence: r.label.confidence,
        client: withPort(r.flow.origAddr, r.flow.origPort), server: withPort(r.flow.respAddr, r.flow.respPort), reasons: r.label.reasons,
      })),
    ipsecSas: sas(flows, ref),
    negotiations: a.negotiations.map((n) => negotiation(n, ref, espAfter)),
    negotiationBound: { bound: MAX_NEGOTIATIONS, messagesNotTracked: a.ikeMessagesNotTracked },
    topConversations: [...flows].sort((x, y) => y.flow.bytes - x.flow.bytes || x.flow.firstFrame - y.flow.firstFrame).slice(0, topN).map((r) => ({
      flow: r.flow.id, a: withPort(r.flow.origAddr, r.flow.origPort), b: withPort(r.flow.respAddr, r.flow.respPort),
      protocol: PROTOCOLS[r.flow.proto] ?? String(r.flow.proto), transition: r.label.transition, class: r.cls,
      packets: r.flow.packets, bytes: r.flow.bytes, copies: r.flow.copies, firstFrame: r.flow.firstFrame, lastFrame: r.flow.lastFrame,
    })),
    names: a.names.entries().map(([key, list]) => ({ address: addressText(addressFromHex(key)), names: list.map((n) => ({ ...n })) })),
  };
}

/** The infrastructure end of a protocol-41 tunnel: the end whose role says relay, router or server; none for host-to-host. */
function tunnelServer(f: Flow, roles: Roles): Uint8Array | null {
  const infra: Role[] = ['da-server', '6to4-relay', 'isatap-router'];
  return [f.respAddr, f.origAddr].find((x) => infra.includes(roles.of(x).role)) ?? null;
}

function servers(flows: FlowResult[], ref: (a: Uint8Array) => AddressRef, roles: Roles): ServerEndpoint[] {
  const out = new Map<string, ServerEndpoint>();
  for (const r of flows) {
    const f = r.flow;
    // Only a tunnel's outer flow leads to a server; IPv6 labelled by its addresses is what a tunnel carries.
    if (f.parent >= 0 || r.label.byAddress === true) continue;
    let role: ServerEndpoint['role'] | null = null;
    let addr: Uint8Array | null = f.respAddr;
    let port: number | null = f.respPort;
    if (r.label.transition === 'ip-https') role = 'IP-HTTPS server';
    else if (r.label.transition === 'teredo') {
      role = 'Teredo server';
      if (f.origPort === 3544) {
        addr = f.origAddr;
        port = 3544;
      } else if (f.respPort !== 3544) continue; // a peer or relay, not the server
    } else if (r.label.transition === '6to4' || r.label.transition === 'isatap') {
      // Host-to-host 6to4 or ISATAP has no server: only an end whose role is relay or router is one (classify/roles.ts).
      addr = tunnelServer(f, roles);
      role = r.label.transition === '6to4' ? '6to4 relay' : 'ISATAP router';
    } else if (r.label.transition === '6in4') role = 'IPv6-in-IPv4 peer';
    if (addr === null) continue;
    if (role === null) continue;
    if (f.proto === 41) port = null;
    const key = `${role}|${addressText(addr)}|${port}`;
    let s = out.get(key);
    if (!s) {
      s = { role, endpoint: ref(addr), port, sni: null, certificate: null, cipherSuite: null, nullCipher: null, ipHttpsAuthMode: null, flows: 0, firstFrame: f.firstFrame };
      out.set(key, s);
    }
    s.flows++;
    const tls = f.tls?.facts;
    if (tls) {
      s.sni ??= tls.clientHello?.sni ?? null;
      const cert = tls.serverCertificate?.chain[0];
      if (cert && !s.certificate) {
        s.certificate = { subject: cert.subject, issuer: cert.issuer, subjectAltName: cert.subjectAltName, validFrom: cert.validFrom, validTo: cert.validTo, frame: tls.serverCertificate!.frame };
      }
      if (tls.serverHello) {
        s.cipherSuite ??= tls.serverHello.cipherSuiteName;
        s.nullCipher ??= tls.serverHello.nullCipher;
      }
      s.ipHttpsAuthMode ??= tls.ipHttpsAuthMode;
    }
  }
  return [...out.values()];
}

/** How the clients table names the roles of the endpoints it lists (infrastructure roles are listed with the servers). */
const CLIENT_ROLES: Partial<Record<Role, string>> = { 'da-client': 'DirectAccess client', 'intranet-host': 'intranet host', 'other': 'remote host' };

function clients(flows: FlowResult[], ref: (a: Uint8Array) => AddressRef, a: Analysis): ClientEndpoint[] {
  const out = new Map<string, ClientEndpoint>();
  const touch = (addr: Uint8Array, transition: string, r: FlowResult): void => {
    const key = addressText(addr);
    let c = out.get(key);
    if (!c) {
      const e = a.roles.endpoint(addr);
      const role = CLIENT_ROLES[e.role];
      if (role === undefined) return;
      const cls = e.cls;
      let embedded: string | null = null;
      if (cls === AddressClass.Teredo) {
        const t = teredoFacts(addr, 0);
        embedded = `Teredo server ${t.server}, client ${t.clientIpv4}:${t.clientPort}${t.cone ? ', cone NAT' : ''}`;
      } else {
        const v4 = embeddedIpv4(addr, 0, cls);
        if (v4) embedded = `${cls === AddressClass.SixToFour ? '6to4' : 'ISATAP'} IPv4 ${v4}`;
      }
      c = { endpoint: ref(addr), role, transitions: [], embedded, flows: 0, packets: 0, firstFrame: r.flow.firstFrame };
      out.set(key, c);
    }
    if (!c.transitions.includes(transition)) c.transitions.push(transition);
    c.flows++;
    c.packets += r.flow.packets;
    c.firstFrame = Math.min(c.firstFrame, r.flow.firstFrame);
  };
  for (const r of flows) {
    const f = r.flow;
    // Outer side: the host that opens transition tunnels is a DirectAccess client.
    if (f.parent < 0 && r.label.byAddress !== true && ['ip-https', 'teredo', '6to4', 'isatap'].includes(r.label.transition)) {
      if (r.label.transition !== 'teredo' || f.respPort === 3544 || f.origPort !== 3544) touch(f.origAddr, `${r.label.transition} (carrier)`, r);
      continue;
    }
    // Inner side: IPv6 endpoints reached through a tunnel, or link-local on the tunnel interface.
    if (f.family === 6 && f.proto !== 41 && (f.parent >= 0 || r.label.transition !== 'native-ipv6')) {
      for (const addr of [f.origAddr, f.respAddr]) {
        const cls = a.roles.endpoint(addr).cls;
        if (cls === AddressClass.Multicast || cls === AddressClass.Unspecified) continue;
        touch(addr, r.label.transition, r);
      }
    }
  }
  return [...out.values()].sort((x, y) => x.firstFrame - y.firstFrame);
}

function sas(flows: FlowResult[], ref: (a: Uint8Array) => AddressRef): SaRow[] {
  const out: SaRow[] = [];
  for (const r of flows) {
    const f: Flow = r.flow;
    if (!f.sas) continue;
    for (const sa of f.sas) {
      out.push({
        protocol: sa.protocol === 'esp' ? 'ESP' : 'AH', spi: hex32(sa.spi),
        from: ref(sa.fromOrig ? f.origAddr : f.respAddr), to: ref(sa.fromOrig ? f.respAddr : f.origAddr),
        // ESP in UDP (RFC 3948) is named by its port; AH protecting a UDP flow is carried by IP like any AH.
        carriedBy: sa.protocol === 'esp' && f.proto === 17 ? `udp/${f.respPort}` : f.carriedBy || (f.family === 4 ? 'ipv4' : 'ipv6'),
        packets: sa.packets, bytes: sa.bytes, firstFrame: sa.firstFrame, lastFrame: sa.lastFrame, flow: f.id,
      });
    }
  }
  return out.sort((x, y) => x.firstFrame - y.firstFrame);
}

/** A negotiation as the whole capture shows it: its outcome and why, as verify gives them (rules/keying-outcome.ts). */
function negotiation(n: IkeNegotiation, ref: (a: Uint8Array) => AddressRef, espAfter: EspAfter): NegotiationRow {
  const outcome = espAfter.outcome(n);
  const ended = outcome === END_NOT_SEEN ? endNotSeenReason(n) : null;
  return {
    protocol: n.protocol,
    initiator: { ...ref(addressFromHex(n.initiator.address)), port: n.initiator.port },
    responder: { ...ref(addressFromHex(n.responder.address)), port: n.responder.port },
    initiatorSpi: n.initiatorSpi, responderSpi: n.responderSpi,
    exchanges: n.messages.map((m) => ({ frame: m.frame, exchange: m.exchange, direction: m.direction, encrypted: m.encrypted, summary: m.summary })),
    authMethods: n.authMethods, outcome, reason: ended?.text ?? n.outcome.reason, decidingFrames: ended?.frames ?? n.outcome.frames,
    firstFrame: n.firstFrame, lastFrame: n.lastFrame,
  };
}

export function summaryDocument(reports: SummaryReport[]): object {
  return { schemaVersion: SUMMARY_SCHEMA_VERSION, tool: { name: 'da-audit', version: VERSION }, files: reports };
}
