/** TLS message and record builders for tests and fixtures (RFC 5246 §6–7, RFC 8446 §4, RFC 6066 §3 SNI, RFC 7301 ALPN; MS-IPHTTPS §4.1 texts). */

import { ascii, concat, fromHex, Prng, u16, type Bytes } from './build.js';

/*
 * Our own fixture certificates (RSA-2048, self-signed, SHA-256), made once on 2026-11-26 with OpenSSL 3.0.19:
 *   openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -sha256 -days 3650 -set_serial 0x1001 \
 *     -subj "/C=US/O=Contoso Example/CN=da.contoso.example" -addext "basicConstraints=critical,CA:FALSE" \
 *     -addext "subjectAltName=DNS:da.contoso.example" -addext "extendedKeyUsage=serverAuth" -outform DER -out server.der
 *   openssl req -x509 -newkey rsa:2048 -nodes -keyout client.key -sha256 -days 3650 -set_serial 0x2002 \
 *     -subj "/C=US/O=Contoso Example/CN=client1.corp.contoso.example" -addext "basicConstraints=critical,CA:FALSE" \
 *     -addext "subjectAltName=DNS:client1.corp.contoso.example" -addext "extendedKeyUsage=clientAuth" -outform DER -out client.der
 * then `xxd -p`. The private keys were thrown away: only the DER is needed.
 */

/** Server certificate: CN=da.contoso.example, SAN DNS:da.contoso.example, serial 1001, SHA-256 AA:68:10:76:…:C7:E4. */
export const SERVER_CERT_DER: Bytes = fromHex(`
  3082038a30820272a00302010202021001300d06092a864886f70d01010b05003044310b300906035504061302555331183016060355040a
  0c0f436f6e746f736f204578616d706c65311b301906035504030c1264612e636f6e746f736f2e6578616d706c65301e170d323631313236
  3037323330375a170d3336313132333037323330375a3044310b300906035504061302555331183016060355040a0c0f436f6e746f736f20
  4578616d706c65311b301906035504030c1264612e636f6e746f736f2e6578616d706c6530820122300d06092a864886f70d010101050003
  82010f003082010a0282010100e15aeafffa0ea4e9238846c4af29583ed7d3590d33e0db446098236378af529d9a4edcc1baa48df92150cc
  ffd5eb9d5802778e975c68a676e0eede4bbfc8221c841fe37cb8b28d8bd8dcc50f238eb8a99309c2cf347f9b1f4325661293a4f9c69461dd
  1976e27250edf94b2e512b8157f1eef71bfad8823c093b3d380fa9d110ca8e060b0c4a25ed8c69fd08a93ed3a96aee04733ed6ed38b1e48a
  2cde70663c1203729762d3e29926026a26d3382d4f58cf5bccd0d7b04e57f10cd2dbf04350aff665ac1b2a4299bdc9e4847b551de2312310
  311b51c90eeddeb327ad43cb5cba3f4d0a6b15e3ae3648b4e62dc0bc995e3524d3d5a18b16b15cd88350df554b0203010001a38185308182
  301d0603551d0e04160414cee9c2482e95cc74b5b29732dba37b9545693c73301f0603551d23041830168014cee9c2482e95cc74b5b29732
  dba37b9545693c73300c0603551d130101ff04023000301d0603551d1104163014821264612e636f6e746f736f2e6578616d706c65301306
  03551d25040c300a06082b06010505070301300d06092a864886f70d01010b050003820101004e3218d1f9b8b3036ba2a2e5552abaf47910
  dfdd7460aa19fbb927fc21ea1fcbce6fcc2e7940b380a60397b312923a962ec0737e990ce328d43e3040b8c48ab2cb07c67c6e9ca45066d6
  e88ef8c578648457b48f6ee534c4e5f0bc9cb18688ced5d0344eb795074363b254903e07f506195f488cfaaf7979ee75cb34c0b328a10d37
  af9cd9fa2a09f270da80a972414141f462df43da98dfe8d2c7f8ca6fd335299cba2c972e79bf77a6a4556c73b593e1bb56f734a0750641eb
  74c22be7c208537b31439ea26ef43a534c6959b92c6769cfa4a8cad85649b852ab775bb992de004e282604b0cf07c24f718515d56ae744c7
  1a81ff6011717e67f06ad6fd4291
`);

/** Client (machine) certificate: CN=client1.corp.contoso.example, serial 2002, SHA-256 D6:0B:40:CC:…:DF:D4. */
export const CLIENT_CERT_DER: Bytes = fromHex(`
  308203a830820290a00302010202022002300d06092a864886f70d01010b0500304e310b300906035504061302555331183016060355040a
  0c0f436f6e746f736f204578616d706c653125302306035504030c1c636c69656e74312e636f72702e636f6e746f736f2e6578616d706c65
  301e170d3236313132363037323330375a170d3336313132333037323330375a304e310b300906035504061302555331183016060355040a
  0c0f436f6e746f736f204578616d706c653125302306035504030c1c636c69656e74312e636f72702e636f6e746f736f2e6578616d706c65
  30820122300d06092a864886f70d01010105000382010f003082010a0282010100cf40d005823012879d20a77f5eafd7cd37ba000c4bc5ff
  0fd7c7bac06e7a7d83e6a2c8463792dede3decdee58a522269adaee184d0aa3a747147d37a83c74c99ffe013c40f77bc7be80242acf49240
  be31b50d02957e0d12cce343dc2f7ce78db9e03fb5c62870ca238930fe17c01e849c5006920b6ecf58b0a3f5016b208ed2945eee9d907206
  3ee708a6161c7b1dc7cd37ecbb8a9e2d39f8bc83ba8ed4421529c76b2da2b516f5647d9a9b403705ee4858b72b76e2534dff3f8b83f4d5f0
  3aede1de6645161f36c09f4c663e67049d45c311aa83c65df00aab2fce08277741fbf9e682a4d63edb1d30661af94d1780b24e9ad8f3ddc1
  e91c6f1217c30bf05d0203010001a3818f30818c301d0603551d0e041604147f719256b56072752b3a113473230452f783c511301f060355
  1d230418301680147f719256b56072752b3a113473230452f783c511300c0603551d130101ff0402300030270603551d110420301e821c63
  6c69656e74312e636f72702e636f6e746f736f2e6578616d706c6530130603551d25040c300a06082b06010505070302300d06092a864886
  f70d01010b05000382010100415a4a001f377d45bb34236ebfc11b4804078cf7ac581fa3068a89ff9e3728e9a53d986c5d903c7381603c84
  7110174b5540093f76709ab4b68124818c627c16da5e46df3966e8c1864cd0444368b70fec619056b937fc5c0e4fa2c2ba0bf9d0b48f063f
  b9bd9cedce17a5ba7065774dfe54d12f45b4d6039745ea77f7d62312bc50371498596b9802ef0799867c9da779062f85dddf487949d481d4
  a4d05cbc6affd066cac9c9918c39658a6a699c9d51abba72fbe75031d1e8c9271bb1197a0aedcfbde22e130bde82a56f0e47aed8278615eb
  f015d9c5e441e4f13cecdf21ffdfa511b08634eac202d00d403d3ecd66e581ff7aa43b3f026030dd41ad0ad0
`);

export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23 } as const;
export const Suite = {
  RSA_WITH_NULL_MD5: 0x0001, RSA_WITH_NULL_SHA: 0x0002, RSA_WITH_NULL_SHA256: 0x003b, ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f, AES_128_GCM_SHA256: 0x1301, AES_256_GCM_SHA384: 0x1302, CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
/** MAC bytes per protected record under the NULL suites (RFC 5246 Appendix A.5, protocols §1.4). */
export const NULL_MAC: Readonly<Record<number, number>> = { [Suite.RSA_WITH_NULL_MD5]: 16, [Suite.RSA_WITH_NULL_SHA]: 20, [Suite.RSA_WITH_NULL_SHA256]: 32 };

export function u24(v: number): Bytes {
  return Uint8Array.of((v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** A TLSPlaintext/TLSCiphertext record: type(1) version(2) length(2) fragment (RFC 5246 §6.2.1). */
export function record(type: number, fragment: Bytes, version = 0x0303): Bytes {
  return concat(Uint8Array.of(type), u16(version), u16(fragment.length), fragment);
}

/** A handshake message: type(1) length(3) body (RFC 5246 §7.4). */
export function handshake(type: number, body: Bytes): Bytes {
  return concat(Uint8Array.of(type), u24(body.length), body);
}

/** One extension: type(2) length(2) data. */
export function extension(type: number, data: Bytes): Bytes {
  return concat(u16(type), u16(data.length), data);
}

/** A vector with a 1-, 2- or 3-byte length prefix. */
export function vec(lenBytes: 1 | 2 | 3, body: Bytes): Bytes {
  const len = lenBytes === 1 ? Uint8Array.of(body.length) : lenBytes === 2 ? u16(body.length) : u24(body.length);
  return concat(len, body);
}

export function sniExtension(host: string): Bytes {
  return extension(0, vec(2, concat(Uint8Array.of(0), vec(2, ascii(host)))));
}

export function alpnExtension(protocols: string[]): Bytes {
  return extension(16, vec(2, concat(...protocols.map((p) => vec(1, ascii(p))))));
}

/** Deterministic filler (random values, signatures, keys, ciphertext). */
export function pseudo(n: number, seed = 7): Bytes {
  return new Prng(seed).bytes(n);
}

/** The deterministic stand-in for a record MAC of `n` bytes. */
export function pseudoMac(n: number, seed = 0x4d4143): Bytes {
  return pseudo(n, seed);
}

export interface ClientHelloOptions {
  /** legacy_version; default 0x0303. */
  version?: number;
  suites: number[];
  sni?: string;
  alpn?: string[];
  /** supported_versions extension (RFC 8446 §4.2.1), when given. */
  supportedVersions?: number[];
  compression?: number[];
  sessionId?: Bytes;
  /** Further extensions, already encoded, after the others. */
  extensions?: Bytes[];
}

/** ClientHello handshake message (RFC 5246 §7.4.1.2); extensions in the order SNI, ALPN, supported_versions, extra. */
export function clientHello(o: ClientHelloOptions): Bytes {
  const exts: Bytes[] = [];
  if (o.sni !== undefined) exts.push(sniExtension(o.sni));
  if (o.alpn !== undefined) exts.push(alpnExtension(o.alpn));
  if (o.supportedVersions !== undefined) exts.push(extension(43, vec(1, concat(...o.supportedVersions.map(u16)))));
  exts.push(...(o.extensions ?? []));
  const body = concat(u16(o.version ?? 0x0303), pseudo(32, 1), vec(1, o.sessionId ?? new Uint8Array(0)),
    vec(2, concat(...o.suites.map(u16))), vec(1, Uint8Array.from(o.compression ?? [0])), exts.length > 0 ? vec(2, concat(...exts)) : new Uint8Array(0));
  return handshake(1, body);
}

export interface ServerHelloOptions {
  suite: number;
  /** Negotiated version; 0x0304 is sent as legacy 0x0303 plus supported_versions (RFC 8446 §4.1.3). Default 0x0303. */
  version?: number;
  alpn?: string;
  compression?: number;
  sessionId?: Bytes;
  /** The HelloRetryRequest random (RFC 8446 §4.1.3) instead of a random one. */
  helloRetryRequest?: boolean;
}

const HRR_RANDOM = fromHex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');

/** ServerHello handshake message (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3). */
export function serverHello(o: ServerHelloOptions): Bytes {
  const version = o.version ?? 0x0303;
  const exts: Bytes[] = [];
  if (version === 0x0304) exts.push(extension(43, u16(0x0304)));
  if (o.alpn !== undefined) exts.push(alpnExtension([o.alpn]));
  // renegotiation_info (RFC 5746), empty: as Windows servers send it.
  if (version !== 0x0304) exts.push(extension(0xff01, Uint8Array.of(0)));
  const body = concat(u16(version === 0x0304 ? 0x0303 : version), o.helloRetryRequest ? HRR_RANDOM : pseudo(32, 2),
    vec(1, o.sessionId ?? pseudo(32, 3)), u16(o.suite), Uint8Array.of(o.compression ?? 0), vec(2, concat(...exts)));
  return handshake(2, body);
}

/** Certificate handshake message (RFC 5246 §7.4.2): certificate_list<0..2^24-1> of ASN.1Cert. */
export function certificate(ders: Bytes[]): Bytes {
  return handshake(11, vec(3, concat(...ders.map((d) => vec(3, d)))));
}

/** CertificateRequest (RFC 5246 §7.4.4): types rsa_sign and ecdsa_sign, two signature algorithms, no CA names. */
export function certificateRequest(): Bytes {
  return handshake(13, concat(vec(1, Uint8Array.of(1, 64)), vec(2, concat(u16(0x0401), u16(0x0403))), vec(2, new Uint8Array(0))));
}

/** ServerKeyExchange for ECDHE (RFC 8422 §5.4): named curve secp256r1, a 65-byte point, an RSA-PKCS1-SHA256 signature. */
export function serverKeyExchange(): Bytes {
  return handshake(12, concat(Uint8Array.of(3), u16(0x0017), vec(1, concat(Uint8Array.of(4), pseudo(64, 4))), u16(0x0401), vec(2, pseudo(256, 5))));
}

export function serverHelloDone(): Bytes {
  return handshake(14, new Uint8Array(0));
}

/** ClientKeyExchange with an RSA-encrypted premaster secret (RFC 5246 §7.4.7.1), 2048-bit key. */
export function clientKeyExchange(): Bytes {
  return handshake(16, vec(2, pseudo(256, 6)));
}

/** CertificateVerify (RFC 5246 §7.4.8): algorithm rsa_pkcs1_sha256, a 256-byte signature. */
export function certificateVerify(): Bytes {
  return handshake(15, concat(u16(0x0401), vec(2, pseudo(256, 8))));
}

/** Finished with 12 bytes of verify_data (RFC 5246 §7.4.9). */
export function finished(): Bytes {
  return handshake(20, pseudo(12, 9));
}

export function changeCipherSpec(version = 0x0303): Bytes {
  return record(ContentType.ChangeCipherSpec, Uint8Array.of(1), version);
}

/** A cleartext alert record: level (1 warning, 2 fatal), description (RFC 5246 §7.2). */
export function alert(level: number, description: number, version = 0x0303): Bytes {
  return record(ContentType.Alert, Uint8Array.of(level, description), version);
}

/** An application_data record under a NULL suite: the plaintext, then `macLen` bytes of pseudo-MAC (RFC 5246 §6.2.3.1). */
export function nullCipherAppData(plaintext: Bytes | string, macLen: number, version = 0x0303): Bytes {
  const p = typeof plaintext === 'string' ? ascii(plaintext) : plaintext;
  return record(ContentType.ApplicationData, concat(p, pseudoMac(macLen)), version);
}

/** The IP-HTTPS client request (MS-IPHTTPS §3.1.5.2, §4.1); Host first, as Windows and ip-https-tools send it. */
export function ipHttpsRequest(uri = '/IPHTTPS', host = 'da.contoso.example'): string {
  return `POST ${uri} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 18446744073709551615\r\n\r\n`;
}

/** The IP-HTTPS server response (MS-IPHTTPS §3.2.5.1, §4.1): 200 with Server and Date, no Content-Length. */
export function ipHttpsResponse(date = 'Wed, 26 Nov 2025 07:00:00 GMT', status: [number, string] = [200, 'OK']): string {
  return `HTTP/1.1 ${status[0]} ${status[1]}\r\nServer: Microsoft-HTTPAPI/2.0\r\nDate: ${date}\r\n${status[0] === 200 ? '' : 'Content-Length: 0\r\n'}\r\n`;
}

/** The first IPv6 packet after the head: a Router Solicitation header start, so the stream goes on past the head. */
export const INNER_IPV6_START = fromHex('6000000000103aff fe800000000000000000000000000001 ff020000000000000000000000000002');

/** One TCP segment's worth of bytes from one side. */
export interface Segment {
  fromClient: boolean;
  bytes: Bytes;
}

export interface ConversationOptions {
  /** The suite the server picks; the client offers `offered` (default: just this one). */
  suite: number;
  offered?: number[];
  sni?: string;
  /** The server sends a CertificateRequest. */
  certificateRequest?: boolean;
  /** The client answers a CertificateRequest with its certificate (else with an empty Certificate). */
  clientCertificate?: boolean;
}

/**
 * A TLS 1.2 IP-HTTPS connection, one segment per flight (RFC 5246 §7.3 figure 1): ClientHello; ServerHello,
 * Certificate, [ServerKeyExchange for ECDHE], [CertificateRequest], ServerHelloDone; [Certificate],
 * ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished; ChangeCipherSpec, Finished; then the
 * first application data of each side: the IP-HTTPS request and response in clear under a NULL suite,
 * pseudo-ciphertext otherwise.
 */
export function tls12Conversation(o: ConversationOptions): Segment[] {
  const mac = NULL_MAC[o.suite] ?? 0;
  const ecdhe = o.suite >= 0xc000;
  const protectedRecord = (type: number, plain: Bytes): Bytes => record(type, mac > 0 ? concat(plain, pseudoMac(mac)) : pseudo(plain.length + 40, plain.length));
  const serverFlight = [serverHello({ suite: o.suite }), certificate([SERVER_CERT_DER])];
  if (ecdhe) serverFlight.push(serverKeyExchange());
  if (o.certificateRequest) serverFlight.push(certificateRequest());
  serverFlight.push(serverHelloDone());
  const clientFlight: Bytes[] = [];
  if (o.certificateRequest) clientFlight.push(certificate(o.clientCertificate ? [CLIENT_CERT_DER] : []));
  clientFlight.push(clientKeyExchange());
  if (o.certificateRequest && o.clientCertificate) clientFlight.push(certificateVerify());
  return [
    { fromClient: true, bytes: record(ContentType.Handshake, clientHello({ suites: o.offered ?? [o.suite], sni: o.sni ?? 'da.contoso.example' }), 0x0301) },
    { fromClient: false, bytes: record(ContentType.Handshake, concat(...serverFlight)) },
    { fromClient: true, bytes: concat(record(ContentType.Handshake, concat(...clientFlight)), changeCipherSpec(), protectedRecord(ContentType.Handshake, finished())) },
    { fromClient: false, bytes: concat(changeCipherSpec(), protectedRecord(ContentType.Handshake, finished())) },
    { fromClient: true, bytes: protectedRecord(ContentType.ApplicationData, ascii(ipHttpsRequest())) },
    { fromClient: false, bytes: protectedRecord(ContentType.ApplicationData, concat(ascii(ipHttpsResponse()), INNER_IPV6_START)) },
  ];
}

/**
 * A TLS 1.3 connection as far as it is in clear (RFC 8446 §2, Appendix D.4 middlebox compatibility):
 * ClientHello; ServerHello + ChangeCipherSpec + encrypted records; the client's ChangeCipherSpec + encrypted Finished.
 */
export function tls13Conversation(sni = 'www.contoso.example'): Segment[] {
  const suites = [Suite.AES_128_GCM_SHA256, Suite.AES_256_GCM_SHA384, Suite.CHACHA20_POLY1305_SHA256, Suite.ECDHE_RSA_WITH_AES_128_GCM_SHA256];
  return [
    { fromClient: true, bytes: record(ContentType.Handshake, clientHello({ suites, sni, alpn: ['h2', 'http/1.1'], supportedVersions: [0x0304, 0x0303], sessionId: pseudo(32, 11) }), 0x0301) },
    { fromClient: false, bytes: concat(record(ContentType.Handshake, serverHello({ suite: Suite.AES_128_GCM_SHA256, version: 0x0304, sessionId: pseudo(32, 11) })),
      changeCipherSpec(), record(ContentType.ApplicationData, pseudo(900, 12))) },
    { fromClient: true, bytes: concat(changeCipherSpec(), record(ContentType.ApplicationData, pseudo(53, 13))) },
  ];
}
