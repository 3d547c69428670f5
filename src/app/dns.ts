/** DNS, LLMNR and mDNS messages (RFC 1035, RFC 4795, RFC 6762) via dns-packet: names and A/AAAA answers. */

import dnsPacket from 'dns-packet';
import { u16be } from '../util/bytes.js';

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
  // An end past the array is clamped: the Buffer view below would show bytes after it (or throw).
  let stop = Math.min(end, buf.length);
  let at = start;
  if (tcp) {
    // The length says where the message ends: bytes after it (the next message) are not part of it, and a message
    // longer than the bytes here is not complete. It used to be skipped unread, and the message taken to `end`.
    if (stop - start < 2) return null;
    const length = u16be(buf, start);
    at = start + 2;
    if (length > stop - at) return null;
    stop = at + length;
  }
  if (stop - at < 12) return null;
  const last = recordsEnd(buf, at, stop);
  if (last < 0) return null;
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(Buffer.from(buf.buffer, buf.byteOffset + at, stop - at));
  } catch {
    return null;
  }
  // dns-packet must have found the records where their own lengths put them (see recordsEnd).
  if (dnsPacket.decode.bytes !== last - at) return null;
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

/**
 * Where the records of the message at [at, stop) end by their own lengths (labels, RDLENGTH), or -1 when one runs
 * past `stop` or an A or AAAA record's RDLENGTH is not 4 or 16. Why: dns-packet reads A and AAAA data by type,
 * ignoring RDLENGTH, and reads those 4 or 16 bytes without a bounds check (ip-codec turns a missing byte into 0).
 * An AAAA cut short by the capture came out as an address with zero groups; an A with RDLENGTH 3 took a byte of
 * the next record. Questions and records are counted from the header; each takes at least 5 bytes, so the walk is
 * bounded by the message length.
 */
function recordsEnd(b: Uint8Array, at: number, stop: number): number {
  const questions = u16be(b, at + 4);
  const records = u16be(b, at + 6) + u16be(b, at + 8) + u16be(b, at + 10);
  let p = at + 12;
  for (let i = 0; i < questions; i++) {
    p = nameEnd(b, p, stop);
    if (p < 0 || stop - p < 4) return -1;
    p += 4;
  }
  for (let i = 0; i < records; i++) {
    p = nameEnd(b, p, stop);
    if (p < 0 || stop - p < 10) return -1;
    const type = u16be(b, p);
    const rdLength = u16be(b, p + 8);
    if ((type === 1 && rdLength !== 4) || (type === 28 && rdLength !== 16)) return -1;
    p += 10 + rdLength;
    if (p > stop) return -1;
  }
  return p;
}

/** The end of the name at `p` as written there: labels up to a zero byte, or up to a 2-byte compression pointer (not followed); -1 past `stop`. */
function nameEnd(b: Uint8Array, p: number, stop: number): number {
  while (p < stop) {
    const len = b[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return stop - p >= 2 ? p + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    p += 1 + len;
  }
  return -1;
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
