/**
 * Structure-aware mutator for the fuzz harness (docs/reliability.md): it knows where the record and block lengths,
 * interface ids and options of pcap/pcapng (draft-ietf-opsawg-pcapng) lie, and where the length fields of the
 * IPv4/IPv6/TCP/UDP/ESP/AH/ISAKMP/TLS/DNS headers inside each packet are, and aims its changes there.
 */
import { gzipSync } from 'node:zlib';
import { AnomalyRecorder } from '../../src/anomalies/recorder.js';
import { readCapture } from '../../src/capture/open.js';
import { dissectSafely } from '../../src/decode/dissect.js';
import { Layer } from '../../src/decode/layers.js';
import { PacketView } from '../../src/decode/packet-view.js';
import { concat, Prng } from '../helpers/build.js';

/** A field worth changing: where, how wide, in which byte order, and what it is (for the report of a finding). */
export interface Site {
  off: number;
  width: 1 | 2 | 4;
  le: boolean;
  what: string;
}

/** A seed: the bytes of a fixture, its records or blocks, and its fields. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** [start, end) of each record (pcap) or block (pcapng); empty for other inputs. */
  records: [number, number][];
  sites: Site[];
}

function u32(b: Uint8Array, at: number, le: boolean): number {
  return le ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
    : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Classic pcap: the file header's snaplen and link type, each record's four header words. */
function pcapSites(b: Uint8Array, seed: Seed): void {
  const magic = u32(b, 0, false);
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1 || magic === 0x34cdb2a1;
  const hdr = magic === 0xa1b2cd34 || magic === 0x34cdb2a1 ? 24 : 16;
  seed.sites.push({ off: 4, width: 2, le, what: 'pcap version' }, { off: 16, width: 4, le, what: 'pcap snaplen' }, { off: 20, width: 4, le, what: 'pcap link type' });
  for (let at = 24; at + hdr <= b.length; ) {
    const capLen = u32(b, at + 8, le);
    const end = at + hdr + capLen;
    if (end > b.length) break;
    seed.records.push([at, end]);
    seed.sites.push({ off: at + 4, width: 4, le, what: 'record ts fraction' }, { off: at + 8, width: 4, le, what: 'record caplen' },
      { off: at + 12, width: 4, le, what: 'record wirelen' });
    at = end;
  }
}

/** pcapng: each block's type, both length copies, and the fixed fields and options of SHB, IDB, EPB, SPB and ISB. */
function pcapngSites(b: Uint8Array, seed: Seed): void {
  let le = true;
  for (let at = 0; at + 12 <= b.length; ) {
    const type = u32(b, at, true);
    if (type === 0x0a0d0d0a) le = u32(b, at + 8, true) === 0x1a2b3c4d;
    const len = u32(b, at + 4, le);
    if (len < 12 || at + len > b.length) break;
    seed.records.push([at, at + len]);
    seed.sites.push({ off: at, width: 4, le, what: 'block type' }, { off: at + 4, width: 4, le, what: 'block length' },
      { off: at + len - 4, width: 4, le, what: 'block trailing length' });
    const t = u32(b, at, le);
    let opts = -1;
    if (t === 0x0a0d0d0a) {
      seed.sites.push({ off: at + 12, width: 2, le, what: 'SHB major version' });
      opts = at + 24;
    } else if (t === 1) {
      seed.sites.push({ off: at + 8, width: 2, le, what: 'IDB link type' }, { off: at + 12, width: 4, le, what: 'IDB snaplen' });
      opts = at + 16;
    } else if (t === 6 && len >= 32) {
      const capLen = u32(b, at + 20, le);
      seed.sites.push({ off: at + 8, width: 4, le, what: 'EPB interface id' }, { off: at + 12, width: 4, le, what: 'EPB timestamp high' },
        { off: at + 20, width: 4, le, what: 'EPB caplen' }, { off: at + 24, width: 4, le, what: 'EPB wirelen' });
      opts = at + 28 + ((capLen + 3) & ~3);
    } else if (t === 3) {
      seed.sites.push({ off: at + 8, width: 4, le, what: 'SPB original length' });
    } else if (t === 5) {
      seed.sites.push({ off: at + 8, width: 4, le, what: 'ISB interface id' });
      opts = at + 20;
    }
    // Options: code and length of each, walked as the reader walks them.
    for (let o = opts, n = 0; o >= 0 && o + 4 <= at + len - 4 && n < 32; n++) {
      const optLen = le ? b[o + 2]! | (b[o + 3]! << 8) : (b[o + 2]! << 8) | b[o + 3]!;
      seed.sites.push({ off: o, width: 2, le, what: 'option code' }, { off: o + 2, width: 2, le, what: 'option length' });
      if ((le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!) === 0) break;
      o += 4 + ((optLen + 3) & ~3);
    }
    at += len;
  }
}

/** The length (and length-like) fields of each decoded layer, by the layer's header layout. */
function layerSites(kind: number, s: number, e: number): Site[] {
  const be = (off: number, width: 1 | 2 | 4, what: string): Site => ({ off: s + off, width, le: false, what });
  switch (kind) {
    case Layer.Ethernet: return [be(12, 2, 'EtherType')];
    case Layer.Ipv4: return [be(0, 1, 'IPv4 version/IHL'), be(2, 2, 'IPv4 total length'), be(6, 2, 'IPv4 flags/fragment'), be(9, 1, 'IPv4 protocol')];
    case Layer.Ipv6: return [be(0, 1, 'IPv6 version'), be(4, 2, 'IPv6 payload length'), be(6, 1, 'IPv6 next header')];
    case Layer.Ipv6HopByHop: case Layer.Ipv6Routing: case Layer.Ipv6DstOpts: return [be(0, 1, 'IPv6 ext next header'), be(1, 1, 'IPv6 ext length')];
    case Layer.Ipv6Fragment: return [be(0, 1, 'IPv6 fragment next header'), be(2, 2, 'IPv6 fragment offset')];
    case Layer.Tcp: return [be(2, 2, 'TCP port'), be(4, 4, 'TCP sequence'), be(12, 1, 'TCP data offset'), be(13, 1, 'TCP flags'), be(20, 2, 'TCP option kind/length')];
    case Layer.Udp: return [be(0, 2, 'UDP source port'), be(2, 2, 'UDP destination port'), be(4, 2, 'UDP length')];
    case Layer.Esp: return [be(0, 4, 'ESP SPI'), be(4, 4, 'ESP sequence'), { off: e - 2, width: 1, le: false, what: 'ESP pad length' }, { off: e - 1, width: 1, le: false, what: 'ESP next header' }];
    case Layer.Ah: return [be(0, 1, 'AH next header'), be(1, 1, 'AH payload length')];
    case Layer.Isakmp: return [be(16, 1, 'ISAKMP next payload'), be(18, 1, 'ISAKMP exchange type'), be(24, 4, 'ISAKMP length'), be(28, 1, 'ISAKMP payload next'), be(30, 2, 'ISAKMP payload length')];
    case Layer.Tls: return [be(0, 1, 'TLS content type'), be(3, 2, 'TLS record length'), be(5, 1, 'TLS handshake type'), be(7, 2, 'TLS handshake length'), be(43, 1, 'TLS session id length')];
    case Layer.Dns: return [be(4, 2, 'DNS question count'), be(6, 2, 'DNS answer count'), be(12, 1, 'DNS label length')];
    case Layer.Teredo: return [be(0, 2, 'Teredo indicator'), be(2, 1, 'Teredo auth id length')];
    default: return [];
  }
}

/** Finds each packet's layers with the decoder and turns their header fields into sites (file offsets). */
async function packetSites(seed: Seed, path: string): Promise<void> {
  const view = new PacketView(new AnomalyRecorder());
  const b = seed.bytes;
  const found: Site[] = [];
  let from = 0;
  await readCapture(path, (f, buf) => {
    dissectSafely(view, f, buf);
    // The frame's bytes in the file: search from its record's offset (the file is not compressed here).
    const head = Buffer.from(buf.subarray(f.dataStart, f.dataStart + Math.min(f.capLen, 32)));
    const at = head.length > 0 ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).indexOf(head, Math.max(from, f.fileOffset)) : -1;
    if (at < 0) return;
    from = at;
    for (let i = 0; i < view.count; i++) {
      const s = at + view.start[i]! - f.dataStart;
      const e = at + view.end[i]! - f.dataStart;
      for (const site of layerSites(view.kind[i]!, s, e)) if (site.off >= 0 && site.off + site.width <= b.length) found.push(site);
    }
  }, { hash: false });
  seed.sites.push(...found);
}

/** Builds a seed from a fixture file: container fields always, packet fields for captures the decoder can walk. */
export async function loadSeed(name: string, path: string, bytes: Uint8Array): Promise<Seed> {
  const seed: Seed = { name, bytes, records: [], sites: [] };
  if (bytes.length >= 24) {
    const magic = u32(bytes, 0, false);
    if (magic === 0x0a0d0d0a) pcapngSites(bytes, seed);
    else if ([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1].includes(magic)) pcapSites(bytes, seed);
    if (seed.records.length > 0) await packetSites(seed, path);
  }
  return seed;
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 12, 16, 20, 40, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x7fff, 0x8000, 0xfffe, 0xffff,
  0x10000, 0x40000, 0x40001, 0x1000000, 0x1000001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function readSite(b: Uint8Array, s: Site): number {
  if (s.width === 1) return b[s.off]!;
  if (s.width === 2) return s.le ? b[s.off]! | (b[s.off + 1]! << 8) : (b[s.off]! << 8) | b[s.off + 1]!;
  return u32(b, s.off, s.le);
}

function writeSite(b: Uint8Array, s: Site, v: number): void {
  for (let i = 0; i < s.width; i++) {
    const shift = 8 * (s.le ? i : s.width - 1 - i);
    b[s.off + i] = Math.floor(v / 2 ** shift) & 0xff;
  }
}

/** What one mutation did, for the report of a finding. */
export interface Mutant {
  bytes: Uint8Array;
  steps: string[];
}

/**
 * One to four stacked mutations of a seed: a field set to an interesting or nearby value, bit flips, a cut,
 * bytes inserted or removed, records duplicated, dropped, swapped, repeated thousands of times or spliced from
 * another seed; then, one time
 * in six, the result is gzip-compressed and the gzip damaged (cut, byte flipped, CRC flipped, garbage appended,
 * split into members).
 */
export function mutate(rng: Prng, seeds: Seed[], seed: Seed): Mutant {
  let b: Uint8Array = seed.bytes.slice();
  const steps: string[] = [];
  const n = 1 + rng.int(4);
  for (let k = 0; k < n && b.length > 0; k++) {
    const op = rng.int(100);
    if (op < 45 && seed.sites.length > 0) {
      const s = seed.sites[rng.int(seed.sites.length)]!;
      if (s.off + s.width > b.length) continue;
      const old = readSite(b, s);
      const max = 2 ** (8 * s.width);
      const pick = rng.int(4);
      const v = pick === 0 ? INTERESTING[rng.int(INTERESTING.length)]! % max
        : pick === 1 ? (old + max + rng.int(9) - 4) % max
          : pick === 2 ? (old * 2) % max : rng.next() % max;
      writeSite(b, s, v);
      steps.push(`${s.what} @${s.off} ${old} → ${v}`);
    } else if (op < 60) {
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips; i++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      steps.push(`${flips} bit flip(s)`);
    } else if (op < 70) {
      // Cut: at a record boundary ± a few bytes, or anywhere.
      const r = seed.records.length > 0 && rng.int(2) === 0 ? seed.records[rng.int(seed.records.length)]! : null;
      const at = Math.max(0, Math.min(b.length, r ? r[rng.int(2)] + rng.int(9) - 4 : rng.int(b.length + 1)));
      b = b.subarray(0, at);
      steps.push(`cut at ${at}`);
    } else if (op < 78) {
      const at = rng.int(b.length + 1);
      const len = 1 + rng.int(64);
      b = rng.int(2) === 0 ? concat(b.subarray(0, at), rng.bytes(len), b.subarray(at)) : concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + len)));
      steps.push(`insert/delete ${len} at ${at}`);
    } else if (op < 92 && seed.records.length > 1 && b.length === seed.bytes.length) {
      // Record-level edits keep their offsets valid only while the length is unchanged.
      const i = 1 + rng.int(seed.records.length - 1);
      const j = 1 + rng.int(seed.records.length - 1);
      const [s, e] = seed.records[i]!;
      const [s2, e2] = seed.records[j]!;
      const what = rng.int(8);
      if (what === 7) {
        // Amplify: one record repeated hundreds or thousands of times finds costs that grow faster than the input.
        const times = 100 + rng.int(4900);
        const copies = new Uint8Array((e - s) * times);
        for (let k = 0; k < times; k++) copies.set(b.subarray(s, e), k * (e - s));
        b = concat(b.subarray(0, e), copies, b.subarray(e));
        steps.push(`record ${i} repeated ${times} times`);
        continue;
      }
      if (what % 3 === 0) b = concat(b.subarray(0, e), b.subarray(s, e), b.subarray(e));
      else if (what % 3 === 1) b = concat(b.subarray(0, s), b.subarray(e));
      else if (s < s2 && e <= s2) b = concat(b.subarray(0, s), b.subarray(s2, e2), b.subarray(e, s2), b.subarray(s, e), b.subarray(e2));
      steps.push(`${['duplicate', 'drop', 'swap'][what % 3]} record ${i}${what % 3 === 2 ? ` with ${j}` : ''}`);
    } else {
      const other = seeds[rng.int(seeds.length)]!;
      if (other.records.length < 2) continue;
      const [s, e] = other.records[1 + rng.int(other.records.length - 1)]!;
      const at = seed.records.length > 0 && b.length === seed.bytes.length ? seed.records[rng.int(seed.records.length)]![1] : b.length;
      b = concat(b.subarray(0, at), other.bytes.subarray(s, e), b.subarray(at));
      steps.push(`splice a record of ${other.name} at ${at}`);
    }
  }
  if (rng.int(6) === 0) {
    b = damagedGzip(rng, b, steps);
  }
  return { bytes: b, steps };
}

function damagedGzip(rng: Prng, plain: Uint8Array, steps: string[]): Uint8Array {
  const what = rng.int(6);
  if (what === 5 && plain.length > 2) {
    const at = 1 + rng.int(plain.length - 1);
    steps.push(`gzip in two members split at ${at}`);
    return concat(gzipSync(plain.subarray(0, at)), gzipSync(plain.subarray(at)));
  }
  const gz = new Uint8Array(gzipSync(plain));
  switch (what) {
    case 0:
      steps.push('gzip');
      return gz;
    case 1: {
      const at = rng.int(gz.length);
      steps.push(`gzip cut at ${at}`);
      return gz.subarray(0, at);
    }
    case 2: {
      const at = rng.int(gz.length);
      gz[at]! ^= 1 << rng.int(8);
      steps.push(`gzip bit flip at ${at}`);
      return gz;
    }
    case 3:
      gz[gz.length - 8]! ^= 0xff;
      steps.push('gzip CRC flipped');
      return gz;
    default:
      steps.push('gzip + trailing garbage');
      return concat(gz, rng.bytes(1 + rng.int(64)));
  }
}
