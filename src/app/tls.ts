/** TLS records and cleartext handshake (RFC 5246, RFC 8446; SNI RFC 6066 §3; ALPN RFC 7301 §3.1) → TlsFacts; NULL-cipher IP-HTTPS plaintext (MS-IPHTTPS §3.1.5.2). */

import { X509Certificate } from 'node:crypto';
import { A } from '../anomalies/registry.js';
import { u16be, u24be } from '../util/bytes.js';
import { HttpHeadReader, latin1, noteAnomaly, type AppAnomaly, type HttpExchange } from './http.js';
import { StreamBuffer } from './stream.js';

/** Record content types (RFC 5246 §6.2.1, RFC 6520 heartbeat). */
const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23, Heartbeat: 24 } as const;

/** Handshake message types (RFC 5246 §7.4, RFC 8446 §4). */
const HandshakeType = {
  HelloRequest: 0, ClientHello: 1, ServerHello: 2, NewSessionTicket: 4, Certificate: 11, ServerKeyExchange: 12,
  CertificateRequest: 13, ServerHelloDone: 14, CertificateVerify: 15, ClientKeyExchange: 16, Finished: 20,
} as const;

const HANDSHAKE_NAMES = new Map<number, string>([
  [0, 'hello_request'], [1, 'client_hello'], [2, 'server_hello'], [3, 'hello_verify_request'], [4, 'new_session_ticket'],
  [5, 'end_of_early_data'], [8, 'encrypted_extensions'], [11, 'certificate'], [12, 'server_key_exchange'],
  [13, 'certificate_request'], [14, 'server_hello_done'], [15, 'certificate_verify'], [16, 'client_key_exchange'],
  [20, 'finished'], [21, 'certificate_url'], [22, 'certificate_status'], [24, 'key_update'], [254, 'message_hash'],
]);

/** Which side may send a message type; Certificate and Finished come from both. */
const FROM_CLIENT = new Set<number>([HandshakeType.ClientHello, HandshakeType.CertificateVerify, HandshakeType.ClientKeyExchange]);
const FROM_SERVER = new Set<number>([HandshakeType.HelloRequest, HandshakeType.ServerHello, HandshakeType.NewSessionTicket,
  HandshakeType.ServerKeyExchange, HandshakeType.CertificateRequest, HandshakeType.ServerHelloDone]);

const ExtensionType = { ServerName: 0, Alpn: 16, SupportedVersions: 43 } as const;

/** IANA names of the suites met in practice; others are shown in hex. */
const SUITE_NAMES = new Map<number, string>([
  [0x0000, 'TLS_NULL_WITH_NULL_NULL'],
  [0x0001, 'TLS_RSA_WITH_NULL_MD5'],
  [0x0002, 'TLS_RSA_WITH_NULL_SHA'],
  [0x003b, 'TLS_RSA_WITH_NULL_SHA256'],
  [0x0004, 'TLS_RSA_WITH_RC4_128_MD5'],
  [0x0005, 'TLS_RSA_WITH_RC4_128_SHA'],
  [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256'],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256'],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA'],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA'],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
  [0x5600, 'TLS_FALLBACK_SCSV'],
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
  [0x1304, 'TLS_AES_128_CCM_SHA256'],
  [0x1305, 'TLS_AES_128_CCM_8_SHA256'],
  [0xc001, 'TLS_ECDH_ECDSA_WITH_NULL_SHA'],
  [0xc006, 'TLS_ECDHE_ECDSA_WITH_NULL_SHA'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'],
  [0xc00b, 'TLS_ECDH_RSA_WITH_NULL_SHA'],
  [0xc010, 'TLS_ECDHE_RSA_WITH_NULL_SHA'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0xc015, 'TLS_ECDH_anon_WITH_NULL_SHA'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256'],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
]);

/**
 * NULL-encryption suites → MAC bytes at the end of every protected record (RFC 5246 §6.2.3.1: no IV, no
 * padding). IP-HTTPS uses the first three (protocols §1.4); the ECDH(E) ones are listed too, because a
 * server that picked one would leave the traffic just as readable.
 */
const NULL_SUITE_MAC = new Map<number, number>([
  [0x0001, 16], [0x0002, 20], [0x003b, 32], [0xc001, 20], [0xc006, 20], [0xc00b, 20], [0xc010, 20], [0xc015, 20],
]);

/** Signalling values (RFC 5746, RFC 7507) and GREASE (RFC 8701) are offered without being suites. */
function isSignalling(suite: number): boolean {
  return suite === 0x00ff || suite === 0x5600 || ((suite & 0x0f0f) === 0x0a0a && suite >> 8 === (suite & 0xff));
}

function cipherSuiteName(suite: number): string {
  return SUITE_NAMES.get(suite) ?? `0x${suite.toString(16).padStart(4, '0')}`;
}

function isTls13(version: number): boolean {
  return version === 0x0304 || (version >= 0x7f00 && version <= 0x7fff);
}

function tlsVersionName(version: number): string {
  switch (version) {
    case 0x0300: return 'SSL 3.0';
    case 0x0301: return 'TLS 1.0';
    case 0x0302: return 'TLS 1.1';
    case 0x0303: return 'TLS 1.2';
    case 0x0304: return 'TLS 1.3';
    default:
      return version >= 0x7f00 && version <= 0x7fff ? `TLS 1.3 draft ${version & 0xff}` : `0x${version.toString(16).padStart(4, '0')}`;
  }
}

const ALERT_LEVELS = new Map<number, string>([[1, 'warning'], [2, 'fatal']]);
const ALERT_NAMES = new Map<number, string>([
  [0, 'close_notify'], [10, 'unexpected_message'], [20, 'bad_record_mac'], [21, 'decryption_failed'], [22, 'record_overflow'],
  [30, 'decompression_failure'], [40, 'handshake_failure'], [41, 'no_certificate'], [42, 'bad_certificate'],
  [43, 'unsupported_certificate'], [44, 'certificate_revoked'], [45, 'certificate_expired'], [46, 'certificate_unknown'],
  [47, 'illegal_parameter'], [48, 'unknown_ca'], [49, 'access_denied'], [50, 'decode_error'], [51, 'decrypt_error'],
  [60, 'export_restriction'], [70, 'protocol_version'], [71, 'insufficient_security'], [80, 'internal_error'],
  [86, 'inappropriate_fallback'], [90, 'user_canceled'], [100, 'no_renegotiation'], [109, 'missing_extension'],
  [110, 'unsupported_extension'], [111, 'certificate_unobtainable'], [112, 'unrecognized_name'],
  [113, 'bad_certificate_status_response'], [114, 'bad_certificate_hash_value'], [115, 'unknown_psk_identity'],
  [116, 'certificate_required'], [120, 'no_application_protocol'],
]);

/** SHA-256("HelloRetryRequest"): the random of a ServerHello that is really a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Uint8Array.of(
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c);

const RECORD_HEADER = 5;
/** TLSCiphertext.length ≤ 2^14 + 2048 (RFC 5246 §6.2.3); the record buffer holds one such record whole. */
const MAX_FRAGMENT = 16384 + 2048;
/** Handshake bytes held per direction (architecture §9: handshakes up to 16 KiB per direction). */
const HANDSHAKE_LIMIT = 16384;
/** Architecture §4.4: hard cap on the TLS extensions walked per hello. */
const MAX_EXTENSIONS = 128;
const MAX_HANDSHAKES = 64;
const MAX_ALERTS = 8;
/** Certificates parsed per Certificate message (all are counted). */
const MAX_CERTIFICATES = 10;

export interface ClientHelloFacts {
  frame: number;
  /** legacy_version (0x0303 for TLS 1.2, and for TLS 1.3, which offers itself in supported_versions). */
  version: number;
  /** supported_versions (RFC 8446 §4.2.1) in the client's order; [] when absent. */
  supportedVersions: number[];
  cipherSuites: number[];
  /** Offers NULL-encryption suites and nothing else (signalling values aside): Windows 8+ IP-HTTPS (protocols §1.6). */
  onlyNullSuites: boolean;
  compressionMethods: number[];
  /** The host_name of server_name (RFC 6066 §3), or null. */
  sni: string | null;
  /** application_layer_protocol_negotiation (RFC 7301 §3.1); [] when absent. */
  alpn: string[];
  /** Extension types in order (at most 128). */
  extensions: number[];
}

export interface ServerHelloFacts {
  frame: number;
  legacyVersion: number;
  /** The negotiated version: supported_versions when present (RFC 8446 §4.2.1), else legacy_version. */
  version: number;
  versionName: string;
  cipherSuite: number;
  cipherSuiteName: string;
  /** A NULL-encryption suite (protocols §1.4): application data is plaintext followed by a MAC. */
  nullCipher: boolean;
  /** MAC bytes ending each protected record under a NULL suite (16, 20 or 32); null otherwise. */
  macLength: number | null;
  compressionMethod: number;
  alpn: string | null;
  extensions: number[];
}

export interface CertificateFacts {
  /** Distinguished name as "C=US, O=…, CN=…" (values escaped as RFC 4514 asks). */
  subject: string;
  issuer: string;
  /** subjectAltName entries such as "DNS:da.contoso.example". */
  subjectAltName: string[];
  /** ISO 8601 (UTC). */
  validFrom: string;
  validTo: string;
  /** SHA-256 of the DER, colon-separated hex. */
  sha256: string;
  /** Serial number in hex. */
  serial: string;
}

export interface CertificateMessageFacts {
  frame: number;
  /** Certificates in the message (0: an empty Certificate, a client declining to authenticate). */
  count: number;
  /** The first certificates, parsed (unparsable ones are left out and noted). */
  chain: CertificateFacts[];
}

export interface HandshakeFact {
  frame: number;
  fromClient: boolean;
  type: number;
  name: string;
}

export interface AlertFact {
  frame: number;
  fromClient: boolean;
  /** Sent under encryption: level and description unknown. */
  encrypted: boolean;
  level: number | null;
  levelName: string | null;
  description: number | null;
  descriptionName: string | null;
}

/** MS-IPHTTPS §3.2.1 server authentication mode, as the handshake shows it (protocols §1.5). */
export type IpHttpsAuthMode = 'certificates' | 'none';

export interface TlsFacts {
  clientHello: ClientHelloFacts | null;
  serverHello: ServerHelloFacts | null;
  /** Frame of a HelloRetryRequest (RFC 8446 §4.1.4); the real ServerHello follows it. */
  helloRetryRequestFrame: number | null;
  serverCertificate: CertificateMessageFacts | null;
  certificateRequestFrame: number | null;
  serverHelloDoneFrame: number | null;
  clientCertificate: CertificateMessageFacts | null;
  /** Frame of each side's ChangeCipherSpec. */
  changeCipherSpec: { client: number | null; server: number | null };
  /** Every handshake message read in clear, the Finished too under a NULL suite (at most 64). */
  handshakes: HandshakeFact[];
  alerts: AlertFact[];
  /** The HTTP heads carried as plaintext under a NULL suite (the IP-HTTPS POST and 200 OK). */
  http: HttpExchange;
  /**
   * 'certificates': the server sent a CertificateRequest and the client a non-empty Certificate;
   * 'none': a full handshake (ServerHelloDone, both ChangeCipherSpecs) without either; null: not seen
   * (TLS 1.3 hides both, a resumed session has neither, an empty client Certificate proves neither).
   */
  ipHttpsAuthMode: IpHttpsAuthMode | null;
  anomalies: AppAnomaly[];
}

/** One direction of the connection. */
class Side {
  readonly fromClient: boolean;
  readonly records = new StreamBuffer(RECORD_HEADER + MAX_FRAGMENT);
  /** Handshake bytes, joined across records (a message may span records, RFC 5246 §6.2.1). */
  readonly messages = new StreamBuffer(HANDSHAKE_LIMIT);
  messageSeq = 0;
  /** Application-data plaintext under a NULL suite, read as an HTTP head. */
  readonly http: HttpHeadReader;
  plainSeq = 0;
  /** This side sent ChangeCipherSpec: its later records are protected. */
  ccs = false;
  finished = false;

  constructor(fromClient: boolean, exchange: HttpExchange, anomalies: AppAnomaly[]) {
    this.fromClient = fromClient;
    this.http = new HttpHeadReader(fromClient, exchange, anomalies);
  }
}

/** A NULL suite without compression leaves the application data readable. */
function readable(sh: ServerHelloFacts | null): sh is ServerHelloFacts {
  return sh !== null && sh.nullCipher && sh.compressionMethod === 0;
}

/**
 * One TLS connection, fed per direction with TCP payload in capture order. It reads until nothing more
 * can be learnt (`done`): each direction ends at its ChangeCipherSpec, or, under a NULL suite, once the
 * HTTP head in its first application data is read; a missing segment or a malformed record ends that
 * direction; an alert or a TLS 1.3 ServerHello (everything after it is encrypted) ends both.
 */
export class TlsSession {
  readonly facts: TlsFacts = {
    clientHello: null, serverHello: null, helloRetryRequestFrame: null, serverCertificate: null, certificateRequestFrame: null,
    serverHelloDoneFrame: null, clientCertificate: null, changeCipherSpec: { client: null, server: null }, handshakes: [], alerts: [],
    http: { request: null, response: null }, ipHttpsAuthMode: null, anomalies: [],
  };
  private readonly client = new Side(true, this.facts.http, this.facts.anomalies);
  private readonly server = new Side(false, this.facts.http, this.facts.anomalies);
  private ended = false;

  get done(): boolean {
    return this.ended || (this.client.finished && this.server.finished);
  }

  /** TCP payload buf[start, end) of one direction; `seq` is the sequence number of buf[start]. */
  feed(fromClient: boolean, seq: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    if (end > buf.length) end = buf.length;
    const side = fromClient ? this.client : this.server;
    const s = side.records;
    // Added in pieces no larger than the room left, reading whole records in between, so a large
    // segment (offload captures hold up to 64 KiB) never overflows a buffer sized for one record.
    // Each pass advances: after reading, at most one incomplete record is held, and any record that
    // passed the header checks fits the buffer, so there is always room.
    let at = start;
    while (at < end && !side.finished && !this.ended) {
      const atSeq = (seq + (at - start)) | 0;
      // A record starting right here that will be passed over (see readRecords) is discarded before it is added,
      // so its bytes are never copied.
      if (end - at >= RECORD_HEADER && s.length === 0 && s.isNext(atSeq) && this.passedOver(side, buf, at)) s.discard(RECORD_HEADER + u16be(buf, at + 3));
      const n = Math.min(end - at, s.limit - s.length);
      s.add(atSeq, buf, at, at + n, frame);
      at += n;
      this.readRecords(side);
      if (s.gap && !side.finished) this.stop(side, A.TlsStreamGap, frame);
    }
  }

  private stop(side: Side, code: number, frame: number): void {
    noteAnomaly(this.facts.anomalies, code, frame);
    side.finished = true;
  }

  /** Record layer: type(1) version(2) length(2) fragment (RFC 5246 §6.2.1). */
  private readRecords(side: Side): void {
    const s = side.records;
    while (!side.finished && !this.ended && s.length >= RECORD_HEADER) {
      const b = s.bytes();
      const type = b[0]!;
      const len = u16be(b, 3);
      if (type < ContentType.ChangeCipherSpec || type > ContentType.Heartbeat) return this.stop(side, A.TlsRecordBadType, s.frameAt(0));
      if (b[1] !== 3) return this.stop(side, A.TlsRecordBadVersion, s.frameAt(0));
      if (len > MAX_FRAGMENT) return this.stop(side, A.TlsRecordTooLong, s.frameAt(0));
      if (this.passedOver(side, b, 0)) {
        s.discard(RECORD_HEADER + len);
        continue;
      }
      if (s.length < RECORD_HEADER + len) return;
      // The frame of the record's last byte: where tshark, reassembling, shows its messages.
      this.record(side, type, b, RECORD_HEADER, RECORD_HEADER + len, s.frameAt(RECORD_HEADER + len - 1));
      s.consume(RECORD_HEADER + len);
    }
  }

  /**
   * Whether the record whose header is at b[at] (5 bytes there) is application data on a connection joined after its
   * handshake, with a header that passes readRecords' checks. Such data cannot be read and teaches nothing (see
   * applicationData), so its bytes are passed over as they arrive rather than held; the records after it are read.
   */
  private passedOver(side: Side, b: Uint8Array, at: number): boolean {
    return b[at] === ContentType.ApplicationData && b[at + 1] === 3 && u16be(b, at + 3) <= MAX_FRAGMENT && !side.ccs && this.facts.serverHello === null;
  }

  private record(side: Side, type: number, b: Uint8Array, at: number, end: number, frame: number): void {
    if (at === end && type !== ContentType.ApplicationData && type !== ContentType.Heartbeat) {
      noteAnomaly(this.facts.anomalies, A.TlsRecordEmpty, frame);
      return;
    }
    let stop = end;
    if (side.ccs && type !== ContentType.ChangeCipherSpec) {
      // A side is still read after its ChangeCipherSpec only under a NULL suite (changeCipherSpec() finished
      // it otherwise): each record is then its plaintext followed by the MAC (RFC 5246 §6.2.3.1).
      stop = end - this.facts.serverHello!.macLength!;
      if (stop < at) return this.stop(side, A.TlsRecordShorterThanMac, frame);
    }
    switch (type) {
      case ContentType.ChangeCipherSpec:
        this.changeCipherSpec(side, b, at, end, frame);
        break;
      case ContentType.Alert:
        this.alert(side, b, at, stop, frame);
        break;
      case ContentType.Handshake:
        this.handshake(side, b, at, stop, frame);
        break;
      case ContentType.ApplicationData:
        this.applicationData(side, b, at, stop, frame);
        break;
      default:
        break; // heartbeat (RFC 6520): nothing about the handshake
    }
  }

  /** Application data: readable only under a NULL suite, where record() has already cut off the MAC. */
  private applicationData(side: Side, b: Uint8Array, at: number, end: number, frame: number): void {
    if (!side.ccs) {
      // TLS ≤ 1.2 protects nothing before ChangeCipherSpec, so data there is out of place. (A TLS 1.3
      // ServerHello has ended the session already; without a ServerHello the connection was joined late.)
      if (this.facts.serverHello !== null) noteAnomaly(this.facts.anomalies, A.TlsApplicationDataBeforeChangeCipherSpec, frame);
      return;
    }
    side.http.add(side.plainSeq, b, at, end, frame);
    side.plainSeq = (side.plainSeq + (end - at)) | 0;
    if (side.http.finished) side.finished = true;
  }

  private changeCipherSpec(side: Side, b: Uint8Array, at: number, end: number, frame: number): void {
    if (side.ccs) return;
    if (end - at !== 1 || b[at] !== 1) noteAnomaly(this.facts.anomalies, A.TlsChangeCipherSpecMalformed, frame);
    side.ccs = true;
    if (side.fromClient) this.facts.changeCipherSpec.client = frame;
    else this.facts.changeCipherSpec.server = frame;
    // From here on this side is protected: unreadable unless the ServerHello chose a NULL suite.
    if (!readable(this.facts.serverHello)) side.finished = true;
    this.updateMode();
  }

  /** Alert: level(1) description(1), several per record allowed (RFC 5246 §7.2). Nothing is learnt after the first record. */
  private alert(side: Side, b: Uint8Array, at: number, end: number, frame: number): void {
    this.ended = true;
    const f = this.facts;
    // A connection joined after its handshake shows no hello: an alert that is not 2 bytes is then an
    // encrypted one (as tshark takes it), not a malformed one.
    if (f.clientHello === null && f.serverHello === null && end - at !== 2) {
      f.alerts.push({ frame, fromClient: side.fromClient, encrypted: true, level: null, levelName: null, description: null, descriptionName: null });
      return;
    }
    if (end === at || (end - at) % 2 !== 0) return noteAnomaly(f.anomalies, A.TlsAlertMalformed, frame);
    for (let p = at; p < end && f.alerts.length < MAX_ALERTS; p += 2) {
      const level = b[p]!;
      const description = b[p + 1]!;
      f.alerts.push({ frame, fromClient: side.fromClient, encrypted: false, level, levelName: ALERT_LEVELS.get(level) ?? `unknown(${level})`,
        description, descriptionName: ALERT_NAMES.get(description) ?? `unknown(${description})` });
    }
  }

  /** Joins handshake fragments; same piecewise adding as feed(), so only a message over 16 KiB can stop it. */
  private handshake(side: Side, b: Uint8Array, at: number, end: number, frame: number): void {
    const m = side.messages;
    let p = at;
    while (p < end && !side.finished && !this.ended) {
      const n = Math.min(end - p, m.limit - m.length);
      m.add(side.messageSeq, b, p, p + n, frame);
      side.messageSeq = (side.messageSeq + n) | 0;
      p += n;
      this.readMessages(side);
    }
  }

  /** Handshake messages: type(1) length(3) body (RFC 5246 §7.4). */
  private readMessages(side: Side): void {
    const m = side.messages;
    while (!side.finished && !this.ended && m.length >= 4) {
      const b = m.bytes();
      const len = u24be(b, 1);
      if (4 + len > m.limit) return this.stop(side, A.TlsHandshakeTooLong, m.frameAt(0));
      if (m.length < 4 + len) return;
      this.message(side, b[0]!, b, 4, 4 + len, m.frameAt(3 + len));
      m.consume(4 + len);
    }
  }

  private message(side: Side, type: number, b: Uint8Array, at: number, end: number, frame: number): void {
    const f = this.facts;
    if (f.handshakes.length < MAX_HANDSHAKES) f.handshakes.push({ frame, fromClient: side.fromClient, type, name: HANDSHAKE_NAMES.get(type) ?? `unknown(${type})` });
    if (side.fromClient ? FROM_SERVER.has(type) : FROM_CLIENT.has(type)) return noteAnomaly(f.anomalies, A.TlsHandshakeWrongDirection, frame);
    switch (type) {
      case HandshakeType.ClientHello:
        if (f.clientHello === null) f.clientHello = this.clientHello(b, at, end, frame);
        break;
      case HandshakeType.ServerHello:
        this.serverHello(b, at, end, frame);
        break;
      case HandshakeType.Certificate: {
        const c = this.certificates(b, at, end, frame);
        if (side.fromClient) f.clientCertificate ??= c;
        else f.serverCertificate ??= c;
        break;
      }
      case HandshakeType.CertificateRequest:
        f.certificateRequestFrame ??= frame;
        break;
      case HandshakeType.ServerHelloDone:
        f.serverHelloDoneFrame ??= frame;
        break;
      default:
        break;
    }
    this.updateMode();
  }

  /** MS-IPHTTPS §3.2.1 modes, read from the handshake as protocols §1.5 describes. */
  private updateMode(): void {
    const f = this.facts;
    if (f.certificateRequestFrame !== null && f.clientCertificate !== null && f.clientCertificate.count > 0) {
      f.ipHttpsAuthMode = 'certificates';
    } else if (f.certificateRequestFrame === null && f.clientCertificate === null && f.serverHelloDoneFrame !== null
      && f.changeCipherSpec.client !== null && f.changeCipherSpec.server !== null) {
      f.ipHttpsAuthMode = 'none';
    }
  }

  /**
   * client_version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2> compression_methods<1..2^8-1>
   * [extensions<0..2^16-1>] (RFC 5246 §7.4.1.2).
   */
  private clientHello(b: Uint8Array, at: number, end: number, frame: number): ClientHelloFacts | null {
    const bad = (): null => {
      noteAnomaly(this.facts.anomalies, A.TlsClientHelloMalformed, frame);
      return null;
    };
    let p = at;
    if (end - p < 35) return bad();
    const version = u16be(b, p);
    p += 34;
    const sid = b[p++]!;
    if (sid > 32 || end - p < sid + 2) return bad();
    p += sid;
    const suitesLen = u16be(b, p);
    p += 2;
    if (suitesLen < 2 || suitesLen % 2 !== 0 || end - p < suitesLen + 1) return bad();
    const cipherSuites: number[] = [];
    for (let i = 0; i < suitesLen; i += 2) cipherSuites.push(u16be(b, p + i));
    p += suitesLen;
    const compLen = b[p++]!;
    if (compLen < 1 || end - p < compLen) return bad();
    const compressionMethods = Array.from(b.subarray(p, p + compLen));
    p += compLen;
    const hello: ClientHelloFacts = {
      frame, version, supportedVersions: [], cipherSuites, onlyNullSuites: false, compressionMethods, sni: null, alpn: [], extensions: [],
    };
    const offered = cipherSuites.filter((s) => !isSignalling(s));
    hello.onlyNullSuites = offered.length > 0 && offered.every((s) => NULL_SUITE_MAC.has(s));
    hello.extensions = this.extensions(b, p, end, frame, (type, s, e) => {
      if (type === ExtensionType.ServerName) {
        const name = this.serverName(b, s, e);
        if (name === undefined) noteAnomaly(this.facts.anomalies, A.TlsExtensionMalformed, frame);
        else hello.sni = name;
      } else if (type === ExtensionType.Alpn) {
        const list = this.protocolNames(b, s, e);
        if (list === null) noteAnomaly(this.facts.anomalies, A.TlsExtensionMalformed, frame);
        else hello.alpn = list;
      } else if (type === ExtensionType.SupportedVersions) {
        // versions<2..254>: a one-byte length, then two bytes per version.
        const n = e - s >= 1 ? b[s]! : -1;
        if (n < 2 || n % 2 !== 0 || n !== e - s - 1) noteAnomaly(this.facts.anomalies, A.TlsExtensionMalformed, frame);
        else for (let i = s + 1; i < e; i += 2) hello.supportedVersions.push(u16be(b, i));
      }
    });
    return hello;
  }

  /**
   * version(2) random(32) session_id<0..32> cipher_suite(2) compression_method(1) [extensions] (RFC 5246
   * §7.4.1.3, RFC 8446 §4.1.3). TLS 1.3 drafts before -22 had no session id and no compression method
   * (draft-ietf-tls-tls13-18 §4.1.3); servers of that time are still in captures.
   */
  private serverHello(b: Uint8Array, at: number, end: number, frame: number): void {
    const f = this.facts;
    const bad = (): void => noteAnomaly(f.anomalies, A.TlsServerHelloMalformed, frame);
    let p = at;
    if (end - p < 34) return bad();
    const legacyVersion = u16be(b, p);
    let hrr = true;
    for (let i = 0; i < 32 && hrr; i++) hrr = b[p + 2 + i] === HRR_RANDOM[i];
    p += 34;
    const draft = legacyVersion >= 0x7f00 && legacyVersion < 0x7f16;
    if (!draft) {
      if (end - p < 1) return bad();
      const sid = b[p++]!;
      if (sid > 32 || end - p < sid) return bad();
      p += sid;
    }
    if (end - p < (draft ? 2 : 3)) return bad();
    const cipherSuite = u16be(b, p);
    p += 2;
    const compressionMethod = draft ? 0 : b[p++]!;
    let selected = -1;
    let alpn: string | null = null;
    const extensions = this.extensions(b, p, end, frame, (type, s, e) => {
      if (type === ExtensionType.SupportedVersions) {
        if (e - s === 2) selected = u16be(b, s);
        else noteAnomaly(f.anomalies, A.TlsExtensionMalformed, frame);
      } else if (type === ExtensionType.Alpn) {
        // The server answers with exactly one protocol (RFC 7301 §3.1).
        const list = this.protocolNames(b, s, e);
        if (list === null || list.length !== 1) noteAnomaly(f.anomalies, A.TlsExtensionMalformed, frame);
        else alpn = list[0]!;
      }
    });
    if (hrr) {
      f.helloRetryRequestFrame ??= frame;
      return;
    }
    if (f.serverHello !== null) return;
    const version = selected >= 0 ? selected : legacyVersion;
    const mac = NULL_SUITE_MAC.get(cipherSuite);
    f.serverHello = {
      frame, legacyVersion, version, versionName: tlsVersionName(version), cipherSuite, cipherSuiteName: cipherSuiteName(cipherSuite),
      nullCipher: mac !== undefined, macLength: mac ?? null, compressionMethod, alpn, extensions,
    };
    if (f.clientHello !== null && !f.clientHello.cipherSuites.includes(cipherSuite)) noteAnomaly(f.anomalies, A.TlsServerChoseUnofferedSuite, frame);
    // TLS 1.3 encrypts everything after the ServerHello (RFC 8446 §2): nothing more to read on either side.
    if (isTls13(version)) this.ended = true;
  }

  /**
   * extensions<0..2^16-1>, each type(2) length(2) data, walked one by one with a cap of 128 (architecture
   * §4.4). Absent extensions are allowed (RFC 5246 §7.4.1.2). Returns the types seen.
   */
  private extensions(b: Uint8Array, p: number, end: number, frame: number, visit: (type: number, s: number, e: number) => void): number[] {
    const types: number[] = [];
    if (p === end) return types;
    const note = (code: number): void => noteAnomaly(this.facts.anomalies, code, frame);
    if (end - p < 2) {
      note(A.TlsExtensionMalformed);
      return types;
    }
    const declared = u16be(b, p);
    p += 2;
    let stop = end;
    if (declared !== end - p) {
      note(A.TlsExtensionMalformed);
      if (declared < end - p) stop = p + declared;
    }
    while (p < stop) {
      if (types.length === MAX_EXTENSIONS) {
        note(A.TlsTooManyExtensions);
        break;
      }
      if (stop - p < 4) {
        note(A.TlsExtensionMalformed);
        break;
      }
      const type = u16be(b, p);
      const len = u16be(b, p + 2);
      p += 4;
      if (len > stop - p) {
        note(A.TlsExtensionMalformed);
        break;
      }
      if (types.includes(type)) note(A.TlsDuplicateExtension);
      types.push(type);
      visit(type, p, p + len);
      p += len;
    }
    return types;
  }

  /**
   * server_name (RFC 6066 §3): server_name_list<1..2^16-1> of name_type(1) HostName<1..2^16-1>. Returns the
   * first host_name (type 0), null when there is none, undefined when the lengths do not add up.
   */
  private serverName(b: Uint8Array, s: number, e: number): string | null | undefined {
    if (e - s < 2 || u16be(b, s) !== e - s - 2 || e - s === 2) return undefined;
    let host: string | null = null;
    for (let p = s + 2; p < e;) {
      if (e - p < 3) return undefined;
      const n = u16be(b, p + 1);
      if (n > e - p - 3) return undefined;
      if (b[p] === 0 && host === null) host = latin1(b, p + 3, p + 3 + n);
      p += 3 + n;
    }
    return host;
  }

  /** ALPN (RFC 7301 §3.1): protocol_name_list<2..2^16-1> of ProtocolName<1..2^8-1>; null when malformed. */
  private protocolNames(b: Uint8Array, s: number, e: number): string[] | null {
    if (e - s < 3 || u16be(b, s) !== e - s - 2) return null;
    const names: string[] = [];
    for (let p = s + 2; p < e;) {
      const n = b[p]!;
      if (n === 0 || n > e - p - 1) return null;
      names.push(latin1(b, p + 1, p + 1 + n));
      p += 1 + n;
    }
    return names;
  }

  /** certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1> (RFC 5246 §7.4.2); TLS 1.3's form is never in clear. */
  private certificates(b: Uint8Array, at: number, end: number, frame: number): CertificateMessageFacts {
    const out: CertificateMessageFacts = { frame, count: 0, chain: [] };
    const note = (code: number): void => noteAnomaly(this.facts.anomalies, code, frame);
    if (end - at < 3) {
      note(A.TlsCertificateMalformed);
      return out;
    }
    const declared = u24be(b, at);
    let p = at + 3;
    // One note per message, however many of its lengths disagree.
    let malformed = declared !== end - p;
    const stop = declared < end - p ? p + declared : end;
    while (p < stop) {
      if (stop - p < 3 || u24be(b, p) > stop - p - 3) {
        malformed = true;
        break;
      }
      const len = u24be(b, p);
      p += 3;
      out.count++;
      if (out.chain.length < MAX_CERTIFICATES) {
        const cert = parseCertificate(b.subarray(p, p + len));
        if (cert === null) note(A.TlsCertificateUnparsable);
        else out.chain.push(cert);
      }
      p += len;
    }
    if (malformed) note(A.TlsCertificateMalformed);
    return out;
  }
}

/**
 * Certificates already parsed, by their DER (as base64 text). Why: a DirectAccess client opens a new IP-HTTPS
 * connection to the same server at every reconnect, each with the same certificate, and OpenSSL's parse costs
 * a quarter of a millisecond (100 connections: 25 ms, a tenth of the time before the code is warm). Bounded:
 * emptied when full. Each caller gets its own copy, so no session can change another's facts.
 */
const parsedCertificates = new Map<string, CertificateFacts | null>();
const MAX_PARSED_CERTIFICATES = 64;

/** Node's X.509 parser (OpenSSL); null when the DER is not a certificate. */
function parseCertificate(der: Uint8Array): CertificateFacts | null {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let facts = parsedCertificates.get(key);
  if (facts === undefined) {
    facts = parseCertificateOnce(der);
    if (parsedCertificates.size >= MAX_PARSED_CERTIFICATES) parsedCertificates.clear();
    parsedCertificates.set(key, facts);
  }
  return facts === null ? null : { ...facts, subjectAltName: [...facts.subjectAltName] };
}

function parseCertificateOnce(der: Uint8Array): CertificateFacts | null {
  try {
    const x = new X509Certificate(der);
    return {
      subject: x.subject.split('\n').join(', '),
      issuer: x.issuer.split('\n').join(', '),
      subjectAltName: x.subjectAltName === undefined ? [] : splitNames(x.subjectAltName),
      validFrom: isoTime(x.validFrom),
      validTo: isoTime(x.validTo),
      sha256: x.fingerprint256,
      serial: x.serialNumber,
    };
  } catch {
    return null;
  }
}

/** OpenSSL's "Nov 26 07:23:07 2026 GMT" as ISO 8601; left as it is if it does not parse. */
function isoTime(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}

/**
 * Node lists subjectAltName as `DNS:a, DNS:b`, quoting (JSON-style) any value that holds a comma or a
 * quote, so the list is split at ", " outside quotes.
 */
function splitNames(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\' && i + 1 < text.length) {
      cur += c + text[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && c === ',' && text[i + 1] === ' ') {
      out.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}
