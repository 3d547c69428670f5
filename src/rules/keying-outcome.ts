/**
 * A negotiation's outcome as the whole capture shows it (protocols.md §7; RFC 4301 §4.4.2): ESP flowing both ways
 * after a negotiation whose end the capture lacks means its SAs are in use, so it completed out of sight. Decided
 * here once, for the verify report (pair by pair) and the summary (every negotiation) alike.
 */

import type { IkeNegotiation } from '../app/ike-negotiations.js';
import { reason, type Reason } from '../classify/reasons.js';
import type { Flow } from '../flow/flow.js';
import { hex } from '../util/bytes.js';

/** The outcome of a negotiation whose end the capture does not show, with ESP both ways after it: it did not fail. */
export const END_NOT_SEEN = 'end-not-seen';

/** The states whose messages leave the end open, which the ESP after them can refute. */
function endOpen(n: IkeNegotiation): boolean {
  return n.outcome.state === 'failed-after-authentication' || n.outcome.state === 'in-progress';
}

function pairKey(x: string, y: string): string {
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

/** The flows that carry ESP, by their two addresses: built once, so that each negotiation looks up only its own. */
export class EspAfter {
  private readonly byPair = new Map<string, Flow[]>();

  constructor(flows: Iterable<Flow>) {
    for (const f of flows) {
      if (f.sas === null || !f.sas.some((sa) => sa.protocol === 'esp')) continue;
      const k = pairKey(hex(f.origAddr), hex(f.respAddr));
      const list = this.byPair.get(k);
      if (list) list.push(f);
      else this.byPair.set(k, [f]);
    }
  }

  /** ESP SAs between the negotiation's two addresses carry packets in both directions after its last message. */
  bothWaysAfter(n: IkeNegotiation): boolean {
    const directions = new Set<boolean>();
    for (const f of this.byPair.get(pairKey(n.initiator.address, n.responder.address)) ?? []) {
      const origIsInitiator = hex(f.origAddr) === n.initiator.address;
      for (const sa of f.sas ?? []) {
        if (sa.protocol === 'esp' && sa.lastFrame > n.lastFrame) directions.add(sa.fromOrig === origIsInitiator);
      }
    }
    return directions.size === 2;
  }

  /** The negotiation's outcome: its messages' state, or END_NOT_SEEN when they leave the end open and ESP both ways refutes that. */
  outcome(n: IkeNegotiation): string {
    return endOpen(n) && this.bothWaysAfter(n) ? END_NOT_SEEN : n.outcome.state;
  }
}

/** The statement of a negotiation whose outcome is END_NOT_SEEN. */
export function endNotSeenReason(n: IkeNegotiation): Reason {
  return reason('keying.end_not_seen', { protocol: n.protocol, state: n.outcome.state, firstFrame: n.firstFrame, lastFrame: n.lastFrame }, [n.firstFrame, n.lastFrame]);
}
