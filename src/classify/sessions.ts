/** Session state and service of a flow, decided once after the pass (RFC 9293 §3.5; RFC 4443 §3.1; MS-RA §1.4, §3.1.5; MS-RAI §1.9; protocols.md §5.5). */

import type { RpcBind } from '../app/dcerpc.js';
import { rdpProtocolNames, type RdpConfirm, type RdpFacts } from '../app/rdp.js';
import type { Flow, IcmpErrorFact } from '../flow/flow.js';
import { reason, type Reason } from './reasons.js';

/** What the traffic is, and why we think so. */
export interface Service {
  /** 'remote-assistance', 'remote-assistance-helper', or a port-derived name ('smb', 'http', …), or 'unknown'. */
  name: string;
  /** How it was identified: a plain sentence with frames, or why it cannot be. */
  basis: string;
  frames: number[];
}

export type SessionState = 'established' | 'established-before-capture' | 'refused' | 'reset' | 'unanswered' | 'unreachable' | 'one-way' | 'answered' | 'unknown';

/** States in which no session came about. */
export const FAILED_STATES: readonly SessionState[] = ['refused', 'unanswered', 'unreachable'];

export interface StateFacts {
  state: SessionState;
  /** The coded statement of how it went (tcp.established, tcp.syn_unanswered, icmpv6.admin_prohibited, …). */
  reason: Reason;
  frames: number[];
}

/** Ports that name a service well enough for a report; Remote Assistance and its helpers are handled apart. */
const PORT_NAMES: Record<number, string> = {
  22: 'ssh', 53: 'dns', 80: 'http', 88: 'kerberos', 135: 'dcom/rpc', 139: 'netbios', 389: 'ldap', 443: 'https', 445: 'smb',
  500: 'ike', 1900: 'ssdp', 2869: 'upnp', 3389: 'rdp', 3540: 'pnrp', 4500: 'ike-nat-t', 5355: 'llmnr', 5353: 'mdns', 5985: 'winrm',
};

/** ICMPv6 destination unreachable codes (RFC 4443 §3.1). */
export const UNREACHABLE: Record<number, string> = {
  0: 'no route to destination', 1: 'communication administratively prohibited', 2: 'beyond scope of source address',
  3: 'address unreachable', 4: 'port unreachable', 5: 'source address failed ingress/egress policy', 6: 'reject route to destination',
};

/** The first "not delivered" error (ICMPv6 type 1, ICMPv4 type 3) that quoted a packet of the flow. */
function unreachable(flow: Flow): IcmpErrorFact | undefined {
  return flow.icmpErrors?.find((e) => e.version === 6 ? e.type === 1 : e.type === 3);
}

function unreachableReason(err: IcmpErrorFact, what: string, first: number): StateFacts {
  const facts = { what, code: err.code, codeName: UNREACHABLE[err.code] ?? 'other', frame: err.frame, version: err.version };
  const frames = [first, err.frame];
  return { state: 'unreachable', frames, reason: err.version === 6 && err.code === 1 ? reason('icmpv6.admin_prohibited', facts, frames) : reason('icmpv6.unreachable', facts, frames) };
}

/** How a TCP or UDP session went, from the flow's history and the ICMP errors that quoted it. */
export function sessionState(flow: Flow): StateFacts {
  const err = unreachable(flow);
  if (flow.proto === 6) {
    if (flow.synAckFrame !== 0 && (flow.origDataFrame !== 0 || flow.respDataFrame !== 0 || flow.history.includes('A'))) {
      const frames = [flow.synFrame, flow.synAckFrame];
      return { state: 'established', frames, reason: reason('tcp.established', { syn: flow.synFrame, synAck: flow.synAckFrame }, frames) };
    }
    if (flow.synFrame === 0 && flow.synAckFrame === 0 && flow.origDataFrame !== 0 && flow.respDataFrame !== 0) {
      const frames = [flow.origDataFrame, flow.respDataFrame];
      return { state: 'established-before-capture', frames, reason: reason('tcp.before_capture', { orig: flow.origDataFrame, resp: flow.respDataFrame }, frames) };
    }
    if (err) return unreachableReason(err, 'the SYN', flow.synFrame);
    if (flow.rstFrame !== 0 && flow.synAckFrame === 0) {
      const frames = [flow.synFrame, flow.rstFrame];
      return { state: 'refused', frames, reason: reason('tcp.refused', { syn: flow.synFrame, rst: flow.rstFrame }, frames) };
    }
    if (flow.rstFrame !== 0) return { state: 'reset', frames: [flow.rstFrame], reason: reason('tcp.reset', { rst: flow.rstFrame }, [flow.rstFrame]) };
    if (flow.synFrame !== 0 && flow.respPackets === 0) {
      return { state: 'unanswered', frames: [flow.synFrame], reason: reason('tcp.syn_unanswered', { syns: flow.origPackets, first: flow.synFrame, last: flow.lastFrame }, [flow.synFrame, flow.lastFrame]) };
    }
    return { state: 'unknown', frames: [flow.firstFrame], reason: reason('tcp.unknown', { history: flow.history }, [flow.firstFrame]) };
  }
  if (err) return unreachableReason(err, 'it', flow.firstFrame);
  if (flow.respPackets > 0) return { state: 'answered', frames: [flow.firstFrame], reason: reason('udp.answered', {}, [flow.firstFrame]) };
  return { state: 'one-way', frames: [flow.firstFrame], reason: reason('udp.one_way', { datagrams: flow.origPackets }, [flow.firstFrame]) };
}

/** The Remote Assistance ports the user gave (--ra-port) besides 3389. */
export interface ServiceOptions {
  raPorts: number[];
}

/** What service identification reads: a flow, or a session seen in the plaintext of ESP-NULL. */
export interface ServiceFacts {
  proto: number;
  origPort: number;
  respPort: number;
  firstFrame: number;
  rdp: RdpFacts | null;
  rpcBinds: RpcBind[] | null;
}

/**
 * Accept as Remote Assistance when: the client's first payload is an RDP X.224 Connection Request
 * (TPKT 03 00 + 0xE0, MS-RDPBCGR §2.2.1.1), or the server's is a Connection Confirm (0xD0, §2.2.1.2) —
 * on a client pair that is Remote Assistance unless Remote Desktop was reconfigured (protocols.md §5.5);
 * or the port is 3389 / --ra-port. Helper traffic: a DCE/RPC bind to IRASrv (Offer RA), PNRP UDP 3540,
 * SSDP UDP 1900 / TCP 2869. Never claim Remote Assistance from nothing.
 */
export function identifyService(flow: ServiceFacts, opts: ServiceOptions): Service {
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
/** A router said a packet of these flows was too big for the path (RFC 4443 §3.2, RFC 1191 §4): the first such error and how many. */
export function packetTooBigNote(flows: readonly { icmpErrors: readonly IcmpErrorFact[] | null }[]): Reason | null {
  const errors = flows.flatMap((f) => (f.icmpErrors ?? []).filter((e) => (e.version === 6 && e.type === 2) || (e.version === 4 && e.type === 3 && e.code === 4)));
  if (errors.length === 0) return null;
  const first = errors.reduce((a, b) => (b.frame < a.frame ? b : a));
  const mtu = first.version === 6 ? first.param >>> 0 : first.param & 0xffff;
  return reason('icmpv6.packet_too_big', { frame: first.frame, mtu, count: errors.length, version: first.version }, errors.map((e) => e.frame).sort((a, b) => a - b).slice(0, 5));
}

export function rdpSecurityNote(flow: { rdp: RdpFacts | null }): Reason | null {
  const conf = flow.rdp?.confirm ?? null;
  if (!conf || conf.failureCode !== null) return null;
  const sel = conf.selectedProtocol;
  return reason('rdp.own_security', { frame: conf.frame, selected: sel === null ? null : rdpProtocolNames(sel).join(' + '), standard: sel === 0 }, [conf.frame]);
}
