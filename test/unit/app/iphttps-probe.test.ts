/** IpHttpsProbe (src/app/iphttps-probe.ts; protocols §1.3, §1.4, §1.6): NULL-cipher IP-HTTPS recognised from its records when the handshake is not in the capture. */

import { describe, expect, it } from 'vitest';
import { IpHttpsTunnel } from '../../../src/app/iphttps.js';
import { IpHttpsProbe, PROBE_RECORDS, PROBE_WINDOW } from '../../../src/app/iphttps-probe.js';
import { ReassemblyBudget } from '../../../src/app/tcp-reassembly.js';
import { concat, esp, icmpv6, ipv6, Prng, Proto, tcp, TcpFlag, udp, type Bytes } from '../../helpers/build.js';
import { ContentType, nullCipherAppData, record } from '../../helpers/tls-build.js';

const EP = { src: '2001:db8:1:1000::10', dst: '2001:db8:1:1000::20' };
const ISN = 0x7ffffff0; // crosses the int32 sign boundary within the first records

/** Inner packets an IP-HTTPS link carries: echo, ESP, UDP, TCP; none over the 1280-byte MTU. */
function packets(count: number, seed: number): Bytes[] {
  const rng = new Prng(seed);
  return Array.from({ length: count }, (_, i) => {
    switch (i % 4) {
      case 0: return ipv6({ ...EP, nextHeader: Proto.ICMPv6 }, icmpv6(EP, 128, 0, rng.bytes(4 + rng.int(60))));
      case 1: return ipv6({ ...EP, nextHeader: Proto.ESP }, esp(0x2000 + i, i + 1, rng.bytes(16 + rng.int(1100))));
      case 2: return ipv6({ ...EP, nextHeader: Proto.UDP }, udp(EP, 500, 500, rng.bytes(rng.int(600))));
      default: return ipv6({ ...EP, nextHeader: Proto.TCP }, tcp(EP, { sport: 49812, dport: 59955, seq: i, flags: TcpFlag.ACK | TcpFlag.PSH }, rng.bytes(rng.int(1000))));
    }
  });
}

/** A direction's stream after the handshake: one record per packet (or `perRecord` packets per record), each with a `mac`-byte MAC. */
function stream(pkts: Bytes[], mac: number, perRecord = 1): Bytes {
  const recs: Bytes[] = [];
  for (let i = 0; i < pkts.length; i += perRecord) recs.push(nullCipherAppData(concat(...pkts.slice(i, i + perRecord)), mac));
  return concat(...recs);
}

/** Stream offsets of each record header, and the end. */
function recordBounds(s: Bytes): number[] {
  const out: number[] = [0];
  for (let at = 0; at < s.length;) out.push((at += 5 + ((s[at + 3]! << 8) | s[at + 4]!)));
  return out;
}

/** Ordinary HTTPS after its handshake: application data records of random bytes (what any encrypting suite leaves). */
function ciphertextStream(records: number, seed: number): Bytes {
  const rng = new Prng(seed);
  return concat(...Array.from({ length: records }, () => record(ContentType.ApplicationData, rng.bytes(24 + rng.int(16000)))));
}

/** Cut points: random TCP segment sizes up to 1460 from a seed. */
function cuts(length: number, seed: number, from = 0): [number, number][] {
  const rng = new Prng(seed);
  const out: [number, number][] = [];
  for (let at = from; at < length;) {
    const to = Math.min(length, at + 1 + rng.int(1460));
    out.push([at, to]);
    at = to;
  }
  return out;
}

/** A probe fed with one direction, then (once accepted) a midstream tunnel fed the replay and every later segment. */
class Harness {
  readonly probe = new IpHttpsProbe();
  tunnel: IpHttpsTunnel | null = null;
  readonly out: Bytes[] = [];
  acceptedAt = 0;
  frame = 0;

  send(fromOrig: boolean, bytes: Bytes, from: number, to: number, isn = ISN): void {
    const frame = ++this.frame;
    const seq = (isn + from) | 0;
    if (this.tunnel !== null) {
      this.tunnel.feed(fromOrig, seq, bytes, from, to, frame);
      return;
    }
    if (!this.probe.feed(fromOrig, seq, bytes, from, to, frame)) return;
    this.acceptedAt = frame;
    const tunnel = this.tunnel = new IpHttpsTunnel(this.probe.macLength, { packet: (b, s, e) => this.out.push(b.slice(s, e)) }, new ReassemblyBudget(), true);
    this.probe.replay(tunnel, fromOrig, seq, bytes, from, to, frame);
  }

  sendAll(fromOrig: boolean, bytes: Bytes, segs: [number, number][]): void {
    for (const [from, to] of segs) this.send(fromOrig, bytes, from, to);
  }

  finish(): void {
    this.tunnel?.finish(this.frame);
  }
}

const hexes = (list: Bytes[]) => list.map((b) => Buffer.from(b).toString('hex'));

describe('IpHttpsProbe: recognising a tunnel', () => {
  for (const mac of [16, 20, 32]) {
    it(`records of whole IPv6 packets and a ${mac}-byte MAC: accepted at the ${PROBE_RECORDS}rd record, MAC learnt, every packet read from the first`, () => {
      const pkts = packets(12, mac);
      const s = stream(pkts, mac);
      const h = new Harness();
      // One record per segment: acceptance comes with the third.
      const bounds = recordBounds(s);
      for (let i = 0; i + 1 < bounds.length; i++) h.send(true, s, bounds[i]!, bounds[i + 1]!);
      h.finish();
      expect(h.probe.accepted).toBe(true);
      expect(h.probe.macLength).toBe(mac);
      expect(h.acceptedAt).toBe(PROBE_RECORDS);
      expect(h.probe.proof).toEqual([1, 2, 3]);
      expect(hexes(h.out)).toEqual(hexes(pkts));
    });
  }

  it('several packets per record, random segment sizes: the same packets', () => {
    const pkts = packets(30, 3);
    const s = stream(pkts, 20, 3);
    const h = new Harness();
    h.sendAll(true, s, cuts(s.length, 9));
    h.finish();
    expect(h.probe.macLength).toBe(20);
    expect(hexes(h.out)).toEqual(hexes(pkts));
  });

  it('record and packet headers split across segments are carried over', () => {
    const pkts = packets(8, 4);
    const s = stream(pkts, 32);
    const h = new Harness();
    // Three-byte segments: every header is split.
    for (let at = 0; at < s.length; at += 3) h.send(true, s, at, Math.min(s.length, at + 3));
    h.finish();
    expect(h.probe.accepted).toBe(true);
    expect(hexes(h.out)).toEqual(hexes(pkts));
  });

  it('joined inside a record: the bytes before the next record header are skipped, every later packet is read', () => {
    const pkts = packets(10, 5);
    const s = stream(pkts, 20);
    const firstRecord = 5 + ((s[3]! << 8) | s[4]!);
    for (const join of [1, 6, 17, firstRecord - 1]) {
      const h = new Harness();
      h.sendAll(true, s, cuts(s.length, join, join));
      h.finish();
      expect(hexes(h.out), `joined at ${join}`).toEqual(hexes(pkts.slice(1)));
    }
  });

  it('the other direction\'s records held before acceptance are read too, in frame order', () => {
    const up = packets(6, 6);
    const down = packets(6, 7);
    const su = stream(up, 20);
    const sd = stream(down, 20);
    const bu = recordBounds(su);
    const bd = recordBounds(sd);
    const h = new Harness();
    // One record per segment: two from the server (held, not yet enough), then three from the client (accepted), then the rest.
    h.send(false, sd, bd[0]!, bd[1]!, 0x1000);
    h.send(false, sd, bd[1]!, bd[2]!, 0x1000);
    for (let i = 0; i < 3; i++) h.send(true, su, bu[i]!, bu[i + 1]!);
    expect(h.acceptedAt).toBe(5);
    expect(h.out.map((p) => Buffer.from(p).toString('hex'))).toEqual(hexes([down[0]!, down[1]!, up[0]!, up[1]!, up[2]!]));
    for (let i = 2; i < 6; i++) h.send(false, sd, bd[i]!, bd[i + 1]!, 0x1000);
    for (let i = 3; i < 6; i++) h.send(true, su, bu[i]!, bu[i + 1]!);
    h.finish();
    expect(h.out.length).toBe(12);
    expect(new Set(hexes(h.out))).toEqual(new Set(hexes([...up, ...down])));
  });
});

describe('IpHttpsProbe: gaps and resynchronisation', () => {
  it('a lost segment before acceptance: the run starts again at the next record header, the packets from there on are read', () => {
    const pkts = packets(12, 8);
    const s = stream(pkts, 20);
    const bounds = recordBounds(s);
    const h = new Harness();
    // Records 0 and 1, then half of record 2 is lost.
    h.send(true, s, bounds[0]!, bounds[2]!);
    const mid = bounds[2]! + 30;
    h.send(true, s, mid, bounds[4]!);
    for (let i = 4; i + 1 < bounds.length; i++) h.send(true, s, bounds[i]!, bounds[i + 1]!);
    h.finish();
    expect(h.probe.accepted).toBe(true);
    expect(hexes(h.out)).toEqual(hexes(pkts.slice(3)));
  });

  it('a lost segment after acceptance: the tunnel resynchronises; only the packets of the lost bytes are missing', () => {
    const pkts = packets(16, 9);
    const s = stream(pkts, 32);
    const bounds = recordBounds(s);
    const h = new Harness();
    for (let i = 0; i < 8; i++) h.send(true, s, bounds[i]!, bounds[i + 1]!);
    // Record 8 lost.
    for (let i = 9; i + 1 < bounds.length; i++) h.send(true, s, bounds[i]!, bounds[i + 1]!);
    h.finish();
    expect(hexes(h.out)).toEqual(hexes([...pkts.slice(0, 8), ...pkts.slice(9)]));
  });

  it('retransmitted segments are walked once', () => {
    const pkts = packets(8, 10);
    const s = stream(pkts, 20);
    const h = new Harness();
    for (const [from, to] of cuts(s.length, 11)) {
      h.send(true, s, from, to);
      if (h.tunnel === null) h.send(true, s, from, to);
    }
    h.finish();
    expect(hexes(h.out)).toEqual(hexes(pkts));
  });
});

describe('IpHttpsProbe: what is not IP-HTTPS', () => {
  it('ordinary HTTPS (ciphertext records) is never accepted, and each record is counted as not plaintext IPv6', () => {
    for (const seed of [1, 2, 3]) {
      const s = ciphertextStream(400, seed);
      const h = new Harness();
      h.sendAll(true, s, cuts(s.length, seed));
      expect(h.probe.accepted, `seed ${seed}`).toBe(false);
      expect(h.probe.opaqueRecords).toBe(400);
      expect(h.probe.opaqueFrame).toBe(1);
    }
  });

  it('random bytes are never accepted', () => {
    const rng = new Prng(77);
    const s = rng.bytes(2_000_000);
    const h = new Harness();
    h.sendAll(true, s, cuts(s.length, 78));
    h.sendAll(false, s, cuts(s.length, 79));
    expect(h.probe.accepted).toBe(false);
  });

  it(`records that agree fewer than ${PROBE_RECORDS} times in a row, between ciphertext records, are not accepted`, () => {
    const rng = new Prng(5);
    const parts: Bytes[] = [];
    for (let i = 0; i < 50; i++) {
      parts.push(stream(packets(PROBE_RECORDS - 1, i), 20));
      parts.push(record(ContentType.ApplicationData, rng.bytes(300)));
    }
    const s = concat(...parts);
    const h = new Harness();
    h.sendAll(true, s, cuts(s.length, 6));
    expect(h.probe.accepted).toBe(false);
  });

  it('records whose MACs differ (16, 20, 32 in turn) are not accepted: one suite has one MAC', () => {
    const pkts = packets(30, 12);
    const s = concat(...pkts.map((p, i) => nullCipherAppData(p, [16, 20, 32][i % 3]!)));
    const h = new Harness();
    h.sendAll(true, s, cuts(s.length, 13));
    expect(h.probe.accepted).toBe(false);
  });

  it('held bytes stay within PROBE_WINDOW whatever the records (packets split across records, never agreeing 3 times)', () => {
    // Two agreeing records, then large records of packets split across them: held, but bounded.
    const big = packets(400, 14);
    const plain = concat(...big);
    const recs: Bytes[] = [stream(packets(2, 15), 20)];
    for (let at = 0; at < plain.length; at += 9000) recs.push(nullCipherAppData(plain.subarray(at, Math.min(plain.length, at + 9000)), 20));
    const s = concat(...recs);
    const h = new Harness();
    let most = 0;
    for (const [from, to] of cuts(s.length, 16)) {
      h.send(true, s, from, to);
      const held = (h.probe as unknown as { orig: { held: { length: number } | null } }).orig.held;
      most = Math.max(most, held?.length ?? 0);
    }
    expect(h.probe.accepted).toBe(false);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(PROBE_WINDOW);
  });
});
