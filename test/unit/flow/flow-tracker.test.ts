/** Flow tracker: one flow per conversation, counters per direction, and copies of a packet recorded on two interfaces counted once. */
import { describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../../src/anomalies/recorder.js';
import { Frame } from '../../../src/capture/frame.js';
import { dissect } from '../../../src/decode/dissect.js';
import { PacketView } from '../../../src/decode/packet-view.js';
import type { Flow } from '../../../src/flow/flow.js';
import { FlowTracker } from '../../../src/flow/flow-tracker.js';
import { esp, ipv4, ipv6, Prng, Proto, tcp, TcpFlag, udp } from '../../helpers/build.js';

const A = 'fe80::8d4:1c2b:3a4d:5e6f';
const B = 'fe80::a1b2:c3d4:e5f6:789';
const T0 = 1_764_140_400;

/** Feeds raw IPv6/IPv4 packets (link type RAW) to a tracker; each entry names its interface and time. */
class Feeder {
  readonly flows: Flow[] = [];
  readonly tracker = new FlowTracker({ maxFlows: 1000, idleSec: 0 }, (f) => this.flows.push(f), () => undefined);
  private readonly view = new PacketView(new AnomalyRecorder());
  private readonly frame = new Frame();

  constructor(multiInterface: boolean) {
    this.tracker.checkCopies = multiInterface;
  }

  feed(bytes: Uint8Array, o: { iface?: number; sec?: number; nsec?: number } = {}): this {
    const f = this.frame;
    f.number++;
    f.hasTs = true;
    f.tsSec = T0 + (o.sec ?? 0);
    f.tsNsec = o.nsec ?? 0;
    f.capLen = f.wireLen = bytes.length;
    f.linkType = 101;
    f.interfaceId = o.iface ?? 0;
    dissect(this.view, f, bytes);
    this.tracker.onPacket(this.view, f);
    return this;
  }

  finish(): Flow[] {
    this.tracker.finishAll();
    return this.flows.sort((x, y) => x.id - y.id);
  }
}

function segment(seq: number, flags: number, data = 0, fwd = true): Uint8Array {
  const ep = fwd ? { src: A, dst: B } : { src: B, dst: A };
  const seg = tcp(ep, { sport: 50000, dport: 49800, seq, ack: 1, flags, ...(fwd ? {} : { sport: 49800, dport: 50000 }) }, new Uint8Array(data).fill(0x41));
  return ipv6({ ...ep, nextHeader: Proto.TCP }, seg);
}

describe('flow tracker', () => {
  it('puts both directions of a TCP connection in one flow, with packets, payload and history per direction', () => {
    const flows = new Feeder(false)
      .feed(segment(1, TcpFlag.SYN)).feed(segment(1, TcpFlag.SYN | TcpFlag.ACK, 0, false)).feed(segment(2, TcpFlag.ACK))
      .feed(segment(2, TcpFlag.ACK | TcpFlag.PSH, 100)).feed(segment(1, TcpFlag.ACK | TcpFlag.PSH, 30, false))
      .finish();
    expect(flows).toHaveLength(1);
    const f = flows[0]!;
    expect([f.origPackets, f.respPackets, f.origPayload, f.respPayload, f.history]).toEqual([3, 2, 100, 30, 'ShADd']);
    expect([f.synFrame, f.synAckFrame, f.origDataFrame, f.respDataFrame, f.firstFrame, f.lastFrame]).toEqual([1, 2, 4, 5, 1, 5]);
    expect(f.copies).toBe(0);
  });

  it('counts a packet recorded on two interfaces once, and every record in the frame range and interfaces', () => {
    const t = new Feeder(true);
    const packets = [segment(1, TcpFlag.SYN), segment(1, TcpFlag.SYN | TcpFlag.ACK, 0, false), segment(2, TcpFlag.ACK | TcpFlag.PSH, 100)];
    for (const p of packets) t.feed(p, { iface: 0 }).feed(p, { iface: 1, nsec: 20_000 });
    const [f] = t.finish();
    expect([f!.origPackets, f!.respPackets, f!.origPayload, f!.history]).toEqual([2, 1, 100, 'ShD']);
    expect([f!.copies, f!.copyBytes]).toEqual([3, packets.reduce((n, p) => n + p.length, 0)]);
    expect([f!.firstFrame, f!.lastFrame, f!.interfaces]).toEqual([1, 6, 0b11]);
    expect(t.tracker.copies).toBe(3);
  });

  it('counts an ESP packet seen on two interfaces once in its SA', () => {
    const t = new Feeder(true);
    const rng = new Prng(7);
    for (let seq = 1; seq <= 4; seq++) {
      const p = ipv6({ src: A, dst: B, nextHeader: Proto.ESP }, esp(0x1a2b3c4d, seq, rng.bytes(80)));
      t.feed(p, { iface: 1 }).feed(p, { iface: 0 });
    }
    const [f] = t.finish();
    expect(f!.sas!.map((s) => [s.spi, s.packets, s.firstFrame, s.lastFrame])).toEqual([[0x1a2b3c4d, 4, 1, 7]]);
    expect(f!.copies).toBe(4);
  });

  it('keeps SPIs of 2^31 and above apart and unsigned, one SA per SPI and direction', () => {
    const t = new Feeder(false);
    const rng = new Prng(9);
    for (let seq = 1; seq <= 3; seq++) {
      t.feed(ipv6({ src: A, dst: B, nextHeader: Proto.ESP }, esp(0xdeadbeef, seq, rng.bytes(60))));
      t.feed(ipv6({ src: A, dst: B, nextHeader: Proto.ESP }, esp(0x5eadbeef, seq, rng.bytes(60))));
      t.feed(ipv6({ src: B, dst: A, nextHeader: Proto.ESP }, esp(0xdeadbeef, seq, rng.bytes(60))));
    }
    const [f] = t.finish();
    expect(f!.sas!.map((s) => [s.spi, s.fromOrig, s.packets])).toEqual([[0xdeadbeef, true, 3], [0x5eadbeef, true, 3], [0xdeadbeef, false, 3]]);
  });

  it('still counts a retransmission on the same interface, and a repeat on another interface more than a second later', () => {
    const t = new Feeder(true);
    const p = segment(2, TcpFlag.ACK | TcpFlag.PSH, 100);
    t.feed(p, { iface: 0 }).feed(p, { iface: 0, nsec: 200_000_000 }).feed(p, { iface: 1, sec: 3 });
    const [f] = t.finish();
    expect([f!.origPackets, f!.copies]).toEqual([3, 0]);
  });

  it('does not take a packet that differs in its payload, or a packet of another flow, for a copy', () => {
    const t = new Feeder(true);
    const u = (src: string, dst: string, data: number, sport = 61663, dport = 5355): Uint8Array =>
      ipv6({ src, dst, nextHeader: Proto.UDP }, udp({ src, dst }, sport, dport, Uint8Array.of(data, 1, 2, 3)));
    t.feed(u(A, B, 1), { iface: 0 }).feed(u(A, B, 2), { iface: 1 }).feed(u(B, A, 1, 5355, 61663), { iface: 1 });
    const flows = t.finish();
    expect(flows.map((f) => [f.packets, f.copies])).toEqual([[3, 0]]);
    // The third record answers from B to A: same flow, other direction, not a copy of the first.
    expect([flows[0]!.origPackets, flows[0]!.respPackets]).toEqual([2, 1]);
  });

  it('ignores the TTL and header checksum: an IPv4 packet seen before and after a router is a copy', () => {
    const t = new Feeder(true);
    const payload = udp({ src: '192.0.2.1', dst: '198.51.100.7' }, 3544, 3544, Uint8Array.of(9, 9, 9, 9));
    t.feed(ipv4({ src: '192.0.2.1', dst: '198.51.100.7', protocol: Proto.UDP, ttl: 64 }, payload), { iface: 0 })
      .feed(ipv4({ src: '192.0.2.1', dst: '198.51.100.7', protocol: Proto.UDP, ttl: 63 }, payload), { iface: 1 });
    const [f] = t.finish();
    expect([f!.packets, f!.copies]).toEqual([1, 1]);
  });

  it('does not look for copies in a capture of one interface', () => {
    const t = new Feeder(false);
    const p = segment(2, TcpFlag.ACK | TcpFlag.PSH, 100);
    t.feed(p, { iface: 0 }).feed(p, { iface: 1 });
    const [f] = t.finish();
    expect([f!.origPackets, f!.copies]).toEqual([2, 0]);
  });
});
