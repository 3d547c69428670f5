/**
 * The CLI on hostile paths and broken outputs (issue 17): endless input ends, a closed pipe ends quietly, a full
 * disk or a bad -o is one line with exit 2 or 3, extract never overwrites its input, file names are escaped,
 * numbers are parsed strictly, pipes given as paths are read.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemorySink, PcapWriter } from '../../src/capture/writer.js';
import { EtherType, ethernet, ipv4, Proto, udp } from '../helpers/build.js';
import { cli, type CliRun } from '../helpers/cli.js';
import { message } from '../helpers/isakmp-build.js';
import { ROOT } from '../helpers/inputs.js';
import { suiteTempDir } from '../helpers/temp.js';

const SAMPLE = 'fixtures/captures/sample-directaccess.pcapng';
const NULL_IPHTTPS = 'fixtures/captures/da-iphttps-null.pcapng';
const BIN = join(ROOT, 'bin/da-audit.js');
const dir = suiteTempDir('da-audit-reliability-');

/** Runs a shell pipeline with $DA set to the CLI, in the repository, with a time limit. */
function sh(script: string, timeout = 30_000): CliRun {
  const r = spawnSync('bash', ['-c', script], {
    cwd: ROOT, encoding: 'utf8', timeout, env: { ...process.env, DA: `${process.execPath} ${BIN}` },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** No stack trace, no internal error: what a user must never see. */
function expectNoCrash(r: CliRun): void {
  expect(r.stderr).not.toMatch(/\n\s+at |internal error|node:internal/);
}

describe('endless input ends at the first fatal error', () => {
  it.each([
    ['info /dev/zero', '$DA info /dev/zero'],
    ['yes | info -', 'yes | $DA info -; exit ${PIPESTATUS[1]}'],
    ['verify /dev/urandom', '$DA verify /dev/urandom'],
  ])('%s exits 3 with one error line', (_, script) => {
    const r = sh(script);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/byte offset 0, frame 1: not a pcap or pcapng file/);
  });

  it('says the hash covers only the bytes read', () => {
    const r = sh('$DA info -f json /dev/zero');
    const file = JSON.parse(r.stdout).files[0];
    expect(file.sha256Covers).toBe('bytes read');
  });
});

describe('pipes given as paths', () => {
  it.each([
    ['process substitution', `$DA info -f json <(cat ${SAMPLE})`],
    ['/dev/stdin fed by a pipe', `cat ${SAMPLE} | $DA info -f json /dev/stdin`],
    ['a named FIFO', `f=$(mktemp -u); mkfifo $f; (cat ${SAMPLE}.gz > $f &); $DA info -f json $f; c=$?; rm -f $f; exit $c`],
  ])('%s is read as a stream', (_, script) => {
    const r = sh(script);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files[0]).toMatchObject({ packets: 184, status: 'complete', error: null });
  });
});

describe('damaged gzip through the CLI', () => {
  it('a flipped CRC keeps all 184 packets, names the offset, exits 3', () => {
    const gz = readFileSync(`${SAMPLE}.gz`);
    gz[gz.length - 8]! ^= 0xff;
    const path = join(dir, 'crc.pcapng.gz');
    writeFileSync(path, gz);
    const r = cli(['info', '-f', 'json', path]);
    expect(r.code).toBe(3);
    const file = JSON.parse(r.stdout).files[0];
    expect(file.packets).toBe(184);
    expect(file.error).toMatchObject({ code: 'CAPTURE_GZIP', offset: readFileSync(SAMPLE).length, frame: 185 });
  });

  it('trailing garbage keeps all 184 packets, warns, exits 3 (verify: 1, for the clear session it read, which outranks it)', () => {
    const path = join(dir, 'trailing.pcapng.gz');
    writeFileSync(path, Buffer.concat([gzipSync(readFileSync(SAMPLE)), Buffer.from('24 bytes of garbage here')]));
    for (const cmd of ['info', 'summary', 'verify']) {
      const r = cli([cmd, '-f', 'json', path]);
      expect(r.code).toBe(cmd === 'verify' ? 1 : 3);
      expect(r.stderr).toContain('bytes after the end of the gzip stream');
    }
    expect(JSON.parse(cli(['info', '-f', 'json', path]).stdout).files[0].packets).toBe(184);
  });
});

describe('standard output that fails', () => {
  it('a closed pipe ends quietly with the run\'s own code', () => {
    for (const [script, code] of [
      [`$DA decode ${SAMPLE} | head -1 >/dev/null; exit \${PIPESTATUS[0]}`, 0],
      [`$DA info ${SAMPLE} | true; exit \${PIPESTATUS[0]}`, 0],
      [`$DA verify ${SAMPLE} | head -c 1 >/dev/null; exit \${PIPESTATUS[0]}`, 1],
    ] as const) {
      const r = sh(script);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(code);
    }
  });

  it('decode stops reading once nobody reads its output', () => {
    // 200 copies of the sample's packets would take seconds to decode; with the pipe closed it ends at once.
    const big = join(dir, 'big.pcapng');
    const sample = readFileSync(SAMPLE);
    writeFileSync(big, Buffer.concat(Array.from({ length: 200 }, () => sample)));
    const started = Date.now();
    const r = sh(`$DA decode ${big} | head -1 >/dev/null; exit \${PIPESTATUS[0]}`);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a full disk is one line and exit 3', () => {
    for (const cmd of ['summary', 'info', 'verify', 'decode', '--help', `extract ${NULL_IPHTTPS} -o -`]) {
      const r = sh(`$DA ${cmd} ${cmd.startsWith('extract') ? '' : SAMPLE} > /dev/full`);
      expectNoCrash(r);
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toBe('da-audit: error: cannot write to standard output: no space left on the device; the output is incomplete');
    }
  });
});

describe('extract -o', () => {
  it('a full disk is one line and exit 3', () => {
    const r = cli(['extract', NULL_IPHTTPS, '-o', '/dev/full']);
    expectNoCrash(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('da-audit: error: cannot write /dev/full: no space left on the device');
  });

  it.each([
    ['a missing folder', () => join(dir, 'no-such-folder', 'out.pcapng'), 'no such file or folder'],
    ['a folder', () => dir, 'is a folder'],
  ])('%s is one line and exit 2', (_, out, why) => {
    const r = cli(['extract', NULL_IPHTTPS, '-o', out()]);
    expectNoCrash(r);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`da-audit: error: cannot write ${out()}: ${why}`);
  });

  it('refuses to overwrite its input, by name or through a link', () => {
    const input = join(dir, 'input.pcapng');
    copyFileSync(SAMPLE, input);
    const link = join(dir, 'link.pcapng');
    symlinkSync(input, link);
    for (const out of [input, link]) {
      const r = cli(['extract', input, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is the input capture; refusing to overwrite it');
      expect(readFileSync(input)).toEqual(readFileSync(SAMPLE));
    }
  });

  it('a closed pipe on -o - ends quietly', () => {
    const big = join(dir, 'big-null.pcapng');
    const r0 = readFileSync(NULL_IPHTTPS);
    writeFileSync(big, r0);
    const r = sh(`$DA extract ${big} -o - | head -c 1 >/dev/null; exit \${PIPESTATUS[0]}`);
    expectNoCrash(r);
    expect(r.code).toBe(0);
  });
});

describe('file names are escaped on the terminal', () => {
  const hostile = join(dir, 'evil\x1b[31m\x07\nname.pcapng');
  it('in table headings and extract\'s messages', () => {
    copyFileSync(NULL_IPHTTPS, hostile);
    for (const cmd of ['info', 'summary', 'verify']) {
      const r = cli([cmd, hostile]);
      expect(r.stdout).not.toMatch(/[\x07\x1b]/);
      expect(r.stdout).toContain('evil\\x1b[31m\\x07\\nname.pcapng');
    }
    const r = cli(['extract', hostile, '-o', join(dir, 'out\x1b.pcapng')]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/[\x07\x1b]/);
    expect(r.stderr).toContain('out\\x1b.pcapng');
  });
});

describe('numbers and prefixes are parsed strictly', () => {
  it.each([
    ['--flow-idle', ''], ['--flow-idle', ' 5'], ['--flow-idle', '5 '], ['--flow-idle', '0x10'], ['--flow-idle', '1e3'],
    ['--flow-idle', '-1'], ['--flow-idle', '1.5'], ['--max-flows', '9007199254740993'], ['--max-flows', '0'],
    ['--top', '+3'], ['--da-prefix', '10.0.0.0/8'], ['--iphttps-prefix', '192.168.0.0/16'], ['--nat64-prefix', 'nonsense'],
  ])('%s "%s" is a usage error', (flag, value) => {
    const r = cli(['summary', flag, value, SAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`option '${flag}`);
    expect(r.stdout).toBe('');
  });

  it.each([['--ra-port', '3389x'], ['--ra-port', '0x50']])('verify %s "%s" is a usage error', (flag, value) => {
    expect(cli(['verify', flag, value, SAMPLE]).code).toBe(2);
  });

  it('decode -c and --width too', () => {
    expect(cli(['decode', '-c', '1e2', SAMPLE]).code).toBe(2);
    expect(cli(['--width', '0x50', 'info', SAMPLE]).code).toBe(2);
    expect(cli(['summary', '--flow-idle', '0', '--max-flows', '9007199254740991', SAMPLE]).code).toBe(0);
  });
});

describe('summary with many IKE negotiations', () => {
  it('the table lists at most 200 of them and says how many more JSON has', () => {
    // 1,000 IKE_SA_INIT requests from different hosts, none answered: 1,000 negotiations, none complete.
    const m = new MemorySink();
    const w = new PcapWriter(m.write, { linkType: 1 });
    for (let i = 0; i < 1000; i++) {
      const ep = { src: `10.0.${i >> 8}.${i & 255}`, dst: '192.0.2.1' };
      const spi = new Uint8Array(8);
      new DataView(spi.buffer).setUint32(4, i + 1);
      const ike = message({ ispi: spi, exchange: 34, version: 0x20, flags: 0x08 }, [{ type: 33, body: new Uint8Array(8) }]);
      w.packet({ sec: 1_700_000_000 + i, nsec: 0 }, ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', EtherType.IPv4, ipv4({ ...ep, protocol: Proto.UDP }, udp(ep, 500, 500, ike))));
    }
    const path = join(dir, 'ike-1000.pcap');
    writeFileSync(path, m.bytes());
    const json = cli(['summary', '-f', 'json', path]);
    expect(JSON.parse(json.stdout).files[0].negotiations).toHaveLength(1000);
    for (const format of ['table', 'md']) {
      const r = cli(['summary', '-f', format, '--width', '0', path]);
      expect(r.code).toBe(0);
      expect(r.stdout.match(/i→r IKE\\?_SA\\?_INIT/g)).toHaveLength(200);
      expect(r.stdout).toContain('800 more negotiation(s) are not listed here (800 of them did not complete); --format json lists all 1,000.');
    }
  });
});
