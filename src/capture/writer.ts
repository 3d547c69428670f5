/** pcap and pcapng writers (draft-gharris-opsawg-pcap, draft-ietf-opsawg-pcapng): fixtures, tests and `extract`. */

import type { TsResolution } from './timestamp.js';
import { MICROSECONDS } from './timestamp.js';
import { BlockType } from './pcapng.js';

/**
 * Receives the bytes a writer produces, in order. A chunk is valid only during the call (the writer lays out its
 * next block in the same buffer): a sink that keeps it copies it.
 */
export type ByteSink = (chunk: Uint8Array) => void;

const enc = new TextEncoder();

/**
 * Lays out fields in a chosen byte order, in one buffer that doubles when full; a writer reuses one for all its
 * blocks (`reset`). Why: every small Uint8Array is an ArrayBuffer allocation of its own, and `extract` writes a
 * block per packet. With an array per field, and then a new buffer per block, 2 M packets took 97 s.
 */
class Fields {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;
  private le: boolean;
  /** `capacity`: the bytes expected, so that a block is laid out in one allocation. */
  constructor(le: boolean, capacity = 64) {
    this.le = le;
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.length, v, this.le);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0, this.le);
    this.length += 4;
    return this;
  }
  u64(v: bigint): this {
    this.room(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), this.le);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /** The UTF-8 of `text`, encoded in place; returns its length in bytes. */
  utf8(text: string): number {
    this.room(text.length * 3);
    const { written } = enc.encodeInto(text, this.buf.subarray(this.length));
    this.length += written;
    return written;
  }
  /** Overwrites the 16- or 32-bit field at `at` (a length known only once what follows is laid out). */
  setU16(at: number, v: number): void {
    this.view.setUint16(at, v, this.le);
  }
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, this.le);
  }
  /** Zero bytes up to a multiple of 4. */
  pad4(): this {
    const n = (4 - (this.length % 4)) % 4;
    this.room(n);
    for (let i = 0; i < n; i++) this.buf[this.length++] = 0;
    return this;
  }
  /** Starts over, in byte order `le`, with room for `capacity` bytes. */
  reset(capacity: number, le: boolean): this {
    this.length = 0;
    this.le = le;
    this.room(capacity);
    return this;
  }
  /** The fields laid out so far: a view of this object's buffer, valid until it is reset. */
  toBytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = Math.max(64, this.buf.length * 2);
    while (cap < this.length + n) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** A timestamp as whole seconds and nanoseconds. */
export interface Timestamp {
  sec: number;
  nsec: number;
}

export interface PcapWriterOptions {
  linkType: number;
  littleEndian?: boolean;
  nanosecond?: boolean;
  snaplen?: number;
  /** Sets the FCS-present bit and length (bytes, even) in the link-type word. */
  fcsLen?: number;
  versionMinor?: number;
  /** Write Kuznetzov's modified-pcap magic and 24-byte record headers. */
  modified?: boolean;
}

/** Classic pcap writer. */
export class PcapWriter {
  private readonly out: ByteSink;
  private readonly le: boolean;
  private readonly nano: boolean;
  private readonly modified: boolean;
  /** Every record is laid out here, then handed to the sink (see ByteSink). */
  private readonly scratch = new Fields(true, 256);
  constructor(out: ByteSink, opts: PcapWriterOptions) {
    this.out = out;
    this.le = opts.littleEndian ?? true;
    this.nano = opts.nanosecond ?? false;
    this.modified = opts.modified ?? false;
    const magic = this.modified ? 0xa1b2cd34 : this.nano ? 0xa1b23c4d : 0xa1b2c3d4;
    let word = opts.linkType & 0xffff;
    if (opts.fcsLen !== undefined) word = (word | 0x04000000 | (((opts.fcsLen / 2) & 0xf) << 28)) >>> 0;
    out(this.scratch.reset(24, this.le).u32(magic).u16(2).u16(opts.versionMinor ?? 4).u32(0).u32(0)
      .u32(opts.snaplen ?? 262144).u32(word).toBytes());
  }
  /** Writes one record; `capLen` defaults to the data length and `wireLen` to at least that. */
  packet(ts: Timestamp, data: Uint8Array, wireLen = data.length, capLen = data.length): void {
    const frac = this.nano ? ts.nsec : Math.floor(ts.nsec / 1000);
    const f = this.scratch.reset(24 + data.length, this.le).u32(ts.sec).u32(frac).u32(capLen).u32(wireLen);
    if (this.modified) f.u32(0).u16(0).u8(0).u8(0);
    this.out(f.bytes(data).toBytes());
  }
}

/** One pcapng option: code and raw value (strings are UTF-8 encoded). */
export interface PcapngOption {
  code: number;
  value: Uint8Array | string;
}

export interface SectionOptions {
  littleEndian?: boolean;
  hardware?: string;
  os?: string;
  application?: string;
  comments?: string[];
  /** SHB section length; -1 (unknown) by default. */
  sectionLength?: bigint;
  versionMinor?: number;
  extraOptions?: PcapngOption[];
}

export interface InterfaceOptions {
  linkType: number;
  snaplen?: number;
  name?: string;
  description?: string;
  tsResolution?: TsResolution;
  tsOffset?: number;
  fcsLen?: number;
  os?: string;
  filter?: string;
  comments?: string[];
}

export interface PacketOptions {
  /** Interface index inside the current section. */
  iface?: number;
  wireLen?: number;
  capLen?: number;
  comments?: string[];
  /** epb_flags word; direction is bits 0–1 (1 inbound, 2 outbound). */
  flags?: number;
  packetId?: bigint;
  /** Any further options, written as given. */
  extraOptions?: PcapngOption[];
}

/** pcapng writer: sections, interfaces and every block kind the reader understands. */
export class PcapngWriter {
  private readonly out: ByteSink;
  private le = true;
  private resolutions: TsResolution[] = [];
  /** Every block is laid out here, then handed to the sink (see ByteSink). */
  private readonly scratch = new Fields(true, 256);

  constructor(out: ByteSink) {
    this.out = out;
  }

  section(opts: SectionOptions = {}): void {
    this.le = opts.littleEndian ?? true;
    this.resolutions = [];
    const body = this.body(24).u32(0x1a2b3c4d).u16(1).u16(opts.versionMinor ?? 0).u64(opts.sectionLength ?? -1n);
    const options: PcapngOption[] = [];
    for (const c of opts.comments ?? []) options.push({ code: 1, value: c });
    if (opts.hardware) options.push({ code: 2, value: opts.hardware });
    if (opts.os) options.push({ code: 3, value: opts.os });
    if (opts.application) options.push({ code: 4, value: opts.application });
    options.push(...(opts.extraOptions ?? []));
    this.block(BlockType.SHB, body, options);
  }

  /** Adds an IDB; returns its index in the current section. */
  interface(opts: InterfaceOptions): number {
    const body = this.body(64).u16(opts.linkType).u16(0).u32(opts.snaplen ?? 0);
    const options: PcapngOption[] = [];
    for (const c of opts.comments ?? []) options.push({ code: 1, value: c });
    if (opts.name !== undefined) options.push({ code: 2, value: opts.name });
    if (opts.description !== undefined) options.push({ code: 3, value: opts.description });
    const res = opts.tsResolution ?? MICROSECONDS;
    if (res !== MICROSECONDS && !(res.base === 10 && res.exponent === 6)) {
      options.push({ code: 9, value: Uint8Array.of((res.base === 2 ? 0x80 : 0) | res.exponent) });
    }
    if (opts.filter !== undefined) options.push({ code: 11, value: concat(Uint8Array.of(0), enc.encode(opts.filter)) });
    if (opts.os !== undefined) options.push({ code: 12, value: opts.os });
    if (opts.fcsLen !== undefined) options.push({ code: 13, value: Uint8Array.of(opts.fcsLen) });
    if (opts.tsOffset !== undefined) options.push({ code: 14, value: new Fields(this.le).u64(BigInt(opts.tsOffset)).toBytes() });
    this.block(BlockType.IDB, body, options);
    this.resolutions.push(res);
    return this.resolutions.length - 1;
  }

  /** Enhanced Packet Block. The timestamp is given in absolute time; if_tsoffset is subtracted. */
  packet(ts: Timestamp, data: Uint8Array, opts: PacketOptions = {}, tsOffset = 0): void {
    const iface = opts.iface ?? 0;
    const ticks = toTicks(ts.sec - tsOffset, ts.nsec, this.resolutions[iface] ?? MICROSECONDS);
    const capLen = opts.capLen ?? data.length;
    const options = packetOptions(opts, this.le);
    const body = this.body(32 + data.length + optionsCapacity(options)).u32(iface).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn))
      .u32(capLen).u32(opts.wireLen ?? data.length).bytes(data).pad4();
    this.block(BlockType.EPB, body, options);
  }

  /** Obsolete Packet Block (16-bit interface id and drops count). */
  obsoletePacket(ts: Timestamp, data: Uint8Array, opts: PacketOptions = {}): void {
    const iface = opts.iface ?? 0;
    const ticks = toTicks(ts.sec, ts.nsec, this.resolutions[iface] ?? MICROSECONDS);
    const body = this.body(32 + data.length).u16(iface).u16(0xffff).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn))
      .u32(data.length).u32(opts.wireLen ?? data.length).bytes(data).pad4();
    this.block(BlockType.PB, body, packetOptions(opts, this.le));
  }

  /** Simple Packet Block: interface 0, no timestamp; `data` already cut to the snaplen. */
  simplePacket(data: Uint8Array, wireLen = data.length): void {
    this.block(BlockType.SPB, this.body(8 + data.length).u32(wireLen).bytes(data).pad4(), []);
  }

  /** Name Resolution Block with IPv4 (4-byte) and IPv6 (16-byte) entries. */
  nameResolution(entries: { address: Uint8Array; names: string[] }[]): void {
    const body = this.body();
    for (const e of entries) {
      const value = concat(e.address, ...e.names.map((n) => concat(enc.encode(n), Uint8Array.of(0))));
      body.u16(e.address.length === 4 ? 1 : 2).u16(value.length).bytes(value).pad4();
    }
    body.u16(0).u16(0);
    this.block(BlockType.NRB, body, []);
  }

  /** Interface Statistics Block with received / dropped counters. */
  interfaceStatistics(iface: number, ts: Timestamp, received: bigint, dropped: bigint): void {
    const ticks = toTicks(ts.sec, ts.nsec, this.resolutions[iface] ?? MICROSECONDS);
    const body = this.body().u32(iface).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn));
    this.block(BlockType.ISB, body, [
      { code: 4, value: new Fields(this.le).u64(received).toBytes() },
      { code: 5, value: new Fields(this.le).u64(dropped).toBytes() },
    ]);
  }

  /** Decryption Secrets Block (e.g. type 0x544c534b, a TLS key log). */
  decryptionSecrets(type: number, secrets: Uint8Array): void {
    this.block(BlockType.DSB, this.body(12 + secrets.length).u32(type).u32(secrets.length).bytes(secrets).pad4(), []);
  }

  /** Custom block, copyable (0x00000BAD) or not (0x40000BAD). */
  custom(pen: number, data: Uint8Array, copyable = true): void {
    this.block(copyable ? BlockType.CustomCopy : BlockType.CustomNoCopy, this.body(8 + data.length).u32(pen).bytes(data).pad4(), []);
  }

  /** systemd Journal Export block, as etl2pcapng writes for non-packet events. */
  journalExport(entry: string): void {
    const body = this.body(entry.length * 3);
    body.utf8(entry);
    this.block(BlockType.JournalExport, body.pad4(), []);
  }

  /** Any block, body as given (for unknown block types and deliberately broken files). */
  rawBlock(type: number, body: Uint8Array): void {
    this.block(type, this.body(body.length).bytes(body).pad4(), []);
  }

  /**
   * A block's fields, laid out after 8 bytes left for the block type and length (filled in by `block`), so a
   * block is built in one buffer: `capacity` is the body's expected size.
   */
  private body(capacity = 64): Fields {
    return this.scratch.reset(8 + capacity + 64, this.le).u32(0).u32(0);
  }

  /** Completes a block begun by `body`: its type, options and both copies of its total length. */
  private block(type: number, f: Fields, options: PcapngOption[]): void {
    writeOptions(f, options);
    const total = f.length + 4;
    f.u32(total);
    f.setU32(0, type);
    f.setU32(4, total);
    this.out(f.toBytes());
  }
}

function packetOptions(opts: PacketOptions, le: boolean): PcapngOption[] {
  const options: PcapngOption[] = [];
  for (const c of opts.comments ?? []) options.push({ code: 1, value: c });
  if (opts.flags !== undefined) options.push({ code: 2, value: new Fields(le).u32(opts.flags).toBytes() });
  if (opts.packetId !== undefined) options.push({ code: 5, value: new Fields(le).u64(opts.packetId).toBytes() });
  options.push(...(opts.extraOptions ?? []));
  return options;
}

/** The most bytes writeOptions can take for these options (a string's UTF-8 is at most 3 bytes per UTF-16 unit). */
function optionsCapacity(options: PcapngOption[]): number {
  let n = 4;
  for (const o of options) n += 4 + (typeof o.value === 'string' ? o.value.length * 3 : o.value.length) + 3;
  return n;
}

/** The options (code, length, value padded to 4) and opt_endofopt, when there are any. */
function writeOptions(f: Fields, options: PcapngOption[]): void {
  if (options.length === 0) return;
  for (const o of options) {
    const at = f.length;
    f.u16(o.code).u16(0);
    let length: number;
    if (typeof o.value === 'string') length = f.utf8(o.value);
    else {
      f.bytes(o.value);
      length = o.value.length;
    }
    f.setU16(at + 2, length);
    f.pad4();
  }
  f.u16(0).u16(0);
}

/** (sec, nsec) → 64-bit tick count at `res`; exact (BigInt), floor of sub-tick remainders. */
export function toTicks(sec: number, nsec: number, res: TsResolution): bigint {
  const perSec = BigInt(res.base) ** BigInt(res.exponent);
  return BigInt(sec) * perSec + (BigInt(nsec) * perSec) / 1_000_000_000n;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Collects a writer's output in memory. */
export class MemorySink {
  private readonly parts: Uint8Array[] = [];
  readonly write: ByteSink = (chunk) => {
    this.parts.push(chunk.slice());
  };
  bytes(): Uint8Array {
    return concat(...this.parts);
  }
}

