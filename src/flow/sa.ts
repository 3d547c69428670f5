/** Per-SA statistics and the samples the ESP-NULL test needs (RFC 4303 §2; RFC 5879 §3: judge per SA, over several packets). */

/** A sampled ESP packet: from the SPI to the end of the IP payload, with the addresses its checksums would use. */
export interface EspSample {
  frame: number;
  /** SPI, sequence, payload, trailer and ICV as captured (at most MAX_SAMPLE_BYTES). */
  bytes: Uint8Array;
  /** False when the capture cut the packet (snaplen), so its trailer is missing. */
  complete: boolean;
  family: 4 | 6;
  /** Source and destination of the IP header that carries the ESP (16 bytes each; IPv4 mapped). */
  src: Uint8Array;
  dst: Uint8Array;
  /** Carried in UDP 4500 (a NAT may have changed the addresses the inner checksum was computed with). */
  udpEncapsulated: boolean;
}

/** Samples kept per SA, and the most bytes copied per sample: bounded whatever the traffic. */
export const MAX_SAMPLES = 16;
/** Cut samples kept: the snaplen test reads the start of the payload of at least 8 (classify/esp-null.ts). */
export const MAX_CUT_SAMPLES = 8;
export const MAX_SAMPLE_BYTES = 2048;
/** Payload bytes per packet that feed the randomness histogram, and packets that feed it. */
export const HISTOGRAM_BYTES = 32;
export const HISTOGRAM_PACKETS = 256;

export class SaStats {
  // The fields every packet touches come first (V8 lays fields out as declared): they share one or two cache lines.
  readonly spi: number;
  readonly protocol: 'esp' | 'ah';
  /** True when the SA's packets travel from the flow's originator to its responder. */
  readonly fromOrig: boolean;
  packets = 0;
  bytes = 0;
  lastFrame: number;
  lastSeq: number;
  /** Packets whose ESP payload was cut by the snaplen (the trailer is missing). */
  cutPackets = 0;
  /**
   * The histogram and the samples are full: later packets are only counted (sampleEsp would do nothing). A field
   * set by sampleEsp rather than a getter, so that checking it per packet does not read the histogram and samples.
   */
  sampled = false;
  firstFrame: number;
  firstSeq: number;
  readonly samples: EspSample[] = [];
  /**
   * Counts of the byte values at payload offsets 0–31 (right after SPI and sequence number) of the first
   * HISTOGRAM_PACKETS packets: ciphertext (or an IV) there is uniform; a NULL-encrypted TCP/UDP header is not.
   */
  readonly histogram: Uint32Array | null;
  histogramBytes = 0;
  histogramPackets = 0;
  /** Samples cut by the snaplen, of `samples` (at most MAX_CUT_SAMPLES). */
  private cutSamples = 0;

  constructor(protocol: 'esp' | 'ah', spi: number, fromOrig: boolean, frame: number, seq: number) {
    this.protocol = protocol;
    this.spi = spi;
    this.fromOrig = fromOrig;
    this.firstFrame = frame;
    this.lastFrame = frame;
    this.firstSeq = seq;
    this.lastSeq = seq;
    this.histogram = protocol === 'esp' ? new Uint32Array(256) : null;
  }

  /** Adds one ESP packet (buf[start, end) from the SPI on) to the histogram and, while room is left, to the samples. */
  sampleEsp(buf: Uint8Array, start: number, end: number, complete: boolean, frame: number, family: 4 | 6,
    src: Uint8Array | null, dst: Uint8Array | null, udpEncapsulated: boolean): void {
    const h = this.histogram;
    if (h !== null && this.histogramPackets < HISTOGRAM_PACKETS) {
      const stop = Math.min(end, start + 8 + HISTOGRAM_BYTES);
      for (let i = start + 8; i < stop; i++) h[buf[i]!]!++;
      this.histogramBytes += Math.max(0, stop - start - 8);
      this.histogramPackets++;
    }
    if (src !== null && dst !== null && this.wantsSample(complete)) {
      if (!complete) this.cutSamples++;
      this.samples.push({
        frame, bytes: buf.slice(start, Math.min(end, start + MAX_SAMPLE_BYTES)), complete: complete && end - start <= MAX_SAMPLE_BYTES,
        family, src, dst, udpEncapsulated,
      });
    }
    this.sampled = (h === null || this.histogramPackets >= HISTOGRAM_PACKETS) && this.samples.length >= MAX_SAMPLES;
  }

  /** Whether another sample would be kept (so the caller can skip building its addresses). */
  wantsSample(complete: boolean): boolean {
    return this.samples.length < MAX_SAMPLES && (complete || this.cutSamples < MAX_CUT_SAMPLES);
  }
}
