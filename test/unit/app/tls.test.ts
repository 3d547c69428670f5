/**
 * TlsSession (src/app/tls.ts; RFC 5246, RFC 8446, RFC 6066 SNI, RFC 7301 ALPN, MS-IPHTTPS §4.1): known-good
 * handshakes, messages across records and records across segments, a truncation sweep, malformed input
 * with the anomaly id, the 16 KiB bound, and the NULL-cipher IP-HTTPS exchange.
 */

import { describe, expect, it } from 'vitest';
import { TlsSession, type TlsFacts } from '../../../src/app/tls.js';
import { ascii, concat, Prng, u16, type Bytes } from '../../helpers/build.js';
import {
  alert, certificate, changeCipherSpec, clientHello, extension, handshake, INNER_IPV6_START, ipHttpsRequest, nullCipherAppData, pseudo, record,
  serverHello, serverHelloDone, CLIENT_CERT_DER, SERVER_CERT_DER, Suite, tls12Conversation, tls13Conversation, u24, vec, type Segment,
} from '../../helpers/tls-build.js';

const CLIENT_ISN = 0x1000;
const SERVER_ISN = 0x9000;

/** Feeds whole segments in order, frame 1, 2, …; each side's sequence numbers continue from its ISN. */
function run(segments: Segment[], session = new TlsSession()): TlsSession {
  const seq = [CLIENT_ISN, SERVER_ISN];
  segments.forEach((seg, i) => {
    const side = seg.fromClient ? 0 : 1;
    session.feed(seg.fromClient, seq[side]!, seg.bytes, 0, seg.bytes.length, i + 1);
    seq[side] = (seq[side]! + seg.bytes.length) >>> 0;
  });
  return session;
}

const ids = (f: TlsFacts): string[] => f.anomalies.map((a) => a.id);

/** End offsets of the records in one segment (the segments of the builders hold whole records). */
function recordEnds(b: Bytes): number[] {
  const ends: number[] = [];
  for (let p = 0; p < b.length; p += 5 + ((b[p + 3]! << 8) | b[p + 4]!)) ends.push(p + 5 + ((b[p + 3]! << 8) | b[p + 4]!));
  return ends;
}

const SERVER_CERT = {
  subject: 'C=US, O=Contoso Example, CN=da.contoso.example',
  issuer: 'C=US, O=Contoso Example, CN=da.contoso.example',
  subjectAltName: ['DNS:da.contoso.example'],
  validFrom: '2026-11-26T07:23:07.000Z',
  validTo: '2036-11-23T07:23:07.000Z',
  sha256: 'AA:68:10:76:62:C3:8F:30:C6:71:E4:00:55:AC:D1:E0:9B:A8:F9:C8:3C:BD:AD:DC:49:00:FD:D3:BD:6A:C7:E4',
  serial: '1001',
};
const CLIENT_CERT = {
  subject: 'C=US, O=Contoso Example, CN=client1.corp.contoso.example',
  issuer: 'C=US, O=Contoso Example, CN=client1.corp.contoso.example',
  subjectAltName: ['DNS:client1.corp.contoso.example'],
  validFrom: '2026-11-26T07:23:07.000Z',
  validTo: '2036-11-23T07:23:07.000Z',
  sha256: 'D6:0B:40:CC:27:9A:7E:BB:BE:C1:B0:55:55:3D:C8:80:1B:2D:57:CA:B5:11:DE:BE:73:A2:4F:27:6A:B5:DF:D4',
  serial: '2002',
};

const hs = (frame: number, fromClient: boolean, type: number, name: string) => ({ frame, fromClient, type, name });

/** IP-HTTPS with TLS_RSA_WITH_NULL_SHA256, CertificateRequest and a client certificate (MS-IPHTTPS mode Certificates). */
const CERT_MODE = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA256, certificateRequest: true, clientCertificate: true });

describe('TlsSession: known-good handshakes', () => {
  it('TLS 1.2, NULL_SHA256, server certificate, CertificateRequest and a client certificate: mode certificates, the HTTP exchange read', () => {
    const s = run(CERT_MODE);
    const f = s.facts;
    expect(f.clientHello).toEqual({
      frame: 1, version: 0x0303, supportedVersions: [], cipherSuites: [0x003b], onlyNullSuites: true, compressionMethods: [0],
      sni: 'da.contoso.example', alpn: [], extensions: [0],
    });
    expect(f.serverHello).toEqual({
      frame: 2, legacyVersion: 0x0303, version: 0x0303, versionName: 'TLS 1.2', cipherSuite: 0x003b, cipherSuiteName: 'TLS_RSA_WITH_NULL_SHA256',
      nullCipher: true, macLength: 32, compressionMethod: 0, alpn: null, extensions: [0xff01],
    });
    expect(f.serverCertificate).toEqual({ frame: 2, count: 1, chain: [SERVER_CERT] });
    expect(f.certificateRequestFrame).toBe(2);
    expect(f.serverHelloDoneFrame).toBe(2);
    expect(f.clientCertificate).toEqual({ frame: 3, count: 1, chain: [CLIENT_CERT] });
    expect(f.changeCipherSpec).toEqual({ client: 3, server: 4 });
    expect(f.handshakes).toEqual([
      hs(1, true, 1, 'client_hello'), hs(2, false, 2, 'server_hello'), hs(2, false, 11, 'certificate'), hs(2, false, 13, 'certificate_request'),
      hs(2, false, 14, 'server_hello_done'), hs(3, true, 11, 'certificate'), hs(3, true, 16, 'client_key_exchange'), hs(3, true, 15, 'certificate_verify'),
      // Under a NULL suite the Finished after ChangeCipherSpec is plaintext + MAC, and read.
      hs(3, true, 20, 'finished'), hs(4, false, 20, 'finished'),
    ]);
    expect(f.http.request).toEqual({
      frame: 5, method: 'POST', target: '/IPHTTPS', version: 'HTTP/1.1', headers: { host: 'da.contoso.example', 'content-length': '18446744073709551615' }, ipHttps: true,
    });
    expect(f.http.response).toEqual({
      frame: 6, version: 'HTTP/1.1', status: 200, reason: 'OK', headers: { server: 'Microsoft-HTTPAPI/2.0', date: 'Wed, 26 Nov 2025 07:00:00 GMT' }, ipHttps: true,
    });
    expect(f.alerts).toEqual([]);
    expect(f.ipHttpsAuthMode).toBe('certificates');
    expect(ids(f)).toEqual([]);
    expect(s.done).toBe(true);
    expect(JSON.parse(JSON.stringify(f))).toEqual(f);
  });

  it('is not done before the last head: each side stays open after its ChangeCipherSpec under a NULL suite', () => {
    const s = run(CERT_MODE.slice(0, 5));
    expect(s.facts.http.request?.frame).toBe(5);
    expect(s.facts.http.response).toBeNull();
    expect(s.done).toBe(false);
  });

  it('TLS 1.2, NULL_SHA without CertificateRequest: mode none, the 20-byte MAC stripped', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA });
    const s = run(segs);
    const f = s.facts;
    expect(f.serverHello).toMatchObject({ cipherSuite: 0x0002, cipherSuiteName: 'TLS_RSA_WITH_NULL_SHA', nullCipher: true, macLength: 20 });
    expect(f.certificateRequestFrame).toBeNull();
    expect(f.clientCertificate).toBeNull();
    expect(f.ipHttpsAuthMode).toBe('none');
    expect(f.http.request).toMatchObject({ frame: 5, method: 'POST', target: '/IPHTTPS', ipHttps: true });
    expect(f.http.response).toMatchObject({ frame: 6, status: 200, ipHttps: true });
    expect(f.handshakes.map((h) => h.type)).toEqual([1, 2, 11, 14, 16, 20, 20]);
    expect(ids(f)).toEqual([]);
    expect(s.done).toBe(true);
  });

  it('mode none needs the whole handshake: without the server ChangeCipherSpec it is still unknown', () => {
    const s = run(tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA }).slice(0, 3));
    expect(s.facts.ipHttpsAuthMode).toBeNull();
    expect(s.facts.changeCipherSpec).toEqual({ client: 3, server: null });
  });

  it('an empty client Certificate answering a CertificateRequest proves neither mode', () => {
    const s = run(tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA, certificateRequest: true, clientCertificate: false }));
    expect(s.facts.clientCertificate).toEqual({ frame: 3, count: 0, chain: [] });
    expect(s.facts.certificateRequestFrame).toBe(2);
    expect(s.facts.ipHttpsAuthMode).toBeNull();
    expect(s.done).toBe(true);
  });

  it('TLS 1.2 with ECDHE_RSA_WITH_AES_256_GCM_SHA384: not NULL, done after both ChangeCipherSpecs, no HTTP read', () => {
    const segs = tls12Conversation({ suite: Suite.ECDHE_RSA_WITH_AES_256_GCM_SHA384, offered: [0xc030, 0xc02f, 0x003b] });
    const s = new TlsSession();
    run(segs.slice(0, 4), s);
    expect(s.done).toBe(true);
    run(segs.slice(4), s);
    const f = s.facts;
    expect(f.clientHello?.onlyNullSuites).toBe(false);
    expect(f.serverHello).toMatchObject({ cipherSuite: 0xc030, cipherSuiteName: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', nullCipher: false, macLength: null });
    expect(f.handshakes.map((h) => h.name)).toEqual(['client_hello', 'server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'client_key_exchange']);
    expect(f.http).toEqual({ request: null, response: null });
    expect(f.ipHttpsAuthMode).toBe('none');
    expect(ids(f)).toEqual([]);
  });

  it('TLS 1.3 ClientHello and ServerHello with supported_versions: version 1.3, done at the ServerHello', () => {
    const segs = tls13Conversation();
    const s = run(segs.slice(0, 2));
    const f = s.facts;
    expect(f.clientHello).toMatchObject({
      frame: 1, version: 0x0303, supportedVersions: [0x0304, 0x0303], cipherSuites: [0x1301, 0x1302, 0x1303, 0xc02f], sni: 'www.contoso.example',
      alpn: ['h2', 'http/1.1'], extensions: [0, 16, 43], onlyNullSuites: false,
    });
    expect(f.serverHello).toEqual({
      frame: 2, legacyVersion: 0x0303, version: 0x0304, versionName: 'TLS 1.3', cipherSuite: 0x1301, cipherSuiteName: 'TLS_AES_128_GCM_SHA256',
      nullCipher: false, macLength: null, compressionMethod: 0, alpn: null, extensions: [43],
    });
    expect(s.done).toBe(true);
    // The server's ChangeCipherSpec (middlebox compatibility) is not read: nothing after a 1.3 ServerHello is.
    expect(f.changeCipherSpec).toEqual({ client: null, server: null });
    expect(f.ipHttpsAuthMode).toBeNull();
    expect(ids(f)).toEqual([]);
  });

  it('a HelloRetryRequest is noted, and the ServerHello after it is the one kept', () => {
    const ch = record(22, clientHello({ suites: [0x1301], supportedVersions: [0x0304] }));
    const s = run([
      { fromClient: true, bytes: ch },
      { fromClient: false, bytes: record(22, serverHello({ suite: 0x1301, version: 0x0304, helloRetryRequest: true })) },
      { fromClient: true, bytes: ch },
      { fromClient: false, bytes: record(22, serverHello({ suite: 0x1301, version: 0x0304 })) },
    ]);
    expect(s.facts.helloRetryRequestFrame).toBe(2);
    expect(s.facts.serverHello?.frame).toBe(4);
    expect(s.facts.clientHello?.frame).toBe(1);
    expect(s.done).toBe(true);
  });

  it('a TLS 1.3 draft-18 ServerHello (no session id, no compression; draft-ietf-tls-tls13-18 §4.1.3)', () => {
    const body = concat(u16(0x7f12), pseudo(32, 2), u16(0x1301), vec(2, extension(40, pseudo(36, 3))));
    const s = run([{ fromClient: false, bytes: record(22, handshake(2, body), 0x0301) }]);
    expect(s.facts.serverHello).toMatchObject({ legacyVersion: 0x7f12, version: 0x7f12, versionName: 'TLS 1.3 draft 18', cipherSuite: 0x1301, extensions: [40] });
    expect(s.done).toBe(true);
    expect(ids(s.facts)).toEqual([]);
  });

  it('names suites from the table and shows others in hex; ECDHE_RSA_WITH_NULL_SHA is NULL with a 20-byte MAC', () => {
    const hello = (suite: number) => run([{ fromClient: false, bytes: record(22, serverHello({ suite })) }]).facts.serverHello!;
    expect(hello(0x0001)).toMatchObject({ cipherSuiteName: 'TLS_RSA_WITH_NULL_MD5', nullCipher: true, macLength: 16 });
    expect(hello(0xc010)).toMatchObject({ cipherSuiteName: 'TLS_ECDHE_RSA_WITH_NULL_SHA', nullCipher: true, macLength: 20 });
    expect(hello(0xcca8)).toMatchObject({ cipherSuiteName: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', nullCipher: false });
    expect(hello(0x002f)).toMatchObject({ cipherSuiteName: 'TLS_RSA_WITH_AES_128_CBC_SHA', nullCipher: false, macLength: null });
    expect(hello(0x1234)).toMatchObject({ cipherSuiteName: '0x1234', nullCipher: false });
  });

  it('onlyNullSuites ignores signalling values (SCSV, GREASE) but needs a NULL suite', () => {
    const only = (suites: number[]) => run([{ fromClient: true, bytes: record(22, clientHello({ suites })) }]).facts.clientHello!.onlyNullSuites;
    expect(only([0x003b, 0x0002, 0x00ff, 0x5600, 0x4a4a])).toBe(true);
    expect(only([0x003b, 0x002f])).toBe(false);
    expect(only([0x00ff, 0x1a1a])).toBe(false);
  });

  it('with compression negotiated, NULL application data is not read (it would be DEFLATE, not HTTP)', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA });
    segs[1] = { fromClient: false, bytes: record(22, concat(serverHello({ suite: 0x0002, compression: 1 }), certificate([SERVER_CERT_DER]), serverHelloDone())) };
    const s = run(segs);
    expect(s.facts.serverHello).toMatchObject({ nullCipher: true, compressionMethod: 1 });
    expect(s.facts.http).toEqual({ request: null, response: null });
    expect(s.done).toBe(true);
  });
});

describe('TlsSession: alerts', () => {
  it('a cleartext fatal alert is named and ends the session', () => {
    const s = run([
      { fromClient: true, bytes: record(22, clientHello({ suites: [0x003b] })) },
      { fromClient: false, bytes: alert(2, 40) },
    ]);
    expect(s.facts.alerts).toEqual([{ frame: 2, fromClient: false, encrypted: false, level: 2, levelName: 'fatal', description: 40, descriptionName: 'handshake_failure' }]);
    expect(s.done).toBe(true);
  });

  it('unknown level and description values are shown as unknown(N)', () => {
    const s = run([{ fromClient: true, bytes: record(22, clientHello({ suites: [0x003b] })) }, { fromClient: true, bytes: alert(7, 200) }]);
    expect(s.facts.alerts[0]).toMatchObject({ level: 7, levelName: 'unknown(7)', description: 200, descriptionName: 'unknown(200)' });
  });

  it('after ChangeCipherSpec under a NULL suite an alert is read with its MAC stripped', () => {
    const nul = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA }).slice(0, 2);
    const clear = run([...nul, { fromClient: true, bytes: concat(changeCipherSpec(), record(21, concat(Uint8Array.of(1, 0), pseudo(20, 4)))) }]);
    expect(clear.facts.alerts).toEqual([{ frame: 3, fromClient: true, encrypted: false, level: 1, levelName: 'warning', description: 0, descriptionName: 'close_notify' }]);
    expect(ids(clear.facts)).toEqual([]);
    expect(clear.done).toBe(true);
  });

  it('several alerts in one record are all read', () => {
    const s = run([{ fromClient: true, bytes: record(22, clientHello({ suites: [0x003b] })) }, { fromClient: false, bytes: record(21, Uint8Array.of(1, 112, 2, 40)) }]);
    expect(s.facts.alerts.map((a) => `${a.levelName}:${a.descriptionName}`)).toEqual(['warning:unrecognized_name', 'fatal:handshake_failure']);
  });

  it('after ChangeCipherSpec with an encrypting suite nothing more is read, not even an alert', () => {
    const gcm = tls12Conversation({ suite: Suite.ECDHE_RSA_WITH_AES_256_GCM_SHA384 }).slice(0, 2);
    const s = run([...gcm, { fromClient: true, bytes: concat(changeCipherSpec(), record(21, pseudo(26, 3))) }]);
    expect(s.facts.alerts).toEqual([]);
    expect(s.facts.changeCipherSpec.client).toBe(3);
  });

  it('on a connection joined after its handshake, an alert record longer than 2 bytes is taken as encrypted', () => {
    const s = run([{ fromClient: false, bytes: record(21, pseudo(26, 5)) }]);
    expect(s.facts.alerts).toMatchObject([{ encrypted: true, level: null }]);
    expect(ids(s.facts)).toEqual([]);
    expect(s.done).toBe(true);
  });
});

describe('TlsSession: a connection joined after its handshake', () => {
  it('passes over application data records split anywhere across segments, and still reads the alert after them', () => {
    // Three 6000-byte records, then an encrypted alert, cut into segments of every size from 1 to 1460 bytes.
    const stream = concat(record(23, pseudo(6000, 1)), record(23, pseudo(6000, 2)), record(23, pseudo(6000, 3)), record(21, pseudo(26, 4)));
    for (const size of [1, 5, 7, 1000, 1460]) {
      const segs: Segment[] = [];
      for (let p = 0; p < stream.length; p += size) segs.push({ fromClient: false, bytes: stream.subarray(p, p + size) });
      const s = run(segs);
      expect(s.facts.alerts, `segments of ${size}`).toMatchObject([{ encrypted: true, frame: segs.length }]);
      expect(ids(s.facts)).toEqual([]);
      expect(s.done).toBe(true);
    }
  });

  it('a retransmitted record and a record split before its header is whole are passed over all the same', () => {
    const a = record(23, pseudo(700, 1));
    const rest = concat(record(23, pseudo(900, 2)), record(21, pseudo(26, 4)));
    const s = new TlsSession();
    s.feed(false, 5000, a, 0, a.length, 1);
    s.feed(false, 5000, a, 0, a.length, 2); // the same segment again
    s.feed(false, 5000 + a.length, rest, 0, 3, 3); // 3 bytes of the next header
    s.feed(false, 5000 + a.length + 3, rest, 3, rest.length, 4);
    expect(s.facts.alerts).toMatchObject([{ encrypted: true, frame: 4 }]);
    expect(ids(s.facts)).toEqual([]);
  });

  it('a lost segment inside passed-over data is still a gap', () => {
    const stream = concat(record(23, pseudo(3000, 1)), record(21, pseudo(26, 4)));
    const s = new TlsSession();
    s.feed(false, 1000, stream, 0, 1000, 1);
    s.feed(false, 3000, stream, 2000, stream.length, 2); // bytes 1000–1999 never came
    expect(ids(s.facts)).toEqual(['tls.stream_gap']);
    expect(s.facts.alerts).toEqual([]);
  });
});

describe('TlsSession: across records and segments', () => {
  /** The server's handshake messages of CERT_MODE, as one byte string. */
  const serverHandshake = CERT_MODE[1]!.bytes.subarray(5);

  it.each([1, 7, 100, 1000])('handshake messages spanning records of %i bytes give the same facts', (k) => {
    const records: Bytes[] = [];
    for (let p = 0; p < serverHandshake.length; p += k) records.push(record(22, serverHandshake.subarray(p, p + k)));
    const segs = [...CERT_MODE];
    segs[1] = { fromClient: false, bytes: concat(...records) };
    expect(run(segs).facts).toEqual(run(CERT_MODE).facts);
  });

  it('a message spanning records carries the frame of the record that completes it', () => {
    const k = 300;
    const segs: Segment[] = [CERT_MODE[0]!];
    for (let p = 0; p < serverHandshake.length; p += k) segs.push({ fromClient: false, bytes: record(22, serverHandshake.subarray(p, p + k)) });
    const f = run(segs).facts;
    // Message ends within the server's handshake bytes → the record (frame 2, 3, …) holding that last byte.
    let end = 0;
    const expected: number[] = [];
    while (end < serverHandshake.length) {
      end += 4 + ((serverHandshake[end + 1]! << 16) | (serverHandshake[end + 2]! << 8) | serverHandshake[end + 3]!);
      expected.push(2 + Math.floor((end - 1) / k));
    }
    expect(f.handshakes.filter((h) => !h.fromClient).map((h) => h.frame)).toEqual(expected);
    expect(f.serverCertificate?.frame).toBe(expected[1]);
    expect(f.serverCertificate?.chain).toEqual([SERVER_CERT]);
  });

  it('records spanning TCP segments, fed one byte per segment: same facts, each at the frame of its record\'s last byte', () => {
    const s = new TlsSession();
    const seq = [CLIENT_ISN, SERVER_ISN];
    let frame = 0;
    const lastFrameOfRecords: number[][] = [];
    for (const seg of CERT_MODE) {
      const firstFrame = frame + 1;
      lastFrameOfRecords.push(recordEnds(seg.bytes).map((e) => firstFrame + e - 1));
      const side = seg.fromClient ? 0 : 1;
      for (let i = 0; i < seg.bytes.length; i++) {
        s.feed(seg.fromClient, seq[side]!, seg.bytes, i, i + 1, ++frame);
        seq[side]!++;
      }
    }
    const [ch, sh, cflight, sccs, req, resp] = lastFrameOfRecords as [number[], number[], number[], number[], number[], number[]];
    const f = s.facts;
    expect(f.clientHello?.frame).toBe(ch[0]);
    expect(f.serverHello?.frame).toBe(sh[0]);
    expect(f.serverCertificate?.frame).toBe(sh[0]);
    expect(f.clientCertificate?.frame).toBe(cflight[0]);
    expect(f.changeCipherSpec).toEqual({ client: cflight[1], server: sccs[0] });
    expect(f.http.request?.frame).toBe(req[0]);
    expect(f.http.response?.frame).toBe(resp[0]);
    const oneShot = run(CERT_MODE).facts;
    const strip = (x: TlsFacts) => JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'frame' || k === 'client' || k === 'server' || k.endsWith('Frame') ? 0 : v)));
    expect(strip(f)).toEqual(strip(oneShot));
    expect(s.done).toBe(true);
  });

  it('one segment far larger than a record (segmentation offload) is read record by record', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA });
    // Three full-size application records after each head: each side's rest arrives as one ≈ 50 KiB segment.
    const bulk = [1, 2, 3].map((i) => nullCipherAppData(pseudo(16384, i), 20));
    const serverAll = concat(segs[1]!.bytes, segs[3]!.bytes, segs[5]!.bytes, ...bulk);
    const clientRest = concat(segs[2]!.bytes, segs[4]!.bytes, ...bulk);
    const s = new TlsSession();
    s.feed(true, CLIENT_ISN, segs[0]!.bytes, 0, segs[0]!.bytes.length, 1);
    s.feed(false, SERVER_ISN, serverAll, 0, serverAll.length, 2);
    expect(s.facts.http.response).toMatchObject({ frame: 2, ipHttps: true });
    s.feed(true, CLIENT_ISN + segs[0]!.bytes.length, clientRest, 0, clientRest.length, 3);
    expect(s.facts.http.request).toMatchObject({ frame: 3, ipHttps: true });
    expect(s.facts.ipHttpsAuthMode).toBe('none');
    expect(ids(s.facts)).toEqual([]);
    expect(s.done).toBe(true);
  });

  it('retransmitted and overlapping segments change nothing', () => {
    const s = new TlsSession();
    const seq = [CLIENT_ISN, SERVER_ISN];
    CERT_MODE.forEach((seg, i) => {
      const side = seg.fromClient ? 0 : 1;
      const half = seg.bytes.length >> 1;
      s.feed(seg.fromClient, seq[side]!, seg.bytes, 0, half, i + 1);
      s.feed(seg.fromClient, seq[side]!, seg.bytes, 0, half, i + 1); // retransmission
      s.feed(seg.fromClient, seq[side]!, seg.bytes, 0, seg.bytes.length, i + 1); // overlaps the first half
      seq[side] = seq[side]! + seg.bytes.length;
    });
    expect(s.facts).toEqual(run(CERT_MODE).facts);
  });

  it('sequence numbers wrapping at 2^32 inside the server flight', () => {
    const s = new TlsSession();
    const flight = CERT_MODE[1]!.bytes;
    const isn = 0xffffffff - 100;
    s.feed(true, 5, CERT_MODE[0]!.bytes, 0, CERT_MODE[0]!.bytes.length, 1);
    s.feed(false, isn, flight, 0, 500, 2);
    s.feed(false, (isn + 500) >>> 0, flight, 500, flight.length, 3);
    expect(s.facts.serverCertificate?.chain).toEqual([SERVER_CERT]);
    expect(s.facts.serverHelloDoneFrame).toBe(3);
    expect(ids(s.facts)).toEqual([]);
  });
});

describe('TlsSession: truncation sweep', () => {
  const all = concat(...CERT_MODE.map((s) => s.bytes));
  const full = run(CERT_MODE).facts;
  const fullJson = JSON.stringify(full);

  /** Feeds the conversation cut after `n` bytes; `exact` copies each cut segment so nothing lies past `end`. */
  function cut(n: number, exact: boolean): TlsSession {
    const s = new TlsSession();
    const seq = [CLIENT_ISN, SERVER_ISN];
    let left = n;
    CERT_MODE.forEach((seg, i) => {
      if (left <= 0) return;
      const take = Math.min(left, seg.bytes.length);
      const buf = exact ? seg.bytes.slice(0, take) : seg.bytes;
      const side = seg.fromClient ? 0 : 1;
      s.feed(seg.fromClient, seq[side]!, buf, 0, take, i + 1);
      seq[side] = seq[side]! + seg.bytes.length;
      left -= take;
    });
    return s;
  }

  it(`every prefix of the ${all.length}-byte conversation: no anomaly, only facts of the whole, nothing read past the input`, () => {
    for (let n = 0; n < all.length; n++) {
      const s = cut(n, true);
      const f = s.facts;
      const at = `prefix ${n}`;
      expect(ids(f), at).toEqual([]);
      // Bytes past `end` (the real continuation here) must not change anything.
      expect(JSON.stringify(cut(n, false).facts), at).toBe(JSON.stringify(f));
      for (const key of Object.keys(f) as (keyof TlsFacts)[]) {
        const got = f[key];
        if (got === null) continue;
        if (Array.isArray(got)) expect(got, `${at} ${key}`).toEqual((full[key] as unknown[]).slice(0, got.length));
        else if (key === 'changeCipherSpec' || key === 'http') {
          for (const [k, v] of Object.entries(got)) if (v !== null) expect(v, `${at} ${key}.${k}`).toEqual((full[key] as Record<string, unknown>)[k]);
        } else expect(got, `${at} ${key}`).toEqual(full[key]);
      }
      if (s.done) expect(JSON.stringify(f), at).toBe(fullJson);
    }
  });
});

describe('TlsSession: malformed input → anomaly id', () => {
  const ch = () => record(22, clientHello({ suites: [0x003b], sni: 'da.contoso.example' }));
  const fromClient = (...records: Bytes[]): TlsSession => run([{ fromClient: true, bytes: concat(...records) }]);
  const fromServer = (...records: Bytes[]): TlsSession => run([{ fromClient: false, bytes: concat(...records) }]);
  /** A ClientHello body with the given extension block bytes (already length-prefixed or not). */
  const helloWithExtensionBlock = (block: Bytes) => record(22, handshake(1, concat(u16(0x0303), pseudo(32), Uint8Array.of(0), vec(2, u16(0x003b)), vec(1, Uint8Array.of(0)), block)));

  it('record content type outside 20–24: tls.record_bad_type, the side stops', () => {
    const s = fromClient(Uint8Array.of(0x30, 3, 3, 0, 1, 0), ch());
    expect(ids(s.facts)).toEqual(['tls.record_bad_type']);
    expect(s.facts.clientHello).toBeNull();
  });

  it('record major version not 3: tls.record_bad_version', () => {
    expect(ids(fromClient(record(22, clientHello({ suites: [1] }), 0x0203)).facts)).toEqual(['tls.record_bad_version']);
  });

  it('record length over 2^14 + 2048: tls.record_too_long; exactly 2^14 + 2048 is read', () => {
    const long = concat(Uint8Array.of(23, 3, 3), u16(16384 + 2049));
    const s = fromClient(long);
    expect(ids(s.facts)).toEqual(['tls.record_too_long']);
    const max = run([...tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA }).slice(0, 4),
      { fromClient: true, bytes: record(23, concat(ascii(ipHttpsRequest()), pseudo(16384 + 2048 - 20 - ipHttpsRequest().length), pseudo(20))) }]);
    expect(ids(max.facts)).toEqual([]);
    expect(max.facts.http.request?.ipHttps).toBe(true);
  });

  it('zero-length handshake record: tls.record_empty (reading goes on)', () => {
    const s = fromClient(record(22, new Uint8Array(0)), ch());
    expect(ids(s.facts)).toEqual(['tls.record_empty']);
    expect(s.facts.clientHello?.sni).toBe('da.contoso.example');
  });

  it('a handshake message longer than 16 KiB: tls.handshake_too_long; one of exactly 16 KiB is read', () => {
    const cert = (bodyLen: number) => handshake(11, vec(3, vec(3, pseudo(bodyLen - 6))));
    const ok = fromServer(record(22, cert(16384 - 4)));
    expect(ids(ok.facts)).toEqual(['tls.certificate_unparsable']);
    expect(ok.facts.serverCertificate).toMatchObject({ count: 1, chain: [] });
    const tooLong = fromServer(record(22, cert(16384 - 3).subarray(0, 100)));
    expect(ids(tooLong.facts)).toEqual(['tls.handshake_too_long']);
    expect(tooLong.facts.handshakes).toEqual([]);
  });

  it.each([
    ['session id longer than 32', concat(u16(0x0303), pseudo(32), vec(1, pseudo(33)), vec(2, u16(1)), vec(1, Uint8Array.of(0)))],
    ['odd cipher suite length', concat(u16(0x0303), pseudo(32), Uint8Array.of(0), vec(2, Uint8Array.of(0, 1, 2)), vec(1, Uint8Array.of(0)))],
    ['no cipher suite', concat(u16(0x0303), pseudo(32), Uint8Array.of(0), vec(2, new Uint8Array(0)), vec(1, Uint8Array.of(0)))],
    ['suites past the end', concat(u16(0x0303), pseudo(32), Uint8Array.of(0), u16(40), u16(1))],
    ['no compression method', concat(u16(0x0303), pseudo(32), Uint8Array.of(0), vec(2, u16(1)), Uint8Array.of(0))],
    ['shorter than version and random', concat(u16(0x0303), pseudo(20))],
  ])('ClientHello with %s: tls.client_hello_malformed', (_name, body) => {
    const s = fromClient(record(22, handshake(1, body)));
    expect(ids(s.facts)).toEqual(['tls.client_hello_malformed']);
    expect(s.facts.clientHello).toBeNull();
    expect(s.facts.handshakes).toHaveLength(1);
  });

  it.each([
    ['shorter than the random', concat(u16(0x0303), pseudo(30))],
    ['session id past the end', concat(u16(0x0303), pseudo(32), Uint8Array.of(32), pseudo(8))],
    ['no cipher suite', concat(u16(0x0303), pseudo(32), Uint8Array.of(0), Uint8Array.of(0))],
  ])('ServerHello %s: tls.server_hello_malformed', (_name, body) => {
    const s = fromServer(record(22, handshake(2, body)));
    expect(ids(s.facts)).toEqual(['tls.server_hello_malformed']);
    expect(s.facts.serverHello).toBeNull();
  });

  it('extension block length not matching the rest of the hello: tls.extension_malformed, the extensions inside still read', () => {
    const sni = extension(0, vec(2, concat(Uint8Array.of(0), vec(2, ascii('a.example')))));
    const s = fromClient(helloWithExtensionBlock(concat(u16(sni.length), sni, Uint8Array.of(0xee))));
    expect(ids(s.facts)).toEqual(['tls.extension_malformed']);
    expect(s.facts.clientHello?.sni).toBe('a.example');
    const over = fromClient(helloWithExtensionBlock(concat(u16(sni.length + 9), sni)));
    expect(ids(over.facts)).toEqual(['tls.extension_malformed']);
    expect(over.facts.clientHello?.sni).toBe('a.example');
  });

  it('an extension running past the block: tls.extension_malformed, the walk stops', () => {
    const s = fromClient(helloWithExtensionBlock(vec(2, concat(u16(0), u16(50), pseudo(10)))));
    expect(ids(s.facts)).toEqual(['tls.extension_malformed']);
    expect(s.facts.clientHello?.extensions).toEqual([]);
  });

  it.each([
    ['SNI list length off by one', extension(0, concat(u16(13), Uint8Array.of(0), vec(2, ascii('a.example'))))],
    ['SNI name past the list', extension(0, vec(2, concat(Uint8Array.of(0), u16(30), ascii('a.example'))))],
    ['empty SNI list', extension(0, vec(2, new Uint8Array(0)))],
    ['ALPN with an empty protocol', extension(16, vec(2, concat(vec(1, ascii('h2')), Uint8Array.of(0))))],
    ['ALPN list length off', extension(16, concat(u16(9), vec(1, ascii('h2'))))],
    ['supported_versions odd length', extension(43, concat(Uint8Array.of(3), u16(0x0304), Uint8Array.of(3)))],
  ])('%s: tls.extension_malformed, the hello kept', (_name, ext) => {
    const s = fromClient(helloWithExtensionBlock(vec(2, ext)));
    expect(ids(s.facts)).toEqual(['tls.extension_malformed']);
    expect(s.facts.clientHello).toMatchObject({ sni: null, alpn: [], supportedVersions: [] });
  });

  it('an SNI list without a host_name entry gives no name and no anomaly', () => {
    const s = fromClient(helloWithExtensionBlock(vec(2, extension(0, vec(2, concat(Uint8Array.of(7), vec(2, ascii('x'))))))));
    expect(ids(s.facts)).toEqual([]);
    expect(s.facts.clientHello?.sni).toBeNull();
  });

  it('ServerHello ALPN with two protocols, or supported_versions not 2 bytes: tls.extension_malformed', () => {
    const body = (ext: Bytes) => concat(u16(0x0303), pseudo(32), Uint8Array.of(0), u16(0x002f), Uint8Array.of(0), vec(2, ext));
    const two = fromServer(record(22, handshake(2, body(extension(16, vec(2, concat(vec(1, ascii('h2')), vec(1, ascii('h3')))))))));
    expect(ids(two.facts)).toEqual(['tls.extension_malformed']);
    expect(two.facts.serverHello?.alpn).toBeNull();
    const sv = fromServer(record(22, handshake(2, body(extension(43, Uint8Array.of(3, 3, 4))))));
    expect(ids(sv.facts)).toEqual(['tls.extension_malformed']);
    expect(sv.facts.serverHello?.version).toBe(0x0303);
  });

  it('129 extensions: tls.too_many_extensions after 128 walked', () => {
    const exts = Array.from({ length: 129 }, (_, i) => extension(0x1000 + i, new Uint8Array(0)));
    const s = fromClient(helloWithExtensionBlock(vec(2, concat(...exts))));
    expect(ids(s.facts)).toEqual(['tls.too_many_extensions']);
    expect(s.facts.clientHello?.extensions).toHaveLength(128);
    const ok = fromClient(helloWithExtensionBlock(vec(2, concat(...exts.slice(0, 128)))));
    expect(ids(ok.facts)).toEqual([]);
  });

  it('the same extension twice: tls.duplicate_extension', () => {
    const s = fromClient(helloWithExtensionBlock(vec(2, concat(extension(0xff01, Uint8Array.of(0)), extension(0xff01, Uint8Array.of(0))))));
    expect(ids(s.facts)).toEqual(['tls.duplicate_extension']);
  });

  it('Certificate list lengths that do not add up: tls.certificate_malformed', () => {
    const wrongList = handshake(11, concat(u24(SERVER_CERT_DER.length + 3 + 5), vec(3, SERVER_CERT_DER), pseudo(5).subarray(0, 2)));
    const s = fromServer(record(22, wrongList));
    expect(ids(s.facts)).toEqual(['tls.certificate_malformed']);
    expect(s.facts.serverCertificate).toEqual({ frame: 1, count: 1, chain: [SERVER_CERT] });
    const entryPastEnd = handshake(11, vec(3, concat(u24(SERVER_CERT_DER.length + 1), SERVER_CERT_DER)));
    const t = fromServer(record(22, entryPastEnd));
    expect(ids(t.facts)).toEqual(['tls.certificate_malformed']);
    expect(t.facts.serverCertificate).toEqual({ frame: 1, count: 0, chain: [] });
    expect(ids(fromServer(record(22, handshake(11, Uint8Array.of(0, 0)))).facts)).toEqual(['tls.certificate_malformed']);
  });

  it('the same certificate in two sessions gives the same facts, each session its own copy; another certificate its own facts', () => {
    // parseCertificate keeps what OpenSSL parsed, by DER: a second session must not see a first one's changes.
    const a = fromServer(record(22, certificate([SERVER_CERT_DER]))).facts.serverCertificate!.chain[0]!;
    a.subjectAltName.push('DNS:changed.example');
    a.subject = 'changed';
    const b = fromServer(record(22, certificate([SERVER_CERT_DER]))).facts.serverCertificate!.chain[0]!;
    expect(b).toEqual(SERVER_CERT);
    const c = fromServer(record(22, certificate([CLIENT_CERT_DER]))).facts.serverCertificate!.chain[0]!;
    expect(c.sha256).not.toBe(SERVER_CERT.sha256);
    expect(c.subject).not.toBe(SERVER_CERT.subject);
  });

  it('a certificate that is not DER: tls.certificate_unparsable, counted but not in the chain', () => {
    const s = fromServer(record(22, certificate([pseudo(300), SERVER_CERT_DER])));
    expect(ids(s.facts)).toEqual(['tls.certificate_unparsable']);
    expect(s.facts.serverCertificate).toEqual({ frame: 1, count: 2, chain: [SERVER_CERT] });
  });

  it('ChangeCipherSpec that is not the byte 1: tls.change_cipher_spec_malformed (still counts as the switch)', () => {
    const s = fromClient(ch(), record(20, Uint8Array.of(2)));
    expect(ids(s.facts)).toEqual(['tls.change_cipher_spec_malformed']);
    expect(s.facts.changeCipherSpec.client).toBe(1);
  });

  it('a cleartext alert of 3 bytes: tls.alert_malformed', () => {
    const s = fromClient(ch(), record(21, Uint8Array.of(2, 40, 0)));
    expect(ids(s.facts)).toEqual(['tls.alert_malformed']);
    expect(s.facts.alerts).toEqual([]);
    expect(s.done).toBe(true);
  });

  it('a NULL-suite record shorter than its MAC: tls.record_shorter_than_mac', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA256 }).slice(0, 4);
    const s = run([...segs, { fromClient: true, bytes: record(23, pseudo(31)) }]);
    expect(ids(s.facts)).toEqual(['tls.record_shorter_than_mac']);
    expect(s.facts.http.request).toBeNull();
    const a = run([...segs.slice(0, 2), { fromClient: true, bytes: concat(changeCipherSpec(), record(21, pseudo(31))) }]);
    expect(ids(a.facts)).toEqual(['tls.record_shorter_than_mac']);
  });

  it('application data before the sender\'s ChangeCipherSpec in TLS 1.2: tls.application_data_before_change_cipher_spec', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA }).slice(0, 2);
    const s = run([...segs, { fromClient: true, bytes: nullCipherAppData(ipHttpsRequest(), 20) }]);
    expect(ids(s.facts)).toEqual(['tls.application_data_before_change_cipher_spec']);
    expect(s.facts.http.request).toBeNull();
    // Without a ServerHello (a connection joined late) it is nothing to note.
    expect(ids(fromClient(record(23, pseudo(40))).facts)).toEqual([]);
  });

  it('a ServerHello from the client, a ClientHello from the server: tls.handshake_wrong_direction, not read', () => {
    const s = fromClient(record(22, serverHello({ suite: 0x0002 })));
    expect(ids(s.facts)).toEqual(['tls.handshake_wrong_direction']);
    expect(s.facts.serverHello).toBeNull();
    const t = fromServer(ch());
    expect(ids(t.facts)).toEqual(['tls.handshake_wrong_direction']);
    expect(t.facts.clientHello).toBeNull();
    expect(t.facts.handshakes).toMatchObject([{ type: 1, fromClient: false }]);
  });

  it('a ServerHello choosing a suite the client did not offer: tls.server_chose_unoffered_suite', () => {
    const s = run([{ fromClient: true, bytes: ch() }, { fromClient: false, bytes: record(22, serverHello({ suite: 0x0002 })) }]);
    expect(ids(s.facts)).toEqual(['tls.server_chose_unoffered_suite']);
    expect(s.facts.anomalies[0]!.frame).toBe(2);
  });

  it('a missing segment: tls.stream_gap, that side stops while the other goes on', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA });
    const hello = record(22, serverHello({ suite: Suite.RSA_WITH_NULL_SHA }));
    const flight = concat(hello, record(22, concat(certificate([SERVER_CERT_DER]), serverHelloDone())));
    const s = new TlsSession();
    s.feed(true, CLIENT_ISN, segs[0]!.bytes, 0, segs[0]!.bytes.length, 1);
    const cutAt = hello.length + 50;
    s.feed(false, SERVER_ISN, flight, 0, cutAt, 2);
    s.feed(false, SERVER_ISN + cutAt + 100, flight, cutAt + 100, flight.length, 3); // 100 bytes never captured
    expect(ids(s.facts)).toEqual(['tls.stream_gap']);
    expect(s.facts.anomalies[0]!.frame).toBe(3);
    expect(s.facts.serverHello).toMatchObject({ frame: 2, cipherSuite: 2 });
    expect(s.facts.serverCertificate).toBeNull();
    expect(s.done).toBe(false);
    // The server side reads nothing more, even what would fill the hole.
    s.feed(false, SERVER_ISN + cutAt, flight, cutAt, flight.length, 4);
    expect(s.facts.serverCertificate).toBeNull();
    const c = segs[2]!.bytes;
    s.feed(true, CLIENT_ISN + segs[0]!.bytes.length, c, 0, c.length, 5);
    expect(s.facts.changeCipherSpec.client).toBe(5);
    expect(s.done).toBe(false); // the client side waits for its application data (NULL suite)
    const r = segs[4]!.bytes;
    s.feed(true, CLIENT_ISN + segs[0]!.bytes.length + c.length, r, 0, r.length, 6);
    expect(s.facts.http.request?.frame).toBe(6);
    expect(s.done).toBe(true);
  });

  it('NULL-cipher plaintext that is not HTTP: http.bad_start_line, that side is done', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA });
    segs[4] = { fromClient: true, bytes: nullCipherAppData(INNER_IPV6_START, 20) };
    const s = run(segs);
    expect(ids(s.facts)).toEqual(['http.bad_start_line']);
    expect(s.facts.http.request).toBeNull();
    expect(s.facts.http.response?.ipHttps).toBe(true);
    expect(s.done).toBe(true);
  });

  it('anomalies are bounded: 32 kept per session', () => {
    const s = fromClient(...Array.from({ length: 40 }, () => record(22, new Uint8Array(0))));
    expect(ids(s.facts)).toEqual(new Array(32).fill('tls.record_empty'));
  });
});

describe('TlsSession: the IP-HTTPS head under a NULL suite', () => {
  it('a head split over two application records carries the frame of the second', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_MD5 });
    const text = ipHttpsRequest('/IPTLS', '192.0.2.1');
    segs[4] = { fromClient: true, bytes: nullCipherAppData(text.slice(0, 30), 16) };
    segs.push({ fromClient: true, bytes: nullCipherAppData(text.slice(30), 16) });
    const s = run(segs);
    expect(s.facts.http.request).toEqual({
      frame: 7, method: 'POST', target: '/IPTLS', version: 'HTTP/1.1', headers: { host: '192.0.2.1', 'content-length': '18446744073709551615' }, ipHttps: true,
    });
    expect(s.facts.serverHello?.macLength).toBe(16);
    expect(s.done).toBe(true);
  });

  it('a response with Content-Length, or another Server, is not the IP-HTTPS signal', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA });
    segs[5] = { fromClient: false, bytes: nullCipherAppData('HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Length: 0\r\n\r\n', 20) };
    expect(run(segs).facts.http.response).toMatchObject({ status: 200, ipHttps: false });
    segs[5] = { fromClient: false, bytes: nullCipherAppData('HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n', 20) };
    expect(run(segs).facts.http.response).toMatchObject({ status: 200, ipHttps: false });
    segs[4] = { fromClient: true, bytes: nullCipherAppData('POST /IPHTTPS HTTP/1.1\r\nContent-Length: 100\r\n\r\n', 20) };
    expect(run(segs).facts.http.request).toMatchObject({ method: 'POST', ipHttps: false });
  });

  it('memory stays bounded: 1 MiB of plaintext without a line end stops at 8 KiB (http.line_too_long), a head over 16 KiB at 16 KiB (http.head_too_long)', () => {
    const segs = tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA }).slice(0, 4);
    const rng = new Prng(3);
    const tokenRecords: Bytes[] = [];
    for (let i = 0; i < 64; i++) tokenRecords.push(nullCipherAppData('X'.repeat(16000 + rng.int(300)), 20));
    const s = run([...segs, { fromClient: true, bytes: concat(nullCipherAppData('GET /', 20), ...tokenRecords) }]);
    expect(ids(s.facts)).toEqual(['http.line_too_long']);
    const t = run([...segs, { fromClient: true, bytes: concat(nullCipherAppData('GET / HTTP/1.1\r\n', 20),
      ...Array.from({ length: 40 }, (_, i) => nullCipherAppData(`X-H${i}: ${'v'.repeat(500)}\r\n`, 20))) }]);
    expect(ids(t.facts)).toEqual(['http.head_too_long']);
    expect(t.facts.http.request).toBeNull();
  });
});
