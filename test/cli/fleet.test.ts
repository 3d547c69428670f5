/**
 * Issue 16: `verify` over a fleet of captures, end to end on files our builders made: folders searched recursively
 * (captures by their first bytes, gzip too), skipped non-captures, --files-from and '-', input order under --jobs,
 * exit-code precedence and --fail-on, JSONL fields, CSV quoting and formula injection, filters that never change a
 * verdict, --config under the command line, -o and --quiet.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/verify.js';
import { ROW_FIELDS } from '../../src/report/rows.js';
import { CLOCK_SKEW_SEC } from '../../src/fleet/merge.js';
import { progressLine } from '../../src/fleet/progress.js';
import { cli } from '../helpers/cli.js';
import { expectSchemaValid } from '../helpers/schema.js';
import { DA } from '../helpers/fixtures/da-fixtures.js';
import { VERIFY } from '../helpers/fixtures/verify-fixtures.js';
import { esp, Scenario, type Protection } from '../helpers/scenario.js';
import { suiteTempDir, testTempDir } from '../helpers/temp.js';

const CAPTURES = 'fixtures/captures';
const fixture = (name: string): string => join(CAPTURES, name);
const bytesOf = (name: string): Buffer => readFileSync(fixture(name));

interface Doc {
  files: VerifyReport[];
  run: {
    totals: { verdicts: Record<string, number>; files: { read: number; damaged: number; skipped: number; failed: number } };
    files: { file: string; status: string; result: string | null; damaged: boolean; error: string | null }[];
    skipped: { path: string; reason: string }[];
    settings: Record<string, unknown>;
    exitCode: number;
  };
}

function json(args: string[], input?: Uint8Array): { code: number | null; doc: Doc; stderr: string } {
  const r = cli(['verify', '-f', 'json', ...args], input);
  const doc = JSON.parse(r.stdout) as Doc;
  // Every report a fleet run writes matches docs/report.schema.json, its `run` part included.
  expectSchemaValid(doc);
  return { code: r.code, doc, stderr: r.stderr };
}

type Line = Record<string, unknown>;
function jsonl(args: string[], input?: Uint8Array): { code: number | null; lines: Line[]; stdout: string; stderr: string } {
  const r = cli(['verify', '-f', 'jsonl', ...args], input);
  return { code: r.code, lines: r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line), stdout: r.stdout, stderr: r.stderr };
}

/** A capture cut inside its last block: a warning line, status "truncated". */
function cut(name: string, keep: number): Buffer {
  return bytesOf(name).subarray(0, keep);
}

describe('inputs: folders, lists, standard input', () => {
  const dir = suiteTempDir('da-fleet-in-');
  // b/ sorts after a.pcapng and before c.txt: a folder's entries are taken in code-unit order, depth first.
  mkdirSync(join(dir, 'b', 'deeper'), { recursive: true });
  copyFileSync(fixture('verify-clear.pcapng'), join(dir, 'a.pcapng'));
  copyFileSync(fixture('pcap-nsec-le.pcap'), join(dir, 'b', 'capture.bin'));
  writeFileSync(join(dir, 'b', 'deeper', 'encrypted.gz'), gzipSync(bytesOf('verify-encrypted.pcapng')));
  copyFileSync(fixture('pcap-usec-be.pcap'), join(dir, 'b', 'deeper', 'z.pcap'));
  // The other pcap magics: µs little-endian, ns big-endian, the modified-pcap (Kuznetzov) header.
  copyFileSync(fixture('pcap-usec-le.pcap'), join(dir, 'b', 'deeper', 'z1'));
  copyFileSync(fixture('pcap-nsec-be.pcap'), join(dir, 'b', 'deeper', 'z2'));
  copyFileSync(fixture('pcap-modified.pcap'), join(dir, 'b', 'deeper', 'z3'));
  writeFileSync(join(dir, 'b', 'notes.txt.gz'), gzipSync(Buffer.from('not a capture\n')));
  writeFileSync(join(dir, 'c.txt'), 'hello\n');
  writeFileSync(join(dir, 'empty.pcapng'), '');

  it('searches folders recursively, recognises captures by their first bytes (pcap both ways, pcapng, gzip), skips the rest unjudged', () => {
    const { code, doc } = json([dir]);
    expect(doc.files.map((f) => f.file)).toEqual([
      join(dir, 'a.pcapng'), join(dir, 'b', 'capture.bin'), join(dir, 'b', 'deeper', 'encrypted.gz'), join(dir, 'b', 'deeper', 'z.pcap'),
      join(dir, 'b', 'deeper', 'z1'), join(dir, 'b', 'deeper', 'z2'), join(dir, 'b', 'deeper', 'z3'),
    ]);
    expect(doc.files.map((f) => f.packets).every((n) => n > 0)).toBe(true);
    expect(doc.run.skipped).toEqual([
      { path: join(dir, 'b', 'notes.txt.gz'), reason: 'gzip-compressed, but not a capture inside (not a pcap or pcapng file (unknown magic))' },
      { path: join(dir, 'c.txt'), reason: 'not a pcap or pcapng file (unknown magic)' },
      { path: join(dir, 'empty.pcapng'), reason: 'empty file' },
    ]);
    expect(doc.run.totals.files).toEqual({ read: 7, damaged: 0, skipped: 3, failed: 0 });
    // verify-clear: session and pair clear; verify-encrypted (gzip): the pair encrypted.
    expect(doc.run.totals.verdicts).toEqual({ encrypted: 1, 'integrity-only': 0, clear: 2, failed: 0, inconclusive: 0 });
    expect(doc.files[2]!.pairs.map((p) => p.verdict)).toEqual(['encrypted']);
    // A skipped file is no input problem: the clear session decides the exit code.
    expect(code).toBe(1);
    expect(doc.run.exitCode).toBe(1);
  });

  it('names the capture formats it recognises but does not read, as the reader does for a file named alone', () => {
    const other = testTempDir('da-fleet-other-');
    // Network Monitor 2.x ("GMBU", what older Windows tools wrote) and Sun snoop, each with enough of a header to be told.
    writeFileSync(join(other, 'netmon.cap'), Buffer.concat([Buffer.from('GMBU'), Buffer.alloc(124)]));
    writeFileSync(join(other, 'trace.snoop'), Buffer.concat([Buffer.from('snoop\0\0\0'), Buffer.alloc(8)]));
    writeFileSync(join(other, 'netmon.cap.gz'), gzipSync(Buffer.concat([Buffer.from('GMBU'), Buffer.alloc(124)])));
    const { doc } = json([other]);
    const unsupported = (format: string): string => `${format} is not supported; convert it to pcapng first (e.g. editcap -F pcapng)`;
    expect(doc.run.skipped).toEqual([
      { path: join(other, 'netmon.cap'), reason: unsupported('Microsoft Network Monitor 2.x') },
      { path: join(other, 'netmon.cap.gz'), reason: `gzip-compressed, but not a capture inside (${unsupported('Microsoft Network Monitor 2.x')})` },
      { path: join(other, 'trace.snoop'), reason: unsupported('Sun snoop') },
    ]);
    // The same words as the reader's error for the file named on its own.
    expect(cli(['verify', join(other, 'trace.snoop')]).stderr).toContain(unsupported('Sun snoop'));
  });

  it('the table ends with the totals and the skipped files', () => {
    const r = cli(['verify', '--width', '0', dir]);
    const totals = r.stdout.slice(r.stdout.lastIndexOf('All files of this run'));
    expect(totals).toContain('1 encrypted, 0 integrity-only, 2 clear, 0 failed, 0 inconclusive');
    expect(totals).toContain('7 read, 0 damaged, 3 skipped');
    expect(totals).toContain(join(dir, 'c.txt'));
    // One capture alone: its Result section says it all, the table has no Run part.
    expect(cli(['verify', join(dir, 'a.pcapng')]).stdout).not.toContain('All files of this run');
  });

  it('reads paths from --files-from (a file, or standard input) after the arguments, and a capture from standard input', () => {
    const list = join(dir, 'list');
    // A CRLF line end and an empty line, as a list written on Windows may have.
    writeFileSync(list, `${fixture('verify-encrypted.pcapng')}\r\n\n${join(dir, 'b')}\n`);
    const fromFile = json([fixture('verify-clear.pcapng'), '--files-from', list]);
    const expected = [fixture('verify-clear.pcapng'), fixture('verify-encrypted.pcapng'), join(dir, 'b', 'capture.bin'), join(dir, 'b', 'deeper', 'encrypted.gz'),
      ...['z.pcap', 'z1', 'z2', 'z3'].map((n) => join(dir, 'b', 'deeper', n))];
    expect(fromFile.doc.files.map((f) => f.file)).toEqual(expected);
    const fromStdin = json(['--files-from', '-', fixture('verify-clear.pcapng')], readFileSync(list));
    expect(fromStdin.doc.files.map((f) => f.file)).toEqual(expected);
    const stdin = json(['-'], bytesOf('verify-clear.pcapng'));
    expect(stdin.doc.files.map((f) => [f.file, f.sessions.map((s) => s.verdict)])).toEqual([['-', ['clear']]]);
  });

  it('a damaged gzip capture is judged (and reported damaged), gzip that holds no capture is skipped', () => {
    const gz = testTempDir('da-fleet-gz-');
    const sample = bytesOf('sample-directaccess.pcapng');
    // Bytes after the gzip stream, and two members: the reader reads both as gzip -dc does.
    writeFileSync(join(gz, 'a-trailing.gz'), Buffer.concat([gzipSync(sample), Buffer.from('24 bytes of garbage here')]));
    writeFileSync(join(gz, 'b-members.gz'), Buffer.concat([gzipSync(sample.subarray(0, 2)), gzipSync(sample.subarray(2))]));
    writeFileSync(join(gz, 'c-junk.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 0xde, 0xad, 0xbe, 0xef]));
    const { doc } = json([gz]);
    expect(doc.files.map((f) => [f.file, f.status, f.packets])).toEqual([[join(gz, 'a-trailing.gz'), 'complete', 184], [join(gz, 'b-members.gz'), 'complete', 184]]);
    expect(doc.run.files.map((f) => f.damaged)).toEqual([true, false]);
    expect(doc.run.skipped).toEqual([{ path: join(gz, 'c-junk.gz'), reason: 'gzip data that cannot be inflated' }]);
  });

  it('info and summary take folders too; a skipped file is one line on stderr, not an error', () => {
    for (const cmd of ['info', 'summary']) {
      const r = cli([cmd, '-f', 'json', join(dir, 'b')]);
      expect((JSON.parse(r.stdout) as { files: { file?: string; capture?: { file: string } }[] }).files.map((f) => f.file ?? f.capture?.file)).toEqual([
        join(dir, 'b', 'capture.bin'), join(dir, 'b', 'deeper', 'encrypted.gz'), ...['z.pcap', 'z1', 'z2', 'z3'].map((n) => join(dir, 'b', 'deeper', n)),
      ]);
      expect(r.stderr).toBe(`da-audit: skipped: ${join(dir, 'b', 'notes.txt.gz')}: gzip-compressed, but not a capture inside (not a pcap or pcapng file (unknown magic))\n`);
      expect(r.code).toBe(0);
    }
  });

  it('usage errors: no capture at all, standard input for both the list and a capture; a missing list is an input problem', () => {
    expect(cli(['verify']).code).toBe(2);
    const both = cli(['verify', '--files-from', '-', '-'], new Uint8Array(0));
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("standard input cannot be both a capture ('-') and the --files-from list");
    const missing = cli(['verify', '-f', 'json', '--files-from', join(dir, 'no-such-list'), fixture('verify-encrypted.pcapng')]);
    expect(missing.stderr).toContain(`da-audit: error: cannot read the list ${join(dir, 'no-such-list')}: no such file or folder`);
    expect(missing.code).toBe(3);
  });
});

describe('--jobs: results in input order whatever the scheduling', () => {
  const dir = suiteTempDir('da-fleet-jobs-');
  // 01 is 300 pcapng sections of the sample (55,200 frames): far slower than the small captures after it, so with
  // two workers they finish first; the report must still list 01 first.
  const sample = bytesOf('sample-directaccess.pcapng');
  writeFileSync(join(dir, '01-big.pcapng'), Buffer.concat(Array.from({ length: 300 }, () => sample)));
  const small = ['verify-clear.pcapng', 'verify-encrypted.pcapng', 'verify-failed.pcapng', 'verify-ah.pcapng', 'verify-esp-null.pcapng'];
  small.forEach((n, i) => copyFileSync(fixture(n), join(dir, `0${i + 2}-${n}`)));
  writeFileSync(join(dir, '07-cut.pcapng'), cut('verify-encrypted.pcapng', 1500));

  it('--jobs 2 gives byte for byte the output of --jobs 1, in input order', () => {
    const one = jsonl(['--jobs', '1', dir]);
    const two = jsonl(['--jobs', '2', dir]);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe(one.stderr);
    expect(two.code).toBe(one.code);
    const files = one.lines.filter((l) => l['record'] === 'file').map((l) => l['file']);
    expect(files).toEqual(['01-big.pcapng', ...small.map((n, i) => `0${i + 2}-${n}`), '07-cut.pcapng'].map((n) => join(dir, n)));
    // The big capture's verdicts: each of its 300 sections holds the sample's session and two pairs.
    expect(one.lines.filter((l) => l['record'] === 'verdict' && l['file'] === join(dir, '01-big.pcapng')).length).toBeGreaterThanOrEqual(3);
  });

  it('a damaged capture stops no other: its verdicts and the next files are reported, its status is truncated', () => {
    const { lines } = jsonl(['--jobs', '2', dir]);
    const cutFile = lines.find((l) => l['record'] === 'file' && l['file'] === join(dir, '07-cut.pcapng'))!;
    expect(cutFile['fileStatus']).toBe('truncated');
    expect(String(cutFile['detail'])).toMatch(/^da-audit: warning: .*07-cut\.pcapng: byte offset \d+, frame \d+: /);
    expect(lines.at(-1)).toMatchObject({ record: 'totals', files: { read: 6, damaged: 1, skipped: 0, failed: 0 } });
  });
});

describe('exit codes: a finding is never hidden by a damaged file', () => {
  const dir = suiteTempDir('da-fleet-exit-');
  const damaged = join(dir, 'encrypted-cut.pcapng');
  writeFileSync(damaged, cut('verify-encrypted.pcapng', 1500));
  const clearCut = join(dir, 'clear-cut.pcapng');
  writeFileSync(clearCut, cut('verify-clear.pcapng', 3000));

  it('a damaged capture alone: 3; with a clear session in another file: 1, and the report gives each file its status', () => {
    expect(cli(['verify', damaged]).code).toBe(3);
    const { code, doc, stderr } = json([damaged, fixture('verify-clear.pcapng')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/da-audit: warning: .*encrypted-cut\.pcapng: byte offset/);
    expect(doc.run.files.map((f) => [f.status, f.damaged])).toEqual([['truncated', true], ['complete', false]]);
    expect(doc.run.totals.files).toMatchObject({ read: 1, damaged: 1 });
  });

  it('a clear session in the intact part of a damaged capture: 1', () => {
    const { code, doc } = json([clearCut]);
    expect(doc.files[0]!.status).toBe('truncated');
    expect(doc.files[0]!.sessions.map((s) => s.verdict)).toEqual(['clear']);
    expect(code).toBe(1);
  });

  it('an input problem outranks incomplete (5); 5 alone stays 5', () => {
    expect(cli(['verify', fixture('trust-esp-snaplen-56.pcapng')]).code).toBe(5);
    expect(cli(['verify', fixture('trust-esp-snaplen-56.pcapng'), damaged]).code).toBe(3);
  });

  it('--fail-on chooses the verdicts that exit 1', () => {
    // verify-failed: only failed verdicts.
    expect(cli(['verify', fixture('verify-failed.pcapng')]).code).toBe(0);
    expect(cli(['verify', '--fail-on', 'failed', fixture('verify-failed.pcapng')]).code).toBe(1);
    // Without clear in the list, a clear session is no longer a failure of the run (but --strict still is).
    expect(cli(['verify', '--fail-on', 'failed,inconclusive', fixture('verify-clear.pcapng')]).code).toBe(0);
    expect(cli(['verify', '--fail-on', 'failed', '--strict', fixture('verify-clear.pcapng')]).code).toBe(1);
    expect(cli(['verify', '--fail-on', 'inconclusive', fixture('trust-esp-snaplen-56.pcapng')]).code).toBe(1);
    const bad = cli(['verify', '--fail-on', 'clear,encrypted', fixture('verify-clear.pcapng')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected verdicts among clear, integrity-only, failed, inconclusive');
  });
});

describe('JSONL and CSV', () => {
  const dir = suiteTempDir('da-fleet-rows-');
  /** Remote Assistance in clear between client 1 and client 2, whose name (from a DNS answer) would be a spreadsheet formula. */
  const evil = join(dir, 'a,"quoted" name.pcapng');
  const s = new Scenario({ t0: 1_764_230_400, local: [DA.client1.ll], seed: 16 });
  const tunnel = s.rawLink(s.interface('raw', 23));
  s.nameLookup({ protocol: 'dns', client: DA.client1.ll, responder: DA.corpDns, via: tunnel, name: '=1+2.corp.example', aaaa: [DA.client2.ll] });
  s.remoteAssistance({ expert: DA.client1.ll, novice: DA.client2.ll, port: VERIFY.clear.port, via: tunnel, selected: 'rdp' });
  writeFileSync(evil, s.bytes());
  writeFileSync(join(dir, 'readme'), 'text');

  it('JSONL: every line has the documented fields in order; verdicts and frames as in the JSON report; totals last', () => {
    const { code, lines } = jsonl([dir, fixture('sample-directaccess.pcapng')]);
    const report = json([dir, fixture('sample-directaccess.pcapng')]).doc;
    for (const l of lines.slice(0, -1)) expect(Object.keys(l)).toEqual([...ROW_FIELDS]);
    // Then across the two files: client 1 with client 2 (in both), client 1 with client 3 (in the sample).
    expect(lines.map((l) => l['record'])).toEqual(['skipped', 'verdict', 'verdict', 'file', 'verdict', 'verdict', 'verdict', 'file', 'fleet-pair', 'fleet-pair', 'totals']);
    const verdicts = lines.filter((l) => l['record'] === 'verdict');
    const records = report.files.flatMap((f) => [...f.sessions, ...f.pairs].map((r) => ({ f, r })));
    expect(verdicts.map((l) => [l['file'], l['kind'], l['verdict'], l['a'], l['b'], l['reasons'], l['firstFrame'], l['lastFrame'], l['decidingFrames']])).toEqual(
      records.map(({ f, r }) => [f.file, r.kind, r.verdict, r.a.address, r.b.address, r.reasons.map((x) => x.code), r.frames.first, r.frames.last, r.frames.deciding]));
    expect(verdicts[0]).toMatchObject({ aNames: [], bNames: ['=1+2.corp.example'], service: 'remote-assistance', protocol: 'tcp', cause: 'ipsec.none' });
    // Each verdict and file row names the exact bytes judged, and a verdict its SAs' SPIs, as the JSON report has them.
    const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
    for (const l of lines.filter((x) => x['record'] === 'verdict' || x['record'] === 'file')) expect(l['fileSha256']).toBe(sha(l['file'] as string));
    expect(verdicts.map((l) => l['spis'])).toEqual(records.map(({ r }) => r.spis));
    expect(verdicts.some((l) => (l['spis'] as string[]).length > 0)).toBe(true);
    // A row across files lists the SPIs of all its sides, once each.
    const fleetPairs = lines.filter((l) => l['record'] === 'fleet-pair');
    const spisOf = (a: unknown, b: unknown): string[] => [...new Set(verdicts.filter((l) => l['kind'] === 'pair' && [l['a'], l['b']].sort().join() === [a, b].sort().join()).flatMap((l) => l['spis'] as string[]))].sort();
    expect(fleetPairs.map((l) => l['spis'])).toEqual(fleetPairs.map((l) => spisOf(l['a'], l['b'])));
    expect(verdicts[0]!['firstTime']).toMatch(/^2025-11-27T08:00:\d\d\.\d{9}Z$/);
    expect(lines.at(-1)).toEqual({
      record: 'totals', verdicts: { encrypted: 1, 'integrity-only': 0, clear: 4, failed: 0, inconclusive: 0 },
      files: { read: 2, damaged: 0, skipped: 1, failed: 0 }, exitCode: 1,
    });
    expect(code).toBe(1);
  });

  it('CSV: RFC 4180 quoting and CRLF, a leading = + - @ neutralised by an apostrophe', () => {
    const r = cli(['verify', '-f', 'csv', evil]);
    const lines = r.stdout.split('\r\n');
    expect(lines[0]).toBe(ROW_FIELDS.join(','));
    expect(lines.at(-1)).toBe('');
    const session = lines[1]!;
    // The path holds a comma and quotes: quoted, quotes doubled. The name from the capture starts with '=': an apostrophe first.
    const sha = createHash('sha256').update(readFileSync(evil)).digest('hex');
    expect(session.startsWith(`verdict,"${evil.replace(/"/g, '""')}",${sha},complete,findings,session,clear,${DA.client1.ll},`)).toBe(true);
    expect(session).toContain(`,${DA.client2.ll},${VERIFY.clear.port},'=1+2.corp.example,tcp,remote-assistance,`);
    // Standard input's name, '-', would start a formula too.
    const stdin = cli(['verify', '-f', 'csv', '-'], readFileSync(evil));
    expect(stdin.stdout.split('\r\n')[1]).toMatch(new RegExp(`^verdict,'-,${sha},complete,`));
  });
});

describe('filters choose what is reported, never a verdict', () => {
  const sample = fixture('sample-directaccess.pcapng');
  const C3 = VERIFY.client3;

  it('--host, --pair and --spi keep exactly the matching records, with the verdicts they have unfiltered', () => {
    const all = jsonl([sample]).lines.filter((l) => l['record'] === 'verdict');
    const client3 = all.filter((l) => (l['bNames'] as string[]).includes(C3.name) || (l['aNames'] as string[]).includes(C3.name));
    expect(client3.length).toBe(2);
    const byName = jsonl(['--host', C3.name.toUpperCase(), sample]);
    expect(byName.lines.filter((l) => l['record'] === 'verdict')).toEqual(client3);
    // The same host by address, typed with its zeros spelt out.
    const address = client3[0]!['b'] as string;
    const spelt = address.split(':').map((g) => g.padStart(4, '0')).join(':').toUpperCase();
    expect(address).not.toContain('::');
    expect(jsonl(['--host', spelt, sample]).lines.filter((l) => l['record'] === 'verdict')).toEqual(client3);
    const pair = jsonl(['--pair', `${address},${client3[0]!['a']}`, sample]).lines.filter((l) => l['record'] === 'verdict');
    expect(pair).toEqual(client3);
    const encrypted = all.filter((l) => l['verdict'] === 'encrypted');
    const spi = /SPI (0x[0-9a-f]{8})/.exec(json([sample]).doc.files[0]!.pairs.find((p) => p.verdict === 'encrypted')!.path)![1]!;
    expect(jsonl(['--spi', spi, sample]).lines.filter((l) => l['record'] === 'verdict')).toEqual(encrypted);
    expect(jsonl(['--spi', '0x00000001', sample]).lines.filter((l) => l['record'] === 'verdict')).toEqual([]);
  });

  it('the exit code follows what is reported; the capture result stays the capture\'s', () => {
    const client2 = DA.client2.ll;
    const { code, doc } = json(['--host', client2, sample]);
    expect(doc.files[0]!.pairs.map((p) => p.verdict)).toEqual(['encrypted']);
    expect(doc.files[0]!.sessions).toEqual([]);
    expect(doc.files[0]!.result).toBe('findings');
    expect(code).toBe(0);
    expect(doc.run.settings['filters']).toMatchObject({ host: [client2] });
  });

  it('--since / --until by capture time: a record is kept when its traffic overlaps the window', () => {
    const all = jsonl([sample]).lines.filter((l) => l['record'] === 'verdict');
    const clear = all.find((l) => l['verdict'] === 'clear' && l['kind'] === 'session')!;
    const since = String(clear['firstTime']);
    const kept = jsonl(['--since', since.replace(/\.\d+Z$/, 'Z'), sample]).lines.filter((l) => l['record'] === 'verdict');
    expect(kept).toEqual(all.filter((l) => String(l['lastTime']) >= since.replace(/\.\d+Z$/, '')));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(all.length);
    expect(jsonl(['--until', '2025-11-26T06:59:59Z', sample]).lines.filter((l) => l['record'] === 'verdict')).toEqual([]);
    expect(jsonl(['--since', '2025-11-26T08:00:00+01:00', '--until', '2025-11-26T09:00:00+01:00', sample]).lines.filter((l) => l['record'] === 'verdict')).toEqual(all);
    expect(cli(['verify', '--since', '2025-02-30T00:00:00Z', sample]).code).toBe(2);
    expect(cli(['verify', '--since', 'yesterday', sample]).code).toBe(2);
  });
});

describe('--config: a site\'s context, the command line over it', () => {
  it('applies the file, lets options override it, records the values in effect', () => {
    const dir = testTempDir('da-fleet-config-');
    const config = join(dir, 'site.json');
    writeFileSync(config, JSON.stringify({ failOn: ['failed'], daServers: ['da.contoso.example'], raPorts: [50000], daPrefixes: ['2001:db8:1::/48'] }));
    const failed = fixture('verify-failed.pcapng');
    const fromFile = json(['--config', config, failed]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.doc.run.settings).toMatchObject({ config, failOn: ['failed'], daServers: ['da.contoso.example'], raPorts: [50000], daPrefixes: ['2001:db8:1::/48'] });
    const overridden = json(['--config', config, '--fail-on', 'clear', '--ra-port', '50001', failed]);
    expect(overridden.code).toBe(0);
    expect(overridden.doc.run.settings).toMatchObject({ failOn: ['clear'], raPorts: [50001], daServers: ['da.contoso.example'] });
    expect(json([failed]).doc.run.settings).toMatchObject({ config: null, failOn: ['clear', 'integrity-only'], raPorts: [] });
  });

  it('a config file that cannot be used is a usage error naming why', () => {
    const dir = testTempDir('da-fleet-config-bad-');
    const cases: [object | string, string][] = [
      [{ daPrefix: ['2001:db8::/48'] }, 'unknown key(s) "daPrefix"'],
      [{ daPrefixes: ['10.0.0.0/8'] }, '"daPrefixes": "10.0.0.0/8" is not an IPv6 prefix'],
      [{ raPorts: [0] }, '"raPorts" must be a list of port numbers'],
      [{ failOn: ['encrypted'] }, '"failOn" must be a list of verdicts'],
      ['{', 'cannot read'],
    ];
    for (const [content, message] of cases) {
      const p = join(dir, 'c.json');
      writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
      const r = cli(['verify', '--config', p, fixture('verify-clear.pcapng')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('-o and --quiet', () => {
  it('-o writes any format to the file and nothing to standard output; it never overwrites an input; a file that cannot be created is exit 2', () => {
    const dir = testTempDir('da-fleet-out-');
    for (const format of ['table', 'json', 'md', 'jsonl', 'csv']) {
      const out = join(dir, `report.${format}`);
      const r = cli(['verify', '-f', format, '-o', out, fixture('verify-clear.pcapng')]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(readFileSync(out, 'utf8')).toBe(cli(['verify', '-f', format, fixture('verify-clear.pcapng')]).stdout);
    }
    const input = join(dir, 'in.pcapng');
    copyFileSync(fixture('verify-clear.pcapng'), input);
    const same = cli(['verify', '-o', input, input]);
    expect(same.code).toBe(2);
    expect(readFileSync(input)).toEqual(bytesOf('verify-clear.pcapng'));
    const missing = cli(['verify', '-o', join(dir, 'no', 'such', 'x.json'), input]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file or folder');
  });

  it('-o to a full disk: one line and exit 3', () => {
    const r = cli(['verify', '-f', 'json', '-o', '/dev/full', fixture('verify-encrypted.pcapng')]);
    expect(r.stderr.trim()).toBe('da-audit: error: cannot write /dev/full: no space left on the device; the output is incomplete');
    expect(r.code).toBe(3);
  });

  it('--quiet prints no report, only problem lines, and keeps the exit code', () => {
    const dir = testTempDir('da-fleet-quiet-');
    const damaged = join(dir, 'cut.pcapng');
    writeFileSync(damaged, cut('verify-encrypted.pcapng', 1500));
    const r = cli(['verify', '--quiet', damaged, fixture('verify-clear.pcapng')]);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^da-audit: warning: .*cut\.pcapng: byte offset/);
    expect(r.code).toBe(1);
  });
});

describe('both sides and across files', () => {
  const dir = suiteTempDir('da-fleet-sides-');
  const T0 = 1_764_234_000; // 2025-11-27T09:00:00Z
  interface SideOptions {
    /** Client 1's and client 2's addresses as this capture shows them (default their link-local addresses). */
    expert?: string;
    novice?: string;
    t0?: number;
    /** A second Remote Assistance session, in clear, after the first. */
    thenClear?: boolean;
  }
  /** One Remote Assistance session from client 1 to client 2, captured on `local`'s tunnel interface, `protect`ed or in clear. */
  function side(name: string, local: string, protect?: Protection, o: SideOptions = {}): string {
    const s = new Scenario({ t0: o.t0 ?? T0, local: [local], seed: 1616 });
    const tunnel = s.rawLink(s.interface('raw', 23));
    const ends = { expert: o.expert ?? DA.client1.ll, novice: o.novice ?? DA.client2.ll };
    s.remoteAssistance({ ...ends, port: VERIFY.clear.port, via: tunnel, selected: 'rdp', ...(protect ? { protect } : {}) });
    if (o.thenClear) s.remoteAssistance({ ...ends, port: VERIFY.clear.port + 1, via: tunnel, selected: 'rdp' });
    const path = join(dir, name);
    writeFileSync(path, s.bytes());
    return path;
  }
  const espOut = side('client1-esp.pcapng', DA.client1.ll, esp({ spi: 0x16161616, reverseSpi: 0x16161617, cipher: 'aes-cbc' }));
  const clearIn = side('client2-clear.pcapng', DA.client2.ll);
  const clearOut = side('client1-clear.pcapng', DA.client1.ll);

  it('ESP leaving one client and plaintext arriving at the other is a disagreement, a finding citing both files\' frames', () => {
    const { code, doc } = json([espOut, clearIn]);
    expect(doc.files.map((f) => f.pairs.map((p) => p.verdict))).toEqual([['encrypted'], ['clear']]);
    const across = (doc.run as unknown as { acrossFiles: { pairs: { verdict: string; sides: { file: string; verdict: string; frames: { first: number; last: number } }[]; disagreements: { code: string; text: string }[] }[] } }).acrossFiles;
    expect(across.pairs).toHaveLength(1);
    const pair = across.pairs[0]!;
    expect(pair.verdict).toBe('clear');
    expect(pair.sides.map((x) => [x.file, x.verdict])).toEqual([[espOut, 'encrypted'], [clearIn, 'clear']]);
    expect(pair.sides.map((x) => x.frames)).toEqual(doc.files.map((f) => ({ first: f.pairs[0]!.frames.first, last: f.pairs[0]!.frames.last, deciding: f.pairs[0]!.frames.deciding })));
    expect(pair.disagreements.map((d) => d.code)).toEqual(['fleet.sides_disagree']);
    expect(pair.disagreements[0]!.text).toBe(`${espOut} shows it encrypted (frames ${pair.sides[0]!.frames.first}–${pair.sides[0]!.frames.last}, deciding ${doc.files[0]!.pairs[0]!.frames.deciding.slice(0, 8).join(', ')}), ` +
      `${clearIn} in clear (frames ${pair.sides[1]!.frames.first}–${pair.sides[1]!.frames.last}, deciding ${doc.files[1]!.pairs[0]!.frames.deciding.join(', ')}): the two sides of the same traffic disagree`);
    expect(code).toBe(1);
    // The same row in JSONL, after the files' rows and before the totals.
    const rows = jsonl([espOut, clearIn]).lines;
    expect(rows.map((l) => [l['record'], l['kind']])).toEqual([
      ['verdict', 'pair'], ['file', null], ['verdict', 'session'], ['verdict', 'pair'], ['file', null], ['fleet-pair', 'pair'], ['totals', undefined],
    ]);
    const fleetPair = rows.find((l) => l['record'] === 'fleet-pair')!;
    expect(fleetPair).toMatchObject({ verdict: 'clear', reasons: ['fleet.sides_disagree'], cause: 'fleet.sides_disagree', a: DA.client1.ll, b: DA.client2.ll });
    // Run apart in time (beyond the 5 minutes of clock skew Kerberos allows), the two captures are two stories: no disagreement.
    const later = json([espOut, fixture('verify-clear.pcapng')]);
    const laterPairs = (later.doc.run as unknown as { acrossFiles: { pairs: { disagreements: unknown[] }[] } }).acrossFiles.pairs;
    expect(laterPairs.map((x) => x.disagreements)).toEqual([[]]);
  });

  it('a session both clients captured is one row citing each file; the pair is one row over all files', () => {
    const { lines } = jsonl([clearOut, clearIn, fixture('verify-encrypted.pcapng')]);
    const sessions = lines.filter((l) => l['record'] === 'verdict' && l['kind'] === 'session');
    expect(sessions.map((l) => l['file'])).toEqual([clearOut, clearIn]);
    // Same addresses and ports on both sides.
    expect(sessions[0]!['aPort']).toBe(sessions[1]!['aPort']);
    const merged = lines.filter((l) => l['record'] === 'fleet-session');
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ verdict: 'clear', a: sessions[0]!['a'], aPort: sessions[0]!['aPort'], b: sessions[0]!['b'], bPort: sessions[0]!['bPort'], reasons: [] });
    expect(merged[0]!['detail']).toBe(sessions.map((l) => `${l['file']}: clear, frames ${l['firstFrame']}–${l['lastFrame']}, deciding ${(l['decidingFrames'] as number[]).join(', ')}`).join(' | '));
    // Client 1 and client 2 in three files (verify-encrypted too): one pair row, its worst verdict.
    const pairs = lines.filter((l) => l['record'] === 'fleet-pair');
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!['verdict']).toBe('clear');
    expect(String(pairs[0]!['detail']).split(' | ').map((x) => x.split(': ')[0])).toEqual([clearOut, clearIn, fixture('verify-encrypted.pcapng')]);
  });

  it('one file has no rows across files', () => {
    const { lines } = jsonl([clearOut]);
    expect(lines.some((l) => String(l['record']).startsWith('fleet-'))).toBe(false);
  });

  describe('the same SPIs under other addresses', () => {
    /*
     * Which capture shows one SA under other addresses? NAT-T is the textbook case, but it is IPv4 (UDP 4500), and
     * verdicts are judged between IPv6 DirectAccess clients only (rules/verdicts.ts): two NAT-T captures, each with
     * its own private address and the peer's public one, are `no-client-traffic` and have nothing to merge. Between
     * DirectAccess clients IPsec is IPv6 transport mode, which nothing on a DA path rewrites (6to4, Teredo and
     * IP-HTTPS carry the client's own address end to end). What does show it is the audit itself: a capture handed
     * over pseudonymised (TraceWrangler, tcprewrite --pnat: every address replaced by another of its kind, here
     * link-local by link-local) keeps its ESP headers, SPIs included, and its times as they were. Client 2's
     * capture here is that: the same Remote Assistance session in the same SAs, under pseudonyms.
     */
    const PSEUDONYM = { client1: 'fe80::5eed:1', client2: 'fe80::5eed:2' };
    const SAS = { spi: 0x5a5a0001, reverseSpi: 0x5a5a0002 };
    const pseudonymised = { expert: PSEUDONYM.client1, novice: PSEUDONYM.client2 };
    const own = side('client1-sas.pcapng', DA.client1.ll, esp({ ...SAS, cipher: 'aes-cbc' }));
    const theirs = side('client2-sas-pseudonymised.pcapng', PSEUDONYM.client2, esp({ ...SAS, cipher: 'aes-cbc' }), pseudonymised);

    type AcrossSide = { file: string; verdict: string; a: string; aPort: number | null; b: string; bPort: number | null; spis: string[]; frames: unknown; firstTime: string | null; lastTime: string | null; reasons: string[] };
    type AcrossRow = { kind: string; verdict: string; a: string; aPort: number | null; b: string; bPort: number | null; protocol: string | null; sides: AcrossSide[]; disagreements: { code: string; text: string }[] };
    const acrossOf = (doc: Doc): { pairs: AcrossRow[]; sessions: AcrossRow[] } => (doc.run as unknown as { acrossFiles: { pairs: AcrossRow[]; sessions: AcrossRow[] } }).acrossFiles;
    /** The JSON side a file's record makes: its own endpoints, SPIs, frames, reason codes, and times (from its JSONL verdict row). */
    const sideOf = (file: string, r: VerifyReport['pairs'][number]): AcrossSide => {
      const row = jsonl([file]).lines.find((l) => l['record'] === 'verdict' && l['kind'] === r.kind && l['firstFrame'] === r.frames.first && l['aPort'] === r.a.port)!;
      return {
        file, verdict: r.verdict, a: r.a.address, aPort: r.a.port, b: r.b.address, bPort: r.b.port, spis: r.spis, frames: r.frames,
        firstTime: row['firstTime'] as string, lastTime: row['lastTime'] as string, reasons: r.reasons.map((c) => c.code),
      };
    };

    it('join one row that cites both files, shows the row\'s endpoints from the first side and the other side\'s own', () => {
      const { code, doc } = json([own, theirs]);
      const [mine, other] = doc.files.map((f) => f.pairs);
      expect([mine!.map((p) => [p.a.address, p.b.address, p.verdict, p.spis]), other!.map((p) => [p.a.address, p.b.address, p.verdict, p.spis])]).toEqual([
        [[DA.client1.ll, DA.client2.ll, 'encrypted', ['0x5a5a0001', '0x5a5a0002']]],
        [[PSEUDONYM.client1, PSEUDONYM.client2, 'encrypted', ['0x5a5a0001', '0x5a5a0002']]],
      ]);
      expect(acrossOf(doc)).toEqual({
        pairs: [{
          kind: 'pair', verdict: 'encrypted', a: DA.client1.ll, aPort: null, b: DA.client2.ll, bPort: null, protocol: null,
          sides: [sideOf(own, mine![0]!), sideOf(theirs, other![0]!)], disagreements: [],
        }],
        // ESP with a cipher hides the sessions: only the pair is judged.
        sessions: [],
      });
      expect(code).toBe(0);
      const row = jsonl([own, theirs]).lines.filter((l) => String(l['record']).startsWith('fleet-'));
      const frames = (r: VerifyReport['pairs'][number]): string => `frames ${r.frames.first}–${r.frames.last}, deciding ${r.frames.deciding.join(', ')}`;
      expect(row).toEqual([expect.objectContaining({
        record: 'fleet-pair', verdict: 'encrypted', a: DA.client1.ll, b: DA.client2.ll, reasons: [],
        detail: `${own}: encrypted, ${frames(mine![0]!)} | ${theirs}: encrypted, seen as ${PSEUDONYM.client1} ↔ ${PSEUDONYM.client2}, SPI 0x5a5a0001, 0x5a5a0002, ${frames(other![0]!)}`,
      })]);
    });

    it('the sessions inside ESP-NULL join too; plaintext beside the same SAs on the other side is a disagreement', () => {
      const nullOwn = side('client1-null.pcapng', DA.client1.ll, esp({ ...SAS, cipher: 'null' }));
      const nullTheirs = side('client2-null-pseudonymised.pcapng', PSEUDONYM.client2, esp({ ...SAS, cipher: 'null' }), pseudonymised);
      const { doc } = json([nullOwn, nullTheirs]);
      const sessions = doc.files.map((f) => f.sessions);
      expect(sessions.map((x) => x.map((r) => [r.verdict, r.a.port, r.b.port, r.spis]))).toEqual([
        [['integrity-only', expect.any(Number), VERIFY.clear.port, ['0x5a5a0001', '0x5a5a0002']]],
        [['integrity-only', expect.any(Number), VERIFY.clear.port, ['0x5a5a0001', '0x5a5a0002']]],
      ]);
      const across = acrossOf(doc);
      expect(across.sessions.map((m) => [m.verdict, m.a, m.aPort, m.b, m.bPort, m.protocol, m.sides])).toEqual([
        ['integrity-only', DA.client1.ll, sessions[0]![0]!.a.port, DA.client2.ll, VERIFY.clear.port, 'tcp', [sideOf(nullOwn, sessions[0]![0]!), sideOf(nullTheirs, sessions[1]![0]!)]],
      ]);
      expect(across.pairs.map((m) => [m.verdict, m.sides.map((x) => x.file)])).toEqual([['integrity-only', [nullOwn, nullTheirs]]]);

      // Client 2's capture also shows a Remote Assistance session in clear between the same (pseudonymous) ends.
      const withClear = side('client2-sas-then-clear.pcapng', PSEUDONYM.client2, esp({ ...SAS, cipher: 'aes-cbc' }), { ...pseudonymised, thenClear: true });
      const mixed = json([own, withClear]);
      expect(mixed.doc.files.map((f) => f.pairs.map((p) => [p.verdict, p.spis]))).toEqual([[['encrypted', ['0x5a5a0001', '0x5a5a0002']]], [['clear', ['0x5a5a0001', '0x5a5a0002']]]]);
      const pair = acrossOf(mixed.doc).pairs;
      expect(pair.map((m) => [m.verdict, m.sides.map((x) => [x.file, x.verdict]), m.disagreements.map((d) => d.code)])).toEqual([
        ['clear', [[own, 'encrypted'], [withClear, 'clear']], ['fleet.sides_disagree']],
      ]);
      expect(mixed.code).toBe(1);
    });

    it('do not join when apart beyond the clock skew, with other SPIs, or with SPI 0', () => {
      const separate = (files: string[]): string[][] => acrossOf(json(files).doc).pairs.map((m) => m.sides.map((x) => x.file));
      // The same SPIs an hour and more later: a receiver may pick an SPI again for a later SA.
      const later = side('client2-later.pcapng', PSEUDONYM.client2, esp({ ...SAS, cipher: 'aes-cbc' }), { ...pseudonymised, t0: T0 + CLOCK_SKEW_SEC + 3600 });
      expect(separate([own, later])).toEqual([[own], [later]]);
      const otherSas = side('client2-other-sas.pcapng', PSEUDONYM.client2, esp({ spi: 0x5a5a0003, reverseSpi: 0x5a5a0004, cipher: 'aes-cbc' }), pseudonymised);
      expect(separate([own, otherSas])).toEqual([[own], [otherSas]]);
      // SPI 0 is never valid (RFC 4303 §2.1); the analysis still reports it on the record, and it joins nothing.
      const zero = { spi: 0, reverseSpi: 0, cipher: 'aes-cbc' } as const;
      const zeroOwn = side('client1-spi0.pcapng', DA.client1.ll, esp(zero));
      const zeroTheirs = side('client2-spi0.pcapng', PSEUDONYM.client2, esp(zero), pseudonymised);
      const { doc } = json([zeroOwn, zeroTheirs]);
      expect(doc.files.map((f) => f.pairs.map((p) => p.spis))).toEqual([[['0x00000000']], [['0x00000000']]]);
      expect(acrossOf(doc).pairs.map((m) => m.sides.map((x) => x.file))).toEqual([[zeroOwn], [zeroTheirs]]);
    });
  });
});

describe('progress line', () => {
  it('says captures done / total, MB/s, ETA and the current file, with control characters shown as ?', () => {
    expect(progressLine(3, 8, 30e6, 80e6, 10, 'dir/c\x1b[2J.pcapng')).toBe('3/8 captures, 3.0 MB/s, ETA 0:17, dir/c?[2J.pcapng');
    expect(progressLine(0, 8, 0, 80e6, 0, 'a.pcapng')).toBe('0/8 captures, 0.0 MB/s, ETA --:--, a.pcapng');
  });

  it('is never written to a pipe', () => {
    const r = cli(['verify', fixture('verify-clear.pcapng'), fixture('verify-encrypted.pcapng')]);
    expect(r.stderr).toBe('');
  });
});
