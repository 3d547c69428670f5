/** DCE/RPC bind (C706 §12.6.4.3; MS-RPCE §2.2.2): the interfaces a client binds to, e.g. Offer Remote Assistance (MS-RAI §1.9, §2.1). */

import { u16be, u16le, u32le } from '../util/bytes.js';

/** Interfaces worth naming: the Remote Assistance DCOM servers (MS-RAI §1.9). */
const INTERFACES: Record<string, string> = {
  'f120a684-b926-447f-9df4-c966cb785648': 'IRASrv (Offer Remote Assistance, Vista and later)',
  '833e4200-aff7-4ac3-aac2-9f24c1457bce': 'IPCHService (Offer Remote Assistance, XP/2003)',
  'e1af8308-5d1f-11c9-91a4-08002b14a0fa': 'EPM (endpoint mapper)',
  '000001a0-0000-0000-c000-000000000046': 'IRemoteSCMActivator (DCOM activation)',
  '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57': 'IActivation (DCOM activation)',
};

export interface RpcBind {
  frame: number;
  uuid: string;
  name: string | null;
}

/** Context items walked per bind, at most (a loop guard). */
const MAX_CONTEXTS = 16;

/** The UUID as text; the first three fields follow the PDU's data representation (little-endian on Windows). */
function uuidText(b: Uint8Array, at: number, le: boolean): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  const d1 = le ? u32le(b, at) : ((u16be(b, at) * 0x10000) + u16be(b, at + 2));
  const d2 = le ? u16le(b, at + 4) : u16be(b, at + 4);
  const d3 = le ? u16le(b, at + 6) : u16be(b, at + 6);
  let tail = '';
  for (let i = 8; i < 16; i++) tail += h(b[at + i]!, 2);
  return `${h(d1, 8)}-${h(d2, 4)}-${h(d3, 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

/**
 * Abstract syntaxes of a bind (ptype 11) or alter_context (14) PDU: header(16, frag_length at 8, auth_length at 10)
 * max_xmit(2) max_recv(2) assoc_group(4) n_context_elem(1) reserved(3), then per item: context id(2) n_transfer_syn(1)
 * reserved(1) abstract syntax (UUID 16, version 4) and n_transfer_syn × 20 bytes.
 */
export function parseRpcBind(b: Uint8Array, start: number, end: number, frame: number): RpcBind[] {
  // Version 5, minor 0 or 1 (C706 §12.6.3.1: minor 1 adds nothing to a bind).
  if (end - start < 28 || b[start] !== 5 || b[start + 1]! > 1 || (b[start + 2] !== 11 && b[start + 2] !== 14)) return [];
  const le = (b[start + 4]! & 0x10) !== 0;
  const fragLen = le ? u16le(b, start + 8) : u16be(b, start + 8);
  const authLen = le ? u16le(b, start + 10) : u16be(b, start + 10);
  // frag_length covers the auth verifier too: an 8-byte sec_trailer and auth_length bytes of credentials after the
  // context list (C706 §12.6.3.1, §13.2.6.1). The list ends before it; else an n_context_elem larger than the list
  // read the trailer and the NTLM or Kerberos token as one more context, with a made-up UUID.
  const stop = Math.min(end, start + fragLen - (authLen > 0 ? 8 + authLen : 0));
  const count = b[start + 24]!;
  const out: RpcBind[] = [];
  let at = start + 28;
  for (let i = 0; i < count && i < MAX_CONTEXTS; i++) {
    if (stop - at < 24) break;
    const transfers = b[at + 2]!;
    const uuid = uuidText(b, at + 4, le);
    out.push({ frame, uuid, name: INTERFACES[uuid] ?? null });
    at += 24 + 20 * transfers;
  }
  return out;
}
