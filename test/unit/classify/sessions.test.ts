/** Service and RDP security notes (src/classify/sessions.ts; MS-RDPBCGR §2.2.1.1–2.2.1.2): said from what the Connection Confirm shows, never more. */

import { describe, expect, it } from 'vitest';
import { parseRdpConfirm, parseRdpRequest } from '../../../src/app/rdp.js';
import { identifyService, rdpSecurityNote } from '../../../src/classify/sessions.js';
import { flow } from '../../helpers/flows.js';
import { concat, u16le, u32le, type Bytes } from '../../helpers/build.js';

/** TPKT + X.224 Connection Confirm (0xD0) with `variable` as its variable part. */
function confirmPdu(variable: Bytes): Bytes {
  const x224 = concat(Uint8Array.of(6 + variable.length, 0xd0, 0, 0, 0x12, 0x34, 0), variable);
  return concat(Uint8Array.of(3, 0, 0, 4 + x224.length), x224);
}
const negRsp = (type: number, value: number): Bytes => concat(Uint8Array.of(type, 0), u16le(8), u32le(value));
const request = concat(Uint8Array.of(3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0), negRsp(1, 0x3));

function rdpFlow(confirm: Bytes) {
  const r = flow({ proto: 6, bPort: 49812, origPayload: 19, respPayload: confirm.length });
  r.flow.rdp = { request: parseRdpRequest(request, 0, request.length, 10), confirm: parseRdpConfirm(confirm, 0, confirm.length, 11) };
  return r.flow;
}

describe('RDP security from the Connection Confirm', () => {
  it('an RDP_NEG_RSP selecting CredSSP: application-layer encryption, named', () => {
    const f = rdpFlow(confirmPdu(negRsp(2, 0x2)));
    expect(rdpSecurityNote(f)?.text).toBe('RDP itself negotiated CredSSP (frame 11): application-layer encryption, reported beside the IPsec verdict, never instead of it');
    expect(identifyService(f, { raPorts: [] }).basis).toContain('confirmed with CredSSP (frame 11)');
  });

  it('no negotiation data: a server that does not negotiate, Standard RDP Security (MS-RDPBCGR §2.2.1.2)', () => {
    const f = rdpFlow(confirmPdu(new Uint8Array(0)));
    expect(rdpSecurityNote(f)?.text).toMatch(/^RDP itself negotiated Standard RDP Security \(RC4 inside RDP, frame 11\)/);
  });

  it('negotiation data that is no RDP_NEG_RSP (a bad length, a request type): unknown, never Standard RDP Security', () => {
    for (const variable of [concat(Uint8Array.of(2, 0), u16le(16), u32le(0x2)), negRsp(1, 0x2)]) {
      const f = rdpFlow(confirmPdu(variable));
      expect(f.rdp!.confirm!.selectedProtocol).toBeNull();
      expect(rdpSecurityNote(f)?.text).toBe("RDP's own security is unknown: the Connection Confirm (frame 11) carries negotiation data that is not an RDP_NEG_RSP");
      expect(identifyService(f, { raPorts: [] }).basis).toContain('confirmed with negotiation data that is not an RDP_NEG_RSP (frame 11)');
      f.rdp!.request = null;
      expect(identifyService(f, { raPorts: [] }).basis).toContain('(frame 11, with negotiation data that is not an RDP_NEG_RSP)');
    }
  });
});
