/** Verdicts, evidence and findings (architecture §3 "Finding", issue "Encryption verdicts"). */

import type { Reason } from '../classify/reasons.js';
import type { EndpointFacts } from '../classify/roles.js';
import type { Service, SessionState } from '../classify/sessions.js';

export type { Reason, Service, SessionState };

/**
 * The network-layer protection of traffic between two DirectAccess clients, as the connection security
 * rule requires it (AuthIP with Kerberos, then ESP with encryption). RDP's own security is a fact beside
 * it, never a substitute.
 */
export type Verdict = 'encrypted' | 'integrity-only' | 'clear' | 'failed' | 'inconclusive';

export const VERDICT_ORDER: Verdict[] = ['clear', 'integrity-only', 'failed', 'inconclusive', 'encrypted'];

/**
 * What a capture adds up to: `findings` (a session or pair is clear or integrity-only), `incomplete` (something
 * that could carry traffic between clients was not seen or not judged, so "all encrypted" cannot be said),
 * `failed` (sessions were attempted and failed, nothing else), `encrypted` (everything judged between clients was
 * encrypted and nothing was out of sight), `no-client-traffic` (no traffic between clients, and nothing hidden).
 */
export type AuditResult = 'findings' | 'incomplete' | 'failed' | 'encrypted' | 'no-client-traffic';

export interface Evidence {
  frame: number;
  what: string;
}

/** One end of a session or pair: its address, class and role, and port (0 when none). */
export interface Endpoint extends EndpointFacts {
  port: number;
}

export interface NegotiationLink {
  protocol: string;
  initiator: Uint8Array;
  /**
   * The negotiation's outcome for the pair: its state (complete, no-response, notify-error, failed-after-authentication,
   * in-progress), or end-not-seen when ESP flows both ways after a negotiation the capture does not show finished.
   */
  outcome: string;
  /** Its outcome, coded (ike.complete, ike.no_response, authip.notify, …). */
  reason: Reason;
  authMethods: string[];
  frames: number[];
  firstFrame: number;
  lastFrame: number;
}

export interface VerdictRecord {
  kind: 'session' | 'pair';
  a: Endpoint;
  b: Endpoint;
  /** 'tcp', 'udp', 'icmpv6' for sessions; '' for pairs. */
  protocol: string;
  service: Service;
  state: SessionState | null;
  /** The protection path, outermost first, e.g. ["ipv6 link-local", "esp (SPI 0x1a2b3c4d, ciphertext)"]. */
  path: string[];
  /** The SPIs of the ESP and AH SAs that carry any of the record's traffic, both directions, each once. */
  spis: number[];
  verdict: Verdict;
  /** The facts that decided the verdict, coded, each with its frames. */
  reasons: Reason[];
  /** Facts beside the verdict (RDP's own security, negotiation, one-way ESP, …). */
  notes: Reason[];
  /** For a verdict other than `encrypted`: the one statement that names why (the first deciding reason, or the cause the capture shows). */
  cause: Reason | null;
  firstFrame: number;
  lastFrame: number;
  decidingFrames: number[];
  evidence: Evidence[];
  negotiations: NegotiationLink[];
  /** Flow ids behind the record. */
  flows: number[];
}

/** Isolation-policy audit: a unicast flow between clients that should have been IPsec-protected and was not. */
export interface IsolationFinding {
  a: Endpoint;
  b: Endpoint;
  protocol: string;
  what: string;
  frames: number[];
  flow: number;
  /** Flows that captured the same conversation again (another path or carrier). */
  copyFlows: number[];
}
