/** The analysis pipeline, wired in one function: read → decode → flows (+ app facts) → classify → verdicts. */

import { AnomalyRecorder } from './anomalies/recorder.js';
import { A } from './anomalies/registry.js';
import type { IkeNegotiation } from './app/ike-negotiations.js';
import type { NameMap } from './app/names.js';
import { Direction, Frame, RecordKind } from './capture/frame.js';
import { readCapture, type CaptureResult, type ReadOptions } from './capture/open.js';
import { parsePrefix, classifyAddress, AddressClass, type DaPrefixes } from './classify/prefixes.js';
import type { ClassifiedFlow, JudgedFlow } from './classify/classified-flow.js';
import type { SourcePrefix } from './classify/context.js';
import { captureContext, judgeFlows } from './classify/judge-flows.js';
import type { Reason } from './classify/reasons.js';
import type { Roles } from './classify/roles.js';
import { classifyTransition } from './classify/transition.js';
import { trafficClass, TRAFFIC_CLASSES, type TrafficClass } from './classify/traffic-class.js';
import { dissectSafely } from './decode/dissect.js';
import { PacketView } from './decode/packet-view.js';
import { IkeNegotiationTracker } from './app/ike-negotiations.js';
import { ReassemblyBudget } from './app/tcp-reassembly.js';
import { AppDispatch, type RouterAdvertisement } from './flow/app-dispatch.js';
import { BoundCounter, clientCapable, isCarrier, MAX_LISTED, type BoundHit, type CarrierEnd, type Coverage } from './flow/coverage.js';
import { FlowFinish, type Flow } from './flow/flow.js';
import { DEFAULT_FLOW_OPTIONS, FlowTracker, MAX_SAS_PER_FLOW } from './flow/flow-tracker.js';
import { MAX_CUT_SAMPLES, MAX_SAMPLES } from './flow/sa.js';
import type { QueuedInnerPacket } from './flow/inner-packet-queue.js';
import { verify, type VerifyResult } from './rules/verdicts.js';
import { hex, sameBytes } from './util/bytes.js';

export interface AnalyzeOptions {
  /** Live flows at most (default 1,000,000); more evict the least recently active. */
  maxFlows?: number;
  /** Idle seconds (capture time) after which a flow is finished (default 1800; 0 = never). */
  flowIdleSec?: number;
  /** Finished flows kept for the report (default 250,000); the rest are only counted. */
  maxRetainedFlows?: number;
  /** DirectAccess server names (--da-server). */
  daServers?: string[];
  /** Prefixes typed by the user: DirectAccess (--da-prefix), IP-HTTPS clients (--iphttps-prefix), NAT64. */
  daPrefixes?: string[];
  ipHttpsPrefixes?: string[];
  nat64Prefixes?: string[];
  /** Ports on which Remote Assistance listens besides 3389 (--ra-port). */
  raPorts?: number[];
  read?: ReadOptions;
  /**
   * Bounds that have no option of their own (tests give small ones): SAs per flow, IKE negotiations, messages kept per
   * negotiation, out-of-order bytes held for all IP-HTTPS tunnels.
   */
  limits?: { sasPerFlow?: number; ikeNegotiations?: number; ikeMessages?: number; reassemblyBytes?: number };
  /**
   * Called for every IPv6 packet taken out of an IP-HTTPS tunnel, after it went through the decoder and the flows.
   * The packet is p.buf[p.start, p.end). `p` and its buffer are reused for later packets: copy what you keep.
   */
  onInnerPacket?: (p: QueuedInnerPacket, view: PacketView, frame: Frame) => void;
  /**
   * Called for every record as it is read, before the flows see it: a packet with its decoded view, any other record
   * (a pcapng custom block, a journal entry) with null. What `decode` prints; it may throw StopReading.
   */
  onRecord?: (f: Frame, buf: Uint8Array, view: PacketView | null) => void;
}

/** A retained flow with everything classification decided about it. */
export type FlowResult = JudgedFlow;

export interface ClassTotals {
  packets: number;
  bytes: number;
  flows: number;
}

export interface FlowStats {
  created: number;
  retained: number;
  /** Finished flows counted in the totals but not kept (over maxRetainedFlows). */
  summarizedOnly: number;
  evictions: number;
  expirations: number;
  peakLive: number;
  maxFlows: number;
  /** Packets recorded twice (the same packet on two interfaces of the capture), counted once. */
  copies: number;
}

export interface Analysis {
  capture: CaptureResult;
  flows: FlowResult[];
  /** Every flow by id: the retained ones judged, the largest of those past the retention bound classified only. */
  byId: Map<number, ClassifiedFlow>;
  classes: Record<TrafficClass, ClassTotals>;
  flowStats: FlowStats;
  negotiations: IkeNegotiation[];
  /** ISAKMP messages of negotiations past the tracker's bound (MAX_NEGOTIATIONS): counted, not examined. */
  ikeMessagesNotTracked: number;
  names: NameMap;
  advertisedPrefixes: RouterAdvertisement[];
  /** The user's prefixes plus the IP-HTTPS prefixes learnt from Router Advertisements or assumed from the capture. */
  prefixes: DaPrefixes;
  /** Every fact of the DirectAccess context inferred from the capture (context.*), with its frames. */
  assumptions: Reason[];
  /** The role of every endpoint, decided once. */
  roles: Roles;
  dnsMessages: AppDispatch['dnsMessages'];
  /** What the bounds left out of sight, tunnels recognised mid-stream and tunnels that cannot be read (flow/coverage.ts). */
  coverage: Coverage;
  /** The verdicts between DirectAccess clients, with the capture's result. */
  verdicts: VerifyResult;
}

/** Flows worth keeping even when the retention bound is reached: everything DirectAccess is made of. */
function important(flow: Flow): boolean {
  return flow.family === 6 || flow.proto === 41 || flow.proto === 4 || flow.proto === 50 || flow.sas !== null || flow.ahPackets > 0
    || flow.isakmpMessages > 0 || flow.tls !== null || flow.http !== null || flow.dnsMessages > 0 || flow.parent >= 0
    || flow.ipHttps !== null || flow.tlsMidstream !== null;
}

export async function analyze(path: string, options: AnalyzeOptions = {}): Promise<Analysis> {
  const anomalies = new AnomalyRecorder();
  const view = new PacketView(anomalies);
  const limits = options.limits ?? {};
  const app = new AppDispatch(anomalies, new IkeNegotiationTracker(limits.ikeNegotiations, limits.ikeMessages), new ReassemblyBudget(limits.reassemblyBytes));
  const maxRetained = options.maxRetainedFlows ?? 250_000;
  const maxFlows = options.maxFlows ?? DEFAULT_FLOW_OPTIONS.maxFlows;
  const idleSec = options.flowIdleSec ?? DEFAULT_FLOW_OPTIONS.idleSec;
  const sasPerFlow = limits.sasPerFlow ?? MAX_SAS_PER_FLOW;
  const bounds = {
    evicted: new BoundCounter('flows.max', maxFlows,
      `Live flows at most (--max-flows ${maxFlows}): flows ended early to make room (their later packets start a new flow); dropped counts them.`),
    idle: new BoundCounter('flows.idle', idleSec,
      `Idle seconds after which a flow is finished (--flow-idle ${idleSec}): finishing a flow drops nothing (its later packets start a new flow); tunnel and IPsec flows ended this way are listed in carriersEnded.`),
    retained: new BoundCounter('flows.retained', 2 * maxRetained,
      `Finished flows kept for the report: ${maxRetained}, and up to ${2 * maxRetained} when they are DirectAccess traffic (IPv6, tunnels, IPsec, IKE, TLS, DNS); dropped counts the flows only totalled.`),
    sas: new BoundCounter('sa.per_flow', sasPerFlow,
      `ESP/AH SAs tracked per flow (${sasPerFlow}): dropped counts the packets of further SAs, which are not judged.`),
    espSamples: new BoundCounter('esp.samples', MAX_SAMPLES,
      `ESP packets examined byte for byte per SA (${MAX_SAMPLES}, at most ${MAX_CUT_SAMPLES} cut by the snaplen; RFC 5879 judges an SA by a few packets): dropped counts the packets only counted; every SA is still judged from its samples, so none is client traffic left unjudged.`),
  };
  const carriersEnded: CarrierEnd[] = [];
  let carriersEndedNotListed = 0;
  const midstreamTunnels: Coverage['midstreamTunnels'] = [];
  const userPrefixes: DaPrefixes = {
    ipHttps: (options.ipHttpsPrefixes ?? []).map((p) => parsePrefix(p)),
    nat64: (options.nat64Prefixes ?? []).map((p) => parsePrefix(p)),
    directAccess: (options.daPrefixes ?? []).map((p) => parsePrefix(p)),
  };
  const daServers = (options.daServers ?? []).map((s) => s.toLowerCase());
  const retained: Flow[] = [];
  const dropped: ClassifiedFlow[] = [];
  const classes = Object.fromEntries(TRAFFIC_CLASSES.map((c) => [c, { packets: 0, bytes: 0, flows: 0 }])) as Record<TrafficClass, ClassTotals>;
  let summarizedOnly = 0;
  const parents = new Map<number, Flow>();
  const tracker = new FlowTracker(
    { maxFlows, idleSec, maxSasPerFlow: sasPerFlow },
    (flow) => {
      const capable = clientCapable(flow);
      if (flow.finish === FlowFinish.Evicted) bounds.evicted.add(1, capable, lastFrame);
      if ((flow.finish === FlowFinish.Evicted || flow.finish === FlowFinish.Expired) && isCarrier(flow)) {
        if (carriersEnded.length < MAX_LISTED) {
          carriersEnded.push({ flow: flow.id, how: flow.finish === FlowFinish.Evicted ? 'evicted' : 'expired', frame: lastFrame, lastFrame: flow.lastFrame, resumedBy: null });
        } else carriersEndedNotListed++;
      }
      if (flow.sasNotTracked !== null) {
        bounds.sas.add(flow.sasNotTracked.packets, true, 0);
        bounds.sas.addFrames(flow.sasNotTracked.frames);
      }
      if (flow.sas !== null) for (const sa of flow.sas) bounds.espSamples.add(sa.protocol === 'esp' ? sa.packets - sa.samples.length : 0, false, 0);
      if (flow.ipHttpsInferred !== null && midstreamTunnels.length < MAX_LISTED) midstreamTunnels.push({ flow: flow.id, frames: flow.ipHttpsInferred.frames });
      // A finished flow is looked at no more.
      flow.dropProbe();
      if (retained.length < maxRetained || (important(flow) && retained.length < 2 * maxRetained)) {
        retained.push(flow);
        parents.set(flow.id, flow);
        return;
      }
      // Over the bound: classify now with what is known, count it, keep only the biggest few.
      const label = classifyTransition(flow, parents.get(flow.parent) ?? null, { daServers, prefixes: userPrefixes });
      const cls = trafficClass(flow, label);
      add(classes[cls], flow);
      summarizedOnly++;
      bounds.retained.add(1, capable, capable ? flow.firstFrame : 0);
      keepTop(dropped, { flow, label, cls });
    },
    (e, v, f) => app.onTransport(e, v, f),
  );
  // The IPv6 inside IP-HTTPS goes through the same decoder and flows as a child of its carrier flow,
  // numbered by the outer frame that delivered its last byte. Each is decoded in place, where the queue holds it.
  const sourcePrefixes: SourcePrefix[] = [];
  const innerView = new PacketView(anomalies);
  const innerFrame = new Frame();
  innerFrame.kind = RecordKind.Packet;
  innerFrame.hasTs = true;
  innerFrame.linkType = 229;
  const onInner = (q: QueuedInnerPacket): void => {
    innerFrame.number = q.lastFrame;
    innerFrame.tsSec = q.sec;
    innerFrame.tsNsec = q.nsec;
    innerFrame.dataStart = q.start;
    innerFrame.capLen = innerFrame.wireLen = q.end - q.start;
    innerFrame.interfaceId = q.interfaceId;
    innerFrame.direction = q.fromClient === (q.carrier.origPort !== 443) ? Direction.Outbound : Direction.Inbound;
    dissectSafely(innerView, innerFrame, q.buf);
    tracker.onPacket(innerView, innerFrame, q.carrier.id, 'ip-https');
    if (q.carrier.ipHttpsInferred !== null && innerFrame.direction === Direction.Outbound) learnSourcePrefix(sourcePrefixes, q);
    options.onInnerPacket?.(q, innerView, innerFrame);
  };
  const drainInner = (): void => app.inner.drain(onInner);
  let lastFrame = 0;
  // The interfaces known so far (the reader adds each pcapng IDB as it meets it).
  let interfaces: readonly unknown[] = [];
  const capture = await readCapture(path, (f, buf) => {
    lastFrame = f.number;
    if (f.kind !== RecordKind.Packet) {
      options.onRecord?.(f, buf, null);
      return;
    }
    dissectSafely(view, f, buf);
    options.onRecord?.(f, buf, view);
    tracker.checkCopies = interfaces.length > 1;
    tracker.onPacket(view, f);
    if (app.inner.length > 0) drainInner();
  }, {
    ...options.read, anomalies, onStart: (live) => {
      interfaces = live.interfaces;
      options.read?.onStart?.(live);
    },
  });
  app.finishTunnels(lastFrame, drainInner);
  tracker.finishAll();

  retained.sort((a, b) => a.firstFrame - b.firstFrame || a.id - b.id);
  // The context (learnt and assumed IP-HTTPS prefixes) needs the labels of the tunnels; the labels of IPv6 flows
  // need the prefixes it yields: label, infer, and label again only if the prefixes changed.
  const label = (prefixes: DaPrefixes): ClassifiedFlow[] => retained.map((flow) => {
    const l = classifyTransition(flow, parents.get(flow.parent) ?? null, { daServers, prefixes });
    return { flow, label: l, cls: trafficClass(flow, l) };
  });
  let labelled = label(userPrefixes);
  const byId = new Map<number, ClassifiedFlow>();
  for (const r of labelled) byId.set(r.flow.id, r);
  const names = withCaptureNames(app.names, capture);
  const facts = {
    flows: labelled, byId: (id: number) => byId.get(id), names, advertisedPrefixes: app.advertisedPrefixes, sourcePrefixes, interfaces: capture.interfaces, given: userPrefixes,
  };
  const context = captureContext(facts);
  if (context.prefixes.ipHttps.length !== userPrefixes.ipHttps.length) {
    labelled = label(context.prefixes);
    for (const r of labelled) byId.set(r.flow.id, r);
  }
  for (const r of labelled) add(classes[r.cls], r.flow);
  for (const r of dropped) byId.set(r.flow.id, r);
  resumed(carriersEnded, labelled);
  const ike = app.ike;
  const ikeNegotiations = new BoundCounter('ike.negotiations', ike.maxNegotiations,
    `IKE/AuthIP negotiations tracked per capture (${ike.maxNegotiations}): dropped counts the messages of further negotiations, which are not examined.`);
  ikeNegotiations.add(ike.messagesNotTracked, true, 0);
  ikeNegotiations.addFrames(ike.notTrackedFrames);
  const ikeMessages = new BoundCounter('ike.messages', ike.maxMessages,
    `IKE/AuthIP messages kept per negotiation (${ike.maxMessages}): dropped counts the later messages, counted in their negotiation but not examined.`);
  ikeMessages.add(ike.notKeptCount, true, 0);
  ikeMessages.addFrames(ike.notKeptFrames);
  const coverage: Coverage = {
    bounds: [bounds.evicted.hit(), bounds.idle.hit(), bounds.retained.hit(), bounds.sas.hit(), ikeNegotiations.hit(), ikeMessages.hit(),
      bounds.espSamples.hit(), reassemblyBound(app.tunnels, app.budget.maxBytes)],
    midstreamTunnels, opaqueTunnels: opaqueTunnels(labelled, daServers, app.names), carriersEnded, carriersEndedNotListed,
    interfaceDrops: [...capture.interfaceStats].map(([id, st]) => ({ interface: id, dropped: (st.dropped ?? 0) + (st.osDropped ?? 0) })).filter((d) => d.dropped > 0),
    timeBackwards: timeBackwards(anomalies),
  };
  const judged = judgeFlows({ ...facts, flows: labelled, service: { raPorts: options.raPorts ?? [] }, snaplen: captureSnaplen(capture) }, context);
  const judgedById = new Map(judged.flows.map((r) => [r.flow.id, r]));
  for (const r of judged.flows) byId.set(r.flow.id, r);
  const table = tracker.table;
  const negotiations = ike.finish();
  const verdicts = verify({
    flows: judged.flows, negotiations, service: { raPorts: options.raPorts ?? [] }, flowById: (id) => judgedById.get(id), coverage, daServers, names,
  });
  return {
    capture, flows: judged.flows, byId, classes,
    flowStats: {
      created: tracker.flowsCreated, retained: retained.length, summarizedOnly, evictions: table.evictions,
      expirations: table.expirations, peakLive: table.peakLive, maxFlows: table.maxFlows, copies: tracker.copies,
    },
    negotiations,
    ikeMessagesNotTracked: ike.messagesNotTracked,
    names,
    advertisedPrefixes: app.advertisedPrefixes,
    prefixes: context.prefixes,
    assumptions: context.assumptions,
    roles: judged.roles,
    dnsMessages: app.dnsMessages,
    coverage,
    verdicts,
  };
}

/** Frames stamped earlier than the one before, as the reader counted them (capture.time_went_backwards). */
function timeBackwards(anomalies: AnomalyRecorder): Coverage['timeBackwards'] {
  const a = anomalies.list().find((x) => x.def.code === A.CaptureTimeWentBackwards);
  return { count: a?.count ?? 0, frames: a?.frames ?? [] };
}

/** The capture's snaplen as its interfaces declare it (the smallest real one), 0 when none is set. */
function captureSnaplen(capture: CaptureResult): number {
  const lens = capture.interfaces.map((i) => i.snaplen).filter((n) => n > 0 && n < 262144);
  return lens.length > 0 ? Math.min(...lens) : 0;
}

/**
 * Each carrier ended early: the next flow with the same addresses, ports and protocol, and the same parent — or, for a
 * flow inside a tunnel that was itself ended and resumed, the resumed tunnel — took its packets up again.
 */
function resumed(ends: CarrierEnd[], flows: readonly ClassifiedFlow[]): void {
  if (ends.length === 0) return;
  const canonical = (f: Flow, parent: number): string => {
    const a = `${hex(f.origAddr)} ${f.origPort}`;
    const b = `${hex(f.respAddr)} ${f.respPort}`;
    return `${parent} ${f.proto} ${a < b ? `${a} ${b}` : `${b} ${a}`}`;
  };
  const ended = new Map<number, CarrierEnd>(ends.map((e) => [e.flow, e]));
  const byKey = new Map<string, number[]>();
  const byId = new Map<number, Flow>();
  for (const r of flows) {
    byId.set(r.flow.id, r.flow);
    const k = canonical(r.flow, r.flow.parent);
    const list = byKey.get(k);
    if (list) list.push(r.flow.id);
    else byKey.set(k, [r.flow.id]);
  }
  // By id: a tunnel is created before the flows inside it, so its own resumption is known when theirs is looked for.
  for (const e of [...ends].sort((x, y) => x.flow - y.flow)) {
    const f = byId.get(e.flow);
    if (!f) continue;
    const parentResumed = f.parent >= 0 ? ended.get(f.parent)?.resumedBy ?? null : null;
    const later = (byKey.get(canonical(f, parentResumed ?? f.parent)) ?? []).filter((id) => id > e.flow);
    e.resumedBy = later.length > 0 ? Math.min(...later) : null;
  }
}

/** The IP-HTTPS reassembly windows (256 KiB per direction) and the capture's shared budget (16 MiB): holes given up when they were full. */
function reassemblyBound(tunnels: readonly Flow[], budget: number): BoundHit {
  const b = new BoundCounter('iphttps.reassembly', budget,
    `Out-of-order bytes held for IP-HTTPS tunnels (256 KiB per direction, ${budget} bytes per capture): dropped counts the holes given up because they were full (the inner packets in them are lost).`);
  for (const f of tunnels) {
    const t = f.ipHttps!;
    for (const d of [t.stats.client, t.stats.server]) b.add(d.tcp.windowOverflows + d.tcp.budgetOverflows, true, 0);
    b.addFrames(t.anomalies.filter((a) => a.id === 'iphttps.reassembly_window_full' || a.id === 'iphttps.reassembly_budget_exhausted').map((a) => a.frame));
  }
  return b.hit();
}

/**
 * Connections to a known IP-HTTPS server (the server of a flow recognised as IP-HTTPS, or a --da-server name) whose
 * inside cannot be read: an encrypting suite, or records that are not plaintext IPv6 on a connection joined late.
 */
function opaqueTunnels(flows: readonly ClassifiedFlow[], daServers: string[], names: NameMap): Coverage['opaqueTunnels'] {
  const servers = new Set<string>();
  const serverOf = (f: Flow): Uint8Array => (f.origPort === 443 && f.respPort !== 443 ? f.origAddr : f.respAddr);
  for (const r of flows) if (r.label.transition === 'ip-https' && r.flow.parent < 0 && (r.flow.ipHttps !== null)) servers.add(hex(serverOf(r.flow)));
  const named = (a: Uint8Array): boolean => daServers.length > 0 && names.names(a).some((n) => daServers.some((s) => n.name.toLowerCase() === s || n.name.toLowerCase().endsWith(`.${s}`)));
  const out: Coverage['opaqueTunnels'] = [];
  for (const r of flows) {
    const f = r.flow;
    if (out.length >= MAX_LISTED) break;
    if (f.proto !== 6 || f.parent >= 0 || f.ipHttps !== null || (f.origPort !== 443 && f.respPort !== 443)) continue;
    const server = serverOf(f);
    if (!(r.label.transition === 'ip-https' || servers.has(hex(server)) || named(server))) continue;
    const sh = f.tls?.facts.serverHello ?? null;
    if (sh !== null && !sh.nullCipher) out.push({ flow: f.id, frames: [sh.frame], why: `the ServerHello chose ${sh.cipherSuiteName}, which encrypts: the IPv6 inside cannot be read` });
    else if (sh === null && f.tlsMidstream !== null) {
      out.push({ flow: f.id, frames: [f.tlsMidstream.firstFrame], why: `joined after its handshake, and its ${f.tlsMidstream.records} application data record(s) do not carry plaintext IPv6 (an encrypting suite)` });
    }
  }
  return out;
}

function add(t: ClassTotals, flow: Flow): void {
  t.packets += flow.packets;
  t.bytes += flow.bytes;
  t.flows++;
}

/** The few biggest flows not retained, for the top-conversations list. */
const TOP_DROPPED = 50;

function keepTop(list: ClassifiedFlow[], r: ClassifiedFlow): void {
  if (list.length < TOP_DROPPED) {
    list.push(r);
    return;
  }
  let min = 0;
  for (let i = 1; i < list.length; i++) if (list[i]!.flow.bytes < list[min]!.flow.bytes) min = i;
  if (r.flow.bytes > list[min]!.flow.bytes) list[min] = r;
}

/** Source prefixes learnt at most (a client has one IP-HTTPS prefix; a few tunnels in one capture have a few). */
const MAX_SOURCE_PREFIXES = 16;

/**
 * An IP-HTTPS client sends from its address on the IP-HTTPS link (MS-IPHTTPS §3.1.5.3), which is in the prefix the
 * server advertised. When the tunnel's start, and with it the Router Advertisement, is not in the capture, the global
 * source /64 of what the client sent into the tunnel stands in for that prefix (classify/context.ts).
 */
function learnSourcePrefix(list: SourcePrefix[], q: QueuedInnerPacket): void {
  const b = q.buf;
  const src = q.start + 8;
  if (q.end - q.start < 40 || b[q.start]! >> 4 !== 6) return;
  const cls = classifyAddress(b, src);
  if (cls !== AddressClass.Global && cls !== AddressClass.UniqueLocal && cls !== AddressClass.Documentation) return;
  for (const p of list) if (sameBytes(p.bytes, b.subarray(src, src + 8))) return;
  if (list.length < MAX_SOURCE_PREFIXES) list.push({ bytes: b.slice(src, src + 8), frame: q.lastFrame, flowId: q.carrier.id });
}

/** Adds the capture tool's names (pcapng NRB) to the names learnt from DNS. */
function withCaptureNames(names: NameMap, capture: CaptureResult): NameMap {
  for (const e of capture.names) {
    const a = new Uint8Array(16);
    if (e.address.length === 4) {
      a[10] = 0xff;
      a[11] = 0xff;
      a.set(e.address, 12);
    } else a.set(e.address);
    for (const n of e.names) names.add(a, n, 'nrb', 0);
  }
  return names;
}
