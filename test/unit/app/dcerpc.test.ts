/**
 * DCE/RPC bind and alter_context (src/app/dcerpc.ts; C706 §12.6.3.1, §12.6.4.3; MS-RPCE §2.2.2): the abstract syntax
 * of each presentation context, named when it is a Remote Assistance or DCOM activation interface (MS-RAI §1.9).
 * The four kinds of tests of architecture §7. The tshark lines above known-good PDUs come from `tshark -n -r` on the
 * PDU sent alone in an Ethernet/IPv4/TCP frame from 192.0.2.10:50001 to 198.51.100.20 (port 135, or 49700/49701 for
 * the dynamic-port binds), written with PcapWriter (frame number and time columns left out). Every parse reads a
 * guarded buffer (./bounds.ts): a read outside [start, end) fails.
 */

import { describe, expect, it } from 'vitest';
import { parseRpcBind, type RpcBind } from '../../../src/app/dcerpc.js';
import { ascii, concat, fromHex, rpcBind, RpcTransfer, type Bytes, type RpcSyntax } from '../../helpers/build.js';
import { parseGuarded, patched, prefixes } from './bounds.js';

const FRAME = 9;
const parse = (b: Bytes, n = b.length, after = 0): RpcBind[] => parseGuarded(b, (buf, s, e) => parseRpcBind(buf, s, e, FRAME), n, after);

const IRASRV: RpcSyntax = { uuid: 'f120a684-b926-447f-9df4-c966cb785648', version: 0 };
const EPM: RpcSyntax = { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', version: 3 };
const ISYSTEM_ACTIVATOR: RpcSyntax = { uuid: '000001a0-0000-0000-c000-000000000046', version: 0 };
const LSARPC: RpcSyntax = { uuid: '12345778-1234-abcd-ef00-0123456789ab', version: 0 };
/** NTLMSSP NEGOTIATE_MESSAGE (MS-NLMP §2.2.1.1): signature, type 1, flags, empty domain and workstation, version 10.0. */
const NTLM_NEGOTIATE = concat(ascii('NTLMSSP\0'), fromHex('01000000 978208e2 0000 0000 00000000 0000 0000 00000000 0a00614a 0000000f'));

const IRASRV_NAME = 'IRASrv (Offer Remote Assistance, Vista and later)';
const bind = (uuid: string, name: string | null): RpcBind => ({ frame: FRAME, uuid, name });

// 192.0.2.10 → 198.51.100.20 DCERPC 214 Bind: call_id: 2, Fragment: Single, 3 context items: f120a684-b926-447f-9df4-c966cb785648 V0.0 (32bit NDR),
//   f120a684-b926-447f-9df4-c966cb785648 V0.0 (64bit NDR), f120a684-b926-447f-9df4-c966cb785648 V0.0 (6cb71c2c-9812-4540-0300-000000000000)
const IRASRV_BIND = rpcBind({ contexts: [
  { abstract: IRASRV, transfers: [RpcTransfer.NDR] }, { abstract: IRASRV, transfers: [RpcTransfer.NDR64] }, { abstract: IRASRV, transfers: [RpcTransfer.BindTimeFeatures] },
] });
// 192.0.2.10 → 198.51.100.20 DCERPC 126 Bind: call_id: 2, Fragment: Single, 1 context items: EPMv4 V3.0 (32bit NDR)
const EPM_BIND_BE = rpcBind({ bigEndian: true, contexts: [{ abstract: EPM, transfers: [RpcTransfer.NDR] }] });
// 192.0.2.10 → 198.51.100.20 DCERPC 146 Alter_context: call_id: 3, Fragment: Single, 1 context items: ISystemActivator V0.0 (64bit NDR)
const ALTER = rpcBind({ ptype: 14, callId: 3, contexts: [{ abstract: ISYSTEM_ACTIVATOR, transfers: [RpcTransfer.NDR, RpcTransfer.NDR64] }] });
// 192.0.2.10 → 198.51.100.20 DCERPC 174 Bind: call_id: 2, Fragment: Single, 1 context items: EPMv4 V3.0 (32bit NDR), NTLMSSP_NEGOTIATE
const EPM_BIND_NTLM = rpcBind({ contexts: [{ abstract: EPM, transfers: [RpcTransfer.NDR] }], authValue: NTLM_NEGOTIATE });
// 192.0.2.10 → 198.51.100.20 DCERPC 126 Bind: call_id: 2, Fragment: Single, 1 context items: LSARPC V0.0 (32bit NDR)
const LSARPC_BIND = rpcBind({ contexts: [{ abstract: LSARPC, transfers: [RpcTransfer.NDR] }] });

/** Offsets: version 0, minor 1, ptype 2, flags 3, drep 4–7, frag_length 8, auth_length 10, n_context_elem 24, first item 28. */
const MINOR = 1;
const PTYPE = 2;
const DREP = 4;
const FRAG_LENGTH = 8;
const COUNT = 24;
const ITEMS = 28;

/** Start offsets of the context items of a little- or big-endian bind (each is 4 + 20 + 20 × n_transfer_syn bytes). */
function itemStarts(b: Bytes): number[] {
  const starts: number[] = [];
  for (let at = ITEMS, i = 0; i < b[COUNT]!; i++) {
    starts.push(at);
    at += 24 + 20 * b[at + 2]!;
  }
  return starts;
}

describe('parseRpcBind: known good', () => {
  it('a bind to IRASrv with NDR, NDR64 and bind-time feature negotiation: three contexts, each named IRASrv', () => {
    expect(parse(IRASRV_BIND)).toEqual([bind(IRASRV.uuid, IRASRV_NAME), bind(IRASRV.uuid, IRASRV_NAME), bind(IRASRV.uuid, IRASRV_NAME)]);
  });

  it('a big-endian bind (drep 0x00) to the endpoint mapper: the UUID fields are read in the PDU\'s byte order', () => {
    expect(parse(EPM_BIND_BE)).toEqual([bind(EPM.uuid, 'EPM (endpoint mapper)')]);
  });

  it('an alter_context (ptype 14) with two transfer syntaxes: one context, DCOM activation', () => {
    expect(parse(ALTER)).toEqual([bind(ISYSTEM_ACTIVATOR.uuid, 'IRemoteSCMActivator (DCOM activation)')]);
  });

  it('a bind with an NTLM auth verifier: the context list only', () => {
    expect(parse(EPM_BIND_NTLM)).toEqual([bind(EPM.uuid, 'EPM (endpoint mapper)')]);
  });

  it('an interface outside the table: its UUID, no name', () => {
    expect(parse(LSARPC_BIND)).toEqual([bind(LSARPC.uuid, null)]);
  });

  it('every named interface is recognised in both byte orders', () => {
    const named: [string, string][] = [
      [IRASRV.uuid, IRASRV_NAME], ['833e4200-aff7-4ac3-aac2-9f24c1457bce', 'IPCHService (Offer Remote Assistance, XP/2003)'],
      [EPM.uuid, 'EPM (endpoint mapper)'], [ISYSTEM_ACTIVATOR.uuid, 'IRemoteSCMActivator (DCOM activation)'],
      ['4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', 'IActivation (DCOM activation)'],
    ];
    for (const bigEndian of [false, true]) {
      const pdu = rpcBind({ bigEndian, contexts: named.map(([uuid]) => ({ abstract: { uuid, version: 0 }, transfers: [RpcTransfer.NDR] })) });
      expect(parse(pdu)).toEqual(named.map(([uuid, name]) => bind(uuid, name)));
    }
  });
});

describe('truncation sweep: every prefix gives the contexts whose abstract syntax it holds, never a throw or a read past end', () => {
  it.each([
    ['IRASrv bind', IRASRV_BIND], ['EPM big-endian', EPM_BIND_BE], ['alter_context', ALTER], ['EPM with NTLM', EPM_BIND_NTLM],
  ])('%s', (_name, pdu) => {
    const whole = parse(pdu);
    const starts = itemStarts(pdu);
    prefixes(pdu, (b, s, e) => parseRpcBind(b, s, e, FRAME)).forEach((got, n) => {
      // An item is read once its context id, n_transfer_syn, reserved byte and abstract syntax (24 bytes) are there.
      const want = n < ITEMS ? 0 : starts.filter((at) => at + 24 <= n).length;
      expect(got, `prefix ${n}`).toEqual(whole.slice(0, want));
    });
  });
});

describe('version 5.1', () => {
  it('minor version 1 (C706 §12.6.3.1) is read like 5.0', () => {
    expect(parse(patched(IRASRV_BIND, MINOR, 1))).toEqual(parse(IRASRV_BIND));
    expect(parse(IRASRV_BIND).length).toBeGreaterThan(0);
  });
});

describe('malformed: one field patched per check', () => {
  it('RPC version other than 5.0, or a PDU type other than bind and alter_context: no contexts', () => {
    expect(parse(patched(IRASRV_BIND, 0, 4))).toEqual([]);
    expect(parse(patched(IRASRV_BIND, MINOR, 2))).toEqual([]);
    expect(parse(patched(IRASRV_BIND, PTYPE, 0))).toEqual([]); // request
    expect(parse(patched(IRASRV_BIND, PTYPE, 12))).toEqual([]); // bind_ack
    expect(parse(patched(IRASRV_BIND, PTYPE, 15))).toEqual([]); // alter_context_resp
  });

  it('n_context_elem larger than the data: the contexts that are there', () => {
    expect(parse(patched(IRASRV_BIND, COUNT, 5))).toEqual(parse(IRASRV_BIND));
    expect(parse(patched(IRASRV_BIND, COUNT, 255))).toHaveLength(3);
  });

  it('n_context_elem smaller than the list, or 0: that many', () => {
    expect(parse(patched(IRASRV_BIND, COUNT, 1))).toHaveLength(1);
    expect(parse(patched(IRASRV_BIND, COUNT, 0))).toEqual([]);
  });

  it('n_context_elem larger than the data of a bind with an auth verifier: the sec_trailer and auth value are not read as a context', () => {
    // frag_length covers the auth verifier (C706 §12.6.3.1): the context list ends auth_length + 8 bytes before it.
    expect(parse(patched(EPM_BIND_NTLM, COUNT, 2))).toEqual([bind(EPM.uuid, 'EPM (endpoint mapper)')]);
    expect(parse(patched(EPM_BIND_NTLM, COUNT, 16))).toHaveLength(1);
  });

  it('at most 16 contexts are read (a loop guard)', () => {
    const many = (n: number) => rpcBind({ contexts: Array.from({ length: n }, () => ({ abstract: IRASRV, transfers: [RpcTransfer.NDR] })) });
    expect(parse(many(16))).toHaveLength(16);
    expect(parse(many(17))).toHaveLength(16);
  });

  it('frag_length shorter than the context list: only the contexts whose abstract syntax lies inside it; shorter than the fixed part: nothing', () => {
    const second = itemStarts(IRASRV_BIND)[1]!;
    expect(parse(patched(IRASRV_BIND, FRAG_LENGTH, second + 23, 0))).toEqual([bind(IRASRV.uuid, IRASRV_NAME)]);
    expect(parse(patched(IRASRV_BIND, FRAG_LENGTH, second + 24, 0))).toHaveLength(2);
    expect(parse(patched(IRASRV_BIND, FRAG_LENGTH, ITEMS + 24, 0))).toEqual([bind(IRASRV.uuid, IRASRV_NAME)]);
    expect(parse(patched(IRASRV_BIND, FRAG_LENGTH, ITEMS + 23, 0))).toEqual([]);
    expect(parse(patched(IRASRV_BIND, FRAG_LENGTH, 16, 0))).toEqual([]);
    expect(parse(patched(IRASRV_BIND, FRAG_LENGTH, 0, 0))).toEqual([]);
  });

  it('frag_length longer than the bytes captured: the contexts captured (as a snaplen cut)', () => {
    expect(parse(patched(IRASRV_BIND, FRAG_LENGTH, 0xff, 0xff))).toEqual(parse(IRASRV_BIND));
  });

  it('n_transfer_syn running past the PDU: that context is read, the walk ends there', () => {
    expect(parse(patched(IRASRV_BIND, ITEMS + 2, 200))).toEqual([bind(IRASRV.uuid, IRASRV_NAME)]);
  });

  it('drep flipped to big-endian over little-endian data: the first three UUID fields come out swapped and unnamed', () => {
    const flipped = patched(LSARPC_BIND, DREP, 0x00);
    // frag_length 0x7e00 big-endian is past the bytes: clamped to them.
    expect(parse(flipped)).toEqual([bind('78573412-3412-cdab-ef00-0123456789ab', null)]);
    expect(parse(patched(IRASRV_BIND, DREP, 0x00)).map((b) => b.name)).toEqual([null, null, null]);
  });

  it('fewer than 28 bytes: nothing', () => {
    expect(parse(IRASRV_BIND.subarray(0, 27))).toEqual([]);
  });
});

describe('clamping: bytes after end never change the result', () => {
  it.each([['IRASrv bind', IRASRV_BIND], ['EPM big-endian', EPM_BIND_BE], ['alter_context', ALTER], ['EPM with NTLM', EPM_BIND_NTLM]])(
    '%s followed by 0xAA filler past end: same result, filler never read', (_name, pdu) => {
      expect(parse(pdu, pdu.length, 64)).toEqual(parse(pdu));
    },
  );

  it('bytes after frag_length but before end (the next PDU in the segment) are not read as contexts', () => {
    const overstated = patched(IRASRV_BIND, COUNT, 9);
    const next = concat(overstated, rpcBind({ contexts: [{ abstract: EPM, transfers: [RpcTransfer.NDR] }] }), new Uint8Array(48).fill(0xaa));
    expect(parse(next)).toEqual(parse(IRASRV_BIND));
  });
});
