/** What classification hands to the rules and reports: each finished flow with every fact decided about it, once. */

import type { Flow } from '../flow/flow.js';
import type { SaStats } from '../flow/sa.js';
import type { EspJudgement } from './esp-null.js';
import type { EndpointFacts } from './roles.js';
import type { Service, StateFacts } from './sessions.js';
import type { TrafficClass } from './traffic-class.js';
import type { TransitionLabel } from './transition.js';

/** A finished flow with its transition label and traffic class (all a flow past the retention bound gets). */
export interface ClassifiedFlow {
  flow: Flow;
  label: TransitionLabel;
  cls: TrafficClass;
}

/**
 * What a flow is to the verdicts: traffic that must be protected, or something that is not a session between
 * clients (tunnel carriers, IKE/AuthIP, ESP, neighbour discovery, ICMPv6 errors answering another flow, Teredo
 * bubbles, link-local name resolution and DHCPv6).
 */
export type FlowKind = 'traffic' | 'ike' | 'esp' | 'neighbour-discovery' | 'icmp-errors' | 'bubbles' | 'name-resolution' | 'carrier';

/** An ESP SA of the flow and its judgement (classify/esp-null.ts). */
export interface SaJudgement {
  sa: SaStats;
  judgement: EspJudgement;
}

/** A retained flow with everything the rules read: they never re-classify an address or re-parse a byte. */
export interface JudgedFlow extends ClassifiedFlow {
  kind: FlowKind;
  /** Originator and responder: address class and role. */
  orig: EndpointFacts;
  resp: EndpointFacts;
  service: Service;
  /** How the session went (TCP and UDP only). */
  state: StateFacts | null;
  /** The carriers of the flow, outermost first, e.g. ["ipv4", "tcp/443 tls(TLS_RSA_WITH_NULL_SHA) ip-https"]. */
  carriers: string[];
  /** Its ESP SAs, each judged once. */
  esp: SaJudgement[];
}
