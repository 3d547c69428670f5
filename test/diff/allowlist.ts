/**
 * Documented disagreements with the reference tools. Every entry says why we and they differ;
 * the differential tests fail on any disagreement not listed here.
 */

export interface Allowance {
  /** Input name as in test titles (fixtures/… or corpus/…). */
  input: string;
  /** Which comparison it concerns. */
  check: 'tshark-frames' | 'tshark-decode' | 'capinfos' | 'pcap-parser' | 'tshark-isakmp' | 'tshark-conversations' | 'tshark-dns';
  /** Which part of the comparison is excused; all of it when absent. */
  aspect?: 'first-time' | 'last-time' | 'interfaces';
  /** Which frames are excused (decoder checks); all of them when absent. */
  frames?: number[];
  /** Which conversations are excused ("tcp A:p <-> B:q", "ipv6 A <-> B"); all of them when absent. */
  conversations?: string[];
  why: string;
}

const MULTI_SECTION = 'capinfos 4.0 lists the interface list once per section (so a 3-section file with 5 IDBs shows 15 interfaces) and counts packets per interface by their section-local id. Our interface list has one entry per IDB; tshark\'s frame.interface_id (section-local) agrees with us in the tshark-frames test.';

const ROUTING_HEADER = 'A packet with a type 0 Routing header and segments left. tshark puts its UDP conversation on the final destination, the Routing header\'s last address; our flow key uses the IPv6 header\'s destination, the address the packet is sent to. The IPv6 address pair agrees.';

export const ALLOWED: Allowance[] = [
  {
    input: 'corpus/seladb+PcapPlusPlus/Tests/Pcap++Test/PcapExamples/solaris.snoop',
    check: 'tshark-frames',
    why: 'Sun snoop is not pcap or pcapng: we refuse it with CAPTURE_UNSUPPORTED_FORMAT (and say to convert it with editcap); tshark reads snoop natively.',
  },
  {
    input: 'corpus/seladb+PcapPlusPlus/Tests/Pcap++Test/PcapExamples/solaris.snoop',
    check: 'capinfos',
    why: 'Sun snoop is out of scope (see the tshark-frames entry).',
  },
  {
    input: 'corpus/the-tcpdump-group+tcpdump/tests/timestamp_invalid_micro.pcap',
    check: 'capinfos',
    aspect: 'last-time',
    why: 'A record has ts_usec = 1000000. capinfos prints that packet as "1418145370.1000000" (the raw field after the dot, not carried), which reads as .1 s; we carry it into the seconds (1418145371.000000) and flag capture.timestamp_fraction_out_of_range. tshark frame.time_epoch ("…370.1000000000", 10 digits) agrees with us exactly.',
  },
  {
    input: 'corpus/the-tcpdump-group+tcpdump/tests/timestamp_invalid_micro.pcap',
    check: 'tshark-frames',
    why: 'Frame 3 has ts_usec = 2^31. Wireshark computes nsecs = ts_usec × 1000 in 32 bits, which wraps to 0, and shows …370.000000000; we carry the 2147 whole seconds into the seconds (…7517.483648000) and flag capture.timestamp_fraction_out_of_range.',
  },
  ...['fixtures/captures/pcapng-mixed-endian-sections.pcapng',
    'corpus/hadrielk+pcapng-test-generator/output_be/difficult/test202.pcapng',
    'corpus/hadrielk+pcapng-test-generator/output_le/difficult/test200.pcapng',
    'corpus/hadrielk+pcapng-test-generator/output_le/difficult/test201.pcapng',
  ].map((input) => ({ input, check: 'capinfos' as const, aspect: 'interfaces' as const, why: MULTI_SECTION })),
  {
    input: 'corpus/seladb+PcapPlusPlus/Tests/Pcap++Test/PcapExamples/pcapng-example.pcapng',
    check: 'capinfos',
    aspect: 'first-time',
    why: 'capinfos 4.0 prints a first packet time in the year 586524 (18446744073204.126329 s) for this file, although every frame has a sane time: tshark frame.time_epoch agrees with us frame by frame, and the earliest frame (1) is at 1422527998.578402281.',
  },
  {
    input: 'corpus/seladb+PcapPlusPlus/Tests/Pcap++Test/PcapExamples/solaris.snoop',
    check: 'tshark-decode',
    why: 'Sun snoop is out of scope (see the tshark-frames entry): no frames to decode.',
  },
  {
    input: 'corpus/arkime+arkime/tests/pcap/gtp-iphone.pcap',
    check: 'tshark-decode',
    why: 'GTP-U (UDP 2152, a mobile-core tunnel) is not decoded: DirectAccess never uses it, so we stop at the outer UDP; tshark follows GTP into the inner IP packet.',
  },
  ...['corpus/the-tcpdump-group+libpcap/tests/filter/AH-IPcomp-IPv4.pcap', 'corpus/the-tcpdump-group+libpcap/tests/filter/AH-IPcomp-IPv6.pcap'].map((input) => ({
    input, check: 'tshark-decode' as const,
    why: 'AH protects an IPComp (RFC 3173, protocol 108) payload: the packet inside is DEFLATE-compressed. tshark inflates it and decodes the inner IP/TCP; we stop after AH (ipv6.unknown_next_header / ipv4.unknown_protocol).',
  })),
  {
    input: 'corpus/the-tcpdump-group+libpcap/tests/filter/ipv6_ext_headers.pcap',
    check: 'tshark-decode',
    why: 'One packet with 61 IPv6 extension headers. We stop after 8 (ipv6.too_many_extension_headers), the cap that keeps a header loop from costing time; tshark walks all of them.',
  },
  {
    input: 'fixtures/captures/decode-malformed.pcap',
    check: 'tshark-decode',
    frames: [7, 8],
    why: 'Frame 7 has 10 IPv6 extension headers and frame 8 six stacked VLAN tags: we stop at our caps (8 extension headers, 4 tags: ipv6.too_many_extension_headers, vlan.too_many_tags), which bound the work a header loop can cause; tshark walks them all.',
  },
  {
    input: 'fixtures/captures/decode-tunnels.pcap',
    check: 'tshark-decode',
    frames: [11],
    why: 'Frame 11 nests IP-in-IP six deep: we stop past 4 tunnels (tunnel.depth_exceeded), the cap that bounds a tunnel loop; tshark follows all of them.',
  },
  {
    input: 'corpus/the-tcpdump-group+tcpdump/tests/LINKTYPE_IPV6_invalid.pcap',
    check: 'tshark-decode',
    why: 'A LINKTYPE_IPV6 packet whose version nibble is 4. tshark\'s raw-IPv6 dissector does not call IPv6 at all; we decode it as the link type says and stop with ipv6.bad_version.',
  },
  {
    input: 'corpus/zeek+zeek/testing/btest/Traces/tunnels/teredo-udp-in-udp.pcap',
    check: 'tshark-decode',
    why: 'A fuzzed datagram: UDP inside IPv6 whose payload happens to parse as IPv6 with non-Teredo addresses (::38:5f55:…, 2090:…). tshark\'s Teredo heuristic takes it; ours also requires a Teredo (2001:0::/32) address, so that random UDP payloads are not decoded as tunnels.',
  },
  {
    input: 'corpus/the-tcpdump-group+libpcap/tests/pcap-invalid-version-1.pcap',
    check: 'pcap-parser',
    why: 'The header says version 1.4. pcap-parser only checks "major != 2 && minor != 4", so it reads the file; we refuse major versions other than 2 with CAPTURE_UNSUPPORTED_VERSION, as tshark and libpcap do.',
  },
  ...([
    ['fixtures/captures/decode-ipsec.pcap', 5, '0xca (random bytes to UDP 500 inside AH)'],
    ['corpus/the-tcpdump-group+tcpdump/tests/isakmp-delete-segfault.pcap', 1, '0xbe (a fuzzed header)'],
  ] as const).map(([input, frame, version]) => ({
    input, check: 'tshark-isakmp' as const, frames: [frame],
    why: `The version byte is ${version}: major version neither 1 (IKEv1, AuthIP) nor 2 (IKEv2), so parseIsakmp says it is not ISAKMP (null). tshark dissects whatever reaches UDP 500 as ISAKMP and shows its header fields before marking it malformed.`,
  })),
  ...([
    ['fixtures/captures/da-ipsec.pcapng', [5, 6, 7]],
    ['fixtures/captures/sample-directaccess.pcapng', [30, 33, 34]],
    ['fixtures/captures/sample-directaccess.pcapng.gz', [30, 33, 34]],
    ['fixtures/captures/verify-encrypted.pcapng', [5, 6, 7]],
    ['fixtures/captures/verify-esp-null.pcapng', [5, 6, 7, 46, 47, 48]],
    ['fixtures/captures/verify-ah.pcapng', [5, 6, 7]],
    ['fixtures/captures/verify-one-way.pcapng', [5, 6, 7]],
    ['fixtures/captures/verify-two-interfaces.pcapng', [9, 10, 11, 12, 13, 14]],
    ['fixtures/captures/verify-chance-trailer.pcapng', [5, 6, 7]],
    ['fixtures/captures/iphttps-inside.pcapng', [7, 8, 9]],
    ['fixtures/captures/trust-esp-null-ospf.pcapng', [5, 6, 7]],
    ['fixtures/captures/trust-esp-empty.pcapng', [5, 6, 7]],
    ['fixtures/captures/verify-negotiations.pcapng', [10, 11, 12]],
    ['fixtures/captures/verify-capture-drops.pcapng', [5]],
    ['fixtures/captures/verify-iphttps-midstream.pcapng', [13, 16, 17]],
  ] as const).map(([input, frames]) => ({
    input, check: 'tshark-isakmp' as const, frames: [...frames],
    why: 'AuthIP Main Mode #5–#7 have the E flag set. MS-AIPS §2.2.3.2.1 keeps the Crypto payload\'s generic header (next payload 0, length) in clear before seqNUM, IV and ciphertext, and we list that payload (133); tshark shows everything after an E=1 header as encrypted data and lists no payload.',
  })),
  {
    input: 'fixtures/captures/verify-rekey.pcapng',
    check: 'tshark-isakmp',
    frames: [5, 6, 7, 20, 21, 22],
    why: 'AuthIP Main Mode #5–#7 (frames 5–7) and a later Quick Mode (0xF4, frames 20–22) have the E flag set. MS-AIPS §2.2.3.2.1 keeps the Crypto payload\'s generic header in clear before seqNUM, IV and ciphertext, and we list that payload (133); tshark shows everything after an E=1 header as encrypted data and lists no payload.',
  },
  {
    input: 'fixtures/captures/trust-authip-qm-244.pcapng',
    check: 'tshark-isakmp',
    frames: [5, 6, 7],
    why: 'After Main Mode #1–#4 in clear, Quick Mode runs as exchange 0xF4 with the E flag set (frames 5–7). MS-AIPS §2.2.3.2.1 keeps the Crypto payload\'s generic header in clear before seqNUM, IV and ciphertext, and we list that payload (133); tshark shows everything after an E=1 header as encrypted data and lists no payload.',
  },
  {
    input: 'fixtures/captures/verify-snaplen-96.pcapng',
    check: 'tshark-isakmp',
    frames: [1, 2, 3, 4, 5, 6, 7],
    why: 'The AuthIP messages are cut by the 96-byte snaplen (48 bytes of ISAKMP are captured). tshark marks each "ISAKMP truncated" as soon as the message runs past the captured bytes and shows neither its Length nor its payload chain; we read the header\'s Length and list the generic payload headers that are in the captured bytes (the Crypto payload 133, then the SA 1 or GSS 129 header of #1–#4).',
  },
  {
    input: 'corpus/the-tcpdump-group+tcpdump/tests/ISAKMP_sa_setup.pcap',
    check: 'tshark-isakmp',
    frames: [3, 4],
    why: 'Main Mode #3/#4 end with two 24-byte payloads of type 15: NAT-D hashes under the numbering some NAT-T draft implementations used (ipsec-tools ISAKMP_NPTYPE_NATD_BADDRAFT = 15; these peers announced draft-ietf-ipsec-nat-t-ike-02/03/07). tshark decodes type 15 as a GDOI SA KEK payload, throws inside the first one and lists only it; we walk the generic headers and list both.',
  },
  {
    input: 'corpus/the-tcpdump-group+tcpdump/tests/ikev2pI2-segfault.pcapng',
    check: 'tshark-isakmp',
    frames: [1],
    why: 'A fuzzed IKE_SA_INIT: inside the SA payload a proposal claims 43690 bytes. tshark throws there and never reaches the next payload; we do not walk IKEv2 proposals, follow the chain to the KE payload and stop at its length 0xAAAA, which runs past the message (isakmp.payload_length_invalid). So our chain is SA, KE where tshark lists SA only.',
  },
  // `summary` conversations and DNS answers (test/diff/summary-tshark.test.ts).
  {
    input: 'corpus/seladb+PcapPlusPlus/Tests/Pcap++Test/PcapExamples/solaris.snoop',
    check: 'tshark-conversations',
    why: 'Sun snoop is out of scope (see the tshark-frames entry): we read no frames, so we have no flows.',
  },
  ...(['tshark-conversations', 'tshark-dns'] as const).map((check) => ({
    input: 'corpus/arkime+arkime/tests/pcap/gtp-iphone.pcap', check,
    why: 'GTP-U (UDP 2152) is not decoded (see the tshark-decode entry): the IP packets inside the tunnel, their conversations and the DNS answers they carry exist for tshark only.',
  })),
  {
    input: 'corpus/seladb+PcapPlusPlus/Tests/Packet++Test/PacketExamples/ipv6_options.pcap',
    check: 'tshark-conversations',
    conversations: ['udp 2200::210:2:0:0:4:5642 <-> 2200::244:212:3fff:feae:22f7:5645', 'udp 2200::240:2:0:0:4:5642 <-> 2200::244:212:3fff:feae:22f7:5645'],
    why: ROUTING_HEADER,
  },
  ...([['corpus/arkime+arkime/tests/pcap/v6.pcap', 137], ['corpus/zeek+zeek/testing/btest/Traces/communityid/icmp6.pcap', 35]] as const).map(([input, frame]) => ({
    input, check: 'tshark-dns' as const, frames: [frame],
    why: 'An ICMPv6 Destination Unreachable quoting a DNS response. tshark decodes the quoted message and lists its records; we learn names only from messages that were delivered, not from the copy inside an error.',
  })),
  ...['corpus/the-tcpdump-group+libpcap/tests/filter/AH-IPcomp-IPv4.pcap', 'corpus/the-tcpdump-group+libpcap/tests/filter/AH-IPcomp-IPv6.pcap'].map((input) => ({
    input, check: 'tshark-conversations' as const,
    why: 'AH in tunnel mode protects an IPComp payload in some frames (see the tshark-decode entry): tshark inflates them and counts the inner IP packet in the inner address pair and its TCP conversation; we stop after AH, so our inner flows have only the uncompressed frames.',
  })),
  {
    input: 'corpus/the-tcpdump-group+libpcap/tests/filter/ipv6_ext_headers.pcap',
    check: 'tshark-conversations',
    conversations: ['udp 2001:db8::1:12345 <-> 2001:db8::2:54321'],
    why: 'The packet with 61 extension headers (see the tshark-decode entry): we stop after 8 and never reach its UDP header, so it has no UDP flow; its IPv6 pair agrees.',
  },
  {
    input: 'corpus/the-tcpdump-group+tcpdump/tests/ipv6-routing-header.pcap',
    check: 'tshark-conversations',
    conversations: ['udp 2200::210:2:0:0:4:5642 <-> 2200::244:212:3fff:feae:22f7:5645', 'udp 2200::240:2:0:0:4:5642 <-> 2200::244:212:3fff:feae:22f7:5645',
      'udp 2200::211:2:0:0:2:5642 <-> 2200::244:212:3fff:feae:22f7:5645'],
    why: ROUTING_HEADER,
  },
  ...([
    ['corpus/the-tcpdump-group+tcpdump/tests/ipv6-next-header-oobr-1.pcap', 'ipv6 3030:3030:3030:3030:3030:3030:3030:3030 <-> 3030:3030:3030:3030:3030:3030:3030:3030'],
    ['corpus/the-tcpdump-group+tcpdump/tests/ipv6_frag6_negative_len.pcap', 'ipv6 7fff:ffff:c3b2:a102:1305:80:38:2949 <-> 9675:86dd:7300:2c:1c7f:ffff:ffc3:b2a1'],
    ['corpus/zeek+zeek/testing/btest/Traces/trunc/ip6-ext-trunc.pcap', 'ipv6 2001:4f8:4:7:2e0:81ff:fe52:9a6b <-> 2001:4f8:4:7:2e0:81ff:fe52:ffff'],
  ] as const).map(([input, conversation]) => ({
    input, check: 'tshark-conversations' as const, conversations: [conversation],
    why: 'One IPv6 packet whose extension headers are cut or broken. tshark\'s IPv6 dissector throws before it records the conversation, so the pair is missing from its table; we read the addresses first, so the packet counts in the flow of its address pair.',
  })),
  {
    input: 'corpus/zeek+zeek/testing/btest/Traces/tunnels/teredo-udp-in-udp.pcap',
    check: 'tshark-conversations',
    conversations: ['ipv6 2090:9090:9090:9090:9090:9000:: <-> ::38:5f55:6265:726b', 'udp 2090:9090:9090:9090:9090:9000:::25964 <-> ::38:5f55:6265:726b:25977'],
    why: 'The fuzzed datagram of the tshark-decode entry: tshark takes the UDP payload inside the inner IPv6 for Teredo once more and counts the same pair at two depths; we do not (no Teredo address), so we count it once.',
  },
];

export function allowed(input: string, check: Allowance['check'], aspect?: Allowance['aspect'], frame?: number, conversation?: string): Allowance | undefined {
  return ALLOWED.find((a) => a.input === input && a.check === check && (a.aspect === undefined || a.aspect === aspect)
    && (a.frames === undefined || (frame !== undefined && a.frames.includes(frame)))
    && (a.conversations === undefined || (conversation !== undefined && a.conversations.includes(conversation))));
}
