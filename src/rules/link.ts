/**
 * Transition links not coming up (protocols.md §7 rows 1, 3, 4): IP-HTTPS (MS-IPHTTPS §3.1.2.1) with a fatal TLS alert,
 * a reset after the ClientHello, an HTTP status other than 200, the client reconnecting; Teredo (RFC 4380 §5.2.1) and
 * 6to4 (RFC 3056) sent to and never answered. Without a link there is no traffic between clients to judge; these say why.
 */

import type { JudgedFlow } from '../classify/classified-flow.js';
import { reason, type Reason } from '../classify/reasons.js';
import { Layer } from '../decode/layers.js';
import type { Flow } from '../flow/flow.js';

/** Connections of one server listed by frame in a reconnect finding, at most. */
const LISTED = 10;

/**
 * A connection that tried to bring up IP-HTTPS: recognised as such, or a ClientHello that offers NULL suites only (what a
 * Windows 8+ IP-HTTPS client sends, and no browser), or whose server name is a given DirectAccess server.
 */
function attempt(r: JudgedFlow, daServers: readonly string[]): boolean {
  const f = r.flow;
  const hello = f.tls?.facts.clientHello;
  if (f.family !== 4 || f.proto !== 6 || f.parent >= 0 || !hello) return false;
  return r.label.transition === 'ip-https' || hello.onlyNullSuites || (hello.sni !== null && daServers.includes(hello.sni.toLowerCase()));
}

/** The link came up: the server's 200 to the POST, or IPv6 packets carried. */
function cameUp(r: JudgedFlow): boolean {
  const carried = r.flow.ipHttps?.stats;
  return r.flow.tls?.facts.http.response?.status === 200 || (carried !== undefined && carried.client.packets + carried.server.packets > 0);
}

/** An IPv4 flow's addresses are kept IPv4-mapped (16 bytes): the last 4 are the address. */
function ipv4Of(a: Uint8Array): string {
  return a.subarray(a.length - 4).join('.');
}

/**
 * A Teredo client's packets to a Teredo server (UDP 3544), or 6to4 packets (protocol 41) to a relay, at least twice and
 * never one back: the client retries, then falls back to the next transition technology.
 */
function unanswered(f: Flow): boolean {
  return f.family === 4 && f.parent < 0 && f.respPackets === 0 && f.origPackets >= 2
    && ((f.proto === 17 && f.respPort === 3544 && f.appLayer === Layer.Teredo) || f.proto === 41);
}

export function linkFindings(flows: readonly JudgedFlow[], daServers: readonly string[]): Reason[] {
  const out: Reason[] = [];
  for (const r of flows) {
    const f = r.flow;
    if (!unanswered(f)) continue;
    const facts = { flow: f.id, server: ipv4Of(f.respAddr), packets: f.origPackets, first: f.firstFrame, last: f.lastFrame, seconds: Math.round(f.lastSec - f.firstSec) };
    if (f.proto === 17) out.push(reason('teredo.no_answer', facts, [f.firstFrame, f.lastFrame]));
    else if (r.label.transition === '6to4') out.push(reason('6to4.no_answer', facts, [f.firstFrame, f.lastFrame]));
  }
  const failedBy = new Map<string, JudgedFlow[]>();
  for (const r of flows) {
    if (!attempt(r, daServers) || cameUp(r)) continue;
    const f = r.flow;
    const tls = f.tls!.facts;
    const server = `${ipv4Of(f.respAddr)}:${f.respPort}`;
    const hello = tls.clientHello!.frame;
    const fatal = tls.alerts.find((a) => !a.encrypted && a.level === 2);
    const status = tls.http.response;
    let failure: Reason | null = null;
    if (fatal) {
      failure = reason('iphttps.tls_alert', {
        flow: f.id, server, from: fatal.fromClient ? 'client' : 'server', alert: fatal.descriptionName ?? `alert ${fatal.description}`, frame: fatal.frame, hello,
      }, [hello, fatal.frame]);
    } else if (status && status.status !== 200) {
      failure = reason('iphttps.http_status', { flow: f.id, server, status: status.status, text: status.reason, frame: status.frame }, [hello, status.frame]);
    } else if (tls.serverHello === null && f.history.includes('r')) {
      failure = reason('iphttps.reset_after_hello', { flow: f.id, server, hello, last: f.lastFrame }, [hello, f.lastFrame]);
    }
    // A connection not seen to come up but not seen to fail either (an encrypting suite hides it) is no evidence.
    if (failure === null) continue;
    out.push(failure);
    failedBy.set(server, [...(failedBy.get(server) ?? []), r]);
  }
  // The client retries at about 30 s, then at growing intervals (MS-IPHTTPS §3.1.2.1): several failed connections to
  // one server are one story, told once with their times.
  for (const [server, list] of failedBy) {
    if (list.length < 2) continue;
    const starts = list.map((r) => r.flow.firstSec);
    const gaps = starts.slice(1).map((t, i) => Math.round(t - starts[i]!));
    out.push(reason('iphttps.reconnects', { server, attempts: list.length, frames: list.slice(0, LISTED).map((r) => r.flow.firstFrame), gaps: gaps.slice(0, LISTED - 1) },
      list.slice(0, LISTED).map((r) => r.flow.firstFrame)));
  }
  return out;
}
