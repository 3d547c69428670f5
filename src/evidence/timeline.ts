/** The packets a verdict's timeline shows per direction: first and last packet of each IPsec SA, and of the traffic without IPsec. */

import type { JudgedFlow } from '../classify/classified-flow.js';
import type { VerdictRecord } from '../rules/types.js';
import { hex32, sameBytes } from '../util/bytes.js';

/** A → B and B → A: the record's `a` and `b`; `clear`: a flow without IPsec (both directions: flows do not count frames per direction). */
export type Lane = 'A → B' | 'B → A' | 'no IPsec';

export interface DirectionMark {
  lane: Lane;
  frame: number;
  label: string;
}

/**
 * For each ESP/AH SA of the record's flows, its first and last packet on the lane of its direction; for its traffic
 * flows without IPsec, their first and last packet. The same packets captured again (another interface or carrier:
 * the same SPI and direction, or clear flows of one record) count once, from the earliest first to the latest last.
 * `judged`: the analysis's retained flows by id, built once per capture (a capture may have many flows and records).
 */
export function directionMarks(judged: ReadonlyMap<number, JudgedFlow>, r: VerdictRecord): DirectionMark[] {
  const sas = new Map<string, { lane: Lane; name: string; first: number; last: number }>();
  // Frames are numbered from 1: last 0 means no flow without IPsec.
  const clear = { first: Infinity, last: 0 };
  for (const id of r.flows) {
    const j = judged.get(id);
    if (j === undefined) continue;
    const f = j.flow;
    const origIsA = sameBytes(f.origAddr, r.a.address);
    for (const sa of f.sas ?? []) {
      const lane: Lane = sa.fromOrig === origIsA ? 'A → B' : 'B → A';
      const name = `${sa.protocol.toUpperCase()} SPI ${hex32(sa.spi)}`;
      const key = `${lane} ${name}`;
      const seen = sas.get(key);
      sas.set(key, { lane, name, first: Math.min(seen?.first ?? Infinity, sa.firstFrame), last: Math.max(seen?.last ?? 0, sa.lastFrame) });
    }
    if (j.kind === 'traffic' && (f.sas === null || f.sas.length === 0)) {
      clear.first = Math.min(clear.first, f.firstFrame);
      clear.last = Math.max(clear.last, f.lastFrame);
    }
  }
  const marks: DirectionMark[] = [];
  for (const s of sas.values()) {
    marks.push({ lane: s.lane, frame: s.first, label: `first ${s.name} packet` });
    if (s.last !== s.first) marks.push({ lane: s.lane, frame: s.last, label: `last ${s.name} packet` });
  }
  if (clear.last > 0) {
    marks.push({ lane: 'no IPsec', frame: clear.first, label: 'first packet without IPsec' });
    if (clear.last !== clear.first) marks.push({ lane: 'no IPsec', frame: clear.last, label: 'last packet without IPsec' });
  }
  return marks;
}
