/** parseIsakmp: IKEv1 (RFC 2408/2409), IKEv2 (RFC 7296) and AuthIP ([MS-AIPS] §2.2) messages, bounds and anomalies. */
import { describe, expect, it } from 'vitest';
import { allAnomalies } from '../../../src/anomalies/registry.js';
import { IsakmpHeader, parseIsakmp, type IsakmpMessage } from '../../../src/app/isakmp.js';
import { ascii, concat, fromHex, u16, u32, type Bytes } from '../../helpers/build.js';
import {
  apRep, apReq, auth, chain, crypto, cryptoEncrypted, der, fragment, gss, gssId, gssKerberos, ke, krbError, mainModeSa, md5, message,
  msNt5Vid, natD, nonce, notifyAuthip, notifyV1, notifyV2, proposal, rawMessage, sa, saV2, sk, skf, tlv, transform, tv, vid, vidV2,
} from '../../helpers/isakmp-build.js';

const ISPI = '1122334455667788';
const RSPI = '99aabbccddeeff00';

function parse(bytes: Bytes, frame = 7): IsakmpMessage {
  const m = parseIsakmp(bytes, 0, bytes.length, frame);
  if (!m) throw new Error('not parsed');
  return m;
}

/** Windows 7 IKEv1 Main Mode #1 offering Kerberos (65001), as protocols.md §4.6 describes it. */
function ikev1MainMode1(): Bytes {
  return message({ ispi: ISPI, exchange: 2 }, [
    mainModeSa([tv(1, 7), tv(14, 128), tv(2, 2), tv(4, 14), tv(3, 65001), tv(11, 1), tlv(12, u32(28800))]),
    msNt5Vid(7), vid(md5('RFC 3947')), vid(md5('FRAGMENTATION')), vid(md5('MS-MamieExists')),
  ]);
}

/** AuthIP Main Mode #1 (protocols.md §4.4 flow #1): Crypto, SA, Auth, Nonce, VIDs. */
function authipMm1(): Bytes {
  return message({ ispi: ISPI, exchange: 0xf3 }, [
    crypto(1), mainModeSa([tv(1, 7), tv(14, 256), tv(2, 4), tv(4, 20)]), auth([2, 5, 3]), nonce(),
    msNt5Vid(9), vid(md5('MS-Negotiation Discovery Capable')), vid(md5('IKE CGA version 1')),
  ]);
}

/** AuthIP Main Mode #3: the Kerberos AP-REQ in clear (flow #3). */
function authipMm3(): Bytes {
  const token = gssKerberos(0x0100, apReq({ realm: 'CORP.EXAMPLE.COM', sname: ['host', 'pc2.corp.example.com'], etype: 18 }));
  return message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(3, fromHex('0102030405060708')), gss(0, 0x01, token)]);
}

function ikev2Init(): Bytes {
  return message({ ispi: ISPI, exchange: 34, version: 0x20, flags: 0x08 }, [
    saV2(), ke(32, 34), nonce(16, 40), notifyV2({ type: 16388, data: new Uint8Array(20).fill(1) }), notifyV2({ type: 16389, data: new Uint8Array(20).fill(2) }),
    vidV2(md5('MS NT5 ISAKMPOAKLEY')),
  ]);
}

describe('parseIsakmp: header', () => {
  it('reads the IKEv1 header fields and names', () => {
    const m = parse(ikev1MainMode1(), 3);
    expect(m).toMatchObject({
      frame: 3, initiatorSpi: ISPI, responderSpi: '0000000000000000', nextPayload: 1, version: { major: 1, minor: 0 },
      protocol: 'IKEv1', exchange: 2, exchangeName: 'Identity Protection (Main Mode)', flags: { value: 0, names: [] },
      encrypted: false, messageId: 0, anomalies: [],
    });
    expect(m.length).toBe(ikev1MainMode1().length);
    expect(m.parsedLength).toBe(m.length);
    expect(m.payloads.map((p) => [p.type, p.name])).toEqual([[1, 'SA'], [13, 'Vendor ID'], [13, 'Vendor ID'], [13, 'Vendor ID'], [13, 'Vendor ID']]);
    // Offsets are from the message start: the SA right after the header, each VID after the one before.
    expect(m.payloads[0]).toMatchObject({ offset: 28, length: m.payloads[1]!.offset - 28 });
    expect(m.payloads[4]!.offset + m.payloads[4]!.length).toBe(m.length);
  });

  it('is not ISAKMP below 28 bytes or with a major version other than 1 or 2', () => {
    const good = ikev1MainMode1();
    expect(parseIsakmp(good, 0, 27, 1)).toBeNull();
    for (const version of [0x00, 0x30, 0xf0]) {
      const b = good.slice();
      b[17] = version;
      expect(parseIsakmp(b, 0, b.length, 1), `version 0x${version.toString(16)}`).toBeNull();
    }
    const minor = good.slice();
    minor[17] = 0x11;
    expect(parse(minor).version).toEqual({ major: 1, minor: 1 });
  });

  it('reads at absolute offsets inside a larger buffer', () => {
    const inner = ikev1MainMode1();
    const buf = concat(new Uint8Array(9).fill(0xee), inner, new Uint8Array(5).fill(0xee));
    const m = parseIsakmp(buf, 9, 9 + inner.length, 1)!;
    expect(m).toEqual(parse(inner, 1));
  });

  it('names every exchange type of IKEv1, IKEv2 and AuthIP', () => {
    const cases: [version: number, exchange: number, protocol: string, name: string][] = [
      [0x10, 0, 'IKEv1', 'None'], [0x10, 1, 'IKEv1', 'Base'], [0x10, 2, 'IKEv1', 'Identity Protection (Main Mode)'],
      [0x10, 3, 'IKEv1', 'Authentication Only'], [0x10, 4, 'IKEv1', 'Aggressive'], [0x10, 5, 'IKEv1', 'Informational'],
      [0x10, 6, 'IKEv1', 'Transaction (Config Mode)'], [0x10, 32, 'IKEv1', 'Quick Mode'], [0x10, 33, 'IKEv1', 'New Group Mode'],
      [0x10, 240, 'IKEv1', 'Unknown 240'],
      [0x20, 34, 'IKEv2', 'IKE_SA_INIT'], [0x20, 35, 'IKEv2', 'IKE_AUTH'], [0x20, 36, 'IKEv2', 'CREATE_CHILD_SA'],
      [0x20, 37, 'IKEv2', 'INFORMATIONAL'], [0x20, 38, 'IKEv2', 'IKE_SESSION_RESUME'], [0x20, 43, 'IKEv2', 'IKE_INTERMEDIATE'],
      [0x20, 0xf3, 'IKEv2', 'Unknown 243'],
      [0x10, 0xf3, 'AuthIP', 'Main Mode'], [0x10, 0xf4, 'AuthIP', 'Quick Mode'], [0x10, 0xf5, 'AuthIP', 'Extended Mode'],
      [0x10, 0xf6, 'AuthIP', 'Notify'],
    ];
    for (const [version, exchange, protocol, name] of cases) {
      const m = parse(message({ ispi: ISPI, exchange, version }, exchange >= 0xf3 && version === 0x10 ? [crypto(1)] : []));
      expect([m.protocol, m.exchangeName], `0x${version.toString(16)}/${exchange}`).toEqual([protocol, name]);
    }
  });

  it('decodes IKEv1 flags E/C/A and IKEv2 flags I/V/R', () => {
    expect(parse(rawMessage({ ispi: ISPI, exchange: 32, flags: 0x07, nextPayload: 8 }, new Uint8Array(16))).flags)
      .toEqual({ value: 7, names: ['E', 'C', 'A'] });
    expect(parse(message({ ispi: ISPI, exchange: 34, version: 0x20, flags: 0x38 }, [])).flags).toEqual({ value: 0x38, names: ['I', 'V', 'R'] });
    // Bit 0x01 means nothing in IKEv2: it does not make a message encrypted.
    const v2 = parse(message({ ispi: ISPI, exchange: 34, version: 0x20, flags: 0x01 }, [nonce(16, 40)]));
    expect(v2.flags.names).toEqual([]);
    expect(v2.encrypted).toBe(false);
  });
});

describe('parseIsakmp: IKEv1', () => {
  it('reads the Main Mode SA transform, with 65001 named GSS-API Kerberos next to the MS NT5 vendor ID', () => {
    const m = parse(ikev1MainMode1());
    expect(m.sa).toHaveLength(1);
    expect(m.sa[0]).toMatchObject({ doi: 1, situation: 1 });
    const [p] = m.sa[0]!.proposals;
    expect(p).toMatchObject({ number: 1, protocolId: 1, protocolName: 'ISAKMP', spi: '' });
    expect(p!.transforms).toHaveLength(1);
    expect(p!.transforms[0]).toMatchObject({ number: 1, id: 1, idName: 'KEY_IKE' });
    expect(p!.transforms[0]!.attributes.map((a) => [a.name, a.value, a.valueName])).toEqual([
      ['Encryption-Algorithm', 7, 'AES-CBC'], ['Key-Length', 128, null], ['Hash-Algorithm', 2, 'SHA'],
      ['Group-Description', 14, '2048-bit MODP'], ['Authentication-Method', 65001, 'GSS-API Kerberos'],
      ['Life-Type', 1, 'Seconds'], ['Life-Duration', 28800, null],
    ]);
    expect(m.vendorIds.map((v) => v.name)).toEqual(['MS NT5 ISAKMPOAKLEY', 'RFC 3947', 'FRAGMENTATION', 'MS-MamieExists']);
    expect(m.vendorIds[0]).toMatchObject({ msVersion: 7, windows: 'Windows 7' });
  });

  it('names 65001 and 65005 by the vendor IDs of the message, and says so when none decides', () => {
    const attr = (vids: ReturnType<typeof vid>[], method: number): string | null =>
      parse(message({ ispi: ISPI, exchange: 2 }, [mainModeSa([tv(3, method)]), ...vids])).sa[0]!.proposals[0]!.transforms[0]!.attributes[0]!.valueName;
    expect(attr([vid(md5('GSSAPI'))], 65001)).toBe('GSS-API Kerberos');
    expect(attr([msNt5Vid(9)], 65005)).toBe('CGA');
    expect(attr([vid('09002689dfd6b712')], 65001)).toBe('XAUTHInitPreShared');
    expect(attr([vid('09002689dfd6b712')], 65005)).toBe('XAUTHInitRSA');
    expect(attr([], 65001)).toBe('GSS-API Kerberos or XAUTHInitPreShared');
    expect(attr([msNt5Vid(9), vid('09002689dfd6b712')], 65001)).toBe('GSS-API Kerberos or XAUTHInitPreShared');
    expect(attr([msNt5Vid(9)], 1)).toBe('Pre-shared key');
  });

  it('walks several proposals and transforms, with an SPI and phase 2 attributes', () => {
    const m = parse(message({ ispi: ISPI, exchange: 4 }, [sa([
      proposal({ number: 1, protocolId: 1, transforms: [transform(1, 1, [tv(1, 5)]), transform(2, 1, [tv(1, 7), tv(14, 256)])] }),
      proposal({ number: 2, protocolId: 3, spi: fromHex('c0ffee01'), transforms: [transform(1, 11, [tv(4, 62000), tv(5, 2)])] }),
    ])]));
    const [p1, p2] = m.sa[0]!.proposals;
    expect(p1!.transforms.map((t) => t.attributes.map((a) => a.valueName))).toEqual([['3DES-CBC'], ['AES-CBC', null]]);
    expect(p2).toMatchObject({ number: 2, protocolId: 3, protocolName: 'ESP', spi: 'c0ffee01' });
    expect(p2!.transforms[0]).toMatchObject({ id: 11, idName: 'ESP_NULL' });
    expect(p2!.transforms[0]!.attributes.map((a) => [a.name, a.valueName])).toEqual([
      ['Encapsulation-Mode', 'IPSEC_TRANSPORT_AUTH_FW'], ['Authentication-Algorithm', 'HMAC-SHA'],
    ]);
    expect(m.anomalies).toEqual([]);
  });

  it('keeps a long TLV attribute value as hex and does not walk other DOIs', () => {
    const long = parse(message({ ispi: ISPI, exchange: 2 }, [mainModeSa([tlv(12, fromHex('0000000100000002'))])]));
    expect(long.sa[0]!.proposals[0]!.transforms[0]!.attributes[0]).toEqual({ type: 12, name: 'Life-Duration', value: '0000000100000002', valueName: null });
    const other = parse(message({ ispi: ISPI, exchange: 2 }, [sa([proposal({ number: 1, protocolId: 1, transforms: [] })], 2, 1)]));
    expect(other.sa).toEqual([{ doi: 2, situation: 1, proposals: [] }]);
    expect(other.anomalies).toEqual([]);
  });

  it('shows nothing after the header of an encrypted message', () => {
    const m = parse(rawMessage({ ispi: ISPI, rspi: RSPI, exchange: 2, flags: 1, nextPayload: 5 }, new Uint8Array(48).fill(0x0b)));
    expect(m).toMatchObject({ encrypted: true, nextPayload: 5, payloads: [], notifies: [], anomalies: [] });
  });

  it('reads notifies with their SPI and data, and marks errors', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 5, messageId: 0x1234 }, [
      notifyV1({ type: 14, protocolId: 1, spi: fromHex(ISPI + RSPI) }),
      notifyV1({ type: 24 }),
      notifyV1({ type: 24578, protocolId: 3, spi: fromHex('c0ffee01') }),
      notifyV1({ type: 36136, data: u32(99) }),
    ]));
    expect(m.notifies.map((n) => [n.type, n.name, n.error, n.protocolId, n.spi, n.data])).toEqual([
      [14, 'NO_PROPOSAL_CHOSEN', true, 1, ISPI + RSPI, ''],
      [24, 'AUTHENTICATION_FAILED', true, 1, '', ''],
      [24578, 'INITIAL_CONTACT', false, 3, 'c0ffee01', ''],
      [36136, 'R_U_THERE', false, 1, '', '00000063'],
    ]);
  });

  it('reads the MS-IKEE NOTIFY_STATUS code, also after a prepended Quick Mode message ID', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 5 }, [
      notifyV1({ type: 0x9c43, data: u32(0x35e9) }),
      notifyV1({ type: 0x9c43, spi: new Uint8Array(8), data: concat(u32(0xdeadbeef), u32(0x3601)) }),
      notifyV1({ type: 0x9c44, data: fromHex(RSPI) }),
      notifyV1({ type: 0x9c45, data: u32(2) }),
      // Neither 4 nor 8 bytes: no code can be told from the rest, so none is read.
      notifyV1({ type: 0x9c43, data: fromHex('000035e90000') }),
    ]));
    expect(m.notifies.map((n) => [n.name, n.error, n.windowsError?.name ?? null])).toEqual([
      ['NOTIFY_STATUS', true, 'ERROR_IPSEC_IKE_AUTH_FAIL'],
      ['NOTIFY_STATUS', true, 'ERROR_IPSEC_IKE_NO_POLICY'],
      ['NOTIFY_DOS_COOKIE', false, null],
      ['EXCHANGE_INFO', false, null],
      ['NOTIFY_STATUS', false, null],
    ]);
    expect(m.notifies[0]!.windowsError).toEqual({ code: 0x35e9, hex: '0x000035e9', name: 'ERROR_IPSEC_IKE_AUTH_FAIL' });
  });

  it('reads NAT-D hashes (RFC 3947 and draft numbers) and MS-IKEE fragments', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 2 }, [ke(), nonce(), natD(md5('a')), natD(md5('b'), 130)]));
    expect(m.natD).toEqual([Buffer.from(md5('a')).toString('hex'), Buffer.from(md5('b')).toString('hex')]);
    expect(m.payloads.map((p) => p.name)).toEqual(['KE', 'Nonce', 'NAT-D', 'NAT-D (draft)']);
    const f = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 2 }, [fragment(0x77, 3, true, new Uint8Array(100))]));
    expect(f.fragments).toEqual([{ kind: 'ms-ikee', id: 0x77, number: 3, total: null, last: true }]);
    expect(f.payloads[0]!.name).toBe('Fragment');
  });
});

describe('parseIsakmp: vendor IDs (protocols.md §4.5)', () => {
  it('names each hash by the string it is the MD5 of', () => {
    const names: [string, string][] = [
      ['MS NT5 ISAKMPOAKLEY', 'MS NT5 ISAKMPOAKLEY'], ['GSSAPI', 'GSSAPI'], ['Vid-Initial-Contact', 'Vid-Initial-Contact'],
      ['NLBS_PRESENT', 'NLBS_PRESENT'], ['FRAGMENTATION', 'FRAGMENTATION'], ['RFC 3947', 'RFC 3947'],
      ['MS-Negotiation Discovery Capable', 'MS-Negotiation Discovery Capable'], ['MS-MamieExists', 'MS-MamieExists'],
      ['IKE CGA version 1', 'IKE CGA version 1'], ['A GSS-API Authentication Method for IKE', 'A GSS-API Authentication Method for IKE'],
      ['A GSS-API Authentication Method for IKE\n', 'A GSS-API Authentication Method for IKE\\n'],
      ['draft-ietf-ipsec-nat-t-ike', 'draft-ietf-ipsec-nat-t-ike'], ['draft-ietf-ipsec-nat-t-ike-02\n', 'draft-ietf-ipsec-nat-t-ike-02\\n'],
      ['strongSwan', 'strongSwan'], ['KAME/racoon', 'KAME/racoon'],
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n): [string, string] => [`draft-ietf-ipsec-nat-t-ike-0${n}`, `draft-ietf-ipsec-nat-t-ike-0${n}`]),
    ];
    const m = parse(message({ ispi: ISPI, exchange: 2 }, names.map(([s]) => vid(md5(s)))));
    expect(m.vendorIds.map((v) => v.name)).toEqual(names.map(([, n]) => n));
    expect(m.vendorIds[0]!.hex).toBe('1e2b516905991c7d7c96fcbfb587e461');
  });

  it('names the truncated-hash and versioned ones by prefix, and leaves unknown ones unnamed', () => {
    const m = parse(message({ ispi: ISPI, exchange: 2 }, [
      vid('afcad71368a1f1c96b8696fc77570100'), vid(md5('draft-ietf-ipsra-isakmp-xauth-06.txt').subarray(0, 8)),
      vid(concat(md5('CISCO-UNITY').subarray(0, 14), Uint8Array.of(1, 0))), vid(concat(md5('FRAGMENTATION'), fromHex('c0000000'))),
      vid(md5('not a vendor')),
    ]));
    expect(m.vendorIds.map((v) => v.name)).toEqual(['RFC 3706 DPD', 'XAUTH', 'CISCO-UNITY', 'FRAGMENTATION', null]);
  });

  it('maps the MS NT5 ISAKMPOAKLEY version suffix to the Windows release', () => {
    const versions: [number, string][] = [
      [2, 'Windows 2000'], [4, 'Windows Server 2003 / XP SP2'], [5, 'Windows Vista'], [6, 'Windows Vista SP1 / Server 2008'],
      [7, 'Windows 7'], [8, 'Windows Server 2008 R2'], [9, 'Windows 8 or later / Server 2012 or later'], [0x13, 'unknown version 19'],
    ];
    const m = parse(message({ ispi: ISPI, exchange: 2 }, versions.map(([v]) => msNt5Vid(v))));
    expect(m.vendorIds.map((v) => [v.msVersion, v.windows])).toEqual(versions);
    // Without the suffix there is no version to read.
    expect(parse(message({ ispi: ISPI, exchange: 2 }, [vid(md5('MS NT5 ISAKMPOAKLEY'))])).vendorIds[0]).toEqual({
      hex: '1e2b516905991c7d7c96fcbfb587e461', name: 'MS NT5 ISAKMPOAKLEY',
    });
  });
});

describe('parseIsakmp: IKEv2', () => {
  it('reads IKE_SA_INIT: payloads, NAT detection notifies and vendor IDs in clear', () => {
    const m = parse(ikev2Init());
    expect(m).toMatchObject({ protocol: 'IKEv2', version: { major: 2, minor: 0 }, exchangeName: 'IKE_SA_INIT', encrypted: false, anomalies: [] });
    expect(m.payloads.map((p) => p.name)).toEqual(['SA', 'KE', 'Nonce', 'Notify', 'Notify', 'Vendor ID']);
    expect(m.notifies.map((n) => [n.name, n.error])).toEqual([['NAT_DETECTION_SOURCE_IP', false], ['NAT_DETECTION_DESTINATION_IP', false]]);
    expect(m.notifies[0]!.data).toBe('01'.repeat(20));
    expect(m.vendorIds.map((v) => v.name)).toEqual(['MS NT5 ISAKMPOAKLEY']);
    expect(m.sa).toEqual([]);
  });

  it('names the error notifies of a failed IKE_SA_INIT', () => {
    const m = parse(message({ ispi: ISPI, exchange: 34, version: 0x20, flags: 0x20 }, [
      notifyV2({ type: 14 }), notifyV2({ type: 17, data: u16(14) }), notifyV2({ type: 24 }), notifyV2({ type: 16390, data: new Uint8Array(8) }),
      notifyV2({ type: 30 }),
    ]));
    expect(m.notifies.map((n) => [n.name, n.error])).toEqual([
      ['NO_PROPOSAL_CHOSEN', true], ['INVALID_KE_PAYLOAD', true], ['AUTHENTICATION_FAILED', true], ['COOKIE', false],
      // IKEv2 has no type 30; the IKEv1 name (UNEQUAL_PAYLOAD_LENGTHS) must not leak in.
      ['Unknown 30', true],
    ]);
    expect(m.notifies[1]!.data).toBe('000e');
  });

  it('reads the MS-IKEE IKEv2 NOTIFY_STATUS (0x3039) Windows error code', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 37, version: 0x20, flags: 0x20 }, [notifyV2({ type: 0x3039, protocolId: 1, data: u32(0x3603) })]));
    expect(m.notifies[0]).toMatchObject({ name: 'NOTIFY_STATUS', error: true, windowsError: { name: 'ERROR_IPSEC_IKE_KERBEROS_ERROR' } });
  });

  it('stops at SK: its Next Payload names the first inner payload, not a following one', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 35, version: 0x20, flags: 0x08, messageId: 1 }, [sk(35, new Uint8Array(64).fill(0x5a))]));
    expect(m).toMatchObject({ encrypted: true, nextPayload: 46, messageId: 1, anomalies: [] });
    expect(m.payloads).toEqual([{ type: 46, name: 'SK', length: 68, offset: 28 }]);
  });

  it('reads SKF fragment numbers', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 35, version: 0x20, flags: 0x08, messageId: 1 }, [skf(35, 2, 2, new Uint8Array(40))]));
    expect(m.encrypted).toBe(true);
    expect(m.fragments).toEqual([{ kind: 'ikev2', id: null, number: 2, total: 2, last: true }]);
  });
});

describe('parseIsakmp: AuthIP', () => {
  it('reads Main Mode #1: Crypto in clear, SA, Auth methods, Nonce and Windows vendor IDs', () => {
    const m = parse(authipMm1());
    expect(m).toMatchObject({ protocol: 'AuthIP', exchange: 0xf3, exchangeName: 'Main Mode', encrypted: false, nextPayload: 0x85, anomalies: [] });
    expect(m.payloads.map((p) => p.name)).toEqual(['Crypto', 'SA', 'Auth', 'Nonce', 'Vendor ID', 'Vendor ID', 'Vendor ID']);
    expect(m.crypto).toEqual({ seqNum: 1, iv: '' });
    expect(m.authMethods).toEqual([{ method: 2, name: 'Kerberos' }, { method: 5, name: 'NTLM' }, { method: 3, name: 'Anonymous' }]);
    expect(m.sa[0]!.proposals[0]!.transforms[0]!.attributes.map((a) => a.valueName)).toEqual(['AES-CBC', null, 'SHA2-256', '384-bit random ECP']);
    expect(m.vendorIds.map((v) => [v.name, v.windows])).toEqual([
      ['MS NT5 ISAKMPOAKLEY', 'Windows 8 or later / Server 2012 or later'], ['MS-Negotiation Discovery Capable', undefined], ['IKE CGA version 1', undefined],
    ]);
  });

  it('reads Main Mode #2: the responder principal name from GSS_ID (UTF-16LE)', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(1), auth([2, 4]), nonce(), gssId('host/pc2.corp.example.com')]));
    expect(m.gssIds).toEqual(['host/pc2.corp.example.com']);
    expect(m.authMethods.map((a) => a.name)).toEqual(['Kerberos', 'TLS']);
    expect(m.responderSpi).toBe(RSPI);
  });

  it('reads Main Mode #3: the Kerberos AP-REQ ticket realm, service name and encryption type', () => {
    const m = parse(authipMm3());
    expect(m.crypto).toEqual({ seqNum: 3, iv: '0102030405060708' });
    expect(m.gss).toEqual([{
      status: { code: 0, hex: '0x00000000', name: 'ERROR_SUCCESS' }, flags: 1, flagNames: ['NEW_GSS_EXCHANGE'],
      tokenLength: m.payloads[1]!.length - 9, mechanism: 'kerberos', tokenKind: 'AP-REQ',
      kerberos: { realm: 'CORP.EXAMPLE.COM', sname: 'host/pc2.corp.example.com', ticketEtype: 18, ticketEtypeName: 'aes256-cts-hmac-sha1-96', errorCode: null, errorName: null },
    }]);
    expect(m.anomalies).toEqual([]);
  });

  it('accepts the Microsoft Kerberos OID and reads AP-REP and KRB-ERROR tokens', () => {
    const msOid = fromHex('06092a864882f712010202');
    const rep = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(4), gss(0, 0x10, gssKerberos(0x0200, apRep(), msOid))]));
    expect(rep.gss[0]).toMatchObject({ mechanism: 'kerberos', tokenKind: 'AP-REP', flagNames: ['RESPONDER_AUTH_COMPLETE'] });
    const err = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [
      crypto(4), gss(0x8009030c, 0x04, gssKerberos(0x0300, krbError({ code: 37, realm: 'CORP.EXAMPLE.COM', sname: ['host', 'pc2'] }))),
    ]));
    expect(err.gss[0]).toMatchObject({
      status: { code: 0x8009030c, name: 'SEC_E_LOGON_DENIED' }, flagNames: ['RETRY_CURRENT_AUTHENTICATION'], tokenKind: 'KRB-ERROR',
      kerberos: { errorCode: 37, errorName: 'KRB_AP_ERR_SKEW', realm: 'CORP.EXAMPLE.COM', sname: 'host/pc2', ticketEtype: null },
    });
    // An unframed Kerberos message is recognised too.
    const raw = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(4), gss(0, 0x10, apRep())]));
    expect(raw.gss[0]).toMatchObject({ mechanism: 'kerberos', tokenKind: 'AP-REP' });
  });

  it('tells NTLM, TLS, anonymous and unknown GSS tokens apart', () => {
    const kinds = [
      concat(ascii('NTLMSSP\0'), fromHex('01000000'), new Uint8Array(20)), concat(ascii('NTLMSSP\0'), fromHex('03000000'), new Uint8Array(20)),
      fromHex('160303002e0200002a0303'), new Uint8Array(0), fromHex('a1b2c3d4e5'),
      // SPNEGO (1.3.6.1.5.5.2) is not used by AuthIP (§2.2.3.1) and is not taken for Kerberos.
      der(0x60, fromHex('06062b0601050502'), new Uint8Array(4)),
    ].map((t) => parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(3), gss(0, 0, t)])).gss[0]!);
    expect(kinds.map((g) => [g.mechanism, g.tokenKind])).toEqual([
      ['ntlm', 'NEGOTIATE'], ['ntlm', 'AUTHENTICATE'], ['tls', 'ServerHello'], ['none', null], ['unknown', null], ['unknown', null],
    ]);
  });

  it('reads only the Crypto payload header of an encrypted message', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3, flags: 1 }, [cryptoEncrypted(5, new Uint8Array(80).fill(0x33))]));
    expect(m).toMatchObject({ encrypted: true, crypto: { seqNum: 5, iv: '' }, anomalies: [] });
    expect(m.payloads).toEqual([{ type: 0x85, name: 'Crypto', length: 88, offset: 28 }]);
    // The Crypto payload holds everything else: a non-zero Next Payload in it is not followed into ciphertext.
    const lying = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3, flags: 1 }, [{ ...cryptoEncrypted(5, new Uint8Array(8)), next: 13 }]));
    expect(lying.payloads.map((p) => p.type)).toEqual([0x85]);
    expect(lying.anomalies).toEqual([]);
  });

  it('reads AuthIP notifies without an SPI: NOTIFY_STATUS error, reliable flag, ACK and QM_SYNCHRONIZE', () => {
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf6 }, [
      crypto(6), notifyAuthip({ type: 0x9c54, flags: 1, data: u32(0x3603) }), notifyAuthip({ type: 0x9c56, protocolId: 2, data: u32(5) }),
      notifyAuthip({ type: 0x9c57, protocolId: 2 }), notifyAuthip({ type: 0x9c45, data: u32(3) }), notifyAuthip({ type: 14 }),
    ]));
    expect(m.notifies.map((n) => [n.name, n.error, n.reliable, n.spi, n.protocolId])).toEqual([
      ['NOTIFY_STATUS', true, true, '', 1], ['NOTIFY_ACK', false, false, '', 2], ['NOTIFY_QM_SYNCHRONIZE', false, false, '', 2],
      ['EXCHANGE_INFO', false, false, '', 1], ['NO_PROPOSAL_CHOSEN', true, false, '', 1],
    ]);
    expect(m.notifies[0]!.windowsError).toEqual({ code: 0x3603, hex: '0x00003603', name: 'ERROR_IPSEC_IKE_KERBEROS_ERROR' });
    expect(m.notifies[1]!.data).toBe('00000005');
    // A zero status code is no error; a code in the IKE range but off the table says so.
    const zero = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf6 }, [crypto(7), notifyAuthip({ type: 0x9c54, data: u32(0) }), notifyAuthip({ type: 0x9c54, data: u32(0x3600) })]));
    expect(zero.notifies.map((n) => [n.error, n.windowsError!.name])).toEqual([[false, 'ERROR_SUCCESS'], [true, 'ERROR_IPSEC_IKE_* (unlisted)']]);
  });

  it('accepts a lone NOTIFY_DOS_COOKIE without a Crypto payload', () => {
    const m = parse(message({ ispi: ISPI, exchange: 0xf3 }, [notifyAuthip({ type: 0x9c55, data: fromHex(RSPI) })]));
    expect(m.notifies.map((n) => n.name)).toEqual(['NOTIFY_DOS_COOKIE']);
    expect(m.anomalies).toEqual([]);
  });
});

/** Bytes in which a read past the message would change the result. */
function poisoned(bytes: Bytes, n: number, fill: number): Bytes {
  return concat(new Uint8Array(3).fill(fill), bytes.subarray(0, n), new Uint8Array(64).fill(fill));
}

describe('parseIsakmp: truncation sweep', () => {
  const samples: [string, Bytes][] = [
    ['IKEv1 Main Mode #1', ikev1MainMode1()], ['AuthIP Main Mode #1', authipMm1()], ['AuthIP Main Mode #3 (Kerberos)', authipMm3()],
    ['IKEv2 IKE_SA_INIT', ikev2Init()],
    ['AuthIP notify', message({ ispi: ISPI, rspi: RSPI, exchange: 0xf6 }, [crypto(6), notifyAuthip({ type: 0x9c54, flags: 1, data: u32(0x35ef) })])],
  ];
  for (const [name, bytes] of samples) {
    it(`${name}: every prefix is null or flagged, and no byte at or past the end is read`, () => {
      const whole = parse(bytes);
      expect(whole.anomalies).toEqual([]);
      for (let n = 0; n < bytes.length; n++) {
        const exact = parseIsakmp(bytes.subarray(0, n), 0, n, 1);
        // The same prefix between foreign bytes (zeros, then ones) must give the same facts.
        for (const fill of [0x00, 0xff]) expect(parseIsakmp(poisoned(bytes, n, fill), 3, 3 + n, 1), `prefix ${n} fill ${fill}`).toEqual(exact);
        if (n < 28) {
          expect(exact, `prefix ${n}`).toBeNull();
          continue;
        }
        expect(exact!.anomalies, `prefix ${n}`).toContain('isakmp.truncated');
        expect(exact!.parsedLength).toBe(n);
        for (const p of exact!.payloads) expect(p.offset + 4, `prefix ${n}`).toBeLessThanOrEqual(n);
      }
    });
  }
});

describe('IsakmpHeader: the fields that place a message, read without parsing it', () => {
  const spiText = (hi: number, lo: number): string => (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');

  it('agrees with parseIsakmp on SPIs, protocol and flags for IKEv1, IKEv2 and AuthIP', () => {
    const samples = [ikev1MainMode1(), ikev2Init(), authipMm1(), message({ ispi: ISPI, rspi: RSPI, exchange: 0xf6, flags: 1 }, [cryptoEncrypted(9, new Uint8Array(16))])];
    const h = new IsakmpHeader();
    for (const bytes of samples) {
      const m = parse(bytes);
      expect(h.read(bytes, 0, bytes.length)).toBe(true);
      expect([h.protocol, spiText(h.initiatorSpiHi, h.initiatorSpiLo), spiText(h.responderSpiHi, h.responderSpiLo), h.flags])
        .toEqual([m.protocol, m.initiatorSpi, m.responderSpi, m.flags.value]);
    }
    expect(h.protocol).toBe('AuthIP');
    expect(spiText(h.responderSpiHi, h.responderSpiLo)).toBe(RSPI);
  });

  it('accepts exactly what parseIsakmp accepts: every prefix, and major versions 0–15', () => {
    const bytes = authipMm1();
    const h = new IsakmpHeader();
    for (let n = 0; n <= bytes.length; n++) expect(h.read(bytes, 0, n), `prefix ${n}`).toBe(parseIsakmp(bytes, 0, n, 1) !== null);
    for (let major = 0; major < 16; major++) {
      const b = bytes.slice();
      b[17] = (major << 4) | 0;
      expect(h.read(b, 0, b.length), `major ${major}`).toBe(major === 1 || major === 2);
      expect(parseIsakmp(b, 0, b.length, 1) !== null).toBe(major === 1 || major === 2);
    }
  });

  it('reads only the 28 header bytes (the rest may be absent or anything)', () => {
    const bytes = ikev2Init();
    const h = new IsakmpHeader();
    expect(h.read(poisoned(bytes, 28, 0xff), 3, 3 + 28)).toBe(true);
    expect([h.protocol, spiText(h.initiatorSpiHi, h.initiatorSpiLo)]).toEqual(['IKEv2', parse(bytes).initiatorSpi]);
  });
});

describe('parseIsakmp: malformed lengths', () => {
  const good = (): Bytes => message({ ispi: ISPI, exchange: 2 }, [mainModeSa([tv(1, 7)]), vid(md5('RFC 3947'))]);
  const setLength = (b: Bytes, len: number): Bytes => {
    const c = b.slice();
    c.set(u32(len), 24);
    return c;
  };

  it('isakmp.length_too_small: a header length below 28 reads only the header', () => {
    const m = parse(setLength(good(), 20));
    expect(m.anomalies).toEqual(['isakmp.length_too_small']);
    expect(m.payloads).toEqual([]);
    expect(m.parsedLength).toBe(28);
  });

  it('isakmp.truncated: a header length past the bytes present parses what is there', () => {
    const b = good();
    const m = parse(setLength(b, b.length + 100));
    expect(m.anomalies).toEqual(['isakmp.truncated']);
    expect(m.payloads.map((p) => p.type)).toEqual([1, 13]);
    expect(m.vendorIds.map((v) => v.name)).toEqual(['RFC 3947']);
  });

  it('isakmp.length_mismatch: bytes after the header length are ignored', () => {
    const b = concat(good(), vid(md5('GSSAPI')).body);
    const m = parse(b);
    expect(m.anomalies).toEqual(['isakmp.length_mismatch']);
    expect(m.parsedLength).toBe(good().length);
    expect(m.vendorIds.map((v) => v.name)).toEqual(['RFC 3947']);
  });

  it('isakmp.payload_missing: a Next Payload with no bytes left for it', () => {
    const m = parse(message({ ispi: ISPI, exchange: 5 }, [{ ...notifyV1({ type: 5 }), next: 11 }]));
    expect(m.anomalies).toEqual(['isakmp.payload_missing']);
    expect(m.notifies.map((n) => n.name)).toEqual(['INVALID_MAJOR_VERSION']);
    const empty = parse(message({ ispi: ISPI, exchange: 34, version: 0x20, nextPayload: 33 }, []));
    expect(empty.anomalies).toEqual(['isakmp.payload_missing']);
  });

  it('isakmp.payload_length_invalid: a payload length below 4, or past the end of the message', () => {
    const short = parse(message({ ispi: ISPI, exchange: 2 }, [{ ...vid(md5('x')), length: 3 }, nonce()]));
    expect(short.anomalies).toEqual(['isakmp.payload_length_invalid']);
    expect(short.payloads).toEqual([{ type: 13, name: 'Vendor ID', length: 3, offset: 28 }]);
    expect(short.vendorIds).toEqual([]);
    const zero = parse(message({ ispi: ISPI, exchange: 2 }, [{ ...vid(md5('x')), length: 0 }]));
    expect(zero.anomalies).toEqual(['isakmp.payload_length_invalid']);
    const past = parse(message({ ispi: ISPI, exchange: 2 }, [nonce(), { ...vid(md5('x')), length: 21 }]));
    expect(past.anomalies).toEqual(['isakmp.payload_length_invalid']);
    expect(past.payloads.map((p) => p.type)).toEqual([10, 13]);
    expect(past.vendorIds).toEqual([]);
  });

  it('isakmp.too_many_payloads: the walk stops after 64', () => {
    const m = parse(message({ ispi: ISPI, exchange: 2 }, Array.from({ length: 65 }, () => vid(new Uint8Array(0)))));
    expect(m.anomalies).toEqual(['isakmp.too_many_payloads']);
    expect(m.payloads).toHaveLength(64);
    expect(parse(message({ ispi: ISPI, exchange: 2 }, Array.from({ length: 64 }, () => vid(new Uint8Array(0))))).anomalies).toEqual([]);
  });

  it('isakmp.trailing_bytes: bytes inside the header length after the last payload', () => {
    const b = message({ ispi: ISPI, exchange: 2 }, [nonce(), { ...vid(md5('x')), body: concat(md5('x')), next: 0 }]);
    const extra = setLength(concat(b, new Uint8Array(6)), b.length + 6);
    expect(parse(extra).anomalies).toEqual(['isakmp.trailing_bytes']);
  });

  it('isakmp.payload_body_invalid: payloads too short for their fixed fields', () => {
    const cases: [string, Bytes][] = [
      ['IKEv1 notify', message({ ispi: ISPI, exchange: 5 }, [{ type: 11, body: new Uint8Array(7) }])],
      ['IKEv1 notify SPI', message({ ispi: ISPI, exchange: 5 }, [{ type: 11, body: concat(u32(1), Uint8Array.of(1, 16), u16(14), new Uint8Array(8)) }])],
      ['IKEv2 notify', message({ ispi: ISPI, exchange: 37, version: 0x20 }, [{ type: 41, body: new Uint8Array(3) }])],
      ['AuthIP notify', message({ ispi: ISPI, exchange: 0xf6 }, [crypto(1), { type: 11, body: new Uint8Array(7) }])],
      ['SA', message({ ispi: ISPI, exchange: 2 }, [{ type: 1, body: new Uint8Array(7) }])],
      ['Crypto', message({ ispi: ISPI, exchange: 0xf3 }, [{ type: 0x85, body: new Uint8Array(3) }])],
      ['Auth', message({ ispi: ISPI, exchange: 0xf3 }, [crypto(1), { type: 0x87, body: fromHex('00020000 0005') }])],
      ['GSS-API', message({ ispi: ISPI, exchange: 0xf3 }, [crypto(1), { type: 0x81, body: new Uint8Array(4) }])],
      ['Fragment', message({ ispi: ISPI, exchange: 2 }, [{ type: 0x84, body: new Uint8Array(3) }])],
      ['SKF', message({ ispi: ISPI, exchange: 35, version: 0x20 }, [{ type: 53, body: new Uint8Array(3) }])],
    ];
    for (const [name, b] of cases) expect(parse(b).anomalies, name).toEqual(['isakmp.payload_body_invalid']);
    // The whole entries of a ragged Auth payload are still read.
    expect(parse(cases[6]![1]).authMethods.map((a) => a.name)).toEqual(['Kerberos']);
  });

  it('isakmp.sa_structure_invalid: proposals, transforms and attributes must fit their parent', () => {
    const prop = proposal({ number: 1, protocolId: 1, transforms: [transform(1, 1, [tv(1, 7)])] });
    const withProposal = (p: Bytes, pLen: number): Bytes => message({ ispi: ISPI, exchange: 2 }, [{ type: 1, body: concat(u32(1), u32(1), Uint8Array.of(0, 0), u16(pLen), p) }]);
    const cases: [string, Bytes][] = [
      ['proposal longer than the SA', withProposal(prop, 4 + prop.length + 1)],
      ['proposal shorter than its header', withProposal(prop, 7)],
      ['proposal SPI past its end', withProposal(concat(Uint8Array.of(1, 1, 200, 1), prop.subarray(4)), 4 + prop.length)],
      ['transform longer than the proposal', withProposal(concat(prop.subarray(0, 6), u16(40), prop.subarray(8)), 4 + prop.length)],
      ['TLV attribute past the transform', message({ ispi: ISPI, exchange: 2 }, [mainModeSa([concat(u16(12), u16(9), u32(1))])])],
      ['half an attribute', message({ ispi: ISPI, exchange: 2 }, [mainModeSa([tv(1, 7), fromHex('8001')])])],
      ['leftover bytes after the proposals', message({ ispi: ISPI, exchange: 2 }, [{ type: 1, body: concat(u32(1), u32(1), fromHex('02000008 01010000'), new Uint8Array(3)) }])],
      ['65 attributes', message({ ispi: ISPI, exchange: 2 }, [mainModeSa(Array.from({ length: 65 }, () => tv(11, 1)))])],
    ];
    for (const [name, b] of cases) expect(parse(b).anomalies, name).toEqual(['isakmp.sa_structure_invalid']);
    // What was read before the fault is kept.
    expect(parse(cases[5]![1]).sa[0]!.proposals[0]!.transforms[0]!.attributes.map((a) => a.valueName)).toEqual(['AES-CBC']);
  });

  it('isakmp.authip_no_crypto_payload: an AuthIP message must start with the Crypto payload', () => {
    expect(parse(message({ ispi: ISPI, exchange: 0xf3 }, [nonce()])).anomalies).toEqual(['isakmp.authip_no_crypto_payload']);
    expect(parse(message({ ispi: ISPI, exchange: 0xf3 }, [notifyAuthip({ type: 0x9c54, data: u32(1) })])).anomalies).toEqual(['isakmp.authip_no_crypto_payload']);
    expect(parse(rawMessage({ ispi: ISPI, exchange: 0xf4, flags: 1, nextPayload: 8 }, new Uint8Array(40))).anomalies).toEqual(['isakmp.authip_no_crypto_payload']);
  });

  it('isakmp.kerberos_token_malformed: a Kerberos-framed token whose message does not parse', () => {
    const req = apReq({ realm: 'R', sname: ['host', 'h'], etype: 17 });
    // The AP-REQ's SEQUENCE, after the 0x6e tag and its (long-form) length.
    const content = req.subarray(2 + (req[1]! & 0x7f));
    expect(content[0]).toBe(0x30);
    const cases: Bytes[] = [
      der(0x60, fromHex('06092a864886f712010202'), fromHex('0100'), concat(Uint8Array.of(0x6e, 0x84, 0x7f, 0xff, 0xff, 0xff), content)),
      der(0x60, fromHex('06092a864886f712010202'), fromHex('0100'), der(0x6e, der(0x31, new Uint8Array(4)))),
      der(0x60, fromHex('06092a864886f712010202'), fromHex('01')),
    ];
    for (const token of cases) {
      const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(3), gss(0, 1, token)]));
      expect(m.anomalies).toEqual(['isakmp.kerberos_token_malformed']);
      expect(m.gss[0]!.mechanism).toBe('kerberos');
    }
  });

  it('never follows a DER length past its parent, even when bytes follow inside the payload', () => {
    const realm = concat(Uint8Array.of(0x1b, 0x10), ascii('CORP'));
    const err = der(0x7e, der(0x30, der(0xa6, der(0x02, Uint8Array.of(7))), Uint8Array.of(0xa9, realm.length), realm));
    // 12 more bytes in the payload after the token: a realm read with its own length (16) would reach into them.
    const m = parse(message({ ispi: ISPI, rspi: RSPI, exchange: 0xf3 }, [crypto(4), gss(0, 0, concat(err, ascii('TRAILINGDATA')))]));
    expect(m.gss[0]!.kerberos).toMatchObject({ errorCode: 7, errorName: 'KDC_ERR_S_PRINCIPAL_UNKNOWN', realm: null });
  });

  it('covers every isakmp anomaly in the registry', () => {
    const tested = ['isakmp.truncated', 'isakmp.length_mismatch', 'isakmp.length_too_small', 'isakmp.payload_missing', 'isakmp.payload_length_invalid',
      'isakmp.too_many_payloads', 'isakmp.trailing_bytes', 'isakmp.payload_body_invalid', 'isakmp.sa_structure_invalid',
      'isakmp.authip_no_crypto_payload', 'isakmp.kerberos_token_malformed'];
    expect(allAnomalies().filter((d) => d.layer === 'isakmp').map((d) => d.id).sort()).toEqual(tested.sort());
  });
});

describe('parseIsakmp: output', () => {
  it('is plain JSON-ready data', () => {
    for (const b of [ikev1MainMode1(), authipMm1(), authipMm3(), ikev2Init()]) {
      const m = parse(b);
      expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    }
  });

  it('builds a payload chain the way chain() says (builder self-check)', () => {
    expect(chain([{ type: 13, body: Uint8Array.of(1) }, { type: 10, body: new Uint8Array(0) }])).toEqual(fromHex('0a000005 01 00000004'));
  });
});
