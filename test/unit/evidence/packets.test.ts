/** evidence.pcapng (src/evidence/packets.ts): wanted frames copied byte for byte onto copies of their interfaces. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NANOSECONDS } from '../../../src/capture/timestamp.js';
import { MemorySink, PcapngWriter } from '../../../src/capture/writer.js';
import { copyFrames } from '../../../src/evidence/packets.js';
import { HAVE_TSHARK, run } from '../../helpers/inputs.js';
import { readBytes, readPath } from '../../helpers/read.js';
import { testTempDir } from '../../helpers/temp.js';

describe('copyFrames', () => {
  it('keeps bytes, lengths, times (with if_tsoffset and resolution), flags and interfaces; an SPB copy says it had no time', async () => {
    const sink = new MemorySink();
    const w = new PcapngWriter(sink.write);
    w.section();
    w.interface({ linkType: 1, snaplen: 128, tsResolution: NANOSECONDS, tsOffset: 100, name: 'eth0' });
    w.interface({ linkType: 101, snaplen: 0, name: 'tunnel' });
    w.packet({ sec: 1_700_000_000, nsec: 1 }, Uint8Array.of(1, 2, 3), { iface: 1 });
    w.packet({ sec: 1_700_000_100, nsec: 123_456_789 }, new Uint8Array(60).fill(7), { iface: 0, wireLen: 1500, capLen: 60, flags: 2 }, 100);
    w.simplePacket(new Uint8Array(40).fill(9), 40);
    w.packet({ sec: 1_700_000_200, nsec: 0 }, Uint8Array.of(4), { iface: 1 });
    const path = join(testTempDir('da-copy-frames-'), 'in.pcapng');
    writeFileSync(path, sink.bytes());
    const original = await readPath(path);
    const out = await copyFrames([{ path, name: 'in.pcapng', capture: original.result, comments: new Map([[2, ['two']], [3, ['three', 'again']], [9, ['absent']]]) }]);
    expect(out.missing).toEqual([{ name: 'in.pcapng', frame: 9 }]);
    const copy = await readBytes(out.bytes);
    expect(copy.result.error).toBeNull();
    expect(copy.result.interfaces.map((i) => [i.linkType, i.snaplen, i.tsResolution, i.tsOffset, i.name, i.comments]))
      .toEqual([[1, 128, NANOSECONDS, 100, 'eth0', ['interface 0 of in.pcapng']], [101, 0, { base: 10, exponent: 6 }, 0, 'tunnel', ['interface 1 of in.pcapng']]]);
    expect(copy.frames).toHaveLength(2);
    const [two, three] = copy.frames;
    const o2 = original.frames[1]!;
    expect([two!.data, two!.sec, two!.nsec, two!.wireLen, two!.interfaceId, two!.epbFlags, two!.commentCount]).toEqual([o2.data, o2.sec, o2.nsec, 1500, 0, 2, 1]);
    expect(o2.sec).toBe(1_700_000_100);
    // The SPB (interface 0, if_tsoffset 100) is written at tick 0, which reads as the offset.
    expect([three!.data, three!.hasTs, three!.sec, three!.nsec, three!.commentCount]).toEqual([original.frames[2]!.data, true, 100, 0, 3]);
    if (HAVE_TSHARK) {
      const copyPath = join(path, '..', 'copy.pcapng');
      writeFileSync(copyPath, out.bytes);
      const t = run('tshark', ['-r', copyPath, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.comment']);
      expect(t.stderr.replace(/^Running as user .*\n?/m, '')).toBe('');
      expect(t.stdout).toBe('1700000100.123456789\ttwo\n100.000000000\tthree,again,the original (a Simple Packet Block) has no timestamp; tick 0 written\n');
    }
  });
});
