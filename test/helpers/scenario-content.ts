/** Payload builders for scenarios: DNS/LLMNR/mDNS (RFC 1035, 4795, 6762), ND (RFC 4861), TLS 1.2 flights (RFC 5246), RDP (MS-RDPBCGR §2.2.1), AuthIP (MS-AIPS §4.1) and IKEv2 (RFC 7296 §1.2). */

import { ascii, concat, ip4, ip6, Prng, u16, u32, type Bytes } from './build.js';
import {
  apRep, apReq, auth, crypto, cryptoEncrypted, gss, gssId, gssKerberos, krbError, mainModeSa, md5, message, msNt5Vid, nonce,
  notifyAuthip, notifyV2, saV2, sk, tv, vid, vidV2,
} from './isakmp-build.js';
import {
  certificate, certificateRequest, certificateVerify, changeCipherSpec, clientHello, clientKeyExchange, ContentType, extension, finished,
  handshake, NULL_MAC, record, serverHello, serverHelloDone, serverKeyExchange, vec,
} from './tls-build.js';

function u16le(v: number): Bytes {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

function u32le(v: number): Bytes {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

// --- DNS, LLMNR, mDNS --------------------------------------------------------------------------------------

export const DnsType = { A: 1, AAAA: 28 } as const;

export interface DnsAnswer {
  name: string;
  type: 'A' | 'AAAA';
  /** Dotted quad or IPv6 text. */
  address: string;
  ttl?: number;
}

export interface DnsMessageOptions {
  id: number;
  /** Header flags word: 0x0100 query (RD), 0x8180 response (QR RD RA), 0x8000 LLMNR response, 0x8400 mDNS response (QR AA). */
  flags: number;
  questions?: { name: string; type: number }[];
  answers?: DnsAnswer[];
  /** mDNS answers set the cache-flush bit in their class (RFC 6762 §10.2). */
  cacheFlush?: boolean;
}

/** Name as labels (RFC 1035 §3.1); a label's bytes are written as given, so a hostile name stays hostile. */
function dnsName(name: string): Bytes {
  const labels = name.split('.').filter((l) => l.length > 0).map((l) => concat(Uint8Array.of(ascii(l).length), ascii(l)));
  return concat(...labels, Uint8Array.of(0));
}

/**
 * A DNS message (RFC 1035 §4.1): header, questions, A/AAAA answers. An answer for the first question's name
 * points back to it (compression, §4.1.4: 0xC00C, as servers write it).
 */
export function dnsMessage(o: DnsMessageOptions): Bytes {
  const answers = o.answers ?? [];
  const questions = o.questions ?? [];
  const parts: Bytes[] = [u16(o.id), u16(o.flags), u16(questions.length), u16(answers.length), u16(0), u16(0)];
  for (const q of questions) parts.push(dnsName(q.name), u16(q.type), u16(1));
  const first = questions[0]?.name.toLowerCase();
  for (const a of answers) {
    const name = a.name.toLowerCase() === first ? u16(0xc00c) : dnsName(a.name);
    const data = a.type === 'A' ? ip4(a.address) : ip6(a.address);
    parts.push(name, u16(DnsType[a.type]), u16(o.cacheFlush ? 0x8001 : 1), u32(a.ttl ?? 1200), u16(data.length), data);
  }
  return concat(...parts);
}

// --- HTTP ----------------------------------------------------------------------------------------------

/** Printable filler (an HTML-ish body) of `n` bytes. */
function text(rng: Prng, n: number): Bytes {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 64 === 63 ? 0x0a : 0x61 + rng.int(26);
  return out;
}

/** An HTTP/1.1 request (RFC 9112 §3) with an optional body. */
export function httpRequest(method: string, target: string, host: string, body?: Bytes): Bytes {
  const head = `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Microsoft-WinRM/1.0\r\n${body ? `Content-Length: ${body.length}\r\n` : ''}\r\n`;
  return concat(ascii(head), body ?? new Uint8Array(0));
}

/** A 200 OK with Content-Length and a text body of `n` bytes. */
export function httpResponse(rng: Prng, n: number): Bytes {
  return concat(ascii(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nServer: Microsoft-IIS/10.0\r\nContent-Length: ${n}\r\n\r\n`), text(rng, n));
}

/** A text body of `n` bytes (a request body). */
export function httpBody(rng: Prng, n: number): Bytes {
  return text(rng, n);
}

// --- Neighbor Discovery --------------------------------------------------------------------------------------

/** Router Solicitation body after type, code and checksum (RFC 4861 §4.1): reserved, no options. */
export function routerSolicitationBody(): Bytes {
  return u32(0);
}

export interface RouterAdvertisementOptions {
  prefix: string;
  length: number;
  /** MTU option (RFC 4861 §4.6.4); the IP-HTTPS link is 1280 (MS-IPHTTPS §3.2.3.1). */
  mtu?: number;
  routerLifetime?: number;
}

/** Router Advertisement body after type, code and checksum (RFC 4861 §4.2), with a Prefix Information option (§4.6.2). */
export function routerAdvertisementBody(o: RouterAdvertisementOptions): Bytes {
  const prefixOption = concat(Uint8Array.of(3, 4, o.length, 0xc0), u32(86_400), u32(14_400), u32(0), ip6(o.prefix));
  const mtuOption = o.mtu === undefined ? new Uint8Array(0) : concat(Uint8Array.of(5, 1), u16(0), u32(o.mtu));
  return concat(Uint8Array.of(0, 0), u16(o.routerLifetime ?? 1800), u32(0), u32(0), prefixOption, mtuOption);
}

// --- TLS 1.2 ----------------------------------------------------------------------------------------------

/** AEAD suites (RFC 5288, RFC 5289): 8-byte explicit nonce and 16-byte tag around the ciphertext. */
const AEAD = new Set([0x009c, 0x009d, 0xc02b, 0xc02c, 0xc02f, 0xc030]);
const ECDHE = (suite: number): boolean => suite >= 0xc000;

/**
 * Record protection after ChangeCipherSpec (RFC 5246 §6.2.3): under a NULL suite the plaintext then a MAC
 * (§6.2.3.1); under AES-GCM an explicit nonce, ciphertext of the plaintext's length and a tag (RFC 5288 §3),
 * here pseudo-random bytes.
 */
export class TlsProtection {
  readonly suite: number;
  private readonly rng: Prng;
  private readonly seq = { client: 0, server: 0 };

  constructor(suite: number, seed: number) {
    if (NULL_MAC[suite] === undefined && !AEAD.has(suite)) throw new Error(`no record protection for suite 0x${suite.toString(16)}`);
    this.suite = suite;
    this.rng = new Prng(seed);
  }

  protect(type: number, plain: Bytes, fromClient: boolean): Bytes {
    const n = fromClient ? this.seq.client++ : this.seq.server++;
    const mac = NULL_MAC[this.suite];
    if (mac !== undefined) return record(type, concat(plain, this.rng.bytes(mac)));
    return record(type, concat(u32(0), u32(n), this.rng.bytes(plain.length), this.rng.bytes(16)));
  }
}

export interface Tls12HandshakeOptions {
  /** The suite the server picks; the client offers `offered` (default: just this one). */
  suite: number;
  offered?: number[];
  sni?: string;
  serverCertificate: Bytes;
  /** The server asks for a certificate and the client sends this one (MS-IPHTTPS §3.2.1 mode Certificates). */
  clientCertificate?: Bytes;
}

/** One side's bytes for one TCP send. */
export interface Flight {
  fromClient: boolean;
  bytes: Bytes;
}

/** Extensions a Windows (Schannel) client sends besides SNI: signature_algorithms, extended_master_secret, renegotiation_info. */
function windowsExtensions(ecdhe: boolean): Bytes[] {
  const sigalgs = extension(13, vec(2, concat(...[0x0804, 0x0401, 0x0403, 0x0501, 0x0503, 0x0201].map(u16))));
  const groups = [extension(10, vec(2, concat(u16(0x001d), u16(0x0017), u16(0x0018)))), extension(11, vec(1, Uint8Array.of(0)))];
  return [...(ecdhe ? groups : []), sigalgs, extension(23, new Uint8Array(0)), extension(0xff01, Uint8Array.of(0))];
}

/**
 * A full TLS 1.2 handshake, one flight per TCP send (RFC 5246 §7.3 figure 1): ClientHello; ServerHello, Certificate,
 * [ServerKeyExchange], [CertificateRequest], ServerHelloDone; [Certificate], ClientKeyExchange, [CertificateVerify],
 * ChangeCipherSpec, Finished; ChangeCipherSpec, Finished.
 */
export function tls12Handshake(o: Tls12HandshakeOptions, p: TlsProtection, rng: Prng): Flight[] {
  const ecdhe = o.offered?.some(ECDHE) ?? ECDHE(o.suite);
  const hello = clientHello({ suites: o.offered ?? [o.suite], sni: o.sni, extensions: windowsExtensions(ecdhe) });
  const server = [serverHello({ suite: o.suite }), certificate([o.serverCertificate])];
  if (ECDHE(o.suite)) server.push(serverKeyExchange());
  if (o.clientCertificate) server.push(certificateRequest());
  server.push(serverHelloDone());
  const client: Bytes[] = [];
  if (o.clientCertificate) client.push(certificate([o.clientCertificate]));
  client.push(ECDHE(o.suite) ? handshake(16, vec(1, concat(Uint8Array.of(4), rng.bytes(64)))) : clientKeyExchange());
  if (o.clientCertificate) client.push(certificateVerify());
  return [
    { fromClient: true, bytes: record(ContentType.Handshake, hello, 0x0301) },
    { fromClient: false, bytes: record(ContentType.Handshake, concat(...server)) },
    { fromClient: true, bytes: concat(record(ContentType.Handshake, concat(...client)), changeCipherSpec(), p.protect(ContentType.Handshake, finished(), true)) },
    { fromClient: false, bytes: concat(changeCipherSpec(), p.protect(ContentType.Handshake, finished(), false)) },
  ];
}

/** A copy of a DER certificate with one string replaced by another of the same length (e.g. another host's CN). The signature no longer verifies; nothing here checks it. */
export function withReplacedName(der: Bytes, from: string, to: string): Bytes {
  if (from.length !== to.length) throw new Error('replacement must keep the length');
  const text = Buffer.from(der).toString('latin1');
  if (!text.includes(from)) throw new Error(`${from} not in the certificate`);
  return new Uint8Array(Buffer.from(text.split(from).join(to), 'latin1'));
}

// --- RDP (MS-RDPBCGR §2.2.1) -------------------------------------------------------------------------------

/** requestedProtocols / selectedProtocol values (MS-RDPBCGR §2.2.1.1.1). */
export const RdpProtocol = { Rdp: 0, Tls: 1 } as const;

function tpkt(body: Bytes): Bytes {
  return concat(Uint8Array.of(3, 0), u16(4 + body.length), body);
}

/** X.224 Connection Request with `Cookie: mstshash=<cookie>` and RDP_NEG_REQ (MS-RDPBCGR §2.2.1.1). */
export function rdpConnectionRequest(cookie: string, requested: number): Bytes {
  const user = concat(ascii(`Cookie: mstshash=${cookie}\r\n`), Uint8Array.of(1, 0), u16le(8), u32le(requested));
  return tpkt(concat(Uint8Array.of(6 + user.length, 0xe0, 0, 0, 0, 0, 0), user));
}

/** X.224 Connection Confirm with RDP_NEG_RSP (MS-RDPBCGR §2.2.1.2); flags EXTENDED_CLIENT_DATA_SUPPORTED. */
export function rdpConnectionConfirm(selected: number): Bytes {
  const neg = concat(Uint8Array.of(2, 0x01), u16le(8), u32le(selected));
  return tpkt(concat(Uint8Array.of(6 + neg.length, 0xd0, 0, 0, 0x12, 0x34, 0), neg));
}

function berLength(n: number): Bytes {
  return n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >>> 8, n & 0xff);
}

function ber(tag: Bytes | number, ...content: Bytes[]): Bytes {
  const body = concat(...content);
  return concat(typeof tag === 'number' ? Uint8Array.of(tag) : tag, berLength(body.length), body);
}

/** INTEGER as Windows writes T.125 domain parameters: one byte up to 0xFF, else two (MS-RDPBCGR §4.1.3). */
function berInt(v: number): Bytes {
  return v <= 0xff ? Uint8Array.of(2, 1, v) : Uint8Array.of(2, 2, v >>> 8, v & 0xff);
}

function domainParameters(values: number[]): Bytes {
  return ber(0x30, ...values.map(berInt));
}

/** PER length determinant (X.691 §10.9): one byte below 128, else two with the top bit set. */
function perLength(n: number): Bytes {
  return n < 0x80 ? Uint8Array.of(n) : Uint8Array.of(0x80 | (n >>> 8), n & 0xff);
}

/** X.224 Data TPDU (LI 2, DT, EOT) in a TPKT. */
function x224Data(pdu: Bytes): Bytes {
  return tpkt(concat(Uint8Array.of(2, 0xf0, 0x80), pdu));
}

function utf16Padded(s: string, bytes: number): Bytes {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < s.length && 2 * i + 1 < bytes - 2; i++) out.set(u16le(s.charCodeAt(i)), 2 * i);
  return out;
}

function userDataBlock(type: number, body: Bytes): Bytes {
  return concat(u16le(type), u16le(4 + body.length), body);
}

/**
 * MCS Connect Initial (T.125, BER) carrying a GCC Conference Create Request (T.124, PER) with CS_CORE,
 * CS_SECURITY and CS_NET, laid out as MS-RDPBCGR §4.1.3 shows it; CS_NET names the static channels
 * (Remote Assistance's session-init channel is "remdesk", MS-RA §2.1).
 */
export function mcsConnectInitial(o: { clientName: string; channels: string[]; selected: number }): Bytes {
  const core = userDataBlock(0xc001, concat(
    u32le(0x00080004), u16le(1280), u16le(1024), u16le(0xca01), u16le(0xaa03), u32le(0x409), u32le(19045),
    utf16Padded(o.clientName, 32), u32le(4), u32le(0), u32le(12), new Uint8Array(64),
    u16le(0xca01), u16le(1), u32le(0), u16le(0x18), u16le(0x0f), u16le(0x0001), new Uint8Array(64), Uint8Array.of(0, 0), u32le(o.selected)));
  const security = userDataBlock(0xc002, concat(u32le(0x1b), u32le(0)));
  const net = userDataBlock(0xc003, concat(u32le(o.channels.length), ...o.channels.map((name) => {
    const n = new Uint8Array(8);
    n.set(ascii(name).subarray(0, 7));
    return concat(n, u32le(0x80a00000));
  })));
  const blocks = concat(core, security, net);
  const conference = concat(Uint8Array.of(0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00), ascii('Duca'), perLength(blocks.length), blocks);
  const gcc = concat(Uint8Array.of(0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01), perLength(conference.length), conference);
  const ci = ber(Uint8Array.of(0x7f, 0x65),
    ber(0x04, Uint8Array.of(1)), ber(0x04, Uint8Array.of(1)), ber(0x01, Uint8Array.of(0xff)),
    domainParameters([34, 2, 0, 1, 0, 1, 0xffff, 2]), domainParameters([1, 1, 1, 1, 0, 1, 0x420, 2]),
    domainParameters([0xffff, 0xfc17, 0xffff, 1, 0, 1, 0xffff, 2]), ber(0x04, gcc));
  return x224Data(ci);
}

/**
 * MCS Connect Response with a GCC Conference Create Response (MS-RDPBCGR §4.1.4): SC_CORE, SC_SECURITY
 * (128-bit RC4, client-compatible level, a server random and a proprietary certificate, §2.2.1.4.3) and SC_NET.
 */
export function mcsConnectResponse(o: { channels: number; selected: number; rng: Prng }): Bytes {
  const rsaKey = concat(ascii('RSA1'), u32le(72), u32le(512), u32le(63), u32le(65537), o.rng.bytes(64), new Uint8Array(8));
  const cert = concat(u32le(1), u32le(1), u32le(1), u16le(6), u16le(rsaKey.length), rsaKey, u16le(8), u16le(72), o.rng.bytes(64), new Uint8Array(8));
  const core = userDataBlock(0x0c01, concat(u32le(0x00080004), u32le(o.selected)));
  const security = userDataBlock(0x0c02, concat(u32le(0x2), u32le(2), u32le(32), u32le(cert.length), o.rng.bytes(32), cert));
  const ids = Array.from({ length: o.channels }, (_, i) => u16le(0x3ec + i));
  const net = userDataBlock(0x0c03, concat(u16le(0x3eb), u16le(o.channels), ...ids, o.channels % 2 === 1 ? new Uint8Array(2) : new Uint8Array(0)));
  const blocks = concat(core, security, net);
  // Windows writes the connectPDU length as 0x2a whatever the real length (MS-RDPBCGR §4.1.4).
  const gcc = concat(Uint8Array.of(0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01, 0x2a, 0x14, 0x76, 0x0a, 0x01, 0x01, 0x00, 0x01, 0xc0, 0x00),
    ascii('McDn'), perLength(blocks.length), blocks);
  const cr = ber(Uint8Array.of(0x7f, 0x66), ber(0x0a, Uint8Array.of(0)), ber(0x02, Uint8Array.of(0)),
    domainParameters([34, 3, 0, 1, 0, 1, 0xfff8, 2]), ber(0x04, gcc));
  return x224Data(cr);
}

/**
 * The MCS domain set-up after Connect Response, in clear (MS-RDPBCGR §2.2.1.5–2.2.1.8, T.125 PER as §4.1.5–4.1.8
 * show it): Erect Domain and Attach User from the client, Attach User Confirm giving user 1007, then a Channel Join
 * Request and Confirm for the user channel, the I/O channel 1003 and each static channel from 1004 on.
 */
export function mcsDomainSetup(channels: number): Flight[] {
  const user = 1007;
  const join = (id: number): Flight[] => [
    { fromClient: true, bytes: x224Data(concat(Uint8Array.of(0x38), u16(user - 1001), u16(id))) },
    { fromClient: false, bytes: x224Data(concat(Uint8Array.of(0x3e, 0), u16(user - 1001), u16(id), u16(id))) },
  ];
  return [
    { fromClient: true, bytes: x224Data(Uint8Array.of(0x04, 0x01, 0x00, 0x01, 0x00)) },
    { fromClient: true, bytes: x224Data(Uint8Array.of(0x28)) },
    { fromClient: false, bytes: x224Data(concat(Uint8Array.of(0x2e, 0), u16(user - 1001))) },
    ...[user, 1003, ...Array.from({ length: channels }, (_, i) => 1004 + i)].flatMap(join),
  ];
}

/**
 * A slow-path PDU on the I/O channel (MS-RDPBCGR §2.2.8.1.1.1): MCS Send Data Request from user 1007 on
 * channel 1003, a basic security header with `flags`, then `body`.
 */
export function rdpSendData(flags: number, body: Bytes, sendIndication = false): Bytes {
  const data = concat(u16le(flags), u16le(0), body);
  return x224Data(concat(Uint8Array.of(sendIndication ? 0x68 : 0x64, 0x00, 0x06, 0x03, 0xeb, 0x70), perLength(data.length), data));
}

/** Security Exchange PDU (MS-RDPBCGR §2.2.1.10): SEC_EXCHANGE_PKT with the client random encrypted to the server key. */
export function rdpSecurityExchange(rng: Prng): Bytes {
  return rdpSendData(0x0001, concat(u32le(72), rng.bytes(64), new Uint8Array(8)));
}

/** An encrypted slow-path PDU (SEC_ENCRYPT, plus SEC_INFO_PKT for the Client Info PDU): 8-byte MAC then RC4 ciphertext. */
export function rdpEncrypted(rng: Prng, length: number, info = false, fromServer = false): Bytes {
  return rdpSendData(info ? 0x0048 : 0x0008, concat(rng.bytes(8), rng.bytes(length)), fromServer);
}

/** An encrypted fast-path PDU (MS-RDPBCGR §2.2.9.1.2, §2.2.8.1.2): header with FASTPATH_OUTPUT_ENCRYPTED, length, signature, ciphertext. */
export function rdpFastPath(rng: Prng, length: number): Bytes {
  const total = 3 + 8 + length;
  return concat(Uint8Array.of(0x80, 0x80 | (total >>> 8), total & 0xff), rng.bytes(8), rng.bytes(length));
}

// --- AuthIP (MS-AIPS) and IKEv2 (RFC 7296) ------------------------------------------------------------------

/** How an AuthIP negotiation ends (protocols.md §4.4, §7 rows 9–11). */
export type AuthipOutcome = 'complete' | 'no-response' | 'kerberos-error' | 'notify' | 'no-quick-mode' | 'authenticated';

export interface AuthipOptions {
  ispi: Bytes;
  rspi: Bytes;
  realm: string;
  /** The responder's service principal, e.g. host/client2.corp.contoso.example. */
  spn: string;
  outcome: AuthipOutcome;
  /** The Windows error code in the 'notify' outcome's NOTIFY_STATUS; default ERROR_IPSEC_IKE_NO_POLICY (0x3601). */
  notifyStatus?: number;
  rng: Prng;
}

/** One message of a negotiation, and who sends it. */
export interface IkeStep {
  fromInitiator: boolean;
  bytes: Bytes;
  /** UDP 4500 with the non-ESP marker (RFC 3948 §2.2) instead of 500. */
  natT?: boolean;
}

/** Vendor IDs a Windows 8+ host sends in Main Mode #1/#2 (protocols.md §4.5). */
function windowsVids(): ReturnType<typeof vid>[] {
  return [msNt5Vid(9), vid(md5('MS-Negotiation Discovery Capable')), vid(md5('IKE CGA version 1')), vid(md5('FRAGMENTATION'))];
}

/** E=1 AuthIP body: seqNUM, an IV, ciphertext padded to the AES block, a 12-byte ICV (MS-AIPS §2.2.3.2.1). */
function encryptedCrypto(seqNum: number, plainLength: number, rng: Prng): ReturnType<typeof cryptoEncrypted> {
  return cryptoEncrypted(seqNum, rng.bytes(16 + Math.ceil((plainLength + 2) / 16) * 16 + 12));
}

/**
 * AuthIP Main Mode with Kerberos, MS-AIPS §4.1 / protocols.md §4.4 flow: #1 SA + Auth + Nonce + VIDs; #2 the
 * chosen SA, Auth, two nonces, GSS_ID; #3 GSS-API AP-REQ; #4 GSS-API AP-REP; #5/#6 encrypted (first Quick
 * Mode inside); #7 encrypted NOTIFY_QM_SYNCHRONIZE. Failures cut or replace the tail.
 */
export function authipMainMode(o: AuthipOptions): IkeStep[] {
  const { ispi, rspi, rng } = o;
  const mmSa = mainModeSa([tv(1, 7), tv(14, 128), tv(2, 2), tv(4, 20)]);
  const mm1 = message({ ispi, exchange: 0xf3 }, [crypto(1), mmSa, auth([2]), nonce(32), ...windowsVids()]);
  if (o.outcome === 'no-response') return [0, 1, 2].map(() => ({ fromInitiator: true, bytes: mm1 }));
  const sname = o.spn.split('/');
  const steps: IkeStep[] = [
    { fromInitiator: true, bytes: mm1 },
    { fromInitiator: false, bytes: message({ ispi, rspi, exchange: 0xf3 }, [crypto(1), mmSa, auth([2]), nonce(32), nonce(32), ...windowsVids(), gssId(o.spn)]) },
    { fromInitiator: true, bytes: message({ ispi, rspi, exchange: 0xf3 }, [crypto(2), gss(0, 0x01, gssKerberos(0x0100, apReq({ realm: o.realm, sname, etype: 18 })))]) },
  ];
  if (o.outcome === 'kerberos-error') {
    // KDC_ERR_S_PRINCIPAL_UNKNOWN (RFC 4120 §7.5.9) with GSS status ERROR_IPSEC_IKE_KERBEROS_ERROR (0x3603).
    steps.push({ fromInitiator: false, bytes: message({ ispi, rspi, exchange: 0xf3 }, [crypto(2), gss(0x3603, 0, gssKerberos(0x0300, krbError({ code: 7, realm: o.realm, sname })))]) });
    return steps;
  }
  steps.push({ fromInitiator: false, bytes: message({ ispi, rspi, exchange: 0xf3 }, [crypto(2, rng.bytes(8)), gss(0, 0x10, gssKerberos(0x0200, apRep()))]) });
  const enc = (seq: number, plain: number): Bytes => message({ ispi, rspi, exchange: 0xf3, flags: 1 }, [encryptedCrypto(seq, plain, rng)]);
  if (o.outcome === 'notify') {
    // NOTIFY_STATUS (0x9C54) carrying the error (default ERROR_IPSEC_IKE_NO_POLICY, 0x3601), reliable (MS-AIPS §2.2.3.5).
    steps.push({ fromInitiator: false, bytes: message({ ispi, rspi, exchange: 0xf6 }, [crypto(3), notifyAuthip({ type: 0x9c54, flags: 1, data: u32(o.notifyStatus ?? 0x3601) })]) });
    return steps;
  }
  // Main Mode #1–#4 only: Quick Mode follows as exchange 0xF4 (MS-AIPS §2.2.1 allows it), told by the caller.
  if (o.outcome === 'authenticated') return steps;
  steps.push({ fromInitiator: true, bytes: enc(3, 220) });
  if (o.outcome === 'no-quick-mode') return steps;
  steps.push({ fromInitiator: false, bytes: enc(3, 200) }, { fromInitiator: true, bytes: enc(4, 24) });
  return steps;
}

/**
 * A later AuthIP Quick Mode (exchange 0xF4, MS-AIPS §2.2.1, §3.8) under the Main Mode SA `ispi`/`rspi`, e.g. a
 * rekey: QM #1 from the initiator, #2 from the responder, #3 from the initiator, all encrypted (E=1), with
 * their own message ID and the Crypto sequence numbers going on from Main Mode (initiator 5, 6; responder 4).
 */
export function authipQuickMode(o: { ispi: Bytes; rspi: Bytes; messageId: number; rng: Prng }): IkeStep[] {
  const enc = (seq: number, plain: number): Bytes => message({ ispi: o.ispi, rspi: o.rspi, exchange: 0xf4, flags: 1, messageId: o.messageId }, [encryptedCrypto(seq, plain, o.rng)]);
  return [
    { fromInitiator: true, bytes: enc(5, 260) },
    { fromInitiator: false, bytes: enc(4, 240) },
    { fromInitiator: true, bytes: enc(6, 40) },
  ];
}

export interface Ikev2Options {
  ispi: Bytes;
  rspi: Bytes;
  /** NAT detected: IKE_AUTH moves to UDP 4500 (RFC 7296 §2.23). */
  natT: boolean;
  rng: Prng;
}

/** IKE_SA_INIT and IKE_AUTH (RFC 7296 §1.2): SA, KE, Ni, NAT-D notifies, VIDs; then SK payloads both ways. */
export function ikev2Exchange(o: Ikev2Options): IkeStep[] {
  const { ispi, rspi, rng } = o;
  // KE (RFC 7296 §3.4): DH group 19 (256-bit ECP), reserved, the public value.
  const keV2 = (): { type: number; body: Bytes } => ({ type: 34, body: concat(u16(19), u16(0), rng.bytes(64)) });
  const natd = (type: number): ReturnType<typeof notifyV2> => notifyV2({ type, data: rng.bytes(20) });
  const init = message({ ispi, exchange: 34, version: 0x20, flags: 0x08 }, [saV2(), keV2(), nonce(32, 40), natd(16388), natd(16389), vidV2(concat(md5('MS NT5 ISAKMPOAKLEY'), u32(9)))]);
  const initR = message({ ispi, rspi, exchange: 34, version: 0x20, flags: 0x20 }, [saV2(), keV2(), nonce(32, 40), natd(16388), natd(16389)]);
  const authMsg = (flags: number, len: number): Bytes => message({ ispi, rspi, exchange: 35, version: 0x20, flags, messageId: 1 },
    [sk(35, concat(rng.bytes(16), rng.bytes(len), rng.bytes(12)))]);
  return [
    { fromInitiator: true, bytes: init },
    { fromInitiator: false, bytes: initR },
    { fromInitiator: true, bytes: authMsg(0x08, 352), natT: o.natT },
    { fromInitiator: false, bytes: authMsg(0x20, 288), natT: o.natT },
  ];
}

/** An IKEv1 Main Mode #1 as Windows sends it beside AuthIP, with MS-MamieExists (MS-AIPS §3.2.4). */
export function ikev1MamieOffer(ispi: Bytes): Bytes {
  // RFC 2409 App. A: AES-128, SHA1, Kerberos (65001, OAKLEY_ATTR_AUTH_METHOD_GSSAPI_KRB), group 2.
  return message({ ispi, exchange: 2 }, [mainModeSa([tv(1, 7), tv(14, 128), tv(2, 2), tv(3, 65001), tv(4, 2)]), vid(md5('MS-MamieExists')), msNt5Vid(9)]);
}
