/** Tables from EtherType, IP protocol and port to the next layer kind (not if/else chains [tcpdump udp_print]). */

import { Layer } from './layers.js';

export const EtherType = { Ipv4: 0x0800, Ipv6: 0x86dd, Vlan: 0x8100, QinQ: 0x88a8, QinQOld: 0x9100 } as const;

/** EtherType → layer (0 when not followed). */
export function kindForEtherType(t: number): number {
  switch (t) {
    case EtherType.Ipv4: return Layer.Ipv4;
    case EtherType.Ipv6: return Layer.Ipv6;
    case EtherType.Vlan:
    case EtherType.QinQOld: return Layer.Vlan;
    case EtherType.QinQ: return Layer.QinQ;
    default: return Layer.None;
  }
}

export const IpProto = {
  HopByHop: 0, Icmp: 1, Ipv4: 4, Tcp: 6, Udp: 17, Ipv6: 41, Routing: 43, Fragment: 44,
  Esp: 50, Ah: 51, Icmpv6: 58, NoNext: 59, DstOpts: 60,
} as const;

/** IPv4 protocol / IPv6 next header → layer (0 when not followed). Extension headers map to their layers. */
const BY_PROTO = new Uint8Array(256);
BY_PROTO[IpProto.HopByHop] = Layer.Ipv6HopByHop;
BY_PROTO[IpProto.Icmp] = Layer.Icmp;
BY_PROTO[IpProto.Ipv4] = Layer.Ipv4;
BY_PROTO[IpProto.Tcp] = Layer.Tcp;
BY_PROTO[IpProto.Udp] = Layer.Udp;
BY_PROTO[IpProto.Ipv6] = Layer.Ipv6;
BY_PROTO[IpProto.Routing] = Layer.Ipv6Routing;
BY_PROTO[IpProto.Fragment] = Layer.Ipv6Fragment;
BY_PROTO[IpProto.Esp] = Layer.Esp;
BY_PROTO[IpProto.Ah] = Layer.Ah;
BY_PROTO[IpProto.Icmpv6] = Layer.Icmpv6;
BY_PROTO[IpProto.DstOpts] = Layer.Ipv6DstOpts;

export function kindForProto(p: number): number {
  return BY_PROTO[p]!;
}

/** Well-known ports that decide the layer after UDP or TCP (either side matches). */
export const Port = {
  Dns: 53, Http: 80, Rpc: 135, Https: 443, Isakmp: 500, IsakmpNatT: 4500, Ssdp: 1900, UpnpHttp: 2869,
  Rdp: 3389, Pnrp: 3540, Teredo: 3544, Mdns: 5353, Llmnr: 5355,
} as const;

const UDP_PORTS = new Uint8Array(65536);
UDP_PORTS[Port.Dns] = Layer.Dns;
UDP_PORTS[Port.Mdns] = Layer.Dns;
UDP_PORTS[Port.Llmnr] = Layer.Dns;
UDP_PORTS[Port.Isakmp] = Layer.Isakmp;
UDP_PORTS[Port.Teredo] = Layer.Teredo;
UDP_PORTS[Port.Ssdp] = Layer.Ssdp;
UDP_PORTS[Port.Pnrp] = Layer.Pnrp;

const TCP_PORTS = new Uint8Array(65536);
TCP_PORTS[Port.Dns] = Layer.Dns;
TCP_PORTS[Port.Https] = Layer.Tls;
TCP_PORTS[Port.Rdp] = Layer.Tpkt;
TCP_PORTS[Port.Rpc] = Layer.DceRpc;
TCP_PORTS[Port.Http] = Layer.Http;
TCP_PORTS[Port.UpnpHttp] = Layer.Http;

/** UDP port → layer; the lower-numbered well-known port wins when both sides have one. */
export function kindForUdpPorts(a: number, b: number): number {
  const ka = UDP_PORTS[a]!;
  const kb = UDP_PORTS[b]!;
  if (ka !== 0 && (kb === 0 || a <= b)) return ka;
  return kb;
}

export function kindForTcpPorts(a: number, b: number): number {
  const ka = TCP_PORTS[a]!;
  const kb = TCP_PORTS[b]!;
  if (ka !== 0 && (kb === 0 || a <= b)) return ka;
  return kb;
}
