import { describe, expect, it } from 'vitest';
import type { ClassifiedFlow } from '../../../src/classify/classified-flow.js';
import { NO_COVERAGE_GAPS } from '../../../src/rules/coverage.js';
import { verify } from '../../../src/rules/verdicts.js';
import type { IkeNegotiation } from '../../../src/app/ike-negotiations.js';
import { hex } from '../../../src/util/bytes.js';
import { ascii, concat, esp, espNullBody, ip6, Proto, tcp, TcpFlag, tpkt, x224ConnectionRequest } from '../../helpers/build.js';
import { CLIENT_A, CLIENT_B, ciphertext, flow, judged, nullTcp, withSa } from '../../helpers/flows.js';

function run(flows: ClassifiedFlow[], negotiations: IkeNegotiation[] = []) {
  const all = judged(flows);
  const byId = new Map(all.map((r) => [r.flow.id, r]));
  return verify({ flows: all, negotiations, service: { raPorts: [] }, flowById: (id) => byId.get(id), coverage: NO_COVERAGE_GAPS });
}


/** An RA session's first client bytes: TPKT + X.224 CR with a cookie and RDP_NEG_REQ. */
function rdpFacts(r: ClassifiedFlow, frame: number): void {
  r.flow.rdp = { request: { frame, cookie: 'novice', requestedProtocols: 1 }, confirm: { frame: frame + 1, selectedProtocol: 1, failureCode: null, failureName: null } };
}

describe('verdicts on hand-built flows', () => {
  it('clear Remote Assistance: session and pair are clear, the isolation audit lists it', () => {
    const ra = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 10, last: 40, syn: 10, synAck: 11, origPackets: 15, respPackets: 16, origPayload: 900, respPayload: 5000 });
    rdpFacts(ra, 13);
    const v = run([ra]);
    expect(v.sessions).toHaveLength(1);
    expect(v.sessions[0]).toMatchObject({ verdict: 'clear', state: 'established', service: { name: 'remote-assistance' } });
    expect(v.sessions[0]!.service.basis).toMatch(/dynamic port 49750.*mstshash=novice.*TLS/);
    expect(v.sessions[0]!.notes.map((n) => n.text).join(' ')).toMatch(/RDP itself negotiated TLS.*never instead of it/);
    expect(v.pairs[0]).toMatchObject({ verdict: 'clear' });
    expect(v.isolation).toHaveLength(1);
    expect(v.isolation[0]!.frames).toContain(10);
  });

  it('one conversation captured on two paths is one session, one reason and one attempt, naming the other capture', () => {
    // The tunnel interface's view, and the same packets inside IP-HTTPS (a child flow of the carrier, flow 'parent').
    const carrier = flow({ proto: 6, a: '::ffff:192.0.2.10', b: '::ffff:198.51.100.1', aPort: 50123, bPort: 443, first: 1, last: 99, origPackets: 50, respPackets: 49 });
    const onTunnel = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 10, last: 40, syn: 10, synAck: 12, origPackets: 15, respPackets: 16, origPayload: 900, respPayload: 5000 });
    const inside = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 11, last: 41, syn: 11, synAck: 13, origPackets: 15, respPackets: 16, origPayload: 900, respPayload: 5000, parent: carrier.flow.id, carriedBy: 'ip-https' });
    const tryTunnel = flow({ proto: 6, aPort: 49501, bPort: 49751, first: 50, syn: 50, origPackets: 3 });
    const tryInside = flow({ proto: 6, aPort: 49501, bPort: 49751, first: 51, syn: 51, origPackets: 3, parent: carrier.flow.id, carriedBy: 'ip-https' });
    rdpFacts(onTunnel, 14);
    rdpFacts(inside, 15);
    const v = run([carrier, onTunnel, inside, tryTunnel, tryInside]);
    expect(v.sessions.filter((s) => s.b.port === 49750)).toHaveLength(1);
    expect(v.pairs).toHaveLength(1);
    const p = v.pairs[0]!;
    expect(p.verdict).toBe('clear');
    expect(p.reasons.map((r) => [r.code, r.text])).toEqual([['ipsec.none', `TCP 49500 → 49750 travels without IPsec (31 packet(s), frames 10–40) (also captured as flow ${inside.flow.id}, frames 11–41)`]]);
    expect(p.notes.filter((n) => n.code === 'rdp.own_security')).toHaveLength(1);
    expect(p.notes.map((n) => n.text)).toContain('1 connection attempt(s) went out without IPsec and failed (frames 50): negotiation discovery or a missing rule');
    expect(v.isolation.map((i) => [i.flow, i.copyFlows])).toEqual([[onTunnel.flow.id, [inside.flow.id]], [tryTunnel.flow.id, [tryInside.flow.id]]]);
  });

  it('AH carrying TCP: integrity-only (the payload is readable)', () => {
    const ra = flow({ proto: 6, aPort: 49500, bPort: 3389, first: 5, last: 30, syn: 5, synAck: 6, origPackets: 10, respPackets: 10, origPayload: 500, respPayload: 800, ahPackets: 20 });
    const v = run([ra]);
    expect(v.sessions[0]).toMatchObject({ verdict: 'integrity-only', service: { name: 'remote-assistance' } });
    expect(v.pairs[0]!.verdict).toBe('integrity-only');
    expect(v.isolation).toEqual([]);
  });

  it('encrypted ESP both ways: the pair is encrypted, no session is claimed as Remote Assistance', () => {
    const e = flow({ proto: 50, first: 20, last: 60, origPackets: 20, respPackets: 20 });
    withSa(e, 0x1111, true, ciphertext(20, 100), 20);
    withSa(e, 0x2222, false, ciphertext(20, 200), 21);
    const v = run([e]);
    expect(v.sessions).toEqual([]);
    expect(v.pairs[0]).toMatchObject({ verdict: 'encrypted', service: { name: 'unknown' } });
    expect(v.pairs[0]!.service.basis).toMatch(/cannot be observed/);
    expect(v.pairs[0]!.path.join(' ')).toMatch(/SPI 0x00001111 A→B: ciphertext; SPI 0x00002222 B→A: ciphertext/);
    expect(v.pairs[0]!.notes.map((n) => n.text).join(' ')).toMatch(/established before the capture started/);
    expect(v.pairs[0]!.decidingFrames.length).toBeGreaterThan(0);
  });

  it('rekeyed SPIs mid-session: every SA is judged, the pair stays encrypted', () => {
    const e = flow({ proto: 50, first: 1, last: 80, origPackets: 40, respPackets: 40 });
    withSa(e, 0x1111, true, ciphertext(10, 1), 1);
    withSa(e, 0x2222, false, ciphertext(10, 50), 2);
    withSa(e, 0x3333, true, ciphertext(10, 99), 40);
    withSa(e, 0x4444, false, ciphertext(10, 150), 41);
    const v = run([e]);
    expect(v.esp).toHaveLength(4);
    expect(v.pairs[0]!.verdict).toBe('encrypted');
    expect(v.pairs[0]!.reasons).toHaveLength(4);
  });

  it('ESP one way and clear the other way: clear', () => {
    const e = flow({ proto: 50, first: 1, last: 20, origPackets: 10, respPackets: 0 });
    withSa(e, 0x1111, true, ciphertext(10, 7), 1);
    const back = flow({ proto: 17, a: CLIENT_B, b: CLIENT_A, aPort: 3540, bPort: 3540, first: 3, last: 19, origPackets: 9, origPayload: 900 });
    const v = run([e, back]);
    expect(v.pairs).toHaveLength(1);
    expect(v.pairs[0]!.verdict).toBe('clear');
    expect(v.pairs[0]!.notes.map((n) => n.text).join(' ')).toMatch(/ESP ciphertext/);
  });

  it('ESP in one direction only, never answered: failed, and says so', () => {
    const e = flow({ proto: 50, first: 1, last: 9, origPackets: 5, respPackets: 0 });
    withSa(e, 0x1111, true, ciphertext(5, 3), 1);
    const v = run([e]);
    expect(v.pairs[0]!.verdict).toBe('failed');
    expect(v.pairs[0]!.reasons[0]!.text).toMatch(/one direction only/);
  });

  it('ESP one way after a negotiation the peer answered: still failed (the IKE answer is no answer to the traffic)', () => {
    const ike = flow({ proto: 17, aPort: 500, bPort: 500, first: 1, last: 7, origPackets: 4, respPackets: 3, origPayload: 1200, respPayload: 900 });
    const e = flow({ proto: 50, first: 8, last: 12, origPackets: 5, respPackets: 0 });
    withSa(e, 0x1111, true, ciphertext(5, 3), 8);
    const v = run([ike, e]);
    expect(v.pairs[0]!.verdict).toBe('failed');
    expect(v.pairs[0]!.reasons.map((x) => x.code)).toEqual(['esp.one_direction']);
    expect(v.pairs[0]!.notes.map((x) => x.code)).not.toContain('esp.one_way_answered');
  });

  it('ESP-NULL carrying Remote Assistance: integrity-only, and the session is read from the plaintext', () => {
    const e = flow({ proto: 50, first: 100, last: 140, origPackets: 3, respPackets: 0 });
    // TPKT + X.224 CR with a cookie and RDP_NEG_REQ (type 1, length 8, requestedProtocols TLS).
    const cr = tpkt(x224ConnectionRequest(concat(ascii('Cookie: mstshash=novice\r\n'), Uint8Array.of(1, 0, 8, 0, 1, 0, 0, 0))));
    withSa(e, 0x0eeee001, true, nullTcp(3, CLIENT_A, CLIENT_B, 12, cr), 100);
    const v = run([e]);
    expect(v.pairs[0]!.verdict).toBe('integrity-only');
    const s = v.sessions.find((x) => x.service.name === 'remote-assistance');
    expect(s).toBeDefined();
    expect(s).toMatchObject({ verdict: 'integrity-only', protocol: 'tcp' });
    expect(s!.path.join(' ')).toMatch(/NULL encryption, 12-byte ICV/);
    expect(s!.service.basis).toMatch(/mstshash=novice/);
  });

  it('an unanswered clear SYN with no IPsec: failed, with the frames', () => {
    const syn = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 3, last: 9, syn: 3, origPackets: 3 });
    const v = run([syn]);
    expect(v.sessions[0]).toMatchObject({ verdict: 'failed', state: 'unanswered' });
    expect(v.pairs[0]!.verdict).toBe('failed');
    expect(v.pairs[0]!.decidingFrames).toContain(3);
  });

  it('ICMPv6 administratively prohibited: failed, code named', () => {
    const syn = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 3, last: 4, syn: 3, origPackets: 1 });
    syn.flow.icmpErrors = [{ frame: 4, version: 6, type: 1, code: 1, param: 0, towardsOrig: true, sender: ip6(CLIENT_B) }];
    const v = run([syn]);
    expect(v.sessions[0]).toMatchObject({ verdict: 'failed', state: 'unreachable' });
    expect(v.sessions[0]!.reasons[0]!.text).toMatch(/administratively prohibited.*frame 4/);
  });

  it('a failed AuthIP negotiation and nothing else: failed, with the negotiation as the cause', () => {
    const ike = flow({ proto: 17, aPort: 500, bPort: 500, first: 1, last: 5, origPackets: 3, origPayload: 600, isakmp: 3 });
    const neg = {
      protocol: 'AuthIP', initiator: { address: hex(ip6(CLIENT_A)), port: 500 }, responder: { address: hex(ip6(CLIENT_B)), port: 500 },
      initiatorSpi: '01', responderSpi: '00', flowIds: [ike.flow.id], messages: [], authMethods: ['Kerberos'], gss: [],
      vendorIds: { initiator: [], responder: [] }, notifyErrors: [], firstFrame: 1, lastFrame: 5,
      outcome: { state: 'no-response', reason: 'Main Mode #1 sent 3 times (frames 1, 3, 5), never answered', frames: [1, 3, 5] },
    } as unknown as IkeNegotiation;
    const v = run([ike], [neg]);
    expect(v.sessions).toEqual([]);
    expect(v.pairs[0]!.verdict).toBe('failed');
    expect(v.pairs[0]!.reasons.map((n) => n.text).join(' ')).toMatch(/AuthIP negotiation between them got no response \(no-response\): /);
  });

  it('ESP cut by the snaplen with the start of random payloads visible: encrypted, with lower confidence, naming the snaplen', () => {
    const e = flow({ proto: 50, first: 1, last: 20, origPackets: 10, respPackets: 10 });
    withSa(e, 0x1111, true, ciphertext(10, 1).map((p) => p.slice(0, 64)), 1, true);
    withSa(e, 0x2222, false, ciphertext(10, 2).map((p) => p.slice(0, 64)), 2, true);
    const v = run([e]);
    expect(v.pairs[0]!.verdict).toBe('encrypted');
    expect(v.esp.map((x) => x.judgement.confidence)).toEqual(['medium', 'medium']);
    expect(v.pairs[0]!.reasons[0]!.text).toMatch(/snaplen/);
  });

  it('ESP cut by the snaplen so short that fewer than 16 payload bytes show: inconclusive, and why', () => {
    const e = flow({ proto: 50, first: 1, last: 20, origPackets: 10, respPackets: 10 });
    withSa(e, 0x1111, true, ciphertext(10, 1).map((p) => p.slice(0, 20)), 1, true);
    withSa(e, 0x2222, false, ciphertext(10, 2).map((p) => p.slice(0, 20)), 2, true);
    const v = run([e]);
    expect(v.pairs[0]!.verdict).toBe('inconclusive');
    expect(v.pairs[0]!.reasons[0]!.text).toMatch(/snaplen/);
    expect(v.esp.map((x) => x.judgement.reasons[0]!.code)).toEqual(['esp.undetermined', 'esp.undetermined']);
  });

  it('the same session seen twice (two interfaces, or tunnel and NIC) counts once', () => {
    const one = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 10, last: 20, syn: 10, synAck: 11, origPackets: 5, respPackets: 5, origPayload: 100 });
    const twin = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 10, last: 20, syn: 10, synAck: 11, origPackets: 5, respPackets: 5, origPayload: 100, parent: 999, carriedBy: 'ip-https' });
    const v = run([one, twin]);
    expect(v.sessions).toHaveLength(1);
    expect(v.sessions[0]!.flows.sort()).toEqual([one.flow.id, twin.flow.id].sort());
    expect(v.pairs).toHaveLength(1);
  });

  it('neighbour discovery and IKE are not isolation violations', () => {
    const nd = flow({ proto: 58, first: 1, last: 2, origPackets: 1, respPackets: 1, icmpTypes: (1 << (135 - 115)) | (1 << (136 - 115)) });
    const ike = flow({ proto: 17, aPort: 500, bPort: 500, first: 3, last: 8, origPackets: 3, respPackets: 3, isakmp: 6, origPayload: 900 });
    const e = flow({ proto: 50, first: 9, last: 20, origPackets: 5, respPackets: 5 });
    withSa(e, 0x1111, true, ciphertext(5, 1), 9);
    withSa(e, 0x2222, false, ciphertext(5, 2), 10);
    const v = run([nd, ike, e]);
    expect(v.isolation).toEqual([]);
    expect(v.pairs[0]!.verdict).toBe('encrypted');
  });
});

describe('no false assurance', () => {
  // Whatever encrypted ESP is also present, clear or integrity-only traffic between the clients must
  // never leave the pair (or any session) judged encrypted: the worst error a compliance tool can make.
  const weak: [string, () => ClassifiedFlow[]][] = [
    ['clear RA', () => { const r = flow({ proto: 6, aPort: 1, bPort: 49750, syn: 1, synAck: 2, origPackets: 4, respPackets: 4, origPayload: 10 }); rdpFacts(r, 3); return [r]; }],
    ['AH RA', () => [flow({ proto: 6, aPort: 1, bPort: 3389, syn: 1, synAck: 2, origPackets: 4, respPackets: 4, origPayload: 10, ahPackets: 8 })]],
    ['ESP-NULL RA', () => { const e = flow({ proto: 50, origPackets: 3 }); withSa(e, 5, true, nullTcp(3, CLIENT_A, CLIENT_B, 16), 1); return [e]; }],
    ['clear UDP', () => [flow({ proto: 17, aPort: 3540, bPort: 3540, origPackets: 2, respPackets: 2, origPayload: 50 })]],
    ['clear ICMPv6 echo', () => [flow({ proto: 58, origPackets: 1, respPackets: 1, icmpTypes: 1 << (128 - 115) })]],
  ];
  for (const [name, make] of weak) {
    for (const withEncrypted of [false, true]) {
      it(`${name}${withEncrypted ? ' beside encrypted ESP' : ''} is never judged encrypted`, () => {
        const flows = make();
        if (withEncrypted) {
          const e = flow({ proto: 50, origPackets: 10, respPackets: 10 });
          withSa(e, 0x9999, true, ciphertext(10, 77), 50);
          withSa(e, 0x8888, false, ciphertext(10, 88), 51);
          flows.push(e);
        }
        const v = run(flows);
        for (const r of [...v.sessions, ...v.pairs]) expect(r.verdict, `${r.kind}: ${r.reasons.map((n) => n.text).join(' ')}`).not.toBe('encrypted');
        expect(v.pairs.some((p) => p.verdict === 'clear' || p.verdict === 'integrity-only')).toBe(true);
      });
    }
  }
});

describe('verdicts found wrong on the verify fixtures (fixed in src/rules)', () => {
  /** ESP-NULL packets of the answers (B → A, ports reversed) of nullTcp's session. */
  function nullTcpBack(n: number, icv: number): Uint8Array[] {
    const ep = { src: CLIENT_B, dst: CLIENT_A };
    return Array.from({ length: n }, (_, i) => {
      const seg = tcp(ep, { sport: 49750, dport: 49500, seq: 5000 + i, flags: i === 0 ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.ACK }, new Uint8Array(0));
      return esp(0x0eeee002, i + 1, espNullBody(seg, Proto.TCP, icv, 40 + i));
    });
  }

  it('verify-failed.pcapng: the ICMPv6 error that answered a SYN is not a clear session, and the pair failed', () => {
    const syn = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 3, last: 3, syn: 3, origPackets: 1 });
    syn.flow.icmpErrors = [{ frame: 4, version: 6, type: 1, code: 1, param: 0, towardsOrig: true, sender: ip6(CLIENT_B) }];
    // The error itself is a flow from B to A with only ICMPv6 type 1 in it.
    const error = flow({ proto: 58, a: CLIENT_B, b: CLIENT_A, first: 4, last: 4, origPackets: 1, icmpTypes: 1 << 1 });
    const v = run([syn, error]);
    expect(v.sessions.map((s) => [s.protocol, s.verdict, s.state])).toEqual([['tcp', 'failed', 'unreachable']]);
    expect(v.pairs.map((p) => p.verdict)).toEqual(['failed']);
    expect(v.pairs[0]!.reasons[0]!.text).toMatch(/code 1 \(communication administratively prohibited\) in frame 4/);
    // Still unprotected traffic between the clients: the isolation audit keeps it.
    expect(v.isolation.map((i) => [i.protocol, i.frames[0]])).toEqual([['tcp', 3], ['icmpv6', 4]]);
  });

  it('an ICMPv6 error is evidence, never a session or a pair of its own, even when it quotes nothing of this capture', () => {
    const error = flow({ proto: 58, a: CLIENT_B, b: CLIENT_A, first: 4, last: 4, origPackets: 1, icmpTypes: 1 << 1 });
    const v = run([error]);
    expect(v.sessions).toEqual([]);
    expect(v.pairs).toEqual([]);
  });

  it('verify-esp-null.pcapng: one ESP-NULL connection is one session (both SAs), Remote Assistance, and so is its pair', () => {
    const e = flow({ proto: 50, first: 100, last: 140, origPackets: 3, respPackets: 3 });
    const cr = tpkt(x224ConnectionRequest(concat(ascii('Cookie: mstshash=novice\r\n'), Uint8Array.of(1, 0, 8, 0, 1, 0, 0, 0))));
    withSa(e, 0x0eeee001, true, nullTcp(3, CLIENT_A, CLIENT_B, 12, cr), 100);
    withSa(e, 0x0eeee002, false, nullTcpBack(3, 12), 110);
    const v = run([e]);
    expect(v.sessions).toHaveLength(1);
    const s = v.sessions[0]!;
    expect(s).toMatchObject({ verdict: 'integrity-only', protocol: 'tcp', service: { name: 'remote-assistance' }, a: { port: 49500 }, b: { port: 49750 } });
    expect(s.path.join(' ')).toMatch(/SPI 0x0eeee001, NULL encryption, 12-byte ICV; SPI 0x0eeee002, NULL encryption, 12-byte ICV/);
    expect(s.reasons).toHaveLength(2);
    expect([s.firstFrame, s.lastFrame]).toEqual([100, 112]);
    expect(v.pairs[0]).toMatchObject({ verdict: 'integrity-only', service: { name: 'remote-assistance' } });
  });

  it('verify-failed.pcapng: the AuthIP beside a failed SYN does not name the pair\'s service', () => {
    const ike = flow({ proto: 17, aPort: 500, bPort: 500, first: 1, last: 3, origPackets: 3, origPayload: 600, isakmp: 3 });
    const syn = flow({ proto: 6, aPort: 49500, bPort: 49750, first: 4, last: 7, syn: 4, origPackets: 4 });
    const v = run([ike, syn]);
    expect(v.pairs[0]!.service.name).toBe('unknown');
  });

  it('verify-one-way.pcapng: a clear X.224 Connection Confirm on a dynamic port names Remote Assistance', () => {
    const answers = flow({ proto: 6, aPort: 49500, bPort: 49806, first: 9, last: 28, syn: 0, synAck: 9, origPackets: 0, respPackets: 10, respPayload: 4000 });
    answers.flow.rdp = { request: null, confirm: { frame: 12, selectedProtocol: 1, failureCode: null, failureName: null } };
    const v = run([answers]);
    expect(v.sessions[0]!.service).toMatchObject({ name: 'remote-assistance', frames: [12] });
    expect(v.sessions[0]!.service.basis).toMatch(/X\.224 Connection Confirm \(frame 12, selecting TLS\).*dynamic port 49806/);
  });
});
