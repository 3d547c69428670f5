/** The analysis pipeline, wired in one function: read → decode → flows (+ app facts) → classify → verdicts. */

import { AnomalyRecorder } from './anomalies/recorder.js';
import { MAX_NEGOTIATIONS, type IkeNegotiation } from './app/ike-negotiations.js';
import type { NameMap } from './app/names.js';
import { Direction, Frame, RecordKind } from './capture/frame.js';
import { readCapture, type CaptureResult, type ReadOptions } from './capture/open.js';
import { parsePrefix, type DaPrefixes } from './classify/prefixes.js';
import type { ClassifiedFlow, JudgedFlow } from './classify/classified-flow.js';
import { captureContext, judgeFlows } from './classify/judge-flows.js';
import type { Reason } from './classify/reasons.js';
import type { Roles } from './classify/roles.js';
import { classifyTransition } from './classify/transition.js';
import { trafficClass, TRAFFIC_CLASSES, type TrafficClass } from './classify/traffic-class.js';
import { dissectSafely } from './decode/dissect.js';
import { PacketView } from './decode/packet-view.js';
import { AppDispatch, type RouterAdvertisement } from './flow/app-dispatch.js';
import type { Flow } from './flow/flow.js';
import { DEFAULT_FLOW_OPTIONS, FlowTracker, MAX_SAS_PER_FLOW } from './flow/flow-tracker.js';
import type { QueuedInnerPacket } from './flow/inner-packet-queue.js';
import type { CoverageInput } from './rules/coverage.js';
import type { BoundHit } from './rules/types.js';
import { verify, type VerifyResult } from './rules/verdicts.js';

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
   * Called for every IPv6 packet taken out of an IP-HTTPS tunnel, after it went through the decoder and the flows.
   * The packet is p.buf[p.start, p.end). `p` and its buffer are reused for later packets: copy what you keep.
   */
  onInnerPacket?: (p: QueuedInnerPacket) => void;
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
  /** What the pass could not see (bounds, opaque or resynchronised tunnels). */
  coverage: CoverageInput;
  /** The verdicts between DirectAccess clients, with the capture's result. */
  verdicts: VerifyResult;
}

/** Flows worth keeping even when the retention bound is reached: everything DirectAccess is made of. */
function important(flow: Flow): boolean {
  return flow.family === 6 || flow.proto === 41 || flow.proto === 4 || flow.proto === 50 || flow.sas !== null || flow.ahPackets > 0
    || flow.isakmpMessages > 0 || flow.tls !== null || flow.http !== null || flow.dnsMessages > 0 || flow.parent >= 0;
}

export async function analyze(path: string, options: AnalyzeOptions = {}): Promise<Analysis> {
  const anomalies = new AnomalyRecorder();
  const view = new PacketView(anomalies);
  const app = new AppDispatch(anomalies);
  const maxRetained = options.maxRetainedFlows ?? 250_000;
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
    { maxFlows: options.maxFlows ?? DEFAULT_FLOW_OPTIONS.maxFlows, idleSec: options.flowIdleSec ?? DEFAULT_FLOW_OPTIONS.idleSec },
    (flow) => {
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
      keepTop(dropped, { flow, label, cls });
    },
    (e, v, f) => app.onTransport(e, v, f),
  );
  // The IPv6 inside IP-HTTPS goes through the same decoder and flows as a child of its carrier flow,
  // numbered by the outer frame that delivered its last byte. Each is decoded in place, where the queue holds it.
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
    options.onInnerPacket?.(q);
  };
  const drainInner = (): void => app.inner.drain(onInner);
  let lastFrame = 0;
  // The interfaces known so far (the reader adds each pcapng IDB as it meets it).
  let interfaces: readonly unknown[] = [];
  const capture = await readCapture(path, (f, buf) => {
    lastFrame = f.number;
    if (f.kind !== RecordKind.Packet) return;
    dissectSafely(view, f, buf);
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
    flows: labelled, byId: (id: number) => byId.get(id), names, advertisedPrefixes: app.advertisedPrefixes, interfaces: capture.interfaces, given: userPrefixes,
  };
  const context = captureContext(facts);
  if (context.prefixes.ipHttps.length !== userPrefixes.ipHttps.length) {
    labelled = label(context.prefixes);
    for (const r of labelled) byId.set(r.flow.id, r);
  }
  for (const r of labelled) add(classes[r.cls], r.flow);
  for (const r of dropped) byId.set(r.flow.id, r);
  const judged = judgeFlows({ ...facts, flows: labelled, service: { raPorts: options.raPorts ?? [] }, snaplen: captureSnaplen(capture) }, context);
  const judgedById = new Map(judged.flows.map((r) => [r.flow.id, r]));
  for (const r of judged.flows) byId.set(r.flow.id, r);
  const table = tracker.table;
  const negotiations = app.ike.finish();
  const flowStats: FlowStats = {
    created: tracker.flowsCreated, retained: retained.length, summarizedOnly, evictions: table.evictions,
    expirations: table.expirations, peakLive: table.peakLive, maxFlows: table.maxFlows, copies: tracker.copies,
  };
  const coverage: CoverageInput = { bounds: bounds(flowStats, maxRetained, retained, app.ike.messagesNotTracked), midstreamTunnels: [], opaqueTunnels: [] };
  const verdicts = verify({
    flows: judged.flows, negotiations, service: { raPorts: options.raPorts ?? [] }, flowById: (id) => judgedById.get(id), coverage,
  });
  return {
    capture, flows: judged.flows, byId, classes, flowStats, negotiations,
    ikeMessagesNotTracked: app.ike.messagesNotTracked,
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

/** The capture's snaplen as its interfaces declare it (the smallest real one), 0 when none is set. */
function captureSnaplen(capture: CaptureResult): number {
  const lens = capture.interfaces.map((i) => i.snaplen).filter((n) => n > 0 && n < 262144);
  return lens.length > 0 ? Math.min(...lens) : 0;
}

/** The bounds of the pass with what each dropped. */
function bounds(stats: FlowStats, maxRetained: number, retained: readonly Flow[], ikeNotTracked: number): BoundHit[] {
  let saPackets = 0;
  const saFrames: number[] = [];
  for (const f of retained) {
    saPackets += f.sasNotTracked;
    if (f.sasNotTrackedFrames && saFrames.length < 5) saFrames.push(f.sasNotTrackedFrames[0]!);
  }
  return [
    { id: 'flows.max', limit: stats.maxFlows, dropped: stats.evictions, clientCapable: 0, frames: [], what: `${stats.evictions} live flow(s) were evicted to stay within --max-flows` },
    { id: 'flows.retained', limit: maxRetained, dropped: stats.summarizedOnly, clientCapable: 0, frames: [], what: `${stats.summarizedOnly} finished flow(s) were counted but not kept for the report` },
    { id: 'sa.per_flow', limit: MAX_SAS_PER_FLOW, dropped: saPackets, clientCapable: saPackets, frames: saFrames, what: `${saPackets} IPsec packet(s) belong to SAs past the bound of SAs per flow` },
    { id: 'ike.negotiations', limit: MAX_NEGOTIATIONS, dropped: ikeNotTracked, clientCapable: ikeNotTracked, frames: [], what: `${ikeNotTracked} ISAKMP message(s) of negotiations past the bound were counted, not examined` },
  ];
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
