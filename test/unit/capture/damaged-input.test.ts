/** Reader on damaged gzip (RFC 1952), endless input, non-seekable paths and old ntar pcapng: nothing read is lost, nothing hangs (issue 17). */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_INTERFACES, MAX_SECTIONS } from '../../../src/capture/pcapng.js';
import { MemorySink, PcapngWriter, PcapWriter } from '../../../src/capture/writer.js';
import { CaptureErrorCode } from '../../../src/util/errors.js';
import { concat, Prng } from '../../helpers/build.js';
import { fixtures } from '../../helpers/fixtures/catalog.js';
import { readBytes, readPath, type ReadOutcome } from '../../helpers/read.js';
import { testTempDir } from '../../helpers/temp.js';

const SAMPLE = fixtures.find((x) => x.path === 'captures/sample-directaccess.pcapng')!.build();

/** A pcap of `n` 1000-byte records of random (incompressible) bytes: large enough to span many zlib buffers. */
function bigPcap(n: number): Uint8Array {
  const m = new MemorySink();
  const w = new PcapWriter(m.write, { linkType: 1 });
  const rng = new Prng(17);
  for (let i = 0; i < n; i++) w.packet({ sec: 1_700_000_000 + i, nsec: 0 }, rng.bytes(1000));
  return m.bytes();
}

function ids(o: ReadOutcome): string[] {
  return o.result.anomalies.list().map((a) => a.def.id);
}

describe('damaged gzip keeps everything decompressed before the damage', () => {
  const reference = async (bytes: Uint8Array): Promise<ReadOutcome> => readBytes(bytes);

  it('a flipped CRC-32: every frame kept, CAPTURE_GZIP at the end of the data', async () => {
    for (const plain of [SAMPLE, bigPcap(3000)]) {
      const gz = gzipSync(plain);
      gz[gz.length - 8]! ^= 0xff;
      const ref = await reference(plain);
      const o = await readBytes(gz);
      expect(o.frames).toEqual(ref.frames);
      expect(o.result.error?.code).toBe(CaptureErrorCode.Gzip);
      expect(o.result.error?.position).toMatchObject({ offset: plain.length, frame: ref.frames.length + 1 });
      expect(o.result.error?.detail).toContain('CRC-32');
    }
  });

  it('a wrong length in the trailer is corrupt data too', async () => {
    const gz = gzipSync(SAMPLE);
    gz[gz.length - 1]! ^= 0x01;
    const o = await readBytes(gz);
    expect(o.frames).toHaveLength((await reference(SAMPLE)).frames.length);
    expect(o.result.error?.code).toBe(CaptureErrorCode.Gzip);
  });

  it('trailing garbage: every frame kept, a warning, no error', async () => {
    const gz = concat(gzipSync(SAMPLE), new TextEncoder().encode('24 bytes of garbage here'));
    const o = await readBytes(gz);
    expect(o.frames).toEqual((await reference(SAMPLE)).frames);
    expect(o.result.error).toBeNull();
    expect(ids(o)).toContain('capture.gzip_trailing_data');
    expect(o.result.warnings[0]?.position.offset).toBe(SAMPLE.length);
  });

  it('reads a multi-member gzip file as gzip -dc does', async () => {
    const cut = 5000;
    const gz = concat(gzipSync(SAMPLE.subarray(0, cut)), gzipSync(SAMPLE.subarray(cut)));
    const o = await readBytes(gz, { streamChunk: 333 });
    expect(o.frames).toEqual((await reference(SAMPLE)).frames);
    expect(o.result.error).toBeNull();
    expect(o.result.warnings).toEqual([]);
  });

  it('corrupt deflate data: the error is at the record it cut, the records before it are kept', async () => {
    const plain = bigPcap(3000);
    // Deflate data that stops cleanly after `good` bytes (a sync flush), then a block of the reserved type 3.
    const good = 24 + 1016 * 1500 + 500;
    const header = gzipSync(new Uint8Array(0)).subarray(0, 10);
    const gz = concat(header, deflateRawSync(plain.subarray(0, good), { finishFlush: constants.Z_SYNC_FLUSH }), new Uint8Array([0x07, 0, 0, 0]));
    const o = await readBytes(gz);
    expect(o.result.error?.code).toBe(CaptureErrorCode.Gzip);
    const kept = o.frames.length;
    // zlib drops the output of the call that meets the damage: at most one 64 KiB output buffer (docs/reliability.md).
    expect(24 + 1016 * kept).toBeGreaterThan(good - 64 * 1024 - 1016);
    expect(o.frames).toEqual((await reference(plain)).frames.slice(0, kept));
    expect(o.result.error?.position).toMatchObject({ offset: 24 + 1016 * kept, frame: kept + 1 });
  });
});

describe('endless input stops at the first fatal error', () => {
  it('/dev/zero ends with CAPTURE_BAD_MAGIC; the hash covers the bytes read and says so', async () => {
    const o = await readPath('/dev/zero');
    expect(o.result.error?.code).toBe(CaptureErrorCode.BadMagic);
    expect(o.result.sha256Covers).toBe('bytes read');
    expect(o.result.fileBytes).toBeGreaterThan(0);
    expect(o.result.sha256).toBe(createHash('sha256').update(new Uint8Array(o.result.fileBytes)).digest('hex'));
  });

  it('an endless stream on standard input after a valid header ends at the bad block', async () => {
    const head = SAMPLE.subarray(0, 28 + 20);
    function* endless(): Generator<Uint8Array> {
      yield head;
      for (;;) yield new Uint8Array(65536).fill(0x79);
    }
    const o = await readPath('-', { stdin: Readable.from(endless()) });
    expect(o.result.error?.code).toBe(CaptureErrorCode.BadBlock);
    expect(o.result.sha256Covers).toBe('bytes read');
  });

  it('a regular file is still hashed whole after an error', async () => {
    const o = await readPath('fixtures/bad/block-trailer-mismatch.pcapng');
    expect(o.result.error).not.toBeNull();
    expect(o.result.sha256Covers).toBe('whole input');
  });
});

describe('a path that cannot seek is read as a stream', () => {
  it('a named FIFO, plain and gzip', async () => {
    const dir = testTempDir('da-audit-fifo-');
    const ref = await readBytes(SAMPLE);
    for (const [name, bytes] of [['plain', SAMPLE], ['gz', gzipSync(SAMPLE)]] as const) {
      const fifo = join(dir, name);
      execFileSync('mkfifo', [fifo]);
      const src = join(dir, `${name}.src`);
      writeFileSync(src, bytes);
      const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', src, fifo], { stdio: 'ignore' });
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      const o = await readPath(fifo);
      await exited;
      expect(o.result.error).toBeNull();
      expect(o.frames).toEqual(ref.frames);
      expect(o.result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(o.result.compression).toBe(name === 'gz' ? 'gzip' : 'none');
    }
  });
});

describe('old ntar pcapng with block lengths not rounded up to 4', () => {
  it('reads every packet, as tshark does, and records capture.block_length_unpadded', async () => {
    const o = await readPath('fixtures/captures/pcapng-unpadded-lengths.pcapng', { chunkSize: 64 });
    expect(o.result.error).toBeNull();
    expect(o.frames.map((f) => f.capLen)).toEqual([61, 62, 63, 64]);
    expect(new TextDecoder().decode(o.frames[3]!.data.subarray(42, 50))).toBe('packet 3');
    const unpadded = o.result.anomalies.list().find((a) => a.def.id === 'capture.block_length_unpadded');
    expect(unpadded).toMatchObject({ count: 3, frames: [1, 2, 3] });
  });
});

describe('header blocks cannot make the reader keep unbounded state', () => {
  function pcapng(fill: (w: PcapngWriter) => void): Uint8Array {
    const m = new MemorySink();
    fill(new PcapngWriter(m.write));
    return m.bytes();
  }

  it(`stops at interface ${MAX_INTERFACES + 1} and at section ${MAX_SECTIONS + 1}, keeping what came before`, async () => {
    const idbs = await readBytes(pcapng((w) => {
      w.section({});
      for (let i = 0; i <= MAX_INTERFACES; i++) w.interface({ linkType: 1 });
    }));
    expect(idbs.result.error?.code).toBe(CaptureErrorCode.BadInterface);
    expect(idbs.result.interfaces).toHaveLength(MAX_INTERFACES);
    const shbs = await readBytes(pcapng((w) => {
      for (let i = 0; i <= MAX_SECTIONS; i++) w.section({});
    }));
    expect(shbs.result.error?.code).toBe(CaptureErrorCode.BadBlock);
    expect(shbs.result.sections).toHaveLength(MAX_SECTIONS);
  });

  it('keeps 64 comments per block and 16 MiB of header text per file, cut and marked after that', async () => {
    const long = 'x'.repeat(60_000);
    const o = await readBytes(pcapng((w) => {
      w.section({ comments: Array.from({ length: 100 }, (_, i) => `comment ${i}`) });
      for (let i = 0; i < 300; i++) w.interface({ linkType: 1, name: long });
      w.packet({ sec: 1, nsec: 0 }, new Uint8Array(60), { iface: 299 });
    }));
    expect(o.result.error).toBeNull();
    expect(o.frames).toHaveLength(1);
    expect(o.result.sections[0]!.comments).toHaveLength(64);
    const kept = o.result.interfaces.reduce((n, i) => n + (i.name?.length ?? 0), 0);
    expect(kept).toBeLessThan(16 * 1024 * 1024 + 300 * 100);
    expect(o.result.interfaces[299]!.name).toMatch(/cut: the file's text over/);
  });
});
