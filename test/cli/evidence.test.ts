/**
 * `da-audit evidence` and `da-audit verify-bundle` end to end (issue 15): every file of the bundle on fixtures built by our
 * builders, checked against the inputs themselves, tshark, capinfos and sha256sum; determinism; the manifest, the
 * signature and the re-run.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvidenceDocument } from '../../src/evidence/document.js';
import type { VerifyReport } from '../../src/report/verify.js';
import { cli } from '../helpers/cli.js';
import { HAVE_CAPINFOS, HAVE_TSHARK, haveCommand, ROOT, run } from '../helpers/inputs.js';
import { readPath } from '../helpers/read.js';
import { expectSchemaValid, validateReport } from '../helpers/schema.js';
import { suiteTempDir, testTempDir } from '../helpers/temp.js';

const SAMPLE = 'fixtures/captures/sample-directaccess.pcapng';
const TWO = 'fixtures/captures/verify-two-interfaces.pcapng';
const CLEAR = 'fixtures/captures/verify-clear.pcapng';
const FILES = ['SHA256SUMS', 'evidence.pcapng', 'recheck.md', 'recheck.sh', 'report.html', 'report.json', 'report.md', 'verdicts.csv'];
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** openssl has no --version (haveCommand's probe): it answers `openssl version`. */
const HAVE_OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const doc = (dir: string): EvidenceDocument => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as EvidenceDocument;
const proof = (r: VerifyReport['pairs'][number]): number[] => (r.frames.deciding.length > 0 ? r.frames.deciding : r.evidence.map((e) => e.frame));

function bundle(dir: string, ...args: string[]): ReturnType<typeof cli> {
  return cli(['evidence', '-o', dir, ...args]);
}

/** Every file in a folder, name → bytes. */
function contents(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).sort().map((n) => [n, readFileSync(join(dir, n))]));
}

describe('da-audit evidence', () => {
  const tmp = suiteTempDir('da-evidence-');
  const main = join(tmp, 'main');
  const made = bundle(main, '--ra-port', '4000', '--da-server', 'da.contoso.example', SAMPLE, TWO, CLEAR);

  it('writes every file, and exits as verify does (1: the sample has a clear session)', () => {
    expect(made.stderr).toContain(`evidence bundle written to ${main}: 8 files`);
    expect(made.code).toBe(1);
    expect([...contents(main).keys()]).toEqual(FILES);
  });

  it('report.json is the verify report of each input plus tool, options and each input\'s name, size, SHA-256 and facts', () => {
    const d = doc(main);
    expectSchemaValid(d);
    expect(d.schemaVersion).toBe(2);
    expect(d.tool).toEqual({ name: 'da-audit', version: VERSION });
    expect(d.evidence.generated).toBeNull();
    expect(d.evidence.options).toEqual({
      daServers: ['da.contoso.example'], daPrefixes: [], ipHttpsPrefixes: [], nat64Prefixes: [], raPorts: [4000], maxFlows: 1_000_000, flowIdleSec: 1800,
    });
    for (const [i, path] of [SAMPLE, TWO, CLEAR].entries()) {
      const bytes = readFileSync(path);
      const input = d.evidence.inputs[i]!;
      expect(input.name).toBe(path.split('/').pop());
      expect(input.bytes).toBe(bytes.length);
      expect(input.sha256).toBe(sha256(bytes));
      expect(input.capture.file).toBe(input.name);
      expect(input.capture.packets).toBe(d.files[i]!.packets);
      // The same report verify writes with the same options on the capture under its bundle name (the name the
      // report and its tshark checks use, never the path typed).
      const dir = testTempDir('da-evidence-verify-');
      copyFileSync(path, join(dir, input.name));
      const out = spawnSync(process.execPath, [join(ROOT, 'bin/da-audit.js'), 'verify', '--format', 'json', '--ra-port', '4000', '--da-server', 'da.contoso.example', input.name], { cwd: dir, encoding: 'utf8' });
      const verify = JSON.parse(out.stdout) as { files: VerifyReport[] };
      expectSchemaValid(verify);
      expect(d.files[i]).toEqual(verify.files[0]);
    }
    expect(d.files[0]!.assumptions.map((a) => a.code)).toContain('context.ra_prefix');
  });

  it('the schema rejects what a report must not hold', () => {
    const d = doc(main);
    const bad = structuredClone(d) as unknown as { files: { pairs: { verdict: string }[] }[] };
    bad.files[0]!.pairs[0]!.verdict = 'probably-fine';
    expect(validateReport(bad)).toBe(false);
    const extra = { ...structuredClone(d), surprise: 1 };
    expect(validateReport(extra)).toBe(false);
    // fix and check (issue 14) are on every record, null or in their shapes.
    const fixed = structuredClone(d) as unknown as { files: { pairs: Record<string, unknown>[] }[] };
    fixed.files[0]!.pairs[0]!['fix'] = { code: 'fix.x', text: 'do this' };
    fixed.files[0]!.pairs[0]!['check'] = { tshark: ['tshark -r x'], windows: [] };
    expect(validateReport(fixed)).toBe(true);
    fixed.files[0]!.pairs[0]!['check'] = { tshark: 'not a list' };
    expect(validateReport(fixed)).toBe(false);
    delete fixed.files[0]!.pairs[0]!['check'];
    expect(validateReport(fixed)).toBe(false);
    expect(d.files[0]!.sessions[0]!.fix).not.toBeNull();
  });

  it('SHA256SUMS lists every bundle file and every input (under inputs/), as sha256sum -c reads it', () => {
    const sums = readFileSync(join(main, 'SHA256SUMS'), 'utf8');
    const lines = sums.trimEnd().split('\n').map((l) => /^([0-9a-f]{64}) {2}(.+)$/.exec(l)!);
    const listed = new Map(lines.map((m) => [m[2]!, m[1]!]));
    for (const name of FILES.filter((n) => n !== 'SHA256SUMS')) expect(listed.get(name)).toBe(sha256(readFileSync(join(main, name))));
    for (const path of [SAMPLE, TWO, CLEAR]) expect(listed.get(`inputs/${path.split('/').pop()}`)).toBe(sha256(readFileSync(path)));
    expect(listed.size).toBe(FILES.length - 1 + 3);
    if (haveCommand('sha256sum')) {
      const dir = testTempDir('da-evidence-sums-');
      for (const [n, b] of contents(main)) writeFileSync(join(dir, n), b);
      mkdirSync(join(dir, 'inputs'));
      for (const p of [SAMPLE, TWO, CLEAR]) copyFileSync(p, join(dir, 'inputs', p.split('/').pop()!));
      const r = run('sh', ['-c', `cd '${dir}' && sha256sum -c SHA256SUMS`]);
      expect(r.status).toBe(0);
      expect(r.stdout.match(/: OK$/gm)).toHaveLength(FILES.length - 1 + 3);
    }
  });

  it('evidence.pcapng holds every deciding frame byte for byte, on a copy of its interface, with a comment naming file, frame, verdict and reason', async () => {
    const d = doc(main);
    const ev = await readPath(join(main, 'evidence.pcapng'));
    expect(ev.result.error).toBeNull();
    let at = 0;
    for (const [i, path] of [SAMPLE, TWO, CLEAR].entries()) {
      const original = await readPath(path);
      const records = [...d.files[i]!.sessions, ...d.files[i]!.pairs];
      const wanted = [...new Set(records.flatMap(proof))].sort((a, b) => a - b);
      expect(wanted.length).toBeGreaterThan(0);
      for (const n of wanted) {
        const o = original.frames[n - 1]!;
        const c = ev.frames[at++]!;
        expect(c.data).toEqual(o.data);
        expect([c.sec, c.nsec, c.wireLen, c.linkType, c.epbFlags]).toEqual([o.sec, o.nsec, o.wireLen, o.linkType, o.epbFlags]);
        const copiedIface = ev.result.interfaces[c.interfaceId]!;
        const originalIface = original.result.interfaces[o.interfaceId]!;
        expect([copiedIface.linkType, copiedIface.snaplen, copiedIface.tsResolution, copiedIface.name])
          .toEqual([originalIface.linkType, originalIface.snaplen, originalIface.tsResolution, originalIface.name]);
        expect(copiedIface.comments).toEqual([`interface ${o.interfaceId} of ${d.evidence.inputs[i]!.name}`]);
        expect(c.commentCount).toBe(records.filter((r) => proof(r).includes(n)).length);
      }
    }
    expect(ev.frames).toHaveLength(at);
  });

  it.skipIf(!HAVE_TSHARK)('tshark reads evidence.pcapng without a warning and shows each comment and original time', () => {
    const d = doc(main);
    const path = join(main, 'evidence.pcapng');
    const verbose = run('tshark', ['-r', path, '-V']);
    expect(verbose.status).toBe(0);
    expect(verbose.stderr.replace(/^Running as user .*\n?/m, '')).toBe('');
    const rows = run('tshark', ['-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'frame.time_epoch', '-e', 'frame.comment']).stdout.trimEnd().split('\n');
    const expected = d.files.flatMap((f) => [...new Set([...f.sessions, ...f.pairs].flatMap(proof))].sort((a, b) => a - b).map((n) => ({ f, n })));
    expect(rows).toHaveLength(expected.length);
    for (const [k, { f, n }] of expected.entries()) {
      const [time, comments] = rows[k]!.split('\t');
      const original = run('tshark', ['-r', `fixtures/captures/${f.file}`, '-Y', `frame.number == ${n}`, '-T', 'fields', '-e', 'frame.time_epoch']).stdout.trim();
      expect(time).toBe(original);
      for (const r of [...f.sessions, ...f.pairs].filter((x) => proof(x).includes(n))) {
        expect(comments).toContain(`${f.file} frame ${n}: ${r.kind} ${r.a.address}`);
        expect(comments).toContain(`verdict ${r.verdict}, reason ${(r.cause ?? r.reasons[0])!.code}`);
      }
    }
  });

  it.skipIf(!HAVE_CAPINFOS)('capinfos states the copied interfaces and packets', () => {
    const r = run('capinfos', [join(main, 'evidence.pcapng')]);
    expect(r.status).toBe(0);
    const d = doc(main);
    const packets = d.files.reduce((n, f) => n + new Set([...f.sessions, ...f.pairs].flatMap(proof)).size, 0);
    expect(r.stdout).toMatch(new RegExp(`Number of packets:\\s+${packets}\\b`));
    const interfaces = d.evidence.inputs.reduce((n, i) => n + i.capture.interfaces.length, 0);
    expect(r.stdout).toMatch(new RegExp(`Number of interfaces in file: ${interfaces}\\b`));
  });

  it.skipIf(!HAVE_TSHARK)('recheck.sh runs tshark on the original captures and prints each deciding frame under its claim', () => {
    const d = doc(main);
    const r = run('sh', [join(main, 'recheck.sh'), 'fixtures/captures']);
    expect(r.status).toBe(0);
    const blocks = r.stdout.split(/^== /m).slice(1);
    const records = d.files.flatMap((f) => [...f.sessions, ...f.pairs].map((x) => ({ f, x })));
    expect(blocks).toHaveLength(records.length);
    for (const [k, { f, x }] of records.entries()) {
      expect(blocks[k]!.startsWith(`${f.file}: ${x.kind} ${x.a.address}`)).toBe(true);
      expect(blocks[k]).toContain(`: ${x.verdict.toUpperCase()} (`);
      const shown = blocks[k]!.split('\n').slice(2).map((l) => Number(l.split('\t')[0])).filter((n) => n > 0);
      for (const n of proof(x)) expect(shown).toContain(n);
    }
    const md = readFileSync(join(main, 'recheck.md'), 'utf8');
    for (const { x } of records) expect(md).toContain(`frame.number in {${proof(x).join(',')}}`);
  });

  it('report.md and report.html name every input, verdict and deciding frame', () => {
    const d = doc(main);
    const md = readFileSync(join(main, 'report.md'), 'utf8');
    const html = readFileSync(join(main, 'report.html'), 'utf8');
    expect(md).toContain(`# Evidence bundle: da-audit ${VERSION}`);
    for (const i of d.evidence.inputs) {
      expect(md).toContain(i.sha256);
      expect(html).toContain(i.sha256);
      expect(md).toContain(`# Encryption verdicts: ${i.name.replace(/_/g, '\\_')}`);
    }
    for (const f of d.files) {
      for (const r of [...f.sessions, ...f.pairs]) {
        expect(html).toContain(`deciding frames ${proof(r).join(', ')}`);
        for (const n of proof(r)) expect(html).toMatch(new RegExp(`<text [^>]*>${n}</text>`));
      }
    }
    // Self-contained: no script, no reference to another origin (the SVG namespace is a name, not a request).
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|@import|url\(/i);
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:/);
    expect(html).toContain('@page { size: A4;');
  });

  it('verdicts.csv: one row per verdict', () => {
    const d = doc(main);
    const rows = readFileSync(join(main, 'verdicts.csv'), 'utf8').trimEnd().split('\r\n');
    expect(rows[0]).toBe('file,kind,verdict,a,a_port,a_names,b,b_port,b_names,protocol,service,path,reason_codes,why,deciding_frames');
    expect(rows).toHaveLength(1 + d.files.reduce((n, f) => n + f.sessions.length + f.pairs.length, 0));
    expect(rows[1]!.startsWith(`${d.files[0]!.file},${d.files[0]!.sessions[0]!.kind},${d.files[0]!.sessions[0]!.verdict},`)).toBe(true);
  });

  it('is deterministic: a second run, from another folder and path, gives byte-identical files; --timestamp records the time', () => {
    const dir = testTempDir('da-evidence-again-');
    mkdirSync(join(dir, 'elsewhere'));
    for (const p of [SAMPLE, TWO, CLEAR]) copyFileSync(p, join(dir, 'elsewhere', p.split('/').pop()!));
    const again = bundle(join(dir, 'b'), '--ra-port', '4000', '--da-server', 'da.contoso.example', ...[SAMPLE, TWO, CLEAR].map((p) => join(dir, 'elsewhere', p.split('/').pop()!)));
    expect(again.code).toBe(1);
    expect(contents(join(dir, 'b'))).toEqual(contents(main));
    const stamped = bundle(join(dir, 't'), '--timestamp', '--ra-port', '4000', '--da-server', 'da.contoso.example', SAMPLE, TWO, CLEAR);
    expect(stamped.code).toBe(1);
    const t = doc(join(dir, 't'));
    expectSchemaValid(t);
    expect(Date.parse(t.evidence.generated!)).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
    expect({ ...t, evidence: { ...t.evidence, generated: null } }).toEqual(doc(main));
  });

  it('refuses standard input and an output that is a file (exit 2); an unreadable input is exit 3', () => {
    const dir = testTempDir('da-evidence-usage-');
    expect(bundle(join(dir, 'x'), '-').code).toBe(2);
    writeFileSync(join(dir, 'file'), 'x');
    const r = bundle(join(dir, 'file'), SAMPLE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a folder');
    const missing = bundle(join(dir, 'y'), join(dir, 'no-such.pcapng'));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no such file');
    expect(missing.stderr).toContain('no bundle written');
    expect(existsSync(join(dir, 'y'))).toBe(false);
    const unwritable = bundle(join(dir, 'file', 'sub'), SAMPLE);
    expect(unwritable.code).toBe(3);
    expect(unwritable.stderr).toContain(`cannot write the bundle to ${join(dir, 'file', 'sub')}: a part of the path is not a folder`);
  });
});

describe('da-audit verify-bundle', () => {
  const tmp = suiteTempDir('da-verify-bundle-');
  const keys = generateKeyPairSync('ed25519');
  writeFileSync(join(tmp, 'key.pem'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(tmp, 'pub.pem'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const other = generateKeyPairSync('ed25519');
  writeFileSync(join(tmp, 'other.pem'), other.publicKey.export({ type: 'spki', format: 'pem' }));
  const made = bundle(join(tmp, 'signed'), '--sign', join(tmp, 'key.pem'), SAMPLE);

  /** A copy of the signed bundle to damage. */
  function copy(): string {
    const dir = join(testTempDir('da-verify-bundle-copy-'), 'b');
    mkdirSync(dir);
    for (const [n, b] of contents(join(tmp, 'signed'))) writeFileSync(join(dir, n), b);
    return dir;
  }

  it('a signed bundle: the signature is SHA256SUMS.sig and is not listed in SHA256SUMS; an unsigned run into the folder removes it', () => {
    expect(made.code).toBe(1);
    expect(existsSync(join(tmp, 'signed', 'SHA256SUMS.sig'))).toBe(true);
    expect(readFileSync(join(tmp, 'signed', 'SHA256SUMS'), 'utf8')).not.toContain('SHA256SUMS.sig');
    const dir = copy();
    expect(bundle(dir, SAMPLE).code).toBe(1);
    expect(existsSync(join(dir, 'SHA256SUMS.sig'))).toBe(false);
  });

  it('exit 0: the manifest, the signature and the re-run all match', () => {
    const r = cli(['verify-bundle', '--pubkey', join(tmp, 'pub.pem'), join(tmp, 'signed'), SAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SHA256SUMS.sig: valid Ed25519 signature of SHA256SUMS');
    expect(r.stdout).toContain('inputs/sample-directaccess.pcapng: SHA-256 matches');
    expect(r.stdout).toContain('every file identical');
  });

  it('exit 0 with the captures in inputs/; without any capture only the manifest is checked, and it says so', () => {
    const dir = copy();
    const bare = cli(['verify-bundle', dir]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain('SHA256SUMS.sig: present, not checked (give --pubkey');
    expect(bare.stdout).toContain('analysis not re-run: no capture given for inputs/sample-directaccess.pcapng');
    mkdirSync(join(dir, 'inputs'));
    copyFileSync(SAMPLE, join(dir, 'inputs', 'sample-directaccess.pcapng'));
    const r = cli(['verify-bundle', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('every file identical');
  });

  it('exit 3: a bundle file altered or missing, a capture that is not an input, a bad signature', () => {
    const altered = copy();
    writeFileSync(join(altered, 'report.html'), readFileSync(join(altered, 'report.html'), 'utf8').replace('CLEAR', 'ENCRYPTED'));
    let r = cli(['verify-bundle', altered, SAMPLE]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('report.html: its SHA-256 is not the one in SHA256SUMS');

    const missing = copy();
    writeFileSync(join(missing, 'SHA256SUMS'), readFileSync(join(missing, 'SHA256SUMS'), 'utf8').split('\n').filter((l) => !l.endsWith('evidence.pcapng')).join('\n'));
    r = cli(['verify-bundle', missing, SAMPLE]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('evidence.pcapng: not listed in SHA256SUMS');

    const outside = copy();
    writeFileSync(join(outside, 'SHA256SUMS'), `${readFileSync(join(outside, 'SHA256SUMS'), 'utf8')}${sha256(readFileSync('package.json'))}  ../../package.json\n`);
    r = cli(['verify-bundle', outside, SAMPLE]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('../../package.json: not a file of an evidence bundle');

    r = cli(['verify-bundle', join(tmp, 'signed'), CLEAR]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('is not that of any input of the bundle');

    r = cli(['verify-bundle', '--pubkey', join(tmp, 'other.pem'), join(tmp, 'signed'), SAMPLE]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('SHA256SUMS.sig: not a valid Ed25519 signature');

    r = cli(['verify-bundle', join(tmp, 'no-such-folder')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('SHA256SUMS: cannot be read');
  });

  it.skipIf(!HAVE_OPENSSL)('openssl (an independent Ed25519 implementation) accepts the signature', () => {
    const dir = testTempDir('da-verify-bundle-openssl-');
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(readFileSync(join(tmp, 'signed', 'SHA256SUMS.sig'), 'utf8').trim(), 'base64'));
    const ok = run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(tmp, 'pub.pem'), '-rawin', '-in', join(tmp, 'signed', 'SHA256SUMS'), '-sigfile', join(dir, 'sig.bin')]);
    expect(ok.stdout).toContain('Signature Verified Successfully');
    const bad = run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(tmp, 'other.pem'), '-rawin', '-in', join(tmp, 'signed', 'SHA256SUMS'), '-sigfile', join(dir, 'sig.bin')]);
    expect(bad.status).not.toBe(0);
  });

  it('keys: one that is not Ed25519 is a usage error (exit 2) before any analysis; one that cannot be read is exit 3', () => {
    const dir = testTempDir('da-verify-bundle-keys-');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(join(dir, 'rsa.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'rsa-pub.pem'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    let r = bundle(join(dir, 'b'), '--sign', join(dir, 'rsa.pem'), SAMPLE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the key is rsa, not Ed25519');
    expect(existsSync(join(dir, 'b'))).toBe(false);
    r = bundle(join(dir, 'b'), '--sign', join(dir, 'none.pem'), SAMPLE);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot read the key');
    r = cli(['verify-bundle', '--pubkey', join(dir, 'rsa-pub.pem'), join(tmp, 'signed')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not Ed25519');
  });

  it('exit 1: report.json edited and SHA256SUMS recomputed to match (no signature asked): the re-run shows the difference', () => {
    const dir = copy();
    const d = doc(dir);
    d.files[0]!.sessions[0]!.verdict = 'encrypted';
    const json = JSON.stringify(d, null, 2) + '\n';
    writeFileSync(join(dir, 'report.json'), json);
    writeFileSync(join(dir, 'SHA256SUMS'), readFileSync(join(dir, 'SHA256SUMS'), 'utf8').replace(/^[0-9a-f]{64}(?= {2}report\.json$)/m, sha256(Buffer.from(json))));
    const r = cli(['verify-bundle', dir, SAMPLE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('report.json: DIFFERENT when the analysis is re-run');
    expect(r.stdout).toContain('files[0].sessions[0].verdict: recorded "encrypted", now "clear"');
    // With the key, the same edit is caught by the signature first.
    expect(cli(['verify-bundle', '--pubkey', join(tmp, 'pub.pem'), dir, SAMPLE]).code).toBe(3);
  });
});

describe.skipIf(!HAVE_TSHARK)('report.html timelines per direction', () => {
  const tmp = suiteTempDir('da-evidence-timeline-');
  const ENCRYPTED = 'fixtures/captures/verify-encrypted.pcapng';
  const dir = join(tmp, 'b');
  const made = bundle(dir, ENCRYPTED, CLEAR);

  /** The figure of a file's pair in report.html. */
  const figureOf = (file: string, a: string, b: string): string => readFileSync(join(dir, 'report.html'), 'utf8').split('<section>').find((x) => x.includes(`Encryption verdicts: ${file}`))!
    .split('<figure>').find((f) => f.includes(`pair ${a} ↔ ${b}`))!;
  /** Frame numbers tshark shows for a display filter. */
  const frames = (path: string, filter: string): number[] => run('tshark', ['-r', path, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).stdout.trim().split('\n').map(Number);

  it('each ESP SA: its first and last packet on the lane of its direction, as tshark finds them', () => {
    expect(made.code).toBe(1);
    const d = doc(dir);
    const pair = d.files[0]!.pairs[0]!;
    expect(pair.verdict).toBe('encrypted');
    const figure = figureOf('verify-encrypted.pcapng', pair.a.address, pair.b.address);
    for (const [lane, src] of [['A → B', pair.a.address], ['B → A', pair.b.address]] as const) {
      const esp = frames(ENCRYPTED, `esp && ipv6.src == ${src}`);
      const spi = run('tshark', ['-r', ENCRYPTED, '-Y', `frame.number == ${esp[0]}`, '-T', 'fields', '-e', 'esp.spi']).stdout.trim();
      const laneSvg = figure.slice(figure.indexOf(`>${lane}</text>`)).split('</text><line')[1]!.split(/<text x="4"/)[0]!;
      expect(laneSvg).toContain(`<title>frame ${esp[0]}: first ESP SPI ${spi} packet</title>`);
      expect(laneSvg).toContain(`<title>frame ${esp[esp.length - 1]}: last ESP SPI ${spi} packet</title>`);
    }
    expect(figure).not.toContain('>no IPsec</text>');
  });

  it('traffic without IPsec: its first and last packet', () => {
    const pair = doc(dir).files[1]!.pairs[0]!;
    expect(pair.verdict).toBe('clear');
    const tcp = frames(CLEAR, 'tcp');
    const figure = figureOf('verify-clear.pcapng', pair.a.address, pair.b.address);
    expect(figure).toContain(`<title>frame ${tcp[0]}: first packet without IPsec`);
    expect(figure).toContain(`<title>frame ${tcp[tcp.length - 1]}: last packet without IPsec`);
    expect(figure).not.toContain('>A → B</text>');
  });
});
