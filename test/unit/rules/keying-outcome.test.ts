/** rules/keying-outcome.ts: ESP both ways after a negotiation whose end the capture lacks means it did not fail. */

import { describe, expect, it } from 'vitest';
import type { IkeNegotiation, IkeOutcomeState } from '../../../src/app/ike-negotiations.js';
import { EspAfter, END_NOT_SEEN, endNotSeenReason } from '../../../src/rules/keying-outcome.js';
import { hex } from '../../../src/util/bytes.js';
import { ip6 } from '../../helpers/build.js';
import { ciphertext, CLIENT_A, CLIENT_B, flow, withSa } from '../../helpers/flows.js';

/** An AuthIP negotiation from A to B over frames 1–5, in the given state. */
function negotiation(state: IkeOutcomeState, initiator = CLIENT_A, responder = CLIENT_B): IkeNegotiation {
  return {
    protocol: 'AuthIP', initiator: { address: hex(ip6(initiator)), port: 500 }, responder: { address: hex(ip6(responder)), port: 500 },
    initiatorSpi: '01', responderSpi: '02', flowIds: [], messages: [], authMethods: ['Kerberos'], gss: [],
    vendorIds: { initiator: [], responder: [] }, notifyErrors: [], firstFrame: 1, lastFrame: 5, messagesNotKept: 0,
    outcome: { state, reason: 'Main Mode #1–#4 went through in clear (frames 1–4) but no encrypted Main Mode message followed from both sides: Quick Mode failed after authentication.', frames: [1, 2, 3, 4] },
  };
}

/** An ESP flow between A and B (orig A), with an SA each way that starts at the frames given (null: none that way). */
function espFlow(aToB: number | null, bToA: number | null, a = CLIENT_A, b = CLIENT_B): ReturnType<typeof flow> {
  const r = flow({ proto: 50, a, b, first: 6, last: 30 });
  if (aToB !== null) withSa(r, 0x1000, true, ciphertext(3, 1), aToB);
  if (bToA !== null) withSa(r, 0x2000, false, ciphertext(3, 2), bToA);
  return r;
}

describe('EspAfter', () => {
  it('ESP both ways after an unfinished or failed-looking negotiation: end-not-seen, with the statement that says so', () => {
    for (const state of ['failed-after-authentication', 'in-progress'] as const) {
      const n = negotiation(state);
      expect(new EspAfter([espFlow(6, 7).flow]).outcome(n)).toBe(END_NOT_SEEN);
      expect(endNotSeenReason(n)).toMatchObject({ code: 'keying.end_not_seen', frames: [1, 5] });
      expect(endNotSeenReason(n).text).toContain(`its messages alone read as ${state}`);
    }
  });
  it('whichever side the flow was first seen from (the responder may send first)', () => {
    expect(new EspAfter([espFlow(6, 7, CLIENT_B, CLIENT_A).flow]).outcome(negotiation('in-progress'))).toBe(END_NOT_SEEN);
  });
  it('keeps the messages\' state when the ESP goes one way, ended before the negotiation did, or joins other addresses', () => {
    const n = negotiation('failed-after-authentication');
    expect(new EspAfter([espFlow(6, null).flow]).outcome(n)).toBe('failed-after-authentication');
    expect(new EspAfter([espFlow(1, 2).flow]).outcome(n)).toBe('failed-after-authentication');
    expect(new EspAfter([espFlow(6, 7, CLIENT_A, 'fe80::99').flow]).outcome(n)).toBe('failed-after-authentication');
    expect(new EspAfter([]).outcome(n)).toBe('failed-after-authentication');
  });
  it('never overrides an outcome the messages decided: complete, no response, a Notify', () => {
    for (const state of ['complete', 'no-response', 'notify-error'] as const) expect(new EspAfter([espFlow(6, 7).flow]).outcome(negotiation(state))).toBe(state);
  });
});
