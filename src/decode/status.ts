/** Why decoding stopped, and per-layer flags (architecture §4). */

export const Status = {
  /** Decoded as far as there was anything to decode. */
  Ok: 0,
  /** The capture ran out (snaplen, cut file) before a header was complete. */
  Truncated: 1,
  /** A header contradicts itself or its parent (IHL < 5, UDP length < 8, …). */
  Malformed: 2,
  /** Valid, but of a kind we do not decode (unknown link type, LLC without SNAP, …). */
  Unsupported: 3,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

export const STATUS_NAMES = ['ok', 'truncated', 'malformed', 'unsupported'] as const;

export const LayerFlag = {
  /** The layer's declared length runs past the captured bytes; `end` is where the capture ends. */
  Truncated: 0x01,
  /** Found by a probe (Teredo without port 3544, …), not by a port or type number. */
  Heuristic: 0x02,
  /** Part of the packet quoted inside an ICMP error. */
  Quoted: 0x04,
  /** An IP fragment (the first: headers decoded further; a later one: payload not decoded). */
  Fragment: 0x08,
  /** Inside a tunnel (depth ≥ 1). */
  Tunnelled: 0x10,
} as const;
