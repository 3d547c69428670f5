/** IpHttpsTunnel (src/app/iphttps.ts; MS-IPHTTPS §3.1.5.3/§3.2.5.2, RFC 5246 §6.2): records, MACs, head, IPv6 framing, frames, gaps and resynchronisation, bounds. */

import { describe, expect, it } from 'vitest';
import { allAnomalies } from '../../../src/anomalies/registry.js';
import { IpHttpsTunnel } from '../../../src/app/iphttps.js';
import { ReassemblyBudget } from '../../../src/app/tcp-reassembly.js';
import { ascii, concat, esp, icmpv6, ipv6, Prng, Proto, tcp, TcpFlag, udp, type Bytes } from '../../helpers/build.js';
import {
  certificate, changeCipherSpec, clientKeyExchange, ContentType, finished, ipHttpsRequest, ipHttpsResponse, nullCipherAppData, pseudoMac, record,
  serverHello, serverHelloDone, SERVER_CERT_DER, Suite,
} from '../../helpers/tls-build.js';

const SUITE_FOR_MAC: Record<number, number> = { 16: Suite.RSA_WITH_NULL_MD5, 20: Suite.RSA_WITH_NULL_SHA, 32: Suite.RSA_WITH_NULL_SHA256 };
const CLIENT_ISN = 0x10000000;
/** Close to 2^32, so every server stream of more than 3840 bytes crosses the wrap. */
const SERVER_ISN = 0xfffff100;
const A = { ip: 'fe80::1', peer: 'fe80::2' };

/** Inner packets of the kinds an IP-HTTPS link carries: Router Solicitations, ESP, AuthIP over UDP, TCP; none over 1280 bytes. */
function innerPackets(count: number, seed: number): Bytes[] {
  const rng = new Prng(seed);
  const ep = { src: A.ip, dst: A.peer };
  return Array.from({ length: count }, (_, i) => {
    switch (i % 4) {
      case 0: return ipv6({ src: A.ip, dst: 'ff02::2', nextHeader: Proto.ICMPv6, hopLimit: 255 }, icmpv6({ src: A.ip, dst: 'ff02::2' }, 133, 0, new Uint8Array(4)));
      case 1: return ipv6({ ...ep, nextHeader: Proto.ESP }, esp(0x1000 + i, i + 1, rng.bytes(16 + rng.int(1200))));
      case 2: return ipv6({ ...ep, nextHeader: Proto.UDP }, udp(ep, 500, 500, rng.bytes(rng.int(700))));
      default: return ipv6({ ...ep, nextHeader: Proto.TCP }, tcp(ep, { sport: 3389, dport: 50000, seq: i, flags: TcpFlag.ACK | TcpFlag.PSH }, rng.bytes(rng.int(1100))));
    }
  });
}

interface Stream {
  fromClient: boolean;
  bytes: Bytes;
  packets: Bytes[];
  /** TCP stream offsets of each packet's first byte and of the byte after its last. */
  starts: number[];
  ends: number[];
  /** Stream offset of each plaintext byte. */
  plainAt: number[];
  headLen: number;
  /** Offset of the ChangeCipherSpec record and of each application data record. */
  ccsAt: number;
  appRecords: number[];
}

interface StreamOptions {
  fromClient: boolean;
  mac: number;
  packets: Bytes[];
  /** 'packet': the head and each packet in its own record; a number: random record sizes from this seed. */
  records?: 'packet' | number;
  /** The HTTP head text; default the IP-HTTPS request or response. */
  head?: string;
  /** Plaintext spliced in before packet i (by index), to model non-IPv6 data. */
  junkBefore?: Map<number, Bytes>;
}

/** One direction from its part of the handshake on: [ServerHello…] or [ClientKeyExchange], ChangeCipherSpec, Finished, then application data. */
function buildStream(o: StreamOptions): Stream {
  const flight = o.fromClient
    ? record(ContentType.Handshake, clientKeyExchange())
    : record(ContentType.Handshake, concat(serverHello({ suite: SUITE_FOR_MAC[o.mac] ?? Suite.RSA_WITH_NULL_SHA }), certificate([SERVER_CERT_DER]), serverHelloDone()));
  const handshake = concat(flight, changeCipherSpec(), record(ContentType.Handshake, concat(finished(), pseudoMac(o.mac))));
  const head = ascii(o.head ?? (o.fromClient ? ipHttpsRequest() : ipHttpsResponse()));
  const parts: Bytes[] = [head];
  const plainStarts: number[] = [];
  let plainLen = head.length;
  o.packets.forEach((p, i) => {
    const junk = o.junkBefore?.get(i);
    if (junk) {
      parts.push(junk);
      plainLen += junk.length;
    }
    plainStarts.push(plainLen);
    parts.push(p);
    plainLen += p.length;
  });
  const plain = concat(...parts);
  // Record boundaries in the plaintext.
  const cuts: number[] = [];
  if (o.records === undefined || o.records === 'packet') {
    let at = 0;
    for (const part of parts) cuts.push((at += part.length));
  } else {
    const rng = new Prng(o.records);
    for (let at = 0; at < plain.length;) cuts.push((at = Math.min(plain.length, at + 1 + rng.int(2500))));
  }
  const out: Bytes[] = [handshake];
  const plainAt: number[] = [];
  const appRecords: number[] = [];
  let streamAt = handshake.length;
  let from = 0;
  for (const to of cuts) {
    appRecords.push(streamAt);
    for (let i = from; i < to; i++) plainAt.push(streamAt + 5 + (i - from));
    const r = nullCipherAppData(plain.subarray(from, to), o.mac);
    out.push(r);
    streamAt += r.length;
    from = to;
  }
  return {
    fromClient: o.fromClient, bytes: concat(...out), packets: o.packets,
    starts: plainStarts.map((s) => plainAt[s]!), ends: o.packets.map((p, i) => plainAt[plainStarts[i]! + p.length - 1]! + 1),
    plainAt, headLen: head.length, ccsAt: flight.length, appRecords,
  };
}

/** Cut points of a stream into TCP segments: at record boundaries, or random sizes up to 1460 from a seed. */
function segments(s: Stream, how: 'record' | number): [number, number][] {
  const out: [number, number][] = [];
  if (how === 'record') {
    // The handshake as two segments (the flight; ChangeCipherSpec + Finished), then one per application data record.
    const recs = [...s.appRecords, s.bytes.length];
    out.push([0, s.ccsAt], [s.ccsAt, recs[0]!]);
    for (let i = 0; i + 1 < recs.length; i++) out.push([recs[i]!, recs[i + 1]!]);
    return out;
  }
  const rng = new Prng(how);
  for (let at = 0; at < s.bytes.length;) {
    const to = Math.min(s.bytes.length, at + 1 + rng.int(1460));
    out.push([at, to]);
    at = to;
  }
  return out;
}

/** A packet as the sink was handed it, copied: the tunnel's bytes and frames are valid only during the call. */
interface Emitted {
  bytes: Bytes;
  fromClient: boolean;
  frames: number[];
  lastFrame: number;
}

/** The range the tunnel handed out, not copied: what a sink that forgot to copy would be left with. */
interface View {
  b: Bytes;
  start: number;
  end: number;
  /** The tunnel said b is the caller's (or the reassembler's copy) and will not change under it. */
  stable: boolean;
}

/** A tunnel and what it emitted; frames are numbered by the caller or 1, 2, 3… */
class Harness {
  readonly out: Emitted[] = [];
  readonly views: View[] = [];
  readonly tunnel: IpHttpsTunnel;
  readonly budget: ReassemblyBudget;
  frame = 0;

  constructor(mac: number, budget = new ReassemblyBudget()) {
    this.budget = budget;
    this.tunnel = new IpHttpsTunnel(mac, {
      packet: (b, start, end, fromClient, frames, lastFrame, stable) => {
        this.views.push({ b, start, end, stable });
        this.out.push({ bytes: b.slice(start, end), fromClient, frames: [...frames], lastFrame });
      },
    }, budget);
  }

  send(s: Stream, from: number, to: number, frame = ++this.frame): void {
    this.frame = Math.max(this.frame, frame);
    const isn = s.fromClient ? CLIENT_ISN : SERVER_ISN;
    this.tunnel.feed(s.fromClient, (isn + from) >>> 0, s.bytes, from, to, frame);
  }

  sendAll(s: Stream, segs: [number, number][]): void {
    for (const [from, to] of segs) this.send(s, from, to);
  }

  packets(fromClient: boolean): Bytes[] {
    return this.out.filter((p) => p.fromClient === fromClient).map((p) => p.bytes);
  }

  ids(): string[] {
    return this.tunnel.anomalies.map((a) => a.id);
  }
}

const hexes = (list: Bytes[]) => list.map((b) => Buffer.from(b).toString('hex'));

/** Byte-exact packet lists (as hex, so a failure shows where they differ). */
function expectPackets(got: Bytes[], want: Bytes[]): void {
  expect(got.length).toBe(want.length);
  expect(hexes(got)).toEqual(hexes(want));
}

describe('IpHttpsTunnel: a clean connection', () => {
  it('skips the handshake and both heads and emits every packet whole, in order, with its frame', () => {
    const server = buildStream({ fromClient: false, mac: 20, packets: innerPackets(9, 1) });
    const client = buildStream({ fromClient: true, mac: 20, packets: innerPackets(7, 2) });
    const h = new Harness(20);
    const ss = segments(server, 'record');
    const cs = segments(client, 'record');
    // Interleaved as a capture would show them: server flight, client flight, then alternating.
    const order: [Stream, [number, number]][] = [];
    for (let i = 0; i < Math.max(ss.length, cs.length); i++) {
      if (i < ss.length) order.push([server, ss[i]!]);
      if (i < cs.length) order.push([client, cs[i]!]);
    }
    const frameOfSeg = new Map<string, number>();
    order.forEach(([s, [from, to]], i) => {
      frameOfSeg.set(`${s.fromClient}:${from}`, i + 1);
      h.send(s, from, to, i + 1);
    });
    h.tunnel.finish(order.length + 1);
    expectPackets(h.packets(false), server.packets);
    expectPackets(h.packets(true), client.packets);
    for (const s of [server, client]) {
      // One packet per record, one record per segment: each packet's frame is its record's.
      const want = s.starts.map((st) => frameOfSeg.get(`${s.fromClient}:${st - 5}`)!);
      const got = h.out.filter((p) => p.fromClient === s.fromClient);
      expect(got.map((p) => p.frames)).toEqual(want.map((f) => [f]));
      expect(got.map((p) => p.lastFrame)).toEqual(want);
    }
    const st = h.tunnel.stats;
    expect(st.server).toMatchObject({
      packets: 9, bytes: server.packets.reduce((n, p) => n + p.length, 0), records: 3 + 10, tlsResyncs: 0, tlsSkippedBytes: 0, ipv6Resyncs: 0, ipv6SkippedBytes: 0,
    });
    expect(st.client).toMatchObject({ packets: 7, records: 3 + 8, tlsResyncs: 0, ipv6Resyncs: 0 });
    expect(st.server.tcp).toMatchObject({ delivered: server.bytes.length, gaps: 0, lostBytes: 0, retransmittedBytes: 0, outOfOrderSegments: 0 });
    expect(st.server.headFrame).toBe(frameOfSeg.get(`false:${server.appRecords[0]}`));
    expect(st.client.headFrame).toBe(frameOfSeg.get(`true:${client.appRecords[0]}`));
    expect(h.ids()).toEqual([]);
  });

  it('hands out a packet that came whole in place, as a range of the caller\'s buffer: a sink that copies keeps it when the buffer is reused', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(3, 3) });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 'record'));
    // One packet per record and segment: each view is the packet's own range of the bytes fed, nothing copied.
    expect(h.views).toEqual(s.starts.map((start, i) => ({ b: s.bytes, start, end: s.ends[i], stable: true })));
    expect(h.views.every((v) => v.b === s.bytes)).toBe(true);
    s.bytes.fill(0);
    expectPackets(h.packets(false), innerPackets(3, 3));
    // What a sink that kept the views would be left with.
    expect(h.views.every((v) => v.b.subarray(v.start, v.end).every((x) => x === 0))).toBe(true);
  });

  it('assembles a packet that came in pieces in the direction\'s one reused buffer: copies taken during the call stay intact', () => {
    const s = buildStream({ fromClient: true, mac: 20, packets: innerPackets(40, 11), records: 12 });
    const segs = segments(s, 13);
    const h = new Harness(20);
    h.sendAll(s, segs);
    // The frames each packet's bytes came in (segments are frames 1, 2, 3… in order).
    const frameAt = (at: number): number => segs.findIndex(([from, to]) => from <= at && at < to) + 1;
    const want = s.packets.map((p, k) => {
      const first = s.plainAt.indexOf(s.starts[k]!);
      const frames = [...new Set(s.plainAt.slice(first, first + p.length).map(frameAt))];
      return { bytes: p, fromClient: true, frames, lastFrame: frames[frames.length - 1]! };
    });
    expect(h.out).toEqual(want);
    // Every packet whose bytes came in several frames was assembled in one buffer, the same each time.
    const pieced = h.views.filter((_, k) => h.out[k]!.frames.length > 1);
    expect(pieced.length).toBeGreaterThan(5);
    const assembly = pieced[0]!.b;
    expect(assembly).not.toBe(s.bytes);
    expect(pieced.every((v) => v.b === assembly && v.start === 0 && !v.stable)).toBe(true);
    // The ones that came whole are ranges of the bytes fed, and stable.
    expect(h.views.filter((_, k) => h.out[k]!.frames.length === 1).every((v) => v.stable === (v.b === s.bytes))).toBe(true);
    // So a view kept from the first of them now shows a later packet's bytes.
    const first = pieced[0]!;
    expect(hexes([first.b.subarray(first.start, first.end)])).not.toEqual(hexes([s.packets[h.views.indexOf(first)]!]));
  });

  it.each([16, 20, 32])('MAC length %i: packets split across records and TCP segments, several in one record', (mac) => {
    for (let seed = 1; seed <= 12; seed++) {
      const s = buildStream({ fromClient: seed % 2 === 0, mac, packets: innerPackets(30, seed), records: seed * 7 });
      const h = new Harness(mac);
      h.sendAll(s, segments(s, seed * 13));
      h.tunnel.finish(h.frame + 1);
      expectPackets(h.packets(s.fromClient), s.packets);
      expect(h.ids()).toEqual([]);
    }
  });

  it('a wrong MAC length loses the framing: never a clean read', () => {
    const s = buildStream({ fromClient: false, mac: 32, packets: innerPackets(12, 4) });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 'record'));
    h.tunnel.finish(h.frame + 1);
    expect(h.tunnel.stats.server.ipv6Resyncs).toBeGreaterThan(0);
    expect(h.ids()).toContain('iphttps.ipv6_resync');
  });
});

describe('IpHttpsTunnel: frames', () => {
  it('a packet whose bytes came in frames 7 and 9 has frames [7, 9] and lastFrame 9; its MAC\'s frame is not among them', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(3, 5) });
    const c = buildStream({ fromClient: true, mac: 20, packets: innerPackets(1, 6) });
    const h = new Harness(20);
    const p1 = s.starts[1]!;
    const e1 = s.ends[1]!;
    h.send(s, 0, p1 + 10, 6); // everything up to 10 bytes into packet 1
    h.send(c, 0, c.bytes.length, 8); // the other direction in between
    h.send(s, p1 + 10, e1, 9); // the rest of packet 1, not its MAC
    h.send(s, e1, s.bytes.length, 10); // its MAC, then packet 2's record
    const got = h.out.filter((p) => !p.fromClient);
    expect(got.map((p) => [p.frames, p.lastFrame])).toEqual([[[6], 6], [[6, 9], 9], [[10], 10]]);
    const mid = buildStream({ fromClient: false, mac: 20, packets: innerPackets(3, 5) });
    const h2 = new Harness(20);
    h2.send(mid, 0, p1 + 10, 7);
    h2.send(mid, p1 + 10, e1, 9);
    expect(h2.out.map((p) => [p.frames, p.lastFrame])).toEqual([[[7], 7], [[7, 9], 9]]);
  });

  it('a packet in three frames, the last of which arrived first: frames ascending, lastFrame the frame of its last byte', () => {
    const s = buildStream({ fromClient: false, mac: 16, packets: innerPackets(3, 7) });
    const h = new Harness(16);
    const start = s.starts[1]!;
    const end = s.ends[1]!;
    const third = start + Math.floor((end - start) / 3);
    h.send(s, 0, start, 20);
    h.send(s, third * 2 - start, s.bytes.length, 21); // the last third (and the rest), out of order
    h.send(s, third, third * 2 - start, 23); // the middle, out of order too
    expect(h.out).toHaveLength(1);
    h.send(s, start, third, 22); // the first third fills the hole
    expect(h.out.map((p) => [p.frames, p.lastFrame])).toEqual([[[20], 20], [[21, 22, 23], 21], [[21], 21]]);
    expect(h.tunnel.stats.server.tcp.outOfOrderSegments).toBe(2);
  });

  it('a packet whose middle was held from an earlier frame: each frame once, ascending', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(3, 36) });
    const p = s.starts[1]!;
    expect(s.ends[1]! - p).toBeGreaterThan(30);
    const h = new Harness(20);
    h.send(s, 0, p, 1);
    h.send(s, p + 10, p + 20, 6); // held
    h.send(s, p + 5, p + 30, 7); // held around it: [p+5, p+10) and [p+20, p+30)
    h.send(s, p, p + 5, 8); // fills the hole: delivered as 8, 7, 6, 7
    h.send(s, p + 30, s.bytes.length, 9);
    expect(h.out.map((q) => [q.frames, q.lastFrame])).toEqual([[[1], 1], [[6, 7, 8, 9], 9], [[9], 9]]);
  });

  it('a packet found by a scan keeps the frames of its bytes', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(8, 37) });
    const h = new Harness(20);
    const mid = s.starts[4]! + 20;
    h.send(s, 0, s.appRecords[4]!, 1); // up to packet 3's record, which is lost
    h.send(s, s.appRecords[5]!, mid, 3); // packet 4 in two frames
    h.send(s, mid, s.bytes.length, 4);
    h.tunnel.finish(5);
    expect(h.out.map((q) => [q.frames, q.lastFrame])).toEqual([[[1], 1], [[1], 1], [[1], 1], [[3, 4], 4], [[4], 4], [[4], 4], [[4], 4]]);
    expect(h.tunnel.stats.server).toMatchObject({ tlsResyncs: 1, ipv6Resyncs: 1, ipv6SkippedBytes: 0 });
    // Only a packet handed out from the bytes fed is stable; one from a scan window or the assembly buffer is not.
    expect(h.views.map((v) => v.stable)).toEqual(h.views.map((v) => v.b === s.bytes));
    expect(h.views.map((v) => v.stable)).toContain(false);
  });

  it('a packet split across two records and three segments', () => {
    const packets = innerPackets(10, 8);
    const s = buildStream({ fromClient: true, mac: 32, packets, records: 99 });
    // A packet spanning a record boundary takes more stream bytes than its length (a MAC and a header in between).
    const i = s.packets.findIndex((p, k) => s.ends[k]! - s.starts[k]! === p.length + 32 + 5);
    expect(i).toBeGreaterThanOrEqual(0);
    const h = new Harness(32);
    const a = s.starts[i]! + 3;
    const b = s.ends[i]! - 3;
    h.send(s, 0, a, 30);
    h.send(s, a, b, 31);
    h.send(s, b, s.bytes.length, 32);
    const p = h.out.find((q) => Buffer.from(q.bytes).equals(Buffer.from(packets[i]!)))!;
    expect([p.frames, p.lastFrame]).toEqual([[30, 31, 32], 32]);
  });
});

describe('IpHttpsTunnel: retransmissions, reordering, wrap-around', () => {
  it('retransmitted and out-of-order segments: every packet once, in order', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(40, 9), records: 5 });
    const segs = segments(s, 17);
    const rng = new Prng(10);
    const order: [number, number][] = [segs[0]!];
    for (let i = 1; i < segs.length; i += 3) {
      const group = segs.slice(i, i + 3).reverse(); // each group of three arrives backwards
      order.push(...group);
      if (rng.int(2) === 0) order.push(group[rng.int(group.length)]!); // and one of them again
      if (rng.int(3) === 0) order.push([segs[i]![0] + 1, Math.min(s.bytes.length, segs[i]![1] + 9)]); // an overlapping resend
    }
    const h = new Harness(20);
    h.sendAll(s, order);
    h.tunnel.finish(h.frame + 1);
    expectPackets(h.packets(false), s.packets);
    expect(h.tunnel.stats.server.tcp.outOfOrderSegments).toBeGreaterThan(10);
    expect(h.tunnel.stats.server.tcp.retransmittedBytes).toBeGreaterThan(0);
    expect(h.tunnel.stats.server.tcp).toMatchObject({ gaps: 0, delivered: s.bytes.length });
    expect(h.ids()).toEqual([]);
  });

  it('sequence numbers wrap at 2^32 inside a record, with reordering across the wrap', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(10, 11) });
    const wrapAt = 0x100000000 - SERVER_ISN; // stream offset of sequence number 0
    expect(wrapAt).toBeGreaterThan(s.appRecords[1]!);
    expect(wrapAt).toBeLessThan(s.bytes.length);
    const h = new Harness(20);
    h.send(s, 0, wrapAt - 100);
    h.send(s, wrapAt + 50, s.bytes.length); // past the wrap, before the bytes around it
    h.send(s, wrapAt - 100, wrapAt + 50); // across the wrap
    expectPackets(h.packets(false), s.packets);
    expect(h.tunnel.stats.server.tcp).toMatchObject({ outOfOrderSegments: 1, gaps: 0, delivered: s.bytes.length });
  });
});

describe('IpHttpsTunnel: lost segments and resynchronisation', () => {
  it('a lost record: a gap at the end, the record layer and the IPv6 framing resynchronised, every other packet recovered', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(12, 12) });
    const segs = segments(s, 'record');
    const lostSeg = 2 + 1 + 5; // handshake (2), head (1), then packet 5's record
    const h = new Harness(20);
    h.sendAll(s, segs.filter((_, i) => i !== lostSeg));
    expect(h.packets(false)).toHaveLength(5); // the rest waits in the out-of-order window
    h.tunnel.finish(100);
    expectPackets(h.packets(false), s.packets.filter((_, i) => i !== 5));
    // Delivered from the window after the gap, each packet keeps the frame of the segment that carried it:
    // packet i's record is segment 3 + i, sent as frame 4 + i before the lost one and 3 + i after it.
    const frames = s.packets.map((_, i) => (i < 5 ? 4 + i : 3 + i)).filter((_, i) => i !== 5);
    expect(h.out.map((p) => [p.frames, p.lastFrame])).toEqual(frames.map((f) => [[f], f]));
    const st = h.tunnel.stats.server;
    expect(st.tcp).toMatchObject({ gaps: 1, lostBytes: segs[lostSeg]![1] - segs[lostSeg]![0] });
    expect(st).toMatchObject({ tlsResyncs: 1, tlsSkippedBytes: 0, ipv6Resyncs: 1, ipv6SkippedBytes: 0 });
    expect(h.tunnel.anomalies).toEqual([
      { code: expect.any(Number), id: 'iphttps.tcp_gap', frame: 100 },
      { code: expect.any(Number), id: 'iphttps.tls_resync', frame: 100 },
      { code: expect.any(Number), id: 'iphttps.ipv6_resync', frame: 100 },
    ]);
  });

  it('the last record after a gap has no record after it: taken at the end of the capture, where it ends exactly', () => {
    const s = buildStream({ fromClient: true, mac: 16, packets: innerPackets(6, 30) });
    const segs = segments(s, 'record');
    const h = new Harness(16);
    h.sendAll(s, segs.filter((_, i) => i !== segs.length - 2));
    h.tunnel.finish(h.frame + 1);
    expectPackets(h.packets(true), s.packets.filter((_, i) => i !== 4));
    expect(h.tunnel.stats.client).toMatchObject({ tlsSkippedBytes: 0, ipv6SkippedBytes: 0 });
  });

  it('a record header split by a gap is not joined to the bytes after it', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(8, 31) });
    const r4 = s.appRecords[4]!; // packet 3's record
    const h = new Harness(20);
    h.send(s, 0, r4 + 2); // ends 2 bytes into the header
    h.send(s, s.appRecords[5]!, s.bytes.length); // the rest of packet 3's record is never captured
    h.tunnel.finish(h.frame + 1);
    expectPackets(h.packets(false), s.packets.filter((_, i) => i !== 3));
    expect(h.tunnel.stats.server).toMatchObject({ tlsResyncs: 1, tlsSkippedBytes: 2, ipv6Resyncs: 1, ipv6SkippedBytes: 0 });
    expect(h.tunnel.stats.server.tcp.lostBytes).toBe(s.appRecords[5]! - r4 - 2);
  });

  it('an IPv6 header split by a gap is dropped and counted, not joined to the bytes after it', () => {
    const s = buildStream({ fromClient: true, mac: 20, packets: innerPackets(8, 39) });
    const h = new Harness(20);
    h.send(s, 0, s.starts[3]! + 3); // 3 bytes of packet 3's header
    h.send(s, s.appRecords[5]!, s.bytes.length);
    h.tunnel.finish(h.frame + 1);
    expectPackets(h.packets(true), s.packets.filter((_, i) => i !== 3));
    expect(h.tunnel.stats.client).toMatchObject({ tlsSkippedBytes: 0, ipv6Resyncs: 1, ipv6SkippedBytes: 3 });
  });

  it('after a gap a lone plausible record header is not taken: the header after its record must be plausible too', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(8, 32) });
    const fake = Uint8Array.of(0x17, 0x03, 0x03, 0x00, 0x40); // application data, 64 bytes: ends inside the next real record
    const at = s.appRecords[5]!;
    const bytes = concat(s.bytes.subarray(0, at), fake, s.bytes.subarray(at));
    const js: Stream = { ...s, bytes };
    const h = new Harness(20);
    h.send(js, 0, s.appRecords[4]!);
    h.send(js, at, bytes.length); // packet 3's record lost; the scan starts at the fake header
    h.tunnel.finish(h.frame + 1);
    expectPackets(h.packets(false), s.packets.filter((_, i) => i !== 3));
    expect(h.tunnel.stats.server).toMatchObject({ tlsResyncs: 1, tlsSkippedBytes: 5 });
  });

  /**
   * What the reader must emit after losing stream bytes [gapFrom, gapTo): the packets wholly before the gap,
   * and, from the first record that starts at or after gapTo, every packet starting in its plaintext or later.
   */
  function expectedAfterGap(s: Stream, gapFrom: number, gapTo: number): Bytes[] {
    const rec = s.appRecords.find((r) => r >= gapTo)!;
    return s.packets.filter((_, i) => s.ends[i]! <= gapFrom || s.starts[i]! >= rec + 5);
  }

  it('a lost segment inside records of several packets: the packets wholly before it and from the next record on', () => {
    let checked = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const s = buildStream({ fromClient: seed % 2 === 1, mac: [16, 20, 32][seed % 3]!, packets: innerPackets(25, 100 + seed), records: seed });
      const segs = segments(s, 200 + seed);
      const firstApp = segs.findIndex(([from]) => from > s.plainAt[s.headLen]!);
      const k = firstApp + 1 + new Prng(seed).int(Math.max(1, segs.length - firstApp - 6));
      const [gapFrom, gapTo] = segs[k]!;
      if (!s.appRecords.some((r) => r >= gapTo)) continue;
      const h = new Harness([16, 20, 32][seed % 3]!);
      h.sendAll(s, segs.filter((_, i) => i !== k));
      h.tunnel.finish(h.frame + 1);
      const want = expectedAfterGap(s, gapFrom, gapTo);
      expectPackets(h.packets(s.fromClient), want);
      const st = s.fromClient ? h.tunnel.stats.client : h.tunnel.stats.server;
      expect(st.tcp).toMatchObject({ gaps: 1, lostBytes: gapTo - gapFrom });
      expect(st.tlsResyncs).toBe(1);
      // Bytes skipped by the record layer: from the gap to the next record header.
      const rec = s.appRecords.find((r) => r >= gapTo)!;
      expect(st.tlsSkippedBytes).toBe(rec - gapTo);
      // Plaintext dropped: what was read of the packet the gap cut, and the plaintext of the record found after
      // the gap up to the first packet starting in it.
      const plainIndex = (at: number) => s.plainAt.indexOf(at);
      const cutPacket = s.starts.findIndex((st, i) => st < gapFrom && s.ends[i]! > gapFrom);
      const readOfCut = cutPacket < 0 ? 0 : s.plainAt.filter((at, x) => x >= plainIndex(s.starts[cutPacket]!) && at < gapFrom).length;
      const next = s.starts.find((st) => st >= rec + 5);
      const beforeNext = s.plainAt.filter((at) => at >= rec + 5 && (next === undefined || at < next)).length;
      expect(st.ipv6SkippedBytes).toBe(readOfCut + beforeNext);
      // Packets after the gap were there to recover.
      expect(want.length).toBeGreaterThan(s.packets.filter((_, i) => s.ends[i]! <= gapFrom).length);
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('junk between two records: the record layer skips exactly it; no packet is lost', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(8, 13) });
    const at = s.appRecords[4]!;
    const junk = Uint8Array.of(0x17, 0x03, 0x09); // looks like the start of a header, but version 3.9
    const bytes = concat(s.bytes.subarray(0, at), junk, s.bytes.subarray(at));
    const h = new Harness(20);
    const js: Stream = { ...s, bytes };
    h.send(js, 0, at + 1);
    h.send(js, at + 1, bytes.length);
    h.tunnel.finish(99);
    expectPackets(h.packets(false), s.packets);
    expect(h.tunnel.stats.server).toMatchObject({ tlsResyncs: 1, tlsSkippedBytes: 3, ipv6Resyncs: 1, ipv6SkippedBytes: 0 });
    expect(h.ids()).toEqual(['iphttps.tls_resync', 'iphttps.ipv6_resync']);
  });

  it('a record shorter than the MAC after ChangeCipherSpec is not taken: resynchronised past it', () => {
    const s = buildStream({ fromClient: false, mac: 32, packets: innerPackets(6, 14) });
    const at = s.appRecords[3]!;
    const short = record(ContentType.ApplicationData, new Uint8Array(31)); // 31 < 32 bytes of MAC
    const bytes = concat(s.bytes.subarray(0, at), short, s.bytes.subarray(at));
    const h = new Harness(32);
    h.send({ ...s, bytes }, 0, bytes.length);
    expectPackets(h.packets(false), s.packets);
    expect(h.ids()).toEqual(['iphttps.record_shorter_than_mac', 'iphttps.tls_resync', 'iphttps.ipv6_resync']);
    expect(h.tunnel.stats.server.tlsSkippedBytes).toBe(short.length);
  });

  it('non-IPv6 plaintext between packets: the IPv6 framing skips exactly it', () => {
    const packets = innerPackets(8, 15);
    const junk = new Uint8Array(10).fill(0xff);
    const s = buildStream({ fromClient: true, mac: 20, packets, records: 3, junkBefore: new Map([[4, junk]]) });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 4));
    expectPackets(h.packets(true), packets);
    expect(h.tunnel.stats.client).toMatchObject({ tlsResyncs: 0, ipv6Resyncs: 1, ipv6SkippedBytes: 10 });
    expect(h.ids()).toEqual(['iphttps.ipv6_resync']);
  });

  it('a lone IPv6-looking header is not taken: its next header must be known, and the header after its packet must fit the MTU', () => {
    const fakeHeader = (nextHeader: number, payloadLength: number) => {
      const hdr = new Uint8Array(40).fill(0xff);
      hdr.set([0x60, 0, 0, 0, payloadLength >> 8, payloadLength & 0xff, nextHeader, 64]);
      return hdr;
    };
    const filler = (n: number) => new Uint8Array(n).fill(0xff);
    // In step, any version-6 header is framed by its payload length (MS-IPHTTPS §3.1.5.3), so the junk starts
    // with a byte that is not IPv6, and the fakes after it meet the scan. A: unknown next header, chained to
    // B. B: known, chained to C, whose payload is over the MTU. C: known, chained into the middle of real packets.
    const junk = concat(filler(1), fakeHeader(200, 20), filler(20), fakeHeader(Proto.ICMPv6, 16), filler(16), fakeHeader(Proto.ICMPv6, 2000));
    const packets = innerPackets(10, 33);
    const s = buildStream({ fromClient: true, mac: 20, packets, records: 34, junkBefore: new Map([[4, junk]]) });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 35));
    h.tunnel.finish(h.frame + 1);
    expectPackets(h.packets(true), packets);
    expect(h.tunnel.stats.client).toMatchObject({ ipv6Resyncs: 1, ipv6SkippedBytes: junk.length });
  });

  it('a stream joined inside its ChangeCipherSpec record: application data is read, since it can only follow one', () => {
    const s = buildStream({ fromClient: true, mac: 20, packets: innerPackets(5, 38) });
    const h = new Harness(20);
    h.send(s, s.ccsAt + 2, s.bytes.length); // the rest of the CCS record: 03 00 01 01
    h.tunnel.finish(2);
    expectPackets(h.packets(true), s.packets);
    expect(h.tunnel.stats.client).toMatchObject({ tlsResyncs: 1, tlsSkippedBytes: 4 });
    expect(h.ids()).toEqual(['iphttps.tls_resync']);
  });

  it('a gap that swallows the ChangeCipherSpec: the application data after it is still read', () => {
    const s = buildStream({ fromClient: true, mac: 20, packets: innerPackets(6, 16) });
    const segs = segments(s, 'record'); // [flight] [CCS + Finished] [head] [packet]…
    const h = new Harness(20);
    h.sendAll(s, segs.filter((_, i) => i !== 1));
    h.tunnel.finish(50);
    expectPackets(h.packets(true), s.packets);
    expect(h.tunnel.stats.client.headFrame).toBeGreaterThan(0);
    expect(h.ids()).toEqual(['iphttps.tcp_gap', 'iphttps.tls_resync']);
  });

  it('anomalies are bounded: at most 5 per id, while the stats count every event', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(40, 17) });
    const segs = segments(s, 'record');
    const h = new Harness(20);
    h.sendAll(s, segs.filter((_, i) => i < 4 || i % 3 !== 0));
    h.tunnel.finish(999);
    expect(h.tunnel.stats.server.tcp.gaps).toBeGreaterThan(10);
    const count = (id: string) => h.ids().filter((x) => x === id).length;
    expect(count('iphttps.tcp_gap')).toBe(5);
    expect(count('iphttps.tls_resync')).toBe(5);
    expect(h.tunnel.anomalies.length).toBeLessThanOrEqual(5 * allAnomalies().filter((d) => d.layer === 'iphttps').length);
  });
});

describe('IpHttpsTunnel: the HTTP head', () => {
  it('a head split across segments ends in the frame that carried its empty line', () => {
    const s = buildStream({ fromClient: true, mac: 20, packets: innerPackets(3, 18) });
    const headEnd = s.plainAt[s.headLen - 1]! + 1;
    const h = new Harness(20);
    h.send(s, 0, headEnd - 3, 1);
    h.send(s, headEnd - 3, headEnd - 1, 2);
    h.send(s, headEnd - 1, s.bytes.length, 3);
    expect(h.tunnel.stats.client.headFrame).toBe(3);
    expectPackets(h.packets(true), s.packets);
  });

  it('plaintext that starts with IPv6 instead of a head: noted, and the packets are read', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(4, 19), head: '' });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 'record'));
    expectPackets(h.packets(false), s.packets);
    expect(h.ids()).toEqual(['iphttps.http_head_missing']);
    expect(h.tunnel.stats.server.headFrame).toBe(-1);
  });

  it('a head of the wrong direction is not one: the bytes are skipped up to the packets', () => {
    const s = buildStream({ fromClient: true, mac: 20, packets: innerPackets(4, 20), head: ipHttpsResponse() });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 'record'));
    h.tunnel.finish(99);
    expectPackets(h.packets(true), s.packets);
    expect(h.ids()).toEqual(['iphttps.http_head_missing', 'iphttps.ipv6_resync']);
    expect(h.tunnel.stats.client.ipv6SkippedBytes).toBe(ipHttpsResponse().length);
  });

  it('no empty line within 8 KiB: the head is given up and the packets after it are found', () => {
    const head = `POST /IPHTTPS HTTP/1.1\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`;
    const s = buildStream({ fromClient: true, mac: 20, packets: innerPackets(5, 21), head, records: 22 });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 23));
    h.tunnel.finish(99);
    expectPackets(h.packets(true), s.packets);
    expect(h.ids()).toEqual(['iphttps.http_head_too_long', 'iphttps.ipv6_resync']);
    expect(h.tunnel.stats.client.ipv6SkippedBytes).toBe(head.length);
    expect(h.tunnel.stats.client.headFrame).toBe(-1);
  });
});

describe('IpHttpsTunnel: bounds', () => {
  it('an inner packet over the 1280-byte MTU is read whole and noted', () => {
    const big = ipv6({ src: A.ip, dst: A.peer, nextHeader: Proto.ESP }, esp(7, 1, new Prng(3).bytes(1400)));
    const packets = [...innerPackets(2, 22), big, ...innerPackets(2, 23)];
    const s = buildStream({ fromClient: false, mac: 20, packets });
    const h = new Harness(20);
    h.sendAll(s, segments(s, 24));
    expectPackets(h.packets(false), packets);
    expect(h.ids()).toEqual(['iphttps.inner_packet_over_mtu']);
  });

  it('the 256 KiB window: a hole held open too long is given up, and the packets after it are read', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(800, 24) });
    expect(s.bytes.length).toBeGreaterThan(300 * 1024);
    const segs = segments(s, 'record');
    const h = new Harness(20);
    const late = 2; // the head's record
    for (const [i, [from, to]] of segs.entries()) {
      if (i !== late) h.send(s, from, to);
      expect(h.budget.used).toBeLessThanOrEqual(256 * 1024);
    }
    expect(h.tunnel.stats.server.packets).toBe(800); // read before the end: the window gave up the hole
    h.send(s, segs[late]![0], segs[late]![1]); // too late: dropped
    h.tunnel.finish(h.frame + 1);
    expectPackets(h.packets(false), s.packets);
    const st = h.tunnel.stats.server;
    const headRecord = segs[late]![1] - segs[late]![0];
    expect(st.tcp).toMatchObject({ windowOverflows: 1, budgetOverflows: 0, gaps: 1, lostBytes: headRecord, retransmittedBytes: headRecord });
    // The lost head is noted as missing: the first plaintext after the gap is a packet.
    expect(h.ids()).toEqual(['iphttps.tcp_gap', 'iphttps.tls_resync', 'iphttps.http_head_missing', 'iphttps.reassembly_window_full']);
  });

  it('the shared budget: memory never above it, exhaustion noted, only the withheld records lost', () => {
    const budget = new ReassemblyBudget(32 * 1024);
    const a = buildStream({ fromClient: false, mac: 20, packets: innerPackets(150, 25) });
    const b = buildStream({ fromClient: true, mac: 20, packets: innerPackets(150, 26) });
    const h = new Harness(20, budget);
    const sa = segments(a, 'record');
    const sb = segments(b, 'record');
    // Each direction withholds its first packet's record for good.
    for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
      if (i < sa.length && i !== 3) h.send(a, sa[i]![0], sa[i]![1]);
      if (i < sb.length && i !== 3) h.send(b, sb[i]![0], sb[i]![1]);
      expect(budget.used).toBeLessThanOrEqual(32 * 1024);
    }
    h.tunnel.finish(h.frame + 1);
    expect(budget.peak).toBeLessThanOrEqual(32 * 1024);
    expect(budget.exhausted).toBeGreaterThan(0);
    expect(budget.used).toBe(0);
    expect(h.ids()).toContain('iphttps.reassembly_budget_exhausted');
    expect(h.tunnel.stats.server.tcp.budgetOverflows + h.tunnel.stats.client.tcp.budgetOverflows).toBeGreaterThan(0);
    expectPackets(h.packets(false), a.packets.slice(1));
    expectPackets(h.packets(true), b.packets.slice(1));
  });
});

describe('IpHttpsTunnel: truncation and garbage', () => {
  it('cut at every byte: exactly the packets whose bytes all came, and the right end-of-capture notes', () => {
    const s = buildStream({ fromClient: false, mac: 20, packets: innerPackets(6, 27), records: 28 });
    const segs = segments(s, 29);
    for (let cut = 0; cut <= s.bytes.length; cut++) {
      const h = new Harness(20);
      for (const [from, to] of segs) if (from < cut) h.send(s, from, Math.min(to, cut));
      h.tunnel.finish(h.frame + 1);
      const want = s.packets.filter((_, i) => s.ends[i]! <= cut);
      expectPackets(h.packets(false), want);
      // Plaintext bytes that came, and whether the cut fell inside the head or a packet.
      const plain = s.plainAt.filter((at) => at < cut).length;
      const inHead = plain > 0 && plain < s.headLen;
      const inPacket = s.starts.some((st, i) => st < cut && s.ends[i]! > cut);
      const ids = h.ids();
      expect(ids.includes('iphttps.stream_ends_mid_packet')).toBe(inHead || inPacket);
      expect(ids.includes('iphttps.change_cipher_spec_missing')).toBe(cut > 0 && cut < s.ccsAt + 5);
      expect(ids.filter((x) => x !== 'iphttps.stream_ends_mid_packet' && x !== 'iphttps.change_cipher_spec_missing')).toEqual([]);
    }
  });

  /** Plaintext of IPv6-looking packets (random next header and length, random body) and runs of random bytes. */
  function junkPlaintext(rng: Prng, size: number): Bytes {
    const items: Bytes[] = [];
    for (let total = 0; total < size;) {
      let item: Bytes;
      if (rng.int(4) === 0) {
        item = rng.bytes(1 + rng.int(200));
      } else {
        const pl = rng.int(1500);
        item = concat(rng.bytes(40), rng.bytes(pl));
        item[0] = 0x60 | (item[0]! & 15);
        item[4] = pl >> 8;
        item[5] = pl & 255;
        item[6] = rng.int(3) !== 0 ? [6, 17, 50, 58][rng.int(4)]! : rng.int(256);
      }
      items.push(item);
      total += item.length;
    }
    return concat(...items);
  }

  it('random bytes, random splits, random order: never throws; whatever is emitted is a whole IPv6 packet', () => {
    let emitted = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rng = new Prng(seed);
      const mac = [16, 20, 32][seed % 3]!;
      const budget = new ReassemblyBudget(64 * 1024);
      const h = new Harness(mac, budget);
      let bytes: Bytes;
      if (seed % 3 === 0) {
        bytes = rng.bytes(1 + rng.int(20000)); // no TLS at all
      } else {
        // A real handshake, then records (some replaced by random bytes) of IPv6-looking plaintext and junk.
        const plain = junkPlaintext(rng, 1 + rng.int(30000));
        const records: Bytes[] = [buildStream({ fromClient: false, mac, packets: [] }).bytes.subarray(0, seed % 2 === 0 ? undefined : -1)];
        for (let at = 0; at < plain.length;) {
          const to = Math.min(plain.length, at + 1 + rng.int(3000));
          const r = nullCipherAppData(plain.subarray(at, to), mac);
          records.push(rng.int(15) === 0 ? rng.bytes(r.length) : r);
          at = to;
        }
        bytes = concat(...records);
      }
      const segs: [number, number][] = [];
      for (let at = 0; at < bytes.length;) segs.push([at, (at = Math.min(bytes.length, at + 1 + rng.int(3000)))]);
      for (let i = segs.length - 1; i > 0; i--) if (rng.int(4) === 0) [segs[i], segs[i - 1]] = [segs[i - 1]!, segs[i]!];
      const s: Stream = { ...buildStream({ fromClient: seed % 4 < 2, mac, packets: [] }), bytes };
      for (const [from, to] of segs) if (rng.int(10) !== 0) h.send(s, from, to);
      h.tunnel.finish(h.frame + 1);
      for (const p of h.out) {
        expect(p.bytes[0]! >> 4).toBe(6);
        expect(p.bytes.length).toBe(40 + ((p.bytes[4]! << 8) | p.bytes[5]!));
        expect(p.frames.length).toBeGreaterThan(0);
        expect([...p.frames].sort((x, y) => x - y)).toEqual(p.frames);
        expect(new Set(p.frames).size).toBe(p.frames.length);
        expect(p.frames).toContain(p.lastFrame);
      }
      expect(budget.peak).toBeLessThanOrEqual(budget.maxBytes);
      emitted += h.out.length;
    }
    expect(emitted).toBeGreaterThan(100);
  });

  it('real streams with segments dropped, repeated or reordered: only original packets, in order, none twice', () => {
    let recovered = 0;
    let total = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Prng(1000 + seed);
      const mac = [16, 20, 32][seed % 3]!;
      const s = buildStream({ fromClient: seed % 2 === 0, mac, packets: innerPackets(30, seed), records: seed + 3 });
      const segs = segments(s, seed + 5);
      const order: [number, number][] = [];
      for (const [i, seg] of segs.entries()) {
        const roll = rng.int(15);
        if (roll === 0 && i > 0) continue; // lost
        order.push(seg);
        if (roll === 1) order.push(seg); // repeated
        if (roll === 2 && order.length > 2) [order[order.length - 1], order[order.length - 2]] = [order[order.length - 2]!, order[order.length - 1]!];
      }
      const h = new Harness(mac);
      h.sendAll(s, order);
      h.tunnel.finish(h.frame + 1);
      const got = hexes(h.packets(s.fromClient));
      const all = hexes(s.packets);
      // A subsequence of the originals: in order and none invented or repeated.
      let j = 0;
      for (const g of got) {
        while (j < all.length && all[j] !== g) j++;
        expect(j).toBeLessThan(all.length);
        j++;
      }
      recovered += got.length;
      total += all.length;
    }
    expect(recovered).toBeGreaterThan(total / 2);
  });
});

it('covers every iphttps anomaly in the registry', () => {
  const tested = ['iphttps.tcp_gap', 'iphttps.reassembly_window_full', 'iphttps.reassembly_budget_exhausted', 'iphttps.tls_resync',
    'iphttps.record_shorter_than_mac', 'iphttps.ipv6_resync', 'iphttps.http_head_missing', 'iphttps.http_head_too_long',
    'iphttps.change_cipher_spec_missing', 'iphttps.stream_ends_mid_packet', 'iphttps.inner_packet_over_mtu'];
  expect(allAnomalies().filter((d) => d.layer === 'iphttps').map((d) => d.id).sort()).toEqual(tested.sort());
});
