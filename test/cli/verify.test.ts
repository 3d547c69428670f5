/**
 * `da-audit verify` on the verdict fixtures (issue "Encryption verdicts" item 7, issue "Inside IP-HTTPS" item 7): every
 * verdict, service, state, path, reason and evidence frame, computed from what each scenario wrote (its ledger and
 * its bytes), never copied from our own output; exit codes; the table and Markdown; the evidence in tshark.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CUT_SAMPLES, MAX_SAMPLES } from '../../src/flow/sa.js';
import type { RecordJson, VerifyReport } from '../../src/report/verify.js';
import { cli } from '../helpers/cli.js';
import { DA } from '../helpers/fixtures/da-fixtures.js';
import { SAMPLE, sampleScenario } from '../helpers/fixtures/sample.js';
import {
  ipHttpsAesScenario, ipHttpsInside, ipHttpsModeNoneScenario, ipHttpsOutside, ipHttpsProxyScenario, ipHttpsStory, ipHttpsStreamEdgesScenario, VERIFY,
  verifyAhScenario, verifyChanceTrailerScenario, verifyClearScenario, verifyEncryptedScenario, verifyEspNullScenario, verifyFailedScenario,
  verifyMidstreamScenario, verifyOneWayScenario, verifyRekeyScenario, verifySnaplenScenario, verifyTwoInterfacesScenario,
} from '../helpers/fixtures/verify-fixtures.js';
import { HAVE_TSHARK, run } from '../helpers/inputs.js';
import { editPcapng, readPackets, type Capture } from '../helpers/pcapng-edit.js';
import { Scenario, type FrameRecord, type InnerRecord } from '../helpers/scenario.js';
import { testTempDir } from '../helpers/temp.js';
import { TSHARK_ARGS } from '../helpers/tshark.js';

const C1 = DA.client1;
const C2 = DA.client2;
const C3 = VERIFY.client3;
const C4 = VERIFY.client4;
const CAPTURES = 'fixtures/captures';

interface Run {
  code: number | null;
  r: VerifyReport;
  stderr: string;
}

/** `verify --format json` on one file. */
function verify(path: string, ...args: string[]): Run {
  const out = cli(['verify', '--format', 'json', ...args, path]);
  const doc = JSON.parse(out.stdout) as { schemaVersion: number; files: VerifyReport[] };
  expect(doc.schemaVersion).toBe(2);
  expect(doc.files).toHaveLength(1);
  return { code: out.code, r: doc.files[0]!, stderr: out.stderr };
}

const spi = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const numbers = (frames: FrameRecord[]): number[] => frames.map((f) => f.number);
const first = (frames: number[]): number => frames[0]!;
const last = (frames: number[]): number => frames[frames.length - 1]!;
/** Raw IPv6 frames that carry TCP payload (a bare TCP segment is 60 bytes). */
const data = (frames: FrameRecord[]): FrameRecord[] => frames.filter((f) => f.length > 60);
/** The outer frame an inner packet is numbered by in the report: the one that delivered its last byte. */
const outer = (p: InnerRecord): number => p.frames[p.frames.length - 1]!;

/** TCP ports at `at` in frame `n` of the capture (raw IPv6: 40; inside ESP-NULL: 48). */
function ports(c: Capture, n: number, at = 40): { sport: number; dport: number } {
  const d = readPackets(c.bytes())[n - 1]!.data;
  return { sport: (d[at]! << 8) | d[at + 1]!, dport: (d[at + 2]! << 8) | d[at + 3]! };
}

function totals(o: Partial<VerifyReport['totals']>): VerifyReport['totals'] {
  return { encrypted: 0, 'integrity-only': 0, clear: 0, failed: 0, inconclusive: 0, ...o };
}

function endpoint(address: string, port: number | null = null): object {
  return { address, port, names: [], class: 'link-local', role: 'da-client' };
}

/** The sentences of coded statements (what a person reads). */
const texts = (rs: readonly { text: string }[]): string[] => rs.map((x) => x.text);

/** The pair between client 1 and `peer`. */
function pairWith(r: VerifyReport, peer: string): RecordJson {
  const p = r.pairs.filter((x) => x.a.address === peer || x.b.address === peer);
  expect(p).toHaveLength(1);
  return p[0]!;
}

/** What tshark says about one frame: `fields` in order (`args`: e.g. a decode-as for RDP on a dynamic port). */
function tshark(path: string, frame: number, fields: string[], args: string[] = []): string[] {
  const out = run('tshark', [...TSHARK_ARGS, ...args, '-r', path, '-Y', `frame.number == ${frame}`, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f',
    ...fields.flatMap((f) => ['-e', f])]).stdout.trim();
  return out.split('\t');
}

/** AuthIP Main Mode as the scenario wrote it: #1–#7; verify names a negotiation by its first frame, #5, #6 and its last frame. */
function authipFrames(frames: number[], lastFrame = last(frames)): string {
  return `frames ${frames[0]}, ${frames[4]}, ${frames[5]}, ${lastFrame}`;
}

if (!HAVE_TSHARK) console.warn('tshark not found: the checks of evidence frames in tshark are skipped (CI installs tshark, so they run there)');

describe('verify: encrypted ESP keyed by AuthIP (verify-encrypted.pcapng)', () => {
  const s = verifyEncryptedScenario();
  const path = `${CAPTURES}/verify-encrypted.pcapng`;
  const { code, r } = verify(path);
  const v = VERIFY.encrypted;
  const authip = numbers(s.framesWith('authip'));
  const fwd = numbers(s.framesWith('ra').filter((f) => f.outbound));
  const rev = numbers(s.framesWith('ra').filter((f) => !f.outbound));

  it('judges the pair encrypted, claims no session, exits 0', () => {
    expect(code).toBe(0);
    expect(r.totals).toEqual(totals({ encrypted: 1 }));
    expect(r.sessions).toEqual([]);
    expect(r.isolation).toEqual([]);
    expect(r.result).toBe('encrypted');
    expect(r.coverage.filter((c) => c.blocking)).toEqual([]);
    expect(r.pairs).toHaveLength(1);
    const p = r.pairs[0]!;
    expect(p).toMatchObject({
      kind: 'pair', verdict: 'encrypted', a: endpoint(C1.ll), b: endpoint(C2.ll), protocol: null, state: null,
      service: { name: 'unknown', frames: [] },
      path: `ipv6 fe80:: → esp (SPI ${spi(v.spi)} A→B: ciphertext; SPI ${spi(v.reverseSpi)} B→A: ciphertext)`,
    });
    expect(p.service.basis).toContain('ESP hides the ports and payload');
  });

  it('gives each SA, its packets and frames, as the reason; the AuthIP before the first ESP packet as a note', () => {
    const p = r.pairs[0]!;
    expect(p.reasons).toHaveLength(2);
    expect(p.reasons[0]!.text).toContain(`SPI ${spi(v.spi)} (${fwd.length} packet(s), frames ${first(fwd)}–${last(fwd)}): ciphertext: none of ${fwd.length} complete packet(s)`);
    // The reverse SA has one packet whose last bytes read as an ESP-NULL trailer for some next header, by chance.
    expect(p.reasons[1]!.text).toContain(`SPI ${spi(v.reverseSpi)} (${rev.length} packet(s), frames ${first(rev)}–${last(rev)}): ciphertext: ${rev.length - 1} of ${rev.length} complete packet(s)`);
    expect(p.reasons.map((x) => x.code)).toEqual(['esp.ciphertext', 'esp.ciphertext']);
    expect(texts(p.notes)).toContain(`keyed by AuthIP (complete, Kerberos; ${authipFrames(authip)}) before the first ESP packet (frame ${first(fwd)})`);
    expect(p.negotiations).toEqual([{
      protocol: 'AuthIP', initiator: C1.ll, outcome: 'complete', reason: expect.objectContaining({ code: 'ike.complete', text: expect.stringContaining(`frame ${authip[4]}`) }), authMethods: ['Kerberos'],
      frames: [authip[0], authip[4], authip[5], authip[6]],
    }]);
  });

  it('names the deciding frames: the first ESP packets of each SA', () => {
    const p = r.pairs[0]!;
    expect(p.frames).toEqual({ first: first(authip), last: last(numbers(s.framesWith('ra'))), deciding: [...fwd.slice(0, 3), ...rev.slice(0, 3)] });
    expect(p.evidence).toEqual([
      { frame: first(authip), what: 'first packet between the clients' },
      ...[...fwd.slice(0, 3), ...rev.slice(0, 3)].map((frame) => ({ frame, what: 'decides the verdict' })),
      { frame: last(numbers(s.framesWith('ra'))), what: 'last packet between the clients' },
    ]);
    expect(r.esp.map((e) => [e.spi, e.verdict, e.icvLength, e.completeSamples, e.cutSamples, e.decidingFrames])).toEqual([
      [spi(v.spi), 'encrypted', null, fwd.length, 0, fwd.slice(0, 8)],
      [spi(v.reverseSpi), 'encrypted', null, rev.length, 0, rev.slice(0, 8)],
    ]);
  });

  it.skipIf(!HAVE_TSHARK)('deciding frames are, in tshark, ESP packets with the SPI the reason names', () => {
    for (const n of fwd.slice(0, 3)) expect(tshark(path, n, ['frame.protocols', 'esp.spi'])).toEqual(['raw:ipv6:esp', spi(v.spi)]);
    for (const n of rev.slice(0, 3)) expect(tshark(path, n, ['frame.protocols', 'esp.spi'])).toEqual(['raw:ipv6:esp', spi(v.reverseSpi)]);
    // The negotiation's frames are AuthIP (ISAKMP version 1.0, exchange 0xF3) from the initiator, and #5 is encrypted.
    expect(tshark(path, authip[0]!, ['ipv6.src', 'isakmp.exchangetype', 'isakmp.flags'])).toEqual([C1.ll, '243', '0x00']);
    expect(tshark(path, authip[4]!, ['ipv6.src', 'isakmp.exchangetype', 'isakmp.flags'])).toEqual([C1.ll, '243', '0x01']);
  });
});

describe('verify: Remote Assistance in clear (verify-clear.pcapng)', () => {
  const s = verifyClearScenario();
  const path = `${CAPTURES}/verify-clear.pcapng`;
  const { code, r } = verify(path);
  const ra = numbers(s.framesWith('ra'));
  // SYN, SYN-ACK, ACK, then the expert's Connection Request and the novice's Confirm.
  const [syn, synAck, , request, confirm] = ra as [number, number, number, number, number];
  const { sport } = ports(s, syn);

  it('judges the session and the pair clear, exits 1', () => {
    expect(code).toBe(1);
    expect(r.totals).toEqual(totals({ clear: 2 }));
    expect(r.sessions).toHaveLength(1);
    expect(r.sessions[0]).toMatchObject({
      verdict: 'clear', a: endpoint(C1.ll, sport), b: endpoint(C2.ll, VERIFY.clear.port), protocol: 'tcp', state: 'established',
      path: 'ipv6 fe80:: → tcp → no IPsec', reasons: [{ text: `${ra.length} packet(s) of this TCP session travel without IPsec (frames ${first(ra)}–${last(ra)})` }],
      frames: { first: first(ra), last: last(ra), deciding: [syn, synAck, request, confirm] },
    });
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]).toMatchObject({
      verdict: 'clear', a: endpoint(C1.ll), b: endpoint(C2.ll), path: 'ipv6 fe80:: → no IPsec', service: { name: 'remote-assistance' },
      reasons: [{ text: `TCP ${sport} → ${VERIFY.clear.port} travels without IPsec (${ra.length} packet(s), frames ${first(ra)}–${last(ra)})` }],
      frames: { first: first(ra), last: last(ra), deciding: [request] },
    });
  });

  it('identifies Remote Assistance by the X.224 Connection Request to a dynamic port, and reports RDP security beside the verdict', () => {
    const svc = r.sessions[0]!.service;
    expect(svc).toEqual({
      name: 'remote-assistance', frames: [request, confirm],
      basis: `RDP connection on dynamic port ${VERIFY.clear.port}, where msra.exe listens: the first client bytes are an RDP X.224 Connection Request (frame ${request}), with Cookie: mstshash=expert, requesting TLS, confirmed with Standard RDP Security (frame ${confirm})`,
    });
    expect(texts(r.sessions[0]!.notes)).toEqual([
      `the TCP handshake completed (SYN frame ${syn}, SYN-ACK frame ${synAck})`,
      `RDP itself negotiated Standard RDP Security (RC4 inside RDP, frame ${confirm}): that is not IPsec, and does not change the verdict`,
    ]);
    expect(r.sessions[0]!.evidence).toEqual([
      { frame: first(ra), what: 'first packet of the session' }, { frame: request, what: 'identifies the service' },
      { frame: confirm, what: 'identifies the service' }, { frame: last(ra), what: 'last packet of the session' },
    ]);
  });

  it('lists the session as an isolation finding', () => {
    expect(r.isolation).toEqual([{
      a: endpoint(C1.ll, sport), b: endpoint(C2.ll, VERIFY.clear.port), protocol: 'tcp', flow: expect.any(Number), copyFlows: [],
      what: `tcp ${sport} → ${VERIFY.clear.port} in clear: ${ra.length} unprotected packet(s), frames ${first(ra)}–${last(ra)}`,
      frames: [first(ra), request, confirm, last(ra)],
    }]);
  });

  it.skipIf(!HAVE_TSHARK)('the deciding frame is, in tshark, the clear X.224 Connection Request with the cookie', () => {
    expect(tshark(path, request, ['frame.protocols', 'tcp.srcport', 'tcp.dstport', 'rdp.rt_cookie'], ['-d', `tcp.port==${VERIFY.clear.port},tpkt`]))
      .toEqual(['raw:ipv6:tcp:cotp:rdp', String(sport), String(VERIFY.clear.port), 'Cookie: mstshash=expert']);
  });
});

describe('verify: ESP-NULL with 12- and 16-byte ICVs (verify-esp-null.pcapng)', () => {
  const s = verifyEspNullScenario();
  const path = `${CAPTURES}/verify-esp-null.pcapng`;
  const { code, r } = verify(path);
  const cases = [
    { label: 'pair-12', peer: C2, sa: VERIFY.null12, icv: 12 },
    { label: 'pair-16', peer: C3, sa: VERIFY.null16, icv: 16 },
  ].map((c) => {
    const ra = numbers(s.framesWith(c.label, 'ra'));
    const fwd = numbers(s.framesWith(c.label, 'ra').filter((f) => f.outbound));
    const rev = numbers(s.framesWith(c.label, 'ra').filter((f) => !f.outbound));
    // Inside ESP (40 + 8 bytes): the expert's port; the Connection Request is the expert's third packet (SYN, ACK, request).
    return { ...c, ra, fwd, rev, sport: ports(s, first(ra), 48).sport, request: fwd[2]!, authip: numbers(s.framesWith(c.label, 'authip')) };
  });

  it('judges both sessions and both pairs integrity-only, exits 1', () => {
    expect(code).toBe(1);
    expect(r.totals).toEqual(totals({ 'integrity-only': 4 }));
    expect(r.sessions.map((x) => [x.verdict, x.a.address, x.a.port, x.b.address, x.b.port, x.protocol, x.state])).toEqual(cases.map((c) =>
      ['integrity-only', C1.ll, c.sport, c.peer.ll, c.sa.port, 'tcp', null]));
    expect(r.pairs.map((x) => [x.verdict, x.a.address, x.b.address])).toEqual(cases.map((c) => ['integrity-only', C1.ll, c.peer.ll]));
    expect(r.isolation).toEqual([]);
  });

  it('reads Remote Assistance from the plaintext inside ESP: one session per connection, both SAs on its path', () => {
    for (const [i, c] of cases.entries()) {
      const x = r.sessions[i]!;
      expect(x.service).toEqual({
        name: 'remote-assistance', frames: [c.request],
        basis: `the plaintext inside the ESP-NULL packet of frame ${c.request} is an RDP X.224 Connection Request (Cookie: mstshash=expert)`,
      });
      expect(x.path).toBe(`ipv6 fe80:: → esp (SPI ${spi(c.sa.spi)}, NULL encryption, ${c.icv}-byte ICV; SPI ${spi(c.sa.reverseSpi)}, NULL encryption, ${c.icv}-byte ICV) → tcp`);
      expect(x.reasons).toHaveLength(2);
      expect(x.reasons[0]!.code).toBe('esp.null');
      expect(x.reasons[0]!.text).toMatch(new RegExp(`^SPI ${spi(c.sa.spi)} \\(\\d+ packet\\(s\\), frames \\d+–\\d+\\): ESP with NULL encryption .*a ${c.icv}-byte ICV, .*next header 6 \\(TCP\\), and the TCP checksum inside verifies`));
      expect(x.frames).toEqual({
        first: first(c.ra), last: Math.max(...c.fwd.slice(0, MAX_SAMPLES), ...c.rev.slice(0, MAX_SAMPLES)),
        deciding: [...c.fwd.slice(0, MAX_SAMPLES), ...c.rev.slice(0, MAX_SAMPLES)],
      });
      expect(r.pairs[i]!.service.name).toBe('remote-assistance');
      expect(r.pairs[i]!.path).toBe(`ipv6 fe80:: → esp (SPI ${spi(c.sa.spi)} A→B: NULL encryption; SPI ${spi(c.sa.reverseSpi)} B→A: NULL encryption)`);
      expect(r.pairs[i]!.frames.deciding).toEqual([...c.fwd.slice(0, 3), ...c.rev.slice(0, 3)]);
      expect(texts(r.pairs[i]!.notes)).toContain(`keyed by AuthIP (complete, Kerberos; ${authipFrames(c.authip)}) before the first ESP packet (frame ${first(c.fwd)})`);
    }
  });

  it('judges every SA NULL with its ICV length', () => {
    expect(r.esp.map((e) => [e.spi, e.verdict, e.confidence, e.icvLength])).toEqual(cases.flatMap((c) => [
      [spi(c.sa.spi), 'null', 'high', c.icv], [spi(c.sa.reverseSpi), 'null', 'high', c.icv],
    ]));
  });

  it.skipIf(!HAVE_TSHARK)('the Connection Request frame is, in tshark, ESP with the SPI named (tshark does not look inside ESP-NULL by default)', () => {
    for (const c of cases) expect(tshark(path, c.request, ['frame.protocols', 'esp.spi'])).toEqual(['raw:ipv6:esp', spi(c.sa.spi)]);
    const c = cases[0]!;
    // With its ESP-NULL heuristic, tshark finds the X.224 Connection Request inside.
    expect(tshark(path, c.request, ['frame.protocols', 'tcp.dstport', 'rdp.rt_cookie'], ['-o', 'esp.enable_null_encryption_decode_heuristic:TRUE', '-d', `tcp.port==${c.sa.port},tpkt`]))
      .toEqual(['raw:ipv6:esp:tcp:cotp:rdp', String(c.sa.port), 'Cookie: mstshash=expert']);
  });
});

describe('verify: Remote Assistance under AH (verify-ah.pcapng)', () => {
  const s = verifyAhScenario();
  const path = `${CAPTURES}/verify-ah.pcapng`;
  const { code, r } = verify(path);
  const v = VERIFY.ah;
  const ra = numbers(s.framesWith('ra'));
  const [syn, synAck, , request, confirm] = ra as [number, number, number, number, number];
  // IPv6 (40) and AH with a 12-byte ICV padded to 8 bytes on IPv6 (24): the TCP header.
  const { sport } = ports(s, syn, 64);

  it('judges the session and the pair integrity-only, exits 1', () => {
    expect(code).toBe(1);
    expect(r.totals).toEqual(totals({ 'integrity-only': 2 }));
    expect(r.sessions).toHaveLength(1);
    expect(r.sessions[0]).toMatchObject({
      verdict: 'integrity-only', a: endpoint(C1.ll, sport), b: endpoint(C2.ll, v.port), state: 'established',
      service: { name: 'remote-assistance', frames: [request, confirm] },
      path: `ipv6 fe80:: → ah (SPI ${spi(v.spi)}, ${spi(v.reverseSpi)}; integrity only) → tcp`,
      frames: { first: first(ra), last: last(ra), deciding: [syn, synAck, request, confirm] },
    });
    expect(texts(r.sessions[0]!.reasons)).toEqual([`every packet of the session is protected by AH (SPI ${spi(v.spi)}, ${spi(v.reverseSpi)}, frames ${first(ra)}–${last(ra)}): AH authenticates but does not encrypt, so the TCP payload is readable by anyone on the path (RFC 4302)`]);
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]).toMatchObject({
      verdict: 'integrity-only', path: 'ipv6 fe80:: → ah (integrity only)', service: { name: 'remote-assistance' },
      reasons: [{ text: `AH protects ${ra.length} TCP packet(s) (frames ${first(ra)}–${last(ra)}): integrity only, the payload is readable` }],
    });
    expect(r.isolation).toEqual([]);
    expect(r.esp).toEqual([]);
  });

  it.skipIf(!HAVE_TSHARK)('the deciding frames are, in tshark, AH with the SPIs named, the Connection Request readable after it', () => {
    expect(tshark(path, syn, ['frame.protocols', 'ah.spi'])).toEqual(['raw:ipv6:ah:tcp', spi(v.spi)]);
    expect(tshark(path, synAck, ['frame.protocols', 'ah.spi'])).toEqual(['raw:ipv6:ah:tcp', spi(v.reverseSpi)]);
    expect(tshark(path, request, ['ah.spi', 'tcp.dstport', 'rdp.rt_cookie'], ['-d', `tcp.port==${v.port},tpkt`])).toEqual([spi(v.spi), String(v.port), 'Cookie: mstshash=expert']);
  });
});

describe('verify: ESP one way, clear answers (verify-one-way.pcapng)', () => {
  const s = verifyOneWayScenario();
  const { code, r } = verify(`${CAPTURES}/verify-one-way.pcapng`);
  const v = VERIFY.oneWay;
  const esp = numbers(s.framesWith('ra').filter((f) => f.outbound));
  const answers = numbers(s.framesWith('ra').filter((f) => !f.outbound));
  // The novice's answers: SYN-ACK, then its Connection Confirm.
  const confirm = answers[1]!;

  it('judges the clear answers and the pair clear although the other direction is ESP, exits 1', () => {
    expect(code).toBe(1);
    expect(r.totals).toEqual(totals({ clear: 2 }));
    expect(r.sessions).toHaveLength(1);
    expect(r.sessions[0]).toMatchObject({
      verdict: 'clear', a: { address: C1.ll }, b: endpoint(C2.ll, v.port), state: 'established', path: 'ipv6 fe80:: → tcp → no IPsec',
      reasons: [{ text: `${answers.length} packet(s) of this TCP session travel without IPsec (frames ${first(answers)}–${last(answers)})` }],
    });
    const p = r.pairs[0]!;
    expect(r.pairs).toHaveLength(1);
    expect(p).toMatchObject({ verdict: 'clear', path: `ipv6 fe80:: → esp (SPI ${spi(v.spi)} A→B: ciphertext)` });
    expect(texts(p.reasons)).toEqual([expect.stringContaining(`travels without IPsec (${answers.length} packet(s), frames ${first(answers)}–${last(answers)})`)]);
    expect(texts(p.notes)).toContain(`other traffic between them is ESP ciphertext (${spi(v.spi)}): the clear traffic is what decides`);
    expect(r.esp.map((e) => [e.spi, e.verdict, e.completeSamples])).toEqual([[spi(v.spi), 'encrypted', esp.length]]);
    expect(r.isolation.map((i) => i.frames[0])).toEqual([first(answers)]);
  });

  it('names Remote Assistance from the novice\'s clear Connection Confirm', () => {
    expect(r.sessions[0]!.service).toMatchObject({ name: 'remote-assistance', frames: [confirm] });
    expect(r.sessions[0]!.service.basis).toContain(`X.224 Connection Confirm (frame ${confirm}, selecting TLS)`);
    expect(r.pairs[0]!.service.name).toBe('remote-assistance');
  });
});

describe('verify: rekeyed SAs (verify-rekey.pcapng)', () => {
  const s = verifyRekeyScenario();
  const path = `${CAPTURES}/verify-rekey.pcapng`;
  const { code, r } = verify(path);
  const v = VERIFY.rekey;
  const espFrames = s.framesWith('ra').filter((f) => !f.labels.includes('quick-mode'));
  const qm = numbers(s.framesWith('quick-mode'));
  const authip = numbers(s.framesWith('authip'));
  // The first `after` packets of the connection under the first SA pair, the rest under the second.
  const sas = [
    { spi: v.first.spi, frames: numbers(espFrames.slice(0, v.after).filter((f) => f.outbound)) },
    { spi: v.first.reverseSpi, frames: numbers(espFrames.slice(0, v.after).filter((f) => !f.outbound)) },
    { spi: v.second.spi, frames: numbers(espFrames.slice(v.after).filter((f) => f.outbound)) },
    { spi: v.second.reverseSpi, frames: numbers(espFrames.slice(v.after).filter((f) => !f.outbound)) },
  ].sort((a, b) => first(a.frames) - first(b.frames));

  it('judges all four SAs ciphertext and the pair encrypted, exits 0', () => {
    expect(code).toBe(0);
    expect(r.totals).toEqual(totals({ encrypted: 1 }));
    expect(r.esp.map((e) => [e.spi, e.verdict, e.completeSamples])).toEqual(sas.map((x) => [spi(x.spi), 'encrypted', x.frames.length]));
    const p = r.pairs[0]!;
    expect(p.verdict).toBe('encrypted');
    expect(texts(p.reasons).map((x) => x.slice(0, x.indexOf(': ciphertext')))).toEqual(sas.map((x) => `SPI ${spi(x.spi)} (${x.frames.length} packet(s), frames ${first(x.frames)}–${last(x.frames)})`));
    for (const x of sas) expect(p.path).toContain(`SPI ${spi(x.spi)} ${x.spi === v.first.spi || x.spi === v.second.spi ? 'A→B' : 'B→A'}: ciphertext`);
  });

  it('keeps the Quick Mode between the SA pairs in the AuthIP negotiation', () => {
    expect(qm).toHaveLength(3);
    expect(Math.max(...sas.slice(0, 2).flatMap((x) => x.frames))).toBeLessThan(qm[0]!);
    expect(Math.min(...sas.slice(2).flatMap((x) => x.frames))).toBeGreaterThan(last(qm));
    expect(r.pairs[0]!.negotiations).toEqual([expect.objectContaining({ protocol: 'AuthIP', outcome: 'complete', frames: [authip[0], authip[4], authip[5], last(qm)] })]);
    expect(texts(r.pairs[0]!.notes)).toContain(`keyed by AuthIP (complete, Kerberos; ${authipFrames(authip, last(qm))}) before the first ESP packet (frame ${first(numbers(espFrames))})`);
  });

  it.skipIf(!HAVE_TSHARK)('the Quick Mode frames are, in tshark, encrypted ISAKMP exchange 0xF4 under the Main Mode cookies', () => {
    const mm = tshark(path, authip[1]!, ['isakmp.ispi', 'isakmp.rspi']);
    for (const n of qm) expect(tshark(path, n, ['frame.protocols', 'isakmp.exchangetype', 'isakmp.flags', 'isakmp.ispi', 'isakmp.rspi'])).toEqual(['raw:ipv6:udp:isakmp', '244', '0x01', ...mm]);
    expect(tshark(path, first(sas[2]!.frames), ['esp.spi'])).toEqual([spi(sas[2]!.spi)]);
  });
});

describe('verify: every packet on two interfaces (verify-two-interfaces.pcapng)', () => {
  const s = verifyTwoInterfacesScenario();
  const { code, r } = verify(`${CAPTURES}/verify-two-interfaces.pcapng`);
  const v = VERIFY.twoInterfaces;
  const clear = numbers(s.framesWith('ra-clear'));
  const once = s.framesWith('ra-clear', 'first');

  it('counts each session and each pair once', () => {
    expect(code).toBe(1);
    expect(s.framesWith('ra-clear', 'second')).toHaveLength(once.length);
    expect(r.totals).toEqual(totals({ encrypted: 1, clear: 2 }));
    expect(r.sessions.map((x) => [x.verdict, x.b.address, x.b.port, x.service.name, x.frames.first, x.frames.last])).toEqual([
      ['clear', C3.ll, v.clearPort, 'remote-assistance', first(clear), last(clear)],
    ]);
    expect(r.pairs.map((x) => [x.verdict, x.b.address])).toEqual([['encrypted', C2.ll], ['clear', C3.ll]]);
    expect(r.isolation).toHaveLength(1);
    // One SA seen on two interfaces is one SA.
    expect(r.esp.map((e) => e.spi)).toEqual([spi(v.esp.spi), spi(v.esp.reverseSpi)]);
  });

  // Both copies of a packet fall into one flow; the copy on the second interface must not be counted again.
  it('counts each packet once in the reasons, although it was written on two interfaces', () => {
    expect(r.sessions[0]!.reasons[0]!.text).toBe(`${once.length} packet(s) of this TCP session travel without IPsec (frames ${first(clear)}–${last(clear)})`);
  });
});

describe('verify: a capture that starts mid-session (verify-midstream.pcapng)', () => {
  const s = verifyMidstreamScenario();
  const path = `${CAPTURES}/verify-midstream.pcapng`;
  const { code, r } = verify(path);
  const v = VERIFY.midstream;
  const esp = numbers(s.framesWith('esp'));
  const clear = s.framesWith('clear');

  it('keeps only the frames after the cut', () => {
    expect(s.frames.every((f) => f.labels.includes('captured'))).toBe(true);
    expect(s.framesWith('authip')).toEqual([]);
  });

  it('judges the ESP pair encrypted and says the SA was set up before the capture', () => {
    expect(code).toBe(1);
    expect(r.totals).toEqual(totals({ encrypted: 1, clear: 2 }));
    const p = pairWith(r, C2.ll);
    expect(p).toMatchObject({ verdict: 'encrypted', negotiations: [], frames: { first: first(esp), last: last(esp) } });
    expect(texts(p.notes)).toContain(`no IKE/AuthIP between these clients precedes the first ESP packet (frame ${first(esp)}): the SA was established before the capture started`);
  });

  it('judges the clear session, whose handshake is not in the capture, clear (established before the capture)', () => {
    const out = numbers(data(clear.filter((f) => f.outbound)));
    const back = numbers(data(clear.filter((f) => !f.outbound)));
    expect(r.sessions).toHaveLength(1);
    expect(r.sessions[0]).toMatchObject({
      verdict: 'clear', state: 'established-before-capture', a: endpoint(C1.ll, v.clearSport), b: endpoint(C3.ll, v.clearPort),
      service: { name: 'unknown' }, frames: { first: clear[0]!.number, last: last(numbers(clear)), deciding: [first(out), first(back)] },
    });
    expect(pairWith(r, C3.ll).verdict).toBe('clear');
  });

  it('--ra-port names the clear session Remote Assistance by its port', () => {
    const named = verify(path, '--ra-port', String(v.clearPort)).r;
    expect(named.sessions[0]!.service).toEqual({ name: 'remote-assistance', basis: `TCP port ${v.clearPort} (--ra-port); no RDP bytes were seen to confirm it`, frames: [clear[0]!.number] });
    expect(pairWith(named, C3.ll).service.name).toBe('remote-assistance');
    // Another port changes nothing.
    expect(verify(path, '--ra-port', String(v.clearPort + 100)).r.sessions[0]!.service.name).toBe('unknown');
  });
});

describe('verify: snaplen 96 (verify-snaplen-96.pcapng)', () => {
  const s = verifySnaplenScenario();
  const path = `${CAPTURES}/verify-snaplen-96.pcapng`;
  const { code, r } = verify(path);
  const v = VERIFY.snaplen;
  const fwd = numbers(s.framesWith('ra').filter((f) => f.outbound));
  const rev = numbers(s.framesWith('ra').filter((f) => !f.outbound));

  it('judges from the start of the payload: random visible bytes rule ESP-NULL out, so encrypted with lower confidence, naming the snaplen', () => {
    expect(s.framesWith('ra').every((f) => f.length > v.bytes)).toBe(true);
    expect(code).toBe(0);
    expect(r.totals).toEqual(totals({ encrypted: 1 }));
    const p = r.pairs[0]!;
    expect(p).toMatchObject({ verdict: 'encrypted', path: `ipv6 fe80:: → esp (SPI ${spi(v.spi)} A→B: ciphertext; SPI ${spi(v.reverseSpi)} B→A: ciphertext)` });
    const cut = (n: number): number => Math.min(n, MAX_CUT_SAMPLES);
    expect(texts(p.reasons)).toEqual([
      expect.stringMatching(new RegExp(`^SPI ${spi(v.spi)} \\(${fwd.length} packet\\(s\\), frames ${first(fwd)}–${last(fwd)}\\): ciphertext, judged from the start of the payload only \\(the snaplen of ${v.bytes} bytes cut the trailers of ${cut(fwd.length)} sampled packets`)),
      expect.stringMatching(new RegExp(`^SPI ${spi(v.reverseSpi)} \\(${rev.length} packet\\(s\\), frames ${first(rev)}–${last(rev)}\\): ciphertext, judged from the start of the payload only \\(the snaplen of ${v.bytes} bytes`)),
    ]);
    expect(p.frames.deciding).toEqual([...fwd.slice(0, 3), ...rev.slice(0, 3)]);
    expect(r.esp.map((e) => [e.spi, e.verdict, e.confidence, e.completeSamples, e.cutSamples])).toEqual([
      [spi(v.spi), 'encrypted', 'medium', 0, cut(fwd.length)], [spi(v.reverseSpi), 'encrypted', 'medium', 0, cut(rev.length)],
    ]);
    expect(r.coverage.map((c) => [c.code, c.blocking])).toEqual([['coverage.snaplen', false]]);
    // Packets past the samples of an SA (8 when cut) are counted in the bounds, not stated as out of sight: every SA is judged.
    const samples = fwd.length - cut(fwd.length) + rev.length - cut(rev.length);
    expect(samples).toBeGreaterThan(0);
    expect(r.bounds.find((b) => b.id === 'esp.samples')).toMatchObject({ limit: MAX_SAMPLES, dropped: samples, clientCapable: 0 });
  });

  it('--strict passes the 96-byte capture; with too few payload bytes visible the pair is inconclusive: incomplete (exit 5), --strict exit 1', () => {
    expect(verify(path, '--strict').code).toBe(0);
    // Cut the same capture to 60 bytes: IPv6 (40) + SPI and sequence (8) + 12 payload bytes, fewer than the 16 needed.
    const cutPath = join(testTempDir('da-audit-verify-'), 'snaplen-60.pcapng');
    writeFileSync(cutPath, editPcapng(s.bytes(), { snaplen: 60 }));
    const cutRun = verify(cutPath);
    expect(cutRun.r.pairs.map((x) => x.verdict)).toEqual(['inconclusive']);
    expect(cutRun.r.result).toBe('incomplete');
    expect(cutRun.code).toBe(5);
    expect(verify(cutPath, '--strict').code).toBe(1);
  });
});

describe('verify: failures (verify-failed.pcapng)', () => {
  const s = verifyFailedScenario();
  const path = `${CAPTURES}/verify-failed.pcapng`;
  const { code, r } = verify(path);
  const v = VERIFY.failed;
  const unansweredSyn = numbers(s.framesWith('unanswered', 'syn'));
  const noResponse = numbers(s.framesWith('unanswered', 'authip'));
  const prohibitedSyn = numbers(s.framesWith('prohibited', 'syn'));
  const icmp = numbers(s.framesWith('prohibited', 'icmp'));
  const refusedSyn = numbers(s.framesWith('refused', 'syn'));
  const rst = numbers(s.framesWith('refused', 'rst'));

  it('judges every session and pair failed; exit 0, 1 with --strict', () => {
    expect(unansweredSyn).toHaveLength(1 + v.retransmissions);
    expect(code).toBe(0);
    expect(verify(path, '--strict').code).toBe(1);
    expect(r.totals).toEqual(totals({ failed: 6 }));
    expect(r.sessions.map((x) => [x.verdict, x.state, x.b.address, x.b.port, x.frames.first, x.frames.deciding])).toEqual([
      ['failed', 'unanswered', C2.ll, v.unansweredPort, first(unansweredSyn), [first(unansweredSyn)]],
      ['failed', 'unreachable', C3.ll, v.prohibitedPort, first(prohibitedSyn), [first(prohibitedSyn), first(icmp)]],
      ['failed', 'refused', C4.ll, v.refusedPort, first(refusedSyn), [first(refusedSyn), first(rst)]],
    ]);
    expect(r.pairs.map((x) => [x.verdict, x.b.address, x.service.name])).toEqual([['failed', C2.ll, 'unknown'], ['failed', C3.ll, 'unknown'], ['failed', C4.ll, 'unknown']]);
  });

  it('says why: unanswered SYNs and the silent AuthIP; the ICMPv6 code by name; the RST', () => {
    const [a, b, c] = r.pairs as [RecordJson, RecordJson, RecordJson];
    expect(a.reasons[0]!.text).toBe(`no session was established: ${unansweredSyn.length} SYN(s) from frame ${first(unansweredSyn)} on, never answered`);
    expect(a.reasons[1]!.text).toMatch(new RegExp(`^the AuthIP negotiation between them got no response \\(no-response\\): .*${noResponse.length} Main Mode message\\(s\\) \\(frames ${noResponse.join(', ')}\\) and no answer`));
    expect(a.frames.deciding).toEqual([first(unansweredSyn), ...noResponse]);
    expect(texts(b.reasons)).toEqual([`no session was established: the SYN was answered by ICMPv6 destination unreachable, code 1 (communication administratively prohibited) in frame ${first(icmp)}`]);
    expect(b.frames.deciding).toEqual([first(prohibitedSyn), first(icmp)]);
    expect(texts(c.reasons)).toEqual([`no session was established: the SYN (frame ${first(refusedSyn)}) was refused with a RST (frame ${first(rst)})`]);
    expect(c.frames.deciding).toEqual([first(refusedSyn), first(rst)]);
  });

  it('keeps the unprotected attempts (and the ICMPv6 error) as isolation findings', () => {
    expect(r.isolation.map((i) => [i.protocol, i.frames[0]])).toEqual([
      ['tcp', first(unansweredSyn)], ['tcp', first(prohibitedSyn)], ['icmpv6', first(icmp)], ['tcp', first(refusedSyn)],
    ]);
  });

  it.skipIf(!HAVE_TSHARK)('the deciding frames are, in tshark, the SYN, the ICMPv6 error quoting it, the RST', () => {
    expect(tshark(path, first(unansweredSyn), ['tcp.flags.syn', 'tcp.flags.ack', 'tcp.dstport'])).toEqual(['1', '0', String(v.unansweredPort)]);
    expect(tshark(path, last(unansweredSyn), ['tcp.flags.syn', 'tcp.dstport'])).toEqual(['1', String(v.unansweredPort)]);
    expect(tshark(path, first(icmp), ['frame.protocols', 'ipv6.src', 'icmpv6.type', 'icmpv6.code', 'tcp.dstport'])).toEqual(['raw:ipv6:icmpv6:ipv6:tcp', C3.ll, '1', '1', String(v.prohibitedPort)]);
    expect(tshark(path, first(rst), ['ipv6.src', 'tcp.flags.reset', 'tcp.srcport'])).toEqual([C4.ll, '1', String(v.refusedPort)]);
    expect(tshark(path, noResponse[0]!, ['isakmp.exchangetype', 'isakmp.rspi'])).toEqual(['243', '0000000000000000']);
  });
});

describe('verify: a trailer that looks valid by chance (verify-chance-trailer.pcapng)', () => {
  const s = verifyChanceTrailerScenario();
  const path = `${CAPTURES}/verify-chance-trailer.pcapng`;
  const { code, r } = verify(path);
  const v = VERIFY.chance;
  const fwd = numbers(s.framesWith('ra').filter((f) => f.outbound));
  const patched = fwd[v.packet - 1]!;

  it('still judges the SA ciphertext and the pair encrypted', () => {
    // The patched packet: pad length 0 and next header 6 before a 12-byte ICV, a TCP-looking header after the ESP header.
    const d = readPackets(s.bytes())[patched - 1]!.data;
    expect([d[d.length - 14], d[d.length - 13], d[40 + 8 + 12]]).toEqual([0, 6, 0x50]);
    expect(code).toBe(0);
    expect(r.totals).toEqual(totals({ encrypted: 1 }));
    expect(r.esp.map((e) => [e.spi, e.verdict])).toEqual([[spi(v.spi), 'encrypted'], [spi(v.reverseSpi), 'encrypted']]);
    expect(r.esp[0]!.reasons[0]!.text).toContain(`ciphertext: ${fwd.length - 1} of ${fwd.length} complete packet(s)`);
    expect(r.esp[0]!.reasons[0]!.text).toContain(`; the other 1 (frame ${patched}) ends in what looks like a valid ESP-NULL trailer, by chance: no checksum inside verifies and no layout repeats`);
    expect(r.esp[1]!.reasons[0]!.text).not.toContain('by chance');
  });

  it.skipIf(!HAVE_TSHARK)('the patched frame is, in tshark, an ESP packet of the expert\'s SA', () => {
    expect(tshark(path, patched, ['frame.protocols', 'ipv6.src', 'esp.spi', 'esp.sequence'])).toEqual(['raw:ipv6:esp', C1.ll, spi(v.spi), String(v.packet)]);
  });
});

// --- IP-HTTPS captured outside --------------------------------------------------------------------------------------

/** A record with what must not depend on where the capture was taken: no path, frames, evidence or negotiations. */
function carrierFree(x: RecordJson): object {
  const carrier = /^ipv4 → tcp\/\d+ tls\([^)]*\) ip-https → /;
  return {
    kind: x.kind, verdict: x.verdict, a: x.a, b: x.b, protocol: x.protocol, service: x.service.name, state: x.state, path: x.path.replace(carrier, ''),
    // Frame numbers differ between the two captures; the sentences around them must not.
    reasons: texts(x.reasons).map((t) => t.replace(/\d+/g, 'N')), notes: texts(x.notes).map((t) => t.replace(/\d+/g, 'N')),
  };
}

describe('verify: IP-HTTPS with NULL_SHA and NULL_SHA256 (captured outside), and the inside twin', () => {
  const inside = ipHttpsInside();
  const insideRun = verify(`${CAPTURES}/iphttps-inside.pcapng`);
  const v = VERIFY.ipHttps;

  it('the inside twin: the clear session and the pair are clear, the ESP SAs ciphertext', () => {
    const clear = numbers(inside.framesWith('ra-clear'));
    expect(insideRun.code).toBe(1);
    expect(insideRun.r.totals).toEqual(totals({ clear: 2 }));
    expect(insideRun.r.sessions.map((x) => [x.verdict, x.service.name, x.b.port, x.path, x.frames.first, x.frames.last])).toEqual([
      ['clear', 'remote-assistance', v.clearPort, 'ipv6 fe80:: → tcp → no IPsec', first(clear), last(clear)],
    ]);
    expect(insideRun.r.pairs.map((x) => [x.verdict, x.path])).toEqual([
      ['clear', `ipv6 fe80:: → esp (SPI ${spi(v.esp.spi)} A→B: ciphertext; SPI ${spi(v.esp.reverseSpi)} B→A: ciphertext)`],
    ]);
  });

  for (const [name, suite, suiteName] of [['iphttps-null-sha', v.nullSha, 'TLS_RSA_WITH_NULL_SHA'], ['iphttps-null-sha256', v.nullSha256, 'TLS_RSA_WITH_NULL_SHA256']] as const) {
    describe(name, () => {
      const s = ipHttpsOutside(suite);
      const { code, r } = verify(`${CAPTURES}/${name}.pcapng`);
      const carrier = `ipv4 → tcp/443 tls(${suiteName}) ip-https`;

      it('holds only the NIC, and the inner packets of the inside twin', () => {
        expect(new Set(s.frames.map((f) => f.iface))).toEqual(new Set([0]));
        expect(s.inner.map((p) => Buffer.from(p.bytes).toString('hex'))).toEqual(inside.inner.map((p) => Buffer.from(p.bytes).toString('hex')));
        expect(readPackets(inside.bytes()).map((p) => Buffer.from(p.data).toString('hex'))).toEqual(inside.inner.map((p) => Buffer.from(p.bytes).toString('hex')));
      });

      it('judges the clear session and the pair clear through the carrier, numbered by the NIC frames', () => {
        const clear = s.innerWith('ra-clear');
        const authip = s.innerWith('authip').map(outer);
        const esp = s.innerWith('ra-esp');
        expect(code).toBe(1);
        expect(r.totals).toEqual(totals({ clear: 2 }));
        expect(r.sessions).toHaveLength(1);
        expect(r.sessions[0]).toMatchObject({
          verdict: 'clear', path: `${carrier} → ipv6 fe80:: → tcp → no IPsec`, service: { name: 'remote-assistance' },
          reasons: [{ text: `${clear.length} packet(s) of this TCP session travel without IPsec (frames ${outer(clear[0]!)}–${outer(clear[clear.length - 1]!)})` }],
        });
        const p = r.pairs[0]!;
        expect(p.path).toBe(`${carrier} → ipv6 fe80:: → esp (SPI ${spi(v.esp.spi)} A→B: ciphertext; SPI ${spi(v.esp.reverseSpi)} B→A: ciphertext)`);
        expect(texts(p.notes)).toContain(`keyed by AuthIP (complete, Kerberos; ${authipFrames(authip)}) before the first ESP packet (frame ${outer(esp[0]!)})`);
        expect(r.esp.map((e) => [e.spi, e.verdict, e.completeSamples])).toEqual([
          [spi(v.esp.spi), 'encrypted', esp.filter((x) => x.outbound).length], [spi(v.esp.reverseSpi), 'encrypted', esp.filter((x) => !x.outbound).length],
        ]);
      });

      it('gives the same verdicts as inside: verdict, service, state, endpoints and reasons, modulo the carrier path', () => {
        expect(r.sessions.map(carrierFree)).toEqual(insideRun.r.sessions.map(carrierFree));
        expect(r.pairs.map(carrierFree)).toEqual(insideRun.r.pairs.map(carrierFree));
        expect(r.isolation.map((i) => [i.a, i.b, i.protocol])).toEqual(insideRun.r.isolation.map((i) => [i.a, i.b, i.protocol]));
        expect(r.esp.map((e) => [e.spi, e.verdict, e.confidence, e.completeSamples])).toEqual(insideRun.r.esp.map((e) => [e.spi, e.verdict, e.confidence, e.completeSamples]));
      });
    });
  }

  it('behind an HTTP proxy (CONNECT on 8080): the same verdicts, the carrier on the proxy port', () => {
    const s = ipHttpsProxyScenario();
    const { code, r } = verify(`${CAPTURES}/iphttps-proxy-connect.pcapng`);
    expect(s.framesWith('proxy-connect').length).toBeGreaterThan(0);
    expect(code).toBe(1);
    expect(r.sessions.map((x) => x.path)).toEqual(['ipv4 → tcp/8080 tls(TLS_RSA_WITH_NULL_SHA256) ip-https → ipv6 fe80:: → tcp → no IPsec']);
    // The proxy's story has other ephemeral ports and TCP sequence numbers: compare what does not depend on them.
    const stable = (x: RecordJson): object => ({ ...carrierFree(x), a: { ...x.a, port: null }, reasons: texts(x.reasons).map((t) => t.replace(/\d+/g, 'N')) });
    expect(r.sessions.map(stable)).toEqual(insideRun.r.sessions.map(stable));
    expect(r.pairs.map(stable)).toEqual(insideRun.r.pairs.map(stable));
    const clear = s.innerWith('ra-clear');
    expect(r.sessions[0]!.frames).toMatchObject({ first: outer(clear[0]!), last: outer(clear[clear.length - 1]!) });
  });

  it('behind an HTTP proxy on port 80, which the decoder takes for HTTP: the TLS after the CONNECT is still found (fixed in app-dispatch)', () => {
    const s = ipHttpsStory({ suite: v.nullSha256, authMode: 'certificates', proxy: { ...v.proxy, port: 80 } });
    const path = join(testTempDir('da-audit-verify-'), 'proxy-80.pcapng');
    writeFileSync(path, s.bytes());
    const { code, r } = verify(path);
    expect(code).toBe(1);
    expect(r.totals).toEqual(totals({ clear: 2 }));
    expect(r.sessions.map((x) => [x.verdict, x.service.name, x.path])).toEqual([
      ['clear', 'remote-assistance', 'ipv4 → tcp/80 tls(TLS_RSA_WITH_NULL_SHA256) ip-https → ipv6 fe80:: → tcp → no IPsec'],
    ]);
    expect(r.pairs.map((x) => x.verdict)).toEqual(['clear']);
  });
});

describe('verify: the DirectAccess server is not a client', () => {
  it('an echo to the DA server\'s 6to4 address (the 6to4 relay) is not judged as a client pair', () => {
    const { code, r } = verify(`${CAPTURES}/da-6to4-isatap.pcapng`);
    expect(code).toBe(0);
    expect([r.sessions, r.pairs]).toEqual([[], []]);
    expect(r.result).toBe('no-client-traffic');
    expect(r.roles.filter((x) => x.role === 'da-server').length).toBeGreaterThan(0);
  });

  it('two Teredo clients are still a pair (the Teredo server in their addresses is the DA server, not them)', () => {
    const { r } = verify(`${CAPTURES}/da-teredo.pcapng`);
    expect(r.pairs.map((p) => [p.verdict, p.a.class, p.b.class])).toEqual([['clear', 'teredo', 'teredo']]);
  });
});

describe('verify: opaque and failing IP-HTTPS', () => {
  it('AES-GCM: capture-wide inconclusive once --da-server names the server; never encrypted', () => {
    const s = ipHttpsAesScenario();
    const path = `${CAPTURES}/iphttps-aes.pcapng`;
    const named = verify(path, '--da-server', DA.name);
    // The ServerHello is the first server flight.
    const serverHello = numbers(s.framesWith('tls-2').filter((f) => !f.outbound))[0]!;
    // Something that could carry client traffic was not seen: the result is incomplete, exit 5, never a pass.
    expect(named.code).toBe(5);
    expect(named.r.result).toBe('incomplete');
    expect(named.r.totals).toEqual(totals({}));
    expect(named.r.sessions).toEqual([]);
    expect(named.r.pairs).toEqual([]);
    expect(named.r.coverage.filter((c) => c.blocking)).toEqual([{
      code: 'coverage.opaque_iphttps', blocking: true, frames: [serverHello], facts: { flow: expect.any(Number), suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
      text: expect.stringMatching(/^the IP-HTTPS connection of flow \d+ uses TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: the IPv6 traffic inside it .* cannot be observed in this capture; capture on the IP-HTTPS tunnel interface instead$/),
    }]);
    expect(verify(path, '--da-server', DA.name, '--strict').code).toBe(1);
    // Without --da-server the connection is ordinary TLS (see summary.test.ts): no client traffic is visible, which is
    // said (never a clean result under --strict), naming the TLS connection that could be IP-HTTPS.
    const plain = verify(path);
    expect(plain.code).toBe(0);
    expect(plain.r.result).toBe('no-client-traffic');
    expect(plain.r.coverage).toEqual([{
      code: 'coverage.no_client_traffic', blocking: false, frames: [serverHello], facts: expect.any(Object),
      text: expect.stringMatching(new RegExp(`^no traffic between DirectAccess clients is visible in this capture, so no session could be judged\\. 1 TLS connection\\(s\\) on port 443 with an encrypting cipher suite could be IP-HTTPS hiding it \\(flow \\d+, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 in frame ${serverHello}\\): if one of them goes to the DirectAccess server, name the server with --da-server`)),
    }]);
    expect(verify(path, '--strict').code).toBe(1);
  });

  it('a capture without any traffic between clients says so; it is not a pass under --strict', () => {
    const { code, r } = verify(`${CAPTURES}/pcap-usec-le.pcap`);
    expect(code).toBe(0);
    expect(r.result).toBe('no-client-traffic');
    expect(r.totals).toEqual(totals({}));
    expect(r.coverage).toEqual([{ code: 'coverage.no_client_traffic', blocking: false, frames: [], facts: { candidates: 0, list: [] }, text: expect.stringMatching(/^no traffic between DirectAccess clients is visible in this capture, so no session could be judged; capture on both clients' IP-HTTPS tunnel interfaces/) }]);
    expect(verify(`${CAPTURES}/pcap-usec-le.pcap`, '--strict').code).toBe(1);
  });

  it('mode None: the SYN over fe80:: failed, with the cause and the fix', () => {
    const s = ipHttpsModeNoneScenario();
    const path = `${CAPTURES}/iphttps-mode-none.pcapng`;
    const { code, r } = verify(path);
    const syn = s.innerWith('syn').map(outer);
    // No CertificateRequest: the mode is read at the ServerHelloDone, the end of the server's flight.
    const helloDone = last(numbers(s.framesWith('tls-2').filter((f) => !f.outbound)));
    expect(syn).toHaveLength(1 + VERIFY.ipHttps.modeNoneRetransmissions);
    expect(code).toBe(0);
    expect(verify(path, '--strict').code).toBe(1);
    expect(r.totals).toEqual(totals({ failed: 2 }));
    for (const x of [r.sessions[0]!, r.pairs[0]!]) {
      expect(x.verdict).toBe('failed');
      expect(x.reasons[0]!.text).toBe(`no session was established: ${syn.length} SYN(s) from frame ${first(syn)} on, never answered`);
      expect(x.reasons[1]!.text).toMatch(new RegExp(`^likely cause: the IP-HTTPS server does not authenticate clients \\(authentication mode None: no CertificateRequest in the handshake of flow \\d+, frame ${helloDone}\\); in that mode it drops link-local unicast between clients \\(MS-IPHTTPS §3\\.2\\.5\\.2\\.2\\)`));
      expect(x.cause!.code).toBe('iphttps.auth_none');
      expect(x.fix).toMatchObject({ code: 'iphttps.auth_none', text: expect.stringContaining('Set-NetIPHttpsConfiguration -AuthMode Certificates') });
      expect(x.check!.tshark[0]).toContain(`frame.number in {${[first(syn), helloDone].sort((p, q) => p - q).join(',')}`);
    }
    expect(r.sessions[0]).toMatchObject({ state: 'unanswered', a: { address: C1.ll, port: VERIFY.ipHttps.modeNoneSport }, b: { address: C2.ll, port: VERIFY.ipHttps.modeNonePort } });
    expect(r.pairs[0]!.frames.deciding).toEqual([first(syn), helloDone]);
  });

  it('stream edges: the session inside the damaged stream is still judged from what was recovered', () => {
    const s = ipHttpsStreamEdgesScenario();
    const { code, r } = verify(`${CAPTURES}/iphttps-stream-edges.pcapng`);
    expect(code).toBe(0);
    expect(r.totals).toEqual(totals({ encrypted: 1 }));
    const v = VERIFY.edges.esp;
    // The ESP packets: all but RS/RA and AuthIP; the one in the lost segment left no frame.
    const esp = s.inner.filter((p) => !p.labels.includes('rd') && !p.labels.includes('authip'));
    const recovered = esp.filter((p) => p.frames.length > 0);
    expect(esp.length - recovered.length).toBe(1);
    const fwd = recovered.filter((p) => p.outbound).length;
    expect(r.esp.map((e) => [e.spi, e.verdict, e.completeSamples])).toEqual([[spi(v.spi), 'encrypted', fwd], [spi(v.reverseSpi), 'encrypted', recovered.length - fwd]]);
  });
});

// --- exit codes, formats, options -------------------------------------------------------------------------------

describe('verify: the README sample (sample-directaccess.pcapng), each packet seen on the tunnel interface and inside IP-HTTPS', () => {
  const s = sampleScenario();
  const { code, r } = verify(`${CAPTURES}/sample-directaccess.pcapng`);
  // The tunnel interface's copy of each inner packet, and the IP-HTTPS frames that carried the same packets.
  const onTunnel = (label: string): number[] => numbers(s.framesWith(label, 'tunnel'));
  const inIpHttps = (label: string): number[] => numbers(s.framesWith(label, 'ip-https'));

  it('shows one encrypted pair and one Remote Assistance session in clear, each once, and exits 1', () => {
    expect(code).toBe(1);
    expect(r.totals).toEqual(totals({ encrypted: 1, clear: 2 }));
    expect(r.pairs.map((p) => [p.verdict, p.b.address, p.service.name])).toEqual([
      ['encrypted', C2.ll, 'unknown'], ['clear', DA.client3.ipHttps, 'remote-assistance'],
    ]);
    expect(r.sessions.map((x) => [x.verdict, x.b.address, x.b.port, x.service.name])).toEqual([['clear', DA.client3.ipHttps, SAMPLE.clearPort, 'remote-assistance']]);
  });

  it('names the second capture of the clear session as a copy, not as a second reason', () => {
    const pair = pairWith(r, DA.client3.ipHttps);
    expect(pair.reasons).toHaveLength(1);
    expect(pair.reasons[0]!.text).toMatch(/^TCP \d+ → 49812 travels without IPsec \(\d+ packet\(s\), frames \d+–\d+\) \(also captured as flow \d+, frames \d+–\d+\)$/);
    const ranges = [...pair.reasons[0]!.text.matchAll(/frames (\d+)–(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(ranges.sort((x, y) => x[0]! - y[0]!)).toEqual([[first(onTunnel('ra-clear')), last(onTunnel('ra-clear'))], [first(inIpHttps('ra-clear')), last(inIpHttps('ra-clear'))]]
      .sort((x, y) => x[0]! - y[0]!));
    expect(pair.notes.filter((n) => n.code === 'rdp.own_security')).toHaveLength(1);
  });

  it('lists the LLMNR answer once as an isolation finding, with the frames of both captures', () => {
    expect(r.isolation).toHaveLength(1);
    expect(r.isolation[0]!.copyFlows).toHaveLength(1);
    // The answer is the last LLMNR packet on each path; the query before it went to the multicast group.
    expect(r.isolation[0]!.frames).toEqual([last(onTunnel('llmnr')), last(inIpHttps('llmnr'))].sort((x, y) => x - y));
  });

  it('lists each ESP SA once, judged from one view, with the other view named', () => {
    expect(r.esp.map((e) => [e.spi, e.verdict, e.copyFlows.length])).toEqual([[spi(SAMPLE.esp.spi), 'encrypted', 1], [spi(SAMPLE.esp.reverseSpi), 'encrypted', 1]]);
  });

  it('npm start (the README\'s first command) runs verify on it and exits 0', () => {
    // Its build step is left out: rebuilding dist/ would race the other test files that run the CLI.
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
    const [build, run] = start.split(' && ', 2) as [string, string];
    expect(build).toBe('npm run build --silent');
    const out = spawnSync('sh', ['-c', run], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('Totals: 3 verdicts: 2 clear, 1 encrypted');
  });
});

describe('verify: exit codes, formats and hostile strings', () => {
  it('exit 3 on a damaged input, the report still covering what was read', () => {
    const out = cli(['verify', '--format', 'json', 'fixtures/bad/truncated-record.pcap']);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/^da-audit: warning: fixtures\/bad\/truncated-record\.pcap: byte offset \d+, frame \d+: /m);
    expect((JSON.parse(out.stdout) as { files: VerifyReport[] }).files[0]!.status).toBe('truncated');
  });

  it('several files: the exit code is the largest', () => {
    expect(cli(['verify', `${CAPTURES}/verify-encrypted.pcapng`, `${CAPTURES}/verify-clear.pcapng`]).code).toBe(1);
    expect(cli(['verify', `${CAPTURES}/verify-encrypted.pcapng`, 'fixtures/bad/truncated-record.pcap']).code).toBe(3);
    expect(cli(['verify', `${CAPTURES}/verify-encrypted.pcapng`, `${CAPTURES}/verify-failed.pcapng`]).code).toBe(0);
    expect(cli(['verify', '--strict', `${CAPTURES}/verify-encrypted.pcapng`, `${CAPTURES}/verify-failed.pcapng`]).code).toBe(1);
  });

  it('usage errors exit 2', () => {
    expect(cli(['verify', '--ra-port', 'x', `${CAPTURES}/verify-clear.pcapng`]).code).toBe(2);
    expect(cli(['verify', '--format', 'xml', `${CAPTURES}/verify-clear.pcapng`]).code).toBe(2);
  });

  it('renders the verdicts to scan by default, worst first, each not encrypted with cause, fix and check; Markdown the same', () => {
    const table = cli(['verify', '--width', '0', `${CAPTURES}/verify-esp-null.pcapng`]);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('Encryption verdicts: fixtures/captures/verify-esp-null.pcapng');
    expect(table.stdout).toMatch(/^INTEGRITY-ONLY  session fe80::8d4:1c2b:3a4d:5e6f port \d+ → fe80::a1b2:c3d4:e5f6:789 port \d+$/m);
    expect(table.stdout).toMatch(/^  cause  esp\.null: SPI 0x00c0ff16 /m);
    expect(table.stdout).toMatch(/^  fix    The Quick Mode proposal lets ESP run without encryption/m);
    expect(table.stdout).toMatch(/^  check  tshark -r fixtures\/captures\/verify-esp-null\.pcapng -Y 'frame\.number in \{[\d,]+\}'/m);
    expect(table.stdout).toContain('\nTotals: 4 verdicts: 4 integrity-only\n');
    const md = cli(['verify', '--format', 'md', `${CAPTURES}/verify-failed.pcapng`]);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('# Encryption verdicts: fixtures/captures/verify-failed.pcapng');
    expect(md.stdout).toContain('**FAILED:** sessions between clients were attempted and failed');
    expect(md.stdout).toMatch(/^## FAILED — session fe80::8d4:1c2b:3a4d:5e6f port \d+ → fe80::5c1d:7e2a:9b3c:4d10 port \d+$/m);
    expect(md.stdout).toMatch(/^- \*\*Cause\*\* \(`icmpv6\.admin_prohibited`\): no session was established: .*code 1 \(communication administratively prohibited\)/m);
    expect(md.stdout).toMatch(/^```powershell\nGet-NetFirewallRule -DisplayGroup "Remote Assistance"/m);
    const nothing = cli(['verify', '--width', '0', `${CAPTURES}/pcap-usec-le.pcap`]);
    expect(nothing.stdout).toContain('NO CLIENT TRAFFIC: no traffic between DirectAccess clients is visible');
    expect(nothing.stdout).toContain('Totals: 0 verdicts\n');
  });

  it('--details renders the full evidence as tables and as Markdown', () => {
    // Rows are matched whole: --width 0 keeps each on one line.
    const table = cli(['verify', '--details', '--width', '0', `${CAPTURES}/verify-esp-null.pcapng`]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/│ Verdicts\s+│ 0 encrypted, 4 integrity-only, 0 clear, 0 failed, 0 inconclusive\s+│/);
    expect(table.stdout).toMatch(/│ INTEGRITY-ONLY │ fe80::8d4:1c2b:3a4d:5e6f port \d+\s+│ remote-assistance │/);
    expect(table.stdout).toMatch(/│ \d+\s+│ 0x00c0ff16 │ NULL encryption │ high\s+│/);
    const md = cli(['verify', '--details', '--format', 'md', `${CAPTURES}/verify-failed.pcapng`]);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('## Sessions between DirectAccess clients');
    expect(md.stdout).toContain('## Client pairs (all traffic between two clients)');
    expect(md.stdout).toMatch(/^\| FAILED \| .*code 1 \(communication administratively prohibited\)/m);
    const empty = cli(['verify', '--details', '--width', '0', `${CAPTURES}/verify-encrypted.pcapng`]);
    expect(empty.stdout).toContain('no session between clients can be seen one by one (ESP hides ports and payload); the pairs below are judged as a whole');
    // Nothing seen is not a clean result: the empty sections say so.
    const nothing = cli(['verify', '--details', '--width', '0', `${CAPTURES}/pcap-usec-le.pcap`]);
    expect(nothing.stdout).toContain('no session between clients is visible in this capture');
    expect(nothing.stdout).toContain('none found: no unicast traffic between clients is visible in this capture');
    expect(nothing.stdout).not.toContain('is IPsec-protected');
  });

  it('escapes hostile strings from the capture in tables and Markdown, and keeps them exact in JSON', () => {
    // A peer that answers LLMNR with a name full of terminal controls, then a clear Remote Assistance session whose cookie is hostile too.
    const name = 'evil\x1b[2J|<b>*x*';
    const cookie = 'a\x1b]0;owned\x07';
    const s = new Scenario({ t0: 1_764_226_800, local: [C1.ll], seed: 999 });
    const tunnel = s.rawLink(s.interface('raw', 23));
    s.nameLookup({ protocol: 'llmnr', client: C1.ll, responder: C2.ll, via: tunnel, name, aaaa: [C2.ll] });
    s.remoteAssistance({ expert: C1.ll, novice: C2.ll, port: 49900, via: tunnel, selected: 'rdp', cookie, updates: 1 });
    const dir = testTempDir('da-audit-verify-');
    const path = join(dir, 'hostile.pcapng');
    writeFileSync(path, s.bytes());
    const json = verify(path).r;
    expect(json.sessions[0]!.b.names).toEqual([name]);
    expect(json.sessions[0]!.service.basis).toContain(`Cookie: mstshash=${cookie}`);
    const table = cli(['verify', path]).stdout;
    expect(table).not.toMatch(/[\x07\x1b]/);
    expect(table).toContain('(evil\\x1b[2J|<b>*x*)');
    const md = cli(['verify', '--format', 'md', path]).stdout;
    expect(md).not.toMatch(/[\x07\x1b]/);
    expect(md).toContain('(evil\\\\x1b\\[2J\\|\\<b\\>\\*x\\*)');
  });
});

// --- no false assurance ---------------------------------------------------------------------------------------------

describe('no false assurance: clear or integrity-only Remote Assistance is never judged encrypted', () => {
  // Every fixture whose story puts Remote Assistance between two clients in clear, under AH or in ESP-NULL, with the peer.
  const weak: [string, string][] = [
    ['verify-clear.pcapng', C2.ll], ['verify-esp-null.pcapng', C2.ll], ['verify-esp-null.pcapng', C3.ll], ['verify-ah.pcapng', C2.ll],
    ['verify-one-way.pcapng', C2.ll], ['verify-two-interfaces.pcapng', C3.ll], ['verify-midstream.pcapng', C3.ll],
    ['iphttps-null-sha.pcapng', C2.ll], ['iphttps-null-sha256.pcapng', C2.ll], ['iphttps-inside.pcapng', C2.ll], ['iphttps-proxy-connect.pcapng', C2.ll],
  ];
  for (const [file, peer] of weak) {
    it(`${file}: the sessions and the pair with ${peer} are not encrypted, and verify exits non-zero`, () => {
      const { code, r } = verify(`${CAPTURES}/${file}`);
      expect(code).not.toBe(0);
      const p = pairWith(r, peer);
      expect(['clear', 'integrity-only']).toContain(p.verdict);
      const sessions = r.sessions.filter((x) => x.a.address === peer || x.b.address === peer);
      expect(sessions.length).toBeGreaterThan(0);
      for (const x of sessions) expect(x.verdict, texts(x.reasons).join(' ')).not.toBe('encrypted');
      // Some session with that peer is Remote Assistance, and the pair says so.
      expect(sessions.some((x) => x.service.name === 'remote-assistance') || file === 'verify-midstream.pcapng').toBe(true);
    });
  }
});
