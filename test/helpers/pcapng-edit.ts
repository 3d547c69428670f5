/**
 * Post-processing of a scenario's pcapng (PCAPNG §4.1–4.3): walks the blocks of a little-endian capture as our
 * writer makes it, and drops, repeats, reorders or cuts Enhanced Packet Blocks, drops interfaces, or sets the
 * snaplen — keeping the scenario's ledger (frame numbers, labels, inner packets) true for the new file.
 */

import type { Bytes } from './build.js';
import type { FrameRecord, InnerRecord } from './scenario.js';

const BlockType = { SHB: 0x0a0d0d0a, IDB: 1, EPB: 6 } as const;

/** One packet of the capture, as an EPB holds it. */
export interface EditablePacket {
  /** Its frame number in the capture being edited. */
  readonly from: number;
  iface: number;
  /** Timestamp in the interface's units (µs: our writer's IDBs carry no if_tsresol). */
  ticks: bigint;
  data: Bytes;
  /** Length on the wire. */
  wireLength: number;
  /** The EPB's options, as encoded (flags, comment). */
  options: Bytes;
}

export interface PcapngEdit {
  /** Drop, repeat, reorder or change packets; the list comes in frame order. */
  packets?: (packets: EditablePacket[]) => EditablePacket[];
  /** Remove these interfaces (their IDB and packets); later interfaces move down. */
  dropInterfaces?: number[];
  /** Set every IDB's snaplen, and cut every packet's data to it (the wire length stays). */
  snaplen?: number;
}

function u32(b: Bytes, at: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
}

function block(type: number, body: Bytes): Bytes {
  const total = 12 + body.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  out.set(body, 8);
  dv.setUint32(total - 4, total, true);
  return out;
}

function epb(p: EditablePacket, iface: number): Bytes {
  const pad = (4 - (p.data.length % 4)) % 4;
  const body = new Uint8Array(20 + p.data.length + pad + p.options.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, iface, true);
  dv.setUint32(4, Number(p.ticks >> 32n), true);
  dv.setUint32(8, Number(p.ticks & 0xffffffffn), true);
  dv.setUint32(12, p.data.length, true);
  dv.setUint32(16, p.wireLength, true);
  body.set(p.data, 20);
  body.set(p.options, 20 + p.data.length + pad);
  return block(BlockType.EPB, body);
}

/** The blocks of a one-section, little-endian pcapng made of SHB, IDBs and EPBs (what a Scenario or `da-audit extract` writes). */
function parse(bytes: Bytes): { shb: Bytes; idbs: Bytes[]; packets: EditablePacket[] } {
  let shb: Bytes | null = null;
  const idbs: Bytes[] = [];
  const packets: EditablePacket[] = [];
  for (let at = 0; at < bytes.length;) {
    const type = u32(bytes, at);
    const len = u32(bytes, at + 4);
    const blk = bytes.subarray(at, at + len);
    if (type === BlockType.SHB) {
      if (u32(bytes, at + 8) !== 0x1a2b3c4d) throw new Error('pcapng-edit reads little-endian sections only');
      if (at !== 0) throw new Error('pcapng-edit reads one section only');
      shb = blk;
    } else if (type === BlockType.IDB) {
      idbs.push(blk);
    } else if (type === BlockType.EPB) {
      const capLen = u32(blk, 20);
      const dataEnd = 28 + capLen + ((4 - (capLen % 4)) % 4);
      packets.push({
        from: packets.length + 1, iface: u32(blk, 8), ticks: (BigInt(u32(blk, 12)) << 32n) | BigInt(u32(blk, 16)),
        data: blk.slice(28, 28 + capLen), wireLength: u32(blk, 24), options: blk.slice(dataEnd, len - 4),
      });
    } else {
      throw new Error(`pcapng-edit: block type 0x${type.toString(16)} would change the frame numbers`);
    }
    at += len;
  }
  if (shb === null) throw new Error('pcapng-edit: no section header');
  return { shb, idbs, packets };
}

/** The packets of a pcapng (one little-endian section of SHB, IDBs and EPBs), in frame order. */
export function readPackets(bytes: Bytes): EditablePacket[] {
  return parse(bytes).packets;
}

/** The UTF-8 values of option `code` (1: opt_comment) in encoded pcapng options (PCAPNG §3.5). */
export function optionStrings(options: Bytes, code: number): string[] {
  const out: string[] = [];
  for (let at = 0; at + 4 <= options.length;) {
    const c = options[at]! | (options[at + 1]! << 8);
    const len = options[at + 2]! | (options[at + 3]! << 8);
    if (c === 0) break;
    if (c === code) out.push(Buffer.from(options.subarray(at + 4, at + 4 + len)).toString('utf8'));
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return out;
}

/** Applies `e` to a one-section, little-endian pcapng made of SHB, IDBs and EPBs (what a Scenario writes). */
export function editPcapng(bytes: Bytes, e: PcapngEdit): Bytes {
  const { shb, idbs, packets } = parse(bytes);
  const dropped = new Set(e.dropInterfaces ?? []);
  const head = [shb, ...idbs.filter((_, i) => !dropped.has(i)).map((idb) => {
    // A copy of its own (Buffer.slice would share the input's memory, and its ArrayBuffer starts at the SHB).
    const copy = Uint8Array.from(idb);
    if (e.snaplen !== undefined) new DataView(copy.buffer).setUint32(12, e.snaplen, true);
    return copy;
  })];
  const kept = (e.packets ?? ((p) => p))(packets).filter((p) => !dropped.has(p.iface));
  const newIface = (i: number): number => i - [...dropped].filter((d) => d < i).length;
  const out = kept.map((p) => epb(e.snaplen !== undefined ? { ...p, data: p.data.subarray(0, e.snaplen) } : p, newIface(p.iface)));
  return Buffer.concat([...head, ...out]);
}

/** A capture and its ledger: a Scenario, or a Scenario's capture after `editPcapng`. */
export interface Capture {
  readonly frames: FrameRecord[];
  readonly inner: InnerRecord[];
  bytes(): Bytes;
  framesWith(...labels: string[]): FrameRecord[];
  innerWith(...labels: string[]): InnerRecord[];
}

/**
 * A capture edited after it was written. Its ledger follows the packets: a repeated packet has two frame records
 * with the same labels, a moved one keeps its labels and takes its new place's number, and the interfaces are
 * renumbered. Time and length come from the edited packets. Inner packets keep their records, with the frames
 * that carried them renumbered (dropped frames leave the list; a dropped last-byte frame becomes 0).
 */
export class EditedCapture implements Capture {
  readonly frames: FrameRecord[];
  readonly inner: InnerRecord[];
  private readonly data: Bytes;

  constructor(original: Capture, e: PcapngEdit) {
    let order: EditablePacket[] = [];
    this.data = editPcapng(original.bytes(), {
      ...e,
      packets: (packets) => {
        order = (e.packets ?? ((p) => p))(packets);
        return order;
      },
    });
    const dropped = new Set(e.dropInterfaces ?? []);
    const newIface = (i: number): number => i - [...dropped].filter((d) => d < i).length;
    this.frames = order.filter((p) => !dropped.has(p.iface)).map((p, i) => {
      const was = original.frames[p.from - 1]!;
      return {
        ...was, number: i + 1, iface: newIface(p.iface), length: p.wireLength,
        sec: Number(p.ticks / 1_000_000n), nsec: Number(p.ticks % 1_000_000n) * 1000,
      };
    });
    // An inner packet's frames follow the packets that carried them: a repeated one counts at its first copy, a dropped one not at all.
    const first = new Map<number, number>();
    order.filter((p) => !dropped.has(p.iface)).forEach((p, i) => {
      if (!first.has(p.from)) first.set(p.from, i + 1);
    });
    this.inner = original.inner.map((p) => ({
      ...p, frames: p.frames.filter((n) => first.has(n)).map((n) => first.get(n)!).sort((a, b) => a - b), lastByteFrame: first.get(p.lastByteFrame) ?? 0,
    }));
  }

  bytes(): Bytes {
    return this.data;
  }

  framesWith(...labels: string[]): FrameRecord[] {
    return this.frames.filter((f) => labels.every((l) => f.labels.includes(l)));
  }

  innerWith(...labels: string[]): InnerRecord[] {
    return this.inner.filter((p) => labels.every((l) => p.labels.includes(l)));
  }
}
