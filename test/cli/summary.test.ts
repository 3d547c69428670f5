/** `da-audit summary` on the DirectAccess fixtures (issue 4 "Done when"): every fact shown, the JSON carries all of it, numbers from what each scenario wrote. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAFFIC_CLASSES } from '../../src/classify/traffic-class.js';
import type { SummaryReport } from '../../src/report/summary.js';
import { cli } from '../helpers/cli.js';
import { DA, IPSEC, ipHttpsScenario, ipsecScenario, NAMES, namesScenario, PROTO41, proto41Scenario, TEREDO, teredoScenario } from '../helpers/fixtures/da-fixtures.js';
import { SAMPLE, sampleScenario } from '../helpers/fixtures/sample.js';
import { crypto, message, nonce } from '../helpers/isakmp-build.js';
import { dnsMessage, withReplacedName } from '../helpers/scenario-content.js';
import { Scenario, type FrameRecord } from '../helpers/scenario.js';
import { suiteTempDir, testTempDir } from '../helpers/temp.js';
import { SERVER_CERT_DER } from '../helpers/tls-build.js';

const C1 = DA.client1;
const C2 = DA.client2;
const C3 = DA.client3;
const CAPTURES = 'fixtures/captures';

/** Runs `summary --format json` and returns the one file's report. */
function summary(path: string, ...args: string[]): SummaryReport {
  const r = cli(['summary', '--format', 'json', '--top', '1000', ...args, path]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const doc = JSON.parse(r.stdout) as { schemaVersion: number; files: SummaryReport[] };
  expect(doc.schemaVersion).toBe(1);
  expect(doc.files).toHaveLength(1);
  return doc.files[0]!;
}

/** Packets and bytes of frames, or of IPv6 packets carried in IP-HTTPS (counted at their own length). */
function total(packets: { length: number }[]): { packets: number; bytes: number } {
  return { packets: packets.length, bytes: packets.reduce((n, f) => n + f.length, 0) };
}

/** The whole traffic-class table: the classes given, every other one zero. */
function classes(expected: Record<string, { packets: number; bytes: number; flows: number }>): SummaryReport['trafficClasses'] {
  return TRAFFIC_CLASSES.map((c) => ({ class: c, ...(expected[c] ?? { packets: 0, bytes: 0, flows: 0 }) }));
}

function numbers(frames: FrameRecord[]): number[] {
  return frames.map((f) => f.number);
}

/**
 * An SA row as the scenario wrote it: the frames that carried one direction's packets, and the packets (frames, or
 * IPv6 packets inside IP-HTTPS) whose IPsec bytes follow `headers` bytes of link, IP (and UDP).
 */
function saRow(o: { protocol: 'ESP' | 'AH'; spi: number; from: string; to: string; frames: number[]; packets: { length: number }[]; headers: number; carriedBy: string }): object {
  expect(o.frames.length).toBe(o.packets.length);
  return {
    protocol: o.protocol, spi: `0x${o.spi.toString(16).padStart(8, '0')}`, from: expect.objectContaining({ address: o.from }), to: expect.objectContaining({ address: o.to }),
    carriedBy: o.carriedBy, packets: o.packets.length, bytes: o.packets.reduce((n, f) => n + f.length - o.headers, 0),
    firstFrame: o.frames[0], lastFrame: o.frames[o.frames.length - 1], flow: expect.any(Number),
  };
}

/** The same SA row from frames that are the packets themselves. */
function saRowOf(o: { protocol: 'ESP' | 'AH'; spi: number; from: string; to: string; frames: FrameRecord[]; headers: number; carriedBy: string }): object {
  return saRow({ ...o, frames: numbers(o.frames), packets: o.frames });
}

/** NIC frames that carry IP-HTTPS data under `label` (a bare ACK is 54 bytes: Ethernet, IPv4, TCP). */
function delivering(s: Scenario, label: string): FrameRecord[] {
  return s.framesWith(label, 'ip-https').filter((f) => f.length > 54);
}

/**
 * AuthIP Main Mode #1–#7 as written: alternate directions, #5–#7 encrypted, complete on #5 and #6. `sightings` holds,
 * per capture of the exchange, the frame of each message #1–#7; every sighting is listed, in frame order.
 */
/**
 * The AuthIP row of a negotiation whose messages may be seen on several paths (the tunnel interface and inside
 * IP-HTTPS): each message counts once, at the frame that first showed it.
 */
function authipRow(sightings: number[][], initiator: string, responder: string): object {
  const first = (i: number): number => Math.min(...sightings.map((n) => n[i]!));
  const exchanges = sightings[0]!.map((_, i) => ({ frame: first(i), exchange: 'Main Mode', direction: i % 2 === 0 ? 'i→r' : 'r→i', encrypted: i >= 4, summary: expect.any(String) }))
    .sort((x, y) => x.frame - y.frame);
  return {
    protocol: 'AuthIP', initiator: expect.objectContaining({ address: initiator, port: 500 }), responder: expect.objectContaining({ address: responder, port: 500 }),
    initiatorSpi: expect.stringMatching(/^[0-9a-f]{16}$/), responderSpi: expect.stringMatching(/^[0-9a-f]{16}$/),
    exchanges, authMethods: ['Kerberos'], outcome: 'complete', reason: expect.stringContaining(`frame ${first(4)}`), decidingFrames: [first(4), first(5)],
    firstFrame: exchanges[0]!.frame, lastFrame: exchanges[exchanges.length - 1]!.frame,
  };
}

const SERVER_CERTIFICATE = {
  subject: 'C=US, O=Contoso Example, CN=da.contoso.example', issuer: 'C=US, O=Contoso Example, CN=da.contoso.example',
  subjectAltName: ['DNS:da.contoso.example'], validFrom: '2026-11-26T07:23:07.000Z', validTo: '2036-11-23T07:23:07.000Z',
};

describe('summary: the README sample', () => {
  const s = sampleScenario();
  const tunnel = (label: string): FrameRecord[] => s.framesWith(label, 'tunnel');
  /** Each inner packet twice: its frame on the tunnel interface, and its copy inside IP-HTTPS on the NIC. */
  const twice = (label: string): { length: number }[] => [...tunnel(label), ...s.innerWith(label)];
  /** The first frame that shows the `k`-th packet of `label` in one direction: inbound, the NIC's comes first. */
  const firstSeen = (label: string, outbound: boolean, k = 0): number => Math.min(
    tunnel(label).filter((f) => f.outbound === outbound)[k]!.number, delivering(s, label).filter((f) => f.outbound === outbound)[k]!.number);
  const r = summary(`${CAPTURES}/sample-directaccess.pcapng`);

  it('carries every section in its JSON, with the capture facts', () => {
    expect(Object.keys(r)).toEqual(['file', 'capture', 'prefixes', 'flowStats', 'trafficClasses', 'servers', 'clients', 'transitions', 'ipsecSas',
      'negotiations', 'negotiationBound', 'topConversations', 'names']);
    expect(r.capture).toMatchObject({ packets: s.frames.length, status: 'complete' });
    expect(r.negotiationBound).toEqual({ bound: 10_000, messagesNotTracked: 0 });
    // NIC DNS and IP-HTTPS; RS, RA, 2 × LLMNR, AuthIP, ESP, DNS, clear TCP: once on the tunnel interface, once inside IP-HTTPS.
    expect(r.flowStats).toMatchObject({ created: 2 + 2 * 8, retained: 18, summarizedOnly: 0, evictions: 0 });
  });

  it('counts the traffic classes as the scenario wrote them, each inner packet on the tunnel interface and inside IP-HTTPS', () => {
    // Every frame is the NIC's DNS, the IP-HTTPS connection, or a packet on the tunnel interface; every tunnel packet also went through IP-HTTPS.
    expect(s.framesWith('dns').length + s.framesWith('ip-https').length + s.framesWith('tunnel').length).toBe(s.frames.length);
    expect(s.inner.length).toBe(s.framesWith('tunnel').length);
    expect(r.trafficClasses).toEqual(classes({
      'IP-HTTPS': { ...total(s.framesWith('ip-https')), flows: 1 },
      ESP: { ...total(twice('ra-esp')), flows: 2 },
      'IKE/AuthIP': { ...total(twice('authip')), flows: 2 },
      'tunnelled IPv6': { ...total(twice('ra-clear')), flows: 2 },
      'link-local': { ...total(twice('rd')), flows: 4 },
      DNS: { ...total([...s.framesWith('dns'), ...twice('llmnr'), ...twice('dns6')]), flows: 7 },
    }));
  });

  it('names the DA server: address, DNS name, certificate, SNI, NULL suite, client certificates', () => {
    expect(r.servers).toEqual([{
      role: 'IP-HTTPS server', endpoint: { address: DA.serverV4, names: [DA.name], class: 'ipv4', role: 'da-server' }, port: 443, sni: DA.name,
      certificate: { ...SERVER_CERTIFICATE, frame: s.framesWith('tls-2')[0]!.number },
      cipherSuite: 'TLS_RSA_WITH_NULL_SHA256', nullCipher: true, ipHttpsAuthMode: 'certificates', flows: 1, firstFrame: s.framesWith('ip-https')[0]!.number,
    }]);
    expect(r.transitions.map((t) => [t.transition, t.confidence, t.client.address, t.server.address])).toEqual([['ip-https', 'certain', C1.v4, DA.serverV4]]);
  });

  it('learns the IP-HTTPS /64 from the first Router Advertisement seen and classes the clients by it', () => {
    expect(r.prefixes).toEqual({ ipHttps: [{ prefix: '2001:db8:1:1000::/64', source: `router advertisement, frame ${firstSeen('rd', false)}` }], directAccess: [], nat64: [] });
    const client = (address: string): SummaryReport['clients'][number] | undefined => r.clients.find((c) => c.endpoint.address === address);
    expect(client(C1.v4)).toMatchObject({ role: 'DirectAccess client', transitions: ['ip-https (carrier)'], packets: s.framesWith('ip-https').length });
    expect(client(C1.ipHttps)).toMatchObject({ role: 'DirectAccess client', endpoint: { class: 'ip-https' }, transitions: ['ip-https'] });
    expect(client(C3.ipHttps)).toMatchObject({ role: 'DirectAccess client', endpoint: { class: 'ip-https', names: [C3.name] }, packets: twice('ra-clear').length });
    // A link-local address on the tunnel link is a DA client's (classify/roles.ts), as verify judges it.
    expect(client(C2.ll)).toMatchObject({ role: 'DirectAccess client', endpoint: { class: 'link-local', names: ['client2'], role: 'da-client' } });
  });

  it('lists the ESP SAs of the Remote Assistance session, on the tunnel interface and inside IP-HTTPS', () => {
    const esp = tunnel('ra-esp');
    const inner = s.innerWith('ra-esp');
    const nic = delivering(s, 'ra-esp');
    const sa = { protocol: 'ESP' as const, headers: 40 };
    const fwd = { ...sa, spi: SAMPLE.esp.spi, from: C1.ll, to: C2.ll };
    const rev = { ...sa, spi: SAMPLE.esp.reverseSpi, from: C2.ll, to: C1.ll };
    expect(r.ipsecSas).toEqual([
      saRowOf({ ...fwd, frames: esp.filter((f) => f.outbound), carriedBy: 'ipv6' }),
      saRow({ ...fwd, frames: numbers(nic.filter((f) => f.outbound)), packets: inner.filter((p) => p.outbound), carriedBy: 'ip-https' }),
      saRow({ ...rev, frames: numbers(nic.filter((f) => !f.outbound)), packets: inner.filter((p) => !p.outbound), carriedBy: 'ip-https' }),
      saRowOf({ ...rev, frames: esp.filter((f) => !f.outbound), carriedBy: 'ipv6' }),
    ]);
  });

  it('shows the AuthIP negotiation in order, with Kerberos, complete, each message once although seen on two paths', () => {
    expect(r.negotiations).toEqual([authipRow([numbers(tunnel('authip')), numbers(delivering(s, 'authip'))], C1.ll, C2.ll)]);
    const ex = r.negotiations[0]!.exchanges;
    expect(ex).toHaveLength(tunnel('authip').length);
    expect(ex[0]!.summary).toContain('auth Kerberos');
    expect(ex[1]!.summary).toContain('GSS_ID');
    expect(ex[2]!.summary).toContain(`GSS kerberos AP-REQ for host/${C2.name}@${DA.realm}`);
    expect(ex[3]!.summary).toContain('GSS kerberos AP-REP');
  });

  it('keeps the names from DNS and LLMNR with the frame that first showed them', () => {
    expect(r.names).toEqual([
      { address: DA.serverV4, names: [{ name: DA.name, source: 'dns', frame: s.framesWith('dns')[1]!.number }] },
      { address: C2.ll, names: [{ name: 'client2', source: 'llmnr', frame: firstSeen('llmnr', false) }] },
      { address: C3.ipHttps, names: [{ name: C3.name, source: 'dns', frame: firstSeen('dns6', false) }] },
    ]);
  });

  it('ranks the IP-HTTPS connection first among the conversations', () => {
    const ipHttps = s.framesWith('ip-https');
    expect(r.topConversations[0]).toMatchObject({
      a: { address: C1.v4, port: 50123 }, b: { address: DA.serverV4, port: 443, names: [DA.name] }, protocol: 'tcp', transition: 'ip-https', class: 'IP-HTTPS',
      ...total(ipHttps), firstFrame: ipHttps[0]!.number, lastFrame: ipHttps[ipHttps.length - 1]!.number,
    });
    expect(r.topConversations.filter((t) => t.b.port === SAMPLE.clearPort).map((t) => [t.protocol, t.class, t.packets, t.bytes])).toEqual([
      ['tcp', 'tunnelled IPv6', ...Object.values(total(tunnel('ra-clear')))],
      ['tcp', 'tunnelled IPv6', ...Object.values(total(s.innerWith('ra-clear')))],
    ]);
  });

  it('renders the same facts as a table and as Markdown', () => {
    // Rows are matched whole: --width 0 keeps each on one line.
    const table = cli(['summary', '--width', '0', `${CAPTURES}/sample-directaccess.pcapng`]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('DirectAccess summary: fixtures/captures/sample-directaccess.pcapng');
    expect(table.stdout).toMatch(/│ IP-HTTPS server\s+│ 203\.0\.113\.10 \(da\.contoso\.example\) port 443\s+│/);
    expect(table.stdout).toContain('TLS_RSA_WITH_NULL_SHA256 (NULL encryption); client authentication: certificates');
    expect(table.stdout).toMatch(/│ IP-HTTPS clients │ 2001:db8:1:1000::\/64 │ router advertisement, frame \d+ │/);
    expect(table.stdout).toMatch(/│ ESP\s+│ 0x1a2b3c4d │/);
    expect(table.stdout).toMatch(/│ AuthIP\s+│/);
    const md = cli(['summary', '--format', 'md', `${CAPTURES}/sample-directaccess.pcapng`]);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('# DirectAccess summary: fixtures/captures/sample-directaccess.pcapng');
    expect(md.stdout).toContain('## DirectAccess servers');
    expect(md.stdout).toContain('| IP-HTTPS server | 203.0.113.10 (da.contoso.example) port 443 |');
    expect(md.stdout).toContain('| IP-HTTPS clients | 2001:db8:1:1000::/64 |');
    // The exchanges of a negotiation are one cell, a line each.
    const [a, b] = [r.negotiations[0]!.exchanges[0]!, r.negotiations[0]!.exchanges[1]!];
    expect(md.stdout).toContain(`${a.frame} ${a.direction} Main Mode<br>${b.frame} ${b.direction} Main Mode`);
  });
});

describe('summary: IP-HTTPS on the NIC', () => {
  it('NULL_SHA256 with client certificates: the server, the transition evidence with its frames, the classes, the IPv6 inside', () => {
    const s = ipHttpsScenario('null');
    const r = summary(`${CAPTURES}/da-iphttps-null.pcapng`);
    const first = (label: string): number => s.framesWith(label)[0]!.number;
    expect(s.framesWith('ip-https').length + s.framesWith('dns').length).toBe(s.frames.length);
    expect(r.trafficClasses).toEqual(classes({
      'IP-HTTPS': { ...total(s.framesWith('ip-https')), flows: 1 },
      DNS: { ...total([...s.framesWith('dns'), ...s.innerWith('dns6')]), flows: 2 },
      'link-local': { ...total(s.innerWith('rd')), flows: 2 },
      // The echo, and the HTTP session whose response shared one record over three TCP segments: every packet recovered.
      'tunnelled IPv6': { ...total([...s.innerWith('echo'), ...s.innerWith('web')]), flows: 2 },
    }));
    expect(r.servers).toEqual([{
      role: 'IP-HTTPS server', endpoint: { address: DA.serverV4, names: [DA.name], class: 'ipv4', role: 'da-server' }, port: 443, sni: DA.name,
      certificate: { ...SERVER_CERTIFICATE, frame: first('tls-2') },
      cipherSuite: 'TLS_RSA_WITH_NULL_SHA256', nullCipher: true, ipHttpsAuthMode: 'certificates', flows: 1, firstFrame: first('ip-https'),
    }]);
    expect(r.transitions).toHaveLength(1);
    expect(r.transitions[0]).toMatchObject({ transition: 'ip-https', confidence: 'certain', client: { address: C1.v4, port: 50123 }, server: { address: DA.serverV4, port: 443 } });
    expect(r.transitions[0]!.reasons).toEqual([
      { text: expect.stringMatching(/^POST \/IPHTTPS with Content-Length 18446744073709551615/), frames: [first('http-request')] },
      { text: expect.stringMatching(/^ServerHello chose TLS_RSA_WITH_NULL_SHA256/), frames: [first('tls-2')] },
      // A NULL suite alone is not IP-HTTPS: the IPv6 framing in its records and the port are named with it.
      { text: expect.stringMatching(/^the plaintext records carry IPv6 packets, framed as IP-HTTPS frames them \(\d+ packet\(s\)/), frames: expect.any(Array) },
      { text: 'TCP port 443, where IP-HTTPS listens by default', frames: [first('ip-https')] },
      { text: expect.stringMatching(/^the server answered 200 OK with Server: Microsoft-HTTPAPI\/2\.0/), frames: [first('http-response')] },
      { text: expect.stringMatching(/^the ClientHello offered only NULL-encryption suites/), frames: [first('tls-1')] },
    ]);
    const ra = delivering(s, 'rd').filter((f) => !f.outbound)[0]!.number;
    expect(r.prefixes.ipHttps).toEqual([{ prefix: '2001:db8:1:1000::/64', source: `router advertisement, frame ${ra}` }]);
    expect(r.names).toEqual([
      { address: DA.serverV4, names: [{ name: DA.name, source: 'dns', frame: s.framesWith('dns')[1]!.number }] },
      { address: DA.intranet.address, names: [{ name: DA.intranet.name, source: 'dns', frame: delivering(s, 'dns6').filter((f) => !f.outbound)[0]!.number }] },
    ]);
    const client = (address: string): SummaryReport['clients'][number] | undefined => r.clients.find((c) => c.endpoint.address === address);
    expect(client(C1.v4)).toMatchObject({ role: 'DirectAccess client', transitions: ['ip-https (carrier)'], packets: s.framesWith('ip-https').length });
    expect(client(C1.ipHttps)).toMatchObject({ role: 'DirectAccess client', endpoint: { class: 'ip-https' }, transitions: ['ip-https'],
      packets: [...s.innerWith('dns6'), ...s.innerWith('echo'), ...s.innerWith('web')].length });
  });

  it('AES-GCM: ordinary TLS unless --da-server names the server, then IP-HTTPS with authentication mode None', () => {
    const s = ipHttpsScenario('aes');
    const path = `${CAPTURES}/da-iphttps-aes.pcapng`;
    const plain = summary(path);
    expect(plain.servers).toEqual([]);
    expect(plain.transitions).toEqual([]);
    expect(plain.trafficClasses).toEqual(classes({ 'IPv4 other': { ...total(s.framesWith('ip-https')), flows: 1 }, DNS: { ...total(s.framesWith('dns')), flows: 1 } }));
    const named = summary(path, '--da-server', DA.name);
    expect(named.servers).toEqual([expect.objectContaining({
      role: 'IP-HTTPS server', sni: DA.name, cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', nullCipher: false, ipHttpsAuthMode: 'none',
      certificate: { ...SERVER_CERTIFICATE, frame: s.framesWith('tls-2')[0]!.number },
    })]);
    expect(named.transitions[0]).toMatchObject({ transition: 'ip-https', confidence: 'likely' });
    expect(named.transitions[0]!.reasons.map((x) => x.text)).toEqual([
      `SNI ${DA.name} is the DirectAccess server given by --da-server`,
      `the server certificate names ${DA.name}, the DirectAccess server given by --da-server`,
    ]);
    expect(named.trafficClasses).toEqual(classes({ 'IP-HTTPS': { ...total(s.framesWith('ip-https')), flows: 1 }, DNS: { ...total(s.framesWith('dns')), flows: 1 } }));
  });
});

describe('summary: Teredo', () => {
  const s = teredoScenario();
  const r = summary(`${CAPTURES}/da-teredo.pcapng`);

  it('counts the carriers and what they carry', () => {
    const carriers = [...s.framesWith('teredo-server'), ...s.framesWith('teredo-peer')];
    expect(carriers.length).toBe(s.frames.length);
    expect(r.trafficClasses).toEqual(classes({
      Teredo: { ...total(carriers), flows: 2 },
      'link-local': { ...total(s.framesWith('qualification')), flows: 2 },
      // Bubbles through the server, bubbles direct, the echo, the TCP session: one inner flow each.
      'tunnelled IPv6': { ...total([...s.framesWith('bubbles'), ...s.framesWith('echo'), ...s.framesWith('session')]), flows: 4 },
    }));
  });

  it('finds the Teredo server and decodes the clients\' Teredo addresses', () => {
    expect(r.servers).toEqual([expect.objectContaining({ role: 'Teredo server', endpoint: { address: DA.serverV4, names: [], class: 'ipv4', role: 'da-server' }, port: 3544, flows: 1, firstFrame: 1 })]);
    const client = (address: string): SummaryReport['clients'][number] | undefined => r.clients.find((c) => c.endpoint.address === address);
    expect(client(C1.v4)).toMatchObject({ role: 'DirectAccess client', transitions: ['teredo (carrier)'], flows: 2, packets: s.frames.length });
    expect(client(TEREDO.client)).toMatchObject({
      role: 'DirectAccess client', endpoint: { class: 'teredo' }, transitions: ['teredo'],
      embedded: `Teredo server ${DA.serverV4}, client ${TEREDO.mapped.address}:${TEREDO.mapped.port}, cone NAT`,
    });
    expect(client(TEREDO.peer)).toMatchObject({ embedded: `Teredo server ${DA.serverV4}, client ${TEREDO.peerMapped.address}:${TEREDO.peerMapped.port}, cone NAT` });
  });

  it('gives the evidence for each carrier: port 3544, and the peer on its mapped port', () => {
    expect(r.transitions.map((t) => [t.transition, t.confidence, t.client.port, t.server.address, t.server.port])).toEqual([
      ['teredo', 'certain', TEREDO.local.port, DA.serverV4, 3544],
      ['teredo', 'likely', TEREDO.local.port, TEREDO.peerMapped.address, TEREDO.peerMapped.port],
    ]);
    expect(r.transitions[0]!.reasons).toEqual([{ text: 'UDP port 3544 carrying IPv6 (RFC 4380)', frames: [s.framesWith('teredo-server')[0]!.number] }]);
  });
});

describe('summary: 6to4 and ISATAP', () => {
  const s = proto41Scenario();
  const r = summary(`${CAPTURES}/da-6to4-isatap.pcapng`);

  it('counts both protocol-41 carriers and the IPv6 inside', () => {
    expect(s.framesWith('6to4').length + s.framesWith('isatap').length).toBe(s.frames.length);
    expect(r.trafficClasses).toEqual(classes({
      '6to4': { ...total(s.framesWith('6to4')), flows: 1 },
      ISATAP: { ...total(s.framesWith('isatap')), flows: 1 },
      'tunnelled IPv6': { ...total([...s.framesWith('6to4-echo'), ...s.framesWith('6to4-session'), ...s.framesWith('isatap-session')]), flows: 3 },
      'link-local': { ...total(s.framesWith('isatap-rd')), flows: 2 },
    }));
  });

  it('finds the relay and the router, and the IPv4 in the clients\' addresses', () => {
    expect(r.servers.map((x) => [x.role, x.endpoint.address, x.port])).toEqual([['6to4 relay', DA.serverV4, null], ['ISATAP router', PROTO41.isatapRouter, null]]);
    const client = (address: string): SummaryReport['clients'][number] | undefined => r.clients.find((c) => c.endpoint.address === address);
    expect(client(PROTO41.sixToFour)).toMatchObject({ role: 'DirectAccess client', endpoint: { class: '6to4' }, embedded: `6to4 IPv4 ${PROTO41.public.address}` });
    // ISATAP is intranet manage-out: its hosts are intranet hosts, never DirectAccess clients on the Internet.
    expect(client(PROTO41.isatap)).toMatchObject({ role: 'intranet host', endpoint: { class: 'isatap', role: 'intranet-host' }, embedded: `ISATAP IPv4 ${PROTO41.corp.address}` });
    expect(client(PROTO41.public.address)).toMatchObject({ transitions: ['6to4 (carrier)'], packets: s.framesWith('6to4').length });
    expect(client(PROTO41.corp.address)).toMatchObject({ transitions: ['isatap (carrier)'], packets: s.framesWith('isatap').length });
    expect(r.transitions.map((t) => [t.transition, t.confidence])).toEqual([['6to4', 'certain'], ['isatap', 'certain']]);
  });
});

describe('summary: IPsec', () => {
  const s = ipsecScenario();
  const r = summary(`${CAPTURES}/da-ipsec.pcapng`);
  const dir = (label: string, outbound: boolean): FrameRecord[] => s.framesWith(label).filter((f) => f.outbound === outbound);

  it('counts ESP, AH, ESP-in-UDP and the negotiations', () => {
    expect(r.trafficClasses).toEqual(classes({
      ESP: { ...total([...s.framesWith('esp'), ...s.framesWith('esp-null'), ...s.framesWith('gmac')]), flows: 1 },
      AH: { ...total([...s.framesWith('ah'), ...s.framesWith('ah-udp')]), flows: 2 },
      // IKE_AUTH moved to UDP 4500 shares its port pair with the keepalive and the ESP (RFC 3948): one flow.
      'ESP-in-UDP': { ...total([...s.framesWith('ike-4500'), ...s.framesWith('keepalive'), ...s.framesWith('esp-udp')]), flows: 1 },
      'IKE/AuthIP': { ...total([...s.framesWith('authip'), ...s.framesWith('ike-500', 'ikev2')]), flows: 2 },
    }));
  });

  it('lists every SA: SPI, direction, packets, bytes and frames', () => {
    const i = IPSEC;
    const rows = (label: string, protocol: 'ESP' | 'AH', spis: { spi: number; reverseSpi: number }): object[] => [
      saRowOf({ protocol, spi: spis.spi, from: C1.ll, to: C2.ll, frames: dir(label, true), headers: 40, carriedBy: 'ipv6' }),
      saRowOf({ protocol, spi: spis.reverseSpi, from: C2.ll, to: C1.ll, frames: dir(label, false), headers: 40, carriedBy: 'ipv6' }),
    ];
    // ESP in UDP 4500 on the NIC: Ethernet, IPv4 and UDP headers before the SPI.
    const natT = (outbound: boolean): FrameRecord[] => dir('esp-udp', outbound);
    expect(r.ipsecSas).toEqual([
      ...rows('esp', 'ESP', i.esp), ...rows('esp-null', 'ESP', i.espNull), ...rows('gmac', 'ESP', i.gmac), ...rows('ah', 'AH', i.ah),
      // AH protecting UDP is carried by IPv6 like any AH (not "udp/4500").
      ...rows('ah-udp', 'AH', i.ahUdp),
      saRowOf({ protocol: 'ESP', spi: i.natT.spi, from: i.natT.local, to: i.natT.gateway, frames: natT(true), headers: 14 + 20 + 8, carriedBy: 'udp/4500' }),
      saRowOf({ protocol: 'ESP', spi: i.natT.reverseSpi, from: i.natT.gateway, to: i.natT.local, frames: natT(false), headers: 14 + 20 + 8, carriedBy: 'udp/4500' }),
    ]);
  });

  it('shows AuthIP with Kerberos before the ESP, and IKEv2 moving to 4500', () => {
    const ike = numbers(s.framesWith('ikev2'));
    expect(r.negotiations).toEqual([
      authipRow([numbers(s.framesWith('authip'))], C1.ll, C2.ll),
      expect.objectContaining({
        protocol: 'IKEv2', initiator: expect.objectContaining({ address: IPSEC.natT.local, port: 500 }), responder: expect.objectContaining({ address: IPSEC.natT.gateway, port: 500 }),
        exchanges: [
          expect.objectContaining({ frame: ike[0], exchange: 'IKE_SA_INIT', direction: 'i→r', encrypted: false }),
          expect.objectContaining({ frame: ike[1], exchange: 'IKE_SA_INIT', direction: 'r→i', encrypted: false }),
          expect.objectContaining({ frame: ike[2], exchange: 'IKE_AUTH', direction: 'i→r', encrypted: true }),
          expect.objectContaining({ frame: ike[3], exchange: 'IKE_AUTH', direction: 'r→i', encrypted: true }),
        ],
        outcome: 'complete', decidingFrames: [ike[1], ike[2], ike[3]],
      }),
    ]);
    expect(r.negotiations[0]!.lastFrame).toBeLessThan(r.ipsecSas[0]!.firstFrame);
    expect(s.framesWith('ike-4500').map((f) => f.number)).toEqual(ike.slice(2));
  });
});

describe('summary: how AuthIP negotiations end', () => {
  it('no answer (beside the IKEv1 offer), a Kerberos error, a notify, no Quick Mode: each outcome with its deciding frames', () => {
    const s = new Scenario({ t0: 1_764_150_000, local: [C1.ll], seed: 9 });
    const tunnel = s.rawLink(s.interface('raw', 23));
    const outcomes = ['no-response', 'kerberos-error', 'notify', 'no-quick-mode'] as const;
    const peer = (i: number): string => `fe80::b${i + 1}`;
    outcomes.forEach((outcome, i) => s.label(outcome, () => s.authip({
      initiator: C1.ll, responder: peer(i), via: tunnel, realm: DA.realm, spn: `host/peer${i + 1}.corp.contoso.example`, outcome, ikev1Offer: outcome === 'no-response',
    })));
    const path = join(testTempDir('da-audit-summary-'), 'authip-failures.pcapng');
    writeFileSync(path, s.bytes());
    const f = (label: string): number[] => numbers(s.framesWith(label));
    const r = summary(path);
    expect(r.negotiations.map((n) => [n.protocol, n.responder.address, n.authMethods, n.outcome, n.decidingFrames])).toEqual([
      // The IKEv1 offer names Kerberos as SA authentication method 65001 (MS-AIPS §3.2.4).
      ['IKEv1', peer(0), ['GSS-API Kerberos'], 'no-response', f('no-response').slice(0, 1)],
      ['AuthIP', peer(0), ['Kerberos'], 'no-response', f('no-response').slice(1)],
      // The responder's GSS-API payload carries status 0x3603 and a KRB-ERROR token (MM #4).
      ['AuthIP', peer(1), ['Kerberos'], 'failed-after-authentication', [f('kerberos-error')[3]]],
      // NOTIFY_STATUS with ERROR_IPSEC_IKE_NO_POLICY after MM #4.
      ['AuthIP', peer(2), ['Kerberos'], 'notify-error', [f('notify')[4]]],
      // MM #1–#4 in clear, then only the initiator's encrypted MM #5.
      ['AuthIP', peer(3), ['Kerberos'], 'failed-after-authentication', f('no-quick-mode').slice(0, 4)],
    ]);
    expect(r.negotiations[0]!.reason).toContain('MS-MamieExists');
    expect(r.negotiations[2]!.reason).toContain('ERROR_IPSEC_IKE_KERBEROS_ERROR (0x00003603)');
    expect(r.negotiations[2]!.reason).toContain('KDC_ERR_S_PRINCIPAL_UNKNOWN');
    expect(r.negotiations[3]!.reason).toContain('NOTIFY_STATUS carrying ERROR_IPSEC_IKE_NO_POLICY (0x00003601)');
  });
});

describe('summary: names', () => {
  const s = namesScenario();
  const r = summary(`${CAPTURES}/da-names.pcapng`);
  const answer = (label: string, index = 1): number => s.framesWith(label)[index]!.number;

  it('keeps every DNS, LLMNR and mDNS answer with its source and frame', () => {
    expect(r.trafficClasses).toEqual(classes({ DNS: { ...total(s.frames), flows: 10 } }));
    expect(r.names).toEqual([
      { address: DA.serverV4, names: [{ name: DA.name, source: 'dns', frame: answer('dns-da', 1) }] },
      { address: DA.serverV6, names: [{ name: DA.name, source: 'dns', frame: answer('dns-da', 3) }] },
      { address: NAMES.printer.v4, names: [{ name: NAMES.printer.name, source: 'llmnr', frame: answer('llmnr-printer') }] },
      { address: NAMES.mdns.v4, names: [{ name: NAMES.mdns.name, source: 'mdns', frame: answer('mdns') }] },
      { address: NAMES.mdns.ll, names: [{ name: NAMES.mdns.name, source: 'mdns', frame: answer('mdns') }] },
      { address: C2.ipHttps, names: [{ name: C2.name, source: 'dns', frame: answer('dns-client2') }] },
      { address: NAMES.client3Teredo, names: [{ name: C3.name, source: 'dns', frame: answer('dns-client3') }] },
      { address: C2.ll, names: [{ name: NAMES.client2Short, source: 'llmnr', frame: answer('llmnr-client2') }] },
    ]);
  });

  it('classes addresses in a prefix given with --iphttps-prefix; a bad prefix is a usage error', () => {
    const plain = summary(`${CAPTURES}/da-names.pcapng`);
    expect(plain.prefixes.ipHttps).toEqual([]);
    expect(plain.clients.some((c) => c.endpoint.address === C1.ipHttps)).toBe(false);
    const given = summary(`${CAPTURES}/da-names.pcapng`, '--iphttps-prefix', '2001:db8:1:1000::/64');
    expect(given.prefixes.ipHttps).toEqual([{ prefix: '2001:db8:1:1000::/64', source: 'option' }]);
    const lookups = [...s.framesWith('dns-client2'), ...s.framesWith('dns-client3')];
    expect(given.clients.find((c) => c.endpoint.address === C1.ipHttps)).toMatchObject({
      role: 'DirectAccess client', endpoint: { class: 'ip-https' }, transitions: ['ip-https'], flows: 2, packets: lookups.length,
    });
    for (const bad of ['2001:db8:1:1000::/129', 'not-a-prefix', '2001:db8::zz/64']) {
      const r2 = cli(['summary', '--iphttps-prefix', bad, `${CAPTURES}/da-names.pcapng`]);
      expect(r2.code, bad).toBe(2);
      expect(r2.stdout).toBe('');
      expect(r2.stderr).toContain(`not an address prefix: ${bad}`);
    }
  });
});

describe('summary: hostile names and many flows', () => {
  const dir = suiteTempDir('da-audit-summary-');

  it('escapes a DNS name with control characters and a certificate subject with a newline in table and Markdown', () => {
    const evilName = 'evil\u001b[2J\r\nFAKE\u202e.contoso.example';
    const s = new Scenario({ t0: 1_764_150_000, local: [C1.v4], seed: 7 });
    const nic = s.ethernetLink(s.interface('ethernet', 12), { mac: C1.mac, peerMac: DA.gatewayMac });
    s.nameLookup({ protocol: 'dns', client: C1.v4, responder: DA.lanDns, via: nic, name: evilName, a: [DA.serverV4] });
    s.ipHttps(nic, {
      client: { address: C1.v4, port: 50123 }, server: { address: DA.serverV4, port: 443 }, sni: DA.name, suite: 0x003b, authMode: 'none',
      serverCertificate: withReplacedName(SERVER_CERT_DER, 'da.contoso.example', 'da.contoso\nCN=evil'),
    }).open();
    const path = join(dir, 'hostile.pcapng');
    writeFileSync(path, s.bytes());

    const json = summary(path);
    expect(json.names).toEqual([{ address: DA.serverV4, names: [{ name: evilName, source: 'dns', frame: 2 }] }]);
    // Node shows the newline of a name value as \0A (RFC 4514 style); the JSON keeps that text as it is.
    expect(json.servers[0]!.certificate!.subject).toBe('C=US, O=Contoso Example, CN=da.contoso\\0ACN=evil');
    // Node quotes the SAN value and escapes the newline as \u000a; the list keeps that text.
    expect(json.servers[0]!.certificate!.subjectAltName).toEqual(['DNS:"da.contoso\\u000aCN=evil"']);

    const table = cli(['summary', path]);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(/[\u001b\r\u202e]/);
    expect(table.stdout).not.toMatch(/^FAKE/m);
    expect(table.stdout).toContain('evil\\x1b[2J\\r\\nFAKE\\u202e.contoso.example');
    expect(table.stdout).toContain('CN=da.contoso\\\\0ACN=evil');
    const md = cli(['summary', '--format', 'md', path]);
    expect(md.code).toBe(0);
    expect(md.stdout).not.toMatch(/[\u001b\r\u202e]/);
    expect(md.stdout).not.toMatch(/^FAKE/m);
    expect(md.stdout).toContain('evil\\\\x1b\\[2J\\\\r\\\\nFAKE\\\\u202e.contoso.example');
  });

  it('--max-flows 100 on a capture of 150 lookups evicts 50 flows and still counts every packet', () => {
    const s = new Scenario({ t0: 1_764_150_000, local: [C1.v4], seed: 8 });
    const nic = s.ethernetLink(s.interface('ethernet', 12), { mac: C1.mac, peerMac: DA.gatewayMac });
    // 150 lookups from 150 source ports: 150 UDP flows, all live until the end (idle timeout 30 minutes).
    for (let i = 0; i < 150; i++) {
      const questions = [{ name: `host${i}.contoso.example`, type: 1 }];
      s.udp({ from: C1.v4, to: DA.lanDns, sport: 50000 + i, dport: 53, via: nic, payloads: [
        { c: dnsMessage({ id: i, flags: 0x0100, questions }) },
        { s: dnsMessage({ id: i, flags: 0x8180, questions, answers: [{ name: questions[0]!.name, type: 'A', address: `198.51.100.${i}` }] }) },
      ] });
    }
    const path = join(dir, 'many-flows.pcapng');
    writeFileSync(path, s.bytes());
    const bounded = summary(path, '--max-flows', '100');
    expect(bounded.flowStats).toMatchObject({ created: 150, evictions: 50, maxFlows: 100, peakLive: 100 });
    expect(bounded.trafficClasses).toEqual(classes({ DNS: { ...total(s.frames), flows: 150 } }));
    expect(bounded.names).toHaveLength(150);
    const table = cli(['summary', '--max-flows', '100', path]);
    // The key column is 26 wide, so the label wraps after "bound".
    expect(table.stdout).toMatch(/│ Evicted \(live-flow bound\s+│ 50 \(bound 100 live flows\)/);
    expect(summary(path).flowStats).toMatchObject({ created: 150, evictions: 0 });
  });

  it('tracks 10,000 IKE negotiations and counts the messages of the ones past that bound', () => {
    const s = new Scenario({ t0: 1_764_150_000, local: [C1.v4], seed: 9 });
    const nic = s.ethernetLink(s.interface('ethernet', 12), { mac: C1.mac, peerMac: DA.gatewayMac });
    // 10,003 AuthIP Main Mode #1 offers, each from its own initiator SPI, on one UDP 500 flow.
    const offers = Array.from({ length: 10_003 }, (_, i) => ({ c: message({ ispi: (i + 1).toString(16).padStart(16, '0'), exchange: 0xf3 }, [crypto(1), nonce()]) }));
    s.udp({ from: C1.v4, to: DA.lanDns, sport: 500, dport: 500, via: nic, payloads: offers });
    const path = join(dir, 'many-negotiations.pcapng');
    writeFileSync(path, s.bytes());
    const r = summary(path);
    expect(r.negotiations).toHaveLength(10_000);
    expect(r.negotiationBound).toEqual({ bound: 10_000, messagesNotTracked: 3 });
    expect(r.negotiations[9_999]).toMatchObject({ initiatorSpi: (10_000).toString(16).padStart(16, '0'), outcome: 'no-response', decidingFrames: [10_000] });
    expect(cli(['summary', path]).stdout).toMatch(/│ IKE messages counted\s+│ 3 \(bound 10,000 negotiations\)/);
  });
});
