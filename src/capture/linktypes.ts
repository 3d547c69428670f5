/** LINKTYPE_* names (tcpdump.org link-layer header types registry) with Wireshark's encapsulation names. */

interface LinkTypeInfo {
  /** Registry name without the LINKTYPE_ prefix. */
  name: string;
  /** Wireshark's encapsulation description, as capinfos prints it. */
  description: string;
}

const TABLE: Record<number, LinkTypeInfo> = {
  0: { name: 'NULL', description: 'NULL/Loopback' },
  1: { name: 'ETHERNET', description: 'Ethernet' },
  6: { name: 'IEEE802_5', description: 'Token Ring' },
  9: { name: 'PPP', description: 'PPP' },
  10: { name: 'FDDI', description: 'FDDI' },
  12: { name: 'RAW (OpenBSD DLT_RAW)', description: 'Raw IP' },
  14: { name: 'RAW (BSD/OS DLT_RAW)', description: 'Raw IP' },
  50: { name: 'PPP_HDLC', description: 'PPP in HDLC-like framing' },
  101: { name: 'RAW', description: 'Raw IP' },
  105: { name: 'IEEE802_11', description: 'IEEE 802.11 Wireless LAN' },
  108: { name: 'LOOP', description: 'OpenBSD loopback' },
  113: { name: 'LINUX_SLL', description: 'Linux cooked-mode capture v1' },
  127: { name: 'IEEE802_11_RADIOTAP', description: 'IEEE 802.11 plus radiotap radio header' },
  147: { name: 'USER0', description: 'USER 0' },
  228: { name: 'IPV4', description: 'Raw IPv4' },
  229: { name: 'IPV6', description: 'Raw IPv6' },
  252: { name: 'WIRESHARK_UPPER_PDU', description: 'Wireshark Upper PDU export' },
  276: { name: 'LINUX_SLL2', description: 'Linux cooked-mode capture v2' },
};

export function linkTypeName(linkType: number): string {
  return TABLE[linkType]?.name ?? `LINKTYPE_${linkType}`;
}

export function linkTypeDescription(linkType: number): string {
  return TABLE[linkType]?.description ?? `link type ${linkType}`;
}
