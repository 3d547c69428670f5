/**
 * `da-audit verify` on the fixtures that give docs/verdicts.md its examples of session states, negotiation outcomes and
 * ESP findings (test/helpers/fixtures/verify-example-fixtures.ts): every verdict, and every code with the frames that
 * show it, computed from each story's ledger (its labels), so an example cannot silently disappear from the page.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecordJson, VerifyReport } from '../../src/report/verify.js';
import { cli } from '../helpers/cli.js';
import { DA } from '../helpers/fixtures/da-fixtures.js';
import { EXAMPLES, verifyCaptureDropsStory, verifyIpHttpsMidstreamStory, verifyNegotiationsStory, verifyNoRuleStory } from '../helpers/fixtures/verify-example-fixtures.js';
import { authip as authipWith, onTunnel, VERIFY } from '../helpers/fixtures/verify-fixtures.js';
import type { Capture } from '../helpers/pcapng-edit.js';
import { esp } from '../helpers/scenario.js';
import { expectSchemaValid } from '../helpers/schema.js';
import { testTempDir } from '../helpers/temp.js';

const C1 = DA.client1;
const C2 = DA.client2;
const C3 = VERIFY.client3;
const C4 = VERIFY.client4;

/** `verify --format json` on a fixture (by its name) or on a file (by its path). */
function verify(name: string): { code: number | null; r: VerifyReport } {
  const out = cli(['verify', '--format', 'json', name.includes('/') ? name : `fixtures/captures/${name}`]);
  const doc = JSON.parse(out.stdout) as { files: VerifyReport[] };
  expectSchemaValid(doc);
  return { code: out.code, r: doc.files[0]! };
}

/** The frame numbers of the frames carrying every one of `labels`. */
const frames = (c: Capture, ...labels: string[]): number[] => c.framesWith(...labels).map((f) => f.number);

/** A record's coded statements with their frames: reasons, then notes. */
const coded = (x: RecordJson): { reasons: [string, number[]][]; notes: [string, number[]][] } => ({
  reasons: x.reasons.map((s) => [s.code, s.frames]),
  notes: x.notes.map((s) => [s.code, s.frames]),
});

/** The one record of `kind` between client 1 and `peer` (and, for a session, on `port` of either end). */
function record(r: VerifyReport, kind: 'session' | 'pair', peer: string, port?: number): RecordJson {
  const list = (kind === 'session' ? r.sessions : r.pairs).filter((x) => [x.a.address, x.b.address].includes(peer) && [x.a.address, x.b.address].includes(C1.ll)
    && (port === undefined || x.a.port === port || x.b.port === port));
  expect(list).toHaveLength(1);
  return list[0]!;
}

describe('verify-no-rule.pcapng: no connection security rule, everything in clear', () => {
  const c = verifyNoRuleStory();
  const { code, r } = verify('verify-no-rule.pcapng');
  const running = frames(c, 'running');
  const syn = frames(c, 'late', 'syn');
  const answer = frames(c, 'late', 'answer');
  const retry = frames(c, 'retry');
  const rdp = frames(c, 'rdp');
  const udp = frames(c, 'rdp-udp');

  it('every session and pair is clear; exit 1', () => {
    expect(r.sessions.map((x) => [x.protocol, x.verdict, x.state])).toEqual([
      ['tcp', 'clear', 'unknown'], ['tcp', 'clear', 'reset'], ['tcp', 'clear', 'established'], ['tcp', 'clear', 'established'], ['udp', 'clear', 'one-way'],
    ]);
    expect(r.pairs.map((x) => x.verdict)).toEqual(['clear', 'clear', 'clear']);
    expect(r.result).toBe('findings');
    expect(code).toBe(1);
  });

  it('the session running when the capture started: only the novice\'s data and the expert\'s ACKs, tcp.unknown at its first frame', () => {
    const s = record(r, 'session', C3.ll);
    expect(s.a.address).toBe(C3.ll); // the novice sent the first frame in the capture
    expect(coded(s)).toEqual({ reasons: [['ipsec.none', [running[0]!, running.at(-1)!]]], notes: [['tcp.unknown', [running[0]!]]] });
    expect(s.notes[0]!.text).toBe('TCP history Da');
  });

  it('the SYN whose SYN-ACK came late: tcp.reset at the expert\'s RST', () => {
    expect(answer).toHaveLength(2);
    const s = record(r, 'session', C2.ll, EXAMPLES.noRule.late.sport);
    expect(coded(s)).toEqual({ reasons: [['ipsec.none', [syn[0]!, answer[1]!]]], notes: [['tcp.reset', [answer[1]!]]] });
    expect(s.notes[0]!.text).toBe(`the connection was reset (RST in frame ${answer[1]})`);
    // The retry that got in is established: SYN and SYN-ACK are its first two frames.
    const again = r.sessions.filter((x) => x.b.address === C2.ll && x.a.port !== EXAMPLES.noRule.late.sport);
    expect(again).toHaveLength(1);
    expect(coded(again[0]!).notes[0]).toEqual(['tcp.established', [retry[0]!, retry[1]!]]);
  });

  it('the RDP UDP transport tried three times and never answered: udp.one_way at its first datagram', () => {
    expect(udp).toHaveLength(3);
    const s = record(r, 'session', C4.ll, EXAMPLES.noRule.rdp.udpSport);
    expect(coded(s)).toEqual({ reasons: [['ipsec.none', [udp[0]!, udp[2]!]]], notes: [['udp.one_way', [udp[0]!]]] });
    expect(s.notes[0]!.text).toBe('3 datagram(s) one way only');
    const pair = record(r, 'pair', C4.ll);
    expect(coded(pair).reasons).toEqual([['ipsec.none', [rdp[3]!]], ['ipsec.none', [udp[0]!]]]);
  });
});

describe('verify-negotiations.pcapng: ESP one way, negotiation discovery, a Kerberos failure, a negotiation cut by the end', () => {
  const c = verifyNegotiationsStory();
  const { code, r } = verify('verify-negotiations.pcapng');
  const restarted = frames(c, 'restarted');
  const clearSyn = frames(c, 'discovery', 'clear-syn');
  const discoveryAuthip = frames(c, 'discovery', 'authip');
  const ra = frames(c, 'discovery', 'ra');
  const kerberos = frames(c, 'kerberos');
  const stopped = frames(c, 'stopped');

  it('the verdicts; nothing clear, so the capture passes (exit 0)', () => {
    expect(r.sessions.map((x) => [x.b.address, x.verdict, x.state])).toEqual([[C2.ll, 'failed', 'unanswered']]);
    expect(r.pairs.map((x) => [x.b.address, x.verdict])).toEqual([[C4.ll, 'failed'], [C2.ll, 'encrypted'], [C3.ll, 'failed']]);
    expect(r.result).toBe('encrypted');
    expect(code).toBe(0);
  });

  it('client 4 restarted: its expert\'s ESP goes one way, esp.one_direction and keying.before_capture at the first ESP frame', () => {
    expect(restarted).toHaveLength(4);
    expect(c.frames.filter((f) => f.labels.includes('restarted')).every((f) => f.outbound)).toBe(true);
    const p = record(r, 'pair', C4.ll);
    expect(coded(p)).toEqual({ reasons: [['esp.one_direction', [restarted[0]!]]], notes: [['keying.before_capture', [restarted[0]!]]] });
    expect(p.reasons[0]!.text).toContain(`SPI 0x8e000001, 4 packet(s) from frame ${restarted[0]}`);
    expect(p.frames.deciding).toEqual([restarted[0]!]);
  });

  it('negotiation discovery with client 2: the clear SYN failed beside the encrypted pair (attempts.failed_clear)', () => {
    expect(clearSyn).toHaveLength(1);
    const p = record(r, 'pair', C2.ll);
    expect(p.notes.map((n) => n.code)).toEqual(['attempts.failed_clear', 'keying.negotiated']);
    expect(p.notes[0]!.frames).toEqual(clearSyn);
    expect(p.notes[0]!.text).toBe(`1 connection attempt(s) went out without IPsec and failed (frames ${clearSyn[0]}): negotiation discovery or a missing rule`);
    const keyed = [discoveryAuthip[0]!, discoveryAuthip[4]!, discoveryAuthip[5]!, discoveryAuthip[6]!];
    expect(p.notes[1]!.frames).toEqual([...keyed, ra[0]!]);
    expect(p.reasons.map((x) => x.code)).toEqual(['esp.ciphertext', 'esp.ciphertext']);
    const s = record(r, 'session', C2.ll);
    expect(coded(s)).toEqual({
      reasons: [['tcp.syn_unanswered', clearSyn], ['ipsec.none', clearSyn]],
      notes: [['session.attempt_protection', clearSyn], ['keying.negotiations', [...keyed, stopped[0]!, stopped[2]!]]],
    });
  });

  it('the second Main Mode with client 2, cut after #3: ike.in_progress at its last frame', () => {
    expect(stopped).toHaveLength(3);
    const p = record(r, 'pair', C2.ll);
    expect(p.negotiations.map((n) => [n.outcome, n.reason.code, n.reason.frames])).toEqual([
      ['complete', 'ike.complete', [discoveryAuthip[4]!, discoveryAuthip[5]!]],
      ['in-progress', 'ike.in_progress', [stopped[2]!]],
    ]);
    expect(p.negotiations[1]!.reason.text).toContain(`after 2 message(s) from the initiator and 1 from the responder (last frame ${stopped[2]})`);
  });

  it('client 3\'s KRB-ERROR: ike.failed_after_auth at the frame that carries it', () => {
    expect(kerberos).toHaveLength(4);
    const p = record(r, 'pair', C3.ll);
    expect(coded(p)).toEqual({ reasons: [['ike.failed_after_auth', [kerberos[3]!]]], notes: [] });
    expect(p.cause!.code).toBe('ike.failed_after_auth');
    expect(p.reasons[0]!.text).toContain(`KRB-ERROR KDC_ERR_S_PRINCIPAL_UNKNOWN in frame ${kerberos[3]}`);
  });
});

describe('verify-capture-drops.pcapng: the capture tool dropped the end of Main Mode', () => {
  const c = verifyCaptureDropsStory();
  const { code, r } = verify('verify-capture-drops.pcapng');
  const authip = frames(c, 'authip');

  it('the pair is encrypted, the negotiation keying.end_not_seen (its first and last frame), the drops coverage.interface_drops; incomplete, exit 5', () => {
    expect(authip).toHaveLength(5);
    expect(r.pairs.map((x) => x.verdict)).toEqual(['encrypted']);
    expect(r.sessions).toEqual([]);
    const n = r.pairs[0]!.negotiations;
    // One outcome, decided once: the ESP both ways refutes what the five messages alone would say ("failed after
    // authentication"), and no sentence or label of the pair says otherwise.
    expect(n.map((x) => [x.outcome, x.reason.code, x.reason.frames])).toEqual([['end-not-seen', 'keying.end_not_seen', [authip[0]!, authip[4]!]]]);
    expect(n[0]!.reason.text).toBe(`the capture does not show the AuthIP negotiation of frames ${authip[0]}–${authip[4]} complete (its messages alone read as ` +
      'failed-after-authentication), but ESP flows both ways after it, so it did not fail: the messages that completed it are not in the capture');
    const said = [...r.pairs[0]!.reasons, ...r.pairs[0]!.notes].map((x) => x.text);
    expect(said.find((t) => t.startsWith('keyed by'))).toBe(`keyed by AuthIP (end-not-seen, Kerberos; frames ${authip.join(', ')}) before the first ESP packet (frame ${authip[4]! + 1})`);
    expect(said.filter((t) => /failed/.test(t))).toEqual([]);
    // The summary tells the same negotiation the same way: one outcome, one sentence, the same frames.
    const summary = JSON.parse(cli(['summary', '--format', 'json', 'fixtures/captures/verify-capture-drops.pcapng']).stdout) as { files: { negotiations: { outcome: string; reason: string; decidingFrames: number[] }[] }[] };
    expect(summary.files[0]!.negotiations.map((x) => [x.outcome, x.reason, x.decidingFrames])).toEqual([['end-not-seen', n[0]!.reason.text, n[0]!.reason.frames]]);
    expect(r.coverage.map((x) => [x.code, x.blocking, x.facts])).toEqual([['coverage.interface_drops', true, { interfaces: [{ interface: 0, dropped: 2 }] }]]);
    expect(r.result).toBe('incomplete');
    expect(code).toBe(5);
  });
});

describe('verify-iphttps-midstream.pcapng: the capture starts after the IP-HTTPS tunnel came up', () => {
  const c = verifyIpHttpsMidstreamStory();
  const { code, r } = verify('verify-iphttps-midstream.pcapng');

  it('the sample\'s verdicts; the prefix from the address the client sends from, the tunnel from its records', () => {
    expect(c.framesWith('rd')).toEqual([]);
    expect(r.pairs.map((x) => [x.a.address, x.b.address, x.verdict])).toEqual([[C1.ll, C2.ll, 'encrypted'], [C1.ipHttps, DA.client3.ipHttps, 'clear']]);
    expect(r.sessions.map((x) => [x.a.address, x.b.address, x.verdict])).toEqual([[C1.ipHttps, DA.client3.ipHttps, 'clear']]);
    // The first packet the client sent from its global address: the DNS query for client 3, inside IP-HTTPS.
    const query = c.innerWith('dns6')[0]!;
    expect(r.assumptions.map((x) => [x.code, x.frames])).toEqual([['context.source_prefix', [query.lastByteFrame]]]);
    expect(r.assumptions[0]!.text).toMatch(/^assumed IP-HTTPS prefix 2001:db8:1:1000::\/64 from the address the client sent from inside IP-HTTPS flow \d+ \(frame \d+; the tunnel's start and its Router Advertisement are not in the capture\)/);
    // The tunnel is recognised from the client's first three records.
    const records = c.framesWith('ip-https').filter((f) => f.outbound).slice(0, 3).map((f) => f.number);
    expect(r.coverage.map((x) => [x.code, x.blocking, x.frames])).toEqual([['coverage.midstream_tunnel', false, records]]);
    expect(r.result).toBe('findings');
    expect(code).toBe(1);
  });
});

describe('AuthIP completes, then the expert\'s ESP goes one way (protocols.md §7 row 16)', () => {
  it('is failed with esp.one_direction: the AuthIP answers are no answer to the traffic (they once made it "encrypted", "answered outside ESP")', () => {
    const { s, tunnel } = onTunnel(1_764_320_400, 404);
    authipWith(s, tunnel, C2);
    // The SYN of a Remote Assistance connection in ESP, sent and retransmitted 4 times: client 2 installed no SA.
    s.label('syn', () => s.tcp({ client: C1.ll, server: C2.ll, sport: 50410, dport: 49910, via: tunnel, protect: esp({ spi: 0x8b000001, reverseSpi: 0x8b000002, cipher: 'aes-cbc' }) }).attempt(4));
    const path = join(testTempDir('da-verify-one-direction-'), 'authip-then-esp-one-way.pcapng');
    writeFileSync(path, s.bytes());
    const syn = frames(s, 'syn');
    const { code, r } = verify(path);
    expect(r.pairs.map((x) => x.verdict)).toEqual(['failed']);
    expect(r.pairs[0]!.reasons.map((x) => [x.code, x.frames])).toEqual([['esp.one_direction', [syn[0]!]]]);
    expect(r.pairs[0]!.notes.map((x) => x.code)).toEqual(['keying.negotiated']);
    expect(r.pairs[0]!.negotiations.map((n) => n.reason.code)).toEqual(['ike.complete']);
    expect(r.result).toBe('failed');
    expect(code).toBe(0);
  });
});
