/** Hand-built flows for rule tests: a Flow with the facts the rules read, without a capture. */

import { NameMap } from '../../src/app/names.js';
import type { ClassifiedFlow, JudgedFlow } from '../../src/classify/classified-flow.js';
import { judgeFlows } from '../../src/classify/judge-flows.js';
import { NO_PREFIXES, type DaPrefixes } from '../../src/classify/prefixes.js';
import { Flow } from '../../src/flow/flow.js';
import { SaStats } from '../../src/flow/sa.js';
import { concat, esp, espNullBody, ip6, Prng, Proto, tcp, TcpFlag } from './build.js';

export const CLIENT_A = 'fe80::8d4:1c2b:3a4d:5e6f';
export const CLIENT_B = 'fe80::a1b2:c3d4:e5f6:789';

let nextId = 0;

export interface FlowSpec {
  proto: number;
  a?: string;
  b?: string;
  aPort?: number;
  bPort?: number;
  first?: number;
  last?: number;
  origPackets?: number;
  respPackets?: number;
  origPayload?: number;
  respPayload?: number;
  syn?: number;
  synAck?: number;
  rst?: number;
  ahPackets?: number;
  parent?: number;
  carriedBy?: string;
  icmpTypes?: number;
  isakmp?: number;
}

export function flow(s: FlowSpec): ClassifiedFlow {
  const f = new Flow(nextId++, s.parent ?? -1, 6, s.proto, ip6(s.a ?? CLIENT_A), ip6(s.b ?? CLIENT_B), s.aPort ?? 0, s.bPort ?? 0, false,
    s.carriedBy ?? '', s.first ?? 1, 1_764_140_400, 0);
  f.lastFrame = s.last ?? f.firstFrame;
  f.origPackets = s.origPackets ?? 1;
  f.respPackets = s.respPackets ?? 0;
  f.origPayload = s.origPayload ?? 0;
  f.respPayload = s.respPayload ?? 0;
  f.synFrame = s.syn ?? 0;
  f.synAckFrame = s.synAck ?? 0;
  f.rstFrame = s.rst ?? 0;
  f.ahPackets = s.ahPackets ?? 0;
  f.icmpTypes = s.icmpTypes ?? 0;
  f.isakmpMessages = s.isakmp ?? 0;
  if (f.origPayload > 0) f.origDataFrame = f.firstFrame;
  if (f.respPayload > 0) f.respDataFrame = f.firstFrame + 1;
  if (f.synAckFrame) f.history = 'ShAD';
  return { flow: f, label: { transition: 'link-local', confidence: 'certain', reasons: [] }, cls: 'link-local' };
}

/** Adds an ESP SA to a flow, fed with `packets` ESP packets (complete unless `cut`). */
export function withSa(r: ClassifiedFlow, spi: number, fromOrig: boolean, packets: Uint8Array[], first: number, cut = false): SaStats {
  const f = r.flow;
  const sa = new SaStats('esp', spi, fromOrig, first, 1);
  packets.forEach((p, i) => {
    sa.packets++;
    sa.lastFrame = first + i;
    if (cut) sa.cutPackets++;
    sa.sampleEsp(p, 0, p.length, !cut, first + i, 6, fromOrig ? f.origAddr : f.respAddr, fromOrig ? f.respAddr : f.origAddr, false);
  });
  (f.sas ??= []).push(sa);
  return sa;
}

export function ciphertext(n: number, seed: number, len = 120): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => esp(0x1a2b3c4d, i + 1, new Prng(seed + i).bytes(len)));
}

/** ESP-NULL packets carrying a TCP session from `src` to `dst`; the first data packet holds `firstData`. */
export function nullTcp(n: number, src: string, dst: string, icv: number, firstData: Uint8Array = new Uint8Array(0)): Uint8Array[] {
  const ep = { src, dst };
  return Array.from({ length: n }, (_, i) => {
    const seg = tcp(ep, { sport: 49500, dport: 49750, seq: 1000 + i, flags: i === 0 ? TcpFlag.SYN : TcpFlag.ACK | TcpFlag.PSH }, i === 1 ? firstData : new Uint8Array(0));
    return esp(0x0eeee001, i + 1, espNullBody(seg, Proto.TCP, icv, i));
  });
}

export { concat };

/** Runs the real classification (roles, kind, service, state, ESP judgements) over hand-built flows, as analyze() does. */
export function judged(flows: ClassifiedFlow[], o: { prefixes?: DaPrefixes; raPorts?: number[]; snaplen?: number } = {}): JudgedFlow[] {
  const byId = new Map(flows.map((r) => [r.flow.id, r]));
  const prefixes = o.prefixes ?? NO_PREFIXES;
  return judgeFlows({
    flows, byId: (id) => byId.get(id), names: new NameMap(), advertisedPrefixes: [], sourcePrefixes: [], interfaces: [], given: prefixes,
    service: { raPorts: o.raPorts ?? [] }, snaplen: o.snaplen ?? 0,
  }, { prefixes, assumptions: [] }).flows;
}
