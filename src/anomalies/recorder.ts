/** Counts anomalies per capture and keeps the first frames of each, allocation-free on the hot path. */

import { ANOMALY_CODE_LIMIT, anomalyDef, type AnomalyDef } from './registry.js';

/** How many example frame numbers are kept per anomaly. */
export const EXAMPLE_FRAMES = 5;

export interface AnomalyCount {
  def: AnomalyDef;
  count: number;
  /** Up to {@link EXAMPLE_FRAMES} frame numbers, in order; 0 stands for "not tied to a frame". */
  frames: number[];
}

export class AnomalyRecorder {
  private readonly counts = new Float64Array(ANOMALY_CODE_LIMIT);
  private readonly examples = new Int32Array(ANOMALY_CODE_LIMIT * EXAMPLE_FRAMES);

  record(code: number, frame: number): void {
    const n = this.counts[code]!;
    if (n < EXAMPLE_FRAMES) this.examples[code * EXAMPLE_FRAMES + n] = frame;
    this.counts[code] = n + 1;
  }

  count(code: number): number {
    return this.counts[code]!;
  }

  /** Anomalies seen, in code order. */
  list(): AnomalyCount[] {
    const out: AnomalyCount[] = [];
    for (let code = 0; code < ANOMALY_CODE_LIMIT; code++) {
      const count = this.counts[code]!;
      if (count === 0) continue;
      const frames: number[] = [];
      for (let i = 0; i < Math.min(count, EXAMPLE_FRAMES); i++) frames.push(this.examples[code * EXAMPLE_FRAMES + i]!);
      out.push({ def: anomalyDef(code), count, frames });
    }
    return out;
  }
}
