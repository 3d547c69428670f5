/** The default verify report, to scan (issue "Troubleshooting" item 3): order, blocks, totals, 80 columns, colour. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/verify.js';
import { SEVERITY } from '../../src/report/verify-brief.js';
import { cli } from '../helpers/cli.js';
import { ROOT } from '../helpers/inputs.js';

const CAPTURES = 'fixtures/captures';
const SAMPLE = `${CAPTURES}/sample-directaccess.pcapng`;
const FAILED = `${CAPTURES}/verify-failed.pcapng`;
const MIXED = [SAMPLE, FAILED, `${CAPTURES}/verify-esp-null.pcapng`, `${CAPTURES}/trust-esp-snaplen-56.pcapng`];
/** An SGR sequence: what colour adds. */
const SGR = /\x1b\[[\d;]*m/;

function report(file: string): VerifyReport {
  return (JSON.parse(cli(['verify', '--format', 'json', file]).stdout) as { files: VerifyReport[] }).files[0]!;
}

/** The verdict words that open the entries of a terminal report, in order. */
const verdictWords = (text: string): string[] => [...text.matchAll(/^(FAILED|CLEAR|INTEGRITY-ONLY|INCONCLUSIVE|ENCRYPTED) {2,}(session|pair)/gm)].map((m) => m[1]!.toLowerCase());

describe('verify: the report to scan', () => {
  it('one entry per verdict, worst first (failed, clear, integrity-only, inconclusive, encrypted), each with its ends', () => {
    for (const file of MIXED) {
      const r = report(file);
      const text = cli(['verify', '--width', '0', file]).stdout;
      const expected = [...r.sessions, ...r.pairs].map((x) => x.verdict).sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b));
      expect(verdictWords(text), file).toEqual(expected);
    }
  });

  it('under each verdict that is not encrypted: cause (code and sentence), fix and check; under an encrypted one none', () => {
    const text = cli(['verify', '--width', '0', SAMPLE]).stdout;
    const blocks = text.split(/\n(?=(?:FAILED|CLEAR|INTEGRITY-ONLY|INCONCLUSIVE|ENCRYPTED) {2,})/).slice(1);
    expect(blocks).toHaveLength(3);
    for (const b of blocks) {
      const encrypted = b.startsWith('ENCRYPTED');
      expect(/^ {2}cause {2}[a-z0-9_.]+: /m.test(b), b).toBe(!encrypted);
      expect(/^ {2}fix {4}\S/m.test(b), b).toBe(!encrypted);
      expect(/^ {2}check {2}tshark -r /m.test(b), b).toBe(!encrypted);
    }
    // The same fix twice in one capture is written out once; the second entry points back to it.
    expect(text.match(/^ {2}fix {4}Require IPsec for this traffic/gm)).toHaveLength(1);
    expect(text).toContain('  fix    as above (ipsec.none)');
  });

  it('a totals line per capture and one for the run', () => {
    const one = cli(['verify', FAILED]).stdout;
    expect(one).toContain('\nTotals: 6 verdicts: 6 failed\n');
    expect(one).not.toContain('Run:');
    const two = cli(['verify', SAMPLE, FAILED]).stdout;
    expect(two).toContain('\nTotals: 3 verdicts: 2 clear, 1 encrypted\n');
    expect(two).toContain('\nRun: 2 captures, 9 verdicts: 6 failed, 2 clear, 1 encrypted\n');
    expect(cli(['verify', '--format', 'md', SAMPLE, FAILED]).stdout).toContain('**Run:** 2 captures, 9 verdicts: 6 failed, 2 clear, 1 encrypted');
  });

  it('at 80 columns: prose wraps, no IPv6 address or "port N" is split, commands stay whole on their own lines', () => {
    for (const file of MIXED) {
      const text = cli(['verify', '--width', '80', file]).stdout;
      const lines = text.split('\n');
      const command = (l: string): boolean => /^ {2}check {2}|^ {9}(tshark|da-audit|Get-|netsh|klist)/.test(l);
      for (const l of lines.filter((x) => !command(x))) {
        // An address alone may be wider than the room left; nothing else may pass 80.
        if (l.length > 80) expect(l.trim(), file).toMatch(/^[\da-f:.]+( port \d+)?( →| ↔)?$/);
      }
      const r = report(file);
      for (const x of [...r.sessions, ...r.pairs]) {
        for (const e of [x.a, x.b]) {
          const whole = x.kind === 'session' && e.port !== null ? `${e.address} port ${e.port}` : e.address;
          expect(lines.some((l) => l.includes(whole)), `${file}: ${whole}`).toBe(true);
        }
      }
      // A line never ends inside an address: the next line would begin with hex digits and a colon.
      expect(text).not.toMatch(/[\da-f]:\n\s+[\da-f]*:/);
    }
  });

  it('colour: the verdict words on a terminal, never through a pipe by default; --color, FORCE_COLOR and NO_COLOR as usual', () => {
    expect(cli(['verify', SAMPLE]).stdout).not.toMatch(SGR);
    const always = cli(['verify', '--color', 'always', SAMPLE]).stdout;
    expect(always).toContain('\x1b[1;31mCLEAR           \x1b[0msession');
    expect(always).toContain('\x1b[32mENCRYPTED       \x1b[0mpair');
    expect(always).toContain('\x1b[1;31mFINDINGS\x1b[0m: ');
    // Only the words are coloured: without the SGR sequences the text is the plain report.
    expect(always.replace(/\x1b\[[\d;]*m/g, '')).toBe(cli(['verify', SAMPLE]).stdout);
    expect(cli(['verify', SAMPLE], undefined, { FORCE_COLOR: '1' }).stdout).toMatch(SGR);
    expect(cli(['verify', SAMPLE], undefined, { FORCE_COLOR: '0' }).stdout).not.toMatch(SGR);
    expect(cli(['verify', '--color', 'always', SAMPLE], undefined, { NO_COLOR: '1' }).stdout).toMatch(SGR);
    expect(cli(['verify', SAMPLE], undefined, { NO_COLOR: '1', FORCE_COLOR: '1' }).stdout).toMatch(SGR);
    expect(cli(['verify', '--color', 'never', SAMPLE], undefined, { FORCE_COLOR: '1' }).stdout).not.toMatch(SGR);
    // Machine formats never carry colour.
    expect(cli(['verify', '--format', 'json', '--color', 'always', SAMPLE]).stdout).not.toMatch(SGR);
    expect(cli(['verify', '--format', 'md', '--color', 'always', SAMPLE]).stdout).not.toMatch(SGR);
    expect(cli(['verify', '--color', 'sometimes', SAMPLE]).code).toBe(2);
  });

  it('Markdown carries the same entries, causes, fixes and commands', () => {
    const md = cli(['verify', '--format', 'md', FAILED]).stdout;
    const r = report(FAILED);
    const records = [...r.sessions, ...r.pairs];
    expect([...md.matchAll(/^## (\S+) — /gm)].map((m) => m[1]!.toLowerCase())).toEqual(records.map((x) => x.verdict));
    for (const x of records) {
      expect(md).toContain(`- **Cause** (\`${x.cause!.code}\`)`);
      for (const c of x.check!.tshark) expect(md).toContain(`\n${c}\n`);
    }
  });

  it('the README shows the sample report exactly as da-audit prints it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const m = /<!-- sample: da-audit (.+) -->\n```text\n([\s\S]*?)```\n/.exec(readme)!;
    expect(m[2]).toBe(cli(m[1]!.split(' ')).stdout);
  });
});
