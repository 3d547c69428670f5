/** The IP-HTTPS link not coming up (issue "Troubleshooting" item 1; protocols.md §7 row 1), each finding checked by tshark. */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/verify.js';
import { cli } from '../helpers/cli.js';
import { transitionsFailScenario } from '../helpers/fixtures/da-fixtures.js';
import { ipHttpsLinkFailsScenario } from '../helpers/fixtures/verify-fixtures.js';
import { HAVE_TSHARK, run } from '../helpers/inputs.js';

const FILE = 'fixtures/captures/iphttps-link-fails.pcapng';

function verify(file: string, ...args: string[]): VerifyReport {
  return (JSON.parse(cli(['verify', '--format', 'json', ...args, file]).stdout) as { files: VerifyReport[] }).files[0]!;
}

describe('IP-HTTPS link findings', () => {
  const s = ipHttpsLinkFailsScenario();
  const frame = (...labels: string[]): number => s.framesWith(...labels)[0]!.number;
  const hello = (i: number): number => frame(`attempt-${i}`, 'tls-1');
  const r = verify(FILE);

  it('each failed attempt names how it failed, with the ClientHello and the deciding frame from the capture\'s ledger', () => {
    expect(r.link.map((l) => [l.code, l.frames])).toEqual([
      ['iphttps.tls_alert', [hello(1), frame('attempt-1', 'alert')]],
      ['iphttps.reset_after_hello', [hello(2), frame('attempt-2', 'reset')]],
      ['iphttps.http_status', [hello(3), frame('attempt-3', 'http-response')]],
      ['iphttps.reconnects', [frame('attempt-1'), frame('attempt-2'), frame('attempt-3')]],
    ]);
    expect(r.link[0]!.text).toContain('the server sent the fatal TLS alert handshake_failure');
    expect(r.link[2]!.text).toContain('the server answered HTTP 403 Forbidden');
    expect(r.link[3]!.facts).toMatchObject({ server: '203.0.113.10:443', attempts: 3, gaps: [30, 60] });
    for (const l of r.link) {
      expect(l.fix!.code).toBe(l.code);
      expect(l.check.windows).toContain('netsh interface httpstunnel show interfaces');
    }
    // Without the link no traffic between clients exists to judge: the result says so, exit 0 (--strict: 1).
    expect([r.result, r.pairs.length]).toEqual(['no-client-traffic', 0]);
  });

  it.runIf(HAVE_TSHARK)('tshark, run with each check as printed, shows the alert, the reset and the 403 in those frames', () => {
    const info = (command: string): string => run('bash', ['-c', command]).stdout;
    expect(info(r.link[0]!.check.tshark[0]!)).toMatch(/\tAlert \(Level: Fatal, Description: Handshake Failure\)/);
    expect(info(r.link[1]!.check.tshark[0]!)).toMatch(/\[RST, ACK\]/);
    expect(info(r.link[2]!.check.tshark[0]!)).toMatch(/\tHTTP\/1\.1 403 Forbidden/);
  });

  it('the report to scan puts the link first, with cause, fix and check', () => {
    const text = cli(['verify', '--width', '0', FILE]).stdout;
    expect(text).toMatch(/^LINK a transition technology did not come up \(IP-HTTPS, Teredo, 6to4\)\n {2}cause {2}iphttps\.tls_alert: /m);
    expect(text.indexOf('LINK a transition')).toBeLessThan(text.indexOf('no traffic between DirectAccess clients is visible in this capture'));
    expect(cli(['verify', '--format', 'md', FILE]).stdout).toContain('## LINK — a transition technology did not come up\n\n- **Cause** (`iphttps.tls_alert`)');
    expect(cli(['verify', '--details', '--width', '0', FILE]).stdout).toMatch(/│ iphttps\.http_status +│ the IP-HTTPS link to 203\.0\.113\.10:443/);
  });

  it('6to4 and Teredo sent to and never answered, then IP-HTTPS up: one finding each, with the frames of the ledger', () => {
    const t = transitionsFailScenario();
    const frames = (label: string): number[] => t.framesWith(label).map((f) => f.number);
    const [sixToFour, teredo] = [frames('6to4-echo'), frames('teredo-rs')];
    const x = verify('fixtures/captures/da-transitions-fail.pcapng');
    expect(x.link.map((l) => [l.code, l.frames, (l.facts as { packets: number }).packets])).toEqual([
      ['6to4.no_answer', [sixToFour[0], sixToFour.at(-1)], sixToFour.length],
      ['teredo.no_answer', [teredo[0], teredo.at(-1)], teredo.length],
    ]);
    expect(x.link[1]!.text).toBe(`Teredo did not come up: 3 packets to the Teredo server 203.0.113.10 (UDP 3544, frames ${teredo[0]}–${teredo.at(-1)}, over 8 s) got no answer`);
    expect(x.link[0]!.check.windows).toContain('Get-Net6to4Configuration');
    expect(x.link[1]!.fix!.text).toContain('UDP 3544');
  });

  it('no other fixture has a link finding: a link that came up, or an encrypting suite that hides how it went, is none', () => {
    const failing = [FILE, 'fixtures/captures/da-transitions-fail.pcapng'];
    for (const name of readdirSync('fixtures/captures').filter((n) => /^(verify|trust|da|iphttps|sample)-.*\.pcapng$/.test(n) && !failing.includes(`fixtures/captures/${n}`))) {
      expect(verify(`fixtures/captures/${name}`, '--da-server', 'da.contoso.example').link, name).toEqual([]);
    }
  });
});
