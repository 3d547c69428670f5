/** Cause, fix and check on every verdict that is not encrypted (issue "Troubleshooting" item 1), checked against tshark. */

import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reason, REASONS } from '../../src/classify/reasons.js';
import { checkOf } from '../../src/report/check.js';
import { shellQuote } from '../../src/report/format.js';
import type { RecordJson, VerifyReport } from '../../src/report/verify.js';
import { fixOf, REMEDIES } from '../../src/rules/remedies.js';
import { concat, Prng, u32 } from '../helpers/build.js';
import { cli } from '../helpers/cli.js';
import { HAVE_TSHARK, ROOT } from '../helpers/inputs.js';
import { Scenario } from '../helpers/scenario.js';
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
      'icmpv6.unreachable', 'iphttps.auth_none', 'pair.no_data', 'authip.notify', 'esp.one_direction', 'ike.failed_after_auth',
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

describe('the remedies table', () => {
  it('every code that can name why a verdict is not encrypted has a fix and a check; only ciphertext, the good outcome, has none', () => {
    const causes = Object.entries(REASONS).filter(([, spec]) => spec.kind === 'reason' || spec.kind === 'cause').map(([code]) => code);
    expect(causes.filter((c) => !(c in REMEDIES))).toEqual(['esp.ciphertext']);
    for (const [code, r] of Object.entries(REMEDIES)) {
      expect(['reason', 'cause', 'note'], code).toContain(REASONS[code as keyof typeof REASONS].kind);
      expect(r!.fix.length, code).toBeGreaterThan(40);
      expect(r!.confirm.length, code).toBeGreaterThan(0);
    }
  });
});

describe('fixes name what to change, following the evidence', () => {
  it('ICMPv6 administratively prohibited: between global addresses, connect over fe80:: instead; over fe80::, the peer\'s rules', () => {
    const cause = reason('icmpv6.admin_prohibited', { what: 'the SYN', code: 1, codeName: 'administratively prohibited', frame: 9, version: 6 }, [9]);
    expect(fixOf(cause, { linkLocal: false })!.text).toContain("connect to the peer's fe80:: address on the IP-HTTPS interface instead of its global address");
    expect(fixOf(cause, { linkLocal: true })!.text).toContain('"Remote Assistance (TCP-In)" rule');
    expect(fixOf(cause, { linkLocal: true })!.text).not.toContain('instead of its global address');
  });

  it('a negotiation failed after Main Mode: Kerberos refused in clear points at Kerberos, otherwise at the Quick Mode proposals', () => {
    const failed = (detail: string) => reason('ike.failed_after_auth', { protocol: 'AuthIP', detail, state: 'failed-after-authentication' }, [7]);
    expect(fixOf(failed('Kerberos failed in clear: the responder returned a KRB-ERROR KRB_AP_ERR_MODIFIED in frame 7, and no encrypted Main Mode message followed from both sides.'), { linkLocal: true })!.text)
      .toMatch(/^Kerberos authentication failed in Main Mode: check that both computers get Kerberos tickets/);
    expect(fixOf(failed('Main Mode #1–#4 went through in clear, then nothing.'), { linkLocal: true })!.text).toMatch(/^Main Mode authenticated, then Quick Mode failed/);
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

describe('a peer reached by the global address its name resolved to (protocols.md §7 row 6)', () => {
  it('is a note, with the DNS answer\'s frame and the fix, on what was not encrypted only', () => {
    const r = verify(`${CAPTURES}/sample-directaccess.pcapng`);
    const clear = [...r.sessions, ...r.pairs].filter((x) => x.verdict === 'clear');
    expect(clear).toHaveLength(2);
    for (const x of clear) {
      const note = x.notes.find((n) => n.code === 'dns.peer_global')!;
      expect(note.text).toBe('the peer\'s name client3.corp.contoso.example resolved to its global IP-HTTPS address (DNS answer in frame 99): the connection went through the DirectAccess server, the IP-HTTPS router, instead of over fe80:: on the IP-HTTPS link');
      expect(note.fix!.text).toContain("the peer's fe80:: address on the IP-HTTPS interface");
    }
    expect(r.pairs.find((x) => x.verdict === 'encrypted')!.notes.map((n) => n.code)).not.toContain('dns.peer_global');
    // Frame 99 carries the answer inside IP-HTTPS: tshark reads it from what extract takes out.
    if (HAVE_TSHARK) {
      const inner = join(dir, 'sample-inner.pcapng');
      const answer = sh(`da-audit extract ${CAPTURES}/sample-directaccess.pcapng -o ${inner} && tshark -r ${inner} -Y 'frame.comment matches "^outer frame 99;"' -T fields -e dns.resp.name -e dns.aaaa`).trim();
      expect(answer).toBe(`client3.corp.contoso.example\t${clear[0]!.b.address}`);
    }
  });
});

describe('a Packet Too Big on the path (protocols.md §7 row 19)', () => {
  const A = 'fe80::8d4:1c2b:3a4d:5e6f';
  const B = 'fe80::a1b2:c3d4:e5f6:789';
  const ROUTER = 'fe80::1';

  /** A clear Remote Assistance connection on client A's tunnel interface; the router refuses its large packet with MTU 1280. */
  function capture(): { path: string; ptb: number } {
    const s = new Scenario({ t0: 1_764_140_400, local: [A], seed: 91 });
    const link = s.rawLink(s.interface('raw', 1));
    const ra = s.tcp({ client: A, server: B, sport: 49600, dport: 3389, via: link }).open();
    ra.send(true, new Prng(91).bytes(1400));
    const big = s.lastSent!;
    // RFC 4443 §3.2: type 2, code 0, the MTU, then as much of the invoking packet as fits in 1280 bytes.
    s.icmpv6({ from: ROUTER, to: A, type: 2, body: concat(u32(1280), big.subarray(0, 1232)), via: link });
    const ptb = s.frames.length;
    ra.send(false, new Prng(92).bytes(200));
    const path = join(dir, 'packet-too-big.pcapng');
    writeFileSync(path, s.bytes());
    return { path, ptb };
  }

  it('is a note on the session and the pair, with its MTU, frame and fix; never a session of its own', () => {
    const { path, ptb } = capture();
    const r = verify(path);
    expect([...r.sessions, ...r.pairs].map((x) => x.verdict)).toEqual(['clear', 'clear']);
    for (const x of [...r.sessions, ...r.pairs]) {
      const note = x.notes.find((n) => n.code === 'icmpv6.packet_too_big')!;
      expect(note.frames).toEqual([ptb]);
      expect(note.facts).toEqual({ frame: ptb, mtu: 1280, count: 1, version: 6 });
      expect(note.fix!.text).toContain('Packet Too Big (ICMPv6-In)');
    }
    const text = cli(['verify', '--width', '0', path]).stdout;
    expect(text).toContain(`  note   icmpv6.packet_too_big: 1 ICMPv6 Packet Too Big error(s) from the path, the first in frame ${ptb} with MTU 1280`);
    expect(text).toMatch(/^ {2}fix {4}Let path MTU discovery work/m);
  });
});
