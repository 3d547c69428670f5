import { describe, expect, it } from 'vitest';
import { judgeEsp, randomness, readAsNull } from '../../../src/classify/esp-null.js';
import { SaStats } from '../../../src/flow/sa.js';
import { concat, esp, espNullBody, icmpv6, ip6, ipv4, Prng, Proto, tcp, TcpFlag, u32, udp } from '../../helpers/build.js';

const A = 'fe80::8d4:1c2b:3a4d:5e6f';
const B = 'fe80::a1b2:c3d4:e5f6:789';
const EP = { src: A, dst: B };

/** An SA fed with ESP packets as the flow tracker feeds it. */
function saWith(packets: Uint8Array[], opts: { complete?: boolean; src?: string; dst?: string; family?: 4 | 6; udpEncap?: boolean } = {}): SaStats {
  const sa = new SaStats('esp', 0x1a2b3c4d, true, 100, 1);
  packets.forEach((p, i) => {
    // As the flow tracker counts them.
    sa.packets++;
    sa.lastFrame = 100 + i;
    if (opts.complete === false) sa.cutPackets++;
    const family = opts.family ?? 6;
    const addr = (a: string): Uint8Array => {
      if (family === 6) return ip6(a);
      const m = new Uint8Array(16);
      m[10] = 0xff;
      m[11] = 0xff;
      m.set(a.split('.').map(Number), 12);
      return m;
    };
    sa.sampleEsp(p, 0, p.length, opts.complete ?? true, 100 + i, family, addr(opts.src ?? A), addr(opts.dst ?? B), opts.udpEncap ?? false);
  });
  return sa;
}

function nullTcp(seq: number, icv: number, payload: Uint8Array = new Uint8Array(0), iv: Uint8Array = new Uint8Array(0)): Uint8Array {
  const seg = tcp(EP, { sport: 49500, dport: 49750, seq, flags: payload.length ? TcpFlag.ACK | TcpFlag.PSH : TcpFlag.SYN }, payload);
  return esp(0x1a2b3c4d, seq, concat(iv, espNullBody(seg, Proto.TCP, icv, seq)));
}

function cipher(seq: number, len: number, seed: number): Uint8Array {
  return esp(0x1a2b3c4d, seq, new Prng(seed).bytes(len));
}

describe('ESP-NULL readings (RFC 5879 trailer + inner header + checksum)', () => {
  for (const icv of [12, 16, 0, 8, 20, 24, 32]) {
    it(`proves NULL encryption by the TCP checksum with a ${icv}-byte ICV`, () => {
      const p = nullTcp(1, icv, new TextEncoder().encode('hello remote assistance'));
      const r = readAsNull({ frame: 7, bytes: p, complete: true, family: 6, src: ip6(A), dst: ip6(B), udpEncapsulated: false });
      expect(r).toMatchObject({ frame: 7, icvLength: icv, ivLength: 0, nextHeader: 6, proof: 'checksum' });
    });
  }

  it('finds the 8-byte IV of AES-GMAC (ENCR_NULL_AUTH_AES_GMAC, RFC 4543)', () => {
    const p = nullTcp(1, 16, new TextEncoder().encode('gmac'), new Prng(3).bytes(8));
    const r = readAsNull({ frame: 1, bytes: p, complete: true, family: 6, src: ip6(A), dst: ip6(B), udpEncapsulated: false });
    expect(r).toMatchObject({ ivLength: 8, icvLength: 16, proof: 'checksum' });
  });

  it('proves UDP and ICMPv6 payloads by their checksums too', () => {
    const u = esp(1, 1, espNullBody(udp(EP, 3540, 3540, new TextEncoder().encode('pnrp')), Proto.UDP, 12));
    expect(readAsNull({ frame: 1, bytes: u, complete: true, family: 6, src: ip6(A), dst: ip6(B), udpEncapsulated: false })?.proof).toBe('checksum');
    const i = esp(1, 2, espNullBody(icmpv6(EP, 128, 0, u32(0x00010001)), Proto.ICMPv6, 16));
    expect(readAsNull({ frame: 1, bytes: i, complete: true, family: 6, src: ip6(A), dst: ip6(B), udpEncapsulated: false })).toMatchObject({ nextHeader: 58, proof: 'checksum' });
  });

  it('proves tunnel mode by the inner IPv4 header checksum', () => {
    const inner = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: Proto.UDP }, udp({ src: '10.0.0.1', dst: '10.0.0.2' }, 1, 2, new Uint8Array(8)));
    const p = esp(1, 1, espNullBody(inner, Proto.IPIP, 12));
    expect(readAsNull({ frame: 1, bytes: p, complete: true, family: 6, src: ip6(A), dst: ip6(B), udpEncapsulated: false })).toMatchObject({ nextHeader: 4, proof: 'checksum' });
  });

  it('does not take a checksum computed for other addresses as proof', () => {
    const p = nullTcp(1, 12, new TextEncoder().encode('x'));
    const r = readAsNull({ frame: 1, bytes: p, complete: true, family: 6, src: ip6('fe80::99'), dst: ip6(B), udpEncapsulated: false });
    expect(r?.proof).toBe('structure');
  });

  it('reads nothing in ciphertext', () => {
    let hits = 0;
    for (let i = 0; i < 500; i++) {
      const p = cipher(i, 64 + (i % 40), i + 1);
      if (readAsNull({ frame: i, bytes: p, complete: true, family: 6, src: ip6(A), dst: ip6(B), udpEncapsulated: false })?.proof === 'checksum') hits++;
    }
    expect(hits).toBe(0);
  });
});

describe('judging an SA', () => {
  it('NULL with a 12-byte ICV: integrity only, high confidence, deciding frames named', () => {
    const sa = saWith([nullTcp(1, 12), nullTcp(2, 12, new TextEncoder().encode('RDP data')), nullTcp(3, 12, new Uint8Array(100))]);
    const j = judgeEsp(sa);
    expect(j.verdict).toBe('null');
    expect(j.confidence).toBe('high');
    expect(j.reading).toMatchObject({ icvLength: 12, nextHeader: 6 });
    expect(j.decidingFrames).toEqual([100, 101, 102]);
    expect(j.reasons[0]!.text).toMatch(/12-byte ICV.*TCP checksum inside verifies/);
  });

  it('NULL with a 16-byte ICV', () => {
    const j = judgeEsp(saWith([nullTcp(1, 16), nullTcp(2, 16, new Uint8Array(7))]));
    expect(j).toMatchObject({ verdict: 'null', confidence: 'high' });
    expect(j.reading?.icvLength).toBe(16);
  });

  it('NULL without a verifiable checksum (offload, or a NAT in UDP 4500): by the same structure in most packets', () => {
    const zeroSum = (p: Uint8Array): Uint8Array => {
      const c = p.slice();
      c[8 + 16] = 0; // TCP checksum field of the inner segment
      c[8 + 17] = 0;
      return c;
    };
    const j = judgeEsp(saWith([zeroSum(nullTcp(1, 12)), zeroSum(nullTcp(2, 12, new Uint8Array(40))), zeroSum(nullTcp(3, 12, new Uint8Array(9)))]));
    expect(j).toMatchObject({ verdict: 'null', confidence: 'medium' });
    expect(j.reasons[0]!.text).toMatch(/by structure: 3 of 3/);
  });

  it('ciphertext: encrypted, with the randomness of many packets behind it', () => {
    const packets = Array.from({ length: 40 }, (_, i) => cipher(i + 1, 96, 1000 + i));
    const sa = saWith(packets);
    const j = judgeEsp(sa);
    expect(j.verdict).toBe('encrypted');
    expect(j.confidence).toBe('high');
    expect(j.randomness).toBe('uniform');
    expect(j.completeSamples).toBe(16);
    expect(randomness(sa).chiSquare!).toBeLessThan(400);
  });

  it('ESP whose trailer looks valid by chance in one packet of many is still ciphertext', () => {
    const packets = Array.from({ length: 20 }, (_, i) => cipher(i + 1, 80, 2000 + i));
    // Packet 5: pad length 0, next header TCP, and a TCP-looking header at the payload start, checksum wrong.
    const p = packets[5]!;
    p[p.length - 12 - 2] = 0;
    p[p.length - 12 - 1] = 6;
    p[8 + 12] = 0x50;
    const j = judgeEsp(saWith(packets));
    expect(j.readings.length).toBeGreaterThanOrEqual(1);
    expect(j.verdict).toBe('encrypted');
    expect(j.reasons[0]!.text).toMatch(new RegExp(`^SPI 0x[0-9a-f]{8} \\(\\d+ packet\\(s\\), frames \\d+–\\d+\\): ciphertext: ${j.completeSamples - j.readings.length} of ${j.completeSamples} complete packet\\(s\\) .* read as ESP-NULL for no ICV length 0–32, IV 0 or 8 and next header; the other ${j.readings.length} \\(frames? [\\d, ]+\\) ends? in what looks like a valid ESP-NULL trailer, by chance`));
  });

  it('one complete packet that reads as ESP-NULL by structure only is inconclusive, not encrypted', () => {
    const p = nullTcp(1, 12);
    p[8 + 16] ^= 0xff; // break the inner checksum
    const j = judgeEsp(saWith([p]));
    expect(j.verdict).toBe('inconclusive');
  });

  it('snaplen cut every packet: inconclusive, and says why', () => {
    const j = judgeEsp(saWith([cipher(1, 300, 1), cipher(2, 300, 2)], { complete: false }));
    expect(j.verdict).toBe('inconclusive');
    expect(j.reasons[0]!.text).toMatch(/^SPI 0x[0-9a-f]{8} \(2 packet\(s\), frames 100–101\): cannot tell NULL from real encryption: the snaplen cut every one of its 2 packets \(frames 100, 101\), so the trailer and ICV are not in the capture, and too little of the payload is visible \(at least 16 bytes in 8 packets are needed\)$/);
    expect(j.reasons[0]!.code).toBe('esp.undetermined');
    expect(j.cutSamples).toBe(2);
  });

  it('keeps its samples bounded whatever the traffic', () => {
    const sa = saWith(Array.from({ length: 500 }, (_, i) => cipher(i, 1400, i + 5)));
    expect(sa.samples.length).toBe(16);
    expect(sa.histogramPackets).toBe(256);
    const cut = saWith(Array.from({ length: 50 }, (_, i) => cipher(i, 200, i + 5)), { complete: false });
    // The snaplen test reads the start of 8 cut packets (MAX_CUT_SAMPLES).
    expect(cut.samples.length).toBe(8);
  });

  it('an IPv4 UDP-encapsulated ESP-NULL whose checksum a NAT broke is still NULL by structure', () => {
    const inner = { src: '10.1.1.1', dst: '10.2.2.2' };
    const seg = (seq: number): Uint8Array => esp(7, seq, espNullBody(tcp(inner, { sport: 1, dport: 3389, seq, flags: TcpFlag.SYN }), Proto.TCP, 12));
    const j = judgeEsp(saWith([seg(1), seg(2)], { family: 4, src: '192.0.2.1', dst: '203.0.113.5', udpEncap: true }));
    expect(j).toMatchObject({ verdict: 'null', confidence: 'medium' });
    expect(j.reasons[0]!.text).toMatch(/UDP-encapsulated/);
  });
});
