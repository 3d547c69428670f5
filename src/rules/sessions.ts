/** Session state and service identification of a client-to-client flow (RFC 9293 §3.5; MS-RA §1.4, §3.1.5; MS-RAI §1.9; protocols.md §5.5). */

import { rdpProtocolNames, type RdpConfirm } from '../app/rdp.js';
import type { Flow } from '../flow/flow.js';
import type { Service, SessionState } from './types.js';

/** Ports that name a service well enough for a report; Remote Assistance and its helpers are handled apart. */
const PORT_NAMES: Record<number, string> = {
  22: 'ssh', 53: 'dns', 80: 'http', 88: 'kerberos', 135: 'dcom/rpc', 139: 'netbios', 389: 'ldap', 443: 'https', 445: 'smb',
  500: 'ike', 1900: 'ssdp', 2869: 'upnp', 3389: 'rdp', 3540: 'pnrp', 4500: 'ike-nat-t', 5355: 'llmnr', 5353: 'mdns', 5985: 'winrm',
};

/** ICMPv6 errors that mean "not delivered" (RFC 4443 §3.1 destination unreachable codes). */
const UNREACHABLE: Record<number, string> = {
  0: 'no route to destination', 1: 'communication administratively prohibited', 2: 'beyond scope of source address',
  3: 'address unreachable', 4: 'port unreachable', 5: 'source address failed ingress/egress policy', 6: 'reject route to destination',
};

export interface StateFacts {
  state: SessionState;
  reason: string;
  frames: number[];
}

/** How a TCP or UDP session went, from the flow's history and the ICMP errors that quoted it. */
export function sessionState(flow: Flow): StateFacts {
  const err = flow.icmpErrors?.find((e) => e.version === 6 ? e.type === 1 : e.type === 3);
  if (flow.proto === 6) {
    if (flow.synAckFrame !== 0 && (flow.origDataFrame !== 0 || flow.respDataFrame !== 0 || flow.history.includes('A'))) {
      return { state: 'established', reason: `the TCP handshake completed (SYN frame ${flow.synFrame || '—'}, SYN-ACK frame ${flow.synAckFrame})`, frames: [flow.synFrame, flow.synAckFrame].filter((x) => x > 0) };
    }
    if (flow.synFrame === 0 && flow.synAckFrame === 0 && flow.origDataFrame !== 0 && flow.respDataFrame !== 0) {
      return { state: 'established-before-capture', reason: `data flows both ways (frames ${flow.origDataFrame}, ${flow.respDataFrame}) but no handshake is in the capture: the session started before it`, frames: [flow.origDataFrame, flow.respDataFrame] };
    }
    if (err) {
      return { state: 'unreachable', reason: `the SYN was answered by ICMPv6 destination unreachable, code ${err.code} (${UNREACHABLE[err.code] ?? 'other'}) in frame ${err.frame}`, frames: [flow.synFrame, err.frame].filter((x) => x > 0) };
    }
    if (flow.rstFrame !== 0 && flow.synAckFrame === 0) {
      return { state: 'refused', reason: `the SYN (frame ${flow.synFrame}) was refused with a RST (frame ${flow.rstFrame})`, frames: [flow.synFrame, flow.rstFrame].filter((x) => x > 0) };
    }
    if (flow.rstFrame !== 0) {
      return { state: 'reset', reason: `the connection was reset (RST in frame ${flow.rstFrame})`, frames: [flow.rstFrame] };
    }
    if (flow.synFrame !== 0 && flow.respPackets === 0) {
      return { state: 'unanswered', reason: `${flow.origPackets} SYN(s) from frame ${flow.synFrame} on, never answered`, frames: [flow.synFrame] };
    }
    return { state: 'unknown', reason: `TCP history ${flow.history || '(none)'}`, frames: [flow.firstFrame] };
  }
  if (err) return { state: 'unreachable', reason: `answered by ICMPv6 destination unreachable, code ${err.code} (${UNREACHABLE[err.code] ?? 'other'}) in frame ${err.frame}`, frames: [flow.firstFrame, err.frame] };
  if (flow.respPackets > 0) return { state: 'answered', reason: 'datagrams both ways', frames: [flow.firstFrame] };
  return { state: 'one-way', reason: `${flow.origPackets} datagram(s) one way only`, frames: [flow.firstFrame] };
}

/** The Remote Assistance ports the user gave (--ra-port) besides 3389. */
export interface ServiceOptions {
  raPorts: number[];
}

/**
 * Accept as Remote Assistance when: the client's first payload is an RDP X.224 Connection Request
 * (TPKT 03 00 + 0xE0, MS-RDPBCGR §2.2.1.1), or the server's is a Connection Confirm (0xD0, §2.2.1.2) —
 * on a client pair that is Remote Assistance unless Remote Desktop was reconfigured (protocols.md §5.5);
 * or the port is 3389 / --ra-port. Helper traffic: a DCE/RPC bind to IRASrv (Offer RA), PNRP UDP 3540,
 * SSDP UDP 1900 / TCP 2869. Never claim Remote Assistance from nothing.
 */
export function identifyService(flow: Flow, opts: ServiceOptions): Service {
  const req = flow.rdp?.request ?? null;
  const conf = flow.rdp?.confirm ?? null;
  if (req) {
    const parts = [`the first client bytes are an RDP X.224 Connection Request (frame ${req.frame})`];
    if (req.cookie !== null) parts.push(`with Cookie: mstshash=${req.cookie}`);
    if (req.requestedProtocols !== null) parts.push(`requesting ${rdpProtocolNames(req.requestedProtocols).join(' or ')}`);
    if (conf) {
      parts.push(conf.failureCode !== null ? `refused by the server with RDP_NEG_FAILURE ${conf.failureName ?? conf.failureCode} (frame ${conf.frame})`
        : `confirmed with ${selected(conf)} (frame ${conf.frame})`);
    }
    return { name: 'remote-assistance', basis: `RDP connection ${rdpWhere(flow.respPort)}: ${parts.join(', ')}`, frames: [req.frame, ...(conf ? [conf.frame] : [])] };
  }
  if (conf) {
    // Only an RDP server answers with an X.224 Connection Confirm (MS-RDPBCGR §2.2.1.2): the request went unseen (e.g. in ESP).
    const answer = conf.failureCode !== null ? `RDP_NEG_FAILURE ${conf.failureName ?? conf.failureCode}`
      : conf.selectedProtocol === null ? `with ${selected(conf)}` : `selecting ${selected(conf)}`;
    return { name: 'remote-assistance', basis: `the server's first bytes are an RDP X.224 Connection Confirm (frame ${conf.frame}, ${answer}), its request not seen in clear: RDP connection ${rdpWhere(flow.respPort)}`, frames: [conf.frame] };
  }
  const ports = [flow.respPort, flow.origPort];
  const raPort = ports.find((p) => p === 3389 || opts.raPorts.includes(p));
  if (flow.proto === 6 && raPort !== undefined) {
    return { name: 'remote-assistance', basis: `TCP port ${raPort} (${raPort === 3389 ? 'RDP' : '--ra-port'}); no RDP bytes were seen to confirm it`, frames: [flow.firstFrame] };
  }
  const irasrv = flow.rpcBinds?.find((b) => b.name !== null && b.name.startsWith('IRASrv'));
  if (irasrv) return { name: 'remote-assistance-helper', basis: `a DCE/RPC bind to IRASrv, the Offer Remote Assistance interface (frame ${irasrv.frame})`, frames: [irasrv.frame] };
  if (flow.proto === 17 && (ports.includes(3540))) return { name: 'remote-assistance-helper', basis: 'PNRP (UDP 3540), used by Remote Assistance Easy Connect', frames: [flow.firstFrame] };
  if ((flow.proto === 17 && ports.includes(1900)) || (flow.proto === 6 && ports.includes(2869))) {
    return { name: 'remote-assistance-helper', basis: 'SSDP/UPnP (UDP 1900, TCP 2869), which Remote Assistance uses to open NAT ports', frames: [flow.firstFrame] };
  }
  if (flow.proto === 6 && ports.includes(135)) return { name: 'dcom/rpc', basis: 'TCP 135 (RPC endpoint mapper; Offer Remote Assistance starts here)', frames: [flow.firstFrame] };
  const named = ports.map((p) => PORT_NAMES[p]).find((n) => n !== undefined);
  if (named) return { name: named, basis: `port ${ports.find((p) => PORT_NAMES[p] === named)}`, frames: [flow.firstFrame] };
  return { name: 'unknown', basis: `no signature or known port (${flow.origPort} → ${flow.respPort})`, frames: [flow.firstFrame] };
}

/** What a Connection Confirm without a failure selected, or that what it selected cannot be read. */
function selected(conf: RdpConfirm): string {
  return conf.selectedProtocol === null ? 'negotiation data that is not an RDP_NEG_RSP' : rdpProtocolNames(conf.selectedProtocol).join(' + ');
}

function rdpWhere(port: number): string {
  return port === 3389 ? 'on port 3389 (Remote Desktop, or Remote Assistance before Vista)' : `on dynamic port ${port}, where msra.exe listens`;
}

/** RDP's own security, reported beside the IPsec verdict (never instead of it). */
export function rdpSecurityNote(flow: Flow): string | null {
  const conf = flow.rdp?.confirm ?? null;
  if (!conf || conf.failureCode !== null) return null;
  const sel = conf.selectedProtocol;
  if (sel === null) return `RDP's own security is unknown: the Connection Confirm (frame ${conf.frame}) carries negotiation data that is not an RDP_NEG_RSP`;
  return sel === 0
    ? `RDP itself negotiated Standard RDP Security (RC4 inside RDP, frame ${conf.frame}): that is not IPsec, and does not change the verdict`
    : `RDP itself negotiated ${rdpProtocolNames(sel).join(' + ')} (frame ${conf.frame}): application-layer encryption, reported beside the IPsec verdict, never instead of it`;
}
