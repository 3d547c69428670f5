/** DNS, LLMNR and mDNS messages (RFC 1035, RFC 4795, RFC 6762) via dns-packet: names and A/AAAA answers. */

import dnsPacket from 'dns-packet';

export type NameProtocol = 'dns' | 'llmnr' | 'mdns';

/** An A or AAAA answer: a name and the address it maps to (16 bytes, IPv4 as ::ffff:a.b.c.d). */
export interface AddressAnswer {
  frame: number;
  protocol: NameProtocol;
  name: string;
  type: 'A' | 'AAAA';
  address: Uint8Array;
  ttl: number;
}

export interface DnsMessageFacts {
  frame: number;
  protocol: NameProtocol;
  response: boolean;
  /** RCODE name for responses (NOERROR, NXDOMAIN, SERVFAIL, …). */
  rcode: string | null;
  questions: { name: string; type: string }[];
  answers: AddressAnswer[];
}

/**
 * Decodes one message. dns-packet walks labels safely (compression pointers only backwards, names
 * ≤ 255 bytes) and throws on anything malformed; that becomes null (the caller notes an anomaly).
 * TCP DNS carries a 2-byte length first (RFC 1035 §4.2.2): pass `tcp` to skip it.
 */
export function parseDnsMessage(buf: Uint8Array, start: number, end: number, frame: number, protocol: NameProtocol, tcp = false): DnsMessageFacts | null {
  const at = tcp ? start + 2 : start;
  if (end - at < 12) return null;
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(Buffer.from(buf.buffer, buf.byteOffset + at, end - at));
  } catch {
    return null;
  }
  const answers: AddressAnswer[] = [];
  for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
    if (rr.type !== 'A' && rr.type !== 'AAAA') continue;
    const address = addressBytes(rr.type, String(rr.data));
    if (address) answers.push({ frame, protocol, name: rr.name, type: rr.type, address, ttl: rr.ttl ?? 0 });
  }
  const response = packet.type === 'response';
  return {
    frame, protocol, response,
    rcode: response ? (packet as { rcode?: string }).rcode ?? null : null,
    questions: (packet.questions ?? []).map((q) => ({ name: q.name, type: q.type })),
    answers,
  };
}

/** dns-packet gives addresses as text; store them as 16 bytes like every other address here. */
function addressBytes(type: 'A' | 'AAAA', text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  if (type === 'A') {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return null;
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(parts, 12);
    return out;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...tail];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) return null;
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
