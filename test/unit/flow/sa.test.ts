/** SaStats (src/flow/sa.ts; RFC 4303 §2, RFC 5879 §3): the samples and histogram the ESP-NULL test reads, bounded whatever the traffic. */

import { describe, expect, it } from 'vitest';
import { HISTOGRAM_BYTES, HISTOGRAM_PACKETS, MAX_CUT_SAMPLES, MAX_SAMPLES, SaStats } from '../../../src/flow/sa.js';

const A = new Uint8Array(16).fill(1);
const B = new Uint8Array(16).fill(2);
const esp = (i: number, n = 100): Uint8Array => Uint8Array.from({ length: n }, (_, k) => (i * 7 + k) & 0xff);

describe('SaStats', () => {
  it('keeps at most MAX_SAMPLES samples and HISTOGRAM_PACKETS packets of histogram, then says it is sampled', () => {
    const sa = new SaStats('esp', 0x100, true, 1, 1);
    for (let i = 0; i < 300; i++) {
      expect(sa.sampled, `packet ${i}`).toBe(i >= HISTOGRAM_PACKETS);
      sa.sampleEsp(esp(i), 0, 100, true, i + 1, 6, A, B, false);
    }
    expect(sa.samples.map((s) => s.frame)).toEqual(Array.from({ length: MAX_SAMPLES }, (_, i) => i + 1));
    expect([sa.histogramPackets, sa.histogramBytes]).toEqual([HISTOGRAM_PACKETS, HISTOGRAM_PACKETS * HISTOGRAM_BYTES]);
    expect(sa.histogram!.reduce((a, b) => a + b, 0)).toBe(HISTOGRAM_PACKETS * HISTOGRAM_BYTES);
  });

  it('keeps at most MAX_CUT_SAMPLES cut samples, and still takes complete ones after them', () => {
    const sa = new SaStats('esp', 0x100, true, 1, 1);
    for (let i = 0; i < 10; i++) {
      expect(sa.wantsSample(false)).toBe(i < MAX_CUT_SAMPLES);
      sa.sampleEsp(esp(i), 0, 60, false, i + 1, 4, A, B, false);
    }
    expect(sa.samples.filter((s) => !s.complete)).toHaveLength(MAX_CUT_SAMPLES);
    expect(sa.wantsSample(true)).toBe(true);
    for (let i = 10; i < 40; i++) sa.sampleEsp(esp(i), 0, 100, true, i + 1, 4, A, B, false);
    expect(sa.samples).toHaveLength(MAX_SAMPLES);
    expect(sa.samples.filter((s) => s.complete)).toHaveLength(MAX_SAMPLES - MAX_CUT_SAMPLES);
    expect([sa.wantsSample(true), sa.wantsSample(false)]).toEqual([false, false]);
  });

  it('without a histogram (AH), sampled only needs the samples full', () => {
    const sa = new SaStats('ah', 0x200, false, 1, 1);
    expect(sa.histogram).toBeNull();
    for (let i = 0; i < MAX_SAMPLES; i++) {
      expect(sa.sampled).toBe(false);
      sa.sampleEsp(esp(i), 0, 100, true, i + 1, 6, A, B, false);
    }
    expect([sa.sampled, sa.histogramPackets]).toEqual([true, 0]);
  });
});
