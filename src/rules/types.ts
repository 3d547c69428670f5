/** Verdicts, evidence and findings (architecture §3 "Finding", issue "Encryption verdicts"). */

/**
 * The network-layer protection of traffic between two DirectAccess clients, as the connection security
 * rule requires it (AuthIP with Kerberos, then ESP with encryption). RDP's own security is a fact beside
 * it, never a substitute.
 */
export type Verdict = 'encrypted' | 'integrity-only' | 'clear' | 'failed' | 'inconclusive';

export const VERDICT_ORDER: Verdict[] = ['clear', 'integrity-only', 'failed', 'inconclusive', 'encrypted'];

export interface Evidence {
  frame: number;
  what: string;
}

/** One endpoint: its 16-byte address (IPv4 mapped) and port (0 when none). */
export interface Endpoint {
  address: Uint8Array;
  port: number;
}

/** What the traffic is, and why we think so. */
export interface Service {
  /** 'remote-assistance', 'remote-assistance-helper', or a port-derived name ('smb', 'http', …), or 'unknown'. */
  name: string;
  /** How it was identified: a plain sentence with frames, or why it cannot be. */
  basis: string;
  frames: number[];
}

export type SessionState = 'established' | 'established-before-capture' | 'refused' | 'reset' | 'unanswered' | 'unreachable' | 'one-way' | 'answered' | 'unknown';

export interface NegotiationLink {
  protocol: string;
  initiator: Uint8Array;
  outcome: string;
  reason: string;
  authMethods: string[];
  frames: number[];
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
  verdict: Verdict;
  /** Plain sentences: the facts that decided the verdict, each with its frames. */
  reasons: string[];
  /** Facts beside the verdict (RDP's own security, negotiation, one-way ESP, …). */
  notes: string[];
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
