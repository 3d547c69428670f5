/** IkeNegotiationTracker: pairing and outcomes of AuthIP ([MS-AIPS] §4.1), IKEv1 (RFC 2409 §5) and IKEv2 (RFC 7296 §1.2) negotiations. */
import { describe, expect, it } from 'vitest';
import { IkeNegotiationTracker, MAX_NEGOTIATIONS, type IkeNegotiation } from '../../../src/app/ike-negotiations.js';
import { IsakmpHeader, parseIsakmp, type IsakmpMessage } from '../../../src/app/isakmp.js';
import { hex } from '../../../src/util/bytes.js';
import { fromHex, ip4, ip6, u16, u32, type Bytes } from '../../helpers/build.js';
import {
  apRep, apReq, auth, crypto, cryptoEncrypted, fragment, gss, gssId, gssKerberos, ke, krbError, mainModeSa, md5, message, msNt5Vid,
  nonce, notifyAuthip, notifyV1, notifyV2, rawMessage, saV2, sk, tv, vid,
} from '../../helpers/isakmp-build.js';

/** An endpoint as the tracker reports it: the address in hex of its 16 bytes (IPv4 mapped), as flows give them. */
function endpoint(text: string, port: number): { address: string; port: number } {
  return { address: hex(addressBytes(text)), port };
}

function addressBytes(text: string): Uint8Array {
  if (text.includes(':')) return ip6(text);
  const a = new Uint8Array(16);
  a[10] = a[11] = 0xff;
  a.set(ip4(text), 12);
  return a;
}

const I = endpoint('fe80::1', 500);
const R = endpoint('fe80::2', 500);
const ISPI = 'a1a2a3a4a5a6a7a8';
const RSPI = 'b1b2b3b4b5b6b7b8';

interface Step {
  bytes: Bytes;
  /** Sender: 'i' (initiator) or 'r' (responder). */
  from: 'i' | 'r';
  flowId?: number;
  src?: { address: string; port: number };
  dst?: { address: string; port: number };
}

function parsed(bytes: Bytes, frame = 0): IsakmpMessage {
  const m = parseIsakmp(bytes, 0, bytes.length, frame);
  if (!m) throw new Error('not ISAKMP');
  return m;
}

/** Feeds the steps as frames 1, 2, … one second apart; returns the negotiations. */
function track(steps: Step[]): IkeNegotiation[] {
  const t = new IkeNegotiationTracker();
  steps.forEach((s, i) => {
    const src = s.src ?? (s.from === 'i' ? I : R);
    const dst = s.dst ?? (s.from === 'i' ? R : I);
    const h = new IsakmpHeader();
    expect(h.read(s.bytes, 0, s.bytes.length)).toBe(true);
    const ctx = { frame: i + 1, flowId: s.flowId ?? 1, src: fromHex(src.address), dst: fromHex(dst.address), srcPort: src.port, dstPort: dst.port, sec: 1000 + i, nsec: 0 };
    const slot = t.place(h, ctx);
    if (slot !== null) t.record(slot, parsed(s.bytes, i + 1), ctx);
  });
  return t.finish();
}

function one(steps: Step[]): IkeNegotiation {
  const all = track(steps);
  expect(all).toHaveLength(1);
  return all[0]!;
}

// --- AuthIP Main Mode, protocols.md §4.4 flow #1–#6 ----------------------------------------------------

const SPN = ['host', 'pc2.corp.example.com'];
const mm1 = (): Bytes => message({ ispi: ISPI, exchange: 0xf3 }, [
  crypto(1), mainModeSa([tv(1, 7), tv(2, 4), tv(4, 20)]), auth([2, 5]), nonce(), msNt5Vid(9), vid(md5('MS-Negotiation Discovery Capable')),
]);
const mm2 = (): Bytes => message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [
  crypto(1), mainModeSa([tv(1, 7), tv(2, 4), tv(4, 20)]), auth([2]), nonce(), nonce(), msNt5Vid(8), gssId(SPN.join('/')),
]);
const mm3 = (flags = 0x01): Bytes => message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [
  crypto(2), gss(0, flags, gssKerberos(0x0100, apReq({ realm: 'CORP.EXAMPLE.COM', sname: SPN, etype: 18 }))),
]);
const mm4 = (): Bytes => message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(2, new Uint8Array(8)), gss(0, 0x10, gssKerberos(0x0200, apRep()))]);
const mmEnc = (seq: number): Bytes => message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3, flags: 1 }, [cryptoEncrypted(seq, new Uint8Array(96).fill(seq))]);
const notifyEnc = (): Bytes => message({ ispi: ISPI, rspi: RSPI, exchange: 0xf6, flags: 1 }, [cryptoEncrypted(9, new Uint8Array(48))]);
const notifyStatus = (code: number): Bytes => message({ ispi: ISPI, rspi: RSPI, exchange: 0xf6 }, [crypto(3), notifyAuthip({ type: 0x9c54, flags: 1, data: u32(code) })]);

const AUTHIP_OK: Step[] = [
  { bytes: mm1(), from: 'i' }, { bytes: mm2(), from: 'r' }, { bytes: mm3(), from: 'i' }, { bytes: mm4(), from: 'r' },
  { bytes: mmEnc(3), from: 'i' }, { bytes: mmEnc(3), from: 'r' },
];

describe('AuthIP negotiations', () => {
  it('complete: MM #1–#4 in clear, then encrypted Main Mode from both sides', () => {
    const n = one(AUTHIP_OK);
    expect(n).toMatchObject({
      protocol: 'AuthIP', initiator: I, responder: R, initiatorSpi: ISPI, responderSpi: RSPI, flowIds: [1], firstFrame: 1, lastFrame: 6,
      authMethods: ['Kerberos', 'NTLM'], notifyErrors: [],
    });
    expect(n.outcome.state).toBe('complete');
    expect(n.outcome.frames).toEqual([5, 6]);
    expect(n.outcome.reason).toContain('frame 5');
    expect(n.outcome.reason).toContain('frame 6');
    expect(n.messages.map((m) => [m.frame, m.exchange, m.direction, m.encrypted])).toEqual([
      [1, 'Main Mode', 'i→r', false], [2, 'Main Mode', 'r→i', false], [3, 'Main Mode', 'i→r', false], [4, 'Main Mode', 'r→i', false],
      [5, 'Main Mode', 'i→r', true], [6, 'Main Mode', 'r→i', true],
    ]);
    expect(n.messages[0]).toMatchObject({ sec: 1000, nsec: 0 });
    expect(n.messages[0]!.summary).toBe('Main Mode (clear): Crypto, SA, Auth, Nonce, Vendor ID ×2; auth Kerberos/NTLM');
    expect(n.messages[2]!.summary).toBe('Main Mode (clear): Crypto, GSS-API; GSS kerberos AP-REQ for host/pc2.corp.example.com@CORP.EXAMPLE.COM');
    expect(n.messages[4]!.summary).toBe('Main Mode (encrypted): Crypto');
    expect(n.vendorIds).toEqual({
      initiator: ['MS NT5 ISAKMPOAKLEY (Windows 8 or later / Server 2012 or later)', 'MS-Negotiation Discovery Capable'],
      responder: ['MS NT5 ISAKMPOAKLEY (Windows Server 2008 R2)'],
    });
    expect(n.gss.map((g) => [g.frame, g.direction, g.tokenKind, g.kerberos?.sname ?? null, g.flagNames])).toEqual([
      [3, 'i→r', 'AP-REQ', 'host/pc2.corp.example.com', ['NEW_GSS_EXCHANGE']],
      [4, 'r→i', 'AP-REP', null, ['RESPONDER_AUTH_COMPLETE']],
    ]);
  });

  it('no-response: Main Mode #1 repeated and never answered (protocols.md §7 row 9)', () => {
    const n = one([{ bytes: mm1(), from: 'i' }, { bytes: mm1(), from: 'i' }, { bytes: mm1(), from: 'i' }]);
    expect(n.outcome.state).toBe('no-response');
    expect(n.outcome.frames).toEqual([1, 2, 3]);
    expect(n.outcome.reason).toContain('frames 1, 2, 3');
    expect(n.responderSpi).toBe('0000000000000000');
    expect(n.vendorIds.responder).toEqual([]);
  });

  it('a flood on one SPI pair keeps the first 64 messages and counts the rest (bounded memory)', () => {
    const n = one(Array.from({ length: 200 }, () => ({ bytes: mm1(), from: 'i' as const })));
    expect([n.messages.length, n.messagesNotKept, n.firstFrame, n.lastFrame]).toEqual([64, 136, 1, 200]);
    expect(n.outcome.state).toBe('no-response');
    expect(n.outcome.reason).toMatch(/ 136 later message\(s\), to frame 200, were counted but not examined\.$/);
    expect(one([{ bytes: mm1(), from: 'i' }]).messagesNotKept).toBe(0);
  });

  it(`tracks at most ${MAX_NEGOTIATIONS} negotiations; messages of further ones are counted, earlier ones still grow`, () => {
    const t = new IkeNegotiationTracker();
    const h = new IsakmpHeader();
    const ctx = { frame: 0, flowId: 1, src: fromHex(I.address), dst: fromHex(R.address), srcPort: 500, dstPort: 500, sec: 0, nsec: 0 };
    const add = (ispi: number, frame: number): boolean => {
      const bytes = message({ ispi: ispi.toString(16).padStart(16, '0'), exchange: 0xf3 }, [crypto(1), nonce()]);
      h.read(bytes, 0, bytes.length);
      const slot = t.place(h, { ...ctx, frame });
      if (slot !== null) t.record(slot, parsed(bytes, frame), { ...ctx, frame });
      return slot !== null;
    };
    for (let i = 1; i <= MAX_NEGOTIATIONS; i++) expect(add(i, i)).toBe(true);
    expect([add(MAX_NEGOTIATIONS + 1, 20_001), add(MAX_NEGOTIATIONS + 2, 20_002), add(MAX_NEGOTIATIONS + 1, 20_003)]).toEqual([false, false, false]);
    expect(add(1, 20_004)).toBe(true);
    const all = t.finish();
    expect(all).toHaveLength(MAX_NEGOTIATIONS);
    expect(t.messagesNotTracked).toBe(3);
    expect([all[0]!.messages.length, all[0]!.lastFrame]).toEqual([2, 20_004]);
  });

  it('failed-after-authentication: MM #1–#4 in clear and no encrypted message (protocols.md §7 row 10)', () => {
    const n = one(AUTHIP_OK.slice(0, 4));
    expect(n.outcome.state).toBe('failed-after-authentication');
    expect(n.outcome.frames).toEqual([1, 2, 3, 4]);
    expect(n.outcome.reason).toContain('in clear');
  });

  it('failed-after-authentication: only the initiator reached encrypted Main Mode', () => {
    const n = one(AUTHIP_OK.slice(0, 5));
    expect(n.outcome.state).toBe('failed-after-authentication');
    expect(n.outcome.frames).toEqual([1, 2, 3, 4]);
  });

  it('failed-after-authentication: an encrypted Notify exchange after MM #4', () => {
    const n = one([...AUTHIP_OK.slice(0, 4), { bytes: notifyEnc(), from: 'r' }]);
    expect(n.outcome.state).toBe('failed-after-authentication');
    expect(n.outcome.frames).toEqual([5]);
    expect(n.outcome.reason).toContain('encrypted Notify exchange (frame 5)');
  });

  it('failed-after-authentication: Kerberos failed in clear (protocols.md §7 rows 11, 12)', () => {
    const err = message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [
      crypto(2), gss(0x80090322, 0x04, gssKerberos(0x0300, krbError({ code: 41, realm: 'CORP.EXAMPLE.COM', sname: SPN }))),
    ]);
    const n = one([...AUTHIP_OK.slice(0, 3), { bytes: err, from: 'r' }]);
    expect(n.outcome.state).toBe('failed-after-authentication');
    expect(n.outcome.frames).toEqual([4]);
    expect(n.outcome.reason).toContain('SEC_E_WRONG_PRINCIPAL');
    expect(n.outcome.reason).toContain('KRB_AP_ERR_MODIFIED');
    expect(n.outcome.reason).toContain('RETRY_CURRENT_AUTHENTICATION, frame 4');
    expect(n.gss[1]).toMatchObject({ status: { name: 'SEC_E_WRONG_PRINCIPAL' }, tokenKind: 'KRB-ERROR', kerberos: { errorCode: 41 } });
  });

  it('notify-error: a NOTIFY_STATUS in clear names its Windows error', () => {
    const n = one([{ bytes: mm1(), from: 'i' }, { bytes: mm2(), from: 'r' }, { bytes: notifyStatus(0x35e9), from: 'r' }]);
    expect(n.outcome.state).toBe('notify-error');
    expect(n.outcome.frames).toEqual([3]);
    expect(n.outcome.reason).toBe('The responder sent NOTIFY_STATUS carrying ERROR_IPSEC_IKE_AUTH_FAIL (0x000035e9) in frame 3.');
    expect(n.notifyErrors).toEqual([{
      frame: 3, direction: 'r→i', type: 0x9c54, name: 'NOTIFY_STATUS', windowsError: { code: 0x35e9, hex: '0x000035e9', name: 'ERROR_IPSEC_IKE_AUTH_FAIL' },
    }]);
    expect(n.messages[2]!.summary).toBe('Notify (clear): Crypto, Notification; notify NOTIFY_STATUS ERROR_IPSEC_IKE_AUTH_FAIL');
  });

  it('complete wins over a later NOTIFY_STATUS that deletes the SA', () => {
    const n = one([...AUTHIP_OK, { bytes: notifyStatus(0x35ef), from: 'i' }]);
    expect(n.outcome.state).toBe('complete');
    expect(n.notifyErrors.map((e) => e.windowsError?.name)).toEqual(['ERROR_IPSEC_IKE_SA_DELETED']);
  });

  it('in-progress: the capture ends after MM #2', () => {
    const n = one(AUTHIP_OK.slice(0, 2));
    expect(n.outcome.state).toBe('in-progress');
    expect(n.outcome.frames).toEqual([2]);
    expect(n.outcome.reason).toContain('1 message(s) from the initiator and 1 from the responder');
  });

  it('notes DoS protection and fragmentation in the reason (protocols.md §7 rows 13, 14)', () => {
    const cookie = message({ ispi: ISPI, exchange: 0xf6 }, [notifyAuthip({ type: 0x9c55, data: fromHex(RSPI) })]);
    const frag = message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [fragment(1, 1, false, new Uint8Array(200))]);
    const n = one([{ bytes: mm1(), from: 'i' }, { bytes: cookie, from: 'r' }, { bytes: mm1(), from: 'i' }, { bytes: mm2(), from: 'r' }, { bytes: frag, from: 'i' }]);
    // The cookie notify is not a failure: the negotiation is still running.
    expect(n.outcome.state).toBe('in-progress');
    expect(n.outcome.reason).toContain('DoS-protection mode (NOTIFY_DOS_COOKIE, frame 2)');
    expect(n.outcome.reason).toContain('fragmented (frame 5)');
    expect(n.messages[4]!.summary).toBe('Main Mode (clear): Fragment; fragment 1');
  });
});

describe('pairing', () => {
  it('puts a message whose responder SPI is zero into the negotiation of its initiator SPI', () => {
    const n = one([{ bytes: mm1(), from: 'i' }, { bytes: mm2(), from: 'r' }, { bytes: mm1(), from: 'i' }, { bytes: mm3(), from: 'i' }]);
    expect(n.messages.map((m) => m.frame)).toEqual([1, 2, 3, 4]);
    expect(n.responderSpi).toBe(RSPI);
  });

  it('keeps negotiations apart by responder SPI, protocol and address pair', () => {
    const other = 'c1c2c3c4c5c6c7c8';
    const mm2b = message({ ispi: ISPI, rspi: other, exchange: 0xf3 }, [crypto(1), auth([2])]);
    const ikev1 = message({ ispi: ISPI, exchange: 2 }, [mainModeSa([tv(3, 65001)]), msNt5Vid(9), vid(md5('MS-MamieExists'))]);
    const elsewhere = endpoint('fe80::9', 500);
    const all = track([
      { bytes: mm1(), from: 'i' }, { bytes: mm2(), from: 'r' }, { bytes: mm2b, from: 'r' }, { bytes: ikev1, from: 'i' },
      { bytes: mm1(), from: 'i', dst: elsewhere },
    ]);
    expect(all.map((n) => [n.protocol, n.responderSpi, n.responder.address, n.messages.map((m) => m.frame)])).toEqual([
      ['AuthIP', RSPI, R.address, [1, 2]],
      ['AuthIP', other, I.address, [3]],
      ['IKEv1', '0000000000000000', R.address, [4]],
      ['AuthIP', '0000000000000000', elsewhere.address, [5]],
    ]);
    // The IKEv1 offer sent beside AuthIP goes unanswered by an AuthIP responder ([MS-AIPS] §3.3.5.2).
    expect(all[2]!.outcome.state).toBe('no-response');
    expect(all[2]!.outcome.reason).toContain('MS-MamieExists');
    expect(all[2]!.authMethods).toEqual(['GSS-API Kerberos']);
  });

  it('keeps one negotiation across the NAT-T move from port 500 to 4500, listing both flows', () => {
    const i4500 = { address: I.address, port: 4500 };
    const r4500 = { address: R.address, port: 4500 };
    const n = one([
      ...AUTHIP_OK.slice(0, 4),
      { bytes: mmEnc(3), from: 'i', flowId: 2, src: i4500, dst: r4500 }, { bytes: mmEnc(3), from: 'r', flowId: 2, src: r4500, dst: i4500 },
    ]);
    expect(n.flowIds).toEqual([1, 2]);
    expect(n.initiator).toEqual(I);
    expect(n.messages.map((m) => m.direction)).toEqual(['i→r', 'r→i', 'i→r', 'r→i', 'i→r', 'r→i']);
    expect(n.outcome.state).toBe('complete');
  });

  it('tells the sides apart by port when both peers share an address', () => {
    const a = endpoint('127.0.0.1', 500);
    const b = endpoint('127.0.0.1', 4501);
    const n = one([{ bytes: mm1(), from: 'i', src: a, dst: b }, { bytes: mm2(), from: 'r', src: b, dst: a }]);
    expect(n.messages.map((m) => m.direction)).toEqual(['i→r', 'r→i']);
  });

  it('orders negotiations by their first frame', () => {
    const all = track([
      { bytes: message({ ispi: 'f0f0f0f0f0f0f0f0', exchange: 0xf3 }, [crypto(1)]), from: 'i' },
      { bytes: mm1(), from: 'i' },
      { bytes: message({ ispi: 'f0f0f0f0f0f0f0f0', rspi: RSPI, exchange: 0xf3 }, [crypto(1)]), from: 'r' },
    ]);
    expect(all.map((n) => [n.initiatorSpi, n.firstFrame, n.lastFrame])).toEqual([['f0f0f0f0f0f0f0f0', 1, 3], [ISPI, 2, 2]]);
  });
});

// --- IKEv1, RFC 2409 §5 ----------------------------------------------------------------------------------

const v1 = (exchange: number, rspi: string | undefined, flags: number, payloads: Parameters<typeof message>[1], messageId = 0): Bytes =>
  message({ ispi: ISPI, rspi, exchange, flags, messageId }, payloads);
const v1Enc = (exchange: number, messageId = 0): Bytes => rawMessage({ ispi: ISPI, rspi: RSPI, exchange, flags: 1, nextPayload: 8, messageId }, new Uint8Array(64));
const V1_MAIN_MODE: Step[] = [
  { bytes: v1(2, undefined, 0, [mainModeSa([tv(1, 7), tv(3, 65001)]), msNt5Vid(7)]), from: 'i' },
  { bytes: v1(2, RSPI, 0, [mainModeSa([tv(1, 7), tv(3, 65001)]), msNt5Vid(7)]), from: 'r' },
  { bytes: v1(2, RSPI, 0, [ke(), nonce()]), from: 'i' },
  { bytes: v1(2, RSPI, 0, [ke(), nonce()]), from: 'r' },
  { bytes: v1Enc(2), from: 'i' },
  { bytes: v1Enc(2), from: 'r' },
];

describe('IKEv1 negotiations', () => {
  it('complete: Main Mode, then Quick Mode both ways', () => {
    const n = one([...V1_MAIN_MODE, { bytes: v1Enc(32, 7), from: 'i' }, { bytes: v1Enc(32, 7), from: 'r' }, { bytes: v1Enc(32, 7), from: 'i' }]);
    expect(n.outcome.state).toBe('complete');
    expect(n.outcome.frames).toEqual([6, 7, 8]);
    expect(n.outcome.reason).toBe('Identity Protection (Main Mode) (frames 1, 6) finished and Quick Mode ran both ways (frames 7, 8).');
    expect(n.authMethods).toEqual(['GSS-API Kerberos']);
  });

  it('complete: Quick Mode both ways when phase 1 came before the capture', () => {
    const n = one([{ bytes: v1Enc(32, 7), from: 'i' }, { bytes: v1Enc(32, 7), from: 'r' }]);
    expect(n.outcome.state).toBe('complete');
    expect(n.outcome.frames).toEqual([1, 2]);
    expect(n.outcome.reason).toContain('before the capture');
  });

  it('notify-error: NO_PROPOSAL_CHOSEN in a clear Informational exchange', () => {
    const n = one([V1_MAIN_MODE[0]!, { bytes: v1(5, RSPI, 0, [notifyV1({ type: 14, spi: fromHex(ISPI + RSPI) })], 0x55), from: 'r' }]);
    expect(n.outcome).toEqual({ state: 'notify-error', reason: 'The responder sent NO_PROPOSAL_CHOSEN in frame 2.', frames: [2] });
    expect(n.notifyErrors).toEqual([{ frame: 2, direction: 'r→i', type: 14, name: 'NO_PROPOSAL_CHOSEN', windowsError: null }]);
  });

  it('failed-after-authentication: Main Mode done both ways, then an Informational and no Quick Mode', () => {
    const n = one([...V1_MAIN_MODE, { bytes: v1Enc(32, 7), from: 'i' }, { bytes: v1Enc(5, 9), from: 'r' }]);
    expect(n.outcome.state).toBe('failed-after-authentication');
    expect(n.outcome.frames).toEqual([5, 6, 8]);
  });

  it('in-progress: Main Mode stopped half-way', () => {
    expect(one(V1_MAIN_MODE.slice(0, 3)).outcome.state).toBe('in-progress');
    // Encrypted Main Mode both ways with no Informational after it is still running.
    expect(one(V1_MAIN_MODE).outcome.state).toBe('in-progress');
  });
});

// --- IKEv2, RFC 7296 §1.2 --------------------------------------------------------------------------------

const v2 = (exchange: number, rspi: string | undefined, flags: number, payloads: Parameters<typeof message>[1], messageId = 0): Bytes =>
  message({ ispi: ISPI, rspi, exchange, version: 0x20, flags, messageId }, payloads);
const INIT_REQ = (): Bytes => v2(34, undefined, 0x08, [saV2(), ke(32, 34), nonce(16, 40)]);
const INIT_RESP = (): Bytes => v2(34, RSPI, 0x20, [saV2(), ke(32, 34), nonce(16, 40)]);
const AUTH_REQ = (): Bytes => v2(35, RSPI, 0x08, [sk(35, new Uint8Array(80))], 1);
const AUTH_RESP = (): Bytes => v2(35, RSPI, 0x20, [sk(36, new Uint8Array(80))], 1);

describe('IKEv2 negotiations', () => {
  it('complete: IKE_SA_INIT answered after a COOKIE round, then IKE_AUTH both ways', () => {
    const cookie = v2(34, undefined, 0x20, [notifyV2({ type: 16390, data: new Uint8Array(16) })]);
    const n = one([
      { bytes: INIT_REQ(), from: 'i' }, { bytes: cookie, from: 'r' }, { bytes: INIT_REQ(), from: 'i' }, { bytes: INIT_RESP(), from: 'r' },
      { bytes: AUTH_REQ(), from: 'i' }, { bytes: AUTH_RESP(), from: 'r' },
    ]);
    expect(n.outcome.state).toBe('complete');
    // The COOKIE response (frame 2) left the responder SPI zero; the answer is frame 4.
    expect(n.outcome.frames).toEqual([4, 5, 6]);
    expect(n.outcome.reason).toBe('IKE_SA_INIT was answered (frames 1, 4) and IKE_AUTH ran both ways (frames 5, 6).');
    expect(n.messages[4]!.summary).toBe('IKE_AUTH (encrypted): SK');
  });

  it('takes the roles from the I flag when the first message seen is a response', () => {
    const n = one([{ bytes: INIT_RESP(), from: 'r' }, { bytes: AUTH_REQ(), from: 'i' }, { bytes: AUTH_RESP(), from: 'r' }]);
    expect(n.initiator).toEqual(I);
    expect(n.responder).toEqual(R);
    expect(n.messages.map((m) => m.direction)).toEqual(['r→i', 'i→r', 'r→i']);
    expect(n.outcome.state).toBe('in-progress');
  });

  it('notify-error: INVALID_KE_PAYLOAD in the IKE_SA_INIT response', () => {
    const n = one([{ bytes: INIT_REQ(), from: 'i' }, { bytes: v2(34, undefined, 0x20, [notifyV2({ type: 17, data: u16(19) })]), from: 'r' }]);
    expect(n.outcome).toEqual({ state: 'notify-error', reason: 'The responder sent INVALID_KE_PAYLOAD in frame 2.', frames: [2] });
  });

  it('no-response and in-progress', () => {
    expect(one([{ bytes: INIT_REQ(), from: 'i' }, { bytes: INIT_REQ(), from: 'i' }]).outcome.state).toBe('no-response');
    expect(one([{ bytes: INIT_REQ(), from: 'i' }, { bytes: INIT_RESP(), from: 'r' }, { bytes: AUTH_REQ(), from: 'i' }]).outcome).toEqual({
      state: 'in-progress',
      reason: 'The capture ends mid-negotiation after 2 message(s) from the initiator and 1 from the responder (last frame 3).',
      frames: [3],
    });
  });
});

describe('output', () => {
  it('is plain JSON-ready data', () => {
    const all = track(AUTHIP_OK);
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
  });
});
