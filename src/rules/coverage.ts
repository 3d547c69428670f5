/**
 * Coverage: what the analysis could not see, and whether it could have carried traffic between clients (issue
 * "Coverage"; architecture §6 "Absence of evidence is not evidence of absence"). A blocking item keeps the capture's
 * result from being "encrypted": no verdict may rest on what the tool could not see.
 */

import type { JudgedFlow } from '../classify/classified-flow.js';
import { frameSpan, reason, type Reason } from '../classify/reasons.js';
import type { Coverage } from '../flow/coverage.js';
import { hex32 } from '../util/bytes.js';
import type { VerdictRecord } from './types.js';
import type { VerifyInput, VerifyResult } from './verdicts.js';

/** What the pass could not see, as the analysis counted it (flow/coverage.ts). */
export type CoverageInput = Coverage;

/** Bounds that end a flow early without losing its packets (flow/coverage.ts). */
const ENDS_EARLY = new Set(['flows.max', 'flows.idle']);
/** Bounds whose drops are only counted and leave nothing unjudged: every SA is judged from its samples (RFC 5879). */
const LOSES_NOTHING = new Set(['esp.samples']);

export const NO_COVERAGE_GAPS: CoverageInput = {
  bounds: [], midstreamTunnels: [], opaqueTunnels: [], carriersEnded: [], carriersEndedNotListed: 0, interfaceDrops: [], timeBackwards: { count: 0, frames: [] },
};

/** Encrypting TLS on port 443 that could be IP-HTTPS, when no client traffic is visible (named at most five). */
function possibleIpHttps(flows: readonly JudgedFlow[]): JudgedFlow[] {
  return flows.filter((r) => r.flow.family === 4 && r.flow.proto === 6 && (r.flow.respPort === 443 || r.flow.origPort === 443)
    && r.label.transition !== 'ip-https' && r.flow.tls?.facts.serverHello?.nullCipher === false);
}

export function coverageOf(input: VerifyInput, pairs: readonly VerdictRecord[], esp: VerifyResult['esp']): { reason: Reason; blocking: boolean }[] {
  const out: { reason: Reason; blocking: boolean }[] = [];
  const add = (r: Reason, blocking: boolean): void => {
    out.push({ reason: r, blocking });
  };
  for (const r of input.flows) {
    const f = r.flow;
    // IP-HTTPS with a real cipher ends at the DA server: the client-to-client traffic inside it cannot be observed.
    const sh = f.tls?.facts.serverHello;
    if (r.label.transition === 'ip-https' && f.family === 4 && f.parent < 0 && sh && !sh.nullCipher) {
      add(reason('coverage.opaque_iphttps', { flow: f.id, suite: sh.cipherSuiteName }, [sh.frame]), true);
    }
    // ESP between a client and the DA server (IPsec tunnel mode over Teredo, 6to4 or IP-HTTPS) may carry traffic
    // the server relays to another client: it cannot be judged from here (protocols.md §1.7, §8).
    if (r.kind === 'esp' && f.family === 6 && [r.orig.role, r.resp.role].includes('da-client') && [r.orig.role, r.resp.role].includes('da-server')) {
      add(reason('coverage.ipsec_to_server', { flow: f.id, span: frameSpan(f.firstFrame, f.lastFrame), packets: f.packets }, [f.firstFrame]), true);
    }
  }
  const named = new Set(out.map((c) => (c.reason.facts as { flow?: number }).flow));
  for (const t of input.coverage.opaqueTunnels) if (!named.has(t.flow)) add(reason('coverage.opaque_tunnel', { flow: t.flow, why: t.why }, t.frames), true);
  for (const t of input.coverage.midstreamTunnels) add(reason('coverage.midstream_tunnel', { flow: t.flow }, t.frames), false);
  // A tunnel or IPsec flow ended by a bound drops nothing by itself: its later packets start a new flow, resynchronised
  // when it is IP-HTTPS (or else reported above as opaque). Said, so the report shows where a flow was cut in two.
  for (const e of input.coverage.carriersEnded) {
    add(reason('coverage.carrier_ended', { flow: e.flow, how: e.how, frame: e.frame, lastFrame: e.lastFrame, resumedBy: e.resumedBy }, [e.lastFrame, e.frame]), false);
  }
  for (const b of input.coverage.bounds) {
    if (b.dropped === 0 || LOSES_NOTHING.has(b.id)) continue;
    // Live-flow and idle bounds end flows early but lose nothing (the later packets start a new flow); the others
    // leave what they dropped unjudged, which blocks "encrypted" when it could have been traffic between clients.
    add(reason('coverage.bound', { id: b.id, limit: b.limit, dropped: b.dropped, clientCapable: b.clientCapable, what: b.what }, b.frames),
      b.clientCapable > 0 && !ENDS_EARLY.has(b.id));
  }
  const cut = esp.filter((e) => e.judgement.cutSamples > 0);
  if (cut.length > 0) {
    add(reason('coverage.snaplen', { spis: cut.map((e) => hex32(e.spi)), undecided: cut.filter((e) => e.judgement.verdict === 'inconclusive').length },
      cut.flatMap((e) => e.judgement.decidingFrames.slice(0, 1))), false);
  }
  // A pure ACK from one side with nothing from the other acknowledges packets the capture does not hold (RFC 9293 §3.4):
  // only one direction of the connection was captured, so what the other carried was not seen.
  const oneSided = input.flows.filter((r) => r.flow.proto === 6 && r.orig.role === 'da-client' && r.resp.role === 'da-client'
    && r.flow.respPackets === 0 && r.flow.history.includes('A'));
  if (oneSided.length > 0) {
    add(reason('coverage.one_side', { connections: oneSided.length, flows: oneSided.slice(0, 5).map((r) => r.flow.id) }, oneSided.slice(0, 5).map((r) => r.flow.firstFrame)), false);
  }
  // Packets the capture tool itself dropped could have been traffic between clients: nothing says they were not.
  if (input.coverage.interfaceDrops.length > 0) add(reason('coverage.interface_drops', { interfaces: input.coverage.interfaceDrops }, []), true);
  const late = input.coverage.timeBackwards;
  if (late.count > 0) add(reason('coverage.time_order', { count: late.count, frames: late.frames }, late.frames), false);
  if (pairs.length === 0) {
    const candidates = possibleIpHttps(input.flows);
    const frames = candidates.slice(0, 5).map((r) => r.flow.tls!.facts.serverHello!.frame);
    add(reason('coverage.no_client_traffic', {
      candidates: candidates.length, list: candidates.slice(0, 5).map((r) => `flow ${r.flow.id}, ${r.flow.tls!.facts.serverHello!.cipherSuiteName} in frame ${r.flow.tls!.facts.serverHello!.frame}`),
    }, frames), false);
  }
  return out;
}
