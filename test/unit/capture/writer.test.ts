/** pcap and pcapng writers (src/capture/writer.ts): one reused buffer per writer, so each chunk holds only its own block. */

import { describe, expect, it } from 'vitest';
import { MemorySink, PcapngWriter, PcapWriter } from '../../../src/capture/writer.js';
import { readPackets } from '../../helpers/pcapng-edit.js';

const u32le = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

describe('PcapngWriter', () => {
  it('pads a small block with zeros after a large one filled the reused buffer with other bytes', () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapngWriter((c) => chunks.push(c.slice()));
    w.section();
    w.interface({ linkType: 101 });
    w.packet({ sec: 1, nsec: 0 }, new Uint8Array(3000).fill(0xff), { comments: ['x'.repeat(500)] });
    w.packet({ sec: 2, nsec: 0 }, Uint8Array.of(0x45), { comments: ['é'] });
    const small = chunks[3]!;
    // EPB: type, length, interface, two timestamp words, captured and original length, 1 data byte + 3 padding.
    expect(u32le(small, 0)).toBe(6);
    expect(u32le(small, 4)).toBe(small.length);
    expect(u32le(small, small.length - 4)).toBe(small.length);
    expect(Array.from(small.subarray(28, 32))).toEqual([0x45, 0, 0, 0]);
    // The comment option: code 1, length 2 (UTF-8 of 'é'), value, 2 zero bytes; then opt_endofopt.
    expect(Array.from(small.subarray(32, 44))).toEqual([1, 0, 2, 0, 0xc3, 0xa9, 0, 0, 0, 0, 0, 0]);
    expect(small.length).toBe(48);
  });

  it('hands each block to the sink in the same buffer, so a sink must copy what it keeps (MemorySink does)', () => {
    const views: Uint8Array[] = [];
    const m = new MemorySink();
    const w = new PcapngWriter((c) => {
      views.push(c);
      m.write(c);
    });
    w.section();
    w.interface({ linkType: 101 });
    const packets = [Uint8Array.of(1, 2, 3), new Uint8Array(900).fill(7), Uint8Array.of(9)];
    packets.forEach((p, i) => w.packet({ sec: i, nsec: 0 }, p));
    // The 900-byte packet grew the buffer; the next block is laid out in that same buffer again.
    expect(views[4]!.buffer).toBe(views[3]!.buffer);
    expect(readPackets(m.bytes()).map((p) => Array.from(p.data))).toEqual(packets.map((p) => Array.from(p)));
  });
});

describe('PcapWriter', () => {
  it('writes each record with its header in one chunk, correct after a larger record', () => {
    const m = new MemorySink();
    const w = new PcapWriter(m.write, { linkType: 1 });
    w.packet({ sec: 1, nsec: 5000 }, new Uint8Array(2000).fill(0xee));
    w.packet({ sec: 2, nsec: 6000 }, Uint8Array.of(1, 2));
    const b = m.bytes();
    expect(b.length).toBe(24 + 16 + 2000 + 16 + 2);
    const second = 24 + 16 + 2000;
    expect([u32le(b, second), u32le(b, second + 4), u32le(b, second + 8), u32le(b, second + 12)]).toEqual([2, 6, 2, 2]);
    expect(Array.from(b.subarray(second + 16))).toEqual([1, 2]);
  });
});
