/**
 * Verdicts per client-to-client session and per client pair (protocols.md §3.6 evidence matrix and §8
 * algorithm): was the traffic protected as the connection security rule demands — ESP with encryption? Rules read
 * what classification decided (roles, kind, service, state, carriers, ESP judgements) and never re-classify.
 */

import type { IkeNegotiation } from '../app/ike-negotiations.js';
import type { JudgedFlow, SaJudgement } from '../classify/classified-flow.js';
import { frameSpan, reason, type Reason } from '../classify/reasons.js';
import { FAILED_STATES, identifyService, packetTooBigNote, rdpSecurityNote, type Service, type ServiceOptions } from '../classify/sessions.js';
import type { NameMap } from '../app/names.js';
import { AddressClass } from '../classify/prefixes.js';
import { hex, hex32, sameBytes } from '../util/bytes.js';
import { EspAfter, END_NOT_SEEN, endNotSeenReason } from './keying-outcome.js';
import { linkFindings } from './link.js';
import { coverageOf, type CoverageInput } from './coverage.js';
import type { AuditResult, Endpoint, IsolationFinding, NegotiationLink, Verdict, VerdictRecord } from './types.js';

export interface VerifyInput {
  flows: readonly JudgedFlow[];
  negotiations: readonly IkeNegotiation[];
  service: ServiceOptions;
  /** Looks up a flow by id (for carriers). */
  flowById: (id: number) => JudgedFlow | undefined;
  /** What the analysis could not see: bounds that dropped, opaque or resynchronised tunnels. */
  coverage: CoverageInput;
  /** DirectAccess server names given (--da-server): a ClientHello naming one tried to bring up IP-HTTPS. */
  daServers?: readonly string[];
  /** Names learnt from the capture (DNS answers and others), to say when a peer was reached by its global name. */
  names?: NameMap;
}

export interface VerifyResult {
  result: AuditResult;
  sessions: VerdictRecord[];
  pairs: VerdictRecord[];
  isolation: IsolationFinding[];
  /** What was out of sight and why (coverage.*); `blocking` ones make the result `incomplete`. */
  coverage: { reason: Reason; blocking: boolean }[];
  /** Every ESP SA judged between clients, by flow id and SPI. */
  esp: { flow: number; spi: number; fromOrig: boolean; judgement: SaJudgement['judgement']; copyFlows: number[] }[];
  /** Why a transition link did not come up, when one did not (iphttps.tls_alert, teredo.no_answer, …; rules/link.ts). */
  link: Reason[];
}


function protoName(p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 58 ? 'icmpv6' : p === 50 ? 'esp' : p === 51 ? 'ah' : `protocol ${p}`;
}

function endpoint(r: JudgedFlow, orig: boolean): Endpoint {
  const f = r.flow;
  return { ...(orig ? r.orig : r.resp), port: orig ? f.origPort : f.respPort };
}

/** Key of an unordered address pair; with ports for a session (so one session seen on two interfaces counts once). */
function pairKey(a: Uint8Array, b: Uint8Array): string {
  const x = hex(a);
  const y = hex(b);
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

function sessionKey(r: JudgedFlow): string {
  const f = r.flow;
  const x = `${hex(f.origAddr)}.${f.origPort}`;
  const y = `${hex(f.respAddr)}.${f.respPort}`;
  return `${f.proto}|${x < y ? `${x}|${y}` : `${y}|${x}`}`;
}

/**
 * One conversation captured on two paths (the tunnel interface and inside IP-HTTPS, or two carriers) is several
 * flows with the same 5-tuple under different parents. Each group is judged and listed once, from the view with
 * the most packets; the other views are named as copies of it.
 */
interface Views {
  main: JudgedFlow;
  copies: JudgedFlow[];
}

function viewsOf(flows: readonly JudgedFlow[]): Views[] {
  const groups = new Map<string, JudgedFlow[]>();
  for (const r of flows) {
    const key = sessionKey(r);
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
function alsoCaptured(copies: readonly JudgedFlow[]): string {
  if (copies.length === 0) return '';
  return ` (also captured as ${copies.map((r) => `flow ${r.flow.id}, ${frameSpan(r.flow.firstFrame, r.flow.lastFrame)}`).join('; ')})`;
}

interface PairBucket {
  a: Uint8Array;
  b: Uint8Array;
  flows: JudgedFlow[];
}

/** Kinds that are never traffic between clients by themselves (architecture §6: infrastructure is never a session). */
const NOT_A_CONVERSATION = new Set(['neighbour-discovery', 'bubbles', 'icmp-errors']);

export function verify(input: VerifyInput): VerifyResult {
  const buckets = new Map<string, PairBucket>();
  for (const r of input.flows) {
    const f = r.flow;
    // Sessions and pairs are judged only between two DirectAccess clients, over IPv6 (protocols.md §8).
    if (f.family !== 6 || r.kind === 'carrier' || r.orig.role !== 'da-client' || r.resp.role !== 'da-client') continue;
    const key = pairKey(f.origAddr, f.respAddr);
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, bucket = { a: f.origAddr, b: f.respAddr, flows: [] });
    bucket.flows.push(r);
  }
  const result: VerifyResult = { result: 'no-client-traffic', sessions: [], pairs: [], isolation: [], coverage: [], esp: [], link: linkFindings(input.flows, input.daServers ?? []) };
  for (const bucket of buckets.values()) {
    // Neighbour discovery, bubbles and ICMPv6 errors alone are not two clients talking.
    if (bucket.flows.every((r) => NOT_A_CONVERSATION.has(r.kind))) continue;
    // A is the side that opened the first real conversation (not a name-resolution answer or ND).
    const opener = bucket.flows.find((r) => !NOT_A_CONVERSATION.has(r.kind) && r.kind !== 'name-resolution');
    if (opener) {
      bucket.a = opener.flow.origAddr;
      bucket.b = opener.flow.respAddr;
    }
    judgePair(bucket, input, result);
  }
  result.sessions.sort((x, y) => x.firstFrame - y.firstFrame);
  result.pairs.sort((x, y) => x.firstFrame - y.firstFrame);
  if (input.names) for (const r of [...result.sessions, ...result.pairs]) globalNameNote(r, input.names);
  result.isolation.sort((x, y) => x.frames[0]! - y.frames[0]!);
  result.coverage = coverageOf(input, result.pairs, result.esp);
  result.result = captureResult(result);
  return result;
}

/**
 * protocols.md §7 row 6: when traffic that was not encrypted went to a peer's global IP-HTTPS or Teredo address that a
 * DNS answer in the capture gave for its name, the name is why it went through the DA server and not over fe80::.
 */
function globalNameNote(r: VerdictRecord, names: NameMap): void {
  if (r.verdict === 'encrypted') return;
  for (const end of [r.b, r.a]) {
    if (end.cls !== AddressClass.IpHttps && end.cls !== AddressClass.Teredo) continue;
    const dns = names.names(end.address).find((n) => n.source === 'dns' && n.frame > 0);
    if (!dns) continue;
    r.notes.push(reason('dns.peer_global', { name: dns.name, frame: dns.frame, cls: end.cls }, [dns.frame]));
    return;
  }
}

/** protocols.md §8 step 5: "encrypted" only with nothing clear, nothing unjudged and nothing out of sight. */
function captureResult(v: VerifyResult): AuditResult {
  const all = [...v.sessions, ...v.pairs];
  if (all.some((r) => r.verdict === 'clear' || r.verdict === 'integrity-only')) return 'findings';
  if (all.some((r) => r.verdict === 'inconclusive') || v.coverage.some((c) => c.blocking)) return 'incomplete';
  if (all.some((r) => r.verdict === 'encrypted')) return 'encrypted';
  return all.length > 0 ? 'failed' : 'no-client-traffic';
}

/** The client-authentication mode None of IP-HTTPS connections (MS-IPHTTPS §3.2.1), from their TLS handshakes. */
function modeNoneConnections(flows: readonly JudgedFlow[]): { flow: JudgedFlow; frame: number }[] {
  const out: { flow: JudgedFlow; frame: number }[] = [];
  for (const r of flows) {
    const tls = r.flow.tls?.facts;
    if (r.label.transition !== 'ip-https' || r.flow.family !== 4 || !tls || tls.ipHttpsAuthMode !== 'none') continue;
    out.push({ flow: r, frame: tls.serverHelloDoneFrame ?? tls.serverHello?.frame ?? r.flow.firstFrame });
  }
  return out;
}

/**
 * protocols.md §1.5, §7 row 7: in authentication mode None the IP-HTTPS server drops every link-local unicast
 * packet from a client unless it is addressed to the server (MS-IPHTTPS §3.2.5.2.2). Named as the cause of an
 * unanswered attempt only when the capture supports it and nothing in it contradicts it: both ends link-local; no
 * packet at all came back from the peer over link-local (neighbour discovery aside, which the server answers
 * itself in that mode); and an IP-HTTPS connection in mode None carried the attempt or was up when it was made.
 */
function modeNoneCause(bucket: PairBucket, input: VerifyInput, attemptFrame: number): Reason | null {
  const first = bucket.flows[0]!;
  if (first.orig.cls !== 'link-local' || first.resp.cls !== 'link-local') return null;
  const fromPeer = bucket.flows.some((r) => r.kind !== 'neighbour-discovery' && (sameBytes(r.flow.origAddr, bucket.b) ? r.flow.origPackets : r.flow.respPackets) > 0);
  if (fromPeer) return null;
  const carriers = new Set(bucket.flows.map((r) => r.flow.parent).filter((p) => p >= 0));
  const none = modeNoneConnections(input.flows);
  const carried = none.filter((m) => carriers.has(m.flow.flow.id));
  const relevant = carried.length > 0 ? carried
    : none.filter((m) => m.flow.flow.firstFrame <= attemptFrame && m.flow.flow.lastFrame >= attemptFrame).slice(-1);
  if (relevant.length === 0) return null;
  return reason('iphttps.auth_none', { connections: relevant.map((m) => ({ flow: m.flow.flow.id, frame: m.frame })) }, relevant.map((m) => m.frame));
}

/** The coded outcome of a negotiation (`outcome`: EspAfter.outcome), as a statement about the pair. */
function negotiationReason(n: IkeNegotiation, outcome: string): Reason {
  const facts = { protocol: n.protocol, detail: n.outcome.reason, state: n.outcome.state };
  const frames = n.outcome.frames;
  switch (n.outcome.state) {
    case 'complete': return reason('ike.complete', facts, frames);
    case 'no-response': return reason('ike.no_response', facts, frames);
    case 'notify-error': {
      const e = n.notifyErrors[0]!;
      return reason(n.protocol === 'AuthIP' ? 'authip.notify' : 'ike.notify', { ...facts, notify: e.name, side: e.direction === 'i→r' ? 'initiator' : 'responder' }, frames);
    }
    // A negotiation whose end the capture does not show, with ESP both ways after it, did not fail: its SAs are in use.
    default: return outcome === END_NOT_SEEN ? endNotSeenReason(n)
      : reason(n.outcome.state === 'in-progress' ? 'ike.in_progress' : 'ike.failed_after_auth', facts, frames);
  }
}

function linkNegotiations(a: Uint8Array, b: Uint8Array, all: readonly IkeNegotiation[], flows: readonly JudgedFlow[]): NegotiationLink[] {
  const x = hex(a);
  const y = hex(b);
  const espAfter = new EspAfter(flows.map((r) => r.flow));
  return all.filter((n) => (n.initiator.address === x && n.responder.address === y) || (n.initiator.address === y && n.responder.address === x))
    .map((n) => {
      // Decided once (rules/keying-outcome.ts): ESP both ways after an unfinished negotiation overrides what its
      // messages alone suggest, in every sentence and label that names the outcome.
      const outcome = espAfter.outcome(n);
      return {
        protocol: n.protocol, initiator: n.initiator.address === x ? a : b, outcome, reason: negotiationReason(n, outcome),
        authMethods: n.authMethods, frames: [n.firstFrame, ...n.outcome.frames, n.lastFrame].filter((v, i, s) => s.indexOf(v) === i),
        firstFrame: n.firstFrame, lastFrame: n.lastFrame,
      };
    });
}

/** An ESP SA between the pair, judged once from its best view. */
interface PairSa extends SaJudgement {
  r: JudgedFlow;
  /** The SA carries packets from A to B. */
  aToB: boolean;
  copies: number[];
}

function judgePair(bucket: PairBucket, input: VerifyInput, result: VerifyResult): void {
  const { a, b } = bucket;
  const flows = bucket.flows;
  // One SA seen twice (on the tunnel interface and inside IP-HTTPS, or on two interfaces) is judged from the
  // view with the most complete samples and counted once.
  const bySa = new Map<string, PairSa>();
  for (const r of flows) {
    for (const e of r.esp) {
      const aToB = e.sa.fromOrig === sameBytes(r.flow.origAddr, a);
      const key = `${e.sa.spi}|${aToB}`;
      const seen = bySa.get(key);
      if (!seen) bySa.set(key, { ...e, r, aToB, copies: [] });
      else if (e.judgement.completeSamples > seen.judgement.completeSamples) bySa.set(key, { ...e, r, aToB, copies: [...seen.copies, seen.r.flow.id] });
      else seen.copies.push(r.flow.id);
    }
  }
  const esp = [...bySa.values()].sort((x, y) => x.sa.firstFrame - y.sa.firstFrame);
  for (const e of esp) result.esp.push({ flow: e.r.flow.id, spi: e.sa.spi, fromOrig: e.sa.fromOrig, judgement: e.judgement, copyFlows: e.copies });
  const errorFrames = new Set(flows.flatMap((r) => r.flow.icmpErrors?.map((e) => e.frame) ?? []));
  const traffic = flows.filter((r) => r.kind === 'traffic');
  const clear = traffic.filter((r) => r.flow.packets > r.flow.ahPackets);
  const nameResolution = flows.filter((r) => r.kind === 'name-resolution' && r.flow.packets > r.flow.ahPackets);
  const answers = flows.filter((r) => r.kind === 'icmp-errors' && [...errorFrames].some((n) => n >= r.flow.firstFrame && n <= r.flow.lastFrame));
  const negotiations = linkNegotiations(a, b, input.negotiations, flows);

  // Sessions we can see: clear or AH-protected TCP/UDP/ICMPv6, one record per 5-tuple.
  for (const v of viewsOf(traffic)) result.sessions.push(sessionRecord([v.main, ...v.copies], bucket, input, negotiations));
  // Sessions inside ESP-NULL: the plaintext shows their ports and first bytes.
  const inNull = nullSessions(esp.filter((e) => e.judgement.verdict === 'null'), bucket, input, negotiations);
  result.sessions.push(...inNull);
  // Isolation policy: unicast link-local traffic between clients must be IPsec-protected (ND and IKE excepted).
  for (const { main, copies } of viewsOf([...clear, ...nameResolution, ...answers])) {
    const f = main.flow;
    if (main.orig.cls !== 'link-local' && main.resp.cls !== 'link-local') continue;
    const frames = [main, ...copies].flatMap(({ flow: x }) => [x.firstFrame, x.origDataFrame, x.respDataFrame, x.lastFrame]).filter((n) => n > 0);
    result.isolation.push({
      a: endpoint(main, true), b: endpoint(main, false), protocol: protoName(f.proto), flow: f.id, copyFlows: copies.map((r) => r.flow.id),
      what: `${protoName(f.proto)} ${f.origPort ? `${f.origPort} → ${f.respPort} ` : ''}in clear: ${f.packets - f.ahPackets} unprotected packet(s), ${frameSpan(f.firstFrame, f.lastFrame)}${alsoCaptured(copies)}`,
      frames: [...new Set(frames)].sort((x, y) => x - y),
    });
  }
  const pair = pairRecord(bucket, esp, negotiations, input, inNull.map((x) => x.service));
  if (nameResolution.length > 0) {
    pair.notes.push(reason('isolation.name_resolution', { frames: nameResolution.map((r) => r.flow.firstFrame) }, nameResolution.map((r) => r.flow.firstFrame)));
  }
  result.pairs.push(pair);
}

/** The SPIs of the AH SAs of `flows`, each once. */
function ahSpisOf(flows: readonly JudgedFlow[]): number[] {
  return [...new Set(flows.flatMap((r) => r.flow.sas?.filter((s) => s.protocol === 'ah').map((s) => s.spi) ?? []))];
}

/** The path of a record: its carriers, then the IPv6 link between the clients. */
function basePath(r: JudgedFlow): string[] {
  return [...r.carriers, `ipv6 ${r.orig.cls}`];
}

function sessionRecord(group: JudgedFlow[], bucket: PairBucket, input: VerifyInput, negotiations: NegotiationLink[]): VerdictRecord {
  const main = group.reduce((m, r) => (r.flow.packets > m.flow.packets ? r : m), group[0]!);
  const f = main.flow;
  const state = main.state;
  const ahAll = group.every((r) => r.flow.ahPackets === r.flow.packets);
  const ahSome = group.some((r) => r.flow.ahPackets > 0);
  const firstFrame = Math.min(...group.map((r) => r.flow.firstFrame));
  const lastFrame = Math.max(...group.map((r) => r.flow.lastFrame));
  const ahSpis = ahSpisOf(group);
  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  let verdict: Verdict;
  const path = basePath(main);
  const proto = protoName(f.proto);
  if (ahAll) {
    path.push(`ah (SPI ${ahSpis.map(hex32).join(', ')}; integrity only)`, proto);
    reasons.push(reason('ah.integrity_only', { scope: 'session', proto, spis: ahSpis.map(hex32), packets: f.packets, span: frameSpan(firstFrame, lastFrame), also: '' }, [firstFrame, lastFrame]));
    verdict = 'integrity-only';
  } else {
    path.push(proto, 'no IPsec');
    // One session seen twice (two interfaces, or the tunnel interface and inside IP-HTTPS) is counted once.
    const clearPackets = Math.max(...group.map((r) => r.flow.packets - r.flow.ahPackets));
    reasons.push(reason('ipsec.none', { scope: 'session', proto, ports: '', packets: clearPackets, span: frameSpan(firstFrame, lastFrame), also: '', someAh: ahSome }, [firstFrame, lastFrame]));
    verdict = 'clear';
  }
  let cause: Reason | null = reasons[0]!;
  if (state && FAILED_STATES.includes(state.state)) {
    reasons.unshift(state.reason);
    cause = state.reason;
    const none = state.state === 'unanswered' ? modeNoneCause(bucket, input, f.firstFrame) : null;
    if (none) {
      reasons.splice(1, 0, none);
      cause = none;
    }
    verdict = 'failed';
    notes.push(reason('session.attempt_protection', { ah: ahAll }, [f.firstFrame]));
  } else if (state) notes.unshift(state.reason); // how the session went, with its frames (tcp.established, udp.answered, …)
  const rdp = rdpSecurityNote(f);
  if (rdp) notes.push(rdp);
  const tooBig = packetTooBigNote(group.map((r) => r.flow));
  if (tooBig) notes.push(tooBig);
  if (negotiations.length > 0) notes.push(reason('keying.negotiations', { list: negotiations.map((n) => `${n.protocol} ${n.outcome} (frames ${n.frames.join(', ')})`) }, negotiations.flatMap((n) => n.frames)));
  const deciding = [...(state?.frames ?? []), ...main.service.frames, firstFrame].filter((v, i, s) => v > 0 && s.indexOf(v) === i);
  return {
    kind: 'session', a: endpoint(main, true), b: endpoint(main, false), protocol: proto, service: main.service, state: state?.state ?? null,
    path, spis: ahSpis, verdict, reasons, notes, cause, firstFrame, lastFrame, decidingFrames: deciding,
    evidence: [
      { frame: firstFrame, what: 'first packet of the session' },
      ...main.service.frames.map((frame) => ({ frame, what: 'identifies the service' })),
      { frame: lastFrame, what: 'last packet of the session' },
    ],
    negotiations, flows: group.map((r) => r.flow.id),
  };
}

/**
 * Sessions readable inside ESP-NULL SAs (classification read their inner ports and RDP Connection Request). The two
 * SAs of one connection (one per direction) show one session, oriented from the sender of the Connection Request,
 * else from the sender of its first packet.
 */
function nullSessions(sas: PairSa[], bucket: PairBucket, input: VerifyInput, negotiations: NegotiationLink[]): VerdictRecord[] {
  interface Side { e: PairSa; sport: number; dport: number; frame: number }
  const byPorts = new Map<string, { proto: number; frames: number[]; rdpSide: Side | null; first: Side; sas: PairSa[] }>();
  for (const e of sas) {
    for (const s of e.judgement.sessions) {
      const side: Side = { e, sport: s.sport, dport: s.dport, frame: s.frames[0]! };
      const key = `${s.proto}|${Math.min(s.sport, s.dport)}|${Math.max(s.sport, s.dport)}`;
      const entry = byPorts.get(key) ?? { proto: s.proto, frames: [], rdpSide: null, first: side, sas: [] };
      entry.frames.push(...s.frames);
      if (!entry.sas.includes(e)) entry.sas.push(e);
      if (side.frame < entry.first.frame) entry.first = side;
      if (s.rdp !== null && entry.rdpSide === null) entry.rdpSide = side;
      byPorts.set(key, entry);
    }
  }
  const out: VerdictRecord[] = [];
  for (const s of byPorts.values()) {
    const from = s.rdpSide ?? s.first;
    const request = from === s.rdpSide ? from.e.judgement.sessions.find((x) => x.rdp !== null)!.rdp! : null;
    const service: Service = request
      ? { name: 'remote-assistance', basis: `the plaintext inside the ESP-NULL packet of frame ${request.frame} is an RDP X.224 Connection Request${request.cookie ? ` (Cookie: mstshash=${request.cookie})` : ''}`, frames: [request.frame] }
      : identifyService({ proto: s.proto, origPort: from.sport, respPort: from.dport, firstFrame: from.frame, rdp: null, rpcBinds: null }, input.service);
    const src = from.e.aToB ? bucket.a : bucket.b;
    const r = from.e.r;
    const facts = (sameBytes(r.flow.origAddr, src) ? [r.orig, r.resp] : [r.resp, r.orig]) as [Endpoint, Endpoint];
    const spis = s.sas.map((e) => `SPI ${hex32(e.sa.spi)}, NULL encryption, ${e.judgement.reading?.icvLength ?? '?'}-byte ICV`);
    // The session's evidence is the ESP-NULL judgement of each SA it travels in.
    const reasons = s.sas.map((e) => e.judgement.reasons[0]!);
    const frames = s.frames;
    out.push({
      kind: 'session', a: { ...facts[0], port: from.sport }, b: { ...facts[1], port: from.dport }, protocol: protoName(s.proto), service, state: null,
      path: [...basePath(r), `esp (${spis.join('; ')})`, protoName(s.proto)], spis: s.sas.map((e) => e.sa.spi),
      verdict: 'integrity-only', reasons, notes: [], cause: reasons[0]!, firstFrame: Math.min(...frames), lastFrame: Math.max(...frames),
      decidingFrames: [...new Set(s.sas.flatMap((e) => e.judgement.decidingFrames))],
      evidence: frames.map((frame) => ({ frame, what: 'ESP-NULL packet whose plaintext shows this session' })),
      negotiations, flows: [...new Set(s.sas.map((e) => e.r.flow.id))],
    });
  }
  return out;
}


function pairRecord(bucket: PairBucket, esp: PairSa[], negotiations: NegotiationLink[], input: VerifyInput, sessionServices: Service[]): VerdictRecord {
  const { a, b, flows } = bucket;
  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  let cause: Reason | null = null;
  const firstFrame = Math.min(...flows.map((r) => r.flow.firstFrame));
  const lastFrame = Math.max(...flows.map((r) => r.flow.lastFrame));
  const opener = flows.find((r) => sameBytes(r.flow.origAddr, a)) ?? flows[0]!;
  const path = basePath(opener);
  const traffic = flows.filter((r) => r.kind === 'traffic');
  const clear = traffic.filter((r) => r.flow.packets > r.flow.ahPackets);
  const ah = flows.filter((r) => r.flow.ahPackets > 0);
  const clearData = clear.filter((r) => r.flow.origPayload + r.flow.respPayload > 0 || r.flow.proto === 58 || (r.state !== null && !FAILED_STATES.includes(r.state.state)));
  // One attempt captured on two paths is one attempt.
  const clearAttempts = viewsOf(clear.filter((r) => !clearData.includes(r))).map((v) => v.main);
  const firstEsp = esp.length > 0 ? Math.min(...esp.map((e) => e.sa.firstFrame)) : 0;
  if (esp.length > 0) {
    path.push(`esp (${esp.map((e) => `SPI ${hex32(e.sa.spi)} ${e.aToB ? 'A→B' : 'B→A'}: ${e.judgement.verdict === 'null' ? 'NULL encryption' : e.judgement.verdict === 'encrypted' ? 'ciphertext' : 'undetermined'}`).join('; ')})`);
  } else if (ah.length > 0) path.push('ah (integrity only)');
  else path.push('no IPsec');
  const service = pairService(flows, esp.length > 0, sessionServices);
  const nullSas = esp.filter((e) => e.judgement.verdict === 'null');
  const undetermined = esp.filter((e) => e.judgement.verdict === 'inconclusive');
  const encrypted = esp.filter((e) => e.judgement.verdict === 'encrypted');
  const directions = new Set(esp.map((e) => e.aToB));
  // An answer outside ESP is a packet back in one of the pair's sessions; the IKE/AuthIP that keyed the SAs answering
  // is none (protocols.md §7 row 16: the negotiation completes, then ESP goes one way because the peer has no SA).
  const answered = traffic.some((r) => r.flow.proto !== 58 && r.flow.respPackets > 0);
  // AH that carried something: data, an established session, or ICMPv6; a failed AH attempt is only a note.
  const ahData = ah.filter((r) => r.flow.proto === 58 || r.flow.origPayload + r.flow.respPayload > 0 || (r.state !== null && !FAILED_STATES.includes(r.state.state)));
  const unjudged = flows.filter((r) => r.flow.sasNotTracked !== null);
  const deciding: number[] = [];
  const spis = (list: PairSa[]): string[] => list.map((e) => hex32(e.sa.spi));
  let verdict: Verdict;
  if (clearData.length > 0) {
    verdict = 'clear';
    for (const { main, copies } of viewsOf(clearData)) {
      const f = main.flow;
      reasons.push(reason('ipsec.none', {
        scope: 'pair', proto: protoName(f.proto), ports: f.origPort ? `${f.origPort} → ${f.respPort}` : '', packets: f.packets - f.ahPackets,
        span: frameSpan(f.firstFrame, f.lastFrame), also: alsoCaptured(copies), someAh: false,
      }, [f.origDataFrame || f.firstFrame]));
      deciding.push(f.origDataFrame || f.firstFrame);
    }
    if (encrypted.length > 0) notes.push(reason('esp.other_ciphertext', { spis: spis(encrypted), decides: 'clear' }, encrypted.map((e) => e.sa.firstFrame)));
  } else if (nullSas.length > 0 || ahData.length > 0) {
    verdict = 'integrity-only';
    for (const e of nullSas) {
      reasons.push(e.judgement.reasons[0]!);
      deciding.push(...e.judgement.decidingFrames.slice(0, 3));
    }
    for (const { main: r, copies } of viewsOf(ahData)) {
      reasons.push(reason('ah.integrity_only', { scope: 'pair', proto: protoName(r.flow.proto), spis: [], packets: r.flow.ahPackets, span: frameSpan(r.flow.firstFrame, r.flow.lastFrame), also: alsoCaptured(copies) }, [r.flow.firstFrame]));
      deciding.push(r.flow.firstFrame);
    }
    if (encrypted.length > 0) notes.push(reason('esp.other_ciphertext', { spis: spis(encrypted), decides: 'integrity-only' }, encrypted.map((e) => e.sa.firstFrame)));
  } else if (undetermined.length > 0 || unjudged.length > 0) {
    verdict = 'inconclusive';
    for (const e of undetermined) {
      reasons.push(e.judgement.reasons[0]!);
      deciding.push(...e.judgement.decidingFrames.slice(0, 3));
    }
    for (const r of unjudged) {
      const frames = r.flow.sasNotTracked!.frames;
      reasons.push(reason('esp.sa_bound', { flow: r.flow.id, notTracked: r.flow.sasNotTracked!.packets, tracked: r.flow.sas?.length ?? 0 }, frames));
      deciding.push(...frames);
    }
    for (const e of encrypted) notes.push(e.judgement.reasons[0]!);
  } else if (encrypted.length > 0) {
    if (directions.size === 1 && !answered) {
      verdict = 'failed';
      reasons.push(reason('esp.one_direction', { sas: encrypted.map((e) => `SPI ${hex32(e.sa.spi)}, ${e.sa.packets} packet(s) from frame ${e.sa.firstFrame}`) }, encrypted.map((e) => e.sa.firstFrame)));
      deciding.push(...encrypted.map((e) => e.sa.firstFrame));
    } else {
      verdict = 'encrypted';
      for (const e of encrypted) {
        reasons.push(e.judgement.reasons[0]!);
        deciding.push(...e.judgement.decidingFrames.slice(0, 3));
      }
      if (directions.size === 1) notes.push(reason('esp.one_way_answered', {}, encrypted.map((e) => e.sa.firstFrame)));
    }
  } else {
    const failedNeg = negotiations.find((n) => n.outcome !== 'complete' && n.outcome !== END_NOT_SEEN);
    if (clearAttempts.length > 0 || failedNeg) {
      verdict = 'failed';
      for (const r of clearAttempts) {
        const s = r.state;
        reasons.push(s ? s.reason : reason('tcp.unknown', { history: r.flow.history }, [r.flow.firstFrame]));
        deciding.push(...(s?.frames ?? [r.flow.firstFrame]));
      }
      if (failedNeg) {
        reasons.push(failedNeg.reason);
        deciding.push(...failedNeg.frames);
      }
      // The cause: a readable refusal (a Notify, Kerberos) first, then what the attempt met, then mode None when the capture supports it.
      const refusal = failedNeg && (failedNeg.outcome === 'notify-error' || failedNeg.outcome === 'failed-after-authentication') ? failedNeg.reason : null;
      const unanswered = clearAttempts.some((r) => r.state?.state === 'unanswered') || failedNeg?.outcome === 'no-response';
      const none = !refusal && unanswered ? modeNoneCause(bucket, input, clearAttempts[0]?.flow.firstFrame ?? failedNeg?.firstFrame ?? firstFrame) : null;
      if (none) {
        reasons.push(none);
        deciding.push(...none.frames);
      }
      cause = refusal ?? none ?? reasons[0]!;
    } else {
      verdict = 'inconclusive';
      const negotiated = flows.some((r) => r.kind === 'ike');
      reasons.push(reason('pair.no_data', { negotiated }, [firstFrame]));
      deciding.push(firstFrame);
    }
  }
  if (cause === null && verdict !== 'encrypted') cause = reasons[0] ?? null;
  const ahAttempts = ah.filter((r) => !ahData.includes(r));
  if (ahAttempts.length > 0) notes.push(reason('attempts.failed_ah', { frames: ahAttempts.map((r) => r.flow.firstFrame) }, ahAttempts.map((r) => r.flow.firstFrame)));
  if (clearAttempts.length > 0 && verdict !== 'failed') notes.push(reason('attempts.failed_clear', { frames: clearAttempts.map((r) => r.flow.firstFrame) }, clearAttempts.map((r) => r.flow.firstFrame)));
  const tooBig = packetTooBigNote(bucket.flows.map((r) => r.flow));
  if (tooBig) notes.push(tooBig);
  if (esp.length > 0) {
    const before = negotiations.filter((n) => n.frames[0]! <= firstEsp);
    if (before.length > 0) {
      notes.push(reason('keying.negotiated', { list: before.map((n) => `${n.protocol} (${n.outcome}${n.authMethods.length ? `, ${n.authMethods.join('/')}` : ''}; frames ${n.frames.join(', ')})`), firstEsp }, [...before.flatMap((n) => n.frames), firstEsp]));
    } else {
      notes.push(reason('keying.before_capture', { firstEsp }, [firstEsp]));
    }
  }
  for (const { main: r } of viewsOf(flows)) {
    const rdp = r.flow.rdp ? rdpSecurityNote(r.flow) : null;
    if (rdp) notes.push(rdp);
  }
  const facts = (x: Uint8Array): Endpoint => ({ ...(sameBytes(opener.flow.origAddr, x) ? opener.orig : opener.resp), port: 0 });
  const frames = [...new Set(deciding.filter((x) => x > 0))];
  return {
    kind: 'pair', a: facts(a), b: facts(b), protocol: '', service, state: null, path, spis: [...new Set([...esp.map((e) => e.sa.spi), ...ahSpisOf(ah)])], verdict, reasons, notes, cause, firstFrame, lastFrame,
    decidingFrames: frames,
    evidence: [{ frame: firstFrame, what: 'first packet between the clients' }, ...deciding.slice(0, 6).map((frame) => ({ frame, what: 'decides the verdict' })), { frame: lastFrame, what: 'last packet between the clients' }],
    negotiations, flows: flows.map((r) => r.flow.id),
  };
}

/**
 * What the pair's traffic is: Remote Assistance when any visible session says so (in clear, or read inside
 * ESP-NULL: `sessionServices`); never from nothing, nor from the IKE/AuthIP negotiation.
 */
function pairService(flows: readonly JudgedFlow[], hasEsp: boolean, sessionServices: Service[]): Service {
  const services = [...flows.filter((r) => (r.flow.proto === 6 || r.flow.proto === 17) && r.kind !== 'ike' && r.kind !== 'esp').map((r) => r.service), ...sessionServices];
  const ra = services.find((s) => s.name === 'remote-assistance') ?? services.find((s) => s.name === 'remote-assistance-helper');
  if (ra) return ra;
  if (hasEsp) return { name: 'unknown', basis: 'the application cannot be observed: ESP hides the ports and payload; the verdict is for all traffic between the two clients', frames: [] };
  const known = services.find((s) => s.name !== 'unknown');
  return known ?? { name: 'unknown', basis: 'no signature or known port', frames: [] };
}

