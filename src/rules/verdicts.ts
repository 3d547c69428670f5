/**
 * Verdicts per client-to-client session and per client pair (protocols.md §3.6 evidence matrix and §8
 * algorithm): was the traffic protected as the connection security rule demands — ESP with encryption?
 */

import type { IkeNegotiation } from '../app/ike-negotiations.js';
import { parseRdpRequest, type RdpRequest } from '../app/rdp.js';
import type { ClassifiedFlow } from '../classify/classified-flow.js';
import { judgeEsp, type EspJudgement, type NullReading } from '../classify/esp-null.js';
import type { DaPrefixes } from '../classify/prefixes.js';
import type { Flow } from '../flow/flow.js';
import type { SaStats } from '../flow/sa.js';
import { hex, sameBytes, u16be } from '../util/bytes.js';
import { addressClassName, daServerIpv4s, isClientAddress, isServerSixToFour, pairKey, sessionKey } from './clients.js';
import { identifyService, rdpSecurityNote, sessionState, type ServiceOptions } from './sessions.js';
import type { Endpoint, IsolationFinding, NegotiationLink, Service, Verdict, VerdictRecord } from './types.js';

export interface VerifyInput {
  flows: ClassifiedFlow[];
  negotiations: IkeNegotiation[];
  prefixes: DaPrefixes;
  service: ServiceOptions;
  /** Looks up a flow by id (for carrier paths). */
  flowById: (id: number) => ClassifiedFlow | undefined;
}

/** The client-authentication mode of each IP-HTTPS connection (MS-IPHTTPS §3.2.1), from its TLS handshake. */
function ipHttpsModes(input: VerifyInput): { mode: 'certificates' | 'none'; frame: number; flow: number }[] {
  const out: { mode: 'certificates' | 'none'; frame: number; flow: number }[] = [];
  for (const r of input.flows) {
    const tls = r.flow.tls?.facts;
    if (r.label.transition !== 'ip-https' || !tls || tls.ipHttpsAuthMode === null) continue;
    out.push({ mode: tls.ipHttpsAuthMode, frame: tls.certificateRequestFrame ?? tls.serverHelloDoneFrame ?? tls.serverHello?.frame ?? r.flow.firstFrame, flow: r.flow.id });
  }
  return out;
}

/**
 * Why link-local unicast between clients may go unanswered over IP-HTTPS: in authentication mode None the
 * server drops every link-local unicast packet from a client unless it is addressed to the server itself
 * (MS-IPHTTPS §3.2.5.2.2; protocols.md §1.5, §7 row 7).
 */
function modeNoneCause(input: VerifyInput, a: Uint8Array, b: Uint8Array): { reason: string; frames: number[] } | null {
  if (addressClassName(a, input.prefixes) !== 'link-local' || addressClassName(b, input.prefixes) !== 'link-local') return null;
  const none = ipHttpsModes(input).filter((m) => m.mode === 'none');
  if (none.length === 0) return null;
  return {
    frames: none.map((m) => m.frame),
    reason: `the IP-HTTPS server does not authenticate clients (authentication mode None: no CertificateRequest in the handshake of flow ${none.map((m) => `${m.flow}, frame ${m.frame}`).join('; ')}); in that mode it drops link-local unicast between clients (MS-IPHTTPS §3.2.5.2.2), so a session over fe80:: cannot be established. Fix: enable IP-HTTPS client certificate authentication (Certificates mode) on the DirectAccess server, or connect to the other client's global IP-HTTPS address`,
  };
}

/** A judgement that covers the whole capture (e.g. an opaque IP-HTTPS carrier). */
export interface CaptureJudgement {
  verdict: Verdict;
  reason: string;
  frames: number[];
}

export interface VerifyResult {
  sessions: VerdictRecord[];
  pairs: VerdictRecord[];
  isolation: IsolationFinding[];
  capture: CaptureJudgement[];
  /** Every ESP SA judged, by flow id and SPI. */
  esp: { flow: number; spi: number; fromOrig: boolean; judgement: EspJudgement; copyFlows: number[] }[];
}

const ND_TYPES = [133, 134, 135, 136, 137];
const IKE_PORTS = [500, 4500];
/**
 * Link-local name resolution (LLMNR, mDNS) and DHCPv6: infrastructure, not a session between clients.
 * Unprotected, it is still an isolation-policy finding; it does not decide a pair's verdict.
 */
const INFRASTRUCTURE_UDP_PORTS = [5355, 5353, 546, 547];

function isInfrastructure(flow: Flow): boolean {
  return flow.proto === 17 && (INFRASTRUCTURE_UDP_PORTS.includes(flow.origPort) || INFRASTRUCTURE_UDP_PORTS.includes(flow.respPort));
}

function ep(address: Uint8Array, port: number): Endpoint {
  return { address, port };
}

function spiText(spi: number): string {
  return `0x${spi.toString(16).padStart(8, '0')}`;
}

function isNdOnly(flow: Flow): boolean {
  if (flow.proto !== 58 || flow.icmpTypes === 0) return false;
  let nd = 0;
  for (const t of ND_TYPES) nd |= (1 << (t - 115)) >>> 0;
  return (flow.icmpTypes & ~nd) === 0;
}

function isIke(flow: Flow): boolean {
  return flow.proto === 17 && (flow.isakmpMessages > 0 || IKE_PORTS.includes(flow.origPort) || IKE_PORTS.includes(flow.respPort))
    && !(flow.sas?.some((s) => s.protocol === 'esp') ?? false);
}

/** ICMPv6 error types (RFC 4443 §3), as Flow.icmpTypes bits: destination unreachable, packet too big, time exceeded, parameter problem. */
const ICMPV6_ERROR_BITS = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);

/**
 * An ICMPv6 flow of errors only, each matched to the packet it quotes in a flow of this pair (frames in
 * `errorFrames`): an answer about that flow, whose state says what it did (e.g. "unreachable"), not a session.
 */
function isErrorAnswer(flow: Flow, errorFrames: number[]): boolean {
  if (flow.proto !== 58 || flow.icmpTypes === 0 || (flow.icmpTypes & ~ICMPV6_ERROR_BITS) !== 0) return false;
  return errorFrames.filter((n) => n >= flow.firstFrame && n <= flow.lastFrame).length >= flow.packets;
}

function espSas(flow: Flow): SaStats[] {
  return flow.sas?.filter((s) => s.protocol === 'esp') ?? [];
}

/** Carriers of a flow, outermost first, e.g. ["ipv4", "udp/3544 teredo"]. */
function carrierPath(r: ClassifiedFlow, input: VerifyInput): string[] {
  const out: string[] = [];
  let parent = r.flow.parent >= 0 ? input.flowById(r.flow.parent) : undefined;
  let child: Flow = r.flow;
  while (parent) {
    const p = parent.flow;
    const via = child.carriedBy === 'teredo' ? `udp/${p.respPort === 3544 || p.origPort === 3544 ? 3544 : p.respPort} teredo`
      : child.carriedBy === 'proto41' ? `protocol 41 ${p.tunnelKind || '6in4'}` : child.carriedBy === 'ip-https'
        ? `tcp/${p.respPort} tls(${p.tls?.facts.serverHello?.cipherSuiteName ?? '?'}) ip-https` : child.carriedBy;
    out.unshift(p.family === 4 ? 'ipv4' : `ipv6 ${addressClassName(p.origAddr, input.prefixes)}`, via);
    child = p;
    parent = p.parent >= 0 ? input.flowById(p.parent) : undefined;
  }
  return out;
}

/**
 * One conversation captured on two paths (the tunnel interface and inside IP-HTTPS, or two carriers) is several
 * flows with the same 5-tuple under different parents. Each group is judged and listed once, from the view with
 * the most packets; the other views are named as copies of it.
 */
interface Views {
  main: ClassifiedFlow;
  copies: ClassifiedFlow[];
}

function viewsOf(flows: ClassifiedFlow[]): Views[] {
  const groups = new Map<string, ClassifiedFlow[]>();
  for (const r of flows) {
    const f = r.flow;
    const key = sessionKey(f.proto, f.origAddr, f.origPort, f.respAddr, f.respPort);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((g) => {
    const main = g.reduce((m, r) => (r.flow.packets > m.flow.packets ? r : m), g[0]!);
    return { main, copies: g.filter((r) => r !== main) };
  });
}

/** " (also captured as flow 13, frames 37–95)" for the other views of one conversation, or "". */
function alsoCaptured(copies: ClassifiedFlow[]): string {
  if (copies.length === 0) return '';
  return ` (also captured as ${copies.map((r) => `flow ${r.flow.id}, ${frameSpan(r.flow.firstFrame, r.flow.lastFrame)}`).join('; ')})`;
}

interface PairBucket {
  a: Uint8Array;
  b: Uint8Array;
  flows: ClassifiedFlow[];
}

export function verify(input: VerifyInput): VerifyResult {
  const buckets = new Map<string, PairBucket>();
  const servers = daServerIpv4s(input.flows, input.flowById, input.prefixes);
  const isClient = (a: Uint8Array): boolean => isClientAddress(a, input.prefixes) && !isServerSixToFour(a, servers, input.prefixes);
  for (const r of input.flows) {
    const f = r.flow;
    if (f.family !== 6 || f.proto === 41 || f.proto === 4) continue;
    if (!isClient(f.origAddr) || !isClient(f.respAddr)) continue;
    const key = pairKey(f.origAddr, f.respAddr);
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { a: f.origAddr, b: f.respAddr, flows: [] };
      buckets.set(key, bucket);
    }
    bucket.flows.push(r);
  }
  const result: VerifyResult = { sessions: [], pairs: [], isolation: [], capture: captureJudgements(input), esp: [] };
  for (const bucket of buckets.values()) {
    // Neighbour discovery alone (e.g. with the DA server's link-local address) is not two clients talking.
    if (bucket.flows.every((r) => isNdOnly(r.flow))) continue;
    // A is the side that opened the first real conversation (not a name-resolution answer or ND).
    const opener = bucket.flows.find((r) => !isNdOnly(r.flow) && !isInfrastructure(r.flow));
    if (opener) {
      bucket.a = opener.flow.origAddr;
      bucket.b = opener.flow.respAddr;
    }
    judgePair(bucket, input, result);
  }
  if (result.sessions.length === 0 && result.pairs.length === 0 && result.capture.length === 0) result.capture.push(nothingJudged(input));
  result.sessions.sort((x, y) => x.firstFrame - y.firstFrame);
  result.pairs.sort((x, y) => x.firstFrame - y.firstFrame);
  result.isolation.sort((x, y) => x.frames[0]! - y.frames[0]!);
  return result;
}

/** IP-HTTPS with a real cipher hides the client-to-client traffic inside it (it ends at the DA server). */
function captureJudgements(input: VerifyInput): CaptureJudgement[] {
  const out: CaptureJudgement[] = [];
  for (const r of input.flows) {
    if (r.label.transition !== 'ip-https' || r.flow.family !== 4) continue;
    const sh = r.flow.tls?.facts.serverHello;
    if (sh && !sh.nullCipher) {
      out.push({
        verdict: 'inconclusive', frames: [sh.frame],
        reason: `the IP-HTTPS connection of flow ${r.flow.id} uses ${sh.cipherSuiteName}: the IPv6 traffic inside it (and so any client-to-client session it carries) cannot be observed in this capture; capture on the IP-HTTPS tunnel interface instead`,
      });
    }
  }
  return out;
}

/**
 * No traffic between clients is visible: that is not a clean result. Without --da-server an IP-HTTPS connection
 * with an encrypting suite looks like any HTTPS connection, and the sessions inside it are hidden; name the
 * TLS connections on port 443 that could be one.
 */
function nothingJudged(input: VerifyInput): CaptureJudgement {
  const candidates = input.flows.filter((r) => r.flow.family === 4 && r.flow.proto === 6 && (r.flow.respPort === 443 || r.flow.origPort === 443)
    && r.flow.tls?.facts.serverHello?.nullCipher === false);
  const reason = 'no traffic between DirectAccess clients is visible in this capture, so no session could be judged';
  if (candidates.length === 0) return { verdict: 'inconclusive', reason: `${reason}; capture on both clients' IP-HTTPS tunnel interfaces, or on their network cards while IP-HTTPS uses a NULL cipher suite`, frames: [] };
  const list = candidates.slice(0, 5).map((r) => `flow ${r.flow.id}, ${r.flow.tls!.facts.serverHello!.cipherSuiteName} in frame ${r.flow.tls!.facts.serverHello!.frame}`);
  return {
    verdict: 'inconclusive', frames: candidates.slice(0, 5).map((r) => r.flow.tls!.facts.serverHello!.frame),
    reason: `${reason}. ${candidates.length} TLS connection(s) on port 443 with an encrypting cipher suite could be IP-HTTPS hiding it (${list.join('; ')}${candidates.length > 5 ? '; …' : ''}): if one of them goes to the DirectAccess server, name the server with --da-server, or capture on the IP-HTTPS tunnel interface`,
  };
}

function judgePair(bucket: PairBucket, input: VerifyInput, result: VerifyResult): void {
  const { a, b } = bucket;
  const flows = bucket.flows;
  // One SA seen twice (on the tunnel interface and inside IP-HTTPS, or on two interfaces) is judged from the
  // view with the most complete samples and counted once.
  const bySa = new Map<string, { r: ClassifiedFlow; sa: SaStats; j: EspJudgement; copies: number[] }>();
  for (const r of flows) {
    for (const sa of espSas(r.flow)) {
      const j = judgeEsp(sa);
      const key = `${sa.spi}|${sameBytes(sa.fromOrig ? r.flow.origAddr : r.flow.respAddr, a)}`;
      const seen = bySa.get(key);
      if (!seen) bySa.set(key, { r, sa, j, copies: [] });
      else if (j.completeSamples > seen.j.completeSamples) bySa.set(key, { r, sa, j, copies: [...seen.copies, seen.r.flow.id] });
      else seen.copies.push(r.flow.id);
    }
  }
  const esp = [...bySa.values()].sort((x, y) => x.sa.firstFrame - y.sa.firstFrame);
  for (const e of esp) result.esp.push({ flow: e.r.flow.id, spi: e.sa.spi, fromOrig: e.sa.fromOrig, judgement: e.j, copyFlows: e.copies });
  const ah = flows.filter((r) => r.flow.ahPackets > 0);
  const ike = flows.filter((r) => isIke(r.flow));
  const errorFrames = flows.flatMap((r) => r.flow.icmpErrors?.map((e) => e.frame) ?? []);
  const answers = flows.filter((r) => isErrorAnswer(r.flow, errorFrames));
  const unprotectable = flows.filter((r) => r.flow.proto !== 50 && !isIke(r.flow) && !isNdOnly(r.flow) && espSas(r.flow).length === 0 && !answers.includes(r));
  const others = unprotectable.filter((r) => !isInfrastructure(r.flow));
  const clear = others.filter((r) => r.flow.packets > r.flow.ahPackets);
  const clearInfrastructure = unprotectable.filter((r) => isInfrastructure(r.flow) && r.flow.packets > r.flow.ahPackets);
  const negotiations = linkNegotiations(a, b, input.negotiations);
  const base = (rs: ClassifiedFlow[]): string[] => carrierPath(rs[0]!, input);

  // Sessions we can see: clear or AH-protected TCP/UDP/ICMPv6, one record per 5-tuple.
  for (const v of viewsOf(others)) result.sessions.push(sessionRecord([v.main, ...v.copies], input, negotiations, base([v.main])));
  // Sessions inside ESP-NULL: the plaintext shows their ports and first bytes.
  const inNull = nullSessions(esp.filter((e) => e.j.verdict === 'null'), input, negotiations);
  result.sessions.push(...inNull);
  // Isolation policy: unicast link-local traffic between clients must be IPsec-protected (ND and IKE excepted).
  for (const { main, copies } of viewsOf([...clear, ...clearInfrastructure, ...answers])) {
    const f = main.flow;
    if (addressClassName(f.origAddr, input.prefixes) !== 'link-local' && addressClassName(f.respAddr, input.prefixes) !== 'link-local') continue;
    const frames = [main, ...copies].flatMap(({ flow: x }) => [x.firstFrame, x.origDataFrame, x.respDataFrame, x.lastFrame]).filter((n) => n > 0);
    result.isolation.push({
      a: ep(f.origAddr, f.origPort), b: ep(f.respAddr, f.respPort), protocol: protoName(f.proto), flow: f.id, copyFlows: copies.map((r) => r.flow.id),
      what: `${protoName(f.proto)} ${f.origPort ? `${f.origPort} → ${f.respPort} ` : ''}in clear: ${f.packets - f.ahPackets} unprotected packet(s), ${frameSpan(f.firstFrame, f.lastFrame)}${alsoCaptured(copies)}`,
      frames: [...new Set(frames)].sort((x, y) => x - y),
    });
  }
  const pair = pairRecord(a, b, flows, esp, ah, ike, clear, negotiations, input, base(flows), inNull.map((x) => x.service));
  if (clearInfrastructure.length > 0) {
    pair.notes.push(`name resolution or DHCPv6 went without IPsec (frames ${clearInfrastructure.map((r) => r.flow.firstFrame).join(', ')}): an isolation-policy finding, not a session`);
  }
  result.pairs.push(pair);
}

/** "frame 7" or "frames 7–12". */
function frameSpan(first: number, last: number): string {
  return first === last ? `frame ${first}` : `frames ${first}–${last}`;
}

function protoName(p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 58 ? 'icmpv6' : p === 50 ? 'esp' : p === 51 ? 'ah' : `protocol ${p}`;
}

function linkNegotiations(a: Uint8Array, b: Uint8Array, all: IkeNegotiation[]): NegotiationLink[] {
  const x = hex(a);
  const y = hex(b);
  return all.filter((n) => (n.initiator.address === x && n.responder.address === y) || (n.initiator.address === y && n.responder.address === x))
    .map((n) => ({
      protocol: n.protocol, initiator: n.initiator.address === x ? a : b, outcome: n.outcome.state, reason: n.outcome.reason,
      authMethods: n.authMethods, frames: [n.firstFrame, ...n.outcome.frames, n.lastFrame].filter((v, i, s) => s.indexOf(v) === i),
    }));
}

function sessionRecord(group: ClassifiedFlow[], input: VerifyInput, negotiations: NegotiationLink[], carriers: string[]): VerdictRecord {
  const main = group.reduce((m, r) => (r.flow.packets > m.flow.packets ? r : m), group[0]!);
  const f = main.flow;
  const service = identifyService(f, input.service);
  const state = f.proto === 58 ? null : sessionState(f);
  const ahAll = group.every((r) => r.flow.ahPackets === r.flow.packets);
  const ahSome = group.some((r) => r.flow.ahPackets > 0);
  const firstFrame = Math.min(...group.map((r) => r.flow.firstFrame));
  const lastFrame = Math.max(...group.map((r) => r.flow.lastFrame));
  const ahSpis = [...new Set(group.flatMap((r) => r.flow.sas?.filter((s) => s.protocol === 'ah').map((s) => spiText(s.spi)) ?? []))];
  const reasons: string[] = [];
  const notes: string[] = [];
  let verdict: Verdict;
  const path = [...carriers, `ipv6 ${addressClassName(f.origAddr, input.prefixes)}`];
  const failedStates = ['refused', 'unanswered', 'unreachable'];
  if (ahAll) {
    path.push(`ah (SPI ${ahSpis.join(', ')}; integrity only)`, protoName(f.proto));
    reasons.push(`every packet of the session is protected by AH (SPI ${ahSpis.join(', ')}, ${frameSpan(firstFrame, lastFrame)}): AH authenticates but does not encrypt, so the ${protoName(f.proto).toUpperCase()} payload is readable by anyone on the path (RFC 4302)`);
    verdict = 'integrity-only';
  } else {
    path.push(protoName(f.proto), 'no IPsec');
    // One session seen twice (two interfaces, or the tunnel interface and inside IP-HTTPS) is counted once.
    const clearPackets = Math.max(...group.map((r) => r.flow.packets - r.flow.ahPackets));
    reasons.push(`${clearPackets} packet(s) of this ${protoName(f.proto).toUpperCase()} session travel without IPsec (${frameSpan(firstFrame, lastFrame)})${ahSome ? ', although some others carry AH' : ''}`);
    verdict = 'clear';
  }
  if (state && failedStates.includes(state.state)) {
    reasons.unshift(`no session was established: ${state.reason}`);
    const cause = state.state === 'unanswered' ? modeNoneCause(input, f.origAddr, f.respAddr) : null;
    if (cause) reasons.splice(1, 0, `likely cause: ${cause.reason}`);
    verdict = 'failed';
    notes.push(verdict === 'failed' && !ahAll ? 'the attempt itself travelled without IPsec' : 'the attempt was protected by AH only');
  }
  const rdp = rdpSecurityNote(f);
  if (rdp) notes.push(rdp);
  if (negotiations.length > 0) notes.push(`IKE/AuthIP between these clients: ${negotiations.map((n) => `${n.protocol} ${n.outcome} (frames ${n.frames.join(', ')})`).join('; ')}`);
  const deciding = [...(state?.frames ?? []), ...service.frames, firstFrame].filter((v, i, s) => v > 0 && s.indexOf(v) === i);
  return {
    kind: 'session', a: ep(f.origAddr, f.origPort), b: ep(f.respAddr, f.respPort), protocol: protoName(f.proto), service, state: state?.state ?? null,
    path, verdict, reasons, notes, firstFrame, lastFrame, decidingFrames: deciding,
    evidence: [
      { frame: firstFrame, what: 'first packet of the session' },
      ...service.frames.map((frame) => ({ frame, what: 'identifies the service' })),
      { frame: lastFrame, what: 'last packet of the session' },
    ],
    negotiations, flows: group.map((r) => r.flow.id),
  };
}

/**
 * Sessions readable inside ESP-NULL SAs: inner TCP/UDP ports and, for RDP, the Connection Request. The two SAs of
 * one connection (one per direction) show one session, oriented from the sender of the Connection Request, else
 * from the sender of its first packet.
 */
function nullSessions(sas: { r: ClassifiedFlow; sa: SaStats; j: EspJudgement }[], input: VerifyInput, negotiations: NegotiationLink[]): VerdictRecord[] {
  interface Side { r: ClassifiedFlow; src: Uint8Array; dst: Uint8Array; sport: number; dport: number; frame: number }
  const byPorts = new Map<string, { proto: number; readings: NullReading[]; rdp: RdpRequest | null; rdpSide: Side | null; first: Side; sas: typeof sas }>();
  for (const e of sas) {
    const f = e.r.flow;
    for (const reading of e.j.readings) {
      const sample = e.sa.samples.find((x) => x.frame === reading.frame);
      if (!sample || (reading.nextHeader !== 6 && reading.nextHeader !== 17)) continue;
      const b = sample.bytes;
      const side: Side = {
        r: e.r, src: e.sa.fromOrig ? f.origAddr : f.respAddr, dst: e.sa.fromOrig ? f.respAddr : f.origAddr,
        sport: u16be(b, reading.payloadStart), dport: u16be(b, reading.payloadStart + 2), frame: reading.frame,
      };
      const key = `${reading.nextHeader}|${Math.min(side.sport, side.dport)}|${Math.max(side.sport, side.dport)}`;
      const entry = byPorts.get(key) ?? { proto: reading.nextHeader, readings: [], rdp: null, rdpSide: null, first: side, sas: [] };
      entry.readings.push(reading);
      if (!entry.sas.includes(e)) entry.sas.push(e);
      if (side.frame < entry.first.frame) entry.first = side;
      if (reading.nextHeader === 6 && entry.rdp === null) {
        const hl = (b[reading.payloadStart + 12]! >> 4) * 4;
        entry.rdp = parseRdpRequest(b, reading.payloadStart + hl, reading.payloadEnd, reading.frame);
        if (entry.rdp !== null) entry.rdpSide = side;
      }
      byPorts.set(key, entry);
    }
  }
  const out: VerdictRecord[] = [];
  for (const s of byPorts.values()) {
    const frames = s.readings.map((x) => x.frame);
    const from = s.rdpSide ?? s.first;
    const f = from.r.flow;
    const service: Service = s.rdp
      ? { name: 'remote-assistance', basis: `the plaintext inside the ESP-NULL packet of frame ${s.rdp.frame} is an RDP X.224 Connection Request${s.rdp.cookie ? ` (Cookie: mstshash=${s.rdp.cookie})` : ''}`, frames: [s.rdp.frame] }
      : identifyService({ ...f, proto: s.proto, origPort: from.sport, respPort: from.dport, rdp: null, rpcBinds: null } as Flow, input.service);
    const spis = s.sas.map((e) => `SPI ${spiText(e.sa.spi)}, NULL encryption, ${e.j.reading?.icvLength ?? '?'}-byte ICV`);
    out.push({
      kind: 'session', a: ep(from.src, from.sport), b: ep(from.dst, from.dport), protocol: protoName(s.proto), service, state: null,
      path: [...carrierPath(from.r, input), `ipv6 ${addressClassName(f.origAddr, input.prefixes)}`, `esp (${spis.join('; ')})`, protoName(s.proto)],
      verdict: 'integrity-only',
      reasons: s.sas.map((e) => `the session travels in ESP with NULL encryption (SPI ${spiText(e.sa.spi)}): ${e.j.reasons[0]}`),
      notes: [], firstFrame: Math.min(...frames), lastFrame: Math.max(...frames), decidingFrames: [...new Set(s.sas.flatMap((e) => e.j.decidingFrames))],
      evidence: frames.map((frame) => ({ frame, what: 'ESP-NULL packet whose plaintext shows this session' })),
      negotiations, flows: [...new Set(s.sas.map((e) => e.r.flow.id))],
    });
  }
  return out;
}

/** How a negotiation that did not complete ended, as words (IkeOutcomeState). */
const OUTCOME_TEXT: Record<string, string> = {
  'no-response': 'got no response', 'failed-after-authentication': 'failed after authentication', 'notify-error': 'was refused with an error notify',
  'in-progress': 'was still under way when the capture ended',
};

function pairRecord(a: Uint8Array, b: Uint8Array, flows: ClassifiedFlow[], esp: { r: ClassifiedFlow; sa: SaStats; j: EspJudgement }[],
  ah: ClassifiedFlow[], ike: ClassifiedFlow[], clear: ClassifiedFlow[], negotiations: NegotiationLink[], input: VerifyInput, carriers: string[],
  sessionServices: Service[]): VerdictRecord {
  const reasons: string[] = [];
  const notes: string[] = [];
  const deciding: number[] = [];
  const firstFrame = Math.min(...flows.map((r) => r.flow.firstFrame));
  const lastFrame = Math.max(...flows.map((r) => r.flow.lastFrame));
  const path = [...carriers, `ipv6 ${addressClassName(a, input.prefixes)}`];
  const states = clear.filter((r) => r.flow.proto === 6 || r.flow.proto === 17).map((r) => ({ r, s: sessionState(r.flow) }));
  const failedStates = ['refused', 'unanswered', 'unreachable'];
  const clearData = clear.filter((r) => r.flow.origPayload + r.flow.respPayload > 0 || r.flow.proto === 58
    || states.some((x) => x.r === r && !failedStates.includes(x.s.state)));
  // One attempt captured on two paths is one attempt.
  const clearAttempts = viewsOf(clear.filter((r) => !clearData.includes(r))).map((v) => v.main);
  const firstEsp = esp.length > 0 ? Math.min(...esp.map((e) => e.sa.firstFrame)) : 0;
  let verdict: Verdict;
  if (esp.length > 0) {
    const parts = esp.map((e) => `SPI ${spiText(e.sa.spi)} ${e.sa.fromOrig === sameBytes(e.r.flow.origAddr, a) ? 'A→B' : 'B→A'}: ${e.j.verdict === 'null' ? 'NULL encryption' : e.j.verdict === 'encrypted' ? 'ciphertext' : 'undetermined'}`);
    path.push(`esp (${parts.join('; ')})`);
  } else if (ah.length > 0) path.push(`ah (integrity only)`);
  else path.push('no IPsec');
  const service = pairService(flows, input, esp.length > 0, sessionServices);
  const nullSas = esp.filter((e) => e.j.verdict === 'null');
  const undetermined = esp.filter((e) => e.j.verdict === 'inconclusive');
  const encrypted = esp.filter((e) => e.j.verdict === 'encrypted');
  const directions = new Set(esp.map((e) => sameBytes(e.r.flow.origAddr, a) === e.sa.fromOrig));
  const answered = flows.some((r) => r.flow.proto !== 58 && r.flow.respPackets > 0);
  // AH that carried something: data, an established session, or ICMPv6; a failed AH attempt is only a note.
  const ahData = ah.filter((r) => {
    const f = r.flow;
    if (f.proto === 58 || f.origPayload + f.respPayload > 0) return true;
    return (f.proto === 6 || f.proto === 17) && !failedStates.includes(sessionState(f).state);
  });
  if (clearData.length > 0) {
    verdict = 'clear';
    for (const { main, copies } of viewsOf(clearData)) {
      const f = main.flow;
      reasons.push(`${protoName(f.proto).toUpperCase()} ${f.origPort ? `${f.origPort} → ${f.respPort} ` : ''}travels without IPsec (${f.packets - f.ahPackets} packet(s), ${frameSpan(f.firstFrame, f.lastFrame)})${alsoCaptured(copies)}`);
      deciding.push(f.origDataFrame || f.firstFrame);
    }
    if (encrypted.length > 0) notes.push(`other traffic between them is ESP ciphertext (${encrypted.map((e) => spiText(e.sa.spi)).join(', ')}): the clear traffic is what decides`);
  } else if (nullSas.length > 0 || ahData.length > 0) {
    verdict = 'integrity-only';
    for (const e of nullSas) {
      reasons.push(e.j.reasons[0]!);
      deciding.push(...e.j.decidingFrames.slice(0, 3));
    }
    for (const { main: r, copies } of viewsOf(ahData)) {
      reasons.push(`AH protects ${r.flow.ahPackets} ${protoName(r.flow.proto).toUpperCase()} packet(s) (${frameSpan(r.flow.firstFrame, r.flow.lastFrame)}${alsoCaptured(copies)}): integrity only, the payload is readable`);
      deciding.push(r.flow.firstFrame);
    }
    if (encrypted.length > 0) notes.push(`other traffic between them is ESP ciphertext (${encrypted.map((e) => spiText(e.sa.spi)).join(', ')})`);
  } else if (undetermined.length > 0) {
    verdict = 'inconclusive';
    for (const e of undetermined) {
      reasons.push(`SPI ${spiText(e.sa.spi)}: ${e.j.reasons[0]}`);
      deciding.push(...e.j.decidingFrames.slice(0, 3));
    }
    for (const e of encrypted) notes.push(`SPI ${spiText(e.sa.spi)} is ciphertext (${e.j.reasons[0]})`);
  } else if (encrypted.length > 0) {
    if (directions.size === 1 && !answered) {
      verdict = 'failed';
      reasons.push(`ESP travels in one direction only (${encrypted.map((e) => `SPI ${spiText(e.sa.spi)}, ${e.sa.packets} packet(s) from frame ${e.sa.firstFrame}`).join('; ')}) and nothing comes back: the SA is not installed on the other client, or the return path is filtered`);
      deciding.push(...encrypted.map((e) => e.sa.firstFrame));
    } else {
      verdict = 'encrypted';
      for (const e of encrypted) {
        reasons.push(`SPI ${spiText(e.sa.spi)} (${e.sa.packets} packet(s), ${frameSpan(e.sa.firstFrame, e.sa.lastFrame)}): ${e.j.reasons[0]}`);
        deciding.push(...e.j.decidingFrames.slice(0, 3));
      }
      if (directions.size === 1) notes.push('ESP was seen in one direction only; the other direction answered outside ESP (see the sessions)');
    }
  } else {
    const failedNeg = negotiations.find((n) => n.outcome !== 'complete');
    if (clearAttempts.length > 0 || failedNeg) {
      verdict = 'failed';
      for (const r of clearAttempts) {
        const s = states.find((x) => x.r === r);
        reasons.push(`no session was established: ${s ? s.s.reason : 'no answer'}`);
        deciding.push(...(s?.s.frames ?? [r.flow.firstFrame]));
      }
      if (failedNeg) {
        reasons.push(`the ${failedNeg.protocol} negotiation between them ${OUTCOME_TEXT[failedNeg.outcome] ?? `ended ${failedNeg.outcome}`} (${failedNeg.outcome}): ${failedNeg.reason}`);
        deciding.push(...failedNeg.frames);
      }
      const unanswered = states.some((x) => x.s.state === 'unanswered') || (failedNeg?.outcome === 'no-response');
      const cause = unanswered ? modeNoneCause(input, a, b) : null;
      if (cause) {
        reasons.push(`likely cause: ${cause.reason}`);
        deciding.push(...cause.frames);
      }
    } else {
      verdict = 'inconclusive';
      reasons.push(ike.length > 0 ? 'the clients negotiated IPsec but no data packet between them is in the capture' : 'no data packet between these clients is in the capture (neighbour discovery only)');
      deciding.push(firstFrame);
    }
  }
  const ahAttempts = ah.filter((r) => !ahData.includes(r));
  if (ahAttempts.length > 0) notes.push(`${ahAttempts.length} connection attempt(s) under AH failed (frames ${ahAttempts.map((r) => r.flow.firstFrame).join(', ')})`);
  if (clearAttempts.length > 0 && verdict !== 'failed') {
    notes.push(`${clearAttempts.length} connection attempt(s) went out without IPsec and failed (frames ${clearAttempts.map((r) => r.flow.firstFrame).join(', ')}): negotiation discovery or a missing rule`);
  }
  if (esp.length > 0) {
    const before = negotiations.filter((n) => n.frames[0]! <= firstEsp);
    if (before.length > 0) {
      notes.push(`keyed by ${before.map((n) => `${n.protocol} (${n.outcome}${n.authMethods.length ? `, ${n.authMethods.join('/')}` : ''}; frames ${n.frames.join(', ')})`).join('; ')} before the first ESP packet (frame ${firstEsp})`);
    } else {
      notes.push(`no IKE/AuthIP between these clients precedes the first ESP packet (frame ${firstEsp}): the SA was established before the capture started`);
    }
  }
  const services = viewsOf(flows).map(({ main: r }) => r.flow.rdp ? rdpSecurityNote(r.flow) : null).filter((x): x is string => x !== null);
  notes.push(...services);
  return {
    kind: 'pair', a: ep(a, 0), b: ep(b, 0), protocol: '', service, state: null, path, verdict, reasons, notes, firstFrame, lastFrame,
    decidingFrames: [...new Set(deciding.filter((x) => x > 0))],
    evidence: [{ frame: firstFrame, what: 'first packet between the clients' }, ...deciding.slice(0, 6).map((frame) => ({ frame, what: 'decides the verdict' })), { frame: lastFrame, what: 'last packet between the clients' }],
    negotiations, flows: flows.map((r) => r.flow.id),
  };
}

/**
 * What the pair's traffic is: Remote Assistance when any visible session says so (in clear, or read inside
 * ESP-NULL: `sessionServices`); never from nothing, nor from the IKE/AuthIP negotiation.
 */
function pairService(flows: ClassifiedFlow[], input: VerifyInput, hasEsp: boolean, sessionServices: Service[]): Service {
  const services = [...flows.filter((r) => (r.flow.proto === 6 || r.flow.proto === 17) && !isIke(r.flow)).map((r) => identifyService(r.flow, input.service)), ...sessionServices];
  const ra = services.find((s) => s.name === 'remote-assistance') ?? services.find((s) => s.name === 'remote-assistance-helper');
  if (ra) return ra;
  if (hasEsp) return { name: 'unknown', basis: 'the application cannot be observed: ESP hides the ports and payload; the verdict is for all traffic between the two clients', frames: [] };
  const known = services.find((s) => s.name !== 'unknown');
  return known ?? { name: 'unknown', basis: 'no signature or known port', frames: [] };
}
