/** pcap and pcapng writers (draft-gharris-opsawg-pcap, draft-ietf-opsawg-pcapng): fixtures, tests and `extract`. */

import type { TsResolution } from './timestamp.js';
import { MICROSECONDS } from './timestamp.js';
import { BlockType } from './pcapng.js';

/** Receives the bytes a writer produces, in order. */
export type ByteSink = (chunk: Uint8Array) => void;

const enc = new TextEncoder();

/** Little helper that lays out fields in a chosen byte order. */
class Fields {
  private readonly parts: Uint8Array[] = [];
  length = 0;
  private readonly le: boolean;
  constructor(le: boolean) {
    this.le = le;
  }
  u8(v: number): this {
    return this.push(Uint8Array.of(v & 0xff));
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.le);
    return this.push(b);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, this.le);
    return this.push(b);
  }
  u64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), this.le);
    return this.push(b);
  }
  bytes(b: Uint8Array): this {
    return this.push(b);
  }
  pad4(): this {
    const n = (4 - (this.length % 4)) % 4;
    return n > 0 ? this.push(new Uint8Array(n)) : this;
  }
  private push(b: Uint8Array): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
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
  constructor(out: ByteSink, opts: PcapWriterOptions) {
    this.out = out;
    this.le = opts.littleEndian ?? true;
    this.nano = opts.nanosecond ?? false;
    this.modified = opts.modified ?? false;
    const magic = this.modified ? 0xa1b2cd34 : this.nano ? 0xa1b23c4d : 0xa1b2c3d4;
    let word = opts.linkType & 0xffff;
    if (opts.fcsLen !== undefined) word = (word | 0x04000000 | (((opts.fcsLen / 2) & 0xf) << 28)) >>> 0;
    out(new Fields(this.le).u32(magic).u16(2).u16(opts.versionMinor ?? 4).u32(0).u32(0)
      .u32(opts.snaplen ?? 262144).u32(word).toBytes());
  }
  /** Writes one record; `capLen` defaults to the data length and `wireLen` to at least that. */
  packet(ts: Timestamp, data: Uint8Array, wireLen = data.length, capLen = data.length): void {
    const frac = this.nano ? ts.nsec : Math.floor(ts.nsec / 1000);
    const f = new Fields(this.le).u32(ts.sec).u32(frac).u32(capLen).u32(wireLen);
    if (this.modified) f.u32(0).u16(0).u8(0).u8(0);
    this.out(f.toBytes());
    this.out(data);
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

  constructor(out: ByteSink) {
    this.out = out;
  }

  section(opts: SectionOptions = {}): void {
    this.le = opts.littleEndian ?? true;
    this.resolutions = [];
    const body = new Fields(this.le).u32(0x1a2b3c4d).u16(1).u16(opts.versionMinor ?? 0).u64(opts.sectionLength ?? -1n);
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
    const body = new Fields(this.le).u16(opts.linkType).u16(0).u32(opts.snaplen ?? 0);
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
    const body = new Fields(this.le).u32(iface).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn))
      .u32(capLen).u32(opts.wireLen ?? data.length).bytes(data).pad4();
    this.block(BlockType.EPB, body, packetOptions(opts, this.le));
  }

  /** Obsolete Packet Block (16-bit interface id and drops count). */
  obsoletePacket(ts: Timestamp, data: Uint8Array, opts: PacketOptions = {}): void {
    const iface = opts.iface ?? 0;
    const ticks = toTicks(ts.sec, ts.nsec, this.resolutions[iface] ?? MICROSECONDS);
    const body = new Fields(this.le).u16(iface).u16(0xffff).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn))
      .u32(data.length).u32(opts.wireLen ?? data.length).bytes(data).pad4();
    this.block(BlockType.PB, body, packetOptions(opts, this.le));
  }

  /** Simple Packet Block: interface 0, no timestamp; `data` already cut to the snaplen. */
  simplePacket(data: Uint8Array, wireLen = data.length): void {
    this.block(BlockType.SPB, new Fields(this.le).u32(wireLen).bytes(data).pad4(), []);
  }

  /** Name Resolution Block with IPv4 (4-byte) and IPv6 (16-byte) entries. */
  nameResolution(entries: { address: Uint8Array; names: string[] }[]): void {
    const body = new Fields(this.le);
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
    const body = new Fields(this.le).u32(iface).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn));
    this.block(BlockType.ISB, body, [
      { code: 4, value: new Fields(this.le).u64(received).toBytes() },
      { code: 5, value: new Fields(this.le).u64(dropped).toBytes() },
    ]);
  }

  /** Decryption Secrets Block (e.g. type 0x544c534b, a TLS key log). */
  decryptionSecrets(type: number, secrets: Uint8Array): void {
    this.block(BlockType.DSB, new Fields(this.le).u32(type).u32(secrets.length).bytes(secrets).pad4(), []);
  }

  /** Custom block, copyable (0x00000BAD) or not (0x40000BAD). */
  custom(pen: number, data: Uint8Array, copyable = true): void {
    this.block(copyable ? BlockType.CustomCopy : BlockType.CustomNoCopy, new Fields(this.le).u32(pen).bytes(data).pad4(), []);
  }

  /** systemd Journal Export block, as etl2pcapng writes for non-packet events. */
  journalExport(entry: string): void {
    this.block(BlockType.JournalExport, new Fields(this.le).bytes(enc.encode(entry)).pad4(), []);
  }

  /** Any block, body as given (for unknown block types and deliberately broken files). */
  rawBlock(type: number, body: Uint8Array): void {
    this.block(type, new Fields(this.le).bytes(body).pad4(), []);
  }

  private block(type: number, body: Fields, options: PcapngOption[]): void {
    const opts = encodeOptions(options, this.le);
    const total = 12 + body.length + opts.length;
    this.out(new Fields(this.le).u32(type).u32(total).bytes(body.toBytes()).bytes(opts).u32(total).toBytes());
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

function encodeOptions(options: PcapngOption[], le: boolean): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  const f = new Fields(le);
  for (const o of options) {
    const v = typeof o.value === 'string' ? enc.encode(o.value) : o.value;
    f.u16(o.code).u16(v.length).bytes(v).pad4();
  }
  f.u16(0).u16(0);
  return f.toBytes();
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
    this.parts.push(chunk);
  };
  bytes(): Uint8Array {
    return concat(...this.parts);
  }
}

