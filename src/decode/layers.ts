/** Layer kinds of the decoder's layer table, with display and tshark (frame.protocols) names. */

export const Layer = {
  None: 0,
  // link
  Ethernet: 1,
  Vlan: 2,
  /** 802.1ad service tag (TPID 0x88a8); Wireshark names it ieee8021ad. */
  QinQ: 8,
  LlcSnap: 3,
  Null: 4,
  Loop: 5,
  Sll: 6,
  Sll2: 7,
  // network
  Ipv4: 10,
  Ipv6: 11,
  Ipv6HopByHop: 12,
  Ipv6Routing: 13,
  Ipv6Fragment: 14,
  Ipv6DstOpts: 15,
  Icmp: 16,
  Icmpv6: 17,
  // transport
  Tcp: 20,
  Udp: 21,
  // IPsec
  Esp: 30,
  Ah: 31,
  /**
   * UDP encapsulation on port 4500 (RFC 3948): empty before ESP, the 4-byte non-ESP marker before IKE,
   * or the single 0xFF byte of a NAT keepalive.
   */
  UdpEncap: 32,
  Isakmp: 34,
  // tunnels
  Teredo: 40,
  // application (located only; parsed per flow in app/)
  Dns: 50,
  Tls: 51,
  Tpkt: 52,
  DceRpc: 53,
  Ssdp: 54,
  Pnrp: 55,
  Http: 56,
} as const;
export type Layer = (typeof Layer)[keyof typeof Layer];

const NAMES: Record<number, [display: string, tshark: string]> = {
  [Layer.Ethernet]: ['eth', 'eth'],
  [Layer.Vlan]: ['vlan', 'vlan'],
  [Layer.QinQ]: ['qinq', 'ieee8021ad'],
  [Layer.LlcSnap]: ['llc', 'llc'],
  [Layer.Null]: ['null', 'null'],
  [Layer.Loop]: ['loop', 'null'],
  [Layer.Sll]: ['sll', 'sll'],
  [Layer.Sll2]: ['sll2', 'sll'],
  [Layer.Ipv4]: ['ipv4', 'ip'],
  [Layer.Ipv6]: ['ipv6', 'ipv6'],
  [Layer.Ipv6HopByHop]: ['hopopts', 'ipv6.hopopts'],
  [Layer.Ipv6Routing]: ['routing', 'ipv6.routing'],
  [Layer.Ipv6Fragment]: ['fragment', 'ipv6.fraghdr'],
  [Layer.Ipv6DstOpts]: ['dstopts', 'ipv6.dstopts'],
  [Layer.Icmp]: ['icmp', 'icmp'],
  [Layer.Icmpv6]: ['icmpv6', 'icmpv6'],
  [Layer.Tcp]: ['tcp', 'tcp'],
  [Layer.Udp]: ['udp', 'udp'],
  [Layer.Esp]: ['esp', 'esp'],
  [Layer.Ah]: ['ah', 'ah'],
  [Layer.UdpEncap]: ['udpencap', 'udpencap'],
  [Layer.Isakmp]: ['isakmp', 'isakmp'],
  [Layer.Teredo]: ['teredo', 'teredo'],
  [Layer.Dns]: ['dns', 'dns'],
  [Layer.Tls]: ['tls', 'tls'],
  [Layer.Tpkt]: ['tpkt', 'tpkt'],
  [Layer.DceRpc]: ['dcerpc', 'dcerpc'],
  [Layer.Ssdp]: ['ssdp', 'ssdp'],
  [Layer.Pnrp]: ['pnrp', 'pnrp'],
  [Layer.Http]: ['http', 'http'],
};

export function layerName(kind: number): string {
  return NAMES[kind]?.[0] ?? `layer${kind}`;
}

/** The name tshark uses for this layer in frame.protocols. */
export function tsharkLayerName(kind: number): string {
  return NAMES[kind]?.[1] ?? `layer${kind}`;
}
