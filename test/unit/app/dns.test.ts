/**
 * DNS, LLMNR and mDNS messages (src/app/dns.ts; RFC 1035 §4.1–4.2, RFC 4795, RFC 6762) through dns-packet: header,
 * questions, A and AAAA answers. The four kinds of tests of architecture §7. The tshark lines above known-good
 * messages come from `tshark -n -r` on the message sent alone in an Ethernet/IPv4 or IPv6 frame (UDP 53, TCP 53,
 * UDP 5355, UDP 5353), written with PcapWriter (frame number and time columns left out). Every parse reads a guarded
 * buffer (./bounds.ts): a read outside [start, end) fails, and a message that holds only a prefix has no bytes after it.
 */

import { describe, expect, it } from 'vitest';
import { parseDnsMessage, type AddressAnswer, type DnsMessageFacts, type NameProtocol } from '../../../src/app/dns.js';
import { ascii, concat, dnsOverTcp, dnsQuery, fromHex, ip4, ip6, Prng, u16, u32, type Bytes } from '../../helpers/build.js';
import { dnsMessage } from '../../helpers/scenario-content.js';
import { parseGuarded, patched, prefixes } from './bounds.js';

const FRAME = 21;
const parse = (b: Bytes, o: { protocol?: NameProtocol; tcp?: boolean; n?: number; after?: number } = {}): DnsMessageFacts | null =>
  parseGuarded(b, (buf, s, e) => parseDnsMessage(buf, s, e, FRAME, o.protocol ?? 'dns', o.tcp ?? false), o.n ?? b.length, o.after ?? 0);

/** IPv4 addresses are stored IPv4-mapped, as 16 bytes. */
const mapped = (v4: string): Bytes => concat(ip6('::ffff:0:0').subarray(0, 12), ip4(v4));
const answer = (name: string, type: 'A' | 'AAAA', address: Bytes, ttl: number, protocol: NameProtocol = 'dns'): AddressAnswer =>
  ({ frame: FRAME, protocol, name, type, address, ttl });

// 192.0.2.10 → 198.51.100.53 DNS 79 Standard query 0x1234 A isatap.corp.example
const QUERY = dnsQuery(0x1234, 'isatap.corp.example');
// 198.51.100.53 → 192.0.2.10 DNS 144 Standard query response 0x1235 AAAA client2.corp.contoso.example AAAA 2001:db8:1:1000::a1b2 AAAA fd00::2
const AAAA = dnsMessage({
  id: 0x1235, flags: 0x8180, questions: [{ name: 'client2.corp.contoso.example', type: 28 }],
  answers: [{ name: 'client2.corp.contoso.example', type: 'AAAA', address: '2001:db8:1:1000::a1b2', ttl: 1200 }, { name: 'client2.corp.contoso.example', type: 'AAAA', address: 'fd00::2', ttl: 600 }],
});
// 198.51.100.53 → 192.0.2.10 DNS 85 Standard query response 0x1236 No such name A wpad.corp.contoso.example
const NXDOMAIN = dnsMessage({ id: 0x1236, flags: 0x8183, questions: [{ name: 'wpad.corp.contoso.example', type: 1 }] });
const A_MESSAGE = dnsMessage({ id: 0x1237, flags: 0x8180, questions: [{ name: 'da.contoso.example', type: 1 }], answers: [{ name: 'da.contoso.example', type: 'A', address: '203.0.113.5', ttl: 300 }] });
// 198.51.100.53 → 192.0.2.10 DNS 108 Standard query response 0x1237 A da.contoso.example A 203.0.113.5
const TCP = dnsOverTcp(A_MESSAGE);
// fe80::b → fe80::a LLMNR 115 Standard query response 0x2a2a AAAA client3 AAAA fe80::b
const LLMNR = dnsMessage({ id: 0x2a2a, flags: 0x8000, questions: [{ name: 'client3', type: 28 }], answers: [{ name: 'client3', type: 'AAAA', address: 'fe80::b', ttl: 30 }] });
// 192.0.2.30 → 224.0.0.251 MDNS 83 Standard query response 0x0000 A, cache flush 192.0.2.30
const MDNS = dnsMessage({ id: 0, flags: 0x8400, cacheFlush: true, answers: [{ name: 'client4.local', type: 'A', address: '192.0.2.30', ttl: 120 }] });
// 198.51.100.53 → 192.0.2.10 DNS 124 Standard query response 0x1238 A www.contoso.example CNAME web.contoso.example A 203.0.113.80 OPT
const CNAME = fromHex(`1238 8180 0001 0002 0000 0001
  03777777 07636f6e746f736f 076578616d706c65 00 0001 0001   # www.contoso.example A IN (at 12)
  c00c 0005 0001 0000012c 0006 03776562 c010                # CNAME web + pointer to contoso.example (web at 49 = 0x31)
  c031 0001 0001 0000012c 0004 cb007150                     # web.contoso.example A 203.0.113.80
  00 0029 1000 00000000 0000                                # OPT, UDP payload size 4096`);

/** Offsets: ANCOUNT 6; in AAAA the first answer at 58 (its RDLENGTH at 68), the second at 86; in A_MESSAGE the answer's RDLENGTH at 46. */
const ANCOUNT = 6;
const AAAA_FIRST = 12 + 30 + 4;
const AAAA_SECOND = AAAA_FIRST + 12 + 16;
const A_RDLENGTH = 12 + 20 + 4 + 10;

const CLIENT2 = 'client2.corp.contoso.example';
const AAAA_FACTS: DnsMessageFacts = {
  frame: FRAME, protocol: 'dns', response: true, rcode: 'NOERROR', questions: [{ name: CLIENT2, type: 'AAAA' }],
  answers: [answer(CLIENT2, 'AAAA', ip6('2001:db8:1:1000::a1b2'), 1200), answer(CLIENT2, 'AAAA', ip6('fd00::2'), 600)],
};
const A_FACTS: DnsMessageFacts = {
  frame: FRAME, protocol: 'dns', response: true, rcode: 'NOERROR', questions: [{ name: 'da.contoso.example', type: 'A' }],
  answers: [answer('da.contoso.example', 'A', mapped('203.0.113.5'), 300)],
};

describe('parseDnsMessage: known good', () => {
  it('a query: not a response, no rcode, the question, no answers', () => {
    expect(parse(QUERY)).toEqual({ frame: FRAME, protocol: 'dns', response: false, rcode: null, questions: [{ name: 'isatap.corp.example', type: 'A' }], answers: [] });
  });

  it('a response with two AAAA answers whose names are compression pointers to the question', () => {
    expect(parse(AAAA)).toEqual(AAAA_FACTS);
  });

  it('NXDOMAIN: the rcode named, no answers', () => {
    expect(parse(NXDOMAIN)).toEqual({
      frame: FRAME, protocol: 'dns', response: true, rcode: 'NXDOMAIN', questions: [{ name: 'wpad.corp.contoso.example', type: 'A' }], answers: [],
    });
  });

  it('an A answer is stored IPv4-mapped', () => {
    expect(parse(A_MESSAGE)).toEqual(A_FACTS);
  });

  it('DNS over TCP: the 2-byte length is skipped', () => {
    expect(parse(TCP, { tcp: true })).toEqual(A_FACTS);
  });

  it('LLMNR: the protocol is carried into the facts and each answer', () => {
    expect(parse(LLMNR, { protocol: 'llmnr' })).toEqual({
      frame: FRAME, protocol: 'llmnr', response: true, rcode: 'NOERROR', questions: [{ name: 'client3', type: 'AAAA' }],
      answers: [answer('client3', 'AAAA', ip6('fe80::b'), 30, 'llmnr')],
    });
  });

  it('mDNS: an unsolicited response without questions, the cache-flush bit does not hide the A answer', () => {
    expect(parse(MDNS, { protocol: 'mdns' })).toEqual({
      frame: FRAME, protocol: 'mdns', response: true, rcode: 'NOERROR', questions: [], answers: [answer('client4.local', 'A', mapped('192.0.2.30'), 120, 'mdns')],
    });
  });

  it('a CNAME chain with EDNS: the CNAME and OPT records are walked past, the A answer at the end is read', () => {
    expect(parse(CNAME)).toEqual({
      frame: FRAME, protocol: 'dns', response: true, rcode: 'NOERROR', questions: [{ name: 'www.contoso.example', type: 'A' }],
      answers: [answer('web.contoso.example', 'A', mapped('203.0.113.80'), 300)],
    });
  });

  it('A and AAAA records in the additional section are answers too (mDNS and LLMNR put addresses there)', () => {
    const withAdditional = concat(patched(MDNS, ANCOUNT, 0, 0).subarray(0, 10), u16(1), MDNS.subarray(12));
    expect(parse(withAdditional, { protocol: 'mdns' })?.answers).toEqual([answer('client4.local', 'A', mapped('192.0.2.30'), 120, 'mdns')]);
  });

  it('AAAA addresses come back as the 16 bytes that were sent, whatever their zero runs (dns-packet gives text)', () => {
    const rng = new Prng(28);
    const addresses: Bytes[] = [new Uint8Array(16), ip6('::1'), ip6('1::'), ip6('2001:db8:0:1:1:1:1:1'), ip6('1:0:0:2:0:0:0:3'), ip6('::ffff:192.0.2.1')];
    for (let i = 0; i < 100; i++) {
      const a = rng.bytes(16);
      for (let g = 0; g < 8; g++) if (rng.int(2) === 0) a.fill(0, 2 * g, 2 * g + 2);
      addresses.push(a);
    }
    const records = addresses.map((a) => concat(u16(0xc00c), u16(28), u16(1), u32(60), u16(16), a));
    const message = concat(u16(7), u16(0x8180), u16(1), u16(addresses.length), u16(0), u16(0), dnsQuery(0, 'x.example').subarray(12), ...records);
    expect(parse(message)?.answers.map((r) => r.address)).toEqual(addresses);
  });
});

describe('truncation sweep: every prefix is null, never a throw or a read past end', () => {
  it.each([['query', QUERY], ['AAAA', AAAA], ['NXDOMAIN', NXDOMAIN], ['A', A_MESSAGE], ['LLMNR', LLMNR], ['mDNS', MDNS], ['CNAME and OPT', CNAME]])(
    '%s over UDP', (_name, message) => {
      // Every prefix lacks a record the header counts: dns-packet must not fill the missing address bytes with zeros.
      expect(prefixes(message, (b, s, e) => parseDnsMessage(b, s, e, FRAME, 'dns'))).toEqual(new Array(message.length).fill(null));
    },
  );

  it('over TCP', () => {
    expect(prefixes(TCP, (b, s, e) => parseDnsMessage(b, s, e, FRAME, 'dns', true))).toEqual(new Array(TCP.length).fill(null));
  });
});

describe('malformed: one field patched per check', () => {
  it('a compression pointer to itself (a loop) or forward: null, without looping', () => {
    expect(parse(patched(AAAA, AAAA_FIRST, 0xc0, AAAA_FIRST))).toBeNull();
    expect(parse(patched(AAAA, AAAA_FIRST, 0xc0, AAAA_SECOND))).toBeNull();
    // Two pointers to each other: the second answer's name points at the first's, the first's at the second's.
    expect(parse(patched(patched(AAAA, AAAA_SECOND, 0xc0, AAAA_FIRST), AAAA_FIRST, 0xc0, AAAA_SECOND))).toBeNull();
  });

  it('a label type 0x40 or 0x80 (RFC 6891 §5: not in use): null', () => {
    expect(parse(patched(QUERY, 12, 0x46))).toBeNull();
    expect(parse(patched(QUERY, 12, 0x86))).toBeNull();
  });

  it('a name longer than 255 bytes: null', () => {
    const label = 'a'.repeat(63);
    expect(parse(dnsQuery(1, [label, label, label, label].join('.')))).toBeNull();
    expect(parse(dnsQuery(1, [label, label, label, 'a'.repeat(61)].join('.')))?.questions[0]?.name).toHaveLength(253);
  });

  it('ANCOUNT larger than the records there: null; smaller: the answers it counts', () => {
    expect(parse(patched(AAAA, ANCOUNT, 0, 3))).toBeNull();
    expect(parse(patched(AAAA, ANCOUNT, 0, 1))?.answers).toEqual(AAAA_FACTS.answers.slice(0, 1));
  });

  it('an A record whose RDLENGTH is not 4: null, not 4 bytes read whatever it says', () => {
    expect(parse(patched(A_MESSAGE, A_RDLENGTH, 0, 3))).toBeNull();
    expect(parse(concat(patched(A_MESSAGE, A_RDLENGTH, 0, 5), Uint8Array.of(9)))).toBeNull();
  });

  it('an AAAA record whose RDLENGTH is not 16: null (dns-packet read 16 bytes anyway and stayed in step)', () => {
    expect(parse(patched(AAAA, AAAA_FIRST + 10, 0, 4))).toBeNull();
    expect(parse(patched(AAAA, AAAA_SECOND + 10, 0, 17))).toBeNull();
  });

  it('a record whose RDLENGTH runs past the message: null', () => {
    expect(parse(patched(CNAME, 12 + 25 + 10, 0xff, 0xff))).toBeNull();
  });

  it('DNS over TCP: a length larger than the bytes (the rest in a later segment), shorter than the message, or 0: null', () => {
    expect(parse(patched(TCP, 0, 0, A_MESSAGE.length + 1), { tcp: true })).toBeNull();
    expect(parse(patched(TCP, 0, 0xff, 0xff), { tcp: true })).toBeNull();
    expect(parse(patched(TCP, 0, 0, A_MESSAGE.length - 1), { tcp: true })).toBeNull();
    expect(parse(patched(TCP, 0, 0, 0), { tcp: true })).toBeNull();
  });

  it('the QR bit cleared on a response: a query that carries answers (they are still read)', () => {
    expect(parse(patched(AAAA, 2, 0x01))).toEqual({ ...AAAA_FACTS, response: false, rcode: null });
  });

  it('fewer than 12 bytes, or a TCP message with fewer than 2: null', () => {
    expect(parse(new Uint8Array(11))).toBeNull();
    expect(parse(Uint8Array.of(0), { tcp: true })).toBeNull();
  });
});

describe('clamping: bytes after end never change the result', () => {
  it.each([['AAAA', AAAA, AAAA_FACTS], ['A', A_MESSAGE, A_FACTS]] as const)('%s followed by 0xAA filler past end: same result', (_name, message, facts) => {
    expect(parse(message, { after: 64 })).toEqual(facts);
  });

  it('a message whose last record is cut at end, with its missing bytes after end: null, the bytes after end not used', () => {
    expect(parse(AAAA, { n: AAAA.length - 8, after: 8 })).toBeNull();
    expect(parse(A_MESSAGE, { n: A_MESSAGE.length - 1, after: 1 })).toBeNull();
  });

  it('UDP padding after the records, inside end: ignored', () => {
    expect(parse(concat(AAAA, new Uint8Array(16).fill(0xaa)))).toEqual(AAAA_FACTS);
  });

  it('DNS over TCP: the message ends where its length says; the next message in the segment is not part of it', () => {
    expect(parse(concat(TCP, dnsOverTcp(AAAA)), { tcp: true })).toEqual(A_FACTS);
    expect(parse(TCP, { tcp: true, after: 32 })).toEqual(A_FACTS);
    // A length that ends the message before its answer: the answer after it is not read.
    expect(parse(concat(patched(TCP, 0, 0, A_MESSAGE.length - 16), ascii('x')), { tcp: true })).toBeNull();
  });

  it('an end past the buffer is clamped to it (the Buffer view never shows bytes after the array)', () => {
    const big = concat(A_MESSAGE, dnsOverTcp(AAAA));
    const view = big.subarray(0, A_MESSAGE.length - 1);
    expect(parseDnsMessage(view, 0, A_MESSAGE.length + 50, FRAME, 'dns')).toBeNull();
    expect(parseDnsMessage(A_MESSAGE, 0, A_MESSAGE.length + 50, FRAME, 'dns')).toEqual(A_FACTS);
  });
});
