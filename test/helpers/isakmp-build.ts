/** ISAKMP message builders for tests: IKEv1 (RFC 2408/2409), IKEv2 (RFC 7296), AuthIP ([MS-AIPS] §2.2), Kerberos GSS tokens (RFC 1964, RFC 4120). */

import { createHash } from 'node:crypto';
import { ascii, concat, fromHex, isakmpHeader, u16, u32, type Bytes } from './build.js';

/** One payload of a chain: its type and body; the generic header is added by `chain`. */
export interface PayloadSpec {
  type: number;
  body: Bytes;
  /** Next Payload to write instead of the following payload's type (IKEv2 SK names its first inner payload). */
  next?: number;
  /** Payload length to write instead of the true one (malformed cases). */
  length?: number;
}

/** Payloads with generic headers (RFC 2408 §3.2), each Next Payload naming the following payload (0 after the last). */
export function chain(payloads: PayloadSpec[]): Bytes {
  return concat(...payloads.map((p, i) => concat(
    Uint8Array.of(p.next ?? payloads[i + 1]?.type ?? 0, 0), u16(p.length ?? 4 + p.body.length), p.body)));
}

export interface HeaderSpec {
  ispi: Bytes | string;
  rspi?: Bytes | string;
  exchange: number;
  version?: number;
  flags?: number;
  messageId?: number;
  /** Next Payload in the header; default the first payload's type. */
  nextPayload?: number;
}

function bytes(b: Bytes | string): Bytes {
  return typeof b === 'string' ? fromHex(b) : b;
}

/** A whole ISAKMP message: header (with the right length) and the chained payloads. */
export function message(h: HeaderSpec, payloads: PayloadSpec[]): Bytes {
  return isakmpHeader({
    ispi: bytes(h.ispi), rspi: h.rspi === undefined ? undefined : bytes(h.rspi), nextPayload: h.nextPayload ?? payloads[0]?.type ?? 0,
    version: h.version, exchange: h.exchange, flags: h.flags, messageId: h.messageId,
  }, chain(payloads));
}

/** A message with a raw body after the header (encrypted messages). */
export function rawMessage(h: HeaderSpec & { nextPayload: number }, body: Bytes): Bytes {
  return isakmpHeader({ ispi: bytes(h.ispi), rspi: h.rspi === undefined ? undefined : bytes(h.rspi), nextPayload: h.nextPayload,
    version: h.version, exchange: h.exchange, flags: h.flags, messageId: h.messageId }, body);
}

export function md5(text: string): Bytes {
  return new Uint8Array(createHash('md5').update(text).digest());
}

// --- IKEv1 / AuthIP payloads ----------------------------------------------------------------------------

/** RFC 2408 §3.3 attribute, Type/Value form. */
export function tv(type: number, value: number): Bytes {
  return concat(u16(0x8000 | type), u16(value));
}

/** RFC 2408 §3.3 attribute, Type/Length/Value form. */
export function tlv(type: number, value: Bytes): Bytes {
  return concat(u16(type), u16(value.length), value);
}

/** Nested generic headers: each item's next is `type` except the last (0). */
function nested(type: number, items: Bytes[]): Bytes {
  return concat(...items.map((body, i) => concat(Uint8Array.of(i < items.length - 1 ? type : 0, 0), u16(4 + body.length), body)));
}

/** RFC 2408 §3.6 transform body (without its generic header). */
export function transform(number: number, id: number, attributes: Bytes[]): Bytes {
  return concat(Uint8Array.of(number, id, 0, 0), ...attributes);
}

/** RFC 2408 §3.5 proposal body (without its generic header). */
export function proposal(o: { number: number; protocolId: number; spi?: Bytes; transforms: Bytes[] }): Bytes {
  const spi = o.spi ?? new Uint8Array(0);
  return concat(Uint8Array.of(o.number, o.protocolId, spi.length, o.transforms.length), spi, nested(3, o.transforms));
}

/** RFC 2408 §3.4 SA payload with the IPsec DOI and SIT_IDENTITY_ONLY unless told otherwise. */
export function sa(proposals: Bytes[], doi = 1, situation = 1): PayloadSpec {
  return { type: 1, body: concat(u32(doi), u32(situation), nested(2, proposals)) };
}

/** A Main Mode SA with one ISAKMP proposal and one KEY_IKE transform carrying `attributes`. */
export function mainModeSa(attributes: Bytes[]): PayloadSpec {
  return sa([proposal({ number: 1, protocolId: 1, transforms: [transform(1, 1, attributes)] })]);
}

export function vid(data: Bytes | string): PayloadSpec {
  return { type: 13, body: bytes(data) };
}

/** "MS NT5 ISAKMPOAKLEY" with its 4-byte version suffix ([MS-AIPS] note <3>). */
export function msNt5Vid(version: number): PayloadSpec {
  return vid(concat(md5('MS NT5 ISAKMPOAKLEY'), u32(version)));
}

/** Nonce: type 10 in IKEv1/AuthIP, 40 in IKEv2. */
export function nonce(n = 16, type = 10): PayloadSpec {
  return { type, body: new Uint8Array(n).fill(0x4e) };
}

/** Key Exchange: type 4 in IKEv1/AuthIP, 34 in IKEv2. */
export function ke(n = 32, type = 4): PayloadSpec {
  return { type, body: new Uint8Array(n).fill(0x6b) };
}

/** RFC 2408 §3.14: DOI(4) Protocol-ID(1) SPI Size(1) Type(2) SPI Data. */
export function notifyV1(o: { type: number; protocolId?: number; spi?: Bytes; data?: Bytes }): PayloadSpec {
  const spi = o.spi ?? new Uint8Array(0);
  return { type: 11, body: concat(u32(1), Uint8Array.of(o.protocolId ?? 1, spi.length), u16(o.type), spi, o.data ?? new Uint8Array(0)) };
}

/** [MS-AIPS] §2.2.3.5: DOI(4) Protocol-ID(1) Flags(1) Type(2) Data, no SPI. */
export function notifyAuthip(o: { type: number; protocolId?: number; flags?: number; data?: Bytes }): PayloadSpec {
  return { type: 11, body: concat(u32(1), Uint8Array.of(o.protocolId ?? 1, o.flags ?? 0), u16(o.type), o.data ?? new Uint8Array(0)) };
}

export function natD(hash: Bytes, type = 20): PayloadSpec {
  return { type, body: hash };
}

/** [MS-IKEE] §2.2.3.1 Fragment payload 0x84. */
export function fragment(id: number, number: number, last: boolean, data: Bytes): PayloadSpec {
  return { type: 0x84, body: concat(u16(id), Uint8Array.of(number, last ? 1 : 0), data) };
}

// --- AuthIP payloads ([MS-AIPS] §2.2.3) -----------------------------------------------------------------

/** Crypto payload 0x85 with E clear: seqNUM and an optional 8-byte IV; the next payload follows outside it. */
export function crypto(seqNum: number, iv?: Bytes): PayloadSpec {
  return { type: 0x85, body: concat(u32(seqNum), iv ?? new Uint8Array(0)) };
}

/** Crypto payload 0x85 with E set: seqNUM, then opaque bytes standing for IV, ciphertext and ICV; next payload 0. */
export function cryptoEncrypted(seqNum: number, opaque: Bytes): PayloadSpec {
  return { type: 0x85, body: concat(u32(seqNum), opaque), next: 0 };
}

/** Auth payload 0x87: (method(2) flags(2))*. */
export function auth(methods: number[]): PayloadSpec {
  return { type: 0x87, body: concat(...methods.map((m) => concat(u16(m), u16(0)))) };
}

/** GSS-API payload 0x81: Status(4) Flags(1) token. */
export function gss(status: number, flags: number, token: Bytes): PayloadSpec {
  return { type: 0x81, body: concat(u32(status), Uint8Array.of(flags), token) };
}

/** GSS_ID payload 0x86: a principal name in UTF-16LE, no terminator. */
export function gssId(name: string): PayloadSpec {
  const out = new Uint8Array(name.length * 2);
  for (let i = 0; i < name.length; i++) {
    out[2 * i] = name.charCodeAt(i) & 0xff;
    out[2 * i + 1] = name.charCodeAt(i) >> 8;
  }
  return { type: 0x86, body: out };
}

// --- IKEv2 payloads (RFC 7296 §3) -----------------------------------------------------------------------

/** Notify: Protocol ID(1) SPI Size(1) Type(2) SPI Data. */
export function notifyV2(o: { type: number; protocolId?: number; spi?: Bytes; data?: Bytes }): PayloadSpec {
  const spi = o.spi ?? new Uint8Array(0);
  return { type: 41, body: concat(Uint8Array.of(o.protocolId ?? 0, spi.length), u16(o.type), spi, o.data ?? new Uint8Array(0)) };
}

export function vidV2(data: Bytes | string): PayloadSpec {
  return { type: 43, body: bytes(data) };
}

/** An IKEv2 SA payload body stand-in (this parser does not walk IKEv2 proposals). */
export function saV2(): PayloadSpec {
  return { type: 33, body: fromHex('0000002c 01010004 0300000c 0100000c 800e0080 03000008 02000005 03000008 03000002 00000008 0400000e') };
}

/** SK payload: its Next Payload names the first inner payload (§3.14). */
export function sk(firstInner: number, opaque: Bytes): PayloadSpec {
  return { type: 46, body: opaque, next: firstInner };
}

/** SKF payload (RFC 7383 §2.5): Fragment Number(2) Total Fragments(2) then the encrypted content. */
export function skf(firstInner: number, number: number, total: number, opaque: Bytes): PayloadSpec {
  return { type: 53, body: concat(u16(number), u16(total), opaque), next: number === 1 ? firstInner : 0 };
}

// --- Kerberos GSS-API tokens ----------------------------------------------------------------------------

/** One DER element (X.690 §8.1) with a definite length (short or long form). */
export function der(tag: number, ...content: Bytes[]): Bytes {
  const body = concat(...content);
  const n = body.length;
  const len = n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >> 8, n & 0xff);
  return concat(Uint8Array.of(tag), len, body);
}

function derInt(v: number): Bytes {
  return der(0x02, v < 0x80 ? Uint8Array.of(v) : Uint8Array.of(v >> 8, v & 0xff));
}

function kstr(s: string): Bytes {
  return der(0x1b, ascii(s));
}

/** PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }. */
function principalName(type: number, parts: string[]): Bytes {
  return der(0x30, der(0xa0, derInt(type)), der(0xa1, der(0x30, ...parts.map(kstr))));
}

/** KRB_AP_REQ (RFC 4120 §5.5.1) with a Ticket for `realm` / `sname` whose enc-part has `etype`. */
export function apReq(o: { realm: string; sname: string[]; etype: number }): Bytes {
  const ticket = der(0x61, der(0x30,
    der(0xa0, derInt(5)),
    der(0xa1, kstr(o.realm)),
    der(0xa2, principalName(2, o.sname)),
    der(0xa3, der(0x30, der(0xa0, derInt(o.etype)), der(0xa1, derInt(3)), der(0xa2, der(0x04, new Uint8Array(40).fill(0xc1)))))));
  return der(0x6e, der(0x30,
    der(0xa0, derInt(5)), der(0xa1, derInt(14)), der(0xa2, der(0x03, Uint8Array.of(0, 0x20, 0, 0, 0))),
    der(0xa3, ticket),
    der(0xa4, der(0x30, der(0xa0, derInt(o.etype)), der(0xa2, der(0x04, new Uint8Array(24).fill(0xa5)))))));
}

/** KRB_AP_REP (RFC 4120 §5.5.2). */
export function apRep(): Bytes {
  return der(0x6f, der(0x30, der(0xa0, derInt(5)), der(0xa1, derInt(15)),
    der(0xa2, der(0x30, der(0xa0, derInt(18)), der(0xa2, der(0x04, new Uint8Array(20).fill(0x7e)))))));
}

/** KRB_ERROR (RFC 4120 §5.9.1) with `code`, the server realm and name. */
export function krbError(o: { code: number; realm: string; sname: string[] }): Bytes {
  return der(0x7e, der(0x30,
    der(0xa0, derInt(5)), der(0xa1, derInt(30)),
    der(0xa4, der(0x18, ascii('20251126080000Z'))), der(0xa5, derInt(0)),
    der(0xa6, derInt(o.code)),
    der(0xa9, kstr(o.realm)), der(0xaa, principalName(2, o.sname))));
}

/** Kerberos V5 mechanism OID 1.2.840.113554.1.2.2 (DER). */
export const KRB5_OID = fromHex('06092a864886f712010202');

/** RFC 1964 §1.1 framing: [APPLICATION 0] { mech OID, TOK_ID, Kerberos message }. */
export function gssKerberos(tokId: number, krbMessage: Bytes, oid: Bytes = KRB5_OID): Bytes {
  return der(0x60, oid, u16(tokId), krbMessage);
}
