/**
 * RDP connection start (src/app/rdp.ts; MS-RDPBCGR §2.2.1.1–2.2.1.2): TPKT (RFC 1006) + X.224 Connection Request or
 * Confirm with the cookie and RDP_NEG_REQ / RDP_NEG_RSP / RDP_NEG_FAILURE. The four kinds of tests of architecture §7.
 * The tshark lines above known-good messages come from `tshark -n -r` on the message sent alone in an
 * Ethernet/IPv4/TCP frame between 192.0.2.10:50000 and 198.51.100.20:3389, written with PcapWriter (frame number
 * and time columns left out). Every parse reads a guarded buffer (./bounds.ts): a read outside [start, end) fails.
 */

import { describe, expect, it } from 'vitest';
import { parseRdpConfirm, parseRdpRequest, rdpProtocolNames, type RdpConfirm, type RdpRequest } from '../../../src/app/rdp.js';
import { ascii, concat, rdpNegotiation, RdpNeg, tpkt, x224ConnectionConfirm, x224ConnectionRequest, type Bytes } from '../../helpers/build.js';
import { parseGuarded, patched, prefixes } from './bounds.js';

const FRAME = 7;
const request = (b: Bytes, n = b.length, after = 0): RdpRequest | null => parseGuarded(b, (buf, s, e) => parseRdpRequest(buf, s, e, FRAME), n, after);
const confirm = (b: Bytes, n = b.length, after = 0): RdpConfirm | null => parseGuarded(b, (buf, s, e) => parseRdpConfirm(buf, s, e, FRAME), n, after);

/** requestedProtocols of mstsc: PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX. */
const MSTSC = 0x0b;
const COOKIE = ascii('Cookie: mstshash=helpdesk\r\n');

// 192.0.2.10 → 198.51.100.20 RDP 100 Cookie: mstshash=helpdesk, Negotiate Request
const CR = tpkt(x224ConnectionRequest(concat(COOKIE, rdpNegotiation(RdpNeg.Request, 0, MSTSC))));
// 192.0.2.10 → 198.51.100.20 RDP 90 Cookie: mstshash=novice
const CR_COOKIE_ONLY = tpkt(x224ConnectionRequest(ascii('Cookie: mstshash=novice\r\n')));
// 192.0.2.10 → 198.51.100.20 RDP 109 Cookie: msts=3640205228.15629.0000, Negotiate Request
const CR_ROUTING_TOKEN = tpkt(x224ConnectionRequest(concat(ascii('Cookie: msts=3640205228.15629.0000\r\n'), rdpNegotiation(RdpNeg.Request, 0, 0x03))));
// 192.0.2.10 → 198.51.100.20 RDP 73 Negotiate Request
const CR_NEG_ONLY = tpkt(x224ConnectionRequest(rdpNegotiation(RdpNeg.Request, 0, 0x01)));
// 198.51.100.20 → 192.0.2.10 RDP 73 Negotiate Response
const CC = tpkt(x224ConnectionConfirm(rdpNegotiation(RdpNeg.Response, 0x1f, 0x02)));
// 198.51.100.20 → 192.0.2.10 RDP 73 Negotiate Failure, failureCode Server requires Enhanced RDP Security with CredSSP
const CC_FAILURE = tpkt(x224ConnectionConfirm(rdpNegotiation(RdpNeg.Failure, 0, 5)));
// 198.51.100.20 → 192.0.2.10 COTP 65 CC TPDU src-ref: 0x1234 dst-ref: 0x0000
const CC_LEGACY = tpkt(x224ConnectionConfirm(new Uint8Array(0)));

/** Offsets: TPKT version 0, reserved 1, length 2–3; X.224 LI 4, code 5, dst-ref 6, src-ref 8, class 10; variable part from 11. */
const TPKT_LENGTH = 2;
const LI = 4;
const CODE = 5;
const VAR = 11;
/** The RDP_NEG structure of CR: after the cookie line. */
const NEG = VAR + COOKIE.length;

describe('parseRdpRequest / parseRdpConfirm: known good', () => {
  it('a Connection Request with cookie and RDP_NEG_REQ: both read, at absolute offsets', () => {
    expect(request(CR)).toEqual({ frame: FRAME, cookie: 'helpdesk', requestedProtocols: MSTSC });
  });

  it('a cookie without RDP_NEG_REQ: the client offers Standard RDP Security only (requestedProtocols null)', () => {
    expect(request(CR_COOKIE_ONLY)).toEqual({ frame: FRAME, cookie: 'novice', requestedProtocols: null });
  });

  it('a routing token (Cookie: msts=…) is skipped to its CR LF, not taken for a cookie; the negotiation after it is read', () => {
    expect(request(CR_ROUTING_TOKEN)).toEqual({ frame: FRAME, cookie: null, requestedProtocols: 0x03 });
  });

  it('RDP_NEG_REQ without a cookie', () => {
    expect(request(CR_NEG_ONLY)).toEqual({ frame: FRAME, cookie: null, requestedProtocols: 0x01 });
  });

  it('a Connection Confirm with RDP_NEG_RSP: the selected protocol (CredSSP)', () => {
    expect(confirm(CC)).toEqual({ frame: FRAME, selectedProtocol: 0x02, failureCode: null, failureName: null });
  });

  it('a Connection Confirm with RDP_NEG_FAILURE: the code and its name, no selected protocol', () => {
    expect(confirm(CC_FAILURE)).toEqual({ frame: FRAME, selectedProtocol: null, failureCode: 5, failureName: 'HYBRID_REQUIRED_BY_SERVER' });
  });

  it('a Connection Confirm without negotiation data (a server before RDP 5.2): Standard RDP Security, 0', () => {
    expect(confirm(CC_LEGACY)).toEqual({ frame: FRAME, selectedProtocol: 0, failureCode: null, failureName: null });
  });

  it('each parser answers only its own TPDU: a Request is no Confirm and a Confirm no Request', () => {
    for (const cr of [CR, CR_COOKIE_ONLY, CR_ROUTING_TOKEN, CR_NEG_ONLY]) expect(confirm(cr)).toBeNull();
    for (const cc of [CC, CC_FAILURE, CC_LEGACY]) expect(request(cc)).toBeNull();
  });

  it('every failure code of MS-RDPBCGR §2.2.1.2.2 is named', () => {
    const names = [1, 2, 3, 4, 5, 6].map((code) => confirm(tpkt(x224ConnectionConfirm(rdpNegotiation(RdpNeg.Failure, 0, code))))?.failureName);
    expect(names).toEqual([
      'SSL_REQUIRED_BY_SERVER', 'SSL_NOT_ALLOWED_BY_SERVER', 'SSL_CERT_NOT_ON_SERVER', 'INCONSISTENT_FLAGS', 'HYBRID_REQUIRED_BY_SERVER',
      'SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER',
    ]);
  });
});

describe('rdpProtocolNames', () => {
  it('0 is Standard RDP Security; each bit of MS-RDPBCGR §2.2.1.1.1 is named, lowest first', () => {
    expect(rdpProtocolNames(0)).toEqual(['Standard RDP Security']);
    expect(rdpProtocolNames(0x01)).toEqual(['TLS']);
    expect(rdpProtocolNames(MSTSC)).toEqual(['TLS', 'CredSSP', 'CredSSP with Early User Authorization']);
    expect(rdpProtocolNames(0x1f)).toEqual(['TLS', 'CredSSP', 'RDSTLS', 'CredSSP with Early User Authorization', 'RDS AAD']);
  });

  it('bits it does not know are shown in hex, never dropped (a mask of only unknown bits is not an empty list)', () => {
    expect(rdpProtocolNames(0x20)).toEqual(['unknown 0x20']);
    expect(rdpProtocolNames(0x80000001)).toEqual(['TLS', 'unknown 0x80000000']);
  });
});

describe('truncation sweep: every prefix is null, never a throw or a read past end', () => {
  it.each([
    ['CR', CR], ['CR cookie only', CR_COOKIE_ONLY], ['CR routing token', CR_ROUTING_TOKEN], ['CR negotiation only', CR_NEG_ONLY],
  ])('%s', (_name, bytes) => {
    // The TPKT length covers the whole message: any prefix is shorter than it says.
    expect(prefixes(bytes, (b, s, e) => parseRdpRequest(b, s, e, FRAME)).every((r) => r === null)).toBe(true);
  });

  it.each([['CC', CC], ['CC failure', CC_FAILURE], ['CC legacy', CC_LEGACY]])('%s', (_name, bytes) => {
    expect(prefixes(bytes, (b, s, e) => parseRdpConfirm(b, s, e, FRAME)).every((r) => r === null)).toBe(true);
  });
});

describe('malformed: one field patched per check', () => {
  it('TPKT version other than 3, or reserved byte not 0: null', () => {
    expect(request(patched(CR, 0, 2))).toBeNull();
    expect(request(patched(CR, 1, 1))).toBeNull();
    expect(confirm(patched(CC, 0, 4))).toBeNull();
  });

  it('TPKT length below the 11 bytes of TPKT + X.224 CR/CC, or above the bytes there: null', () => {
    expect(request(patched(CR, TPKT_LENGTH, 0, 10))).toBeNull();
    expect(request(patched(CR, TPKT_LENGTH, 0, 0))).toBeNull();
    expect(request(patched(CR, TPKT_LENGTH, 0, CR.length + 1))).toBeNull();
    expect(confirm(patched(CC, TPKT_LENGTH, 0xff, 0xff))).toBeNull();
  });

  it('X.224 LI reaching past the TPKT length: null', () => {
    expect(request(patched(CR, LI, CR[LI]! + 1))).toBeNull();
    expect(confirm(patched(CC, LI, 0xff))).toBeNull();
  });

  it('X.224 LI shorter than the 6 bytes of the CR/CC fixed part: null, not a request or confirm without negotiation', () => {
    // LI counts code, dst-ref, src-ref and class at least (ITU-T X.224 §13.3.1, §13.4.1).
    for (const li of [0, 1, 5]) {
      expect(request(patched(CR, LI, li)), `LI ${li}`).toBeNull();
      expect(confirm(patched(CC, LI, li)), `LI ${li}`).toBeNull();
    }
  });

  it('X.224 LI that stops before the negotiation: the variable part ends at LI, the rest of the TPKT is not read as RDP_NEG', () => {
    expect(request(patched(CR, LI, 6 + COOKIE.length))).toEqual({ frame: FRAME, cookie: 'helpdesk', requestedProtocols: null });
    expect(request(patched(CR, LI, 6 + COOKIE.length + 7))).toEqual({ frame: FRAME, cookie: 'helpdesk', requestedProtocols: null });
    // A confirm whose LI leaves its RDP_NEG_RSP outside reads as one without negotiation data.
    expect(confirm(patched(CC, LI, 6))).toEqual({ frame: FRAME, selectedProtocol: 0, failureCode: null, failureName: null });
  });

  it('X.224 code: a Data TPDU (0xF0) or a Disconnect Request (0x80) is neither; the low nibble (CDT) is ignored', () => {
    expect(request(patched(CR, CODE, 0xf0))).toBeNull();
    expect(confirm(patched(CC, CODE, 0x80))).toBeNull();
    expect(request(patched(CR, CODE, 0xe1))).toEqual(request(CR));
  });

  it('RDP_NEG length other than 8 (LE): the negotiation is not read', () => {
    expect(request(patched(CR, NEG + 2, 9))).toEqual({ frame: FRAME, cookie: 'helpdesk', requestedProtocols: null });
    expect(request(patched(CR, NEG + 3, 1))).toEqual({ frame: FRAME, cookie: 'helpdesk', requestedProtocols: null });
    // In a confirm, negotiation data that cannot be read leaves the selection unknown (null), not Standard RDP Security.
    expect(confirm(patched(CC, VAR + 2, 16))).toEqual({ frame: FRAME, selectedProtocol: null, failureCode: null, failureName: null });
  });

  it('RDP_NEG of the wrong type: a response in a request, a request in a confirm', () => {
    expect(request(patched(CR, NEG, RdpNeg.Response))?.requestedProtocols).toBeNull();
    expect(confirm(patched(CC, VAR, RdpNeg.Request))).toEqual({ frame: FRAME, selectedProtocol: null, failureCode: null, failureName: null });
  });

  it('an RDP_NEG_FAILURE code outside the table: the code, no name', () => {
    expect(confirm(patched(CC_FAILURE, VAR + 4, 9))).toEqual({ frame: FRAME, selectedProtocol: null, failureCode: 9, failureName: null });
  });

  it('a cookie without CR LF: no cookie, and the negotiation bytes are not swallowed into one', () => {
    // MS-RDPBCGR §2.2.1.1: the cookie ends with CR LF (0x0D0A). Without it the line has no end inside the TPDU.
    const noCrlf = tpkt(x224ConnectionRequest(concat(ascii('Cookie: mstshash=helpdesk'), rdpNegotiation(RdpNeg.Request, 0, MSTSC))));
    expect(request(noCrlf)).toEqual({ frame: FRAME, cookie: null, requestedProtocols: null });
    const lfOnly = tpkt(x224ConnectionRequest(concat(ascii('Cookie: mstshash=helpdesk\n'), rdpNegotiation(RdpNeg.Request, 0, MSTSC))));
    expect(request(lfOnly)).toEqual({ frame: FRAME, cookie: null, requestedProtocols: null });
    expect(request(tpkt(x224ConnectionRequest(ascii('Cookie: mstshash=novice'))))).toEqual({ frame: FRAME, cookie: null, requestedProtocols: null });
  });

  it('a CR LF split by the LI (CR inside, LF outside): no cookie', () => {
    expect(request(patched(CR, LI, 6 + COOKIE.length - 1))).toEqual({ frame: FRAME, cookie: null, requestedProtocols: null });
  });

  it('an empty cookie value is an empty string, not null', () => {
    expect(request(tpkt(x224ConnectionRequest(ascii('Cookie: mstshash=\r\n'))))).toEqual({ frame: FRAME, cookie: '', requestedProtocols: null });
  });
});

describe('clamping: bytes after end never change the result', () => {
  it.each([
    ['CR', CR, request], ['CR cookie only', CR_COOKIE_ONLY, request], ['CC', CC, confirm], ['CC failure', CC_FAILURE, confirm], ['CC legacy', CC_LEGACY, confirm],
  ] as const)('%s followed by 0xAA filler past end: same result, filler never read', (_name, bytes, parse) => {
    expect(parse(bytes, bytes.length, 32)).toEqual(parse(bytes));
  });

  it('bytes after the TPKT but before end (the next PDU in the segment) are not part of it', () => {
    const more = concat(CR, tpkt(Uint8Array.of(2, 0xf0, 0x80, 0x7f, 0x65)));
    expect(request(more)).toEqual(request(CR));
    const filler = concat(CC_LEGACY, new Uint8Array(16).fill(0xaa));
    expect(confirm(filler)).toEqual(confirm(CC_LEGACY));
  });

  it('a cookie line search stops at the end of the variable part, not at a CR LF after it', () => {
    // LI ends the TPDU inside the cookie; a CR LF exists only in bytes after it.
    const cut = patched(CR, LI, 6 + 10);
    expect(request(cut)).toEqual({ frame: FRAME, cookie: null, requestedProtocols: null });
  });
});
