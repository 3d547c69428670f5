/**
 * Is this ESP SA encrypted? The ESP-NULL test of RFC 5879 §3–§5 run per SA over sampled packets:
 * for each candidate IV (0; 8 for AES-GMAC, RFC 4543) and ICV length (0, 8, 12, 16, 20, 24, 32) check
 * the trailer (padding 1, 2, …, pad length, a plausible next header, RFC 4303 §2.4–2.6), parse the
 * supposed inner header, and verify its checksum over the pseudo-header: a verified checksum is
 * decisive (protocols.md §3.5). The randomness of the payload bytes is the second signal.
 */

import { parseRdpRequest, type RdpRequest } from '../app/rdp.js';
import type { EspSample, SaStats } from '../flow/sa.js';
import { hex32, u16be, u32be } from '../util/bytes.js';
import { foldComplement, onesSum } from '../util/checksum.js';
import { frameSpan, framesText, reason, type FactsOf, type Reason } from './reasons.js';

/** ICV lengths to try, most common first (HMAC-SHA1-96/MD5-96, then SHA-256-128 / GMAC / GCM, …). */
const ICV_LENGTHS = [12, 16, 0, 8, 20, 24, 32];
/** IV lengths: 0 for ENCR_NULL, 8 for ENCR_NULL_AUTH_AES_GMAC. */
const IV_LENGTHS = [0, 8];

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

/** A session read from the plaintext of ESP-NULL packets: its inner ports and, for RDP, the Connection Request. */
export interface NullSession {
  /** 6 (TCP) or 17 (UDP). */
  proto: number;
  sport: number;
  dport: number;
  /** Frames whose plaintext shows it, in order. */
  frames: number[];
  rdp: RdpRequest | null;
}

export interface EspJudgement {
  spi: number;
  verdict: EspVerdict;
  confidence: 'high' | 'medium' | 'low';
  /** Coded statements (esp.null, esp.ciphertext, esp.undetermined), each naming its frames. */
  reasons: Reason[];
  decidingFrames: number[];
  /** For ESP-NULL: the trailer layout that verified, and the readings per sample. */
  reading: NullReading | null;
  readings: NullReading[];
  /** The TCP/UDP sessions visible in the plaintext of ESP-NULL readings (empty unless the verdict is null). */
  sessions: NullSession[];
  completeSamples: number;
  cutSamples: number;
  chiSquare: number | null;
  randomness: Randomness;
}

const PROTOCOL_NAMES: Record<number, string> = {
  0: 'IPv6 hop-by-hop options', 1: 'ICMP', 2: 'IGMP', 4: 'IPv4', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 58: 'ICMPv6', 59: 'no next header', 89: 'OSPF', 103: 'PIM', 132: 'SCTP',
};

/** An IP protocol number's name (IANA), or "protocol N". */
export function protocolName(n: number): string {
  return PROTOCOL_NAMES[n] ?? `protocol ${n}`;
}

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
      // Any IP protocol may be protected (RFC 4303 §2.6); 255 is reserved (IANA). Unknown ones are proved by a repeated trailer only.
      if (nextHeader === 255) continue;
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
    default:
      return 'trailer';
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

/** Payload bytes a cut packet must show (after SPI and sequence) to count for the snaplen test, and packets needed. */
const MIN_VISIBLE = 16;
const MIN_CUT_PACKETS = 8;
/** Histogram bytes below which randomness cannot be judged. */
const MIN_RANDOM_BYTES = 128;

/**
 * χ² of the sampled payload bytes against a uniform distribution (255 degrees of freedom: mean 255, standard
 * deviation ≈ 22.6 — also for sparse samples, where the multinomial variance is 2·255·(1 − 1/n)). Ciphertext and
 * random IVs stay near the mean; clear headers (repeated ports, zero bytes) do not.
 */
export function randomness(sa: SaStats): { chiSquare: number | null; verdict: Randomness } {
  const h = sa.histogram;
  if (h === null || sa.histogramBytes < MIN_RANDOM_BYTES) return { chiSquare: null, verdict: 'unknown' };
  const expected = sa.histogramBytes / 256;
  let chi = 0;
  for (let i = 0; i < 256; i++) chi += (h[i]! - expected) ** 2 / expected;
  chi = Math.round(chi * 10) / 10;
  return { chiSquare: chi, verdict: chi < 255 + 5 * 22.6 ? 'uniform' : chi > 255 + 12 * 22.6 ? 'skewed' : 'unknown' };
}


/**
 * Reads the visible start of cut ESP-NULL packets (the snaplen removed the trailer): a NULL-encrypted transport-mode
 * payload starts with the inner TCP or UDP header, so one SA shows the same ports again and again, TCP data offsets
 * of 5–15 words and sequence numbers that only move forward. Ciphertext shows none of that. Returns the readings of
 * the most common port pair when they are consistent in at least MIN_CUT_PACKETS packets, else null.
 */
function readCutAsNull(cut: EspSample[]): { iv: number; proto: number; frames: number[] } | null {
  for (const iv of IV_LENGTHS) {
    const start = 8 + iv;
    const visible = cut.filter((s) => s.bytes.length >= start + MIN_VISIBLE);
    if (visible.length < MIN_CUT_PACKETS) continue;
    const ports = new Map<number, EspSample[]>();
    for (const s of visible) {
      const key = u32be(s.bytes, start);
      ports.set(key, [...(ports.get(key) ?? []), s]);
    }
    const same = [...ports.values()].sort((a, b) => b.length - a.length)[0]!;
    if (same.length < MIN_CUT_PACKETS || same.length * 2 < visible.length) continue;
    // TCP (RFC 9293 §3.1): data offset 5–15, and the sequence number never goes back by more than a window.
    const tcp = same.every((s) => (s.bytes[start + 12]! >> 4) >= 5) && same.every((s, i) => i === 0
      || ((u32be(s.bytes, start + 4) - u32be(same[i - 1]!.bytes, start + 4)) >>> 0) < 0x4000_0000);
    if (tcp) return { iv, proto: 6, frames: same.map((s) => s.frame) };
    // UDP (RFC 768): the length field stays within an IP packet and above the header size.
    if (same.every((s) => u16be(s.bytes, start + 4) >= 8)) return { iv, proto: 17, frames: same.map((s) => s.frame) };
  }
  return null;
}

/**
 * The TCP and UDP sessions in the plaintext of an ESP-NULL SA, one per port pair, with the RDP Connection Request
 * (TPKT + X.224, MS-RDPBCGR §2.2.1.1) when a TCP payload starts with one: decided here, once, from the sampled bytes.
 */
function nullSessions(sa: SaStats, readings: NullReading[]): NullSession[] {
  const byPorts = new Map<string, NullSession>();
  for (const r of readings) {
    if (r.nextHeader !== 6 && r.nextHeader !== 17) continue;
    const sample = sa.samples.find((x) => x.frame === r.frame);
    if (!sample || r.payloadEnd - r.payloadStart < 8) continue;
    const b = sample.bytes;
    const sport = u16be(b, r.payloadStart);
    const dport = u16be(b, r.payloadStart + 2);
    const key = `${r.nextHeader}|${sport}|${dport}`;
    let s = byPorts.get(key);
    if (!s) byPorts.set(key, s = { proto: r.nextHeader, sport, dport, frames: [], rdp: null });
    s.frames.push(r.frame);
    if (r.nextHeader === 6 && s.rdp === null && r.payloadEnd - r.payloadStart >= 20) {
      s.rdp = parseRdpRequest(b, r.payloadStart + (b[r.payloadStart + 12]! >> 4) * 4, r.payloadEnd, r.frame);
    }
  }
  return [...byPorts.values()];
}

/**
 * Judges one ESP SA from its samples and histogram. `encrypted` needs positive evidence: no repeatable ESP-NULL
 * reading for any next header, ICV and IV length, and uniformly random payload bytes over enough samples (or, when
 * the snaplen cut the trailers, random visible payload starts). Without it the SA is `inconclusive`, with the reason.
 */
export function judgeEsp(sa: SaStats, snaplen = 0): EspJudgement {
  const complete = sa.samples.filter((s) => s.complete);
  const cutSamples = sa.samples.filter((s) => !s.complete);
  const readings = complete.map(readAsNull).filter((r): r is NullReading => r !== null);
  const rnd = randomness(sa);
  const spi = hex32(sa.spi);
  const head = { spi, packets: sa.packets, span: frameSpan(sa.firstFrame, sa.lastFrame) };
  const base = { spi: sa.spi, readings, sessions: [] as NullSession[], completeSamples: complete.length, cutSamples: cutSamples.length, chiSquare: rnd.chiSquare, randomness: rnd.verdict };
  const nullFacts = (r: NullReading, proof: Proof | 'snaplen', frames: number[], pool: number): FactsOf<'esp.null'> => ({
    ...head, frames: framesText(frames), icv: r.icvLength, iv: r.ivLength, pad: r.padLength, nextHeader: r.nextHeader, inner: protocolName(r.nextHeader), proof,
    matching: frames.length, complete: pool, chiSquare: rnd.verdict === 'skewed' ? rnd.chiSquare : null, udpEncapsulated: complete.some((s) => s.udpEncapsulated), snaplen,
  });
  const undetermined = (why: FactsOf<'esp.undetermined'>['why'], frames: number[], reading: NullReading | null = null): EspJudgement => ({
    ...base, verdict: 'inconclusive', confidence: 'low', reading, decidingFrames: frames.slice(0, 8),
    reasons: [reason('esp.undetermined', {
      ...head, why, frames: frames.length > 0 ? framesText(frames) : frameSpan(sa.firstFrame, sa.lastFrame), cut: sa.cutPackets,
      complete: complete.length, bytes: sa.histogramBytes, chiSquare: rnd.chiSquare, snaplen,
    }, frames.slice(0, 8))],
  });
  const proved = readings.filter((r) => r.proof === 'checksum');
  if (proved.length > 0) {
    const frames = proved.map((x) => x.frame);
    return { ...base, sessions: nullSessions(sa, readings), verdict: 'null', confidence: 'high', reading: proved[0]!, decidingFrames: frames, reasons: [reason('esp.null', nullFacts(proved[0]!, 'checksum', frames, complete.length), frames)] };
  }
  // The same layout (IV, ICV, next header) in two or more packets, and in most of them, is not chance: a random
  // packet passes the trailer and header checks about once in a thousand, the trailer alone once in 65,536.
  const layouts = new Map<string, NullReading[]>();
  for (const r of readings) {
    const key = `${r.ivLength}/${r.icvLength}/${r.nextHeader}/${r.proof}`;
    layouts.set(key, [...(layouts.get(key) ?? []), r]);
  }
  const common = [...layouts.values()].sort((a, b) => b.length - a.length || rank(b[0]!.proof) - rank(a[0]!.proof))[0] ?? [];
  const needed = common[0]?.proof === 'trailer' ? 4 : 2;
  if (common.length >= needed && common.length * 2 >= complete.length) {
    const frames = common.map((x) => x.frame);
    return { ...base, sessions: nullSessions(sa, readings), verdict: 'null', confidence: 'medium', reading: common[0]!, decidingFrames: frames, reasons: [reason('esp.null', nullFacts(common[0]!, common[0]!.proof, frames, complete.length), frames)] };
  }
  const structural = readings.filter((x) => x.proof !== 'trailer');
  if (structural.length > 0 && structural.length * 2 >= complete.length) {
    // Too few packets to tell a real ESP-NULL packet with an unset checksum from a chance match.
    return undetermined('ambiguous', structural.map((x) => x.frame), structural[0]!);
  }
  if (complete.length === 0) {
    if (sa.samples.length === 0) return undetermined('not_sampled', []);
    // The snaplen cut every sampled packet: the start of the payload can still decide (issue 12 item 5).
    const cutRead = readCutAsNull(cutSamples);
    if (cutRead) {
      const r: NullReading = { frame: cutRead.frames[0]!, ivLength: cutRead.iv, icvLength: 0, nextHeader: cutRead.proto, padLength: 0, proof: 'structure', payloadStart: 8 + cutRead.iv, payloadEnd: 8 + cutRead.iv };
      const facts = { ...nullFacts(r, 'snaplen', cutRead.frames, cutSamples.length), icv: 0 };
      return { ...base, verdict: 'null', confidence: 'medium', reading: r, decidingFrames: cutRead.frames, reasons: [reason('esp.null', facts, cutRead.frames)] };
    }
    const visible = cutSamples.filter((s) => s.bytes.length >= 8 + MIN_VISIBLE);
    const frames = cutSamples.map((s) => s.frame);
    if (visible.length < MIN_CUT_PACKETS) return undetermined('snaplen', frames);
    if (rnd.verdict !== 'uniform') return undetermined('too_little_visible', frames);
    return {
      ...base, verdict: 'encrypted', confidence: 'medium', reading: null, decidingFrames: frames.slice(0, 8),
      reasons: [reason('esp.ciphertext', { ...head, frames: framesText(frames), complete: 0, chance: 0, chanceFrames: '', chiSquare: rnd.chiSquare, bytes: sa.histogramBytes, snaplen, cut: cutSamples.length }, frames.slice(0, 8))],
    };
  }
  const frames = complete.map((s) => s.frame);
  if (complete.every((s) => s.bytes.length <= 8)) return undetermined('no_payload', frames);
  if (rnd.verdict === 'unknown' && rnd.chiSquare === null) return undetermined('too_few', frames);
  if (rnd.verdict !== 'uniform') return undetermined('not_random', frames);
  const confidence = complete.length >= 8 ? 'high' : 'medium';
  return {
    ...base, verdict: 'encrypted', confidence, reading: null, decidingFrames: frames.slice(0, 8),
    reasons: [reason('esp.ciphertext', {
      ...head, frames: framesText(frames), complete: complete.length, chance: readings.length, chanceFrames: framesText(readings.map((r) => r.frame)),
      chiSquare: rnd.chiSquare, bytes: sa.histogramBytes, snaplen, cut: 0,
    }, frames.slice(0, 8))],
  };
}
