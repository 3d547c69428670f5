import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySink, PcapngWriter } from '../../src/capture/writer.js';
import { cli } from '../helpers/cli.js';
import { sampleScenario } from '../helpers/fixtures/sample.js';
import { testTempDir } from '../helpers/temp.js';

const SAMPLE = 'fixtures/captures/sample-directaccess.pcapng';
/** What the sample's scenario wrote: frames in all and per interface (Ethernet NIC, raw-IP tunnel interface). */
const written = sampleScenario().frames;
const PACKETS = written.length;
const first = written[0]!;
const last = written[PACKETS - 1]!;
/** ISO 8601 at the interfaces' microsecond resolution, as info prints it. */
const iso = (w: { sec: number; nsec: number }): string => `${new Date(w.sec * 1000).toISOString().slice(0, 19)}.${String(w.nsec / 1000).padStart(6, '0')}Z`;

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** No stack traces, ever: a line like "    at foo (file.js:1:2)". */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe('da-audit info', () => {
  it('prints the facts of the sample as a table and exits 0', () => {
    const r = cli(['info', SAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('pcapng 1.0, little-endian');
    expect(r.stdout).toContain(sha256(SAMPLE));
    expect(r.stdout).toMatch(new RegExp(`Packets\\s+│ ${PACKETS} `));
    expect(r.stdout).toContain('ETHERNET (1)');
    expect(r.stdout).toContain('RAW (101)');
    expect(r.stdout).toContain(iso(first));
  });

  it('gives the same facts as JSON, with a schema version', () => {
    const r = cli(['info', '--format', 'json', SAMPLE]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schemaVersion).toBe(1);
    const f = doc.files[0];
    expect(f).toMatchObject({
      format: 'pcapng', formatVersion: '1.0', byteOrder: 'little-endian', compression: 'none', packets: PACKETS, otherRecords: 0, frames: PACKETS,
      status: 'complete', error: null, sha256: sha256(SAMPLE), fileBytes: readFileSync(SAMPLE).length, strictTimeOrder: true,
      firstPacketTime: iso(first), lastPacketTime: iso(last),
      durationSeconds: `${last.sec - first.sec - (last.nsec < first.nsec ? 1 : 0)}.${String((last.nsec - first.nsec + 1e9) % 1e9).padStart(9, '0')}`,
    });
    const perInterface = [0, 1].map((id) => written.filter((w) => w.iface === id).length);
    expect(f.interfaces.map((i: { linkType: number; packets: number }) => [i.linkType, i.packets])).toEqual([[1, perInterface[0]], [101, perInterface[1]]]);
    expect(f.dataBytes).toBe(written.reduce((n, w) => n + w.length, 0));
    expect(f.dataBytes).toBe(f.capturedBytes);
    expect(f.averagePacketSize).toBeCloseTo(f.dataBytes / PACKETS, 2);
  });

  it('reads gzip and standard input', () => {
    const gz = cli(['info', '--format', 'json', 'fixtures/captures/sample-directaccess.pcapng.gz']);
    expect(gz.code).toBe(0);
    expect(JSON.parse(gz.stdout).files[0]).toMatchObject({ compression: 'gzip', packets: PACKETS });
    const stdin = cli(['info', '--format', 'json', '-'], readFileSync('fixtures/captures/sample-directaccess.pcapng.gz'));
    expect(stdin.code).toBe(0);
    expect(JSON.parse(stdin.stdout).files[0]).toMatchObject({ file: '-', compression: 'gzip', packets: PACKETS, sha256: sha256('fixtures/captures/sample-directaccess.pcapng.gz') });
  });

  it('reports a cut-short file with file, byte offset and frame, keeps what it read, exits 3', () => {
    const r = cli(['info', '--format', 'json', 'fixtures/bad/truncated-record.pcap']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      'da-audit: warning: fixtures/bad/truncated-record.pcap: byte offset 282, frame 4: file ends inside a pcap record: 96 of 106 bytes present',
    ]);
    expect(JSON.parse(r.stdout).files[0]).toMatchObject({ packets: 3, status: 'truncated' });
  });

  it('gives one block per file and the worst exit code; diagnostics go to stderr only', () => {
    const files = [SAMPLE, 'fixtures/bad/random.bin', 'fixtures/bad/block-trailer-mismatch.pcapng', 'fixtures/bad/empty.pcap'];
    const r = cli(['info', ...files]);
    expect(r.code).toBe(3);
    for (const f of files) expect(r.stdout).toContain(`File: ${f}`);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      'da-audit: error: fixtures/bad/random.bin: byte offset 0, frame 1: not a pcap or pcapng file (starts with 0x378d97fd)',
      'da-audit: error: fixtures/bad/block-trailer-mismatch.pcapng: byte offset 180, frame 2: block length 92 differs from its trailing copy 4 (1 frame(s) before it were read)',
      'da-audit: error: fixtures/bad/empty.pcap: byte offset 0, frame 1: file is empty',
    ]);
    expectNoStack(r.stdout + r.stderr);
  });

  it('exits 0 on capture anomalies unless --strict, then 3', () => {
    expect(cli(['info', 'fixtures/bad/record-over-snaplen.pcap']).code).toBe(0);
    const strict = cli(['info', '--strict', 'fixtures/bad/record-over-snaplen.pcap']);
    expect(strict.code).toBe(3);
    expect(strict.stdout).toContain('capture.record_exceeds_snaplen');
  });

  it('handles every bad fixture without a crash or a stack trace', () => {
    for (const name of ['empty.pcap', 'short-header.pcap', 'unknown-magic.bin', 'random.bin', 'length-over-cap.pcap', 'block-length-huge.pcapng',
      'gzip-truncated.pcap.gz', 'interface-out-of-range.pcapng', 'length-past-end.pcap', 'truncated-block.pcapng']) {
      const r = cli(['info', `fixtures/bad/${name}`]);
      expect(r.code, name).toBe(3);
      expect(r.stderr, name).toMatch(/^da-audit: (error|warning): fixtures\/bad\/.+: byte offset \d+, frame \d+: .+/);
      expectNoStack(r.stdout + r.stderr);
    }
    expect(cli(['info', 'fixtures/bad/header-only.pcapng']).code).toBe(0);
  });

  it('escapes control characters from the file in the table', () => {
    const m = new MemorySink();
    const w = new PcapngWriter(m.write);
    w.section({ os: 'evil\u001b[2J\rOS' });
    w.interface({ linkType: 1, name: 'eth0\nFAKE LINE', description: 'rtl\u202eevil' });
    const dir = testTempDir('da-audit-');
    const path = join(dir, 'hostile.pcapng');
    writeFileSync(path, m.bytes());
    const r = cli(['info', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\u202e');
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).toContain('evil\\x1b[2J\\rOS');
    expect(r.stdout).toContain('eth0\\nFAKE LINE');
    expect(r.stdout).toContain('rtl\\u202eevil');
  });
});

describe('command line', () => {
  it('exits 2 on usage errors, with a message and no stack', () => {
    for (const args of [['info'], ['info', '--format', 'xml', SAMPLE], ['frobnicate'], ['info', '--bogus', SAMPLE]]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
      expectNoStack(r.stderr);
    }
  });

  it('prints help and version with exit 0', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('info');
    const version = cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
