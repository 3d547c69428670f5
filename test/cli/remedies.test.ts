/** Cause, fix and check on every verdict that is not encrypted (issue "Troubleshooting" item 1), checked against tshark. */

import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reason } from '../../src/classify/reasons.js';
import { checkOf, shellQuote } from '../../src/report/check.js';
import type { RecordJson, VerifyReport } from '../../src/report/verify.js';
import { fixOf, REMEDIES } from '../../src/rules/remedies.js';
import { cli } from '../helpers/cli.js';
import { HAVE_TSHARK, ROOT } from '../helpers/inputs.js';
import { suiteTempDir } from '../helpers/temp.js';

const CAPTURES = 'fixtures/captures';
const dir = suiteTempDir('da-audit-remedies-');

function verify(file: string): VerifyReport {
  return (JSON.parse(cli(['verify', '--format', 'json', file]).stdout) as { files: VerifyReport[] }).files[0]!;
}

/** Every verdict of every fixture that judges something, with its file. */
const verdicts: { file: string; r: RecordJson }[] = readdirSync(join(ROOT, CAPTURES)).filter((f) => /^(verify|trust|da|iphttps|sample)-/.test(f) && !f.endsWith('.gz'))
  .flatMap((f) => {
    const rep = verify(join(CAPTURES, f));
    return [...rep.sessions, ...rep.pairs].map((r) => ({ file: join(CAPTURES, f), r }));
  });
const notEncrypted = verdicts.filter((v) => v.r.verdict !== 'encrypted');

/** Runs one check command in a POSIX shell from `cwd`, with `da-audit` standing for the built CLI. */
function sh(command: string, cwd = ROOT): string {
  const r = spawnSync('bash', ['-c', command.replace(/^da-audit /, `node ${shellQuote(join(ROOT, 'bin/da-audit.js'))} `)], { cwd, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The frame numbers a `frame.number in {…}` filter names. */
const filterFrames = (command: string): number[] => command.match(/frame\.number in \{([\d,]+)\}/)![1]!.split(',').map(Number);

describe('cause, fix and check', () => {
  it('the fixtures hold verdicts of every kind but the rare ones, so the checks below cover many causes', () => {
    expect(new Set(notEncrypted.map((v) => v.r.cause!.code))).toEqual(new Set([
      'ipsec.none', 'esp.null', 'ah.integrity_only', 'esp.undetermined', 'tcp.syn_unanswered', 'tcp.refused', 'icmpv6.admin_prohibited',
      'icmpv6.unreachable', 'iphttps.auth_none', 'pair.no_data', 'authip.notify',
    ]));
  });

  it('every verdict that is not encrypted names a cause with its frames, the fix for that cause, and its checks; encrypted ones none', () => {
    for (const { r } of verdicts) {
      if (r.verdict === 'encrypted') {
        expect([r.cause, r.fix, r.check]).toEqual([null, null, null]);
        continue;
      }
      expect(r.cause!.frames.length).toBeGreaterThan(0);
      expect(r.fix!.code).toBe(r.cause!.code);
      expect(r.fix!.text.length).toBeGreaterThan(40);
      expect(r.check!.windows.length).toBeGreaterThan(0);
      // The tshark filter names the cause's frames and the deciding frames (at most 32, in order).
      const named = filterFrames(r.check!.tshark[0]!);
      expect(named).toEqual([...named].sort((x, y) => x - y));
      for (const f of [...r.cause!.frames, ...r.frames.deciding].filter((f) => f <= named[named.length - 1]!)) expect(named).toContain(f);
      // Inside IP-HTTPS tshark cannot see the packets: a second command reads them out with da-audit extract.
      expect(r.check!.tshark.length).toBe(r.path.includes('ip-https') ? 2 : 1);
    }
  });

  it.runIf(HAVE_TSHARK)('each check, run as printed, makes tshark list exactly the frames it names (one verdict per cause)', () => {
    const byCause = new Map(notEncrypted.map((v) => [v.r.cause!.code, v]));
    for (const { r } of byCause.values()) {
      const command = r.check!.tshark[0]!;
      const listed = sh(command).trim().split('\n').map((line) => Number(line.split('\t')[0]));
      expect(listed, command).toEqual(filterFrames(command));
    }
  });

  it.runIf(HAVE_TSHARK)('inside IP-HTTPS, the extract command shows the packets of the deciding outer frames, decoded by tshark', () => {
    const inside = notEncrypted.find((v) => v.r.path.includes('ip-https') && v.file.endsWith('iphttps-null-sha.pcapng'))!;
    const command = inside.r.check!.tshark[1]!.replace(/^da-audit extract (\S+)/, (_m, f: string) => `da-audit extract ${join(ROOT, f)}`);
    const lines = sh(command, dir).trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    const named = filterFrames(inside.r.check!.tshark[0]!);
    for (const line of lines) {
      const outer = Number(/^outer frame (\d+);/.exec(line)![1]);
      expect(named).toContain(outer);
      expect(line.split('\t')[1]).toMatch(/^(TCP|RDP|TPKT|COTP|T\.125|UDP|ICMPv6)$/);
    }
  });

  it('a file name with spaces and quotes is one shell word in the check', () => {
    const name = join(dir, "it's a capture.pcapng");
    copyFileSync(join(ROOT, CAPTURES, 'verify-failed.pcapng'), name);
    const c = checkOf(name, [3, 1], 'tcp.syn_unanswered', false);
    expect(c.tshark[0]).toBe(`tshark -r '${join(dir, "it'\\''s a capture.pcapng")}' -Y 'frame.number in {1,3}' -T fields -e frame.number -e _ws.col.Protocol -e _ws.col.Info`);
    if (HAVE_TSHARK) expect(sh(c.tshark[0]!).trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['1', '3']);
  });
});

describe('fixes name what to change, following the evidence', () => {
  it('ICMPv6 administratively prohibited: between global addresses, connect over fe80:: instead; over fe80::, the peer\'s rules', () => {
    const cause = reason('icmpv6.admin_prohibited', { what: 'the SYN', code: 1, codeName: 'administratively prohibited', frame: 9, version: 6 }, [9]);
    expect(fixOf(cause, { linkLocal: false })!.text).toContain("connect to the peer's fe80:: address on the IP-HTTPS interface instead of its global address");
    expect(fixOf(cause, { linkLocal: true })!.text).toContain('"Remote Assistance (TCP-In)" rule');
    expect(fixOf(cause, { linkLocal: true })!.text).not.toContain('instead of its global address');
  });

  it('an error Notify: an authentication error points at Kerberos, no proposal chosen at the crypto sets', () => {
    const notify = (name: string) => reason('authip.notify', { protocol: 'AuthIP', detail: 'frames 5, 6', state: 'notify-error', notify: name, side: 'responder' }, [6]);
    expect(fixOf(notify('AUTHENTICATION-FAILED'), { linkLocal: true })!.text).toMatch(/Kerberos tickets/);
    expect(fixOf(notify('NO-PROPOSAL-CHOSEN'), { linkLocal: true })!.text).toMatch(/crypto sets of the two clients share a proposal/);
    expect(REMEDIES['authip.notify']!.confirm.join('\n')).toContain('EventID=4653');
  });

  it('on the fixtures: mode None names the server setting, ESP-NULL the data protection, a clear session the connection security rule', () => {
    const fixFor = (code: string) => notEncrypted.find((v) => v.r.cause!.code === code)!.r;
    expect(fixFor('iphttps.auth_none').fix!.text).toContain('Set-NetIPHttpsConfiguration -AuthMode Certificates');
    expect(fixFor('iphttps.auth_none').check!.windows).toContain('netsh interface httpstunnel show interfaces');
    expect(fixFor('esp.null').fix!.text).toContain('keep only ESP proposals with encryption');
    expect(fixFor('ipsec.none').fix!.text).toContain('Require authentication for inbound and outbound connections');
    expect(fixFor('tcp.syn_unanswered').check!.windows.join('\n')).toContain('Get-NetFirewallRule -DisplayGroup "Remote Assistance"');
    // trust-authip-notify-mode-none: NOTIFY_STATUS carrying ERROR_IPSEC_IKE_AUTH_FAIL, so the authentication variant.
    expect(fixFor('authip.notify').cause!.text).toContain('ERROR_IPSEC_IKE_AUTH_FAIL');
    expect(fixFor('authip.notify').fix!.text).toMatch(/Kerberos tickets/);
  });
});
