import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureErrorCode } from '../../../src/util/errors.js';
import { Direction, RecordKind } from '../../../src/capture/frame.js';
import { MemorySink, PcapngWriter, PcapWriter } from '../../../src/capture/writer.js';
import { fixtures } from '../../helpers/fixtures/catalog.js';
import { readBytes, readPath, type ReadOutcome } from '../../helpers/read.js';
import { testTempDir } from '../../helpers/temp.js';
import { concat, Prng } from '../../helpers/build.js';

function fixture(path: string): Uint8Array {
  const f = fixtures.find((x) => x.path === path);
  if (!f) throw new Error(`no fixture ${path}`);
  return f.build();
}

function anomalyIds(o: ReadOutcome): string[] {
  return o.result.anomalies.list().map((a) => a.def.id);
}

const T = { sec: 1_764_140_400, nsec: 123_456_789 };

describe('classic pcap', () => {
  const variants = [
    ['captures/pcap-usec-le.pcap', true, false],
    ['captures/pcap-usec-be.pcap', false, false],
    ['captures/pcap-nsec-le.pcap', true, true],
    ['captures/pcap-nsec-be.pcap', false, true],
  ] as const;
  for (const [path, le, nano] of variants) {
    it(`reads ${path}: byte order, resolution, records`, async () => {
      const o = await readBytes(fixture(path));
      expect(o.result.error).toBeNull();
      expect(o.result.format).toBe('pcap');
      expect(o.result.pcapHeader).toMatchObject({ littleEndian: le, nanosecond: nano, versionMajor: 2, versionMinor: 4, linkType: 1 });
      expect(o.frames.map((f) => f.number)).toEqual([1, 2, 3, 4]);
      expect(o.frames.map((f) => f.capLen)).toEqual([60, 70, 80, 90]);
      // µs files keep only microseconds of the written 123456789 ns.
      expect(o.frames[0]).toMatchObject({ sec: T.sec, nsec: nano ? 123_456_789 : 123_456_000, linkType: 1, interfaceId: 0 });
      expect(o.frames[3]).toMatchObject({ sec: T.sec + 3, nsec: nano ? 123_456_792 : 123_456_000 });
      expect(new TextDecoder().decode(o.frames[2]!.data.subarray(42, 50))).toBe('packet 2');
    });
  }

  it('reads version 2.2 as 2.4 and rejects version 1.x', async () => {
    expect((await readBytes(fixture('captures/pcap-version-2.2.pcap'))).frames).toHaveLength(4);
    const v1 = fixture('captures/pcap-usec-le.pcap').slice();
    v1[4] = 1;
    const o = await readBytes(v1);
    expect(o.result.error?.code).toBe(CaptureErrorCode.UnsupportedVersion);
    expect(o.frames).toHaveLength(0);
  });

  it('reads the modified (Kuznetzov) pcap with 24-byte record headers', async () => {
    const o = await readBytes(fixture('captures/pcap-modified.pcap'));
    expect(o.result.pcapHeader?.modified).toBe(true);
    expect(o.frames.map((f) => f.capLen)).toEqual([60, 70, 80, 90]);
    expect(new TextDecoder().decode(o.frames[1]!.data.subarray(42, 50))).toBe('packet 1');
  });

  it('takes the FCS length from the link-type word', async () => {
    const o = await readBytes(fixture('captures/pcap-fcs.pcap'));
    expect(o.result.pcapHeader?.fcsLen).toBe(4);
    expect(o.frames.every((f) => f.fcsLen === 4 && f.linkType === 1)).toBe(true);
  });

  it('rejects reserved bits in the link-type word', async () => {
    const bytes = fixture('captures/pcap-usec-le.pcap').slice();
    bytes[22] = 0x30; // 0x00300000
    expect((await readBytes(bytes)).result.error?.code).toBe(CaptureErrorCode.BadHeader);
  });

  it('keeps the wire length of packets cut by the snaplen', async () => {
    const o = await readBytes(fixture('captures/pcap-snaplen-96.pcap'));
    expect(o.frames.map((f) => [f.capLen, f.wireLen])).toEqual([[96, 600], [96, 600], [96, 600]]);
    expect(o.result.stats.cutPackets).toBe(3);
  });

  it('normalises a µs field of a second or more and flags it', async () => {
    const m = new MemorySink();
    const w = new PcapWriter(m.write, { linkType: 1 });
    w.packet({ sec: 10, nsec: 0 }, new Uint8Array(20));
    const bytes = m.bytes();
    new DataView(bytes.buffer).setUint32(24 + 4, 1_000_000, true); // ts_usec = 1 000 000
    const o = await readBytes(bytes);
    expect(o.frames[0]).toMatchObject({ sec: 11, nsec: 0 });
    expect(anomalyIds(o)).toContain('capture.timestamp_fraction_out_of_range');
  });
});

describe('pcapng', () => {
  it('reads sections in both byte orders; interface ids restart per section', async () => {
    const o = await readBytes(fixture('captures/pcapng-mixed-endian-sections.pcapng'));
    expect(o.result.error).toBeNull();
    expect(o.result.sections.map((s) => s.littleEndian)).toEqual([true, false]);
    expect(o.result.sections[0]!.sectionLength).toBe(-1);
    expect(o.result.sections[1]!.sectionLength).toBeGreaterThan(0);
    expect(o.result.interfaces.map((i) => [i.id, i.section, i.localId, i.linkType])).toEqual([[0, 0, 0, 1], [1, 1, 0, 229]]);
    expect(o.frames.map((f) => [f.number, f.interfaceId, f.linkType])).toEqual([[1, 0, 1], [2, 0, 1], [3, 1, 229], [4, 1, 229]]);
    expect(o.frames[2]!.data[0]! >> 4).toBe(6);
  });

  it('applies if_tsresol (powers of 10 and 2) and if_tsoffset exactly', async () => {
    const o = await readBytes(fixture('captures/pcapng-tsresol.pcapng'));
    // All five packets were written at T0 + 0.987654321 s; each interface keeps what its resolution can hold.
    expect(o.frames.map((f) => [f.sec, f.nsec])).toEqual([
      [1_764_140_400, 987_000_000], // 10^-3
      [1_764_140_400, 987_654_321], // 10^-9
      [1_764_140_400, 987_653_732], // 2^-20: 1035630 ticks = floor(0.987654321 · 2^20); 1035630 / 2^20 = 0.98765373229…
      [1_764_140_400, 984_375_000], // 2^-8: 252/256
      [1_764_140_400, 987_654_000], // 10^-6, with if_tsoffset 1000 s added back
    ]);
    expect(o.result.interfaces.map((i) => i.tsOffset)).toEqual([0, 0, 0, 0, 1000]);
  });

  it('reads every block kind and numbers custom and journal records as frames, like Wireshark', async () => {
    const o = await readBytes(fixture('captures/pcapng-all-blocks.pcapng'));
    expect(o.result.error).toBeNull();
    expect(o.frames.map((f) => f.kind)).toEqual([
      RecordKind.Packet, RecordKind.Packet, RecordKind.Packet, RecordKind.CustomBlock, RecordKind.Packet,
      RecordKind.JournalExport, RecordKind.CustomBlock, RecordKind.Packet,
    ]);
    expect(o.frames.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const [epb, pb, spb] = o.frames;
    expect(epb).toMatchObject({ direction: Direction.Inbound, epbFlags: 1, commentCount: 1, packetIdHigh: 0x11223344, packetIdLow: 0x55667788 });
    expect(pb).toMatchObject({ hasTs: true, sec: 1_764_140_401, interfaceId: 0 });
    expect(spb).toMatchObject({ hasTs: false, interfaceId: 0, capLen: 60 });
    expect(o.frames[4]).toMatchObject({ interfaceId: 1, linkType: 101, direction: Direction.Outbound });
    expect(o.frames[5]).toMatchObject({ hasTs: true, sec: 1_764_140_405, nsec: 1000 });
    expect(o.result.stats.packets).toBe(5);
    expect(o.result.stats.otherRecords).toBe(3);
    expect(o.result.blockCounts).toMatchObject({ SHB: 1, IDB: 2, EPB: 3, PB: 1, SPB: 1, NRB: 1, ISB: 1, DSB: 1, custom: 2, journal: 1, unknown: 1 });
    expect(o.result.names).toHaveLength(1);
    expect(o.result.names[0]!.names).toEqual(['client.example']);
    expect(o.result.interfaceStats.get(0)).toMatchObject({ received: 3, dropped: 0 });
    expect(o.result.secretsTypes).toEqual([0x544c534b]);
    expect(o.result.interfaces[0]).toMatchObject({ name: 'eth0', description: 'first', filter: 'udp', os: 'Windows' });
    expect(o.result.sections[0]).toMatchObject({ hardware: 'x86_64', os: 'Windows 10 Enterprise', comments: ['all block kinds'] });
    expect(anomalyIds(o)).toContain('capture.unknown_block_skipped');
  });

  it('gives each interface of a mixed-link-type file its own link type', async () => {
    const o = await readBytes(fixture('captures/pcapng-mixed-linktypes.pcapng'));
    expect(o.frames.map((f) => f.linkType)).toEqual([1, 101, 1, 101, 1, 101]);
    expect(o.frames.map((f) => f.direction)).toEqual([2, 1, 1, 2, 1, 1]);
    expect(o.result.interfaces.map((i) => i.packets)).toEqual([3, 3]);
  });

  it('rejects an SHB version other than 1.0/1.2, keeping the frames of earlier sections', async () => {
    const good = fixture('captures/pcapng-mixed-linktypes.pcapng');
    const bad = good.slice();
    bad[12] = 2; // major version 2
    const o = await readBytes(concat(good, bad));
    expect(o.frames).toHaveLength(6);
    expect(o.result.error?.code).toBe(CaptureErrorCode.UnsupportedVersion);
    expect(o.result.error?.position).toMatchObject({ offset: good.length, frame: 7 });
  });

  it('rejects an option that runs past its block', async () => {
    const m = new MemorySink();
    const w = new PcapngWriter(m.write);
    w.section({ comments: ['abcd'] });
    const bytes = m.bytes();
    new DataView(bytes.buffer).setUint16(24 + 2, 400, true); // comment length 400 in a 40-byte block
    expect((await readBytes(bytes)).result.error?.code).toBe(CaptureErrorCode.BadOption);
  });

  it('rejects an SPB before any IDB and an out-of-range if_tsresol', async () => {
    const m = new MemorySink();
    const w = new PcapngWriter(m.write);
    w.section({});
    w.simplePacket(new Uint8Array(20));
    expect((await readBytes(m.bytes())).result.error?.code).toBe(CaptureErrorCode.BadInterface);
    const m2 = new MemorySink();
    const w2 = new PcapngWriter(m2.write);
    w2.section({});
    w2.interface({ linkType: 1, tsResolution: { base: 10, exponent: 20 } });
    expect((await readBytes(m2.bytes())).result.error?.code).toBe(CaptureErrorCode.BadOption);
  });
});

describe('streaming', () => {
  const all = fixtures.filter((f) => f.path.startsWith('captures/') && !f.path.endsWith('.gz'));
  for (const f of all) {
    it(`gives the same frames whatever the read-chunk size: ${f.path}`, async () => {
      const bytes = f.build();
      const ref = await readBytes(bytes);
      for (const chunkSize of [64, 97, 1000]) {
        for (const streamChunk of [1, 13, 4096]) {
          const o = await readBytes(bytes, { chunkSize, streamChunk });
          expect(o.frames).toEqual(ref.frames);
          expect(o.result.sha256).toBe(ref.result.sha256);
        }
      }
    });
  }

  it('reads a file path, standard input and gzip alike; hashes the stored bytes', async () => {
    const fromFile = await readPath('fixtures/captures/sample-directaccess.pcapng');
    const fromGzip = await readPath('fixtures/captures/sample-directaccess.pcapng.gz');
    const fromStdin = await readBytes(fixture('captures/sample-directaccess.pcapng'));
    const gzStdin = await readBytes(gzipSync(fixture('captures/sample-directaccess.pcapng')));
    expect(fromFile.frames.length).toBeGreaterThan(5);
    for (const o of [fromGzip, fromStdin, gzStdin]) expect(o.frames).toEqual(fromFile.frames);
    expect(fromGzip.result.compression).toBe('gzip');
    expect(gzStdin.result.compression).toBe('gzip');
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(fromFile.result.sha256).toBe(sha('fixtures/captures/sample-directaccess.pcapng'));
    expect(fromGzip.result.sha256).toBe(sha('fixtures/captures/sample-directaccess.pcapng.gz'));
    expect(fromFile.result.fileBytes).toBe(readFileSync('fixtures/captures/sample-directaccess.pcapng').length);
  });

  it('hashes a large file alike on a thread of its own (a single capture) and in the reading pass (a busy fleet)', async () => {
    const { createHash } = await import('node:crypto');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    // Above the 32 MiB from which a file may be hashed on its own thread: 600 records of 60,000 bytes, each one distinct.
    const sink = new MemorySink();
    const w = new PcapWriter(sink.write, { linkType: 1 });
    const rng = new Prng(0x32);
    for (let i = 0; i < 600; i++) w.packet({ sec: 1_700_000_000 + i, nsec: 0 }, rng.bytes(60_000));
    const bytes = sink.bytes();
    expect(bytes.length).toBeGreaterThan(32 * 1024 * 1024);
    const path = join(testTempDir('da-audit-hash-'), 'large.pcap');
    writeFileSync(path, bytes);
    const want = createHash('sha256').update(bytes).digest('hex');
    // Which way is taken shows before a byte is parsed: a hash on its own thread already covers the whole file.
    const { openSource } = await import('../../../src/capture/source.js');
    for (const [hashing, whole] of [['own-thread', true], ['in-pass', false]] as const) {
      const opened = await openSource(path, hashing);
      expect(opened.tap.whole).toBe(whole);
      await opened.source.close();
      await opened.tap.digest();
    }
    for (const hashThread of [true, false]) {
      const o = await readPath(path, { hashThread });
      expect(o.result.error).toBeNull();
      expect(o.frames).toHaveLength(600);
      expect([o.result.sha256, o.result.sha256Covers]).toEqual([want, 'whole input']);
    }
  });

  it('hashes the whole file even when a fatal error stops the parse early', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const path = 'fixtures/bad/block-trailer-mismatch.pcapng';
    const o = await readPath(path, { chunkSize: 64 });
    expect(o.result.error).not.toBeNull();
    expect(o.result.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  });
});

describe('bad input', () => {
  // Each case: fixture, frames kept, fatal error code (or null), anomaly expected, error/warning position.
  const cases: [string, number, string | null, string | null, { offset: number; frame: number } | null][] = [
    ['bad/empty.pcap', 0, CaptureErrorCode.Empty, null, { offset: 0, frame: 1 }],
    ['bad/header-only.pcap', 0, null, null, null],
    ['bad/header-only.pcapng', 0, null, null, null],
    ['bad/short-header.pcap', 0, CaptureErrorCode.BadHeader, null, { offset: 0, frame: 1 }],
    ['bad/unknown-magic.bin', 0, CaptureErrorCode.BadMagic, null, { offset: 0, frame: 1 }],
    ['bad/random.bin', 0, CaptureErrorCode.BadMagic, null, { offset: 0, frame: 1 }],
    ['bad/truncated-record.pcap', 3, null, 'capture.file_truncated', { offset: 282, frame: 4 }],
    ['bad/length-past-end.pcap', 3, null, 'capture.file_truncated', { offset: 282, frame: 4 }],
    ['bad/length-over-cap.pcap', 3, CaptureErrorCode.RecordTooLong, null, { offset: 282, frame: 4 }],
    ['bad/record-over-snaplen.pcap', 4, null, 'capture.record_exceeds_snaplen', null],
    ['bad/block-length-too-small.pcapng', 1, CaptureErrorCode.BadBlock, null, { offset: 180, frame: 2 }],
    ['bad/block-length-not-multiple-of-4.pcapng', 1, CaptureErrorCode.BadBlock, null, { offset: 180, frame: 2 }],
    ['bad/block-trailer-mismatch.pcapng', 1, CaptureErrorCode.BadBlock, null, { offset: 180, frame: 2 }],
    ['bad/block-length-huge.pcapng', 1, CaptureErrorCode.BadBlock, null, { offset: 180, frame: 2 }],
    ['bad/truncated-block.pcapng', 2, null, 'capture.file_truncated', { offset: 272, frame: 3 }],
    ['bad/interface-out-of-range.pcapng', 1, CaptureErrorCode.BadInterface, null, { offset: 180, frame: 2 }],
  ];
  for (const [path, kept, code, anomaly, where] of cases) {
    it(`${path}: keeps ${kept} frame(s)${code ? `, stops with ${code}` : ''}${anomaly ? `, flags ${anomaly}` : ''}`, async () => {
      for (const chunkSize of [64, 1 << 20]) {
        const o = await readBytes(fixture(path), { chunkSize });
        expect(o.frames).toHaveLength(kept);
        expect(o.result.error?.code ?? null).toBe(code);
        if (anomaly) expect(anomalyIds(o)).toContain(anomaly);
        if (code && where) expect(o.result.error!.position).toEqual({ file: '-', ...where });
        if (!code && where) expect(o.result.warnings[0]!.position).toEqual({ file: '-', ...where });
        if (!code && !anomaly) expect(o.result.warnings).toEqual([]);
      }
    });
  }

  it('keeps the packets before a gzip stream that ends early and says so', async () => {
    const o = await readPath('fixtures/bad/gzip-truncated.pcap.gz');
    expect(o.frames.length).toBeGreaterThan(50);
    expect(o.frames.length).toBeLessThan(200);
    expect(o.frames.map((f) => f.number)).toEqual(o.frames.map((_, i) => i + 1));
    expect(o.result.error).toBeNull();
    expect(anomalyIds(o)).toContain('capture.gzip_truncated');
  });

  it('reports corrupt gzip data as an error, keeping what came before', async () => {
    const gz = gzipSync(fixture('captures/pcapng-mixed-linktypes.pcapng'));
    const bad = gz.slice();
    for (let i = 20; i < bad.length - 8; i += 7) bad[i] = bad[i]! ^ 0x5a;
    const o = await readBytes(bad);
    expect(o.result.error?.code).toMatch(/CAPTURE_GZIP|CAPTURE_BAD_BLOCK|CAPTURE_BAD_MAGIC|CAPTURE_BAD_OPTION/);
  });

  it('names the file it could not open', async () => {
    const o = await readPath('fixtures/no-such-file.pcap');
    expect(o.result.error?.code).toBe(CaptureErrorCode.Io);
    expect(o.result.error?.message).toContain('no such file');
  });

  it('never throws, hangs or over-allocates on random bytes behind a valid header', async () => {
    const rng = new Prng(7);
    const headers = [fixture('bad/header-only.pcap'), fixture('bad/header-only.pcapng'), fixture('captures/pcapng-all-blocks.pcapng').subarray(0, 96)];
    for (let i = 0; i < 300; i++) {
      const bytes = concat(headers[i % 3]!, rng.bytes(rng.int(2000)));
      const o = await readBytes(bytes, { chunkSize: 256 });
      for (const f of o.frames) expect(f.capLen).toBeLessThanOrEqual(262144);
      expect(o.frames.map((f) => f.number)).toEqual(o.frames.map((_, k) => k + 1));
    }
  });
});

describe('hashing', () => {
  it('hashes a large file on a worker thread and gets the same SHA-256', async () => {
    const { createHash } = await import('node:crypto');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const m = new MemorySink();
    const w = new PcapWriter(m.write, { linkType: 1 });
    const payload = new Prng(5).bytes(1400);
    // 24 000 records of 1416 bytes: about 34 MB, over the 32 MiB worker threshold.
    for (let i = 0; i < 24_000; i++) w.packet({ sec: 1_700_000_000 + i, nsec: 0 }, payload);
    const bytes = m.bytes();
    const dir = mkdtempSync(join(tmpdir(), 'da-audit-hash-'));
    const path = join(dir, 'big.pcap');
    writeFileSync(path, bytes);
    try {
      const o = await readPath(path);
      expect(o.frames).toHaveLength(24_000);
      expect(o.result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(o.result.fileBytes).toBe(bytes.length);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
