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

export function allAnomalies(): readonly AnomalyDef[] {
  return DEFS;
}
