/** Anomaly registry: numeric code → stable id `layer.snake_case`, kind, severity, text (architecture §3, §4). */

export type AnomalyKind = 'truncated' | 'malformed' | 'unsupported' | 'suspicious';
export type AnomalySeverity = 'high' | 'medium' | 'low' | 'info';

export interface AnomalyDef {
  readonly code: number;
  /** Stable forever: deprecate, never rename. */
  readonly id: string;
  readonly layer: string;
  readonly kind: AnomalyKind;
  readonly severity: AnomalySeverity;
  readonly text: string;
}

/** Numeric codes used on the hot path. */
export const A = {
  CaptureRecordExceedsSnaplen: 1,
  CaptureCaplenExceedsWirelen: 2,
  CaptureFileTruncated: 3,
  CaptureGzipTruncated: 4,
  CaptureTimestampFractionOutOfRange: 5,
  CaptureUnknownBlockSkipped: 6,
  CaptureTimeWentBackwards: 7,
  CaptureGzipTrailingData: 8,
  CaptureBlockLengthUnpadded: 9,
  // decoder: link layer
  LinkUnknownLinkType: 100,
  EthernetHeaderShort: 101,
  EthernetLlcNotSnap: 102,
  VlanHeaderShort: 103,
  VlanTooManyTags: 104,
  NullHeaderShort: 105,
  NullUnknownFamily: 106,
  SllHeaderShort: 107,
  SllUnsupportedProtocol: 108,
  RawBadIpVersion: 109,
  EthernetUnknownEtherType: 110,
  // IPv4
  Ipv4HeaderShort: 120,
  Ipv4BadVersion: 121,
  Ipv4IhlTooSmall: 122,
  Ipv4TotalLengthTooSmall: 123,
  Ipv4TotalLengthExceedsFrame: 124,
  Ipv4BadChecksum: 125,
  Ipv4BadOption: 126,
  Ipv4UnknownProtocol: 127,
  Ipv4TotalLengthZero: 128,
  // IPv6
  Ipv6HeaderShort: 140,
  Ipv6BadVersion: 141,
  Ipv6PayloadLengthExceedsFrame: 142,
  Ipv6ExtensionHeaderShort: 143,
  Ipv6ExtensionHeaderPastEnd: 144,
  Ipv6TooManyExtensionHeaders: 145,
  Ipv6HopByHopNotFirst: 146,
  Ipv6UnknownNextHeader: 147,
  Ipv6PayloadLengthZero: 148,
  // ICMP
  IcmpHeaderShort: 160,
  Icmpv6HeaderShort: 161,
  IcmpBadChecksum: 162,
  Icmpv6BadChecksum: 163,
  // transport
  TcpHeaderShort: 170,
  TcpDataOffsetTooSmall: 171,
  TcpBadOptionLength: 172,
  UdpHeaderShort: 175,
  UdpLengthTooSmall: 176,
  UdpLengthExceedsIp: 177,
  // IPsec
  EspHeaderShort: 180,
  EspSpiZero: 181,
  AhHeaderShort: 182,
  AhLengthTooSmall: 183,
  AhLengthPastEnd: 184,
  // tunnels
  TeredoIndicatorShort: 190,
  TeredoBubbleWithPayload: 191,
  TeredoBadInnerIpv6: 192,
  TunnelDepthExceeded: 193,
  // decoder itself
  DecodeTooManyLayers: 198,
  InternalDecoderException: 199,
  // ISAKMP (IKEv1, IKEv2, AuthIP): app/isakmp.ts reports these by id in IsakmpMessage.anomalies
  IsakmpTruncated: 300,
  IsakmpLengthMismatch: 301,
  IsakmpLengthTooSmall: 302,
  IsakmpPayloadMissing: 303,
  IsakmpPayloadLengthInvalid: 304,
  IsakmpTooManyPayloads: 305,
  IsakmpTrailingBytes: 306,
  IsakmpPayloadBodyInvalid: 307,
  IsakmpSaStructureInvalid: 308,
  IsakmpAuthipNoCryptoPayload: 309,
  IsakmpKerberosTokenMalformed: 310,
  // application parsers (src/app): TLS records and handshake, HTTP heads
  TlsRecordBadType: 350,
  TlsRecordBadVersion: 351,
  TlsRecordTooLong: 352,
  TlsRecordEmpty: 353,
  TlsHandshakeTooLong: 354,
  TlsClientHelloMalformed: 355,
  TlsServerHelloMalformed: 356,
  TlsExtensionMalformed: 357,
  TlsTooManyExtensions: 358,
  TlsDuplicateExtension: 359,
  TlsCertificateMalformed: 360,
  TlsCertificateUnparsable: 361,
  TlsChangeCipherSpecMalformed: 362,
  TlsAlertMalformed: 363,
  TlsRecordShorterThanMac: 364,
  TlsApplicationDataBeforeChangeCipherSpec: 365,
  TlsHandshakeWrongDirection: 366,
  TlsServerChoseUnofferedSuite: 367,
  TlsStreamGap: 368,
  HttpBadStartLine: 380,
  HttpLineTooLong: 381,
  HttpTooManyHeaders: 382,
  HttpBadHeaderLine: 383,
  HttpObsoleteLineFolding: 384,
  HttpHeadTooLong: 385,
  HttpBadConnectTarget: 386,
  HttpStreamGap: 387,
  // IP-HTTPS tunnel reader (src/app/iphttps.ts): inner IPv6 packets of NULL-cipher IP-HTTPS connections, codes 420–449
  IpHttpsTcpGap: 420,
  IpHttpsReassemblyWindowFull: 421,
  IpHttpsReassemblyBudgetExhausted: 422,
  IpHttpsTlsResync: 423,
  IpHttpsRecordShorterThanMac: 424,
  IpHttpsIpv6Resync: 425,
  IpHttpsHttpHeadMissing: 426,
  IpHttpsHttpHeadTooLong: 427,
  IpHttpsChangeCipherSpecMissing: 428,
  IpHttpsStreamEndsMidPacket: 429,
  IpHttpsInnerPacketOverMtu: 430,
} as const;
export type AnomalyCode = (typeof A)[keyof typeof A];

const DEFS: readonly AnomalyDef[] = [
  { code: A.CaptureRecordExceedsSnaplen, id: 'capture.record_exceeds_snaplen', layer: 'capture', kind: 'malformed', severity: 'low',
    text: 'A record holds more bytes than the snapshot length of its interface; it is read whole.' },
  { code: A.CaptureCaplenExceedsWirelen, id: 'capture.caplen_exceeds_wirelen', layer: 'capture', kind: 'malformed', severity: 'low',
    text: 'A record claims more captured bytes than the packet had on the wire.' },
  { code: A.CaptureFileTruncated, id: 'capture.file_truncated', layer: 'capture', kind: 'truncated', severity: 'medium',
    text: 'The file ends inside a record; the partial record is dropped and every record before it is kept.' },
  { code: A.CaptureGzipTruncated, id: 'capture.gzip_truncated', layer: 'capture', kind: 'truncated', severity: 'medium',
    text: 'The gzip stream ends before its end marker; everything decompressed before is kept.' },
  { code: A.CaptureTimestampFractionOutOfRange, id: 'capture.timestamp_fraction_out_of_range', layer: 'capture', kind: 'malformed', severity: 'low',
    text: 'A pcap record has a sub-second field of a second or more (≥ 10^6 µs or ≥ 10^9 ns); the carry is added to the seconds.' },
  { code: A.CaptureUnknownBlockSkipped, id: 'capture.unknown_block_skipped', layer: 'capture', kind: 'unsupported', severity: 'info',
    text: 'A pcapng block of an unknown type was skipped by its length.' },
  { code: A.CaptureTimeWentBackwards, id: 'capture.time_went_backwards', layer: 'capture', kind: 'suspicious', severity: 'info',
    text: 'A packet is timestamped earlier than the packet before it (the file is not in strict time order).' },
  { code: A.CaptureGzipTrailingData, id: 'capture.gzip_trailing_data', layer: 'capture', kind: 'malformed', severity: 'medium',
    text: 'Bytes after the end of the gzip stream do not start another gzip member; they are ignored (gzip -dc: "trailing garbage ignored") and everything before them is kept.' },
  { code: A.CaptureBlockLengthUnpadded, id: 'capture.block_length_unpadded', layer: 'capture', kind: 'malformed', severity: 'low',
    text: 'A pcapng block length is not a multiple of 4 (old ntar-based writers); as Wireshark does, the block is read with its length rounded up to 4, the size it takes in the file.' },
  { code: A.LinkUnknownLinkType, id: 'link.unknown_linktype', layer: 'link', kind: 'unsupported', severity: 'info',
    text: 'The interface has a link type the decoder does not know; its packets are counted, not decoded.' },
  { code: A.EthernetHeaderShort, id: 'eth.header_short', layer: 'eth', kind: 'truncated', severity: 'low', text: 'Fewer than the 14 bytes of an Ethernet header.' },
  { code: A.EthernetLlcNotSnap, id: 'eth.llc_not_snap', layer: 'eth', kind: 'unsupported', severity: 'info', text: 'An 802.3 frame with LLC but no SNAP header (not IP); not decoded further.' },
  { code: A.EthernetUnknownEtherType, id: 'eth.unknown_ethertype', layer: 'eth', kind: 'unsupported', severity: 'info', text: 'An EtherType other than IPv4, IPv6 or VLAN (ARP, LLDP, …); not decoded further.' },
  { code: A.VlanHeaderShort, id: 'vlan.header_short', layer: 'vlan', kind: 'truncated', severity: 'low', text: 'Fewer than the 4 bytes of an 802.1Q/802.1ad tag.' },
  { code: A.VlanTooManyTags, id: 'vlan.too_many_tags', layer: 'vlan', kind: 'malformed', severity: 'medium', text: 'More than 4 stacked VLAN tags; decoding stops (a header loop).' },
  { code: A.NullHeaderShort, id: 'null.header_short', layer: 'null', kind: 'truncated', severity: 'low', text: 'Fewer than the 4 bytes of a BSD loopback header.' },
  { code: A.NullUnknownFamily, id: 'null.unknown_family', layer: 'null', kind: 'unsupported', severity: 'info', text: 'A loopback address family other than IPv4 (2) or IPv6 (10, 23, 24, 28, 30), in either byte order.' },
  { code: A.SllHeaderShort, id: 'sll.header_short', layer: 'sll', kind: 'truncated', severity: 'low', text: 'Fewer than the 16 (SLL) or 20 (SLL2) bytes of a Linux cooked header.' },
  { code: A.SllUnsupportedProtocol, id: 'sll.unsupported_protocol', layer: 'sll', kind: 'unsupported', severity: 'info', text: 'A Linux cooked header with a protocol other than IPv4, IPv6 or VLAN.' },
  { code: A.RawBadIpVersion, id: 'raw.bad_ip_version', layer: 'raw', kind: 'malformed', severity: 'low', text: 'A raw-IP packet whose version nibble is neither 4 nor 6 (or not the one its link type requires).' },
  { code: A.Ipv4HeaderShort, id: 'ipv4.header_short', layer: 'ipv4', kind: 'truncated', severity: 'low', text: 'Fewer bytes than the IPv4 header needs (20, or IHL × 4).' },
  { code: A.Ipv4BadVersion, id: 'ipv4.bad_version', layer: 'ipv4', kind: 'malformed', severity: 'medium', text: 'An IPv4 header whose version nibble is not 4.' },
  { code: A.Ipv4IhlTooSmall, id: 'ipv4.ihl_too_small', layer: 'ipv4', kind: 'malformed', severity: 'medium', text: 'IPv4 IHL below 5 (a header shorter than 20 bytes).' },
  { code: A.Ipv4TotalLengthTooSmall, id: 'ipv4.total_length_too_small', layer: 'ipv4', kind: 'malformed', severity: 'medium', text: 'IPv4 total length smaller than its own header.' },
  { code: A.Ipv4TotalLengthExceedsFrame, id: 'ipv4.total_length_exceeds_frame', layer: 'ipv4', kind: 'malformed', severity: 'low', text: 'IPv4 total length larger than the frame on the wire (not a snaplen cut); decoded with what is there.' },
  { code: A.Ipv4BadChecksum, id: 'ipv4.bad_checksum', layer: 'ipv4', kind: 'suspicious', severity: 'info', text: 'IPv4 header checksum does not verify (often checksum offload on the capturing host).' },
  { code: A.Ipv4BadOption, id: 'ipv4.bad_option', layer: 'ipv4', kind: 'malformed', severity: 'low', text: 'An IPv4 option whose length is below 2 or runs past the header.' },
  { code: A.Ipv4UnknownProtocol, id: 'ipv4.unknown_protocol', layer: 'ipv4', kind: 'unsupported', severity: 'info', text: 'An IP protocol the decoder does not follow (GRE, SCTP, …).' },
  { code: A.Ipv4TotalLengthZero, id: 'ipv4.total_length_zero', layer: 'ipv4', kind: 'suspicious', severity: 'info', text: 'IPv4 total length 0: a large send captured before segmentation offload (LSO) on the sending host; the length is taken from the capture.' },
  { code: A.Ipv6HeaderShort, id: 'ipv6.header_short', layer: 'ipv6', kind: 'truncated', severity: 'low', text: 'Fewer than the 40 bytes of an IPv6 header.' },
  { code: A.Ipv6BadVersion, id: 'ipv6.bad_version', layer: 'ipv6', kind: 'malformed', severity: 'medium', text: 'An IPv6 header whose version nibble is not 6.' },
  { code: A.Ipv6PayloadLengthExceedsFrame, id: 'ipv6.payload_length_exceeds_frame', layer: 'ipv6', kind: 'malformed', severity: 'low', text: 'IPv6 payload length larger than the frame on the wire (not a snaplen cut); decoded with what is there.' },
  { code: A.Ipv6ExtensionHeaderShort, id: 'ipv6.extension_header_short', layer: 'ipv6', kind: 'truncated', severity: 'low', text: 'The capture ends inside an IPv6 extension header.' },
  { code: A.Ipv6ExtensionHeaderPastEnd, id: 'ipv6.extension_header_past_end', layer: 'ipv6', kind: 'malformed', severity: 'medium', text: 'An IPv6 extension header longer than the IPv6 payload length allows.' },
  { code: A.Ipv6TooManyExtensionHeaders, id: 'ipv6.too_many_extension_headers', layer: 'ipv6', kind: 'malformed', severity: 'medium', text: 'More than 8 IPv6 extension headers; decoding stops (a header loop).' },
  { code: A.Ipv6HopByHopNotFirst, id: 'ipv6.hop_by_hop_not_first', layer: 'ipv6', kind: 'malformed', severity: 'low', text: 'A Hop-by-Hop Options header that does not immediately follow the IPv6 header (RFC 8200 §4.3).' },
  { code: A.Ipv6UnknownNextHeader, id: 'ipv6.unknown_next_header', layer: 'ipv6', kind: 'unsupported', severity: 'info', text: 'An IPv6 next header the decoder does not follow.' },
  { code: A.Ipv6PayloadLengthZero, id: 'ipv6.payload_length_zero', layer: 'ipv6', kind: 'suspicious', severity: 'info', text: 'IPv6 payload length 0 with a next header: a large send captured before segmentation offload (LSO) on the sending host; the length is taken from the capture.' },
  { code: A.IcmpHeaderShort, id: 'icmp.header_short', layer: 'icmp', kind: 'truncated', severity: 'low', text: 'Fewer than the 8 bytes of an ICMP header.' },
  { code: A.Icmpv6HeaderShort, id: 'icmpv6.header_short', layer: 'icmpv6', kind: 'truncated', severity: 'low', text: 'Fewer than the 4 bytes of an ICMPv6 header (8 for errors and echo).' },
  { code: A.IcmpBadChecksum, id: 'icmp.bad_checksum', layer: 'icmp', kind: 'suspicious', severity: 'info', text: 'ICMP checksum does not verify.' },
  { code: A.Icmpv6BadChecksum, id: 'icmpv6.bad_checksum', layer: 'icmpv6', kind: 'suspicious', severity: 'info', text: 'ICMPv6 checksum (over the IPv6 pseudo-header) does not verify.' },
  { code: A.TcpHeaderShort, id: 'tcp.header_short', layer: 'tcp', kind: 'truncated', severity: 'low', text: 'Fewer bytes than the TCP header needs (20, or data offset × 4).' },
  { code: A.TcpDataOffsetTooSmall, id: 'tcp.data_offset_too_small', layer: 'tcp', kind: 'malformed', severity: 'medium', text: 'TCP data offset below 5, or past the end of the segment.' },
  { code: A.TcpBadOptionLength, id: 'tcp.bad_option_length', layer: 'tcp', kind: 'malformed', severity: 'low', text: 'A TCP option whose length is below 2 or runs past the header.' },
  { code: A.UdpHeaderShort, id: 'udp.header_short', layer: 'udp', kind: 'truncated', severity: 'low', text: 'Fewer than the 8 bytes of a UDP header.' },
  { code: A.UdpLengthTooSmall, id: 'udp.length_too_small', layer: 'udp', kind: 'malformed', severity: 'medium', text: 'UDP length below 8.' },
  { code: A.UdpLengthExceedsIp, id: 'udp.length_exceeds_ip', layer: 'udp', kind: 'malformed', severity: 'low', text: 'UDP length larger than the IP payload that carries it; decoded with the IP payload.' },
  { code: A.EspHeaderShort, id: 'esp.header_short', layer: 'esp', kind: 'truncated', severity: 'low', text: 'Fewer than the 8 bytes of an ESP header (SPI, sequence number).' },
  { code: A.EspSpiZero, id: 'esp.spi_zero', layer: 'esp', kind: 'malformed', severity: 'medium', text: 'ESP SPI 0, which is reserved and never sent (RFC 4303 §2.1).' },
  { code: A.AhHeaderShort, id: 'ah.header_short', layer: 'ah', kind: 'truncated', severity: 'low', text: 'Fewer bytes than the AH header needs (12, or (length + 2) × 4).' },
  { code: A.AhLengthTooSmall, id: 'ah.length_too_small', layer: 'ah', kind: 'malformed', severity: 'medium', text: 'AH payload length 0: an 8-byte header with no room for its sequence number (RFC 4302 §2.2 needs at least 12 bytes); decoded on as Wireshark does.' },
  { code: A.AhLengthPastEnd, id: 'ah.length_past_end', layer: 'ah', kind: 'malformed', severity: 'medium', text: 'An AH header longer than the IP payload that carries it.' },
  { code: A.TeredoIndicatorShort, id: 'teredo.indicator_short', layer: 'teredo', kind: 'truncated', severity: 'low', text: 'The capture ends inside a Teredo authentication or origin indicator.' },
  { code: A.TeredoBubbleWithPayload, id: 'teredo.bubble_with_payload', layer: 'teredo', kind: 'suspicious', severity: 'low', text: 'A Teredo bubble (IPv6 next header 59) that carries bytes after its header.' },
  { code: A.TeredoBadInnerIpv6, id: 'teredo.bad_inner_ipv6', layer: 'teredo', kind: 'malformed', severity: 'low', text: 'UDP port 3544 carries something that is neither a Teredo indicator nor an IPv6 packet.' },
  { code: A.TunnelDepthExceeded, id: 'tunnel.depth_exceeded', layer: 'tunnel', kind: 'malformed', severity: 'medium', text: 'More than 4 nested tunnels; decoding stops (a header loop).' },
  { code: A.DecodeTooManyLayers, id: 'decode.too_many_layers', layer: 'decode', kind: 'malformed', severity: 'medium', text: 'More layers than the layer table holds; decoding stops.' },
  { code: A.InternalDecoderException, id: 'internal.decoder_exception', layer: 'internal', kind: 'malformed', severity: 'high', text: 'The decoder threw on this frame (a bug); the frame is counted and the run goes on.' },
  { code: A.IsakmpTruncated, id: 'isakmp.truncated', layer: 'isakmp', kind: 'truncated', severity: 'low',
    text: 'An ISAKMP message holds fewer bytes than its header length says (a cut capture or a short datagram); the bytes present are parsed.' },
  { code: A.IsakmpLengthMismatch, id: 'isakmp.length_mismatch', layer: 'isakmp', kind: 'malformed', severity: 'low',
    text: 'The datagram holds more bytes than the ISAKMP header length; the message is parsed up to its header length and the rest is ignored.' },
  { code: A.IsakmpLengthTooSmall, id: 'isakmp.length_too_small', layer: 'isakmp', kind: 'malformed', severity: 'medium',
    text: 'ISAKMP header length below 28, the size of the header itself; only the header is read.' },
  { code: A.IsakmpPayloadMissing, id: 'isakmp.payload_missing', layer: 'isakmp', kind: 'malformed', severity: 'low',
    text: 'A Next Payload field names another payload, but the message ends (fewer than the 4 bytes of a generic payload header are left).' },
  { code: A.IsakmpPayloadLengthInvalid, id: 'isakmp.payload_length_invalid', layer: 'isakmp', kind: 'malformed', severity: 'medium',
    text: 'An ISAKMP payload length below 4 (its own generic header) or past the end of the message; the payload walk stops there.' },
  { code: A.IsakmpTooManyPayloads, id: 'isakmp.too_many_payloads', layer: 'isakmp', kind: 'malformed', severity: 'medium',
    text: 'More than 64 payloads in one ISAKMP message; the walk stops (a payload loop).' },
  { code: A.IsakmpTrailingBytes, id: 'isakmp.trailing_bytes', layer: 'isakmp', kind: 'suspicious', severity: 'info',
    text: 'Bytes left inside the ISAKMP header length after the last payload of the chain.' },
  { code: A.IsakmpPayloadBodyInvalid, id: 'isakmp.payload_body_invalid', layer: 'isakmp', kind: 'malformed', severity: 'low',
    text: 'An ISAKMP payload too short for its fixed fields (Notify, SA, Crypto, GSS-API, Fragment), or an Auth payload that ends inside an entry; its facts are skipped.' },
  { code: A.IsakmpSaStructureInvalid, id: 'isakmp.sa_structure_invalid', layer: 'isakmp', kind: 'malformed', severity: 'low',
    text: 'A proposal, transform or attribute inside an SA payload is shorter than its header or runs past its parent (or there are more than 64); the SA walk stops there.' },
  { code: A.IsakmpAuthipNoCryptoPayload, id: 'isakmp.authip_no_crypto_payload', layer: 'isakmp', kind: 'suspicious', severity: 'low',
    text: 'An AuthIP message (exchange 0xF3–0xF6) whose first payload is not the Crypto payload 0x85 and that is not a lone NOTIFY_DOS_COOKIE notify (MS-AIPS §2.2.3.2).' },
  { code: A.IsakmpKerberosTokenMalformed, id: 'isakmp.kerberos_token_malformed', layer: 'isakmp', kind: 'malformed', severity: 'low',
    text: 'A GSS-API token framed as Kerberos (RFC 1964) whose Kerberos message does not parse as DER within the payload.' },
  { code: A.TlsRecordBadType, id: 'tls.record_bad_type', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A TLS record whose content type is not 20–24 (or the stream is not TLS); the direction is not read further.' },
  { code: A.TlsRecordBadVersion, id: 'tls.record_bad_version', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A TLS record whose major version is not 3; the direction is not read further.' },
  { code: A.TlsRecordTooLong, id: 'tls.record_too_long', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A TLS record longer than 2^14 + 2048 bytes (RFC 5246 §6.2.3); the direction is not read further.' },
  { code: A.TlsRecordEmpty, id: 'tls.record_empty', layer: 'tls', kind: 'malformed', severity: 'low', text: 'A zero-length handshake, alert or change_cipher_spec record (RFC 5246 §6.2.1 forbids them).' },
  { code: A.TlsHandshakeTooLong, id: 'tls.handshake_too_long', layer: 'tls', kind: 'unsupported', severity: 'low', text: 'A handshake message longer than the 16 KiB held per direction; the direction is not read further.' },
  { code: A.TlsClientHelloMalformed, id: 'tls.client_hello_malformed', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A ClientHello whose session id, cipher suite or compression lists run past the message or have impossible lengths.' },
  { code: A.TlsServerHelloMalformed, id: 'tls.server_hello_malformed', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A ServerHello too short for its version, session id, cipher suite and compression method.' },
  { code: A.TlsExtensionMalformed, id: 'tls.extension_malformed', layer: 'tls', kind: 'malformed', severity: 'low', text: 'A hello extension block or extension (SNI, ALPN, supported_versions) whose lengths do not add up.' },
  { code: A.TlsTooManyExtensions, id: 'tls.too_many_extensions', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'More than 128 extensions in a hello; the rest are not read.' },
  { code: A.TlsDuplicateExtension, id: 'tls.duplicate_extension', layer: 'tls', kind: 'malformed', severity: 'low', text: 'The same extension type twice in one hello (RFC 5246 §7.4.1.4).' },
  { code: A.TlsCertificateMalformed, id: 'tls.certificate_malformed', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A Certificate message whose list or certificate lengths do not add up.' },
  { code: A.TlsCertificateUnparsable, id: 'tls.certificate_unparsable', layer: 'tls', kind: 'malformed', severity: 'low', text: 'A certificate in a Certificate message that is not a parsable X.509 DER certificate.' },
  { code: A.TlsChangeCipherSpecMalformed, id: 'tls.change_cipher_spec_malformed', layer: 'tls', kind: 'malformed', severity: 'low', text: 'A change_cipher_spec record that is not the single byte 1.' },
  { code: A.TlsAlertMalformed, id: 'tls.alert_malformed', layer: 'tls', kind: 'malformed', severity: 'low', text: 'A readable alert record whose length is not a whole number of 2-byte alerts.' },
  { code: A.TlsRecordShorterThanMac, id: 'tls.record_shorter_than_mac', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A record under a NULL cipher suite shorter than the MAC it must end with; the direction is not read further.' },
  { code: A.TlsApplicationDataBeforeChangeCipherSpec, id: 'tls.application_data_before_change_cipher_spec', layer: 'tls', kind: 'suspicious', severity: 'low', text: 'Application data sent before the sender\'s ChangeCipherSpec in a TLS ≤ 1.2 handshake.' },
  { code: A.TlsHandshakeWrongDirection, id: 'tls.handshake_wrong_direction', layer: 'tls', kind: 'malformed', severity: 'medium', text: 'A handshake message from the wrong side (a ClientHello from the server, a ServerHello from the client, …); it is not read.' },
  { code: A.TlsServerChoseUnofferedSuite, id: 'tls.server_chose_unoffered_suite', layer: 'tls', kind: 'suspicious', severity: 'medium', text: 'The ServerHello selects a cipher suite the ClientHello did not offer.' },
  { code: A.TlsStreamGap, id: 'tls.stream_gap', layer: 'tls', kind: 'truncated', severity: 'low', text: 'A TCP segment of the TLS stream is missing from the capture (or arrived out of order); the direction is not read further.' },
  { code: A.HttpBadStartLine, id: 'http.bad_start_line', layer: 'http', kind: 'malformed', severity: 'low', text: 'The bytes do not start with an HTTP request line or status line (or the wrong one for their direction).' },
  { code: A.HttpLineTooLong, id: 'http.line_too_long', layer: 'http', kind: 'unsupported', severity: 'low', text: 'An HTTP head line longer than 8 KiB; the head is not read further.' },
  { code: A.HttpTooManyHeaders, id: 'http.too_many_headers', layer: 'http', kind: 'unsupported', severity: 'low', text: 'More than 100 header fields in an HTTP head; the rest are not read.' },
  { code: A.HttpBadHeaderLine, id: 'http.bad_header_line', layer: 'http', kind: 'malformed', severity: 'low', text: 'An HTTP header line without a colon, with an empty or invalid field name, or with whitespace before the colon (RFC 9112 §5.1); it is skipped.' },
  { code: A.HttpObsoleteLineFolding, id: 'http.obsolete_line_folding', layer: 'http', kind: 'suspicious', severity: 'info', text: 'An HTTP header value continued on the next line (obs-fold, RFC 9112 §5.2); joined with a space.' },
  { code: A.HttpHeadTooLong, id: 'http.head_too_long', layer: 'http', kind: 'unsupported', severity: 'low', text: 'An HTTP head that does not end within the 16 KiB held per direction.' },
  { code: A.HttpBadConnectTarget, id: 'http.bad_connect_target', layer: 'http', kind: 'malformed', severity: 'low', text: 'A proxy CONNECT request whose target is not host:port (RFC 9110 §9.3.6).' },
  { code: A.HttpStreamGap, id: 'http.stream_gap', layer: 'http', kind: 'truncated', severity: 'low', text: 'A TCP segment is missing from the capture (or arrived out of order) before the HTTP head was complete.' },
  { code: A.IpHttpsTcpGap, id: 'iphttps.tcp_gap', layer: 'iphttps', kind: 'truncated', severity: 'low', text: 'Bytes of an IP-HTTPS stream are missing from the capture (a TCP gap); the inner packets in them are lost and the reader resynchronises after them.' },
  { code: A.IpHttpsReassemblyWindowFull, id: 'iphttps.reassembly_window_full', layer: 'iphttps', kind: 'unsupported', severity: 'low', text: 'More out-of-order bytes of an IP-HTTPS stream than its 256 KiB window holds; the hole before them was given up as a gap.' },
  { code: A.IpHttpsReassemblyBudgetExhausted, id: 'iphttps.reassembly_budget_exhausted', layer: 'iphttps', kind: 'unsupported', severity: 'medium', text: 'The reassembly memory shared by all IP-HTTPS streams of the capture (16 MiB) was used up; a hole was given up as a gap instead of waiting for its bytes.' },
  { code: A.IpHttpsTlsResync, id: 'iphttps.tls_resync', layer: 'iphttps', kind: 'malformed', severity: 'low', text: 'The TLS record layer of an IP-HTTPS stream lost its place (after a gap, or at a record header that is not plausible); bytes were skipped to the next pair of plausible record headers.' },
  { code: A.IpHttpsRecordShorterThanMac, id: 'iphttps.record_shorter_than_mac', layer: 'iphttps', kind: 'malformed', severity: 'medium', text: 'A TLS record after ChangeCipherSpec shorter than the MAC of the NULL cipher suite; the record layer resynchronises.' },
  { code: A.IpHttpsIpv6Resync, id: 'iphttps.ipv6_resync', layer: 'iphttps', kind: 'malformed', severity: 'low', text: 'The plaintext of an IP-HTTPS stream lost its IPv6 framing (lost bytes, or a packet that does not start with version 6); bytes were skipped to the next plausible IPv6 header.' },
  { code: A.IpHttpsHttpHeadMissing, id: 'iphttps.http_head_missing', layer: 'iphttps', kind: 'suspicious', severity: 'low', text: 'The first plaintext of an IP-HTTPS direction is not its HTTP head (POST from the client, HTTP/ from the server, MS-IPHTTPS §3.1.5.2); it is read as IPv6 packets.' },
  { code: A.IpHttpsHttpHeadTooLong, id: 'iphttps.http_head_too_long', layer: 'iphttps', kind: 'unsupported', severity: 'low', text: 'No empty line ends the HTTP head of an IP-HTTPS direction within 8 KiB; the reader gives up on it and looks for IPv6 packets.' },
  { code: A.IpHttpsChangeCipherSpecMissing, id: 'iphttps.change_cipher_spec_missing', layer: 'iphttps', kind: 'truncated', severity: 'low', text: 'A direction of an IP-HTTPS stream ended without a ChangeCipherSpec; none of its bytes could be read as inner packets.' },
  { code: A.IpHttpsStreamEndsMidPacket, id: 'iphttps.stream_ends_mid_packet', layer: 'iphttps', kind: 'truncated', severity: 'info', text: 'The capture ends inside an inner IPv6 packet (or the HTTP head) of an IP-HTTPS stream; the partial packet is dropped.' },
  { code: A.IpHttpsInnerPacketOverMtu, id: 'iphttps.inner_packet_over_mtu', layer: 'iphttps', kind: 'suspicious', severity: 'info', text: 'An inner IPv6 packet longer than the 1280-byte IP-HTTPS link MTU (MS-IPHTTPS §3.1.5.2); it is read whole.' },
];

/** One more than the largest code; sizes the recorder's typed arrays. */
export const ANOMALY_CODE_LIMIT = Math.max(...DEFS.map((d) => d.code)) + 1;

const BY_CODE: (AnomalyDef | undefined)[] = [];
for (const d of DEFS) {
  if (BY_CODE[d.code]) throw new Error(`duplicate anomaly code ${d.code}`);
  BY_CODE[d.code] = d;
}

export function anomalyDef(code: number): AnomalyDef {
  const d = BY_CODE[code];
  if (!d) throw new Error(`unknown anomaly code ${code}`);
  return d;
}

const BY_ID = new Map<string, number>();
for (const d of DEFS) BY_ID.set(d.id, d.code);

/** The numeric code of an anomaly id, or −1 when the id is unknown. */
export function anomalyCodeOf(id: string): number {
  return BY_ID.get(id) ?? -1;
}

export function allAnomalies(): readonly AnomalyDef[] {
  return DEFS;
}
