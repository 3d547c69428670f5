/** The traffic classes of the summary table, one per flow (a tunnel's packets count for its carrier and its inner flows). */

import { Port } from '../decode/next.js';
import type { Flow } from '../flow/flow.js';
import type { TransitionLabel } from './transition.js';

export const TRAFFIC_CLASSES = ['IP-HTTPS', 'Teredo', '6to4', 'ISATAP', '6in4 / IP-in-IP', 'tunnelled IPv6', 'native IPv6', 'link-local',
  'ESP', 'AH', 'ESP-in-UDP', 'IKE/AuthIP', 'DNS', 'IPv4 other', 'other'] as const;
export type TrafficClass = (typeof TRAFFIC_CLASSES)[number];

function hasEsp(flow: Flow): boolean {
  return flow.sas !== null && flow.sas.some((s) => s.protocol === 'esp');
}

function isLinkLocal(a: Uint8Array): boolean {
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;
}

function isNamePort(p: number): boolean {
  return p === Port.Dns || p === Port.Llmnr || p === Port.Mdns;
}

/**
 * First match wins: what the flow carries (ESP in UDP, IKE, ESP, AH, DNS), then what kind of carrier it is (the
 * transition technology, for the outer flow of a tunnel), then its addresses. A tunnelled packet thus
 * counts twice: once in its carrier's row (e.g. Teredo) and once in the row of what it carries (e.g. ESP,
 * link-local, or "tunnelled IPv6").
 */
export function trafficClass(flow: Flow, label: TransitionLabel): TrafficClass {
  // NAT traversal runs IKE and ESP on the same UDP 4500 port pair (RFC 3948 §2): such a flow is the SA's data
  // path, so its ESP decides, else the IKE_AUTH and later exchanges would hide every ESP-in-UDP packet.
  if (flow.proto === 17 && hasEsp(flow)) return 'ESP-in-UDP';
  if (flow.isakmpMessages > 0) return 'IKE/AuthIP';
  if (flow.proto === 50) return 'ESP';
  if (flow.ahPackets > 0) return 'AH';
  if (flow.dnsMessages > 0 || (flow.proto === 17 && (isNamePort(flow.origPort) || isNamePort(flow.respPort)))) return 'DNS';
  if (flow.family === 6 && (isLinkLocal(flow.origAddr) || isLinkLocal(flow.respAddr))) return 'link-local';
  // Inside a carrier, or captured on the tunnel interface itself: what a tunnel carries, not the tunnel.
  if (flow.carriedBy !== '' || label.byAddress === true) return 'tunnelled IPv6';
  switch (label.transition) {
    case 'ip-https': return 'IP-HTTPS';
    case 'teredo': return 'Teredo';
    case '6to4': return '6to4';
    case 'isatap': return 'ISATAP';
    case '6in4':
    case 'ip-in-ip': return '6in4 / IP-in-IP';
    case 'native-ipv6': return 'native IPv6';
    case 'ipv4': return 'IPv4 other';
    default: return 'other';
  }
}
