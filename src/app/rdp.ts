/** RDP connection start (MS-RDPBCGR §2.2.1.1–2.2.1.2): TPKT + X.224 Connection Request/Confirm with RDP_NEG; how Remote Assistance begins (MS-RA §1.4). */

import { u16be, u32le } from '../util/bytes.js';
import { latin1 } from './http.js';

/** requestedProtocols / selectedProtocol bits (MS-RDPBCGR §2.2.1.1.1). */
const PROTOCOLS: [number, string][] = [[0x1, 'TLS'], [0x2, 'CredSSP'], [0x4, 'RDSTLS'], [0x8, 'CredSSP with Early User Authorization'], [0x10, 'RDS AAD']];

/**
 * Names the protocol set; 0 is Standard RDP Security (RC4 inside RDP itself). Bits outside the table are shown in
 * hex, last: dropping them would turn a mask of only unknown bits into an empty list ("requesting " in the report).
 */
export function rdpProtocolNames(mask: number): string[] {
  if (mask === 0) return ['Standard RDP Security'];
  const names = PROTOCOLS.filter(([bit]) => (mask & bit) !== 0).map(([, n]) => n);
  const unknown = PROTOCOLS.reduce((m, [bit]) => m & ~bit, mask) >>> 0;
  if (unknown !== 0) names.push(`unknown 0x${unknown.toString(16)}`);
  return names;
}

const FAILURES: Record<number, string> = {
  1: 'SSL_REQUIRED_BY_SERVER', 2: 'SSL_NOT_ALLOWED_BY_SERVER', 3: 'SSL_CERT_NOT_ON_SERVER', 4: 'INCONSISTENT_FLAGS',
  5: 'HYBRID_REQUIRED_BY_SERVER', 6: 'SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER',
};

export interface RdpRequest {
  frame: number;
  /** The `Cookie: mstshash=` value, when present. */
  cookie: string | null;
  /** RDP_NEG_REQ requestedProtocols, or null when the request has none (Standard RDP Security only). */
  requestedProtocols: number | null;
}

export interface RdpConfirm {
  frame: number;
  /**
   * RDP_NEG_RSP selectedProtocol; 0 (Standard RDP Security) when the confirm carries no negotiation data, as a
   * server that does not negotiate answers (MS-RDPBCGR §2.2.1.2); null with a failure, or when the negotiation
   * data is there but is neither an RDP_NEG_RSP nor an RDP_NEG_FAILURE (what was selected cannot be told).
   */
  selectedProtocol: number | null;
  failureCode: number | null;
  failureName: string | null;
}

export interface RdpFacts {
  request: RdpRequest | null;
  confirm: RdpConfirm | null;
}

/**
 * TPKT (RFC 1006): version 3, reserved, length(2); X.224 TPDU: LI(1), code(1, high nibble: 0xE CR,
 * 0xD CC), dst-ref(2), src-ref(2), class(1), then the variable part inside the TPKT length.
 */
function x224(b: Uint8Array, start: number, end: number): { code: number; at: number; stop: number } | null {
  if (end - start < 11 || b[start] !== 3 || b[start + 1] !== 0) return null;
  const total = u16be(b, start + 2);
  if (total < 11 || total > end - start) return null;
  const li = b[start + 4]!;
  // LI counts the fixed part of a CR or CC TPDU at least: code, dst-ref, src-ref, class (ITU-T X.224 §13.3.1,
  // §13.4.1). A smaller one is not such a TPDU; read on, it became a confirm "selecting Standard RDP Security".
  if (li < 6 || li + 5 > total) return null;
  return { code: b[start + 5]! & 0xf0, at: start + 11, stop: start + 5 + li };
}

/** RDP negotiation structure: type(1) flags(1) length(2, LE, = 8) value(4, LE) (MS-RDPBCGR §2.2.1.1.1, §2.2.1.2.1–2). */
function negotiation(b: Uint8Array, at: number, stop: number): { type: number; value: number } | null {
  if (stop - at < 8 || b[at + 2] !== 8 || b[at + 3] !== 0) return null;
  return { type: b[at]!, value: u32le(b, at + 4) };
}

/** Reads the client's X.224 Connection Request; null when the bytes are not one. */
export function parseRdpRequest(b: Uint8Array, start: number, end: number, frame: number): RdpRequest | null {
  const t = x224(b, start, end);
  if (t === null || t.code !== 0xe0) return null;
  let at = t.at;
  let cookie: string | null = null;
  // An optional cookie or routing token ends with CR LF (MS-RDPBCGR §2.2.1.1).
  if (t.stop - at >= 2 && b[at] === 0x43 /* C */) {
    let eol = at;
    while (eol + 1 < t.stop && !(b[eol] === 0x0d && b[eol + 1] === 0x0a)) eol++;
    // No CR LF inside the TPDU: the line has no end, so there is no cookie and nothing after it to read (taking
    // the bytes up to the last one as the cookie swallowed the RDP_NEG_REQ into it).
    if (eol + 1 >= t.stop) return { frame, cookie: null, requestedProtocols: null };
    const line = latin1(b, at, eol);
    const m = /^Cookie: mstshash=(.*)$/.exec(line);
    if (m) cookie = m[1]!;
    at = eol + 2;
  }
  const neg = negotiation(b, at, t.stop);
  return { frame, cookie, requestedProtocols: neg && neg.type === 1 ? neg.value : null };
}

/** Reads the server's X.224 Connection Confirm with RDP_NEG_RSP (type 2) or RDP_NEG_FAILURE (type 3). */
export function parseRdpConfirm(b: Uint8Array, start: number, end: number, frame: number): RdpConfirm | null {
  const t = x224(b, start, end);
  if (t === null || t.code !== 0xd0) return null;
  const neg = negotiation(b, t.at, t.stop);
  if (neg && neg.type === 3) return { frame, selectedProtocol: null, failureCode: neg.value, failureName: FAILURES[neg.value] ?? null };
  if (neg && neg.type === 2) return { frame, selectedProtocol: neg.value, failureCode: null, failureName: null };
  return { frame, selectedProtocol: t.stop === t.at ? 0 : null, failureCode: null, failureName: null };
}
