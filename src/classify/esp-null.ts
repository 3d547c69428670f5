/**
 * Is this ESP SA encrypted? The ESP-NULL test of RFC 5879 §3–§5 run per SA over sampled packets:
 * for each candidate IV (0; 8 for AES-GMAC, RFC 4543) and ICV length (0, 8, 12, 16, 20, 24, 32) check
 * the trailer (padding 1, 2, …, pad length, a plausible next header, RFC 4303 §2.4–2.6), parse the
 * supposed inner header, and verify its checksum over the pseudo-header: a verified checksum is
 * decisive (protocols.md §3.5). The randomness of the payload bytes is the second signal.
 */

import type { EspSample, SaStats } from '../flow/sa.js';
import { u16be } from '../util/bytes.js';
import { foldComplement, onesSum } from '../util/checksum.js';

/** ICV lengths to try, most common first (HMAC-SHA1-96/MD5-96, then SHA-256-128 / GMAC / GCM, …). */
const ICV_LENGTHS = [12, 16, 0, 8, 20, 24, 32];
/** IV lengths: 0 for ENCR_NULL, 8 for ENCR_NULL_AUTH_AES_GMAC. */
const IV_LENGTHS = [0, 8];
/** Next headers a transport- or tunnel-mode ESP payload plausibly carries. */
const PLAUSIBLE_NEXT = new Set([1, 4, 6, 17, 41, 58, 59]);

export type Proof = 'checksum' | 'structure' | 'trailer';

/** One way a sample reads as NULL-encrypted. */
export interface NullReading {
  frame: number;
  ivLength: number;
  icvLength: number;
  nextHeader: number;
  padLength: number;
  proof: Proof;
  /** The plaintext payload inside the ESP packet (offsets into the sample's bytes). */
  payloadStart: number;
  payloadEnd: number;
}

export type EspVerdict = 'encrypted' | 'null' | 'inconclusive';
export type Randomness = 'uniform' | 'skewed' | 'unknown';

export interface EspJudgement {
  spi: number;
  verdict: EspVerdict;
  confidence: 'high' | 'medium' | 'low';
  /** Plain sentences, each naming its frames. */
  reasons: string[];
  decidingFrames: number[];
  /** For ESP-NULL: the trailer layout that verified, and the readings per sample. */
  reading: NullReading | null;
  readings: NullReading[];
  completeSamples: number;
  cutSamples: number;
  chiSquare: number | null;
  randomness: Randomness;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 4: 'IPv4', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 58: 'ICMPv6', 59: 'no next header' };

/** Reads one complete sample as ESP-NULL if any candidate layout fits; the strongest proof wins. */
export function readAsNull(s: EspSample): NullReading | null {
  const b = s.bytes;
  const n = b.length;
  let best: NullReading | null = null;
  for (const iv of IV_LENGTHS) {
    for (const icv of ICV_LENGTHS) {
      const off = n - icv - 2; // pad length byte; next header at off + 1
      if (off < 8 + iv) continue;
      const padLength = b[off]!;
      const nextHeader = b[off + 1]!;
      if (!PLAUSIBLE_NEXT.has(nextHeader)) continue;
      const payloadEnd = off - padLength;
      if (payloadEnd < 8 + iv) continue;
      // RFC 4303 §2.4: the default padding is the sequence 1, 2, 3, …
      let padOk = true;
      for (let k = 0; k < padLength && padOk; k++) padOk = b[payloadEnd + k] === k + 1;
      if (!padOk) continue;
      const payloadStart = 8 + iv;
      const proof = innerProof(s, nextHeader, payloadStart, payloadEnd);
      if (proof === null) continue;
      const r: NullReading = { frame: s.frame, ivLength: iv, icvLength: icv, nextHeader, padLength, proof, payloadStart, payloadEnd };
      if (proof === 'checksum') return r;
      if (best === null || rank(proof) > rank(best.proof)) best = r;
    }
  }
  return best;
}

function rank(p: Proof): number {
  return p === 'checksum' ? 3 : p === 'structure' ? 2 : 1;
}

/** Parses the supposed inner header; null when it cannot be one, else how strongly it proves plaintext. */
function innerProof(s: EspSample, nh: number, start: number, end: number): Proof | null {
  const b = s.bytes;
  const len = end - start;
  switch (nh) {
    case 6: {
      if (len < 20) return null;
      const hlen = (b[start + 12]! >> 4) * 4;
      if (hlen < 20 || hlen > len) return null;
      return checksumOk(s, 6, start, end) ? 'checksum' : 'structure';
    }
    case 17: {
      if (len < 8 || u16be(b, start + 4) !== len) return null;
      const sum = u16be(b, start + 6);
      if (sum === 0) return s.family === 4 ? 'structure' : null; // IPv6 UDP must carry a checksum (RFC 8200 §8.1)
      return checksumOk(s, 17, start, end) ? 'checksum' : 'structure';
    }
    case 58:
      if (len < 4) return null;
      return checksumOk(s, 58, start, end) ? 'checksum' : 'structure';
    case 1:
      if (len < 8) return null;
      return foldComplement(onesSum(b, start, end, 0)) === 0 ? 'checksum' : 'structure';
    case 4: {
      if (len < 20 || b[start]! >> 4 !== 4 || u16be(b, start + 2) !== len) return null;
      const ihl = (b[start]! & 15) * 4;
      if (ihl < 20 || ihl > len) return null;
      return foldComplement(onesSum(b, start, start + ihl, 0)) === 0 ? 'checksum' : 'structure';
    }
    case 41:
      if (len < 40 || b[start]! >> 4 !== 6 || 40 + u16be(b, start + 4) !== len) return null;
      return 'structure';
    case 59:
      return 'trailer';
    default:
      return null;
  }
}

/** TCP/UDP/ICMPv6 checksum over the carrying IP header's pseudo-header (RFC 793, RFC 768, RFC 8200 §8.1). */
function checksumOk(s: EspSample, proto: number, start: number, end: number): boolean {
  const len = end - start;
  let sum: number;
  if (s.family === 6) {
    sum = onesSum(s.src, 0, 16, 0);
    sum = onesSum(s.dst, 0, 16, sum);
    sum += Math.floor(len / 0x10000) + (len & 0xffff) + proto;
  } else {
    sum = onesSum(s.src, 12, 16, 0);
    sum = onesSum(s.dst, 12, 16, sum);
    sum += proto + len;
  }
  return foldComplement(onesSum(s.bytes, start, end, sum)) === 0;
}

/**
 * χ² of the sampled payload bytes against a uniform distribution (255 degrees of freedom, mean 255,
 * standard deviation ≈ 22.6). Ciphertext and random IVs stay near the mean; clear headers do not.
 */
export function randomness(sa: SaStats): { chiSquare: number | null; verdict: Randomness } {
  const h = sa.histogram;
  if (h === null || sa.histogramBytes < 512) return { chiSquare: null, verdict: 'unknown' };
  const expected = sa.histogramBytes / 256;
  let chi = 0;
  for (let i = 0; i < 256; i++) chi += (h[i]! - expected) ** 2 / expected;
  chi = Math.round(chi * 10) / 10;
  return { chiSquare: chi, verdict: chi < 255 + 5 * 22.6 ? 'uniform' : chi > 255 + 12 * 22.6 ? 'skewed' : 'unknown' };
}

function framesText(frames: number[]): string {
  return frames.length === 1 ? `frame ${frames[0]}` : `frames ${frames.slice(0, 6).join(', ')}${frames.length > 6 ? ', …' : ''}`;
}

/** Judges one ESP SA from its samples and histogram. */
export function judgeEsp(sa: SaStats): EspJudgement {
  const complete = sa.samples.filter((s) => s.complete);
  const cut = sa.samples.length - complete.length;
  const readings = complete.map(readAsNull).filter((r): r is NullReading => r !== null);
  const rnd = randomness(sa);
  const base = { spi: sa.spi, readings, completeSamples: complete.length, cutSamples: cut, chiSquare: rnd.chiSquare, randomness: rnd.verdict };
  const proved = readings.filter((r) => r.proof === 'checksum');
  if (proved.length > 0) {
    const r = proved[0]!;
    const frames = proved.map((x) => x.frame);
    return {
      ...base, verdict: 'null', confidence: 'high', reading: r, decidingFrames: frames,
      reasons: [`ESP with NULL encryption (RFC 2410): in ${framesText(frames)} the trailer is valid with a ${r.icvLength}-byte ICV${r.ivLength ? ` and an ${r.ivLength}-byte IV (AES-GMAC)` : ''}, pad length ${r.padLength}, next header ${r.nextHeader} (${PROTOCOL_NAMES[r.nextHeader] ?? r.nextHeader}), and the ${PROTOCOL_NAMES[r.nextHeader]} checksum inside verifies over the IP pseudo-header: the payload is plaintext`],
    };
  }
  // Structure alone: the same layout in most packets, and a payload that is not random.
  const layouts = new Map<string, NullReading[]>();
  for (const r of readings.filter((x) => x.proof === 'structure')) {
    const key = `${r.ivLength}/${r.icvLength}/${r.nextHeader}`;
    layouts.set(key, [...(layouts.get(key) ?? []), r]);
  }
  const common = [...layouts.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  // A random packet passes the trailer and header checks about once in a thousand; the same layout in
  // two or more packets, and in most of them, is not chance.
  if (common.length >= 2 && common.length * 2 >= complete.length) {
    const r = common[0]!;
    const frames = common.map((x) => x.frame);
    const rndText = rnd.verdict === 'skewed' ? `, and the payload bytes are not random (χ² ${rnd.chiSquare})` : '';
    return {
      ...base, verdict: 'null', confidence: 'medium', reading: r, decidingFrames: frames,
      reasons: [`ESP with NULL encryption (RFC 2410), by structure: ${common.length} of ${complete.length} complete packets (${framesText(frames)}) have a valid trailer with a ${r.icvLength}-byte ICV and a well-formed ${PROTOCOL_NAMES[r.nextHeader]} header inside${rndText}; no checksum could be verified${complete.some((s) => s.udpEncapsulated) ? ' (UDP-encapsulated: a NAT changes the addresses the checksum covers)' : ' (checksum offload on the sender leaves it unset)'}`],
    };
  }
  const structural = readings.filter((x) => x.proof !== 'trailer');
  if (structural.length > 0 && structural.length * 2 >= complete.length) {
    // Too few packets to tell a real ESP-NULL packet with an unset checksum from a chance match.
    const frames = structural.map((x) => x.frame);
    return {
      ...base, verdict: 'inconclusive', confidence: 'low', reading: structural[0]!, decidingFrames: frames,
      reasons: [`${framesText(frames)} read(s) as ESP-NULL by structure but no checksum inside verifies, and there are too few complete packets (${complete.length}) to rule NULL encryption in or out`],
    };
  }
  if (complete.length === 0) {
    const why = cut > 0 ? `the snaplen cut ${sa.cutPackets === sa.packets ? 'every one' : `${sa.cutPackets}`} of its ${sa.packets} packet(s) (frames ${sa.firstFrame}–${sa.lastFrame}), so the trailer and ICV are not in the capture` : 'no packet of this SA was sampled';
    return { ...base, verdict: 'inconclusive', confidence: 'low', reading: null, decidingFrames: sa.samples.map((s) => s.frame).slice(0, 6), reasons: [`cannot tell NULL from real encryption: ${why}`] };
  }
  const frames = complete.map((s) => s.frame);
  const chance = readings.length > 0 ? `; the other ${readings.length} (${framesText(readings.map((r) => r.frame))}) ${readings.length === 1 ? 'ends' : 'end'} in what looks like a valid ESP-NULL trailer, by chance: no checksum inside verifies and no layout repeats` : '';
  const rndText = rnd.verdict === 'uniform' ? `, and its payload bytes are uniformly random (χ² ${rnd.chiSquare} over ${sa.histogramBytes} bytes)`
    : rnd.verdict === 'skewed' ? `, although its payload bytes are not uniform (χ² ${rnd.chiSquare}: a counter IV or short packets)` : '';
  const confidence = complete.length >= 3 && rnd.verdict === 'uniform' ? 'high' : complete.length >= 3 || rnd.verdict === 'uniform' ? 'medium' : 'low';
  return {
    ...base, verdict: 'encrypted', confidence, reading: null, decidingFrames: frames.slice(0, 8),
    reasons: [readings.length === 0
      ? `ciphertext: none of ${complete.length} complete packet(s) (${framesText(frames)}) reads as ESP-NULL for any ICV length 0–32 and IV 0 or 8${rndText}`
      : `ciphertext: ${complete.length - readings.length} of ${complete.length} complete packet(s) (${framesText(frames)}) read as ESP-NULL for no ICV length 0–32 and IV 0 or 8${chance}${rndText}`],
  };
}
