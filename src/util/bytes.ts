/** Byte readers over Uint8Array: the only place with shift-and-or reads (architecture §5.4). */

// Callers check bounds first (check-then-read): a Uint8Array read past its end yields
// `undefined`, which bit operations silently turn into 0.

export function u8(b: Uint8Array, o: number): number {
  return b[o]!;
}

export function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

/** Unsigned 24-bit big-endian (TLS handshake lengths). */
export function u24be(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

/** Unsigned 32-bit big-endian; `>>> 0` keeps the result non-negative. */
export function u32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** 16 or 32 bits in the byte order of a capture section (`le` true for little-endian). */
export function u16x(b: Uint8Array, o: number, le: boolean): number {
  return le ? u16le(b, o) : u16be(b, o);
}

export function u32x(b: Uint8Array, o: number, le: boolean): number {
  return le ? u32le(b, o) : u32be(b, o);
}

/**
 * A 64-bit unsigned value in the section's byte order, as a BigInt. Only for rare header
 * fields (section length, if_tsoffset, epb_packetid), never per packet.
 */
export function u64x(b: Uint8Array, o: number, le: boolean): bigint {
  const first = BigInt(u32x(b, o, le));
  const second = BigInt(u32x(b, o + 4, le));
  return le ? (second << 32n) | first : (first << 32n) | second;
}

/** Signed 64-bit value in the section's byte order (if_tsoffset, SHB section length). */
export function i64x(b: Uint8Array, o: number, le: boolean): bigint {
  return BigInt.asIntN(64, u64x(b, o, le));
}

/**
 * Lower-case hex of a byte range (clamped to the array), for display, keys and tests. Node's encoder makes one
 * flat string; a loop of `+=` made a rope of two-character pieces, one allocation per byte.
 */
export function hex(b: Uint8Array, start = 0, end = b.length): string {
  const from = Math.max(0, start);
  const to = Math.min(end, b.length);
  return to > from ? Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('hex') : '';
}

/** "0x1a2b3c4d": a 32-bit value (an SPI, a Notify type, a header word) as tshark writes it, whatever its sign as a JS int. */
export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** True when the two arrays hold the same bytes (and as many). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytes of a 32-hex-digit address key (as the flow stage writes addresses it hands to app parsers). */
export function addressFromHex(key: string): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(key.slice(2 * i, 2 * i + 2), 16);
  return out;
}
