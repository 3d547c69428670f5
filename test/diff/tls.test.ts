/**
 * Differential test of TlsSession (src/app/tls.ts; RFC 5246, RFC 8446, RFC 6066 SNI, RFC 7301 ALPN) against
 * tshark: our own handshakes written to a temporary pcap (Ethernet/IPv4/TCP, records split across segments)
 * and three corpus captures. Per frame, the handshake types, versions, suites, SNI, ALPN, supported_versions,
 * certificate names, SAN dNSNames, serial numbers, alerts and (tshark reads NULL-cipher records too) the
 * IP-HTTPS request and response heads must agree; the agreement is printed.
 */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../src/anomalies/recorder.js';
import { TlsSession, type CertificateMessageFacts, type TlsFacts } from '../../src/app/tls.js';
import { RecordKind } from '../../src/capture/frame.js';
import { readCapture } from '../../src/capture/open.js';
import { MemorySink, PcapWriter } from '../../src/capture/writer.js';
import { dissect } from '../../src/decode/dissect.js';
import { Layer } from '../../src/decode/layers.js';
import { PacketView } from '../../src/decode/packet-view.js';
import { TcpFlags, tcpDstPort, tcpFlags, tcpSeq, tcpSrcPort } from '../../src/decode/transport/tcp.js';
import { hex } from '../../src/util/bytes.js';
import { EtherType, ethernet, ipv4, Proto, tcp, TcpFlag, type Bytes } from '../helpers/build.js';
import { CORPUS, HAVE_CORPUS, HAVE_TSHARK, run } from '../helpers/inputs.js';
import { alert, clientHello, ContentType, record, Suite, tls12Conversation, tls13Conversation, type Segment } from '../helpers/tls-build.js';

if (!HAVE_TSHARK) console.warn('tshark not found: the TLS differential test is skipped (CI installs tshark, so it runs there)');

// ---- Our captures: each conversation on its own 4-tuple, every flight cut into segments of at most 700 bytes ----

const MSS = 700;
const CLIENT = { mac: '00:15:5d:01:02:03', ip: '192.0.2.10' };
const SERVER = { mac: '00:15:5d:0a:0b:0c', ip: '198.51.100.20' };

function conversationFrames(segments: Segment[], clientPort: number, out: Bytes[]): void {
  const seq = { client: 0x10000000 + clientPort * 7919, server: 0x80000000 + clientPort * 104729 };
  const frame = (fromClient: boolean, flags: number, payload: Bytes = new Uint8Array(0)): void => {
    const [src, dst] = fromClient ? [CLIENT, SERVER] : [SERVER, CLIENT];
    const ep = { src: src.ip, dst: dst.ip };
    const s = fromClient ? seq.client : seq.server;
    const ack = fromClient ? seq.server : seq.client;
    const seg = tcp(ep, { sport: fromClient ? clientPort : 443, dport: fromClient ? 443 : clientPort, seq: s, ack, flags }, payload);
    out.push(ethernet(dst.mac, src.mac, EtherType.IPv4, ipv4({ ...ep, protocol: Proto.TCP }, seg)));
    const used = payload.length + (flags & TcpFlag.SYN ? 1 : 0);
    if (fromClient) seq.client = (seq.client + used) >>> 0;
    else seq.server = (seq.server + used) >>> 0;
  };
  frame(true, TcpFlag.SYN);
  frame(false, TcpFlag.SYN | TcpFlag.ACK);
  frame(true, TcpFlag.ACK);
  for (const seg of segments) {
    for (let p = 0; p < seg.bytes.length; p += MSS) frame(seg.fromClient, TcpFlag.ACK | TcpFlag.PSH, seg.bytes.subarray(p, p + MSS));
  }
}

function ourCapture(): Bytes {
  const frames: Bytes[] = [];
  conversationFrames(tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA256, certificateRequest: true, clientCertificate: true }), 50001, frames);
  conversationFrames(tls12Conversation({ suite: Suite.RSA_WITH_NULL_SHA, offered: [0x003b, 0x0002, 0x00ff] }), 50002, frames);
  conversationFrames(tls12Conversation({ suite: Suite.ECDHE_RSA_WITH_AES_256_GCM_SHA384, offered: [0xc030, 0xc02f, 0x009d, 0x002f], sni: 'www.contoso.example' }), 50003, frames);
  conversationFrames(tls13Conversation(), 50004, frames);
  // §7 row 1: the IP-HTTPS link never comes up, the server refuses the NULL-only ClientHello.
  conversationFrames([
    { fromClient: true, bytes: record(ContentType.Handshake, clientHello({ suites: [0x003b, 0x0002], sni: 'da.contoso.example' }), 0x0301) },
    { fromClient: false, bytes: alert(2, 40) },
  ], 50005, frames);
  const sink = new MemorySink();
  const w = new PcapWriter(sink.write, { linkType: 1 });
  frames.forEach((f, i) => w.packet({ sec: 1764140400 + Math.floor(i / 1000), nsec: (i % 1000) * 1_000_000 }, f));
  return sink.bytes();
}

// ---- Our side: flows by 4-tuple, each fed to a TlsSession ----

async function ourFacts(path: string): Promise<TlsFacts[]> {
  const view = new PacketView(new AnomalyRecorder());
  const flows = new Map<string, { session: TlsSession; clientEnd: string }>();
  await readCapture(path, (f, buf) => {
    if (f.kind !== RecordKind.Packet) return;
    dissect(view, f, buf);
    const t = view.find(Layer.Tcp);
    if (t < 0) return;
    const ip4 = view.find(Layer.Ipv4);
    const ip = ip4 >= 0 ? ip4 : view.find(Layer.Ipv6);
    const [srcAt, len] = ip4 >= 0 ? [view.start[ip]! + 12, 4] : [view.start[ip]! + 8, 16];
    const src = `${hex(buf, srcAt, srcAt + len)}:${tcpSrcPort(view, t)}`;
    const dst = `${hex(buf, srcAt + len, srcAt + 2 * len)}:${tcpDstPort(view, t)}`;
    const key = src < dst ? `${src}-${dst}` : `${dst}-${src}`;
    let flow = flows.get(key);
    if (!flow) {
      // The client sent the SYN; a flow caught later has the client on the side that is not port 443.
      const syn = (tcpFlags(view, t) & (TcpFlags.SYN | TcpFlags.ACK)) === TcpFlags.SYN;
      flow = { session: new TlsSession(), clientEnd: syn || tcpDstPort(view, t) === 443 ? src : dst };
      flows.set(key, flow);
    }
    const start = view.hdrEnd[t]!;
    const end = view.end[t]!;
    if (end > start) flow.session.feed(src === flow.clientEnd, tcpSeq(view, t), buf, start, end, f.number);
  }, { hash: false });
  return [...flows.values()].map((f) => f.session.facts);
}

/** Per frame, per compared field, the values (ordered as both tools list them, or sorted where marked). */
type Row = Map<string, string[]>;
type Table = Map<number, Row>;
const FIELDS = ['type', 'version', 'suite', 'sni', 'alpn', 'supported_version', 'name', 'dns', 'serial', 'alert', 'http'] as const;
/** Certificate names are compared as multisets: tshark lists them by ASN.1 string type, we by attribute. */
const SORTED = new Set(['name']);

function put(table: Table, frame: number, field: string, values: string[]): void {
  if (values.length === 0) return;
  let row = table.get(frame);
  if (!row) table.set(frame, (row = new Map()));
  row.set(field, [...(row.get(field) ?? []), ...values]);
}

const h4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;

/**
 * Attribute values of a DN in Node's "C=US, O=Contoso\, Inc., CN=…" form, keeping the attributes whose
 * type is a DirectoryString (tshark's x509sat string fields); countryName, serialNumber, emailAddress and
 * domainComponent have their own types there.
 */
const DIRECTORY_STRING = new Set(['CN', 'O', 'OU', 'L', 'ST', 'street', 'title', 'businessCategory', 'jurisdictionL', 'jurisdictionST', 'postalCode', 'description', 'GN', 'SN', 'pseudonym']);
function dnValues(dn: string): string[] {
  return dn.split(/(?<!\\), /).flatMap((ava) => {
    const eq = ava.indexOf('=');
    return DIRECTORY_STRING.has(ava.slice(0, eq)) ? [ava.slice(eq + 1).replace(/\\(.)/g, '$1')] : [];
  });
}

const serialHex = (s: string) => s.toLowerCase().replace(/^(00)+(?=.)/, '');

function ourTable(all: TlsFacts[]): Table {
  const t: Table = new Map();
  for (const f of all) {
    for (const h of f.handshakes) put(t, h.frame, 'type', [String(h.type)]);
    const ch = f.clientHello;
    if (ch) {
      put(t, ch.frame, 'version', [h4(ch.version)]);
      put(t, ch.frame, 'suite', ch.cipherSuites.map(h4));
      put(t, ch.frame, 'sni', ch.sni === null ? [] : [ch.sni]);
      put(t, ch.frame, 'alpn', ch.alpn);
      put(t, ch.frame, 'supported_version', ch.supportedVersions.map(h4));
    }
    const sh = f.serverHello;
    if (sh) {
      put(t, sh.frame, 'version', [h4(sh.legacyVersion)]);
      put(t, sh.frame, 'suite', [h4(sh.cipherSuite)]);
      put(t, sh.frame, 'alpn', sh.alpn === null ? [] : [sh.alpn]);
      put(t, sh.frame, 'supported_version', sh.extensions.includes(43) ? [h4(sh.version)] : []);
    }
    for (const c of [f.serverCertificate, f.clientCertificate].filter((x): x is CertificateMessageFacts => x !== null)) {
      for (const cert of c.chain) {
        put(t, c.frame, 'name', [...dnValues(cert.issuer), ...dnValues(cert.subject)]);
        put(t, c.frame, 'dns', cert.subjectAltName.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)));
        put(t, c.frame, 'serial', [serialHex(cert.serial)]);
      }
    }
    for (const a of f.alerts) put(t, a.frame, 'alert', [a.encrypted ? 'encrypted' : `${a.level}:${a.description}`]);
    const q = f.http.request;
    if (q) put(t, q.frame, 'http', [q.method, q.target, q.version, q.headers['host'] ?? '', q.headers['content-length'] ?? '']);
    const r = f.http.response;
    if (r) put(t, r.frame, 'http', [r.version, String(r.status), r.reason, r.headers['server'] ?? '', r.headers['date'] ?? '']);
  }
  return t;
}

// ---- tshark's side ----

const TSHARK_FIELDS = [
  'frame.number', 'tls.handshake.type', 'tls.handshake.version', 'tls.handshake.ciphersuite', 'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions.supported_version', 'x509sat.printableString', 'x509sat.uTF8String',
  'x509sat.teletexString', 'x509sat.bmpString', 'x509sat.universalString', 'x509ce.dNSName', 'x509af.serialNumber', 'tls.record.content_type',
  'tls.alert_message.level', 'tls.alert_message.desc', 'http.request.method', 'http.request.uri', 'http.request.version', 'http.host',
  'http.content_length_header', 'http.response.version', 'http.response.code', 'http.response.phrase', 'http.server', 'http.date',
] as const;
const SEP = '\x1f';

function tsharkTable(path: string): Table {
  // The IP-HTTPS entity body never ends (its Content-Length is 2^64 − 1, the response has none), so tshark
  // would hold the heads back waiting for it; without body reassembly it shows each head where it ends.
  const r = run('tshark', ['-n', '-o', 'http.desegment_body:FALSE', '-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', `aggregator=${SEP}`,
    ...TSHARK_FIELDS.flatMap((f) => ['-e', f])]);
  const t: Table = new Map();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const cells = line.split('\t');
    const get = (name: (typeof TSHARK_FIELDS)[number]): string[] => {
      const c = cells[TSHARK_FIELDS.indexOf(name)] ?? '';
      return c === '' ? [] : c.split(SEP);
    };
    const frame = Number(cells[0]);
    put(t, frame, 'type', get('tls.handshake.type'));
    put(t, frame, 'version', get('tls.handshake.version'));
    put(t, frame, 'suite', get('tls.handshake.ciphersuite'));
    put(t, frame, 'sni', get('tls.handshake.extensions_server_name'));
    put(t, frame, 'alpn', get('tls.handshake.extensions_alpn_str'));
    put(t, frame, 'supported_version', get('tls.handshake.extensions.supported_version'));
    put(t, frame, 'name', ['x509sat.printableString', 'x509sat.uTF8String', 'x509sat.teletexString', 'x509sat.bmpString', 'x509sat.universalString']
      .flatMap((n) => get(n as (typeof TSHARK_FIELDS)[number])));
    put(t, frame, 'dns', get('x509ce.dNSName'));
    put(t, frame, 'serial', get('x509af.serialNumber').map((s) => serialHex(s.replace(/:/g, ''))));
    // One entry per alert record; tshark shows level and description only for alerts it can read.
    const levels = get('tls.alert_message.level');
    const descs = get('tls.alert_message.desc');
    const alertRecords = get('tls.record.content_type').filter((c) => c === '21').length;
    put(t, frame, 'alert', levels.length > 0 ? levels.map((l, i) => `${l}:${descs[i]}`) : new Array<string>(alertRecords).fill('encrypted'));
    const one = (name: (typeof TSHARK_FIELDS)[number]) => get(name)[0] ?? '';
    if (one('http.request.method') !== '') {
      put(t, frame, 'http', [one('http.request.method'), one('http.request.uri'), one('http.request.version'), one('http.host'), one('http.content_length_header')]);
    }
    if (one('http.response.code') !== '') {
      put(t, frame, 'http', [one('http.response.version'), one('http.response.code'), one('http.response.phrase'), one('http.server'), one('http.date')]);
    }
  }
  return t;
}

// ---- The comparison ----

interface Agreement {
  compared: number;
  agreed: number;
  differences: string[];
}

function compare(name: string, ours: Table, theirs: Table): Agreement {
  const out: Agreement = { compared: 0, agreed: 0, differences: [] };
  const frames = [...new Set([...ours.keys(), ...theirs.keys()])].sort((a, b) => a - b);
  for (const frame of frames) {
    for (const field of FIELDS) {
      const norm = (v: string[] | undefined) => (SORTED.has(field) ? [...(v ?? [])].sort() : (v ?? [])).join(' | ');
      const a = norm(ours.get(frame)?.get(field));
      const b = norm(theirs.get(frame)?.get(field));
      if (a === '' && b === '') continue;
      out.compared++;
      if (a === b) out.agreed++;
      else out.differences.push(`${name} frame ${frame} ${field}: tshark [${b}] ours [${a}]`);
    }
  }
  return out;
}

describe.skipIf(!HAVE_TSHARK)('TLS facts agree with tshark', () => {
  // Named now (it.each needs the path), written only when the tests run.
  const dir = join(tmpdir(), `da-audit-tls-${process.pid}`);
  const ours = join(dir, 'tls-handshakes.pcap');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(ours, ourCapture());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const inputs: [string, string, number][] = [
    // name, path, at least this many field values compared (so that an empty comparison cannot pass)
    ['our handshakes', ours, 57],
    ...(HAVE_CORPUS ? [
      ['tls-alpn-h2.pcap', join(CORPUS, 'arkime+arkime/tests/pcap/tls-alpn-h2.pcap'), 14],
      ['tls13.pcap', join(CORPUS, 'arkime+arkime/tests/pcap/tls13.pcap'), 9],
      ['sll2.pcap', join(CORPUS, 'seladb+PcapPlusPlus/Tests/Pcap++Test/PcapExamples/sll2.pcap'), 1],
    ] as [string, string, number][] : []),
  ];
  const total: Agreement = { compared: 0, agreed: 0, differences: [] };

  it.each(inputs)('%s', async (name, path, atLeast) => {
    const a = compare(name, ourTable(await ourFacts(path)), tsharkTable(path));
    console.log(`TLS vs tshark, ${name}: ${a.agreed}/${a.compared} field values agree`);
    total.compared += a.compared;
    total.agreed += a.agreed;
    total.differences.push(...a.differences);
    expect(a.differences).toEqual([]);
    expect(a.compared).toBeGreaterThanOrEqual(atLeast);
  });

  afterAll(() => {
    const pct = total.compared === 0 ? 0 : (100 * total.agreed) / total.compared;
    console.log(`TLS vs tshark agreement: ${total.agreed}/${total.compared} field values (${pct.toFixed(1)}%) on ${inputs.length} inputs`);
  });
});
